"""Model blocks → styled Word paragraphs, tables and images in docxtpl subdocuments."""

# Every look (fonts, sizes, spacing, borders) comes from the template's styles, found by name: the
# code only says which style a paragraph has. Text is split into runs by script, so Chinese text
# and punctuation sit in runs that name only the CJK font, and Latin letters and digits in runs of
# the character style CJ西文 (Times New Roman).

from __future__ import annotations

import copy
import functools
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx.image.image import Image as DocxImage
from docx.oxml import OxmlElement
from docx.shared import Emu, Twips
from docx.table import _Cell
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml import etree

from generator.content.assets import AssetProblem
from generator.core.counting import is_east_asian
from generator.core.nobreak import WORD_JOINER, glue_tokens
from generator.core.unitnames import unit_names
from generator.errors import ContentError, Diagnostic, Location, Severity, ToolError
from generator.form.declaration import load_form
from generator.i18n import _
from generator.model import (
    Application,
    Block,
    Heading,
    Image,
    ListBlock,
    Paragraph,
    Prose,
    Span,
    Table,
    strip_heading_number,
)
from generator.word.ooxml import BR, TAB, XML_SPACE, R, T, W, w
from generator.word.render import new_subdoc

BODY, LIST, FIGURE, CAPTION = "CJ正文", "CJ列表", "CJ图片", "CJ题注"
TABLE_TEXT, TABLE, LATIN = "CJ表格文字", "CJ表格", "CJ西文"
#: Markdown heading level → Word style, in the plan: `#` is （一）, `##` is 1., `###` is （1）.
PLAN_HEADING_STYLES = {1: "heading 2", 2: "heading 3", 3: "heading 4"}
#: The part of the image's height budget a picture may take, leaving room for its caption.
IMAGE_HEIGHT_SHARE = 0.85
_TWIPS_PER_EMU = 1 / 635

#: Chinese digits, circled numbers and bullets for headings and list markers the tool prints.
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_BULLETS = ("●", "○")
_TEXT_CHILDREN = frozenset(
    w(t) for t in ("t", "tab", "br", "cr", "noBreakHyphen", "softHyphen", "lastRenderedPageBreak")
)
_RPR, _RSTYLE, _BOLD, _ITALIC, _VAL = (w(n) for n in ("rPr", "rStyle", "b", "i", "val"))
_P, _PPR, _PSTYLE, _LANG, _EAST_ASIA, _SECT_PR = (w(n) for n in ("p", "pPr", "pStyle", "lang", "eastAsia", "sectPr"))
_RFONTS = w("rFonts")
#: What can make run_segments cut a text or glue part of it: a character below U+2000 (every
#: Latin one is; is_latin is stricter), a digit (every token has one: full-width digits are not
#: Latin) or a joiner. A run without any is one CJK piece, left as it is (most of the prose,
#: which the writer already cut by script).
_MAY_SPLIT = re.compile(f"[\\u0000-\\u1fff{WORD_JOINER}]|\\d")
_LATIN_FONT_ATTRS = tuple(w(a) for a in ("ascii", "hAnsi", "asciiTheme", "hAnsiTheme"))


# -- numbering -----------------------------------------------------------------------------------


def heading_number(level: int, n: int) -> str:
    """The printed number of the `n`th heading at Markdown `level`: （一）, 1., （1）, as the form
    declaration's `heading_numbers` say (deeper levels take the last format)."""
    return load_form().heading_number(level, n)


def list_marker(ordered: bool, depth: int, n: int) -> str:
    """The literal marker of list item `n` at nesting `depth`: 1. （1） ① for numbers, ● ○ for bullets.

    Numbered lists print their numbers as the outline's 1. and （1） headings do (GB/T 9704
    practice), so a page never shows two styles of the same number.
    """
    if not ordered:
        return _BULLETS[min(depth, len(_BULLETS) - 1)]
    if depth == 0:
        return heading_number(2, n)
    if depth == 1 or n > len(_CIRCLED):
        return heading_number(3, n)
    return _CIRCLED[n - 1]


