"""LibreOffice conversion: real documents and fonts, and fake converters that hang, lie or crash."""

from __future__ import annotations

import signal
import stat
import struct
import tempfile
import time
from pathlib import Path

import pytest
from conftest import process_gone
from docx import Document
from docx.oxml.ns import qn

from generator.errors import ToolError
from generator.pdf.convert import convert_to_pdf, find_soffice, libreoffice_version
from generator.pdf.reader import read_pdf

FANDOL_FANG = Path("/usr/local/share/fonts/fandol/FandolFang-Regular.otf")
FANDOL_FANG_TEXLIVE = Path(
    "/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/FandolFang-Regular.otf"
)


@pytest.fixture
def soffice(libreoffice: Path) -> Path:
    """The real LibreOffice (conftest: a failure under CI=true, a skip elsewhere)."""
    return libreoffice


@pytest.fixture
def fresh_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private temp root, so a test can check the conversion left nothing behind."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def make_docx(path: Path, *paragraphs: str, page_breaks: int = 0) -> Path:
    """A .docx whose paragraphs are Chinese text set in 方正仿宋_GBK, as the templates do."""
    doc = Document()
    for text in paragraphs:
        run = doc.add_paragraph().add_run(text)
        run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "方正仿宋_GBK")
    for n in range(page_breaks):
        doc.add_page_break()
        doc.add_paragraph(f"第{n + 2}页")
    doc.save(str(path))
    return path


def fake_soffice(path: Path, body: str) -> Path:
    """A stand-in LibreOffice launcher: a shell script with the given body."""
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def fake_founder_font(dest: Path, family: str, ps_name: str) -> Path:
    """A copy of FandolFang that calls itself `family` — a licensed 方正 font, for testing.

    Replaces the sfnt name table with a new one holding the family, and renames the CFF font
    (same length, so no offset moves) so the PDF shows which file LibreOffice embedded.
    """
    src = FANDOL_FANG if FANDOL_FANG.exists() else FANDOL_FANG_TEXLIVE
    old = b"FandolFang-Regular"
    assert len(ps_name) == len(old)
    data = bytearray(src.read_bytes().replace(old, ps_name.encode("ascii")))
    records, storage = [], b""
    for language in (0x0409, 0x0804):  # en-US, zh-CN
        for name_id, text in ((1, family), (2, "Regular"), (4, family), (6, ps_name)):
            raw = text.encode("utf-16-be")
            records.append(struct.pack(">6H", 3, 1, language, name_id, len(raw), len(storage)))
            storage += raw
    table = struct.pack(">3H", 0, len(records), 6 + 12 * len(records)) + b"".join(records)
    table += storage
    data += b"\0" * (-len(data) % 4)
    offset = len(data)
    data += table
    for i in range(struct.unpack_from(">H", data, 4)[0]):
        entry = 12 + 16 * i
        if data[entry : entry + 4] == b"name":
            struct.pack_into(">II", data, entry + 8, offset, len(table))
    dest.write_bytes(bytes(data))
    return dest


def previous_output(out_dir: Path, name: str = "plan.pdf") -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    old = out_dir / name
    old.write_bytes(b"previous build")
    return old


# --- real LibreOffice -------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_chinese_text_is_set_in_a_fangsong_face(soffice: Path, tmp_path: Path) -> None:
    docx = make_docx(tmp_path / "plan.docx", "联合体坚持政府统筹、园区牵头、校企共建。")
    [pdf_path] = convert_to_pdf([docx], tmp_path / "out", soffice=soffice)

    info = read_pdf(pdf_path)
    assert info.page_count == 1
    assert "联合体坚持政府统筹、园区牵头、校企共建。" in info.text
    assert "FandolFang-Regular" in info.embedded_fonts
    assert not [f for f in info.fonts if f.startswith("NotoSans")]


