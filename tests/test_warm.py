"""The warm converter (pdf/warm.py): real LibreOffice kept running, killed, stopped and hung on purpose."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.core import procs
from generator.errors import ToolError
from generator.pdf import warmclient
from generator.pdf.convert import convert_to_pdf
from generator.pdf.reader import embedded_fonts, read_pdf
from generator.pdf.warm import WarmConverter, _Office

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.libreoffice


@pytest.fixture(autouse=True)
def _private_runtime_dir(uno_runtime: Path) -> Path:
    return uno_runtime


@pytest.fixture(scope="module")
def example_docx(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The example's two documents as .docx (rendered once, no PDF)."""
    from generator.pipeline import build

    out = tmp_path_factory.mktemp("docx")
    build(REPO / "content", out, pdf=False)
    docx = sorted(p for p in out.glob("*.docx") if not p.stem.endswith("-自评表"))  # the plan and the 推荐书
    assert len(docx) == 2
    return docx


@pytest.fixture
def small_docx(tmp_path: Path) -> Path:
    from tests.test_convert import make_docx

    return make_docx(tmp_path / "小文档.docx", "产教融合，校企合作。", page_breaks=1)


@pytest.fixture
def converter() -> Iterator[WarmConverter]:
    conv = WarmConverter(timeout=60, keep=0)  # every document converted: these tests are of LibreOffice
    try:
        yield conv
    finally:
        conv.close()


def office_pids(marker: str) -> list[int]:
    return [p for p in procs.marked_pids(marker) if _state(p) not in (None, "Z", "X")]


