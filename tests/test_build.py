"""`chanjiao build` end to end with real LibreOffice: PDFs read back, pages, fonts, the package,
incremental rebuilds, and what a missing or failing converter leaves behind."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from conftest import (
    CHANJIAO,
    REPO,
    ContentCopy,
    diagnostic_lines,
    line_of,
    process_gone,
    run_chanjiao,
    squash,
    user_env,
)

from generator.pdf.reader import read_pdf
from generator.pipeline import BuildResult, build

pytestmark = pytest.mark.libreoffice
NAME = "重庆云岭智能网联新能源汽车零部件市域产教联合体"


def test_plan_pdf_has_every_section_heading_and_the_body_in_a_fangsong_face(example_build: tuple[Path, BuildResult]) -> None:
    out, _result = example_build
    info = read_pdf(out / f"{NAME}-建设方案.pdf")
    text = squash(info.text)
    for heading in ("一、创建条件", "二、创建思路", "三、建设内容与举措", "四、建设计划", "五、预期成效与成果", "六、保障措施", "七、附件及证明材料"):
        assert heading in text
    assert "（一）基本情况" in text and "表重庆市市域产教联合体建设方案" in text
    assert any(f.startswith("FandolFang") for f in info.embedded_fonts)  # 仿宋 stand-in, not a sans face
    assert info.page_count >= 10
    assert [b.title for b in info.outline if b.level == 0][:2] == ["一、创建条件", "二、创建思路"]


def test_recommendation_pdf_shows_figures_in_their_cells(example_build: tuple[Path, BuildResult]) -> None:
    out, _result = example_build
    text = squash(read_pdf(out / f"{NAME}-推荐书.pdf").text)
    for expected in ("市域产教联合体推荐书", "1.联合体概况", "2.服务能力", "3.特色与创新", "4.建设规划", "5.申报承诺", "2360", "2680", "2960", "260㎡"):
        assert expected in text, expected


def test_package_has_both_documents_then_the_attachments_with_bookmarks(example_build: tuple[Path, BuildResult]) -> None:
    out, result = example_build
    package = read_pdf(out / f"{NAME}-申报材料.pdf")
    plan = read_pdf(out / f"{NAME}-建设方案.pdf")
    rec = read_pdf(out / f"{NAME}-推荐书.pdf")
    from generator.content.loader import load_application

    app, _diags = load_application(Path(result.report.root))
    attachments = [item.get("title") for item in app.values["attachments.items"].items]  # type: ignore[union-attr]
    top = [b for b in package.outline if b.level == 0]
    assert [b.title for b in top] == ["建设方案", "推荐书", *attachments]
    assert len(attachments) == 3
    assert top[1].page == plan.page_count and top[2].page == plan.page_count + rec.page_count
    assert package.page_count == plan.page_count + rec.page_count + 3
    assert package.title == NAME
    # page labels say what each page prints: the plan's cover is 封面, then "— 1 —", "— 2 —" …
    import re

    # (a landscape page prints its number turned, on its left edge: first in the page's text)
    printed = [re.search(r"[—–-](\d+)[—–-]$", squash(t)) or re.match(r"[—–-](\d+)[—–-]", squash(t)) for t in plan.page_texts]
    assert printed[0] is None and printed[1] is not None and printed[1].group(1) == "1"
    for index, match in enumerate(printed):
        assert package.page_labels[index] == (match.group(1) if match else "封面"), index
    # The form too: its cover is 封面, its 说明 page prints "— 1 —".
    printed = [re.search(r"[—–-](\d+)[—–-]$", squash(t)) for t in rec.page_texts]
    assert printed[0] is None and printed[1] is not None and printed[1].group(1) == "1"
    for index, match in enumerate(printed):
        assert package.page_labels[plan.page_count + index] == (match.group(1) if match else "封面"), index


def test_build_reports_pages_and_font_substitutions(example_build: tuple[Path, BuildResult]) -> None:
    out, result = example_build
    plan = next(r for r in result.documents if r.doc.id == "plan")
    assert plan.pages == read_pdf(out / f"{NAME}-建设方案.pdf").page_count
    assert [t for t, _n in plan.part_pages][0] == "一、创建条件"
    assert sum(n for _t, n in plan.part_pages) <= plan.pages
    assert result.substitutions["方正仿宋_GBK"].startswith("FandolFang")
    assert result.substitutions["Times New Roman"].startswith("LiberationSerif")


def test_page_limit_from_the_project_file_is_checked_on_the_pdf(content_copy: ContentCopy, tmp_path: Path, libreoffice: Path) -> None:
    root = content_copy({"项目.yaml": lambda t: t.replace("页数限制:\n  建设方案:\n", "页数限制:\n  建设方案: 5\n")})
    out = tmp_path / "out"
    result = build(root, out, pdf=True)
    pages = read_pdf(out / f"{NAME}-建设方案.pdf").page_count  # counted on the PDF the user gets
    assert pages > 5
    assert result.exit_code == 1
    # Pointing at the limit as written (页数限制 › 建设方案: 5), like the per-part limit below.
    line = next(n for n, text in enumerate((root / "项目.yaml").read_text(encoding="utf-8").splitlines(), 1) if text == "  建设方案: 5")
    column = len("  建设方案: ") + 1  # the value, in characters
    assert diagnostic_lines((out / "检查报告.txt").read_text(encoding="utf-8"), "错误") == [
        f"项目.yaml:{line}:{column}: 错误: 建设方案：{pages} 页，超出页数上限 5 页"
    ]


def test_second_build_does_no_work_and_one_markdown_change_rebuilds_only_the_plan(content_copy: ContentCopy, tmp_path: Path, libreoffice: Path) -> None:
    root = content_copy()
    out = tmp_path / "out"
    build(root, out, pdf=True)
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = build(root, out, pdf=True)
    assert not any(r.rebuilt for r in again.documents)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name in stamps and not p.name.startswith(("检查报告", ".chanjiao"))} == {
        k: v for k, v in stamps.items() if not k.startswith(("检查报告", ".chanjiao"))
    }
    assert again.documents[0].pages is not None  # pages known without reconverting
    md = root / "建设方案/4-建设计划.md"
    md.write_text(md.read_text(encoding="utf-8") + "\n\n新增一段建设计划说明。\n", encoding="utf-8")
    third = build(root, out, pdf=True)
    rebuilt = {r.doc.id for r in third.documents if r.rebuilt}
    assert rebuilt == {"plan"}
    assert "新增一段建设计划说明" in squash(read_pdf(out / f"{NAME}-建设方案.pdf").text)


def test_a_changed_tool_rebuilds_what_the_old_tool_made(content_copy: ContentCopy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unchanged content, changed code or font map (same version number): nothing is reused."""
    import generator.core.buildcache
    import generator.pipeline
    from generator.core.buildcache import inputs_fingerprint
    from generator.word.documents import templates_dir

    root, out = content_copy(), tmp_path / "out"
    build(root, out, pdf=False)
    before = inputs_fingerprint(root, out, templates_dir(), {"pdf": False})
    assert not any(r.rebuilt for r in build(root, out, pdf=False).documents)
    for module in (generator.core.buildcache, generator.pipeline):
        monkeypatch.setattr(module, "tool_fingerprint", lambda: "a fixed read-back")
    assert inputs_fingerprint(root, out, templates_dir(), {"pdf": False}) != before
    assert all(r.rebuilt for r in build(root, out, pdf=False).documents)


