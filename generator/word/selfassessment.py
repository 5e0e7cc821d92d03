"""The 自评表's content: one row per indicator (附件2) with where the documents address it.

The pipeline knows where each tagged place prints (check.coverage and the PDFs read back) and
hands it here as `Place`s; this module turns them, the 推荐书 figures each indicator names, the
team's 自评说明 and the 7.其他 declaration into what the template `自评表.docx` prints. Plain
strings only, like every context (context.py): the template formats nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.core.unitnames import unit_names
from generator.form.declaration import FieldSpec, FieldType, IndicatorSpec
from generator.model import (
    Application,
    ListValue,
    NotApplicable,
    Value,
)
from generator.word.context import format_value, gap, glued

#: What a place prints instead of a page number it does not know (no PDF, or not found in it).
NO_PAGE = "—"
#: A figure the team wrote as not applicable prints as the form's “/”.
NOT_APPLICABLE = "/"
#: The declaration 7.其他 prints when the team states there were none.
NO_VIOLATIONS = "近3年未发生重大违法违规事件"
#: How much of a text figure prints before "…" (the 推荐书 prints it whole).
_TEXT_FIGURE = 24
_COUNTED = {FieldType.NAMES: "个", FieldType.UNITS: "家", FieldType.PEOPLE: "人", FieldType.ATTACHMENTS: "项"}
_YEARLY_ARROW = " → "


@dataclass(frozen=True)
class Place:
    """One place that addresses an indicator, as the 自评表 prints it."""

    document: str  #: the document's title (建设方案)
    page: int | None  #: the printed page number; None when unknown
    where: str  #: the heading as printed (（三）设立理事会), or the part (3.特色与创新)


def in_package(app: Application) -> bool:
    """True when 项目.yaml asks for the 自评表 in the package (申报材料含自评表: 是)."""
    v = app.values.get("project.package_self_assessment")
    if isinstance(v, Value) and isinstance(v.value, bool):
        return v.value
    return False


def place_text(place: Place) -> str:
    """“建设方案 第5页 （三）标题”, with “—” for an unknown page."""
    page = str(place.page) if place.page is not None else NO_PAGE
    return f"{place.document} 第{page}页 {place.where}".strip()


def _value_text(v: object) -> str:
    if isinstance(v, Value):
        if isinstance(v.value, NotApplicable):
            return NOT_APPLICABLE
        if v.value is None or v.value == "":
            return NO_PAGE
        text = format_value(v.value)
        return text if len(text) <= _TEXT_FIGURE else text[: _TEXT_FIGURE - 1] + "…"
    return NO_PAGE


def _unit(label: str, unit: str) -> str:
    # The label often names its unit already: 成果转化率（％）, 拟投入运行经费总额（万元）.
    # No space before the unit: "18个" is one token the line breaker keeps whole (nobreak.py).
    return "" if not unit or f"（{unit}）" in label else unit


def is_figure(spec: FieldSpec) -> bool:
    """False for a yearly text (a 200-字 description per year): the 推荐书 prints it; a table
    column nine 字 wide cannot."""
    return not (spec.type == FieldType.YEARLY and spec.of is not None and spec.of.type == FieldType.TEXT)


def figure_text(app: Application, spec: FieldSpec) -> str:
    """One 推荐书 figure as the 自评表 prints it: “共建专业：12 → 18个” for a yearly figure (the
    baseline year and the next), “/” where the team wrote it does not apply, a list's count."""
    label = app.label(spec)
    if spec.type == FieldType.YEARLY and spec.of is not None:
        years = [y for y in spec.years if y in (0, 1)] or list(spec.years)
        values = [_value_text(app.values.get(f"{spec.path}.y{y}")) for y in years]
        return f"{label}：{_YEARLY_ARROW.join(values)}{_unit(label, spec.of.unit)}"
    v = app.values.get(spec.path)
    if spec.type in _COUNTED:
        count = len(v.items) if isinstance(v, ListValue) else 0
        return f"{label}：{count}{_COUNTED[spec.type]}"
    text = _value_text(v)
    return f"{label}：{text}{_unit(label, spec.unit) if text not in (NO_PAGE, NOT_APPLICABLE) else ''}"


