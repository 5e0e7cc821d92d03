"""Reading PDFs back and assembling the submission package.

The one module that reads PDFs:
- pikepdf (qpdf) for what a build needs of a PDF's structure: that it opens, its pages, top-level
  bookmarks and embedded fonts (pdf_facts, count_pages), and for joining the package (qpdf copies
  pages in C++: the example's package in ~0.05 s instead of pypdf's ~0.27 s, and a build no
  longer imports pypdf, ~0.17 s);
- pypdf for what a reader sees in a finished PDF, text included (read_pdf: reports and tests;
  its fonts are read as pdf_facts reads them);
- pypdfium2 for where each character is printed (the read-back and the layout report).
Each is imported where it is used: most commands need none of them.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.core.atomic import write_atomic
from generator.errors import ToolError
from generator.i18n import _

if TYPE_CHECKING:
    import pikepdf
    from pypdf import PageObject, PdfReader

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
_A4_MM = (210.0, 297.0)
_IMAGE_BORDER_MM = 10.0
_SUBSET_PREFIX = re.compile(r"^[A-Z]{6}\+")


@dataclass(frozen=True)
class Bookmark:
    """One outline entry: its title, depth (0 = top level) and 0-based page index."""

    title: str
    level: int
    page: int | None


@dataclass(frozen=True)
class PdfInfo:
    """What a reader sees in a PDF: pages, text, fonts, bookmarks, labels, title."""

    page_count: int
    page_sizes: tuple[tuple[float, float], ...]  # (width, height) in points as displayed
    page_texts: tuple[str, ...]
    fonts: tuple[str, ...]  # BaseFont of every font used on a page, subset prefix removed, sorted
    embedded_fonts: tuple[str, ...]  # those of `fonts` whose program is in the file
    outline: tuple[Bookmark, ...]
    page_labels: tuple[str, ...]
    title: str | None

    @property
    def text(self) -> str:
        """All pages' text, one page after another."""
        return "\n".join(self.page_texts)


@dataclass(frozen=True)
class PackagePart:
    """One entry of the package: its bookmark title and a PDF, PNG or JPEG file."""

    title: str
    path: Path
    #: index of the page printed "— 1 —" (pages before it, a cover, get the label 封面)
    numbered_from: int = 0


@dataclass(frozen=True)
class PageChars:
    """The characters printed on one page, in content order, with where each one sits.

    Coordinates are PDF points, origin at the bottom left of the page as displayed.
    """

    width: float
    height: float
    text: str  # one character per printed glyph (whitespace the extractor invents included)
    boxes: tuple[tuple[float, float, float, float], ...]  # (left, bottom, right, top) per character
    sizes: tuple[float, ...]  # font size per character, in points
    images: tuple[tuple[float, float, float, float], ...] = ()  # boxes of the images drawn


@dataclass(frozen=True)
class PrintedText:
    """Where a PDF prints its characters, page by page, and where its top-level bookmarks point."""

    pages: tuple[PageChars, ...]
    part_starts: tuple[int, ...]  # 0-based page index of each top-level bookmark


def read_printed_text(path: Path, *, images: bool = True) -> PrintedText:
    """Every page's characters with their boxes (pypdfium2: a 30-page document in about 0.2 s,
    against about 2 s for pypdf's text visitor, which also gives positions per run, not per character).

    `images=False` skips finding the images' boxes (walking every object of every page), for a
    document that has none.
    """
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as exc:
        raise ToolError(_("无法读取 PDF：{path}（{reason}）").format(path=path, reason=exc)) from exc
    pages = []
    try:
        for index in range(len(document)):
            page = document[index]
            pages.append(_page_chars(page, images))
            page.close()
        starts = []
        for bookmark in document.get_toc():
            dest = bookmark.get_dest()
            if bookmark.level == 0 and dest is not None and dest.get_index() is not None:
                starts.append(int(dest.get_index()))
    except pdfium.PdfiumError as exc:
        raise ToolError(_("无法读取 PDF：{path}（{reason}）").format(path=path, reason=exc)) from exc
    finally:
        document.close()
    return PrintedText(tuple(pages), tuple(starts))


