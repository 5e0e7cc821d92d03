"""`chanjiao summary`: one table, a row per consortium, for a district recommending several."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import CHANJIAO
from docx import Document

from generator.content.loader import load_application
from generator.summary import TEMPLATE, build_summary
from generator.word.context import build_context, unglued
from generator.word.documents import templates_dir
from generator.word.render import leftover_tags, template_variables

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _second(example_root: Path, tmp_path: Path) -> Path:
    other = tmp_path / "乙联合体"
    shutil.copytree(example_root, other)
    basics = other / "基本信息.yaml"
    basics.write_text(
        basics.read_text(encoding="utf-8").replace("联合体名称: 重庆云岭智能网联新能源汽车零部件市域产教联合体", "联合体名称: 重庆云岭现代物流市域产教联合体"),
        encoding="utf-8",
    )
    return other


def _rows(path: Path) -> list[list[str]]:
    """The first table's rows, as printed (word joiners dropped)."""
    table = Document(str(path)).element.body.find(f"{W}tbl")
    return [[unglued("".join(t.text or "" for t in tc.iter(f"{W}t"))) for tc in tr.findall(f"{W}tc")] for tr in table.findall(f"{W}tr")]


def _consortia(path: Path) -> dict[str, list[str]]:
    """序号 → the row's columns, read across the table and its continuation tables."""
    out: dict[str, list[str]] = {}
    for table in Document(str(path)).element.body.iter(f"{W}tbl"):
        for tr in table.findall(f"{W}tr")[2:]:
            cells = [unglued("".join(t.text or "" for t in tc.iter(f"{W}t"))) for tc in tr.findall(f"{W}tc")]
            if cells[0] not in out:
                out[cells[0]] = cells
            else:  # a continuation: its text follows on, between names or inside a long one
                out[cells[0]] = [a if not b else a + ("、" if a and not a.endswith("、") else "") + b for a, b in zip(out[cells[0]], cells, strict=True)]
                out[cells[0]][0] = cells[0]
    return out


def test_one_row_per_consortium_in_order(example_root: Path, tmp_path: Path) -> None:
    result = build_summary([example_root, _second(example_root, tmp_path)], tmp_path / "out", pdf=False)
    assert result.exit_code == 0 and result.docx is not None
    rows = _rows(result.docx)
    header_cells = rows[0] + rows[1]
    for label in ("序号", "联合体名称", "牵头部门", "牵头园区或牵头企业", "理事会成员构成", "秘书处成员构成", "参与单位", "园区", "企业", "院校", "科研机构"):
        assert label in header_cells
    data = _consortia(result.docx)
    assert list(data) == ["1", "2"]
    assert [r[1] for r in data.values()] == ["重庆云岭智能网联新能源汽车零部件市域产教联合体", "重庆云岭现代物流市域产教联合体"]
    app, _d = load_application(example_root)
    assert data["1"][5].replace("、", "") == "".join(app.get("overview.secretariat.members"))
    assert [row["name"] for row in result.rows] == [r[1] for r in data.values()]  # reported as plain text
    assert leftover_tags(result.docx.read_bytes()) == []
    # the two-row header keeps its spans: 参与单位 over four columns, the others over both rows
    tbl = Document(str(result.docx)).element.body.find(f"{W}tbl")
    spans = [tc.find(f"{W}tcPr/{W}gridSpan") for tc in tbl.find(f"{W}tr").findall(f"{W}tc")]
    assert [int(s.get(f"{W}val")) for s in spans if s is not None] == [4]


def test_template_reads_only_what_the_context_has(example_root: Path) -> None:
    app, _d = load_application(example_root)
    assert template_variables(templates_dir() / TEMPLATE) <= set(build_context(app))


def test_a_broken_consortium_names_its_folder_and_nothing_is_written(example_root: Path, tmp_path: Path) -> None:
    broken = _second(example_root, tmp_path)
    basics = broken / "基本信息.yaml"
    basics.write_text(basics.read_text(encoding="utf-8").replace("推荐区县:", "推荐区:"), encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run([str(CHANJIAO), "summary", str(example_root), str(broken), "-o", str(out), "--no-pdf"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "乙联合体/基本信息.yaml:" in done.stdout and "未知的键“推荐区”" in done.stdout
    assert not out.exists() or not list(out.iterdir())


def test_cli_writes_the_table(example_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run([str(CHANJIAO), "summary", str(example_root), str(_second(example_root, tmp_path)), "-o", str(out), "--no-pdf"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1. 重庆云岭智能网联新能源汽车零部件市域产教联合体" in done.stdout and "2. 重庆云岭现代物流市域产教联合体" in done.stdout
    assert (out / "重庆市市域产教联合体建设方案汇总表.docx").is_file()


@pytest.mark.libreoffice
def test_summary_pdf_is_a_landscape_table_with_both_consortia(example_root: Path, tmp_path: Path, libreoffice: Path) -> None:
    from generator.pdf.reader import read_pdf

    result = build_summary([example_root, _second(example_root, tmp_path)], tmp_path / "out", pdf=True)
    assert result.pdf is not None
    info = read_pdf(result.pdf)
    width, height = info.page_sizes[0]
    assert width > height
    text = "".join(info.text.split())
    assert "表重庆市市域产教联合体建设方案" in text
    assert "重庆云岭智能网联新能源汽车零部件市域产教联合体" in text and "重庆云岭现代物流市域产教联合体" in text


@pytest.mark.libreoffice
def test_a_long_summary_continues_page_by_page_under_its_title(example_root: Path, tmp_path: Path, libreoffice: Path) -> None:
    from generator.pdf.reader import read_pdf
    from tests.large_app import make_large_application

    large = make_large_application(tmp_path / "large")
    result = build_summary([example_root, large], tmp_path / "out", pdf=True)
    assert result.pdf is not None
    info = read_pdf(result.pdf)
    pages = ["".join(t.split()) for t in info.page_texts]
    assert len(pages) >= 3
    # Every page is a page of the table: its title first (（续） after the first page), its header.
    for n, text in enumerate(pages):
        title = "表重庆市市域产教联合体建设方案" + ("（续）" if n else "")
        assert text.startswith(title + "序号"), (n, text[:40])
        assert "参与单位园区企业院校科研机构" in text
    # Nothing is lost on the way: every firm of both consortia is printed.
    printed = "".join(pages)
    for root in (example_root, large):
        app, _d = load_application(root)
        for unit in build_context(app)["overview"]["members"]["enterprises"]:
            name = unit["name"]
            rest = iter(printed)
            assert all(ch in rest for ch in name), name
