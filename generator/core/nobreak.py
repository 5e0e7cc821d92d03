"""Tokens a line must not split — phone numbers, dates, figures with their units — glued with
U+2060 WORD JOINER."""

# Why joiners, and why the glued Chinese characters also need a non-CJK language (see
# word/blocks.py): LibreOffice breaks a line with the break iterator of the language of the text it
# cuts. For Latin text that is ICU's, which honours U+2060 (UAX #14). For zh-CN text LibreOffice
# 7.4 uses its own CJK iterator, which allows a break between any two characters except around
# its forbidden (kinsoku) punctuation and ignores U+2060 (LibreOffice 24 learns to honour it).
# So `356.7万元` still broke as `356.7万` / `元` until 万 and 元 were tagged en-US as well.
# U+2060 has no width and no glyph: checked here, LibreOffice draws nothing for it and embeds no
# extra font. Word shows it as nothing too; whether Word's own line breaking honours it was not
# checked (no Word here). Text readers that compare the .docx with the content strip it
# (`strip_joiners`).

from __future__ import annotations

import re

WORD_JOINER = "\u2060"

#: Units written after a figure, longest first so `万元` wins over `万`.
UNITS = (
    "万人次", "平方米", "人次", "人月", "人日", "人天", "万元", "亿元", "学时", "课时", "小时", "公里", "千瓦", "万人",
    "％", "%", "‰", "㎡", "元", "万", "亿", "个", "人", "家", "项", "所", "门", "本", "套", "台",
    "次", "名", "倍", "年", "月", "日", "天", "周", "米", "吨", "间", "册", "篇", "件", "张", "批",
    "届", "期", "场", "条", "部", "种", "类", "位", "户", "座", "处", "支", "班", "级",
)
_UNIT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_NUMBER = r"\d[\d,]*(?:\.\d+)?"

#: What must stay on one line, most specific first: a date before a figure with the unit 年.
TOKEN = re.compile(
    "|".join(
        (
            r"(?<![\d-])0\d{2,3}-\d{7,8}(?:-\d{1,6})?(?!\d)",  # 023-63316958, 0851-1234567-801
            r"(?<!\d)1[3-9]\d-\d{4}-\d{4}(?!\d)",  # 139-0831-6625 (a bare mobile cannot break)
            r"(?<!\d)\d{4}年\d{1,2}月(?:\d{1,2}日)?",  # 2024年12月31日, 2024年6月
            r"(?<!\d)\d{1,2}月\d{1,2}日",  # 6月3日
            r"(?<![\d-])\d{4}([-./])\d{1,2}\1\d{1,2}(?![\d-])",  # 2024-06-03, 2024.6.3
            rf"(?<![\d.,]){_NUMBER}(?:{_UNIT})",  # 356.7万元, 96.5％, 260㎡, 12个, 3000人次
        )
    )
)


def _glued(token: str) -> str:
    """`token` with a joiner wherever a line could otherwise break: everywhere except between
    two ASCII letters or digits, which no line-breaking rule separates."""
    out = [token[0]]
    for before, ch in zip(token, token[1:], strict=False):
        if not (before.isascii() and before.isalnum() and ch.isascii() and ch.isalnum()):
            out.append(WORD_JOINER)
        out.append(ch)
    return "".join(out)


def glue_tokens(text: str) -> tuple[str, list[tuple[int, int]]]:
    """`text` with every token glued, and where the glued tokens are in the result
    (start, end) so a writer can give their characters the language that keeps them whole.

    Text already glued is returned unchanged: a joiner inside a token stops the patterns
    matching, so the finishing pass may see prose the writer glued before."""
    spans: list[tuple[int, int]] = []
    parts: list[str] = []
    last = 0
    length = 0
    for m in TOKEN.finditer(text):
        glued = _glued(m.group(0))
        parts.append(text[last : m.start()])
        length += m.start() - last
        spans.append((length, length + len(glued)))
        parts.append(glued)
        length += len(glued)
        last = m.end()
    parts.append(text[last:])
    return "".join(parts), spans


def strip_joiners(text: str) -> str:
    """`text` as written: without the joiners `glue_tokens` added (and U+2011 as a hyphen)."""
    return text.replace(WORD_JOINER, "").replace("\u2011", "-")
