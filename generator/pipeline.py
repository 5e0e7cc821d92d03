"""The orchestrator: load → check → render → convert → measure → assemble, read top to bottom.

Each step is skipped when what it reads has not changed since the last build (a state file in the
output folder records the inputs' fingerprints), so a second build with nothing changed does no
work, and a change to one Markdown file rebuilds only the document that prints it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from generator import __version__
from generator.check.results import BuildResult, DocumentResult
from generator.check.validate import check_content
from generator.content.assets import IMAGE_KINDS, AssetProblem, resolve_asset
from generator.core.atomic import write_atomic
from generator.core.buildcache import CACHE_KEY, tool_fingerprint
from generator.core.staging import Stage
from generator.errors import Diagnostic, Location, Severity, ToolError
from generator.i18n import _
from generator.model import Application, Image, Item, ListValue, Value
from generator.pdf.fontcheck import BODY_FONT, font_matches, missing_glyphs, substitutions
from generator.word.context import build_context, document_date
from generator.word.documents import (
    DOCUMENTS,
    PACKAGE_DEFAULT_NAME,
    Document,
    document_stem,
    output_stem,
    template_font_families,
    templates_dir,
)

if TYPE_CHECKING:
    from generator.pdf.layout import Inspection
    from generator.pdf.reader import PackagePart

STATE_FILE = ".chanjiao-build.json"
REPORT_STEM = "检查报告"
#: Loader diagnostics that leave the model incomplete: nothing is rendered from it.
_NON_BLOCKING = frozenset(
    {"over-limit", "funding-sum", "staff-sum", "type-lead", "part-whole", "plan-heading", "page-limit", "attachment"}
)

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


# -- fingerprints --------------------------------------------------------------------------------


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def _image_digests(app: Application, doc: Document) -> list[str]:
    out = []
    for prose in app.prose.values():
        if not prose.loc.path.startswith(doc.reads):
            continue
        for block in prose.blocks:
            if isinstance(block, Image):
                try:
                    out.append(_file_digest(resolve_asset(Path(app.root), block.loc.path, block.src, IMAGE_KINDS)))
                except AssetProblem:
                    out.append("bad")
    return out


def _docx_fingerprint(app: Application, doc: Document) -> str:
    sources = sorted((p, h) for p, h in app.sources.items() if p.startswith(doc.reads))
    return _digest(
        tool_fingerprint(),
        app.form.version,
        _file_digest(templates_dir() / doc.template),
        *(f"{p}={h}" for p, h in sources),
        *_image_digests(app, doc),
        str(document_date(app)),
    )


def _fonts_fingerprint(fonts_dir: Path | None) -> str:
    # Names, kinds, sizes and times, never the bytes; no symlink is followed, the walk holds no
    # stack and stops after MAX_FONT_FILES entries (check refuses a 字体目录 outside the repo,
    # so `/` is never walked).
    import os

    from generator.core.buildcache import walk_tree
    from generator.core.limits import MAX_FONT_FILES

    if fonts_dir is None or not fonts_dir.is_dir():
        return "none"
    entries: list[str] = []
    for path, _depth in walk_tree(fonts_dir):
        try:
            st = os.lstat(path)
        except OSError:
            continue
        # hex of the bytes: a name that is not UTF-8 must not stop the build
        entries.append(f"{os.fsencode(path.relative_to(fonts_dir)).hex()}:{st.st_mode:o}:{st.st_size}:{st.st_mtime_ns}")
        if len(entries) > MAX_FONT_FILES:
            break
    return _digest(*entries)


def _load_state(out_dir: Path) -> dict:
    try:
        data = json.loads((out_dir / STATE_FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_state(out_dir: Path, state: dict) -> None:
    write_atomic(out_dir / STATE_FILE, json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"))


# -- steps ---------------------------------------------------------------------------------------


def render_documents(app: Application, out_dir: Path, docs: tuple[Document, ...] = DOCUMENTS) -> list[Path]:
    """Render each document of `docs` into `out_dir` as .docx; returns the paths written."""
    # Imported here: a build with nothing to render never loads docxtpl.
    from generator.word.blocks import prose_writer, split_runs_by_script
    from generator.word.render import render_document

    context = build_context(app)
    when = document_date(app)
    written = []
    for doc in docs:
        out_path = out_dir / f"{document_stem(app, doc)}.docx"
        render_document(
            templates_dir() / doc.template,
            context,
            out_path,
            when=when,
            write_prose=prose_writer(Path(app.root)),
            finish=split_runs_by_script,
        )
        written.append(out_path)
    return written


def _fonts_dir(app: Application) -> Path | None:
    rel = app.get("project.fonts_dir")
    if not rel:
        return None
    path = Path(app.root) / str(rel)
    return path if path.is_dir() else None


def _part_pages(outline: list[tuple[str, int]], total: int) -> list[tuple[str, int]]:
    """Pages per top-level heading, from the PDF's bookmarks (title, first page index)."""
    out = []
    for n, (title, first) in enumerate(outline):
        nxt = outline[n + 1][1] if n + 1 < len(outline) else total
        out.append((title, max(0, nxt - first)))
    return out


