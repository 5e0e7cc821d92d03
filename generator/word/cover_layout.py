"""The plan's cover, laid out after rendering: each value wraps inside its column on rows of its
own, so that every line is underlined, and the cover shrinks its spacing to stay on one page.

A bottom border under a table cell underlines only the cell's last line, and a run underline stops
where the text stops; a row per line, each with its bottom-bordered value cell, draws the same
full-width rule under every line in Word and in LibreOffice. The lines are cut here, from the cell
widths and the font size the template gives.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from lxml import etree

from generator.word.geometry import (
    TextLook,
    int_attr,
    paragraph_look,
    section_of,
    set_cell_text,
    style_ids,
    text_block,
)
from generator.word.lines import em_width
from generator.word.ooxml import w

#: Style names the cover is known by; the seal style is the plan cover's own.
VALUE_STYLE, SEAL_STYLE, TITLE_STYLE = "CJ封面", "CJ封面公章", "CJ封面标题"
#: Characters that may not start a line, and that may not end one (GB/T 15834 usage).
NO_START = set("、，。；：！？）》」』”’…—%")
NO_END = set("（《「『“‘")
#: The cover's rows and title spacing never shrink below this: one line, a little air.
MIN_ROW, MIN_TITLE_SPACE = 579, 240


def wrap(text: str, per_line: int) -> list[str]:
    """`text` cut into lines of at most `per_line` ems, keeping CJK punctuation off the wrong end."""
    lines: list[str] = []
    current = ""
    for ch in text:
        if current and em_width(current + ch) > per_line:
            moved = ""
            # A closing mark may not start the next line: take the last character down with it.
            if ch in NO_START and len(current) > 1:
                moved, current = current[-1], current[:-1]
            while len(current) > 1 and current[-1] in NO_END:
                moved, current = current[-1] + moved, current[:-1]
            lines.append(current)
            current = moved
        current += ch
    lines.append(current)
    return lines


def _cells(tr: etree._Element) -> list[etree._Element]:
    return tr.findall(w("tc"))


def _text(el: etree._Element) -> str:
    return "".join(t.text or "" for t in el.iter(w("t")))


def _bordered(tc: etree._Element) -> bool:
    bottom = tc.find(f"{w('tcPr')}/{w('tcBorders')}/{w('bottom')}")
    return bottom is not None and bottom.get(w("val")) not in (None, "nil", "none")


def _row_height(tr: etree._Element) -> int:
    return int_attr(tr.find(f"{w('trPr')}/{w('trHeight')}"), "val", MIN_ROW)


def _set_row_height(tr: etree._Element, twips: int) -> None:
    height = tr.find(f"{w('trPr')}/{w('trHeight')}")
    if height is not None:
        height.set(w("val"), str(twips))


def layout_cover(document: Any) -> None:
    """Wrap the cover's values row by row and keep the cover on one page (see the module doc)."""
    styles = document.styles.element
    ids = style_ids(styles)
    seal_id, value_id = ids.get(SEAL_STYLE), ids.get(VALUE_STYLE)
    if seal_id is None or value_id is None:
        return
    body = document.element.body
    table = next((t for t in body.iter(w("tbl")) if any(s.get(w("val")) == seal_id for s in t.iter(w("pStyle")))), None)
    # Only a cover drawn with bottom-bordered value cells (the plan's) is laid out here; a cover
    # that underlines its text another way (the 推荐书's) is left as its template made it.
    if table is None or not any(_bordered(tc) for tc in table.iter(w("tc"))):
        return
    look = paragraph_look(styles, value_id)
    margin = 108  # Word's default cell margin: the cover table sets none of its own
    for tr in list(table.findall(w("tr"))):
        cells = _cells(tr)
        value = next((tc for tc in cells if _bordered(tc)), None)
        if value is None:
            continue
        width = int_attr(value.find(f"{w('tcPr')}/{w('tcW')}"), "w", 0)
        per_line = max(1, (width - 2 * margin) // look.size)
        lines = wrap(_text(value), per_line)
        if len(lines) < 2:
            continue
        index = cells.index(value)
        rows = [tr] + [copy.deepcopy(tr) for _ in lines[1:]]
        for k, (row, line) in enumerate(zip(rows, lines, strict=True)):
            row_cells = _cells(row)
            set_cell_text(row_cells[index], line)
            for n, tc in enumerate(row_cells):
                if n < index and k > 0:
                    set_cell_text(tc, "")  # the label once, on the first line
                if n > index and k < len(rows) - 1:
                    set_cell_text(tc, "")  # the seal once, after the whole name
            if k > 0:
                _set_row_height(row, MIN_ROW)
                tr.getparent().insert(tr.getparent().index(rows[k - 1]) + 1, row)
    _fit_page(document, table, styles, ids)


def _fit_page(document: Any, table: etree._Element, styles: etree._Element, ids: dict[str, str]) -> None:
    """Take the air out of the cover (title spacing, then row heights) until it fits its page."""
    page = text_block(section_of(table))
    blocks = [el for el in table.itersiblings(preceding=True)]
    title_id = ids.get(TITLE_STYLE)
    title = next((p for p in blocks if p.tag == w("p") and any(s.get(w("val")) == title_id for s in p.iter(w("pStyle")))), None)
    others = sum(paragraph_look(styles, s.get(w("val"))).line for p in blocks if p is not title for s in p.iter(w("pStyle")))
    rows = table.findall(w("tr"))
    need = others + sum(_row_height(r) for r in rows) + 2 * MIN_ROW  # a line's room for what follows
    title_look = paragraph_look(styles, title_id) if title_id else TextLook(0, 0)
    before = after = 0
    if title is not None and title_id is not None:
        before, after = _title_spacing(styles, title_id)
        need += title_look.line + before + after
    excess = need - page.height
    if excess <= 0:
        return
    if title is not None:
        cut = min(excess, before + after - 2 * MIN_TITLE_SPACE)
        if cut > 0:
            new_before = before - math.ceil(cut * before / (before + after))
            new_after = before + after - cut - new_before
            _set_title_spacing(title, max(MIN_TITLE_SPACE, new_before), max(MIN_TITLE_SPACE, new_after))
            excess -= cut
    tall = [r for r in rows if _row_height(r) > MIN_ROW]
    if excess > 0 and tall:
        each = math.ceil(excess / len(tall))
        for r in tall:
            _set_row_height(r, max(MIN_ROW, _row_height(r) - each))


def _title_spacing(styles: etree._Element, style_id: str) -> tuple[int, int]:
    for s in styles.iter(w("style")):
        if s.get(w("styleId")) == style_id:
            spacing = s.find(f"{w('pPr')}/{w('spacing')}")
            return int_attr(spacing, "before", 0), int_attr(spacing, "after", 0)
    return 0, 0


def _set_title_spacing(title: etree._Element, before: int, after: int) -> None:
    ppr = title.find(w("pPr"))
    spacing = ppr.find(w("spacing"))
    if spacing is None:
        spacing = etree.Element(w("spacing"))
        # CT_PPr: spacing follows pStyle … snapToGrid; here only pStyle precedes it.
        ppr.find(w("pStyle")).addnext(spacing)
    spacing.set(w("before"), str(before))
    spacing.set(w("after"), str(after))
