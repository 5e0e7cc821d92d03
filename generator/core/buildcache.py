"""Fingerprints and the build state, in one place: what the last build read and made.

The state file (STATE_FILE, in the output folder) records each document's fingerprints, pages
and read-back, the package's fingerprint, the outputs, and the outcome to replay. The pipeline
compares against it step by step; the no-op build compares one fingerprint of all inputs: when no
input changed since the last build, its outputs stand and its report is replayed.

Deliberately light (no YAML, Markdown, docxtpl or pypdf imports): the whole point is that a
second `build` with nothing changed costs little more than starting Python. The fingerprint
covers every file in the content repo (except the output folder and git's own files), the
templates, the tool's version and the options that change what is written. It opens only regular
files, reads each within a size limit and never follows a symlink out of the repo.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

from generator import __version__
from generator.core.limits import MAX_FINGERPRINT_FILE_BYTES, MAX_FINGERPRINT_FILES

#: The state file in the output folder: the last build's fingerprints, outputs and outcome.
STATE_FILE = ".chanjiao-build.json"
CACHE_KEY = "inputs_fingerprint"
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".venv", "node_modules"})


def walk_tree(root: Path, *, skip_dirs: frozenset[str] = frozenset(), exclude: Path | None = None) -> Iterator[tuple[Path, int]]:
    """Every entry under `root` with its depth (1 for root's own entries), in sorted order,
    folders before what they hold.

    Iterative, so a folder nested 1,400 deep costs no stack; symlinks, also to folders, are
    entries and never entered. `skip_dirs` are folder names not entered, `exclude` a real path
    not entered.
    """
    try:
        st = os.stat(exclude) if exclude is not None else None
        excluded = (st.st_dev, st.st_ino) if st is not None else None
    except OSError:
        excluded = None  # not there yet: nothing to leave out
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        below = []
        for entry in entries:
            path = Path(entry.path)
            yield path, depth + 1
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                # by inode, not by resolving the path: resolving costs as many steps as the depth
                same = excluded is not None and is_dir and (entry.stat(follow_symlinks=False).st_dev, entry.inode()) == excluded
            except OSError:
                is_dir = same = False
            if is_dir and entry.name not in skip_dirs and not same:
                below.append((path, depth + 1))
        stack.extend(reversed(below))


def _tree_entries(root: Path, exclude: Path | None) -> list[Path] | None:
    """Every file-like entry under `root` (files, symlinks, special files; symlinked folders are
    not entered), sorted; None when there are more than MAX_FINGERPRINT_FILES entries."""
    found: list[Path] = []
    for n, (path, _depth) in enumerate(walk_tree(root, skip_dirs=_SKIP_DIRS, exclude=exclude)):
        if n > MAX_FINGERPRINT_FILES:
            return None
        if path.is_symlink() or not path.is_dir():
            found.append(path)
    return found


def _entry_digest(path: Path) -> bytes:
    """What stands for one entry in the fingerprint, reading at most MAX_FINGERPRINT_FILE_BYTES.

    A symlink is its target's name (the target, when inside the repo, is fingerprinted where it
    lies; outside, the build refuses it); a FIFO, socket or device is its kind, never opened
    (reading a FIFO waits forever, reading /dev/zero never ends); a large file is its size and
    modification time.
    """
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            return b"link:" + os.fsencode(os.readlink(path))
        if not stat.S_ISREG(st.st_mode):
            return b"special:%o" % stat.S_IFMT(st.st_mode)
        if st.st_size > MAX_FINGERPRINT_FILE_BYTES:
            return b"large:%d:%d" % (st.st_size, st.st_mtime_ns)
        # O_NONBLOCK and O_NOFOLLOW: a file swapped for a FIFO or a link since lstat cannot hang us.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return b"unreadable"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b"special"
        h = hashlib.sha256()
        remaining = MAX_FINGERPRINT_FILE_BYTES
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            h.update(chunk)
            remaining -= len(chunk)
        return h.digest()
    except OSError:
        return b"unreadable"
    finally:
        os.close(fd)


@cache
def tool_fingerprint() -> str:
    """A digest of the tool itself: its code, form declarations, font map and message catalogs.

    The version number alone misses a change between releases (a checkout that pulls a fixed
    read-back, a new font map): then a build with unchanged content must not reuse results that
    the old code made. About 70 small files, hashed once per process.
    """
    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in _TOOL_SUFFIXES:
            h.update(path.relative_to(package).as_posix().encode())
            h.update(b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


_TOOL_SUFFIXES = frozenset({".py", ".yaml", ".conf", ".po", ".mo"})


def inputs_fingerprint(root: Path, out_dir: Path, templates: Path, options: Mapping[str, object]) -> str:
    """A digest of everything a build reads: content files, templates, tool version, options.

    Empty (no shortcut) when `root` is not a folder one can read (the build then says why) or
    holds more than MAX_FINGERPRINT_FILES entries.
    """
    try:
        if not root.is_dir():
            return ""
    except OSError:  # a name over 255 bytes, a symlink loop: is_dir() raises those
        return ""
    h = hashlib.sha256()
    h.update(json.dumps({"version": __version__, "tool": tool_fingerprint(), **options}, sort_keys=True, ensure_ascii=False).encode())
    # The converter a build would use (find_soffice's order: $CHANJIAO_SOFFICE first), so that
    # pointing CHANJIAO_SOFFICE elsewhere is a change, not a reason to reuse the last PDFs.
    h.update(str(os.environ.get("CHANJIAO_SOFFICE") or shutil.which("soffice") or "").encode())
    out_real = out_dir.resolve()
    for base, exclude in ((root, out_real), (templates, None)):
        entries = _tree_entries(base, exclude)
        if entries is None:
            return ""
        for path in entries:
            h.update(path.relative_to(base).as_posix().encode("utf-8", "surrogateescape"))
            h.update(b"\0")
            h.update(_entry_digest(path))
    return h.hexdigest()


def cached_result(out_dir: Path, fingerprint: str) -> dict | None:
    """The last build's outcome if it was made from exactly these inputs and its files are there."""
    state = load_state(out_dir)
    cached = state.get("cached")
    if not isinstance(cached, dict) or state.get(CACHE_KEY) != fingerprint:
        return None
    if not all((out_dir / name).is_file() for name in cached.get("files", [])):
        return None
    from generator.core.staging import swap_pending

    if swap_pending(out_dir):  # a killed build's swap to finish first: the full build does that
        return None
    return cached


