"""The check report: every limited field with its 字数, every rule that failed, one verdict.

A `Report` counts outcomes and owns the exit code; the CLI only prints it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from generator.check.coverage import Coverage, Declaration, coverage, declarations
from generator.check.rules import apply_rules
from generator.content.loader import load_application
from generator.core.counting import count_words
from generator.errors import EXIT_CONTENT, EXIT_OK, Diagnostic, Location, Severity
from generator.form.types import FieldType
from generator.i18n import _, format_number
from generator.model import Application, Prose, Value


@dataclass(frozen=True)
class LimitRow:
    """One field with a 字数 limit (or a plan section, whose length is shown without one)."""

    label: str
    location: Location
    words: int
    chars_no_spaces: int
    limit: int | None
    year: int | None = None
    #: the label of the family this field is one of, when the form repeats it per 附件2 point
    #: (the 25 自评说明): the terminal report folds a family's rows that are within their limits
    family: str | None = None

    @property
    def full_label(self) -> str:
        """The label with the year it is for, where the form asks once per year."""
        return f"{self.label}（{self.year}年）" if self.year else self.label

    @property
    def over(self) -> int:
        """How many 字 over the limit (0 when within it or unlimited)."""
        return max(0, self.words - self.limit) if self.limit is not None else 0


@dataclass(frozen=True)
class NotApplicableRow:
    """A figure the team declared not applicable: a reviewer sees every one, with where it was written."""

    label: str
    location: Location
    written: str
    year: int | None = None

    @property
    def full_label(self) -> str:
        """The label with the year it is for, where the form asks once per year."""
        return f"{self.label}（{self.year}年）" if self.year else self.label


@dataclass
class Report:
    """The outcome of checking one content repo."""

    root: str
    limits: list[LimitRow] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    strict: bool = False
    not_applicable: list[NotApplicableRow] = field(default_factory=list)
    #: every 附件2 point in order with the prose that addresses it
    coverage: list[Coverage] = field(default_factory=list)
    #: the points declared rather than addressed (7.其他), by id
    declarations: dict[str, Declaration] = field(default_factory=dict)
    #: the printed page of each tagged place, by buildcache.evidence_key, when the last build read
    #: this very content (`check -o`); empty otherwise
    evidence_pages: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    def not_applicable_lines(self) -> list[str]:
        """The 不适用 section of the terminal report (nothing when no figure was declared so)."""
        if not self.not_applicable:
            return []
        head = _("声明为不适用的栏目（{n} 项，不参与合计和比较）：").format(n=len(self.not_applicable))
        return [head, *(f"  {r.location}: {r.full_label}：{r.written}" for r in self.not_applicable), ""]

    def not_applicable_json(self) -> list[dict[str, object]]:
        """The 不适用 figures for the JSON report."""
        return [
            {"field": r.full_label, "file": r.location.path, "line": r.location.line, "column": r.location.column, "written": r.written}
            for r in self.not_applicable
        ]

    @property
    def errors(self) -> list[Diagnostic]:
        """Diagnostics that fail the check."""
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        """Diagnostics that fail the check only with --strict."""
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """True when the content is within every limit and rule."""
        return not self.errors and not (self.strict and self.warnings)

    @property
    def exit_code(self) -> int:
        """0 when ok, 1 when the content violates a limit or rule."""
        return EXIT_OK if self.ok else EXIT_CONTENT

    def verdict(self) -> str:
        """The one-line verdict."""
        counts = _("{errors} 个错误，{warnings} 个警告").format(errors=len(self.errors), warnings=len(self.warnings))
        if self.ok:
            return _("通过：所有字数限制和规则均已满足（{counts}）").format(counts=counts)
        if not self.errors:
            return _("未通过（--strict 模式下警告也算失败）：{counts}").format(counts=counts)
        return _("未通过：{counts}").format(counts=counts)


def _limit_rows(app: Application) -> list[LimitRow]:
    rows: list[LimitRow] = []

    def add(label: str, text: str, loc: Location, limit: int | None, year: int | None = None, family: str | None = None) -> None:
        c = count_words(text)
        rows.append(LimitRow(label, loc, c.words, c.chars_no_spaces, limit, year, family))

    notes = {i.note for i in app.form.indicators if i.note}
    specs = app.form.by_path()
    for spec in app.form.limited_fields():
        label = app.label(spec)
        parent = specs.get(spec.path.rpartition(".")[0]) if spec.path in notes else None
        family = app.label(parent) if parent is not None else None
        if spec.type is FieldType.PROSE:
            prose = app.prose.get(spec.path)
            if prose is not None:
                add(label, prose.text(), prose.loc, spec.limit)
        elif spec.type is FieldType.YEARLY:
            assert spec.of is not None
            for off in spec.years:
                v = app.values.get(f"{spec.path}.y{off}")
                if isinstance(v, Value) and v.present:
                    add(label, str(v.value), v.loc, spec.of.limit, app.year(off))
        else:
            v = app.values.get(spec.path)
            if isinstance(v, Value) and v.present:
                add(label, str(v.value), v.loc, spec.limit, family=family)
    for spec in app.form.files:
        prose = app.prose.get(spec.path)
        if spec.type is FieldType.PROSE and spec.limit is None and isinstance(prose, Prose):
            add(app.label(spec), prose.text(), prose.loc, None)
    return rows


def _not_applicable_rows(app: Application) -> list[NotApplicableRow]:
    """Every figure written as "/" (无, 不适用, —), in form order."""
    rows: list[NotApplicableRow] = []
    for spec in app.form.by_path().values():
        years = spec.years if spec.type is FieldType.YEARLY else (None,)
        for off in years:
            v = app.values.get(spec.path if off is None else f"{spec.path}.y{off}")
            if isinstance(v, Value) and v.not_applicable:
                rows.append(NotApplicableRow(app.label(spec), v.loc, str(v.value), None if off is None else app.year(off)))
    return rows


def _limit_diagnostics(rows: list[LimitRow]) -> list[Diagnostic]:
    return [
        Diagnostic(
            row.location,
            Severity.ERROR,
            "over-limit",
            _("{field}：{words} 字，超出 {limit} 字的上限 {over} 字").format(
                field=row.full_label, words=format_number(row.words), limit=format_number(row.limit or 0), over=format_number(row.over)
            ),
            row.full_label,
        )
        for row in rows
        if row.over
    ]


def _declaration_needed(app: Application, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The loader's "required"/"missing file" errors for a declaration (7.其他), saying what it
    declares: a bare "必填项未填写" does not tell a team that the form needs this statement."""
    out = []
    for d in diagnostics:
        spec = next((i for i in app.form.indicators if i.declaration and _about(app, d, i.declaration)), None)
        if spec is not None:
            d = replace(
                d,
                message=d.message + _("（附件2“{label}”须由联合体声明：近三年是否发生过重大违法违规事件，填“否”或“是”）").format(label=spec.label),
            )
        out.append(d)
    return out


