"""The kinds of node a form declaration may use, as one enum every walker matches exhaustively."""

from __future__ import annotations

from enum import StrEnum


class FieldType(StrEnum):
    """A node's `type` in the declaration. A StrEnum, so `spec.type == "yearly"` keeps working."""

    GROUP = "group"
    TEXT = "text"
    DATE = "date"
    CHOICE = "choice"
    YESNO = "yesno"
    NAMES = "names"
    YEARLY = "yearly"
    PROSE = "prose"
    PART_LIMITS = "part_limits"
    COUNT = "count"
    AMOUNT = "amount"
    PERCENT = "percent"
    AREA = "area"
    UNITS = "units"
    PEOPLE = "people"
    ATTACHMENTS = "attachments"


#: Node types whose value is a single figure (a number the form prints with its unit).
FIGURE_TYPES = frozenset({FieldType.COUNT, FieldType.AMOUNT, FieldType.PERCENT, FieldType.AREA})
#: Node types whose value is a list of mappings declared in `item_fields`.
ITEM_LIST_TYPES = frozenset({FieldType.UNITS, FieldType.PEOPLE, FieldType.ATTACHMENTS})


class NotApplicable(str):
    """A figure the team declared not applicable, kept as written ("/", "无", "不适用", "—").

    A `str`, so whatever prints a value prints what the team wrote; a distinct type, so rules
    and sums can tell it from a number and from a blank (`is_not_applicable`)."""

    __slots__ = ()


def is_not_applicable(value: object) -> bool:
    """True for a figure declared not applicable."""
    return isinstance(value, NotApplicable)
