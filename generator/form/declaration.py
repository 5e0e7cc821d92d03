"""The official form as data: the declaration in `form/rounds/<version>.yaml`, read into typed specs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from generator.errors import ToolError
from generator.form.requirements import validate_form
from generator.form.types import FIGURE_TYPES, ITEM_LIST_TYPES, FieldType
from generator.i18n import _

__all__ = ["FIGURE_TYPES", "ITEM_LIST_TYPES", "FieldType"]

FORMS_DIR = Path(__file__).parent / "rounds"
DEFAULT_VERSION = "2024"
#: The one file every content folder has, under this name in every round: it says which round
#: (表格版本) the rest of the folder follows, so its name cannot come from a round's declaration.
PROJECT_FILE = "项目.yaml"
#: The attributes a node of the declaration may have; the YAML header documents each of them
#: (a test compares the two).
NODE_ATTRIBUTES = frozenset(
    {"key", "id", "label", "type", "unit", "limit", "required", "not_applicable", "choices", "footnote", "footnote_year", "guidance",
     "years", "of", "children", "headings", "default", "each_indicator"}
)
#: What a team may write for a figure the declaration allows to be not applicable (`/` first:
#: the form's own convention for an empty cell).
NOT_APPLICABLE_MARKS = ("/", "／", "无", "不适用", "—", "——")
_PART_TITLE = re.compile(r"^(\d+\.|[一二三四五六七八九十]+、)")


@dataclass(frozen=True)
class Heading:
    """A fixed sub-heading of a plan section, as the official outline prints it."""

    title: str
    guidance: str = ""


@dataclass(frozen=True)
class FieldSpec:
    """One field (or group, or content file) of the official form."""

    key: str
    id: str
    label: str
    type: FieldType
    path: str  # dotted English path from the root, e.g. "overview.secretariat.office_area"
    unit: str = ""
    limit: int | None = None
    required: bool = True
    #: a figure the team may write as `/` (无, 不适用, —): the form's optional and
    #: consortium-dependent figures
    not_applicable: bool = False
    #: the values a text field accepts (类别: 中职, 高职 …); empty for free text
    choices: tuple[str, ...] = ()
    #: the footnote (an id in the form's `footnotes`) printed after the label; for a yearly node,
    #: `footnote_year` is printed after its first year's heading. The recommendation's template
    #: places them; the load checks each names a declared footnote and each footnote is placed once.
    footnote: str = ""
    footnote_year: str = ""
    guidance: str = ""
    years: tuple[int, ...] = ()
    of: FieldSpec | None = None
    children: tuple[FieldSpec, ...] = ()
    headings: tuple[Heading, ...] = ()
    #: what the documents print when the key is absent (written empty, the field prints nothing)
    default: str | None = None

    def child(self, key: str) -> FieldSpec | None:
        """The child declared under YAML key `key`, if any."""
        for c in self.children:
            if c.key == key:
                return c
        return None

    def walk(self) -> Iterator[FieldSpec]:
        """This spec and every spec below it, depth first, in form order."""
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass(frozen=True)
class IndicatorSpec:
    """One observation point of 附件2 市域产教联合体建设指标, or its deduction rule 7.其他."""

    id: str  #: "3.2"; "7" for 其他
    group: str  #: the group's number, "3"
    group_title: str  #: 共建共享
    text: str  #: the official wording, verbatim
    #: the dotted paths of the 推荐书 fields that bear on it
    fields: tuple[str, ...] = ()
    #: for a point no prose addresses (7.其他): the path of the field where the team declares it
    declaration: str = ""
    #: the path of the team's one-line 自评说明 (自评.yaml), if the form has one
    note: str = ""

    @property
    def label(self) -> str:
        """How the report names it: "3.2" or "7.其他"."""
        return f"{self.id}.{self.group_title}" if self.id == self.group else self.id


@dataclass(frozen=True)
class DocumentSpec:
    """One official document the round asks for: its template, default file name and sources."""

    id: str
    title: str
    template: str
    default_name: str
    #: the content files (a file, or a folder ending in "/") whose change means a rebuild
    reads: tuple[str, ...]


@dataclass(frozen=True)
class SummaryTableSpec:
    """The summary table's printed title and header, as the official form prints them."""

    title: str
    columns: dict[str, str]  #: header label by column id (the keys of context.summary_row)
    group_label: str  #: the heading over `group_columns` (参与单位)
    group_columns: tuple[str, ...]

    def context(self) -> dict[str, object]:
        """What the templates print: `summary_table.title`, `.header.<id>`, `.group`."""
        return {"title": self.title, "header": dict(self.columns), "group": self.group_label}


