"""Rendering reuses what does not change between renders: the compiled template code and
docxtpl's clean-up of the templates' XML (in the process, and across processes through the user
cache) and the blank subdocument; the .docx bytes are the same either way."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE


@pytest.fixture
def fresh_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A user cache folder of the test's own, and no compiled template kept in this process."""
    from generator.word import render

    folder = tmp_path / "cache"
    monkeypatch.setenv("CHANJIAO_CACHE_DIR", str(folder))
    monkeypatch.delenv("CHANJIAO_CACHE", raising=False)

    def clear() -> None:
        render._bytecode_cache.cache_clear()
        render.jinja_env.cache_clear()
        render._patched.cache_clear()

    clear()
    yield folder
    clear()


def _render(out: Path) -> dict[str, bytes]:
    from generator.check.validate import check_content
    from generator.pipeline import render_documents
    from generator.word import blocks, render, summary_layout

    render._bytecode_cache.cache_clear()
    render.jinja_env.cache_clear()  # as a new process starts: nothing compiled in memory
    render._patched.cache_clear()
    blocks.clear_written()  # nor any part kept
    summary_layout.clear_laid()
    _report, app = check_content(EXAMPLE)
    out.mkdir()
    return {p.name: p.read_bytes() for p in render_documents(app, out)}


def test_a_new_process_uses_the_compiled_templates_and_writes_the_same_bytes(
    fresh_caches: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.word import render

    first = _render(tmp_path / "first")
    cached = sorted((fresh_caches / "jinja").iterdir())
    assert cached, "the compiled templates are kept"
    assert all(p.stat().st_mode & 0o077 == 0 for p in cached)

    patched = sorted((fresh_caches / "docxtpl").iterdir())
    assert len(patched) >= 3, "docxtpl's clean-up of each template part is kept"

    def no_compiling(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("compiled or cleaned up again although the cache holds it")

    monkeypatch.setattr(render._Environment, "compile", no_compiling)
    monkeypatch.setattr(render.DocxTemplate, "patch_xml", no_compiling)
    assert _render(tmp_path / "second") == first


def test_without_the_cache_and_with_a_damaged_one_the_bytes_are_the_same(fresh_caches: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _render(tmp_path / "first")
    for path in (fresh_caches / "jinja").iterdir():
        path.write_bytes(path.read_bytes()[:40] + b"\x00garbage")  # the header kept: past jinja's check
    for n, path in enumerate(sorted((fresh_caches / "docxtpl").iterdir())):
        data = path.read_bytes()
        # torn (a write cut short), edited, not text at all
        path.write_bytes([data[: len(data) // 2], data.replace(b"<w:", b"<x:", 1), b"\xff\xfe\x00"][n % 3])
    assert _render(tmp_path / "damaged") == first
    monkeypatch.setenv("CHANJIAO_CACHE", "0")
    assert _render(tmp_path / "off") == first


def test_a_cache_folder_others_can_write_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.core.usercache import cache_dir

    root = tmp_path / "cache"
    monkeypatch.setenv("CHANJIAO_CACHE_DIR", str(root))
    assert cache_dir("jinja") == root / "jinja"
    os.chmod(root / "jinja", 0o777)
    assert cache_dir("jinja") is None
    os.chmod(root / "jinja", 0o700)
    os.chmod(root, 0o777)
    assert cache_dir("jinja") is None
    assert cache_dir("new-kind") is None and not (root / "new-kind").exists()  # nothing made in it
    os.chmod(root, 0o700)
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (root / "jinja").rmdir()
    (root / "jinja").symlink_to(tmp_path / "elsewhere")
    assert cache_dir("jinja") is None
    monkeypatch.setenv("CHANJIAO_CACHE", "0")
    assert cache_dir("other") is None
