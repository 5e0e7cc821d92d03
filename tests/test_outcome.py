"""One owner for how a command ends: the exit code, the text a person reads, the JSON CI reads.

These run the command line in-process (click's runner) so that a failure can be simulated where
a real one cannot be provoked on demand: a bug, Ctrl-C. What is asserted is what the user sees.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

import generator.check.validate
from generator.cli import main

ContentCopy = Callable[..., Path]
REPO = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((REPO / "docs/output.schema.json").read_text(encoding="utf-8"))


def _raise(exc: BaseException) -> Callable[..., None]:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise exc

    return broken


def _json(output: str) -> dict:
    data = json.loads(output)
    jsonschema.validate(data, SCHEMA, cls=jsonschema.Draft202012Validator)
    return data


def test_a_bug_in_json_mode_is_json_with_exit_3(monkeypatch: pytest.MonkeyPatch, example_root: Path) -> None:
    monkeypatch.setattr(generator.check.validate, "check_content", _raise(RuntimeError("boom")))
    monkeypatch.delenv("CHANJIAO_DEBUG", raising=False)
    result = CliRunner().invoke(main, ["check", str(example_root), "--format", "json"])
    assert result.exit_code == 3 and result.stderr == ""
    data = _json(result.stdout)
    [d] = data["diagnostics"]
    assert d["code"] == "internal-error" and "内部错误（RuntimeError：boom）" in d["message"] and data["payload"] is None


def test_ctrl_c_in_json_mode_is_json_with_exit_130(monkeypatch: pytest.MonkeyPatch, example_root: Path) -> None:
    monkeypatch.setattr(generator.check.validate, "check_content", _raise(KeyboardInterrupt()))
    result = CliRunner().invoke(main, ["check", str(example_root), "--format", "json"])
    assert result.exit_code == 130
    assert [d["code"] for d in _json(result.stdout)["diagnostics"]] == ["interrupted"]
    text = CliRunner().invoke(main, ["check", str(example_root)])
    assert text.exit_code == 130 and text.stdout == "" and text.stderr.strip() == "已中断。"


def test_content_that_cannot_load_in_json_mode_keeps_every_diagnostic(monkeypatch: pytest.MonkeyPatch, example_root: Path) -> None:
    from generator.errors import ContentError, Diagnostic, Location, Severity

    problems = [
        Diagnostic(Location("项目.yaml", 3, 5), Severity.ERROR, "yaml-syntax", "YAML 语法错误"),
        Diagnostic(Location("基本信息.yaml"), Severity.ERROR, "not-utf8", "不是 UTF-8 编码"),
    ]
    monkeypatch.setattr(generator.check.validate, "check_content", _raise(ContentError(problems)))
    data = _json(CliRunner().invoke(main, ["check", str(example_root), "--format", "json"]).stdout)
    assert data["exit_code"] == 1
    assert [(d["file"], d["line"], d["column"], d["code"]) for d in data["diagnostics"]] == [
        ("项目.yaml", 3, 5, "yaml-syntax"),
        ("基本信息.yaml", None, None, "not-utf8"),
    ]
    # The same two, as the lines a person reads.
    text = CliRunner().invoke(main, ["check", str(example_root)])
    assert text.exit_code == 1
    assert text.stderr.splitlines() == ["项目.yaml:3:5: 错误: YAML 语法错误", "基本信息.yaml: 错误: 不是 UTF-8 编码"]


def test_the_printed_diagnostic_line_is_file_line_col_severity_message(content_copy: ContentCopy) -> None:
    root = content_copy({"基本信息.yaml": lambda t: t.replace("推荐区县:", "推荐区:")})
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code == 1
    [line] = [ln for ln in result.stdout.splitlines() if "未知的键" in ln]
    where, tag, message = line.split(": ", 2)
    path, row, col = where.split(":")
    assert path == "基本信息.yaml" and int(row) >= 1 and int(col) >= 1
    assert tag == "错误" and message.startswith("未知的键“推荐区”")
    # JSON gives the same facts, field by field.
    data = _json(CliRunner().invoke(main, ["check", str(root), "--format", "json"]).stdout)
    [d] = [d for d in data["diagnostics"] if d["code"] == "unknown-key"]
    assert (d["file"], d["line"], d["column"], d["message"]) == (path, int(row), int(col), message)


def test_exit_codes_are_written_only_in_errors_py() -> None:
    """No `sys.exit(1)`, `exit_code = 3` or `ctx.exit(130)` outside the one set of constants."""
    found = []
    for path in sorted((REPO / "generator").rglob("*.py")):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "exit":
                found += [f"{path.name}:{node.lineno}" for a in node.args if isinstance(a, ast.Constant)]
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.Return):
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                names = {getattr(t, "id", getattr(t, "attr", "")) for t in targets if t is not None}
                if "exit_code" in names and isinstance(node.value, ast.Constant):
                    found.append(f"{path.name}:{node.lineno}")
    assert found == []
    from generator import cli

    assert "sys.exit" not in Path(cli.__file__).read_text(encoding="utf-8")
