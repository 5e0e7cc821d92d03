"""The orchestrator: the one build, read top to bottom as its steps.

load → check → render → convert → read back → package → report. Everything that can be rendered
is rendered: a missing or refused value prints as a highlighted gap (【待填写：…】) and is an error
in the report; only a file that cannot be read at all keeps the documents that print it from
rendering. The package, the thing that is submitted, is made only when there are no errors.

Each step is skipped when what it reads has not changed since the last build (buildcache.py keeps
the fingerprints), so a second build with nothing changed does no work (it replays the last
report), and a change to one Markdown file rebuilds only the document that prints it. Every new
file is staged and the set swapped in at the end (staging.py): a failure or a kill at any step
leaves the output folder as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator import __version__
from generator.check.results import BuildResult, DocumentResult, Reused
from generator.core.atomic import write_atomic
from generator.core.buildcache import (
    CACHE_KEY,
    EVIDENCE_PAGES,
    STATE_FILE,
    cached_result,
    digest,
    file_digest,
    fonts_fingerprint,
    inputs_fingerprint,
    load_state,
    previous_outputs,
    save_state,
    sources_digest,
    tool_fingerprint,
)
from generator.core.staging import Stage
from generator.errors import Diagnostic, Location, Severity
from generator.i18n import _, language
from generator.word.documents import (
    DOCUMENTS,
    PACKAGE_DEFAULT_NAME,
    Document,
    document_stem,
    output_stem,
    template_font_families,
    templates_dir,
)

# Only light modules at the top: `chanjiao build` with nothing changed imports this one and ends
# before any YAML, Markdown, docxtpl or pypdf is loaded. The steps import what they use.
if TYPE_CHECKING:
    from generator.check.coverage import Evidence
    from generator.model import Application
    from generator.pdf.buildoffice import BuildOffice
    from generator.pdf.layout import Inspection
    from generator.pdf.readback import Extracted
    from generator.pdf.reader import PackagePart, PageChars, PdfFacts
    from generator.pdf.readworker import ReadWorker, Task

__all__ = ["STATE_FILE", "BuildResult", "Reused", "build", "render_documents", "run"]

REPORT_STEM = "检查报告"

#: Documents that print where the others print things (the 自评表's page numbers): rendered in a
#: second phase, after the others are converted and their PDFs read for those pages.
NEEDS_PAGES = frozenset({"self_assessment"})
#: What the 自评表 says under its table about its page numbers. Document text: not translated.
PAGES_READ = "注：页码为建设方案、推荐书页脚所印的页码。"
PAGES_UNKNOWN = "注：本次未生成 PDF，无法读取页码，页码处印“—”。"

#: Printed page of each tagged place, by buildcache.evidence_key: (document title, page).
EvidencePages = dict[str, tuple[str, int]]

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


# -- fingerprints of what each document reads -----------------------------------------------------


def _image_digests(app: Application, doc: Document) -> list[str]:
    from generator.model import Image

    out = []
    for prose in app.prose.values():
        if not prose.loc.path.startswith(doc.reads):
            continue
        for block in prose.blocks:
            if isinstance(block, Image):
                found = app.asset(block.loc.path, block.src)
                out.append(file_digest(found) if isinstance(found, Path) else "bad")
    return out


def _docx_fingerprint(app: Application, doc: Document, printed: str | None = None) -> str:
    """What `doc`'s .docx is made from. `printed`: for a document made from what the others
    print (the 自评表), everything it prints; then that, not the files it reads, is compared, so a
    change to the plan that moves no tagged place does not rebuild it."""
    from generator.word.context import document_date

    sources = sorted((p, h) for p, h in app.sources.items() if p.startswith(doc.reads))
    return digest(
        tool_fingerprint(),
        app.form.version,
        file_digest(templates_dir() / doc.template),
        *((printed,) if printed is not None else (f"{p}={h}" for p, h in sources)),
        *(_image_digests(app, doc) if printed is None else ()),
        str(document_date(app)),
    )


# -- steps ---------------------------------------------------------------------------------------


def render_documents(
    app: Application,
    out_dir: Path,
    docs: tuple[Document, ...] = DOCUMENTS,
    pages: EvidencePages | None = None,
) -> list[Path]:
    """Render each document of `docs` into `out_dir` as .docx; returns the paths written.

    `pages`: the printed page of each tagged place, for the 自评表; None when no PDF was read
    (it prints “—”)."""
    # Imported here: a build with nothing to render never loads docxtpl.
    from generator.word.blocks import prose_writer, split_runs_by_script
    from generator.word.context import build_context, document_date
    from generator.word.render import render_document

    context = build_context(app)
    if any(doc.id in NEEDS_PAGES for doc in docs):  # only the 自评表 prints it (~15 ms of a plan's render)
        context["assessment"] = _assessment(app, pages)
    when = document_date(app)
    written = []
    for doc in docs:
        out_path = out_dir / f"{document_stem(app, doc)}.docx"
        render_document(
            templates_dir() / doc.template,
            context,
            out_path,
            when=when,
            write_prose=prose_writer(app),
            finish=split_runs_by_script,
        )
        written.append(out_path)
    return written


def _assessment(app: Application, pages: EvidencePages | None) -> dict:
    """What the 自评表 prints (word.selfassessment): `pages` None when no PDF was read."""
    from generator.word.selfassessment import assessment_context

    footnote = PAGES_READ if pages is not None else PAGES_UNKNOWN
    return assessment_context(app, _places(app, pages or {}), footnote=footnote)


def _places(app: Application, pages: EvidencePages) -> dict:
    """By indicator id, each place that addresses it as the 自评表 prints it (word.selfassessment.Place)."""
    from generator.check.coverage import coverage
    from generator.core.buildcache import evidence_key
    from generator.word.selfassessment import Place

    titles = {d.id: d.title for d in DOCUMENTS}
    out: dict[str, list[Place]] = {}
    for c in coverage(app):
        places = []
        for e in c.evidence:
            found = pages.get(evidence_key(e.loc.path, e.loc.line, e.loc.column))
            where = f"{e.number}{e.heading}" or e.part  # the heading as the document prints it
            places.append(Place(titles.get(e.document, ""), found[1] if found else None, where))
        out[c.indicator.id] = places
    return out


def _fonts_dir(app: Application) -> Path | None:
    from generator.content.assets import fonts_folder

    return fonts_folder(Path(app.root), app.get("project.fonts_dir"))


def _part_pages(outline: list[tuple[str, int]], total: int) -> list[tuple[str, int]]:
    """Pages per top-level heading, from the PDF's bookmarks (title, first page index)."""
    out = []
    for n, (title, first) in enumerate(outline):
        nxt = outline[n + 1][1] if n + 1 < len(outline) else total
        out.append((title, max(0, nxt - first)))
    return out


