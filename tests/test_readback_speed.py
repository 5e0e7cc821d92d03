"""The read-back's shortcuts give what the long way gives: the footer's "1" read by the read-back
is the page reader.printed_numbering_start finds, and the raw pdfium calls read the boxes the
pypdfium2 wrappers read."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.pdf.layout import Inspection, PageFill, inspect_pdf
from generator.pdf.reader import printed_numbering_start, read_printed_text


@pytest.mark.libreoffice
def test_the_build_takes_numbered_from_from_the_read_back_and_it_matches_the_pdf_text(example_build: tuple[Path, object]) -> None:
    _out, result = example_build
    documents = result.documents  # type: ignore[attr-defined]
    assert [r.doc.id for r in documents] == ["plan", "recommendation", "self_assessment"]
    for r in documents:
        from_text = printed_numbering_start(r.pdf)
        # the plan and the 推荐书: a cover, then "— 1 —"; the 自评表 has no cover
        assert from_text == (0 if r.doc.id == "self_assessment" else 1), r.pdf.name
        assert r.numbered_from == from_text
        assert inspect_pdf(r.doc.title, r.docx, r.pdf).numbering_start() == from_text


def test_no_footer_printing_1_in_the_first_pages_leaves_it_to_the_pdf_text() -> None:
    pages = [PageFill(0, "", 0.5, False), PageFill(1, "7", 0.9, False), PageFill(2, "8", 0.9, False), PageFill(3, "1", 0.9, False)]
    assert Inspection(pages).numbering_start() is None  # "1" only on the 4th page: not probed
    assert Inspection(pages).numbering_start(probe=4) == 3
    assert Inspection([PageFill(0, "1", 0.5, False)]).numbering_start() == 0


@pytest.mark.libreoffice
def test_raw_character_boxes_are_the_wrappers_boxes(example_build: tuple[Path, object]) -> None:
    import pypdfium2 as pdfium

    _out, result = example_build
    for r in result.documents:  # type: ignore[attr-defined]
        printed = read_printed_text(r.pdf)
        document = pdfium.PdfDocument(str(r.pdf))
        try:
            assert len(printed.pages) == len(document) > 5
            for index, page in enumerate(printed.pages):
                textpage = document[index].get_textpage()
                count = textpage.count_chars()
                assert textpage.get_text_range(0, count) == page.text  # the example: all in the BMP
                expected = tuple(textpage.get_charbox(k, loose=True) for k in range(count))
                assert page.boxes == expected, (r.pdf.name, index)
                assert len(page.sizes) == count and all(s > 0 for s in page.sizes if s)
        finally:
            document.close()
