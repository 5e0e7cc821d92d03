"""The layout report: how full each page is, and what a reader of the printed pages stumbles on.

Reads a `ReadBack` (each .docx character mapped to where the PDF prints it) and warns about a
page left mostly empty, a table row split over two pages, a heading alone at the foot of a page
and a phone number, date, figure or unit name broken over two lines of a table cell.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from generator.core.unitnames import is_running_prose, unit_names
from generator.errors import Diagnostic, Location, Severity
from generator.i18n import _
from generator.pdf.readback import CHAR_MAP, CharPlace, Extracted, ReadBack, page_section, read_back
from generator.pdf.reader import PageChars
from generator.word.text import Paragraph

#: A page whose text ends above this share of the text block, and that does not end a part or a
#: section, is reported as underfull.
UNDERFULL = 0.40
_SNIPPET = 16

#: Things that must stay on one line of a table cell, with the name a user knows them by.
_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("phone", re.compile(r"(?<![\d-])(?:\d{3,4}-\d{7,8}(?:-\d{1,6})?|1[3-9]\d{9})(?![\d-])")),
    ("date", re.compile(r"\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{4}[-./]\d{1,2}[-./]\d{1,2}")),
    (
        "figure",
        re.compile(
            r"(?<![\d.])\d+(?:\.\d+)?\s*(?:万平方米|平方米|亿元|万元|元|㎡|m²|亩|%|％|万人|人次|人|个|家|项|台套|台|套|门|本|名|所|次|学时|小时|天)"
        ),
    ),
)


@dataclass(frozen=True)
class PageFill:
    """How much of one page's text block is used."""

    page: int  # 0-based PDF page
    printed: str  # the page number printed on it ("" when none)
    fill: float  # share of the text block's height, from its top to the lowest text or image
    landscape: bool


@dataclass
class Inspection:
    """What reading one PDF back found: the page fill and every diagnostic, and the time taken."""

    pages: list[PageFill] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    seconds: float = 0.0
    #: The characters read from the PDF, for later steps of the same build (the 自评表's page
    #: map) so that each PDF is read once; not in the state file: () when restored from it.
    printed: tuple[PageChars, ...] = field(default=(), repr=False, compare=False)

    def numbering_start(self, probe: int = 3) -> int | None:
        """The index of the page whose footer prints 1 among the first `probe` pages, as the
        read-back read it (reader.printed_numbering_start's answer); None when it read none there."""
        return next((p.page for p in self.pages[:probe] if p.printed == "1"), None)

    def to_state(self) -> dict:
        """Plain data for the build's state file (a no-op build reports it again)."""
        return {
            "pages": [[p.page, p.printed, round(p.fill, 3), p.landscape] for p in self.pages],
            "diagnostics": [
                [d.location.path, d.severity.value, d.code, d.message, d.field, d.extra] for d in self.diagnostics
            ],
            "seconds": round(self.seconds, 3),
        }

    @classmethod
    def from_state(cls, data: dict) -> Inspection:
        """The inverse of `to_state`."""
        return cls(
            [PageFill(int(p), str(n), float(f), bool(land)) for p, n, f, land in data.get("pages", [])],
            [
                Diagnostic(Location(str(path)), Severity(sev), str(code), str(msg), str(fld), dict(extra))
                for path, sev, code, msg, fld, extra in data.get("diagnostics", [])
            ],
            float(data.get("seconds", 0.0)),
        )


def inspect_pdf(title: str, docx_path: Path, pdf_path: Path, extracted: Extracted | None = None) -> Inspection:
    """Read a document's PDF back against its .docx and analyse its layout (`extracted`: the
    files as readback.extract read them already)."""
    started = time.perf_counter()
    rb = read_back(title, docx_path, pdf_path, extracted)
    result = analyse_layout(rb)
    result.diagnostics[:0] = rb.diagnostics
    result.printed = tuple(rb.pages)
    result.seconds = time.perf_counter() - started
    return result


def analyse_layout(rb: ReadBack) -> Inspection:
    """Page fill and layout warnings for a read-back document."""
    body = rb.structure.body
    first_page = [_first(places) for places in rb.places]
    last_page = [_last(places) for places in rb.places]
    out = Inspection()
    out.pages = _fills(rb)
    warn = _Warner(rb, out.diagnostics)
    _underfull(rb, out.pages, first_page, last_page, warn)
    _row_splits(rb, warn)
    _heading_orphans(rb, body, first_page, last_page, warn)
    _broken_tokens(rb, warn)
    out.diagnostics.sort(key=lambda d: int(d.extra.get("page", 0)))  # type: ignore[call-overload]
    return out


def _first(places: list[CharPlace | None]) -> CharPlace | None:
    return next((p for p in places if p is not None), None)