def _measure(result: DocumentResult, numbered_from: int | None = None, facts: PdfFacts | None = None) -> None:
    """Pages, parts, fonts and the page printed "— 1 —" (`numbered_from`: known from the read-back,
    else read from the PDF's text; `facts`: the PDF's, read already)."""
    from generator.pdf.reader import pdf_facts, printed_numbering_start

    assert result.pdf is not None
    facts = facts or pdf_facts(result.pdf)
    result.pages = facts.page_count
    result.part_pages = _part_pages(list(facts.parts), facts.page_count)
    result.fonts = list(facts.embedded_fonts)
    result.numbered_from = printed_numbering_start(result.pdf) if numbered_from is None else numbered_from


def _inspect(result: DocumentResult, extracted: Extracted | None = None) -> Inspection:
    """Read the PDF back against its .docx (characters lost or added) and analyse its layout
    (`extracted`: the two files as read already)."""
    from generator.pdf.layout import inspect_pdf

    assert result.pdf is not None
    result.inspection = inspect_pdf(result.doc.title, result.docx, result.pdf, extracted)
    return result.inspection


def _inspection_from_state(data: dict | None) -> Inspection | None:
    from generator.pdf.layout import Inspection

    return Inspection.from_state(data) if isinstance(data, dict) else None


def _page_limit_diagnostics(app: Application, results: list[DocumentResult]) -> list[Diagnostic]:
    from generator.model import Value

    out = []
    prefix = "project.page_limits.parts."
    part_limits = {p[len(prefix):]: v for p, v in app.values.items() if p.startswith(prefix) and isinstance(v, Value) and v.present}
    for r in results:
        for title, pages in r.part_pages:
            v = part_limits.get("".join(title.split()))
            if v is not None and pages > int(v.value):  # type: ignore[arg-type]
                out.append(
                    Diagnostic(
                        v.loc,
                        Severity.ERROR,
                        "page-limit",
                        _("{doc} {part}：{pages} 页，超出页数上限 {limit} 页").format(doc=r.doc.title, part=title, pages=pages, limit=v.value),
                        title,
                    )
                )
        limit = app.values.get(f"project.page_limits.{r.doc.id}")
        if isinstance(limit, Value) and limit.present and r.pages and r.pages > int(limit.value):  # type: ignore[arg-type]
            out.append(
                Diagnostic(
                    limit.loc,  # where the limit is written: 项目.yaml › 页数限制 › <document>
                    Severity.ERROR,
                    "page-limit",
                    _("{doc}：{pages} 页，超出页数上限 {limit} 页").format(doc=r.doc.title, pages=r.pages, limit=limit.value),
                    r.doc.title,
                )
            )
    return out


def _attachment_parts(app: Application) -> list[PackagePart]:
    from generator.model import Item, ListValue
    from generator.pdf.reader import PackagePart

    listed = app.values.get("attachments.items")
    if not isinstance(listed, ListValue):
        return []
    parts = []
    for item in listed.items:
        if isinstance(item, Item) and item.get("file"):
            file_value = item.fields["file"]
            path = app.asset(file_value.loc.path, str(file_value.value))
            if isinstance(path, Path):  # the package is made only without errors: always a file
                parts.append(PackagePart(str(item.get("title") or path.stem), path))
    return parts


def _assemble(run: _Run) -> Path:
    """The package: the one made while the 自评表 converted, else made now (see _make_package)."""
    if run.package_ahead is not None:
        path, fp = run.package_ahead
        if path.parent == run.stage.dir:  # said now, when it is kept: an error could still drop it
            run.progress(_("合成申报材料 PDF…"))
    else:
        path, fp = _make_package(run, say=True)
    run.new["package"], run.new["package_fingerprint"] = path.name, fp
    return path


