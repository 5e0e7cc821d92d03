"""Reading a document's PDF back against its .docx: every character lost or added on the way.

LibreOffice can silently drop characters (line-end punctuation in justified CJK paragraphs is the
known case), and a glance at the page does not show it. Both texts are normalised (whitespace a PDF
extractor invents, invisible joiners) and aligned; what Word generates rather than stores (page
numbers, footnote numbers) is accepted only where the document says it is printed.

The alignment also maps each .docx character to where the PDF prints it, which the layout report
reads (rows, headings and names on pages and lines).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from generator.errors import Diagnostic, Location, Severity
from generator.i18n import _
from generator.pdf.reader import PageChars, PrintedText, read_printed_text
from generator.word.text import DocxStructure, Paragraph, Section, read_docx_structure

#: Invisible characters other engineers insert to keep names and numbers together: not printed.
_INVISIBLE = "\u2060\u200b\ufeff\u00ad"
#: How each stored character is compared: invisible joiners vanish, the no-break hyphen is a hyphen.
CHAR_MAP = {**dict.fromkeys(_INVISIBLE, ""), "\u2011": "-"}
_TRANSLATE = str.maketrans(CHAR_MAP)
#: A character whose box centre lies this far outside the text block still belongs to it (points).
_ZONE_TOLERANCE = 3.0
_CONTEXT = 8
#: What a PAGE or NUMPAGES field prints: Arabic, Roman or letter numbering.
_FIELD_PATTERN = "[0-9ivxlcdmIVXLCDMA-Za-z]*"


_ANCHOR = 6  # length of the substrings that anchor the alignment
_MOVE = 3  # a run this long found both lost and added is text printed elsewhere, not lost
_GAP_LIMIT = 4_000_000  # characters × characters difflib may align between two anchors
_SHOWN = 30  # characters of a lost or added run quoted in full


def align(a: str, b: str) -> list[tuple[str, int, int, int, int]]:
    """difflib-style opcodes turning `a` into `b`, fast on long, nearly equal texts.

    difflib alone takes seconds on a 30-page document (every common character such as “，” is a
    candidate everywhere). Substrings of `_ANCHOR` characters found exactly once in each text
    anchor the alignment (patience diff); difflib only aligns the short gaps between anchors.
    """
    blocks = _anchor_blocks(a, b)
    matched: list[tuple[int, int, int]] = []
    ai = bj = 0
    for i, j, n in [*blocks, (len(a), len(b), 0)]:
        # A gap on both sides: difflib aligns it, unless both sides are long (then they are
        # different texts, a wrong font encoding say, and difflib would take minutes).
        if i > ai and j > bj and (i - ai) * (j - bj) <= _GAP_LIMIT:
            gap = SequenceMatcher(None, a[ai:i], b[bj:j], autojunk=False)
            matched.extend((ai + x, bj + y, m) for x, y, m in gap.get_matching_blocks() if m)
        if n:
            matched.append((i, j, n))
        ai, bj = i + n, j + n
    opcodes = []
    ai = bj = 0
    for i, j, n in [*matched, (len(a), len(b), 0)]:
        if i > ai and j > bj:
            opcodes.append(("replace", ai, i, bj, j))
        elif i > ai:
            opcodes.append(("delete", ai, i, bj, j))
        elif j > bj:
            opcodes.append(("insert", ai, i, bj, j))
        if n:
            opcodes.append(("equal", i, i + n, j, j + n))
        ai, bj = i + n, j + n
    return opcodes


def _anchor_blocks(a: str, b: str) -> list[tuple[int, int, int]]:
    """Matching blocks (i, j, n) from substrings unique in both texts, in increasing order."""
    k = _ANCHOR

    def unique(text: str) -> dict[str, int]:
        seen: dict[str, int] = {}
        for i in range(len(text) - k + 1):
            key = text[i:i + k]
            seen[key] = -1 if key in seen else i
        return seen

    ua, ub = unique(a), unique(b)
    pairs = sorted((i, ub[key]) for key, i in ua.items() if i >= 0 and ub.get(key, -1) >= 0)
    # Longest increasing subsequence of j (patience sorting): the anchors that keep their order.
    tails: list[int] = []
    tail_index: list[int] = []
    back = [-1] * len(pairs)
    for n, (_i, j) in enumerate(pairs):
        pos = bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_index.append(n)
        else:
            tails[pos], tail_index[pos] = j, n
        back[n] = tail_index[pos - 1] if pos else -1
    chain = []
    n = tail_index[-1] if tail_index else -1
    while n >= 0:
        chain.append(pairs[n])
        n = back[n]
    chain.reverse()
    # Merge anchors into blocks; extend each block as far as both texts agree, both ways. Backwards
    # too: a gap's difflib pairs each character with the first equal one it meets, so a row's
    # first character left out of its block went to an equal one printed before it (the 牵 of
    # “牵头单位” to the 牵 of a footnote printed at the foot of the page before the row).
    blocks: list[tuple[int, int, int]] = []
    for i, j in chain:
        floor_a = floor_b = 0
        if blocks:
            bi, bj, bn = blocks[-1]
            if i - bi == j - bj and i <= bi + bn:
                continue  # inside the current block, already extended past it
            if i < bi + bn or j < bj + bn:
                continue  # overlaps the current block at another offset
            floor_a, floor_b = bi + bn, bj + bn
        while i > floor_a and j > floor_b and a[i - 1] == b[j - 1]:
            i, j = i - 1, j - 1
        end = 0
        while i + end < len(a) and j + end < len(b) and a[i + end] == b[j + end]:
            end += 1
        blocks.append((i, j, end))
    return blocks


def normalise(text: str) -> str:
    """The characters that count when comparing: no whitespace, no invisible joiners, U+2011 as -."""
    return "".join(ch for ch in text.translate(_TRANSLATE) if not ch.isspace())


@dataclass(frozen=True)
class CharPlace:
    """Where the PDF prints one character: page index, index in the page's characters."""

    page: int
    index: int


