"""Processes chanjiao starts, and what they leave: the converter setting, run markers, clean-up.

LibreOffice is a launcher (`soffice`, a script that becomes `oosplash`) that forks `soffice.bin`.
Killing the launcher, or chanjiao, leaves soffice.bin running, with its profile folder, `lu*.tmp`
files and an `OSL_PIPE_*` socket in /tmp. So:

- every process a conversion starts carries an environment marker (`CHANJIAO_RUN`), inherited by
  all its descendants, even those that call setsid and leave the process group; killing "all
  processes with this marker" (read from /proc) kills the whole tree;
- a watchdog process (`python -m generator.core.watchdog`) waits on a pipe from chanjiao; when the pipe
  closes, however chanjiao ended (SIGKILL included), it kills what carries chanjiao's marker,
  removes its temporary folders and pipes, and finishes or undoes a staged output swap;
- temporary folders are named after the run (pid and start time), so the next chanjiao removes
  what an earlier killed run left, and never the files of a run that is still alive.

Deliberately light (standard library only): the no-op build and the watchdog import it.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from generator.errors import ToolError
from generator.i18n import _

SOFFICE_ENV = "CHANJIAO_SOFFICE"  # an explicit LibreOffice program, for unusual installs
MARKER_ENV = "CHANJIAO_RUN"
TEMP_PREFIX = "chanjiao-lo-"
RUN_TEMP_PREFIX = "chanjiao-run-"
_PR_SET_PDEATHSIG = 1
_TEMP_NAME = re.compile(r"^chanjiao-(?:lo|run)-(\d+)\.(\d+)-")
#: The system's temporary folder while run_temp_dir() points tempfile at the run's own folder.
_system_tmp: str | None = None


def check_soffice_setting() -> None:
    """Refuse a $CHANJIAO_SOFFICE that names no runnable program (a ToolError, exit 3).

    Someone who set it meant that LibreOffice: a typo must not read as "not installed" and quietly
    build without PDFs.
    """
    explicit = os.environ.get(SOFFICE_ENV)
    if explicit and not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
        raise ToolError(_("环境变量 {var} 指向的程序不存在或不可执行：{path}").format(var=SOFFICE_ENV, path=explicit))


# -- who is alive ---------------------------------------------------------------------------------


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (with the pid, it names one process:
    pids are reused, start times are not)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else int(fields[19])


def run_id(pid: int | None = None) -> str:
    """`pid.starttime` of a process (this one by default)."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}.{_start_time(pid) or 0}"


def _run_alive(pid: int, start: int) -> bool:
    if start == 0:  # no /proc (not Linux): the pid alone, erring on the side of "alive"
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return _start_time(pid) == start


# -- process trees -------------------------------------------------------------------------------

_counter = 0
_counter_lock = threading.Lock()


def new_marker() -> str:
    """A marker for one conversion: this run's id and a serial number, unique across threads
    (offices start side by side: two with one marker would be killed together)."""
    global _counter
    with _counter_lock:
        _counter += 1
        serial = _counter
    return f"{run_id()}/{serial}"


def marked_pids(marker: str, *, prefix: bool = False) -> list[int]:
    """Live processes whose environment has CHANJIAO_RUN=marker (or starting with marker + "/")."""
    want = f"{MARKER_ENV}={marker}".encode()
    found: list[int] = []
    me = os.getpid()
    try:
        entries = list(os.scandir("/proc"))
    except OSError:  # not Linux: process groups are all there is
        return found
    for entry in entries:
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as fh:
                env = fh.read().split(b"\0")
        except OSError:
            continue
        if any(v == want or (prefix and v.startswith(want + b"/")) for v in env):
            found.append(int(entry.name))
    return found


def kill_marked(marker: str, *, prefix: bool = False, wait: float = 5.0) -> int:
    """SIGKILL every process carrying the marker, again until none is left; returns how many."""
    killed: set[int] = set()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        pids = [p for p in marked_pids(marker, prefix=prefix) if _start_time(p) is not None]
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
            killed.add(pid)
        time.sleep(0.02)  # a killed process still shows in /proc until it is reaped
    return len(killed)


def die_with_parent() -> None:
    """preexec_fn: the child is SIGKILLed when chanjiao dies (Linux). Note the kernel sends it when
    the *thread* that started the child ends, so call Popen from a thread that outlives it."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


# -- LibreOffice's files -------------------------------------------------------------------------


def osl_pipe(profile_url: str) -> Path:
    """The socket LibreOffice creates in /tmp for a profile (its single-instance pipe): the MD5 of
    the profile URL in UTF-16LE, each byte in hex without its leading zero."""
    digest = hashlib.md5(profile_url.encode("utf-16-le"), usedforsecurity=False).digest()
    return Path("/tmp") / f"OSL_PIPE_{os.getuid()}_SingleOfficeIPC_{''.join(f'{b:x}' for b in digest)}"


def profile_urls(work_dir: Path) -> list[str]:
    """The profile URLs of the jobs in a conversion's temporary folder (job0/profile, …), or in
    the conversions inside a run's temporary folder."""
    jobs = [*work_dir.glob("job*"), *work_dir.glob(f"{TEMP_PREFIX}*/job*")]
    return [(job / "profile").as_uri() for job in sorted(jobs) if job.is_dir()]