def _make_package(run: _Run, *, say: bool = False) -> tuple[Path, str]:
    """The package and its fingerprint: the previous one in out_dir when its parts did not
    change, else a new one staged (`say`: print that it is made)."""
    from generator.pdf.reader import PackagePart, assemble_package

    app, result = run.app, run.result
    package_path = run.out_dir / f"{output_stem(app, 'project.output_names.package', PACKAGE_DEFAULT_NAME)}.pdf"
    from generator.word.selfassessment import in_package

    # The 自评表 is always built, but submitted only when 项目.yaml asks for it.
    packaged = [r for r in result.documents if r.doc.id not in NEEDS_PAGES or in_package(app)]
    parts = [PackagePart(r.doc.title, r.pdf, r.numbered_from) for r in packaged if r.pdf is not None]
    parts += _attachment_parts(app)
    title = str(app.get("basics.name") or "")
    package_fp = digest(title, *(f"{p.title}={file_digest(p.path)}" for p in parts))
    old = run.old
    if old.get("package_fingerprint") != package_fp or old.get("package") != package_path.name or not package_path.is_file():
        if say:
            run.progress(_("合成申报材料 PDF…"))
        package_path = run.stage.path(package_path.name)
        assemble_package(parts, package_path, title=title)
    return package_path, package_fp


def _package_ahead(run: _Run) -> None:
    """While the 自评表 converts (a LibreOffice's work): the package, when the 自评表 is not in
    it and nothing found so far keeps it from being made. _package uses it, or removes it when
    the read-back or the page limits find an error after all."""
    from generator.errors import ToolError
    from generator.word.selfassessment import in_package

    result = run.result
    if in_package(run.app) or result.unrendered or result.report.errors:
        return
    # The packaged documents' pages and numbering are known once they are read back (not the
    # 自评表's, which the worker may be reading now: it is not in this package).
    _complete_deferred(run)
    _collect_remote(run, but=NEEDS_PAGES)
    if any(d.severity is Severity.ERROR for r in result.documents if r.inspection for d in r.inspection.diagnostics):
        return
    try:
        run.package_ahead = _make_package(run)
    except ToolError:
        return  # made again in its place, where the error stops the build as it always did


def _drop_package_ahead(run: _Run) -> None:
    """The package made ahead is not submitted (errors came after it): not in the new set."""
    if run.package_ahead is not None and run.package_ahead[0].parent == run.stage.dir:
        run.package_ahead[0].unlink(missing_ok=True)
    run.package_ahead = None


def _write_reports(result: BuildResult, out_dir: Path, stage: Stage) -> tuple[str, str]:
    from generator.check.report import render_build_json, render_build_text

    txt_path, js_path = out_dir / f"{REPORT_STEM}.txt", out_dir / f"{REPORT_STEM}.json"
    text, js = render_build_text(result), render_build_json(result)
    write_atomic(stage.path(txt_path.name), (text + "\n").encode("utf-8"))
    write_atomic(stage.path(js_path.name), (js + "\n").encode("utf-8"))
    result.report_files = [txt_path, js_path]
    return text, js


def _final_paths(result: BuildResult, out_dir: Path) -> None:
    """Point the result at where its files will be once the staged set is swapped in (the report
    names those, not the staging folder)."""
    for r in result.documents:
        r.docx = out_dir / r.docx.name
        r.pdf = out_dir / r.pdf.name if r.pdf is not None else None
    if result.package is not None:
        result.package = out_dir / result.package.name


# -- the build -----------------------------------------------------------------------------------


@dataclass
class _Run:
    """One build under way: what it read, what it has made so far, and where it stages files."""

    app: Application
    result: BuildResult
    out_dir: Path
    stage: Stage
    progress: Progress
    old: dict  # the last build's state
    new: dict = field(default_factory=lambda: {"version": __version__, "documents": {}})
    package_ahead: tuple[Path, str] | None = None  # made while the 自评表 converted (path, fingerprint)
    #: documents whose PDF is read but not yet compared (the last of the first phase: its
    #: comparison waits for the 自评表's conversion), and what was read, by document id
    deferred: list[DocumentResult] = field(default_factory=list)
    extracted: dict[str, Extracted] = field(default_factory=dict)
    office: BuildOffice | None = None  # the build's own LibreOffice, started while it renders
    fonts_ahead: threading.Thread | None = None  # the font check's questions, asked while it renders
    reader: ReadWorker | None = None  # a second process reading a PDF back (pdf/readworker.py)
    #: the document that process reads (the first phase's longest), and its task once handed over
    worker_reads: str = ""
    remote: dict[str, Task] = field(default_factory=dict)
    #: the tagged places whose pages the 自评表 prints, by document id, in document order
    tagged: dict[str, list[tuple[str, Evidence]]] | None = None

    def old_doc(self, doc: Document) -> dict:
        entry = self.old.get("documents", {}).get(doc.id, {})
        return entry if isinstance(entry, dict) else {}