def _last(places: list[CharPlace | None]) -> CharPlace | None:
    return next((p for p in reversed(places) if p is not None), None)


class _Warner:
    def __init__(self, rb: ReadBack, out: list[Diagnostic]) -> None:
        self.rb, self.out = rb, out

    def __call__(self, code: str, page: int, message: str, values: dict[str, object], **fields: object) -> None:
        """Record a warning: `message` formatted with `values` and {where}, the page's name;
        `fields` go to the diagnostic's details (JSON)."""
        text = message.format(where=self.rb.page_name(page), **values)
        extra = {"page": page + 1, "printed": self.rb.printed[page] if page < len(self.rb.printed) else "", **fields}
        self.out.append(Diagnostic(Location(self.rb.pdf_name), Severity.WARNING, code, text, self.rb.title, extra))


def _snippet(text: str) -> str:
    text = "".join(ch for ch in (CHAR_MAP.get(c, c) for c in text) if ch and not ch.isspace())
    return text if len(text) <= _SNIPPET else text[:_SNIPPET] + "…"


# -- how full each page is --------------------------------------------------------------------------


def _fills(rb: ReadBack) -> list[PageFill]:
    lowest: dict[int, float] = {}
    for places in rb.places:
        for place in places:
            if place is not None:
                box = rb.pages[place.page].boxes[place.index]
                lowest[place.page] = min(lowest.get(place.page, box[1]), box[1])
    out = []
    for n, page in enumerate(rb.pages):
        section = page_section(rb.structure, page)
        top, bottom = page.height - section.top, section.bottom
        low = lowest.get(n)
        for image in page.images:
            if image[1] < top and image[3] > bottom:  # an image inside the text block
                low = image[1] if low is None else min(low, image[1])
        fill = 0.0 if low is None else max(0.0, min(1.0, (top - low) / max(1.0, top - bottom)))
        out.append(PageFill(n, rb.printed[n], fill, section.landscape))
    return out


def _underfull(
    rb: ReadBack, fills: list[PageFill], first_page: list[CharPlace | None], last_page: list[CharPlace | None], warn: _Warner
) -> None:
    body = rb.structure.body
    # The section each page ends in and the one the next page starts in: a section break follows
    # a page when they differ (the break, not the text, ends the page).
    ends_in: dict[int, int] = {}
    starts_in: dict[int, int] = {}
    for p, first, last in zip(body, first_page, last_page, strict=True):
        if first is not None:
            starts_in.setdefault(first.page, p.section)
        if last is not None:
            ends_in[last.page] = p.section
    parts = set(rb.part_starts)
    for fill in fills:
        n = fill.page
        if fill.fill >= UNDERFULL or fill.landscape or n == len(fills) - 1 or n + 1 in parts:
            continue
        if n in ends_in and n + 1 in starts_in and ends_in[n] != starts_in[n + 1]:
            continue
        if n not in ends_in:
            continue  # a page without body text (a blank page a section break makes) is not the text's doing
        warn(
            "layout-underfull",
            n,
            _("{where}：页面只用了版心高度的 {percent}%，下一页并非新的部分或新的一节"),
            {"percent": round(fill.fill * 100)},
            fill=round(fill.fill, 3),
        )


# -- tables and headings --------------------------------------------------------------------------


@dataclass
class _Row:
    """One table row as printed: its text, whether it is to be kept whole, where it is printed."""

    text: str = ""
    whole: bool = False
    prose: bool = False
    spans: dict[int, tuple[float, float]] = field(default_factory=dict)  # page: (lowest, highest)

    def height(self) -> float:
        """The height its text takes, summed over the pages it is printed on (points)."""
        return sum(high - low for low, high in self.spans.values())


def _row_splits(rb: ReadBack, warn: _Warner) -> None:
    """A row split over pages is a fault when the document asks to keep it whole (w:cantSplit),
    or when it would fit on one page and holds no running prose (a list of names, a figure). A
    row of prose allowed to split (3.特色与创新, 2000 字) flows over pages as a paragraph does."""
    rows: dict[int, _Row] = {}
    for p, places in zip(rb.structure.body, rb.places, strict=True):
        if p.row < 0 or p.header_row:
            continue
        row = rows.setdefault(p.row, _Row(whole=p.row_whole))
        row.text += (" " if row.text else "") + p.text
        row.prose = row.prose or is_running_prose(p.text)
        for place in places:
            if place is None:
                continue
            box = rb.pages[place.page].boxes[place.index]
            low, high = row.spans.get(place.page, (box[1], box[3]))
            row.spans[place.page] = (min(low, box[1]), max(high, box[3]))
    for row in rows.values():
        if len(row.spans) < 2:
            continue
        first, last = min(row.spans), max(row.spans)
        section = page_section(rb.structure, rb.pages[first])
        block = rb.pages[first].height - section.top - section.bottom
        short = row.height() < block
        if not (row.whole or (short and not row.prose)):
            continue
        reason = _("该行设为不跨页断开") if row.whole else _("该行不足一页，本可整行排在一页上")
        warn(
            "layout-row-split",
            first,
            _("{where}：表格的一行跨页断开，续至第 {last} 页（{reason}）：“{text}”"),
            {"last": last + 1, "text": _snippet(row.text), "reason": reason},
            pages=[first + 1, last + 1],
            kept_whole=row.whole,
        )