# -- scripts -------------------------------------------------------------------------------------


def is_latin(ch: str) -> bool:
    """True for characters Times New Roman prints: Latin letters, digits and their punctuation.

    Everything from U+2000 on (“ ” — … ① ☑ ㎡ ℃) stays with the CJK font, which has those
    glyphs; Times New Roman would fall back to another face for most of them.
    """
    return ord(ch) < 0x2000 and not is_east_asian(ch)


def script_segments(text: str) -> list[tuple[str, bool]]:
    """`text` cut into maximal pieces of one script: (piece, is_latin). Spaces join their left
    neighbour (their right one at the start), so no run holds only a space."""
    out: list[tuple[str, bool]] = []
    pending = ""
    for ch in text:
        if ch.isspace():
            if out:
                out[-1] = (out[-1][0] + ch, out[-1][1])
            else:
                pending += ch
            continue
        latin = is_latin(ch)
        if out and out[-1][1] == latin:
            out[-1] = (out[-1][0] + ch, latin)
        else:
            out.append((pending + ch, latin))
            pending = ""
    if pending:
        out.append((pending, False))
    return out


@functools.lru_cache(maxsize=16384)
def run_segments(text: str) -> tuple[tuple[str, bool, bool], ...]:
    """`text` with its tokens glued (nobreak.py), cut into the runs it is written in:
    (piece, is_latin, glued), where `glued` marks Chinese characters inside a token (`万元` of
    `356.7万元`) or joined to a neighbour by a word joiner, which are tagged with a non-CJK
    language so LibreOffice keeps them whole. Spaces and joiners join their left neighbour, like
    spaces in `script_segments`. Kept per text: preview renders the same paragraphs on every save."""
    glued_text, spans = glue_tokens(text)
    in_token = [False] * len(glued_text)
    for start, end in spans:
        in_token[start:end] = [True] * (end - start)
    # A writer may glue more than the tokens (a unit name in a table cell): a character next to a
    # joiner is glued, and needs the same language for the joiner to hold in LibreOffice.
    for i, ch in enumerate(glued_text):
        if ch == WORD_JOINER:
            in_token[max(0, i - 1)] = True
            if i + 1 < len(glued_text):
                in_token[i + 1] = True
    out: list[tuple[str, bool, bool]] = []
    pending = ""
    for i, ch in enumerate(glued_text):
        if ch.isspace() or ch == WORD_JOINER:
            if out:
                out[-1] = (out[-1][0] + ch, out[-1][1], out[-1][2])
            else:
                pending += ch
            continue
        latin = is_latin(ch)
        glued = in_token[i] and not latin
        if out and (out[-1][1], out[-1][2]) == (latin, glued):
            out[-1] = (out[-1][0] + ch, latin, glued)
        else:
            out.append((pending + ch, latin, glued))
            pending = ""
    if pending:
        out.append((pending, False, False))
    return tuple(out)


#: The language of the Chinese characters of a glued token. Any language but Chinese, Japanese
#: or Korean gives LibreOffice's ICU line breaking, which honours the joiners; en-US is the
#: documents' own Latin language. Glyphs do not change: the run's font is still the CJK font.
GLUED_LANG = "en-US"
_AFTER_LANG = frozenset(w(t) for t in ("eastAsianLayout", "specVanish", "oMath"))


def _tag_glued(r_pr: Any) -> None:
    """Give a run's East Asian text the language that keeps a glued token whole."""
    lang = r_pr.find(_LANG)
    if lang is None:
        lang = etree.SubElement(r_pr, _LANG)  # last, or moved before what the schema puts after it
        later = next((c for c in r_pr if c.tag in _AFTER_LANG), None)
        if later is not None:
            later.addprevious(lang)
    lang.set(_EAST_ASIA, GLUED_LANG)


# -- styles and page geometry of the template ----------------------------------------------------


