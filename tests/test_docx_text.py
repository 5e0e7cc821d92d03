"""`chanjiao textconv`: a .docx's text for git diff, in reading order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from docx import Document
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.shared import Cm

from generator.docx_text import docx_text


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
    exe = Path(sys.executable).parent / "chanjiao"
    doc = Document()
    doc.add_paragraph("联合体名称")
    good = tmp_path / "a.docx"
    doc.save(str(good))
    done = subprocess.run([str(exe), "textconv", str(good)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "联合体名称\n"
    bad = tmp_path / "b.docx"
    bad.write_text("not a zip", encoding="utf-8")
    done = subprocess.run([str(exe), "textconv", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3 and "无法读取 Word 文档" in done.stderr and "Traceback" not in done.stderr
