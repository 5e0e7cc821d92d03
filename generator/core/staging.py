"""All-or-nothing outputs: a build's files are staged, then swapped in as one set.

A build writes every new file (documents, PDFs, package, reports, state file) into a staging
folder inside the output folder (same file system, so moving a file is a rename). Only when all of
them are written does it commit: it writes a journal naming the files to move and the previous
outputs to remove (one atomic rename: the commit point), then renames the files into place and
removes the journal. Files that did not change stay where they are and are part of the new set.

- A failure or a kill before the commit point leaves the output folder as it was; the staging
  folder is removed at once (or, after a kill, by the watchdog or the next build).
- A kill after the commit point leaves a journal: the next build (or the watchdog) finishes the
  swap from it, so the folder never stays a mix of two builds.
- One build at a time per output folder: an exclusive lock on the folder itself (no lock file is
  left behind; the kernel drops it when the process dies, however it dies).

Deliberately light (standard library only): the watchdog process imports it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import time
from pathlib import Path

from generator.core import procs
from generator.core.atomic import write_atomic
from generator.errors import ToolError
from generator.i18n import _

STAGE_PREFIX = ".chanjiao-staging-"
JOURNAL = ".chanjiao-swap.json"
_LOCK_WAIT = 15.0  # seconds: long enough for a dying build's watchdog to finish its swap


def _plain_name(name: object) -> bool:
    """Only a plain file name in the output folder may be moved or removed (the journal and the
    state file are files a user could edit: never follow them out of the folder)."""
    return isinstance(name, str) and bool(name) and name not in (".", "..") and "/" not in name and "\0" not in name


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def lock_dir(out_dir: Path, wait: float = _LOCK_WAIT) -> int:
    """An exclusive lock on the output folder; returns the fd to pass to unlock_dir."""
    fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN) or time.monotonic() >= deadline:
                os.close(fd)
                raise ToolError(_("另一个 chanjiao 正在生成到 {path}，请等它结束后再运行").format(path=out_dir)) from exc
            time.sleep(0.05)


def unlock_dir(fd: int) -> None:
    os.close(fd)  # closing the only descriptor drops the flock


def _roll_forward(out_dir: Path, journal: dict) -> None:
    stage = out_dir / str(journal.get("stage", ""))
    for name in journal.get("files", []):
        if _plain_name(name) and os.path.lexists(stage / name):
            os.replace(stage / name, out_dir / name)
    for name in journal.get("remove", []):
        if _plain_name(name):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                (out_dir / name).unlink()
    _fsync_dir(out_dir)
    if _plain_name(journal.get("stage")) and str(journal["stage"]).startswith(STAGE_PREFIX):
        shutil.rmtree(stage, ignore_errors=True)
    (out_dir / JOURNAL).unlink(missing_ok=True)
    _fsync_dir(out_dir)


def recover(out_dir: Path) -> bool:
    """Finish a committed swap a killed build left, and remove staging folders no build owns.

    Call with the folder's lock held. Returns True when there was something to do.
    """
    did = False
    try:
        journal = json.loads((out_dir / JOURNAL).read_text(encoding="utf-8"))
    except FileNotFoundError:
        journal = None
    except (OSError, ValueError):
        journal = {}  # unreadable: cannot be ours to finish; only remove it
    if journal is not None:
        _roll_forward(out_dir, journal if isinstance(journal, dict) else {})
        did = True
    try:
        entries = list(os.scandir(out_dir))
    except OSError:
        return did
    for entry in entries:
        if entry.name.startswith(STAGE_PREFIX) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
            did = True
        elif entry.name.startswith(f".{JOURNAL}.") and entry.name.endswith(".tmp"):
            # the atomic writer's temporary journal from a build killed while committing
            Path(entry.path).unlink(missing_ok=True)
            did = True
    return did


def swap_pending(out_dir: Path) -> bool:
    """True when a previous build left a staging folder or a half-done swap (cheap: one listdir)."""
    try:
        return any(n == JOURNAL or n.startswith(STAGE_PREFIX) for n in os.listdir(out_dir))
    except OSError:
        return False


class Stage:
    """The staging folder of one build, and the lock on its output folder.

    Use as `with Stage(out_dir) as stage:`; write new files to `stage.path(name)`, then
    `stage.commit(outputs, previous)`. Leaving the block without committing removes the staging
    folder, so the output folder is as it was.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.committed = False
        try:
            # exists() raises for a name over 255 bytes: the same clear error as mkdir's.
            self._created_out = not out_dir.exists()
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ToolError(_("无法创建输出目录 {path}：{reason}").format(path=out_dir, reason=exc.strerror)) from exc
        self._lock = lock_dir(out_dir)
        try:
            recover(out_dir)
            procs.sweep_leftovers()  # converters, profiles and pipes of earlier killed runs
            # A kill from here on: the watchdog removes the staging folder or finishes the swap.
            procs.watch_output(out_dir)
            self.dir = out_dir / f"{STAGE_PREFIX}{os.getpid()}"
            self.dir.mkdir()
        except OSError as exc:
            unlock_dir(self._lock)
            raise ToolError(_("无法写入 {path}：{reason}").format(path=out_dir, reason=exc.strerror)) from exc
        except BaseException:
            unlock_dir(self._lock)
            raise

    def __enter__(self) -> Stage:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def path(self, name: str) -> Path:
        """Where a new output file is written until the commit."""
        return self.dir / name

    def commit(self, outputs: list[str], previous: list[str], last: str) -> None:
        """Swap the new set in: the staged files move into place (`last`, the state file, moves
        last), and previous outputs that are not in the new set are removed."""
        staged = sorted(n for n in os.listdir(self.dir) if n != last)
        if (self.dir / last).exists():
            staged.append(last)
        new_set = set(outputs) | set(staged)
        remove = sorted(n for n in previous if _plain_name(n) and n not in new_set)
        _fsync_dir(self.dir)
        # The commit point: from here on the next build finishes this swap instead of undoing it.
        write_atomic(self.out_dir / JOURNAL, json.dumps({"stage": self.dir.name, "files": staged, "remove": remove}, ensure_ascii=False).encode("utf-8"))
        try:
            _roll_forward(self.out_dir, {"stage": self.dir.name, "files": staged, "remove": remove})
        except OSError as exc:
            raise ToolError(_("无法写入 {path}：{reason}").format(path=self.out_dir, reason=exc.strerror)) from exc
        self.committed = True

    def close(self) -> None:
        """Release the lock; without a commit, first remove everything staged."""
        if self._lock < 0:
            return
        try:
            if not self.committed and not (self.out_dir / JOURNAL).exists():
                shutil.rmtree(self.dir, ignore_errors=True)
                if self._created_out:
                    with contextlib.suppress(OSError):
                        self.out_dir.rmdir()  # only if still empty: the folder is as it was
        finally:
            procs.watch_output(self.out_dir, on=False)
            unlock_dir(self._lock)
            self._lock = -1
