"""The official form as data: the declaration in `form/rounds/<version>.yaml`, read into typed specs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

FORMS_DIR = Path(__file__).parent / "rounds"
DEFAULT_VERSION = "2024"

#: Node types whose value is a single figure (a number the form prints with its unit).
FIGURE_TYPES = frozenset({"count", "amount", "percent", "area"})
#: Node types whose value is a list of mappings declared in `item_fields`.
ITEM_LIST_TYPES = frozenset({"units", "people", "attachments"})
NODE_TYPES = frozenset(
    {"group", "text", "date", "choice", "yesno", "names", "yearly", "prose", "part_limits"} | FIGURE_TYPES | ITEM_LIST_TYPES
)
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
    type: str
    path: str  # dotted English path from the root, e.g. "overview.secretariat.office_area"
    unit: str = ""
    limit: int | None = None
    required: bool = True
    footnote: str = ""
    footnote_year: str = ""
    guidance: str = ""
    years: tuple[int, ...] = ()
    of: FieldSpec | None = None
    children: tuple[FieldSpec, ...] = ()
    headings: tuple[Heading, ...] = ()
    summary_table: bool = False
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
class FormSpec:
    """The whole declaration of one form version."""

    version: str
    title: str
    baseline_year: int
    files: tuple[FieldSpec, ...]
    item_fields: dict[str, tuple[FieldSpec, ...]]
    application_types: tuple[tuple[str, str, str], ...]  # (key, id, label)
    footnotes: dict[str, str] = field(default_factory=dict)

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
                if s.limit is not None or s.type == "yearly" and s.of is not None and s.of.limit is not None:
                    yield s


def year_labels(baseline: int) -> dict[str, int]:
    """The placeholders a label may use: {y0} is the baseline year, {y1} the next…"""
    return {f"y{i}": baseline + i for i in range(0, 6)}


def format_label(label: str, baseline: int) -> str:
    """The label as printed for a given baseline year."""
    return label.format(**year_labels(baseline)) if "{" in label else label


def _node(raw: dict, parent_path: str) -> FieldSpec:
    unknown = set(raw) - {
        "key", "id", "label", "type", "unit", "limit", "required", "footnote", "footnote_year",
        "guidance", "years", "of", "children", "headings", "summary_table", "default",
    }
    if unknown:
        raise ValueError(f"form declaration: unknown attribute(s) {sorted(unknown)} in {raw.get('key')}")
    if raw["type"] not in NODE_TYPES:
        raise ValueError(f"form declaration: unknown type {raw['type']!r} in {raw['key']}")
    path = f"{parent_path}.{raw['id']}" if parent_path else raw["id"]
    of = raw.get("of")
    return FieldSpec(
        key=raw["key"],
        id=raw["id"],
        label=raw.get("label", raw["key"]),
        type=raw["type"],
        path=path,
        unit=raw.get("unit", ""),
        limit=raw.get("limit"),
        required=raw.get("required", True),
        footnote=raw.get("footnote", ""),
        footnote_year=raw.get("footnote_year", ""),
        guidance=raw.get("guidance", ""),
        years=tuple(raw.get("years", ())),
        of=_node({"key": raw["key"], "id": "value", "label": raw.get("label", raw["key"]), **of}, path)
        if of
        else None,
        children=tuple(_node(c, path) for c in raw.get("children", ())),
        headings=tuple(Heading(**h) for h in raw.get("headings", ())),
        summary_table=raw.get("summary_table", False),
        default=None if raw.get("default") is None else str(raw["default"]),
    )


@cache
def load_form(version: str = DEFAULT_VERSION) -> FormSpec:
    """Read the declaration of form `version` shipped with the package."""
    src_path = FORMS_DIR / f"{version}.yaml"
    raw = yaml.load(src_path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return FormSpec(
        version=str(raw["version"]),
        title=raw["title"],
        baseline_year=int(raw["baseline_year"]),
        files=tuple(_node(f, "") for f in raw["files"]),
        item_fields={k: tuple(_node(f, k) for f in v) for k, v in raw["item_fields"].items()},
        application_types=tuple((t["key"], t["id"], t["label"]) for t in raw["application_types"]),
        footnotes=dict(raw.get("footnotes", {})),
    )


def available_versions() -> list[str]:
    """The form versions this installation knows."""
    return sorted(p.stem for p in FORMS_DIR.glob("*.yaml"))