def _page_chars(page: Any, images: bool) -> PageChars:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    width, height = page.get_size()
    count = textpage.count_chars()
    # One call for the text: one UTF-16 unit per character index. A character beyond the
    # BMP takes two indices; it is kept once, with the box of its first half.
    units = textpage.get_text_range(0, count) if count else ""
    chars: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []
    sizes: list[float] = []
    if len(units) == count:
        indices: list[int] = list(range(count))
        chars = list(units)
    else:
        indices = []
        for k in range(count):
            code = pdfium_c.FPDFText_GetUnicode(textpage.raw, k)
            if 0xDC00 <= code < 0xE000 and indices:  # the second half of a pair
                high = ord(chars[-1])
                chars[-1] = chr(0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00))
                continue
            indices.append(k)
            chars.append(chr(code))
    # The loose box spans the font's ascent and descent: glyphs on one line share it,
    # which is what line tests need (a tight box of 、 sits far below that of 国). Raw
    # calls into one reused rectangle: the wrapper's per-call cost was half the read.
    raw, rect = textpage.raw, pdfium_c.FS_RECTF()
    loose_box, font_size = pdfium_c.FPDFText_GetLooseCharBox, pdfium_c.FPDFText_GetFontSize
    try:
        for k in indices:
            if not loose_box(raw, k, rect):
                raise pdfium.PdfiumError(f"no box for character {k}")
            boxes.append((rect.left, rect.bottom, rect.right, rect.top))
            sizes.append(float(font_size(raw, k)))
    finally:
        textpage.close()
    found = _image_boxes(page) if images else ()
    return PageChars(float(width), float(height), "".join(chars), tuple(boxes), tuple(sizes), found)