@pytest.mark.libreoffice
@pytest.mark.parametrize("processes", [1, 2], ids=["one-process", "two-processes"])
def test_several_documents_keep_their_names_order_and_pages(
    soffice: Path, tmp_path: Path, processes: int
) -> None:
    docs = [
        make_docx(tmp_path / "某某产教联合体建设方案.docx", "建设方案正文", page_breaks=2),
        make_docx(tmp_path / "推荐书.docx", "推荐书正文"),
        make_docx(tmp_path / "redline.docx", "修订稿正文", page_breaks=1),
    ]
    out_dir = tmp_path / "out"
    handed: list[tuple[str, int]] = []  # on_ready: each document once, its PDF already in place
    pdfs = convert_to_pdf(
        docs, out_dir, soffice=soffice, processes=processes,
        on_ready=lambda docx, pdf: handed.append((f"{docx.name}→{pdf.name}", read_pdf(pdf).page_count)),
    )

    assert sorted(handed) == sorted([
        ("某某产教联合体建设方案.docx→某某产教联合体建设方案.pdf", 3), ("推荐书.docx→推荐书.pdf", 1), ("redline.docx→redline.pdf", 2)
    ])
    assert pdfs == [
        out_dir / "某某产教联合体建设方案.pdf",
        out_dir / "推荐书.pdf",
        out_dir / "redline.pdf",
    ]
    infos = [read_pdf(p) for p in pdfs]
    assert [i.page_count for i in infos] == [3, 1, 2]
    assert "建设方案正文" in infos[0].text
    assert "推荐书正文" in infos[1].text
    # Digits are set in the Latin font; text extraction puts spaces around the font change.
    assert "第3页" in "".join(infos[0].page_texts[2].split())
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(p.name for p in pdfs)


@pytest.mark.libreoffice
def test_a_licensed_font_in_the_fonts_folder_wins(soffice: Path, tmp_path: Path) -> None:
    fonts_dir = tmp_path / "fonts"
    fonts_dir.mkdir()
    fake_founder_font(fonts_dir / "FZFSK_GBK.otf", "方正仿宋_GBK", "FZFangSongGBK-Stub")
    docx = make_docx(tmp_path / "plan.docx", "正文用正版方正仿宋。")

    [with_folder] = convert_to_pdf([docx], tmp_path / "a", fonts_dir=fonts_dir, soffice=soffice)
    [without] = convert_to_pdf([docx], tmp_path / "b", soffice=soffice)

    assert "FZFangSongGBK-Stub" in read_pdf(with_folder).embedded_fonts
    assert "FandolFang-Regular" not in read_pdf(with_folder).embedded_fonts
    assert "FandolFang-Regular" in read_pdf(without).embedded_fonts


@pytest.mark.libreoffice
def test_a_new_build_replaces_the_previous_pdf(soffice: Path, tmp_path: Path) -> None:
    old = previous_output(tmp_path / "out")
    convert_to_pdf([make_docx(tmp_path / "plan.docx", "第二轮修改稿")], old.parent, soffice=soffice)
    assert "第二轮修改稿" in read_pdf(old).text
    assert [p.name for p in old.parent.iterdir()] == ["plan.pdf"]


@pytest.mark.libreoffice
def test_a_truncated_docx_is_reported_and_nothing_is_written(
    soffice: Path, tmp_path: Path, fresh_tmp: Path
) -> None:
    good = make_docx(tmp_path / "good.docx", "完整文件")
    broken = tmp_path / "plan.docx"
    broken.write_bytes(make_docx(tmp_path / "src.docx", "被截断").read_bytes()[:2000])
    old = previous_output(tmp_path / "out")

    with pytest.raises(ToolError, match="LibreOffice 未生成 PDF：.*plan.docx"):
        convert_to_pdf([good, broken], old.parent, soffice=soffice)

    assert old.read_bytes() == b"previous build"
    assert [p.name for p in old.parent.iterdir()] == ["plan.pdf"]  # good.pdf waits for all
    assert list(fresh_tmp.iterdir()) == []


@pytest.mark.libreoffice
def test_libreoffice_version(soffice: Path) -> None:
    assert libreoffice_version(soffice).startswith("LibreOffice ")


# --- failures, with fake converters -----------------------------------------------------------


def test_a_hanging_converter_is_killed_with_its_children(tmp_path: Path, fresh_tmp: Path) -> None:
    pids = tmp_path / "pids"
    # The child plays soffice.bin: it outlives a launcher that is killed alone.
    fake = fake_soffice(
        tmp_path / "soffice",
        f"trap '' TERM HUP\nsleep 300 &\necho $! > {pids}\necho $$ >> {pids}\nwait\n",
    )
    old = previous_output(tmp_path / "out")

    start = time.monotonic()
    with pytest.raises(ToolError, match="LibreOffice 转换超时（1 秒）：plan.docx"):
        convert_to_pdf(
            [make_docx(tmp_path / "plan.docx", "正文")], old.parent, timeout=1, soffice=fake
        )

    assert time.monotonic() - start < 10
    child, launcher = (int(line) for line in pids.read_text().split())
    assert process_gone(child) and process_gone(launcher)
    assert old.read_bytes() == b"previous build"
    assert [p.name for p in old.parent.iterdir()] == ["plan.pdf"]
    assert list(fresh_tmp.iterdir()) == []


