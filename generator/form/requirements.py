"""What the code reads from a form declaration by path, so a declaration that lacks it fails to load.

Rules and renderers look values up by dotted path ("overview.funding_total.y1"). A declaration that
renamed such a field used to make the rule skip in silence: a 2025 form with `funding_total` spelt
differently let any mismatch pass. Every reader therefore declares here the paths it reads and of
what type; `validate_form` (run by `load_form`) refuses a declaration that lacks one, naming the
field and the reader. Rules register next to their own code (`check/rules.py`); the other readers,
which live in modules above the form layer, are listed in `CODE_READS` below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from generator.errors import ToolError
from generator.form.types import FIGURE_TYPES, FieldType
from generator.i18n import _


# What this module reads of the declaration's specs (declaration.py imports this module, so it
# cannot import declaration's classes back without a cycle).
class FieldSpec(Protocol):
    """The part of `declaration.FieldSpec` a requirement checks."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> FieldType: ...
    @property
    def of(self) -> FieldSpec | None: ...
    @property
    def years(self) -> tuple[int, ...]: ...


class _Document(Protocol):
    @property
    def id(self) -> str: ...


class FormSpec(Protocol):
    """The part of `declaration.FormSpec` a requirement checks."""

    @property
    def version(self) -> str: ...
    @property
    def item_fields(self) -> Mapping[str, Sequence[FieldSpec]]: ...
    @property
    def documents(self) -> Sequence[_Document]: ...
    def by_path(self) -> Mapping[str, FieldSpec]: ...


@dataclass(frozen=True)
class Need:
    """One path a reader needs: the declared node and what it must be.

    `path` is a spec path ("overview.funding_total"), or "units.name" for an item field (the
    first part names the `item_fields` list). For a yearly node, `of` is what each year must be
    and `years` the offsets the reader takes (y1 → 1)."""

    path: str
    types: frozenset[FieldType]
    of: frozenset[FieldType] = frozenset()
    years: tuple[int, ...] = ()


def need(path: str, *types: FieldType) -> Need:
    """A node at `path` of one of `types`."""
    return Need(path, frozenset(types))


def yearly(path: str, of: Iterable[FieldType], years: tuple[int, ...] = ()) -> Need:
    """A yearly node at `path` whose years are `of`, declared for at least `years`."""
    return Need(path, frozenset({FieldType.YEARLY}), frozenset(of), years)


def figure(path: str) -> Need:
    """A single figure (count, amount, percent or area) at `path`."""
    return Need(path, FIGURE_TYPES)


#: reader id → the paths it reads. Rules add themselves with `reads`; see CODE_READS for the rest.
REGISTRY: dict[str, tuple[Need, ...]] = {}

_F = TypeVar("_F", bound=Callable[..., object])


def reads(reader: str, *needs: Need) -> Callable[[_F], _F]:
    """Decorator: the rule `reader` reads `needs`; a form without them fails to load."""

    def register(fn: _F) -> _F:
        REGISTRY[reader] = tuple(needs)
        return fn

    return register


_T = FieldType
#: Paths read by code outside the rules (the modules above the form layer cannot be imported here).
CODE_READS: dict[str, tuple[Need, ...]] = {
    "loader": (need("project.form_version", _T.TEXT), need("project.baseline_year", _T.COUNT)),
    "documents": (
        need("basics.name", _T.TEXT),
        need("project.output_names", _T.GROUP),
        need("project.output_names.package", _T.TEXT),
    ),
    "pipeline": (
        need("project.fonts_dir", _T.TEXT),
        need("project.page_limits.parts", _T.PART_LIMITS),
        need("attachments.items", _T.ATTACHMENTS),
        need("attachments.file", _T.TEXT),
        need("attachments.title", _T.TEXT),
    ),
    "word.context": (
        need("basics.plan_date", _T.DATE),
        need("basics.application_type", _T.CHOICE),
        need("overview.members", _T.GROUP),
        # the summary table's row (`summary_row`) and the 推荐书's member rows
        need("basics.name", _T.TEXT),
        need("basics.lead_department", _T.NAMES),
        need("basics.lead_park", _T.TEXT),
        need("basics.lead_enterprises", _T.NAMES),
        need("overview.council", _T.NAMES),
        need("overview.secretariat.members", _T.NAMES),
        *(need(f"overview.members.{k}", _T.UNITS) for k in ("parks", "enterprises", "schools", "institutes")),
        need("units.name", _T.TEXT),
        need("units.contact", _T.TEXT),
        need("units.phone", _T.TEXT),
        need("project.layout.plan_mark", _T.TEXT),
        need("project.layout.recommendation_mark", _T.TEXT),
        need("project.layout.blank_after_cover", _T.YESNO),
    ),
}


def _lookup(form: FormSpec, paths: Mapping[str, FieldSpec], path: str) -> FieldSpec | None:
    spec = paths.get(path)
    if spec is not None:
        return spec
    kind, _sep, field_id = path.partition(".")
    return next((s for s in form.item_fields.get(kind, ()) if s.id == field_id), None)


def _problem(form: FormSpec, paths: Mapping[str, FieldSpec], reader: str, n: Need) -> str | None:
    spec = _lookup(form, paths, n.path)
    where = _("表格声明 {version}").format(version=form.version)
    if spec is None:
        return _("{where}：缺少 {reader} 所需的字段 {path}").format(where=where, reader=reader, path=n.path)
    if spec.type not in n.types:
        return _("{where}：{reader} 所需的字段 {path} 应为 {expected} 类型，现为 {found}").format(
            where=where, reader=reader, path=n.path, expected="/".join(sorted(n.types)), found=spec.type
        )
    if n.of and (spec.of is None or spec.of.type not in n.of):
        return _("{where}：{reader} 所需的字段 {path} 每年应为 {expected} 类型，现为 {found}").format(
            where=where, reader=reader, path=n.path, expected="/".join(sorted(n.of)), found=spec.of.type if spec.of else "—"
        )
    lacking = [y for y in n.years if y not in spec.years]
    if lacking:
        return _("{where}：{reader} 所需的字段 {path} 缺少年份 {years}").format(
            where=where, reader=reader, path=n.path, years="、".join(f"y{y}" for y in lacking)
        )
    return None


def declaration_problems(form: FormSpec) -> list[str]:
    """Every path a reader needs that `form` lacks or declares with another type."""
    readers = {**{f"规则 {k}": v for k, v in REGISTRY.items()}, **{f"{k} 代码": v for k, v in CODE_READS.items()}}
    # Each document's file name is read from 项目.yaml › 输出文件名 › <its title>, by id.
    names = tuple(need(f"project.output_names.{d.id}", _T.TEXT) for d in form.documents)
    readers["documents 代码"] = (*readers["documents 代码"], *names)
    paths = form.by_path()
    return [p for reader, needs in readers.items() for n in needs if (p := _problem(form, paths, reader, n)) is not None]


def validate_form(form: FormSpec) -> None:
    """Raise a tool error listing every path `form` lacks: a declaration error, not content."""
    problems = declaration_problems(form)
    if problems:
        raise ToolError("\n".join(problems))
