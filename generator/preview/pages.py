"""PDF pages as pictures for the browser, and which of them changed since the last rebuild."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

#: The picture's scale (1.0 = 72 dpi): 1.5 makes an A4 page 893 px wide, sharp in a half-screen
#: column on an ordinary screen, ~40 ms to render and encode on one core.
PAGE_SCALE = 1.5
#: The scale of the thumbnail that decides whether a page changed: rendering every page at 0.4
#: costs ~8 ms a page (the page's parsing, not its pixels), a full-size picture ~5 times that.
_PROBE_SCALE = 0.4


@dataclass(frozen=True)
class PagePicture:
    """One rendered page: its picture (PNG), its printed text and the fingerprint of both."""

    index: int
    fingerprint: str
    text: str
    width: int
    height: int
    png: bytes | None  # None when the page did not change: the previous picture stands


def _fingerprint(page: object, text: str) -> str:
    bitmap = page.render(scale=_PROBE_SCALE)  # type: ignore[attr-defined]
    h = hashlib.blake2b(digest_size=12)
    h.update(text.encode("utf-8"))
    h.update(bytes(bitmap.buffer))
    return h.hexdigest()


def _png(page: object) -> tuple[bytes, int, int]:
    bitmap = page.render(scale=PAGE_SCALE)  # type: ignore[attr-defined]
    image = bitmap.to_pil()
    out = io.BytesIO()
    # compress_level 1: a third of the time of the default for a file 1.3× its size, on loopback.
    image.save(out, "PNG", compress_level=1)
    return out.getvalue(), image.width, image.height


def rasterise(pdf_path: Path, previous: dict[int, str]) -> list[PagePicture]:
    """Every page of the PDF; pictures only for pages whose fingerprint is not `previous[index]`."""
    import pypdfium2 as pdfium

    pictures = []
    document = pdfium.PdfDocument(str(pdf_path))
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            textpage.close()
            fingerprint = _fingerprint(page, text)
            if previous.get(index) == fingerprint:
                width, height = (round(x * PAGE_SCALE) for x in page.get_size())
                pictures.append(PagePicture(index, fingerprint, text, width, height, None))
            else:
                png, width, height = _png(page)
                pictures.append(PagePicture(index, fingerprint, text, width, height, png))
            page.close()
    finally:
        document.close()
    return pictures
