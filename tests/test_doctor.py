"""doctor: what LibreOffice and fontconfig give on this machine, and what to fix."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from generator.pdf.doctor import diagnose
from generator.pdf.fonts import FontKind, stand_ins, write_fonts_conf
from generator.word.documents import template_font_families

TEMPLATE_FONTS = template_font_families()


@pytest.fixture
def system_fonts() -> Path:
    """FandolFang's file: the stand-in fonts must be installed in CI, may be missing elsewhere."""
    if shutil.which("fc-match"):
        for candidate in (
            Path("/usr/local/share/fonts/fandol/FandolFang-Regular.otf"),
            Path(
                "/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/FandolFang-Regular.otf"
            ),
        ):
            if candidate.exists():
                return candidate
    if os.environ.get("CI") == "true":
        pytest.fail("fontconfig and the Fandol fonts are required in CI: run ci/system-packages.sh")
    pytest.skip("fontconfig or the Fandol fonts are not installed")


@pytest.mark.libreoffice
def test_template_fonts_resolve_to_free_faces_of_the_same_style(system_fonts: Path) -> None:
    report = diagnose()

    assert report.libreoffice.ok
    assert report.libreoffice.version.startswith("LibreOffice ")
    found = {f.requested: f for f in report.fonts}
    assert list(found) == list(TEMPLATE_FONTS)
    assert found["方正仿宋_GBK"].family == "FandolFang"
    assert found["方正楷体_GBK"].family == "FandolKai"
    assert found["方正小标宋_GBK"].family in ("Noto Serif CJK SC", "FandolSong")
    assert found["方正黑体_GBK"].family in ("Noto Sans CJK SC", "FandolHei")
    assert found["Times New Roman"].family == "Liberation Serif"
    assert {f.kind for f in report.fonts} == {FontKind.STAND_IN}
    assert report.substitutions == report.fonts
    assert report.problems == []
    assert report.ok


def test_a_font_in_the_fonts_folder_is_used_before_the_system_copy(
    system_fonts: Path, tmp_path: Path
) -> None:
    fonts_dir = tmp_path / "fonts"
    (fonts_dir / "licensed").mkdir(parents=True)
    shutil.copy(system_fonts, fonts_dir / "licensed" / "FandolFang-Regular.otf")

    report = diagnose(["FandolFang"], fonts_dir=fonts_dir)

    [font] = report.fonts
    assert font.kind is FontKind.REAL
    assert font.file == fonts_dir / "licensed" / "FandolFang-Regular.otf"
    assert report.fonts_dir.exists
    assert report.fonts_dir.files == (fonts_dir / "licensed" / "FandolFang-Regular.otf",)


def test_a_font_with_no_stand_in_is_a_problem(system_fonts: Path) -> None:
    report = diagnose(["方正仿宋_GBK", "某某不存在字体"])

    fang, unknown = report.fonts
    assert fang.kind is FontKind.STAND_IN
    assert unknown.kind is FontKind.FALLBACK
    assert any("某某不存在字体" in p and "替代字体" in p for p in report.problems)
    assert not report.ok


def test_a_missing_fonts_folder_is_a_problem(system_fonts: Path, tmp_path: Path) -> None:
    report = diagnose(["FandolFang"], fonts_dir=tmp_path / "fonts")
    assert not report.fonts_dir.exists
    assert report.fonts[0].kind is FontKind.REAL  # the system font still answers
    assert any("字体文件夹不存在" in p for p in report.problems)


def test_missing_libreoffice_says_how_to_install(
    system_fonts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANJIAO_SOFFICE", str(tmp_path / "no-soffice"))
    report = diagnose(["FandolFang"])
    assert report.libreoffice.path is None
    assert "未找到 LibreOffice，请安装：sudo apt-get install" in report.problems[0]
    assert not report.ok


def test_a_broken_libreoffice_is_reported(system_fonts: Path, tmp_path: Path) -> None:
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    report = diagnose(["FandolFang"], soffice=fake)
    assert report.libreoffice.path == fake
    assert "无法读取 LibreOffice 版本" in report.libreoffice.problem
    assert not report.ok


def test_the_shipped_map_gives_every_template_font_a_stand_in(tmp_path: Path) -> None:
    table = stand_ins(write_fonts_conf(tmp_path))
    for name in TEMPLATE_FONTS:
        assert table[name], name
    # A 仿宋 first; for the characters it lacks a kai, then a serif face, never a sans face.
    assert table["方正仿宋_GBK"] == ("FandolFang", "AR PL UKai CN", "Noto Serif CJK SC")


def test_the_fonts_folder_comes_before_the_system_fonts(tmp_path: Path) -> None:
    fonts_dir = tmp_path / "my fonts & more"
    fonts_dir.mkdir()
    text = write_fonts_conf(tmp_path, fonts_dir).read_text(encoding="utf-8")
    assert text.index("my fonts &amp; more</dir>") < text.index("<include")
    # <prefer> would put stand-ins ahead of licensed fonts.
    assert "<prefer>" not in text.split("<fontconfig>")[1]
