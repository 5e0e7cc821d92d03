"""The `chanjiao check` command as a user runs it: output, exit codes, JSON, language."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ContentCopy = Callable[..., Path]


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script the way a user does."""
    exe = Path(sys.executable).parent / "chanjiao"
    full_env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    full_env.update(env or {})
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=60)


def test_check_example_prints_every_limited_field_and_a_verdict(example_root: Path) -> None:
    result = run("check", str(example_root))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for label in ("联合体已开展建设情况", "3.特色与创新", "4.建设规划", "教师教学团队获国家级奖励情况", "职业院校技能大赛获奖情况"):
        assert label in out
    assert "（2023年）" in out and "（2024年）" in out
    assert out.rstrip().splitlines()[-1].startswith("通过：")
    assert "Traceback" not in result.stderr


def test_check_content_problems_exit_1_with_path_line_col(content_copy: ContentCopy) -> None:
    root = content_copy({"基本信息.yaml": lambda t: t.replace("推荐区县:", "推荐区:")})
    result = run("check", str(root))
    assert result.returncode == 1
    assert "基本信息.yaml:" in result.stdout and "未知的键“推荐区”" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("未通过：")


def test_check_json_for_ci(content_copy: ContentCopy) -> None:
    root = content_copy({"推荐书/4-建设规划.md": "规划" * 600 + "\n"})
    result = run("check", str(root), "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["errors"] == 1
    row = next(r for r in data["limits"] if r["field"] == "4.建设规划")
    assert row == {
        "field": "4.建设规划",
        "file": "推荐书/4-建设规划.md",
        "line": 0,
        "words": 1200,
        "chars_no_spaces": 1200,
        "limit": 1000,
        "over": 200,
        "status": "over",
    }
    assert data["diagnostics"][0]["code"] == "over-limit"


def test_tool_could_not_run_exits_3(tmp_path: Path) -> None:
    result = run("check", str(tmp_path / "missing"))
    assert result.returncode == 3
    assert "找不到内容目录" in result.stderr and "Traceback" not in result.stderr


def test_usage_error_keeps_click_exit_2() -> None:
    result = run("check", "--format", "xml")
    assert result.returncode == 2


def test_help_documents_exit_codes() -> None:
    result = run("check", "--help")
    assert result.returncode == 0
    for code in ("0", "1", "2", "3"):
        assert f"  {code}  " in result.stdout


def test_english_messages_by_option_and_by_locale(content_copy: ContentCopy) -> None:
    root = content_copy({"基本信息.yaml": lambda t: t.replace("推荐区县:", "推荐区:")})
    by_option = run("check", str(root), "--lang", "en")
    by_locale = run("check", str(root), env={"LANG": "en_US.UTF-8"})
    for result in (by_option, by_locale):
        assert result.returncode == 1
        assert "unknown key “推荐区”" in result.stdout.lower()
        assert "did you mean “推荐区县”?" in result.stdout.lower()
        assert result.stdout.rstrip().splitlines()[-1].startswith("FAILED")


def test_dates_are_formatted_the_chinese_way() -> None:
    import datetime as dt

    from generator.i18n import format_date

    assert format_date(dt.date(2024, 6, 3), locale="zh_Hans_CN") == "2024年6月3日"


def test_an_unwritable_output_folder_is_a_clear_error(example_root: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    result = run("build", str(example_root), "-o", str(blocker / "out"), "--no-pdf")
    assert result.returncode == 3
    assert "无法创建输出目录" in result.stderr and "Traceback" not in result.stderr


def test_a_bug_is_reported_plainly_not_as_a_traceback(monkeypatch: pytest.MonkeyPatch, example_root: Path) -> None:
    from click.testing import CliRunner

    import generator.check
    from generator.cli import main

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(generator.check, "check_content", broken)
    monkeypatch.delenv("CHANJIAO_DEBUG", raising=False)
    result = CliRunner().invoke(main, ["check", str(example_root)])
    assert result.exit_code == 3
    assert "内部错误（RuntimeError：boom）" in result.output and "Traceback" not in result.output


def test_an_unreadable_file_is_reported_once(tmp_path: Path) -> None:
    (tmp_path / "项目.yaml").mkdir()  # a folder where the project file should be
    result = run("check", str(tmp_path))
    assert result.returncode == 1
    assert [line for line in result.stdout.splitlines() if line.startswith("项目.yaml:")] == [
        "项目.yaml: 错误: “项目.yaml”不是普通文件，而是文件夹"
    ]
