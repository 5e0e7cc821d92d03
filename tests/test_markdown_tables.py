"""Markdown tables of the plan: column widths from their content, names kept on one line, rows
kept whole, the header repeated; read back from the .docx and from a real PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLE
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from lxml import etree
from ooxml import NS
from test_fonts import template_document

from generator.core.nobreak import WORD_JOINER, strip_joiners
from generator.model import Location, Prose, Span, Table
from generator.pdf.layout import Inspection, inspect_pdf
from generator.word import blocks as docx_blocks
from generator.word.documents import PLAN, templates_dir

LOC = Location("建设方案/4-建设计划.md", 17, 1)
NAME = "重庆云岭产教融合发展有限公司"
HEADER = ("时间节点", "重点任务", "责任单位")
#: The name after 0…12 characters of other text: in some row it reaches the end of a line
#: wherever it could break. The middle column holds prose, so the table cannot give every
#: column all it would need on one line.
ROWS = tuple(
    (f"2025年{k % 12 + 1}月", "实践中心建成投用，开展中期评估和年度绩效考核", "甲" * k + "处、" + NAME) for k in range(13)
)


def _cells(texts: tuple[str, ...]) -> tuple[tuple[Span, ...], ...]:
    return tuple((Span(t),) for t in texts)


def _table_xml(example_root: Path, rows: tuple[tuple[str, ...], ...] = ROWS) -> etree._Element:
    from generator.content.loader import load_application

    app, _diagnostics = load_application(example_root)
    table = Table(_cells(HEADER), tuple(_cells(r) for r in rows), LOC)
    prose = Prose(app.form.file("plan_schedule"), (table,), LOC)
    tpl = DocxTemplate(str(templates_dir() / PLAN.template))
    xml = str(docx_blocks.prose_writer(app)(tpl, prose))
    body = etree.fromstring(f'<w:body xmlns:w="{NS["w"]}" xmlns:r="{NS["r"]}">{xml}</w:body>')
    tbl = body.find(qn("w:tbl"))
    assert tbl is not None
    return tbl


def _text(el: etree._Element) -> str:
    return "".join(t.text or "" for t in el.iter(qn("w:t")))


def test_columns_get_widths_from_their_content(example_root: Path) -> None:
    tbl = _table_xml(example_root)
    grid = [int(c.get(qn("w:w"))) for c in tbl.find(qn("w:tblGrid")).findall(qn("w:gridCol"))]
    half_em = docx_blocks._half_em(template_document(), docx_blocks._Styles(template_document(), "").get("CJ表格文字"))
    chars = [w / half_em / 2 for w in grid]  # full-width characters per column, cell margins included
    # The dates get what they need (“2025年12月”: 4 + 3 + 1 half-width … about 5½ characters) and
    # not much more; the names' column is wide enough for the name on one line.
    assert 5.5 <= chars[0] <= 7.5, chars
    assert chars[2] >= len(NAME) + 1, chars
    assert chars[2] > chars[1] > 4, chars  # the prose wraps; its header does not
    assert all(int(tc.find(f"{qn('w:tcPr')}/{qn('w:tcW')}").get(qn("w:w"))) == grid[c]
               for tr in tbl.findall(qn("w:tr")) for c, tc in enumerate(tr.findall(qn("w:tc"))))


def test_every_row_is_kept_whole_and_the_header_repeats(example_root: Path) -> None:
    trs = _table_xml(example_root).findall(qn("w:tr"))
    assert len(trs) == 1 + len(ROWS)
    assert all(tr.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None for tr in trs)
    assert [tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None for tr in trs] == [True] + [False] * len(ROWS)


def test_a_name_that_fits_is_glued_and_the_text_is_unchanged(example_root: Path) -> None:
    trs = _table_xml(example_root, ROWS[:2] + (("2026年", "总结", "甲" * 40 + "有限公司"),)).findall(qn("w:tr"))
    for tr, row in zip(trs[1:], ROWS[:2] + (("2026年", "总结", "甲" * 40 + "有限公司"),), strict=True):
        cells = tr.findall(qn("w:tc"))
        assert [strip_joiners(_text(tc)) for tc in cells] == list(row)
    glued = _text(trs[1].findall(qn("w:tc"))[2])
    assert WORD_JOINER.join(NAME) in glued and "处、" in glued.replace(WORD_JOINER, "") and f"处{WORD_JOINER}、" not in glued
    # A name longer than its column wraps anyway: left as written.
    assert WORD_JOINER not in _text(trs[3].findall(qn("w:tc"))[2])


# -- the PDF ---------------------------------------------------------------------------------------


def _document(example_root: Path, path: Path) -> None:
    doc = template_document()
    tbl = _table_xml(example_root)
    doc.element.body.insert(0, tbl)
    docx_blocks.split_runs_by_script(doc)
    doc.save(str(path))


@pytest.fixture(scope="module")
def table_pdfs(tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> tuple[Inspection, Inspection]:
    """The table as written, and the same with no name glued (the control: names must break)."""
    from generator.pdf.convert import convert_to_pdf

    tmp = tmp_path_factory.mktemp("mdtables")
    _document(EXAMPLE, tmp / "glued.docx")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(docx_blocks, "_glue_names", lambda spans, room: spans)
        _document(EXAMPLE, tmp / "plain.docx")
    convert_to_pdf([tmp / "glued.docx", tmp / "plain.docx"], tmp, soffice=libreoffice)
    return (inspect_pdf("建设方案", tmp / "glued.docx", tmp / "glued.pdf"), inspect_pdf("建设方案", tmp / "plain.docx", tmp / "plain.pdf"))


@pytest.mark.libreoffice
def test_names_stay_on_one_line_of_their_cell(table_pdfs: tuple[Inspection, Inspection]) -> None:
    glued, plain = table_pdfs
    assert [d.message for d in glued.diagnostics] == []
    # The sweep does reach the line ends: without the joiners the name is cut in several rows.
    broken = [d for d in plain.diagnostics if d.code == "layout-broken-token" and d.extra["token"] == NAME]
    assert len(broken) >= 3, [d.message for d in plain.diagnostics]
    assert not any(d.code.startswith("readback") for d in plain.diagnostics)
