"""The read-back worker (pdf/readworker.py): a second process reads one PDF back while the build
goes on. What it answers must be what the build would have found itself; whatever goes wrong
with it (an unreadable PDF, a kill, a hang) costs time, never a result, and no process is left."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ContentCopy, process_gone

from generator.check.results import DocumentResult
from generator.pdf import readworker
from generator.pdf.layout import inspect_pdf
from generator.pdf.pagemap import printed_pages
from generator.pdf.reader import pdf_facts, read_pdf
from generator.pdf.readworker import ReadWorker

pytestmark = pytest.mark.libreoffice


def _pair(out: Path, title: str) -> tuple[Path, Path]:
    docx = next(out.glob(f"*-{title}.docx"))
    return docx, docx.with_suffix(".pdf")


def _state(inspection: object) -> dict:
    state = inspection.to_state()  # type: ignore[attr-defined]
    state.pop("seconds")
    return state


def _altered_copy(docx: Path, dest: Path) -> Path:
    """The .docx with one word changed: its PDF (made from the original) then lacks a character
    and has another, which the read-back reports."""
    with zipfile.ZipFile(docx) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode("utf-8")
                data = text.replace("联合体", "联合会", 1).encode("utf-8")
            out.writestr(item, data)
    return dest


def test_the_worker_answers_what_the_build_finds_itself(example_build: tuple[Path, object], tmp_path: Path) -> None:
    out, _result = example_build
    plan_docx, plan_pdf = _pair(out, "建设方案")
    rec_docx, rec_pdf = _pair(out, "推荐书")
    altered = _altered_copy(plan_docx, tmp_path / "altered.docx")
    anchors = ["一、创建条件", "（一）基本情况", "六、保障措施", "这段文字不在任何一页上"]
    worker = ReadWorker.start(timeout=120)
    assert worker is not None
    try:
        first = worker.submit("zh", "建设方案", altered, plan_pdf, anchors)
        second = worker.submit("zh", "推荐书", rec_docx, rec_pdf, None)
        assert first is not None and second is not None
        # answered in order, the second read while the first is not yet asked for
        second_read = worker.result(second)
        pages = worker.pages(first)
        first_read = worker.result(first)
    finally:
        worker.close()
    assert process_gone(worker.proc.pid)

    assert pages == printed_pages(plan_pdf, anchors)
    assert pages[0] is not None and pages[-1] is None
    assert first_read is not None and second_read is not None
    expected = inspect_pdf("建设方案", altered, plan_pdf)
    assert _state(first_read[0]) == _state(expected)
    codes = [d.code for d in first_read[0].diagnostics]
    assert "readback-lost" in codes and "readback-added" in codes  # 体 lost, 会 added
    assert first_read[0].numbering_start() == expected.numbering_start()
    assert first_read[1] == pdf_facts(plan_pdf)
    assert _state(second_read[0]) == _state(inspect_pdf("推荐书", rec_docx, rec_pdf))
    assert second_read[1] == pdf_facts(rec_pdf)


def test_the_worker_speaks_the_build_language(example_build: tuple[Path, object], tmp_path: Path) -> None:
    out, _result = example_build
    plan_docx, plan_pdf = _pair(out, "建设方案")
    altered = _altered_copy(plan_docx, tmp_path / "altered.docx")
    worker = ReadWorker.start(timeout=120)
    assert worker is not None
    try:
        task = worker.submit("en", "plan", altered, plan_pdf, None)
        assert task is not None
        answer = worker.result(task)
    finally:
        worker.close()
    assert answer is not None
    messages = [d.message for d in answer[0].diagnostics if d.code == "readback-lost"]
    assert messages and all("the PDF lacks" in m and not re.search("缺少", m) for m in messages), messages
    from generator.i18n import set_language

    set_language("en")  # the build's own reading, in English (the autouse fixture sets zh back)
    assert _state(answer[0]) == _state(inspect_pdf("plan", altered, plan_pdf))


def test_a_pdf_the_worker_cannot_read_is_answered_as_such_and_the_next_one_is_read(example_build: tuple[Path, object], tmp_path: Path) -> None:
    out, _result = example_build
    rec_docx, rec_pdf = _pair(out, "推荐书")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nnot a PDF at all\n")
    worker = ReadWorker.start(timeout=120)
    assert worker is not None
    try:
        bad = worker.submit("zh", "推荐书", rec_docx, broken, ["1.联合体概况"])
        good = worker.submit("zh", "推荐书", rec_docx, rec_pdf, None)
        assert bad is not None and good is not None
        assert worker.pages(bad) is None  # the build finds the pages itself, and reports what fails
        assert worker.result(bad) is None
        assert worker.result(good) is not None
        assert not worker.broken
    finally:
        worker.close()
    assert process_gone(worker.proc.pid)


def test_a_worker_that_stops_answering_is_given_up_at_the_timeout_and_killed(example_build: tuple[Path, object]) -> None:
    out, _result = example_build
    plan_docx, plan_pdf = _pair(out, "建设方案")
    worker = ReadWorker.start(timeout=1.5)
    assert worker is not None
    try:
        os.kill(worker.proc.pid, signal.SIGSTOP)  # a hang: alive, answering nothing
        task = worker.submit("zh", "建设方案", plan_docx, plan_pdf, ["一、创建条件"])
        assert task is not None
        started = time.monotonic()
        assert worker.pages(task) is None
        assert worker.result(task) is None
        assert time.monotonic() - started < 10
        assert worker.broken
        assert worker.submit("zh", "建设方案", plan_docx, plan_pdf, None) is None  # the build reads it
    finally:
        worker.close()
    assert process_gone(worker.proc.pid)


def _comparable(result: object) -> dict:
    """What a user sees of a build: each document's pages, parts, numbering, fonts and read-back,
    every diagnostic, and the 自评表's page numbers."""
    docs = {}
    for r in result.documents:  # type: ignore[attr-defined]
        docs[r.doc.id] = {
            "pages": r.pages, "parts": r.part_pages, "numbered_from": r.numbered_from, "fonts": r.fonts,
            "inspection": _state(r.inspection) if r.inspection else None,
        }
    diagnostics = sorted((d.code, d.message, str(d.location)) for d in result.report.diagnostics)  # type: ignore[attr-defined]
    return {"documents": docs, "diagnostics": diagnostics, "evidence": result.evidence_pages}  # type: ignore[attr-defined]


