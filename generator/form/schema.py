"""Editor schemas: a JSON Schema (Draft 7) for every YAML content file, generated from the declaration.

The YAML language server (VS Code's YAML extension, and the editors that embed the same server)
reads these to complete keys, show the label, unit, limit and official guidance on hover and mark
a wrong type while the team types. They describe what the editor sees, which is YAML 1.2 as the
language server parses it (`010` is a number there, `2024-06-03` a string), and they never reject
what `chanjiao check` accepts: `chanjiao check` stays the one authority, the schema is a hint.

So: an empty value (`key:`) is allowed everywhere (the stubs are all empty; `check` lists what is
still missing, the editor should not paint a new repo red); a text field takes any scalar
(`check` keeps the text as written); and the 字数 limit is in the description, not a `maxLength`,
because `maxLength` counts UTF-16 code units and would disagree with our Word-compatible counter.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from generator.form.declaration import (
    FIGURE_TYPES,
    ITEM_LIST_TYPES,
    FieldSpec,
    FormSpec,
    available_versions,
    format_label,
)
from generator.i18n import _

DRAFT = "http://json-schema.org/draft-07/schema#"
#: Where the schemas live in a content repo. ASCII names on purpose: the YAML language server
#: only treats a schema path in `yaml.schemas` as workspace-relative when it matches
#: `[\w-@. ]` (ASCII) segments, so `项目.schema.json` would not be found.
SCHEMA_DIR = ".chanjiao/schemas"
#: What a "not applicable" figure may be written as, when the declaration allows it.
NOT_APPLICABLE_MARKS = ("/", "无", "不适用", "—")
#: The list separators `check` refuses in a one-line list of names (kept in step with the loader).
_NAMES_SEPARATORS = "、，,；;"
_TEXT_TYPES = ["string", "number", "boolean", "null"]
_DATE_PATTERN = r"^\s*\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?\s*$"


def yaml_files(form: FormSpec) -> list[FieldSpec]:
    """The content files that are YAML (the others are Markdown), in form order."""
    return [f for f in form.files if f.type == "group" and f.key.endswith(".yaml")]


def schema_path(spec: FieldSpec) -> str:
    """The schema's path in a content repo, e.g. `.chanjiao/schemas/overview.schema.json`."""
    return f"{SCHEMA_DIR}/{spec.id}.schema.json"


