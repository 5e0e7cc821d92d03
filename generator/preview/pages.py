"""PDF pages for the browser: each page's text and fingerprint first, its picture when asked.

A rebuild reads every page of a new PDF (its text, and a small rendering whose digest says whether
the page changed: ~5 ms a page), publishes that, and only then makes the pictures of the pages that
changed, in page order: the text and the 字数 reach the page before any picture, and the first
changed page (the one the page scrolls to) is pictured first.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The picture's scale (1.0 = 72 dpi): 1.5 makes an A4 page 893 px wide, sharp in a half-screen
#: column on an ordinary screen.
PAGE_SCALE = 1.5
#: The scale of the thumbnail that decides (with the text) whether a page changed: 0.25 makes an A4
#: page 149 × 210 px, where a picture, a border or a highlight that changed still changes pixels;
#: it took a quarter less of the whole scan's CPU than 0.4 (57–76 ms against 74–102 for the 14
#: pages of the 推荐书: glyphs are rasterised for the first time at that size), and smaller saved no more.
_PROBE_SCALE = 0.25
#: JPEG at quality 90 without chroma subsampling (colour edges, such as the yellow of a 待填写 gap,
#: stay clean): 3.5 ms of CPU a page where PNG took 25 ms at its fastest level, for a picture that
#: does not differ visibly at this scale (text edges compared side by side) and is about as large.
_JPEG = {"quality": 90, "subsampling": 0}
#: What the pictures are served as (preview/server.py matches the suffix).
PICTURE_SUFFIX = ".jpg"
PICTURE_TYPE = "image/jpeg"


@dataclass(frozen=True)
class PageScan:
    """One page as read: its printed text, its size in picture pixels, and the fingerprint of both."""

    index: int
    fingerprint: str
    text: str
    width: int
    height: int


class PdfPages:
    """A PDF kept open while a rebuild reads it: the pages, the parts, then pictures."""

    def __init__(self, pdf_path: Path) -> None:
        import pypdfium2 as pdfium

        self._pdf = pdfium.PdfDocument(str(pdf_path))

    def __enter__(self) -> PdfPages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def scan(self) -> list[PageScan]:
        """Every page's text, size and fingerprint."""
        pages = []
        for index in range(len(self._pdf)):
            page = self._pdf[index]
            try:
                textpage = page.get_textpage()
                text = textpage.get_text_range()
                textpage.close()
                width, height = (round(x * PAGE_SCALE) for x in page.get_size())
                pages.append(PageScan(index, _fingerprint(page, text), text, width, height))
            finally:
                page.close()
        return pages

    def part_pages(self) -> list[tuple[str, int]]:
        """Pages per top-level bookmark (title, pages), as `build` counts them for page limits:
        from one bookmark's first page to the next one's (pypdf took 160 ms for this, pdfium 1)."""
        top = []
        for bookmark in self._pdf.get_toc():
            dest = bookmark.get_dest()
            index = dest.get_index() if dest is not None else None
            if bookmark.level == 0 and index is not None:
                top.append((bookmark.get_title(), index))
        total = len(self._pdf)
        return [(title, max(0, (top[n + 1][1] if n + 1 < len(top) else total) - first)) for n, (title, first) in enumerate(top)]

    def picture(self, index: int) -> bytes:
        """The page as the browser shows it (JPEG)."""
        page = self._pdf[index]
        try:
            image = page.render(scale=PAGE_SCALE, rev_byteorder=True).to_pil()
        finally:
            page.close()
        out = io.BytesIO()
        image.save(out, "JPEG", **_JPEG)
        return out.getvalue()

    def close(self) -> None:
        """Release the file."""
        self._pdf.close()


def _fingerprint(page: Any, text: str) -> str:
    bitmap = page.render(scale=_PROBE_SCALE)
    h = hashlib.blake2b(digest_size=12)
    h.update(text.encode("utf-8"))
    h.update(bytes(bitmap.buffer))
    return h.hexdigest()
