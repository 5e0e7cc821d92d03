"""Shared fixtures and names: the example application, throwaway copies of it to break, the CLI as a
user runs it, and the `--update-goldens` option.

Test modules import the names from here (`from conftest import EXAMPLE, run_chanjiao`): pytest
imports this file as the module `conftest`, so the import gets the same module, not a second copy.
The OOXML namespaces live in `tests/ooxml.py`.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "content"
#: The installed console script, run the way a user runs it.
CHANJIAO = Path(sys.executable).parent / "chanjiao"
#: The `content_copy` fixture's type: edits by relative path → the copy's root.
ContentCopy = Callable[..., Path]

# What a user's shell may set that would change the CLI's language or dates under test.
_USER_ENV_DROPPED = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "SOURCE_DATE_EPOCH")


def user_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without locale and date settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in _USER_ENV_DROPPED}
    env.update(extra or {})
    return env


def run_chanjiao(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`chanjiao ARGS` as a subprocess: its exit code and the lines it printed (stdout, stderr)."""
    return subprocess.run(
        [str(CHANJIAO), *args], capture_output=True, text=True, env=user_env(env), cwd=cwd, timeout=timeout,
        preexec_fn=preexec_fn,
    )


def squash(text: str) -> str:
    """`text` without any whitespace: PDF text extraction breaks lines where the layout does."""
    return "".join(text.split())


