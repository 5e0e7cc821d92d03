"""The 推荐书 PDF read back: what a reviewer sees on each page (text, positions, page numbers, fill).

The .docx tests (test_recommendation.py) prove every label and value is in the document; these prove
LibreOffice prints them: no punctuation lost at line ends, a cover that fits its page, page numbers
where GB/T 9704 puts them, and tables whose every page tells the reader which table, group and year
a cell belongs to. Positions come from poppler's `pdftotext -bbox-layout` (poppler-utils is one of
the CI system packages), in PostScript points from the top-left corner of the page.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from ooxml import w

from generator.content import load_application
from generator.convert import convert_to_pdf
from generator.documents import RECOMMENDATION
from generator.pdf import printed_numbering_start
from generator.pipeline import render_documents

EXAMPLE = Path(__file__).resolve().parent.parent / "content"
MM = 72 / 25.4  # points
PAGE_H = 841.9
# The 推荐书's text block (GB/T 9704 margins, as the template sets them).
TOP, BOTTOM, LEFT, RIGHT = 37 * MM, PAGE_H - 35 * MM, 28 * MM, 595.3 - 26 * MM
PUNCTUATION = "、，。；：！？“”（）《》"

pytestmark = pytest.mark.libreoffice


@dataclass(frozen=True)
class Line:
    """One printed line: its text without spaces and its box in points (top-left origin)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Printed:
    """A rendered 推荐书 and its PDF, read back page by page."""

    docx: Path
    pdf: Path
    pages: list[list[Line]]

    def page_text(self, index: int) -> str:
        return "".join(line.text for line in self.pages[index])

    def body_lines(self, index: int) -> list[Line]:
        """The lines inside the text block (not the footer's page number)."""
        return [ln for ln in self.pages[index] if ln.y1 <= BOTTOM + 2]

    def footer_lines(self, index: int) -> list[Line]:
        return [ln for ln in self.pages[index] if ln.y0 > BOTTOM + 2]


def read_lines(pdf: Path) -> list[list[Line]]:
    """Every page's lines with their boxes, from `pdftotext -bbox-layout`."""
    out = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True, timeout=60
    ).stdout
    root = etree.fromstring(out, etree.XMLParser(recover=True, huge_tree=True))
    pages = []
    for page in root.iter("{*}page"):
        lines = []
        for line in page.iter("{*}line"):
            words = "".join(wd.text or "" for wd in line.iter("{*}word"))
            box = [float(line.get(k, "0")) for k in ("xMin", "yMin", "xMax", "yMax")]
            lines.append(Line(words, *box))
        pages.append(lines)
    return pages


def print_recommendation(root: Path, out_dir: Path) -> Printed:
    """Render the 推荐书 of the content repo at `root` as `chanjiao build` does, then print it."""
    app, _diagnostics = load_application(root)
    (docx,) = render_documents(app, out_dir, (RECOMMENDATION,))
    (pdf,) = convert_to_pdf([docx], out_dir, fonts_dir=None, timeout=180)
    return Printed(docx, pdf, read_lines(pdf))


def docx_text(docx: Path) -> str:
    """Everything the document body and its footnotes say, as written in the .docx."""
    import zipfile

    with zipfile.ZipFile(docx) as z:
        parts = [etree.fromstring(z.read(name)) for name in ("word/document.xml", "word/footnotes.xml")]
    return "".join(t.text or "" for part in parts for t in part.iter(w("t")))


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> Printed:
    return print_recommendation(EXAMPLE, tmp_path_factory.mktemp("rec-layout"))


# -- 1. every character of the .docx is printed ----------------------------------------------------


def test_no_punctuation_is_lost(example: Printed) -> None:
    # LibreOffice hangs a line-final mark into the margin and may not draw it unless the document
    # says w:overflowPunct; only counting the marks on both sides shows the loss.
    written = Counter(ch for ch in docx_text(example.docx) if ch in PUNCTUATION)
    printed = Counter(ch for page in range(len(example.pages)) for ch in example.page_text(page) if ch in PUNCTUATION)
    assert written and printed == written
    assert "明确时间、内容、结果" in "".join(example.page_text(p) for p in range(len(example.pages)))


# -- 3. page numbers (GB/T 9704: "— 1 —", 四号, odd right / even left one character in) ------------

ONE_CHAR = 14.0  # 四号 in points


def test_cover_unnumbered_and_the_instructions_page_is_one(example: Printed) -> None:
    assert "市域产教联合体推荐书" in example.page_text(0)
    assert example.footer_lines(0) == []
    assert "说明" in example.page_text(1)
    for index in range(1, len(example.pages)):
        (footer,) = example.footer_lines(index)
        assert footer.text == f"—{index}—", index
    # The package's page labels count from the page printing "— 1 —".
    assert printed_numbering_start(example.pdf) == 1


def test_page_numbers_sit_where_gbt_9704_puts_them(example: Printed) -> None:
    for index in range(1, len(example.pages)):
        (footer,) = example.footer_lines(index)
        assert abs(footer.y0 - (BOTTOM + 7 * MM)) < 1.5 * MM, (index, footer)  # the line's top 7 mm below
        assert abs((footer.y1 - footer.y0) - 18.2) < 3  # 四号 digits and dashes, not 五号 or 三号
        if index % 2:  # odd pages: right, one character in
            assert abs(footer.x1 - (RIGHT - ONE_CHAR)) < 2, (index, footer)
        else:
            assert abs(footer.x0 - (LEFT + ONE_CHAR)) < 2, (index, footer)
