"""The fonts of the PDFs, read back: which face stood in for each font the templates name, and
which characters of the content the body font's stand-in cannot draw."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .counting import is_east_asian
from .errors import Diagnostic, Location, Severity
from .fontmap import FontMatch, font_characters
from .i18n import _
from .model import Application, Item, ListValue, Value, block_texts


def _font_key(name: str) -> str:
    """A font name reduced so a family and its PDF BaseFont compare: Noto CJK collections name
    every face `…CJKjp…` in the PDF whichever language was used."""
    key = re.sub(r"[\s_-]", "", name.lower())
    return re.sub(r"cjk(jp|sc|tc|kr|hk)", "cjk", key)


def font_matches(families: tuple[str, ...], fonts_dir: Path | None) -> dict[str, FontMatch]:
    """What fontconfig, under our map, picks for each of `families`."""
    from .fontmap import match_font, write_fonts_conf

    with tempfile.TemporaryDirectory(prefix="chanjiao-fc-") as tmp:
        conf_path = write_fonts_conf(Path(tmp), fonts_dir)
        return {family: match_font(family, conf_path) for family in families}


def substitutions(matches: dict[str, FontMatch], embedded: set[str]) -> dict[str, str]:
    """Each font the templates name → the face the PDFs embed for it (read back, not assumed)."""
    out: dict[str, str] = {}
    for family, match in matches.items():
        keys = {_font_key(n) for n in match.families}
        used = sorted(e for e in embedded if any(_font_key(e).startswith(k) for k in keys if k))
        # Several weights of one family may be embedded: name the one fontconfig chose.
        used.sort(key=lambda e: _font_key(match.style) not in _font_key(e))
        if used:
            out[family] = used[0] if match.kind.value != "real" else family
    return out


#: The face most of the text is set in: its stand-in must have a glyph for every character.
BODY_FONT = "方正仿宋_GBK"


def _texts(app: Application) -> Iterator[tuple[str, Location]]:
    for v in app.values.values():
        entries = v.items if isinstance(v, ListValue) else (v,)
        for entry in entries:
            values = entry.fields.values() if isinstance(entry, Item) else (entry,)
            for value in values:
                if isinstance(value, Value) and isinstance(value.value, str):
                    yield value.value, value.loc
    for prose in app.prose.values():
        for block in prose.blocks:
            for text in block_texts(block):
                yield text, block.loc


def missing_glyphs(app: Application, match: FontMatch) -> list[Diagnostic]:
    """A warning for each Chinese character the body font's stand-in cannot draw."""
    if match.kind.value == "real":
        return []
    covered = font_characters(match.file)
    first_seen: dict[str, Location] = {}
    for text, loc in _texts(app):
        for ch in text:
            if ch not in first_seen and ord(ch) not in covered and is_east_asian(ch) and not ch.isspace():
                first_seen[ch] = loc
    return [
        Diagnostic(
            loc,
            Severity.WARNING,
            "missing-glyph",
            _("“{char}”不在替代字体 {font} 中，PDF 里这个字会借用其他字体、字形可能不一致；把已授权的 {family} 放入字体目录可避免").format(
                char=ch, font=match.family, family=BODY_FONT
            ),
            BODY_FONT,
        )
        for ch, loc in first_seen.items()
    ]
