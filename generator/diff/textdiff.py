"""Text differences at the granularity a Chinese reader expects: characters and words, not lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

# Chinese has no spaces between words, so each CJK character (and each mark) is its own token;
# a run of Latin letters or digits (`2024`, `356.7`, `R`) is one, so a changed figure reads as
# one replaced number rather than a changed digit in the middle of it.
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:\.[0-9]+)*|\s+|.", re.S)
#: Equal runs this short between two changes are folded into them (a rewritten sentence shares
#: a 的 or a ， with its old wording by chance; marking those as kept is noise).
MERGE_GAP = 2
_REFINE = 40


@dataclass(frozen=True)
class Segment:
    """A stretch of A (`a0:a1`) and of B (`b0:b1`): equal text, or a change of one into the other."""

    equal: bool
    a0: int
    a1: int
    b0: int
    b1: int


def tokens(text: str) -> list[str]:
    """`text` cut into the units a change is reported in."""
    return _TOKEN.findall(text)


def _offsets(toks: list[str]) -> list[int]:
    out = [0]
    for t in toks:
        out.append(out[-1] + len(t))
    return out


def raw_segments(a: str, b: str) -> list[Segment]:
    """The token-level differences of `a` and `b`, adjacent changes joined, nothing merged."""
    ta, tb = tokens(a), tokens(b)
    oa, ob = _offsets(ta), _offsets(tb)
    out: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        seg = Segment(tag == "equal", oa[i1], oa[i2], ob[j1], ob[j2])
        if out and not out[-1].equal and not seg.equal:
            prev = out.pop()
            seg = Segment(False, prev.a0, seg.a1, prev.b0, seg.b1)
        out.append(seg)
    return out


def _size(seg: Segment) -> int:
    return max(seg.a1 - seg.a0, seg.b1 - seg.b0)


def diff_segments(a: str, b: str, *, merge_gap: int = MERGE_GAP) -> list[Segment]:
    """The differences of `a` and `b` as a reader wants them marked.

    An equal stretch between two changes is folded into them when it is at most `merge_gap`
    characters, or no longer than the changes on either side of it (the rule diff-match-patch
    calls semantic clean-up): the result alternates equal and changed segments.
    """
    segs = raw_segments(a, b)
    changed = True
    while changed:
        changed = False
        for k in range(1, len(segs) - 1):
            left, mid, right = segs[k - 1], segs[k], segs[k + 1]
            if not mid.equal or left.equal or right.equal:
                continue
            gap = mid.a1 - mid.a0
            if gap <= merge_gap or (gap <= _size(left) and gap <= _size(right)):
                segs[k - 1 : k + 2] = [Segment(False, left.a0, right.a1, left.b0, right.b1)]
                changed = True
                break
    return segs


def chars_added_removed(a: str, b: str) -> tuple[int, int]:
    """How many non-space characters `b` adds to `a`, and how many it removes."""
    added = removed = 0
    for seg in raw_segments(a, b):
        if seg.equal:
            continue
        old, new = a[seg.a0 : seg.a1], b[seg.b0 : seg.b1]
        if old and new and len(old) <= _REFINE and len(new) <= _REFINE:
            # A changed number or word counts the characters that changed in it: 13908316625 →
            # 13908316626 is one character replaced, not eleven.
            for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
                if tag != "equal":
                    removed += _visible(old[i1:i2])
                    added += _visible(new[j1:j2])
        else:
            removed += _visible(old)
            added += _visible(new)
    return added, removed


def words_added_removed(a: str, b: str) -> tuple[int, int]:
    """How many 字 (Word's count) the text `b` adds to `a`, and how many it removes."""
    from generator.core.counting import count_words

    added = removed = 0
    for seg in raw_segments(a, b):
        if not seg.equal:
            removed += count_words(a[seg.a0 : seg.a1]).words
            added += count_words(b[seg.b0 : seg.b1]).words
    return added, removed


def emphasis_changed(a: list[tuple[str, bool, bool]], b: list[tuple[str, bool, bool]]) -> bool:
    """True when text kept from `a` to `b` gained or lost bold or italic.

    `a` and `b` are (text, bold, italic) spans; text that was added or removed does not count,
    so a part with both text edits and emphasis edits reports both.
    """

    def flat(spans: list[tuple[str, bool, bool]]) -> tuple[str, list[tuple[bool, bool]]]:
        return "".join(t for t, _b, _i in spans), [(bo, it) for t, bo, it in spans for _ch in t]

    ta, fa = flat(a)
    tb, fb = flat(b)
    for tag, i1, i2, j1, _j2 in SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if tag == "equal" and any(not ta[i1 + k].isspace() and fa[i1 + k] != fb[j1 + k] for k in range(i2 - i1)):
            return True
    return False


def _visible(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def similarity(a: str, b: str) -> float:
    """How alike two texts are, 0 to 1 (difflib's ratio on characters)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    sm = SequenceMatcher(None, a, b, autojunk=False)
    if sm.real_quick_ratio() < 0.3 or sm.quick_ratio() < 0.3:
        return sm.quick_ratio()
    return sm.ratio()