class _Builder:
    def __init__(self, form: FormSpec, baseline: int) -> None:
        self.form = form
        self.baseline = baseline

    def fmt(self, text: str) -> str:
        return format_label(text, self.baseline) if "{y" in text else text

    # -- descriptions ------------------------------------------------------------------------

    def describe(self, spec: FieldSpec, node: dict[str, Any]) -> dict[str, Any]:
        """Title, description and markdownDescription: what the editor shows on hover."""
        label = self.fmt(spec.label)
        value_spec = spec.of or spec
        facts: list[str] = []
        unit = spec.unit or value_spec.unit
        if unit:
            facts.append(_("计量单位：{unit}").format(unit=unit))
        limit = spec.limit or value_spec.limit
        if limit:
            facts.append(_("不超过{limit}字（字数按 Word“字数”的算法，由 chanjiao check 统计）").format(limit=limit))
        hint = self.value_hint(value_spec, spec)
        if hint:
            facts.append(hint)
        facts.append(_("必填") if spec.required else _("选填"))
        notes = [self.fmt(spec.guidance)] if spec.guidance else []
        for name in (spec.footnote, spec.footnote_year):
            if name and name in self.form.footnotes:
                notes.append(_("注：{text}").format(text=self.fmt(self.form.footnotes[name])))
        node["title"] = label
        node["description"] = "\n".join(["；".join([label, *facts]), *notes])
        # The editor prints the title as the hover's heading: the Markdown need not repeat it.
        node["markdownDescription"] = "\n\n".join(["；".join(facts), *notes])
        return node

    def value_hint(self, value_spec: FieldSpec, spec: FieldSpec) -> str:
        t = value_spec.type
        hint = {
            "count": _("填整数，不带单位"),
            "amount": _("填数字，最多两位小数，不带单位和千位分隔符"),
            "percent": _("填 0–100 的数字，不写“％”"),
            "area": _("填数字，不带单位"),
            "date": _("日期，如 2024-06-03"),
            "yesno": _("填“是”或“否”"),
            "names": _("列表，每项一行，以“- ”开头"),
            "yearly": _("按年份填写：{years}").format(years="、".join(self.year_keys(spec))),
        }.get(spec.type if spec.type in ("names", "yearly") else t, "")
        if t in FIGURE_TYPES and _not_applicable(value_spec, spec):
            hint += _("；不适用时写 {marks} 之一").format(marks="、".join(f"“{m}”" for m in NOT_APPLICABLE_MARKS))
        return hint

    # -- nodes -------------------------------------------------------------------------------

    def year_keys(self, spec: FieldSpec) -> list[str]:
        return [f"{self.baseline + off}年" for off in spec.years]

    def node(self, spec: FieldSpec) -> dict[str, Any]:
        t = spec.type
        if t == "group":
            return self.describe(spec, self.group(spec))
        if t == "yearly":
            node = self.describe(spec, self.yearly(spec))
            for year in node["properties"].values():  # the hover on `2023年:` says what it is too
                year["description"] = node["description"]
                year["markdownDescription"] = node["markdownDescription"]
            return node
        if t == "names":
            # A one-line name must not be a list run together with 、 (`check` refuses it); a name in
            # a list may contain 、 (学校（…技工学校、…职工大学）).
            items = {"type": _TEXT_TYPES[:-1]}
            node = {"type": ["array", *_TEXT_TYPES], "items": items, "pattern": f"^[^{_NAMES_SEPARATORS}]*$"}
            return self.describe(spec, node)
        if t in ITEM_LIST_TYPES:
            return self.describe(spec, {"type": ["array", "null"], "items": {"$ref": f"#/definitions/{t}"}})
        if t == "part_limits":
            count = {"type": ["integer", "null"], "minimum": 0, "description": _("页数上限（整数）")}
            return self.describe(
                spec,
                {"type": ["object", "null"], "properties": {p: dict(count, title=p) for p in self.form.part_titles()},
                 "additionalProperties": False},
            )
        return self.describe(spec, self.leaf(spec))

    def leaf(self, spec: FieldSpec, parent: FieldSpec | None = None) -> dict[str, Any]:
        t = spec.type
        node: dict[str, Any]
        if t == "choice":
            options = [k for k, _i, _l in self.form.application_types] + [lab for _k, _i, lab in self.form.application_types]
            node = {"enum": [*options, None]}
            labels = {k: lab for k, _i, lab in self.form.application_types}
            full = {lab: k for k, _i, lab in self.form.application_types}
            node["enumDescriptions"] = [labels[o] if o in labels else _("同“{key}”").format(key=full[o]) for o in options] + [""]
        elif t == "yesno":
            node = {"enum": ["是", "否", None]}
        elif t == "date":
            node = {"type": ["string", "null"], "pattern": _DATE_PATTERN}
        elif t in FIGURE_TYPES:
            node = self.figure(spec, parent)
        else:
            node = {"type": list(_TEXT_TYPES)}
        if spec.id == "form_version":
            versions = available_versions()
            node = {"enum": [*versions, *(int(v) for v in versions if v.isdigit()), None]}
        if spec.default is not None:
            node["default"] = spec.default
        return node

    def figure(self, spec: FieldSpec, parent: FieldSpec | None) -> dict[str, Any]:
        number: dict[str, Any] = {"type": ["integer" if spec.type == "count" else "number", "null"], "minimum": 0}
        if spec.type == "percent":
            number["maximum"] = 100
        if _not_applicable(spec, parent):
            return {"anyOf": [number, {"enum": list(NOT_APPLICABLE_MARKS)}]}
        return number

    def group(self, spec: FieldSpec) -> dict[str, Any]:
        node: dict[str, Any] = {
            "type": ["object", "null"],
            "properties": {c.key: self.node(c) for c in spec.children},
            "additionalProperties": False,
        }
        required = [c.key for c in spec.children if c.required]
        if required:
            node["required"] = required
        return node

    def yearly(self, spec: FieldSpec) -> dict[str, Any]:
        assert spec.of is not None
        value = self.leaf(spec.of, spec)
        keys = self.year_keys(spec)
        node: dict[str, Any] = {
            "type": ["object", "null"],
            "properties": {k: dict(value, title=f"{self.fmt(spec.label)}（{k}）") for k in keys},
            # `check` also takes the year without 年 (`2023: 5`); not offered, but not refused.
            "patternProperties": {f"^({'|'.join(k[:-1] for k in keys)})$": value},
            "additionalProperties": False,
        }
        if spec.required:
            node["allOf"] = [{"anyOf": [{"required": [k]}, {"required": [k[:-1]]}]} for k in keys]
        return node

    def item(self, kind: str) -> dict[str, Any]:
        specs = self.form.item_fields[kind]
        node: dict[str, Any] = {
            "type": "object",
            "properties": {s.key: self.describe(s, self.leaf(s)) for s in specs},
            "additionalProperties": False,
        }
        required = [s.key for s in specs if s.required]
        if required:
            node["required"] = required
        return node

    def file(self, spec: FieldSpec) -> dict[str, Any]:
        root = self.group(spec)
        used = sorted({s.type for s in spec.walk() if s.type in ITEM_LIST_TYPES})
        schema: dict[str, Any] = {"$schema": DRAFT, "$comment": _generated_note(self.form, spec), **root}
        schema["title"] = self.fmt(spec.label)
        schema["description"] = "\n".join(x for x in (self.fmt(spec.label), spec.guidance) if x)
        if used:
            schema["definitions"] = {kind: self.item(kind) for kind in used}
        return schema


