"""The redline: revision B's document with every difference from A as a real Word tracked change.

B's package is the base. The blocks of both bodies (paragraphs, tables, rows, cells, content
controls) are aligned in document order; equal blocks stay as they are, similar ones are diffed
inside (a paragraph by characters and words, a table by rows, a row by cells), B's own blocks are
marked inserted and A's are copied in at their place and marked deleted. So accepting every
change gives B's text and rejecting every change gives A's.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from difflib import SequenceMatcher

from lxml import etree

from generator.diff.revisions import ChangeMarker, accept_all, paragraph_runs
from generator.diff.textdiff import Segment, diff_segments, similarity
from generator.word.ooxml import (
    A_BLIP,
    BR,
    DEL,
    DEL_TEXT,
    INS,
    PPR,
    R_NS,
    RPR,
    SDT,
    SDT_CONTENT,
    TAB,
    TBL,
    TC,
    TR,
    V_IMAGEDATA,
    XML_SPACE,
    P,
    R,
    T,
    w,
)
from generator.word.package import Package
from generator.word.render import deterministic_docx

_BLOCKS = (P, TBL, SDT)
#: Paragraphs less alike than this are a deletion and an insertion, not one edited paragraph.
_PARAGRAPH_SIMILARITY = 0.5
_ROW_SIMILARITY = 0.3
_TABLE_SIMILARITY = 0.3
#: Above this many candidate pairs, pairing in a changed region is positional, not optimal.
_PAIRING_LIMIT = 2500


def _blocks(container: etree._Element) -> list[etree._Element]:
    return [c for c in container if c.tag in _BLOCKS]


def _children(el: etree._Element, tag: str) -> list[etree._Element]:
    return [c for c in el if c.tag == tag]


def _item_length(child: etree._Element) -> int:
    if child.tag == T:
        return len(child.text or "")
    return 1 if child.tag in (TAB, BR) else 0


def _item_text(child: etree._Element) -> str:
    if child.tag == T:
        return child.text or ""
    return "\t" if child.tag == TAB else ("\n" if child.tag == BR else "")


def paragraph_text(p: etree._Element) -> str:
    """A paragraph's text as the diff sees it: its runs' text, tabs and breaks."""
    return "".join(_item_text(c) for r in paragraph_runs(p) for c in r)


def run_format(run: etree._Element) -> tuple[bool, bool]:
    """The emphasis a run sets directly (bold, italic): what Markdown can change."""
    rpr = run.find(RPR)

    def on(tag: str) -> bool:
        el = rpr.find(w(tag)) if rpr is not None else None
        return el is not None and el.get(w("val"), "true") not in ("0", "false", "off")

    return on("b"), on("i")


def format_signature(p: etree._Element) -> tuple[tuple[int, tuple[bool, bool]], ...]:
    """The paragraph's emphasis as (length, format) stretches: equal text, different look."""
    out: list[tuple[int, tuple[bool, bool]]] = []
    for run in paragraph_runs(p):
        n = sum(_item_length(c) for c in run)
        if not n:
            continue
        fmt = run_format(run)
        if out and out[-1][1] == fmt:
            out[-1] = (out[-1][0] + n, fmt)
        else:
            out.append((n, fmt))
    return tuple(out)


