"""`chanjiao summary`: the summary table for several consortia, for a district recommending more
than one (the official table has a row per consortium)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.check.validate import check_content
from generator.errors import EXIT_CONTENT, EXIT_OK, Diagnostic, Location, Severity
from generator.model import Application, Prose
from generator.word.context import build_context, document_date, summary_row, unglued
from generator.word.documents import templates_dir

TEMPLATE = "汇总表.docx"
OUTPUT_STEM = "重庆市市域产教联合体建设方案汇总表"
#: The content files (by the declaration's ids) the summary row is made from: problems elsewhere
#: do not stop the table.
READS_IDS = ("project", "basics", "overview")


@dataclass
class SummaryResult:
    """The table written (or not) and every problem that stopped a consortium's row."""

    docx: Path | None = None
    pdf: Path | None = None
    rows: list[dict[str, str]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    pdf_skipped_reason: str = ""

    @property
    def exit_code(self) -> int:
        """0 when every consortium gave its row, 1 otherwise."""
        return EXIT_CONTENT if self.diagnostics else EXIT_OK


def _no_prose(_tpl: Any, prose: Prose) -> Any:
    raise AssertionError(f"the summary template prints no prose ({prose.spec.key})")


def _summary_table(app: Application) -> dict[str, object]:
    """The table's title and header as the declaration spells them."""
    assert app.form.summary_table is not None  # every loaded declaration has one
    return app.form.summary_table.context()


def build_summary(roots: list[Path], out_dir: Path, *, pdf: bool | None = None) -> SummaryResult:
    """Validate each consortium's covers and members, then write one table with a row each."""
    result = SummaryResult()
    apps = []
    for root in roots:
        report, app = check_content(root)
        reads = {app.form.file(i).key for i in READS_IDS}
        blocking = [d for d in report.errors if d.location.path in reads]
        for d in blocking:
            where = Location(f"{root.name}/{d.location.path}", d.location.line, d.location.column)
            result.diagnostics.append(Diagnostic(where, Severity.ERROR, d.code, d.message, d.field))
        apps.append(app)
    if result.diagnostics:
        return result
    # The template gets the names glued for line breaking; what is reported is plain text.
    glued_rows = [summary_row(app, build_context(app), n) for n, app in enumerate(apps, start=1)]
    result.rows = [{k: unglued(v) for k, v in row.items()} for row in glued_rows]
    from generator.word.blocks import split_runs_by_script
    from generator.word.render import render_document

    when = max(document_date(app) for app in apps)
    result.docx = render_document(
        templates_dir() / TEMPLATE,
        {"summary_rows": glued_rows, "summary_table": _summary_table(apps[0])},
        out_dir / f"{OUTPUT_STEM}.docx",
        when=when,
        write_prose=_no_prose,
        finish=split_runs_by_script,
    )
    from generator.pdf.convert import convert_to_pdf, pdf_plan

    plan = pdf_plan(pdf)
    if plan.soffice is None:
        result.pdf_skipped_reason = "" if pdf is False else plan.skipped
        return result
    (result.pdf,) = convert_to_pdf([result.docx], out_dir, soffice=plan.soffice)
    return result
