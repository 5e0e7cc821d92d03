"""The change table: every field that differs between two applications, by the form's own labels."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypedDict

from generator.core.counting import count_words
from generator.diff import coverage as cov
from generator.diff.coverage import CoverageChange
from generator.diff.textdiff import chars_added_removed, emphasis_changed, words_added_removed
from generator.form.declaration import FIGURE_TYPES, ITEM_LIST_TYPES, FieldSpec
from generator.i18n import _
from generator.model import (
    Application,
    Heading,
    Item,
    ListBlock,
    ListValue,
    Paragraph,
    Prose,
    Span,
    Table,
    Value,
    block_texts,
    spans_text,
)
from generator.word.context import format_value

#: What a row is about: a figure, a short text, an entry of a list, or a prose part.
KINDS = ("figure", "text", "list", "prose", "format")
_SHORT = 40  # texts up to this many characters are shown whole, old and new


@dataclass(frozen=True)
class Change:
    """One changed field: where the form puts it, and what it was and is."""

    part: str  # the part of the form (the content file's label), e.g. "2.服务能力"
    field: str  # the field as the form labels it, with the year or the list entry
    kind: str  # one of KINDS
    old: str | None  # the value as printed, None when absent (figures, short texts, list entries)
    new: str | None
    unit: str = ""
    added: int = 0  # 字 added (Word's count; texts and prose)
    removed: int = 0  # 字 removed
    chars_added: int = 0  # non-space characters added, shown beside the 字
    chars_removed: int = 0
    format_changed: bool = False  # bold or italic changed on kept text (alone: kind "format")
    words_before: int | None = None  # 字数 before and after, for texts and prose
    words_after: int | None = None
    limit: int | None = None
    path: str = ""  # the declaration's path, e.g. "capacity.resources.majors.y0"
    location: str = ""  # where the new value is written (the old one when it was removed)

    @property
    def over_limit(self) -> bool:
        """True when the new text exceeds its 字数 limit."""
        return self.limit is not None and self.words_after is not None and self.words_after > self.limit


@dataclass
class ChangeTable:
    """Every change between revision A and revision B, and what could not be compared."""

    a_label: str
    b_label: str
    rows: list[Change] = field(default_factory=list)
    #: notes on what was left out (a part that fails validation at one revision, a document
    #: that could not be rendered), in the user's language
    skipped: list[str] = field(default_factory=list)
    #: the 附件2 观测点 whose evidence differs (gained, lost, 字数 moved): a tag-only edit shows here alone
    coverage: list[CoverageChange] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        """True when nothing compared differs, neither a field nor an indicator's evidence."""
        return not self.rows and not self.coverage


def _text(v: Value | ListValue | None) -> str | None:
    if isinstance(v, Value) and v.present:
        return format_value(v.value)
    return None


def _renames(old: dict[str, Item], new: dict[str, Item], rest: tuple[FieldSpec, ...]) -> dict[str, str]:
    """Entries whose name alone changed (every other field the same and something in them):
    a rename, not one entry removed and another added."""
    def signature(item: Item) -> tuple[str, ...]:
        return tuple(format_value(item.get(s.id)) for s in rest)

    came = [n for n in new if n not in old]
    out: dict[str, str] = {}
    for name in (n for n in old if n not in new):
        sig = signature(old[name])
        match = next((c for c in came if any(sig) and signature(new[c]) == sig and c not in out.values()), None)
        if match is not None:
            out[name] = match
    return out