@dataclass(frozen=True)
class FormSpec:
    """The whole declaration of one form version."""

    version: str
    title: str
    baseline_year: int
    files: tuple[FieldSpec, ...]
    item_fields: dict[str, tuple[FieldSpec, ...]]
    application_types: tuple[tuple[str, str, str], ...]  # (key, id, label)
    footnotes: dict[str, str] = field(default_factory=dict)
    documents: tuple[DocumentSpec, ...] = ()
    #: the package's default file name ({联合体名称} is replaced)
    package_name: str = ""
    #: the font family the documents' body text asks for (the font check and doctor look for it)
    body_font: str = ""
    #: the plan's heading number by Markdown level (# first): {cn} Chinese numerals, {n} digits
    heading_numbers: tuple[str, ...] = ()
    #: 表 重庆市市域产教联合体建设方案: title, header label by column id, the group heading
    summary_table: SummaryTableSpec | None = None
    #: 附件2's observation points, in order (1.1 … 6.3, then 7)
    indicators: tuple[IndicatorSpec, ...] = ()

    def heading_number(self, level: int, n: int) -> str:
        """The printed number of the `n`th heading at Markdown `level`: （一）, 1., （1）, as
        `heading_numbers` say (deeper levels take the last format)."""
        formats = self.heading_numbers
        return formats[min(level, len(formats)) - 1].format(n=n, cn=chinese_numeral(n))

    def indicator(self, id_: str) -> IndicatorSpec | None:
        """The indicator with id `id_` ("3.2"), if the form has one."""
        return next((i for i in self.indicators if i.id == id_), None)

    def file(self, id_: str) -> FieldSpec:
        """The content file declared with English id `id_`."""
        for f in self.files:
            if f.id == id_:
                return f
        raise KeyError(id_)

    def by_path(self) -> dict[str, FieldSpec]:
        """Every spec by its dotted English path."""
        return {s.path: s for f in self.files for s in f.walk()}

    def part_titles(self) -> list[str]:
        """The numbered parts of the documents (一、创建条件 … 4.建设规划), as their headings print."""
        return [f.label for f in self.files if _PART_TITLE.match(f.label)]

    def limited_fields(self) -> Iterator[FieldSpec]:
        """Every text or prose field that has a 字数 limit, in form order."""
        for f in self.files:
            for s in f.walk():
                if s.limit is not None or s.type is FieldType.YEARLY and s.of is not None and s.of.limit is not None:
                    yield s


_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """`n` in Chinese numerals as headings count: 一 … 十, 十一 … 九十九."""
    if n < 10:
        return _DIGITS[n]
    if n >= 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def year_labels(baseline: int) -> dict[str, int]:
    """The placeholders a label may use: {y0} is the baseline year, {y1} the next…"""
    return {f"y{i}": baseline + i for i in range(0, 6)}


def format_label(label: str, baseline: int) -> str:
    """The label as printed for a given baseline year."""
    return label.format(**year_labels(baseline)) if "{" in label else label


def _node(raw: dict, parent_path: str) -> FieldSpec:
    unknown = set(raw) - NODE_ATTRIBUTES
    if unknown:
        raise ToolError(_("表格声明：{key} 有未知的属性 {names}").format(key=raw.get("key"), names="、".join(sorted(unknown))))
    if raw["type"] not in FieldType.__members__.values():
        raise ToolError(_("表格声明：{key} 的类型“{type}”未知").format(key=raw["key"], type=raw["type"]))
    path = f"{parent_path}.{raw['id']}" if parent_path else raw["id"]
    of = raw.get("of")
    spec = FieldSpec(
        key=raw["key"],
        id=raw["id"],
        label=raw.get("label", raw["key"]),
        type=FieldType(raw["type"]),
        path=path,
        unit=raw.get("unit", ""),
        limit=raw.get("limit"),
        required=raw.get("required", True),
        not_applicable=bool(raw.get("not_applicable", False)),
        choices=tuple(str(c) for c in raw.get("choices", ())),
        footnote=raw.get("footnote", ""),
        footnote_year=raw.get("footnote_year", ""),
        guidance=raw.get("guidance", ""),
        years=tuple(raw.get("years", ())),
        of=_node({"key": raw["key"], "id": "value", "label": raw.get("label", raw["key"]), **of}, path)
        if of
        else None,
        children=tuple(_node(c, path) for c in raw.get("children", ())),
        headings=tuple(Heading(**h) for h in raw.get("headings", ())),
        default=None if raw.get("default") is None else str(raw["default"]),
    )
    _check_not_applicable(spec)
    return spec


def _check_not_applicable(spec: FieldSpec) -> None:
    """`not_applicable` is for figures (or yearly figures) only: a text has no "/" reading."""
    if not spec.not_applicable:
        return
    figure = spec.type in FIGURE_TYPES or spec.type is FieldType.YEARLY and spec.of is not None and spec.of.type in FIGURE_TYPES
    if not figure:
        raise ToolError(_("表格声明：{key} 不是数字栏目，不能声明 not_applicable").format(key=spec.key))


def _check_footnotes(form: FormSpec) -> FormSpec:
    """Every footnote is attached to exactly one node, and every attachment names a footnote."""
    placed = [
        (s.key, note) for s in form.by_path().values() for note in (s.footnote, s.footnote_year) if note
    ]
    for key, note in placed:
        if note not in form.footnotes:
            raise ToolError(_("表格声明：{key} 的脚注“{note}”未在 footnotes 中声明").format(key=key, note=note))
    for note in form.footnotes:
        count = sum(1 for _k, n in placed if n == note)
        if count != 1:
            raise ToolError(_("表格声明：脚注“{note}”应附在一个栏目上，现为 {count} 个").format(note=note, count=count))
    return form