def test_without_libreoffice_build_writes_docx_and_says_how_to_install(content_copy: ContentCopy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import generator.pdf.convert
    from generator.cli import main

    root = content_copy()
    monkeypatch.delenv("CHANJIAO_SOFFICE", raising=False)
    monkeypatch.setattr(generator.pdf.convert, "find_soffice", lambda: None)  # a machine without LibreOffice
    done = CliRunner().invoke(main, ["build", str(root), "-o", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "out" / f"{NAME}-建设方案.docx").is_file()
    assert not list((tmp_path / "out").glob("*.pdf"))
    assert done.stdout.count("未找到 LibreOffice") == 1 and "apt-get install" in done.stdout
    forced = CliRunner().invoke(main, ["build", str(root), "-o", str(tmp_path / "out2"), "--pdf"])
    assert forced.exit_code == 3 and "未找到 LibreOffice" in forced.stderr


def test_failed_conversion_leaves_previous_outputs_intact(content_copy: ContentCopy, tmp_path: Path, libreoffice: Path) -> None:
    root = content_copy()
    out = tmp_path / "out"
    build(root, out, pdf=True)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".pdf"}
    crash = tmp_path / "crash-soffice"
    crash.write_text("#!/bin/sh\nexit 134\n", encoding="utf-8")
    crash.chmod(0o755)
    md = root / "推荐书/4-建设规划.md"
    md.write_text(md.read_text(encoding="utf-8") + "\n\n补充一句。\n", encoding="utf-8")
    env = {"CHANJIAO_SOFFICE": str(crash)}
    done = run_chanjiao("build", str(root), "-o", str(out), env=env, timeout=120)
    assert done.returncode == 3 and "LibreOffice 异常退出" in done.stderr and "Traceback" not in done.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".pdf"} == before
    assert not [p for p in out.iterdir() if p.name.startswith(".") and p.suffix in (".tmp", ".part")]


