"""The `chanjiao` program (and `python -m generator`): the CLI, then an exit without the teardown.

A normal exit frees every object one by one before the process ends: after a build (lxml trees,
the PDFs' characters, the process's caches) that took ~0.3 s, a twentieth of a whole build, with
nothing left to do. So, as mypy does, the exit handlers run (the watchdog's stop among them), the
output is flushed, and the process ends at once, with the command's exit code. Not when another
non-daemon thread still runs, or for an exit code that is not a number: then Python exits as usual.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading

from generator.cli import main


def entry() -> None:
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = None
    others = any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate())
    if others or not (code is None or isinstance(code, int)):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    entry()