@dataclass
class ReadBack:
    """A document read back from its PDF."""

    title: str
    structure: DocxStructure
    pages: list[PageChars]
    #: the page number the footer prints on each page ("" where none is printed)
    printed: list[str]
    #: per body paragraph, per character of its text: where the PDF prints it (None: not printed)
    places: list[list[CharPlace | None]]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    part_starts: tuple[int, ...] = ()  # 0-based first page of each part (top-level bookmark)
    pdf_name: str = ""

    def page_name(self, page: int) -> str:
        """“建设方案 第 12 页（页码 10）”: the PDF page, and the printed number where there is one."""
        name = _("{doc} 第 {page} 页").format(doc=self.title, page=page + 1)
        if 0 <= page < len(self.printed) and self.printed[page]:
            name += _("（页码 {printed}）").format(printed=self.printed[page])
        return name


def page_section(structure: DocxStructure, page: PageChars) -> Section:
    """The section whose page size matches the PDF page (margins bound its text block)."""
    for section in structure.sections:
        if abs(section.width - page.width) < 2 and abs(section.height - page.height) < 2:
            return section
    return structure.sections[-1]


def _reading_order(page: PageChars) -> list[int]:
    """The page's character indices in reading order.

    LibreOffice draws a glyph taken from a fallback font (☑, ㎡) after the rest of its line, so
    content order is not reading order. Within each run of consecutive characters on one
    baseline (one line of one paragraph or cell) the characters are put left to right; lines and
    cells keep the order in which they are drawn.
    """
    order: list[int] = []
    group: list[int] = []
    centre = height = 0.0
    for k, ch in enumerate(page.text):
        if ch.isspace():
            continue  # dropped when comparing; invented spaces have no real place on the line
        box = page.boxes[k]
        c, h = (box[1] + box[3]) / 2, box[3] - box[1]
        if group and abs(c - centre) > max(h, height) * 0.3:
            group.sort(key=lambda i: page.boxes[i][0])
            order.extend(group)
            group = []
        if not group:
            centre, height = c, h
        group.append(k)
    group.sort(key=lambda i: page.boxes[i][0])
    order.extend(group)
    return order