def test_content_errors_still_render_the_drafts_and_leave_other_files_alone(content_copy: ContentCopy, tmp_path: Path) -> None:
    root = content_copy({"基本信息.yaml": lambda t: t.replace("推荐区县:", "推荐区:")})
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.docx").write_bytes(b"previous")  # not an output of chanjiao: never touched
    done = run_chanjiao("build", str(root), "-o", str(out), "--no-pdf", timeout=120)
    assert done.returncode == 1
    assert "未知的键“推荐区”" in done.stdout and "推荐区县：必填项未填写" in done.stdout
    assert sorted(p.suffix for p in out.glob(f"{NAME}-*")) == [".docx", ".docx", ".docx"]  # 建设方案, 推荐书, 自评表
    assert (out / "old.docx").read_bytes() == b"previous"


def test_check_report_files_are_written(example_build: tuple[Path, BuildResult]) -> None:
    out, _result = example_build
    import json

    data = json.loads((out / "检查报告.json").read_text(encoding="utf-8"))
    assert data["ok"] is True
    assert {d["document"] for d in data["payload"]["documents"]} == {"建设方案", "推荐书", "自评表"}
    assert all(d["pages"] for d in data["payload"]["documents"])
    assert "通过" in (out / "检查报告.txt").read_text(encoding="utf-8")


def test_make_submission_builds_the_content_folder_into_the_output_folder(example_root: Path, tmp_path: Path) -> None:
    # What `make submission` runs by default, as its help line at the top of the Makefile says.
    # Run as a user would from a shell: under `make test` the parent make's MAKEFLAGS/MAKELEVEL
    # would add "Entering/Leaving directory" lines to what the dry run prints.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")}

    def dry_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["make", "--no-print-directory", "-n", "submission", *args], cwd=REPO, capture_output=True, text=True, env=env, timeout=60)

    dry = dry_run()
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[-1].endswith("chanjiao build content -o build")
    # The command it prints, with the folders overridden, really builds the documents there.
    out = tmp_path / "build"
    dry = dry_run(f"CONTENT={example_root}", f"OUT={out}")
    command = shlex.split(dry.stdout.splitlines()[-1])
    assert command[1:] == ["build", str(example_root), "-o", str(out)]
    done = subprocess.run([*command, "--no-pdf"], cwd=REPO, capture_output=True, text=True, env=user_env(), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in out.glob(f"{NAME}-*")) == [f"{NAME}-建设方案.docx", f"{NAME}-推荐书.docx", f"{NAME}-自评表.docx"]


