"""The typed, format-neutral model of an application: values with their origin, prose as blocks."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import Location
from generator.form.declaration import FieldSpec, FormSpec, format_label
from generator.form.types import NotApplicable
from generator.i18n import _

# ---------------------------------------------------------------------------------------------
# Prose: what a Markdown file says, as blocks the renderers and the counter both read.


@dataclass(frozen=True)
class Span:
    """A piece of inline text with its emphasis."""

    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Heading:
    """A heading; `level` 1 is the first level below the section (（一） in the plan)."""

    level: int
    spans: tuple[Span, ...]
    loc: Location


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of inline spans."""

    spans: tuple[Span, ...]
    loc: Location


@dataclass(frozen=True)
class ListItem:
    """One item of a list: its spans, and a nested list if any."""

    spans: tuple[Span, ...]
    children: tuple[ListBlock, ...] = ()


@dataclass(frozen=True)
class ListBlock:
    """An ordered or bulleted list."""

    ordered: bool
    items: tuple[ListItem, ...]
    loc: Location
    start: int = 1


@dataclass(frozen=True)
class Table:
    """A table: a header row and body rows, each cell a tuple of spans."""

    header: tuple[tuple[Span, ...], ...]
    rows: tuple[tuple[tuple[Span, ...], ...], ...]
    loc: Location


@dataclass(frozen=True)
class Image:
    """An image from the content repo; `src` is as written, `caption` is the alt text."""

    src: str
    caption: str
    loc: Location


Block = Heading | Paragraph | ListBlock | Table | Image


# A number the writer typed before a heading (一、 （一） 1. （1）); the tool numbers headings
# itself. "3.5万" is not a number prefix.
HEADING_NUMBER = re.compile(r"^\s*(（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、|\d+[.．、](?!\d)|[（(]\d+[）)])\s*")


def strip_heading_number(text: str) -> str:
    """`text` without a heading number the writer typed."""
    return HEADING_NUMBER.sub("", text, count=1)


def spans_text(spans: tuple[Span, ...]) -> str:
    """The text of spans as it prints."""
    return "".join(s.text for s in spans)


def _list_texts(block: ListBlock) -> list[str]:
    out: list[str] = []
    for item in block.items:
        out.append(spans_text(item.spans))
        for child in item.children:
            out.extend(_list_texts(child))
    return out


def block_texts(block: Block) -> list[str]:
    """The printed text of a block, one string per paragraph-like unit."""
    if isinstance(block, Heading | Paragraph):
        return [spans_text(block.spans)]
    if isinstance(block, ListBlock):
        return _list_texts(block)
    if isinstance(block, Table):
        return [spans_text(c) for row in (block.header, *block.rows) for c in row]
    return [block.caption] if block.caption else []


@dataclass(frozen=True)
class IndicatorTag:
    """`<!-- 指标: 3.2, 3.3 -->` in a Markdown file: the indicators (附件2 观测点) a block addresses.

    It never prints. Written on its own line before a block, it tags that block; before a heading,
    the heading's whole section (up to the next heading of the same or a higher level); inside a
    paragraph, that paragraph. `ids` are as written (not yet checked against the form), each with
    the place it is written at; `block` is the index in `Prose.blocks` of the block tagged, or -1
    when nothing follows the tag."""

    ids: tuple[str, ...]
    locs: tuple[Location, ...]
    block: int


@dataclass(frozen=True)
class Prose:
    """A Markdown content file read into blocks."""

    spec: FieldSpec
    blocks: tuple[Block, ...]
    loc: Location
    tags: tuple[IndicatorTag, ...] = ()

    def text(self) -> str:
        """The printed text, paragraphs separated by newlines: what the 字数 limit counts."""
        return "\n".join(t for b in self.blocks for t in block_texts(b))

    def scope(self, block: int) -> tuple[Block, ...]:
        """The blocks a tag on block `block` covers: that block, and for a heading every block up
        to the next heading of the same or a higher level."""
        if not 0 <= block < len(self.blocks):
            return ()
        first = self.blocks[block]
        if not isinstance(first, Heading):
            return (first,)
        end = block + 1
        while end < len(self.blocks):
            nxt = self.blocks[end]
            if isinstance(nxt, Heading) and nxt.level <= first.level:
                break
            end += 1
        return self.blocks[block:end]

    def heading_of(self, index: int) -> Heading | None:
        """The nearest heading at or before block `index` (the section a block is in)."""
        for b in reversed(self.blocks[: index + 1]):
            if isinstance(b, Heading):
                return b
        return None


# ---------------------------------------------------------------------------------------------
# Data: values from YAML with the place they were written.


@dataclass(frozen=True)
class Value:
    """A leaf value (text, figure, date, choice id) and where it was written; None when empty.
    A figure declared not applicable is a `NotApplicable` (a str: it prints as written)."""

    spec: FieldSpec
    value: str | int | float | dt.date | NotApplicable | None
    loc: Location

    @property
    def present(self) -> bool:
        """True when the team wrote something (a figure declared not applicable included)."""
        return self.value is not None and self.value != ""

    @property
    def not_applicable(self) -> bool:
        """True for a figure the team declared not applicable ("/"): no sum or comparison uses it."""
        return isinstance(self.value, NotApplicable)


@dataclass(frozen=True)
class Item:
    """One entry of a list of units, people or attachments: its fields by English id."""

    fields: dict[str, Value]
    loc: Location

    def get(self, id_: str) -> Any:
        """The plain value of field `id_`, None when empty."""
        v = self.fields.get(id_)
        return v.value if v is not None else None


@dataclass(frozen=True)
class ListValue:
    """A list of names or items, and where it was written."""

    spec: FieldSpec
    items: tuple[Value | Item, ...]
    loc: Location

    @property
    def present(self) -> bool:
        """True when the list has at least one entry."""
        return bool(self.items)


@dataclass
class Application:
    """One consortium's application: every value by its dotted English path, every prose part."""

    form: FormSpec
    root: str
    baseline_year: int
    values: dict[str, Value | ListValue] = field(default_factory=dict)
    prose: dict[str, Prose] = field(default_factory=dict)
    #: files read, relative to the root, with their content hashes (for incremental builds)
    sources: dict[str, str] = field(default_factory=dict)
    #: files that could not be read at all (not UTF-8, YAML syntax): no document printing them renders
    unreadable: set[str] = field(default_factory=set)
    #: where the reader refused a written value (not a number, not a date…): printed as a gap, like a blank
    refused: set[Location] = field(default_factory=set)
    #: every image and attachment the content names, resolved once by the reader: (the file that
    #: names it, the reference as written) → the regular file inside the content folder, or why
    #: it cannot be used. Rules, fingerprints, the writer and the package all read it from here.
    assets: dict[tuple[str, str], Path | str] = field(default_factory=dict)

    def asset(self, named_in: str, ref: str) -> Path | str:
        """The file `ref` (as written in `named_in`) resolves to, or why it cannot be used."""
        return self.assets.get((named_in, ref), _("“{ref}”没有在读取申报材料时登记").format(ref=ref))

    def get(self, path: str) -> Any:
        """The plain value at `path` (a list for lists), None when empty or absent."""
        v = self.values.get(path)
        if v is None:
            return None
        if isinstance(v, ListValue):
            return [i.value if isinstance(i, Value) else i for i in v.items]
        return v.value

    def label(self, spec: FieldSpec) -> str:
        """The label of `spec` as the form prints it for this baseline year."""
        return format_label(spec.label, self.baseline_year)

    def year(self, offset: int) -> int:
        """The calendar year `offset` years after the baseline."""
        return self.baseline_year + offset