def _image_boxes(page: Any) -> tuple[tuple[float, float, float, float], ...]:
    """Boxes of the images drawn at the top level of a page (the raw calls take half the time of
    pypdfium2's object wrappers)."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    out = []
    for k in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        obj = pdfium_c.FPDFPage_GetObject(page.raw, k)
        if pdfium_c.FPDFPageObj_GetType(obj) == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            left, bottom, right, top = (ctypes.c_float() for _ in range(4))
            pdfium_c.FPDFPageObj_GetBounds(obj, ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top))
            out.append((left.value, bottom.value, right.value, top.value))
    return tuple(out)


_PAGE_ONE = re.compile(r"[—–-]1[—–-]$")


def printed_numbering_start(path: Path, probe: int = 3) -> int:
    """The index of the page whose footer prints "— 1 —" among the first `probe` pages, else 0."""
    reader = _open(path, _("无法读取 PDF：{path}（{reason}）"), _("PDF 已加密，无法读取：{path}"), path=path)
    for index, page in enumerate(reader.pages[:probe]):
        if _PAGE_ONE.search("".join(page.extract_text().split())):
            return index
    return 0


def read_pdf(path: Path, *, text: bool = True) -> PdfInfo:
    """Read a PDF's pages, text, fonts, outline, page labels and title.

    `text=False` leaves the page texts empty: extracting them is most of the cost (a build reads
    pages, fonts and bookmarks with pdf_facts).
    """
    import pikepdf
    from pypdf.errors import PyPdfError

    reader = _open(
        path, _("无法读取 PDF：{path}（{reason}）"), _("PDF 已加密，无法读取：{path}"), path=path
    )
    try:
        with _open_structure(path) as pdf:  # the fonts as a build reads them (pdf_facts)
            fonts = _fonts_of(pdf)
        meta = reader.metadata
        return PdfInfo(
            page_count=len(reader.pages),
            page_sizes=tuple(_displayed_size(page) for page in reader.pages),
            page_texts=tuple(page.extract_text() if text else "" for page in reader.pages),
            fonts=tuple(sorted(fonts)),
            embedded_fonts=tuple(sorted(n for n, e in fonts.items() if e)),
            outline=tuple(_walk_outline(reader, reader.outline, 0)),
            page_labels=tuple(reader.page_labels),
            title=meta.title if meta else None,
        )
    except (PyPdfError, pikepdf.PdfError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise ToolError(
            _("无法读取 PDF：{path}（{reason}）").format(path=path, reason=exc)
        ) from exc


def count_pages(path: Path) -> int:
    """The number of pages, after checking the file opens (pikepdf: nothing else is read)."""
    with _open_structure(path) as pdf:
        return len(pdf.pages)


@dataclass(frozen=True)
class PdfFacts:
    """What a build needs of a PDF it made: pages, top-level bookmarks, embedded fonts."""

    page_count: int
    parts: tuple[tuple[str, int], ...]  # (title, 0-based page) of each top-level bookmark with a page
    embedded_fonts: tuple[str, ...]  # BaseFont names (subset prefix removed) whose program is in the file, sorted


def pdf_facts(path: Path) -> PdfFacts:
    """Pages, top-level bookmarks and embedded fonts (pikepdf: what read_pdf(text=False) tells,
    without importing pypdf)."""
    import pikepdf

    with _open_structure(path) as pdf:
        try:
            fonts = _fonts_of(pdf)
            index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
            with pdf.open_outline() as outline:
                parts = tuple((str(item.title), at) for item in outline.root if (at := _destination_page(pdf, item, index)) is not None)
            return PdfFacts(len(pdf.pages), parts, tuple(sorted(n for n, e in fonts.items() if e)))
        except (pikepdf.PdfError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise ToolError(_("无法读取 PDF：{path}（{reason}）").format(path=path, reason=exc)) from exc


@contextlib.contextmanager
def _open_structure(path: Path) -> Iterator[pikepdf.Pdf]:
    import pikepdf

    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise ToolError(_("PDF 已加密，无法读取：{path}").format(path=path)) from exc
    except (pikepdf.PdfError, OSError, ValueError, RuntimeError) as exc:
        raise ToolError(_("无法读取 PDF：{path}（{reason}）").format(path=path, reason=exc)) from exc
    try:
        yield pdf
    finally:
        pdf.close()


def _fonts_of(pdf: pikepdf.Pdf) -> dict[str, bool]:
    """Every font the pages use (BaseFont, subset prefix removed) and whether its program is in the file."""
    fonts: dict[str, bool] = {}
    for page in pdf.pages:
        for name, embedded in _fonts_in(page.obj.get("/Resources"), set()):
            fonts[name] = fonts.get(name, False) or embedded
    return fonts


def _fonts_in(resources: Any, seen: set[Any]) -> Iterator[tuple[str, bool]]:
    """(BaseFont, embedded?) for each font in pikepdf resources and in nested form XObjects."""
    import pikepdf

    if not isinstance(resources, pikepdf.Dictionary):
        return
    fonts = resources.get("/Font")
    if isinstance(fonts, pikepdf.Dictionary):
        for _key, font in fonts.items():
            if isinstance(font, pikepdf.Dictionary) and "/BaseFont" in font:
                yield _SUBSET_PREFIX.sub("", str(font.BaseFont).lstrip("/")), _font_embedded(font)
    xobjects = resources.get("/XObject")
    if isinstance(xobjects, pikepdf.Dictionary):
        for _key, xobject in xobjects.items():
            # A form can be shared by many pages or refer to itself: visit each once.
            key = xobject.objgen if xobject.is_indirect else id(xobject)
            if key in seen or not isinstance(xobject, pikepdf.Stream):
                continue
            seen.add(key)
            if xobject.get("/Subtype") == "/Form":
                yield from _fonts_in(xobject.get("/Resources"), seen)


def _font_embedded(font: Any) -> bool:
    import pikepdf

    descendants = font.get("/DescendantFonts")
    if isinstance(descendants, pikepdf.Array):
        return any(isinstance(d, pikepdf.Dictionary) and _font_embedded(d) for d in descendants)
    descriptor = font.get("/FontDescriptor")
    if not isinstance(descriptor, pikepdf.Dictionary):
        return False  # the standard 14 fonts and Type3 fonts carry no descriptor program
    return any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def _destination_page(pdf: pikepdf.Pdf, item: Any, index: dict[Any, int]) -> int | None:
    """The 0-based page a bookmark goes to (an explicit or named destination, or a GoTo), or None."""
    import pikepdf

    dest = item.destination
    if dest is None and isinstance(item.action, pikepdf.Dictionary) and item.action.get("/S") == "/GoTo":
        dest = item.action.get("/D")
    if isinstance(dest, (pikepdf.String, pikepdf.Name)):
        name = str(dest)
        try:
            names = pdf.Root.get("/Names")
            if isinstance(names, pikepdf.Dictionary) and "/Dests" in names:
                dest = pikepdf.NameTree(names.Dests).get(name.lstrip("/") if isinstance(dest, pikepdf.Name) else name)
            else:
                old_style = pdf.Root.get("/Dests")
                dest = old_style.get(name if name.startswith("/") else "/" + name) if isinstance(old_style, pikepdf.Dictionary) else None
        except (pikepdf.PdfError, ValueError, TypeError, KeyError, RuntimeError):
            return None  # a malformed name tree: the bookmark is kept, pointing at its part

    if isinstance(dest, pikepdf.Dictionary):
        dest = dest.get("/D")
    if isinstance(dest, pikepdf.Array) and len(dest):
        target = dest[0]
        if isinstance(target, pikepdf.Dictionary):
            return index.get(target.objgen)
    return None


def embedded_fonts(path: Path) -> list[str]:
    """Names of the fonts embedded in a PDF (subset prefix removed), sorted."""
    return list(read_pdf(path).embedded_fonts)


def assemble_package(parts: list[PackagePart], out_path: Path, *, title: str) -> None:
    """Join the parts into one PDF with a bookmark per part and page labels as each part prints
    its page numbers (restarting at 1 for each part, after its cover)."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name, OutlineItem, String

    out = pikepdf.new()
    opened: list[pikepdf.Pdf] = []  # qpdf copies their pages' contents when `out` is saved
    labels: list[Any] = []
    bookmarks = []
    try:
        for part in parts:
            source = _part_pdf(part)
            opened.append(source)
            first, count = len(out.pages), len(source.pages)
            if not count:
                raise ToolError(_("附件「{title}」没有页面：{path}").format(title=part.title, path=part.path))
            index = {page.obj.objgen: i for i, page in enumerate(source.pages)}
            out.pages.extend(source.pages)
            # The part's own bookmarks (headings) nest under the part's bookmark.
            bookmark = OutlineItem(part.title, first)
            with source.open_outline() as outline:
                bookmark.children.extend(_bookmarks(source, outline.root, index, first))
            bookmarks.append(bookmark)
            # Labels match what is printed: a cover is "封面", numbering starts where "— 1 —" is.
            numbered = first + min(part.numbered_from, count - 1)
            if numbered > first:
                labels += [first, Dictionary(P=String("封面"))]  # part of the document: not translated
            labels += [numbered, Dictionary(S=Name.D, St=1)]
        out.Root.PageLabels = Dictionary(Nums=Array(labels))
        with out.open_outline() as outline:
            outline.root.extend(bookmarks)
        out.docinfo[Name.Title] = String(title)
        out.Root.PageMode = Name.UseOutlines
        buf = io.BytesIO()
        # deterministic_id: the same parts give the same bytes
        out.save(buf, deterministic_id=True)
    except (pikepdf.PdfError, ValueError, RuntimeError) as exc:
        raise ToolError(_("无法合成申报材料 PDF：{reason}").format(reason=exc)) from exc
    finally:
        for source in opened:
            source.close()
        out.close()
    write_atomic(out_path, buf.getvalue())


