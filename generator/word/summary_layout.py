"""The summary table's layout, computed after rendering: the font size (五号, or 小五 when that
saves a page or keeps names whole), column widths from the names in each column, and
continuation tables headed 表 …（续） where one landscape page cannot hold it.

LibreOffice and Word size a fixed-layout table by its grid, and neither can mark a continued table
（续）: both are done here, from the text each cell holds and the look the template gives it
(font size and exact line spacing of the CJ汇总表 styles, page size and margins of its section),
with the line model of `lines` (names break only after the 、 between them).
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
from typing import Any

from lxml import etree

from generator.core.nobreak import WORD_JOINER
from generator.word.context import LIST_SEPARATOR
from generator.word.geometry import (
    Page,
    TextLook,
    int_attr,
    paragraph_look,
    section_of,
    set_cell_text,
    set_paragraph_look,
    style_ids,
    text_block,
)
from generator.word.lines import (
    CONDENSED,
    count_lines,
    cut_piece,
    em_width,
    line_end_width,
    pack,
    take_lines,
    units,
)
from generator.word.ooxml import w

#: Style names (not ids: the template may be saved by another program) the table is known by.
HEAD_STYLE, DATA_STYLE, TITLE_STYLE = "CJ汇总表头", "CJ汇总表", "CJ表题"
CONTINUED = "（续）"
#: Each header label wraps to at most this many lines, which sets the narrowest a column may be.
HEAD_LINES = 3
#: Room kept free on each page for what the estimate cannot know (font metrics, borders).
SAFETY_LINES = 1
#: The narrowest a column holding names may be, in characters (see `SummaryTable.widths`): 4
#: costs the example its whole council names (the 、 of a 15-character name no longer fits) and
#: 60 ordinary firms a third page.
MIN_PIECE = 3
#: A row is not started in fewer lines than this at the foot of a page: it starts the next one.
MIN_SPLIT_LINES = 4


class SummaryTable:
    """One rendered summary table and what its layout depends on."""

    def __init__(self, tbl: etree._Element, page: Page, data: TextLook, head: TextLook, margins: tuple[int, int, int]) -> None:
        self.tbl, self.page, self.data, self.head = tbl, page, data, head
        self.cell_lr, self.cell_tb, self.border = margins
        rows = tbl.findall(w("tr"))
        self.head_rows = [r for r in rows if r.find(f"{w('trPr')}/{w('tblHeader')}") is not None]
        self.body_rows = [r for r in rows if r not in self.head_rows]
        self.ncols = len(tbl.findall(f"{w('tblGrid')}/{w('gridCol')}"))
        self.title_h = 0  # height of the title above the table, set by the caller

    # -- cells by grid column ---------------------------------------------------------------------

    def cells(self, tr: etree._Element) -> list[tuple[int, int, etree._Element]]:
        """(first grid column, span, tc) for each cell of a row."""
        out, col = [], 0
        for tc in tr.findall(w("tc")):
            span = int_attr(tc.find(f"{w('tcPr')}/{w('gridSpan')}"), "val", 1)
            out.append((col, span, tc))
            col += span
        return out

    @staticmethod
    def text(tc: etree._Element) -> str:
        return "".join(t.text or "" for t in tc.iter(w("t")))

    def column_texts(self, tr: etree._Element) -> list[str]:
        texts = [""] * self.ncols
        for col, span, tc in self.cells(tr):
            if span == 1:
                texts[col] = self.text(tc)
        return texts

    # -- widths -----------------------------------------------------------------------------------

    def _per_line(self, width: int, look: TextLook) -> float:
        return max(1, (width - 2 * self.cell_lr) // look.size)

    def widths(self) -> list[int]:
        """Grid widths for the current look: as many names whole as the page allows (a name is
        whole when its column is at least as wide as it, with the 、 after it); among those, the
        widths that make the rows shortest; what is left over goes to the columns with the most
        text. Each column is wide enough for its header label in `HEAD_LINES` lines."""
        total = self.page.width
        room = int((total - self.ncols * (2 * self.cell_lr + self.border)) // self.data.size)  # whole ems to share
        rows = [[units(t) for t in self.column_texts(tr)] for tr in self.body_rows]
        minimum = [2] * self.ncols  # in ems of the data font: a two-character label (序号) on one line
        for tr in self.head_rows:
            for col, span, tc in self.cells(tr):
                if span == 1:
                    need = math.ceil(em_width(self.text(tc)) / HEAD_LINES) * self.head.size / self.data.size
                    minimum[col] = max(minimum[col], math.ceil(need))
        # A name cut to fit is cut into pieces of at least `MIN_PIECE` characters: a column is
        # never narrower than that, or than its longest name when that is shorter.
        for c in range(self.ncols):
            longest = max((math.ceil(line_end_width(p) - 1e-6) for r in rows for p in r[c]), default=0)
            minimum[c] = max(minimum[c], min(MIN_PIECE, longest))
        while sum(minimum) > room and max(minimum) > 2:
            minimum[minimum.index(max(minimum))] -= 1
        whole = _most_names_whole(rows, minimum, room, self.data.line, self.row_budget())
        demand = [sum(em_width("".join(r[c])) for r in rows) for c in range(self.ncols)]
        spare = room - sum(whole)
        if spare > 0 and sum(demand) > 0:
            for c in range(self.ncols):
                whole[c] += math.floor(spare * demand[c] / sum(demand))
        widths = [e * self.data.size + 2 * self.cell_lr + self.border for e in whole]
        widths[max(range(self.ncols), key=lambda i: demand[i])] += total - sum(widths)
        return widths

    def row_budget(self) -> int:
        """Height left for data rows on one page, with the header estimated at its tallest
        (`HEAD_LINES` lines): the widths are not known yet."""
        head = max(sum(int_attr(tr.find(f"{w('trPr')}/{w('trHeight')}"), "val", 0) for tr in self.head_rows),
                   HEAD_LINES * self.head.line + 2 * self.cell_tb + self.border)
        return self.page.height - self.title_h - head - SAFETY_LINES * self.data.line

    def broken_names(self) -> int:
        """Names wider than their column at the current widths (they wrap inside)."""
        rows = [[units(t) for t in self.column_texts(tr)] for tr in self.body_rows]
        per_line = [self._per_line(wd, self.data) for wd in self.widths_now]
        return sum(1 for r in rows for c, pieces in enumerate(r) for p in pieces if line_end_width(p) > per_line[c] + 1e-6)

    def body_height(self) -> int:
        """Height of all data rows at the current widths and look."""
        return sum(self._row_height(self.lines_of(self.column_texts(tr)), self.data, tr) for tr in self.body_rows)

    def set_widths(self, widths: list[int]) -> None:
        self.widths_now = widths
        grid = self.tbl.find(w("tblGrid"))
        for col, width in zip(grid.findall(w("gridCol")), widths, strict=True):
            col.set(w("w"), str(width))
        tbl_w = self.tbl.find(f"{w('tblPr')}/{w('tblW')}")
        if tbl_w is not None:
            tbl_w.set(w("w"), str(sum(widths)))
            tbl_w.set(w("type"), "dxa")
        for tr in self.tbl.findall(w("tr")):
            for col, span, tc in self.cells(tr):
                tc_w = tc.find(f"{w('tcPr')}/{w('tcW')}")
                if tc_w is not None:
                    tc_w.set(w("w"), str(sum(widths[col : col + span])))
                    tc_w.set(w("type"), "dxa")

    # -- heights ----------------------------------------------------------------------------------

    def _row_height(self, lines: int, look: TextLook, tr: etree._Element) -> int:
        least = int_attr(tr.find(f"{w('trPr')}/{w('trHeight')}"), "val", 0)
        return max(least, lines * look.line + 2 * self.cell_tb + self.border)

    def head_height(self) -> int:
        """Height of the header rows; cells merged down over both rows share their height."""
        heights, merged = [], 0
        for tr in self.head_rows:
            lines = 1
            for col, span, tc in self.cells(tr):
                width = sum(self.widths_now[col : col + span])
                n = count_lines(list(self.text(tc)), self._per_line(width, self.head))
                if tc.find(f"{w('tcPr')}/{w('vMerge')}") is not None and tc.find(f"{w('tcPr')}/{w('vMerge')}").get(w("val")) == "restart":
                    merged = max(merged, n * self.head.line + 2 * self.cell_tb)
                elif self.text(tc):
                    lines = max(lines, n)
            heights.append(self._row_height(lines, self.head, tr))
        return max(sum(heights), merged)

    def lines_of(self, texts: list[str]) -> int:
        return max(count_lines(units(t), self._per_line(self.widths_now[c], self.data)) for c, t in enumerate(texts))


def _most_names_whole(rows: list[list[list[str]]], minimum: list[int], room: int, line: int, budget: int) -> list[int]:
    """_widths_for, kept for the same table: the search is a third of the plan's render, and
    `chanjiao preview` renders the plan on every save of its prose, whose summary table (member
    names from YAML) has not changed."""
    frozen = tuple(tuple(tuple(cell) for cell in row) for row in rows)
    return list(_widths_for(frozen, tuple(minimum), room, line, budget))


@functools.lru_cache(maxsize=16)
def _widths_for(frozen: tuple[tuple[tuple[str, ...], ...], ...], minimum_: tuple[int, ...], room: int, line: int, budget: int) -> tuple[int, ...]:
    rows = [[list(cell) for cell in row] for row in frozen]
    minimum = list(minimum_)
    return tuple(_search_widths(rows, minimum, room, line, budget))


def _search_widths(rows: list[list[list[str]]], minimum: list[int], room: int, line: int, budget: int) -> list[int]:
    """Column widths in ems, summing to at most `room`, that take the fewest pages (`budget`
    twips of rows each), then break the fewest names, then make the rows the fewest lines.

    A name wider than its column costs one for each extra line it takes (and more when it ends
    in a stub, see `_break_cost`): a 23-character name cut into 2-character pieces costs 11, into
    two halves 1, so the room goes first where it keeps names whole and never leaves a column a
    sliver. For each bound L on the lines of any cell,
    every column has a narrowest width that holds its cells in L lines; which columns get the rest
    of the room is a small knapsack (ems × columns), solved exactly: names break only between
    names, so lines do not fall in proportion to width and a proportional share misses the best.
    """
    ncols = len(minimum)
    top = max(room, max(minimum))
    # lines[c][wd], cost[c][wd]: the tallest cell of column c, and its names' extra lines, at wd ems.
    lines = [[0] * (top + 1) for _ in range(ncols)]
    cost = [[0] * (top + 1) for _ in range(ncols)]
    for c in range(ncols):
        names = [line_end_width(p) for r in rows for p in r[c]]
        for wd in range(1, top + 1):
            lines[c][wd] = max((count_lines(r[c], wd) for r in rows), default=1)
            cost[c][wd] = sum(_break_cost(n, wd) for n in names if n > wd + 1e-6)
    best: tuple[tuple[int, int, int], list[int]] | None = None
    tallest = max(lines[c][minimum[c]] for c in range(ncols))
    seen: set[tuple[int, ...]] = set()
    for bound in range(1, tallest + 1):
        narrowest = []
        for c in range(ncols):
            fit = next((x for x in range(minimum[c], top + 1) if lines[c][x] <= bound), None)
            if fit is None:
                break
            narrowest.append(fit)
        if len(narrowest) < ncols or sum(narrowest) > room or tuple(narrowest) in seen:
            continue
        seen.add(tuple(narrowest))
        spare = room - sum(narrowest)
        # table[s]: (cost, extra ems per column) spending at most s ems over the columns so far.
        table: list[tuple[int, list[int]]] = [(0, [])] * (spare + 1)
        for c in range(ncols):
            base = narrowest[c]
            options = [0, *(x - base for x in range(base + 1, min(top, base + spare) + 1) if cost[c][x] < cost[c][x - 1])]
            table = [
                min(((table[s - e][0] + cost[c][base + e], [*table[s - e][1], e]) for e in options if e <= s), key=lambda t: t[0])
                for s in range(spare + 1)
            ]
        broken, extras = table[spare]
        widths = [n + e for n, e in zip(narrowest, extras, strict=True)]
        height = sum(max(lines_of_row(r, widths)) * line for r in rows)
        # Fewest pages first (a page's worth of rows per `budget`), then fewest broken names.
        pages = max(1, math.ceil(height / max(budget, 1)))
        key = (-pages, -broken, -height)
        if best is None or key > best[0]:
            best = (key, widths)
        if broken == 0 and pages == 1:
            break
    if best is None:
        return list(minimum)
    return best[1]


#: What a cut name's last line costs on top of its extra lines when it holds no more than
#: `ORPHAN` ems ("会、" or "园、" alone reads as a name of its own).
ORPHAN, ORPHAN_COST = 2.0, 2


def _break_cost(width: float, per_line: int) -> int:
    """The cost of a name `width` ems wide (its 、 condensed) in a column `per_line` ems wide that
    it does not fit: its extra lines, more when its last line is a stub."""
    extra = math.ceil(width / per_line - 1e-6) - 1
    last = width - extra * per_line
    return extra + (ORPHAN_COST if last <= ORPHAN + 1e-6 else 0)


def lines_of_row(row: list[list[str]], widths: list[int]) -> list[int]:
    """Lines each cell of a row fills at `widths` ems."""
    return [count_lines(pieces, wd) for pieces, wd in zip(row, widths, strict=True)]


def _cell_margins(styles: etree._Element, tbl: etree._Element) -> tuple[int, int, int]:
    """Left/right and top/bottom cell margins of `tbl` (its own, else its style's) and the border
    allowance, in twips."""
    style_ref = tbl.find(f"{w('tblPr')}/{w('tblStyle')}")
    lr, tb = 108, 0
    for s in styles.iter(w("style")):
        if style_ref is not None and s.get(w("styleId")) == style_ref.get(w("val")):
            mar = s.find(f"{w('tblPr')}/{w('tblCellMar')}")
            if mar is not None:
                lr = int_attr(mar.find(w("left")), "w", lr)
                tb = int_attr(mar.find(w("top")), "w", tb)
    own = tbl.find(f"{w('tblPr')}/{w('tblCellMar')}")
    if own is not None:
        lr = int_attr(own.find(w("left")), "w", lr)
        tb = int_attr(own.find(w("top")), "w", tb)
    return lr, tb, 20  # borders: ½ pt lines, about 10 twips each side


def _title_before(tbl: etree._Element, title_id: str | None) -> etree._Element | None:
    prev = tbl.getprevious()
    if prev is not None and prev.tag == w("p") and title_id is not None:
        style = prev.find(f"{w('pPr')}/{w('pStyle')}")
        if style is not None and style.get(w("val")) == title_id:
            return prev
    return None


def _continued_title(title: etree._Element) -> etree._Element:
    """A copy of the table title that starts a new page and ends in （续）."""
    new = copy.deepcopy(title)
    runs = new.findall(w("r"))
    last_t = runs[-1].findall(w("t"))[-1] if runs and runs[-1].findall(w("t")) else None
    if last_t is not None:
        last_t.text = (last_t.text or "") + CONTINUED
    ppr = new.find(w("pPr"))
    if ppr.find(w("pageBreakBefore")) is None:
        # pageBreakBefore comes right after pStyle/keepNext/keepLines in CT_PPr's sequence.
        anchor = [c for c in ppr if c.tag in (w("pStyle"), w("keepNext"), w("keepLines"))]
        index = ppr.index(anchor[-1]) + 1 if anchor else 0
        ppr.insert(index, etree.Element(w("pageBreakBefore")))
    return new


def _page_break() -> etree._Element:
    p = etree.Element(w("p"))
    etree.SubElement(etree.SubElement(p, w("pPr")), w("pageBreakBefore"))
    return p


def _write_lines(table: SummaryTable, tbl: etree._Element) -> None:
    """Break each wrapping data cell where `pack` says, with explicit line breaks, and take the
    word joiners out.

    LibreOffice 7.4 breaks between any two Han characters even across a word joiner, so the
    joiners alone do not keep a name whole there; a break before each name that starts a line
    does, in Word as well. Once the breaks are placed the joiners have done their work (telling
    names apart); left in, they would stop a search in Word for a name and show up in diffs.
    Wrapping cells are left-aligned: a centred ragged list is hard to read.
    """
    for tr in tbl.findall(w("tr"))[len(table.head_rows) :]:
        for col, span, tc in table.cells(tr):
            if span != 1:
                continue
            segments, _lines = pack(units(table.text(tc)), table._per_line(table.widths_now[col], table.data))
            set_cell_text(tc, [seg.replace(WORD_JOINER, "") for seg in segments], condense=round(CONDENSED * table.data.size))
            if len(segments) < 2:
                continue
            for p in tc.findall(w("p")):
                ppr = p.find(w("pPr"))
                if ppr is None:
                    ppr = etree.Element(w("pPr"))
                    p.insert(0, ppr)
                jc = ppr.find(w("jc"))
                if jc is None:
                    jc = etree.Element(w("jc"))
                    later = [c for c in ppr if c.tag in _AFTER_JC]
                    if later:
                        later[0].addprevious(jc)
                    else:
                        ppr.append(jc)
                jc.set(w("val"), "left")


#: What may follow w:jc in a paragraph's properties (CT_PPr's sequence).
_AFTER_JC = frozenset(
    w(t) for t in ("textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")
)


#: The steps the table's font may take to fit on one page: 五号, then 小五 (no smaller: the
#: names must stay legible on paper), in half-points.
SIZES = (21, 18)


def layout_summary_tables(document: Any) -> int:
    """Fit every summary table of a rendered python-docx `document`: font size and widths from
    the content, continuation tables where a page is full. Returns the number of pages the tables
    take."""
    root = document.element
    styles = document.styles.element
    ids = style_ids(styles)
    head_id, data_id = ids.get(HEAD_STYLE), ids.get(DATA_STYLE)
    if head_id is None or data_id is None:
        return 0
    head_look, data_look = paragraph_look(styles, head_id), paragraph_look(styles, data_id)
    title_id = ids.get(TITLE_STYLE)
    title_look = paragraph_look(styles, title_id) if title_id else TextLook(0, 0)
    pages = 0
    for tbl in list(root.iter(w("tbl"))):
        if not any(ps.get(w("val")) == head_id for ps in tbl.iter(w("pStyle"))):
            continue
        page, margins, title = text_block(section_of(tbl)), _cell_margins(styles, tbl), _title_before(tbl, title_id)
        key = _laid_key(tbl, title, page, (data_look, head_look, title_look), margins)
        laid = _LAID.get(key)
        if laid is None:
            laid = _lay_out(SummaryTable(tbl, page, data_look, head_look, margins), title, title_look)
            if laid is None:
                continue
            if laid.keep:
                _LAID[key] = laid
            while len(_LAID) > _LAID_TABLES:
                del _LAID[next(iter(_LAID))]
        else:
            laid.put(tbl)
        if laid.data != data_look:
            # The styles belong to this table alone: the size is set once there, not per run.
            set_paragraph_look(styles, data_id, laid.data)
            set_paragraph_look(styles, head_id, laid.head)
            data_look, head_look = laid.data, laid.head
        pages += laid.pages
    return pages


class _Laid:
    """A summary table as laid out: the look chosen, the pages, and copies of the table and of
    what was put after it (the continuations, each after its title or page break)."""

    def __init__(self, data: TextLook, head: TextLook, pages: int, elements: list[etree._Element], keep: bool = True):
        self.data, self.head, self.pages, self.keep = data, head, pages, keep
        self.elements = [copy.deepcopy(el) for el in elements] if keep else []

    def put(self, tbl: etree._Element) -> None:
        """Put copies of the laid-out elements in place of `tbl`, as laying it out leaves them."""
        new = [copy.deepcopy(el) for el in self.elements]
        tbl.getparent().replace(tbl, new[0])
        for before, el in itertools.pairwise(new):
            before.addnext(el)


#: Summary tables laid out in this process, by _laid_key: `chanjiao preview` renders the plan on
#: every save of its prose, which the table does not show (~12 ms of the plan's render).
_LAID: dict[tuple[Any, ...], _Laid] = {}
_LAID_TABLES = 8


def clear_laid() -> None:
    """Forget the summary tables kept by layout_summary_tables (tests)."""
    _LAID.clear()


def _laid_key(
    tbl: etree._Element, title: etree._Element | None, page: Page, looks: tuple[TextLook, TextLook, TextLook], margins: tuple[int, int, int]
) -> tuple[Any, ...]:
    """Everything the layout of `tbl` reads: the table's XML (its text, widths, rows, styles'
    ids), its title's (copied onto continuation pages), the text block of its section, the looks
    of its data, header and title styles, and its cell margins; and the code of this process."""
    return (etree.tostring(tbl), None if title is None else etree.tostring(title), page, looks, margins)


def _lay_out(table: SummaryTable, title: etree._Element | None, title_look: TextLook) -> _Laid | None:
    """Lay out `table` in the document (look, widths, pages, lines); None for a table without a
    header row or rows (left as it is)."""
    if not table.body_rows or not table.head_rows:
        return None
    after = table.tbl.getnext()  # what followed the table before the continuations went in
    data, head = _choose_look(table, _title_height(title, title_look))
    pages = _paginate(table, title, title_look)
    continuations = _continuations(table.tbl, table)
    for t in [table.tbl, *continuations]:
        _write_lines(table, t)
    elements = [table.tbl]
    while elements[-1].getnext() is not None and elements[-1].getnext() is not after:
        elements.append(elements[-1].getnext())
    # A table of the template's own after a page break right below this one passes for a
    # continuation and has its lines written too: such a layout reads and changes more than the
    # key and the copies hold, and is not kept.
    return _Laid(data, head, pages, elements, keep=all(any(c is e for e in elements) for c in continuations))


def _scaled(look: TextLook, half_points: int) -> TextLook:
    """`look` at another font size, its exact line pitch scaled with it."""
    size = half_points * 10
    return look if size >= look.size else TextLook(size, round(look.line * size / look.size))


def _choose_look(table: SummaryTable, title_h: int) -> tuple[TextLook, TextLook]:
    """The size of `SIZES` (not above the template's) at which the table takes the fewest pages
    and, on a tie, breaks the fewest names (the larger size on a tie): 五号 unless 小五 saves a
    page or keeps names whole that 五号 must break. The table's widths are set for it."""
    best: tuple[tuple[int, int], TextLook, TextLook] | None = None
    start_data, start_head = table.data, table.head
    table.title_h = title_h
    for half_points in SIZES:
        data, head = _scaled(start_data, half_points), _scaled(start_head, half_points)
        if best is not None and data == best[1]:
            continue
        table.data, table.head = data, head
        table.set_widths(table.widths())
        capacity = _capacity(table, title_h)
        pages = max(1, math.ceil(table.body_height() / max(capacity, 1)))
        key = (pages, table.broken_names())
        if best is None or key < best[0]:
            best = (key, data, head)
        if key == (1, 0):
            break
    assert best is not None
    table.data, table.head = best[1], best[2]
    table.set_widths(table.widths())
    return best[1], best[2]


def _title_height(title: etree._Element | None, title_look: TextLook) -> int:
    if title is None:
        return 0
    return title_look.line + int_attr(title.find(f"{w('pPr')}/{w('spacing')}"), "after", 240)


def _capacity(table: SummaryTable, title_h: int) -> int:
    """Height left on a page for data rows below the title and the header."""
    return table.page.height - title_h - table.head_height() - SAFETY_LINES * table.data.line


def _continuations(tbl: etree._Element, table: SummaryTable) -> list[etree._Element]:
    """The continuation tables `_paginate` put after `tbl`."""
    out = []
    el = tbl.getnext()
    while el is not None and el.tag == w("p") and el.find(f"{w('pPr')}/{w('pageBreakBefore')}") is not None:
        nxt = el.getnext()
        if nxt is None or nxt.tag != w("tbl"):
            break
        out.append(nxt)
        el = nxt.getnext()
    return out


def _paginate(table: SummaryTable, title: etree._Element | None, title_look: TextLook) -> int:
    """Split the data rows over pages; rows too tall for what is left of a page are cut between
    names, the rest going to a continuation table on the next page. Returns the page count."""
    capacity = _capacity(table, _title_height(title, title_look))
    per_line = [table._per_line(width, table.data) for width in table.widths_now]
    pages: list[list[etree._Element]] = [[]]
    room = capacity
    queue = list(table.body_rows)
    for tr in table.body_rows:
        table.tbl.remove(tr)
    while queue:
        tr = queue.pop(0)
        texts = table.column_texts(tr)
        height = table._row_height(table.lines_of(texts), table.data, tr)
        if height <= room:
            pages[-1].append(tr)
            room -= height
            continue
        fit_lines = (room - 2 * table.cell_tb - table.border) // table.data.line
        if fit_lines < MIN_SPLIT_LINES and pages[-1]:
            pages.append([])
            room = capacity
            queue.insert(0, tr)
            continue
        first, rest = _split_row(table, tr, texts, _cut_texts(texts, per_line, max(fit_lines, 1)))
        pages[-1].append(first)
        pages.append([])
        room = capacity
        queue.insert(0, rest)
    _place_pages(table, pages, title)
    return len([p for p in pages if p])


def _cut_texts(texts: list[str], per_line: list[float], fit_lines: int) -> tuple[list[str], list[str]]:
    """Each column's text cut after `fit_lines` lines, between names: (this page's, the rest)."""
    head_texts, tail_texts = [], []
    for col, text in enumerate(texts):
        pieces = units(text)
        n = take_lines(pieces, per_line[col], fit_lines)
        head, tail = pieces[:n], pieces[n:]
        if tail and em_width(tail[0].rstrip(LIST_SEPARATOR)) > per_line[col]:
            # A name wider than its column wraps anyway: let it fill this page's last lines.
            left = fit_lines - (count_lines(head, per_line[col]) if head else 0)
            cut = cut_piece(tail[0], left * per_line[col])
            if cut:
                head, tail = [*head, cut], [tail[0][len(cut) :].lstrip(WORD_JOINER), *tail[1:]]
        head_texts.append("".join(head).rstrip(LIST_SEPARATOR))
        tail_texts.append("".join(tail))
    return head_texts, tail_texts


def _split_row(
    table: SummaryTable, tr: etree._Element, texts: list[str], cut: tuple[list[str], list[str]]
) -> tuple[etree._Element, etree._Element]:
    """Row `tr` as two rows: its first part on this page, the rest for the next."""
    head_texts, tail_texts = cut
    first, rest = copy.deepcopy(tr), copy.deepcopy(tr)
    for (col, span, tc), (_c, _s, tc_rest) in zip(table.cells(first), table.cells(rest), strict=True):
        if span != 1:
            continue
        set_cell_text(tc, head_texts[col])
        # The continuation repeats the row's first column (序号) so the reader can follow it.
        set_cell_text(tc_rest, texts[col] if col == 0 else tail_texts[col])
    return first, rest


def _place_pages(table: SummaryTable, pages: list[list[etree._Element]], title: etree._Element | None) -> None:
    """The first page's rows back in the table; each later page a copy of it (title, header)."""
    for tr in pages[0]:
        table.tbl.append(tr)
    anchor = table.tbl
    for rows in pages[1:]:
        if not rows:
            continue
        # Two tables side by side would merge into one: a paragraph always separates them, and
        # it is where the new page starts.
        new_title = _continued_title(title) if title is not None else _page_break()
        anchor.addnext(new_title)
        anchor = new_title
        new_tbl = copy.deepcopy(table.tbl)
        for tr in new_tbl.findall(w("tr"))[len(table.head_rows) :]:
            new_tbl.remove(tr)
        for tr in rows:
            new_tbl.append(tr)
        anchor.addnext(new_tbl)
        anchor = new_tbl
