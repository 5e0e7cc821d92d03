"""A second process that reads a PDF back while the build goes on: the build's other core.

A build reads every PDF it makes back against its .docx (readback.py, layout.py: ~0.3 s for the
example's 28-page plan) and finds the pages of the 自评表's tagged places (pagemap.py). All of it
is Python, so threads cannot share it out. With a warm converter running (`chanjiao preview`'s),
the converter's LibreOffice has nothing to do while the build reads and renders: one core sits
idle. So the build starts this worker when it starts (its imports, ~0.3 CPU-s, run on the idle
core while the build checks and renders), hands it the longest document of phase 1 (the plan) and
reads the other itself, then hands it the 自评表 and makes the package meanwhile
(pipeline._read_elsewhere).

One task per document, answered in order on the worker's stdout:
    → (language, title, docx, pdf, anchors)     anchors: the texts whose pages the 自评表 prints
    ← ("pages", [page or None, …])              first, as soon as the PDF is read (the 自评表
                                                 waits for it), only when anchors is not None
    ← ("read", Inspection, PdfFacts)            the read-back and layout, and the PDF's facts
 or ← ("error", text)                            in place of either: the build does it itself
Each message is a 4-byte length and a pickle (the two ends are this package; the pipes are ours).

Whatever goes wrong with the worker (it cannot start, dies, answers an error, or takes longer
than the build's timeout) costs time, never a result: the build reads that PDF itself, as it does
without a worker, and reports what that finds (an unreadable PDF's error included). It carries the
run's marker, so the watchdog kills it when chanjiao is killed, and it ends at the end of its
input when the build closes it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.core import procs

if TYPE_CHECKING:
    from generator.pdf.layout import Inspection
    from generator.pdf.reader import PdfFacts

#: "0": never start a worker; "1": start one for every build that converts (tests); unset: only
#: when a warm converter runs (the cores are then free; a cold build's LibreOffice needs them)
WORKER_ENV = "CHANJIAO_READ_WORKER"
_HEADER = struct.Struct("!I")


def wanted(warm_running: bool) -> bool:
    """Whether a build that converts should start a worker (see WORKER_ENV)."""
    setting = os.environ.get(WORKER_ENV, "")
    if setting in ("0", "1"):
        return setting == "1"
    from generator.pdf.convert import cores

    return warm_running and cores() >= 2


@dataclass
class Task:
    """One document handed to the worker; its answers as they are read (None: not yet)."""

    name: str
    anchors: bool
    pages: list[int | None] | None = None
    read: tuple[Inspection, PdfFacts] | None = None
    failed: bool = False

    @property
    def done(self) -> bool:
        return self.failed or self.read is not None


@dataclass
class ReadWorker:
    """The worker process, seen from the build (see the module docstring)."""

    proc: subprocess.Popen[bytes]
    marker: str
    timeout: float
    tasks: list[Task] = field(default_factory=list)
    broken: bool = False

    @classmethod
    def start(cls, timeout: float) -> ReadWorker | None:
        """Start one; None when it cannot be started (the build then reads every PDF itself)."""
        procs.start_watchdog()
        marker = procs.new_marker()
        env = {**os.environ, procs.MARKER_ENV: marker}
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "generator.pdf.readworker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                bufsize=0,
            )
        except OSError:
            return None
        return cls(proc, marker, timeout)

    def submit(
        self, language: str, title: str, docx: Path, pdf: Path, anchors: Sequence[str] | None
    ) -> Task | None:
        """Hand it one document; None when it is broken (the caller reads the PDF itself)."""
        if self.broken:
            return None
        task = Task(pdf.name, anchors is not None)
        message = (language, title, str(docx), str(pdf), None if anchors is None else list(anchors))
        try:
            assert self.proc.stdin is not None
            _write_all(self.proc.stdin.fileno(), _frame(message))
        except OSError:
            self._break()
            return None
        self.tasks.append(task)
        return task

    def pages(self, task: Task) -> list[int | None] | None:
        """The printed page of each anchor of `task`; None when the worker could not tell."""
        while task.anchors and task.pages is None and not task.done:
            self._receive()
        return task.pages

    def result(self, task: Task) -> tuple[Inspection, PdfFacts] | None:
        """The read-back and facts of `task`'s PDF; None when the worker could not tell."""
        while not task.done:
            self._receive()
        return task.read

    def _receive(self) -> None:
        """Read the next answer into the task it belongs to (tasks are answered in order)."""
        task = next(t for t in self.tasks if not t.done)
        answer = None if self.broken else self._read()
        if answer is None:
            self._break()
            return
        kind, *body = answer
        if kind == "pages" and task.anchors and task.pages is None:
            task.pages = body[0]
        elif kind == "read":
            task.read = (body[0], body[1])
        else:  # "error", or an answer out of order: this task is read by the build itself
            task.failed = True

    def _read(self) -> Any:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + self.timeout
        header = _read_exact(self.proc.stdout.fileno(), _HEADER.size, deadline)
        if header is None:
            return None
        body = _read_exact(self.proc.stdout.fileno(), _HEADER.unpack(header)[0], deadline)
        if body is None:
            return None
        try:
            return pickle.loads(body)
        except Exception:  # noqa: BLE001 - a damaged answer is no answer
            return None

    def _break(self) -> None:
        """Stop using the worker: every task not answered is read by the build itself."""
        self.broken = True
        for task in self.tasks:
            if not task.done:
                task.failed = True
        self._stop()

    def _stop(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(1.0)
        procs.kill_marked(self.marker, wait=1.0)

    def close(self) -> None:
        """End the worker: its input closes, and it is killed if it does not end at once (a task
        not read any more is abandoned)."""
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()
        try:
            self.proc.wait(0.5)
        except subprocess.TimeoutExpired:
            self._stop()


def _frame(message: object) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


def _write_all(fd: int, data: bytes) -> None:
    """All of `data` to fd (a pipe may take less than all in one write)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, size: int, deadline: float) -> bytes | None:
    """`size` bytes from fd, or None at its end or past the deadline."""
    chunks, left = [], size
    while left:
        wait = deadline - time.monotonic()
        if wait <= 0 or not select.select([fd], [], [], wait)[0]:
            return None
        try:
            chunk = os.read(fd, left)
        except OSError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# -- the worker's side -----------------------------------------------------------------------------


def _serve(read: Any, write: Any) -> None:
    from generator.i18n import language, set_language
    from generator.pdf.layout import inspect_pdf
    from generator.pdf.pagemap import locate, page_map
    from generator.pdf.readback import extract
    from generator.pdf.reader import pdf_facts

    def send(message: object) -> None:
        write(_frame(message))

    while True:
        header = read(_HEADER.size)
        if len(header) < _HEADER.size:
            return  # the build closed its end
        lang, title, docx, pdf, anchors = pickle.loads(read(_HEADER.unpack(header)[0]))
        if lang != language():
            set_language(lang)
        try:
            extracted = extract(Path(docx), Path(pdf))
            if anchors is not None:
                send(("pages", locate(page_map(extracted.printed.pages), anchors)))
            inspection = inspect_pdf(title, Path(docx), Path(pdf), extracted)
            inspection.printed = ()  # the characters stay here: the build has what it needs of them
            send(("read", inspection, pdf_facts(Path(pdf))))
        except Exception as exc:  # noqa: BLE001 - the build reads it itself and reports what fails
            send(("error", f"{type(exc).__name__}: {exc}"))


def main() -> None:
    # Ctrl-C reaches the whole process group: the worker just ends (the build reports it).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # The answers get the pipe to themselves: anything printed goes where errors go (nowhere).
    answers = os.dup(1)
    os.dup2(2, 1)

    try:
        _serve(sys.stdin.buffer.read, lambda data: _write_all(answers, data))
    except Exception:  # noqa: BLE001, S110 - the build ended first, or sent what it cannot have
        pass
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
