"""Where a PDF prints given texts: the printed page number (the footer's “— 5 —”) of each anchor.

The 自评表 says on which page each tagged place of the 建设方案 and the 推荐书 is addressed. A page
number a reviewer looks up must be the one printed on that page, not the PDF's page index: the
plan's cover prints none and numbering starts at 1 after it (after a blank page too, when the
team asks for one), and the landscape summary-table page prints its number turned, in the left
margin. So the number is read from the page itself.

Anchors (`check.coverage.Evidence.anchor`) are the first printed text of each tagged block, in
document order. Each is found by its leading characters, whitespace removed, searching forward
from the previous hit: a heading prints with the number the tool adds (（三）), which precedes the
text and does not stop the match. An anchor not found, or found on a page without a readable
number, maps to None: no number is better than a wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.pdf.readback import CHAR_MAP, normalise
from generator.pdf.reader import PageChars, read_printed_text

#: How many leading characters of an anchor identify it (fewer when the anchor is shorter):
#: enough to be unique in a document, few enough to rarely run into a page break's repeated
#: table header.
ANCHOR_CHARS = 16
#: The share of the page, on each side, outside which a character is in the margin: the text
#: block of every template starts 11.8 % or more from each edge (GB/T 9704 margins), and the
#: page number prints 7 mm outside it.
_MARGIN = 0.105
_NUMBER = re.compile(r"[—–\-－]+(\d+)[—–\-－]+")


@dataclass(frozen=True)
class PageMap:
    """A PDF's body text as one character string, with the page each character is on."""

    text: str
    page_of: tuple[int, ...]  #: 0-based page index of each character of `text`
    printed: tuple[int | None, ...]  #: the printed number of each page (None: none printed)

    def find(self, anchor: str, start: int = 0) -> int:
        """The index in `text` where `anchor` (normalised, its leading characters) begins at or
        after `start`; -1 when it does not."""
        key = normalise(anchor)[:ANCHOR_CHARS]
        return self.text.find(key, start) if key else -1

    def page_at(self, index: int) -> int | None:
        """The printed page number of the character at `index`."""
        return self.printed[self.page_of[index]]


def _body_box(page: PageChars) -> Callable[[tuple[float, float, float, float]], bool]:
    """Whether a character's box has its centre inside the page's text block (bounds computed
    once per page: this runs for every printed character)."""
    x0, x1 = 2 * _MARGIN * page.width, 2 * (1 - _MARGIN) * page.width  # doubled: no halving per character
    y0, y1 = 2 * _MARGIN * page.height, 2 * (1 - _MARGIN) * page.height

    def inside(box: tuple[float, float, float, float]) -> bool:
        left, bottom, right, top = box
        return x0 < left + right < x1 and y0 < bottom + top < y1

    return inside


def printed_number(page: PageChars) -> int | None:
    """The number the page prints in its margin as “— N —” (any dash), else None."""
    inside = _body_box(page)
    margin = normalise("".join(ch for ch, box in zip(page.text, page.boxes, strict=True) if not inside(box)))
    found = _NUMBER.search(margin)
    return int(found.group(1)) if found else None


def page_map(pages: Sequence[PageChars]) -> PageMap:
    """The body text of `pages` (margins left out: their page numbers would split an anchor that
    runs over a page break) and each page's printed number."""
    chars: list[str] = []
    page_of: list[int] = []
    mapped = CHAR_MAP.get
    for index, page in enumerate(pages):
        inside = _body_box(page)
        # normalise() inlined: per character, CHAR_MAP then no whitespace
        kept = [m for ch, box in zip(page.text, page.boxes, strict=True) if inside(box) and (m := mapped(ch, ch)) and not m.isspace()]
        chars += kept
        page_of += [index] * len(kept)
    return PageMap("".join(chars), tuple(page_of), tuple(printed_number(p) for p in pages))


def locate(pages: PageMap, anchors: Sequence[str]) -> list[int | None]:
    """The printed page of each anchor, in order; each is searched from where the previous one
    was found (anchors are given in document order, so an earlier identical text is skipped)."""
    out: list[int | None] = []
    position = 0
    for anchor in anchors:
        hit = pages.find(anchor, position)
        if hit < 0:
            out.append(None)
            continue
        position = hit  # not past it: the next anchor may be the same block (a tag with two ids)
        out.append(pages.page_at(hit))
    return out


def printed_pages(pdf: Path, anchors: Sequence[str], pages: Sequence[PageChars] | None = None) -> list[int | None]:
    """The printed page number of each anchor in `pdf` (see module doc). `pages`: the PDF's
    characters when they were read already (the build's read-back did): not read again."""
    if pages is None:
        pages = read_printed_text(pdf, images=False).pages
    return locate(page_map(pages), anchors)
