"""Git, the one module that runs it: no shell, and revisions never read as options."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .errors import ToolError
from .i18n import _

_TIMEOUT = 60


def _git(args: list[str], cwd: Path, *, input_bytes: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("git")
    if exe is None:
        raise ToolError(_("未找到 git，请安装：sudo apt-get install git"))
    try:
        return subprocess.run(
            [exe, *args], cwd=cwd, input=input_bytes, capture_output=True, timeout=_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolError(_("git 超时：git {args}").format(args=" ".join(args))) from exc


def is_repo(path: Path) -> bool:
    """True when `path` is inside a git work tree."""
    done = _git(["rev-parse", "--is-inside-work-tree"], path)
    return done.returncode == 0 and done.stdout.strip() == b"true"


def init_repo(path: Path) -> None:
    """Make `path` a git repository (nothing happens if it already is one)."""
    if is_repo(path):
        return
    done = _git(["init", "--quiet"], path)
    if done.returncode != 0:
        raise ToolError(_("git init 失败：{reason}").format(reason=done.stderr.decode("utf-8", "replace").strip()))


def set_local_config(path: Path, key: str, value: str) -> None:
    """Set `key` in the repository's own config (not the user's)."""
    done = _git(["config", "--local", "--", key, value], path)
    if done.returncode != 0:
        raise ToolError(_("git config 失败：{reason}").format(reason=done.stderr.decode("utf-8", "replace").strip()))
