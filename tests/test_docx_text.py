"""`chanjiao textconv`: a .docx's text for git diff, in reading order."""

from __future__ import annotations

from pathlib import Path

from conftest import run_chanjiao
from docx import Document
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.shared import Cm

from generator.word.text import docx_text


def test_paragraphs_tables_and_tabs_read_back_in_order(tmp_path: Path) -> None:
    doc = Document()
    p = doc.add_paragraph("第一段")
    p.paragraph_format.tab_stops.add_tab_stop(Cm(3), WD_TAB_ALIGNMENT.LEFT)  # a tab stop is not text
    doc.add_paragraph().add_run("甲\t乙")
    table = doc.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "单元格1"
    table.cell(0, 1).text = "R&D 2024"
    path = tmp_path / "t.docx"
    doc.save(str(path))
    assert docx_text(path) == "第一段\n甲\t乙\n单元格1 | R&D 2024"


def test_textconv_command_prints_the_text_and_refuses_a_non_docx(tmp_path: Path) -> None:
    doc = Document()
    doc.add_paragraph("联合体名称")
    good = tmp_path / "a.docx"
    doc.save(str(good))
    done = run_chanjiao("textconv", str(good))
    assert done.returncode == 0 and done.stdout == "联合体名称\n"
    bad = tmp_path / "b.docx"
    bad.write_text("not a zip", encoding="utf-8")
    done = run_chanjiao("textconv", str(bad))
    assert done.returncode == 3 and "无法读取 Word 文档" in done.stderr and "Traceback" not in done.stderr


def test_word_joiners_and_no_break_hyphens_read_as_written(tmp_path: Path) -> None:
    # What the 推荐书 stores for a glued phone number and figure: joiners between the characters,
    # a no-break hyphen element. textconv (git diff) shows the text as the user wrote it.
    from docx.oxml import parse_xml

    from generator.core.nobreak import WORD_JOINER, glue_tokens

    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    glued, _spans = glue_tokens("联系电话023-63316958，经费356.7万元，2024年6月12日")
    assert WORD_JOINER in glued
    doc = Document()
    doc.add_paragraph(glued)
    p = doc.add_paragraph()
    p._p.append(parse_xml(f"<w:r {ns}><w:t>023\u2060</w:t><w:noBreakHyphen/><w:t>64413701</w:t></w:r>"))
    table = doc.add_table(rows=1, cols=1)
    table.cell(0, 0).text = glued
    path = tmp_path / "j.docx"
    doc.save(str(path))
    text = docx_text(path)
    assert WORD_JOINER not in text
    written = "联系电话023-63316958，经费356.7万元，2024年6月12日"
    assert text == f"{written}\n023-64413701\n{written}"
