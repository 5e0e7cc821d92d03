"""Which indicators (附件2 观测点) the prose addresses: the tags `<!-- 指标: 3.2 -->` read back.

The form declares the indicators (`FormSpec.indicators`); the Markdown reader records each tag and
the block it tags (`model.IndicatorTag`). Here the two meet: each indicator with the places that
address it (file, heading, the tag's line, how many 字 the tagged text has) and a tag naming an
id the form does not have. The check report, the 自评表 and `diff` read this; none of them reads
tags themselves.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from generator.core.counting import count_words
from generator.errors import Location
from generator.form.declaration import IndicatorSpec
from generator.model import (
    Application,
    Heading,
    Prose,
    Value,
    block_texts,
    spans_text,
    strip_heading_number,
)


@dataclass(frozen=True)
class Evidence:
    """One place that addresses an indicator: a tagged block, or a tagged heading's section."""

    prose: str  #: the prose part's path in the form ("plan_tasks")
    part: str  #: the part as printed ("三、建设内容与举措")
    document: str  #: the id of the document that prints it ("plan"), "" if none does
    heading: str  #: the nearest heading above or at the tagged block, as written (no number); "" if none
    loc: Location  #: where the tag is written
    chars: int  #: 字数 of the tagged text, counted like every limit
    #: the printed text the tagged blocks start with: what finds their page in the PDF
    anchor: str
    #: the number printed before `heading` in the plan (（三）, 2., （1）); "" where none is printed
    number: str = ""


@dataclass(frozen=True)
class Coverage:
    """One indicator and everything that addresses it."""

    indicator: IndicatorSpec
    evidence: tuple[Evidence, ...]

    @property
    def chars(self) -> int:
        """字数 of all the text tagged with this indicator."""
        return sum(e.chars for e in self.evidence)

    @property
    def covered(self) -> bool:
        """True when some prose addresses it (never for a declaration such as 7.其他)."""
        return bool(self.evidence)


@dataclass(frozen=True)
class UnknownTag:
    """A tag naming an id the form does not have."""

    id: str
    loc: Location
    closest: tuple[str, ...]  #: the nearest valid ids, best first


def _document_of(app: Application, prose: Prose) -> str:
    return next((d.id for d in app.form.documents if prose.loc.path.startswith(d.reads)), "")


#: The Markdown levels the plan numbers (word/blocks.py PLAN_HEADING_STYLES: # ## ###).
NUMBERED_LEVELS = 3
def printed_number(app: Application, level: int, n: int) -> str:
    """The number the plan prints before the `n`th heading at `level` (the form's numbering, as
    word/blocks.py's heading_number prints it)."""
    return app.form.heading_number(level, n)


def _heading_number(app: Application, prose: Prose, block: int) -> str:
    """The number the plan prints before the heading of block `block`'s section, replaying the
    renderer's counters (word/blocks.py: the plan's parts are numbered, the 推荐书's are not)."""
    if not prose.spec.path.startswith("plan_"):
        return ""
    counters = [0] * NUMBERED_LEVELS
    last: Heading | None = None
    for b in prose.blocks[: block + 1]:
        if isinstance(b, Heading):
            last = b
            if b.level <= NUMBERED_LEVELS:
                counters[b.level - 1] += 1
                counters[b.level :] = [0] * (NUMBERED_LEVELS - b.level)
    if last is None or last.level > NUMBERED_LEVELS:
        return ""
    return printed_number(app, last.level, counters[last.level - 1])


def _evidence(app: Application, prose: Prose, block: int, loc: Location) -> Evidence:
    blocks = prose.scope(block)
    texts = [t for b in blocks for t in block_texts(b)]
    heading = prose.heading_of(block)
    return Evidence(
        prose=prose.spec.path,
        part=app.label(prose.spec),
        document=_document_of(app, prose),
        heading=strip_heading_number(spans_text(heading.spans)).strip() if isinstance(heading, Heading) else "",
        loc=loc,
        chars=count_words("\n".join(texts)).words,
        anchor=next((t.strip() for t in texts if t.strip()), ""),
        number=_heading_number(app, prose, block) if isinstance(heading, Heading) else "",
    )


def coverage(app: Application) -> list[Coverage]:
    """Every indicator of the form, in order, with the places that address it in the order a
    reader meets them: the plan before the 推荐书, each in the form's order of its parts."""
    found: dict[str, list[Evidence]] = {i.id: [] for i in app.form.indicators}
    documents = [d.reads for d in app.form.documents]
    parts = {s.path: n for n, s in enumerate(app.form.files)}

    def reading_order(prose: Prose) -> tuple[int, int]:
        first = next((n for n, reads in enumerate(documents) if prose.loc.path.startswith(reads)), len(documents))
        return first, parts.get(prose.spec.path, len(parts))

    for prose in sorted(app.prose.values(), key=reading_order):
        for tag in prose.tags:
            if tag.block < 0:
                continue
            for id_, loc in zip(tag.ids, tag.locs, strict=True):
                if id_ in found and not app.form.indicator(id_).declaration:  # type: ignore[union-attr]
                    found[id_].append(_evidence(app, prose, tag.block, loc))
    return [Coverage(i, tuple(found[i.id])) for i in app.form.indicators]


def unknown_tags(app: Application) -> Iterator[UnknownTag]:
    """Each tagged id the form does not have (or one no prose can address, such as 7), with the
    closest valid ids."""
    valid = [i.id for i in app.form.indicators if not i.declaration]
    for prose in app.prose.values():
        for tag in prose.tags:
            for id_, loc in zip(tag.ids, tag.locs, strict=True):
                if id_ not in valid:
                    yield UnknownTag(id_, loc, tuple(difflib.get_close_matches(id_, valid, n=3, cutoff=0.3)))


@dataclass(frozen=True)
class Declaration:
    """What the team declared for a point no prose addresses (7.其他): 否, 是 with its 说明, or nothing."""

    indicator: IndicatorSpec
    value: bool | None  #: True for 是, False for 否, None when not written
    detail: str  #: the 说明 written with 是 ("" when none)
    loc: Location  #: where the declaration is (or would be) written

    @property
    def state(self) -> str:
        """"yes", "no" or "missing": how the JSON report names it."""
        return "missing" if self.value is None else ("yes" if self.value else "no")


def declarations(app: Application) -> dict[str, Declaration]:
    """Each declared point (7.其他) with what its field holds. Its 说明 is the field named like the
    declaration with `_detail` (self_assessment.violations_detail; the rule that reads it makes a
    form without it fail to load)."""
    out: dict[str, Declaration] = {}
    for spec in app.form.indicators:
        if not spec.declaration:
            continue
        value = app.values.get(spec.declaration)
        detail = app.values.get(f"{spec.declaration}_detail")
        written = isinstance(value, Value) and value.present and isinstance(value.value, bool)
        where = value.loc if value is not None and value.loc.path else Location(app.form.file(spec.declaration.split(".")[0]).key)
        out[spec.id] = Declaration(
            spec,
            bool(value.value) if written and isinstance(value, Value) else None,
            str(detail.value).strip() if isinstance(detail, Value) and detail.present else "",
            where,
        )
    return out
