"""Shared fixtures: the example application, and throwaway copies of it to break."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "content"


@pytest.fixture
def example_root() -> Path:
    """The example application shipped in the repo (read-only: copy it before editing)."""
    return EXAMPLE


@pytest.fixture
def content_copy(tmp_path: Path) -> Callable[..., Path]:
    """A function that copies the example into a temp dir and applies edits to its files.

    `content_copy({"基本信息.yaml": lambda text: text.replace(a, b)})` returns the copy's root;
    a string value replaces the file's text, None deletes the file.
    """

    def make(edits: dict[str, object] | None = None) -> Path:
        root = tmp_path / "content"
        if not root.exists():
            shutil.copytree(EXAMPLE, root)
        for rel, edit in (edits or {}).items():
            path = root / rel
            if edit is None:
                path.unlink()
            elif callable(edit):
                path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(str(edit), encoding="utf-8")
        return root

    return make


@pytest.fixture(autouse=True)
def _chinese_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests read Chinese messages unless they ask for another language."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    from generator.i18n import set_language

    set_language("zh")
    os.environ.pop("SOURCE_DATE_EPOCH", None)


@pytest.fixture(scope="session")
def libreoffice() -> Path:
    """The real LibreOffice: a failure under CI=true (CI installs it), a skip elsewhere."""
    from generator.pdf.convert import find_soffice

    found = find_soffice()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice is required in CI: run ci/system-packages.sh")
        pytest.skip("LibreOffice not installed")
    return found


@pytest.fixture(scope="session")
def example_build(tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> tuple[Path, object]:
    """The example built once with PDFs: (output folder, BuildResult)."""
    from generator.pipeline import build

    out = tmp_path_factory.mktemp("build")
    result = build(EXAMPLE, out, pdf=True)
    return out, result
