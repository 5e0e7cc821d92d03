"""The layout report, on documents built to show each fault and on their fault-free twins.

Each document is made with python-docx, converted by the real LibreOffice and read back; a
warning must appear for the faulty one and not for its twin.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_BREAK
from docx.oxml import parse_xml
from docx.shared import Cm, Pt

from generator.pdf.layout import UNDERFULL, Inspection, inspect_pdf

pytestmark = pytest.mark.libreoffice

LINE = "产教联合体建设方案正文，一行文字。"


def _new() -> Document:  # type: ignore[valid-type]
    doc = Document()
    doc.styles["Normal"].font.size = Pt(12)
    return doc


def _table(doc: Document, widths_cm: list[float], rows: list[list[str]]) -> None:  # type: ignore[valid-type]
    table = doc.add_table(rows=len(rows), cols=len(widths_cm))
    table.style = "Table Grid"
    table.autofit = False
    for c, width in enumerate(widths_cm):
        table.columns[c].width = Cm(width)
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            cell = table.cell(r, c)
            cell.width = Cm(widths_cm[c])
            lines = text.split("\n")
            cell.text = lines[0]
            for extra in lines[1:]:
                cell.add_paragraph(extra)


def split_row() -> Document:  # type: ignore[valid-type]
    doc = _new()
    for _ in range(10):
        doc.add_paragraph(LINE)
    # Longer than a page: the row must split, wherever the table starts.
    _table(doc, [3, 12], [["序号", "内容"], ["1", TALL_LIST]])
    return doc


def _row_near_the_foot(cell: str, keep_whole: bool) -> Document:  # type: ignore[valid-type]
    doc = _new()
    for _ in range(20):  # about 24 lines fill a page: the row starts near its foot
        doc.add_paragraph(LINE)
    _table(doc, [3, 12], [["序号", "内容"], ["1", cell]])
    if keep_whole:
        doc.tables[0].rows[1]._tr.get_or_add_trPr().append(
            parse_xml('<w:cantSplit xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>')
        )
    return doc


#: Seventy lines: taller than a page, wherever the row starts.
TALL_LIST = "\n".join(f"第{n}行单元格文字" for n in range(70))
#: Ten short lines, no sentence: a list that would fit on one page.
SHORT_LIST = "\n".join(f"重庆第{n}号零部件有限公司" for n in range(10))
#: Ten lines of running prose.
SHORT_PROSE = "\n".join(f"第{n}段：联合体成员单位共建专业和课程，开展联合培养。" for n in range(10))


def whole_rows() -> Document:  # type: ignore[valid-type]
    doc = _new()
    for _ in range(10):
        doc.add_paragraph(LINE)
    _table(doc, [3, 12], [["序号", "内容"], *[[str(n), f"第{n}行"] for n in range(3)]])
    return doc


def _filler_then_heading(break_before: bool) -> Document:  # type: ignore[valid-type]
    doc = _new()
    for _ in range(20):  # about 24 lines fill a page
        doc.add_paragraph(LINE)
    heading = doc.add_heading("三、建设内容与举措", level=1)
    heading.paragraph_format.keep_with_next = False
    follow = doc.add_paragraph("紧随标题的正文。")
    follow.paragraph_format.page_break_before = break_before
    for _ in range(5):
        doc.add_paragraph(LINE)
    return doc


def short_page(section_break: bool) -> Document:  # type: ignore[valid-type]
    doc = _new()
    for _ in range(3):
        doc.add_paragraph(LINE)
    if section_break:
        doc.add_section(WD_SECTION.NEW_PAGE)
    else:
        doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    for _ in range(30):  # a full page, then a short last page (never warned)
        doc.add_paragraph(LINE)
    return doc


def tokens(broken: bool) -> Document:  # type: ignore[valid-type]
    doc = _new()
    if broken:
        # 2.5 cm cannot hold the phone number or the date on one line; the name fits one line of
        # its 6 cm cell but starts after other text, so it wraps in the middle.
        _table(doc, [2.5, 6.0], [["023-64413701", "甲乙丙丁戊己、重庆云岭职业技术学院"], ["2024年12月", "说明"]])
    else:
        _table(doc, [6.0, 6.0], [["023-64413701", "重庆云岭职业技术学院"], ["2024年12月", "说明"]])
    return doc


def rare_characters() -> Document:  # type: ignore[valid-type]
    doc = _new()
    doc.add_paragraph(RARE)
    return doc


#: Beyond the BMP (𠮷, two UTF-16 units in the PDF's text) and the names and units of the large application.
RARE = "𠮷野家与陈镕、王堃、李喆、张昇，面积 260㎡。"

def tokens_vertical() -> Document:  # type: ignore[valid-type]
    from docx.oxml import parse_xml

    doc = _new()
    _table(doc, [6.0, 6.0], [["重庆云岭职业技术学院", "023-64413701"]])
    # Without a height LibreOffice gives the row none and prints no text at all (the read-back
    # reports every character lost).
    doc.tables[0].rows[0].height = Cm(8)
    for cell in doc.tables[0].rows[0].cells:
        cell._tc.get_or_add_tcPr().append(
            parse_xml('<w:textDirection xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:val="tbRl"/>')
        )
    return doc


DOCUMENTS = {
    "tokens_vertical": tokens_vertical,
    "rare": rare_characters,
    "split_row": split_row,
    "whole_rows": whole_rows,
    "short_list_split": lambda: _row_near_the_foot(SHORT_LIST, False),
    "short_prose_split": lambda: _row_near_the_foot(SHORT_PROSE, False),
    "kept_whole_split": lambda: _row_near_the_foot(TALL_LIST, True),
    "orphan": lambda: _filler_then_heading(True),
    "heading_kept": lambda: _filler_then_heading(False),
    "short_page": lambda: short_page(False),
    "short_section": lambda: short_page(True),
    "tokens_broken": lambda: tokens(True),
    "tokens_whole": lambda: tokens(False),
}


@pytest.fixture(scope="module")
def inspected(tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> dict[str, Inspection]:
    """Every test document converted in one LibreOffice run and inspected."""
    from generator.pdf.convert import convert_to_pdf

    out = tmp_path_factory.mktemp("layout")
    paths = []
    for name, make in DOCUMENTS.items():
        path = out / f"{name}.docx"
        make().save(str(path))
        paths.append(path)
    convert_to_pdf(paths, out, soffice=libreoffice)
    return {p.stem: inspect_pdf("测试", p, p.with_suffix(".pdf")) for p in paths}


def codes(inspection: Inspection, code: str) -> list[str]:
    return [d.message for d in inspection.diagnostics if d.code == code]


def test_the_documents_read_back_whole(inspected: dict[str, Inspection]) -> None:
    for name, inspection in inspected.items():
        assert [d.message for d in inspection.diagnostics if d.code.startswith("readback")] == [], name


def test_characters_beyond_the_bmp_read_back_as_one_character(inspected: dict[str, Inspection], tmp_path_factory: pytest.TempPathFactory) -> None:
    from generator.pdf.reader import read_printed_text

    assert inspected["rare"].diagnostics == []
    pdf = next(Path(str(tmp_path_factory.getbasetemp())).glob("layout*/rare.pdf"))
    printed = read_printed_text(pdf).pages[0]
    assert "𠮷" in printed.text and "\ud842" not in printed.text
    assert len(printed.boxes) == len(printed.text)


def _split_message(inspection: Inspection) -> tuple[str, list[int], bool]:
    found = [d for d in inspection.diagnostics if d.code == "layout-row-split"]
    assert len(found) == 1, [d.message for d in inspection.diagnostics]
    d = found[0]
    assert d.severity.value == "warning"
    return d.message, d.extra["pages"], bool(d.extra["kept_whole"])  # type: ignore[return-value]


def test_a_short_row_split_over_pages_is_warned_with_both_pages(inspected: dict[str, Inspection]) -> None:
    # Ten names near the foot of a page: the row would fit on the next page whole.
    message, (first, last), kept = _split_message(inspected["short_list_split"])
    assert last == first + 1 and not kept
    assert message == f"测试 第 {first} 页：表格的一行跨页断开，续至第 {last} 页（该行不足一页，本可整行排在一页上）：“1重庆第0号零部件有限公司重庆第…”"
    assert codes(inspected["whole_rows"], "layout-row-split") == []


def test_a_row_kept_whole_that_splits_is_warned_even_when_taller_than_a_page(inspected: dict[str, Inspection]) -> None:
    message, (first, last), kept = _split_message(inspected["kept_whole_split"])
    assert kept and last > first
    assert "（该行设为不跨页断开）" in message


def test_running_prose_and_a_row_taller_than_a_page_may_split(inspected: dict[str, Inspection]) -> None:
    # Both rows really are printed on two pages (the table ends the document: whatever the second
    # page prints is the rest of the row); neither is a fault.
    for name in ("short_prose_split", "split_row"):
        inspection = inspected[name]
        assert codes(inspection, "layout-row-split") == [], name
        assert len(inspection.pages) >= 2 and all(p.fill > 0 for p in inspection.pages[:2]), name


def test_a_heading_alone_at_the_foot_of_a_page_is_warned(inspected: dict[str, Inspection]) -> None:
    assert codes(inspected["orphan"], "layout-heading-orphan") == [
        "测试 第 1 页：标题“三、建设内容与举措”单独留在页面底部，其后的内容从下一页开始"
    ]
    assert codes(inspected["heading_kept"], "layout-heading-orphan") == []


def test_a_short_page_is_warned_unless_a_section_break_or_the_end_follows(inspected: dict[str, Inspection]) -> None:
    short = inspected["short_page"]
    assert len(short.pages) == 3 and short.pages[0].fill < UNDERFULL and short.pages[-1].fill < UNDERFULL
    found = codes(short, "layout-underfull")
    assert len(found) == 1 and found[0].startswith("测试 第 1 页：页面只用了版心高度的 ")
    assert short.pages[1].fill > 0.9  # a full page reads as full
    section = inspected["short_section"]
    assert len(section.pages) == 3 and section.pages[0].fill < UNDERFULL
    assert codes(section, "layout-underfull") == []


def test_names_and_numbers_broken_inside_table_cells_are_warned(inspected: dict[str, Inspection]) -> None:
    found = sorted(codes(inspected["tokens_broken"], "layout-broken-token"))
    assert found == sorted(
        [
            "测试 第 1 页：表格中的电话号码“023-64413701”被分在两行",
            "测试 第 1 页：表格中的日期“2024年12月”被分在两行",
            "测试 第 1 页：表格中的单位名称“重庆云岭职业技术学院”被分在两行",
        ]
    )
    assert codes(inspected["tokens_whole"], "layout-broken-token") == []


def test_vertical_text_in_a_cell_is_not_a_broken_name(inspected: dict[str, Inspection]) -> None:
    # Top-to-bottom text prints each character on its own line: that is the design, not a break.
    assert inspected["tokens_vertical"].diagnostics == []


def test_the_inspection_survives_the_state_file(inspected: dict[str, Inspection]) -> None:
    import json

    original = inspected["tokens_broken"]
    again = Inspection.from_state(json.loads(json.dumps(original.to_state())))
    assert [d.message for d in again.diagnostics] == [d.message for d in original.diagnostics]
    assert [(p.page, round(p.fill, 3)) for p in again.pages] == [(p.page, round(p.fill, 3)) for p in original.pages]


def test_a_cell_of_clauses_without_a_full_stop_is_running_prose_and_a_list_of_names_is_not() -> None:
    from generator.core.unitnames import is_running_prose, unit_names
    from generator.form.declaration import load_form

    wording = load_form().indicator("1.1").text  # 附件2's wording ends without 。
    assert is_running_prose(wording) and unit_names(wording) == []
    names = "重庆云岭智能汽车零部件产业园区、重庆云岭职业技术学院、重庆市云岭区教育委员会"
    assert not is_running_prose(names) and len(unit_names(names)) == 3
    assert not is_running_prose("共建专业：9 → 12个")
