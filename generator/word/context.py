"""The model → the templates' context: plain strings and lists by English id, labels from the form.

Templates never format anything: every figure arrives as the string the form prints (万元 with at
most two decimals, an empty optional figure as an empty string, never `None` or `0`), every date
the Chinese way, every label as the declaration words it for this baseline year. Prose parts
arrive as model `Prose` objects, which the renderer turns into styled paragraphs.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import replace
from typing import Any

from generator.core.nobreak import WORD_JOINER
from generator.errors import Location
from generator.form.declaration import FieldSpec, format_label
from generator.i18n import format_date
from generator.model import (
    Application,
    Item,
    ListBlock,
    ListValue,
    Paragraph,
    Prose,
    Span,
    Table,
    Value,
)

CHECKED, UNCHECKED = "☑", "□"
LIST_SEPARATOR = "、"


def format_figure(value: object) -> str:
    """A figure as the form prints it: integers plain, decimals with at most two places."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return text or "0"
    return str(value)


def format_value(value: object) -> str:
    """Any leaf value as printed text."""
    if isinstance(value, dt.date):
        return format_date(value, locale="zh_Hans_CN")
    return format_figure(value)


# A gap: a value the form needs that is not there (blank, absent, or written but refused by the
# reader). The documents still render; the gap prints as this text, highlighted (render.py), and
# the report lists it as an error. Document text, so never translated.
GAP_OPEN, GAP_CLOSE = "【待填写：", "】"
_TRAIL = " › "


def gap(trail: tuple[str, ...]) -> str:
    """The placeholder printed where the value at `trail` (the form's labels) is missing."""
    return f"{GAP_OPEN}{_TRAIL.join(trail)}{GAP_CLOSE}"


def _missing(app: Application, spec: FieldSpec, v: Value | None) -> bool:
    """True when `v` (None: the key is absent) is a gap: required and blank, or refused."""
    if v is None:
        return spec.required and spec.default is None
    return not v.present and (spec.required or v.loc in app.refused)


def _leaf(app: Application, spec: FieldSpec, trail: tuple[str, ...]) -> str:
    v = app.values.get(spec.path)
    value = v if isinstance(v, Value) else None
    if _missing(app, spec, value):
        return gap(trail)
    if value is None:
        return spec.default or ""  # absent: the form's default; written empty: nothing
    return format_value(value.value)


