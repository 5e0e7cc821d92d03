"""nox sessions: tests and lint in fresh virtual environments (`make test` is the quick path)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The test suite; PDF tests need LibreOffice and the fonts (ci/system-packages.sh)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def goldens(session: nox.Session) -> None:
    """Rewrite tests/golden/ from the current code (`pytest --update-goldens`); review `git diff`."""
    session.install("-e", ".[dev]")
    session.run("pytest", "tests/test_golden.py", "--update-goldens", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff on everything, mypy on the package."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", "generator", "tests", "benchmarks", "noxfile.py")
    session.run("mypy")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """The benchmarks, printing figures and ratios."""
    session.install("-e", ".[dev]")
    for script in sorted(__import__("pathlib").Path("benchmarks").glob("bench_*.py")):
        session.run("python", str(script))
