"""The check and build reports as a user reads them: a terminal table and JSON for CI."""

from __future__ import annotations

import json
import unicodedata
from typing import TYPE_CHECKING

from generator.errors import EXIT_OK, Diagnostic, Severity
from generator.i18n import _

if TYPE_CHECKING:
    from generator.check.results import BuildResult
    from generator.check.validate import Report
    from generator.pdf.layout import Inspection

#: The version of the JSON shape (docs/output.schema.json); raised when a field changes meaning
#: or goes away, not when one is added.
SCHEMA_VERSION = 1

#: Readback codes: characters the PDF lost or added; the rest of an inspection is layout.
_READBACK_CODES = ("readback-lost", "readback-added")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _shorten(text: str, width: int = 40) -> str:
    """The start of a long label, so the table fits a terminal; JSON keeps it whole."""
    if _width(text) <= width:
        return text
    out = ""
    for ch in text:
        if _width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(h, widths[i], i in right) for i, h in enumerate(header))]
    lines.append("  ".join("─" * w for w in widths))
    lines.extend("  ".join(_pad(c, widths[i], i in right) for i, c in enumerate(r)) for r in rows)
    return lines


def render_report_text(report: Report) -> str:
    """The report as a terminal table, the diagnostics and the verdict."""
    lines: list[str] = []
    if report.limits:
        header = [_("字段"), _("字数"), _("上限"), _("字符数(不计空格)"), _("状态")]
        rows = []
        for row in report.limits:
            if row.limit is None:
                status = "—"
            elif row.over:
                status = _("超出 {n} 字").format(n=row.over)
            else:
                status = _("符合")
            rows.append(
                [_shorten(row.label) + (f"（{row.year}年）" if row.year else ""), str(row.words), str(row.limit) if row.limit is not None else "—", str(row.chars_no_spaces), status]
            )
        lines.extend(_table(header, rows, {1, 2, 3}))
        lines.append("")
    lines.extend(report.not_applicable_lines())
    lines.extend(diagnostic_line(d) for d in report.diagnostics)
    if report.diagnostics:
        lines.append("")
    lines.append(report.verdict())
    return "\n".join(lines)


def diagnostic_line(d: Diagnostic, where: str = "") -> str:
    """The one way a diagnostic is printed on the terminal: `file:line:col: 错误: message`.

    `where` replaces the location's own text, for reports that name more than one content folder
    or revision (diff, summary)."""
    tag = _("错误") if d.severity is Severity.ERROR else _("警告")
    return f"{where or d.location}: {tag}: {d.message}"


def diagnostic_record(d: Diagnostic, **more: object) -> dict[str, object]:
    """A diagnostic as docs/output.schema.json describes it (`more`: e.g. the diff's revision)."""
    return {
        "code": d.code,
        "severity": d.severity.value,
        "file": d.location.path or None,
        "line": d.location.line or None,
        "column": (d.location.column or 1) if d.location.line else None,
        "field": d.field or None,
        "message": d.message,
        "found": _plain(d.extra.get("found")),
        "expected": _plain(d.extra.get("expected")),
        **({"details": {k: _plain(v) for k, v in d.extra.items()}} if d.extra else {}),
        **more,
    }


def _plain(value: object) -> object:
    # JSON takes numbers, text, booleans and null as they are; anything else (a Decimal, a date)
    # is written as the text a user would read.
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def tool_error_record(message: str, code: str = "tool-error") -> dict[str, object]:
    """A problem of the tool or its use, not of a content file: no file, line or field."""
    return {
        "code": code,
        "severity": Severity.ERROR.value,
        "file": None,
        "line": None,
        "column": None,
        "field": None,
        "message": message,
        "found": None,
        "expected": None,
    }


