"""A warm LibreOffice: started once, kept running, converting .docx → PDF through its UNO interface.

A cold conversion spends most of its time starting LibreOffice (~1 s of CPU); `chanjiao preview`
converts on every save, so it keeps one LibreOffice running and hands it documents.

**The route: a small bridge of our own (pdf/unobridge.py), not the `unoserver` package.** Both need
the Python that has LibreOffice's `uno` module (Debian's python3-uno, for /usr/bin/python3; our
venv's Python cannot import it). unoserver would add a package to install into that system Python
(Debian does not package it; pip refuses an externally managed Python without
--break-system-packages), listens on a TCP port any local user can reach (XML-RPC, no
authentication), and starts LibreOffice itself, where we must start it: with our profile, our
fonts.conf, the run marker the watchdog kills by, in its own process group. What unoserver learned
is kept (its source was read, none copied): load documents read-only and close them after every
export (open documents leak memory), a timeout per conversion, restarting after a number of
conversions because LibreOffice does not give memory back, and treating a failed start as an error
rather than waiting forever. The bridge is ~100 lines of standard library + uno, speaking JSON
lines over its stdin/stdout: no port at all. So:

    chanjiao ──stdin/stdout (JSON lines)──▶ /usr/bin/python3 unobridge.py ──UNO pipe──▶ soffice

Surviving what warm LibreOffice is known for:
- every conversion has a deadline; past it (a hang) LibreOffice and the bridge are killed;
- a crash (soffice gone, the UNO connection broken) is seen by the bridge or by the deadline;
- after either, this conversion falls back to one cold `convert_to_pdf` (`fell_back`, `message`)
  and the next one starts LibreOffice afresh;
- after `max_conversions` documents, or when the RSS of its process tree exceeds
  `memory_ceiling_mb`, LibreOffice is restarted before the next conversion;
- every process carries a run marker (core/procs.py), so close(), and the watchdog when our process
  is killed (SIGKILL included), kill LibreOffice with all its descendants.
The PDFs are checked like the cold path's (convert.verify_pdf), under the same fonts.conf.

While running, the converter also serves `build`s on a Unix socket (pdf/warmclient.py), each
request on a thread of its own: a build asks for each document on its own connection and reads
one back as soon as it is converted.

**A document it has converted is not converted again** while the converter runs: the PDF of each
of the last documents it made is kept in memory under the .docx's bytes and the fonts folder's
state, and the same bytes are answered with that PDF at once. A build run beside `chanjiao
preview` asks for the documents the preview has just converted (the same content renders to the
same bytes), and a preview save that puts a text back gets its old pages at once. LibreOffice
keeps nothing between two documents, so what it would make again is what it made.

**Several offices** (`offices=2`): LibreOffice converts on one core, so a converter may keep a
pool of LibreOffices, each with its own profile, bridge and marker, and hand each a document: a
call's documents (or two builds' requests) convert side by side. Everything above holds per
office: a hang or crash of one restarts that one and converts its document cold; the others go on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import selectors
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from generator.core import procs
from generator.core.atomic import copy_atomic, write_atomic
from generator.errors import ToolError
from generator.i18n import _
from generator.pdf import profile, warmclient
from generator.pdf.convert import (
    HEADLESS_FLAGS,
    INSTALL_HINT,
    check_inputs,
    convert_to_pdf,
    find_soffice,
    verify_pdf,
)
from generator.pdf.fonts import fontconfig_env, write_fonts_conf

BRIDGE = Path(__file__).with_name("unobridge.py")
#: the Python with LibreOffice's uno module (Debian: python3-uno); $CHANJIAO_UNO_PYTHON overrides
UNO_PYTHON_ENV = "CHANJIAO_UNO_PYTHON"
UNO_HINT = "sudo apt-get install --no-install-recommends python3-uno"
_UNO_PYTHONS = ("/usr/bin/python3", "/usr/local/bin/python3")
_START_TIMEOUT = 90.0
_COLD_TIMEOUT = 120.0  # the cold fallback's timeout at least, as convert_to_pdf's default
_START_POLL = 0.1  # how often a start in progress looks at its launcher and at close()


def find_uno_python() -> Path | None:
    """A Python that can `import uno`: $CHANJIAO_UNO_PYTHON, else the system's python3."""
    explicit = os.environ.get(UNO_PYTHON_ENV)
    candidates = [explicit] if explicit else list(_UNO_PYTHONS)
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


