"""Word tracked changes as XML: marking runs, paragraphs and rows inserted or deleted; accepting or rejecting all."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator

from lxml import etree

from generator.word.ooxml import (
    DEL,
    DEL_INSTR_TEXT,
    DEL_TEXT,
    INS,
    INSTR_TEXT,
    MOVE_FROM,
    MOVE_TO,
    PPR,
    RPR,
    SDT,
    SDT_CONTENT,
    TBL,
    TBLPREX,
    TR,
    TRPR,
    XML_SPACE,
    P,
    R,
    T,
    w,
)

#: Elements inside a paragraph that hold runs (the runs of a drawing's text box are not the
#: paragraph's: they belong to paragraphs of their own).
RUN_CONTAINERS = frozenset(w(n) for n in ("hyperlink", "smartTag", "fldSimple", "sdt", "sdtContent", "customXml", "ins", "moveTo", "dir", "bdo"))
#: Elements that follow the revision marks inside a paragraph mark's w:pPr (schema order).
_AFTER_PPR_RPR = frozenset({w("sectPr"), w("pPrChange")})
RPR_CHANGE = w("rPrChange")
_FORMAT_CHANGES = frozenset(w(n) for n in ("rPrChange", "pPrChange", "trPrChange", "tblPrChange", "tcPrChange", "sectPrChange", "tblGridChange", "numberingChange"))


def paragraph_runs(parent: etree._Element) -> Iterator[etree._Element]:
    """The runs of a paragraph (or of a run container) in document order."""
    for child in parent:
        if child.tag == R:
            yield child
        elif child.tag in RUN_CONTAINERS:
            yield from paragraph_runs(child)


class ChangeMarker:
    """Makes w:ins and w:del marks with one author and date, and ids that increase."""

    def __init__(self, author: str, date: dt.datetime, first_id: int = 1):
        self.author = author
        self.date = date.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.next_id = first_id
        self.count = 0

    def mark(self, kind: str) -> etree._Element:
        """A new, empty w:ins or w:del (`kind` is "ins" or "del")."""
        el = etree.Element(w(kind), {w("id"): str(self.next_id), w("author"): self.author, w("date"): self.date})
        self.next_id += 1
        self.count += 1
        return el

    def wrap(self, runs: list[etree._Element], kind: str) -> etree._Element:
        """Put `runs` (siblings, in order) inside one new mark, where the first of them was."""
        wrapper = self.mark(kind)
        runs[0].addprevious(wrapper)
        for r in runs:
            if kind == "del":
                to_deleted_run(r)
            wrapper.append(r)
        return wrapper

    def mark_runs(self, parent: etree._Element, kind: str) -> None:
        """Mark every run below `parent` (not already marked) as inserted or deleted."""
        groups: list[list[etree._Element]] = []
        for r in list(parent.iter(R)):
            up = r.getparent()
            if up is None or up.tag in (INS, DEL, MOVE_FROM, MOVE_TO):
                continue
            if groups and groups[-1][-1].getnext() is r:
                groups[-1].append(r)
            else:
                groups.append([r])
        for group in groups:
            self.wrap(group, kind)

    def mark_paragraph(self, p: etree._Element, kind: str) -> None:
        """Mark a paragraph's mark (the pilcrow) as inserted or deleted."""
        ppr = p.find(PPR)
        if ppr is None:
            ppr = etree.Element(PPR)
            p.insert(0, ppr)
        rpr = ppr.find(RPR)
        if rpr is None:
            rpr = etree.Element(RPR)
            before = next((c for c in ppr if c.tag in _AFTER_PPR_RPR), None)
            if before is not None:
                before.addprevious(rpr)
            else:
                ppr.append(rpr)
        # CT_ParaRPr: ins, del, moveFrom, moveTo come before every formatting element.
        rpr.insert(1 if kind == "del" and len(rpr) and rpr[0].tag == INS else 0, self.mark(kind))

    def mark_row(self, tr: etree._Element, kind: str) -> None:
        """Mark a table row as inserted or deleted."""
        trpr = tr.find(TRPR)
        if trpr is None:
            trpr = etree.Element(TRPR)
            tr.insert(1 if len(tr) and tr[0].tag == TBLPREX else 0, trpr)
        change = trpr.find(w("trPrChange"))
        mark = self.mark(kind)
        if change is not None:
            change.addprevious(mark)
        else:
            trpr.append(mark)

    def mark_block(self, block: etree._Element, kind: str) -> None:
        """Mark a whole paragraph, table or content control as inserted or deleted."""
        if block.tag == P:
            self.mark_runs(block, kind)
            self.mark_paragraph(block, kind)
        elif block.tag == TBL:
            for tr in block.iter(TR):
                self.mark_row(tr, kind)
            self.mark_runs(block, kind)
        else:
            content = block.find(SDT_CONTENT)
            for child in content if content is not None else ():
                if child.tag in (P, TBL, SDT):
                    self.mark_block(child, kind)