def _zone(page: PageChars, section: Section, k: int) -> int:
    """-1 above the text block (header), 0 inside it, 1 below it (footer)."""
    box = page.boxes[k]
    centre = (box[1] + box[3]) / 2
    if centre > page.height - section.top + _ZONE_TOLERANCE:
        return -1
    if centre < section.bottom - _ZONE_TOLERANCE or box[2] < section.left - _ZONE_TOLERANCE:
        return 1  # below the text block, or left of it: a turned page's number
    return 0


@dataclass
class _Side:
    """A normalised character sequence and where each character comes from."""

    chars: list[str] = field(default_factory=list)
    origin: list[tuple[int, int]] = field(default_factory=list)  # (paragraph or page, offset)

    def add(self, text: str, where: int, first: int = 0) -> None:
        chars, origin, mapped = self.chars, self.origin, CHAR_MAP.get  # locals: called per character
        for offset, raw in enumerate(text, first):
            ch = mapped(raw, raw)
            if ch and not ch.isspace():
                chars.append(ch)
                origin.append((where, offset))


def _body_side(paragraphs: tuple[Paragraph, ...]) -> tuple[_Side, set[int], set[int]]:
    """The body's characters; the positions where Word prints a note number; generated ones."""
    side = _Side()
    note_at: set[int] = set()
    generated: set[int] = set()
    for n, p in enumerate(paragraphs):
        refs = set(p.note_refs)
        spans = p.generated
        if not refs and not spans:  # most paragraphs: the whole text at once
            side.add(p.text, n)
            continue
        for offset, ch in enumerate(p.text):
            if offset in refs:
                note_at.add(len(side.chars))
            before = len(side.chars)
            side.add(ch, n, offset)
            if len(side.chars) > before and any(a <= offset < b for a, b in spans):
                generated.add(before)
        if len(p.text) in refs:
            note_at.add(len(side.chars))
    return side, note_at, generated


class _Pairs:
    """Which expected character is printed as which PDF character, both ways."""

    def __init__(self) -> None:
        self.a2b: dict[int, int] = {}
        self.b2a: dict[int, int] = {}

    def pair(self, i: int, j: int, n: int) -> None:
        for k in range(n):
            self.a2b[i + k], self.b2a[j + k] = j + k, i + k

    def extend(self, a: str, b: str, i: int, j: int, n: int) -> None:
        """Grow a moved block over equal characters paired elsewhere, swapping the pairs.

        The first alignment pairs a run's first characters with the first equal ones it meets
        (“重庆” of one name with “重庆” of the next cell's name): once the run is known to have
        moved, its neighbours belong with it, and the two same characters trade places.
        """
        for step in (-1, 1):
            x, y = (i - 1, j - 1) if step < 0 else (i + n, j + n)
            while 0 <= x < len(a) and 0 <= y < len(b) and a[x] == b[y]:
                k, m = self.a2b.get(x), self.b2a.get(y)
                if k is None or m is None or k == y:
                    break
                self.a2b[x], self.b2a[y] = y, x
                self.a2b[m], self.b2a[k] = k, m
                x, y = x + step, y + step


def _header_pattern(p: Paragraph) -> str:
    """A header paragraph's printed text as a pattern: digits may stand where Word prints a
    footnote number (a reference in a repeated header row prints on each page, numbered there)."""
    out, pos = [], 0
    for ref in sorted(set(p.note_refs)):
        out.append(re.escape(normalise(p.text[pos:ref])) + "[0-9]*")
        pos = ref
    out.append(re.escape(normalise(p.text[pos:])))
    return "".join(out)