class _Office:
    """One running LibreOffice and its bridge, with their folder, marker and counters."""

    def __init__(
        self, soffice: Path, python: Path, fonts_dir: Path | None, start_timeout: float, cancel: threading.Event | None = None
    ) -> None:
        self.marker = procs.new_marker()
        self.work_dir = procs.make_temp_dir()
        # job0/profile: the layout procs.remove_pipes() knows, so LibreOffice's OSL pipe goes too
        job = self.work_dir / "job0"
        (job / "tmp").mkdir(parents=True)
        self.out_dir = self.work_dir / "out"
        self.out_dir.mkdir()
        self.log_path = self.work_dir / "soffice.log"
        self.conversions = 0
        self.fonts = warmclient.fonts_state(fonts_dir)  # what LibreOffice will have read
        self.soffice: subprocess.Popen[bytes] | None = None
        self.bridge: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        env = {
            **fontconfig_env(write_fonts_conf(self.work_dir, fonts_dir)),
            procs.MARKER_ENV: self.marker,
            "TMPDIR": str(job / "tmp"),
        }
        env = _utf8_locale(env)
        pipe = f"chanjiao-warm-{uuid.uuid4().hex}"
        # Named in the job folder, so that whoever removes the folder (stop(), the watchdog, the
        # next run's sweep) removes LibreOffice's /tmp/OSL_PIPE_<uid>_<pipe> with it.
        (job / procs.ACCEPT_PIPE_FILE).write_text(pipe, encoding="utf-8")
        seeded = profile.seed(job / "profile", soffice)  # a copy of a made profile: no first-start work
        try:
            self._launch(soffice, python, job, env, pipe, start_timeout)
            ready = self._await_ready(start_timeout, cancel)
        except BaseException:
            self.stop()
            raise
        if ready is None or not ready.get("ready"):
            reason = (ready or {}).get("error") or self.log_tail() or _("无响应")
            self.stop()
            if cancel is not None and cancel.is_set():
                raise ToolError(_("常驻 LibreOffice 的启动已取消"))  # not the profile's fault: it stays
            if seeded:
                profile.forget(soffice)  # in case the copy is what failed: the next start makes a fresh one
            if "No module named 'uno'" in str(reason):
                raise ToolError(_("{python} 无法导入 LibreOffice 的 uno 模块，请安装：{hint}").format(python=python, hint=UNO_HINT))
            raise ToolError(_("常驻 LibreOffice 未能启动：{reason}").format(reason=reason))

    def _await_ready(self, timeout: float, cancel: threading.Event | None) -> dict[str, object] | None:
        """The bridge's first reply; None once `timeout` passed, `cancel` is set, or LibreOffice's
        launcher ended (a LibreOffice that exits at start, or is no LibreOffice, is given up at once
        instead of after the whole timeout: the bridge would keep waiting for its pipe)."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self.receive(min(_START_POLL, max(0.0, deadline - time.monotonic())))
            if reply is not None:
                return reply
            if time.monotonic() >= deadline or (cancel is not None and cancel.is_set()) or not self.alive():
                return None

    def _launch(self, soffice: Path, python: Path, job: Path, env: dict[str, str], pipe: str, start_timeout: float) -> None:
        command = [
            str(soffice),
            f"-env:UserInstallation={(job / 'profile').as_uri()}",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
            *HEADLESS_FLAGS,
            "--nofirststartwizard",
        ]
        with self.log_path.open("ab") as log:
            # No die_with_parent here, unlike the cold path: the kernel sends that signal when the
            # *thread* that started the child ends, and preview converts from short-lived threads.
            # The run marker and the watchdog cover our death instead.
            try:
                self.soffice = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    cwd=job, env=env, start_new_session=True,
                )
                self.bridge = subprocess.Popen(
                    [str(python), "-I", str(BRIDGE), f"pipe,name={pipe}", f"{start_timeout:g}"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                    cwd=job, env=env, start_new_session=True, bufsize=0,
                )
            except OSError as exc:
                raise ToolError(_("无法运行 LibreOffice：{path}（{reason}）").format(path=soffice, reason=exc)) from exc

    def alive(self) -> bool:
        return all(p is not None and p.poll() is None for p in (self.soffice, self.bridge))

    def still_alive(self, grace: float = 1.0, answer_within: float = 10.0) -> bool:
        """Whether LibreOffice still runs and answers, asked after the bridge reported a load
        error. When soffice.bin is killed mid-load, that error can come while the process is
        still exiting: its state alone (or the launcher's, which waits for soffice.bin) is not
        an answer. So the office is asked through the bridge too, a call over the same
        connection, which fails or goes unanswered once LibreOffice is gone or going."""
        if self.soffice is None or not self.alive():
            return False
        if os.path.isdir("/proc/self"):
            if not any(_is_soffice_bin(pid) for pid in procs.marked_pids(self.marker)):
                return False
        else:
            try:
                self.soffice.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
            else:
                return False
        try:
            self.send({"ping": "1"})
        except ToolError:
            return False
        reply = self.receive(answer_within)
        return bool(reply and reply.get("ok"))

    def send(self, message: dict[str, str]) -> None:
        assert self.bridge is not None and self.bridge.stdin is not None
        try:
            self.bridge.stdin.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
        except OSError as exc:  # the bridge is gone
            raise ToolError(_("常驻 LibreOffice 已退出")) from exc

    def receive(self, timeout: float) -> dict[str, object] | None:
        """The bridge's next reply, or None if none came within timeout (or the bridge ended)."""
        assert self.bridge is not None and self.bridge.stdout is not None
        fd = self.bridge.stdout.fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None
                chunk = os.read(fd, 65536)
                if not chunk:
                    return None
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError:
            return None
        return reply if isinstance(reply, dict) else None

    def rss_mb(self) -> float:
        """Resident memory of every process of this office (soffice.bin, its launcher, the bridge)."""
        total_kb = 0
        for pid in procs.marked_pids(self.marker):
            with contextlib.suppress(OSError, ValueError, IndexError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
        return total_kb / 1024

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text("utf-8", "replace")
        except OSError:
            return ""
        kept = [line for line in text.splitlines() if line.strip() and "javaldx" not in line]
        return "\n".join(kept[-lines:])

    def stop(self) -> None:
        """Kill LibreOffice, the bridge and every descendant (by group, then by marker)."""
        for proc in (self.bridge, self.soffice):
            if proc is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
        procs.kill_marked(self.marker)
        for proc in (self.bridge, self.soffice):
            if proc is not None:
                with contextlib.suppress(OSError):
                    if proc.stdin:
                        proc.stdin.close()
                    if proc.stdout:
                        proc.stdout.close()
                proc.wait()
        procs.remove_temp_dir(self.work_dir)


def _is_soffice_bin(pid: int) -> bool:
    """Whether pid is a live (not zombie) soffice.bin."""
    try:
        program = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return program.endswith(b"soffice.bin") and state not in ("Z", "X")


def _utf8_locale(env: dict[str, str]) -> dict[str, str]:
    """env with a UTF-8 character type: under the C locale LibreOffice cannot turn a file URL
    with Chinese in it back into a path ("type detection failed"); the cold path is not affected
    since its paths arrive as arguments."""
    current = (env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or "").lower()
    if "utf-8" in current or "utf8" in current:
        return env
    kept = {k: v for k, v in env.items() if k != "LC_ALL"}
    return {**kept, "LC_CTYPE": "C.UTF-8"}


class _Failure(Exception):
    """The warm office failed (hang, crash, broken bridge): restart it and convert cold."""


class _Refused(_Failure):
    """The warm office runs but did not open the file: convert cold (which names a broken file),
    and keep the office."""


@dataclass(frozen=True)
class FirstPages:
    """Pages of a document wanted before the whole of it (preview: the pages a change is on).

    `pages` is a 1-based, inclusive page range of the new document. `ready(pdf, first_index)` is
    called with a PDF of just those pages (its first page is the document's page first_index,
    0-based) while LibreOffice goes on exporting the whole, from the converting thread; the file is
    gone after ready returns. A failure of this early export is not reported: the whole decides.
    """

    pages: tuple[int, int]
    ready: Callable[[Path, int], None]


class _Made:
    """The PDFs of the last documents converted, under their .docx bytes and the fonts folder's
    state: the newest `entries`, holding at most `max_bytes` of PDF in all. Thread-safe."""

    def __init__(self, entries: int, max_bytes: int = 64 << 20) -> None:
        self.entries, self.max_bytes = entries, max_bytes
        self._pdfs: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, src: Path, fonts: str) -> str | None:
        """What a PDF is kept under: the .docx's bytes and the fonts (None: unreadable, or none kept)."""
        if self.entries <= 0:
            return None
        try:
            data = src.read_bytes()
        except OSError:
            return None
        return hashlib.sha256(data + b"\0" + fonts.encode("utf-8", "surrogateescape")).hexdigest()

    def get(self, key: str | None) -> bytes | None:
        with self._lock:
            pdf = self._pdfs.get(key) if key is not None else None
            if pdf is not None:
                self._pdfs.move_to_end(key)  # type: ignore[arg-type]
            return pdf

    def clear(self) -> None:
        with self._lock:
            self._pdfs.clear()

    def put(self, key: str | None, pdf: Path) -> None:
        if key is None:
            return
        try:
            data = pdf.read_bytes()
        except OSError:
            return
        with self._lock:
            self._pdfs[key] = data
            self._pdfs.move_to_end(key)
            while len(self._pdfs) > self.entries or (len(self._pdfs) > 1 and sum(map(len, self._pdfs.values())) > self.max_bytes):
                self._pdfs.popitem(last=False)


class _Slot:
    """One office of the pool and what belongs to it: used by one conversion at a time."""

    def __init__(self) -> None:
        self.office: _Office | None = None


class WarmConverter:
    """LibreOffice kept running for many conversions; see the module docstring.

    `offices` LibreOffice processes are kept (default 1): LibreOffice converts on one core, so
    with 2 a call with two documents converts them at the same time, and two builds' requests are
    served side by side. Each office converts one document at a time; a document waits for a free
    one. Thread-safe. `fell_back` tells whether the last convert() fell back to a cold conversion
    (for any of its documents), and `message` says why, in words the caller can print.
    """

    def __init__(
        self,
        *,
        fonts_dir: Path | None = None,
        soffice: Path | None = None,
        max_conversions: int = 200,
        memory_ceiling_mb: int = 1500,
        timeout: float = 60,
        offices: int = 1,
        publish: bool = True,
        fallback_timeout: float | None = None,
        keep: int = 12,
    ) -> None:
        self.fonts_dir = fonts_dir
        self.soffice = soffice
        self.max_conversions = max_conversions
        self.memory_ceiling_mb = memory_ceiling_mb  # per office
        self.timeout = timeout
        self.fell_back = False
        self.message: str | None = None
        #: how often a LibreOffice was (re)started, and why the last restart happened
        self.starts = 0
        #: documents converted warm since this converter was made
        self.conversions = 0
        self.restart_reason: str | None = None
        self._slots = [_Slot() for _ in range(max(1, offices))]
        # LIFO: an idle converter hands a lone document to the first office, as with one office
        self._free: queue.LifoQueue[_Slot] = queue.LifoQueue()
        for slot in reversed(self._slots):
            self._free.put(slot)
        self._lock = threading.RLock()  # counters, the socket server, convert()'s fell_back/message
        self._server: _Server | None = None
        #: publish: serve builds on the socket (pdf/warmclient.py); a build's own converter does not
        self.publish = publish
        #: a failed warm conversion's cold one: at least the cold path's default, or exactly this
        self.fallback_timeout = fallback_timeout
        self._cancel = threading.Event()  # set by close(abandon=True)
        #: the PDFs of the last `keep` documents converted (0: none kept), answered again at once
        self._made = _Made(keep)
        #: documents answered with a PDF made before (the same bytes, the same fonts)
        self.reused = 0

    def __enter__(self) -> WarmConverter:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        """Start every office that is not running (side by side), and publish this converter for
        builds. A ToolError when one cannot start (the others are kept)."""
        slots = self._take_all()
        try:
            errors: list[ToolError] = []
            threads = [threading.Thread(target=self._start_collecting, args=(s, errors), daemon=True) for s in slots[1:]]
            for thread in threads:
                thread.start()
            self._start_collecting(slots[0], errors)
            for thread in threads:
                thread.join()
            if errors:
                raise errors[0]
        finally:
            self._give_back(slots)

    def _start_collecting(self, slot: _Slot, errors: list[ToolError]) -> None:
        try:
            self._start_slot(slot)
        except ToolError as exc:
            errors.append(exc)

    def _start_slot(self, slot: _Slot) -> None:
        """Start this slot's office unless it is running (the caller holds the slot)."""
        if slot.office is not None and slot.office.alive():
            return
        self._stop_slot(slot)
        if self._cancel.is_set():
            raise ToolError(_("常驻 LibreOffice 的启动已取消"))
        soffice = self._find_soffice()
        python = find_uno_python()
        if python is None:
            raise ToolError(_("未找到带 uno 模块的 Python，请安装：{hint}").format(hint=UNO_HINT))
        procs.sweep_leftovers()  # what earlier killed runs left (never a live run's files)
        procs.start_watchdog()  # from here on, our death (even SIGKILL) kills what we start
        # a (re)start, fresh profile included, is slower than a conversion, and on a busy
        # machine much slower: it gets its own, longer deadline
        slot.office = _Office(soffice, python, self.fonts_dir, max(self.timeout, _START_TIMEOUT), self._cancel)
        with self._lock:
            self.starts += 1
            if not self.publish:
                return
            name = warmclient.socket_name(soffice, self.fonts_dir)
            if self._server is not None and self._server.path.name != name:  # the fonts changed
                self._server.close()
                self._server = None
            if self._server is None:
                self._server = _Server.open(self, soffice)

    def convert(self, docx_paths: list[Path], out_dir: Path, first: Mapping[Path, FirstPages] | None = None) -> list[Path]:
        """Convert to out_dir/<stem>.pdf, all or none, checked like convert_to_pdf's output.
        `first`: pages of some documents to hand over early (FirstPages), warm conversions only.

        The documents are spread over the free offices. If a warm LibreOffice fails (a hang past
        the timeout, a crash), it is killed, its document is converted cold once instead
        (fell_back, message), and its next conversion starts a fresh one.
        """
        # Not under the lock: the documents' threads and the builds served meanwhile take it.
        self.fell_back, self.message = False, None
        pdfs, message = self._convert(docx_paths, out_dir, first or {})
        self.fell_back, self.message = message is not None, message
        return pdfs

    def _convert(self, docx_paths: list[Path], out_dir: Path, first: Mapping[Path, FirstPages] | None = None) -> tuple[list[Path], str | None]:
        """convert() without touching fell_back/message (builds served on the socket use it too):
        the PDFs, and the fallback's message if there was one."""
        if not docx_paths:
            return [], None
        check_inputs(docx_paths, self.fonts_dir)
        tmp_dir = procs.make_temp_dir()  # this call's PDFs, until all are made
        try:
            outcomes = self._convert_all(docx_paths, tmp_dir, first or {})
            failed = next((o for o in outcomes if isinstance(o, BaseException)), None)
            if failed is not None:
                raise failed  # the first document (in order) that could not be converted
            for src in docx_paths:
                copy_atomic(tmp_dir / f"{src.stem}.pdf", out_dir / f"{src.stem}.pdf")
        finally:
            procs.remove_temp_dir(tmp_dir)
        message = next((o for o in outcomes if isinstance(o, str)), None)
        return [out_dir / f"{src.stem}.pdf" for src in docx_paths], message

    def _convert_all(self, docx_paths: list[Path], tmp_dir: Path, first: Mapping[Path, FirstPages]) -> list[str | None | BaseException]:
        """Each document converted into tmp_dir, side by side when there are several offices:
        per document, None (warm), the fallback's message, or the exception it raised."""
        outcomes: list[str | None | BaseException] = [None] * len(docx_paths)

        def one(index: int) -> None:
            try:
                outcomes[index] = self._convert_one(docx_paths[index], tmp_dir, first.get(docx_paths[index]))
            except BaseException as exc:  # noqa: BLE001 (re-raised by _convert, in the caller's thread)
                outcomes[index] = exc

        parallel = min(len(self._slots), len(docx_paths))
        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(1, len(docx_paths))] if parallel > 1 else []
        for thread in threads:
            thread.start()
        for index in range(len(docx_paths)) if not threads else (0,):
            one(index)
        for thread in threads:
            thread.join()
        return outcomes

    def _convert_one(self, src: Path, tmp_dir: Path, first: FirstPages | None = None) -> str | None:
        """src → tmp_dir/<stem>.pdf in a free office; the fallback's message if it fell back."""
        # Asked before waiting for an office: the same bytes made the same PDF a moment ago.
        key = self._made.key(src, warmclient.fonts_state(self.fonts_dir))
        kept = self._made.get(key)
        if kept is not None:
            write_atomic(tmp_dir / f"{src.stem}.pdf", kept)
            with self._lock:
                self.reused += 1
            return None
        slot = self._free.get()  # waits for a free office
        try:
            try:
                self._maybe_recycle(slot)
                try:
                    self._start_slot(slot)
                except ToolError as exc:  # e.g. python3-uno missing: the cold path still works
                    raise _Failure(str(exc)) from exc
                assert slot.office is not None
                made = self._convert_warm(slot.office, src, first)
                copy_atomic(made, tmp_dir / f"{src.stem}.pdf")
                with self._lock:
                    self.conversions += 1
                if key == self._made.key(src, warmclient.fonts_state(self.fonts_dir)):  # not rewritten meanwhile
                    self._made.put(key, made)
                return None
            except _Failure as exc:
                if not isinstance(exc, _Refused):  # a refused file leaves a working office running
                    self._stop_slot(slot)
                if self._cancel.is_set():  # closed for good (a build ending, or being stopped): no cold start
                    raise ToolError(_("常驻 LibreOffice 已关闭")) from exc
                with self._lock:
                    self.restart_reason = str(exc)
                message = _("常驻 LibreOffice 出错（{reason}），本次改用单独启动的 LibreOffice 转换；下次转换时重新启动").format(reason=exc)
                # A cold start takes longer than a warm conversion: at least the cold path's own
                # timeout. processes=1 also keeps convert_to_pdf from asking a warm converter (us).
                cold_timeout = max(self.timeout, _COLD_TIMEOUT) if self.fallback_timeout is None else self.fallback_timeout
                convert_to_pdf([src], tmp_dir, fonts_dir=self.fonts_dir, timeout=cold_timeout, soffice=self._find_soffice(), processes=1)
                return message
            finally:
                if slot.office is not None:
                    _clear(slot.office.out_dir)
        finally:
            self._free.put(slot)

    def close(self, abandon: bool = False) -> None:
        """Stop serving builds and kill every LibreOffice with every child; safe to call again.
        Waits for conversions under way (each has its deadline). `abandon`: the converter is
        done: conversions under way end at once (failed, not converted cold), a LibreOffice
        still starting is given up instead of waited for, and a start after this fails at once."""
        if abandon:
            self._cancel.set()
            # conversions under way end now (their bridge's reply never comes) instead of by
            # their deadline: the caller is stopping (a SIGTERM) or has what it needs
            for office in self._offices():
                procs.kill_marked(office.marker)
        with self._lock:
            if self._server is not None:
                self._server.close()
                self._server = None
        slots = self._take_all()
        try:
            for slot in slots:
                self._stop_slot(slot)
        finally:
            self._give_back(slots)

    def forget(self) -> None:
        """Drop the PDFs kept: every document is converted again (measurements)."""
        self._made.clear()

    def rss_mb(self) -> float:
        """Resident memory of the running LibreOffices' process trees in MB (0 if none runs)."""
        return sum(office.rss_mb() for office in self._offices())

    @property
    def offices(self) -> int:
        return len(self._slots)

    @property
    def _office(self) -> _Office | None:
        """The first office (the one a lone document goes to when all are idle)."""
        return self._slots[0].office

    @property
    def pid(self) -> int | None:
        """The first running LibreOffice launcher's pid (for tests and diagnostics)."""
        office = self._office
        return office.soffice.pid if office is not None and office.soffice is not None else None

    @property
    def marker(self) -> str | None:
        """The first office's run marker (every office has its own)."""
        office = self._office
        return office.marker if office is not None else None

    @property
    def markers(self) -> list[str]:
        """Every running office's run marker."""
        return [office.marker for office in self._offices()]

    def _offices(self) -> list[_Office]:
        return [s.office for s in self._slots if s.office is not None]

    def _take_all(self) -> list[_Slot]:
        """Every slot, waiting for conversions under way to end; in pool order."""
        taken = [self._free.get() for _ in self._slots]
        return sorted(taken, key=self._slots.index)

    def _give_back(self, slots: list[_Slot]) -> None:
        for slot in reversed(slots):
            self._free.put(slot)

    def _find_soffice(self) -> Path:
        with self._lock:
            if self.soffice is None:
                procs.check_soffice_setting()
                self.soffice = find_soffice()
            if self.soffice is None:
                raise ToolError(_("未找到 LibreOffice，请安装：{hint}").format(hint=INSTALL_HINT))
            return self.soffice

    def _maybe_recycle(self, slot: _Slot) -> None:
        """Restart before converting once LibreOffice did enough work or holds too much memory."""
        office = slot.office
        if office is None:
            return
        if office.fonts != warmclient.fonts_state(self.fonts_dir):
            reason = _("字体文件夹有变化")
        elif office.conversions >= self.max_conversions:
            reason = _("已转换 {n} 个文档").format(n=office.conversions)
        elif (rss := office.rss_mb()) > self.memory_ceiling_mb:
            reason = _("内存 {n} MB 超过上限 {limit} MB").format(n=int(rss), limit=self.memory_ceiling_mb)
        else:
            return
        with self._lock:
            self.restart_reason = reason
        self._stop_slot(slot)

    def _convert_warm(self, office: _Office, src: Path, first: FirstPages | None = None) -> Path:
        """src converted by `office`: the checked PDF in the office's folder."""
        target = office.out_dir / f"{src.stem}.pdf"
        message = {"src": str(src.resolve()), "out": str(target)}
        if first is not None:
            early = office.out_dir / f"{src.stem}.first.pdf"
            message |= {"first": "{}-{}".format(*first.pages), "first_out": str(early)}
        deadline = time.monotonic() + self.timeout
        office.send(message)
        reply = office.receive(self.timeout)
        failed: BaseException | None = None  # the early pages' consumer's, raised once in step again
        if reply is not None and reply.get("first") and first is not None:
            if reply.get("ok") and early.is_file():
                try:
                    first.ready(early, first.pages[0] - 1)
                except BaseException as exc:  # noqa: BLE001 (re-raised below, once the office's reply is read)
                    failed = exc
            reply = office.receive(max(0.0, deadline - time.monotonic()))
        office.conversions += 1
        if reply is None:
            if office.alive():
                raise _Failure(_("转换超时（{n} 秒）：{file}").format(n=f"{self.timeout:g}", file=src.name))
            raise _Failure(_("LibreOffice 意外退出：{file}").format(file=src.name))
        if failed is not None:
            raise failed
        if not reply.get("ok"):
            if reply.get("kind") == "load" and office.still_alive():
                # LibreOffice runs and answers but did not open the file: the file is broken, or
                # something in LibreOffice refused it. A cold conversion decides, and names the file
                # with the usual error if it is the file; the office stays up.
                raise _Refused(str(reply.get("error") or _("未知错误")))
            raise _Failure(str(reply.get("error") or _("未知错误")))
        return verify_pdf(src, target, office.log_tail())

    @staticmethod
    def _stop_slot(slot: _Slot) -> None:
        if slot.office is not None:
            slot.office.stop()
            slot.office = None


