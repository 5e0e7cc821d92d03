"""The fontconfig map for LibreOffice: writing fonts.conf and asking fc-match what a name becomes."""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from string import Template
from xml.sax.saxutils import escape

from generator.errors import ToolError
from generator.i18n import _

FONTS_CONF_TEMPLATE = Path(__file__).parent / "fontconfig" / "fonts.conf"
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
_FC_MATCH_TIMEOUT = 60  # the first scan of a large fonts folder takes a while


class FontKind(StrEnum):
    """What a requested family resolved to."""

    REAL = "real"  # the named font itself is installed
    STAND_IN = "stand-in"  # missing; our map supplies a free face of the same style
    FALLBACK = "fallback"  # missing and no stand-in found: fontconfig's default, wrong style


@dataclass(frozen=True)
class FontMatch:
    """The font fontconfig picks for one requested family under our fonts.conf."""

    requested: str
    families: tuple[str, ...]  # every family name of the matched font, first is the main one
    style: str
    file: Path
    kind: FontKind

    @property
    def family(self) -> str:
        """The matched font's main family name."""
        return self.families[0] if self.families else ""


def write_fonts_conf(dest_dir: Path, fonts_dir: Path | None = None) -> Path:
    """Write fonts.conf into dest_dir, with the user's fonts folder first when given."""
    user_fonts = ""
    if fonts_dir is not None:
        # fontconfig scans subfolders after every configured folder: name them all, so fonts
        # anywhere in the user's folder come before the system's copies.
        root = fonts_dir.resolve()
        folders = [root, *sorted(p for p in root.rglob("*") if p.is_dir())]
        user_fonts = "\n".join(f"  <dir>{escape(str(folder))}</dir>" for folder in folders)
    text = Template(FONTS_CONF_TEMPLATE.read_text(encoding="utf-8")).substitute(
        user_fonts=user_fonts
    )
    conf_path = dest_dir.resolve() / "fonts.conf"
    conf_path.write_text(text, encoding="utf-8")
    return conf_path


def fontconfig_env(conf_path: Path) -> dict[str, str]:
    """The environment for a program that should see our font map (an absolute path is needed:
    LibreOffice changes directory before fontconfig reads it)."""
    return {**os.environ, "FONTCONFIG_FILE": str(conf_path.resolve())}


def stand_ins(conf_path: Path) -> dict[str, tuple[str, ...]]:
    """The map's <alias> entries: requested family → accepted stand-in families, in order."""
    table: dict[str, tuple[str, ...]] = {}
    for alias in ET.parse(conf_path).getroot().iter("alias"):
        name = (alias.findtext("family") or "").strip()
        accepted = tuple((f.text or "").strip() for f in alias.findall("accept/family") if f.text)
        if name and accepted:
            table[name] = table.get(name, ()) + accepted
    return table


def match_font(requested: str, conf_path: Path) -> FontMatch:
    """Ask fc-match which font the requested family resolves to under conf_path."""
    return _match(requested, _fc_escape(requested), conf_path)


#: The language LibreOffice adds to the pattern of a zh-CN run (the documents' default): it
#: changes the answer, since fontconfig ranks a font's language above a family it was not asked for.
FALLBACK_LANG = "zh-cn"


def match_fallback(requested: str, chars: str, conf_path: Path) -> FontMatch:
    """The font that draws `chars` in a zh-CN run set in `requested` when the font chosen for
    `requested` lacks them: LibreOffice asks fontconfig for the family with the missing
    characters as the pattern's charset, which is what this asks fc-match.

    `kind` says whether the answer is one of the map's stand-ins for `requested` (a face chosen
    for its style) or fontconfig's default (a sans face, most likely).
    """
    charset = " ".join(f"{ord(ch):x}" for ch in dict.fromkeys(chars))
    return _match(requested, f"{_fc_escape(requested)}:lang={FALLBACK_LANG}:charset={charset}", conf_path)


def _match(requested: str, pattern: str, conf_path: Path) -> FontMatch:
    """fc-match's answer for `pattern`, classified against the map's stand-ins for `requested`."""
    file, style, families = _fc_match(pattern, conf_path)
    return FontMatch(requested=requested, families=families, style=style, file=file, kind=_kind(requested, families, stand_ins(conf_path)))


def _fc_escape(family: str) -> str:
    """A family name as a fontconfig pattern element (`-`, `:` and `,` separate elements)."""
    return "".join("\\" + ch if ch in "\\-:,=" else ch for ch in family)


def _fc_match(pattern: str, conf_path: Path) -> tuple[Path, str, tuple[str, ...]]:
    """fc-match's answer for `pattern` under conf_path: (file, style, family names)."""
    fmt = "%{file}\\n%{style[0]}\\n%{[]family{%{family}\\n}}"
    try:
        done = subprocess.run(
            ["fc-match", "-f", fmt, pattern],
            env=fontconfig_env(conf_path),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=_FC_MATCH_TIMEOUT,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ToolError(
            _("未找到 fc-match（fontconfig），请安装：sudo apt-get install fontconfig")
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise ToolError(_("fc-match 超时（{n} 秒）").format(n=_FC_MATCH_TIMEOUT)) from exc
    lines = done.stdout.splitlines()
    if done.returncode != 0 or len(lines) < 3:
        raise ToolError(
            _("fc-match 无法解析字体「{name}」：{err}").format(
                name=pattern, err=done.stderr.strip() or done.returncode
            )
        )
    return Path(lines[0]), lines[1], tuple(line for line in lines[2:] if line)


def _kind(requested: str, families: tuple[str, ...], table: dict[str, tuple[str, ...]]) -> FontKind:
    names = {f.casefold() for f in families}
    if requested.casefold() in names:
        return FontKind.REAL
    accepted = next((v for k, v in table.items() if k.casefold() == requested.casefold()), ())
    if any(a.casefold() in names for a in accepted):
        return FontKind.STAND_IN
    return FontKind.FALLBACK


def font_characters(font_file: Path) -> frozenset[int]:
    """The code points a font file has glyphs for (the first face of a collection)."""
    from fontTools.ttLib import TTFont  # only when a PDF was made

    try:
        with TTFont(str(font_file), lazy=True, fontNumber=0) as font:
            return frozenset(font.getBestCmap() or ())
    except Exception as exc:  # fontTools raises many types for a damaged file
        raise ToolError(_("无法读取字体文件 {path}：{reason}").format(path=font_file, reason=exc)) from exc


def font_files(fonts_dir: Path) -> list[Path]:
    """Font files in a fonts folder, searched recursively as fontconfig does."""
    return sorted(
        p for p in fonts_dir.rglob("*") if p.is_file() and p.suffix.lower() in FONT_SUFFIXES
    )
