"""The text of a .docx, in reading order, for `git diff` (textconv) and for reading documents back."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from generator.core.nobreak import strip_joiners
from generator.errors import ToolError
from generator.i18n import _
from generator.word.ooxml import (
    BR,
    CR,
    DEL,
    DRAWING,
    INSTR_TEXT,
    MARGIN_PART,
    MC_FALLBACK,
    NO_BREAK_HYPHEN,
    PPR,
    RPR,
    SDT,
    SDT_CONTENT,
    TAB,
    TBL,
    TC,
    TR,
    V_IMAGEDATA,
    P,
    R,
    T,
    w,
)


def paragraph_text(p: etree._Element) -> str:
    """A paragraph's visible text (deleted tracked text left out)."""
    out = []
    for el in p.iter(T, TAB, BR, NO_BREAK_HYPHEN):
        ancestors = [a.tag for a in el.iterancestors()]
        # w:tab also names a tab stop in the paragraph's properties: only run content prints.
        if R not in ancestors or DEL in ancestors:
            continue
        out.append(el.text or "" if el.tag == T else {TAB: "\t", BR: "\n", NO_BREAK_HYPHEN: "-"}[el.tag])
    return "".join(out)


def _block_lines(parent: etree._Element) -> list[str]:
    lines: list[str] = []
    for child in parent:
        if child.tag == P:
            lines.append(paragraph_text(child))
        elif child.tag == TBL:
            for row in child.iter(TR):
                cells = [" / ".join(t for t in _block_lines(tc) if t) for tc in row if tc.tag == TC]
                lines.append(" | ".join(cells))
        elif child.tag == SDT:
            content = child.find(SDT_CONTENT)
            if content is not None:
                lines.extend(_block_lines(content))
    return lines