def _form(raw: dict) -> FormSpec:
    return _check_footnotes(_form_spec(raw))


def _note_id(indicator_id: str) -> str:
    return "i" + indicator_id.replace(".", "_")


def _indicators(raw: dict) -> list[dict]:
    """The indicators as raw dicts, flattened from their groups (group number and title added)."""
    return [
        {**item, "group": str(g["group"]), "group_title": g["title"]}
        for g in raw.get("indicators", ())
        for item in g["items"]
    ]


def _expand_each_indicator(node: dict, indicators: list[dict]) -> dict:
    """`node` with `each_indicator` replaced by one child per indicator that is not a declaration."""
    children = [_expand_each_indicator(c, indicators) for c in node.get("children", ())]
    per = node.get("each_indicator")
    if per is not None:
        children += [
            {**per, "key": i["id"], "id": _note_id(str(i["id"])), "label": f"{i['id']} {node.get('label', node['key'])}",
             "guidance": i["text"]}
            for i in indicators
            if not i.get("declaration")
        ]
    out = {k: v for k, v in node.items() if k != "each_indicator"}
    if children:
        out["children"] = children
    return out


def _indicator_specs(raw: dict, files: tuple[FieldSpec, ...]) -> tuple[IndicatorSpec, ...]:
    notes = {s.key: s.path for f in files for s in f.walk() if s.id == _note_id(s.key)}
    return tuple(
        IndicatorSpec(
            id=str(i["id"]),
            group=i["group"],
            group_title=i["group_title"],
            text=i["text"],
            fields=tuple(i.get("fields", ())),
            declaration=i.get("declaration", ""),
            note=notes.get(str(i["id"]), ""),
        )
        for i in _indicators(raw)
    )


def _check_indicators(form: FormSpec) -> FormSpec:
    """Indicator ids are unique, and every field an indicator names is declared."""
    paths = form.by_path()
    seen: set[str] = set()
    for ind in form.indicators:
        if ind.id in seen:
            raise ToolError(_("表格声明：指标 {id} 重复").format(id=ind.id))
        seen.add(ind.id)
        for path in (*ind.fields, *([ind.declaration] if ind.declaration else [])):
            if path not in paths:
                raise ToolError(_("表格声明：指标 {id} 所列的字段 {path} 未声明").format(id=ind.id, path=path))
    return form


def _form_spec(raw: dict) -> FormSpec:
    files = tuple(_node(_expand_each_indicator(f, _indicators(raw)), "") for f in raw["files"])
    return FormSpec(
        version=str(raw["version"]),
        title=raw["title"],
        baseline_year=int(raw["baseline_year"]),
        files=files,
        indicators=_indicator_specs(raw, files),
        item_fields={k: tuple(_node(f, k) for f in v) for k, v in raw["item_fields"].items()},
        application_types=tuple((t["key"], t["id"], t["label"]) for t in raw["application_types"]),
        footnotes=dict(raw.get("footnotes", {})),
        documents=tuple(
            DocumentSpec(d["id"], d["title"], d["template"], d["output_name"], tuple(d["reads"])) for d in raw["documents"]
        ),
        package_name=raw["package_name"],
        body_font=raw["body_font"],
        heading_numbers=tuple(_number_format(f) for f in raw["heading_numbers"]),
        summary_table=SummaryTableSpec(
            title=raw["summary_table"]["title"],
            columns=dict(raw["summary_table"]["columns"]),
            group_label=raw["summary_table"]["group"]["label"],
            group_columns=tuple(raw["summary_table"]["group"]["columns"]),
        ),
    )


def _number_format(text: str) -> str:
    """A heading number format, refused at load if it names anything but {n} and {cn}."""
    try:
        text.format(n=1, cn="一")
    except (KeyError, IndexError, ValueError) as exc:
        raise ToolError(_("表格声明：标题编号格式“{format}”只能使用 {{n}} 和 {{cn}}").format(format=text)) from exc
    return text


def load_form_file(src_path: Path) -> FormSpec:
    """Read and check the declaration at `src_path`: a declaration that lacks a path the code
    reads, or declares it with another type, is a tool error naming the field and its reader."""
    raw = yaml.load(src_path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    try:
        form = _form(raw)
    except (KeyError, TypeError) as exc:
        raise ToolError(_("表格声明 {path}：缺少或写错了 {what}").format(path=src_path.name, what=exc)) from exc
    validate_form(form)  # first: a field the code reads names its reader
    return _check_indicators(form)


@cache
def load_form(version: str = DEFAULT_VERSION) -> FormSpec:
    """Read the declaration of form `version` shipped with the package."""
    return load_form_file(FORMS_DIR / f"{version}.yaml")


def available_versions() -> list[str]:
    """The form versions this installation knows."""
    return sorted(p.stem for p in FORMS_DIR.glob("*.yaml"))
