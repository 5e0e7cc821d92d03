"""A build's own LibreOffice (pdf/buildoffice.py): started while the build renders, converting
both phases, gone when the build ends; given up for the cold path when it cannot help."""

from __future__ import annotations

import os
import socket
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.core import procs
from generator.errors import ToolError
from generator.pdf import buildoffice, convert, profile, warmclient
from generator.pdf.buildoffice import BuildOffice
from generator.pdf.reader import read_pdf
from generator.pdf.warm import WarmConverter

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.libreoffice


@pytest.fixture(autouse=True)
def _private_runtime_dir(uno_runtime: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(warmclient.WARM_ENV, raising=False)
    return uno_runtime


@pytest.fixture
def kept_profile(libreoffice: Path, tmp_path: Path) -> Path:
    """A kept LibreOffice profile (what the first cold conversion on a machine leaves)."""
    if not profile.kept(libreoffice):
        from docx import Document

        doc = Document()
        doc.add_paragraph("一")
        doc.save(str(tmp_path / "one.docx"))
        convert.convert_to_pdf([tmp_path / "one.docx"], tmp_path, processes=1)
    assert profile.kept(libreoffice)
    return libreoffice


def _fake_soffice(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_a_build_converts_both_phases_in_one_libreoffice_of_its_own_and_leaves_none(
    kept_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.pipeline import build

    def no_cold(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a cold LibreOffice was started")

    monkeypatch.setattr(convert, "_convert_cold", no_cold)
    offices: list[BuildOffice] = []
    markers: list[str] = []
    real_start, real_close = BuildOffice.start, BuildOffice.close

    def start(*args: object, **kwargs: object) -> BuildOffice | None:
        office = real_start(*args, **kwargs)  # type: ignore[arg-type]
        if office is not None:
            offices.append(office)
        return office

    def close(self: BuildOffice) -> None:
        markers.extend(self.converter.markers)
        real_close(self)

    monkeypatch.setattr(BuildOffice, "start", start)
    monkeypatch.setattr(BuildOffice, "close", close)
    lines: list[str] = []
    result = build(REPO / "content", tmp_path / "out", pdf=True, progress=lines.append)

    assert len(offices) == 1
    office = offices[0]
    # each office started once; every document (the 自评表 too) converted there, none cold
    assert office.converter.starts == office.converter.offices
    assert office.converter.conversions == 3 and not office.notes
    assert [d.doc.title for d in result.documents] == ["建设方案", "推荐书", "自评表"]
    for document in result.documents:
        assert document.pdf is not None and document.pdf.is_file() and document.pages > 0
        # read back against its .docx: every character printed, nothing to say about the layout
        assert document.inspection is not None and not document.inspection.diagnostics
    assert result.exit_code == 0
    assert result.package is not None and result.package.is_file()
    # the build's LibreOffices are gone, every process they started with them
    assert markers and not any(procs.marked_pids(m) for m in markers)
    assert not any("常驻" in line for line in lines)


def test_no_libreoffice_of_its_own_where_it_would_not_help(kept_profile: Path, monkeypatch: pytest.MonkeyPatch, _private_runtime_dir: Path) -> None:
    usual = BuildOffice.start(kept_profile, None, 60)
    assert usual is not None  # the usual case starts one
    usual.close()

    monkeypatch.setenv(warmclient.WARM_ENV, "0")  # turned off: the cold path, as before
    assert BuildOffice.start(kept_profile, None, 60) is None
    monkeypatch.delenv(warmclient.WARM_ENV)

    # a warm converter answers for this LibreOffice and fonts: it converts the build's documents
    path = warmclient.socket_path(kept_profile, None, create=True)
    assert path is not None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)
        assert BuildOffice.start(kept_profile, None, 60) is None
    # the same socket left by a converter that died: refused, so the build starts its own
    office = BuildOffice.start(kept_profile, None, 60)
    assert office is not None
    office.close()

    # no kept profile (the cache off): LibreOffice would first build one and restart itself
    monkeypatch.setenv("CHANJIAO_CACHE", "0")
    assert BuildOffice.start(kept_profile, None, 60) is None


def test_a_libreoffice_that_hangs_at_start_is_given_up_within_the_wait_and_killed(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    fake = _fake_soffice(tmp_path / "soffice", f"echo $$ >> {pids}\nexec sleep 305\n")
    office = BuildOffice(WarmConverter(soffice=fake, publish=False, offices=2), wait=1.0)
    started = time.monotonic()
    docx = tmp_path / "a.docx"
    docx.write_bytes(b"not converted here")
    assert office.convert([docx], tmp_path, None, lambda: None) == [docx]  # left for the cold path
    assert time.monotonic() - started < 5  # the wait, then the start abandoned, not its 90 s
    assert pids.is_file()
    for pid in map(int, pids.read_text().split()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert office.convert([docx], tmp_path, None, lambda: None) == [docx]  # given up for good


def test_a_libreoffice_that_exits_at_start_fails_at_once_not_after_the_start_timeout(tmp_path: Path) -> None:
    fake = _fake_soffice(tmp_path / "soffice", "exit 1\n")
    converter = WarmConverter(soffice=fake, publish=False)
    started = time.monotonic()
    with pytest.raises(ToolError, match="常驻 LibreOffice 未能启动"):
        converter.start()
    assert time.monotonic() - started < 10
    converter.close()


def test_closing_the_build_abandons_a_start_under_way(kept_profile: Path) -> None:
    office = BuildOffice.start(kept_profile, None, 60)
    assert office is not None
    time.sleep(0.2)  # LibreOffice is starting (it takes a second or more)
    started = time.monotonic()
    office.close()
    assert time.monotonic() - started < 3
    assert not office.converter.markers
    assert buildoffice.BuildOffice.ready(office) is False


def test_closing_mid_conversion_ends_it_at_once_without_a_cold_start(kept_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a SIGTERM does to a build converting in its own LibreOffice: the build unwinds, its
    LibreOffice is killed, and the conversion under way fails instead of starting a cold one."""
    import threading

    from generator.pipeline import build

    build(REPO / "content", tmp_path / "docx", pdf=False)
    plan = next((tmp_path / "docx").glob("*-建设方案.docx"))

    def no_cold(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a cold LibreOffice was started")

    monkeypatch.setattr(convert, "_convert_cold", no_cold)
    office = BuildOffice.start(kept_profile, None, 120)
    assert office is not None and office.ready()
    markers = office.converter.markers
    failures: list[BaseException] = []

    def converting() -> None:
        try:
            office.convert([plan], tmp_path, None, lambda: None)
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    thread = threading.Thread(target=converting)
    thread.start()
    time.sleep(0.4)  # the 28-page plan takes a second or more
    started = time.monotonic()
    office.close()
    thread.join(10)
    assert time.monotonic() - started < 3 and not thread.is_alive()
    assert len(failures) == 1 and isinstance(failures[0], ToolError), failures
    assert "已关闭" in str(failures[0])
    assert not (tmp_path / f"{plan.stem}.pdf").exists()
    assert not any(procs.marked_pids(m) for m in markers)


def test_a_build_that_converts_nothing_starts_no_libreoffice_of_its_own(
    kept_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content_copy: Callable[..., Path]
) -> None:
    """Into a folder whose last build converted what this one renders (only an attachment's list
    changed), two LibreOffices starting beside the build would only slow it down; a change to a
    document's text starts them again."""
    from generator.pipeline import build

    started: list[BuildOffice | None] = []
    real_start = BuildOffice.start

    def start(*args: object, **kwargs: object) -> BuildOffice | None:
        started.append(real_start(*args, **kwargs))  # type: ignore[arg-type]
        return started[-1]

    monkeypatch.setattr(BuildOffice, "start", start)
    root, out = content_copy(), tmp_path / "out"
    first = build(root, out, pdf=True)
    assert first.exit_code == 0 and len(started) == 1 and started[0] is not None
    plan_pdf = next(out.glob("*-建设方案.pdf")).read_bytes()

    content_copy({"附件/清单.yaml": lambda text: text + "\n# 只改了附件清单的注释\n"})
    again = build(root, out, pdf=True)
    assert len(started) == 1, "no LibreOffice was started"
    assert again.exit_code == 0 and not any(d.rebuilt for d in again.documents)
    assert next(out.glob("*-建设方案.pdf")).read_bytes() == plan_pdf
    assert again.package is not None and again.package.is_file()

    plan_md = sorted((root / "建设方案").glob("*.md"))[0].relative_to(root).as_posix()
    content_copy({plan_md: lambda text: text + "\n补充一句新的说明。\n"})
    changed = build(root, out, pdf=True)
    assert len(started) == 2 and started[1] is not None, "a changed document starts one again"
    assert changed.exit_code == 0 and changed.documents[0].rebuilt
    assert "补充一句新的说明" in "".join(read_pdf(next(out.glob("*-建设方案.pdf"))).page_texts)