#: A job folder's file naming the pipe LibreOffice accepts UNO connections on (the warm converter):
#: LibreOffice makes /tmp/OSL_PIPE_<uid>_<name> for it, and a killed LibreOffice leaves it there.
ACCEPT_PIPE_FILE = "accept-pipe"


def remove_pipes(work_dir: Path) -> None:
    """The OSL pipes of a conversion's LibreOffice processes: each profile's single-instance pipe
    and, for the warm converter, the pipe it accepted connections on."""
    for url in profile_urls(work_dir):
        osl_pipe(url).unlink(missing_ok=True)
    for named in [*work_dir.glob(f"job*/{ACCEPT_PIPE_FILE}"), *work_dir.glob(f"{TEMP_PREFIX}*/job*/{ACCEPT_PIPE_FILE}")]:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            name = named.read_text(encoding="utf-8").strip()
            if re.fullmatch(r"[A-Za-z0-9_-]+", name):
                (Path("/tmp") / f"OSL_PIPE_{os.getuid()}_{name}").unlink(missing_ok=True)


def make_temp_dir() -> Path:
    """A conversion's temporary folder, named after this run so that leftovers can be told apart."""
    return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{run_id()}-"))


def remove_temp_dir(work_dir: Path) -> None:
    remove_pipes(work_dir)
    shutil.rmtree(work_dir, ignore_errors=True)


@contextlib.contextmanager
def run_temp_dir() -> Iterator[Path]:
    """Point `tempfile` at a folder of this run's own for the duration: every temporary file of
    the command (font checks, conversions, diffs) lands there, so a killed run leaves one folder,
    named after it, that the watchdog or the next run removes."""
    global _system_tmp
    start_watchdog()  # first: a kill right after the folder is made must not leave it behind
    base = tempfile.gettempdir()
    path = Path(tempfile.mkdtemp(prefix=f"{RUN_TEMP_PREFIX}{run_id()}-", dir=base))
    saved, saved_system = tempfile.tempdir, _system_tmp
    tempfile.tempdir, _system_tmp = str(path), base
    try:
        yield path
    finally:
        tempfile.tempdir, _system_tmp = saved, saved_system
        remove_temp_dir(path)


def sweep_leftovers(owner: str | None = None) -> int:
    """Remove what killed runs left: their LibreOffice processes, temporary folders and pipes.

    `owner` (a run id) sweeps that run's leftovers; None sweeps every run that is no longer alive.
    A live run's files are never touched. Returns the number of folders removed.
    """
    removed = 0
    try:
        entries = list(os.scandir(_system_tmp or tempfile.gettempdir()))
    except OSError:
        return 0
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if not match or not entry.is_dir(follow_symlinks=False):
            continue
        pid, start = int(match.group(1)), int(match.group(2))
        if (owner is not None and f"{pid}.{start}" != owner) or (owner is None and _run_alive(pid, start)):
            continue
        kill_marked(f"{pid}.{start}", prefix=True)
        remove_temp_dir(Path(entry.path))
        removed += 1
    return removed


# -- the watchdog --------------------------------------------------------------------------------


class _Watchdog:
    def __init__(self) -> None:
        read_end, self._pipe = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "generator.core.watchdog", run_id()],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                # its own session: a kill aimed at chanjiao's process group does not reach it
                start_new_session=True,
                env={k: v for k, v in os.environ.items() if k != MARKER_ENV},
            )
        finally:
            os.close(read_end)
        atexit.register(self.stop)

    def stop(self) -> None:
        """At a normal exit: close the pipe (the watchdog's signal that we ended) and wait briefly
        for it to finish its clean-up, so no watchdog outlives a finished run."""
        with contextlib.suppress(OSError):
            os.close(self._pipe)
        try:
            self.proc.wait(timeout=_WATCHDOG_EXIT_WAIT)
        except subprocess.TimeoutExpired:
            self.proc.returncode = -1  # left to finish alone; not a leak to report at shutdown

    def send(self, line: str) -> None:
        with contextlib.suppress(OSError):
            os.write(self._pipe, (line + "\n").encode("utf-8"))


_watchdog: _Watchdog | None = None
_watchdog_lock = threading.Lock()
#: seconds a normal exit waits for the watchdog's clean-up
_WATCHDOG_EXIT_WAIT = 5


def start_watchdog() -> None:
    """Start the watchdog once per run (a no-op afterwards). It lives until this process ends."""
    global _watchdog
    with _watchdog_lock:  # offices start side by side: one watchdog for all of them
        if _watchdog is None and sys.platform.startswith("linux"):
            with contextlib.suppress(OSError):
                _watchdog = _Watchdog()


def watch_output(out_dir: Path, on: bool = True) -> None:
    """Tell the watchdog about an output folder with a staged build in progress (or done)."""
    start_watchdog()
    if _watchdog is not None:
        _watchdog.send(("+" if on else "-") + str(out_dir.resolve()))
