"""The no-op build: when no input changed since the last build, reuse its outputs and report.

Deliberately light (no YAML, Markdown, docxtpl or pypdf imports): the whole point is that a
second `build` with nothing changed costs little more than starting Python. The fingerprint
covers every file in the content repo (except the output folder and git's own files), the
templates, the tool's version and the options that change what is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from . import __version__

CACHE_KEY = "inputs_fingerprint"
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".venv", "node_modules"})


def _tree_files(root: Path, exclude: Path | None) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if d not in _SKIP_DIRS and (exclude is None or (here / d).resolve() != exclude)
        )
        found.extend(here / f for f in sorted(filenames))
    return found


def inputs_fingerprint(root: Path, out_dir: Path, templates: Path, options: Mapping[str, object]) -> str:
    """A digest of everything a build reads: content files, templates, tool version, options."""
    h = hashlib.sha256()
    h.update(json.dumps({"version": __version__, **options}, sort_keys=True, ensure_ascii=False).encode())
    # The converter a build would use (find_soffice's order: $CHANJIAO_SOFFICE first), so that
    # pointing CHANJIAO_SOFFICE elsewhere is a change, not a reason to reuse the last PDFs.
    h.update(str(os.environ.get("CHANJIAO_SOFFICE") or shutil.which("soffice") or "").encode())
    out_real = out_dir.resolve()
    for base, exclude in ((root, out_real), (templates, None)):
        for path in _tree_files(base, exclude):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            h.update(path.relative_to(base).as_posix().encode("utf-8"))
            h.update(b"\0")
            h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


def cached_result(out_dir: Path, fingerprint: str) -> dict | None:
    """The last build's outcome if it was made from exactly these inputs and its files are there."""
    try:
        state = json.loads((out_dir / ".chanjiao-build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    cached = state.get("cached") if isinstance(state, dict) else None
    if not isinstance(cached, dict) or state.get(CACHE_KEY) != fingerprint:
        return None
    if not all((out_dir / name).is_file() for name in cached.get("files", [])):
        return None
    from .staging import swap_pending

    if swap_pending(out_dir):  # a killed build's swap to finish first: the full build does that
        return None
    return cached