def _bookmarks(source: pikepdf.Pdf, items: Any, index: dict[Any, int], offset: int) -> list[Any]:
    """Copies of `items` (and their children) pointing at the same pages, `offset` pages on;
    one whose page cannot be found points at the part's first page."""
    from pikepdf import OutlineItem

    out = []
    for item in items:
        page = _destination_page(source, item, index)
        copy = OutlineItem(str(item.title), offset + (page if page is not None else 0))
        copy.children.extend(_bookmarks(source, item.children, index, offset))
        out.append(copy)
    return out


def _part_pdf(part: PackagePart) -> pikepdf.Pdf:
    import pikepdf

    if not part.path.is_file():
        raise ToolError(_("找不到附件「{title}」：{path}").format(title=part.title, path=part.path))
    message = _("附件「{title}」无法读取：{path}（{reason}）")
    locked = _("附件「{title}」已加密，请提供未加密的 PDF：{path}")
    if part.path.suffix.lower() in IMAGE_SUFFIXES:
        data = _image_to_pdf(part, message)
    else:
        # Every PDF passes through the sanitiser (no scripts, forms, links out, embedded files):
        # the attachments are the point, our own documents cost little and prove the rule.
        data = _sanitised(part, message, locked)
    try:
        return pikepdf.open(io.BytesIO(data))
    except (pikepdf.PdfError, ValueError, RuntimeError) as exc:
        raise ToolError(message.format(title=part.title, path=part.path, reason=exc)) from exc