def _item(app: Application, item: Item, specs: tuple[FieldSpec, ...], trail: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for s in specs:
        v = item.fields.get(s.id)
        out[s.id] = gap((*trail, s.label)) if _missing(app, s, v) else format_value(item.get(s.id))
    return out


def _items(app: Application, spec: FieldSpec, trail: tuple[str, ...]) -> list[dict[str, str]]:
    v = app.values.get(spec.path)
    specs = app.form.item_fields[spec.type]
    items = [i for i in v.items if isinstance(i, Item)] if isinstance(v, ListValue) else []
    if not items and spec.required:  # one row that says what is missing, where the list prints
        return [{s.id: gap(trail) if n == 0 else "" for n, s in enumerate(specs)}]
    return [_item(app, i, specs, (*trail, f"第{n}项")) for n, i in enumerate(items, start=1)]


def _prose(app: Application, spec: FieldSpec, trail: tuple[str, ...]) -> Prose:
    prose = app.prose.get(spec.path) or Prose(spec, (), Location(spec.key))
    if spec.required and not any(isinstance(b, Paragraph | ListBlock | Table) for b in prose.blocks):
        filler = Paragraph((Span(gap(trail)),), prose.loc)
        prose = Prose(prose.spec, (*prose.blocks, filler), prose.loc)
    return prose


def _node(app: Application, spec: FieldSpec, trail: tuple[str, ...]) -> Any:
    t = spec.type
    if t == "group":
        return {c.id: _node(app, c, (*trail, app.label(c))) for c in spec.children}
    if t == "yearly":
        assert spec.of is not None
        return {
            f"y{off}": _leaf(app, replace(spec.of, path=f"{spec.path}.y{off}"), (*trail, f"{app.year(off)}年"))
            for off in spec.years
        }
    if t == "names":
        v = app.values.get(spec.path)
        names = [format_value(i.value) for i in v.items if isinstance(i, Value)] if isinstance(v, ListValue) else []
        return names or ([gap(trail)] if spec.required else [])
    if t in ("units", "people", "attachments"):
        return _items(app, spec, trail)
    if t == "prose":
        return _prose(app, spec, trail or (app.label(spec),))
    if t == "choice":
        v = app.values.get(spec.path)
        return v.value if isinstance(v, Value) and v.value is not None else ""
    if t == "yesno":
        v = app.values.get(spec.path)
        if isinstance(v, Value) and v.value is not None:
            return bool(v.value)
        return spec.default == "是"
    return _leaf(app, spec, trail)


def _labels(app: Application, spec: FieldSpec) -> Any:
    if spec.children:
        return {"_": app.label(spec), **{c.id: _labels(app, c) for c in spec.children}}
    return app.label(spec)


# WORD_JOINER (U+2060, nobreak.py) between the characters of a unit name forbids a line break
# there, so a name in the narrow columns of the summary table wraps only at the 、 between names.


def glued(name: str) -> str:
    """`name` with a word joiner between each pair of characters: one unbreakable unit."""
    return WORD_JOINER.join(name)


def unglued(text: str) -> str:
    """`text` without the word joiners `glued` put in."""
    return text.replace(WORD_JOINER, "")


def _glued_list(names: list[str]) -> str:
    return LIST_SEPARATOR.join(glued(n) for n in names if n)


def summary_row(app: Application, data: dict[str, Any], index: int = 1) -> dict[str, str]:
    """One row of the summary table 表 重庆市市域产教联合体建设方案, from the covers' data.

    Names are glued (`glued`) so that a list of units breaks between names, never inside one.
    """
    basics, overview = data["basics"], data["overview"]
    members = overview["members"]
    lead = [basics["lead_park"]] if basics["lead_park"] else []
    lead += basics["lead_enterprises"]
    return {
        "index": str(index),
        "name": glued(basics["name"]),
        "lead_department": _glued_list(basics["lead_department"]),
        "lead_park_or_enterprise": _glued_list(lead),
        "council": _glued_list(overview["council"]),
        "secretariat": _glued_list(overview["secretariat"]["members"]),
        "parks": _glued_list([u["name"] for u in members["parks"]]),
        "enterprises": _glued_list([u["name"] for u in members["enterprises"]]),
        "schools": _glued_list([u["name"] for u in members["schools"]]),
        "institutes": _glued_list([u["name"] for u in members["institutes"]]),
    }


def recommendation_layout(data: dict[str, Any]) -> dict[str, Any]:
    """What the 推荐书's layout needs beyond the data: each member category's rows, never none.

    The form prints a row for every category (推荐单位 … 其他组织); a category without units keeps
    its row with empty cells, so the template can loop over rows without testing for emptiness.
    """
    members = data["overview"]["members"]
    blank = {"name": "", "contact": "", "phone": ""}
    return {"member_rows": {category: units or [dict(blank)] for category, units in members.items()}}


def build_context(app: Application) -> dict[str, Any]:
    """Everything a template may print, by English id."""
    form = app.form
    data: dict[str, Any] = {spec.id: _node(app, spec, ()) for spec in form.files}
    chosen = data["basics"]["application_type"]
    data["application_types"] = [
        {"id": id_, "label": label, "mark": CHECKED if id_ == chosen else UNCHECKED}
        for _key, id_, label in form.application_types
    ]
    data["years"] = {f"y{i}": str(app.baseline_year + i) for i in range(6)}
    data["labels"] = {spec.id: _labels(app, spec) for spec in form.files}
    data["footnotes"] = {k: format_label(v, app.baseline_year) for k, v in form.footnotes.items()}
    data["form"] = {"version": form.version, "title": form.title}
    data["summary_rows"] = [summary_row(app, data)]
    assert form.summary_table is not None  # every loaded declaration has one
    data["summary_table"] = form.summary_table.context()
    data["recommendation"] = recommendation_layout(data)
    return data


def document_date(app: Application) -> dt.datetime:
    """The date written into document properties: SOURCE_DATE_EPOCH, else the content's date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).replace(tzinfo=None)
    v = app.values.get("basics.plan_date")
    if isinstance(v, Value) and isinstance(v.value, dt.date):
        return dt.datetime(v.value.year, v.value.month, v.value.day)
    return dt.datetime(app.baseline_year + 1, 1, 1)