def test_doctor_names_every_template_font_and_its_stand_in(example_root: Path, libreoffice: Path) -> None:
    from generator.word.documents import template_font_families

    done = run_chanjiao("doctor", str(example_root), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LibreOffice 7" in done.stdout or "LibreOffice" in done.stdout.splitlines()[0]
    for family in template_font_families():
        assert f" {family} → " in done.stdout
    fang = next(line for line in done.stdout.splitlines() if " 方正仿宋_GBK → " in line)
    assert "FandolFang" in fang and "Sans" not in fang
    assert "字体目录：" in done.stdout and "版本：Python" in done.stdout


def test_doctor_without_libreoffice_says_how_to_install(example_root: Path, tmp_path: Path) -> None:
    env = {"CHANJIAO_SOFFICE": str(tmp_path / "none")}
    done = run_chanjiao("doctor", str(example_root), env=env, timeout=120)
    assert done.returncode == 3
    assert "未找到 LibreOffice" in done.stdout and "apt-get install" in done.stdout


def test_page_limit_per_part_is_checked_from_the_pdf_bookmarks(content_copy: ContentCopy, tmp_path: Path, libreoffice: Path) -> None:
    root = content_copy({"项目.yaml": lambda t: t.replace("  各部分:\n", "  各部分:\n    三、建设内容与举措: 1\n    3.特色与创新: 9\n")})
    out = tmp_path / "out"
    result = build(root, out, pdf=True)
    # The part's pages as the PDF's bookmarks show them: from its first page to the next part's.
    parts = [b for b in read_pdf(out / f"{NAME}-建设方案.pdf").outline if b.level == 0]
    at = next(i for i, b in enumerate(parts) if b.title == "三、建设内容与举措")
    pages = parts[at + 1].page - parts[at].page
    assert pages > 1
    assert diagnostic_lines((out / "检查报告.txt").read_text(encoding="utf-8"), "错误") == [
        # the line written above, at the column of its value
        f"项目.yaml:{line_of(root / '项目.yaml', '各部分:') + 1}:16: 错误: 建设方案 三、建设内容与举措：{pages} 页，超出页数上限 1 页"
    ]
    assert result.exit_code == 1


def test_cli_second_build_reuses_everything_and_any_change_rebuilds(content_copy: ContentCopy, libreoffice: Path) -> None:
    root = content_copy()
    out = root / "build"  # as in a team repo: the output folder inside the content folder
    first = run_chanjiao("build", str(root), "-o", str(out), timeout=300)
    assert first.returncode == 0, first.stderr
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    second = run_chanjiao("build", str(root), "-o", str(out), timeout=300)
    assert second.returncode == 0
    assert "沿用上次生成的文件" in second.stderr
    # The same report, pages and fonts included; the documents are listed as unchanged.
    assert "(已更新)" in first.stdout and "(已更新)" not in second.stdout
    assert second.stdout == first.stdout.replace("(已更新)", "(无变化)")
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps
    (root / "推荐书/4-建设规划.md").write_text((root / "推荐书/4-建设规划.md").read_text(encoding="utf-8") + "\n补充。\n", encoding="utf-8")
    third = run_chanjiao("build", str(root), "-o", str(out), "--format", "json", timeout=300)
    assert third.returncode == 0 and "沿用上次生成的文件" not in third.stderr
    import json

    rebuilt = {d["document"]: d["rebuilt"] for d in json.loads(third.stdout)["payload"]["documents"]}
    # the 自评表 prints no prose: unchanged while no tagged place moves
    assert rebuilt == {"建设方案": False, "推荐书": True, "自评表": False}


def test_sigterm_during_conversion_leaves_no_converter_and_no_partial_file(content_copy: ContentCopy, tmp_path: Path) -> None:
    import signal
    import time

    root = content_copy()
    out = tmp_path / "out"
    pids = tmp_path / "pids"
    fake = tmp_path / "soffice"
    # Plays soffice.bin: a child that ignores TERM and would outlive its launcher.
    fake.write_text(f"#!/bin/sh\ntrap '' TERM HUP\nsleep 300 &\necho $! > {pids}\necho $$ >> {pids}\nwait\n", encoding="utf-8")
    fake.chmod(0o755)
    env = {**os.environ, "CHANJIAO_SOFFICE": str(fake), "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([str(CHANJIAO), "build", str(root), "-o", str(out), "--pdf"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (pids.exists() and len(pids.read_text().split()) == 2) and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM and "Traceback" not in err
    assert all(process_gone(int(pid)) for pid in pids.read_text().split())
    assert not out.exists()  # the build made it; a failed build leaves things as they were
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("chanjiao-")]


def test_a_character_the_fangsong_stand_in_lacks_is_a_warning_naming_where_it_is(content_copy: ContentCopy, tmp_path: Path, libreoffice: Path) -> None:
    root = content_copy({"推荐书/1-联合体概况.yaml": lambda t: t.replace("  负责人: 陈立新", "  负责人: 陈镕")})
    result = build(root, tmp_path / "out", pdf=True)
    warnings = diagnostic_lines((tmp_path / "out" / "检查报告.txt").read_text(encoding="utf-8"), "警告")
    line = line_of(root / "推荐书/1-联合体概况.yaml", "陈镕")
    assert warnings == [
        f"推荐书/1-联合体概况.yaml:{line}:8: 警告: “镕”不在替代字体 FandolFang 中，PDF 里这个字由 AR PL UKai CN 印出，字形可能与仿宋不一致；把已授权的 方正仿宋_GBK 放入字体目录可避免"
    ]
    assert result.exit_code == 0  # a warning: the PDF is still made


def test_a_missing_attachment_stops_only_the_package(content_copy: ContentCopy, tmp_path: Path, libreoffice: Path) -> None:
    import re

    root = content_copy()
    listing = (root / "附件/清单.yaml").read_text(encoding="utf-8")
    first = re.search(r"文件: *(\S+)", listing)
    assert first
    (root / "附件" / first.group(1).strip('"')).unlink()
    result = build(root, tmp_path / "out", pdf=True)
    assert result.exit_code == 1 and result.package is None
    assert any(d.code == "attachment" and d.location.path == "附件/清单.yaml" for d in result.report.errors)
    assert sorted(p.suffix for p in (tmp_path / "out").glob(f"{NAME}-*")) == [".docx"] * 3 + [".pdf"] * 3
    assert result.package_skipped_reason == "内容有 1 个错误，未合成申报材料 PDF。"