class _Styles:
    """The template's style ids by style name (case-insensitive: Word writes `heading 2`)."""

    def __init__(self, document: Any, template_name: str):
        self.template_name = template_name
        self.ids: dict[str, str] = {}
        for style in document.styles.element.findall(w("style")):
            name = style.find(w("name"))
            if name is not None:
                self.ids[str(name.get(w("val"))).lower()] = str(style.get(w("styleId")))

    def __getitem__(self, name: str) -> str:
        try:
            return self.ids[name.lower()]
        except KeyError:
            raise ToolError(
                _("模板 {template} 缺少样式“{style}”：请在 Word 中新建同名样式").format(template=self.template_name, style=name)
            ) from None

    def get(self, name: str) -> str | None:
        return self.ids.get(name.lower())


def _text_frame(document: Any) -> tuple[int, int]:
    """Width and height (EMU) of the text block of the template's last section."""
    s = document.sections[-1]
    return (int(s.page_width - s.left_margin - s.right_margin), int(s.page_height - s.top_margin - s.bottom_margin))


# -- writing ---------------------------------------------------------------------------------------


def _w(tag: str, **attrs: str) -> Any:
    el = OxmlElement(f"w:{tag}")
    for k, v in attrs.items():
        el.set(w(k), v)
    return el


_RUN_BREAKS = {"\t": TAB, "\n": BR, "\r": BR}


def _add_run(p: Any, text: str, style: str | None, bold: bool, italic: bool, glued: bool) -> None:
    """Append to paragraph element `p` the run python-docx's add_run(text) and its style, bold,
    italic setters write, element for element (its per-element schema lookups were a third of
    writing the prose): rPr (rStyle, b, i, lang), then w:t, with a tab and a line break as
    w:tab and w:br, and xml:space="preserve" on a w:t that starts or ends with a space."""
    r = etree.SubElement(p, R)
    if style is not None or bold or italic or glued:
        r_pr = etree.SubElement(r, _RPR)
        if style is not None:
            etree.SubElement(r_pr, _RSTYLE).set(_VAL, style)
        if bold:
            etree.SubElement(r_pr, _BOLD)
        if italic:
            etree.SubElement(r_pr, _ITALIC)
        if glued:
            # _tag_glued's result on a new rPr, whose children all go before w:lang.
            etree.SubElement(r_pr, _LANG).set(_EAST_ASIA, GLUED_LANG)
    start = 0
    for k, ch in enumerate(text):
        if ch in _RUN_BREAKS:
            _add_t(r, text[start:k])
            etree.SubElement(r, _RUN_BREAKS[ch])
            start = k + 1
    _add_t(r, text[start:])


def _set_style(p: Any, style_id: str) -> None:
    """Give paragraph element `p` paragraph style `style_id`, as python-docx's style setter does:
    on a new, empty paragraph that is <w:pPr><w:pStyle w:val=…/></w:pPr> as its only child
    (written directly: the setter's schema lookups were a third of writing a paragraph)."""
    if len(p):
        p.style = style_id  # python-docx finds the pPr, or its place among the children
        return
    etree.SubElement(etree.SubElement(p, _PPR), _PSTYLE).set(_VAL, style_id)


def _add_t(r: Any, text: str) -> None:
    if text:
        t = etree.SubElement(r, T)
        t.text = text
        if len(text.strip()) < len(text):
            t.set(XML_SPACE, "preserve")


