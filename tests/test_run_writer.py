"""The prose writer's runs are the XML python-docx writes for the same run (it writes them itself,
faster): text, tabs, line breaks, spaces kept, character style, bold, italic, glued language."""

from __future__ import annotations

import itertools

import pytest
from lxml import etree

CASES = ["重庆云岭", " 前后有空格 ", "a\tb", "第一行\n第二行\r第三行", "\t", "结尾换行\n", "2024", "\u3000全角空格"]


@pytest.mark.parametrize("text", CASES)
def test_a_run_is_written_as_python_docx_writes_it(text: str) -> None:
    from docx import Document

    from generator.word.blocks import _add_run, _tag_glued

    document = Document()
    for style, bold, italic, glued in itertools.product((None, "CJ西文"), (False, True), (False, True), (False, True)):
        ours, theirs = document.add_paragraph(), document.add_paragraph()
        _add_run(ours._p, text, style, bold, italic, glued)
        run = theirs.add_run(text)
        if style:
            run._r.style = style
        if bold:
            run.bold = True
        if italic:
            run.italic = True
        if glued:
            _tag_glued(run._r.get_or_add_rPr())
        assert etree.tostring(ours._p) == etree.tostring(theirs._p), (text, style, bold, italic, glued)
