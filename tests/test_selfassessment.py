"""The 自评表: a third document printing, for every indicator, where the plan and the 推荐书
address it with the page numbers those PDFs print (read back), the 推荐书's figures and the team's
自评说明; in the package only when 项目.yaml asks for it.

The page numbers are checked against the PDFs independently of pdf/pagemap.py: pdftotext page
by page, the page whose text holds the tagged heading or paragraph, and the number its footer
prints.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document as open_docx

from tests.conftest import EXAMPLE, squash

#: Tags written into a copy of the example (the example itself is tagged by another change):
#: (file, the line the tag goes before, ids). Headings of both levels, a bold-led paragraph, a
#: part's last section, places before and after the plan's landscape summary-table page, and
#: paragraphs inside the 推荐书's 3.特色与创新 cell.
TAGS = (
    ("建设方案/1-创建条件.md", "# 基本情况", "1.1"),
    ("建设方案/1-创建条件.md", "## 组织架构初步建立", "1.3"),
    ("建设方案/3-建设内容与举措.md", "## 设立产教联合体理事会", "2.1, 2.4"),
    ("建设方案/3-建设内容与举措.md", "**将联合体建设纳入成员单位考核。**", "1.2"),
    ("建设方案/3-建设内容与举措.md", "## 打造紧跟产业发展的教学资源", "3.2"),
    ("建设方案/3-建设内容与举措.md", "## 建设共性技术服务平台", "5.1"),
    ("建设方案/6-保障措施.md", "# 强化考核评价，确保建设实效", "6.2"),
    ("推荐书/3-特色与创新.md", "**六、数字赋能的智慧治理。**", "6.1"),
    ("推荐书/3-特色与创新.md", "**七、服务国家和区域重大战略成效明显。**", "5.4"),
)
NOTE_1_1 = "牵头园区产值超过千亿元，牵头企业为行业龙头"


def all_notes() -> dict[str, str]:
    """A 自评说明 for every indicator that has one (1.1: NOTE_1_1)."""
    from generator.form.declaration import load_form

    notes = {i.id: f"观测点{i.id}已落实" for i in load_form().indicators if i.note}
    return {**notes, "1.1": NOTE_1_1}


def tag_copy(root: Path, *, packaged: bool | None = None, notes: dict[str, str] | None = None) -> Path:
    """A copy of the example at `root` with TAGS written in, `notes` (default: 1.1's only) in
    自评.yaml, and 项目.yaml's 申报材料含自评表 set when `packaged` is not None."""
    shutil.copytree(EXAMPLE, root)
    # The example's own tags and notes out first: these tests place their own, independently.
    for md in root.rglob("*.md"):
        md.write_text(re.sub(r"<!--\s*指标[^>]*-->\n?", "", md.read_text(encoding="utf-8")), encoding="utf-8")
    own = root / "自评.yaml"
    own.write_text(re.sub(r"^自评说明:\n(?:[ #].*\n|\n)*", "", own.read_text(encoding="utf-8"), flags=re.M), encoding="utf-8")
    for rel, line, ids in TAGS:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert text.count("\n" + line) + text.startswith(line) == 1, (rel, line)
        at = 0 if text.startswith(line) else text.index("\n" + line) + 1
        path.write_text(f"{text[:at]}<!-- 指标: {ids} -->\n{text[at:]}", encoding="utf-8")
    path = root / "自评.yaml"
    written = "".join(f"  {k}: {v}\n" for k, v in (notes or {"1.1": NOTE_1_1}).items())
    path.write_text(path.read_text(encoding="utf-8") + f"自评说明:\n{written}", encoding="utf-8")
    if packaged is not None:
        project = root / "项目.yaml"
        project.write_text(project.read_text(encoding="utf-8") + f"申报材料含自评表: {'是' if packaged else '否'}\n", encoding="utf-8")
    return root


def pdf_pages(pdf: Path) -> list[str]:
    """Each page's text as pdftotext (poppler) reads it."""
    count = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout).group(1))  # type: ignore[union-attr]
    return [
        subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        for n in range(1, count + 1)
    ]