def test_an_interrupt_kills_the_converter(tmp_path: Path, fresh_tmp: Path) -> None:
    pids = tmp_path / "pids"
    fake = fake_soffice(tmp_path / "soffice", f"sleep 300 &\necho $! > {pids}\nwait\n")

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            convert_to_pdf(
                [make_docx(tmp_path / "plan.docx", "正文")], tmp_path / "out", soffice=fake
            )
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    assert process_gone(int(pids.read_text()))
    assert not (tmp_path / "out" / "plan.pdf").exists()
    assert list(fresh_tmp.iterdir()) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("exit 0\n", "LibreOffice 未生成 PDF：.*plan.docx"),
        (
            "echo 'soffice.bin: fatal error' >&2\nexit 134\n",
            "异常退出（退出码 134）：plan.docx\nsoffice.bin: fatal error",
        ),
        ("kill -SEGV $$\n", "异常退出（被信号 11 终止）"),
        (
            'while [ $# -gt 0 ]; do case "$1" in --outdir) out="$2"; shift;; *.docx) doc="$1";; esac;'
            ' shift; done\nprintf "not a pdf" > "$out/$(basename "$doc" .docx).pdf"\n',
            "LibreOffice 生成的 PDF 无法打开：.*plan.docx",
        ),
    ],
    ids=["exits-0-without-pdf", "crashes-134", "killed-by-signal", "writes-garbage"],
)
def test_a_failing_converter_leaves_previous_output_intact(
    tmp_path: Path, fresh_tmp: Path, body: str, expected: str
) -> None:
    fake = fake_soffice(tmp_path / "soffice", body)
    old = previous_output(tmp_path / "out")

    with pytest.raises(ToolError, match=expected):
        convert_to_pdf([make_docx(tmp_path / "plan.docx", "正文")], old.parent, soffice=fake)

    assert old.read_bytes() == b"previous build"
    assert [p.name for p in old.parent.iterdir()] == ["plan.pdf"]
    assert list(fresh_tmp.iterdir()) == []


def test_missing_libreoffice_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.pdf.convert

    monkeypatch.delenv("CHANJIAO_SOFFICE", raising=False)
    monkeypatch.setattr(generator.pdf.convert, "find_soffice", lambda: None)  # a machine without it
    with pytest.raises(ToolError, match="未找到 LibreOffice，请安装：sudo apt-get install"):
        convert_to_pdf([make_docx(tmp_path / "plan.docx", "正文")], tmp_path / "out")


def test_a_chanjiao_soffice_that_names_no_program_is_its_own_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANJIAO_SOFFICE", str(tmp_path / "no-soffice"))
    assert find_soffice() is None  # doctor lists it as missing
    with pytest.raises(ToolError, match="环境变量 CHANJIAO_SOFFICE 指向的程序不存在或不可执行"):
        convert_to_pdf([make_docx(tmp_path / "plan.docx", "正文")], tmp_path / "out")


def test_an_unrunnable_program_is_a_tool_error(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="无法运行 LibreOffice"):
        convert_to_pdf(
            [make_docx(tmp_path / "plan.docx", "正文")], tmp_path / "out", soffice=tmp_path / "none"
        )


def test_bad_inputs_are_refused_before_starting(tmp_path: Path) -> None:
    fake = fake_soffice(tmp_path / "soffice", "exit 99\n")
    plan = make_docx(tmp_path / "plan.docx", "正文")
    (tmp_path / "other").mkdir()
    twin = make_docx(tmp_path / "other" / "plan.docx", "同名")
    with pytest.raises(ToolError, match="找不到要转换的文件"):
        convert_to_pdf([tmp_path / "missing.docx"], tmp_path / "out", soffice=fake)
    with pytest.raises(ToolError, match="两个文件会生成同名 PDF"):
        convert_to_pdf([plan, twin], tmp_path / "out", soffice=fake)
    with pytest.raises(ToolError, match="字体文件夹不存在"):
        convert_to_pdf([plan], tmp_path / "out", fonts_dir=tmp_path / "fonts", soffice=fake)
    assert convert_to_pdf([], tmp_path / "out", soffice=fake) == []