def _heading_orphans(
    rb: ReadBack, body: tuple[Paragraph, ...], first_page: list[CharPlace | None], last_page: list[CharPlace | None], warn: _Warner
) -> None:
    for n, p in enumerate(body):
        end = last_page[n]
        if not p.heading or p.table >= 0 or end is None:
            continue
        following = next((k for k in range(n + 1, len(body)) if first_page[k] is not None), None)
        if following is None or body[following].section != p.section:
            continue  # a section break starts a new page on purpose
        start = first_page[following]
        if start is not None and start.page > end.page:
            warn(
                "layout-heading-orphan",
                end.page,
                _("{where}：标题“{heading}”单独留在页面底部，其后的内容从下一页开始"),
                {"heading": _snippet(p.text)},
            )


# -- names and numbers broken inside table cells ------------------------------------------------------


def _broken_tokens(rb: ReadBack, warn: _Warner) -> None:
    for p, places in zip(rb.structure.body, rb.places, strict=True):
        if p.table < 0 or p.vertical or not p.text.strip():
            continue  # vertical text prints each character on its own line, by design
        # Word joiners and no-break hyphens sit inside the very tokens we look for: match on the
        # text without them, then map each match back to the stored characters.
        kept = [k for k, ch in enumerate(p.text) if CHAR_MAP.get(ch, ch)]
        clean = "".join(CHAR_MAP.get(p.text[k], p.text[k]) for k in kept)
        # In running prose (a cell holding sentences) lines break between a figure and its unit
        # as in any paragraph; only phone numbers must never break there.
        prose = is_running_prose(clean)
        found: list[tuple[str, int, int]] = []
        for kind, pattern in _TOKENS:
            if kind == "phone" or not prose:
                found.extend((kind, m.start(), m.end()) for m in pattern.finditer(clean))
        if not prose:
            for start, end in unit_names(clean):
                if not any(a < end and start < b for _k, a, b in found):
                    found.append(("name", start, end))
        for kind, a, b in found:
            spots = [places[kept[k]] for k in range(a, b) if not clean[k].isspace()]
            if any(s is None for s in spots) or len(spots) < 2:
                continue
            token = clean[a:b]
            on = [s for s in spots if s is not None]
            # A name longer than its cell must wrap; split over two pages it is still broken.
            if kind == "name" and len({s.page for s in on}) == 1 and not _fits(rb, on, p.cell_width):
                continue
            _check_token(rb, warn, kind, token, [s for s in spots if s is not None])


def _kind_name(kind: str) -> str:
    names = {"phone": _("电话号码"), "date": _("日期"), "figure": _("数字和单位"), "name": _("单位名称")}
    return names[kind]


def _fits(rb: ReadBack, spots: list[CharPlace], width: float) -> bool:
    """True when the printed characters would fit on one line of a cell `width` points wide."""
    if width <= 0:
        return False
    needed = 0.0
    for s in spots:
        page = rb.pages[s.page]
        ch = page.text[s.index]
        needed += page.sizes[s.index] * (1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5)
    return needed <= width


def _check_token(rb: ReadBack, warn: _Warner, kind: str, whole: str, spots: list[CharPlace]) -> None:
    first = spots[0]
    token = whole if len(whole) <= _SNIPPET * 2 else whole[:_SNIPPET * 2] + "…"
    if any(s.page != first.page for s in spots):
        pages = sorted({s.page for s in spots})
        warn(
            "layout-broken-token",
            first.page,
            _("{where}：表格中的{kind}“{token}”被分在两页（第 {a} 页和第 {b} 页）"),
            {"kind": _kind_name(kind), "token": token, "a": pages[0] + 1, "b": pages[-1] + 1},
            kind=kind,
            token=whole,
        )
        return
    boxes = [rb.pages[s.page].boxes[s.index] for s in spots]
    centres = [(b[1] + b[3]) / 2 for b in boxes]
    height = max(b[3] - b[1] for b in boxes)
    if max(centres) - min(centres) > height / 2:
        warn(
            "layout-broken-token",
            first.page,
            _("{where}：表格中的{kind}“{token}”被分在两行"),
            {"kind": _kind_name(kind), "token": token},
            kind=kind,
            token=whole,
        )
