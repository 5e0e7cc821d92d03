"""Every document the tool writes is valid OOXML for Word 2016 and later, checked by an independent
schema validator (openxml-audit), so Word opens it without offering a repair."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ContentCopy

from generator.content.loader import load_application
from generator.diff.revisions import count_changes
from generator.pipeline import render_documents
from generator.word.documents import DOCUMENTS, TEMPLATES_DIR

BIN = Path(sys.executable).parent


def findings(path: Path) -> list[str]:
    """openxml-audit's errors for one file, against the Office 2016 schemas and rules."""
    done = subprocess.run(
        [str(BIN / "openxml-audit"), "-f", "office2016", "-m", "0", "-o", "json", str(path)],
        capture_output=True, text=True, timeout=300,
    )
    (report,) = json.loads(done.stdout)
    return [f"{e['part_uri']} {e['path']}: {e['description']}" for e in report["errors"]]


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda d: d.id)
def test_templates_are_valid(doc: object) -> None:
    assert findings(TEMPLATES_DIR / doc.template) == []  # type: ignore[attr-defined]


def test_rendered_documents_are_valid_even_with_hostile_text(content_copy: ContentCopy, tmp_path: Path) -> None:
    hostile = "& < > \" ' {{ 7*7 }} {% if %} ]]> R&D 6.1%"
    root = content_copy(
        {
            "基本信息.yaml": lambda t: t.replace("推荐区县: 重庆市云岭区人民政府", f"推荐区县: '{hostile.replace(chr(39), chr(39) * 2)}'"),
            "推荐书/4-建设规划.md": lambda t: t + f"\n\n{hostile}\n\n| 甲 | {hostile} |\n|---|---|\n| 1 | 2 |\n",
        }
    )
    app, _diagnostics = load_application(root)
    for path in render_documents(app, tmp_path / "out"):
        assert findings(path) == [], path.name


def test_redlines_are_valid(content_copy: ContentCopy, tmp_path: Path) -> None:
    old = content_copy()
    new = tmp_path / "new"
    shutil.copytree(old, new)
    capacity = new / "推荐书/2-服务能力.yaml"
    capacity.write_text(capacity.read_text(encoding="utf-8").replace("共建专业: {2023年: 9, 2024年: 12}", "共建专业: {2023年: 9, 2024年: 14}"), encoding="utf-8")
    roadmap = new / "推荐书/4-建设规划.md"
    phrase = "共建专业达到15个"
    roadmap.write_text(roadmap.read_text(encoding="utf-8").replace(phrase, f"**{phrase}**", 1), encoding="utf-8")  # emphasis only
    plan = new / "建设方案/4-建设计划.md"
    plan.write_text("# 新的安排\n\n全部重写的一段建设计划。\n", encoding="utf-8")
    out = tmp_path / "diff"
    done = subprocess.run(
        [str(BIN / "chanjiao"), "diff", "--dirs", str(old), str(new), "-o", str(out), "--no-pdf"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    redlines = sorted(out.glob("*.docx"))
    assert len(redlines) == 3  # the 自评表 prints the changed 共建专业 figure too
    for path in redlines:
        assert findings(path) == [], path.name
    rec = next(p for p in redlines if "推荐书" in p.name)
    assert b"w:rPrChange" in zipfile.ZipFile(rec).read("word/document.xml")
    assert count_changes(rec.read_bytes()) >= 3  # the figure (del + ins) and the emphasis


def test_summary_template_and_table_are_valid(example_root: Path, tmp_path: Path) -> None:
    from generator.summary import TEMPLATE, build_summary

    assert findings(TEMPLATES_DIR / TEMPLATE) == []
    result = build_summary([example_root], tmp_path / "out", pdf=False)
    assert result.docx is not None and findings(result.docx) == []
