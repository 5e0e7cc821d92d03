"""The check and build reports as a user reads them: a terminal table and JSON for CI."""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING

from generator.core.buildcache import evidence_key
from generator.errors import EXIT_OK, Diagnostic, Location, Severity
from generator.i18n import _

if TYPE_CHECKING:
    from generator.check.coverage import Coverage, Declaration, Evidence
    from generator.check.results import BuildResult
    from generator.check.validate import LimitRow, Report
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


#: Printed pages of tagged places, by buildcache.evidence_key: (document title, printed page).
Pages = Mapping[str, tuple[str, int]]


def _page(pages: Pages, loc: Location) -> int | None:
    found = pages.get(evidence_key(loc.path, loc.line, loc.column))
    return found[1] if found else None


def _evidence_text(e: Evidence, pages: Pages) -> str:
    """`建设方案/3-建设内容与举措.md:12 （三）标题 · 356字 · 第5页`: where, under which heading, how much."""
    page = _page(pages, e.loc)
    heading = f" {_shorten(e.number + e.heading, 34)}" if e.heading else ""
    parts = [f"{e.loc.path}:{e.loc.line}{heading}", _("{n}字").format(n=e.chars)]
    if page is not None:
        parts.append(_("第{n}页").format(n=page))
    return " · ".join(parts)


def _declaration_text(d: Declaration) -> str:
    if d.value is None:
        return _("未填写")
    if not d.value:
        return _("否")
    return _("是：{detail}").format(detail=_shorten(d.detail, 60)) if d.detail else _("是（未写说明）")


def coverage_lines(report: Report, pages: Pages) -> list[str]:
    """The 附件2 section of the terminal report: every point with its evidence, uncovered ones marked."""
    if not report.coverage:
        return []
    points = [c for c in report.coverage if not c.indicator.declaration]
    covered = sum(1 for c in points if c.covered)
    lines = [_("附件2 观测点覆盖：{covered}/{total} 个观测点有正文回应").format(covered=covered, total=len(points))]
    header = [_("观测点"), _("内容"), _("处数"), _("字数"), _("状态")]
    rows: list[list[str]] = []
    below: list[list[str]] = []
    for c in report.coverage:
        declared = report.declarations.get(c.indicator.id)
        if declared is not None:
            rows.append([c.indicator.label, _shorten(c.indicator.text), "—", "—", _("声明：{state}").format(state=_declaration_text(declared))])
            below.append([])
            continue
        rows.append([c.indicator.label, _shorten(c.indicator.text), str(len(c.evidence)), str(c.chars), _("有回应") if c.covered else _("未回应")])
        below.append([_evidence_text(e, pages) for e in c.evidence])
    table = _table(header, rows, {2, 3})
    lines.extend(table[:2])
    for row_line, evidence in zip(table[2:], below, strict=True):
        lines.append(row_line)
        lines.extend("      " + e for e in evidence)
    lines.append("")
    return lines


def coverage_json(report: Report, pages: Pages) -> list[dict[str, object]]:
    """The 附件2 points for the JSON report (docs/output.schema.json, `coverage`)."""
    return [_coverage_record(c, report.declarations.get(c.indicator.id), pages) for c in report.coverage]


def _coverage_record(c: Coverage, declared: Declaration | None, pages: Pages) -> dict[str, object]:
    return {
        "id": c.indicator.id,
        "label": c.indicator.label,
        "group": c.indicator.group,
        "group_title": c.indicator.group_title,
        "title": c.indicator.text,
        "covered": c.covered,
        "chars": c.chars,
        "evidence": [
            {
                "file": e.loc.path,
                "line": e.loc.line,
                "column": e.loc.column,
                "heading": e.heading or None,
                "heading_number": e.number or None,
                "part": e.part,
                "document": e.document or None,
                "chars": e.chars,
                "page": _page(pages, e.loc),
            }
            for e in c.evidence
        ],
        "declaration": None
        if declared is None
        else {
            "state": declared.state,
            "detail": declared.detail or None,
            "file": declared.loc.path,
            "line": declared.loc.line or None,
            "column": (declared.loc.column or 1) if declared.loc.line else None,
        },
    }


def render_report_text(report: Report, pages: Pages | None = None) -> str:
    """The report as a terminal table, the 附件2 coverage, the diagnostics and the verdict.

    `pages`: the printed page of each tagged place (buildcache.evidence_key → (document, page));
    by default what `check -o` found for this content (`report.evidence_pages`)."""
    lines: list[str] = []
    if report.limits:
        header = [_("字段"), _("字数"), _("上限"), _("字符数(不计空格)"), _("状态")]
        rows = [_limit_cells(row) for row in _folded(report.limits)]
        lines.extend(_table(header, rows, {1, 2, 3}))
        lines.append("")
    lines.extend(coverage_lines(report, report.evidence_pages if pages is None else pages))
    lines.extend(report.not_applicable_lines())
    lines.extend(diagnostic_line(d) for d in report.diagnostics)
    if report.diagnostics:
        lines.append("")
    lines.append(report.verdict())
    return "\n".join(lines)


def _limit_cells(row: LimitRow) -> list[str]:
    if row.limit is None:
        status = "—"
    elif row.over:
        status = _("超出 {n} 字").format(n=row.over)
    else:
        status = _("符合")
    label = _shorten(row.label) + (f"（{row.year}年）" if row.year else "")
    return [label, str(row.words), str(row.limit) if row.limit is not None else "—", str(row.chars_no_spaces), status]


def _folded(rows: list[LimitRow]) -> list[LimitRow]:
    """The rows the terminal table shows: a family's rows within their limits (the 25 自评说明)
    as one row with the longest one's count, where the first of them stood; any row over its
    limit on its own. The JSON report and the preview keep every row."""
    out: list[LimitRow] = []
    families: dict[str, list[LimitRow]] = {}
    for row in rows:
        if row.family is None or row.over:
            out.append(row)
            continue
        if row.family not in families:
            families[row.family] = []
            out.append(row)  # the family's place, replaced below
        families[row.family].append(row)
    for n, row in enumerate(out):
        members = families.get(row.family or "") if not row.over else None
        if members and len(members) > 1:
            longest = max(members, key=lambda r: r.words)
            label = _("{family}（{n} 条，最长为 {label}）").format(family=row.family, n=len(members), label=longest.label.split(" ")[0])
            out[n] = dataclasses.replace(longest, label=label, family=None)
    return out


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


def report_payload(report: Report, pages: Pages | None = None) -> dict[str, object]:
    """The check's own part of the JSON: counts, verdict, every limited field, the 附件2 coverage
    (`pages` as in render_report_text)."""
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
        "coverage": coverage_json(report, report.evidence_pages if pages is None else pages),
    }


def render_report_json(report: Report, pages: Pages | None = None) -> str:
    """The check report as JSON for CI."""
    return json_document("check", report.exit_code, [diagnostic_record(d) for d in report.diagnostics], report_payload(report, pages))


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
    lines.append(render_report_text(result.report, result.evidence_pages))
    return "\n".join(lines)


def build_payload(result: BuildResult) -> dict[str, object]:
    """The build's own part of the JSON: the check's payload plus documents, pages and fonts."""
    data = report_payload(result.report, result.evidence_pages)
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
