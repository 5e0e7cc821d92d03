"""The English catalog: complete, faithful to each message's placeholders, compilable, current.

Messages are written in Chinese in the source; `generator/locale/en/LC_MESSAGES/messages.po`
carries the English. When a test here fails because the source gained messages, run
`make i18n-update` and translate the new entries (see generator/locale/README.md).
"""

from __future__ import annotations

import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from conftest import REPO

from generator import i18n

LOCALE = REPO / "generator" / "locale"
POT = LOCALE / "messages.pot"
PO = LOCALE / "en" / "LC_MESSAGES" / "messages.po"
FIX = "run `make i18n-update`, then translate the new entries in generator/locale/en/LC_MESSAGES/messages.po"

# A replacement field with its format spec ({code:04X} stays "code:04X"); "{{" and "}}" are literal braces.
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def _msgids(catalog: Catalog) -> set[str]:
    return {m.id for m in catalog if m.id and isinstance(m.id, str)}


def _fields(text: str) -> set[str]:
    return {m.group(1) for m in _FIELD.finditer(text) if m.group(1) is not None}


def _babel(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """The pybabel command line, from the same environment as the tests."""
    return subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


@pytest.fixture(scope="module")
def pot() -> Catalog:
    return _read(POT)


@pytest.fixture(scope="module")
def po() -> Catalog:
    return _read(PO)


def test_every_message_has_an_english_translation(pot: Catalog, po: Catalog) -> None:
    problems = []
    for msgid in sorted(_msgids(pot)):
        message = po.get(msgid)
        if message is None:
            problems.append(f"missing:    {msgid}")
        elif not message.string or not str(message.string).strip():
            problems.append(f"empty:      {msgid}")
        elif message.fuzzy:
            problems.append(f"fuzzy:      {msgid}")
    assert not problems, f"untranslated messages ({FIX}):\n" + "\n".join(problems)


def test_translations_keep_every_placeholder(po: Catalog) -> None:
    problems = []
    for message in po:
        if not message.id or not message.string:
            continue
        msgid, msgstr = str(message.id), str(message.string)
        if _fields(msgid) != _fields(msgstr):
            problems.append(
                f"{msgid}\n  → {msgstr}\n  placeholders {sorted(_fields(msgid))} ≠ {sorted(_fields(msgstr))}"
            )
            continue
        # A translation is formatted exactly like its source: stray braces would break .format().
        try:
            list(string.Formatter().parse(msgid))
        except ValueError:
            continue  # not a format string in the source either
        try:
            list(string.Formatter().parse(msgstr))
        except ValueError as exc:
            problems.append(f"{msgid}\n  → {msgstr}\n  not a valid format string: {exc}")
    assert not problems, "translations whose {placeholders} differ from the source:\n" + "\n".join(
        problems
    )


def test_placeholder_check_sees_format_specs_and_escaped_braces() -> None:
    assert _fields("不允许的控制字符 U+{code:04X}") == {"code:04X"}
    assert _fields("control character U+{code:04x}") == {"code:04x"}
    assert _fields("按年份填写，如 {{{example}: 数值}}") == {"example"}
    assert _fields("{{literal}}") == set()


def test_catalog_compiles_without_errors(tmp_path: Path) -> None:
    mo = tmp_path / "messages.mo"
    done = _babel("compile", "--statistics", "-l", "en", "-i", str(PO), "-o", str(mo))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "error" not in output.lower(), output
    assert mo.stat().st_size > 0
    assert re.search(r"(\d+) of \1 messages \(100%\) translated", output), output


def test_catalog_passes_babels_checks(po: Catalog) -> None:
    problems = [f"{m.id}: {'; '.join(map(str, errors))}" for m, errors in po.check()]
    assert not problems, "\n".join(problems)


def test_english_is_spoken_after_set_language() -> None:
    try:
        i18n.set_language("en")
        assert i18n.language() == "en"
        assert i18n._("错误") == "error"
        assert i18n._("警告") == "warning"
        assert (
            i18n._("未知的键“{key}”（{where}）：是否应为“{suggestion}”？").format(
                key="推荐区", where="基本信息", suggestion="推荐区县"
            )
            == "unknown key “推荐区” (基本信息): did you mean “推荐区县”?"
        )
        assert i18n._("未通过：{counts}").startswith("FAILED: ")
        assert i18n._("通过：所有字数限制和规则均已满足（{counts}）").startswith("PASSED: ")
        assert i18n._("未通过（--strict 模式下警告也算失败）：{counts}").startswith(
            "FAILED (with --strict, warnings count as failures): "
        )
        i18n.set_language("zh")
        assert i18n._("错误") == "错误"
    finally:
        i18n.set_language("zh")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({}, "zh"),
    ],
)
def test_language_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.detect_language() == expected


def test_catalog_is_up_to_date_with_the_source(tmp_path: Path, po: Catalog) -> None:
    """Every message in the code (extracted as `make i18n-extract` does) is in the English catalog."""
    fresh = tmp_path / "messages.pot"
    done = _babel(
        "extract",
        "-F",
        "babel.cfg",
        "-o",
        str(fresh),
        "--no-location",
        "--sort-output",
        "--project",
        "chanjiao",
        "generator",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    missing = sorted(_msgids(_read(fresh)) - _msgids(po))
    assert not missing, (
        f"{len(missing)} message(s) in the source are not in the English catalog; {FIX}:\n"
        + "\n".join(f"  {m}" for m in missing)
    )