def _measure(result: DocumentResult) -> None:
    from generator.pdf.reader import printed_numbering_start, read_pdf

    assert result.pdf is not None
    info = read_pdf(result.pdf, text=False)
    result.pages = info.page_count
    top = [(b.title, b.page) for b in info.outline if b.level == 0 and b.page is not None]
    result.part_pages = _part_pages([(t, p) for t, p in top if p is not None], info.page_count)
    result.fonts = list(info.embedded_fonts)
    result.numbered_from = printed_numbering_start(result.pdf)


def _inspect(result: DocumentResult) -> Inspection:
    """Read the PDF back against its .docx (characters lost or added) and analyse its layout."""
    from generator.pdf.layout import inspect_pdf

    assert result.pdf is not None
    result.inspection = inspect_pdf(result.doc.title, result.docx, result.pdf)
    return result.inspection


def _inspection_from_state(data: dict | None) -> Inspection | None:
    from generator.pdf.layout import Inspection

    return Inspection.from_state(data) if isinstance(data, dict) else None


def _page_limit_diagnostics(app: Application, results: list[DocumentResult]) -> list[Diagnostic]:
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
        limit = app.get(f"project.page_limits.{r.doc.id}")
        if limit and r.pages and r.pages > int(limit):
            out.append(
                Diagnostic(
                    Location("项目.yaml"),
                    Severity.ERROR,
                    "page-limit",
                    _("{doc}：{pages} 页，超出页数上限 {limit} 页").format(doc=r.doc.title, pages=r.pages, limit=limit),
                    r.doc.title,
                )
            )
    return out


def _attachment_parts(app: Application) -> list[PackagePart]:
    from generator.pdf.reader import PackagePart

    listed = app.values.get("attachments.items")
    if not isinstance(listed, ListValue):
        return []
    parts = []
    for item in listed.items:
        if isinstance(item, Item) and item.get("file"):
            file_value = item.fields["file"]
            path = resolve_asset(Path(app.root), file_value.loc.path, str(file_value.value), ("pdf", *IMAGE_KINDS))
            parts.append(PackagePart(str(item.get("title") or path.stem), path))
    return parts


def _assemble(app: Application, result: BuildResult, out_dir: Path, state: dict, new_state: dict, progress: Progress, stage: Stage) -> Path:
    """The package: the previous one in out_dir when its parts did not change, else a new one staged."""
    from generator.pdf.reader import PackagePart, assemble_package

    package_path = out_dir / f"{output_stem(app, 'project.output_names.package', PACKAGE_DEFAULT_NAME)}.pdf"
    parts = [PackagePart(r.doc.title, r.pdf, r.numbered_from) for r in result.documents if r.pdf is not None]
    parts += _attachment_parts(app)
    title = str(app.get("basics.name") or "")
    package_fp = _digest(title, *(f"{p.title}={_file_digest(p.path)}" for p in parts))
    if state.get("package_fingerprint") != package_fp or state.get("package") != package_path.name or not package_path.is_file():
        progress(_("合成申报材料 PDF…"))
        package_path = stage.path(package_path.name)
        assemble_package(parts, package_path, title=title)
    new_state["package"], new_state["package_fingerprint"] = package_path.name, package_fp
    return package_path


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