def docx_text(path: Path) -> str:
    """The document body's text: one line per paragraph, table rows as `cell | cell`.

    As written, not as glued: the word joiners that keep a phone number or a figure on one line
    are invisible in Word, and in a diff they would only make equal text look different."""
    try:
        with zipfile.ZipFile(path) as zf:
            root = etree.fromstring(zf.read("word/document.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise ToolError(_("无法读取 Word 文档 {path}：{reason}").format(path=path, reason=exc)) from exc
    body = root.find(w("body"))
    return strip_joiners("\n".join(_block_lines(body))) if body is not None else ""


# -- the structured reading, for comparing a document with its PDF ------------------------------

_TWIPS_PER_PT = 20
#: Word's default left and right cell margin (0.19 cm) when a table does not set its own.
_DEFAULT_CELL_MARGIN_PT = 5.4


@dataclass(frozen=True)
class Paragraph:
    """One paragraph as printed, with where it sits in the document.

    `generated` are spans of `text` that Word computes when it prints (field results such as a
    PAGE number): the stored value is only a placeholder. `note_refs` are offsets in `text` where a
    footnote reference mark is printed (Word numbers it; the document stores no digit).
    """

    story: str  # "body", "footnote", "header" or "footer"
    text: str
    style: str = ""
    heading: bool = False
    section: int = 0
    table: int = -1  # index of the table in reading order; -1 outside tables
    row: int = -1  # index of the row over all tables
    cell: int = -1  # index of the cell over all tables
    cell_width: float = 0.0  # usable width of the cell in points (0 when unknown)
    generated: tuple[tuple[int, int], ...] = ()
    note_refs: tuple[int, ...] = ()
    header_row: bool = False  # in a table row repeated at the top of each page the table runs over
    vertical: bool = False  # in a cell whose text runs top to bottom (each character its own line)
    row_whole: bool = False  # in a row the document asks to keep on one page (w:cantSplit)


@dataclass(frozen=True)
class Section:
    """A section's page: size and the margins that bound the text block, in points."""

    width: float
    height: float
    top: float
    bottom: float
    left: float = 0.0  # a turned page prints its number left of the text block (GB/T 9704)

    @property
    def landscape(self) -> bool:
        """True for a page wider than it is high."""
        return self.width > self.height


@dataclass(frozen=True)
class DocxStructure:
    """A document read for comparison with its PDF: the body's paragraphs in reading order,
    the footnotes in reference order, the header and footer paragraphs, and the sections."""

    body: tuple[Paragraph, ...]
    footnotes: tuple[Paragraph, ...]
    margins: tuple[Paragraph, ...]  # headers and footers
    sections: tuple[Section, ...]
    images: int = 0  # pictures in the body


class _TextWalk:
    """Collects a paragraph's printed text in one pass over its elements (no ancestor look-ups:
    those made reading a 30-page document take a third of a second)."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.length = 0
        self.generated: list[tuple[int, int]] = []
        self.refs: list[int] = []
        self.note_ids: list[str] = []
        self.depth = 0
        self.result_start = -1

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.length += len(text)

    def walk(self, el: etree._Element, in_run: bool) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or tag in (DEL, MC_FALLBACK):
                continue  # deleted revisions and the fallback copy of alternate content do not print
            if tag == T:
                if in_run:
                    self.emit(child.text or "")
            elif tag == R:
                self.walk(child, True)
            elif tag == w("fldChar"):
                self.field_char(child.get(w("fldCharType")))
            elif tag == w("fldSimple"):
                start = self.length
                self.emit("".join(t.text or "" for t in child.iter(T)))
                self.generated.append((start, self.length))
            elif tag == TAB:
                if in_run:  # w:tab also names a tab stop in the paragraph's properties
                    self.emit("\t")
            elif tag in (BR, CR):
                self.emit("\n")
            elif tag == NO_BREAK_HYPHEN:
                self.emit("-")
            elif tag == w("footnoteReference"):
                self.refs.append(self.length)
                self.note_ids.append(child.get(w("id"), ""))
            elif tag == w("footnoteRef"):  # the number at the start of the footnote itself
                self.refs.append(self.length)
            elif tag not in (PPR, RPR, INSTR_TEXT):
                self.walk(child, in_run)

    def field_char(self, kind: str | None) -> None:
        if kind == "begin":
            self.depth += 1
        elif kind == "separate" and self.depth == 1:
            self.result_start = self.length
        elif kind == "end":
            if self.depth == 1 and self.result_start >= 0:
                self.generated.append((self.result_start, self.length))
            self.result_start = -1
            self.depth = max(0, self.depth - 1)


def _printed_text(p: etree._Element) -> tuple[str, tuple[tuple[int, int], ...], tuple[int, ...], list[str]]:
    """Text, generated spans, footnote reference offsets and referenced footnote ids of a paragraph."""
    walk = _TextWalk()
    walk.walk(p, False)
    return "".join(walk.out), tuple(walk.generated), tuple(walk.refs), walk.note_ids


def _heading_styles(styles_xml: bytes | None) -> set[str]:
    """Paragraph style ids that are headings: an outline level, or Word's "heading n" names."""
    if not styles_xml:
        return set()
    root = etree.fromstring(styles_xml)
    based: dict[str, str] = {}
    direct: set[str] = set()
    for style in root.iter(w("style")):
        sid = style.get(w("styleId"), "")
        name = style.find(w("name"))
        if style.find(f"{w('pPr')}/{w('outlineLvl')}") is not None or (
            name is not None and (name.get(w("val")) or "").lower().startswith("heading")
        ):
            direct.add(sid)
        parent = style.find(w("basedOn"))
        if parent is not None:
            based[sid] = parent.get(w("val"), "")
    out = set()
    for sid in {*based, *direct}:
        seen, cur = set(), sid
        while cur and cur not in seen:
            if cur in direct:
                out.add(sid)
                break
            seen.add(cur)
            cur = based.get(cur, "")
    return out


def _section(sect: etree._Element) -> Section:
    def twips(el_name: str, attr: str, default: float) -> float:
        el = sect.find(w(el_name))
        value = el.get(w(attr)) if el is not None else None
        try:
            return abs(float(value)) / _TWIPS_PER_PT if value else default
        except ValueError:
            return default

    return Section(
        twips("pgSz", "w", 595.3), twips("pgSz", "h", 841.9), twips("pgMar", "top", 72), twips("pgMar", "bottom", 72), twips("pgMar", "left", 72)
    )


#: Where a paragraph sits: table, row, cell, cell width, header row, vertical, row kept whole.
_Where = tuple[int, int, int, float, bool, bool, bool]


def _on(toggle: etree._Element | None) -> bool:
    """An OOXML on/off property: present and not switched off by its w:val."""
    return toggle is not None and toggle.get(w("val"), "true") not in ("0", "false", "off")


class _BodyWalker:
    """Walks the body in reading order, numbering tables, rows and cells, counting sections."""

    def __init__(self, headings: set[str]) -> None:
        self.headings = headings
        self.paragraphs: list[Paragraph] = []
        self.note_order: list[str] = []
        self.sections: list[Section] = []
        self.tables = self.rows = self.cells = 0

    def walk(self, parent: etree._Element, where: _Where = (-1, -1, -1, 0.0, False, False, False)) -> None:
        for child in parent:
            if child.tag == P:
                self.paragraph(child, where)
            elif child.tag == TBL:
                self.table(child)
            elif child.tag == SDT:
                content = child.find(SDT_CONTENT)
                if content is not None:
                    self.walk(content, where)
            elif child.tag == w("sectPr"):
                self.sections.append(_section(child))

    def paragraph(self, p: etree._Element, where: _Where) -> None:
        text, generated, refs, notes = _printed_text(p)
        self.note_order.extend(notes)
        style_el = p.find(f"{w('pPr')}/{w('pStyle')}")
        style = style_el.get(w("val"), "") if style_el is not None else ""
        heading = style in self.headings or p.find(f"{w('pPr')}/{w('outlineLvl')}") is not None
        table, row, cell, width, repeated, vertical, whole = where
        self.paragraphs.append(
            Paragraph("body", text, style, heading, len(self.sections), table, row, cell, width, generated, refs, repeated, vertical, whole)
        )
        sect = p.find(f"{w('pPr')}/{w('sectPr')}")
        if sect is not None:  # this paragraph ends a section
            self.sections.append(_section(sect))

    def table(self, tbl: etree._Element) -> None:
        table = self.tables
        self.tables += 1
        margin = _DEFAULT_CELL_MARGIN_PT * 2
        mar = tbl.find(f"{w('tblPr')}/{w('tblCellMar')}")
        if mar is not None:
            sides = [mar.find(w(s)) for s in ("left", "right", "start", "end")]
            widths = [float(s.get(w("w"), "0")) / _TWIPS_PER_PT for s in sides if s is not None]
            margin = sum(widths[:2]) if widths else margin
        for tr in tbl.iter(TR):
            if next(tr.iterancestors(TBL)) is not tbl:
                continue  # a nested table's rows are walked with their own table
            row = self.rows
            self.rows += 1
            repeated = _on(tr.find(f"{w('trPr')}/{w('tblHeader')}"))
            whole = _on(tr.find(f"{w('trPr')}/{w('cantSplit')}"))
            for tc in tr.findall(TC):
                cell = self.cells
                self.cells += 1
                tcw = tc.find(f"{w('tcPr')}/{w('tcW')}")
                width = 0.0
                if tcw is not None and tcw.get(w("type"), "dxa") == "dxa":
                    width = max(0.0, float(tcw.get(w("w"), "0")) / _TWIPS_PER_PT - margin)
                direction = tc.find(f"{w('tcPr')}/{w('textDirection')}")
                vertical = direction is not None and direction.get(w("val"), "lrTb") not in ("lrTb", "lrTbV")
                self.walk(tc, (table, row, cell, width, repeated, vertical, whole))


def _story(root: etree._Element | None, story: str) -> list[Paragraph]:
    if root is None:
        return []
    out = []
    for p in root.iter(P):
        text, generated, refs, _notes = _printed_text(p)
        out.append(Paragraph(story, text, generated=generated, note_refs=refs))
    return out


def read_docx_structure(path: Path) -> DocxStructure:
    """Read a .docx for comparison with its PDF (see DocxStructure)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            document = etree.fromstring(zf.read("word/document.xml"))
            styles = zf.read("word/styles.xml") if "word/styles.xml" in names else None
            notes_xml = zf.read("word/footnotes.xml") if "word/footnotes.xml" in names else None
            margin_parts = [etree.fromstring(zf.read(n)) for n in sorted(names) if MARGIN_PART.fullmatch(n)]
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise ToolError(_("无法读取 Word 文档 {path}：{reason}").format(path=path, reason=exc)) from exc
    walker = _BodyWalker(_heading_styles(styles))
    body = document.find(w("body"))
    if body is not None:
        walker.walk(body)
    footnotes: list[Paragraph] = []
    if notes_xml:
        by_id = {n.get(w("id")): n for n in etree.fromstring(notes_xml).iter(w("footnote"))}
        for note_id in walker.note_order:  # printed in the order they are referenced
            if note_id in by_id:
                footnotes.extend(_story(by_id[note_id], "footnote"))
    margins = [p for part in margin_parts for p in _story(part, "header" if part.tag == w("hdr") else "footer")]
    images = sum(1 for _el in document.iter(DRAWING, V_IMAGEDATA))
    sections = tuple(walker.sections) or (Section(595.3, 841.9, 72, 72),)
    return DocxStructure(tuple(walker.paragraphs), tuple(footnotes), tuple(margins), sections, images)
