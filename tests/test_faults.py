"""Fault injection on `chanjiao build` as a user runs it: SIGKILL at random points, SIGTERM,
converters that hang or escape with setsid, a full disk while writing the package.

After each fault: the output folder is the previous set byte for byte (or, for a kill that came
after the commit point, the complete new set), no LibreOffice process is left, and no temporary
file is left (the build's TMPDIR is private to the test, and LibreOffice's pipes in /tmp are
named after our profile folders, so both can be checked exactly).

`CHANJIAO_FAULT_SEED=n` replays a run of the random kills; `CHANJIAO_FAULT_KILLS=n` changes
their number (20); `CHANJIAO_FAULT_CONTENT=folder` kills builds of another application
(`python -m tests.large_app DEST` makes the large one).
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CHANJIAO, ContentCopy, process_gone, snapshot

from generator.core.procs import osl_pipe
from generator.core.staging import JOURNAL, STAGE_PREFIX
from generator.errors import ToolError

EDITED = {"plan": "建设方案/4-建设计划.md", "recommendation": "推荐书/4-建设规划.md"}


def processes_with(text: str) -> list[str]:
    """Live processes whose command line contains `text` (zombies have none, so they do not count)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if text in cmd:
            found.append(f"{entry.name}: {cmd[:160]}")
    return found


