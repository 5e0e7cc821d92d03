"""The line model of CJK cell text: how wide a text is in ems, and how names joined by 、 fill
lines that break only between names (names are glued with word joiners, see `context.glued`).

One em per Han character or full-width mark, ½ per digit, 0.6 per other Latin character. A 、
that ends a line is set half-width (the layout condenses it, as Chinese typesetting compresses
line-end punctuation): LibreOffice does not hang it past a cell's edge, and at full width it
pushes the name's last character down with it.
"""

from __future__ import annotations

import functools
import math
import re

from generator.core.counting import is_east_asian
from generator.core.nobreak import WORD_JOINER
from generator.word.context import LIST_SEPARATOR


@functools.lru_cache(maxsize=4096)
def em_width(text: str) -> float:
    """Width of `text` in ems of the table font: Han characters and full-width marks 1, digits ½
    (Times New Roman's are exactly that), other Latin characters 0.6 (capitals are wider than ½:
    an estimate that errs wide only wastes a little room, one that errs narrow breaks a name)."""
    return sum(_char_width(ch) for ch in text)


#: What a 、 gives up when it ends a line (see `line_end_width`).
CONDENSED = 0.5


def line_end_width(piece: str) -> float:
    """Width of `piece` when it ends a line: its trailing 、 condensed to half an em."""
    return em_width(piece) - (CONDENSED if piece.endswith(LIST_SEPARATOR) else 0.0)


def _char_width(ch: str) -> float:
    if ch == WORD_JOINER:
        return 0.0
    if is_east_asian(ch):
        return 1.0
    return 0.5 if ch.isdigit() else 0.6


#: A 、 between two names; one inside a glued name has word joiners on both sides.
_SEPARATOR = re.compile(f"(?<!{WORD_JOINER}){LIST_SEPARATOR}(?!{WORD_JOINER})")


def units(text: str) -> list[str]:
    """The unbreakable pieces of a cell's text: each name with the 、 that follows it. A 、 inside
    a name (glued, see `context.glued`) does not end it."""
    parts = _SEPARATOR.split(text)
    return [p + LIST_SEPARATOR for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def pack(pieces: list[str], per_line: float) -> tuple[list[str], int]:
    """Fill lines `per_line` ems wide with the pieces, breaking only between pieces: the text of
    each line that starts with a break, and how many lines are printed.

    A trailing 、 counts against the line, half-width when it ends the line (the layout
    condenses it there). A piece longer than a whole line starts
    a new line and wraps where the line ends; it counts as the lines it fills, and what follows
    starts on a line of its own.
    """
    if not pieces:
        return [""], 1
    segments: list[list[str]] = [[]]
    lines, used = 1, 0.0
    for piece in pieces:
        width, at_end = em_width(piece), line_end_width(piece)
        if used + width <= per_line + 1e-6 or used + at_end <= per_line + 1e-6:
            segments[-1].append(piece)
            # Fitting only with its 、 condensed, the piece ends the line.
            used = used + width if used + width <= per_line + 1e-6 else per_line + 1
            continue
        if used > 0:
            lines += 1
            used = 0.0
            segments.append([])
        segments[-1].append(piece)
        if width <= per_line + 1e-6:
            used = width
        elif at_end <= per_line + 1e-6:
            used = per_line + 1
        else:
            # The name wraps inside; what follows starts a new line, so that the end of a cut name
            # is not read as the start of the next one ("会、重庆市…").
            lines += math.ceil(at_end / per_line - 1e-6) - 1
            used = per_line + 1
    return ["".join(seg) for seg in segments], lines


def count_lines(pieces: list[str], per_line: float) -> int:
    """Lines the pieces fill in a column `per_line` ems wide (see `pack`)."""
    return pack(pieces, per_line)[1]


def cut_piece(piece: str, ems: float) -> str:
    """The longest start of `piece` (ending on a character, not a joiner) at most `ems` wide."""
    used, end = 0.0, 0
    for i, ch in enumerate(piece):
        used += em_width(ch)
        if used > ems + 1e-6:
            break
        if ch != WORD_JOINER:
            end = i + 1
    return piece[:end]


def take_lines(pieces: list[str], per_line: float, max_lines: int) -> int:
    """How many of `pieces`, from the first, fit in `max_lines` lines (none, when even the first
    is taller: the caller cuts a long name to fill the lines that are left)."""
    n = 0
    while n < len(pieces) and count_lines(pieces[: n + 1], per_line) <= max_lines:
        n += 1
    return n
