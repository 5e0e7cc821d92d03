"""`chanjiao diff`: two revisions of an application → a redline per document and a change table.

Reads top to bottom: find both revisions (git commits exported to temp folders, or folders as
given), load and validate each, compare the models, render each document at both revisions with
the same templates, redline them, convert the redlines to PDF, write everything into the output
folder. Nothing outside the output folder changes: not the work tree, not the git index.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generator.check.report import diagnostic_line
from generator.content.assets import fonts_folder
from generator.content.loader import PROJECT_FILE, load_application
from generator.core import git
from generator.core.atomic import write_atomic
from generator.diff import changes
from generator.diff.changes import ChangeTable, compare_applications
from generator.diff.coverage import compare_coverage
from generator.diff.redline import redline
from generator.diff.revisions import count_changes
from generator.errors import ChanjiaoError, ContentError, Diagnostic, Severity, ToolError
from generator.i18n import _
from generator.model import Application
from generator.pdf.convert import PdfPlan, convert_to_pdf, pdf_plan
from generator.pipeline import render_documents
from generator.word.documents import DOCUMENTS, Document, document_stem

AUTHOR = "chanjiao"
REDLINE_SUFFIX = "-修订对照"
TABLE_STEM = "变更表"

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


@dataclass(frozen=True)
class Revision:
    """One side of the comparison: how the user named it, where its files are, when it was made."""

    label: str
    root: Path
    date: dt.datetime | None = None  # a commit's date; for a folder, worked out once it is read


@dataclass
class DiffResult:
    """What a diff produced and what it had to leave out."""

    table: ChangeTable
    #: validation problems, each with the revision it was found at
    diagnostics: list[tuple[str, Diagnostic]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    #: tracked changes in each redline, by document title
    redlines: dict[str, int] = field(default_factory=dict)
    pdf_skipped_reason: str = ""
    tool_errors: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when everything was compared, 1 when content problems left parts out, 3 on tool errors."""
        if self.tool_errors:
            return ToolError.exit_code
        return ContentError.exit_code if any(d.severity is Severity.ERROR for _r, d in self.diagnostics) else 0


# -- the two revisions ---------------------------------------------------------------------------


