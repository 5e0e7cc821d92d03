""".docx → PDF through LibreOffice headless (the one module that runs LibreOffice)."""

from __future__ import annotations

import contextlib
import math
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from glob import glob
from pathlib import Path
from typing import Protocol

from generator.core import procs
from generator.core.atomic import copy_atomic
from generator.core.procs import SOFFICE_ENV, check_soffice_setting
from generator.errors import ToolError
from generator.i18n import _
from generator.pdf import profile, warmclient
from generator.pdf.fonts import fontconfig_env, write_fonts_conf

INSTALL_HINT = "sudo apt-get install --no-install-recommends libreoffice-writer-nogui"
_SOFFICE_NAMES = ("soffice", "libreoffice")
_SOFFICE_PLACES = (
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice*/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)
_VERSION_TIMEOUT = 30.0
# Start-up (~1 s of CPU) dominates a conversion and LibreOffice converts on one core. On 2 cores
# at load ≈ 1, one process per core beat one process for all documents a little (two 12-page
# forms: 1.34 s vs 1.43 s; two 43-page ones: 2.22 s vs 2.55 s). At load 3–4 the second start-up
# only costs (3.16 s vs 2.49 s), so a process is started per idle core only (the 1-minute load
# counts our own recent conversions too). ~210 MB each. Numbers: benchmarks/bench_convert.py.
_MAX_PROCESSES = 4


@dataclass
class _Job:
    """One LibreOffice process: its documents, its own profile, output folder and log."""

    sources: list[Path]
    work_dir: Path
    proc: subprocess.Popen[bytes] | None = None
    #: started on a copy of the kept profile (pdf/profile.py), not a fresh one
    seeded: bool = False

    @property
    def out_dir(self) -> Path:
        return self.work_dir / "out"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "soffice.log"

    @property
    def tmp_dir(self) -> Path:
        """TMPDIR for LibreOffice: its lu*.tmp files go with our folder, not into /tmp."""
        return self.work_dir / "tmp"


#: How every LibreOffice of ours runs, cold or warm: no window, no splash, no recovery dialog,
#: no lock check on the throwaway profile, no start document.
HEADLESS_FLAGS = ("--headless", "--invisible", "--nologo", "--norestore", "--nolockcheck", "--nodefault")


def find_soffice() -> Path | None:
    """The LibreOffice program: $CHANJIAO_SOFFICE, then soffice on PATH, then usual places.

    An unusable $CHANJIAO_SOFFICE gives None here (doctor reports it as missing);
    check_soffice_setting() is what makes it an error for a build.
    """
    explicit = os.environ.get(SOFFICE_ENV)
    if explicit:
        return Path(explicit) if os.path.isfile(explicit) and os.access(explicit, os.X_OK) else None
    for name in _SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    for pattern in _SOFFICE_PLACES:
        for candidate in sorted(glob(pattern)):
            if os.access(candidate, os.X_OK):
                return Path(candidate)
    return None


