"""The 推荐书 PDF read back: what a reviewer sees on each page (text, positions, page numbers, fill).

The .docx tests (test_recommendation.py) prove every label and value is in the document; these prove
LibreOffice prints them: no punctuation lost at line ends, a cover that fits its page, page numbers
where GB/T 9704 puts them, and tables whose every page tells the reader which table, group and year
a cell belongs to. Positions come from poppler's `pdftotext -bbox-layout` (poppler-utils is one of
the CI system packages), in PostScript points from the top-left corner of the page.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import EXAMPLE
from lxml import etree
from ooxml import w

from generator.content.loader import load_application
from generator.pdf.convert import convert_to_pdf
from generator.pdf.reader import printed_numbering_start
from generator.pipeline import render_documents
from generator.word.documents import RECOMMENDATION

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
    root: Path

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
    return Printed(docx, pdf, read_lines(pdf), root)


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


# -- 2. the cover --------------------------------------------------------------------------------------

LABEL_COL, VALUE_COL = 1800 / 20, 5645 / 20  # the cover table's columns, points
SEVENTY = "重庆渝东南智能网联新能源汽车关键零部件与高端装备制造产业链链主企业集团股份有限公司暨产教融合实训基地运营管理中心（云岭区高级技工学校一分部）"


def _longest_tail(line: str, name: str) -> int:
    n = 0
    while n < min(len(line), len(name)) and line[-1 - n] == name[-1 - n]:
        n += 1
    return n


def check_cover(printed: Printed, lead_units: list[str]) -> None:
    """The cover is one page; each lead unit ends on the line of its own （公章）; values keep their column."""
    cover = printed.pages[0]
    assert "填表日期" in printed.page_text(0) and "说明" not in printed.page_text(0)
    assert printed.page_text(1).startswith("说明")
    seals = [ln for ln in cover if ln.text == "（公章）"]
    assert len(seals) == 2 + len(lead_units)  # 推荐区县, 牵头园区, then one per lead unit
    value_right = LEFT + LABEL_COL + VALUE_COL
    first_value = next(i for i, ln in enumerate(cover) if ln.text.startswith("联合体名称"))
    for ln in cover[first_value:]:
        if ln.text == "（公章）":
            assert ln.x0 >= value_right - 1, ln
        else:
            assert ln.x1 <= value_right + 1, ln  # a wrapped value stays in its column
    for unit in lead_units:
        last = max(cover[first_value:], key=lambda ln: _longest_tail(ln.text, unit))
        assert _longest_tail(last.text, unit) >= 2, unit
        assert any(abs(seal.y0 - last.y0) < 1 for seal in seals), (unit, last)


def test_example_cover(example: Printed) -> None:
    from generator.content.loader import load_application as load

    app, _ = load(EXAMPLE)
    basics = app.values
    schools = [v.value for v in basics["basics.lead_schools"].items]
    firms = [v.value for v in basics["basics.lead_enterprises"].items]
    check_cover(example, [*schools, *firms])


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> Printed:
    from large_app import make_large_application

    root = make_large_application(tmp_path_factory.mktemp("large-app") / "app")
    return print_recommendation(root, tmp_path_factory.mktemp("large-rec"))


def test_large_cover(large: Printed) -> None:
    from large_app import LEAD_ENTERPRISES, LEAD_SCHOOLS

    check_cover(large, [*LEAD_SCHOOLS, *LEAD_ENTERPRISES])


def test_cover_with_seventy_character_names_fits_one_page(tmp_path: Path, libreoffice: Path) -> None:
    from large_app import LEAD_ENTERPRISES, LEAD_SCHOOLS, NAME, make_large_application

    assert len(SEVENTY) == 70
    root = make_large_application(tmp_path / "app")
    basics = root / "基本信息.yaml"
    text = basics.read_text(encoding="utf-8")
    assert text.count(LEAD_ENTERPRISES[0]) == 1 and text.count(NAME) == 1
    basics.write_text(text.replace(LEAD_ENTERPRISES[0], SEVENTY).replace(NAME, SEVENTY[:67] + "联合体"),
                      encoding="utf-8")
    printed = print_recommendation(root, tmp_path / "out")
    check_cover(printed, [*LEAD_SCHOOLS, SEVENTY, LEAD_ENTERPRISES[1]])


# -- 4. tables: every page says which table, group and year; no page left mostly blank -------------

PART = re.compile(r"^[1-5]\.(联合体概况|服务能力|特色与创新|建设规划|申报承诺)")
CAPACITY_GROUPS = ("资源共建共享", "师资共建共享", "人才培养质量", "服务发展能力")
MEMBER_CATEGORY_COL = 1400 / 20  # points: the 组成 column of the members table
GROUP_COL = 1200 / 20  # points: the group column of a 2.服务能力 table


def text_lines(printed: Printed, index: int) -> list[Line]:
    """The page's body lines in 三号/表格 size: no footnotes (五号), no footer."""
    return [ln for ln in printed.body_lines(index) if ln.y1 - ln.y0 > 15]


