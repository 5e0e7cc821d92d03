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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.pdf.readback import normalise
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


def _in_margin(page: PageChars, k: int) -> bool:
    left, bottom, right, top = page.boxes[k]
    x, y = (left + right) / 2 / page.width, (bottom + top) / 2 / page.height
    return not (_MARGIN < x < 1 - _MARGIN and _MARGIN < y < 1 - _MARGIN)


def printed_number(page: PageChars) -> int | None:
    """The number the page prints in its margin as “— N —” (any dash), else None."""
    margin = normalise("".join(ch for k, ch in enumerate(page.text) if _in_margin(page, k)))
    found = _NUMBER.search(margin)
    return int(found.group(1)) if found else None


def page_map(pages: Sequence[PageChars]) -> PageMap:
    """The body text of `pages` (margins left out: their page numbers would split an anchor that
    runs over a page break) and each page's printed number."""
    chars: list[str] = []
    page_of: list[int] = []
    for index, page in enumerate(pages):
        for k, ch in enumerate(page.text):
            if _in_margin(page, k):
                continue
            for kept in normalise(ch):
                chars.append(kept)
                page_of.append(index)
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


def printed_pages(pdf: Path, anchors: Sequence[str]) -> list[int | None]:
    """The printed page number of each anchor in `pdf` (see module doc)."""
    return locate(page_map(read_printed_text(pdf, images=False).pages), anchors)
