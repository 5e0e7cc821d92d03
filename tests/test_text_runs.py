"""Runs of the finished documents: tokens no line may split (phone numbers, dates, figures with
units) stay whole in a real PDF, the .docx text is the content once the joiners are removed, and
lists number as the headings do."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from docx.oxml.ns import qn
from docx.shared import Twips
from lxml import etree
from ooxml import NS
from test_fonts import template_document

from generator.core.nobreak import WORD_JOINER, glue_tokens, strip_joiners
from generator.pdf.convert import convert_to_pdf
from generator.pdf.reader import read_pdf
from generator.word import blocks as docx_blocks
from generator.word.blocks import (
    GLUED_LANG,
    _half_em,
    heading_number,
    list_marker,
    run_segments,
    split_runs_by_script,
)

TOKENS = (
    "023-45678901",
    "13908316625",
    "2024年12月31日",
    "2024-06-03",
    "356.7万元",
    "96.5％",
    "260㎡",
    "12个",
    "3000人次",
)


# -- numbering -------------------------------------------------------------------------------------


def test_lists_number_as_the_headings_do() -> None:
    for n in (1, 2, 10):
        assert list_marker(True, 0, n) == heading_number(2, n) == f"{n}."
        assert list_marker(True, 1, n) == heading_number(3, n) == f"（{n}）"
    assert list_marker(True, 2, 1) == "①"
    assert "．" not in "".join(list_marker(True, d, n) for d in range(3) for n in range(1, 30))


# -- the joiners -----------------------------------------------------------------------------------


@pytest.mark.parametrize("token", tuple(t for t in TOKENS if not t.isdigit()) + ("0851-1234567-801", "139-0831-6625", "6月3日", "2024.6.3", "3,000人次", "1.5亿元"))
def test_each_token_is_glued_and_nothing_else_changes(token: str) -> None:
    text = f"联合体于{token}确认，另有说明。"
    glued, spans = glue_tokens(text)
    assert strip_joiners(glued) == text
    [(start, end)] = spans
    assert strip_joiners(glued[start:end]) == token
    # A joiner wherever a line could break inside the token, none outside it.
    inside = glued[start:end]
    pairs = zip(inside.replace(WORD_JOINER, ""), inside.replace(WORD_JOINER, "")[1:], strict=False)
    assert inside.count(WORD_JOINER) == sum(not (a.isascii() and a.isalnum() and b.isascii() and b.isalnum()) for a, b in pairs)
    assert WORD_JOINER not in glued[:start] + glued[end:]
    assert glue_tokens(glued)[0] == glued  # the finishing pass may see prose glued before


@pytest.mark.parametrize("text", ["第三部分共五项", "手机13908316625", "R&D投入", "电话号码待定", "12345678901234", "v1.2.3版本"])
def test_text_without_a_token_is_left_as_it_is(text: str) -> None:
    # A bare mobile number is all digits: no line-breaking rule splits it, so it needs no joiner.
    assert glue_tokens(text) == (text, [])


def test_glued_chinese_characters_are_their_own_runs() -> None:
    segments = [(strip_joiners(piece), latin, glued) for piece, latin, glued in run_segments("经费356.7万元整，")]
    assert segments == [("经费", False, False), ("356.7", True, False), ("万元", False, True), ("整，", False, False)]


# -- the .docx -------------------------------------------------------------------------------------


def _runs(paragraph: etree._Element) -> list[tuple[str, str | None, str | None]]:
    """(text, character style, East Asian language) of each run."""
    out = []
    for r in paragraph.iter(qn("w:r")):
        style = r.find(f"{qn('w:rPr')}/{qn('w:rStyle')}")
        lang = r.find(f"{qn('w:rPr')}/{qn('w:lang')}")
        out.append(
            (
                "".join(t.text or "" for t in r.iter(qn("w:t"))),
                None if style is None else style.get(qn("w:val")),
                None if lang is None else lang.get(qn("w:eastAsia")),
            )
        )
    return out


def test_the_finishing_pass_glues_template_runs_and_keeps_the_text() -> None:
    doc = template_document()
    text = "联系电话023-45678901，截至2024年12月31日到位经费356.7万元。"
    p = doc.add_paragraph(style="CJ正文")
    p.add_run(text).bold = True
    split_runs_by_script(doc)

    runs = _runs(p._p)
    assert strip_joiners("".join(t for t, _s, _l in runs)) == text
    latin_id = docx_blocks._Styles(doc, "").get(docx_blocks.LATIN)
    by_text = {strip_joiners(t): (s, lang) for t, s, lang in runs}
    assert by_text["023-45678901"] == (latin_id, None)
    assert by_text["万元"] == (None, GLUED_LANG)
    assert by_text["年"] == by_text["月"] == by_text["日"] == (None, GLUED_LANG)
    assert by_text["到位经费"] == (None, None)  # text outside tokens keeps the documents' zh-CN
    for r in p._p.iter(qn("w:r")):  # the run's own look survives the split
        assert r.find(f"{qn('w:rPr')}/{qn('w:b')}") is not None
        r_pr = [c.tag for c in r.find(qn("w:rPr"))]
        if qn("w:lang") in r_pr:  # schema order: w:lang after w:b
            assert r_pr.index(qn("w:lang")) > r_pr.index(qn("w:b"))


def test_prose_is_glued_when_it_is_written(example_root: Path) -> None:
    from docxtpl import DocxTemplate

    from generator.content.loader import load_application
    from generator.model import Location, Paragraph, Prose, Span
    from generator.word.documents import PLAN, templates_dir

    app, _diagnostics = load_application(example_root)
    loc = Location("建设方案/1-创建条件.md", 1, 1)
    text = "实训基地面积260㎡，培训3000人次。"
    prose = Prose(app.form.file("plan_conditions"), (Paragraph((Span(text),), loc),), loc)
    tpl = DocxTemplate(str(templates_dir() / PLAN.template))
    xml = str(docx_blocks.prose_writer(app)(tpl, prose))
    body = etree.fromstring(f'<w:body xmlns:w="{NS["w"]}" xmlns:r="{NS["r"]}">{xml}</w:body>')
    runs = _runs(body.find(qn("w:p")))
    assert strip_joiners("".join(t for t, _s, _l in runs)) == text
    assert [strip_joiners(t) for t, _s, lang in runs if lang == GLUED_LANG] == ["㎡", "人次"]


# -- the PDF ---------------------------------------------------------------------------------------


def _sweep_document(path: Path) -> None:
    """A one-column table of narrow cells: each token after 0…10 characters of padding, so that
    in some row it reaches the end of a line wherever it could break."""
    doc = template_document()
    style_id = docx_blocks._Styles(doc, "").get("CJ表格文字")
    em = 2 * _half_em(doc, style_id)  # twips
    width = 10 * em + 2 * 108  # ten characters and Word's default cell margins
    table = doc.add_table(rows=0, cols=1)
    table.autofit = False
    layout = table._tbl.tblPr.makeelement(qn("w:tblLayout"), {qn("w:type"): "fixed"})
    table._tbl.tblPr.append(layout)
    table._tbl.tblGrid.findall(qn("w:gridCol"))[0].set(qn("w:w"), str(width))
    for token in TOKENS:
        for k in range(11):
            cell = table.add_row().cells[0]
            cell.width = Twips(width)
            p = cell.paragraphs[0]
            p.style = doc.styles.get_by_id(style_id, 1)  # WD_STYLE_TYPE.PARAGRAPH
            p.add_run("甲" * k + token + "乙" * 10)  # one run, as a template value arrives
    split_runs_by_script(doc)
    doc.save(str(path))


@pytest.fixture(scope="module")
def sweep_pdfs(tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> tuple[Path, Path]:
    """The sweep glued, and the same without joiners (the control: it must show breaks)."""
    tmp = tmp_path_factory.mktemp("sweep")
    _sweep_document(tmp / "glued.docx")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(docx_blocks, "glue_tokens", lambda text: (text, []))
        docx_blocks.run_segments.cache_clear()  # the segments are kept per text: made again unglued
        _sweep_document(tmp / "plain.docx")
    docx_blocks.run_segments.cache_clear()
    glued, plain = convert_to_pdf([tmp / "glued.docx", tmp / "plain.docx"], tmp)
    return glued, plain


def _lines(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return ["".join(strip_joiners(line).split()) for line in out.splitlines() if line.strip()]


def _whole(lines: list[str], token: str) -> int:
    return sum(token in line for line in lines)


@pytest.mark.libreoffice
def test_tokens_stay_whole_at_every_line_end(sweep_pdfs: tuple[Path, Path]) -> None:
    glued, plain = sweep_pdfs
    lines = _lines(glued)
    broken = {token: 11 - _whole(lines, token) for token in TOKENS if _whole(lines, token) != 11}
    assert broken == {}, broken
    # The sweep does reach the breaks: without joiners, tokens split.
    control = _lines(plain)
    assert sum(11 - _whole(control, t) for t in TOKENS) >= 10
    assert _whole(control, "023-45678901") < 11 and _whole(control, "2024年12月31日") < 11


@pytest.mark.libreoffice
def test_joiners_draw_nothing_and_add_no_font(sweep_pdfs: tuple[Path, Path]) -> None:
    glued, plain = sweep_pdfs
    glued_info, plain_info = read_pdf(glued), read_pdf(plain)
    assert glued_info.embedded_fonts == plain_info.embedded_fonts
    # Only the line breaks differ: the same characters, and no joiner drawn. (Not compared in
    # order: pypdf reads a glyph LibreOffice took from a fallback font, ㎡ here, after the rest
    # of its line, and where lines break changes which line that is.)
    assert sorted("".join(strip_joiners(glued_info.text).split())) == sorted("".join(plain_info.text.split()))
    assert not any(ch in glued_info.text for ch in (WORD_JOINER, "\ufffd", "\u25a1"))
