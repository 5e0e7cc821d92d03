"""Word's 字数: what "不超过500字" is measured by, and 字符数(不计空格) beside it.

Each East-Asian character (Han, kana, Hangul) and each full-width punctuation mark or form counts
one; each maximal run of other non-space characters (`2024`, `R&D`, `6.1%`, `①②③`) counts one.
The marks Chinese text borrows from outside those blocks (“ ” ‘ ’ — … ·) count one each: Word may
count them with a neighbouring run instead, so this can only over-count, which is safe for a limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EAST_ASIAN_RANGES = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x2FF0, 0x2FFF),  # ideographic description
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x3130, 0x318F),  # Hangul compatibility Jamo
    (0x3190, 0x31FF),  # Kanbun … Katakana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA960, 0xA97F),  # Hangul Jamo extended-A
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half-width and full-width forms
    (0x20000, 0x3FFFF),  # CJK extensions B and beyond
)
_AMBIGUOUS_MARKS = frozenset("“”‘’—…·")


def is_east_asian(ch: str) -> bool:
    """True when `ch` counts as one 字 on its own."""
    if ch in _AMBIGUOUS_MARKS:
        return True
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _EAST_ASIAN_RANGES)


@dataclass(frozen=True)
class Count:
    """Both figures Word's 字数统计 dialog shows for a text."""

    words: int  # 字数
    chars_no_spaces: int  # 字符数(不计空格)


_EA_CLASS = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _EAST_ASIAN_RANGES) + re.escape("".join(sorted(_AMBIGUOUS_MARKS)))
_EAST_ASIAN_CHAR = re.compile(f"[{_EA_CLASS}]")
_OTHER_RUN = re.compile(f"[^\\s{_EA_CLASS}]+")
_NON_SPACE = re.compile(r"\S")


def count_words(text: str) -> Count:
    """Count `text` the way Word's 字数 does."""
    words = len(_EAST_ASIAN_CHAR.findall(text)) + len(_OTHER_RUN.findall(text))
    return Count(words, len(_NON_SPACE.findall(text)))
