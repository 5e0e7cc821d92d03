"""Figures declared not applicable (issue 10): `/` (无, 不适用, —) where the form allows it is kept
as written, printed as written, left out of sums and comparisons, and listed in the report;
elsewhere it is an error. Blank, `~` and `null` stay 必填项未填写."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.check.report import render_report_json, render_report_text
from generator.check.validate import check_content
from generator.form.declaration import load_form
from generator.pipeline import render_documents
from generator.word.documents import RECOMMENDATION

ContentCopy = Callable[..., Path]
CAPACITY = "推荐书/2-服务能力.yaml"
BIN = Path(sys.executable).parent
BACHELOR = "  本科招收中高职毕业生和一线员工: {2023年: 45, 2024年: 80}"


def _set(line: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert line in text, line
        return text.replace(line, new)

    return edit


def _lines(root: Path) -> list[str]:
    report, _app = check_content(root)
    return render_report_text(report).splitlines()


def test_the_declaration_marks_the_consortium_dependent_figures() -> None:
    marked = {s.key for s in load_form().by_path().values() if s.not_applicable or s.of is not None and s.of.not_applicable}
    assert {"本科招收中高职毕业生和一线员工", "中高本衔接培养", "限额以上企业数"} <= marked
    # Figures every consortium has stay numbers: a total, the core counts.
    assert not marked & {"运行经费总额", "共建专业", "中高职贯通培养", "牵头单位负担", "企业职工总数"}


def test_slash_passes_prints_as_written_and_is_listed(content_copy: ContentCopy) -> None:
    root = content_copy({CAPACITY: _set(BACHELOR, "  本科招收中高职毕业生和一线员工: {2023年: /, 2024年: 不适用}")})
    report, app = check_content(root)
    assert report.errors == [] and report.exit_code == 0
    v0 = app.values["capacity.training.bachelor_intake.y0"]
    # Kept as a distinct value: not 0, not missing, and printed as the team wrote it.
    assert v0.not_applicable and v0.value != 0 and v0.present and str(v0.value) == "/"  # type: ignore[union-attr]
    text = render_report_text(report)
    label = "联合体内普通本科学校招收中高职毕业生和企业一线优秀员工就读本科和专业学位研究生（人数）"
    assert "声明为不适用的栏目（2 项，不参与合计和比较）：" in text
    assert re.search(rf"推荐书/2-服务能力\.yaml:\d+:\d+: {re.escape(label)}（2023年）：/", text)
    assert f"{label}（2024年）：不适用" in text
    data = json.loads(render_report_json(report))
    assert [(r["field"], r["written"]) for r in data["payload"]["not_applicable"]] == [(f"{label}（2023年）", "/"), (f"{label}（2024年）", "不适用")]
    assert all(r["file"] == CAPACITY and r["line"] > 0 for r in data["payload"]["not_applicable"])


@pytest.mark.parametrize("mark", ["/", "无", "不适用", "—"])
def test_every_mark_is_accepted_on_a_figure_that_allows_it(content_copy: ContentCopy, mark: str) -> None:
    root = content_copy({CAPACITY: _set("  限额以上企业数: 4", f"  限额以上企业数: {mark}")})
    report, app = check_content(root)
    assert report.errors == []
    assert str(app.values["capacity.enterprises.above_quota"].value) == mark  # type: ignore[union-attr]
    assert [r.written for r in report.not_applicable] == [mark]


def test_slash_on_a_figure_that_does_not_allow_it_is_an_error(content_copy: ContentCopy) -> None:
    root = content_copy({CAPACITY: _set("  共建专业: {2023年: 9, 2024年: 12}", "  共建专业: {2023年: 9, 2024年: /}")})
    lines = _lines(root)
    hits = [ln for ln in lines if "不能声明为不适用" in ln]
    assert len(hits) == 1, lines
    assert re.fullmatch(r"推荐书/2-服务能力\.yaml:9:27: 错误: 资源共建共享 › 共建专业 › 2024年：应填写数字，本栏目不能声明为不适用，现为“/”", hits[0]), hits[0]


def test_not_applicable_is_left_out_of_the_year_over_year_comparison(content_copy: ContentCopy) -> None:
    # The control: a real 0 below 45 is worth a second look.
    control = content_copy({CAPACITY: _set(BACHELOR, "  本科招收中高职毕业生和一线员工: {2023年: 45, 2024年: 0}")})
    assert any("低于2023年基础值 45" in ln for ln in _lines(control))
    root = content_copy({CAPACITY: _set("  本科招收中高职毕业生和一线员工: {2023年: 45, 2024年: 0}", "  本科招收中高职毕业生和一线员工: {2023年: 45, 2024年: /}")})
    assert not any("低于" in ln for ln in _lines(root))


def test_not_applicable_is_left_out_of_the_part_whole_rule(content_copy: ContentCopy) -> None:
    control = content_copy({CAPACITY: _set("  限额以上企业数: 4", "  限额以上企业数: 999")})
    assert any("限额以上企业数（个）：999 个，多于" in ln for ln in _lines(control))
    root = content_copy({CAPACITY: _set("  限额以上企业数: 999", "  限额以上企业数: /")})
    report, _app = check_content(root)
    assert report.errors == []


@pytest.mark.parametrize("blank", ["", "~", "null", "Null", "NULL"])
def test_blank_and_null_are_both_missing(content_copy: ContentCopy, blank: str) -> None:
    root = content_copy({CAPACITY: _set("  限额以上企业数: 4", f"  限额以上企业数: {blank}")})
    hits = [ln for ln in _lines(root) if "限额以上企业数" in ln]
    assert len(hits) == 1 and hits[0].endswith("错误: 联合体企业情况 › 限额以上企业数（个）：必填项未填写"), hits


def _recommendation_text(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    return "".join(re.findall(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>", xml))


def test_the_recommendation_prints_what_was_written(content_copy: ContentCopy, tmp_path: Path) -> None:
    root = content_copy({CAPACITY: _set("  限额以上企业数: 4", "  限额以上企业数: 不适用")})
    _report, app = check_content(root)
    (docx,) = render_documents(app, tmp_path / "out", (RECOMMENDATION,))
    text = _recommendation_text(docx).replace("\u2060", "")
    assert "限额以上企业数（个）不适用" in text or re.search(r"限额以上企业数（个）[^0-9]{0,3}不适用", text), text[-400:]


def test_the_cli_lists_not_applicable_in_json(content_copy: ContentCopy) -> None:
    root = content_copy({CAPACITY: _set("  限额以上企业数: 4", "  限额以上企业数: /")})
    done = subprocess.run([str(BIN / "chanjiao"), "check", str(root), "--format", "json"], capture_output=True, text=True, timeout=120)
    data = json.loads(done.stdout)
    assert done.returncode == 0 and data["ok"]
    assert [(r["field"], r["written"]) for r in data["payload"]["not_applicable"]] == [("限额以上企业数（个）", "/")]


def test_init_stubs_say_which_figures_may_be_written_slash(tmp_path: Path) -> None:
    done = subprocess.run([str(BIN / "chanjiao"), "init", str(tmp_path / "新申报")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "新申报" / CAPACITY).read_text(encoding="utf-8")
    allowed = [s.key for s in load_form().by_path().values() if s.not_applicable or s.of is not None and s.of.not_applicable]
    header = next(ln for ln in text.splitlines() if ln.startswith("# 以下栏目对本联合体不适用时"))
    assert header.split("不要写 0：", 1)[1].split("。", 1)[0] == "、".join(allowed)
    # The field's own comment says it too; a figure that must be a number does not.
    lines = text.splitlines()
    for key in ("本科招收中高职毕业生和一线员工", "共建专业"):
        at = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith(f"{key}:"))
        assert ("不适用时写 /" in lines[at - 1]) == (key in allowed), lines[at - 1]


def test_a_build_prints_not_applicable_in_the_pdf_and_passes(content_copy: ContentCopy, tmp_path: Path, libreoffice: Path) -> None:
    """The whole path: the .docx and the PDF print what was written, the read-back agrees, and
    the build passes with the figures listed as 不适用 in the report file."""
    root = content_copy({
        CAPACITY: lambda t: _set(BACHELOR, "  本科招收中高职毕业生和一线员工: {2023年: /, 2024年: 不适用}")(
            _set("  限额以上企业数: 4", "  限额以上企业数: —")(t)
        )
    })
    out = tmp_path / "build"
    done = subprocess.run([str(BIN / "chanjiao"), "build", str(root), "-o", str(out)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (pdf,) = out.glob("*-推荐书.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    row = next(ln for ln in text.splitlines() if "限额以上企业数（个）" in ln)
    assert row.split()[-1] == "—", row
    assert re.search(r"\s/\s+不适用\n", text), "the 2023 and 2024 cells of 本科招收…: / and 不适用"
    report = (out / "检查报告.txt").read_text(encoding="utf-8")
    assert "声明为不适用的栏目（3 项，不参与合计和比较）：" in report
    assert "PDF 中缺少" not in report and "0 个错误" in report
