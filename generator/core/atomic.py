"""Writing output files so a reader sees the old file or the new one, never a part of one."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from generator.errors import ToolError
from generator.i18n import _


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _replace_with(out_path: Path, fill: Callable[[BinaryIO], object]) -> None:
    """Fill a temporary file beside `out_path`, then rename it over `out_path`."""
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    except OSError as exc:
        raise ToolError(_("无法写入 {path}：{reason}").format(path=out_path, reason=exc)) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fill(fh)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private; outputs are meant to be shared like any new file.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, out_path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ToolError(_("无法写入 {path}：{reason}").format(path=out_path, reason=exc)) from exc
        raise


def write_atomic(out_path: Path, data: bytes) -> None:
    """Write `data` to `out_path` atomically; an unwritable place is a ToolError naming it."""
    _replace_with(out_path, lambda fh: fh.write(data))


def copy_atomic(src_path: Path, out_path: Path) -> None:
    """Copy `src_path` to `out_path` atomically."""

    def fill(fh: BinaryIO) -> None:
        with src_path.open("rb") as src:
            shutil.copyfileobj(src, fh)

    _replace_with(out_path, fill)
