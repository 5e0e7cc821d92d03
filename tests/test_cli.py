"""The `chanjiao check` command as a user runs it: output, exit codes, JSON, language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ContentCopy
from conftest import run_chanjiao as run


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
    assert data["command"] == "check" and data["ok"] is False and data["exit_code"] == 1
    assert data["payload"]["errors"] == 1
    row = next(r for r in data["payload"]["limits"] if r["field"] == "4.建设规划")
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

    import generator.check.validate
    from generator.cli import main

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(generator.check.validate, "check_content", broken)
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


def test_an_invalid_chanjiao_soffice_is_an_error_not_a_build_without_pdfs(example_root: Path, tmp_path: Path) -> None:
    for bad in (tmp_path / "no-such-soffice", tmp_path):  # missing; a folder is not a program
        result = run("build", str(example_root), "-o", str(tmp_path / "out"), env={"CHANJIAO_SOFFICE": str(bad)})
        assert result.returncode == 3, result.stdout + result.stderr
        assert f"环境变量 CHANJIAO_SOFFICE 指向的程序不存在或不可执行：{bad}" in result.stderr
        assert "Traceback" not in result.stderr
        assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    # Without PDFs the setting is not needed: the Word documents are still made.
    result = run("build", str(example_root), "-o", str(tmp_path / "out"), "--no-pdf", env={"CHANJIAO_SOFFICE": str(tmp_path / "x")})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("command", [["summary"], ["diff", "--dirs"]])
def test_summary_and_diff_also_refuse_an_invalid_chanjiao_soffice(example_root: Path, tmp_path: Path, command: list[str]) -> None:
    args = [*command, str(example_root)] + ([str(example_root)] if "diff" in command else [])
    result = run(*args, "-o", str(tmp_path / "out"), env={"CHANJIAO_SOFFICE": str(tmp_path / "no-such-soffice")})
    assert result.returncode == 3, result.stdout + result.stderr
    assert "环境变量 CHANJIAO_SOFFICE 指向的程序不存在或不可执行" in result.stderr


@pytest.mark.libreoffice
def test_the_no_op_build_does_not_hide_a_broken_converter_setting(content_copy: ContentCopy, tmp_path: Path, libreoffice: Path) -> None:
    root = content_copy()
    out = tmp_path / "out"
    assert run("build", str(root), "-o", str(out)).returncode == 0
    again = run("build", str(root), "-o", str(out), env={"CHANJIAO_SOFFICE": str(tmp_path / "gone")})
    assert again.returncode == 3 and "沿用上次生成的文件" not in again.stderr
    assert "CHANJIAO_SOFFICE" in again.stderr


def test_the_converter_setting_is_part_of_the_no_op_fingerprint(example_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.core.buildcache import inputs_fingerprint
    from generator.word.documents import TEMPLATES_DIR

    prints = []
    for name in ("a", "b"):
        program = tmp_path / name
        program.write_text("#!/bin/sh\n", encoding="utf-8")
        program.chmod(0o755)
        monkeypatch.setenv("CHANJIAO_SOFFICE", str(program))
        prints.append(inputs_fingerprint(example_root, tmp_path / "out", TEMPLATES_DIR, {}))
    assert prints[0] != prints[1]


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "-inf"])
def test_timeout_must_be_a_positive_finite_number_of_seconds(example_root: Path, tmp_path: Path, value: str) -> None:
    result = run("build", str(example_root), "-o", str(tmp_path / "out"), f"--timeout={value}")
    assert result.returncode == 2
    assert "--timeout" in result.stderr and "须为大于 0 的秒数" in result.stderr
    assert not (tmp_path / "out").exists()


def test_textconv_refuses_a_zip_bomb_without_inflating_it(tmp_path: Path) -> None:
    import time
    import zipfile

    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf, zf.open("word/document.xml", "w", force_zip64=True) as member:
        member.write(b"<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'><w:body>")
        for _n in range(80):
            member.write(b"\0" * (1024 * 1024))
    assert bomb.stat().st_size < 1024 * 1024  # a small file that inflates to 80 MB
    start = time.monotonic()
    result = run("textconv", str(bomb))
    assert result.returncode == 3 and time.monotonic() - start < 20
    assert "解压后超过 64 MB" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_textconv_still_prints_a_normal_document(tmp_path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_paragraph("联合体概况")
    doc.save(str(tmp_path / "a.docx"))
    result = run("textconv", str(tmp_path / "a.docx"))
    assert result.returncode == 0 and result.stdout.strip() == "联合体概况"


def test_a_build_ends_with_its_output_whole_its_watchdog_done_and_no_libreoffice_left(
    content_copy: ContentCopy, tmp_path: Path, libreoffice: Path
) -> None:
    """`chanjiao` ends without the interpreter's teardown (cli.entry): the exit handlers still
    run (the watchdog is told and waited for), everything printed arrives, the code is the
    command's."""
    import subprocess

    from conftest import CHANJIAO, user_env
    from test_faults import processes_with

    from generator.core.procs import MARKER_ENV, run_id

    root = content_copy()
    proc = subprocess.Popen(
        [str(CHANJIAO), "build", str(root), "-o", str(tmp_path / "out"), "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=user_env(),
    )
    rid = run_id(proc.pid)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    document = json.loads(out)  # the whole JSON document, flushed before the process ended
    assert document["exit_code"] == 0 and document["payload"]["package"]
    assert "合成申报材料 PDF…" in err  # progress on stderr, flushed too
    # nothing of the run is left: the watchdog was waited for, every LibreOffice ended
    assert not processes_with(f"generator.core.watchdog {rid}")
    leftovers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _has_marker(p, MARKER_ENV, rid)]
    assert not leftovers


def _has_marker(proc_dir: Path, name: str, rid: str) -> bool:
    try:
        environ = (proc_dir / "environ").read_bytes()
    except OSError:
        return False
    return any(item.startswith(f"{name}={rid}".encode()) for item in environ.split(b"\0"))
