"""The watchdog process (`python -m generator.core.watchdog <run id>`): cleans up after chanjiao.

procs.start_watchdog starts it with a pipe on its stdin; chanjiao writes the output folders it is
building into; when the pipe closes, however chanjiao ended (SIGKILL included), the watchdog kills
what carries chanjiao's marker, removes its temporary folders and pipes, and finishes or undoes a
staged output swap. Its own module, so that procs (which starts it) and staging (whose swap it
finishes) do not import each other.

Deliberately light (standard library only).
"""

from __future__ import annotations

import contextlib
import signal
import sys
from pathlib import Path

from generator.core.procs import kill_marked, sweep_leftovers
from generator.core.staging import lock_dir, recover, unlock_dir
from generator.errors import ToolError


def watch(owner: str) -> None:
    """The watchdog's life: remember output folders until the pipe closes, then clean up."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    dirs: set[str] = set()
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if line[:1] == "+":
            dirs.add(line[1:])
        elif line[:1] == "-":
            dirs.discard(line[1:])
    # chanjiao has ended. After a normal end there is nothing to do; after a kill, its converters
    # may still run, its temporary folders remain, a staged build may be half swapped.
    kill_marked(owner, prefix=True)
    sweep_leftovers(owner)
    for folder in dirs:
        with contextlib.suppress(OSError, ToolError):
            fd = lock_dir(Path(folder), wait=60)
            try:
                recover(Path(folder))
            finally:
                unlock_dir(fd)


if __name__ == "__main__":  # pragma: no cover - runs as the watchdog process
    watch(sys.argv[1])