def json_document(command: str, exit_code: int, diagnostics: list[dict[str, object]], payload: dict | None) -> str:
    """Every command's JSON output, one shape (docs/output.schema.json): what ran, whether it
    passed, its exit code, every diagnostic, and the command's own payload (null when the
    command could not run)."""
    data = {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "ok": exit_code == EXIT_OK,
        "exit_code": exit_code,
        "diagnostics": diagnostics,
        "payload": payload,
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def report_payload(report: Report) -> dict[str, object]:
    """The check's own part of the JSON: counts, verdict and every limited field."""
    return {
        "root": report.root,
        "verdict": report.verdict(),
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "limits": [
            {
                "field": r.full_label,
                "file": r.location.path,
                "line": r.location.line,
                "words": r.words,
                "chars_no_spaces": r.chars_no_spaces,
                "limit": r.limit,
                "over": r.over,
                "status": "none" if r.limit is None else ("over" if r.over else "ok"),
            }
            for r in report.limits
        ],
        "not_applicable": report.not_applicable_json(),
    }


def render_report_json(report: Report) -> str:
    """The check report as JSON for CI."""
    return json_document("check", report.exit_code, [diagnostic_record(d) for d in report.diagnostics], report_payload(report))


def _inspection_lines(inspection: Inspection) -> list[str]:
    """Fill of each page and the read-back verdict, for the terminal."""
    fills = " ".join(
        f"{p.page + 1}:{round(p.fill * 100)}" + ("↔" if p.landscape else "") for p in inspection.pages
    )
    lost = sum(1 for d in inspection.diagnostics if d.code == "readback-lost")
    added = sum(1 for d in inspection.diagnostics if d.code == "readback-added")
    layout = sum(1 for d in inspection.diagnostics if d.code not in _READBACK_CODES)
    if lost or added:
        verdict = _("读回核对：PDF 中缺少 {lost} 处、多出 {added} 处文字").format(lost=lost, added=added)
    else:
        verdict = _("读回核对：PDF 文字与 Word 文档一致")
    return [
        _("每页版心使用（页:%，↔ 横向页）：{fills}").format(fills=fills),
        verdict + _("；版式警告 {n} 条（用时 {seconds:.2f} 秒）").format(n=layout, seconds=inspection.seconds),
    ]


def _inspection_json(inspection: Inspection) -> dict:
    return {
        "pages": [
            {"page": p.page + 1, "printed": p.printed or None, "fill": round(p.fill, 3), "landscape": p.landscape}
            for p in inspection.pages
        ],
        "readback_lost": sum(1 for d in inspection.diagnostics if d.code == "readback-lost"),
        "readback_added": sum(1 for d in inspection.diagnostics if d.code == "readback-added"),
        "layout_warnings": sum(1 for d in inspection.diagnostics if d.code not in _READBACK_CODES),
        "seconds": round(inspection.seconds, 3),
    }


def render_build_text(result: BuildResult) -> str:
    """The build's report: files, pages per document and part, font substitutions, then the check."""
    lines: list[str] = []
    for r in result.documents:
        state = _("已更新") if r.rebuilt else _("无变化")
        lines.append(f"{r.docx}  ({state})")
        if r.pdf is not None:
            pages = _("{n} 页").format(n=r.pages) if r.pages is not None else ""
            lines.append(f"{r.pdf}  {pages}")
            for title, n in r.part_pages:
                lines.append("    " + _("{title}：{n} 页").format(title=title, n=n))
            if r.inspection is not None:
                lines.extend("    " + line for line in _inspection_lines(r.inspection))
    if result.package is not None:
        lines.append(f"{result.package}")
    for reason in (*result.unrendered.values(), result.pdf_skipped_reason, result.package_skipped_reason):
        if reason:
            lines.append(reason)
    if result.substitutions:
        lines.append("")
        lines.append(_("字体（从 PDF 读回的嵌入字体）："))
        for requested, used in result.substitutions.items():
            if requested == used:
                lines.append("    " + _("{requested}：使用本机已安装的同名字体").format(requested=requested))
            else:
                lines.append("    " + _("{requested} → {used}（替代字体）").format(requested=requested, used=used))
    lines.append("")
    lines.append(render_report_text(result.report))
    return "\n".join(lines)


def build_payload(result: BuildResult) -> dict[str, object]:
    """The build's own part of the JSON: the check's payload plus documents, pages and fonts."""
    data = report_payload(result.report)
    data["rendered"] = result.rendered
    data["documents"] = [
        {
            "document": r.doc.title,
            "docx": str(r.docx),
            "pdf": str(r.pdf) if r.pdf else None,
            "pages": r.pages,
            "parts": [{"title": t, "pages": n} for t, n in r.part_pages],
            "embedded_fonts": r.fonts,
            "rebuilt": r.rebuilt,
            "layout": _inspection_json(r.inspection) if r.inspection is not None else None,
        }
        for r in result.documents
    ]
    data["package"] = str(result.package) if result.package else None
    data["font_substitutions"] = result.substitutions
    data["pdf_skipped"] = result.pdf_skipped_reason or None
    data["package_skipped"] = result.package_skipped_reason or None
    data["unrendered"] = result.unrendered
    data["gaps"] = [{"document": doc, "text": text} for doc, text in result.gaps]
    return data


def render_build_json(result: BuildResult) -> str:
    """The build's report as JSON: what stdout prints in --format json, and the report file."""
    return json_document("build", result.exit_code, [diagnostic_record(d) for d in result.report.diagnostics], build_payload(result))
