"""The faces that really draw the text, read back from PDFs LibreOffice made: characters the 仿宋
stand-in lacks come from a kai or serif face (never a sans), ☑ and □ from one font."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from generator.content.loader import load_application
from generator.pdf.convert import convert_to_pdf
from generator.pdf.doctor import diagnose
from generator.pdf.fontcheck import BODY_FONT, font_matches, missing_glyphs
from generator.pdf.fonts import FontKind, match_fallback, stand_ins, write_fonts_conf
from generator.word.documents import PLAN, templates_dir

RARE = "镕堃喆昇㎡"
SANS_WORDS = ("sans", "hei", "黑")


@dataclass(frozen=True)
class Glyph:
    """One character as the PDF draws it: the font program, size and baseline position."""

    char: str
    font: str  # BaseFont without the subset prefix
    size: float
    x: float
    y: float


def drawn_glyphs(pdf_path: Path) -> list[Glyph]:
    """Every character of the first page with the font that draws it (pypdf's text visitor)."""
    out: list[Glyph] = []

    def visit(text: str, cm: list[float], tm: list[float], font: dict | None, size: float) -> None:
        if font is None:
            return
        name = str(font.get("/BaseFont", "")).lstrip("/").split("+")[-1]
        # The text matrix's origin in page space: the run's start, enough to tell lines apart.
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
        out.extend(Glyph(ch, name, round(size * scale, 2), x, y) for ch in text if not ch.isspace())

    PdfReader(pdf_path).pages[0].extract_text(visitor_text=visit)
    return out


def postscript_name(font_file: Path) -> str:
    """The name a PDF gives the font program of `font_file` (the first face of a collection)."""
    with TTFont(str(font_file), lazy=True, fontNumber=0) as font:
        return str(font["name"].getDebugName(6))


def template_document() -> Document:
    """The plan's template with its body emptied: its styles, document defaults (zh-CN) and page."""
    doc = Document(str(templates_dir() / PLAN.template))
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return doc


@pytest.fixture(scope="module")
def fallback_pdf(tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> Path:
    """A body paragraph (CJ正文, 方正仿宋_GBK) holding 镕 堃 喆 昇 ㎡, and the check marks set in a
    character style naming Segoe UI Symbol in every slot, as the templates set them."""
    tmp = tmp_path_factory.mktemp("fonts")
    doc = template_document()
    p = doc.add_paragraph("联合体负责人李镕、王堃、张喆、赵昇，实训基地面积二千六百㎡。", style="CJ正文")
    marks = doc.styles.add_style("CJ勾选", WD_STYLE_TYPE.CHARACTER)
    fonts = marks.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{slot}"), "Segoe UI Symbol")
    p = doc.add_paragraph(style="CJ正文")
    for piece in ("☑", "由产业园区牵头的产教联合体", "□", "由行业企业牵头的产教联合体"):
        run = p.add_run(piece)
        if piece in "☑□":
            run.style = marks
    doc.save(str(tmp / "字体.docx"))
    return convert_to_pdf([tmp / "字体.docx"], tmp)[0]


@pytest.mark.libreoffice
def test_characters_fangsong_lacks_are_drawn_in_a_kai_or_serif_face(fallback_pdf: Path, tmp_path: Path) -> None:
    glyphs = drawn_glyphs(fallback_pdf)
    by_char = {g.char: g for g in glyphs}
    assert by_char["联"].font == "FandolFang-Regular"  # the paragraph is in the 仿宋 stand-in
    predicted = match_fallback(BODY_FONT, RARE, write_fonts_conf(tmp_path))
    for ch in RARE:
        face = by_char[ch].font
        assert not any(word in face.lower() for word in SANS_WORDS), (ch, face)
        # The face fontcheck and doctor name is the one the PDF embeds.
        assert face == postscript_name(predicted.file), (ch, face, predicted.family)
        assert by_char[ch].size == by_char["联"].size


@pytest.mark.libreoffice
def test_both_check_marks_come_from_one_font_at_one_size(fallback_pdf: Path) -> None:
    glyphs = drawn_glyphs(fallback_pdf)
    checked = next(g for g in glyphs if g.char == "☑")
    unchecked = next(g for g in glyphs if g.char == "□")
    text = next(g for g in glyphs if g.char == "产")
    assert checked.font == unchecked.font == "DejaVuSans"
    assert checked.size == unchecked.size == text.size
    assert round(checked.y, 1) == round(unchecked.y, 1) == round(text.y, 1)  # one baseline


@pytest.fixture
def fontconfig() -> None:
    """fontconfig's fc-match: installed in CI, may be missing elsewhere."""
    if shutil.which("fc-match") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("fontconfig is required in CI: run ci/system-packages.sh")
        pytest.skip("fontconfig is not installed")


def test_the_map_gives_fangsong_a_kai_and_a_serif_fallback_never_a_sans(tmp_path: Path) -> None:
    table = stand_ins(write_fonts_conf(tmp_path))
    for name in ("方正仿宋_GBK", "方正仿宋简体", "仿宋", "FangSong", "仿宋_GB2312"):
        assert table[name][0] == "FandolFang", name
        assert table[name][1:] == ("AR PL UKai CN", "Noto Serif CJK SC"), name
    assert table["Segoe UI Symbol"] == ("DejaVu Sans",)


def test_the_missing_glyph_warning_names_the_face_that_draws_it(
    fontconfig: None, content_copy, tmp_path: Path
) -> None:
    root = content_copy(
        {
            "推荐书/1-联合体概况.yaml": lambda text: text.replace("张明远", "张镕远", 1),
            "建设方案/6-保障措施.md": lambda text: text + "\n新建实训用房260㎡。\n",
        }
    )
    app, _diagnostics = load_application(root)
    match = font_matches((BODY_FONT,), None)[BODY_FONT]
    if match.family != "FandolFang":
        pytest.skip("the FandolFang stand-in is not installed")
    warnings = {d.message[1]: d for d in missing_glyphs(app, match)}

    assert set(warnings) == {"镕", "㎡"}
    name = warnings["镕"]
    assert (name.location.path, name.location.line) == ("推荐书/1-联合体概况.yaml", 12)
    for d in warnings.values():
        assert "替代字体 FandolFang" in d.message
        assert "由 AR PL UKai CN 印出" in d.message
    assert warnings["㎡"].location.path == "建设方案/6-保障措施.md"


def test_doctor_names_the_face_for_missing_characters(fontconfig: None) -> None:
    report = diagnose([BODY_FONT])
    if report.fonts[0].family != "FandolFang":
        pytest.skip("the FandolFang stand-in is not installed")
    assert report.fallback is not None
    assert report.fallback.family == "AR PL UKai CN"
    assert report.fallback.kind is FontKind.STAND_IN
    assert report.fallback_chars == RARE
    assert report.problems == []


def test_doctor_reports_a_sans_fallback_as_a_problem(
    fontconfig: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A map without the kai and serif fallbacks: what the map was before, and what a user's edit
    # could make it again.
    from generator.pdf import fonts as fontmap

    shipped = fontmap.FONTS_CONF_TEMPLATE.read_text(encoding="utf-8")
    stripped = shipped.replace("<family>AR PL UKai CN</family><family>Noto Serif CJK SC</family></accept>", "</accept>")
    assert stripped != shipped
    edited = tmp_path / "fonts.conf.in"
    edited.write_text(stripped, encoding="utf-8")
    monkeypatch.setattr(fontmap, "FONTS_CONF_TEMPLATE", edited)

    report = diagnose([BODY_FONT])
    if report.fonts[0].family != "FandolFang":
        pytest.skip("the FandolFang stand-in is not installed")
    assert report.fallback is not None and report.fallback.kind is FontKind.FALLBACK
    assert any(report.fallback.family in p and "与仿宋风格不符" in p for p in report.problems)
    assert not report.ok


def test_chanjiao_doctor_prints_the_face_for_missing_characters(fontconfig: None, example_root: Path) -> None:
    from click.testing import CliRunner

    from generator.cli import main

    result = CliRunner().invoke(main, ["doctor", str(example_root)])
    if "方正仿宋_GBK → FandolFang" not in result.output:
        pytest.skip("the FandolFang stand-in is not installed")
    assert "方正仿宋_GBK 缺少的字（镕堃喆昇㎡）→ AR PL UKai CN（ukai.ttc）" in result.output
