"""`--format json` as CI reads it: every command, on good, broken and tool-failing input, prints one
JSON document on stdout and nothing else, and that document matches docs/output.schema.json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

ContentCopy = Callable[..., Path]
REPO = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((REPO / "docs/output.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

#: A 基本信息.yaml edit every command that reads the consortium's basics reports as an error.
BROKEN_BASICS = {"基本信息.yaml": lambda t: t.replace("推荐区县:", "推荐区:")}


def chanjiao(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "chanjiao"
    full_env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "CHANJIAO_SOFFICE")}
    full_env.update(env or {})
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, env=full_env, timeout=300)


def document(done: subprocess.CompletedProcess[str], command: str, exit_code: int) -> dict:
    """The one JSON document on stdout, checked against the schema, the command and the exit code."""
    assert done.returncode == exit_code, done.stdout + done.stderr
    data = json.loads(done.stdout)  # the whole of stdout: no text table before or after it
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(data)]
    assert errors == [], errors
    assert data["command"] == command and data["exit_code"] == exit_code and data["ok"] is (exit_code == 0)
    assert "Traceback" not in done.stderr
    return data


def codes(data: dict) -> set[str]:
    return {d["code"] for d in data["diagnostics"]}


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_schema_refuses_what_it_should() -> None:
    """A schema that accepted anything would make every test here pass."""
    good = {"schema_version": 1, "command": "init", "ok": True, "exit_code": 0, "diagnostics": [], "payload": {"directory": "x", "files": []}}
    assert VALIDATOR.is_valid(good)
    assert not VALIDATOR.is_valid({**good, "ok": False})  # ok is exactly exit_code 0
    assert not VALIDATOR.is_valid({**good, "payload": {"directory": "x"}})  # the command's payload keys are required
    assert not VALIDATOR.is_valid({**good, "exit_code": 3, "ok": False, "payload": None})  # a tool error says why
    assert not VALIDATOR.is_valid({**good, "diagnostics": [{"code": "x", "message": "m"}]})


# -- check ----------------------------------------------------------------------------------------


def test_check_json_good_broken_and_missing_folder(example_root: Path, content_copy: ContentCopy, tmp_path: Path) -> None:
    good = document(chanjiao("check", str(example_root), "--format", "json"), "check", 0)
    assert good["diagnostics"] == [] and good["payload"]["errors"] == 0 and good["payload"]["limits"]
    assert [c["label"] for c in good["payload"]["coverage"]][-2:] == ["6.3", "7.其他"]

    broken = document(chanjiao("check", str(content_copy(BROKEN_BASICS)), "--format", "json"), "check", 1)
    [unknown] = [d for d in broken["diagnostics"] if d["code"] == "unknown-key"]
    assert unknown["file"] == "基本信息.yaml" and unknown["line"] >= 1 and unknown["column"] >= 1
    assert "推荐区" in unknown["message"] and unknown["severity"] == "error"

    missing = document(chanjiao("check", str(tmp_path / "nowhere"), "--format", "json"), "check", 3)
    assert missing["payload"] is None and codes(missing) == {"tool-error"}
    assert "找不到内容目录" in missing["diagnostics"][0]["message"]
    assert missing["diagnostics"][0]["file"] is None


def test_a_usage_error_is_json_when_json_was_asked_for(example_root: Path) -> None:
    bad_option = document(chanjiao("check", str(example_root), "--format", "json", "--no-such-option"), "check", 2)
    assert codes(bad_option) == {"usage"} and "--no-such-option" in bad_option["diagnostics"][0]["message"]
    bad_value = document(chanjiao("build", str(example_root), "--format=json", "--timeout", "0"), "build", 2)
    assert codes(bad_value) == {"usage"} and "0" in bad_value["diagnostics"][0]["message"]
    # Without --format json, click's own usage message and exit code, as before.
    text = chanjiao("check", str(example_root), "--no-such-option")
    assert text.returncode == 2 and text.stdout == "" and "Usage:" in text.stderr


def test_text_mode_tool_error_is_one_line_on_stderr(tmp_path: Path) -> None:
    done = chanjiao("check", str(tmp_path / "nowhere"))
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr.strip() == f"错误：找不到内容目录：{tmp_path / 'nowhere'}"


# -- build ----------------------------------------------------------------------------------------


def test_build_json_good_then_reused(example_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = document(chanjiao("build", str(example_root), "-o", str(out), "--no-pdf", "--format", "json"), "build", 0)
    assert [d["document"] for d in first["payload"]["documents"]] == ["建设方案", "推荐书", "自评表"]
    assert all(Path(d["docx"]).is_file() and d["rebuilt"] for d in first["payload"]["documents"])
    # The report file CI can read afterwards is the same document stdout printed.
    assert json.loads((out / "检查报告.json").read_text(encoding="utf-8")) == first

    again = chanjiao("build", str(example_root), "-o", str(out), "--no-pdf", "--format", "json")
    assert "沿用上次生成的文件" in again.stderr  # progress goes to stderr, never into the JSON
    reused = document(again, "build", 0)
    # The same outcome, with every document listed as unchanged (not rebuilt) this time.
    assert [d["rebuilt"] for d in reused["payload"]["documents"]] == [False, False, False]
    for d in reused["payload"]["documents"]:
        d["rebuilt"] = True
    assert reused == first


def test_build_json_with_content_errors_is_json_not_the_text_table(content_copy: ContentCopy, tmp_path: Path) -> None:
    root = content_copy({"推荐书/1-联合体概况.yaml": lambda t: t.replace("固定办公面积: 260", "固定办公面积: 很大")})
    done = chanjiao("build", str(root), "-o", str(tmp_path / "out"), "--no-pdf", "--format", "json")
    data = document(done, "build", 1)
    [bad] = [d for d in data["diagnostics"] if d["file"] == "推荐书/1-联合体概况.yaml"]
    assert bad["severity"] == "error" and bad["line"] >= 1 and "很大" in bad["message"]
    assert data["payload"]["package"] is None


def test_build_json_tool_errors(example_root: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    unwritable = document(chanjiao("build", str(example_root), "-o", str(blocker / "out"), "--no-pdf", "--format", "json"), "build", 3)
    assert "无法创建输出目录" in unwritable["diagnostics"][0]["message"] and unwritable["payload"] is None

    env = {"CHANJIAO_SOFFICE": str(tmp_path / "no-soffice")}
    no_lo = document(chanjiao("build", str(example_root), "-o", str(tmp_path / "o2"), "--pdf", "--format", "json", env=env), "build", 3)
    assert codes(no_lo) == {"tool-error"} and "no-soffice" in no_lo["diagnostics"][0]["message"]


# -- diff -----------------------------------------------------------------------------------------


def test_diff_json_good_broken_and_missing(example_root: Path, tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(example_root, old)
    shutil.copytree(example_root, new)
    facts = new / "推荐书/1-联合体概况.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace("固定办公面积: 260", "固定办公面积: 300"), encoding="utf-8")
    args = ("diff", "--dirs", str(old), str(new), "--no-pdf", "--format", "json")
    good = document(chanjiao(*args, "-o", str(tmp_path / "d1"), cwd=tmp_path), "diff", 0)
    assert [r["new"] for r in good["payload"]["changes"]] == ["300"]

    facts.write_text(facts.read_text(encoding="utf-8").replace("固定办公面积: 300", "固定办公面积: 很大"), encoding="utf-8")
    broken = document(chanjiao(*args, "-o", str(tmp_path / "d2"), cwd=tmp_path), "diff", 1)
    assert {(d["revision"], d["file"]) for d in broken["diagnostics"]} == {(str(new), "推荐书/1-联合体概况.yaml")}

    missing = document(chanjiao("diff", "--dirs", str(old), str(tmp_path / "nowhere"), "--format", "json", cwd=tmp_path), "diff", 3)
    assert "nowhere" in missing["diagnostics"][0]["message"]


# -- summary, init, doctor ------------------------------------------------------------------------


def test_summary_json_good_broken_and_usage(example_root: Path, content_copy: ContentCopy, tmp_path: Path) -> None:
    good = document(chanjiao("summary", str(example_root), "-o", str(tmp_path / "s1"), "--no-pdf", "--format", "json"), "summary", 0)
    assert [r["index"] for r in good["payload"]["rows"]] == ["1"] and Path(good["payload"]["docx"]).is_file()

    broken = document(chanjiao("summary", str(content_copy(BROKEN_BASICS)), "-o", str(tmp_path / "s2"), "--no-pdf", "--format", "json"), "summary", 1)
    assert {d["file"] for d in broken["diagnostics"]} == {"content/基本信息.yaml"} and broken["payload"]["docx"] is None

    missing = document(chanjiao("summary", str(tmp_path / "nowhere"), "--format", "json"), "summary", 2)
    assert codes(missing) == {"usage"} and "nowhere" in missing["diagnostics"][0]["message"]

    env = {"CHANJIAO_SOFFICE": str(tmp_path / "no-soffice")}
    no_lo = document(chanjiao("summary", str(example_root), "-o", str(tmp_path / "s3"), "--pdf", "--format", "json", env=env), "summary", 3)
    assert codes(no_lo) == {"tool-error"} and "no-soffice" in no_lo["diagnostics"][0]["message"]


def test_init_json_new_and_not_empty(tmp_path: Path) -> None:
    made = document(chanjiao("init", str(tmp_path / "new"), "--format", "json"), "init", 0)
    assert made["payload"]["files"] and all(Path(p).is_file() for p in made["payload"]["files"])
    refused = document(chanjiao("init", str(tmp_path / "new"), "--format", "json"), "init", 3)
    assert "不是空的" in refused["diagnostics"][0]["message"]


def test_schema_json_rewrites_the_editor_files_and_warns_on_settings_it_cannot_merge(tmp_path: Path) -> None:
    repo = tmp_path / "new"
    document(chanjiao("init", str(repo), "--format", "json"), "init", 0)
    again = document(chanjiao("schema", str(repo), "--format", "json"), "schema", 0)
    assert again["payload"]["files"] and all(Path(p).is_file() for p in again["payload"]["files"])
    (repo / ".vscode" / "settings.json").write_text("{ // the user's comment\n}", encoding="utf-8")
    warned = document(chanjiao("schema", str(repo), "--format", "json"), "schema", 0)
    assert [d["severity"] for d in warned["diagnostics"]] == ["warning"]
    assert "settings.json" in warned["diagnostics"][0]["message"]


def test_doctor_json_with_and_without_libreoffice(tmp_path: Path) -> None:
    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        pytest.skip("LibreOffice is not installed")
    from conftest import has_uno

    ready = document(chanjiao("doctor", str(tmp_path), "--format", "json"), "doctor", 0)
    assert ready["payload"]["libreoffice"]["ok"] is True and ready["payload"]["fonts"]
    assert ready["payload"]["uno"]["ok"] is has_uno()
    # a Python without uno (this venv's): preview and builds are slower, nothing is broken
    no_uno = chanjiao("doctor", str(tmp_path), env={"CHANJIAO_UNO_PYTHON": sys.executable})
    assert no_uno.returncode == 0
    assert f"常驻 LibreOffice 不可用：{sys.executable} 无法导入 uno" in no_uno.stdout and "python3-uno" in no_uno.stdout
    slower = document(chanjiao("doctor", str(tmp_path), "--format", "json", env={"CHANJIAO_UNO_PYTHON": sys.executable}), "doctor", 0)
    assert slower["payload"]["uno"] == {"ok": False, "python": sys.executable} and not slower["payload"]["problems"]
    env = {"CHANJIAO_SOFFICE": str(tmp_path / "no-soffice")}
    broken = document(chanjiao("doctor", str(tmp_path), "--format", "json", env=env), "doctor", 3)
    assert broken["payload"]["libreoffice"]["ok"] is False and broken["diagnostics"]
