"""A build reads each PDF it makes once, and what it then finds in it is what a fresh read finds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE


def test_each_pdf_is_read_once_per_build(tmp_path: Path, libreoffice: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read-back, the layout report and the 自评表's page map share one extraction per PDF."""
    import generator.pdf.reader as reader
    from generator.pipeline import build

    real = reader.read_printed_text
    opened: list[str] = []

    def counting(path: Path, **kwargs: bool) -> reader.PrintedText:
        opened.append(path.name)
        return real(path, **kwargs)

    monkeypatch.setattr(reader, "read_printed_text", counting)
    monkeypatch.setattr("generator.pdf.readback.read_printed_text", counting)
    monkeypatch.setattr("generator.pdf.pagemap.read_printed_text", counting)
    root = tmp_path / "content"
    shutil.copytree(EXAMPLE, root)
    result = build(root, tmp_path / "out", pdf=True)
    pdfs = sorted(r.pdf.name for r in result.documents if r.pdf is not None)
    assert len(pdfs) == 3  # 建设方案, 推荐书, 自评表
    assert sorted(opened) == pdfs
    assert result.evidence_pages  # the example's tags were found, from the read-back's pages
    assert all(page > 0 for _doc, page in result.evidence_pages.values())


def test_page_map_from_the_read_back_equals_a_fresh_read(example_build: tuple[Path, object]) -> None:
    """The pages the read-back kept give every anchor the page a new read of the PDF gives."""
    from generator.pdf.layout import inspect_pdf
    from generator.pdf.pagemap import page_map, printed_pages
    from generator.pdf.reader import read_printed_text

    out, _result = example_build
    for pdf in sorted(out.glob("*.pdf")):
        docx = pdf.with_suffix(".docx")
        if not docx.is_file():
            continue  # the package
        kept = inspect_pdf(pdf.stem, docx, pdf).printed
        fresh = read_printed_text(pdf, images=False).pages
        assert page_map(kept) == page_map(fresh)
        text = page_map(fresh).text
        anchors = [text[n : n + 16] for n in range(0, len(text), 97)]  # spread over every page
        found = printed_pages(pdf, anchors)
        assert printed_pages(pdf, anchors, kept) == found
        assert sum(p is not None for p in found) > len(found) // 2  # most pages print a number: a real comparison