class _Side:
    """One revision's document: its package, and each block's comparison key, computed once."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self._keys: dict[etree._Element, tuple] = {}
        self._texts: dict[etree._Element, str] = {}

    def images(self, el: etree._Element) -> tuple[str, ...]:
        rids = [b.get(f"{{{R_NS}}}embed") or b.get(f"{{{R_NS}}}link") for b in el.iter(A_BLIP)]
        rids += [i.get(f"{{{R_NS}}}id") for i in el.iter(V_IMAGEDATA)]
        return tuple(self.pkg.target_hash(r) for r in rids if r)

    def key(self, el: etree._Element) -> tuple:
        if el not in self._keys:
            if el.tag == P:
                key: tuple = ("p", paragraph_text(el), self.images(el), format_signature(el))
            elif el.tag == TBL:
                key = ("t", *(self.key(tr) for tr in _children(el, TR)))
            elif el.tag == TR:
                key = ("r", *(tuple(self.key(b) for b in _blocks(tc)) for tc in _children(el, TC)))
            else:
                content = el.find(SDT_CONTENT)
                key = ("s", *(self.key(b) for b in _blocks(content if content is not None else el)))
            self._keys[el] = key
        return self._keys[el]

    def text(self, el: etree._Element) -> str:
        if el not in self._texts:
            if el.tag == P:
                self._texts[el] = paragraph_text(el)
            elif el.tag == TR:
                self._texts[el] = " | ".join("\n".join(self.text(b) for b in _blocks(tc)) for tc in _children(el, TC))
            elif el.tag == TBL:
                self._texts[el] = "\n".join(self.text(tr) for tr in _children(el, TR))
            else:
                content = el.find(SDT_CONTENT)
                self._texts[el] = "\n".join(self.text(b) for b in _blocks(content if content is not None else el))
        return self._texts[el]

    def cell_keys(self, tr: etree._Element) -> list[tuple]:
        return [tuple(self.key(b) for b in _blocks(tc)) for tc in _children(tr, TC)]


class _Redliner:
    def __init__(self, a: _Side, b: _Side, marker: ChangeMarker):
        self.a, self.b, self.marker = a, b, marker

    # -- alignment ----------------------------------------------------------------------------

    def similarity(self, x: etree._Element, y: etree._Element) -> float | None:
        """How well A's `x` pairs with B's `y` (None: never as one edited block)."""
        if x.tag != y.tag:
            return None
        if x.tag == P:
            if self.a.images(x) != self.b.images(y):
                return None
            s = similarity(self.a.text(x), self.b.text(y))
            return s if s >= _PARAGRAPH_SIMILARITY else None
        if x.tag == TR:
            cx, cy = _children(x, TC), _children(y, TC)
            if len(cx) != len(cy):
                return None
            same = sum(c == d for c, d in zip(self.a.cell_keys(x), self.b.cell_keys(y), strict=True))
            s = 0.5 * similarity(self.a.text(x), self.b.text(y)) + 0.5 * same / max(1, len(cx))
            return s if s >= _ROW_SIMILARITY else None
        if x.tag == TBL:
            s = SequenceMatcher(None, self.a.key(x)[1:], self.b.key(y)[1:], autojunk=False).ratio()
            if len(x.findall(f"{w('tblGrid')}/{w('gridCol')}")) == len(y.findall(f"{w('tblGrid')}/{w('gridCol')}")):
                return max(s, _TABLE_SIMILARITY)  # one table edited, even if most rows changed
            return s if s >= _PARAGRAPH_SIMILARITY else None
        return 0.5

    def _pair_region(self, xs: list[etree._Element], ys: list[etree._Element]) -> Iterator[tuple[str, etree._Element | None, etree._Element | None]]:
        """Pair the blocks of a changed region so that the most alike are diffed as one."""
        m, n = len(xs), len(ys)
        if m == n == 1 and xs[0].tag == ys[0].tag == P and self.a.images(xs[0]) == self.b.images(ys[0]):
            # One paragraph in place of another (a figure in a cell, a rewritten sentence): one
            # deletion and one insertion inside it, never a paragraph mark removed and re-added.
            yield "pair", xs[0], ys[0]
            return
        if m * n > _PAIRING_LIMIT:
            for k in range(max(m, n)):
                x, y = (xs[k] if k < m else None), (ys[k] if k < n else None)
                if x is not None and y is not None and self.similarity(x, y) is not None:
                    yield "pair", x, y
                else:
                    if x is not None:
                        yield "del", x, None
                    if y is not None:
                        yield "ins", None, y
            return
        sim = [[self.similarity(x, y) for y in ys] for x in xs]
        best = [[0.0] * (n + 1) for _ in range(m + 1)]
        for i in reversed(range(m)):
            for j in reversed(range(n)):
                s = sim[i][j]
                best[i][j] = max(best[i + 1][j], best[i][j + 1], s + best[i + 1][j + 1] if s is not None else 0.0)
        i = j = 0
        while i < m or j < n:
            s = sim[i][j] if i < m and j < n else None
            if s is not None and best[i][j] == s + best[i + 1][j + 1]:
                yield "pair", xs[i], ys[j]
                i, j = i + 1, j + 1
            elif i < m and (j == n or best[i][j] == best[i + 1][j]):
                yield "del", xs[i], None
                i += 1
            else:
                yield "ins", None, ys[j]
                j += 1

    def align(self, xs: list[etree._Element], ys: list[etree._Element], container: etree._Element) -> None:
        """Diff A's blocks `xs` against B's `ys` (children of B's `container`), marking B."""
        ka, kb = [self.a.key(x) for x in xs], [self.b.key(y) for y in ys]
        last: etree._Element | None = None
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, ka, kb, autojunk=False).get_opcodes():
            if tag == "equal":
                last = ys[j2 - 1]
                continue
            for op, x, y in self._pair_region(xs[i1:i2], ys[j1:j2]):
                if y is not None:
                    if op == "pair":
                        assert x is not None
                        self.pair(x, y)
                    else:
                        self._mark_whole(y, "ins")
                    last = y
                else:
                    assert x is not None
                    copied = self.b.pkg.import_block(self.a.pkg, x)
                    self._mark_whole(copied, "del")
                    if last is not None:
                        last.addnext(copied)
                    elif ys:
                        ys[0].addprevious(copied)
                    else:
                        end = container.find(w("sectPr"))
                        if end is not None and end.getparent() is container:
                            end.addprevious(copied)
                        else:
                            container.append(copied)
                    last = copied
        if container.tag == TC and _blocks(container) and _blocks(container)[-1].tag == TBL:
            # A cell must end with a paragraph; a deleted nested table put last needs one after it.
            container.append(etree.Element(P))

    def _mark_whole(self, el: etree._Element, kind: str) -> None:
        if el.tag == TR:
            self.marker.mark_row(el, kind)
            self.marker.mark_runs(el, kind)
        else:
            self.marker.mark_block(el, kind)

    def pair(self, x: etree._Element, y: etree._Element) -> None:
        """Diff one of A's blocks against the B block it was paired with."""
        if self.a.key(x) == self.b.key(y):
            return
        if y.tag == P:
            self.pair_paragraphs(x, y)
        elif y.tag == TBL:
            self.align(_children(x, TR), _children(y, TR), y)
        elif y.tag == TR:
            for cx, cy in zip(_children(x, TC), _children(y, TC), strict=True):
                self.align(_blocks(cx), _blocks(cy), cy)
        else:
            cx, cy = x.find(SDT_CONTENT), y.find(SDT_CONTENT)
            if cx is not None and cy is not None:
                self.align(_blocks(cx), _blocks(cy), cy)

    # -- inside a paragraph -------------------------------------------------------------------

    def pair_paragraphs(self, pa: etree._Element, pb: etree._Element) -> None:
        """Mark the characters and words B changed in a paragraph, keeping B's runs and formats."""
        segs = [s for s in diff_segments(self.a.text(pa), self.b.text(pb)) if not s.equal]
        inserted = [(s.b0, s.b1) for s in segs if s.b1 > s.b0]
        anchors = {s.b0: s for s in segs if s.a1 > s.a0}
        cuts = {c for s in segs for c in (s.b0, s.b1)}
        a_runs = list(paragraph_runs(pa))
        pos = 0
        last: etree._Element | None = None
        open_span: tuple[int, int] | None = None
        for run in list(paragraph_runs(pb)):
            length = sum(_item_length(c) for c in run)
            if not length:
                continue
            start = pos
            pos += length
            pieces = _split_run(run, start, cuts)
            if len(pieces) == 1 and start not in anchors and not any(b0 <= start < b1 for b0, b1 in inserted):
                last, open_span = run, None
                continue
            parent = run.getparent()
            index = parent.index(run)
            parent.remove(run)
            for piece_start, piece in pieces:
                seg = anchors.pop(piece_start, None)
                if seg is not None:
                    last = self._deleted(a_runs, seg)
                    parent.insert(index, last)
                    index += 1
                    open_span = None
                span = next(((b0, b1) for b0, b1 in inserted if b0 <= piece_start < b1), None)
                if span is not None and span == open_span and index and parent[index - 1] is last:
                    # The same insertion going on in the next run (a digit after a character):
                    # one revision in the review pane, not one per run.
                    last.append(piece)
                    continue
                if span is not None:
                    wrapper = self.marker.mark("ins")
                    wrapper.append(piece)
                    piece = wrapper
                open_span = span
                parent.insert(index, piece)
                index += 1
                last = piece
        for seg in sorted(anchors.values(), key=lambda s: s.b0):
            deleted = self._deleted(a_runs, seg)
            if last is not None:
                last.addnext(deleted)
            else:
                ppr = pb.find(PPR)
                pb.insert(1 if ppr is not None and pb[0] is ppr else 0, deleted)
            last = deleted
        equal = [s for s in diff_segments(self.a.text(pa), self.b.text(pb)) if s.equal]
        self._mark_formats(a_runs, pb, equal)

    def _mark_formats(self, a_runs: list[etree._Element], pb: etree._Element, equal: list[Segment]) -> None:
        """Where text stayed but its emphasis changed, a w:rPrChange keeps A's run properties."""
        a_props: list[tuple[tuple[bool, bool], etree._Element | None]] = []
        for run in a_runs:
            props = (run_format(run), run.find(RPR))
            a_props.extend([props] * sum(_item_length(c) for c in run))
        to_a = {b: seg.a0 + (b - seg.b0) for seg in equal for b in range(seg.b0, seg.b1)}
        pos = 0
        for run in list(pb.iter(R)):
            if any(up.tag == DEL for up in run.iterancestors()):
                continue
            n = sum(_item_length(c) for c in run if c.tag != RPR)
            start, pos = pos, pos + n
            if not n or any(up.tag == INS for up in run.iterancestors()):
                continue
            old = [a_props[to_a[b]] if b in to_a and to_a[b] < len(a_props) else None for b in range(start, start + n)]
            if all(o is None or o[0] == run_format(run) for o in old):
                continue
            cuts = {start + k for k in range(1, n) if old[k] != old[k - 1]}
            parent, index = run.getparent(), run.getparent().index(run)
            pieces = _split_run(run, start, cuts) if cuts else [(start, run)]
            if len(pieces) > 1:
                parent.remove(run)
            for offset, (piece_start, piece) in enumerate(pieces):
                if len(pieces) > 1:
                    parent.insert(index + offset, piece)
                was = old[piece_start - start]
                if was is not None and was[0] != run_format(piece):
                    self._record_format(piece, was[1])

    def _record_format(self, run: etree._Element, old_rpr: etree._Element | None) -> None:
        rpr = run.find(RPR)
        if rpr is None:
            rpr = etree.Element(RPR)
            run.insert(0, rpr)
        change = self.marker.mark("rPrChange")
        original = etree.SubElement(change, RPR)
        for child in old_rpr if old_rpr is not None else ():
            if child.tag != w("rPrChange"):
                original.append(copy.deepcopy(child))
        rpr.append(change)  # rPrChange closes the run's properties (CT_RPr)

    def _deleted(self, a_runs: list[etree._Element], seg: Segment) -> etree._Element:
        """A w:del holding A's text `seg.a0:seg.a1` in A's run formatting."""
        wrapper = self.marker.mark("del")
        pos = 0
        for run in a_runs:
            out: etree._Element | None = None
            for child in run:
                n = _item_length(child)
                lo, hi = max(seg.a0, pos), min(seg.a1, pos + n)
                if n and lo < hi:
                    if out is None:
                        out = etree.SubElement(wrapper, R)
                        rpr = run.find(RPR)
                        if rpr is not None:
                            out.append(copy.deepcopy(rpr))
                    if child.tag == T:
                        piece = etree.SubElement(out, DEL_TEXT, {XML_SPACE: "preserve"})
                        piece.text = (child.text or "")[lo - pos : hi - pos]
                    else:
                        out.append(copy.deepcopy(child))
                pos += n
        return wrapper


