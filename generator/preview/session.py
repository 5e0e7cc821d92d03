"""One rebuild of the preview: check, render what a change feeds, convert, picture, inspect, publish.

The steps are the pipeline's own (load_application, check_loaded, render_documents, inspect_pdf,
page_limit_diagnostics); what differs from `build` is the order, chosen for the page: the content
is read, the documents it feeds are rendered and handed to LibreOffice, and the rules run while
LibreOffice converts (the report with its 字数 bars arrives during the conversion, ~0.3 s after
a save, off the path to the pages); then the pages the change is on, the text and page counts of
the whole documents, the pictures of their changed pages, the read-back and layout warnings, each
published as soon as it is known.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from generator.check.report import coverage_json
from generator.check.results import DocumentResult
from generator.check.validate import Report, check_loaded
from generator.content.loader import load_application
from generator.errors import ChanjiaoError, Diagnostic, Severity
from generator.i18n import _
from generator.model import Application, Value
from generator.pdf.warm import FirstPages
from generator.pipeline import (
    NEEDS_PAGES,
    content_fonts_dir,
    page_limit_diagnostics,
    render_documents,
)
from generator.preview.converter import Converter, is_warm
from generator.preview.firstpages import changed_pages, paragraph_texts
from generator.preview.pages import PICTURE_SUFFIX, PageScan, PdfPages
from generator.preview.state import PreviewState
from generator.word.documents import DOCUMENTS as _ALL_DOCUMENTS
from generator.word.documents import Document, document_stem

#: What preview shows: the documents a writer edits. The 自评表 prints the pages of the others'
#: PDFs, which only a build reads back (pipeline.NEEDS_PAGES); `chanjiao build` makes it.
DOCUMENTS = tuple(d for d in _ALL_DOCUMENTS if d.id not in NEEDS_PAGES)

#: Changed files with these suffixes may be pictures a document prints from anywhere in the repo.
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")

ConverterFactory = Callable[[Path | None], Converter]


class Superseded(Exception):
    """A newer save arrived while rebuilding: this rebuild's result would already be stale."""


@dataclass
class _Shown:
    """What the page shows of one document: the last good build of it."""

    doc: Document
    docx: Path | None = None
    pdf: Path | None = None
    docx_digest: str = ""
    fingerprints: dict[int, str] = field(default_factory=dict)
    pages: list[dict[str, Any]] = field(default_factory=list)
    part_pages: list[tuple[str, int]] = field(default_factory=list)
    layout: list[Diagnostic] = field(default_factory=list)
    inspected: bool = False
    changed_now: bool = False


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    """A diagnostic as the page shows it: where (file:line:col), how bad, the message."""
    return {
        "where": str(d.location),
        "file": d.location.path,
        "line": d.location.line,
        "severity": d.severity.value,
        "code": d.code,
        "field": d.field,
        "message": d.message,
    }


def _report_json(report: Report) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "verdict": report.verdict(),
        "limits": [
            {"field": r.full_label, "where": str(r.location), "words": r.words, "chars": r.chars_no_spaces, "limit": r.limit, "over": r.over}
            for r in report.limits
        ],
        "diagnostics": [diagnostic_json(d) for d in report.diagnostics],
        "coverage": coverage_json(report, {}),  # 附件2 points, as `check --format json` has them
    }


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: a rebuild allocates heavily (python-docx, lxml,
    pdfium), and the collections it triggered cost 20–80 ms of each save's wait (a full one
    ~50 ms). Their garbage is collected once the pages are out (Session.tidy)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ms(start: float) -> int:
    return round((time.perf_counter() - start) * 1000)


