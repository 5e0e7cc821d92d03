"""`chanjiao init`: a new team's repo with guidance, driven through its own Makefile."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.form.declaration import load_form

BIN = Path(sys.executable).parent


def _make(repo: Path, target: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(["make", "--no-print-directory", target], cwd=repo, capture_output=True, text=True, env=env, timeout=120)


def _init(tmp_path: Path) -> Path:
    repo = tmp_path / "team"
    done = subprocess.run([str(BIN / "chanjiao"), "init", str(repo)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return repo


def _fill_in(repo: Path, example_root: Path) -> None:
    """The team writes its application: every file of the example over the stubs."""
    for src in example_root.rglob("*"):
        if src.is_file():
            dest = repo / src.relative_to(example_root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)


def test_init_writes_every_declared_file_with_official_guidance(tmp_path: Path) -> None:
    repo = _init(tmp_path)
    for spec in load_form().files:
        assert (repo / spec.key).is_file(), spec.key
    plan = (repo / "建设方案/1-创建条件.md").read_text(encoding="utf-8")
    assert "# 基本情况" in plan and "# 基础条件" in plan and "# 发展成效" in plan
    assert "牵头产业园区、牵头行业企业基本情况" in plan  # the seed's guidance, verbatim
    capacity = (repo / "推荐书/2-服务能力.yaml").read_text(encoding="utf-8")
    assert "共建专业: {2023年: , 2024年: }" in capacity
    assert "# 教师教学团队获国家级奖励情况；不超过100字" in capacity
    assert (repo / ".gitignore").read_text(encoding="utf-8").startswith("# 生成的文件")
    assert "*.docx diff=docx" in (repo / ".gitattributes").read_text(encoding="utf-8")
    config = subprocess.run(["git", "config", "--local", "diff.docx.textconv"], cwd=repo, capture_output=True, text=True)
    assert config.stdout.strip() == "chanjiao textconv"


def test_make_check_in_a_new_repo_lists_every_empty_required_field(tmp_path: Path) -> None:
    repo = _init(tmp_path)
    done = _make(repo, "check")
    assert done.returncode != 0
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("基本信息.yaml:") and "联合体名称：必填项未填写" in line for line in lines), done.stdout
    assert any("共建专业 › 2023年：必填项未填写" in line for line in lines)
    assert "推荐书/3-特色与创新.md: 错误: 3.特色与创新：尚未填写正文" in lines
    assert lines[-1].startswith("未通过：")


def test_a_filled_in_repo_passes_make_check(tmp_path: Path, example_root: Path) -> None:
    repo = _init(tmp_path)
    _fill_in(repo, example_root)
    done = _make(repo, "check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().splitlines()[-1].startswith("通过：")


def test_init_refuses_a_folder_with_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    done = subprocess.run([str(BIN / "chanjiao"), "init", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert "不是空的" in done.stderr
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "x"


def test_make_without_chanjiao_says_how_to_install(tmp_path: Path) -> None:
    repo = _init(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(["make", "check"], cwd=repo, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode != 0
    assert "未找到 chanjiao 命令" in done.stdout


@pytest.mark.libreoffice
def test_make_submission_in_a_completed_team_repo(tmp_path: Path, example_root: Path, libreoffice: Path) -> None:
    repo = _init(tmp_path)
    _fill_in(repo, example_root)
    done = _make(repo, "submission")
    assert done.returncode == 0, done.stdout + done.stderr
    built = sorted(p.name for p in (repo / "build").iterdir() if not p.name.startswith("."))
    assert any(n.endswith("-申报材料.pdf") for n in built)
    # 建设方案, 推荐书, 自评表; their PDFs and the package
    assert sum(n.endswith(".docx") for n in built) == 3 and sum(n.endswith(".pdf") for n in built) == 4
    status = subprocess.run(["git", "status", "--porcelain", "--", "build"], cwd=repo, capture_output=True, text=True)
    assert status.stdout == ""  # build/ is ignored by the team's .gitignore


def test_commands_without_a_folder_use_the_team_repo_they_run_in(tmp_path: Path, example_root: Path) -> None:
    repo = _init(tmp_path)
    _fill_in(repo, example_root)
    done = subprocess.run([str(BIN / "chanjiao"), "check"], cwd=repo, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().splitlines()[-1].startswith("通过：")
