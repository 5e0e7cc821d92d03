"""Which pages of a document a change is on, guessed before it is converted.

Preview asks the warm LibreOffice for those pages first (pdf.warm.FirstPages) and shows them while
the whole document is exported: the first paragraph whose text differs between the shown .docx
and the new one is looked for in the shown PDF's page texts; the pages from there on are wanted.
A guess only decides what is shown ~0.3 s earlier: the whole document follows and replaces it, so
a wrong guess costs nothing but that head start.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from generator.word.text import docx_text

#: Pages asked for early: the one before the changed paragraph's page (an inserted paragraph goes
#: before the paragraph found, which may start a page), that page and the next (a longer
#: paragraph pushes text on). Each page more costs ~40 ms of LibreOffice's export (推荐书, quiet
#: machine): a change further on shows with the whole document instead.
BEFORE, SPAN = 1, 2
#: Characters of a paragraph searched for in a page's text: enough to be unique in a document,
#: few enough to sit on the paragraph's first page.
_NEEDLE = 12
_SPACE = re.compile(r"\s+")
_CELLS = re.compile(r" \| | / ")  # how docx_text joins a table row's cells and a cell's paragraphs


def paragraph_texts(docx: Path) -> list[str]:
    """The body's paragraphs (and table cells) as printed text, without spaces; the last few
    documents' are kept (preview compares the shown .docx, read at the last save, with the new)."""
    data = docx.read_bytes()
    return list(_paragraphs(hashlib.blake2b(data, digest_size=16).digest(), docx))


@functools.lru_cache(maxsize=8)
def _paragraphs(digest: bytes, docx: Path) -> tuple[str, ...]:
    del digest  # the key: the file's content, whatever its name
    texts = (_SPACE.sub("", part) for line in docx_text(docx).splitlines() for part in _CELLS.split(line))
    return tuple(t for t in texts if t)


def changed_pages(old: Sequence[str], new: Sequence[str], page_texts: Sequence[str]) -> tuple[int, int] | None:
    """The 1-based page range to ask for first, or None when no page can be named.

    old/new: paragraph_texts of the shown and the new .docx; page_texts: the shown PDF's pages.
    """
    if not page_texts:
        return None
    at = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    if at >= len(new) and at >= len(old):
        return None  # the text did not change (a picture, a style): nothing to point at
    pages = [_SPACE.sub("", t) for t in page_texts]
    # the changed paragraph's old text, else the paragraph before it (a paragraph was added)
    for candidate in (old[at] if at < len(old) else None, old[at - 1] if 0 < at <= len(old) else None):
        if not candidate:
            continue
        needle = candidate[:_NEEDLE]
        found = [n for n, text in enumerate(pages) if needle in text]
        if len(found) == 1 or (found and len(needle) == _NEEDLE):
            first = found[0] + 1
            return max(1, first - BEFORE), first + SPAN - 1
    return None