def _sanitised(part: PackagePart, message: str, locked: str) -> bytes:
    from generator.content.attachments import AttachmentProblem, sanitise_pdf

    try:
        return sanitise_pdf(part.path).data
    except AttachmentProblem as exc:
        raise ToolError((locked if exc.locked else message).format(title=part.title, path=part.path, reason=exc)) from exc


def _image_to_pdf(part: PackagePart, message: str) -> bytes:
    """One A4 page holding the image, scaled to fit, without re-encoding it (img2pdf)."""
    import img2pdf  # only packages with image attachments need it

    a4 = (img2pdf.mm_to_pt(_A4_MM[0]), img2pdf.mm_to_pt(_A4_MM[1]))
    border = img2pdf.mm_to_pt(_IMAGE_BORDER_MM)
    layout = img2pdf.get_layout_fun(
        pagesize=a4, border=(border, border), fit=img2pdf.FitMode.into, auto_orient=True
    )
    try:
        data = img2pdf.convert(
            str(part.path), layout_fun=layout, nodate=True, engine=img2pdf.Engine.internal
        )
    except Exception as exc:  # img2pdf and Pillow raise many types for a bad image
        raise ToolError(message.format(title=part.title, path=part.path, reason=exc)) from exc
    return bytes(data)


def _open(source: Path | io.BytesIO, message: str, locked: str, **fields: Any) -> PdfReader:
    """Open and check a PDF with pypdf; message and locked are the errors for unreadable and encrypted."""
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(source)
        # Many official PDFs carry only an owner password (no printing, no copying): they open
        # with an empty user password. Others need a password we do not have.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise ToolError(locked.format(**fields))
        _pages = len(reader.pages)  # builds the page tree: a truncated file fails here
    except (OSError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise ToolError(message.format(reason=exc, **fields)) from exc
    return reader


def _displayed_size(page: PageObject) -> tuple[float, float]:
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    return (height, width) if page.rotation % 180 == 90 else (width, height)


def _walk_outline(reader: PdfReader, items: list[Any], level: int) -> Iterator[Bookmark]:
    for item in items:
        if isinstance(item, list):
            yield from _walk_outline(reader, item, level + 1)
        else:
            yield Bookmark(str(item.title), level, reader.get_destination_page_number(item))