@pytest.fixture
def spied(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """The documents the build reads back itself, and the workers it starts."""
    from generator import pipeline

    seen: dict[str, list] = {"here": [], "workers": []}
    real_converted, real_start = pipeline._converted, ReadWorker.start.__func__  # type: ignore[attr-defined]

    def converted(result: DocumentResult) -> None:
        seen["here"].append(result.doc.id)
        real_converted(result)

    def start(cls: type[ReadWorker], timeout: float) -> ReadWorker | None:
        worker = real_start(cls, timeout)
        seen["workers"].append(worker)
        return worker

    monkeypatch.setattr(pipeline, "_converted", converted)
    monkeypatch.setattr(ReadWorker, "start", classmethod(start))
    monkeypatch.setenv(readworker.WORKER_ENV, "1")
    return seen


def test_a_build_with_the_worker_finds_what_it_finds_alone(
    example_build: tuple[Path, object], example_root: Path, tmp_path: Path, spied: dict[str, list]
) -> None:
    from generator.pipeline import build

    _out, alone = example_build
    result = build(example_root, tmp_path / "out", pdf=True)
    assert _comparable(result) == _comparable(alone)
    assert len(spied["workers"]) == 1
    worker = spied["workers"][0]
    # the worker read the first phase's longest document and the 自评表, the build neither again
    assert [(t.name.rsplit("-", 1)[-1], t.read is not None) for t in worker.tasks] == [("建设方案.pdf", True), ("自评表.pdf", True)]
    assert spied["here"] == []  # the 推荐书 was only read (its comparison deferred), not converted
    assert process_gone(worker.proc.pid)
    report = json.loads((tmp_path / "out" / "检查报告.json").read_text(encoding="utf-8"))
    assert report["exit_code"] == 0
    # the package prints each part's pages and numbering as the build alone makes them
    assert result.package is not None and alone.package is not None  # type: ignore[attr-defined]
    ours, theirs = read_pdf(result.package, text=False), read_pdf(alone.package, text=False)  # type: ignore[attr-defined]
    assert (ours.page_count, ours.page_labels, ours.outline) == (theirs.page_count, theirs.page_labels, theirs.outline)
    assert "封面" in ours.page_labels and "1" in ours.page_labels


def test_a_worker_killed_during_a_build_costs_time_not_results(
    example_build: tuple[Path, object], example_root: Path, tmp_path: Path, spied: dict[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.pipeline import build

    real_submit = ReadWorker.submit

    def submit_then_die(self: ReadWorker, *args: object) -> object:
        task = real_submit(self, *args)  # type: ignore[arg-type]
        if task is not None:  # the first: later ones find the worker broken and get None
            os.kill(self.proc.pid, signal.SIGKILL)
        return task

    monkeypatch.setattr(ReadWorker, "submit", submit_then_die)
    _out, alone = example_build
    result = build(example_root, tmp_path / "out", pdf=True)
    assert _comparable(result) == _comparable(alone)
    assert sorted(spied["here"]) == ["plan", "self_assessment"]  # read by the build itself
    assert spied["workers"][0].broken
    # the package is whole: the plan's pages and numbering came from the build's own reading
    assert result.package is not None and result.package.is_file()
    shutil.rmtree(tmp_path / "out")


def test_a_build_starts_the_worker_by_itself_only_beside_a_warm_converter(
    example_build: tuple[Path, object], example_root: Path, tmp_path: Path, spied: dict[str, list],
    monkeypatch: pytest.MonkeyPatch, uno_runtime: Path,
) -> None:
    from generator.pdf.warm import WarmConverter
    from generator.pipeline import build

    monkeypatch.delenv(readworker.WORKER_ENV)
    _out, alone = example_build
    # no warm converter: the build's own LibreOffice starts on both cores, no worker beside it
    build(example_root, tmp_path / "cold", pdf=True)
    assert spied["workers"] == []
    with WarmConverter(fonts_dir=example_root / "字体") as conv:
        result = build(example_root, tmp_path / "warm", pdf=True)
        assert conv.conversions == 3 and not conv.fell_back
    assert len(spied["workers"]) == 1 and spied["workers"][0] is not None
    assert [t.read is not None for t in spied["workers"][0].tasks] == [True, True]
    assert _comparable(result) == _comparable(alone)
    monkeypatch.setenv(readworker.WORKER_ENV, "0")  # and turned off, beside one too
    with WarmConverter(fonts_dir=example_root / "字体"):
        build(example_root, tmp_path / "off", pdf=True)
    assert len(spied["workers"]) == 1


def test_with_errors_in_the_content_a_build_with_the_worker_reports_the_same_and_withholds_the_package(
    content_copy: ContentCopy, tmp_path: Path, spied: dict[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Errors found by the rules keep the package from being made ahead while the worker reads."""
    from generator.pipeline import build

    root = content_copy({"基本信息.yaml": lambda t: t.replace("推荐区县: 重庆市云岭区人民政府", "推荐区县:")})
    with_worker = build(root, tmp_path / "with", pdf=True)
    assert spied["workers"] and spied["workers"][0].tasks
    monkeypatch.setenv(readworker.WORKER_ENV, "0")
    alone = build(root, tmp_path / "alone", pdf=True)
    assert len(spied["workers"]) == 1
    assert _comparable(with_worker) == _comparable(alone)
    assert with_worker.exit_code == alone.exit_code == 1
    assert [d.code for d in with_worker.report.errors] == [d.code for d in alone.report.errors] != []
    assert with_worker.package is None and alone.package is None
    assert with_worker.package_skipped_reason == alone.package_skipped_reason != ""