def run(
    root: Path,
    out_dir: Path,
    *,
    pdf: bool | None = None,
    strict: bool = False,
    progress: Progress = _quiet,
    timeout: float = 180,
) -> BuildResult | Reused:
    """`chanjiao build`: when nothing changed since the last build into `out_dir`, its outcome
    (Reused: nothing is done, nothing heavy is imported); else a build."""
    from generator.core.procs import check_soffice_setting

    if pdf is not False:
        check_soffice_setting()  # before the no-op path: a broken setting is never "nothing changed"
    options = {"pdf": pdf, "strict": strict, "lang": language(), "epoch": os.environ.get("SOURCE_DATE_EPOCH")}
    fingerprint = inputs_fingerprint(root, out_dir, templates_dir(), options)
    cached = cached_result(out_dir, fingerprint) if fingerprint else None
    if cached is not None:
        try:
            reused = Reused(str(cached["text"]), str(cached["json"]), int(cached["exit_code"]), list(cached["files"]))
        except (KeyError, TypeError, ValueError):
            reused = None  # a state file from another version, or edited: build
        if reused is not None:
            progress(_("内容和模板都没有变化，沿用上次生成的文件。"))
            return reused
    return build(root, out_dir, pdf=pdf, strict=strict, progress=progress, timeout=timeout, fingerprint=fingerprint)


def build(
    root: Path,
    out_dir: Path,
    *,
    pdf: bool | None = None,
    strict: bool = False,
    progress: Progress = _quiet,
    timeout: float = 180,
    fingerprint: str = "",
) -> BuildResult:
    """Build the application at `root` into `out_dir`: load → check → render → convert → read
    back → package → report.

    `pdf`: True requires LibreOffice, False skips PDFs, None makes them when LibreOffice is there.
    `fingerprint`: buildcache.inputs_fingerprint taken before reading anything; stored with the
    outcome so that the next `run` from the same inputs can skip all work.
    """
    from generator.check.validate import check_loaded
    from generator.content.loader import load_application
    from generator.core.procs import check_soffice_setting, run_temp_dir

    if pdf is not False:
        check_soffice_setting()
    progress(_("读取并校验申报材料…"))
    # All temporary files of the build in one folder named after this run (procs.py).
    with contextlib.ExitStack() as stack:
        stack.enter_context(run_temp_dir())
        app, diagnostics = load_application(root)
        old = load_state(out_dir)
        converting = _converting_with(app, pdf, out_dir, old)
        # The build's LibreOffice starts now (it needs the fonts folder the content names), while
        # the rules run and the documents render; and so do the font check's questions.
        office = stack.enter_context(_own_office(app, converting, timeout)) if converting else None
        fonts_ahead = stack.enter_context(_fonts_asked_ahead(app)) if converting else None
        reader = stack.enter_context(_read_worker(app, converting, timeout, office)) if converting else None
        result = BuildResult(check_loaded(root, app, diagnostics, strict=strict))
        stage = stack.enter_context(Stage(out_dir))
        steps = _Run(app, result, out_dir, stage, progress, old, office=office, fonts_ahead=fonts_ahead, reader=reader)
        # Phase 1: the documents that print content; phase 2: those that print where phase 1's
        # PDFs print it (the 自评表's page numbers), rendered once those PDFs are read.
        _render(steps, tuple(d for d in DOCUMENTS if d.id not in NEEDS_PAGES))
        converted = _convert(steps, pdf, timeout)
        pages = _evidence_pages(steps) if converted else None
        second = len(result.documents)
        _render(steps, tuple(d for d in DOCUMENTS if d.id in NEEDS_PAGES), pages)
        if converted and _convert(steps, pdf, timeout, result.documents[second:]):
            _read_back(steps)
            _package(steps)
            _check_fonts(steps)
        if pages is None and result.pdf_skipped_reason:
            reason = result.pdf_skipped_reason.rstrip("。")
            result.pdf_skipped_reason = reason + "；" + _("自评表中的页码印为“—”：页码要从 PDF 读回。")
        _finish(steps, fingerprint)
    return result


def _converting_with(app: Application, pdf: bool | None, out_dir: Path, old: dict) -> Path | None:
    """The LibreOffice this build will likely convert with: None when it makes no PDF, there is
    none, or the last build into out_dir converted what it renders (_converted_before). A wrong
    guess only costs time: what is started ahead for the conversion, or is not."""
    if pdf is False:
        return None
    from generator.pdf.convert import find_soffice

    soffice = find_soffice()
    return soffice if soffice is not None and not _converted_before(app, out_dir, old, soffice) else None


@contextlib.contextmanager
def _own_office(app: Application, soffice: Path, timeout: float) -> Iterator[BuildOffice | None]:
    """The build's own LibreOffice (pdf/buildoffice.py), starting while the build renders; None
    when it would not be used. Killed when the build ends, however it ends. Only for a build
    that will likely convert (_converting_with): into a folder whose last build converted what
    this one renders (a change to attachments only, say), two LibreOffices starting beside the
    build slowed it from 1.6 to 2.3 s."""
    from generator.pdf.buildoffice import BuildOffice

    office = BuildOffice.start(soffice, _fonts_dir(app), timeout)
    try:
        yield office
    finally:
        if office is not None:
            office.close()


