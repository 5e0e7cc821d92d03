"""Git, the one module that runs it: no shell, and revisions never read as options."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

from generator.errors import ToolError
from generator.i18n import _

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


# -- reading content at a revision, without touching the work tree or the index ------------------


def _reason(done: subprocess.CompletedProcess[bytes]) -> str:
    return done.stderr.decode("utf-8", "replace").strip()


def repo_location(path: Path) -> tuple[Path, str]:
    """The top of the git work tree holding `path`, and `path` relative to it ("" at the top)."""
    done = _git(["rev-parse", "--show-toplevel"], path)
    if done.returncode != 0:
        raise ToolError(_("{path} 不在 git 仓库中：比较版本需要 git 仓库（或用 --dirs 比较两个文件夹）").format(path=path))
    top = Path(done.stdout.decode("utf-8", "surrogateescape").strip())
    rel = path.resolve().relative_to(top.resolve()).as_posix()
    return top, "" if rel == "." else rel


def resolve_commit(repo: Path, revision: str) -> str:
    """The commit id `revision` (a tag, branch, id…) names; a clear error if it names none.

    A revision is never read as an option: one starting with "-" is refused outright, and
    `--end-of-options` guards the rest.
    """
    if not revision or revision.startswith("-"):
        raise ToolError(_("无效的版本名“{rev}”：版本名不能为空，也不能以“-”开头").format(rev=revision))
    if any(ch in revision for ch in "\0\n\r"):
        raise ToolError(_("无效的版本名“{rev}”：含有控制字符").format(rev=revision.encode("unicode_escape").decode()))
    done = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"], repo)
    sha = done.stdout.decode("ascii", "replace").strip()
    if done.returncode != 0 or len(sha) < 40 or not all(c in "0123456789abcdef" for c in sha):
        raise ToolError(_("找不到版本“{rev}”：请用 git tag 或 git log 查看已有的版本").format(rev=revision))
    return sha


def commit_time(repo: Path, sha: str) -> dt.datetime:
    """When commit `sha` was made (its committer date, UTC, without time zone)."""
    done = _git(["log", "-1", "--format=%ct", "--end-of-options", sha], repo)
    stamp = done.stdout.decode("ascii", "replace").strip()
    if done.returncode != 0 or not stamp.isdigit():
        raise ToolError(_("无法读取版本 {sha} 的提交时间：{reason}").format(sha=sha[:12], reason=_reason(done)))
    return dt.datetime.fromtimestamp(int(stamp), tz=dt.UTC).replace(tzinfo=None)


def export_folder(repo: Path, sha: str, rel: str, dest: Path) -> int:
    """Write the files of folder `rel` as of commit `sha` into `dest`; returns how many.

    Reads objects with ls-tree and cat-file only, so the work tree, the index and the files'
    attributes (export-subst, filters) play no part. Symbolic links and submodules are skipped.
    """
    listing = _git(["--literal-pathspecs", "ls-tree", "-r", "-z", "--full-tree", sha, "--", rel or "."], repo)
    if listing.returncode != 0:
        raise ToolError(_("无法读取版本 {sha} 的文件列表：{reason}").format(sha=sha[:12], reason=_reason(listing)))
    prefix = f"{rel}/" if rel else ""
    wanted: list[tuple[str, str]] = []
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _tab, raw_path = entry.partition(b"\t")
        mode, kind, obj = meta.decode("ascii").split(" ")
        path = raw_path.decode("utf-8", "surrogateescape")
        if kind != "blob" or mode == "120000" or not path.startswith(prefix):
            continue
        parts = path[len(prefix) :].split("/")
        if any(p in ("", ".", "..") for p in parts):
            continue
        wanted.append((obj, "/".join(parts)))
    if not wanted:
        return 0
    batch = _git(["cat-file", "--batch"], repo, input_bytes="".join(f"{obj}\n" for obj, _p in wanted).encode())
    if batch.returncode != 0:
        raise ToolError(_("无法读取版本 {sha} 的文件：{reason}").format(sha=sha[:12], reason=_reason(batch)))
    data, pos = batch.stdout, 0
    for _obj, rel_path in wanted:
        header_end = data.index(b"\n", pos)
        size = int(data[pos:header_end].split(b" ")[2])
        out_path = dest / rel_path
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_bytes(data[header_end + 1 : header_end + 1 + size])
        pos = header_end + 1 + size + 1
    return len(wanted)
