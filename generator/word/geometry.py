"""What a rendered document says about where text goes: the text block of a section, the font
size and line pitch of a paragraph style, and cells rewritten in place (the layout steps' reading
of the OOXML, in twips)."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from lxml import etree

from generator.word.ooxml import XML_SPACE, w
from generator.word.ooxml import W as W_NS  # noqa: F401  (the layout tests read it from here)


def int_attr(el: etree._Element | None, attr: str, default: int) -> int:
    """An attribute of `el` as whole twips (or half-points), `default` when it is absent."""
    if el is None or el.get(w(attr)) is None:
        return default
    return int(float(el.get(w(attr))))


@dataclass(frozen=True)
class TextLook:
    """Font size and exact line pitch of a paragraph style, in twips."""

    size: int
    line: int


@dataclass(frozen=True)
class Page:
    """The text block a table sits in, in twips."""

    width: int
    height: int


def style_ids(styles: etree._Element) -> dict[str, str]:
    """Style name → style id (templates are read by style name)."""
    return {s.find(w("name")).get(w("val")): s.get(w("styleId")) for s in styles.iter(w("style")) if s.find(w("name")) is not None}


def paragraph_look(styles: etree._Element, style_id: str) -> TextLook:
    """Size and exact line pitch a paragraph style gives, following basedOn and the defaults."""
    size, line = None, None
    by_id = {s.get(w("styleId")): s for s in styles.iter(w("style"))}
    style = by_id.get(style_id)
    while style is not None and (size is None or line is None):
        if size is None and style.find(f"{w('rPr')}/{w('sz')}") is not None:
            size = int_attr(style.find(f"{w('rPr')}/{w('sz')}"), "val", 21) * 10
        if line is None and style.find(f"{w('pPr')}/{w('spacing')}") is not None:
            spacing = style.find(f"{w('pPr')}/{w('spacing')}")
            if spacing.get(w("line")) is not None and spacing.get(w("lineRule")) == "exact":
                line = int_attr(spacing, "line", 0)
        based = style.find(w("basedOn"))
        style = by_id.get(based.get(w("val"))) if based is not None else None
    size = size or 210
    return TextLook(size=size, line=line or round(size * 1.3))


def set_paragraph_look(styles: etree._Element, style_id: str, look: TextLook) -> None:
    """Give a paragraph style `look`'s font size and exact line pitch."""
    style = next(s for s in styles.iter(w("style")) if s.get(w("styleId")) == style_id)
    ppr, rpr = _child(style, "pPr"), _child(style, "rPr")
    spacing = ppr.find(w("spacing"))
    if spacing is None:
        spacing = etree.Element(w("spacing"))
        # spacing follows the keep/page-break/frame/numbering/border/shading/tabs/hyphenation
        # group in CT_PPr; placed before ind, contextualSpacing and jc it keeps the order valid.
        later = [c for c in ppr if c.tag in (w("ind"), w("contextualSpacing"), w("jc"), w("outlineLvl"))]
        if later:
            later[0].addprevious(spacing)
        else:
            ppr.append(spacing)
    spacing.set(w("line"), str(look.line))
    spacing.set(w("lineRule"), "exact")
    for tag in ("sz", "szCs"):
        el = rpr.find(w(tag))
        if el is None:
            raise ValueError(f"style {style_id} has no {tag}")
        el.set(w("val"), str(look.size // 10))


def _child(el: etree._Element, tag: str) -> etree._Element:
    found = el.find(w(tag))
    if found is None:
        raise ValueError(f"style {el.get(w('styleId'))} has no {tag}")
    return found


def section_of(tbl: etree._Element) -> etree._Element | None:
    """The section properties that govern `tbl`: the next section break after it."""
    for el in tbl.itersiblings():
        found = el.find(f"{w('pPr')}/{w('sectPr')}")
        if found is not None:
            return found
        if el.tag == w("sectPr"):
            return el
    return None


def text_block(sect: etree._Element | None) -> Page:
    """The text block of a section (A4 landscape with the plan's margins when unknown)."""
    size = sect.find(w("pgSz")) if sect is not None else None
    mar = sect.find(w("pgMar")) if sect is not None else None
    width = int_attr(size, "w", 16838) - int_attr(mar, "left", 1587) - int_attr(mar, "right", 1474)
    height = int_attr(size, "h", 11906) - int_attr(mar, "top", 2098) - int_attr(mar, "bottom", 1984)
    return Page(width, height)


def set_cell_text(tc: etree._Element, value: str | list[str], *, condense: int = 0) -> None:
    """Give a cell's (first) paragraph `value` in its first run, keeping that run's properties;
    a list is written as lines joined by line breaks. With `condense` (twips), a 、 that ends a
    line before a break is set that much narrower, in a run of its own (line-end punctuation
    compressed to half width, as Chinese typesetting does)."""
    p = tc.find(w("p"))
    runs = p.findall(w("r"))
    for r in runs[1:]:
        p.remove(r)
    run = runs[0] if runs else etree.SubElement(p, w("r"))
    for child in [c for c in run if c.tag != w("rPr")]:
        run.remove(child)
    lines = [value] if isinstance(value, str) else value
    for n, line in enumerate(lines):
        if n:
            etree.SubElement(run, w("br"))
        squeeze = condense and n < len(lines) - 1 and line.endswith("、")
        if line[: -1 if squeeze else None]:
            _add_text(run, line[:-1] if squeeze else line)
        if squeeze:
            mark = _sibling_run(run)
            _add_text(mark, "、")
            _set_spacing(mark, -condense)
            run = _sibling_run(mark)
            _set_spacing(run, None)


def _add_text(run: etree._Element, text: str) -> None:
    t = etree.SubElement(run, w("t"))
    t.text = text
    t.set(XML_SPACE, "preserve")


def _sibling_run(run: etree._Element) -> etree._Element:
    """A new empty run after `run` with the same properties."""
    new = etree.Element(w("r"))
    rpr = run.find(w("rPr"))
    if rpr is not None:
        new.append(copy.deepcopy(rpr))
    run.addnext(new)
    return new


#: What follows w:spacing in a run's properties (CT_RPr's sequence).
_AFTER_SPACING = frozenset(
    w(t)
    for t in ("w", "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign",
              "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath")
)


def _set_spacing(run: etree._Element, twips: int | None) -> None:
    """Set (or with None remove) a run's character spacing."""
    rpr = run.find(w("rPr"))
    if rpr is None:
        if twips is None:
            return
        rpr = etree.Element(w("rPr"))
        run.insert(0, rpr)
    old = rpr.find(w("spacing"))
    if old is not None:
        rpr.remove(old)
    if twips is None:
        if not len(rpr):
            run.remove(rpr)
        return
    spacing = etree.Element(w("spacing"))
    spacing.set(w("val"), str(twips))
    later = [c for c in rpr if c.tag in _AFTER_SPACING]
    if later:
        later[0].addprevious(spacing)
    else:
        rpr.append(spacing)