def wait_until(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def start_build(root: Path, out: Path, tmp: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full_env = {**os.environ, "TMPDIR": str(tmp), **(env or {})}
    return subprocess.Popen([str(CHANJIAO), "build", str(root), "-o", str(out), *args], env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str], timeout: float = 300) -> int:
    """Wait for a build, reading (and closing) its output; its exit code."""
    proc.communicate(timeout=timeout)
    return proc.returncode


def run_id(pid: int) -> str:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return f"{pid}.{fields[19]}"


def conversion_dirs(tmp: Path) -> set[Path]:
    """The conversions' temporary folders now in `tmp` (inside the run's own folder)."""
    return {*tmp.glob("chanjiao-lo-*"), *tmp.glob("chanjiao-run-*/chanjiao-lo-*")}


def leftovers(out: Path, tmp: Path, temp_names: set[Path]) -> list[str]:
    """What a finished or killed build must not leave: staging, journal, temporary files, pipes,
    LibreOffice processes."""
    found = [p.name for p in out.iterdir() if p.name.startswith((STAGE_PREFIX, JOURNAL)) or p.name.endswith(".tmp")] if out.is_dir() else []
    found += [f"TMPDIR/{p.name}" for p in tmp.iterdir()]
    pipes = [osl_pipe((folder / f"job{j}" / "profile").as_uri()) for folder in temp_names for j in range(4)]
    found += [str(p) for p in pipes if p.exists()]
    found += processes_with(str(tmp))
    return found


def wait_for_watchdog(rid: str) -> bool:
    """The watchdog of run `rid` exits once it has cleaned up after that run."""
    return wait_until(lambda: not processes_with(f"generator.core.watchdog {rid}"))


_ORIGINAL: dict[Path, str] = {}


def edit(root: Path, doc: str, text: str) -> None:
    """The document's Markdown file as in the example plus one paragraph (replacing the last
    edit's, so that twenty edits stay within the 字数 limits)."""
    path = root / EDITED[doc]
    original = _ORIGINAL.setdefault(path, path.read_text(encoding="utf-8"))
    path.write_text(original + f"\n\n{text}\n", encoding="utf-8")


def is_complete_new_set(out: Path, doc: str, text: str) -> str:
    """'' when `out` holds a whole, consistent set made after the edit, else what is wrong."""
    from generator.pdf.reader import read_pdf
    from generator.word.text import docx_text

    state = json.loads((out / ".chanjiao-build.json").read_text(encoding="utf-8"))
    present = sorted(p.name for p in out.iterdir() if p.name != ".chanjiao-build.json")
    if sorted(state["outputs"]) != present:
        return f"state lists {sorted(state['outputs'])}, folder has {present}"
    docx = out / state["documents"][doc]["docx"]
    if text not in "".join(docx_text(docx).split()):  # the form's text is in table cells
        return f"{docx.name} lacks the edit"
    for entry in state["documents"].values():
        pdf = out / entry["docx"].replace(".docx", ".pdf")
        if read_pdf(pdf, text=False).page_count != entry["pages"]:
            return f"{pdf.name} does not have the pages the state says"
    pdf_text = "".join(read_pdf(docx.with_suffix(".pdf")).text.split())
    if text not in pdf_text:
        return f"the PDF of {doc} lacks the edit: PDF and .docx are of different builds"
    return ""


# --- SIGKILL at random points --------------------------------------------------------------------


@pytest.mark.libreoffice
def test_sigkill_at_random_points_of_a_build_leaves_one_whole_set_and_nothing_else(content_copy: ContentCopy, tmp_path: Path, libreoffice: Path) -> None:
    seed = int(os.environ.get("CHANJIAO_FAULT_SEED", str(time.time_ns() % 2**32)))
    kills = int(os.environ.get("CHANJIAO_FAULT_KILLS", "20"))
    rng = random.Random(seed)
    root, out, tmp = content_copy(), tmp_path / "out", tmp_path / "tmp"
    if os.environ.get("CHANJIAO_FAULT_CONTENT"):  # e.g. the large application: python -m tests.large_app DEST
        import shutil

        shutil.rmtree(root)
        shutil.copytree(os.environ["CHANJIAO_FAULT_CONTENT"], root)
    tmp.mkdir()
    assert finish(start_build(root, out, tmp)) in (0, 1)
    figures = {"runs": 1, "kills": 0, "rolled_back": 0, "committed": 0, "killed_in_swap": 0, "orphans": 0, "leftovers": 0}
    # Kill points spread over a whole incremental build (one document converted, the package
    # assembled, reports written): measured once, so the same seed means the same fraction.
    start = time.monotonic()
    edit(root, "recommendation", "计时用的一段。")
    assert finish(start_build(root, out, tmp)) in (0, 1)
    span = time.monotonic() - start
    figures["runs"] += 1
    for n in range(kills):
        # The form (12 pages) rather than the plan (30): the same steps, in half the time.
        doc = "recommendation"
        text = f"第{n}次被打断的修改。"
        edit(root, doc, text)
        before = snapshot(out)
        # Every fifth kill aims at the swap itself: it fires as soon as the journal appears.
        at_swap = n % 5 == 4
        delay = span * 1.5 if at_swap else rng.uniform(0.05, span * 1.1)
        where = f"seed={seed} kill {n} of {kills} after {'the journal' if at_swap else f'{delay:.2f}s'} of {span:.2f}s"
        proc = start_build(root, out, tmp)
        figures["runs"] += 1
        rid = run_id(proc.pid)
        temp_names: set[Path] = set()
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and proc.poll() is None:
            temp_names.update(conversion_dirs(tmp))
            if at_swap and (out / JOURNAL).exists():
                figures["killed_in_swap"] += 1  # (if the swap is not over by the time the signal lands)
                break
            time.sleep(0.001 if at_swap else 0.01)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        figures["kills"] += proc.returncode == -signal.SIGKILL
        assert wait_for_watchdog(rid), where
        left = leftovers(out, tmp, temp_names)
        figures["orphans"] += len(processes_with(str(tmp)))
        figures["leftovers"] += len(left)
        assert not left, f"{where}: left {left}"
        after = snapshot(out)
        if after == before:
            figures["rolled_back"] += 1
        else:
            problem = is_complete_new_set(out, doc, text)
            assert not problem, f"{where}: neither the previous set nor a whole new one: {problem}"
            figures["committed"] += 1
    # The next build after all that still works, incrementally.
    last = start_build(root, out, tmp, "--format", "json")
    stdout, stderr = last.communicate(timeout=300)
    assert last.returncode in (0, 1), stderr  # 1: the edits may push a field at its limit over it
    assert not leftovers(out, tmp, set())
    figures["runs"] += 1
    print(f"\nfault figures (seed {seed}, build {span:.1f}s): {json.dumps(figures)}")


def _read_workers_of(pid: int) -> list[int]:
    """The read-back workers (pdf/readworker.py) whose parent is `pid`."""
    found = []
    for line in processes_with("generator.pdf.readworker"):
        child = int(line.split(":", 1)[0])
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except OSError:
            continue
        if f"\nPPid:\t{pid}\n" in status:
            found.append(child)
    return found


@pytest.mark.libreoffice
def test_sigkill_of_chanjiao_ends_its_read_back_worker(content_copy: ContentCopy, tmp_path: Path, libreoffice: Path) -> None:
    root, out, tmp = content_copy(), tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    proc = start_build(root, out, tmp, env={"CHANJIAO_READ_WORKER": "1"})  # 1: even without a warm converter
    rid = run_id(proc.pid)
    assert wait_until(lambda: bool(_read_workers_of(proc.pid)) or proc.poll() is not None)
    workers = _read_workers_of(proc.pid)
    assert workers, "the build started no read-back worker"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert wait_for_watchdog(rid)
    assert all(process_gone(pid) for pid in workers)
    assert not processes_with(str(tmp))


# --- converters that hang or escape --------------------------------------------------------------


def fake_converter(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def built(content_copy: ContentCopy, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A content copy built once without PDFs (no LibreOffice needed), its output folder and a
    private TMPDIR; the plan is then edited so the next build has work to do."""
    root, out, tmp = content_copy(), tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    assert finish(start_build(root, out, tmp, "--no-pdf")) == 0
    edit(root, "plan", "下一次的修改。")
    return root, out, tmp


def test_a_hanging_converter_times_out_and_leaves_the_previous_set(built: tuple[Path, Path, Path], tmp_path: Path) -> None:
    root, out, tmp = built
    pids = tmp_path / "pids"
    fake = fake_converter(tmp_path / "soffice", f"echo $$ > {pids}\nexec sleep 300\n")
    before = snapshot(out)
    proc = start_build(root, out, tmp, "--pdf", "--timeout", "1", env={"CHANJIAO_SOFFICE": str(fake)})
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 3 and "LibreOffice 转换超时（1 秒）" in stderr and "Traceback" not in stderr
    assert snapshot(out) == before
    hung = int(pids.read_text())
    assert process_gone(hung)
    assert not leftovers(out, tmp, set())


def test_a_converter_child_that_calls_setsid_and_ignores_term_is_killed(built: tuple[Path, Path, Path], tmp_path: Path) -> None:
    root, out, tmp = built
    pids = tmp_path / "pids"
    # The grandchild leaves the process group and the session: killing the group misses it.
    fake = fake_converter(tmp_path / "soffice", f"setsid sh -c 'trap \"\" TERM HUP INT; echo $$ > {pids}; exec sleep 301' &\nwait\nsleep 302\n")
    before = snapshot(out)
    proc = start_build(root, out, tmp, "--pdf", "--timeout", "1", env={"CHANJIAO_SOFFICE": str(fake)})
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 3 and "LibreOffice 转换超时" in stderr
    escaped = int(pids.read_text())
    assert wait_until(lambda: not processes_with("sleep 301"), 10), processes_with("sleep 301")
    assert process_gone(escaped)
    assert snapshot(out) == before and not leftovers(out, tmp, set())


def test_sigkill_of_chanjiao_kills_a_converter_child_that_escaped_with_setsid(built: tuple[Path, Path, Path], tmp_path: Path) -> None:
    root, out, tmp = built
    pids = tmp_path / "pids"
    fake = fake_converter(tmp_path / "soffice", f"setsid sh -c 'trap \"\" TERM HUP INT; echo $$ > {pids}; exec sleep 303' &\nwait\nsleep 304\n")
    before = snapshot(out)
    proc = start_build(root, out, tmp, "--pdf", env={"CHANJIAO_SOFFICE": str(fake)})
    rid = run_id(proc.pid)
    assert wait_until(lambda: pids.exists() and pids.read_text().strip() != "", 60)
    proc.kill()
    proc.communicate(timeout=30)
    assert wait_for_watchdog(rid)
    assert not processes_with("sleep 303") and not processes_with("sleep 304")
    assert snapshot(out) == before and not leftovers(out, tmp, set())


# --- SIGTERM -----------------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_sigterm_during_conversion_says_so_exits_143_and_leaves_the_previous_set(content_copy: ContentCopy, tmp_path: Path, libreoffice: Path) -> None:
    root, out, tmp = content_copy(), tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    assert finish(start_build(root, out, tmp)) == 0
    edit(root, "plan", "收到终止信号前的修改。")
    before = snapshot(out)
    proc = start_build(root, out, tmp)
    temp_names: set[Path] = set()

    def converting() -> bool:
        temp_names.update(conversion_dirs(tmp))
        return bool(processes_with(f"{tmp}/chanjiao-run-"))

    assert wait_until(converting, 60)

    def pipes() -> list[Path]:
        temp_names.update(conversion_dirs(tmp))
        return [osl_pipe((folder / f"job{j}" / "profile").as_uri()) for folder in temp_names for j in range(4)]

    # The pipe we compute is the one LibreOffice really makes: so "no pipe left" below means something.
    assert wait_until(lambda: any(p.exists() for p in pipes()), 30)
    proc.send_signal(signal.SIGTERM)
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert "收到终止信号（SIGTERM），已停止" in stderr and "Traceback" not in stderr
    # Cleaned up before exiting: nothing to wait for.
    assert not leftovers(out, tmp, temp_names)
    assert snapshot(out) == before


# --- a full disk or a crash while writing the package ------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.parametrize("fault", ["disk-full", "crash"])
def test_a_failure_mid_package_leaves_the_previous_set_byte_identical(content_copy: ContentCopy, tmp_path: Path, libreoffice: Path, monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    import tempfile

    import generator.pdf.reader
    from generator.core.atomic import _replace_with
    from generator.pipeline import build

    root, out = content_copy(), tmp_path / "out"
    build(root, out, pdf=True)
    edit(root, "recommendation", "写申报材料时磁盘满了。")
    before = snapshot(out)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))

    def failing_writer(path: Path, data: bytes) -> None:
        def fill(fh: object) -> None:
            fh.write(data[: len(data) // 2])  # type: ignore[attr-defined]
            if fault == "disk-full":
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            raise RuntimeError("crash while writing the package")

        _replace_with(path, fill)  # the real atomic writer, with a disk that fills up half way

    monkeypatch.setattr(generator.pdf.reader, "write_atomic", failing_writer)
    expected = (ToolError, "No space left on device") if fault == "disk-full" else (RuntimeError, "crash while writing")
    with pytest.raises(expected[0], match=expected[1]):
        build(root, out, pdf=True)
    assert snapshot(out) == before  # the new .docx and PDF of the form were staged, not shown
    assert not leftovers(out, tmp, set())
