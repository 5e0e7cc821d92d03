"""Markdown → model blocks: the one module that parses Markdown.

Read the way Chinese writers write: bold that closes after full-width punctuation is bold, and a
line break inside a paragraph between Chinese characters joins them without a space
(mdit-py-cjk-friendly over markdown-it-py's CommonMark). What the documents cannot show (raw
HTML, code, rules) becomes a warning naming the line, and its text is kept, never dropped.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.common.utils import isValidEntityCode
from markdown_it.token import Token
from mdit_py_cjk_friendly import cjk_friendly

from generator.core.counting import is_east_asian
from generator.errors import Diagnostic, Location, Severity
from generator.i18n import _, language
from generator.model import (
    Block,
    Heading,
    Image,
    IndicatorTag,
    ListBlock,
    ListItem,
    Paragraph,
    Span,
    Table,
)

# A numeric character reference as CommonMark decodes it (1–7 decimal or 1–6 hex digits); a
# backslash before it keeps it literal.
_NUMERIC_REF = re.compile(r"(?<!\\)&#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));")
_COMMENT = re.compile(r"<!--.*?-->(\s*<!--.*?-->)*", re.DOTALL)
# `<!-- 指标: 3.2, 3.3 -->`: the indicators a block addresses (model.IndicatorTag). The colon may be
# full-width or "="; ids are separated by commas (either width), 、 or spaces.
_TAG = re.compile(r"<!--\s*指标\s*(?:[:：=]\s*|(?=\d))(?P<ids>.*?)\s*-->", re.DOTALL)
_TAG_ID = re.compile(r"[^,，、;；\s]+")
_md = MarkdownIt("commonmark").use(cjk_friendly).enable("table")
# markdown-it quietly turns `![x](file:…)` into literal text; parse every link so that
# assets.resolve_asset can refuse it with a message naming the line.
_md.validateLink = lambda url: True  # type: ignore[method-assign]


class _Reader:
    def __init__(self, rel_path: str):
        self.rel_path = rel_path
        self.diagnostics: list[Diagnostic] = []
        #: (ids, their locations, line of the tag's end, inline): placed on blocks by `place_tags`
        self.tags: list[tuple[tuple[str, ...], tuple[Location, ...], int, bool]] = []

    def read_tags(self, raw: str, first_line: int, first_col: int, inline: bool) -> None:
        """Record each `<!-- 指标: … -->` in `raw`, which starts at `first_line`:`first_col`."""
        for m in _TAG.finditer(raw):
            ids, locs = [], []
            for idm in _TAG_ID.finditer(m.group("ids")):
                off = m.start("ids") + idm.start()
                line = first_line + raw.count("\n", 0, off)
                start_of_line = raw.rfind("\n", 0, off) + 1
                col = off - start_of_line + (first_col if start_of_line == 0 else 1)
                ids.append(idm.group())
                locs.append(Location(self.rel_path, line, col))
            end_line = first_line + raw.count("\n", 0, m.end())
            if not ids:
                loc = Location(self.rel_path, first_line + raw.count("\n", 0, m.start()), first_col)
                self.diagnostics.append(
                    Diagnostic(loc, Severity.WARNING, "indicator-tag-empty", _("指标标注里没有写观测点编号，如 <!-- 指标: 3.2 -->"))
                )
                continue
            self.tags.append((tuple(ids), tuple(locs), end_line, inline))

    def place_tags(self, blocks: list[Block]) -> tuple[IndicatorTag, ...]:
        """Each recorded tag on its block: the first block after a tag on its own line, the block
        that holds a tag written inside it."""
        out = []
        for ids, locs, end_line, inline in self.tags:
            if inline:
                index = max((i for i, b in enumerate(blocks) if b.loc.line <= end_line), default=-1)
            else:
                index = next((i for i, b in enumerate(blocks) if b.loc.line > end_line), -1)
            if index < 0:
                self.diagnostics.append(
                    Diagnostic(locs[0], Severity.WARNING, "indicator-tag-alone", _("指标标注后面没有内容：标注要写在它所指的标题或段落之前"))
                )
            out.append(IndicatorTag(ids, locs, index))
        return tuple(out)

    def loc(self, token: Token | None) -> Location:
        line = token.map[0] + 1 if token is not None and token.map else 0
        return Location(self.rel_path, line, 1 if line else 0)

    def warn(self, token: Token | None, code: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(self.loc(token), Severity.WARNING, code, message))

    # -- inline ---------------------------------------------------------------------------

    def spans(self, inline: Token, images: list[tuple[str, str]] | None = None) -> tuple[Span, ...]:
        out: list[Span] = []
        bold = italic = False
        children = inline.children or []
        link_href: str | None = None
        for i, tok in enumerate(children):
            t = tok.type
            if t == "text" or t == "code_inline":
                out.append(Span(tok.content, bold, italic))
            elif t == "strong_open":
                bold = True
            elif t == "strong_close":
                bold = False
            elif t == "em_open":
                italic = True
            elif t == "em_close":
                italic = False
            elif t == "softbreak":
                prev = children[i - 1].content[-1:] if i > 0 else ""
                nxt = children[i + 1].content[:1] if i + 1 < len(children) else ""
                if not (prev and nxt and is_east_asian(prev) and is_east_asian(nxt)):
                    out.append(Span(" ", bold, italic))
            elif t == "hardbreak":
                out.append(Span("\n", bold, italic))
            elif t == "link_open":
                link_href = unquote(str(tok.attrs.get("href", "")))
                link_start = len(out)
            elif t == "link_close":
                shown = "".join(s.text for s in out[link_start:])
                if link_href and link_href != shown:
                    out.append(Span(f"（{link_href}）", bold, italic))
                link_href = None
            elif t == "image":
                if images is not None:
                    # markdown-it percent-encodes the path; the file system wants it as written.
                    images.append((unquote(str(tok.attrs.get("src", ""))), tok.content))
                else:
                    self.warn(inline, "md-image-inline", _("图片要单独成段（前后各空一行）才能排版；此处只保留了图题文字"))
                    out.append(Span(tok.content, bold, italic))
            elif t == "html_inline" and _COMMENT.fullmatch(tok.content.strip()):
                self.inline_tags(inline, tok.content)
            elif t == "html_inline":
                self.warn(
                    inline,
                    "md-html",
                    _("不支持 HTML 标记 {tag}：标记本身不会出现在文档中，其中的文字照常保留").format(
                        tag=tok.content
                    ),
                )
            else:
                self.warn(inline, "md-unknown", _("无法识别的 Markdown 内容（{kind}），已按文字保留").format(kind=t))
                out.append(Span(tok.content, bold, italic))
        return _merge(out)

    def inline_tags(self, inline: Token, comment: str) -> None:
        """The tags in a comment inside a paragraph, placed where the paragraph's source has it."""
        if not inline.map or "指标" not in comment:
            return
        source = inline.content
        off = max(source.find(comment), 0)
        line = inline.map[0] + 1 + source.count("\n", 0, off)
        col = off - (source.rfind("\n", 0, off) + 1) + 1
        self.read_tags(comment, line, col, inline=True)

    # -- blocks ---------------------------------------------------------------------------

    def blocks(self, tokens: list[Token], i: int = 0, stop: str | None = None) -> tuple[list[Block], int]:
        out: list[Block] = []
        while i < len(tokens):
            tok = tokens[i]
            t = tok.type
            if stop is not None and t == stop:
                return out, i
            if t == "heading_open":
                level = int(tok.tag[1:])
                out.append(Heading(level, self.spans(tokens[i + 1]), self.loc(tok)))
                i += 3
            elif t == "paragraph_open":
                out.extend(self.paragraph(tok, tokens[i + 1]))
                i += 3
            elif t in ("bullet_list_open", "ordered_list_open"):
                list_block, i = self.list_block(tokens, i)
                out.append(list_block)
            elif t == "table_open":
                table, i = self.table(tokens, i)
                out.append(table)
            elif t == "blockquote_open":
                self.warn(tok, "md-quote", _("引用块将按普通段落排版"))
                inner, i = self.blocks(tokens, i + 1, "blockquote_close")
                out.extend(inner)
                i += 1
            elif t in ("fence", "code_block"):
                self.warn(tok, "md-code", _("代码块将按普通段落排版"))
                for line in tok.content.rstrip("\n").split("\n"):
                    out.append(Paragraph((Span(line),), self.loc(tok)))
                i += 1
            elif t == "html_block" and _COMMENT.fullmatch(tok.content.strip()):
                # a comment is a note to the writers (the stubs' guidance), never printed, or an
                # indicator tag
                if tok.map:
                    self.read_tags(tok.content, tok.map[0] + 1, 1, inline=False)
                i += 1
            elif t == "html_block":
                self.warn(
                    tok,
                    "md-html",
                    _("不支持 HTML 块：文档中将按原文照印，请改用 Markdown 写法"),
                )
                out.append(Paragraph((Span(tok.content.strip()),), self.loc(tok)))
                i += 1
            elif t == "hr":
                self.warn(tok, "md-hr", _("分隔线（---）不会出现在文档中"))
                i += 1
            else:
                i += 1
        return out, i

    def paragraph(self, open_tok: Token, inline: Token) -> list[Block]:
        images: list[tuple[str, str]] = []
        spans = self.spans(inline, images)
        out: list[Block] = []
        if any(s.text.strip() for s in spans):
            out.append(Paragraph(spans, self.loc(open_tok)))
        out.extend(Image(src, caption, self.loc(open_tok)) for src, caption in images)
        return out

    def list_block(self, tokens: list[Token], i: int) -> tuple[ListBlock, int]:
        open_tok = tokens[i]
        ordered = open_tok.type == "ordered_list_open"
        close = "ordered_list_close" if ordered else "bullet_list_close"
        start = int(open_tok.attrs.get("start", 1) or 1) if ordered else 1
        items: list[ListItem] = []
        i += 1
        while tokens[i].type != close:
            # list_item_open
            inner, i = self.blocks(tokens, i + 1, "list_item_close")
            spans: list[Span] = []
            children: list[ListBlock] = []
            for b in inner:
                if isinstance(b, ListBlock):
                    children.append(b)
                elif isinstance(b, Paragraph | Heading):
                    if spans:
                        spans.append(Span("\n"))
                    spans.extend(b.spans)
                elif isinstance(b, Image):
                    self.warn(open_tok, "md-image-inline", _("列表中的图片无法排版，已按文字保留"))
                    spans.append(Span(b.caption))
                else:
                    self.warn(open_tok, "md-nested-table", _("列表中的表格无法排版，已按文字保留"))
                    spans.append(Span(" ".join(t for row in (b.header, *b.rows) for t in map(_text, row))))
            items.append(ListItem(tuple(spans), tuple(children)))
            i += 1
        return ListBlock(ordered, tuple(items), self.loc(open_tok), start), i + 1

    def table(self, tokens: list[Token], i: int) -> tuple[Table, int]:
        open_tok = tokens[i]
        header: list[tuple[Span, ...]] = []
        rows: list[tuple[tuple[Span, ...], ...]] = []
        current: list[tuple[Span, ...]] = []
        in_head = False
        while tokens[i].type != "table_close":
            t = tokens[i].type
            if t == "thead_open":
                in_head = True
            elif t == "thead_close":
                in_head = False
            elif t == "tr_open":
                current = []
            elif t == "inline":
                current.append(self.spans(tokens[i]))
            elif t == "tr_close":
                if in_head:
                    header = current
                else:
                    rows.append(tuple(current))
            i += 1
        return Table(tuple(header), tuple(rows), self.loc(open_tok)), i + 1