def _about(app: Application, d: Diagnostic, path: str) -> bool:
    """True when `d` says the field at `path`, or the file that holds it, is missing."""
    spec = app.form.by_path()[path]
    file = app.form.file(path.split(".")[0]).key
    return (d.code == "required" and d.field == app.label(spec)) or (d.code == "file-missing" and d.location.path == file)


def check_content(root: Path, *, strict: bool = False) -> tuple[Report, Application]:
    """Load, validate and count the content repo at `root`."""
    app, diagnostics = load_application(root)
    return check_loaded(root, app, diagnostics, strict=strict), app


def check_loaded(root: Path, app: Application, diagnostics: list[Diagnostic], *, strict: bool = False) -> Report:
    """The report on an application load_application read (with what it found): the rules, the
    字数 limits and the 附件2 coverage. Preview renders first and checks while LibreOffice converts."""
    diagnostics = _declaration_needed(app, list(diagnostics))
    diagnostics.extend(apply_rules(app))
    rows = _limit_rows(app)
    diagnostics.extend(_limit_diagnostics(rows))
    # No prose read (not a content folder): no coverage table of 26 empty rows under its one error.
    points, declared = (coverage(app), declarations(app)) if app.prose else ([], {})
    return Report(str(root), rows, diagnostics, strict, _not_applicable_rows(app), points, declared)
