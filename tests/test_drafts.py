"""Drafts render (issue 10): one error policy.

Everything that can be rendered is rendered. A missing or refused value prints as a highlighted
gap 【待填写：…】 and is an error in the report with file:line:col; the build exits 1 and makes no
package. Only a file that cannot be read at all keeps the documents that print it from rendering.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from tests.ooxml import assert_valid_docx

ContentCopy = Callable[..., Path]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PLAN, RECOMMENDATION = "建设方案", "推荐书"

#: Ten required values left blank, absent or refused: (file, old text, new text).
TEN_GAPS: list[tuple[str, str, str]] = [
    ("基本信息.yaml", "推荐区县: 重庆市云岭区人民政府", "推荐区县:"),
    ("基本信息.yaml", "日期: 2024-06-12", "日期:"),
    ("推荐书/1-联合体概况.yaml", "成立时间: 2024年4月18日", "成立时间:"),
    ("推荐书/1-联合体概况.yaml", "  姓名: 张明远", "  姓名:"),
    ("推荐书/1-联合体概况.yaml", "  负责人: 陈立新", "  负责人:"),
    ("推荐书/1-联合体概况.yaml", "  固定办公面积: 260", "  固定办公面积: 二百六十"),  # refused: not a number
    ("推荐书/2-服务能力.yaml", "共建专业: {2023年: 9, 2024年: 12}", "共建专业: {2023年: 9, 2024年: }"),
    ("推荐书/2-服务能力.yaml", "课时数: {2023年: 5860, 2024年: 7600}", "课时数: {2023年: 5860}"),  # key absent
]
#: What each document prints where a value is missing (the form's labels), and the report's place.
PLAN_GAPS = {"【待填写：推荐区县】": "基本信息.yaml:12:1", "【待填写：日期】": "基本信息.yaml:32:1", "【待填写：六、保障措施】": "建设方案/6-保障措施.md"}
RECOMMENDATION_GAPS = {
    "【待填写：推荐区县】": "基本信息.yaml:12:1",
    "【待填写：（拟）成立时间】": "推荐书/1-联合体概况.yaml:9:1",
    "【待填写：联合体负责人 › 联合体负责人】": "推荐书/1-联合体概况.yaml:12:3",
    "【待填写：秘书处（办公室）情况 › 秘书处负责人】": "推荐书/1-联合体概况.yaml:18:3",
    "【待填写：秘书处（办公室）情况 › 固定办公面积】": "推荐书/1-联合体概况.yaml:19:11",
    "【待填写：资源共建共享 › 共建专业 › 2024年】": "推荐书/2-服务能力.yaml:9:20",
    "【待填写：师资共建共享 › 企业兼职教师 › 课时数 › 2024年】": "推荐书/2-服务能力.yaml:20:10",
    "【待填写：师资共建共享 › 教师教学团队获国家级奖励情况】": "推荐书/2-服务能力.yaml:28:3",
}


def _ten_gaps(content_copy: ContentCopy) -> Path:
    def replace(old: str, new: str) -> Callable[[str], str]:
        def edit(text: str) -> str:
            assert old in text, old
            return text.replace(old, new, 1)

        return edit

    root = content_copy()
    for rel, old, new in TEN_GAPS:
        content_copy({rel: replace(old, new)})
    content_copy({"推荐书/2-服务能力.yaml": lambda t: re.sub(r"教学团队国家级奖励: .*", "教学团队国家级奖励:", t, count=1)})
    content_copy({"建设方案/6-保障措施.md": ""})  # a required prose part left empty
    return root


def chanjiao(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("chanjiao")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=300)


def _highlighted_gaps(docx: Path) -> list[str]:
    """The gaps a reader sees highlighted in Word: runs with a yellow highlight, joined per paragraph."""
    root = etree.fromstring(zipfile.ZipFile(docx).read("word/document.xml"))
    found = []
    for p in root.iter(W + "p"):
        text = ""
        for r in p.iter(W + "r"):
            if next(r.iterancestors(W + "p")) is not p:
                continue
            mark = r.find(f"{W}rPr/{W}highlight")
            piece = "".join(t.text or "" for t in r.iter(W + "t"))
            text += piece if mark is not None and mark.get(W + "val") == "yellow" else "\n"
        found += re.findall("【待填写：[^】]*】", text.replace("\u2060", ""))
    return found


def _pdf_gaps(pdf: Path, expected: set[str]) -> set[str]:
    """Which of `expected` the PDF prints. pdftotext reads a table row by row, so a gap wrapped
    in a narrow cell comes out interleaved with its neighbours' lines, but its own characters stay
    in order: a gap is printed when, from one of the PDF's 【待填写： on, its characters follow
    in order within a few times its length."""
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = re.sub(r"\s+", "", out)
    starts = [m.start() for m in re.finditer("【待填写：", text)]

    def printed(gap: str) -> bool:
        for start in starts:
            window, pos = text[start : start + 6 * len(gap)], 0
            for ch in gap:
                pos = window.find(ch, pos) + 1
                if pos == 0:
                    break
            else:
                return True
        return False

    return {gap for gap in expected if printed(re.sub(r"\s+", "", gap))}


def _outputs(out: Path, kind: str) -> dict[str, Path]:
    return {doc: next(out.glob(f"*-{doc}.{kind}")) for doc in (PLAN, RECOMMENDATION) if any(out.glob(f"*-{doc}.{kind}"))}


@pytest.mark.libreoffice
def test_ten_missing_values_build_both_documents_with_every_gap_visible_and_no_package(
    content_copy: ContentCopy, tmp_path: Path, libreoffice: Path
) -> None:
    root = _ten_gaps(content_copy)
    out = tmp_path / "out"
    done = chanjiao("build", str(root), "-o", str(out))
    assert done.returncode == 1, done.stdout + done.stderr
    docx, pdf = _outputs(out, "docx"), _outputs(out, "pdf")
    assert set(docx) == set(pdf) == {PLAN, RECOMMENDATION}
    for doc, expected in ((PLAN, PLAN_GAPS), (RECOMMENDATION, RECOMMENDATION_GAPS)):
        assert_valid_docx(docx[doc])
        assert sorted(set(_highlighted_gaps(docx[doc]))) == sorted(expected), doc
        assert _pdf_gaps(pdf[doc], set(expected)) == set(expected), doc
    # Every gap is an error in the report, at the place a user fixes it.
    lines = done.stdout.splitlines()
    for where in {**PLAN_GAPS, **RECOMMENDATION_GAPS}.values():
        assert any(line.startswith(f"{where}: 错误: ") for line in lines), where
    assert "未通过：10 个错误" in done.stdout
    # The read-back (the PDF's text against the .docx's) accepts the gaps: they are printed text.
    assert done.stdout.count("读回核对：PDF 文字与 Word 文档一致") == 3, done.stdout  # the 自评表 too
    # No package: it is what is submitted; the report says why.
    assert not list(out.glob("*申报材料.pdf"))
    assert "内容有 10 个错误，未合成申报材料 PDF。" in lines
    assert "已移除" not in done.stdout  # there was no previous package to remove


@pytest.mark.libreoffice
def test_an_error_removes_the_previous_package_and_says_so(
    content_copy: ContentCopy, tmp_path: Path, example_build: tuple[Path, object]
) -> None:
    out = tmp_path / "out"
    shutil.copytree(example_build[0], out)
    package = next(out.glob("*申报材料.pdf"))
    root = content_copy({"基本信息.yaml": lambda t: t.replace("推荐区县: 重庆市云岭区人民政府", "推荐区县:")})
    done = chanjiao("build", str(root), "-o", str(out))
    assert done.returncode == 1, done.stdout + done.stderr
    assert not package.exists()
    assert "内容有 1 个错误，未合成申报材料 PDF。上次生成的申报材料 PDF 已移除：它与本次生成的文档不一致。" in done.stdout.splitlines()
    assert set(_outputs(out, "pdf")) == {PLAN, RECOMMENDATION}
    assert _pdf_gaps(_outputs(out, "pdf")[PLAN], {"【待填写：推荐区县】", "【待填写：日期】"}) == {"【待填写：推荐区县】"}


def test_a_file_that_cannot_be_read_stops_only_the_documents_that_print_it(content_copy: ContentCopy, tmp_path: Path) -> None:
    root = content_copy({"推荐书/2-服务能力.yaml": lambda t: t.replace("资源共建共享:", "资源共建共享: [", 1)})
    out = tmp_path / "out"
    done = chanjiao("build", str(root), "-o", str(out), "--no-pdf")
    assert done.returncode == 1, done.stdout + done.stderr
    assert set(_outputs(out, "docx")) == {PLAN}
    assert "推荐书未生成：推荐书/2-服务能力.yaml 无法读取（见下方错误）" in done.stdout
    assert re.search(r"^推荐书/2-服务能力\.yaml:\d+:\d+: 错误: ", done.stdout, re.M), done.stdout


def test_a_file_not_utf8_stops_the_documents_that_print_it_and_their_old_files_leave(content_copy: ContentCopy, tmp_path: Path) -> None:
    root = content_copy()
    out = tmp_path / "out"
    assert chanjiao("build", str(root), "-o", str(out), "--no-pdf").returncode == 0
    old_plan = _outputs(out, "docx")[PLAN]
    path = root / "建设方案/2-创建思路.md"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    done = chanjiao("build", str(root), "-o", str(out), "--no-pdf")
    assert done.returncode == 1, done.stdout + done.stderr
    assert set(_outputs(out, "docx")) == {RECOMMENDATION} and not old_plan.exists()
    assert (
        "建设方案未生成：建设方案/2-创建思路.md 无法读取（见下方错误）；上次生成的建设方案已移除：它与现在的内容不一致"
        in done.stdout.splitlines()
    )
    assert re.search(r"^建设方案/2-创建思路\.md:\d+:\d+: 错误: 文件不是 UTF-8 编码", done.stdout, re.M), done.stdout


def test_a_no_op_build_lists_its_files_as_unchanged(tmp_path: Path, example_root: Path) -> None:
    out = tmp_path / "out"
    first = chanjiao("build", str(example_root), "-o", str(out), "--no-pdf")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "(已更新)" in first.stdout
    again = chanjiao("build", str(example_root), "-o", str(out), "--no-pdf")
    assert again.returncode == 0
    assert "沿用上次生成的文件" in again.stderr
    docx_lines = [line for line in again.stdout.splitlines() if line.endswith(")") and ".docx" in line]
    assert len(docx_lines) == 3 and all(line.endswith("(无变化)") for line in docx_lines), again.stdout  # with the 自评表


def test_a_gap_gets_a_highlighted_run_of_its_own_in_schema_order_even_when_glued() -> None:
    from generator.word.context import gap, glued
    from generator.word.render import highlight_gaps

    body = etree.fromstring(
        f'<w:body xmlns:w="{W[1:-1]}"><w:p><w:r><w:rPr><w:b/><w:u w:val="single"/></w:rPr>'
        f"<w:t>前{glued(gap(('联合体负责人', '姓名')))}后</w:t></w:r></w:p></w:body>"
    )
    assert highlight_gaps(body) == 1
    runs = body.findall(f"{W}p/{W}r")
    assert [r.find(W + "t").text.replace("\u2060", "") for r in runs] == ["前", "【待填写：联合体负责人 › 姓名】", "后"]
    marked = runs[1].find(W + "rPr")
    assert [c.tag[len(W) :] for c in marked] == ["b", "highlight", "u"]  # w:highlight before w:u (schema order)
    assert all(r.find(f"{W}rPr/{W}highlight") is None for r in (runs[0], runs[2]))


def test_an_optional_value_left_blank_prints_nothing_but_a_refused_one_prints_a_gap(example_root: Path) -> None:
    from dataclasses import replace

    from generator.content.loader import load_application
    from generator.model import Item, ListValue
    from generator.word.context import build_context

    app, _diagnostics = load_application(example_root)
    units = app.values["overview.members.recommender"]
    assert isinstance(units, ListValue) and isinstance(units.items[0], Item)
    first = units.items[0]
    contact = first.fields["contact"]
    assert not contact.spec.required
    blanked = Item({**first.fields, "contact": replace(contact, value=None)}, first.loc)
    app.values["overview.members.recommender"] = replace(units, items=(blanked, *units.items[1:]))
    assert build_context(app)["overview"]["members"]["recommender"][0]["contact"] == ""
    app.refused.add(contact.loc)  # what the reader marks when it refuses a written value
    printed = build_context(app)["overview"]["members"]["recommender"][0]["contact"]
    assert printed == "【待填写：联合体成员情况 › 推荐单位 › 第1项 › 联系人】"


def test_the_one_orchestrator_stays_light_for_the_no_op_build() -> None:
    """`chanjiao build` imports the pipeline before it knows whether anything changed: the
    pipeline module imports no reader, renderer or PDF library until a step runs."""
    probe = (
        "import sys, generator.pipeline, generator.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('docxtpl', 'docx', 'pypdf', 'markdown_it', 'jinja2', 'lxml') "
        "or m in ('generator.content.loader', 'generator.check.validate', 'generator.word.render')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