def to_deleted_run(r: etree._Element) -> None:
    """Turn a run's text into deleted text (w:t → w:delText), as Word writes it inside w:del."""
    for child in r:
        if child.tag == T:
            child.tag = DEL_TEXT
            child.set(XML_SPACE, "preserve")
        elif child.tag == INSTR_TEXT:
            child.tag = DEL_INSTR_TEXT


def _to_live_run(r: etree._Element) -> None:
    for child in r:
        if child.tag == DEL_TEXT:
            child.tag = T
        elif child.tag == DEL_INSTR_TEXT:
            child.tag = INSTR_TEXT


def _unwrap(el: etree._Element) -> None:
    parent = el.getparent()
    assert parent is not None
    for child in list(el):
        el.addprevious(child)
    parent.remove(el)


def _drop(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is not None:
        parent.remove(el)


def _mark_of(p: etree._Element) -> set[str]:
    rpr = p.find(f"{PPR}/{RPR}")
    return {c.tag for c in rpr} if rpr is not None else set()


def _remove_paragraph(p: etree._Element) -> None:
    """Remove a paragraph whose mark goes away; what remains of its runs joins the next one."""
    rest = [c for c in p if c.tag != PPR]
    nxt = p.getnext()
    if any(c.tag == R or c.tag in RUN_CONTAINERS for c in rest) and nxt is not None and nxt.tag == P:
        anchor = nxt.find(PPR)
        for c in reversed(rest):
            if anchor is not None:
                anchor.addnext(c)
            else:
                nxt.insert(0, c)
    _drop(p)


def _resolve(root: etree._Element, keep: Iterable[str], drop: Iterable[str]) -> None:
    keep_tags, drop_tags = frozenset(keep), frozenset(drop)
    for tr in list(root.iter(TR)):
        trpr = tr.find(TRPR)
        marks = {c.tag for c in trpr} if trpr is not None else set()
        if marks & drop_tags:
            _drop(tr)
    for tbl in list(root.iter(TBL)):
        if tbl.find(TR) is None:
            _drop(tbl)
    for p in list(root.iter(P)):
        if _mark_of(p) & drop_tags:
            for el in [e for e in p.iter(*drop_tags) if e.getparent() is not None and e.getparent().tag != RPR]:
                _drop(el)
            _remove_paragraph(p)
    for el in list(root.iter(*keep_tags, *drop_tags)):
        parent = el.getparent()
        if parent is None:
            continue
        if parent.tag in (RPR, TRPR):
            _drop(el)  # a mark on a paragraph or row that stays
        elif el.tag in drop_tags:
            _drop(el)
        else:
            for r in el.iter(R):
                _to_live_run(r)
            _unwrap(el)
    rejecting = DEL in keep_tags
    for el in list(root.iter(*_FORMAT_CHANGES)):
        props = el.getparent()
        original = el.find(RPR)
        if rejecting and el.tag == RPR_CHANGE and props is not None and original is not None:
            # Rejecting a format change puts back the run properties it recorded.
            for child in list(props):
                props.remove(child)
            for child in list(original):
                props.append(child)
        else:
            _drop(el)


def accept_all(root: etree._Element) -> None:
    """Accept every tracked change in `root` in place, as Word's 接受所有修订 does."""
    _resolve(root, keep=(INS, MOVE_TO), drop=(DEL, MOVE_FROM))


def reject_all(root: etree._Element) -> None:
    """Reject every tracked change in `root` in place, as Word's 拒绝所有修订 does."""
    _resolve(root, keep=(DEL, MOVE_FROM), drop=(INS, MOVE_TO))


def count_changes(data: bytes) -> int:
    """How many tracked changes (insertions, deletions, format changes) a .docx's body holds."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = etree.fromstring(zf.read("word/document.xml"))
    return sum(1 for _el in root.iter(INS, DEL, MOVE_FROM, MOVE_TO, RPR_CHANGE))


def _resolve_docx(data: bytes, accept: bool) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "word/document.xml":
                root = etree.fromstring(payload)
                (accept_all if accept else reject_all)(root)
                payload = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            dst.writestr(info, payload)
    return out.getvalue()


def accept_all_docx(data: bytes) -> bytes:
    """A .docx with every tracked change in its body accepted."""
    return _resolve_docx(data, accept=True)


def reject_all_docx(data: bytes) -> bytes:
    """A .docx with every tracked change in its body rejected."""
    return _resolve_docx(data, accept=False)