def _without_repeated_headers(side: _Side, paragraphs: tuple[Paragraph, ...]) -> _Side:
    """The PDF's text without the repeats of table header rows (Word prints them again on each
    page a table runs over; the document stores them once)."""
    headers: dict[int, tuple[str, str]] = {}  # table: (pattern, text)
    for p in paragraphs:
        if p.header_row:
            pattern, text = headers.get(p.table, ("", ""))
            headers[p.table] = (pattern + _header_pattern(p), text + normalise(p.text))
    text = "".join(side.chars)
    drop: set[int] = set()
    shared = [pattern for pattern, _text in headers.values()]
    for pattern, header in set(headers.values()):
        if len(header) < 2:
            continue
        found = [m.span() for m in re.finditer(pattern, text)]
        # Tables that share a header (a table continued as 表…（续）) each print it once.
        for at, end in found[shared.count(pattern) :]:
            drop.update(range(at, end))
    if not drop:
        return side
    kept = _Side()
    kept.chars = [c for k, c in enumerate(side.chars) if k not in drop]
    kept.origin = [o for k, o in enumerate(side.origin) if k not in drop]
    return kept


def _shown(chars: str) -> str:
    """A lost or added run as quoted in a message: long runs are cut, with their length."""
    if len(chars) <= _SHOWN:
        return chars
    return _("{start}…（共 {n} 字）").format(start=chars[:_SHOWN], n=len(chars))


def _context(chars: list[str], start: int, end: int, mark: str) -> str:
    before = "".join(chars[max(0, start - _CONTEXT):start])
    after = "".join(chars[end:end + _CONTEXT])
    return f"…{before}{mark}{after}…"