def soffice_bin(marker: str) -> int:
    """The pid of the soffice.bin that carries the marker (the process that converts)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for pid in office_pids(marker):
            try:
                if Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"soffice.bin"):
                    return pid
            except OSError:
                continue
        time.sleep(0.05)
    raise AssertionError("no soffice.bin carries " + marker)


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def gone(pids: list[int], wait: float = 10.0) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if all(_state(p) in (None, "Z", "X") for p in pids):
            return True
        time.sleep(0.05)
    return False


def page_texts(pdf: Path) -> tuple[str, ...]:
    return read_pdf(pdf).page_texts


def test_the_example_converts_warm_with_the_text_of_a_cold_conversion(
    converter: WarmConverter, example_docx: list[Path], tmp_path: Path
) -> None:
    warm = converter.convert(example_docx, tmp_path / "warm")
    assert not converter.fell_back and converter.message is None
    assert [p.name for p in warm] == [d.with_suffix(".pdf").name for d in example_docx]
    again = converter.convert(example_docx, tmp_path / "again")  # the same LibreOffice, reused
    assert converter.starts == 1 and converter.conversions == 4
    cold = convert_to_pdf(example_docx, tmp_path / "cold", processes=1)
    for w, a, c in zip(warm, again, cold, strict=True):
        assert page_texts(w) == page_texts(c), w.name
        assert page_texts(a) == page_texts(c), a.name
        assert sorted(embedded_fonts(w)) == sorted(embedded_fonts(c)), w.name
        assert len(page_texts(w)) > 5


def test_soffice_killed_mid_conversion_falls_back_once_and_restarts(
    converter: WarmConverter, small_docx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    converter.start()
    marker = converter.marker
    assert marker is not None
    victim = soffice_bin(marker)
    real_send = _Office.send

    def send_then_kill(office: _Office, message: dict[str, str]) -> None:
        real_send(office, message)  # the request is on its way: LibreOffice is converting
        os.kill(victim, signal.SIGKILL)

    monkeypatch.setattr(_Office, "send", send_then_kill)
    (pdf,) = converter.convert([small_docx], tmp_path / "out")
    monkeypatch.setattr(_Office, "send", real_send)
    assert converter.fell_back
    assert converter.message is not None and "单独启动" in converter.message
    assert "产教融合" in "".join(page_texts(pdf))  # the cold conversion made it
    assert gone(procs.marked_pids(marker)), "the crashed office's processes are all gone"

    (pdf2,) = converter.convert([small_docx], tmp_path / "next")
    assert not converter.fell_back and converter.starts == 2
    assert converter.marker != marker
    assert "产教融合" in "".join(page_texts(pdf2))


def test_a_hung_soffice_times_out_restarts_and_falls_back(
    small_docx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with WarmConverter(timeout=5) as conv:
        marker = conv.marker
        assert marker is not None
        victim = soffice_bin(marker)
        real_send = _Office.send

        def send_then_stop(office: _Office, message: dict[str, str]) -> None:
            real_send(office, message)
            os.kill(victim, signal.SIGSTOP)  # hung: alive, never answering

        monkeypatch.setattr(_Office, "send", send_then_stop)
        started = time.monotonic()
        (pdf,) = conv.convert([small_docx], tmp_path / "out")
        monkeypatch.setattr(_Office, "send", real_send)
        assert time.monotonic() - started >= 5
        assert conv.fell_back and conv.message is not None and "超时" in conv.message
        assert "产教融合" in "".join(page_texts(pdf))
        assert gone([victim]), "the stopped soffice.bin was killed"
        conv.convert([small_docx], tmp_path / "next")
        assert not conv.fell_back and conv.starts == 2


def test_the_same_bytes_again_get_the_pdf_made_for_them_and_changed_bytes_are_converted(tmp_path: Path) -> None:
    from tests.test_convert import make_docx

    src = make_docx(tmp_path / "文档.docx", "产教融合，校企合作。", page_breaks=1)
    same = tmp_path / "b" / "文档.docx"  # the same bytes in another folder
    same.parent.mkdir()
    same.write_bytes(src.read_bytes())
    with WarmConverter(keep=2) as conv:
        (first,) = conv.convert([src], tmp_path / "out1")
        (again,) = conv.convert([same], tmp_path / "out2")
        assert (conv.conversions, conv.reused) == (1, 1)
        assert page_texts(again) == page_texts(first) and again.read_bytes() == first.read_bytes()
        # The file rewritten in place with other text: converted, never the old PDF.
        make_docx(src, "共建专业，共享实训基地。", page_breaks=2)
        (changed,) = conv.convert([src], tmp_path / "out3")
        assert (conv.conversions, conv.reused) == (2, 1)
        assert "共建专业" in "".join(page_texts(changed)) and "产教融合" not in "".join(page_texts(changed))
        assert len(page_texts(changed)) == 3
        # keep=2: a third document pushes out the oldest (the first text), which converts again
        third = make_docx(tmp_path / "第三份.docx", "第三份文档。")
        conv.convert([third], tmp_path / "out4")
        conv.convert([same], tmp_path / "out5")
        assert (conv.conversions, conv.reused) == (4, 1)


def test_restart_after_max_conversions_and_above_the_memory_ceiling(small_docx: Path, tmp_path: Path) -> None:
    with WarmConverter(max_conversions=2, keep=0) as conv:
        for n in range(3):
            conv.convert([small_docx], tmp_path / f"out{n}")
        assert conv.starts == 2 and "2" in (conv.restart_reason or "")
        assert not conv.fell_back
        conv.memory_ceiling_mb = 1  # any LibreOffice is above 1 MB
        assert conv.rss_mb() > 50  # soffice.bin alone holds far more
        conv.convert([small_docx], tmp_path / "out3")
        assert conv.starts == 3 and "MB" in (conv.restart_reason or "")


def test_close_leaves_no_process_folder_or_socket(converter: WarmConverter, small_docx: Path, tmp_path: Path) -> None:
    converter.convert([small_docx], tmp_path / "out")
    marker = converter.marker
    assert marker is not None
    pids = office_pids(marker)
    assert len(pids) >= 2  # soffice.bin and the bridge at least
    assert converter._office is not None
    work_dir = converter._office.work_dir
    assert (work_dir / "job0" / "profile").is_dir()
    sockets = list(Path(os.environ["XDG_RUNTIME_DIR"], "chanjiao").glob("*.sock"))
    assert len(sockets) == 1
    # LibreOffice's own pipes in /tmp: its profile's single-instance pipe and the UNO accept pipe.
    accept = Path("/tmp") / f"OSL_PIPE_{os.getuid()}_{(work_dir / 'job0' / procs.ACCEPT_PIPE_FILE).read_text()}"
    lo_pipes = [accept, procs.osl_pipe((work_dir / "job0" / "profile").as_uri())]
    assert all(p.exists() for p in lo_pipes)
    converter.close()
    assert gone(pids, wait=1.0)
    assert procs.marked_pids(marker) == []
    assert not any(s.exists() for s in sockets)
    assert not work_dir.exists()
    assert not any(p.exists() for p in lo_pipes)
    converter.close()  # idempotent


@pytest.mark.parametrize("offices", [1, 2])
def test_our_process_killed_leaves_no_libreoffice(tmp_path: Path, offices: int) -> None:
    """SIGKILL of the process that owns the converter: the watchdog kills every LibreOffice of it."""
    script = (
        "import json, sys, time\n"
        "from generator.pdf.warm import WarmConverter\n"
        f"c = WarmConverter(offices={offices}); c.start()\n"
        "print(json.dumps({'markers': c.markers}), flush=True)\n"
        "time.sleep(600)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        markers = json.loads(child.stdout.readline())["markers"]  # type: ignore[union-attr]
        assert len(set(markers)) == offices
        pids = [pid for marker in markers for pid in office_pids(marker)]
        assert len(pids) >= 2 * offices
    finally:
        child.kill()
        child.wait()
        child.stdout.close()  # type: ignore[union-attr]
    assert gone(pids, wait=20), "the watchdog killed soffice and the bridge"
    assert all(procs.marked_pids(marker) == [] for marker in markers)


def test_build_uses_a_running_warm_converter(tmp_path: Path) -> None:
    # the example names its fonts folder (字体目录: 字体): a converter for other fonts is not used
    with WarmConverter() as other:
        assert warmclient.socket_path(Path(str(other.soffice)), REPO / "content" / "字体") is None
    converter = WarmConverter(fonts_dir=REPO / "content" / "字体")
    converter.start()
    try:
        first = _build_through(converter, tmp_path / "first")
        # The same content again, into another folder (as a build beside `chanjiao preview`, which
        # has just converted it): every document is answered with the PDF made for the same bytes.
        conversions = converter.conversions
        second = _build_through(converter, tmp_path / "second", reused=3)
        assert converter.conversions == conversions
        assert [page_texts(p) for p in second] == [page_texts(p) for p in first]
        report = json.loads((tmp_path / "second" / "检查报告.json").read_text(encoding="utf-8"))
        assert not [d for d in report["diagnostics"] if d["severity"] == "error"]
    finally:
        converter.close()


def _build_through(converter: WarmConverter, out: Path, reused: int = 0) -> list[Path]:
    before, reused_before = converter.conversions, converter.reused
    done = subprocess.run(
        [str(REPO / ".venv/bin/chanjiao"), "build", str(REPO / "content"), "-o", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    # all three documents (the 自评表 after the others) went through the warm one
    assert (converter.conversions - before, converter.reused - reused_before) == (3 - reused, reused)
    pdfs = sorted(out.glob("*-建设方案.pdf")) + sorted(out.glob("*-推荐书.pdf"))
    assert len(pdfs) == 2 and all(len(page_texts(p)) > 5 for p in pdfs)
    return pdfs


def test_build_ignores_a_stale_socket_and_converts_cold(small_docx: Path, tmp_path: Path, libreoffice: Path) -> None:
    path = warmclient.socket_path(libreoffice, None, create=True)
    assert path is not None
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))  # bound, never listening: what a killed converter leaves
    stale.close()
    assert not warmclient.request(path, [small_docx], tmp_path, timeout=5)
    (pdf,) = convert_to_pdf([small_docx], tmp_path / "out", soffice=libreoffice)
    assert "产教融合" in "".join(page_texts(pdf))


def test_a_starting_converter_removes_the_sockets_dead_converters_left(tmp_path: Path) -> None:
    folder = warmclient.runtime_dir(create=True)
    assert folder is not None
    old, young = folder / "warm-0000000000000000.sock", folder / "warm-1111111111111111.sock"
    for path in (old, young):
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(str(path))  # bound, never listening: what a killed converter leaves
        stale.close()
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago), follow_symlinks=False)
    not_a_socket = folder / "warm-2222222222222222.sock"
    not_a_socket.write_text("")
    os.utime(not_a_socket, (an_hour_ago, an_hour_ago))
    fonts = tmp_path / "fonts"  # another fonts folder: another converter's socket
    fonts.mkdir()
    with WarmConverter() as conv, WarmConverter(fonts_dir=fonts) as live:
        assert conv.soffice is not None and live.soffice is not None
        mine = warmclient.socket_path(conv.soffice, None)
        theirs = warmclient.socket_path(live.soffice, fonts)
        assert mine is not None and theirs is not None and mine != theirs
        os.utime(theirs, (an_hour_ago, an_hour_ago), follow_symlinks=False)
        assert warmclient.sweep(folder) == 0  # the live one answers: kept
        assert not old.exists(), "the dead converter's socket was removed when the first started"
        assert young.exists(), "a socket made within the minute may be a converter starting: kept"
        assert not_a_socket.exists() and theirs.exists() and mine.exists()


def test_an_open_runtime_folder_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, libreoffice: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "chanjiao").mkdir(parents=True)
    (shared / "chanjiao").chmod(0o777)  # others could plant a socket there
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    assert warmclient.socket_path(libreoffice, None, create=True) is None


def test_a_font_added_restarts_the_converter_and_renames_its_socket(small_docx: Path, tmp_path: Path) -> None:
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    with WarmConverter(fonts_dir=fonts) as conv:
        assert conv.soffice is not None
        before = warmclient.socket_path(conv.soffice, fonts)
        assert before is not None and before.exists()
        conv.convert([small_docx], tmp_path / "before")
        from tests.test_convert import FANDOL_FANG, FANDOL_FANG_TEXLIVE

        src = FANDOL_FANG if FANDOL_FANG.exists() else FANDOL_FANG_TEXLIVE
        (fonts / "licensed.otf").write_bytes(src.read_bytes())
        assert warmclient.socket_path(conv.soffice, fonts) is None  # a build now converts cold
        conv.convert([small_docx], tmp_path / "out")
        # converted again, by the restarted LibreOffice: the PDF made with the old fonts is not reused
        assert (conv.conversions, conv.reused) == (2, 0)
        assert conv.starts == 2 and "字体" in (conv.restart_reason or "")
        assert not before.exists()
        assert warmclient.socket_path(conv.soffice, fonts) is not None


def test_a_bridge_python_without_uno_falls_back_cold_and_says_how_to_install(
    small_docx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANJIAO_UNO_PYTHON", sys.executable)  # the venv's Python: no uno module
    conv = WarmConverter()
    try:
        with pytest.raises(ToolError, match="python3-uno"):
            conv.start()
        (pdf,) = conv.convert([small_docx], tmp_path / "out")
        assert conv.fell_back and conv.message is not None and "python3-uno" in conv.message
        assert "产教融合" in "".join(page_texts(pdf))
    finally:
        conv.close()


# -- two offices: documents side by side --------------------------------------------------------


def _record_busy(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[tuple[float, float]]]:
    """When each office (by its marker) was converting: from the request sent to the reply read."""
    busy: dict[str, list[tuple[float, float]]] = {}
    real_send, real_receive = _Office.send, _Office.receive
    sent: dict[str, float] = {}

    def send(office: _Office, message: dict[str, str]) -> None:
        sent[office.marker] = time.monotonic()
        real_send(office, message)

    def receive(office: _Office, timeout: float) -> dict[str, object] | None:
        reply = real_receive(office, timeout)
        if office.marker in sent:
            busy.setdefault(office.marker, []).append((sent.pop(office.marker), time.monotonic()))
        return reply

    monkeypatch.setattr(_Office, "send", send)
    monkeypatch.setattr(_Office, "receive", receive)
    return busy


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return min(a[1], b[1]) - max(a[0], b[0])


def test_two_offices_convert_two_documents_at_the_same_time_with_the_text_of_one(
    example_docx: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with WarmConverter(fonts_dir=REPO / "content" / "字体") as one:
        single = one.convert(example_docx, tmp_path / "one")
    with WarmConverter(fonts_dir=REPO / "content" / "字体", offices=2) as conv:
        assert conv.starts == 2 and len(set(conv.markers)) == 2 and conv.offices == 2
        busy = _record_busy(monkeypatch)
        pdfs = conv.convert(example_docx, tmp_path / "two")
        assert not conv.fell_back and conv.conversions == 2
        # each office converted one document, and they were converting at the same time
        assert sorted(busy) == sorted(conv.markers) and all(len(v) == 1 for v in busy.values())
        (a,), (b,) = busy.values()
        assert _overlap(a, b) > 0, busy
        markers = conv.markers
    assert [p.name for p in pdfs] == [p.name for p in single]
    for two, ref in zip(pdfs, single, strict=True):
        assert page_texts(two) == page_texts(ref), two.name
        assert sorted(embedded_fonts(two)) == sorted(embedded_fonts(ref)), two.name
    assert all(procs.marked_pids(m) == [] for m in markers), "close() left no LibreOffice of either office"


def test_a_broken_document_beside_a_good_one_is_named_and_nothing_is_written(
    small_docx: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "被截断.docx"
    broken.write_bytes(small_docx.read_bytes()[:2000])
    out = tmp_path / "out"
    out.mkdir()
    with WarmConverter(offices=2) as conv:
        with pytest.raises(ToolError, match="LibreOffice 未生成 PDF：.*被截断.docx") as caught:
            conv.convert([small_docx, broken], out)
        assert "小文档" not in str(caught.value)
        assert list(out.iterdir()) == [], "all or none: the good document's PDF waits for the other"
        (pdf,) = conv.convert([small_docx], out)  # both offices still serve
        assert "产教融合" in "".join(page_texts(pdf))
        markers = conv.markers
        assert len(markers) == 2
    assert all(procs.marked_pids(m) == [] for m in markers)


def test_markers_stay_unique_when_offices_start_side_by_side() -> None:
    """Offices start from several threads at once; two with one marker would be killed together
    (stopping one office killed its sibling and a cold fallback, seen in CI)."""
    import threading

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        made: list[list[str]] = [[] for _ in range(8)]
        threads = [threading.Thread(target=lambda out=out: out.extend(procs.new_marker() for _ in range(3000))) for out in made]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(old)
    markers = [m for out in made for m in out]
    assert len(set(markers)) == len(markers) == 8 * 3000


def test_an_office_asked_after_a_load_error_answers_only_while_it_still_runs(small_docx: Path, tmp_path: Path) -> None:
    """After a load error, the office is asked through its own connection whether it still runs
    (a killed soffice.bin can still look alive in /proc while it exits): alive, it answers and the
    next conversion is warm; killed, it does not, however soon it is asked."""
    with WarmConverter(keep=0) as conv:
        conv.convert([small_docx], tmp_path / "a")
        office = conv._office
        assert office is not None and office.still_alive()
        (pdf,) = conv.convert([small_docx], tmp_path / "b")  # the answer left nothing in the pipe
        assert not conv.fell_back and conv.conversions == 2 and "产教融合" in "".join(page_texts(pdf))
        os.kill(soffice_bin(office.marker), signal.SIGKILL)
        assert not office.still_alive()


def test_one_of_two_offices_killed_mid_conversion_falls_back_for_its_document_only(
    small_docx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_convert import make_docx

    other = make_docx(tmp_path / "另一个.docx", "校企合作，共建专业。", page_breaks=2)
    with WarmConverter(offices=2, keep=0) as conv:
        first, second = conv.markers
        assert first != second
        victim = soffice_bin(first)
        real_send = _Office.send
        killed: list[int] = []

        def send_then_kill(office: _Office, message: dict[str, str]) -> None:
            real_send(office, message)
            if office.marker == first and not killed:
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        monkeypatch.setattr(_Office, "send", send_then_kill)
        pdfs = conv.convert([small_docx, other], tmp_path / "out")
        monkeypatch.setattr(_Office, "send", real_send)
        assert conv.fell_back and conv.message is not None and "单独启动" in conv.message
        assert conv.conversions == 1, "the other office converted its document warm"
        assert ["产教融合" in "".join(page_texts(pdfs[0])), "共建专业" in "".join(page_texts(pdfs[1]))] == [True, True]
        assert gone(procs.marked_pids(first)), "the killed office's processes are all gone"
        assert office_pids(second), f"the other office still runs ({conv.message}; {conv.restart_reason})"
        conv.convert([small_docx, other], tmp_path / "next")
        assert not conv.fell_back and conv.starts == 3 and conv.conversions == 3
        markers = conv.markers
    assert all(procs.marked_pids(m) == [] for m in [first, *markers])


@pytest.mark.parametrize("offices", [1, 2])
def test_a_build_reads_each_document_back_as_soon_as_it_is_converted(
    offices: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process build against a running converter: each document is requested on its own
    connection (side by side with two offices), and read back by the build as soon as its PDF is
    there: with one office, the first document is read back while the second converts. The build's
    own reading: without the read-back worker, which otherwise reads the plan and the 自评表
    (tests/test_readworker.py)."""
    from generator import pipeline
    from generator.pdf.readworker import WORKER_ENV

    monkeypatch.setenv(WORKER_ENV, "0")

    reads: list[float] = []
    real_inspect = pipeline._inspect

    def inspect(result: pipeline.DocumentResult, *args: object, **kwargs: object) -> pipeline.Inspection:
        reads.append(time.monotonic())
        return real_inspect(result, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "_inspect", inspect)
    with WarmConverter(fonts_dir=REPO / "content" / "字体", offices=offices) as conv:
        busy = _record_busy(monkeypatch)
        result = pipeline.build(REPO / "content", tmp_path / "build", pdf=True)
        # the plan and the 推荐书 together; then the 自评表, which prints the pages read from them
        assert conv.conversions == 3 and not conv.fell_back
        markers = conv.markers
    spans = sorted(span for v in busy.values() for span in v)
    assert len(spans) == 3 and len(reads) == 3
    # the 自评表 converts once both others are there and the first is read back; the second's
    # read-back (its text was read as it arrived) runs while the 自评表 converts
    assert max(spans[0][1], spans[1][1]) <= spans[2][0] and min(reads) <= spans[2][0]
    reads, spans = reads[:2], spans[:2]
    if offices == 2:
        assert sorted(busy) == sorted(markers), "each office converted one document"
        assert _overlap(*spans) > 0, spans
    else:
        assert spans[0][1] <= spans[1][0], "one office: one document after the other"
        assert spans[0][1] <= min(reads) < spans[1][1], "the first was read back while the second converted"
    assert result.exit_code == 0, [d.message for d in result.report.errors]
    for r in result.documents:
        assert r.inspection is not None and (r.pages or 0) > 5 and r.pdf is not None and r.pdf.is_file()
    assert all(procs.marked_pids(m) == [] for m in markers)


def test_through_the_socket_a_broken_document_beside_a_good_one_is_named_after_the_good_one_arrives(
    small_docx: Path, tmp_path: Path, libreoffice: Path
) -> None:
    """A build's view (convert_to_pdf with on_ready, asking a two-office converter): the good
    document is handed over warm; the broken one is refused warm, tried cold, and named."""
    broken = tmp_path / "被截断.docx"
    broken.write_bytes(small_docx.read_bytes()[:2000])
    out = tmp_path / "out"
    out.mkdir()
    handed: list[str] = []
    with WarmConverter(offices=2) as conv:
        with pytest.raises(ToolError, match="LibreOffice 未生成 PDF：.*被截断.docx"):
            convert_to_pdf(
                [broken, small_docx], out, soffice=libreoffice,
                on_ready=lambda docx, _pdf: handed.append(docx.name), meanwhile=lambda: handed.append("meanwhile"),
            )
        assert conv.conversions == 1  # the good one, warm
        markers = conv.markers
    assert handed == ["meanwhile", "小文档.docx"], "meanwhile once, though the cold path ran too"
    assert "产教融合" in "".join(page_texts(out / "小文档.pdf"))
    assert all(procs.marked_pids(m) == [] for m in markers)
