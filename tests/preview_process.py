"""`chanjiao preview` in a process of its own, for the tests and the benchmark that drive it."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from generator.core import procs

CHANJIAO = Path(sys.executable).with_name("chanjiao")


def append_line(root: Path, rel: str, text: str) -> None:
    """Save `text` as a new paragraph at the end of the content file `rel`."""
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


def done(state: dict) -> bool:
    """The state's last rebuild finished (pages, read-back and layout)."""
    return state["status"].get("phase") == "done"


class PreviewProcess:
    """`chanjiao preview` running in a process of its own, and what it printed."""

    def __init__(self, root: Path, out: Path) -> None:
        self.proc = subprocess.Popen(
            [str(CHANJIAO), "preview", str(root), "-o", str(out), "--no-browser", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().decode("utf-8")
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert match, first + self.proc.stderr.read().decode() if self.proc.stderr else first
        self.port = int(match.group(1))
        self.run = procs.run_id(self.proc.pid)  # the marker its LibreOffice processes carry

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def state(self) -> dict:
        """The page's data, as the page reads it."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/api/state")
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def wait(self, ok: Callable[[dict], bool], timeout: float = 180) -> dict:
        """The first state for which `ok` holds, polled every 50 ms."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            if ok(state):
                return state
            time.sleep(0.05)
        raise AssertionError(f"timed out; last state: {state.get('status')}")

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        """Send `sig`, wait for the end; the exit code, standard output and error."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            out, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            # Hung: ask for every thread's stack (faulthandler on SIGUSR1, see preview/command.py),
            # then kill it, so that the failure says where it hung and no process is left behind.
            self.proc.send_signal(signal.SIGUSR1)
            time.sleep(1)
            self.proc.kill()
            out, err = self.proc.communicate(timeout=30)
            raise AssertionError(f"preview did not end within 60 s of signal {sig}:\n{err.decode('utf-8', 'replace')[-6000:]}") from None
        return self.proc.returncode, out.decode("utf-8"), err.decode("utf-8")