class _PartWriter:
    """Writes one prose part into one subdocument."""

    def __init__(self, app: Application, tpl: Any, prose: Prose, pictures: dict[tuple[str, str], bytes] | None = None):
        self.app = app
        self.tpl = tpl
        self.prose = prose
        #: The pictures' bytes, read beforehand by (file, reference); None: read them here.
        self.picture_bytes = pictures or {}
        #: Each picture written: its bytes and the relationship id the part's XML names it by.
        self.pictures: list[tuple[bytes, str]] = []
        name = getattr(tpl, "template_name", None) or Path(str(tpl.template_file)).name
        self.styles = _Styles(tpl.get_docx(), name)
        self.numbered = prose.spec.path.startswith("plan_")
        self.counters = [0, 0, 0]
        self.sub = new_subdoc(tpl)
        self.body = self.sub.subdocx.element.body
        #: Where python-docx's add_paragraph and add_table put a block: before the body's sectPr.
        self.end = self.body.find(_SECT_PR)

    def write(self) -> Any:
        for block in self.prose.blocks:
            self.block(block)
        return self.sub

    def block(self, block: Block) -> None:
        if isinstance(block, Heading):
            self.heading(block)
        elif isinstance(block, Paragraph):
            self.spans(self.paragraph(BODY), block.spans)
        elif isinstance(block, ListBlock):
            self.list_block(block, 0)
        elif isinstance(block, Table):
            self.table(block)
        else:
            self.image(block)

    def paragraph(self, style: str) -> Any:
        """A new paragraph element of `style` at the end, as python-docx's add_paragraph() and
        its style setter write it: <w:p><w:pPr><w:pStyle w:val=…/></w:pPr></w:p>."""
        p = etree.SubElement(self.body, _P)
        if self.end is not None:
            self.end.addprevious(p)
        _set_style(p, self.styles[style])
        return p

    def spans(self, p: Any, spans: Iterable[Span], bold: bool = False) -> None:
        latin = self.styles[LATIN]
        for span in spans:
            for text, is_latin_piece, glued in run_segments(span.text):
                _add_run(p, text, latin if is_latin_piece else None, span.bold or bold, span.italic, glued)

    def heading(self, h: Heading) -> None:
        if not self.numbered or h.level not in PLAN_HEADING_STYLES:
            # 推荐书 parts have no numbered outline, and the plan's outline stops at （1）.
            self.spans(self.paragraph(BODY), h.spans, bold=True)
            return
        self.counters[h.level - 1] += 1
        self.counters[h.level :] = [0] * (len(self.counters) - h.level)
        number = heading_number(h.level, self.counters[h.level - 1])
        spans = list(h.spans)
        if spans:
            spans[0] = Span(strip_heading_number(spans[0].text), spans[0].bold, spans[0].italic)
        self.spans(self.paragraph(PLAN_HEADING_STYLES[h.level]), [Span(number), *spans])

    def list_block(self, block: ListBlock, depth: int) -> None:
        for n, item in enumerate(block.items, start=block.start):
            self.spans(self.paragraph(LIST), [Span(list_marker(block.ordered, depth, n)), *item.spans])
            for child in item.children:
                self.list_block(child, depth + 1)

    def table(self, block: Table) -> None:
        rows = list(((block.header,) if block.header else ()) + block.rows)
        ncols = max(len(r) for r in rows)
        document = self.tpl.get_docx()
        half_em = _half_em(document, self.styles[TABLE_TEXT])
        widths = _column_widths(rows, ncols, int(_text_frame(document)[0] * _TWIPS_PER_EMU), half_em)
        table = self.sub.add_table(rows=0, cols=ncols)
        tbl = table._tbl
        for el in list(tbl.tblPr):
            tbl.tblPr.remove(el)
        tbl.tblPr.append(_w("tblStyle", val=self.styles[TABLE]))
        tbl.tblPr.append(_w("tblW", w="5000", type="pct"))
        tbl.tblPr.append(_w("tblLayout", type="fixed"))
        tbl.tblPr.append(
            _w("tblLook", val="0420" if block.header else "0400", firstRow="1" if block.header else "0",
               lastRow="0", firstColumn="0", lastColumn="0", noHBand="1", noVBand="1")
        )
        for col, width in zip(tbl.tblGrid.findall(w("gridCol")), widths, strict=True):
            col.set(w("w"), str(width))
        for i, cells in enumerate(rows):
            tr = tbl.add_tr()
            tr_pr = tr.get_or_add_trPr()
            # Rows never break across pages; the header row repeats on every page the table spans.
            tr_pr.append(_w("cantSplit"))
            if i == 0 and block.header:
                tr_pr.append(_w("tblHeader"))
            for c in range(ncols):
                tc = tr.add_tc()
                tc.width = Twips(widths[c])
                cell = _Cell(tc, table)
                p = cell.paragraphs[0] if cell.paragraphs else cell.add_paragraph()
                _set_style(p._p, self.styles[TABLE_TEXT])
                self.spans(p._p, _glue_names(cells[c], widths[c] // half_em - _PAD) if c < len(cells) else ())

    def image(self, block: Image) -> None:
        try:
            data = self.picture_bytes.get((block.loc.path, block.src))
            if data is None:
                path = self.app.asset(block.loc.path, block.src)  # resolved once, by the reader
                if isinstance(path, str):
                    raise AssetProblem(path)
                data = path.read_bytes()
            picture = DocxImage.from_blob(data)
            px_w, px_h = picture.px_width, picture.px_height
            if px_w <= 0 or px_h <= 0:
                raise AssetProblem(_("文件“{ref}”不是有效的图片").format(ref=block.src))
        except AssetProblem as exc:
            raise _image_error(block.loc, str(exc), self.prose) from None
        except Exception as exc:  # python-docx's image parsers raise many kinds on a broken file
            raise _image_error(block.loc, _("文件“{ref}”无法读取：{reason}").format(ref=block.src, reason=exc), self.prose) from None
        max_w, text_h = _text_frame(self.tpl.get_docx())
        max_h = int(text_h * IMAGE_HEIGHT_SHARE)
        width, height = max_w, max_w * px_h // px_w
        if height > max_h:
            width, height = max_h * px_w // px_h, max_h
        p = DocxParagraph(self.paragraph(FIGURE), self.sub.subdocx._body)
        # From memory, so the package names the picture image<n>.<ext>, never by the user's path.
        shape = p.add_run().add_picture(io.BytesIO(data), width=Emu(width), height=Emu(height))
        shape._inline.docPr.set("descr", block.caption)
        self.pictures.append((data, str(shape._inline.xpath(".//a:blip/@r:embed")[0])))
        if block.caption:
            self.spans(self.paragraph(CAPTION), [Span(block.caption)])


def _image_error(loc: Location, problem: str, prose: Prose) -> ContentError:
    return ContentError([Diagnostic(loc, Severity.ERROR, "image", _("图片：{problem}").format(problem=problem), prose.spec.label)])


def _display_width(spans: Iterable[Span]) -> int:
    """Width in half-ems: a CJK character takes two, a Latin one about one."""
    return sum(_text_width(s.text) for s in spans)


def _text_width(text: str) -> int:
    return sum(0 if ch == WORD_JOINER else 1 if is_latin(ch) else 2 for ch in text)


def _longest_name(spans: tuple[Span, ...]) -> int:
    """Width (half-ems) of the longest unit name a list cell holds; 0 when it holds none."""
    text = "".join(s.text for s in spans)
    return max((_text_width(text[a:b]) for a, b in unit_names(text)), default=0)


def _glue_names(spans: tuple[Span, ...], room: int) -> tuple[Span, ...]:
    """The cell's spans with each unit name that fits on one line (`room` half-ems) glued with
    word joiners: a list such as “秘书处、重庆云岭职业技术学院” then wraps at the 、, never inside
    a name. A longer name must wrap anyway and is left as it is."""
    text = "".join(s.text for s in spans)
    inside: set[int] = set()  # offsets after which a joiner goes
    for a, b in unit_names(text):
        if _text_width(text[a:b]) <= room:
            inside.update(range(a, b - 1))
    if not inside:
        return spans
    out, offset = [], 0
    for s in spans:
        glued = "".join(ch + (WORD_JOINER if offset + k in inside else "") for k, ch in enumerate(s.text))
        out.append(Span(glued, s.bold, s.italic))
        offset += len(s.text)
    return tuple(out)


_PAD = 2  # cell margins (half-ems)


def _column_widths(rows: list[tuple[tuple[Span, ...], ...]], ncols: int, total: int, half_em: int) -> list[int]:
    """Column widths (twips) summing to `total`.

    When every column fits on one line, widths follow the content. Otherwise each column first
    gets what its header needs (headers should not wrap) or, when all its cells are short (dates,
    figures), all it needs; then the columns that list unit names get what their longest name
    needs (as far as the room allows), so a name is never cut by the line's end; the room left
    goes to the columns whose text wraps anyway, in proportion to how much text they hold.
    """
    pad, short = _PAD, 14  # a column this narrow never wraps (half-ems)
    natural = [max((_display_width(r[c]) for r in rows if c < len(r)), default=0) + pad for c in range(ncols)]
    room = total // half_em
    wanted: list[float]
    if sum(natural) <= room:
        wanted = [float(n) for n in natural]
    else:
        header = [(_display_width(rows[0][c]) if c < len(rows[0]) else 0) + pad for c in range(ncols)]
        floor = [float(n if n <= short else max(h, 2 * pad)) for n, h in zip(natural, header, strict=True)]
        names = [max((_longest_name(r[c]) for r in rows[1:] if c < len(r)), default=0) + pad for c in range(ncols)]
        bonus = [max(0.0, m - f) if n > short else 0.0 for m, f, n in zip(names, floor, natural, strict=True)]
        spare = max(0.0, room - sum(floor))
        share = min(1.0, spare / sum(bonus)) if sum(bonus) else 0.0
        floor = [f + b * share for f, b in zip(floor, bonus, strict=True)]
        if sum(floor) >= room:
            wanted = floor
        else:
            extra = [max(0.0, n - f) for n, f in zip(natural, floor, strict=True)]
            spare = room - sum(floor)
            wanted = [f + spare * e / max(1.0, sum(extra)) for f, e in zip(floor, extra, strict=True)]
    widths = [int(total * want / sum(wanted)) for want in wanted]
    widths[-1] += total - sum(widths)
    return widths


def _half_em(document: Any, style_id: str) -> int:
    """Half the font size (twips) of paragraph style `style_id`, following basedOn to the defaults."""
    by_id = {str(s.get(w("styleId"))): s for s in document.styles.element.findall(w("style"))}
    style = by_id.get(style_id)
    while style is not None:
        size = style.find(f"{w('rPr')}/{w('sz')}")
        if size is not None:
            return int(size.get(w("val"))) * 5
        based = style.find(w("basedOn"))
        style = by_id.get(str(based.get(w("val")))) if based is not None else None
    size = document.styles.element.find(f"{w('docDefaults')}/{w('rPrDefault')}/{w('rPr')}/{w('sz')}")
    return int(size.get(w("val"))) * 5 if size is not None else 105  # Word's default: 10.5 pt


@dataclass(frozen=True)
class _Written:
    """A prose part as written: its XML, and each of its pictures' bytes with the relationship id
    the XML names it by, in order."""

    xml: str
    pictures: tuple[tuple[bytes, str], ...] = ()

    def reusable(self, tpl: Any) -> bool:
        """Relate the pictures to `tpl`'s document as writing the part does (python-docx's
        get_or_add_image: the image part, found by its bytes or added, and the relationship,
        found or added); True when each gets the id the XML names. Then the package is as
        writing would leave it, and so is the XML: it takes nothing else from the package (the
        picture's shape id and file name come from the template and the bytes, in the key).
        On False, writing the part again repeats the calls made so far, which find what they
        added, and carries on as if nothing had been reused."""
        part = tpl.get_docx().part
        return all(part.get_or_add_image(io.BytesIO(data))[0] == rid for data, rid in self.pictures)


class _Deferred:
    """A prose part built when the template prints it: parts a template does not print cost
    nothing, embed nothing and read no picture, and images enter the package in the order they
    are printed."""

    def __init__(self, build: Callable[[], str]):
        self._build = build
        self._xml: str | None = None

    def __html__(self) -> str:
        if self._xml is None:
            self._xml = self._build()
        return self._xml

    __str__ = __html__


def _write_part(app: Application, tpl: Any, prose: Prose) -> str:
    """The XML of `prose` written for `tpl`: the part kept under its key (_written_key) when
    there is one and it can be reused, else written anew (and kept)."""
    pictures = _picture_bytes(app, prose)
    key = _written_key(tpl, prose, pictures)
    kept = _WRITTEN.get(key) if key is not None else None
    if kept is None or not kept.reusable(tpl):
        writer = _PartWriter(app, tpl, prose, pictures)
        kept = _Written(str(writer.write()), tuple(writer.pictures))
        if key is not None:
            _WRITTEN.pop(key, None)
            _WRITTEN[key] = kept  # the newest last
            while len(_WRITTEN) > _WRITTEN_PARTS:
                del _WRITTEN[next(iter(_WRITTEN))]  # the oldest written part
    return kept.xml


#: Prose parts written in this process, by _written_key (oldest first): `chanjiao preview`
#: renders the whole document on every save, when only the saved file's part changed, and
#: writing the plan's ten parts was ~60 % of its render. Enough for both documents' parts and a
#: few dozen saves; a part is ~10–200 kB of XML.
_WRITTEN: dict[tuple[Any, ...], _Written] = {}
_WRITTEN_PARTS = 64


def clear_written() -> None:
    """Forget the prose parts kept by the writer (tests; a process that wants its memory back)."""
    _WRITTEN.clear()


def _picture_bytes(app: Application, prose: Prose) -> dict[tuple[str, str], bytes] | None:
    """The bytes of each picture of `prose` by (file, reference), read once for the key and the
    writer alike; None when one cannot be read (the part is then written anew, and the writer
    says what is wrong with the picture)."""
    out: dict[tuple[str, str], bytes] = {}
    for block in prose.blocks:
        if isinstance(block, Image):
            path = app.asset(block.loc.path, block.src)
            if isinstance(path, str):
                return None
            try:
                out[(block.loc.path, block.src)] = path.read_bytes()
            except OSError:
                return None
    return out


def _written_key(tpl: Any, prose: Prose, pictures: dict[tuple[str, str], bytes] | None) -> tuple[Any, ...] | None:
    """Everything a prose part's XML depends on, or None for a part that must be written anew.

    _PartWriter's output is a function of: the blocks (their text, marks and structure; their
    locations only name errors, kept anyway, so a key never equals one of different content);
    whether the part is numbered (the spec's path); the heading numbers of the form declaration;
    the template (style ids, text frame, font sizes, a picture's shape id: its bytes' digest,
    _Template in render.py); the pictures' bytes (their size, type and image part); and the
    code of this process. Besides, the package: a picture's relationship id, which _Written
    checks before reusing. Nothing else in the package is read or changed by a part: lists print
    literal markers (no numbering definitions), a table's style is the template's, and there are
    no footnotes, links or bookmarks in prose.
    """
    digest = getattr(tpl, "template_digest", None)
    if digest is None or pictures is None:
        return None
    numbered = prose.spec.path.startswith("plan_")
    images = tuple(hashlib.sha256(data).hexdigest() for data in pictures.values())
    return (digest, numbered, tuple(load_form().heading_numbers), prose.blocks, images)


def prose_writer(app: Application) -> Callable[[Any, Prose], _Deferred]:
    """The prose writer (template, prose) → subdocument for `app`, whose images are the files the
    reader resolved inside its content folder (`app.assets`), and nothing else."""

    return lambda tpl, prose: _Deferred(lambda: _write_part(app, tpl, prose))


# -- the finishing pass over a rendered document ---------------------------------------------------


def split_runs_by_script(document: Any) -> None:
    """Give Latin letters and digits in the rendered body and footnotes their own CJ西文 runs,
    and glue the tokens no line may split (phone numbers, dates, figures with units).

    Template text and template values (the cover's date, the summary table's figures) arrive in
    whatever run the template had; this splits those runs the same way prose is written. Runs
    with a character style of their own, fields and drawings are left as they are. A template
    without the CJ西文 style is left untouched.
    """
    latin_id = _Styles(document, "").get(LATIN)
    if latin_id is None:
        return
    for run in _may_split(document.element.body):
        _split_run(run, latin_id)
    # Footnotes ("2024—2026年填写…") are a part python-docx keeps as bytes: split them too.
    for part in document.part.package.iter_parts():
        if str(part.partname) == "/word/footnotes.xml":
            root = etree.fromstring(part.blob)
            for run in _may_split(root):
                _split_run(run, latin_id)
            part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


#: The text of each run under the context node whose first rPr has no rStyle (_split_run's first
#: test, in libxml2's C: asked of each run through lxml it was ~10 µs, a third of the pass).
_UNSTYLED_TEXTS = etree.XPath(".//w:r[not(w:rPr[1]/w:rStyle)]/w:t", namespaces={"w": W})


def _may_split(root: Any) -> list[Any]:
    """The runs under `root` that _split_run may change, in document order: those without a
    character style that have a w:t whose text _MAY_SPLIT matches. _split_run returns every
    other run untouched (its first and third tests), so looking at these alone gives the same
    document; the plan has ~1,700 runs and ~120 of them are these."""
    return list(dict.fromkeys(t.getparent() for t in _UNSTYLED_TEXTS(root) if _MAY_SPLIT.search(t.text or "")))


def _split_run(run: Any, latin_id: str) -> None:
    if run.tag != R:
        return
    r_pr = run.find(_RPR)
    if r_pr is not None and r_pr.find(_RSTYLE) is not None:
        return
    content = [c for c in run if c.tag != _RPR]
    if not content or any(c.tag not in _TEXT_CHILDREN for c in content):
        return
    if not any(_MAY_SPLIT.search(c.text or "") for c in content if c.tag == T):
        return  # nothing Latin, no digit, no joiner: run_segments would find one Chinese piece
    # (text or element, (is_latin, glued)); None: an element that goes with its run
    pieces: list[tuple[Any, tuple[bool, bool] | None]] = []
    for c in content:
        if c.tag == T:
            pieces.extend((text, (latin, glued)) for text, latin, glued in run_segments(c.text or ""))
        else:
            pieces.append((c, None))
    if not any(kind is not None and (kind[0] or kind[1]) for _piece, kind in pieces):
        return
    groups: list[tuple[tuple[bool, bool], list[Any]]] = []
    for piece, kind in pieces:
        if groups and (kind is None or groups[-1][0] == kind):
            groups[-1][1].append(piece)
        else:
            groups.append((kind or (False, False), [piece]))
    parent = run.getparent()
    for (latin, glued), items in groups:
        # Each element is made in the tree, where w: is declared (python-docx's OxmlElement, a
        # standalone element declaring it, was two thirds of splitting the 自评表's runs).
        new = etree.SubElement(parent, R)
        run.addprevious(new)  # from the parent's end to before the run
        if r_pr is not None:
            props = copy.deepcopy(r_pr)
            new.append(props)
        else:
            props = etree.SubElement(new, _RPR)
        if latin:
            fonts = props.find(_RFONTS)
            if fonts is not None:
                # A direct Latin font would override the character style.
                for attr in _LATIN_FONT_ATTRS:
                    fonts.attrib.pop(attr, None)
            style = etree.SubElement(props, _RSTYLE)
            style.set(_VAL, latin_id)
            props.insert(0, style)
        if glued:
            _tag_glued(props)
        if not len(props):
            new.remove(props)
        for item in items:
            if isinstance(item, str):
                t = etree.SubElement(new, T)
                t.text = item
                t.set(XML_SPACE, "preserve")
            else:
                new.append(item)
    parent.remove(run)