def test_leftovers_of_a_dead_run_are_swept_and_a_live_runs_are_not(tmp_path: Path, fresh_tmp: Path) -> None:
    import os
    import socket
    import subprocess

    from generator.core import procs

    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = f"{gone.pid}.12345"  # a run that has ended (a pid with another start time is another run)
    live = procs.run_id()
    folders = {}
    for owner in (dead, live):
        folder = fresh_tmp / f"{procs.TEMP_PREFIX}{owner}-abc"
        (folder / "job0" / "profile").mkdir(parents=True)
        folders[owner] = folder
    pipe = procs.osl_pipe((folders[dead] / "job0" / "profile").as_uri())
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(pipe))  # as LibreOffice leaves it
    # soffice.bin of the dead run, still running: it carries the dead run's marker
    orphan = subprocess.Popen(["sleep", "305"], env={**os.environ, procs.MARKER_ENV: f"{dead}/1"}, start_new_session=True)
    unrelated = fresh_tmp / "chanjiao-lo-someone-else"  # not named by our rule: never ours to remove
    unrelated.mkdir()
    # a killed command's own temporary folder, with the font check's folder in it
    run_folder = fresh_tmp / f"{procs.RUN_TEMP_PREFIX}{dead}-xyz"
    (run_folder / "chanjiao-fc-1").mkdir(parents=True)
    try:
        assert procs.sweep_leftovers() == 2
        assert not run_folder.exists()
        assert orphan.wait(timeout=10) == -signal.SIGKILL
        assert not folders[dead].exists() and not pipe.exists()
        assert folders[live].exists() and unrelated.exists()
    finally:
        orphan.kill()
        orphan.wait()
        pipe.unlink(missing_ok=True)


def test_the_pipe_name_is_the_one_libreoffice_uses() -> None:
    from generator.core.procs import osl_pipe

    # Read off a real run: -env:UserInstallation=file:///tmp/ho/t/profile made this socket.
    assert osl_pipe("file:///tmp/ho/t/profile").name.endswith("_SingleOfficeIPC_3f0beb8ed63fabec67762a7be5cf5")


def _per_document_soffice(tmp_path: Path, behaviour: str) -> Path:
    """A fake LibreOffice converting one .docx per process into a blank page, after `behaviour`
    (a shell line that sees the document as $doc)."""
    from pypdf import PdfWriter

    blank = tmp_path / "blank.pdf"
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    with blank.open("wb") as f:
        writer.write(f)
    return fake_soffice(
        tmp_path / "soffice",
        'while [ $# -gt 0 ]; do case "$1" in --outdir) out="$2"; shift;; *.docx) doc="$1";; esac; shift; done\n'
        f'{behaviour}\ncp {blank} "$out/$(basename "$doc" .docx).pdf"\n',
    )


def test_with_on_ready_each_process_hands_its_pdf_over_as_soon_as_it_ends(tmp_path: Path, fresh_tmp: Path) -> None:
    # Plays LibreOffice: the document named slow takes 3 s, the other none.
    fake = _per_document_soffice(tmp_path, 'case "$doc" in *slow*) sleep 3;; esac')
    docs = [make_docx(tmp_path / "slow.docx", "慢"), make_docx(tmp_path / "fast.docx", "快")]
    out = tmp_path / "out"
    out.mkdir()
    handed: list[tuple[str, float, bool]] = []
    start = time.monotonic()
    pdfs = convert_to_pdf(
        docs, out, soffice=fake, processes=2,
        on_ready=lambda docx, pdf: handed.append((docx.name, time.monotonic() - start, (out / "slow.pdf").exists())),
        meanwhile=lambda: handed.append(("meanwhile", time.monotonic() - start, (out / "slow.pdf").exists())),
    )
    assert handed[0][0] == "meanwhile" and handed[0][1] < 2.5, "run once the processes started, before any ended"
    handed = handed[1:]
    assert [h[0] for h in handed] == ["fast.docx", "slow.docx"]
    assert handed[0][1] < 2.5 and not handed[0][2], "fast was handed over while slow still converted"
    assert handed[1][1] >= 3
    assert pdfs == [out / "slow.pdf", out / "fast.pdf"] and all(p.is_file() for p in pdfs)
    assert list(fresh_tmp.iterdir()) == []


def test_with_on_ready_a_failing_process_is_named_after_the_other_was_handed_over(tmp_path: Path, fresh_tmp: Path) -> None:
    fake = _per_document_soffice(tmp_path, 'case "$doc" in *broken*) sleep 1; echo "soffice.bin: fatal error" >&2; exit 134;; esac')
    docs = [make_docx(tmp_path / "good.docx", "好"), make_docx(tmp_path / "broken.docx", "坏")]
    handed: list[str] = []
    with pytest.raises(ToolError, match="异常退出（退出码 134）：broken.docx"):
        convert_to_pdf(docs, tmp_path / "out", soffice=fake, processes=2, on_ready=lambda docx, _pdf: handed.append(docx.name))
    assert handed == ["good.docx"]
    assert list(fresh_tmp.iterdir()) == []