def _not_applicable(spec: FieldSpec, parent: FieldSpec | None) -> bool:
    # Read with getattr: the attribute is new in the declaration (a parallel change) and may be
    # set on the figure itself or on the yearly field that holds it.
    return bool(getattr(spec, "not_applicable", False) or (parent is not None and getattr(parent, "not_applicable", False)))


def _generated_note(form: FormSpec, spec: FieldSpec) -> str:
    return f"chanjiao: generated from form {form.version} for {spec.key}; regenerate with `chanjiao schema`, do not edit"


def file_schema(form: FormSpec, spec: FieldSpec, baseline: int | None = None) -> dict[str, Any]:
    """The JSON Schema of one YAML content file; year keys follow `baseline` (default: the form's)."""
    return _Builder(form, form.baseline_year if baseline is None else baseline).file(spec)


def schema_texts(form: FormSpec, baseline: int | None = None) -> dict[str, str]:
    """Every schema file of a content repo, by relative path, as the text written to disk."""
    return {
        schema_path(spec): json.dumps(file_schema(form, spec, baseline), ensure_ascii=False, indent=2) + "\n"
        for spec in yaml_files(form)
    }


def yaml_schema_settings(form: FormSpec) -> dict[str, list[str]]:
    """VS Code's `yaml.schemas`: each schema (workspace-relative) → the globs of the file it describes.

    Each file is given twice, as written and percent-encoded: VS Code names a document by its
    encoded URI (项目.yaml → %E9%A1%B9%E7%9B%AE.yaml) and yaml-language-server 1.25 matches the
    globs against that URI as it is, so the Chinese glob alone never matches (measured with the
    real server, tests/test_editor_lsp.py); a server that decodes the URI first matches the Chinese
    one. A leading `/` anchors the glob at a folder boundary (the server makes it `**/<file>`).
    """
    return {schema_path(spec): ["/" + spec.key, "/" + quote(spec.key)] for spec in yaml_files(form)}
