"""The body font's characters are read from the font once and then from the user cache, which a
changed font file or a damaged entry never fools."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


@pytest.fixture
def font(tmp_path: Path) -> Path:
    """A copy of the CJK face the example's body text falls back to (FandolFang, a real .otf)."""
    found = subprocess.run(["fc-match", "-f", "%{file}", "FandolFang"], capture_output=True, text=True, check=True).stdout
    if "Fandol" not in found:
        pytest.fail(f"FandolFang is required (the fonts CI installs); fc-match gave {found!r}")
    copy = tmp_path / "font.otf"
    shutil.copyfile(found, copy)
    return copy


def test_the_characters_come_from_the_cache_and_equal_the_font(font: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.pdf.fontcheck as fontcheck
    from generator.pdf.fonts import font_characters

    monkeypatch.setenv("CHANJIAO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CHANJIAO_CACHE", raising=False)
    truth = font_characters(font)
    assert ord("国") in truth and len(truth) > 5000
    assert fontcheck._characters(font) == truth
    [entry] = (tmp_path / "cache" / "font-characters").iterdir()

    def unread(_path: Path) -> frozenset[int]:
        raise AssertionError("the font was read again although the cache holds it")

    monkeypatch.setattr(fontcheck, "font_characters", unread)
    assert fontcheck._characters(font) == truth
    # A damaged entry is read anew from the font.
    entry.write_text("[[1, ", encoding="ascii")
    monkeypatch.setattr(fontcheck, "font_characters", font_characters)
    assert fontcheck._characters(font) == truth


def test_a_changed_font_file_is_read_again(font: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.pdf.fontcheck as fontcheck

    monkeypatch.setenv("CHANJIAO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CHANJIAO_CACHE", raising=False)
    fontcheck._characters(font)
    stat = font.stat()
    os.utime(font, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a new font in its place
    seen: list[Path] = []
    real = fontcheck.font_characters
    monkeypatch.setattr(fontcheck, "font_characters", lambda path: seen.append(path) or real(path))
    fontcheck._characters(font)
    assert seen == [font]
    assert len(list((tmp_path / "cache" / "font-characters").iterdir())) == 2