class Session:
    """The preview of one content repo: rebuilds on request and publishes into a PreviewState."""

    def __init__(
        self,
        root: Path,
        out_dir: Path,
        state: PreviewState,
        converter_factory: ConverterFactory,
        superseded: Callable[[], bool] = lambda: False,
    ) -> None:
        self.root, self.out_dir, self.state = root, out_dir, state
        self._make_converter, self._superseded = converter_factory, superseded
        self.converter: Converter | None = None
        self._fonts_dir: Path | None = None
        self._shown = {doc.id: _Shown(doc) for doc in DOCUMENTS}
        self._stale = {doc.id for doc in DOCUMENTS}  # never built, or the last attempt failed
        self._app: Application | None = None
        self._checking: threading.Thread | None = None  # the rules of the rebuild under way
        self._check_failed: Exception | None = None
        self.timings: dict[str, int] = {}
        self._started = time.perf_counter()  # when the current rebuild began
        self._frozen = False

    def close(self) -> None:
        """Stop the converter (and the LibreOffice it keeps)."""
        if self.converter is not None:
            converter, self.converter = self.converter, None
            converter.close()

    def tidy(self) -> None:
        """Collect the last rebuild's garbage now, while the preview waits for a save (rebuilds
        pause the collector until their pages are out). After the first build, what is alive is
        what lives as long as the preview (modules, compiled templates): frozen, no collection
        walks it again."""
        gc.collect()
        if not self._frozen:
            gc.freeze()
            self._frozen = True

    # -- the rebuild -------------------------------------------------------------------------------

    def rebuild(self, changed: set[str] | None) -> None:
        """Rebuild after `changed` (paths relative to the root; None: everything). Failures are
        published, the last good pages stay; Superseded is raised when a newer save is waiting."""
        start, started = time.perf_counter(), time.time()
        self._started = start
        self.timings = {}
        try:
            with _collector_paused():
                app = self._check()
                if app is None:
                    return
                for shown in self._shown.values():
                    shown.changed_now = False
                docs = self._affected(app, changed)
                try:
                    if docs:
                        self._build(app, docs)
                finally:
                    self._checked()
            self.timings["pages"] = _ms(start)
            self._inspect(app)
            self._publish_documents(app)
            self.timings["total"] = _ms(start)
            self.state.status("done", _("已完成，用时 {ms} 毫秒").format(ms=self.timings["pages"]), ms=self.timings["pages"], timings=self.timings, started=started)
        except Superseded:
            raise
        except ChanjiaoError as exc:
            self._fail(str(exc))
        except Exception as exc:  # a bug must not end the preview: say so, keep serving
            self._fail(_("内部错误（{kind}：{message}）。这是 chanjiao 的问题，不是申报材料的问题。").format(kind=type(exc).__name__, message=exc))

    def _fail(self, why: str, diagnostics: list[Diagnostic] | None = None) -> None:
        self.state.status(
            "failed",
            _("重新生成失败，页面上仍是上次成功生成的版本"),
            reason=why,
            errors=[diagnostic_json(d) for d in diagnostics or []],
            timings=self.timings,
        )

    def _check(self) -> Application | None:
        """Read the content; the rules run in a thread (joined by _checked) while this one renders
        and LibreOffice converts. None when a file cannot be read at all (nothing to render)."""
        self.state.status("checking", _("读取并校验申报材料…"))
        start = time.perf_counter()
        app, found = load_application(self.root)
        self.timings["load"] = _ms(start)
        self.state.update(title=str(app.get("basics.name") or ""))
        # As in `build`: only a file that cannot be read at all stops rendering; a missing or
        # refused value prints as a gap. Preview keeps the last good pages until the file reads.
        if any(d.location.path in app.unreadable for d in found if d.severity is Severity.ERROR):
            report = self._report(app, found)
            self._checked()
            assert report is not None
            blocking = [d for d in report.errors if d.location.path in app.unreadable]
            self._fail(_("内容有 {n} 处错误，文档无法生成：").format(n=len(blocking)), blocking)
            return None
        self._app = app
        # Started once the documents are rendered (_start_check): under the GIL, rules running
        # beside the render slowed it by half (134 → 86 ms of the plan's render, median of 10).
        self._checking = threading.Thread(target=self._report, args=(app, found), name="chanjiao-check", daemon=True)
        return app

    def _start_check(self) -> None:
        """Start the rules _check prepared, if not yet started: while LibreOffice converts."""
        if self._checking is not None and self._checking.ident is None:
            self._checking.start()

    def _report(self, app: Application, found: list[Diagnostic]) -> Report | None:
        start = time.perf_counter()
        try:
            report = check_loaded(self.root, app, found)
        except Exception as exc:  # noqa: BLE001 (a bug: re-raised by _checked, in the rebuild's thread)
            self._check_failed = exc
            return None
        self.timings["check"] = _ms(start)
        self.state.update(report=_report_json(report))
        return report

    def _checked(self) -> None:
        """Wait for the rules started by _check (they take ~40 ms of CPU); their failure is the
        rebuild's."""
        self._start_check()  # a rebuild that rendered nothing did not start them
        if self._checking is not None:
            self._checking.join()
            self._checking = None
        failed, self._check_failed = self._check_failed, None
        if failed is not None:
            raise failed

    def _affected(self, app: Application, changed: set[str] | None) -> list[Document]:
        """The documents that `changed` feeds (their `reads`), and those not yet built."""
        fonts_dir = content_fonts_dir(app)
        if fonts_dir != self._fonts_dir:  # the fonts LibreOffice sees changed: a new converter
            self._fonts_dir = fonts_dir
            self.close()
            self._stale.update(d.id for d in DOCUMENTS)
        if changed is None:
            return list(DOCUMENTS)
        fonts_rel = os.path.relpath(fonts_dir, self.root) + "/" if fonts_dir else None
        # a picture outside every document's folders may still be printed by one (a path in Markdown)
        images = any(p.lower().endswith(_IMAGE_SUFFIXES) and not any(p.startswith(d.reads) for d in DOCUMENTS) for p in changed)
        out = []
        for doc in DOCUMENTS:
            feeds = any(p.startswith(doc.reads) or (fonts_rel and p.startswith(fonts_rel)) for p in changed)
            if feeds or images or doc.id in self._stale:
                out.append(doc)
        if fonts_rel and any(p.startswith(fonts_rel) for p in changed):
            self.close()
            self._stale.update(d.id for d in DOCUMENTS)
        return out

    def _converter(self) -> Converter:
        if self.converter is None:
            self.converter = self._make_converter(self._fonts_dir)
        return self.converter

    def _build(self, app: Application, docs: list[Document]) -> None:
        """Render, convert and picture `docs` (those whose .docx did not change are left as they are)."""
        work = Path(tempfile.mkdtemp(prefix=".preview-", dir=self.out_dir))
        try:
            names = "、".join(d.title for d in docs)
            self.state.status("rendering", _("生成 {names}…").format(names=names), documents=[d.title for d in docs])
            t = time.perf_counter()
            docx_paths = render_documents(app, work, tuple(docs))
            self.timings["render"] = _ms(t)
            self._start_check()
            if self._superseded():
                raise Superseded
            todo = [(d, p) for d, p in zip(docs, docx_paths, strict=True) if d.id in self._stale or _digest(p) != self._shown[d.id].docx_digest]
            if todo:
                self._convert(app, todo, work)
        except Superseded:
            raise  # the next rebuild includes these documents anyway
        except BaseException:
            self._stale.update(d.id for d in docs)  # the next save retries them, whatever it feeds
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _convert(self, app: Application, todo: list[tuple[Document, Path]], work: Path) -> None:
        converter = self._converter()
        how = _("热转换") if is_warm(converter) else _("冷启动 LibreOffice")
        self.state.status("converting", _("转换为 PDF（{how}）：{names}…").format(how=how, names="、".join(d.title for d, _p in todo)))
        t = time.perf_counter()
        first = self._first_pages(app, todo) if is_warm(converter) else {}
        pdfs = converter.convert([p for _d, p in todo], work, first=first)
        self.timings["convert"] = _ms(t)
        if self._superseded():
            raise Superseded
        why = getattr(converter, "message", None) or getattr(converter, "why_cold", None)
        notice = None
        if converter.fell_back or why:
            notice = _("热转换器不可用，改用冷启动 LibreOffice 转换（较慢）：{why}").format(why=why or "")
        self.state.update(notice=notice, converter="warm" if is_warm(converter) else "cold")
        self.state.status("rasterising", _("生成页面图片…"))
        t = time.perf_counter()
        opened = [(doc, PdfPages(self._place(doc, docx, pdf))) for (doc, docx), pdf in zip(todo, pdfs, strict=True)]
        try:
            wanted = [(doc, pdf, page) for doc, pdf in opened for page in self._scan(doc, pdf)]
            self.timings["scan"] = _ms(t)
            # The text, the page counts and the changed marks go to the page now; the pictures
            # follow, the first changed page first (the page scrolls to it), each served as soon
            # as it is made (a browser asking earlier waits for it).
            self.state.expect_pictures({self._picture_name(doc, page) for doc, _pdf, page in wanted})
            self._publish_documents(app)
            self.timings["published"] = _ms(self._started)
            self._make_pictures([(self._picture_name(doc, page), pdf, page.index) for doc, pdf, page in wanted])
        finally:
            self.state.give_up_pictures()
            for _doc, pdf in opened:
                pdf.close()
        self.timings["rasterise"] = _ms(t)

    def _make_pictures(self, wanted: list[tuple[str, PdfPages, int]]) -> None:
        """Each (served name, PDF, page index in that PDF) pictured and served, in order."""
        for name, pdf, index in wanted:
            self.state.add_picture(name, pdf.picture(index))
            if "first_picture" not in self.timings:
                self.timings["first_picture"] = _ms(self._started)

    def _first_pages(self, app: Application, todo: list[tuple[Document, Path]]) -> dict[Path, FirstPages]:
        """For one document already shown: the pages its change is on, to be shown while the
        warm LibreOffice exports the rest (their text and pictures replace the shown ones)."""
        if len(todo) != 1:
            return {}  # two documents convert side by side: each arrives whole soon enough
        doc, docx = todo[0]
        shown = self._shown[doc.id]
        if shown.docx is None or not shown.docx.is_file() or not shown.pages:
            return {}
        pages = changed_pages(paragraph_texts(shown.docx), paragraph_texts(docx), [p["text"] for p in shown.pages])
        if pages is None:
            return {}

        def ready(pdf_path: Path, start: int) -> None:
            if self._superseded():
                raise Superseded
            with PdfPages(pdf_path) as pdf:
                scans = [PageScan(start + p.index, p.fingerprint, p.text, p.width, p.height) for p in pdf.scan()]
                shown_now = list(shown.pages)
                for page in scans:
                    shown_now[page.index:page.index + 1] = [self._page_entry(doc, page, shown.fingerprints.get(page.index) != page.fingerprint)]
                new = [(self._picture_name(doc, page), pdf, n) for n, page in enumerate(scans) if not self.state.has_picture(self._picture_name(doc, page))]
                self.state.expect_pictures({name for name, _pdf, _n in new})
                self._publish_documents(app, {doc.id: replace(shown, pages=shown_now, changed_now=True)})
                self.timings["first_pages"] = _ms(self._started)
                self.state.status("converting", _("已先显示改动所在的第 {a}–{b} 页；正在转换其余页面…").format(a=pages[0], b=pages[1]))
                self._make_pictures(new)

        return {docx: FirstPages(pages, ready)}

    def _place(self, doc: Document, docx: Path, pdf: Path) -> Path:
        """Move the new files into place (the previous ones go); the PDF's new path."""
        shown = self._shown[doc.id]
        for old in (shown.docx, shown.pdf):
            if old is not None and old.parent == self.out_dir and old.name not in (docx.name, pdf.name):
                old.unlink(missing_ok=True)  # the consortium's name, and so the file name, changed
        shown.docx_digest = _digest(docx)
        shown.docx, shown.pdf = self.out_dir / docx.name, self.out_dir / pdf.name
        os.replace(docx, shown.docx)
        os.replace(pdf, shown.pdf)
        return shown.pdf

    def _scan(self, doc: Document, pdf: PdfPages) -> list[PageScan]:
        """Read the pages and mark the changed ones; the pages whose picture is still to be made."""
        shown = self._shown[doc.id]
        first = not shown.fingerprints  # the first build: nothing "changed", everything is new
        pages = pdf.scan()
        changed = {p.index for p in pages if shown.fingerprints.get(p.index) != p.fingerprint}
        shown.fingerprints = {p.index: p.fingerprint for p in pages}
        shown.pages = [self._page_entry(doc, p, p.index in changed and not first) for p in pages]
        shown.part_pages = pdf.part_pages()
        shown.inspected, shown.changed_now = False, True
        self._stale.discard(doc.id)
        # a page shown early (FirstPages) already has its picture: the names carry the fingerprint
        return [p for p in pages if not self.state.has_picture(self._picture_name(doc, p))]

    def _page_entry(self, doc: Document, page: PageScan, changed: bool) -> dict[str, Any]:
        """A page as the page's data has it: number, picture, text, size, whether it changed."""
        return {
            "n": page.index + 1, "src": f"/pages/{self._picture_name(doc, page)}", "text": page.text,
            "width": page.width, "height": page.height, "changed": changed,
        }

    @staticmethod
    def _picture_name(doc: Document, page: PageScan) -> str:
        return f"{doc.id}/{page.index + 1}-{page.fingerprint}{PICTURE_SUFFIX}"

    def _inspect(self, app: Application) -> None:
        """Read back and analyse the layout of documents not yet inspected (after their pages are
        on the page: it takes longer than picturing them)."""
        from generator.pdf.layout import inspect_pdf

        todo = [s for s in self._shown.values() if s.pdf is not None and s.docx is not None and not s.inspected]
        if not todo:
            return
        self._publish_documents(app)
        ms = self.timings["pages"]
        self.state.status("inspecting", _("页面已更新（{ms} 毫秒）；读回核对并检查版式…").format(ms=ms), ms=ms)
        t = time.perf_counter()
        for shown in todo:
            if self._superseded():
                return  # the next rebuild inspects it
            assert shown.docx is not None and shown.pdf is not None
            shown.layout = inspect_pdf(shown.doc.title, shown.docx, shown.pdf).diagnostics
            shown.inspected = True
        self.timings["inspect"] = _ms(t)

    # -- what the page shows -----------------------------------------------------------------------

    def _publish_documents(self, app: Application, early: dict[str, _Shown] | None = None) -> None:
        """What the page shows of every document; `early`: documents shown by their first pages."""
        showing = {**self._shown, **(early or {})}
        results = []
        for shown in showing.values():
            r = DocumentResult(shown.doc, shown.docx or Path(), shown.pdf, len(shown.pages) if shown.pdf else None, shown.part_pages)
            results.append(r)
        page_diags = page_limit_diagnostics(app, [r for r in results if r.pdf is not None])
        documents = [self._document_json(app, s) for s in showing.values()]
        names = {p["src"].removeprefix("/pages/") for d in documents for p in d["pages"]}
        self.state.keep_pictures(names)
        outputs = {p.name: p for s in self._shown.values() for p in (s.docx, s.pdf) if p is not None}
        self.state.set_outputs(outputs)
        self.state.update(documents=documents, page_diagnostics=[diagnostic_json(d) for d in page_diags])

    def _document_json(self, app: Application, shown: _Shown) -> dict[str, Any]:
        limit = app.get(f"project.page_limits.{shown.doc.id}")
        parts = _part_limits(app)
        return {
            "id": shown.doc.id,
            "title": shown.doc.title,
            "name": document_stem(app, shown.doc),
            "pages": [p | {"changed": p["changed"] and shown.changed_now} for p in shown.pages],
            "page_count": len(shown.pages),
            "page_limit": int(limit) if limit else None,
            "parts": [{"title": t, "pages": n, "limit": parts.get("".join(t.split()))} for t, n in shown.part_pages],
            "files": [p.name for p in (shown.docx, shown.pdf) if p is not None],
            "layout": [diagnostic_json(d) for d in shown.layout],
            "inspected": shown.inspected,
            "updated": shown.changed_now,
        }


def _part_limits(app: Application) -> dict[str, int]:
    """Page limits per part (project.page_limits.parts.<title without spaces>)."""
    prefix = "project.page_limits.parts."
    return {
        p[len(prefix):]: int(v.value)  # type: ignore[arg-type]
        for p, v in app.values.items()
        if p.startswith(prefix) and isinstance(v, Value) and v.present
    }
