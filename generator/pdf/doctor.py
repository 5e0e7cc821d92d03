"""What the PDF step will find on this machine: LibreOffice, the fonts and what stands in for them."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator.errors import ToolError
from generator.i18n import _
from generator.pdf.convert import INSTALL_HINT, find_soffice, libreoffice_version
from generator.pdf.fontcheck import BODY_FONT
from generator.pdf.fonts import (
    FontKind,
    FontMatch,
    font_characters,
    font_files,
    match_fallback,
    match_font,
    write_fonts_conf,
)

# FandolFang (the only free Simplified 仿宋) ships in texlive-lang-chinese; ci/system-packages.sh
# in the source tree installs just its fonts instead.
FONTS_HINT = (
    "sudo apt-get install --no-install-recommends "
    "texlive-lang-chinese fonts-noto-cjk fonts-arphic-ukai fonts-liberation2 fonts-dejavu-core"
)

#: Characters applications use that a GB2312 仿宋 lacks (people's names, the unit ㎡): doctor
#: tells which face draws them.
RARE_CHARACTERS = "镕堃喆昇㎡"


@dataclass(frozen=True)
class LibreOfficeStatus:
    """Whether LibreOffice was found, where, and its version (or why it cannot be used)."""

    path: Path | None
    version: str = ""
    problem: str = ""

    @property
    def ok(self) -> bool:
        """LibreOffice can convert."""
        return self.path is not None and not self.problem


@dataclass(frozen=True)
class FontsDirStatus:
    """The user's fonts folder: whether it exists and the font files it holds."""

    path: Path | None
    exists: bool
    files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class UnoStatus:
    """The Python with LibreOffice's uno module that a kept-running LibreOffice needs (preview,
    and a build's own LibreOffice): without it both convert with a LibreOffice started each time."""

    python: Path | None
    ok: bool


@dataclass(frozen=True)
class DoctorReport:
    """Everything `doctor` found; `problems` says what to fix and how."""

    libreoffice: LibreOfficeStatus
    fonts: tuple[FontMatch, ...]
    fonts_dir: FontsDirStatus
    fontconfig_problem: str = ""
    #: The face that draws the body font's missing characters (镕 堃 喆 昇 ㎡ are not in
    #: FandolFang), and which of them were missing; None when the body font lacks none.
    fallback: FontMatch | None = None
    fallback_chars: str = ""
    uno: UnoStatus | None = None  # not a problem when missing: only slower

    @property
    def substitutions(self) -> tuple[FontMatch, ...]:
        """Fonts that are not installed and print in another face."""
        return tuple(f for f in self.fonts if f.kind is not FontKind.REAL)

    @property
    def problems(self) -> list[str]:
        """Each thing that stops a faithful PDF, with the fix, in Chinese."""
        found: list[str] = []
        if not self.libreoffice.ok:
            found.append(self.libreoffice.problem)
        if self.fontconfig_problem:
            found.append(self.fontconfig_problem)
        for font in self.fonts:
            if font.kind is FontKind.FALLBACK:
                found.append(
                    _(
                        "字体「{name}」既未安装，也没有同风格的替代字体，PDF 将使用 {family}；"
                        "请安装替代字体：{hint}，或把正版字体放入字体文件夹"
                    ).format(name=font.requested, family=font.family, hint=FONTS_HINT)
                )
        if self.fallback is not None and self.fallback.kind is FontKind.FALLBACK:
            found.append(
                _(
                    "替代字体缺少的字（{chars}）将用 {family} 印出，与仿宋风格不符；"
                    "请安装同风格的补字字体：{hint}"
                ).format(chars=self.fallback_chars, family=self.fallback.family, hint=FONTS_HINT)
            )
        if self.fonts_dir.path is not None and not self.fonts_dir.exists:
            found.append(_("字体文件夹不存在：{path}").format(path=self.fonts_dir.path))
        return found

    @property
    def ok(self) -> bool:
        """Nothing stops a faithful PDF (stand-in fonts are fine, they are reported)."""
        return not self.problems


def diagnose(
    families: tuple[str, ...] | list[str] | None = None,
    *,
    fonts_dir: Path | None = None,
    soffice: Path | None = None,
) -> DoctorReport:
    """Check LibreOffice, the fonts folder, and what each family (default: every font the
    templates name) resolves to under our map."""
    if families is None:
        from generator.word.documents import template_font_families

        families = template_font_families()
    fonts_status = _fonts_dir_status(fonts_dir)
    usable_dir = fonts_dir if fonts_status.exists else None
    fonts: tuple[FontMatch, ...] = ()
    fallback: FontMatch | None = None
    lacking = ""
    problem = ""
    with tempfile.TemporaryDirectory(prefix="chanjiao-doctor-") as tmp:
        conf_path = write_fonts_conf(Path(tmp), usable_dir)
        try:
            fonts = tuple(match_font(name, conf_path) for name in families)
            body = next((f for f in fonts if f.requested == BODY_FONT), None)
            if body is not None and body.kind is not FontKind.REAL:
                covered = font_characters(body.file)
                lacking = "".join(ch for ch in RARE_CHARACTERS if ord(ch) not in covered)
                if lacking:
                    fallback = match_fallback(BODY_FONT, lacking, conf_path)
        except ToolError as exc:
            problem = str(exc)
    return DoctorReport(
        libreoffice=_libreoffice_status(soffice),
        fonts=fonts,
        fonts_dir=fonts_status,
        fontconfig_problem=problem,
        fallback=fallback,
        fallback_chars=lacking,
        uno=_uno_status(),
    )


def _uno_status() -> UnoStatus:
    import subprocess

    from generator.pdf.warm import find_uno_python

    python = find_uno_python()
    if python is None:
        return UnoStatus(None, False)
    try:
        done = subprocess.run([str(python), "-I", "-c", "import uno"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return UnoStatus(python, False)
    return UnoStatus(python, done.returncode == 0)


def _libreoffice_status(soffice: Path | None) -> LibreOfficeStatus:
    path = soffice or find_soffice()
    if path is None:
        return LibreOfficeStatus(
            None, problem=_("未找到 LibreOffice，请安装：{hint}").format(hint=INSTALL_HINT)
        )
    try:
        return LibreOfficeStatus(path, version=libreoffice_version(path))
    except ToolError as exc:
        return LibreOfficeStatus(path, problem=str(exc))


def _fonts_dir_status(fonts_dir: Path | None) -> FontsDirStatus:
    if fonts_dir is None:
        return FontsDirStatus(None, exists=False)
    if not fonts_dir.is_dir():
        return FontsDirStatus(fonts_dir, exists=False)
    return FontsDirStatus(fonts_dir, exists=True, files=tuple(font_files(fonts_dir)))