def missing_notes(app: Application) -> list[IndicatorSpec]:
    """The indicators with a 自评说明 in the form that the team has not written."""
    out = []
    for indicator in app.form.indicators:
        v = app.values.get(indicator.note) if indicator.note else None
        if indicator.note and not (isinstance(v, Value) and v.value not in (None, "")):
            out.append(indicator)
    return out


def _note(app: Application, indicator: IndicatorSpec, packaged: bool) -> str:
    v = app.values.get(indicator.note) if indicator.note else None
    if isinstance(v, Value) and v.value not in (None, ""):
        return format_value(v.value)
    # A gap only where it is submitted: in the package, a missing note is something to fill in.
    return gap(("自评", "自评说明", indicator.id)) if packaged and indicator.note else ""


def _declaration(app: Application, indicator: IndicatorSpec) -> str:
    v = app.values.get(indicator.declaration)
    if not isinstance(v, Value) or not isinstance(v.value, bool):
        return gap(("自评", "近三年重大违法违规事件"))
    if not v.value:
        return NO_VIOLATIONS
    detail = app.values.get("self_assessment.violations_detail")
    return format_value(detail.value) if isinstance(detail, Value) and detail.value else gap(("自评", "违法违规事件说明"))


#: How many 字 one line of each column holds (templates/make_自评表.py: the column's width less
#: the cell margins, at the table text's 10.5 pt), rounded down.
CELL_CHARS = {"text": 11, "places": 8, "figures": 9, "note": 8}


def _width(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def glue_names(text: str, chars: float) -> str:
    """`text` with each unit name (…学校, …产业园区) that fits on one line of `chars` 字 glued into
    one unbreakable piece: a table cell that is not running prose must not split a name over two
    lines (the layout check's rule). A longer name wraps anyway; glued, it would leave a line
    with a single character before it."""
    for start, end in reversed(unit_names(text)):
        if _width(text[start:end]) <= chars:
            text = text[:start] + glued(text[start:end]) + text[end:]
    return text


def _row(app: Application, indicator: IndicatorSpec, places: Sequence[Place], packaged: bool) -> dict[str, Any]:
    by_path = app.form.by_path()
    figures = [figure_text(app, by_path[p]) for p in indicator.fields if p in by_path and is_figure(by_path[p])]
    if indicator.declaration:
        # 7.其他 is no prose's subject: the team's declaration is what addresses it.
        return {"id": indicator.id, "text": indicator.text, "places": [_declaration(app, indicator)], "figures": figures or [""], "note": _note(app, indicator, False)}
    return {
        "id": indicator.id,
        "text": indicator.text,
        # a cell needs one paragraph at least: an empty loop would leave it without any
        "places": [place_text(p) for p in places] or [NO_PAGE],
        "figures": figures or [""],
        "note": _note(app, indicator, packaged),
    }


def assessment_context(app: Application, places: Mapping[str, Sequence[Place]], *, footnote: str = "") -> dict[str, Any]:
    """What 自评表.docx prints (`assessment`): its title, the groups with their rows, the note
    under the table. `places`: by indicator id, in document order."""
    packaged = in_package(app)
    groups: list[dict[str, Any]] = []

    for indicator in app.form.indicators:
        if not groups or groups[-1]["id"] != indicator.group:
            groups.append({"id": indicator.group, "label": f"{indicator.group}.{indicator.group_title}", "rows": []})
        row = _row(app, indicator, places.get(indicator.id, ()), packaged)
        row.update({k: glue_names(row[k], CELL_CHARS[k]) for k in ("text", "note")})
        row.update({k: [glue_names(x, CELL_CHARS[k]) for x in row[k]] for k in ("places", "figures")})
        groups[-1]["rows"].append(row)
    name = str(app.get("basics.name") or "") or gap(("基本信息", "联合体名称"))
    # The document's own name never splits over two lines of the title; the consortium's wraps.
    return {"title": f"{name} {glued('建设指标自评表')}", "groups": groups, "footnote": footnote}
