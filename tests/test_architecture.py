"""The shape of the code, as ARCHITECTURE.md states it: layers, no import cycles, short functions."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
from conftest import REPO

PACKAGE = REPO / "generator"
MAX_FUNCTION_LINES = 60

#: Functions still longer than the limit: none (keep it so).
KNOWN_LONG: set[str] = set()
#: Import cycles still to be broken: none (keep it so).
KNOWN_CYCLES: set[frozenset[str]] = set()


def test_layers_contract_holds():
    """`lint-imports` (import-linter, configured in pyproject.toml) finds no import against the layers."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def _imports(graph: grimp.ImportGraph, module: str):
    # The package root only carries __version__; a module importing it is not a cycle of stages.
    return iter(sorted(graph.find_modules_directly_imported_by(module) - {"generator"}))


def _cycles(graph: grimp.ImportGraph) -> list[frozenset[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(graph.modules - {"generator"}):
        if root in index:
            continue
        work = [(root, _imports(graph, root))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, _imports(graph, child)))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(frozenset(group))
    return found


def test_no_import_cycles():
    assert set(_cycles(grimp.build_graph("generator"))) == KNOWN_CYCLES


def _long_functions() -> set[str]:
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                    found.add(f"{path.relative_to(REPO).as_posix()}:{node.name}")
    return found


def test_functions_are_short():
    """No function in generator/ is longer than 60 lines (decorators excluded, docstring included)."""
    assert _long_functions() == KNOWN_LONG


def test_the_tree_shows_the_pipeline():
    """Stage packages, and only the orchestrators and the shared core at the top."""
    stages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert {"core", "form", "content", "check", "word", "pdf", "diff"} <= stages
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top <= {"__init__", "__main__", "cli", "pipeline", "model", "errors", "i18n", "summary", "scaffold", "outcome"}


def test_architecture_md_names_what_exists():
    """ARCHITECTURE.md stays true: every `generator/…` path it names exists, and it names every
    subpackage of generator/ (a new stage cannot go undocumented)."""
    import re

    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(generator/[\w/<>.-]*)`", text))
    missing = [p for p in sorted(named) if "<" not in p and not (REPO / p).exists()]
    assert not missing, f"ARCHITECTURE.md names paths that do not exist: {missing}"
    subpackages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    unnamed = sorted(s for s in subpackages if f"generator/{s}/" not in named)
    assert not unnamed, f"ARCHITECTURE.md does not name these subpackages: {unnamed}"
