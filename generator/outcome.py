"""What a command ended with, and the one place it is printed: text for people, JSON for CI.

Every command returns an `Outcome`: which command, its exit code (from the constants in
errors.py), its diagnostics as JSON records, its payload, and the text a person reads. `emit`
prints it: in text mode the text on stdout and the notes on stderr; in JSON mode one JSON
document on stdout (docs/output.schema.json) and nothing else, whether the command succeeded,
found content errors or could not run at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import click

from generator.check.report import (
    build_payload,
    diagnostic_line,
    diagnostic_record,
    json_document,
    render_build_text,
    render_report_text,
    report_payload,
    tool_error_record,
)
from generator.errors import EXIT_CONTENT, EXIT_OK, EXIT_TOOL, EXIT_USAGE, Diagnostic, Severity
from generator.i18n import _

if TYPE_CHECKING:
    from pathlib import Path

    from generator.check.results import BuildResult
    from generator.check.validate import Report
    from generator.diff.command import DiffResult
    from generator.pdf.doctor import DoctorReport
    from generator.pipeline import Reused
    from generator.summary import SummaryResult

Format = Literal["text", "json"]
#: The commands whose output has a JSON form (each has `--format`); the schema's `command` enum.
COMMANDS = ("check", "build", "diff", "summary", "init", "schema", "doctor")


@dataclass
class Outcome:
    """How one command ended: exit code, diagnostics, payload, and its text for the terminal."""

    command: str
    exit_code: int
    text: str = ""  #: stdout in text mode
    diagnostics: list[dict[str, object]] = field(default_factory=list)  #: diagnostic_record()s
    payload: dict | None = None  #: the command's own part of the JSON; None when it could not run
    notes: list[str] = field(default_factory=list)  #: stderr lines in text mode (why nothing was written)
    json_text: str | None = None  #: a JSON document made earlier (the no-op build reprints its last one)

    @property
    def ok(self) -> bool:
        """True when the command did everything asked and the content passed."""
        return self.exit_code == EXIT_OK

    def to_json(self) -> str:
        """The JSON document docs/output.schema.json describes."""
        if self.json_text is not None:
            return self.json_text
        return json_document(self.command, self.exit_code, self.diagnostics, self.payload)


def emit(outcome: Outcome, fmt: Format) -> None:
    """Print an outcome: JSON only on stdout in JSON mode, else the text and the notes."""
    if fmt == "json":
        click.echo(outcome.to_json())
        return
    if outcome.text:
        click.echo(outcome.text)
    for note in outcome.notes:
        click.echo(note, err=True)


# -- the tool could not run ----------------------------------------------------------------------


def failed(command: str, message: str, *, exit_code: int = EXIT_TOOL, code: str = "tool-error", note: str = "") -> Outcome:
    """The tool or its use failed before there was anything to report: one diagnostic, no payload.

    In text mode `note` (else the message) goes to stderr, as the reason the command stopped."""
    return Outcome(command, exit_code, diagnostics=[tool_error_record(message, code)], notes=[note or message])


def usage_failed(command: str, message: str) -> Outcome:
    """A click usage error (bad option or argument), for JSON mode; text mode keeps click's own."""
    return failed(command, message, exit_code=EXIT_USAGE, code="usage")


def content_failed(command: str, diagnostics: list[Diagnostic]) -> Outcome:
    """Content that could not be loaded at all (a ContentError): every diagnostic, no payload."""
    return Outcome(
        command,
        EXIT_CONTENT,
        diagnostics=[diagnostic_record(d) for d in diagnostics],
        notes=[diagnostic_line(d) for d in diagnostics],
    )


# -- each command --------------------------------------------------------------------------------


def checked(report: Report) -> Outcome:
    """`check`: the limits table, the diagnostics and the verdict."""
    return Outcome(
        "check",
        report.exit_code,
        text=render_report_text(report),
        diagnostics=[diagnostic_record(d) for d in report.diagnostics],
        payload=report_payload(report),
    )


def built(result: BuildResult) -> Outcome:
    """`build`: the files and pages (and why a document or the package is missing), then the check."""
    records = [diagnostic_record(d) for d in result.report.diagnostics]
    # Nothing rendered (every document reads an unreadable file) is never a pass.
    code = result.exit_code if result.rendered else max(result.exit_code, EXIT_CONTENT)
    return Outcome("build", code, text=render_build_text(result), diagnostics=records, payload=build_payload(result))


def reused(cached: Reused) -> Outcome:
    """The no-op build: nothing changed since the last build, whose report is printed again."""
    data = json.loads(cached.json)
    return Outcome(
        "build",
        cached.exit_code,
        text=cached.text,
        diagnostics=data.get("diagnostics", []),
        payload=data.get("payload"),
        json_text=cached.json,
    )


def diffed(result: DiffResult) -> Outcome:
    """`diff`: the change table, problems at either revision, tracked changes, files."""
    from generator.diff.command import diff_payload, render_text

    records = [diagnostic_record(d, revision=rev) for rev, d in result.diagnostics if d.severity is Severity.ERROR]
    records += [tool_error_record(message) for message in result.tool_errors]
    return Outcome("diff", result.exit_code, text=render_text(result), diagnostics=records, payload=diff_payload(result))