class _Comparer:
    def __init__(self, a: Application, b: Application):
        self.a, self.b = a, b
        self.choices = {id_: label for _k, id_, label in b.form.application_types}

    def label(self, spec: FieldSpec) -> str:
        return self.b.label(spec)

    def where(self, path: str) -> str:
        v = self.b.values.get(path) or self.a.values.get(path)
        return str(v.loc) if v is not None else ""

    def leaf(self, part: str, spec: FieldSpec, path: str, field_label: str) -> Iterator[Change]:
        va, vb = self.a.values.get(path), self.b.values.get(path)
        old, new = _text(va if isinstance(va, Value) else None), _text(vb if isinstance(vb, Value) else None)
        if spec.type == "choice":
            old, new = self.choices.get(old or "", old), self.choices.get(new or "", new)
        if old == new:
            return
        if spec.type in FIGURE_TYPES:
            yield Change(part, field_label, "figure", old, new, unit=spec.unit, path=path, location=self.where(path))
            return
        delta = _delta(old or "", new or "")
        limited = spec.limit is not None
        yield Change(
            part, field_label, "text", old, new,
            **delta,
            words_before=count_words(old or "").words if limited else None,
            words_after=count_words(new or "").words if limited else None,
            limit=spec.limit, path=path, location=self.where(path),
        )

    def names(self, part: str, spec: FieldSpec, trail: str) -> Iterator[Change]:
        def entries(app: Application) -> dict[str, str]:
            return {t: str(i.loc) for i in self._items(app, spec.path) if isinstance(i, Value) for t in [_text(i)] if t}

        yield from self._entries(part, spec, trail, entries(self.a), entries(self.b))

    def _entries(self, part: str, spec: FieldSpec, trail: str, old: dict[str, str], new: dict[str, str]) -> Iterator[Change]:
        """Entries removed and added (by name), and a change of order among those kept."""
        for name, where in old.items():
            if name not in new:
                yield Change(part, trail, "list", name, None, path=spec.path, location=where)
        for name, where in new.items():
            if name not in old:
                yield Change(part, trail, "list", None, name, path=spec.path, location=where)
        kept_old, kept_new = [n for n in old if n in new], [n for n in new if n in old]
        if kept_old != kept_new:
            where = self.where(spec.path)
            yield Change(part, trail, "list", "、".join(kept_old), "、".join(kept_new), path=spec.path, location=where)

    @staticmethod
    def _items(app: Application, path: str) -> tuple:
        v = app.values.get(path)
        return v.items if isinstance(v, ListValue) else ()

    def items(self, part: str, spec: FieldSpec, trail: str) -> Iterator[Change]:
        fields = self.b.form.item_fields[spec.type]
        key_id = fields[0].id

        def keyed(app: Application) -> dict[str, Item]:
            out: dict[str, Item] = {}
            for n, item in enumerate(self._items(app, spec.path), start=1):
                if isinstance(item, Item):
                    name = format_value(item.get(key_id)) or f"#{n}"
                    out[name if name not in out else f"{name}（{n}）"] = item
            return out

        old, new = keyed(self.a), keyed(self.b)
        renamed = _renames(old, new, fields[1:])
        for old_name, new_name in renamed.items():
            delta = _delta(old_name, new_name)
            key_value = new[new_name].fields.get(key_id)
            yield Change(
                part, f"{trail} › {new_name} › {fields[0].label}", "text", old_name, new_name,
                **delta, path=f"{spec.path}.{key_id}",
                location=str(key_value.loc if key_value else new[new_name].loc),
            )
        old = {renamed.get(k, k): v for k, v in old.items()}
        yield from self._entries(part, spec, trail, {k: str(i.loc) for k, i in old.items()}, {k: str(i.loc) for k, i in new.items()})
        for name, item_b in new.items():
            item_a = old.get(name)
            if item_a is None:
                continue
            for s in fields[1:]:
                a_text, b_text = format_value(item_a.get(s.id)) or None, format_value(item_b.get(s.id)) or None
                if a_text != b_text:
                    loc = item_b.fields.get(s.id) or item_a.fields.get(s.id)
                    delta = _delta(a_text or "", b_text or "")
                    yield Change(
                        part, f"{trail} › {name} › {s.label}", "text", a_text, b_text,
                        **delta,
                        path=f"{spec.path}.{s.id}", location=str(loc.loc) if loc else str(item_b.loc),
                    )

    def node(self, part: str, spec: FieldSpec, trail: tuple[str, ...]) -> Iterator[Change]:
        here = " › ".join((*trail, self.label(spec)))
        t = spec.type
        if t == "group":
            for child in spec.children:
                yield from self.node(part, child, (*trail, self.label(spec)))
        elif t == "yearly":
            assert spec.of is not None
            for off in spec.years:
                yield from self.leaf(part, spec.of, f"{spec.path}.y{off}", f"{here}（{self.b.year(off)}年）")
        elif t == "names":
            yield from self.names(part, spec, here)
        elif t in ITEM_LIST_TYPES:
            yield from self.items(part, spec, here)
        else:
            yield from self.leaf(part, spec, spec.path, here)

    def prose(self, part: str, spec: FieldSpec) -> Iterator[Change]:
        pa, pb = self.a.prose.get(spec.path), self.b.prose.get(spec.path)
        old, new = (pa.text() if pa else ""), (pb.text() if pb else "")
        if old == new:
            if _emphasis(pa) != _emphasis(pb):
                either = pb or pa
                yield Change(part, part, "format", None, None, path=spec.path, location=str(either.loc) if either else spec.key)
            return
        delta = _delta(old, new)
        either = pb or pa
        yield Change(
            part, part, "prose", None, None,
            **delta, format_changed=emphasis_changed(list(_emphasis(pa)), list(_emphasis(pb))),
            words_before=count_words(old).words, words_after=count_words(new).words,
            limit=spec.limit, path=spec.path, location=str(either.loc) if either is not None else spec.key,
        )
        yield from self.sections(part, spec, _sections(pa), _sections(pb))

    def sections(self, part: str, spec: FieldSpec, old: dict[str, tuple[str, str]], new: dict[str, tuple[str, str]]) -> Iterator[Change]:
        """Under a prose part's row, a row per section (by its headings) that changed."""
        if set(old) | set(new) <= {""}:
            return  # no headings: the part's own row says it all
        gone = {k: v for k, v in old.items() if k not in new}
        renamed = {k: next((n for n, (t, _w) in new.items() if n not in old and t == text and text), None) for k, (text, _w) in gone.items()}
        for key, (text_b, where) in new.items():
            text_a = old[key][0] if key in old else None
            was = next((k for k, n in renamed.items() if n == key), None)
            if text_a == text_b or (text_a is None and was is not None):
                if was is not None:
                    yield Change(part, key, "prose", was, key, path=spec.path, location=where)
                continue
            delta = _delta(text_a or "", text_b)
            yield Change(part, key or _("（首个标题前）"), "prose", None, key if text_a is None else None, **delta, path=spec.path, location=where)
        for key, (text_a, where) in gone.items():
            if renamed[key] is None:
                yield Change(part, key, "prose", key, None, **_delta(text_a, ""), path=spec.path, location=where)


