"""The fonts of the PDFs, read back: which face stood in for each font the templates name, and
which characters of the content the body font's stand-in cannot draw."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from generator.core.atomic import write_atomic
from generator.errors import Diagnostic, Location, Severity
from generator.form.declaration import load_form
from generator.i18n import _
from generator.model import Application, Item, ListValue, Value, block_texts
from generator.pdf.fonts import FontMatch, font_characters
from generator.pdf.warmclient import fonts_state


def _font_key(name: str) -> str:
    """A font name reduced so a family and its PDF BaseFont compare: Noto CJK collections name
    every face `…CJKjp…` in the PDF whichever language was used."""
    key = re.sub(r"[\s_-]", "", name.lower())
    return re.sub(r"cjk(jp|sc|tc|kr|hk)", "cjk", key)


# -- asked ahead: a build asks while LibreOffice converts (prefetch), then once more after -----

#: what prefetch() computed, by kind: (the arguments' key, the answer). Taken by the next call
#: with the same arguments and the same fonts folder, once: any other call asks fontconfig anew.
_ahead: dict[str, tuple[tuple[object, ...], object]] = {}


def prefetch(app: Application, families: tuple[str, ...], fonts_dir: Path | None) -> None:
    """Compute now what the font check will ask after the conversion (fontconfig's picks and the
    characters the body font lacks: none of it reads a PDF), for the next font_matches and
    missing_glyphs calls with the same arguments."""
    _ahead.clear()
    matches = font_matches(families, fonts_dir)
    _ahead["matches"] = (_matches_key(families, fonts_dir), matches)
    if BODY_FONT in matches:
        glyphs = missing_glyphs(app, matches[BODY_FONT], fonts_dir)
        _ahead["glyphs"] = (_glyphs_key(app, matches[BODY_FONT], fonts_dir), (app, glyphs))


def _taken(kind: str, key: tuple[object, ...]) -> object | None:
    entry = _ahead.pop(kind, None)
    return entry[1] if entry is not None and entry[0] == key else None


def _matches_key(families: tuple[str, ...], fonts_dir: Path | None) -> tuple[object, ...]:
    # the folder's files (name, size, time): a font added since the question was asked is seen
    return (tuple(families), fonts_dir, fonts_state(fonts_dir))


def _glyphs_key(app: Application, match: FontMatch, fonts_dir: Path | None) -> tuple[object, ...]:
    # the same content object (by identity: the entry holds it, so its id is not reused)
    return (id(app), match, *_matches_key((), fonts_dir))


def font_matches(families: tuple[str, ...], fonts_dir: Path | None) -> dict[str, FontMatch]:
    """What fontconfig, under our map, picks for each of `families`."""
    ahead = _taken("matches", _matches_key(families, fonts_dir)) if _ahead else None
    if ahead is not None:
        return ahead  # type: ignore[return-value]
    from generator.pdf.fonts import match_font, write_fonts_conf

    with tempfile.TemporaryDirectory(prefix="chanjiao-fc-") as tmp:
        conf_path = write_fonts_conf(Path(tmp), fonts_dir)
        return dict(zip(families, _side_by_side(lambda family: match_font(family, conf_path), families), strict=True))


#: fc-match calls run at once: each is a process of its own, mostly start-up and waiting
_FC_PARALLEL = 8


def _side_by_side(ask: Callable[[str], FontMatch], items: Sequence[str]) -> list[FontMatch]:
    """ask(item) for every item, in order, from up to _FC_PARALLEL threads (one fc-match each)."""
    if len(items) < 2:
        return [ask(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(_FC_PARALLEL, len(items)), thread_name_prefix="chanjiao-fc") as pool:
        return list(pool.map(ask, items))


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
#: Named once, in the form declaration (`body_font`).
BODY_FONT = load_form().body_font


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


#: Characters looked up one by one; beyond these (a text in traditional characters, say) the rest
#: are looked up together, at about 13 ms per fc-match call.
_LOOKUPS = 64


def _drawn_by_stand_in(ch: str) -> bool:
    """Whether `ch` is printed in the CJK font of its run (not Times New Roman, not invisible)."""
    from generator.word.blocks import is_latin

    return not (ch.isspace() or is_latin(ch) or unicodedata.category(ch) in ("Cf", "Cc"))


def missing_glyphs(app: Application, match: FontMatch, fonts_dir: Path | None = None) -> list[Diagnostic]:
    """A warning for each character the body font's stand-in cannot draw, naming the face that
    draws it instead (asked of fontconfig the way LibreOffice asks it)."""
    ahead = _taken("glyphs", _glyphs_key(app, match, fonts_dir)) if _ahead else None
    if isinstance(ahead, tuple) and ahead[0] is app:
        return ahead[1]
    if match.kind.value == "real":
        return []
    covered = _characters(match.file)
    first_seen: dict[str, Location] = {}
    for text, loc in _texts(app):
        for ch in text:
            if ch not in first_seen and ord(ch) not in covered and _drawn_by_stand_in(ch):
                first_seen[ch] = loc
    if not first_seen:
        return []
    faces = _fallback_faces(match.requested, list(first_seen), fonts_dir)
    return [
        Diagnostic(
            loc,
            Severity.WARNING,
            "missing-glyph",
            _("“{char}”不在替代字体 {font} 中，PDF 里这个字由 {fallback} 印出，字形可能与仿宋不一致；把已授权的 {family} 放入字体目录可避免").format(
                char=ch, font=match.family, fallback=faces[ch], family=match.requested
            ),
            match.requested,
        )
        for ch, loc in first_seen.items()
    ]


def _characters(font_file: Path) -> frozenset[int]:
    """font_characters, kept in the user cache (core/usercache.py) by the file's identity (path,
    size, time, inode) and fontTools' version: decoding a CJK face's cmap, some 30,000 entries,
    took 0.3 CPU-s of every build. The cache holds plain numbers: a damaged entry is read anew."""
    import fontTools

    from generator.core.usercache import cache_dir

    folder = cache_dir("font-characters")
    try:
        info = font_file.stat()
    except OSError:
        folder = None  # font_characters says what is wrong with it
    if folder is None:
        return font_characters(font_file)
    key = f"{font_file.resolve()}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}\0{fontTools.version}"
    path = folder / f"{hashlib.sha256(key.encode('utf-8', 'surrogateescape')).hexdigest()}.json"
    try:
        ranges = json.loads(path.read_bytes())
        return frozenset(code for first, last in ranges for code in range(int(first), int(last) + 1))
    except (OSError, ValueError, TypeError):
        pass
    covered = font_characters(font_file)
    with contextlib.suppress(OSError):
        write_atomic(path, json.dumps(_ranges(covered)).encode("ascii"))
    return covered


def _ranges(codes: frozenset[int]) -> list[list[int]]:
    """Sorted code points as [first, last] runs (a CJK face's cmap is a few thousand runs)."""
    out: list[list[int]] = []
    for code in sorted(codes):
        if out and out[-1][1] == code - 1:
            out[-1][1] = code
        else:
            out.append([code, code])
    return out


def _fallback_faces(requested: str, chars: list[str], fonts_dir: Path | None) -> dict[str, str]:
    """Each character → the family fontconfig draws it in when `requested`'s stand-in lacks it."""
    from generator.pdf.fonts import match_fallback, write_fonts_conf

    with tempfile.TemporaryDirectory(prefix="chanjiao-fc-") as tmp:
        conf_path = write_fonts_conf(Path(tmp), fonts_dir)
        first = chars[:_LOOKUPS]
        found = _side_by_side(lambda ch: match_fallback(requested, ch, conf_path), first)
        faces = {ch: match.family for ch, match in zip(first, found, strict=True)}
        rest = chars[_LOOKUPS:]
        if rest:
            family = match_fallback(requested, "".join(rest), conf_path).family
            faces.update(dict.fromkeys(rest, family))
    return faces