# Hypothesis profiles: how many cases a property test runs. `HYPOTHESIS_PROFILE` picks one; under
# CI=true the default is `ci`. Applied test by test (`@FUZZ`) rather than loaded globally, so a
# module's cheap properties keep their own counts.
for _name, _examples in (("dev", 25), ("ci", 170), ("long", 2500)):
    settings.register_profile(
        _name,
        max_examples=_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
FUZZ = settings.get_profile(PROFILE)


def diagnostic_lines(output: str, tag: str | None = None) -> list[str]:
    """The diagnostic lines of what `check` or `build` printed (or wrote to 检查报告.txt), in order:
    `path:line:col: 错误: message`; only those tagged `tag` (错误, 警告) when given."""
    tags = (tag,) if tag else ("错误", "警告")
    return [line for line in output.splitlines() if any(f": {t}: " in line for t in tags)]


def check_output(root: Path, *args: str) -> tuple[int, str]:
    """`chanjiao check ROOT ARGS` run in-process (click's runner: no interpreter start-up): its exit
    code and what it printed, stdout then stderr. Read the diagnostics with `diagnostic_lines`."""
    from click.testing import CliRunner

    from generator.cli import main

    # The command installs its SIGTERM/SIGHUP handlers; pytest keeps its own.
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        result = CliRunner().invoke(main, ["check", str(root), *args])
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    return result.exit_code, result.stdout + result.stderr


def line_of(path: Path, needle: str) -> int:
    """The 1-based number of the first line of `path` containing `needle`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, 1) if needle in text)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder`, hidden ones included, with the hash of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def process_gone(pid: int, wait: float = 10.0) -> bool:
    """True once pid has exited within `wait` seconds (a zombie waiting for init to reap it counts as gone)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


GOLDEN = Path(__file__).resolve().parent / "golden"


#: The test session's own user cache (core/usercache.py), unless one is named: tests that make
#: LibreOffice fail must not drop the developer's kept profile, and nothing in ~/.cache/chanjiao
#: may make a test pass that would fail on a fresh machine (CI's). Made in pytest_configure.
_SESSION_CACHE: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    import tempfile

    if "CHANJIAO_CACHE_DIR" not in os.environ:
        _SESSION_CACHE.append(tempfile.mkdtemp(prefix="chanjiao-test-cache-"))
        os.environ["CHANJIAO_CACHE_DIR"] = _SESSION_CACHE[0]


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _SESSION_CACHE:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop("CHANJIAO_CACHE_DIR", None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", default=False,
        help="rewrite tests/golden/ from the current code instead of comparing with it",
    )


def golden_difference(path: Path, text: str, update: bool = False) -> str | None:
    """None when `text` equals the golden file at `path`, else the failure a contributor reads: the
    file, a unified diff, and the flag that rewrites it. With `update`, writes `text` there."""
    name = path.relative_to(GOLDEN.parent.parent).as_posix() if path.is_relative_to(GOLDEN.parent.parent) else str(path)
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        return None
    if not path.exists():
        return f"no golden file {name}: run pytest --update-goldens and review it"
    expected = path.read_text(encoding="utf-8")
    if text == expected:
        return None
    diff = difflib.unified_diff(expected.splitlines(keepends=True), text.splitlines(keepends=True), f"{name} (expected)", f"{name} (now)", n=2)
    return f"{name} differs; if the change is intended, run pytest --update-goldens and review the diff:\n{''.join(diff)}"


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """`golden(name, text)`: `text` must equal the file tests/golden/NAME; a difference fails with a
    unified diff. `pytest --update-goldens` writes the file instead: review it in `git diff`."""
    update = bool(request.config.getoption("--update-goldens"))

    def check(name: str, text: str) -> None:
        problem = golden_difference(GOLDEN / name, text, update)
        if problem:
            pytest.fail(problem, pytrace=False)

    return check


@pytest.fixture
def example_root() -> Path:
    """The example application shipped in the repo (read-only: copy it before editing)."""
    return EXAMPLE


@pytest.fixture
def content_copy(tmp_path: Path) -> Callable[..., Path]:
    """A function that copies the example into a temp dir and applies edits to its files.

    `content_copy({"基本信息.yaml": lambda text: text.replace(a, b)})` returns the copy's root;
    a string value replaces the file's text, None deletes the file.
    """

    def make(edits: dict[str, object] | None = None) -> Path:
        root = tmp_path / "content"
        if not root.exists():
            shutil.copytree(EXAMPLE, root)
        for rel, edit in (edits or {}).items():
            path = root / rel
            if edit is None:
                path.unlink()
            elif callable(edit):
                path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(str(edit), encoding="utf-8")
        return root

    return make


@pytest.fixture(autouse=True)
def _chinese_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests read Chinese messages unless they ask for another language."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    from generator.i18n import set_language

    set_language("zh")
    os.environ.pop("SOURCE_DATE_EPOCH", None)


@pytest.fixture(scope="session")
def libreoffice() -> Path:
    """The real LibreOffice: a failure under CI=true (CI installs it), a skip elsewhere."""
    from generator.pdf.convert import find_soffice

    found = find_soffice()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice is required in CI: run ci/system-packages.sh")
        pytest.skip("LibreOffice not installed")
    return found


@pytest.fixture(scope="session")
def example_build(tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> tuple[Path, object]:
    """The example built once with PDFs: (output folder, BuildResult)."""
    from generator.pipeline import build

    out = tmp_path_factory.mktemp("build")
    result = build(EXAMPLE, out, pdf=True)
    return out, result


def has_uno() -> bool:
    """Whether the Python the warm converter runs its bridge with can import LibreOffice's uno."""
    from generator.pdf.warm import find_uno_python

    python = find_uno_python()
    return python is not None and subprocess.run([str(python), "-c", "import uno"], capture_output=True).returncode == 0


@pytest.fixture
def uno_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, libreoffice: Path) -> Path:
    """python3-uno (a failure under CI=true, a skip elsewhere), and a runtime folder of the test's
    own: its warm converters are not found by other builds on this machine, nor theirs by it."""
    if not has_uno():
        if os.environ.get("CI") == "true":
            pytest.fail("python3-uno is required in CI: run ci/system-packages.sh")
        pytest.skip("python3-uno not installed")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    return runtime


def png(width: int, height: int) -> bytes:
    """A real PNG file of the given size (RGB, one colour)."""
    import struct
    import zlib

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    raw = b"".join(b"\x00" + b"\x20\x60\xa0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