def _previous_outputs(state: dict) -> list[str]:
    """The files the previous build made: the set that the new one replaces."""
    names = state.get("outputs")
    if not isinstance(names, list):  # a state file from before staged builds
        cached = state.get("cached")
        names = cached.get("files", []) if isinstance(cached, dict) else []
    return [n for n in names if isinstance(n, str)]


# -- the build -----------------------------------------------------------------------------------


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
    """Build the application at `root` into `out_dir`.

    `pdf`: True requires LibreOffice, False skips PDFs, None makes them when LibreOffice is there.
    `fingerprint`: buildcache.inputs_fingerprint taken before reading anything; stored with the
    outcome so that the next build from the same inputs can skip all work.
    """
    progress(_("读取并校验申报材料…"))
    report, app = check_content(root, strict=strict)
    result = BuildResult(report)
    blocking = [d for d in report.errors if d.code not in _NON_BLOCKING]
    if blocking:
        return result

    # Every new file is staged and the set swapped in at the end: a failure or a kill at any step
    # leaves out_dir as it was (staging.py).
    with Stage(out_dir) as stage:
        return _build_staged(app, result, out_dir, stage, pdf=pdf, progress=progress, timeout=timeout, fingerprint=fingerprint)


def _build_staged(
    app: Application,
    result: BuildResult,
    out_dir: Path,
    stage: Stage,
    *,
    pdf: bool | None,
    progress: Progress,
    timeout: float,
    fingerprint: str,
) -> BuildResult:
    report = result.report
    state = _load_state(out_dir)
    new_state: dict = {"version": __version__, "documents": {}}

    # 1. Word documents
    for doc in DOCUMENTS:
        docx_path = out_dir / f"{document_stem(app, doc)}.docx"
        docx_fp = _docx_fingerprint(app, doc)
        old = state.get("documents", {}).get(doc.id, {})
        r = DocumentResult(doc, docx_path)
        if old.get("docx_fingerprint") != docx_fp or old.get("docx") != docx_path.name or not docx_path.is_file():
            progress(_("生成 {name}…").format(name=docx_path.name))
            r.rebuilt = True
            r.docx = stage.path(docx_path.name)
        new_state["documents"][doc.id] = {"docx": docx_path.name, "docx_fingerprint": docx_fp}
        result.documents.append(r)
    # One call for all stale documents: the template context is built once, not per document.
    stale_docs = tuple(r.doc for r in result.documents if r.rebuilt)
    if stale_docs:
        render_documents(app, stage.dir, stale_docs)
    result.rendered = True

    # 2. PDFs
    from generator.core.procs import check_soffice_setting
    from generator.pdf.convert import INSTALL_HINT, convert_to_pdf, find_soffice

    if pdf is not False:
        check_soffice_setting()
    soffice = find_soffice() if pdf is not False else None
    fonts_dir = _fonts_dir(app)
    if pdf is True and soffice is None:
        raise ToolError(_("未找到 LibreOffice，无法生成 PDF。请安装：{hint}").format(hint=INSTALL_HINT))
    if pdf is False:
        result.pdf_skipped_reason = _("按要求未生成 PDF（--no-pdf）")
    elif soffice is None:
        result.pdf_skipped_reason = _("未找到 LibreOffice，只生成了 Word 文档。安装后即可生成 PDF：{hint}").format(hint=INSTALL_HINT)
    else:
        fonts_fp = _fonts_fingerprint(fonts_dir)
        stale = []
        for r in result.documents:
            r.pdf = out_dir / f"{r.docx.stem}.pdf"  # the previous PDF, unless this one is stale
            old = state.get("documents", {}).get(r.doc.id, {})
            pdf_fp = _digest(_file_digest(r.docx), fonts_fp, str(soffice), tool_fingerprint())
            entry = new_state["documents"][r.doc.id]
            entry["pdf_fingerprint"] = pdf_fp
            if old.get("pdf_fingerprint") == pdf_fp and r.pdf.is_file() and "pages" in old:
                r.pages, r.fonts, r.numbered_from = old["pages"], old.get("fonts", []), old.get("numbered_from", 0)
                r.part_pages = [tuple(x) for x in old.get("part_pages", [])]
                r.inspection = _inspection_from_state(old.get("inspection"))
            else:
                r.pdf = stage.path(r.pdf.name)
                stale.append(r)
        if stale:
            progress(_("转换为 PDF（LibreOffice）：{names}…").format(names="、".join(r.docx.name for r in stale)))
            convert_to_pdf([r.docx for r in stale], stage.dir, fonts_dir=fonts_dir, timeout=timeout, soffice=soffice)
            for r in stale:
                _measure(r)
                r.rebuilt = True
        for r in result.documents:
            new_state["documents"][r.doc.id].update(
                {"pages": r.pages, "fonts": r.fonts, "part_pages": r.part_pages, "numbered_from": r.numbered_from}
            )
            inspection = r.inspection or _inspect(r)  # converted now, or before read-back existed
            new_state["documents"][r.doc.id]["inspection"] = inspection.to_state()
            report.diagnostics.extend(inspection.diagnostics)
        report.diagnostics.extend(_page_limit_diagnostics(app, result.documents))

        # 3. The package: not while an attachment is missing (reported above), the rest stands.
        if any(d.code == "attachment" for d in report.errors):
            result.package_skipped_reason = _("附件有错误，未合成申报材料 PDF；建设方案和推荐书已生成。")
        else:
            result.package = _assemble(app, result, out_dir, state, new_state, progress, stage)

        if any(r.rebuilt for r in result.documents if r.pdf is not None) or "substitutions" not in state:
            matches = font_matches(template_font_families(), fonts_dir)
            result.substitutions = substitutions(matches, {f for r in result.documents for f in r.fonts})
            glyphs = missing_glyphs(app, matches[BODY_FONT], fonts_dir) if BODY_FONT in matches else []
            missing: list[list[str | int]] = [[d.message, d.location.path, d.location.line, d.location.column] for d in glyphs]
        else:
            result.substitutions = dict(state["substitutions"])
            missing = state.get("missing_glyphs", [])
        new_state["substitutions"], new_state["missing_glyphs"] = result.substitutions, missing
        report.diagnostics.extend(
            Diagnostic(Location(str(path), int(line), int(col)), Severity.WARNING, "missing-glyph", str(message), BODY_FONT)
            for message, path, line, col in missing
        )

    _final_paths(result, out_dir)
    text, js = _write_reports(result, out_dir, stage)
    files = [p.name for p in (*(r.docx for r in result.documents), *(r.pdf for r in result.documents if r.pdf), result.package) if p]
    files += [p.name for p in result.report_files]
    new_state["outputs"] = files
    if fingerprint:
        new_state[CACHE_KEY] = fingerprint
        new_state["cached"] = {"text": text, "json": js, "exit_code": result.exit_code, "files": files}
    _save_state(stage.dir, new_state)
    stage.commit(files, _previous_outputs(state), last=STATE_FILE)
    return result


# -- the steps `chanjiao preview` runs one document at a time (generator/preview/session.py) -----
NON_BLOCKING = _NON_BLOCKING
measure_pdf = _measure
page_limit_diagnostics = _page_limit_diagnostics
content_fonts_dir = _fonts_dir