class _Delta(TypedDict):
    added: int
    removed: int
    chars_added: int
    chars_removed: int


def _delta(old: str, new: str) -> _Delta:
    """What a text edit adds and removes, in 字 and in characters."""
    added, removed = words_added_removed(old, new)
    chars_added, chars_removed = chars_added_removed(old, new)
    return {"added": added, "removed": removed, "chars_added": chars_added, "chars_removed": chars_removed}


def _emphasis(prose: Prose | None) -> tuple[tuple[str, bool, bool], ...]:
    """Every span of a prose part with its bold and italic: what a format-only edit changes."""
    if prose is None:
        return ()
    out: list[tuple[str, bool, bool]] = []

    def spans(items: tuple[Span, ...]) -> None:
        out.extend((s.text, s.bold, s.italic) for s in items)

    def walk_list(block: ListBlock) -> None:
        for item in block.items:
            spans(item.spans)
            for child in item.children:
                walk_list(child)

    for block in prose.blocks:
        if isinstance(block, Heading | Paragraph):
            spans(block.spans)
        elif isinstance(block, ListBlock):
            walk_list(block)
        elif isinstance(block, Table):
            for row in (block.header, *block.rows):
                for cell in row:
                    spans(cell)
    return tuple(out)


def _sections(prose: Prose | None) -> dict[str, tuple[str, str]]:
    """A prose part's text by section: its headings' path ("基本情况 › 牵头企业") → (text, where)."""
    if prose is None:
        return {}
    out: dict[str, tuple[str, str]] = {}
    trail: list[str] = []
    key, where, lines = "", str(prose.loc), list[str]()
    for block in (*prose.blocks, None):
        if block is None or isinstance(block, Heading):
            if key or lines:
                name, n = key, 2
                while name in out:
                    name, n = f"{key}（{n}）", n + 1
                out[name] = ("\n".join(lines), where)
            if block is None:
                break
            trail = [*trail[: block.level - 1], spans_text(block.spans)]
            key, where, lines = " › ".join(trail), str(block.loc), []
        else:
            lines.extend(block_texts(block))
    return out


def compare_applications(a: Application, b: Application, *, skip_files: frozenset[str] = frozenset()) -> list[Change]:
    """Every field whose value differs between `a` and `b`, in form order.

    `skip_files` are content files (as the declaration names them) not to compare, such as
    those that fail validation at either revision.
    """
    comparer = _Comparer(a, b)
    rows: list[Change] = []
    for spec in b.form.files:
        if spec.key in skip_files:
            continue
        part = b.label(spec)
        if spec.type == "prose":
            rows.extend(comparer.prose(part, spec))
        else:
            for child in spec.children:
                rows.extend(comparer.node(part, child, ()))
    return rows



# -- rendering ----------------------------------------------------------------------------------


def _short(text: str | None) -> str:
    if text is None:
        return _("（空）")
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"


