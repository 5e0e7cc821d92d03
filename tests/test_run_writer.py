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


def test_a_text_the_finishing_pass_skips_is_one_chinese_piece() -> None:
    """split_runs_by_script leaves a run alone without asking run_segments when its text has no
    character below U+2000, no digit and no joiner: run_segments would find nothing Latin and
    nothing glued there. Checked over every character of the example and hand-picked ones."""
    import random

    from generator.word.blocks import _MAY_SPLIT, run_segments
    from tests.conftest import EXAMPLE

    pool = sorted({ch for p in EXAMPLE.rglob("*") if p.suffix in (".md", ".yaml") for ch in p.read_text(encoding="utf-8")})
    pool += list("\u3000２０２４年月日％㎡①☑—…“”（）《》、，。：；万元人次\u2011\u00a0")
    rng = random.Random(13)
    skipped = 0
    for _n in range(20000):
        text = "".join(rng.choice(pool) for _k in range(rng.randint(1, 12)))
        if _MAY_SPLIT.search(text):
            continue
        skipped += 1
        assert all(not latin and not glued for _piece, latin, glued in run_segments(text)), text
    assert skipped > 100  # the pool holds enough Chinese text to test the skip
    # and texts that run_segments does cut or glue are never skipped
    for text in ("２０２４年６月", "５０万元", "单位\u2060名称", "ab", "中文3人"):
        assert any(latin or glued for _piece, latin, glued in run_segments(text)), text
        assert _MAY_SPLIT.search(text), text