def libreoffice_version(soffice: Path) -> str:
    """LibreOffice's own version line, e.g. "LibreOffice 7.4.7.2 40(Build:2)"."""
    try:
        proc = subprocess.Popen(
            [str(soffice), "--version"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=procs.die_with_parent,
        )
    except OSError as exc:
        raise ToolError(
            _("无法运行 LibreOffice：{path}（{reason}）").format(path=soffice, reason=exc)
        ) from exc
    try:
        out, _err = proc.communicate(timeout=_VERSION_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise ToolError(
            _("LibreOffice 响应超时（{n} 秒）").format(n=int(_VERSION_TIMEOUT))
        ) from exc
    finally:
        _kill_group(proc)
    text = out.decode("utf-8", "replace").strip()
    if proc.returncode != 0 or not text:
        raise ToolError(_("无法读取 LibreOffice 版本：{path}").format(path=soffice))
    return text.splitlines()[0]


@dataclass(frozen=True)
class PdfPlan:
    """Whether a run makes PDFs: the LibreOffice to use, or why none are made."""

    soffice: Path | None
    skipped: str = ""  #: why no PDF is made; empty when `soffice` is set


def pdf_plan(pdf: bool | None) -> PdfPlan:
    """The one reading of --pdf/--no-pdf for every command: False makes no PDF; True requires
    LibreOffice (a ToolError naming the install command before any work); None makes PDFs when
    LibreOffice is installed and says how to get them when not. A CHANJIAO_SOFFICE that cannot
    run is an error, never "not installed"."""
    if pdf is False:
        return PdfPlan(None, _("按要求未生成 PDF（--no-pdf）"))
    check_soffice_setting()
    soffice = find_soffice()
    if soffice is not None:
        return PdfPlan(soffice)
    if pdf is True:
        raise ToolError(_("未找到 LibreOffice，无法生成 PDF。请安装：{hint}").format(hint=INSTALL_HINT))
    return PdfPlan(None, _("未找到 LibreOffice，只生成了 Word 文档。安装后即可生成 PDF：{hint}").format(hint=INSTALL_HINT))


def convert_to_pdf(
    docx_paths: list[Path],
    out_dir: Path,
    *,
    fonts_dir: Path | None = None,
    timeout: float = 120,
    soffice: Path | None = None,
    processes: int | None = None,
    on_ready: Ready | None = None,
    meanwhile: Callable[[], None] | None = None,
    office: OwnOffice | None = None,
) -> list[Path]:
    """Convert the documents to out_dir/<stem>.pdf, all or none; returns the PDF paths in order.

    Each LibreOffice process has its own throwaway profile and process group, sees our fonts.conf
    (with fonts_dir's fonts first) and is killed with all its descendants after `timeout` seconds
    (or when chanjiao dies: procs.py). Every PDF is checked to open before any is moved into
    out_dir, so a failure leaves previous PDFs untouched. `processes` splits the documents over that many parallel processes; None
    (or 0) uses one per idle core.

    With `processes` None, a warm converter running for the same LibreOffice and fonts folder
    (`chanjiao preview`'s, pdf/warm.py) converts instead when it answers; anything else about it
    (none running, busy past the timeout, failing) leaves the cold path below unchanged.

    `on_ready(docx, pdf)` is called in the caller's thread for each document as soon as its PDF
    is in out_dir, while the others still convert (warm: per document; cold: per process), so
    the caller reads one back as the next converts. With it the PDFs arrive one by one: a failure can leave earlier ones in out_dir
    (give it a staging folder); an exception it raises stops the conversion and propagates.

    `meanwhile()` is called once, in the caller's thread, as soon as LibreOffice is converting:
    work of the caller's that needs no PDF runs while it would otherwise wait.

    `office`: a LibreOffice the caller started for itself (a build's, pdf/buildoffice.py), asked
    after a running warm converter and before a cold start; what it leaves converts cold.
    """
    if not docx_paths:
        return []
    if soffice is None:
        check_soffice_setting()
    soffice = soffice or find_soffice()
    if soffice is None:
        raise ToolError(_("未找到 LibreOffice，请安装：{hint}").format(hint=INSTALL_HINT))
    check_inputs(docx_paths, fonts_dir)
    waiting = _Once(meanwhile)
    cold = docx_paths
    if processes is None:
        cold = _convert_warm(docx_paths, out_dir, fonts_dir, soffice, timeout, on_ready, waiting)
        if cold and office is not None:
            cold = office.convert(cold, out_dir, on_ready, waiting)
    if cold:
        _convert_cold(cold, out_dir, fonts_dir, soffice, timeout, processes, on_ready, waiting)
    return [out_dir / f"{src.stem}.pdf" for src in docx_paths]


Ready = Callable[[Path, Path], None]


class OwnOffice(Protocol):
    """A LibreOffice of the caller's (pdf/buildoffice.BuildOffice): converts what it can, as
    convert_to_pdf does (`on_ready` per document, or all or none), and returns what is left."""

    def convert(self, docx_paths: list[Path], out_dir: Path, on_ready: Ready | None, meanwhile: Callable[[], None]) -> list[Path]: ...


class _Once:
    """The caller's `meanwhile`, run at most once (warm, then cold for what the warm one left)."""

    def __init__(self, work: Callable[[], None] | None) -> None:
        self.work = work

    def __call__(self) -> None:
        work, self.work = self.work, None
        if work is not None:
            work()


def _convert_cold(
    docx_paths: list[Path],
    out_dir: Path,
    fonts_dir: Path | None,
    soffice: Path,
    timeout: float,
    processes: int | None,
    ready: Ready | None,
    meanwhile: Callable[[], None],
) -> None:
    """The documents over `processes` LibreOffice processes started for this call. With `ready`,
    each process's PDFs are checked, moved and handed to it as soon as that process ends."""
    procs.sweep_leftovers()  # what earlier killed runs left (never a live run's files)
    procs.start_watchdog()  # if chanjiao is killed from here on, the watchdog cleans up
    tmp_dir = procs.make_temp_dir()

    def finished(job: _Job) -> None:
        assert ready is not None
        for index, src in enumerate(job.sources):
            copy_atomic(_verified_pdf(job, index), out_dir / f"{src.stem}.pdf")
            ready(src, out_dir / f"{src.stem}.pdf")

    jobs: list[_Job] = []
    try:
        conf_path = write_fonts_conf(tmp_dir, fonts_dir)
        jobs = _plan(docx_paths, tmp_dir, processes or _idle_cores())
        _run(soffice, jobs, conf_path, timeout, finished if ready is not None else None, meanwhile)
        if ready is None:  # all or none: every PDF checked before any is moved
            produced = [_verified_pdf(job, i) for job in jobs for i in range(len(job.sources))]
            sources = [src for job in jobs for src in job.sources]
            for pdf_path, src in zip(produced, sources, strict=True):
                copy_atomic(pdf_path, out_dir / f"{src.stem}.pdf")
        for job in jobs:
            if not job.seeded:  # LibreOffice made this profile and ended well: the next starts copy it
                profile.keep(job.work_dir / "profile", soffice)
                break
    except ToolError:
        # In case the copy is what failed, the next start makes a fresh one (~3 s more); but a
        # LibreOffice that made any PDF on it did start: the failure is a document's (broken,
        # too slow), and the copy stays.
        if any(job.seeded for job in jobs) and not any(any(job.out_dir.glob("*.pdf")) for job in jobs):
            profile.forget(soffice)
        raise
    finally:
        procs.remove_temp_dir(tmp_dir)


def _convert_warm(
    docx_paths: list[Path],
    out_dir: Path,
    fonts_dir: Path | None,
    soffice: Path,
    timeout: float,
    ready: Ready | None,
    meanwhile: Callable[[], None],
) -> list[Path]:
    """Convert through a running warm converter, one request per document, all sent at once (a
    converter with two offices converts two side by side). Returns the documents left for the
    cold path: all of them when none answers. With `ready`, each PDF is checked, moved into
    out_dir and handed to it as it comes, and only the documents that failed warm are left;
    without, all or none: any failure leaves every document to the cold path."""
    sock = warmclient.socket_path(soffice, fonts_dir)
    # a dead converter's socket refuses at once: then nothing here runs `meanwhile`, which
    # overlaps the conversion that does happen (the build's own LibreOffice's, or a cold one)
    if sock is None or not warmclient.answers(sock):
        return docx_paths
    tmp_dir = procs.make_temp_dir()
    try:
        made, left = [], []
        for src, ok in _warm_requests(sock, docx_paths, tmp_dir, timeout, meanwhile):
            try:  # the same checks as a cold conversion's, made here, not trusted to the server
                pdf_path = verify_pdf(src, tmp_dir / f"{src.stem}.pdf") if ok else None
            except ToolError:
                pdf_path = None
            if pdf_path is None:
                left.append(src)
            elif ready is not None:
                copy_atomic(pdf_path, out_dir / f"{src.stem}.pdf")
                ready(src, out_dir / f"{src.stem}.pdf")
            else:
                made.append(src)
        if ready is None and left:
            return docx_paths
        for src in made:
            copy_atomic(tmp_dir / f"{src.stem}.pdf", out_dir / f"{src.stem}.pdf")
    finally:
        procs.remove_temp_dir(tmp_dir)
    return [src for src in docx_paths if src in left]


def _warm_requests(
    sock: Path, docx_paths: list[Path], tmp_dir: Path, timeout: float, meanwhile: Callable[[], None]
) -> Iterator[tuple[Path, bool]]:
    """(document, whether the converter says it made its PDF), in the order they finish; those
    that finished together (a converter answering with PDFs it made before) in the order asked,
    which is the order the caller wants them in. Each document is asked for on its own
    connection, from its own thread, at once (then `meanwhile()` runs); each thread ends by its
    own deadline even if the caller stops reading (it only waits on a socket)."""
    done: queue.SimpleQueue[tuple[Path, bool]] = queue.SimpleQueue()

    def ask(src: Path) -> None:
        ok = False
        try:
            ok = warmclient.request(sock, [src], tmp_dir, timeout)
        finally:
            done.put((src, ok))

    for src in docx_paths:
        threading.Thread(target=ask, args=(src,), name="chanjiao-warm-client", daemon=True).start()
    meanwhile()
    asked = {src: n for n, src in enumerate(docx_paths)}
    left = len(docx_paths)
    while left:
        finished = [done.get()]
        with contextlib.suppress(queue.Empty):
            while True:
                finished.append(done.get_nowait())
        left -= len(finished)
        yield from sorted(finished, key=lambda item: asked[item[0]])


def check_inputs(docx_paths: list[Path], fonts_dir: Path | None) -> None:
    for path in docx_paths:
        if not path.is_file():
            raise ToolError(_("找不到要转换的文件：{path}").format(path=path))
    stems: dict[str, Path] = {}
    for path in docx_paths:
        if path.stem in stems:
            raise ToolError(
                _("两个文件会生成同名 PDF：{a} 和 {b}").format(a=stems[path.stem], b=path)
            )
        stems[path.stem] = path
    if fonts_dir is not None and not fonts_dir.is_dir():
        raise ToolError(_("字体文件夹不存在：{path}").format(path=fonts_dir))


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _idle_cores() -> int:
    """Cores left idle by the rest of the machine (1-minute load), at least 1, at most 4."""
    idle = cores() - os.getloadavg()[0]
    # The load still counts our own rendering of a moment ago: a core that is 40 % busy is
    # treated as free (measured on 2 cores: two processes 1.55 s, one process 1.8 s for the
    # example's two documents on a quiet machine; on a saturated one, one process wins).
    return max(1, min(_MAX_PROCESSES, math.ceil(idle - 0.4)))


def _plan(docx_paths: list[Path], tmp_dir: Path, processes: int) -> list[_Job]:
    """Spread the documents round-robin over at most `processes` jobs."""
    count = max(1, min(processes, len(docx_paths)))
    jobs = [_Job(sources=docx_paths[i::count], work_dir=tmp_dir / f"job{i}") for i in range(count)]
    for job in jobs:
        job.out_dir.mkdir(parents=True)
        job.tmp_dir.mkdir()
    return jobs


def _run(
    soffice: Path,
    jobs: list[_Job],
    conf_path: Path,
    timeout: float,
    finished: Callable[[_Job], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Run the jobs side by side until all have ended (or one times out); `meanwhile()` once
    they are started, `finished(job)` as each ends, in the order they end, while the others run."""
    marker = procs.new_marker()
    env = {**fontconfig_env(conf_path), procs.MARKER_ENV: marker}
    try:
        for job in jobs:
            job.proc = _start(soffice, job, {**env, "TMPDIR": str(job.tmp_dir)})
        deadline = time.monotonic() + timeout
        if meanwhile is not None:
            meanwhile()
        pending = list(jobs)
        while pending:
            job = _next_ended(pending, deadline, timeout)
            pending.remove(job)
            if finished is not None:
                finished(job)
    finally:
        # On success this only sweeps stragglers; on timeout or Ctrl-C it stops soffice.bin,
        # which outlives its launcher when only the launcher is killed, and any descendant that
        # left the process group (setsid): they all carry the marker.
        for job in jobs:
            if job.proc is not None:
                _kill_group(job.proc)
        procs.kill_marked(marker)


def _next_ended(pending: list[_Job], deadline: float, timeout: float) -> _Job:
    """The first of the pending jobs to end; a ToolError naming the first one at the deadline."""
    while True:
        for job in pending:
            assert job.proc is not None
            if len(pending) == 1:  # nothing else to watch: just wait
                with contextlib.suppress(subprocess.TimeoutExpired):
                    job.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            if job.proc.poll() is not None:
                return job
        if time.monotonic() >= deadline:
            raise ToolError(
                _("LibreOffice 转换超时（{n} 秒）：{files}").format(n=_seconds(timeout), files=_names(pending[0].sources))
            )
        time.sleep(0.01)


def _start(soffice: Path, job: _Job, env: dict[str, str]) -> subprocess.Popen[bytes]:
    job.seeded = profile.seed(job.work_dir / "profile", soffice)
    command = [
        str(soffice),
        f"-env:UserInstallation={(job.work_dir / 'profile').as_uri()}",
        *HEADLESS_FLAGS,
        "--convert-to",
        "pdf:writer_pdf_Export",
        "--outdir",
        str(job.out_dir),
        *(str(src.resolve()) for src in job.sources),
    ]
    with job.log_path.open("wb") as log:
        try:
            return subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=job.work_dir,
                env=env,
                start_new_session=True,
                preexec_fn=procs.die_with_parent,
            )
        except OSError as exc:
            raise ToolError(
                _("无法运行 LibreOffice：{path}（{reason}）").format(path=soffice, reason=exc)
            ) from exc


def _verified_pdf(job: _Job, index: int) -> Path:
    """The job's PDF for its index-th document, after checking LibreOffice really made it."""
    assert job.proc is not None
    src = job.sources[index]
    code = job.proc.returncode
    if code != 0:
        reason = (
            _("被信号 {n} 终止").format(n=-code) if code < 0 else _("退出码 {n}").format(n=code)
        )
        raise ToolError(
            _("LibreOffice 异常退出（{reason}）：{files}{log}").format(
                reason=reason, files=_names(job.sources), log=_log_tail(job)
            )
        )
    return verify_pdf(src, job.out_dir / f"{src.stem}.pdf", _log_tail(job))


def verify_pdf(src: Path, pdf_path: Path, log: str = "") -> Path:
    """pdf_path, after checking LibreOffice really made it from src: present, opens, has pages
    (the cold and the warm converter share this check)."""
    from generator.pdf.reader import count_pages  # here: finding LibreOffice must not load pikepdf

    if not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        raise ToolError(
            _("LibreOffice 未生成 PDF：{file}（文件可能已损坏，或不是 Word 文档）{log}").format(
                file=src, log=log
            )
        )
    try:
        pages = count_pages(pdf_path)
    except ToolError as exc:
        raise ToolError(
            _("LibreOffice 生成的 PDF 无法打开：{file}（{reason}）").format(file=src, reason=exc)
        ) from exc
    if pages == 0:
        raise ToolError(_("LibreOffice 生成的 PDF 没有页面：{file}").format(file=src))
    return pdf_path


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    # start_new_session made the launcher a group leader: its pid is the group id.
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is already gone
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _log_tail(job: _Job, lines: int = 5) -> str:
    try:
        text = job.log_path.read_text("utf-8", "replace")
    except OSError:
        return ""
    # javaldx's warning appears on every run without Java and explains nothing.
    kept = [line for line in text.splitlines() if line.strip() and "javaldx" not in line]
    return ("\n" + "\n".join(kept[-lines:])) if kept else ""


def _names(paths: list[Path]) -> str:
    return "、".join(p.name for p in paths)


def _seconds(value: float) -> str:
    return f"{value:g}"