def _text(spans: tuple[Span, ...]) -> str:
    return "".join(s.text for s in spans)


def _merge(spans: list[Span]) -> tuple[Span, ...]:
    out: list[Span] = []
    for s in spans:
        if not s.text:
            continue
        if out and out[-1].bold == s.bold and out[-1].italic == s.italic:
            out[-1] = Span(out[-1].text + s.text, s.bold, s.italic)
        else:
            out.append(s)
    return tuple(out)


def _unprintable(code: int) -> bool:
    """True for a code point a .docx cannot hold (XML 1.0) or that markdown-it would silently
    turn into U+FFFD (NUL, surrogates, C1 controls, non-characters, beyond U+10FFFF)."""
    if not isValidEntityCode(code):
        return True
    return code < 0x20 and code not in (0x09, 0x0A)


def refuse_unprintable_references(text: str, rel_path: str) -> tuple[str, list[Diagnostic]]:
    """`text` with each reference such as `&#12;` or `&#xD800;` to a character Word cannot hold
    blanked, and an error for each at its place: the same error as the raw character."""
    found: list[Diagnostic] = []

    def blank(m: re.Match[str]) -> str:
        code = int(m.group(1), 10) if m.group(1) else int(m.group(2), 16)
        if not _unprintable(code):
            return m.group()
        line = text.count("\n", 0, m.start()) + 1
        col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        found.append(
            Diagnostic(
                Location(rel_path, line, col),
                Severity.ERROR,
                "control-char",
                _("字符引用 {ref} 表示的字符 U+{code:04X} 不能放进 Word 文档：请删除或改为普通文字").format(
                    ref=m.group(), code=code
                ),
            )
        )
        return " "

    return _NUMERIC_REF.sub(blank, text), found


def read_markdown(text: str, rel_path: str) -> tuple[list[Block], tuple[IndicatorTag, ...], list[Diagnostic]]:
    """Parse Markdown `text` (already normalised) into blocks and the indicator tags placed on
    them, with warnings for what won't print."""
    blocks, tags, diagnostics = _parsed(text, rel_path, language())
    return list(blocks), tags, list(diagnostics)


@functools.lru_cache(maxsize=64)
def _parsed(text: str, rel_path: str, lang: str) -> tuple[tuple[Block, ...], tuple[IndicatorTag, ...], tuple[Diagnostic, ...]]:
    """read_markdown's work, kept for the same text: `chanjiao preview` reads every file on each
    save, and parsing the example's ten Markdown files took 80 ms of the ~100 ms a save spends
    loading; blocks and diagnostics are frozen, and the messages' language is part of the key."""
    del lang  # only a key: the messages below are translated in the language now set
    reader = _Reader(rel_path)
    blocks, _end = reader.blocks(_md.parse(text))
    tags = reader.place_tags(blocks)
    return tuple(blocks), tags, tuple(reader.diagnostics)