def _clear(folder: Path) -> None:
    for entry in folder.glob("*"):
        with contextlib.suppress(OSError):
            entry.unlink()


class _Server:
    """Serves `build`s (pdf/warmclient.py) on a Unix socket while the converter runs."""

    def __init__(self, converter: WarmConverter, path: Path, sock: socket.socket) -> None:
        self.converter = converter
        self.path = path
        self.sock = sock
        self.inode = path.stat().st_ino
        self.thread = threading.Thread(target=self._serve, name="chanjiao-warm-server", daemon=True)
        self.thread.start()

    @classmethod
    def open(cls, converter: WarmConverter, soffice: Path) -> _Server | None:
        path = warmclient.socket_path(soffice, converter.fonts_dir, create=True)
        if path is None:
            return None  # no safe folder, or turned off: builds convert cold
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            path.unlink(missing_ok=True)  # a dead converter's socket (a live one's is replaced)
            sock.bind(str(path))
            os.chmod(path, 0o600)
            sock.listen(8)
        except OSError:
            sock.close()
            return None
        warmclient.sweep(path.parent, keep=path)  # what killed converters left there
        return cls(converter, path, sock)

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return  # closed
            # one thread per request: two documents of a build convert side by side (offices > 1)
            threading.Thread(target=self._reply, args=(conn,), name="chanjiao-warm-request", daemon=True).start()

    def _reply(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.sendall(self._answer(conn))

    def _answer(self, conn: socket.socket) -> bytes:
        conn.settimeout(5)
        data = b""
        while not data.endswith(b"\n") and len(data) < 1 << 20:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        try:
            request = json.loads(data)
            docx = [Path(p) for p in request["docx"]]
            out_dir = Path(request["out_dir"])
            if not out_dir.is_dir():
                raise ToolError(_("文件夹不存在：{path}").format(path=out_dir))
            _pdfs, message = self.converter._convert(docx, out_dir)
            # after a fallback the PDFs are there too (converted cold here): the client checks them
            reply: dict[str, object] = {"ok": True, "fell_back": message is not None, "message": message}
        except (ValueError, KeyError, TypeError, ToolError) as exc:
            reply = {"ok": False, "error": str(exc)}
        return json.dumps(reply, ensure_ascii=False).encode("utf-8") + b"\n"

    def close(self) -> None:
        # shutdown wakes the accept() of the serving thread
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        with contextlib.suppress(OSError):
            if self.path.stat().st_ino == self.inode:  # not a newer converter's socket
                self.path.unlink()
        if threading.current_thread() is not self.thread:  # a build's request may restart us
            self.thread.join(timeout=5)