def _split_run(run: etree._Element, start: int, cuts: set[int]) -> list[tuple[int, etree._Element]]:
    """The run cut at every offset in `cuts` inside it: (start offset, new run) pieces."""
    atoms: list[tuple[int, int, etree._Element]] = []
    pos = start
    for child in run:
        if child.tag == RPR:
            continue
        n = _item_length(child)
        if child.tag == T and n > 1:
            text, done = child.text or "", 0
            for cut in sorted(c for c in cuts if pos < c < pos + n):
                atoms.append((pos + done, cut - pos - done, _text_element(text[done : cut - pos])))
                done = cut - pos
            atoms.append((pos + done, n - done, _text_element(text[done:]) if done else child))
        else:
            atoms.append((pos, n, child))
        pos += n
    groups: list[list[tuple[int, int, etree._Element]]] = [[]]
    for atom in atoms:
        if atom[1] and atom[0] in cuts and any(a[1] for a in groups[-1]):
            groups.append([])
        groups[-1].append(atom)
    if len(groups) == 1:
        return [(start, run)]
    rpr = run.find(RPR)
    out = []
    for group in groups:
        new = etree.Element(R, dict(run.attrib))
        if rpr is not None:
            new.append(copy.deepcopy(rpr))
        for _s, _n, child in group:
            new.append(child if child.getparent() is not run else copy.deepcopy(child))
        out.append((next((s for s, n, _c in group if n), group[0][0]), new))
    return out


def _text_element(text: str) -> etree._Element:
    el = etree.Element(T, {XML_SPACE: "preserve"})
    el.text = text
    return el


def _max_id(root: etree._Element) -> int:
    ids = [int(v) for el in root.iter() if isinstance(el.tag, str) for v in [el.get(w("id"))] if v and v.isdigit()]
    return max(ids, default=0)


def redline(a_docx: bytes, b_docx: bytes, *, author: str, date: dt.datetime) -> bytes:
    """Revision B's .docx with every difference from A as a tracked change by `author` on `date`."""
    a, b = Package(a_docx, "A"), Package(b_docx, "B")
    # Changes already tracked in either input are taken as made: the redline shows A → B only.
    accept_all(a.document)
    accept_all(b.document)
    marker = ChangeMarker(author, date, first_id=_max_id(b.document) + 1)
    body_a, body_b = a.document.find(w("body")), b.document.find(w("body"))
    if body_a is not None and body_b is not None:
        _Redliner(_Side(a), _Side(b), marker).align(_blocks(body_a), _blocks(body_b), body_b)
    return deterministic_docx(b.to_bytes(), date)
