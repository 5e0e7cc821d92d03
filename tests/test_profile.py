"""The LibreOffice profile made once and copied for later starts (pdf/profile.py), with real
LibreOffice: kept after a start that made one, copied into the next, dropped when a start on a
copy fails, never used without a safe cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import ToolError
from generator.pdf import profile
from generator.pdf.convert import convert_to_pdf
from generator.pdf.reader import read_pdf
from tests.test_convert import fake_soffice, make_docx

pytestmark = pytest.mark.libreoffice


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CHANJIAO_CACHE_DIR", str(folder))
    monkeypatch.delenv("CHANJIAO_CACHE", raising=False)
    return folder


@pytest.fixture
def seeds(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each LibreOffice started got a copy of a kept profile (the real seed, watched)."""
    seen: list[bool] = []
    real = profile.seed

    def watched(target: Path, soffice: Path) -> bool:
        seen.append(real(target, soffice))
        return seen[-1]

    monkeypatch.setattr(profile, "seed", watched)
    return seen


def _kept(cache: Path) -> list[Path]:
    return sorted(p for p in (cache / profile.KIND).glob("*") if not p.name.startswith("."))


def test_the_first_start_keeps_its_profile_and_the_next_ones_start_on_a_copy(cache: Path, seeds: list[bool], tmp_path: Path, libreoffice: Path):
    docx = make_docx(tmp_path / "文档.docx", "产教融合，校企合作。")
    (pdf,) = convert_to_pdf([docx], tmp_path / "a", soffice=libreoffice)
    (kept,) = _kept(cache)
    assert (kept / "user" / "registrymodifications.xcu").is_file()
    assert not list(kept.rglob("*.log")) and not list(kept.rglob(".lock"))  # no locks, no logs
    assert (cache / profile.KIND).stat().st_mode & 0o077 == 0  # the cache is the user's alone
    (again,) = convert_to_pdf([docx], tmp_path / "b", soffice=libreoffice)
    assert seeds == [False, True]
    assert "产教融合" in "".join(read_pdf(again).page_texts) and read_pdf(again).page_texts == read_pdf(pdf).page_texts
    assert _kept(cache) == [kept]


def test_a_damaged_kept_profile_still_converts(cache: Path, tmp_path: Path, libreoffice: Path):
    docx = make_docx(tmp_path / "文档.docx", "产教融合，校企合作。")
    convert_to_pdf([docx], tmp_path / "a", soffice=libreoffice)
    (kept,) = _kept(cache)
    (kept / "user" / "registrymodifications.xcu").write_text("不是 XML <<<", encoding="utf-8")
    (pdf,) = convert_to_pdf([docx], tmp_path / "b", soffice=libreoffice)
    assert "产教融合" in "".join(read_pdf(pdf).page_texts)


def test_a_failed_start_on_a_copy_drops_the_kept_profile(cache: Path, tmp_path: Path):
    crash = fake_soffice(tmp_path / "soffice", "exit 134\n")
    kept = profile._template(crash)
    assert kept is not None
    (kept / "user").mkdir(parents=True)
    (kept / "user" / "registrymodifications.xcu").write_text("<x/>", encoding="utf-8")
    with pytest.raises(ToolError):
        convert_to_pdf([make_docx(tmp_path / "文档.docx", "产教融合。")], tmp_path / "out", soffice=crash)
    assert not kept.exists() and _kept(cache) == []


def test_a_broken_document_beside_a_good_one_keeps_the_kept_profile(cache: Path, tmp_path: Path, libreoffice: Path):
    """LibreOffice converted the good one on the copy: the failure is the document's, and the
    next start still gets a copy (no first start's ~3 s)."""
    good = make_docx(tmp_path / "好.docx", "产教融合，校企合作。")
    convert_to_pdf([good], tmp_path / "a", soffice=libreoffice)
    (kept,) = _kept(cache)
    broken = tmp_path / "坏.docx"
    broken.write_bytes(b"PK\x03\x04 not really a document")
    with pytest.raises(ToolError, match="坏.docx"):
        convert_to_pdf([good, broken], tmp_path / "b", soffice=libreoffice, processes=1)
    assert _kept(cache) == [kept] and (kept / "user").is_dir()


def test_without_a_usable_cache_every_start_makes_a_fresh_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seeds: list[bool], libreoffice: Path):
    open_cache = tmp_path / "open"
    open_cache.mkdir(mode=0o777)
    open_cache.chmod(0o777)  # others may write there: not used
    monkeypatch.setenv("CHANJIAO_CACHE_DIR", str(open_cache))
    docx = make_docx(tmp_path / "文档.docx", "产教融合。")
    convert_to_pdf([docx], tmp_path / "a", soffice=libreoffice)
    monkeypatch.setenv("CHANJIAO_CACHE", "0")
    convert_to_pdf([docx], tmp_path / "b", soffice=libreoffice)
    assert seeds == [False, False] and list(open_cache.rglob("registrymodifications.xcu")) == []
