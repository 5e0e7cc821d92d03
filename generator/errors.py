"""The error taxonomy and the diagnostic type: every problem says where it is."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from enum import StrEnum

EXIT_OK = 0
EXIT_CONTENT = 1  # the content violates a limit or rule
EXIT_USAGE = 2  # click's own code for a usage error
EXIT_TOOL = 3  # the tool could not run
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it (128 + SIGINT)
EXIT_SIGNAL_BASE = 128  # a terminating signal N exits 128 + N, as shells report it


class Severity(StrEnum):
    """How bad a diagnostic is: errors fail the check, warnings only with --strict."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Location:
    """A place in a content file: path relative to the content root, 1-based line and column."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.column or 1}"
        return self.path


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the content: where, how bad, which field, and the message."""

    location: Location
    severity: Severity
    code: str
    message: str
    field: str = ""
    extra: dict[str, object] = dc_field(default_factory=dict, compare=False, hash=False)

    def render(self) -> str:
        """`path:line:col: message`, the text of a ContentError. The line printed on the terminal
        (with 错误/警告) is check.report.diagnostic_line, the one place that makes it."""
        return f"{self.location}: {self.message}"


class ChanjiaoError(Exception):
    """Base of every error the tool raises on purpose; the CLI maps it to an exit code."""

    exit_code = EXIT_TOOL


class ContentError(ChanjiaoError):
    """Raised when content cannot be loaded at all; carries every diagnostic found."""

    exit_code = EXIT_CONTENT

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.render() for d in diagnostics))


class ToolError(ChanjiaoError):
    """Raised when the tool itself cannot run (missing program, unwritable output, timeout)."""

    exit_code = EXIT_TOOL
