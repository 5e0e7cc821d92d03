"""The font check asked ahead (fontcheck.prefetch, run by the build while LibreOffice converts):
the answers are fontconfig's own, taken once, and never for other arguments or changed fonts."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import generator.pdf.fonts
from generator.content.loader import load_application
from generator.pdf import fontcheck
from generator.pdf.fontcheck import BODY_FONT, font_matches, missing_glyphs, prefetch
from generator.word.documents import template_font_families

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    """Every question put to fontconfig (fc-match), with when it was put."""
    calls: list[tuple[str, float]] = []
    real_font, real_fallback = generator.pdf.fonts.match_font, generator.pdf.fonts.match_fallback

    def match_font(requested: str, conf_path: Path) -> generator.pdf.fonts.FontMatch:
        calls.append((requested, time.monotonic()))
        return real_font(requested, conf_path)

    def match_fallback(requested: str, chars: str, conf_path: Path) -> generator.pdf.fonts.FontMatch:
        calls.append((chars, time.monotonic()))
        return real_fallback(requested, chars, conf_path)

    monkeypatch.setattr(generator.pdf.fonts, "match_font", match_font)
    monkeypatch.setattr(generator.pdf.fonts, "match_fallback", match_fallback)
    monkeypatch.setattr(fontcheck, "_ahead", {})
    return calls


def test_asked_ahead_the_answers_are_fontconfigs_and_taken_once(asked: list[tuple[str, float]], tmp_path: Path) -> None:
    fonts = tmp_path / "字体"
    fonts.mkdir()
    families = template_font_families()
    fresh = font_matches(families, fonts)
    assert len(asked) == len(families)
    prefetch_app, _diagnostics = load_application(REPO / "content")
    prefetch(prefetch_app, families, fonts)
    before = len(asked)
    assert font_matches(families, fonts) == fresh
    assert len(asked) == before, "answered from what was asked ahead"
    font_matches(families, fonts)
    assert len(asked) == before + len(families), "taken once: the next call asks fontconfig again"


def test_a_font_added_after_asking_ahead_is_asked_about_anew(asked: list[tuple[str, float]], tmp_path: Path) -> None:
    fonts = tmp_path / "字体"
    fonts.mkdir()
    families = template_font_families()
    app, _diagnostics = load_application(REPO / "content")
    prefetch(app, families, fonts)
    before = len(asked)
    (fonts / "licensed.otf").write_bytes(b"not really a font")
    font_matches(families, fonts)
    assert len(asked) == before + len(families)


def test_missing_glyphs_asked_ahead_only_for_the_same_content(asked: list[tuple[str, float]], tmp_path: Path) -> None:
    large = tmp_path / "large"
    subprocess.run([sys.executable, "-m", "tests.large_app", str(large)], check=True, cwd=REPO, capture_output=True)
    app, _diagnostics = load_application(large)
    families = template_font_families()
    prefetch(app, families, None)
    matches = font_matches(families, None)
    before = len(asked)
    warned = missing_glyphs(app, matches[BODY_FONT], None)
    assert len(asked) == before and warned, "the large application's 镕 昇 ㎡, answered ahead"
    assert "镕" in " ".join(d.message for d in warned)
    other, _diagnostics = load_application(large)  # equal content, another object: asked anew
    prefetch(app, families, None)
    before = len(asked)
    assert [d.message for d in missing_glyphs(other, font_matches(families, None)[BODY_FONT], None)] == [d.message for d in warned]
    assert len(asked) > before


@pytest.mark.libreoffice
def test_a_build_asks_fontconfig_once_and_while_libreoffice_converts(
    asked: list[tuple[str, float]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator import pipeline

    monkeypatch.setenv("CHANJIAO_WARM", "0")
    handed: list[float] = []
    real, real_extracted = pipeline._converted, pipeline._extracted

    def converted(result: pipeline.DocumentResult) -> None:
        handed.append(time.monotonic())
        real(result)

    def extracted(run: pipeline._Run, result: pipeline.DocumentResult) -> None:  # the first phase's last PDF
        handed.append(time.monotonic())
        real_extracted(run, result)

    monkeypatch.setattr(pipeline, "_converted", converted)
    monkeypatch.setattr(pipeline, "_extracted", extracted)
    result = pipeline.build(REPO / "content", tmp_path / "out", pdf=True)
    assert result.exit_code == 0
    assert len(handed) == len(result.documents) == 3 and result.substitutions
    assert len([q for q, _t in asked if q in template_font_families()]) == len(template_font_families()), "asked once"
    assert max(t for _q, t in asked) < min(handed), "every question asked before the first PDF was there"
