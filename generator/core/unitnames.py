"""Unit names in a table cell: what the writer keeps on one line and the layout report checks."""

from __future__ import annotations

import re

#: A unit's name: a run of name characters ending in what such units are called.
UNIT_NAME = re.compile(
    r"[\u3400-\u9fff\uf900-\ufaff（）()·A-Za-z0-9]{2,}"
    r"(?:有限公司|有限责任公司|股份公司|公司|集团|学院|学校|大学|中心|研究院|研究所|协会|商会|管委会|委员会|管理局|局|医院|园区|基地|联合体|厂)"
)
#: A name stands alone in its cell or in a list such as “甲公司、乙学院”.
LIST_ITEM = re.compile(r"[^、，,；;/\s]+")
#: What ends a sentence: a cell holding one is running prose, where lines break as in any paragraph.
SENTENCE_END = re.compile(r"[。！？!?]")


#: A piece between list marks longer than this that is no unit name is a clause, not a list item.
_CLAUSE = 12
_CLAUSE_MARK = re.compile(r"[，；]")


def is_running_prose(text: str) -> bool:
    """True for a cell of sentences, where lines break as in any paragraph: it ends a sentence,
    or it has a clause that is no unit name (附件2's wording: “联合体牵头产业园区总产值较高，…”
    has no full stop, yet nobody reads it as a list of names)."""
    if SENTENCE_END.search(text):
        return True
    # A list of names is joined by 、; a comma or semicolon with a long piece that is no name is a clause.
    if not _CLAUSE_MARK.search(text):
        return False
    return any(len(item) > _CLAUSE and not UNIT_NAME.fullmatch(item) for item in LIST_ITEM.findall(text))


def unit_names(text: str) -> list[tuple[int, int]]:
    """Where the unit names of a list cell are in `text` (start, end); none in running prose."""
    if is_running_prose(text):
        return []
    return [m.span() for m in LIST_ITEM.finditer(text) if UNIT_NAME.fullmatch(m.group())]