def _now() -> dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _sources_date(app: Application) -> dt.datetime:
    """A folder's revision date: SOURCE_DATE_EPOCH, else the time its newest content file was
    saved, so the same files give the same redline bytes."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return _now()
    times = [(Path(app.root) / rel).stat().st_mtime for rel in app.sources if (Path(app.root) / rel).is_file()]
    return dt.datetime.fromtimestamp(int(max(times)), tz=dt.UTC).replace(tzinfo=None) if times else _now()


def _folder(path_text: str) -> Revision:
    root = Path(path_text)
    if not root.is_dir():
        raise ToolError(_("找不到文件夹：{path}").format(path=root))
    if not (root / PROJECT_FILE).is_file():
        raise ToolError(_("{path} 不是申报材料目录：缺少 {file}").format(path=root, file=PROJECT_FILE))
    return Revision(str(root), root)


def _commit(repo: Path, rel: str, revision: str, dest: Path) -> Revision:
    sha = git.resolve_commit(repo, revision)
    git.export_folder(repo, sha, rel, dest)
    if not (dest / PROJECT_FILE).is_file():
        shown = f"{rel}/{PROJECT_FILE}" if rel else PROJECT_FILE
        raise ToolError(_("版本“{rev}”中没有申报材料：找不到 {path}").format(rev=revision, path=shown))
    return Revision(revision, dest, git.commit_time(repo, sha))


def find_revisions(content_dir: Path, rev_a: str, rev_b: str | None, tmp: Path, *, dirs: bool) -> tuple[Revision, Revision]:
    """Both revisions, ready to load; every bad name is an error before anything is written."""
    if dirs:
        if rev_b is None:
            raise ToolError(_("--dirs 需要两个文件夹：旧版本和新版本"))
        return _folder(rev_a), _folder(rev_b)
    if not content_dir.is_dir():
        raise ToolError(_("找不到内容目录：{path}").format(path=content_dir))
    repo, rel = git.repo_location(content_dir)
    a = _commit(repo, rel, rev_a, tmp / "a")
    if rev_b is None:
        b = _folder(str(content_dir))
        return a, Revision(_("工作区"), b.root)
    return a, _commit(repo, rel, rev_b, tmp / "b")


# -- steps ---------------------------------------------------------------------------------------


def _broken_files(diagnostics: list[Diagnostic]) -> set[str]:
    return {d.location.path for d in diagnostics if d.severity is Severity.ERROR}


def _label_of(app: Application, rel_path: str) -> str:
    spec = next((s for s in app.form.files if s.key == rel_path), None)
    return app.label(spec) if spec is not None else rel_path


def _reads(doc: Document, rel_path: str) -> bool:
    return rel_path.startswith(doc.reads)


def _render(app: Application, doc: Document, out_dir: Path) -> bytes:
    out_dir.mkdir(parents=True, exist_ok=True)
    [path] = render_documents(app, out_dir, (doc,))
    return path.read_bytes()


def _fonts_dir(b: Revision, app_b: Application, content_dir: Path) -> Path | None:
    # Licensed fonts are not committed: a git revision borrows the work tree's fonts folder.
    for root in (b.root, content_dir):
        path = fonts_folder(root, app_b.get("project.fonts_dir"))
        if path is not None and any(path.iterdir()):
            return path
    return None


def _remove_stale(out_dir: Path, keep: list[Path]) -> None:
    if not out_dir.is_dir():
        return
    for path in out_dir.iterdir():
        if path.stem.endswith(REDLINE_SUFFIX) and path.suffix in (".docx", ".pdf") and path not in keep:
            path.unlink()


# -- the diff ------------------------------------------------------------------------------------


def diff(
    content_dir: Path,
    rev_a: str,
    rev_b: str | None,
    out_dir: Path,
    *,
    dirs: bool = False,
    pdf: bool | None = None,
    timeout: float = 180,
    progress: Progress = _quiet,
) -> DiffResult:
    """Compare revision `rev_a` with `rev_b` (the work tree when None) and write the results.

    With `dirs`, the revisions are two content folders. `pdf`: True requires LibreOffice, False
    skips PDFs, None makes them when LibreOffice is there.
    """
    with tempfile.TemporaryDirectory(prefix="chanjiao-diff-") as tmp_name:
        tmp = Path(tmp_name)
        a, b = find_revisions(content_dir, rev_a, rev_b, tmp, dirs=dirs)
        plan = pdf_plan(pdf)  # before any work: --pdf without LibreOffice is an error
        progress(_("读取并校验 {a} 和 {b}…").format(a=a.label, b=b.label))
        sides = _Sides(a, b, *_load_both(a, b))
        result = DiffResult(ChangeTable(a.label, b.label))
        skipped = _validate(sides, result)
        result.table.rows = compare_applications(sides.app_a, sides.app_b, skip_files=frozenset(skipped))
        result.table.coverage = compare_coverage(sides.app_a, sides.app_b, skip_files=frozenset(skipped))
        outputs = _redlines(sides, skipped, result, out_dir, tmp, progress)
        _write(outputs, result, out_dir)
        _convert(outputs, sides, content_dir, result, out_dir, plan=plan, timeout=timeout, progress=progress)
        _remove_stale(out_dir, result.files)
    return result


@dataclass(frozen=True)
class _Sides:
    """Both revisions, read: where each came from, its model and what loading it found."""

    a: Revision
    b: Revision
    app_a: Application
    app_b: Application
    diags_a: list[Diagnostic]
    diags_b: list[Diagnostic]

    def pairs(self) -> tuple[tuple[Revision, Application], tuple[Revision, Application]]:
        return (self.a, self.app_a), (self.b, self.app_b)




def _load_both(a: Revision, b: Revision) -> tuple[Application, Application, list[Diagnostic], list[Diagnostic]]:
    app_a, diags_a = load_application(a.root)
    app_b, diags_b = load_application(b.root)
    return app_a, app_b, diags_a, diags_b


def _validate(sides: _Sides, result: DiffResult) -> set[str]:
    """Every problem at either revision; a part broken at either is left out of the table."""
    a, b = sides.a.label, sides.b.label
    result.diagnostics = [(a, d) for d in sides.diags_a] + [(b, d) for d in sides.diags_b]
    broken = {a: _broken_files(sides.diags_a), b: _broken_files(sides.diags_b)}
    skipped = broken[a] | broken[b]
    for rel_path in sorted(skipped):
        where = "、".join(label for label, files in broken.items() if rel_path in files)
        result.table.skipped.append(
            _("{part}（{path}）：{rev} 中有错误，未比较").format(part=_label_of(sides.app_b, rel_path), path=rel_path, rev=where)
        )
    return skipped


def _redlines(sides: _Sides, skipped: set[str], result: DiffResult, out_dir: Path, tmp: Path, progress: Progress) -> dict[Path, bytes]:
    """A redline per document, rendered with the same templates at both revisions."""
    outputs: dict[Path, bytes] = {}
    for doc in DOCUMENTS:
        blocked = sorted(p for p in skipped if _reads(doc, p))
        if blocked:
            result.table.skipped.append(_("{doc}修订对照：{files} 有错误，未生成").format(doc=doc.title, files="、".join(blocked)))
            continue
        progress(_("生成 {doc} 的修订对照…").format(doc=doc.title))
        rendered = _render_both(sides, doc, result, tmp)
        if rendered is None:
            continue
        out = redline(*rendered, author=AUTHOR, date=sides.b.date or _sources_date(sides.app_b))
        result.redlines[doc.title] = count_changes(out)
        outputs[out_dir / f"{document_stem(sides.app_b, doc)}{REDLINE_SUFFIX}.docx"] = out
    return outputs


def _render_both(sides: _Sides, doc: Document, result: DiffResult, tmp: Path) -> tuple[bytes, bytes] | None:
    """The document at both revisions; None (and the reason in the result) when one cannot render."""
    rendered: list[bytes] = []
    for rev, app in sides.pairs():
        try:
            rendered.append(_render(app, doc, tmp / f"render-{len(rendered)}"))
        except ContentError as exc:
            result.diagnostics.extend((rev.label, d) for d in exc.diagnostics)
            result.table.skipped.append(_("{doc}修订对照：{rev} 的内容无法生成文档，未生成").format(doc=doc.title, rev=rev.label))
            return None
        except ChanjiaoError as exc:
            result.tool_errors.append(str(exc))
            result.table.skipped.append(_("{doc}修订对照：{reason}").format(doc=doc.title, reason=exc))
            return None
    return rendered[0], rendered[1]


def _write(outputs: dict[Path, bytes], result: DiffResult, out_dir: Path) -> None:
    """The redlines and the change table, each file replaced whole."""
    for path, data in outputs.items():
        write_atomic(path, data)
        result.files.append(path)
    for path, text in ((out_dir / f"{TABLE_STEM}.md", changes.render_markdown(result.table)), (out_dir / f"{TABLE_STEM}.json", changes.render_json(result.table))):
        write_atomic(path, (text + "\n").encode("utf-8"))
        result.files.append(path)


def _convert(
    outputs: dict[Path, bytes],
    sides: _Sides,
    content_dir: Path,
    result: DiffResult,
    out_dir: Path,
    *,
    plan: PdfPlan,
    timeout: float,
    progress: Progress,
) -> None:
    """The redlines as PDF (the slow, fallible part), or why there are none."""
    if plan.soffice is None:
        result.pdf_skipped_reason = plan.skipped
    elif outputs:
        progress(_("转换为 PDF（LibreOffice）…"))
        fonts_dir = _fonts_dir(sides.b, sides.app_b, content_dir)
        try:
            result.files += convert_to_pdf(list(outputs), out_dir, fonts_dir=fonts_dir, timeout=timeout, soffice=plan.soffice)
        except ToolError as exc:
            result.tool_errors.append(str(exc))
            result.pdf_skipped_reason = _("未生成 PDF：{reason}").format(reason=exc)


# -- reports -------------------------------------------------------------------------------------


def _problem_lines(result: DiffResult) -> list[str]:
    return [diagnostic_line(d, f"{rev}:{d.location}") for rev, d in result.diagnostics if d.severity is Severity.ERROR]


def render_text(result: DiffResult) -> str:
    """What a diff did, for the terminal: the change table, problems, tracked changes, files."""
    lines = [changes.render_text(result.table)]
    problems = _problem_lines(result)
    if problems:
        lines += ["", *problems]
    if result.redlines:
        lines.append("")
        for title, n in result.redlines.items():
            lines.append(_("{doc}：{n} 处修订").format(doc=title, n=n) if n else _("{doc}：没有修订").format(doc=title))
    lines += ["", *(str(p) for p in result.files)]
    if result.pdf_skipped_reason:
        lines.append(result.pdf_skipped_reason)
    return "\n".join(lines)


def diff_payload(result: DiffResult) -> dict[str, object]:
    """What a diff did, for the JSON output: the change table, tracked changes per document, files."""
    data = json.loads(changes.render_json(result.table))
    data["redlines"] = [{"document": title, "tracked_changes": n} for title, n in result.redlines.items()]
    data["files"] = [str(p) for p in result.files]
    data["pdf_skipped"] = result.pdf_skipped_reason or None
    return data