def footer_number(page_text: str) -> int | None:
    """The “— N —” a page prints (its footer; the landscape page prints it turned)."""
    found = re.findall(r"[—–-]\s*(\d+)\s*[—–-]", page_text)
    return int(found[-1]) if found else None


def rows(docx: Path) -> dict[str, list[str]]:
    """The 自评表's rows by indicator id: [id, wording, places, figures, note], read from the .docx."""
    table = open_docx(str(docx)).tables[0]
    out = {}
    for row in table.rows[1:]:
        cells = [c.text.replace("\u2060", "") for c in row.cells]
        if cells[0] != cells[-1]:  # a group row is one cell across the table
            out[cells[0]] = cells
    return out


def stripped(text: str) -> str:
    return squash(text).replace("\u2060", "")


@pytest.fixture(scope="module")
def tagged_build(tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> tuple[Path, object]:
    """The tagged example with every note written and 申报材料含自评表: 是, built once with PDFs."""
    from generator.pipeline import build

    base = tmp_path_factory.mktemp("selfdoc")
    root = tag_copy(base / "content", packaged=True, notes=all_notes())
    out = base / "out"
    return out, build(root, out, pdf=True)


def _find(out: Path, title: str, suffix: str) -> Path:
    return next(out.glob(f"*-{title}{suffix}"))


def test_pages_printed_are_the_pages_the_plan_and_recommendation_print(tagged_build: tuple[Path, object]) -> None:
    out, result = tagged_build
    table = rows(_find(out, "自评表", ".docx"))
    pages = {title: pdf_pages(_find(out, title, ".pdf")) for title in ("建设方案", "推荐书")}
    checked = 0
    for _rel, line, ids in TAGS:
        anchor = stripped(line.lstrip("#").replace("**", ""))[:12]
        for id_ in (i.strip() for i in ids.split(",")):
            places = [p for p in table[id_][2].split("\n") if p.strip()]
            assert len(places) == 1, table[id_]
            document, page, where = re.fullmatch(r"(\S+) 第(\d+)页 (.+)", places[0]).groups()  # type: ignore[union-attr]
            # Independently: the first page (after the plan's title page) holding the tagged
            # text, and the number that page's footer prints.
            texts = pages[document]
            index = next(n for n, t in enumerate(texts) if anchor in stripped(t) and footer_number(t) is not None)
            assert int(page) == footer_number(texts[index]), (id_, places[0], index)
            # What the place names (a heading with the number the plan prints, or the part)
            # is printed on that page or the part continues there.
            assert stripped(where) in stripped(texts[index]) or document == "推荐书", (id_, where)
            checked += 1
    assert checked == 10
    # The plan's pages start after its cover: page 1 is the second PDF page.
    assert footer_number(pages["建设方案"][0]) is None and footer_number(pages["建设方案"][1]) == 1
    assert result.evidence_pages  # type: ignore[attr-defined]


def test_heading_numbers_and_parts_as_printed(tagged_build: tuple[Path, object]) -> None:
    out, _result = tagged_build
    table = rows(_find(out, "自评表", ".docx"))
    assert re.fullmatch(r"建设方案 第\d+页 1\.设立产教联合体理事会", table["2.1"][2])
    assert re.fullmatch(r"建设方案 第\d+页 （一）基本情况", table["1.1"][2])
    assert re.fullmatch(r"建设方案 第\d+页 （四）强化考核评价，确保建设实效", table["6.2"][2])
    # The 推荐书's prose has no numbered outline: the part as printed.
    assert re.fullmatch(r"推荐书 第\d+页 3\.特色与创新", table["6.1"][2])
    # Not tagged: printed as such, not left blank.
    assert table["4.1"][2] == "—"


def test_figures_notes_and_declaration(tagged_build: tuple[Path, object]) -> None:
    out, _result = tagged_build
    table = rows(_find(out, "自评表", ".docx"))
    from generator.check.validate import check_content

    _report, app = check_content(EXAMPLE)
    y0, y1 = (app.values[f"capacity.resources.majors.y{n}"].value for n in (0, 1))
    # the baseline year's figure → the next year's, as the 推荐书 file writes them
    assert f"共建专业：{y0} → {y1}个" in table["3.2"][3].split("\n"), table["3.2"][3]
    # a yearly text (200 字 a year) is the 推荐书's to print, not a figure
    assert "动态调整机制情况" not in table["4.1"][3]
    assert table["1.1"][4] == NOTE_1_1
    assert table["1.2"][4] == "观测点1.2已落实"
    assert table["7"][2] == "近3年未发生重大违法违规事件"


def test_self_assessment_passes_read_back_and_layout(tagged_build: tuple[Path, object]) -> None:
    _out, result = tagged_build
    doc = next(r for r in result.documents if r.doc.id == "self_assessment")  # type: ignore[attr-defined]
    assert doc.pdf is not None and doc.pages and doc.pages >= 2
    assert doc.inspection is not None
    assert [d.message for d in doc.inspection.diagnostics] == []
    # the header row repeats on every page (the table runs over pages)
    pages = pdf_pages(doc.pdf)
    assert all("观测点" in p and "自评说明" in p for p in pages)
    assert [footer_number(p) for p in pages] == list(range(1, len(pages) + 1))
    messages = [d.message for d in result.report.diagnostics]  # type: ignore[attr-defined]
    assert not any("自评表" in m for m in messages), messages


def test_in_the_package_only_when_asked(tagged_build: tuple[Path, object], tmp_path: Path) -> None:
    from generator.pdf.reader import count_pages, read_pdf
    from generator.pipeline import build

    out, result = tagged_build
    package = result.package  # type: ignore[attr-defined]
    assert package is not None
    outline = [b.title for b in read_pdf(package, text=False).outline if b.level == 0]
    assert outline.index("自评表") == outline.index("推荐书") + 1
    with_it = count_pages(package)
    self_pages = count_pages(_find(out, "自评表", ".pdf"))

    root = tag_copy(tmp_path / "content", packaged=None, notes=all_notes())  # default: 否
    again = build(root, tmp_path / "out", pdf=True)
    assert again.package is not None
    assert "自评表" not in [b.title for b in read_pdf(again.package, text=False).outline if b.level == 0]
    assert count_pages(again.package) == with_it - self_pages
    # always built, also when not submitted
    assert _find(tmp_path / "out", "自评表", ".pdf").is_file()


def test_a_missing_note_is_a_gap_only_when_submitted(tmp_path: Path) -> None:
    from generator.pipeline import build

    kept = build(tag_copy(tmp_path / "kept"), tmp_path / "kept-out", pdf=False)
    # not in the package: a note not written prints blank, and is no error
    assert rows(_find(tmp_path / "kept-out", "自评表", ".docx"))["1.2"][4] == ""
    assert not [d for d in kept.report.errors if d.code == "self-assessment-note"]

    sent = build(tag_copy(tmp_path / "sent", packaged=True), tmp_path / "sent-out", pdf=False)
    table = rows(_find(tmp_path / "sent-out", "自评表", ".docx"))
    assert table["1.1"][4] == NOTE_1_1
    assert table["1.2"][4] == "【待填写：自评 › 自评说明 › 1.2】"
    errors = [d for d in sent.report.errors if d.code == "self-assessment-note"]
    assert len(errors) == len(all_notes()) - 1 and errors[0].location.path == "自评.yaml"
    assert "观测点 1.2 的自评说明未填写" in errors[0].message
    assert sent.exit_code == 1  # with PDFs, the package would wait for the notes
    # `check` says so before any build
    from generator.check.validate import check_content

    report, _app = check_content(tmp_path / "sent")
    checked = [d for d in report.errors if d.code == "self-assessment-note"]
    assert [d.message for d in checked] == [d.message for d in errors]
    assert {d.location.path for d in checked} == {"自评.yaml"}


def test_without_pdfs_pages_print_as_a_dash_and_the_report_says_why(tmp_path: Path) -> None:
    from generator.check.report import render_build_text
    from generator.pipeline import build

    root = tag_copy(tmp_path / "content")
    result = build(root, tmp_path / "out", pdf=False)
    table = rows(_find(tmp_path / "out", "自评表", ".docx"))
    assert table["2.1"][2] == "建设方案 第—页 1.设立产教联合体理事会"
    assert table["6.1"][2] == "推荐书 第—页 3.特色与创新"
    text = render_build_text(result)
    assert "自评表中的页码印为“—”" in text
    body = "\n".join(p.text for p in open_docx(str(_find(tmp_path / "out", "自评表", ".docx"))).paragraphs)
    assert "未生成 PDF" in body
    assert result.evidence_pages == {}


def test_an_anchor_not_found_maps_to_none() -> None:
    from generator.pdf.pagemap import PageMap, locate

    pages = PageMap("甲乙丙丁戊己庚辛", (0, 0, 0, 1, 1, 1, 2, 2), (None, 1, 2))
    # in order, searching forward; the same text twice is the same place; one not there: None
    assert locate(pages, ["乙丙", "丁戊", "丁戊", "子丑", "辛"]) == [None, 1, 1, None, 2]
    # a text before the previous hit is not found backwards
    assert locate(pages, ["庚辛", "甲乙"]) == [2, None]


def _rebuild_copy(tagged_build: tuple[Path, object], tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the tagged build (content and output): a rebuild there compares with its state."""
    out, _result = tagged_build
    root = tmp_path / "content"
    shutil.copytree(out.parent / "content", root)
    shutil.copytree(out, tmp_path / "out")
    return root, tmp_path / "out"


def test_a_note_changed_rebuilds_only_the_self_assessment(tagged_build: tuple[Path, object], tmp_path: Path) -> None:
    from generator.pipeline import build

    _out, first = tagged_build
    root, out = _rebuild_copy(tagged_build, tmp_path)
    notes = root / "自评.yaml"
    notes.write_text(notes.read_text(encoding="utf-8").replace(NOTE_1_1, "园区产值高"), encoding="utf-8")
    again = build(root, out, pdf=True)
    assert {r.doc.id: r.rebuilt for r in again.documents} == {"plan": False, "recommendation": False, "self_assessment": True}
    assert again.evidence_pages == first.evidence_pages  # type: ignore[attr-defined]
    assert rows(_find(out, "自评表", ".docx"))["1.1"][4] == "园区产值高"


def test_a_place_not_found_prints_a_dash_and_warns_at_its_tag(
    tagged_build: tuple[Path, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulated: the plan's PDF does not print the text a tag marks (pagemap finds nothing)."""
    import generator.pdf.pagemap as pagemap
    from generator.check.report import render_report_text
    from generator.pipeline import build

    root, out = _rebuild_copy(tagged_build, tmp_path)
    real = pagemap.printed_pages
    monkeypatch.setattr(pagemap, "printed_pages", lambda pdf, anchors, pages=None: [None] * len(anchors) if "建设方案" in pdf.name else real(pdf, anchors, pages))
    (root / "自评.yaml").write_text((root / "自评.yaml").read_text(encoding="utf-8") + "  1.2: 已纳入考核\n", encoding="utf-8")
    result = build(root, out, pdf=True)
    table = rows(_find(out, "自评表", ".docx"))
    assert table["2.1"][2] == "建设方案 第—页 1.设立产教联合体理事会"
    assert re.fullmatch(r"推荐书 第\d+页 3\.特色与创新", table["6.1"][2])
    text = render_report_text(result.report)
    tag_line = next(n for n, line in enumerate((root / "建设方案/3-建设内容与举措.md").read_text(encoding="utf-8").splitlines(), 1) if "2.1, 2.4" in line)
    assert re.search(rf"建设方案/3-建设内容与举措\.md:{tag_line}:\d+: 警告: 建设方案 PDF 中找不到此处标注的文字", text), text


def test_the_template_reads_only_what_the_context_holds() -> None:
    """Template lint: every name the 自评表 template reads (its footnotes included) is in the
    context it renders with."""
    from generator.content.loader import load_application
    from generator.pipeline import _assessment
    from generator.word.context import build_context
    from generator.word.documents import templates_dir
    from generator.word.render import template_variables

    app, _diagnostics = load_application(EXAMPLE)
    context = build_context(app) | {"assessment": _assessment(app, None)}
    names = template_variables(templates_dir() / "自评表.docx")
    assert {"assessment", "footnotes"} <= names <= set(context)
