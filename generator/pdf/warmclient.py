"""How a build finds and asks a running warm converter (pdf/warm.py), standard library only.

A WarmConverter publishes itself as a Unix socket in the user's runtime folder
(`$XDG_RUNTIME_DIR/chanjiao/`, else `/tmp/chanjiao-<uid>/`, mode 0700), named after the
LibreOffice program and the fonts folder it was started with (its path and files): LibreOffice
reads its font map once, at start, so only a build with the same fonts may use it. A socket answers only while
its owner is alive (a stale file refuses the connection), so no pid file is needed; the folder's
mode keeps other users out (they could otherwise have our LibreOffice read their paths).

One request per connection, one JSON line each way:
    → {"docx": ["/abs/a.docx", …], "out_dir": "/abs/dir"}
    ← {"ok": true}  or  {"ok": false, "error": "…"}
The server writes out_dir/<stem>.pdf; the client checks them like a cold conversion's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import stat
import time
from pathlib import Path

#: set to 0 to make `build` ignore a running warm converter (measurements, or doubt)
WARM_ENV = "CHANJIAO_WARM"


def runtime_dir(create: bool = False) -> Path | None:
    """This user's folder for warm-converter sockets; None if it is unsafe (not ours, or open)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    # /tmp itself, not tempfile's folder: a run points that at its own temporary folder
    folder = Path(base) / "chanjiao" if base and os.path.isdir(base) else Path("/tmp") / f"chanjiao-{os.getuid()}"
    if create:
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700, parents=True)
    try:
        info = folder.lstat()
    except OSError:
        return None
    # a folder someone else made (or made writable for others) could hold their socket
    if not folder.is_dir() or folder.is_symlink() or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return folder


def fonts_state(fonts_dir: Path | None) -> str:
    """The fonts folder's path and files (name, size, time): LibreOffice reads fonts only at start,
    so a font added since makes a running converter unfit (it restarts; builds skip it)."""
    if fonts_dir is None:
        return ""
    root = fonts_dir.resolve()
    entries = []
    with contextlib.suppress(OSError):
        for path in sorted(root.rglob("*")):
            with contextlib.suppress(OSError):
                info = path.stat()
                entries.append(f"{path.relative_to(root)}\0{info.st_size}\0{info.st_mtime_ns}")
    return f"{root}\0" + "\0".join(entries)


def socket_name(soffice: Path, fonts_dir: Path | None) -> str:
    key = f"{Path(soffice).resolve()}\0{fonts_state(fonts_dir)}"
    return f"warm-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}.sock"


def socket_path(soffice: Path, fonts_dir: Path | None, *, create: bool = False) -> Path | None:
    """The socket of a warm converter for this LibreOffice and fonts folder (None: unusable, or
    turned off by CHANJIAO_WARM=0). With create=False, None also when no such socket exists."""
    if os.environ.get(WARM_ENV, "1") == "0":
        return None
    folder = runtime_dir(create=create)
    if folder is None:
        return None
    path = folder / socket_name(soffice, fonts_dir)
    return path if create or path.exists() else None


def answers(sock: Path) -> bool:
    """Whether a converter listens on `sock` (a dead one's file refuses the connection)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(1.0)
            conn.connect(str(sock))
    except OSError:
        return False
    return True


#: a socket file younger than this may be a converter's between bind and listen: never swept
_SWEEP_AGE = 60.0


def sweep(folder: Path, keep: Path | None = None) -> int:
    """Remove the socket files of converters that died without closing (killed, or the machine
    stopped): they refuse the connection. Files younger than a minute are left (a converter may
    be starting). Returns how many were removed."""
    removed = 0
    now = time.time()
    for path in folder.glob("warm-*.sock"):
        try:
            info = path.lstat()
        except OSError:
            continue
        if path == keep or now - info.st_mtime < _SWEEP_AGE or not stat.S_ISSOCK(info.st_mode):
            continue
        if not answers(path):
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed


def request(sock: Path, docx_paths: list[Path], out_dir: Path, timeout: float) -> bool:
    """Ask the warm converter at sock to convert into out_dir; True when it says it did."""
    message = {"docx": [str(p.resolve()) for p in docx_paths], "out_dir": str(out_dir.resolve())}
    deadline = time.monotonic() + timeout
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(min(timeout, 2.0))  # connecting: a live server accepts at once
            conn.connect(str(sock))
            conn.sendall(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
            reply = b""
            while not reply.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                conn.settimeout(left)
                chunk = conn.recv(65536)
                if not chunk:
                    return False
                reply += chunk
    except OSError:  # refused (stale socket), timed out, reset: the cold path converts
        return False
    try:
        return json.loads(reply).get("ok") is True
    except (ValueError, AttributeError):
        return False