def page_fill(printed: Printed, index: int) -> float:
    lines = text_lines(printed, index)
    return (max(ln.y1 for ln in lines) - TOP) / (BOTTOM - TOP) if lines else 0.0


def table_pages(printed: Printed) -> range:
    first = next(i for i in range(len(printed.pages)) if printed.page_text(i).startswith("1.联合体概况"))
    return range(first, len(printed.pages))


def header_of(printed: Printed, index: int) -> str:
    """What the top of a page tells the reader it continues: a part, or a table's repeated header."""
    lines = sorted(text_lines(printed, index), key=lambda ln: (round(ln.y0), ln.x0))
    if PART.match(lines[0].text):
        return lines[0].text
    # The top rows of the page (a header is at most two rows of two lines each).
    top = [ln for ln in lines if ln.y0 < lines[0].y0 + 45]
    joined = "".join(ln.text for ln in top)
    if "联合体成员情况" in joined and "组成" in joined and "单位名称" in joined:
        return "联合体成员情况"
    first_column = "".join(ln.text for ln in top if ln.x1 <= LEFT + 1780 / 20 + 1)
    for fixed in ("联合体已开展建设情况", "拟投入运行经费总额", "联合体企业情况"):
        if first_column.startswith(fixed) or lines[0].text.startswith(fixed):
            return fixed
    group = "".join(ln.text for ln in top if ln.x1 <= LEFT + GROUP_COL + 1)
    years = "".join(ln.text for ln in top if ln.x0 > LEFT + GROUP_COL)
    if group in CAPACITY_GROUPS and years.startswith("项目名称2023年2024年"):
        return group
    return ""


def check_tables(printed: Printed) -> None:
    pages = table_pages(printed)
    capacity_end = next(i for i in pages if "3.特色与创新" in printed.page_text(i))
    for index in pages:
        # Until 3.特色与创新 everything is a form table: each page starts with a part heading or
        # with the header rows of the table it continues (group label and year columns included).
        if index <= capacity_end:
            assert header_of(printed, index), (index, [ln.text for ln in text_lines(printed, index)[:6]])
        # A page ends mostly blank only where a part ends (the next page opens the next part).
        last = index == pages[-1]
        if not last and not PART.match(text_lines(printed, index + 1)[0].text):
            assert page_fill(printed, index) >= 0.40, (index, page_fill(printed, index))


def test_example_tables(example: Printed) -> None:
    check_tables(example)


def test_large_tables(large: Printed) -> None:
    from large_app import FIRM_COUNT

    check_tables(large)
    # 60 firms run over several pages: each of those pages repeats the members header and names
    # the category beside the firms.
    firm_pages = [i for i in table_pages(large)
                  if any(ln.text == "企业" and ln.x1 < LEFT + MEMBER_CATEGORY_COL for ln in text_lines(large, i))]
    assert len(firm_pages) >= 3
    for index in firm_pages:
        assert header_of(large, index) in ("联合体成员情况", "1.联合体概况")
    firm_rows = sum(1 for i in firm_pages for ln in text_lines(large, i)
                    if ln.x1 < LEFT + MEMBER_CATEGORY_COL and ln.text == "企业")
    assert firm_rows == FIRM_COUNT


def test_a_long_text_item_stays_on_one_page_with_its_label(large: Printed) -> None:
    # The 200-字 items print their label across the table, then a row per year: all three on one
    # page, so the reader of either text sees which item and which year it is.
    from generator.word.context import build_context

    app, _ = load_application(large.root)
    ctx = build_context(app)
    training, labels = ctx["capacity"]["training"], ctx["labels"]["capacity"]["training"]
    for key in ("supply_platform", "new_methods"):
        assert all(len(training[key][y]) >= 190 for y in ("y0", "y1"))  # at the limit: the tallest rows
        (page,) = [i for i in range(len(large.pages)) if labels[key] in large.page_text(i)]
        lines = text_lines(large, page)
        label_top = next(ln.y0 for ln in lines if ln.text.startswith(labels[key][:10]))
        # The year column below the label (pdftotext joins the year with its text's first line).
        years = [ln.text[:5] for ln in lines if ln.x0 < LEFT + 12 and ln.y0 > label_top]
        assert years[:2] == ["2023年", "2024年"], (key, page, years)