def describe(row: Change) -> str:
    """What changed, in one phrase: old → new, an entry added or removed, characters ±."""
    unit = f" {row.unit}" if row.unit else ""
    if row.kind == "figure":
        return f"{_short(row.old)} → {_short(row.new)}{unit}"
    if row.kind == "format":
        return _("仅格式变化（加粗、斜体）")
    if row.kind == "list":
        if row.old is None:
            return _("新增：{name}").format(name=row.new)
        if row.new is None:
            return _("删除：{name}").format(name=row.old)
        return _("顺序调整")
    if row.kind == "prose" and (row.old is not None or row.new is not None):
        if row.new is None:
            return _("删除本节（−{removed} 字）").format(removed=row.removed)
        if row.old is None:
            return _("新增本节（+{added} 字）").format(added=row.added)
        return _("标题：{old} → {new}").format(old=row.old, new=row.new)
    if row.kind == "text" and max(len(row.old or ""), len(row.new or "")) <= _SHORT:
        return f"{_short(row.old)} → {_short(row.new)}"
    text = _("+{added} −{removed} 字（字符 +{chars_added} −{chars_removed}）").format(
        added=row.added, removed=row.removed, chars_added=row.chars_added, chars_removed=row.chars_removed
    )
    return text + _("；加粗、斜体也有变化") if row.format_changed else text


def describe_count(row: Change) -> str:
    """字数 before → after, against the limit when there is one ("" for figures and lists)."""
    if row.words_before is None or row.words_after is None:
        return ""
    text = f"{row.words_before} → {row.words_after}"
    if row.limit is not None:
        text += f" / {row.limit}"
        if row.over_limit:
            text += _("（超出 {n} 字）").format(n=row.words_after - row.limit)
    return text


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _headline(table: ChangeTable) -> str:
    if table.unchanged:
        return _("{a} 与 {b} 之间没有变化。").format(a=table.a_label, b=table.b_label)
    if not table.rows:  # a tag-only edit: nothing printed changed, the coverage did
        return _("{a} → {b}：字段和正文没有变化；{coverage}").format(a=table.a_label, b=table.b_label, coverage=cov.headline(table.coverage))
    text = _("{a} → {b}：{n} 处变化").format(a=table.a_label, b=table.b_label, n=len(table.rows))
    return f"{text}；{cov.headline(table.coverage)}" if table.coverage else text


def render_text(table: ChangeTable) -> str:
    """The change table for the terminal: aligned columns, then what was skipped."""
    lines = [_headline(table)]
    if table.rows:
        header = [_("部分"), _("字段"), _("变化"), _("字数（前 → 后 / 上限）")]
        cells = [[r.part, _short(r.field), describe(r), describe_count(r)] for r in table.rows]
        widths = [max(_width(c[i]) for c in [header, *cells]) for i in range(len(header))]
        lines.append("")
        for n, row in enumerate([header, *cells]):
            lines.append("  ".join(c + " " * (widths[i] - _width(c)) for i, c in enumerate(row)).rstrip())
            if n == 0:
                lines.append("  ".join("─" * w for w in widths))
    if table.coverage:
        lines += ["", *cov.render_text(table.coverage)]
    if table.skipped:
        lines.append("")
        lines.extend(_("未比较：{note}").format(note=note) for note in table.skipped)
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(table: ChangeTable) -> str:
    """The change table as a Markdown document."""
    lines = [_("# 变更表"), "", _headline(table), ""]
    if table.rows:
        lines.append("| " + " | ".join([_("部分"), _("字段"), _("变化"), _("字数（前 → 后 / 上限）"), _("位置")]) + " |")
        lines.append("|---|---|---|---|---|")
        for r in table.rows:
            lines.append("| " + " | ".join(_md(c) for c in (r.part, r.field, describe(r), describe_count(r), r.location)) + " |")
        lines.append("")
    lines.extend(cov.render_markdown(table.coverage))
    if table.skipped:
        lines.append(_("## 未比较"))
        lines.append("")
        lines.extend(f"- {_md(note)}" for note in table.skipped)
        lines.append("")
    return "\n".join(lines)


def render_json(table: ChangeTable) -> str:
    """The change table as JSON, every row with all its fields."""
    data = {
        "a": table.a_label,
        "b": table.b_label,
        "unchanged": table.unchanged,
        "changes": [
            {
                "part": r.part, "field": r.field, "kind": r.kind, "old": r.old, "new": r.new, "unit": r.unit,
                "words_added": r.added, "words_removed": r.removed,
                "chars_added": r.chars_added, "chars_removed": r.chars_removed, "format_changed": r.format_changed,
                "words_before": r.words_before, "words_after": r.words_after, "limit": r.limit,
                "over_limit": r.over_limit, "path": r.path, "location": r.location,
            }
            for r in table.rows
        ],
        "coverage": cov.to_json(table.coverage),
        "skipped": table.skipped,
    }
    return json.dumps(data, ensure_ascii=False, indent=2)
