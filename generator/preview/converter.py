"""The converter preview uses: the warm one (generator.pdf.warm) when it starts, else cold.

`generator.pdf.warm.WarmConverter` keeps one LibreOffice running between conversions; when it
cannot start (no Python with LibreOffice's uno module), each conversion starts its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from generator.errors import ChanjiaoError
from generator.pdf.convert import convert_to_pdf
from generator.pdf.warm import FirstPages, WarmConverter


class Converter(Protocol):
    """What preview needs of a converter: the interface of generator.pdf.warm.WarmConverter."""

    fell_back: bool

    def start(self) -> None: ...

    def convert(self, docx_paths: list[Path], out_dir: Path, first: Mapping[Path, FirstPages] | None = None) -> list[Path]: ...

    def close(self) -> None: ...


class ColdConverter:
    """A fresh LibreOffice for every conversion (convert_to_pdf): slower, nothing to keep alive."""

    warm = False
    fell_back = False
    #: why the warm converter could not be used, when it was asked for
    why_cold: str | None = None

    def __init__(self, *, fonts_dir: Path | None = None, soffice: Path | None = None, timeout: float = 60) -> None:
        self.fonts_dir, self.soffice, self.timeout = fonts_dir, soffice, timeout

    def start(self) -> None:
        """Nothing to start: each conversion starts its own LibreOffice."""

    def convert(self, docx_paths: list[Path], out_dir: Path, first: Mapping[Path, FirstPages] | None = None) -> list[Path]:
        """The documents as out_dir/<stem>.pdf, in order (`first` is a warm converter's: a cold
        LibreOffice gives nothing before the whole)."""
        # One process: a preview rebuild converts one or two documents, and a second start-up
        # would compete with the render of the next save for the same cores.
        return convert_to_pdf(docx_paths, out_dir, fonts_dir=self.fonts_dir, timeout=self.timeout, soffice=self.soffice, processes=1)

    def close(self) -> None:
        """Nothing to stop: no LibreOffice outlives a conversion."""


def open_converter(*, fonts_dir: Path | None, soffice: Path | None, timeout: float, warm: bool = True) -> Converter:
    """A started converter: warm when asked for and it starts, else cold (`why_cold` says why)."""
    why_cold = None
    if warm:
        converter = WarmConverter(fonts_dir=fonts_dir, soffice=soffice, timeout=timeout)
        try:
            converter.start()
            return converter
        except ChanjiaoError as exc:  # e.g. no Python with LibreOffice's uno module: cold still works
            converter.close()
            why_cold = str(exc)
    cold = ColdConverter(fonts_dir=fonts_dir, soffice=soffice, timeout=timeout)
    cold.why_cold = why_cold
    return cold


def is_warm(converter: Converter) -> bool:
    """True for a converter that keeps LibreOffice running (and has not fallen back to cold)."""
    return getattr(converter, "warm", True) and not converter.fell_back