class _Reader:
    """One read-back: aligns, explains generated text, reports the rest."""

    def __init__(self, title: str, pdf_name: str, structure: DocxStructure, pages: list[PageChars]) -> None:
        self.rb = ReadBack(title, structure, pages, [""] * len(pages), [[None] * len(p.text) for p in structure.body], pdf_name=pdf_name)
        self.where = Location(pdf_name)
        self.body_pdf = _Side()
        self.margin_text: list[dict[int, _Side]] = []
        for index, page in enumerate(pages):
            section = page_section(structure, page)
            zones: dict[int, _Side] = {-1: _Side(), 0: self.body_pdf, 1: _Side()}
            text, mapped = page.text, CHAR_MAP.get
            for k in _reading_order(page):  # _Side.add inlined: this runs once per printed character
                ch = mapped(text[k], text[k])
                if ch and not ch.isspace():
                    side = zones[_zone(page, section, k)]
                    side.chars.append(ch)
                    side.origin.append((index, k))
            del zones[0]
            self.margin_text.append(zones)

    def report(self, code: str, page: int, chars: str, context: str) -> None:
        if code == "readback-lost":
            message = _("{where}：PDF 中缺少“{chars}”：{context}")
        else:
            message = _("{where}：PDF 中多出“{chars}”：{context}")
        text = message.format(where=self.rb.page_name(page), chars=_shown(chars), context=context)
        self.rb.diagnostics.append(
            Diagnostic(self.where, Severity.ERROR, code, text, self.rb.title, {"page": page + 1, "chars": chars})
        )

    def run(self) -> ReadBack:
        self.read_margins()
        leftover = self.align_body()
        self.align_footnotes(leftover)
        self.rb.diagnostics.sort(key=lambda d: int(d.extra["page"]))  # type: ignore[call-overload]
        return self.rb

    # -- headers and footers: per page, against the document's header and footer paragraphs ----

    def read_margins(self) -> None:
        patterns: dict[int, list[tuple[re.Pattern[str], str]]] = {-1: [], 1: []}
        for p in self.rb.structure.margins:
            zone = -1 if p.story == "header" else 1
            literal, regex, pos = "", "", 0
            for a, b in (*p.generated, (len(p.text), len(p.text))):
                chunk = normalise(p.text[pos:a])
                literal += chunk
                regex += re.escape(chunk) + (f"({_FIELD_PATTERN})" if b > a else "")
                pos = b
            patterns[zone].append((re.compile(regex), literal))
        for index, zones in enumerate(self.margin_text):
            for zone, side in zones.items():
                text = "".join(side.chars)
                if not text:
                    continue
                for pattern, _literal in patterns[zone]:
                    match = pattern.fullmatch(text)
                    if match:
                        if zone == 1 and match.groups():
                            self.rb.printed[index] = match.group(1)
                        break
                else:
                    self.margin_mismatch(index, text, [lit for _p, lit in patterns[zone]])

    def margin_mismatch(self, page: int, text: str, literals: list[str]) -> None:
        # Compare with the closest header or footer, numbers left out (they are generated).
        printed = re.sub(_FIELD_PATTERN.replace("*", "+"), "", text)
        best = max(literals, key=lambda lit: SequenceMatcher(None, lit, printed, autojunk=False).ratio(), default="")
        chars_exp, chars_act = list(best), list(printed)
        for op, a0, a1, b0, b1 in SequenceMatcher(None, chars_exp, chars_act, autojunk=False).get_opcodes():
            if op in ("delete", "replace"):
                self.report("readback-lost", page, best[a0:a1], _context(chars_exp, a0, a1, "▯"))
            if op in ("insert", "replace"):
                self.report("readback-added", page, printed[b0:b1], _context(chars_act, b0, b1, "【" + _shown(printed[b0:b1]) + "】"))

    # -- the body ---------------------------------------------------------------------------------

    def align_body(self) -> _Side:
        """Align the body with the text block; returns the PDF characters left unexplained."""
        expected, note_at, generated = _body_side(self.rb.structure.body)
        actual = _without_repeated_headers(self.body_pdf, self.rb.structure.body)
        a_text, b_text = "".join(expected.chars), "".join(actual.chars)
        lost: list[tuple[int, int, int]] = []  # (a0, a1, b0): expected range, where the PDF is then
        added: list[tuple[int, int]] = []
        pairs = _Pairs()
        for op, a0, a1, b0, b1 in align(a_text, b_text):
            if op == "equal":
                pairs.pair(a0, b0, a1 - a0)
                continue
            kept = [i for i in range(a0, a1) if i not in generated]
            if kept:
                lost.append((kept[0], kept[-1] + 1, b0))
            # Digits where Word prints a footnote number, or where a field prints its result.
            numbers = all(actual.chars[j].isdigit() for j in range(b0, b1))
            if b1 > b0 and not (numbers and (a0 in note_at or len(kept) < a1 - a0)):
                added.append((b0, b1))
        lost, added = self.moves(pairs, actual, a_text, b_text, lost, added)
        for i, j in pairs.a2b.items():
            para, offset = expected.origin[i]
            self.rb.places[para][offset] = CharPlace(*actual.origin[j])
        for a0, a1, b0 in lost:
            self.report("readback-lost", self.page_near(actual, b0), a_text[a0:a1], _context(expected.chars, a0, a1, "▯"))
        leftover = _Side()
        for b0, b1 in added:
            leftover.chars.extend(actual.chars[b0:b1])
            leftover.origin.extend(actual.origin[b0:b1])
        return leftover

    def moves(
        self, pairs: _Pairs, actual: _Side, a_text: str, b_text: str, lost: list[tuple[int, int, int]], added: list[tuple[int, int]]
    ) -> tuple[list[tuple[int, int, int]], list[tuple[int, int]]]:
        """Text printed out of order is not lost: a row split over two pages prints each cell's
        second half after the first halves of all cells, and a symbol from a fallback font can be
        drawn after its line. A run found both lost and added is a move when it is long enough
        to be unmistakable, or when it is the whole run on both sides and on the same or the next
        page (a row split over pages can leave a single character to the next page)."""
        while lost and added:
            best: tuple[int, int, int, int, int] | None = None  # (size, lost n, added n, i, j)
            for ln, (a0, a1, _b) in enumerate(lost):
                for an, (b0, b1) in enumerate(added):
                    if (a1 - a0) * (b1 - b0) > 4_000_000:
                        continue  # two huge runs: not a move worth the time
                    i, j, size = SequenceMatcher(None, a_text[a0:a1], b_text[b0:b1], autojunk=False).find_longest_match()
                    i, j = i + a0, j + b0
                    near = abs(self.page_near(actual, lost[ln][2]) - actual.origin[b0][0]) <= 1
                    whole = size == a1 - a0 == b1 - b0 and near
                    if (size >= _MOVE or whole) and (best is None or size > best[0]):
                        best = (size, ln, an, i, j)
            if best is None:
                break
            size, ln, an, i, j = best
            pairs.pair(i, j, size)
            pairs.extend(a_text, b_text, i, j, size)
            a0, a1, at = lost.pop(ln)
            b0, b1 = added.pop(an)
            lost += [r for r in ((a0, i, at), (i + size, a1, at)) if r[1] > r[0]]
            added += [r for r in ((b0, j), (j + size, b1)) if r[1] > r[0]]
        return sorted(lost), sorted(added)

    @staticmethod
    def page_near(side: _Side, j: int) -> int:
        if not side.origin:
            return 0
        return side.origin[min(j, len(side.origin) - 1)][0]

    # -- footnotes: printed at the foot of the page, after the body text of that page ------------

    def align_footnotes(self, leftover: _Side) -> None:
        expected = _Side()
        starts: set[int] = set()
        for n, p in enumerate(self.rb.structure.footnotes):
            starts.add(len(expected.chars))
            expected.add(p.text, n)
        for op, a0, a1, b0, b1 in align("".join(expected.chars), "".join(leftover.chars)):
            if op == "equal":
                continue
            if a1 > a0:
                page = self.page_near(leftover, b0)
                chars = "".join(expected.chars[a0:a1])
                self.report("readback-lost", page, chars, _context(expected.chars, a0, a1, "▯"))
            if b1 > b0:
                added = "".join(leftover.chars[b0:b1])
                if added.isdigit() and a0 in starts:
                    continue  # the footnote's own number
                self.report_added(leftover, b0, b1)

    def report_added(self, side: _Side, b0: int, b1: int) -> None:
        # One diagnostic per page the added run is on, with the page's own text as context.
        j = b0
        while j < b1:
            page = side.origin[j][0]
            k = j
            while k < b1 and side.origin[k][0] == page:
                k += 1
            printed = self.rb.pages[page].text
            first, last = side.origin[j][1], side.origin[k - 1][1]
            chars = "".join(side.chars[j:k])
            before = normalise(printed[:first])[-_CONTEXT:]
            after = normalise(printed[last + 1:])[:_CONTEXT]
            self.report("readback-added", page, chars, f"…{before}【{_shown(chars)}】{after}…")
            j = k


def compare(title: str, pdf_name: str, structure: DocxStructure, pages: list[PageChars]) -> ReadBack:
    """Compare a document's structure with the characters its PDF prints (see read_back)."""
    return _Reader(title, pdf_name, structure, pages).run()


@dataclass(frozen=True)
class Extracted:
    """What a read-back reads from its two files, before comparing them."""

    structure: DocxStructure
    printed: PrintedText


def extract(docx_path: Path, pdf_path: Path) -> Extracted:
    """Read a .docx's structure and its PDF's characters (images' boxes only when it has images)."""
    structure = read_docx_structure(docx_path)
    return Extracted(structure, read_printed_text(pdf_path, images=structure.images > 0))


def read_back(title: str, docx_path: Path, pdf_path: Path, extracted: Extracted | None = None) -> ReadBack:
    """Compare a .docx with its PDF; `title` names the document in messages (建设方案).
    `extracted`: the two files as extract() read them already (else they are read now)."""
    extracted = extracted or extract(docx_path, pdf_path)
    rb = compare(title, pdf_path.name, extracted.structure, list(extracted.printed.pages))
    rb.part_starts = extracted.printed.part_starts
    return rb