# -- the state of the last build, and the digests it compares --------------------------------------


def load_state(out_dir: Path) -> dict:
    """The last build's state in `out_dir`; empty when there is none or it cannot be read."""
    try:
        data = json.loads((out_dir / STATE_FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def save_state(folder: Path, state: dict) -> None:
    """Write `state` as the state file in `folder` (the staging folder: it moves in last)."""
    from generator.core.atomic import write_atomic

    write_atomic(folder / STATE_FILE, json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"))


def digest(*parts: str) -> str:
    """One digest of several strings (each ended by a NUL, so ("ab", "c") ≠ ("a", "bc"))."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """The digest of a file's bytes, "missing" when it is not a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def fonts_fingerprint(fonts_dir: Path | None) -> str:
    """The fonts folder as names, kinds, sizes and times, never the bytes.

    No symlink is followed, the walk holds no stack and stops after MAX_FONT_FILES entries (check
    refuses a 字体目录 outside the repo, so `/` is never walked).
    """
    from generator.core.limits import MAX_FONT_FILES

    if fonts_dir is None or not fonts_dir.is_dir():
        return "none"
    entries: list[str] = []
    for path, _depth in walk_tree(fonts_dir):
        try:
            st = os.lstat(path)
        except OSError:
            continue
        # hex of the bytes: a name that is not UTF-8 must not stop the build
        entries.append(f"{os.fsencode(path.relative_to(fonts_dir)).hex()}:{st.st_mode:o}:{st.st_size}:{st.st_mtime_ns}")
        if len(entries) > MAX_FONT_FILES:
            break
    return digest(*entries)


def previous_outputs(state: dict) -> list[str]:
    """The files the build that wrote `state` made: the set that the next one replaces."""
    names = state.get("outputs")
    if not isinstance(names, list):  # a state file from before staged builds
        cached = state.get("cached")
        names = cached.get("files", []) if isinstance(cached, dict) else []
    return [n for n in names if isinstance(n, str)]


# -- where the last build printed each tagged place (the 自评表 and `check` read it) ---------------

#: state["evidence_pages"] = {"sources": sources_digest(app.sources), "pages": {key: [document title, printed page]}}
EVIDENCE_PAGES = "evidence_pages"


def evidence_key(path: str, line: int, column: int) -> str:
    """The key of one tagged place: where its indicator id is written."""
    return f"{path}:{line}:{column}"


def sources_digest(sources: Mapping[str, str]) -> str:
    """One digest of the content files read (path → content hash): equal means the same content."""
    return digest(tool_fingerprint(), *(f"{p}={h}" for p, h in sorted(sources.items())))


def evidence_pages(out_dir: Path, sources: Mapping[str, str]) -> dict[str, tuple[str, int]]:
    """The printed page of each tagged place as the last build into `out_dir` read it back from
    the PDFs, when that build read exactly the content `sources` describes; else empty (a page
    number from other content would be wrong, and none is better than a wrong one)."""
    entry = load_state(out_dir).get(EVIDENCE_PAGES)
    if not isinstance(entry, dict) or entry.get("sources") != sources_digest(sources):
        return {}
    pages = entry.get("pages")
    if not isinstance(pages, dict):
        return {}
    return {
        str(k): (str(v[0]), int(v[1]))
        for k, v in pages.items()
        if isinstance(v, list) and len(v) == 2 and isinstance(v[1], int)
    }
