"""Reading YAML content files into raw trees with a position for every key and value.

The one module that parses YAML content. Nothing is typed implicitly: every scalar keeps the
text as written and whether it was quoted, so `023-12345678`, `NO` or `1.10` in a text field stay
exactly as written, and a figure must be written as a plain number. Duplicate keys, any tag
beyond plain YAML, anchors and aliases, and nesting deeper than the form could need are errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from generator.core.limits import MAX_YAML_DEPTH
from generator.errors import Diagnostic, Location, Severity
from generator.i18n import _

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_PLAIN_TAGS = frozenset(
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "value", "merge")
)


@dataclass(frozen=True)
class Scalar:
    """A scalar as written: its text, whether it was a plain (unquoted) scalar, and where."""

    text: str
    plain: bool
    loc: Location

    @property
    def empty(self) -> bool:
        """True for a key with nothing after it (`key:`) or an explicit `~`/`null`."""
        return self.plain and self.text in ("", "~", "null", "Null", "NULL")


@dataclass(frozen=True)
class Mapping:
    """A mapping in file order: (key, key location, value) triples."""

    entries: tuple[tuple[str, Location, Node], ...]
    loc: Location


@dataclass(frozen=True)
class Sequence:
    """A list of nodes."""

    items: tuple[Node, ...]
    loc: Location


Node = Scalar | Mapping | Sequence


def _loc(rel_path: str, mark: Any) -> Location:
    if mark is None:
        return Location(rel_path)
    return Location(rel_path, mark.line + 1, mark.column + 1)


def parse_yaml(text: str, rel_path: str) -> tuple[Node | None, list[Diagnostic]]:
    """Parse `text` (already normalised) into a raw tree; problems come back as diagnostics."""
    try:
        # Events first: anchors, aliases and depth are refused before a tree is built, because
        # an alias shares its node, so walking a tree with nested aliases costs exponential
        # time (8 levels in 300 bytes: 1.6 GB) and a self-referencing alias never ends.
        refused = _refuse_aliases_and_depth(text, rel_path)
        if refused:
            return None, refused
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or str(exc)
        message = _("YAML 语法错误：{problem}").format(problem=problem)
        return None, [Diagnostic(_loc(rel_path, mark), Severity.ERROR, "yaml-syntax", message)]
    except yaml.reader.ReaderError as exc:
        line, col = _position(text, exc.position)
        message = _("不允许的控制字符 U+{code:04X}：请删除或改为普通文字").format(code=exc.character)
        return None, [Diagnostic(Location(rel_path, line, col), Severity.ERROR, "control-char", message)]
    if root is None:
        return None, []
    diagnostics: list[Diagnostic] = []
    return _convert(root, rel_path, diagnostics), diagnostics


def _refuse_aliases_and_depth(text: str, rel_path: str) -> list[Diagnostic]:
    """An error for each anchor (`&name`) and alias (`*name`), and one when nesting is too deep."""
    found: list[Diagnostic] = []
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        message = None
        if isinstance(event, yaml.AliasEvent):
            message = _("不支持 YAML 别名 *{name}：请把内容直接写出来")
        elif isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            message = _("不支持 YAML 锚点 &{name}：请删除它，把内容直接写出来")
        if message is not None:
            name = getattr(event, "anchor", "")  # AliasEvent and NodeEvent both carry it
            found.append(Diagnostic(_loc(rel_path, event.start_mark), Severity.ERROR, "yaml-alias", message.format(name=name)))
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                found.append(
                    Diagnostic(
                        _loc(rel_path, event.start_mark),
                        Severity.ERROR,
                        "yaml-depth",
                        _("YAML 嵌套超过 {limit} 层：内容文件不需要这么深的层次，请检查缩进和括号").format(
                            limit=MAX_YAML_DEPTH
                        ),
                    )
                )
                break
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return found


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    line = before.count("\n") + 1
    return line, offset - (before.rfind("\n") + 1) + 1


def _convert(node: yaml.Node, rel_path: str, diagnostics: list[Diagnostic]) -> Node:
    loc = _loc(rel_path, node.start_mark)
    if node.tag not in _PLAIN_TAGS:
        diagnostics.append(
            Diagnostic(
                loc,
                Severity.ERROR,
                "yaml-tag",
                _("不支持的 YAML 标签 {tag}：内容文件只能写普通文字、数字、列表和键值").format(tag=node.tag),
            )
        )
        return Scalar("", True, loc)
    if isinstance(node, yaml.ScalarNode):
        return Scalar(node.value, not node.style, loc)
    if isinstance(node, yaml.SequenceNode):
        return Sequence(tuple(_convert(n, rel_path, diagnostics) for n in node.value), loc)
    entries: list[tuple[str, Location, Node]] = []
    seen: dict[str, Location] = {}
    for key_node, value_node in node.value:
        key_loc = _loc(rel_path, key_node.start_mark)
        if not isinstance(key_node, yaml.ScalarNode):
            diagnostics.append(Diagnostic(key_loc, Severity.ERROR, "yaml-key", _("键必须是文字")))
            continue
        key = key_node.value
        if key in seen:
            diagnostics.append(
                Diagnostic(
                    key_loc,
                    Severity.ERROR,
                    "duplicate-key",
                    _("重复的键“{key}”：第 {line} 行已经写过").format(key=key, line=seen[key].line),
                    field=key,
                )
            )
            continue
        seen[key] = key_loc
        entries.append((key, key_loc, _convert(value_node, rel_path, diagnostics)))
    return Mapping(tuple(entries), loc)