@contextlib.contextmanager
def _fonts_asked_ahead(app: Application) -> Iterator[threading.Thread]:
    """The font check's questions to fontconfig (fontcheck.prefetch), asked on a thread while the
    build renders: fc-match runs as processes of their own, on another core, and the thread only
    waits for them (~0.25 s that a build whose PDFs come at once, beside a preview, waited for).
    _check_fonts joins it; so does the build's end, however it ends."""
    from generator.pdf.fontcheck import prefetch

    def ask() -> None:
        with contextlib.suppress(Exception):  # the check asks again, and reports what fails then
            prefetch(app, template_font_families(), _fonts_dir(app))

    thread = threading.Thread(target=ask, name="chanjiao-fonts-ahead", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        thread.join()


@contextlib.contextmanager
def _read_worker(app: Application, soffice: Path, timeout: float, office: BuildOffice | None) -> Iterator[ReadWorker | None]:
    """A second process to read a PDF back while the build goes on (pdf/readworker.py), started
    now so that its imports run while the build checks and renders; None when it would not help:
    only a warm converter leaves a core idle (a cold build's LibreOffice starts on both). Ended
    when the build ends, however it ends."""
    from generator.pdf import readworker, warmclient

    sock = None if office is not None else warmclient.socket_path(soffice, _fonts_dir(app))
    worker = readworker.ReadWorker.start(timeout) if readworker.wanted(sock is not None and warmclient.answers(sock)) else None
    try:
        yield worker
    finally:
        if worker is not None:
            worker.close()


def _pdf_fingerprint(docx: Path, fonts_fp: str, soffice: Path) -> str:
    """What a document's PDF is made from: its .docx, the fonts and the LibreOffice."""
    return digest(file_digest(docx), fonts_fp, str(soffice), tool_fingerprint())


def _converted_before(app: Application, out_dir: Path, old: dict, soffice: Path) -> bool:
    """Whether the last build into out_dir converted what this one will, guessed before rendering:
    every document read from the same files (inputs_fingerprint) and its .docx and PDF there,
    made by the same LibreOffice with the same fonts. The 自评表 also prints the others' pages,
    which are then the same too. A wrong guess costs a cold conversion, never a wrong PDF."""
    entries = old.get("documents")
    if not isinstance(entries, dict):
        return False
    fonts_fp = fonts_fingerprint(_fonts_dir(app))
    for doc in DOCUMENTS:
        entry = entries.get(doc.id)
        if not isinstance(entry, dict) or entry.get("inputs_fingerprint") != _docx_fingerprint(app, doc):
            return False
        docx = out_dir / f"{document_stem(app, doc)}.docx"
        if not docx.is_file() or not docx.with_suffix(".pdf").is_file():
            return False
        if entry.get("pdf_fingerprint") != _pdf_fingerprint(docx, fonts_fp, soffice):
            return False
    return True


def _render(run: _Run, docs: tuple[Document, ...], pages: EvidencePages | None = None) -> None:
    """Step 3: each document of `docs` whose files all read, as .docx; unchanged ones are kept.
    `pages`: what the 自评表 prints as page numbers (None: no PDF was read)."""
    app, result = run.app, run.result
    todo = []
    first = len(result.documents)
    for doc in docs:
        unreadable = sorted(p for p in app.unreadable if p.startswith(doc.reads))
        if unreadable:
            reason = _("{doc}未生成：{files} 无法读取（见下方错误）").format(doc=doc.title, files="、".join(unreadable))
            previous = run.old_doc(doc).get("docx")
            if isinstance(previous, str) and (run.out_dir / previous).is_file():
                # It leaves with the swap (not in the new set): it no longer matches the content.
                reason += _("；上次生成的{doc}已移除：它与现在的内容不一致").format(doc=doc.title)
            result.unrendered[doc.title] = reason
            continue
        docx_path = run.out_dir / f"{document_stem(app, doc)}.docx"
        printed = json.dumps(_assessment(app, pages), ensure_ascii=False, sort_keys=True) if doc.id in NEEDS_PAGES else None
        docx_fp = _docx_fingerprint(app, doc, printed)
        old = run.old_doc(doc)
        r = DocumentResult(doc, docx_path)
        if old.get("docx_fingerprint") != docx_fp or old.get("docx") != docx_path.name or not docx_path.is_file():
            run.progress(_("生成 {name}…").format(name=docx_path.name))
            r.rebuilt = True
            r.docx = run.stage.path(docx_path.name)
            todo.append(doc)
        inputs_fp = docx_fp if printed is None else _docx_fingerprint(app, doc)  # see _converted_before
        run.new["documents"][doc.id] = {"docx": docx_path.name, "docx_fingerprint": docx_fp, "inputs_fingerprint": inputs_fp}
        result.documents.append(r)
    if todo:  # one call: the template context is built once, not per document
        render_documents(app, run.stage.dir, tuple(todo), pages)
    from generator.word.render import printed_gaps

    for r in result.documents[first:]:
        r.gaps = printed_gaps(r.docx)
    result.rendered = bool(result.documents)


def _convert(run: _Run, pdf: bool | None, timeout: float, docs: list[DocumentResult] | None = None) -> bool:
    """Step 4: PDFs of the documents whose .docx changed. False when no PDF is made (and why).

    `docs`: the documents of one phase (default: all rendered so far). They are converted
    together, side by side when the converter can, and each is read back as soon as its PDF is
    there, while the others still convert.
    """
    from generator.pdf.convert import convert_to_pdf, pdf_plan

    plan = pdf_plan(pdf)
    if plan.soffice is None:
        run.result.pdf_skipped_reason = plan.skipped
        return False
    fonts_dir = _fonts_dir(run.app)
    stale = _stale_pdfs(run, run.result.documents if docs is None else docs, plan.soffice, fonts_dir)
    if stale:
        run.progress(_("转换为 PDF（LibreOffice）：{names}…").format(names="、".join(r.docx.name for r in stale)))
        by_docx = {r.docx: r for r in stale}
        left = [len(stale)]
        if docs is None and run.reader is not None:  # the worker reads the longest document
            run.worker_reads = max(stale, key=lambda r: r.docx.stat().st_size).doc.id

        def ready(docx: Path, _pdf: Path) -> None:
            left[0] -= 1
            # In the first phase the worker, when there is one, reads its document, and the
            # others (else the last) are only read: the 自评表 needs their pages now, the
            # comparison can wait for the 自评表's conversion (_while_self_assessment_converts).
            if _read_elsewhere(run, by_docx[docx]):
                if docs is not None:  # the 自评表: the package is made while the worker reads it
                    _package_ahead(run)
                return
            if docs is None and (not left[0] or run.worker_reads):
                _extracted(run, by_docx[docx])
            else:
                _converted(by_docx[docx])

        # Step 5 then finds each converted document's inspection made.
        convert_to_pdf(
            list(by_docx), run.stage.dir, fonts_dir=fonts_dir, timeout=timeout, soffice=plan.soffice,
            on_ready=ready,
            # once per build: a later phase (the 自评表) finds the imports done and the fonts asked
            meanwhile=(lambda: _while_converting(run.app, fonts_dir, run.fonts_ahead is None)) if docs is None else (lambda: _while_self_assessment_converts(run)),
            office=run.office,
        )
        while run.office is not None and run.office.notes:  # a document converted cold after all
            run.progress(run.office.notes.pop(0))
    return True


#: What the steps after the conversion import (0.2–0.4 s): loaded while LibreOffice converts.
_AFTER_CONVERSION = (
    "generator.pdf.reader",
    "generator.pdf.layout",
    "pypdfium2",
    "pikepdf",  # the PDFs' pages, bookmarks and fonts, and the package (pdf/reader.py)
    "generator.pdf.fontcheck",  # not fontTools: the body font's characters are in the user cache
    "generator.content.attachments",
    "generator.check.report",
)


def _while_converting(app: Application, fonts_dir: Path | None, ask_fonts: bool) -> None:
    """What needs no PDF, done while LibreOffice converts: the later steps' imports, and the font
    check's questions to fontconfig unless asked already (_check_fonts then finds them answered)."""
    import importlib

    for name in _AFTER_CONVERSION:
        importlib.import_module(name)
    if ask_fonts:
        from generator.pdf.fontcheck import prefetch

        prefetch(app, template_font_families(), fonts_dir)


def _stale_pdfs(run: _Run, docs: list[DocumentResult], soffice: Path, fonts_dir: Path | None) -> list[DocumentResult]:
    """The documents whose PDF must be made (pointed at the staging folder); the others get the
    last build's PDF and what was read from it."""
    fonts_fp = fonts_fingerprint(fonts_dir)
    stale = []
    for r in docs:
        r.pdf = run.out_dir / f"{r.docx.stem}.pdf"  # the previous PDF, unless this one is stale
        old = run.old_doc(r.doc)
        pdf_fp = _pdf_fingerprint(r.docx, fonts_fp, soffice)
        run.new["documents"][r.doc.id]["pdf_fingerprint"] = pdf_fp
        if old.get("pdf_fingerprint") == pdf_fp and r.pdf.is_file() and "pages" in old:
            r.pages, r.fonts, r.numbered_from = old["pages"], old.get("fonts", []), old.get("numbered_from", 0)
            r.part_pages = [tuple(x) for x in old.get("part_pages", [])]
            r.inspection = _inspection_from_state(old.get("inspection"))
        else:
            r.pdf = run.stage.path(r.pdf.name)
            stale.append(r)
    return stale


def _converted(result: DocumentResult) -> None:
    """A document's PDF has just been made: its read-back, pages and fonts."""
    inspection = _inspect(result)
    # The read-back has read every footer's page number: no second text extraction for "— 1 —".
    _measure(result, inspection.numbering_start())
    result.rebuilt = True


def _read_elsewhere(run: _Run, result: DocumentResult) -> bool:
    """A document's PDF has just been made: hand it to the worker if it is one it reads (the
    first phase's longest, with the texts whose pages the 自评表 prints; the 自评表), while the
    build reads the others. False when there is no worker, or it is broken: the build reads this
    one itself."""
    if run.reader is None or (result.doc.id != run.worker_reads and result.doc.id not in NEEDS_PAGES):
        return False
    from generator.model import strip_heading_number

    assert result.pdf is not None
    tagged = _tagged(run).get(result.doc.id)
    anchors = None if tagged is None else [strip_heading_number(e.anchor) for _k, e in tagged]
    task = run.reader.submit(language(), result.doc.title, result.docx, result.pdf, anchors)
    if task is None:
        return False
    run.remote[result.doc.id] = task
    result.rebuilt = True
    return True


def _collect_remote(run: _Run, but: frozenset[str] = frozenset()) -> None:
    """The worker's read-backs, pages and fonts (of the documents whose ids are not in `but`); a
    document it could not read is read here."""
    for result in run.result.documents:
        if result.doc.id in but or result.doc.id not in run.remote:
            continue
        task = run.remote.pop(result.doc.id)
        assert run.reader is not None
        answer = run.reader.result(task)
        if answer is None:
            _converted(result)
            continue
        result.inspection, facts = answer
        _measure(result, result.inspection.numbering_start(), facts)


def _extracted(run: _Run, result: DocumentResult) -> None:
    """A document's PDF has just been made: read it (its pages are all the 自评表 needs); its
    read-back, pages and fonts follow in _complete_deferred."""
    from generator.pdf.readback import extract

    assert result.pdf is not None
    run.extracted[result.doc.id] = extract(result.docx, result.pdf)
    run.deferred.append(result)
    result.rebuilt = True


def _complete_deferred(run: _Run) -> None:
    """The read-back, pages and fonts of the documents only read so far (_extracted)."""
    while run.deferred:
        result = run.deferred.pop(0)
        inspection = _inspect(result, run.extracted.get(result.doc.id))
        _measure(result, inspection.numbering_start())


def _while_self_assessment_converts(run: _Run) -> None:
    """While LibreOffice converts the 自评表: the read-back left for now, the worker's, then the
    package (which prints each document's page numbers from where its footer prints 1)."""
    _complete_deferred(run)
    _collect_remote(run)
    if run.reader is None or run.reader.broken:  # else made while the worker reads the 自评表
        _package_ahead(run)


def _evidence_pages(run: _Run) -> EvidencePages:
    """Step 4b: the printed page of each tagged place, read from the PDFs just made; the last
    build's when neither the content nor those PDFs changed. A place not found is a warning at
    its tag (the 自评表 prints “—” there, never a wrong page)."""
    app, result = run.app, run.result
    sources = sources_digest(app.sources)
    pdfs = {r.doc.id: r for r in result.documents if r.pdf is not None}
    old = run.old.get(EVIDENCE_PAGES)
    if isinstance(old, dict) and old.get("sources") == sources and not any(r.rebuilt for r in pdfs.values()) and "missing" in old:
        pages = {str(k): (str(v[0]), int(v[1])) for k, v in old.get("pages", {}).items()}
        missing = [list(m) for m in old["missing"]]
    else:
        pages, missing = _read_pages(run, pdfs)
    run.new[EVIDENCE_PAGES] = {"sources": sources, "pages": {k: list(v) for k, v in pages.items()}, "missing": missing}
    result.evidence_pages = pages
    result.report.diagnostics.extend(
        Diagnostic(
            Location(str(path), int(line), int(col)),
            Severity.WARNING,
            "evidence-page",
            _("{doc} PDF 中找不到此处标注的文字（“{anchor}”），自评表中该处的页码印为“—”").format(doc=doc, anchor=anchor),
            str(doc),
        )
        for path, line, col, doc, anchor in missing
    )
    return pages


def _printed(run: _Run) -> dict[str, Sequence[PageChars]]:
    """The characters this build read from each document's PDF, by document id (none for a PDF
    kept from the last build): the page map reads no PDF twice."""
    out: dict[str, Sequence[PageChars]] = {k: e.printed.pages for k, e in run.extracted.items()}
    for r in run.result.documents:
        if r.doc.id not in out and r.inspection is not None and r.inspection.printed:
            out[r.doc.id] = r.inspection.printed
    return out


def _tagged(run: _Run) -> dict[str, list[tuple[str, Evidence]]]:
    """The tagged places whose pages the 自评表 prints, by document id, each keyed by where its
    tag is written (buildcache.evidence_key), in document order."""
    if run.tagged is None:
        from generator.check.coverage import coverage
        from generator.core.buildcache import evidence_key

        app = run.app
        by_doc: dict[str, dict[str, Evidence]] = {}
        for c in coverage(app):
            for e in c.evidence:  # each id of a tag is keyed by where it is written
                by_doc.setdefault(e.document, {}).setdefault(evidence_key(e.loc.path, e.loc.line, e.loc.column), e)
        order = {path: n for n, path in enumerate(app.prose)}
        run.tagged = {
            doc_id: sorted(places.items(), key=lambda kv: (order.get(kv[1].prose, 0), kv[1].loc.line, kv[1].loc.column))
            for doc_id, places in by_doc.items()
        }
    return run.tagged


def _read_pages(run: _Run, pdfs: dict[str, DocumentResult]) -> tuple[EvidencePages, list[list]]:
    """The pages of every tagged place (pdf/pagemap.py), and the places not found: from the
    characters read already (the read-back's), or as the worker found them."""
    from generator.model import strip_heading_number
    from generator.pdf.pagemap import printed_pages

    printed = _printed(run)
    pages: EvidencePages = {}
    missing: list[list] = []
    for doc_id, keyed in _tagged(run).items():
        r = pdfs.get(doc_id)
        if r is None or r.pdf is None:
            continue  # not rendered: the report says why, and its places print “—”
        # The heading's number is printed by the tool, and may differ from one the writer typed.
        anchors = [strip_heading_number(e.anchor) for _k, e in keyed]
        task = run.remote.get(doc_id)
        found = run.reader.pages(task) if run.reader is not None and task is not None else None
        if found is None or len(found) != len(anchors):
            found = printed_pages(r.pdf, anchors, printed.get(doc_id))
        for (key, e), page in zip(keyed, found, strict=True):
            if page is None:
                missing.append([e.loc.path, e.loc.line, e.loc.column, r.doc.title, e.anchor[:20]])
            else:
                pages[key] = (r.doc.title, page)
    return pages, missing


def _read_back(run: _Run) -> None:
    """Step 5: each PDF read back against its .docx, its layout and its page limits."""
    _complete_deferred(run)  # when the 自评表 was not converted (unchanged, or not rendered)
    _collect_remote(run)
    report = run.result.report
    for r in run.result.documents:
        run.new["documents"][r.doc.id].update(
            {"pages": r.pages, "fonts": r.fonts, "part_pages": r.part_pages, "numbered_from": r.numbered_from}
        )
        inspection = r.inspection or _inspect(r)  # converted now, or before read-back existed
        run.new["documents"][r.doc.id]["inspection"] = inspection.to_state()
        report.diagnostics.extend(inspection.diagnostics)
    report.diagnostics.extend(_page_limit_diagnostics(run.app, run.result.documents))


def _package(run: _Run) -> None:
    """Step 6: the package, only from documents without errors: it is what is submitted.

    When the build has errors, a previous package leaves the output folder with the swap (it no
    longer matches the documents beside it), and the report says so.
    """
    result = run.result
    errors = len(result.report.errors)
    if not errors and not result.unrendered:
        result.package = _assemble(run)
        return
    _drop_package_ahead(run)
    old = run.old.get("package")
    removed = isinstance(old, str) and (run.out_dir / old).is_file()
    reason = _("内容有 {n} 个错误，未合成申报材料 PDF。").format(n=errors)
    if removed:
        reason += _("上次生成的申报材料 PDF 已移除：它与本次生成的文档不一致。")
    result.package_skipped_reason = reason


def _check_fonts(run: _Run) -> None:
    """The fonts the PDFs embed against the templates' fonts, and characters the body font lacks."""
    from generator.pdf.fontcheck import BODY_FONT, font_matches, missing_glyphs, substitutions

    result, state = run.result, run.old
    if run.fonts_ahead is not None:
        run.fonts_ahead.join()  # its answers are taken below (or it asked in vain)
    if any(r.rebuilt for r in result.documents if r.pdf is not None) or "substitutions" not in state:
        fonts_dir = _fonts_dir(run.app)
        matches = font_matches(template_font_families(), fonts_dir)
        result.substitutions = substitutions(matches, {f for r in result.documents for f in r.fonts})
        glyphs = missing_glyphs(run.app, matches[BODY_FONT], fonts_dir) if BODY_FONT in matches else []
        missing: list[list[str | int]] = [[d.message, d.location.path, d.location.line, d.location.column] for d in glyphs]
    else:
        result.substitutions = dict(state["substitutions"])
        missing = state.get("missing_glyphs", [])
    run.new["substitutions"], run.new["missing_glyphs"] = result.substitutions, missing
    result.report.diagnostics.extend(
        Diagnostic(Location(str(path), int(line), int(col)), Severity.WARNING, "missing-glyph", str(message), BODY_FONT)
        for message, path, line, col in missing
    )


def _finish(run: _Run, fingerprint: str) -> None:
    """Step 7: the reports and the state file, then the new set swapped in as one."""
    result = run.result
    _final_paths(result, run.out_dir)
    _write_reports(result, run.out_dir, run.stage)
    files = [p.name for p in (*(r.docx for r in result.documents), *(r.pdf for r in result.documents if r.pdf), result.package) if p]
    files += [p.name for p in result.report_files]
    run.new["outputs"] = files
    if fingerprint:
        # What a build with nothing changed replays: the same outcome, every document 无变化.
        replay = _unchanged(result)
        from generator.check.report import render_build_json, render_build_text

        run.new[CACHE_KEY] = fingerprint
        run.new["cached"] = {
            "text": render_build_text(replay),
            "json": render_build_json(replay),
            "exit_code": result.exit_code,
            "files": files,
        }
    save_state(run.stage.dir, run.new)
    run.stage.commit(files, previous_outputs(run.old), last=STATE_FILE)


def _unchanged(result: BuildResult) -> BuildResult:
    """`result` as the next build with the same inputs reports it: nothing rebuilt."""
    from dataclasses import replace

    return replace(result, documents=[replace(r, rebuilt=False) for r in result.documents])


# -- the steps `chanjiao preview` runs one document at a time (generator/preview/session.py) -----
measure_pdf = _measure
page_limit_diagnostics = _page_limit_diagnostics
content_fonts_dir = _fonts_dir