def summarised(result: SummaryResult) -> Outcome:
    """`summary`: the rows and files, or every problem that stopped a consortium's row."""
    records = [diagnostic_record(d) for d in result.diagnostics]
    payload = {
        "rows": result.rows,
        "docx": str(result.docx) if result.docx else None,
        "pdf": str(result.pdf) if result.pdf else None,
        "pdf_skipped": result.pdf_skipped_reason or None,
    }
    if result.diagnostics:
        return Outcome(
            "summary",
            result.exit_code,
            text="\n".join(diagnostic_line(d) for d in result.diagnostics),
            diagnostics=records,
            payload=payload,
            notes=[_("有联合体的基本信息或成员情况有错误，未生成汇总表。")],
        )
    lines = [f"{row['index']}. {row['name']}" for row in result.rows]
    lines += [str(path) for path in (result.docx, result.pdf) if path is not None]
    if result.pdf_skipped_reason:
        lines.append(result.pdf_skipped_reason)
    return Outcome("summary", result.exit_code, text="\n".join(lines), diagnostics=records, payload=payload)


def initialised(directory: Path, written: list[Path]) -> Outcome:
    """`init`: where the new content repo is and what to do next."""
    text = "\n".join(
        (
            _("已在 {path} 新建申报材料仓库（{n} 个文件）。").format(path=directory, n=len(written)),
            _("下一步：进入该目录，按各文件中的说明填写，然后运行 make check 查看还缺什么。"),
        )
    )
    payload = {"directory": str(directory), "files": [str(p) for p in written]}
    return Outcome("init", EXIT_OK, text=text, payload=payload)


def schemas_written(directory: Path, written: list[Path], warnings: list[str]) -> Outcome:
    """`schema`: the editor schemas and settings written anew; a warning per file left alone."""
    text = _("已更新编辑器提示文件（{n} 个）：{path}").format(n=len(written), path=directory / ".chanjiao" / "schemas")
    diagnostics = [tool_error_record(w, "editor-settings") | {"severity": Severity.WARNING.value} for w in warnings]
    notes = [_("警告：{message}").format(message=w) for w in warnings]
    payload = {"directory": str(directory), "files": [str(p) for p in written]}
    return Outcome("schema", EXIT_OK, text=text, diagnostics=diagnostics, payload=payload, notes=notes)


def doctored(report: DoctorReport, versions: dict[str, str], python: str) -> Outcome:
    """`doctor`: LibreOffice, each template font and what stands in for it, versions, problems."""
    from generator.pdf.fonts import FontKind

    lo = report.libreoffice
    payload: dict[str, object] = {
        "libreoffice": {"ok": lo.ok, "path": str(lo.path) if lo.path else None, "version": lo.version or None, "problem": lo.problem or None},
        "fonts": [
            {"requested": f.requested, "family": f.family, "style": f.style, "kind": f.kind.value, "file": str(f.file)}
            for f in report.fonts
        ],
        "fonts_dir": {
            "path": str(report.fonts_dir.path) if report.fonts_dir.path else None,
            "exists": report.fonts_dir.exists,
            "files": len(report.fonts_dir.files),
        },
        "versions": {"python": python, **versions},
        "problems": list(report.problems),
    }
    if report.uno is not None:
        payload["uno"] = {"ok": report.uno.ok, "python": str(report.uno.python) if report.uno.python else None}
    records = [tool_error_record(p) for p in report.problems]
    kinds = {FontKind.REAL: _("已安装"), FontKind.STAND_IN: _("替代字体"), FontKind.FALLBACK: _("无同风格替代，效果不对")}
    return Outcome(
        "doctor", EXIT_OK if report.ok else EXIT_TOOL, text="\n".join(_doctor_lines(report, versions, python, kinds)), diagnostics=records, payload=payload
    )


def _uno_lines(report: DoctorReport) -> list[str]:
    from generator.pdf.warm import UNO_HINT

    uno = report.uno
    if uno is None:
        return []
    if uno.ok:
        return ["✓ " + _("常驻 LibreOffice（预览、加快生成）：{python} 可以导入 uno").format(python=uno.python)]
    return ["– " + _("常驻 LibreOffice 不可用：{python} 无法导入 uno，预览和生成每次单独启动 LibreOffice（较慢）；安装：{hint}").format(
        python=uno.python or "python3", hint=UNO_HINT)]


def _doctor_lines(report: DoctorReport, versions: dict[str, str], python: str, kinds: dict) -> list[str]:
    from generator.pdf.fonts import FontKind

    ok, bad = "✓", "✗"
    lo = report.libreoffice
    lines = [f"{ok} LibreOffice: {lo.path}（{lo.version}）" if lo.ok else f"{bad} LibreOffice: {lo.problem}"]
    lines.append(_("字体（模板中使用的字体 → 生成 PDF 时实际使用）："))
    for font in report.fonts:
        mark = bad if font.kind is FontKind.FALLBACK else ok
        lines.append(f"  {mark} {font.requested} → {font.family} {font.style}（{kinds[font.kind]}，{font.file.name}）")
    if report.fallback is not None:
        mark = bad if report.fallback.kind is FontKind.FALLBACK else ok
        lines.append(f"  {mark} " + _("{name} 缺少的字（{chars}）→ {family}（{file}）").format(
            name=report.fallback.requested, chars=report.fallback_chars, family=report.fallback.family, file=report.fallback.file.name))
    if report.fonts_dir.path is None:
        lines.append(_("字体目录：未设置（在 项目.yaml 的“字体目录”中设置，放入已授权的方正字体）"))
    elif report.fonts_dir.exists:
        lines.append(_("字体目录：{path}（{n} 个字体文件）").format(path=report.fonts_dir.path, n=len(report.fonts_dir.files)))
    else:
        lines.append(_("字体目录：{path} 不存在").format(path=report.fonts_dir.path))
    lines += _uno_lines(report)
    shown = ", ".join(f"{name} {v}" for name, v in versions.items())
    lines.append(_("版本：Python {python}，{versions}").format(python=python, versions=shown))
    lines += [f"{bad} {problem}" for problem in report.problems]
    if report.ok:
        lines.append(_("可以生成 PDF。"))
    return lines
