"""What a build produced, as the reports read it: each document's files, pages, fonts and read-back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.check.validate import Report

if TYPE_CHECKING:
    from generator.pdf.layout import Inspection
    from generator.word.documents import Document


@dataclass
class DocumentResult:
    """What the build knows of one document: its files, pages and fonts."""

    doc: Document
    docx: Path
    pdf: Path | None = None
    pages: int | None = None
    part_pages: list[tuple[str, int]] = field(default_factory=list)
    fonts: list[str] = field(default_factory=list)
    rebuilt: bool = False
    numbered_from: int = 0  # the PDF page printed "— 1 —"
    inspection: Inspection | None = None  # the PDF read back against the .docx, and its layout
    #: the gaps the .docx prints (`【待填写：…】`, highlighted), read back from it, in page order
    gaps: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Reused:
    """A build with nothing changed: the previous build's outputs stand, and its report is replayed
    (written then as this build would write it: every document 无变化)."""

    text: str
    json: str
    exit_code: int
    files: list[str]


@dataclass
class BuildResult:
    """The outcome of one build: the report (content, pages, fonts) and the files."""

    report: Report
    documents: list[DocumentResult] = field(default_factory=list)
    package: Path | None = None
    report_files: list[Path] = field(default_factory=list)
    pdf_skipped_reason: str = ""
    package_skipped_reason: str = ""
    substitutions: dict[str, str] = field(default_factory=dict)
    rendered: bool = False
    #: documents not rendered, by title, with the reason (a file they print cannot be read)
    unrendered: dict[str, str] = field(default_factory=dict)
    #: the printed page of each tagged place, by buildcache.evidence_key: (document title, page);
    #: empty when no PDF was made (the 自评表 then prints “—”)
    evidence_pages: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when the package is within every limit and rule, 1 otherwise."""
        return self.report.exit_code

    @property
    def gaps(self) -> list[tuple[str, str]]:
        """Every gap printed, as (document title, placeholder text)."""
        return [(r.doc.title, g) for r in self.documents for g in r.gaps]
