"""The 推荐书 .docx read back against the official form (附件4) and its declaration.

Labels in the form's order, the merged spans of grouped labels, footnotes and their texts, every
figure in its cell, the fixed texts verbatim, fonts and spacing, escaping, determinism and pages.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, ContentCopy
from lxml import etree
from ooxml import CT, StyleSheet, WordDocument, assert_valid_docx, w

from generator.check.validate import check_content
from generator.content.loader import load_application
from generator.errors import ToolError
from generator.form.declaration import load_form
from generator.pipeline import build, render_documents
from generator.word.blocks import is_latin, prose_writer, split_runs_by_script
from generator.word.context import build_context, document_date
from generator.word.documents import RECOMMENDATION, templates_dir
from generator.word.render import leftover_tags, render_document, template_variables

TEMPLATE = templates_dir() / RECOMMENDATION.template
FOUNDER = {"方正仿宋_GBK", "方正黑体_GBK", "方正楷体_GBK", "方正小标宋_GBK"}
MM = 1440 / 25.4  # twips
TEXT_WIDTH = 11906 - round(28 * MM) - round(26 * MM)

# -- the official form, verbatim -------------------------------------------------------------------
# Copied from the round's notice (附件4, the seed text), footnote marker digits removed. The example's
# baseline year is 2023, the seed's, so the example prints these exactly.

SEED_INSTRUCTIONS = (
    "一、请如实填写，规范严谨，及时提交。",
    "二、申报内容体现已有基础和建设承诺，明确时间、内容、结果，重点突出，逻辑清晰，叙述准确、精炼，不超出相应部分的篇幅规定要求。",
    "三、年度数据截止时间为每年12月31日，2023年数据为拟组成联合体成员单位的汇总数据，2024—2026年数据为申报单位承诺的建成数据。",
    "四、文字内容的字体为方正仿宋_GBK，字号为三号，行距为固定值16磅。",
)
SEED_NO_VIOLATION = "产教联合体各成员单位近3年内在招生、就业、安全等领域未发生过违法或重大违规事件。"
SEED_PLEDGE = (
    "我承诺：前述所填报数据、内容均真实、准确、有效，并自愿接受有关方面核查。"
    "如有弄虚作假或其他违规行为，自愿退出认定，并接受处理。"
)
SEED_FOOTNOTES = {
    "leader": "联合体负责人指联合体牵头单位负责同志。",
    "commitment": "2024—2026年填写承诺建成数据，下同。",
    "above_scale": "规模以上工业：指年主营业务收入在2000万元及以上的工业企业。",
    "above_quota": (
        "限额以上贸易业：①批发业(包括外贸企业)：年商品销售总额在2000万元以上；②零售业：年商品销售总额在500万元以上；"
        "③住宿业：年主营业务收入200万元以上；④餐饮业：年主营业务收入200万元以上。"
    ),
}

# Every label, box, unit and fixed text of the form (FORMS.md, 附件4) in the order a reader meets
# them, for baseline year 2023. Compared with whitespace removed ("推 荐 区 县" is 推荐区县).
FORM_SEQUENCE = (
    "附件4", "市域产教联合体推荐书",
    "申报类型", "由产业园区牵头的产教联合体", "由行业企业牵头的产教联合体",
    # The hints （区县政府）（产业园区） print only where the value is empty (the example fills both).
    "联合体名称", "推荐区县", "（公章）", "牵头园区", "（公章）",
    "牵头学校", "（公章）", "（公章）", "牵头企业", "（公章）", "填表日期",
    "说明", *SEED_INSTRUCTIONS,
    "1.联合体概况", "联合体名称", "（拟）成立时间", "联合体负责人", "职务及联系方式",
    "秘书处（办公室）情况", "秘书处所在单位", "秘书处负责人", "固定办公面积", "㎡", "联系电话",
    "人员总数", "专职人数", "兼职人数", "人员姓名及联系电话",
    "联合体成员情况", "组成", "单位名称", "联系人及联系电话",
    "推荐单位", "牵头单位", "政府部门", "园区", "企业", "学校", "科研机构", "其他组织",
    "拟投入运行经费总额（万元）", "2024年", "2025年", "2026年",
    "2024年拟投入运行经费来源（万元）", "牵头单位负担", "政府核拨", "其他成员负担", "其他途径",
    "联合体已开展建设情况",
    "2.服务能力", "资源共建共享", "项目名称", "2023年", "2024年",
    "共建专业", "个", "个", "共建课程", "个", "个", "共建教材", "个", "个", "共建实训基地", "个", "个",
    "共建产业学院", "个", "个",
    "师资共建共享", "企业兼职教师", "人次", "人次", "课时数", "课时数",
    "校际兼职教师", "人次", "人次", "课时数", "课时数", "教师企业实践", "人月", "人月",
    "教师教学团队获国家级奖励情况",
    "人才培养质量", "联合培养情况", "类型", "2023年", "2024年",
    "中国特色学徒制培养", "人", "人", "现场工程师培养", "人", "人", "其他联合培养", "人", "人",
    "发布人才需求报告（个）",
    "搭建人才供需信息平台，完善职业教育专业动态调整机制情况",
    "联合体各类主体深入合作，及时把新方法、新技术、新工艺、新标准引入教育教学实践情况",
    "联合体内企业设立学徒岗位占岗位总量的比例（％）", "联合体内企业为学生提供实习实训量（人月）",
    "中高职贯通培养（人数）", "中高本衔接培养（人数）",
    "联合体内普通本科学校招收中高职毕业生和企业一线优秀员工就读本科和专业学位研究生（人数）",
    "通过“文化素质+职业技能”考试招生学生升学比例（％）", "联合体学校整体就业率（％）",
    "职业院校技能大赛获奖情况",
    "服务发展能力", "项目名称", "2023年", "2024年", "共性技术服务平台（个）",
    "校企合作开展技术研发的成果转化率（％）/到账经费（万元）", "研究成果数量（个）", "技能鉴定量（人次）",
    "大师工作室数量（个）", "面向企业员工开展培训数（人日）", "面向农民工、退役军人、下岗职工等培训数（人日）",
    "联合体企业情况", "企业职工总数（人）", "企业资产总额（万元）", "2023年企业销售总额（万元）",
    "2023年校企合作产生的直接经济效益（万元）", "规模以上企业数（个）", "限额以上企业数（个）",
    "3.特色与创新", SEED_NO_VIOLATION, "4.建设规划",
    "5.申报承诺", "申报单位承诺", SEED_PLEDGE, "负责人签字", "公章", "年月日",
)

MEMBER_CATEGORIES = ("recommender", "leads", "government", "parks", "enterprises", "schools", "institutes", "others")


# -- reading the document back --------------------------------------------------------------------


def text(el: etree._Element) -> str:
    """The text of an element: w:t as written, w:br as a newline, without the word joiners that
    keep dates and figures on one line (generator/core/nobreak.py)."""
    return "".join("\n" if node.tag == w("br") else node.text or "" for node in el.iter(w("t"), w("br"))).replace("\u2060", "")


def squeeze(s: str) -> str:
    return re.sub(r"\s+", "", s)


@dataclass
class Cell:
    """One w:tc: where it starts in the grid, how far it spans, its vertical merge and its text."""

    col: int
    span: int
    vmerge: str | None  # "restart", "continue" or None
    text: str
    tc: etree._Element


def cell_text(tc: etree._Element) -> str:
    return "\n".join(text(p) for p in tc.iter(w("p"))).strip("\n")


def grid_rows(tbl: etree._Element) -> list[list[Cell]]:
    rows = []
    for tr in tbl.findall(w("tr")):
        col, cells = 0, []
        for tc in tr.findall(w("tc")):
            span_el = tc.find(f"{w('tcPr')}/{w('gridSpan')}")
            span = int(span_el.get(w("val"))) if span_el is not None else 1
            vm_el = tc.find(f"{w('tcPr')}/{w('vMerge')}")
            vmerge = None if vm_el is None else (vm_el.get(w("val")) or "continue")
            cells.append(Cell(col, span, vmerge, cell_text(tc), tc))
            col += span
        rows.append(cells)
    return rows


def texts(rows: list[list[Cell]]) -> list[list[str]]:
    return [[c.text for c in row] for row in rows]


def merged(rows: list[list[Cell]], label: str) -> tuple[int, int]:
    """(rows, grid columns) the cell starting a vertical merge with text `label` covers."""
    for r, row in enumerate(rows):
        for cell in row:
            if cell.text == label and cell.vmerge == "restart":
                n = 1
                while r + n < len(rows) and any(c.col == cell.col and c.vmerge == "continue" for c in rows[r + n]):
                    n += 1
                return n, cell.span
    raise AssertionError(f"no merged cell labelled {label!r}")


class Recommendation(WordDocument):
    """A rendered 推荐书, parsed: the shared reading plus its tables and its footnotes.

    1.联合体概况 is four tables (basics and secretariat, members, funding, 已开展建设情况) and
    2.服务能力 five (one per group), so that each can repeat its own header row on every page.
    """

    def __init__(self, path: Path):
        super().__init__(path)
        self.tables = self.body.findall(w("tbl"))
        assert len(self.tables) == 13, len(self.tables)
        self.cover = self.tables[0]
        self.overview = self.tables[1:5]
        self.capacity = self.tables[5:10]
        self.features, self.roadmap, self.pledge = self.tables[10:]
        self.basic, self.members, self.funding, self.progress = self.overview

    def rows(self, tables: list[etree._Element]) -> list[list[Cell]]:
        """The grid rows of several tables, one after another."""
        return [row for t in tables for row in grid_rows(t)]

    def flat_text(self) -> str:
        return squeeze(text(self.body))

    def footnotes(self) -> dict[str, etree._Element]:
        root = self.pkg.xml["word/footnotes.xml"]
        return {f.get(w("id")): f for f in root.findall(w("footnote"))}


def render_example_like(app: Any, context: dict[str, Any], out_path: Path) -> Path:
    """Render the 推荐书 from a context a test changed, the way the pipeline renders it."""
    return render_document(
        TEMPLATE, context, out_path, when=document_date(app), write_prose=prose_writer(app), finish=split_runs_by_script
    )


def build_recommendation(root: Path, out_dir: Path) -> Path:
    """Render the 推荐书 from the content repo at `root` the way `chanjiao build` does."""
    app, _diagnostics = load_application(root)
    (path,) = render_documents(app, out_dir, (RECOMMENDATION,))
    return path


def sub_once(pattern: str, repl: str) -> Callable[[str], str]:
    """A content edit replacing exactly one match of `pattern` (fails loudly if the file changed shape)."""

    def edit(text_: str) -> str:
        out, n = re.subn(pattern, lambda m: m.expand(repl), text_, flags=re.MULTILINE | re.DOTALL)
        assert n == 1, f"{pattern!r} matched {n} times"
        return out

    return edit


def type_line(marks: dict[str, str]) -> str:
    return "申报类型：" + "\n".join(f"{marks[k]}{label}" for k, label in (
        ("park", "由产业园区牵头的产教联合体"), ("enterprise", "由行业企业牵头的产教联合体")))


@pytest.fixture(scope="module")
def example() -> tuple[Any, dict[str, Any]]:
    app, diagnostics = load_application(EXAMPLE)
    assert not [d for d in diagnostics if d.severity.value == "error"], diagnostics
    return app, build_context(app)


@pytest.fixture(scope="module")
def rec(tmp_path_factory: pytest.TempPathFactory) -> Recommendation:
    """The example application's 推荐书, rendered once for the read-only tests."""
    return Recommendation(build_recommendation(EXAMPLE, tmp_path_factory.mktemp("rec")))


# -- the form, label by label ------------------------------------------------------------------------


def test_written_under_the_consortium_name(rec: Recommendation, example: tuple[Any, dict[str, Any]]) -> None:
    _app, ctx = example
    assert rec.path.name == f"{ctx['basics']['name']}-推荐书.docx"


def test_every_label_of_the_form_in_order(rec: Recommendation) -> None:
    flat, pos = rec.flat_text(), 0
    for item in FORM_SEQUENCE:
        found = flat.find(squeeze(item), pos)
        assert found >= 0, f"{item!r} missing after …{flat[max(0, pos - 30):pos]}"
        pos = found + len(squeeze(item))
    assert "None" not in flat


def test_part_headings(rec: Recommendation) -> None:
    assert [text(p) for p in rec.paragraphs("CJ部分标题")] == [
        "1.联合体概况", "2.服务能力", "3.特色与创新", "4.建设规划", "5.申报承诺",
    ]
    assert [text(p) for p in rec.paragraphs("CJ说明")] == list(SEED_INSTRUCTIONS)
    assert [squeeze(text(p)) for p in rec.paragraphs("CJ说明标题")] == ["说明"]


def test_labels_come_from_the_declaration(example: tuple[Any, dict[str, Any]], tmp_path: Path) -> None:
    """Every label the declaration holds is printed from it: change them all, see every one change."""
    app, ctx = example

    def mark(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: mark(v) for k, v in node.items()}
        return node + "◇" if isinstance(node, str) else node

    changed = {**ctx, "labels": mark(ctx["labels"])}
    changed["application_types"] = [{**t, "label": t["label"] + "◇"} for t in ctx["application_types"]]
    doc = Recommendation(render_example_like(app, changed, tmp_path / "marked.docx"))
    fixed = {"组成", "单位名称", "联系人及联系电话", "项目名称", "类 型", "申报单位承诺"}
    labels = [c.text for t in (*doc.overview, *doc.capacity) for row in grid_rows(t) for c in row
              if c.tc.find(f".//{w('pStyle')}[@{w('val')}='{doc.sid('CJ表格标签')}']") is not None and c.text]
    assert len(labels) > 80
    for label in labels:
        assert label.endswith("◇") or label in fixed or re.fullmatch(r"\d{4}年", label), label
    cover_labels = [text(p) for p in doc.paragraphs("CJ封面标签") if text(p)]  # later lead units: no label
    assert cover_labels == [f"{x}◇" for x in ("联合体名称", "推荐区县", "牵头园区", "牵头学校", "牵头企业", "填表日期")]
    assert [text(p) for p in doc.paragraphs("CJ部分标题")][:4] == [
        "1.联合体概况◇", "2.服务能力◇", "3.特色与创新◇", "4.建设规划◇",
    ]
    assert "由产业园区牵头的产教联合体◇" in doc.flat_text()


def test_years_follow_the_baseline(example: tuple[Any, dict[str, Any]], tmp_path: Path) -> None:
    app, _ctx = example
    app2 = type(app)(form=app.form, root=app.root, baseline_year=2024, values=app.values, prose=app.prose)
    doc = Recommendation(render_example_like(app2, build_context(app2), tmp_path / "2024.docx"))
    assert text(doc.paragraphs("CJ说明")[2]) == (
        "三、年度数据截止时间为每年12月31日，2024年数据为拟组成联合体成员单位的汇总数据，2025—2027年数据为申报单位承诺的建成数据。"
    )
    rows = texts(doc.rows(doc.overview))
    assert ["拟投入运行经费总额（万元）", "2025年", "2026年", "2027年"] in rows
    assert any(r[0] == "2025年拟投入运行经费来源（万元）" for r in rows)
    heads = [texts(grid_rows(t))[0] for t in doc.capacity[:4]]
    assert all(h[1:] == ["项目名称", "2024年", "2025年"] for h in heads), heads
    cap = texts(doc.rows(doc.capacity))
    assert [r[0] for r in cap if r[0] in ("2024年", "2025年") and len(r) == 2][:2] == ["2024年", "2025年"]
    assert any(r[0] == "2024年企业销售总额（万元）" for r in cap)
    notes = {squeeze(text(f)) for f in doc.footnotes().values()}
    assert "2025—2027年填写承诺建成数据，下同。" in notes


# -- the cover ---------------------------------------------------------------------------------------


def test_cover(rec: Recommendation, example: tuple[Any, dict[str, Any]]) -> None:
    _app, ctx = example
    b = ctx["basics"]
    assert [text(p) for p in rec.paragraphs("CJ附件号")] == ["附件4"]
    assert text(rec.paragraphs("CJ封面标题")[0]) == "市域产教联合体推荐书"
    chosen = b["application_type"]
    assert text(rec.paragraphs("CJ封面类型")[0]) == type_line({k: "☑" if k == chosen else "□" for k in ("park", "enterprise")})
    # Values replace the form's hints; each lead unit has its own line and its own seal.
    assert len(b["lead_schools"]) == 2 and len(b["lead_enterprises"]) == 1
    assert texts(grid_rows(rec.cover)) == [
        ["联合体名称", b["name"], ""],
        ["推荐区县", b["district"], "（公章）"],
        ["牵头园区", b["lead_park"], "（公章）"],
        ["牵头学校", b["lead_schools"][0], "（公章）"],
        ["", b["lead_schools"][1], "（公章）"],
        ["牵头企业", b["lead_enterprises"][0], "（公章）"],
        ["填表日期", b["form_date"], ""],
    ]
    # Every value is underlined to the column's end: its runs, then an underlined tab.
    for row in grid_rows(rec.cover):
        runs = [r for r in row[1].tc.iter(w("r"))]
        assert runs and runs[-1].find(w("tab")) is not None
        for r in runs:
            assert rec.styles.run_property(row[1].tc.find(w("p")), r, "u").get(w("val")) == "single", text(r)


def test_cover_marks_use_one_symbol_font(rec: Recommendation) -> None:
    (p,) = rec.paragraphs("CJ封面类型")
    marks = [r for r in p.iter(w("r")) if text(r) in ("☑", "□")]
    assert sorted(text(r) for r in marks) == ["□", "☑"]
    for r in marks:
        fonts = rec.styles.run_fonts(p, r)
        assert set(fonts.values()) == {"Segoe UI Symbol"}, fonts  # fonts.conf maps it to one face with both
        assert rec.styles.run_property(p, r, "sz").get(w("val")) == "32"


def test_cover_hints_print_only_without_a_value(content_copy: ContentCopy, tmp_path: Path) -> None:
    root = content_copy({"基本信息.yaml": lambda t: sub_once(r"^牵头园区:.*$", "牵头园区:")(
        sub_once(r"^牵头企业:\n(  - .*\n)+", "牵头企业: []\n")(t))})
    doc = Recommendation(build_recommendation(root, tmp_path))
    rows = texts(grid_rows(doc.cover))
    assert ["牵头园区", "（产业园区）", "（公章）"] in rows
    assert ["牵头企业", "", "（公章）"] in rows  # the form's blank line and seal, not a missing row
    assert ["推荐区县", "重庆市云岭区人民政府", "（公章）"] in rows


@pytest.mark.parametrize(("setting", "printed"), [
    (None, ["附件4"]), ("推荐书附件标注:", []), ("推荐书附件标注: 附件5", ["附件5"]),
])
def test_attachment_mark_from_the_project_setting(content_copy: ContentCopy, tmp_path: Path, setting: str | None,
                                                  printed: list[str]) -> None:
    # Absent: the official form's 附件4; written empty: no line at all (not an empty paragraph).
    root = content_copy({"项目.yaml": sub_once(r"^  推荐书附件标注:.*\n", f"  {setting}\n" if setting else "")})
    doc = Recommendation(build_recommendation(root, tmp_path))
    assert [text(p) for p in doc.paragraphs("CJ附件号")] == printed
    assert squeeze(text(doc.body)).startswith(f"{''.join(printed)}市域产教联合体推荐书")


@pytest.mark.parametrize(("key", "marks"), [("园区牵头", {"park": "☑", "enterprise": "□"}),
                                            ("企业牵头", {"park": "□", "enterprise": "☑"})])
def test_cover_marks_the_chosen_type(content_copy: ContentCopy, tmp_path: Path, key: str, marks: dict[str, str]) -> None:
    root = content_copy({"基本信息.yaml": sub_once(r"^申报类型:.*$", f"申报类型: {key}")})
    doc = Recommendation(build_recommendation(root, tmp_path))
    assert text(doc.paragraphs("CJ封面类型")[0]) == type_line(marks)


# -- 1.联合体概况 ---------------------------------------------------------------------------------------


def _units(spec_path: str) -> str:
    spec = load_form().by_path()[spec_path]
    return (spec.of or spec).unit


def test_overview_cells(rec: Recommendation, example: tuple[Any, dict[str, Any]]) -> None:
    app, ctx = example
    L, o = ctx["labels"]["overview"], ctx["overview"]
    Ls, s, Lm = L["secretariat"], o["secretariat"], L["members"]
    expected = [
        [ctx["labels"]["basics"]["name"], ctx["basics"]["name"], L["founded"], o["founded"]],
        [L["leader"]["_"], o["leader"]["name"], L["leader"]["title_contact"], o["leader"]["title_contact"]],
        [Ls["_"], Ls["host"], s["host"], Ls["head"], s["head"]],
        ["", Ls["office_area"], s["office_area"] + _units("overview.secretariat.office_area"), Ls["phone"], s["phone"]],
        ["", Ls["staff_total"], s["staff_total"], Ls["staff_full_time"], s["staff_full_time"],
         Ls["staff_part_time"], s["staff_part_time"]],
        ["", Ls["staff"], "\n".join(f"{p['name']} {p['phone']}" for p in s["staff"])],
    ]
    assert texts(grid_rows(rec.basic)) == expected
    # Members: the group and the column heads, then one row per unit, each naming its category
    # (a category of 60 firms runs over pages; every page must show which category a unit is in).
    expected = [[Lm["_"]], ["组成", "单位名称", "联系人及联系电话"]]
    for cat in MEMBER_CATEGORIES:
        for u in o["members"][cat] or [None]:
            contact = "\n".join(x for x in (u["contact"], u["phone"]) if x) if u else ""
            expected.append([Lm[cat], u["name"] if u else "", contact])
    assert texts(grid_rows(rec.members)) == expected
    f, Lf = o["funding_total"], L["funding_sources"]
    expected = [
        [L["funding_total"], "2024年", "2025年", "2026年"],
        ["", f["y1"], f["y2"], f["y3"]],
        [Lf["_"], Lf["lead"], o["funding_sources"]["lead"]],
        ["", Lf["government"], o["funding_sources"]["government"]],
        ["", Lf["members"], o["funding_sources"]["members"]],
        ["", Lf["other"], o["funding_sources"]["other"]],
    ]
    assert texts(grid_rows(rec.funding)) == expected
    assert texts(grid_rows(rec.progress)) == [[ctx["labels"]["progress"]], [app.prose["progress"].text()]]
    assert all(re.fullmatch(r"\d+(\.\d{1,2})?", x) for x in (f["y1"], f["y2"], f["y3"]))  # 万元, ≤ 2 decimals


def header_rows(tbl: etree._Element) -> int:
    """How many leading rows repeat at the top of every page the table runs over."""
    n = 0
    for tr in tbl.findall(w("tr")):
        if tr.find(f"{w('trPr')}/{w('tblHeader')}") is None:
            break
        n += 1
    return n


def test_overview_merged_spans(rec: Recommendation, example: tuple[Any, dict[str, Any]]) -> None:
    _app, ctx = example
    rows = rec.rows(rec.overview)
    members = ctx["overview"]["members"]
    assert merged(rows, "秘书处（办公室）情况") == (4, 1)
    # Members: no merged cells (a merged label prints on its first page only); the group label and
    # the column heads repeat on every page.
    assert header_rows(rec.members) == 2
    assert all(c.vmerge is None for row in grid_rows(rec.members) for c in row)
    assert [[c.span for c in row] for row in grid_rows(rec.members)] == [[3]] + [[1, 1, 1]] * (
        1 + sum(max(1, len(members[c])) for c in MEMBER_CATEGORIES))
    assert header_rows(rec.progress) == 1 and header_rows(rec.basic) == header_rows(rec.funding) == 0
    assert merged(rows, "拟投入运行经费总额（万元）") == (2, 1)
    assert merged(rows, "2024年拟投入运行经费来源（万元）") == (4, 1)
    spans = {row[1].text: [c.span for c in row] for row in rows if len(row) > 1 and row[1].text}
    assert spans["人员姓名及联系电话"] == [1, 1, 6]
    assert spans["2024年"] == [1, 2, 3, 2]
    assert spans["牵头单位负担"] == [1, 2, 5]
    assert [c.span for c in rows[0]] == [1, 3, 2, 2]


def test_a_category_without_units_keeps_its_row(content_copy: ContentCopy, tmp_path: Path) -> None:
    root = content_copy({"推荐书/1-联合体概况.yaml": sub_once(r"^  科研机构:\n.*?(?=^  其他组织:)", "")})
    doc = Recommendation(build_recommendation(root, tmp_path))
    (row,) = [r for r in grid_rows(doc.members) if r[0].text == "科研机构"]
    assert [c.text for c in row] == ["科研机构", "", ""]
    assert_valid_docx(doc.path)


# -- 2.服务能力 ---------------------------------------------------------------------------------------


def test_capacity_cells(rec: Recommendation, example: tuple[Any, dict[str, Any]]) -> None:
    _app, ctx = example
    C, L = ctx["capacity"], ctx["labels"]["capacity"]
    by_path = load_form().by_path()

    def with_unit(path: str, y: str) -> str:
        value = _get(C, path)[y]
        unit = by_path[f"capacity.{path}"].of.unit
        return value + unit if value else ""

    def plain(path: str, y: str) -> str:
        # The form prints these units in the label; the declaration agrees.
        assert by_path[f"capacity.{path}"].of.unit in _get(L, path), path
        return _get(C, path)[y]

    head = ["项目名称", "2023年", "2024年"]
    resources: list[list[str]] = [[L["resources"]["_"], *head]]
    for key in ("majors", "courses", "textbooks", "training_bases", "industry_colleges"):
        resources.append([L["resources"][key], with_unit(f"resources.{key}", "y0"), with_unit(f"resources.{key}", "y1")])
    teachers: list[list[str]] = [[L["teachers"]["_"], *head]]
    for who in ("enterprise_teachers", "school_teachers"):
        teachers.append([L["teachers"][who]["_"], with_unit(f"teachers.{who}.persons", "y0"),
                         with_unit(f"teachers.{who}.persons", "y1")])
        teachers.append(["", with_unit(f"teachers.{who}.hours", "y0"), with_unit(f"teachers.{who}.hours", "y1")])
    teachers.append([L["teachers"]["practice"], with_unit("teachers.practice", "y0"), with_unit("teachers.practice", "y1")])
    teachers.append([L["teachers"]["team_awards"], C["teachers"]["team_awards"]])
    T = L["training"]
    training: list[list[str]] = [[T["_"], *head], [T["joint"]["_"], "类 型", "2023年", "2024年"]]
    for key in ("apprenticeship", "field_engineers", "other"):
        training.append(["", T["joint"][key], with_unit(f"training.joint.{key}", "y0"), with_unit(f"training.joint.{key}", "y1")])
    training.append([T["demand_reports"], plain("training.demand_reports", "y0"), plain("training.demand_reports", "y1")])
    for key in ("supply_platform", "new_methods"):
        # 200 字 a year: the label across the table, then each year's text in a full-width row.
        training += [[T[key]], ["2023年", C["training"][key]["y0"]], ["2024年", C["training"][key]["y1"]]]
    for key in ("apprentice_ratio", "internships", "through_secondary_higher", "through_bachelor", "bachelor_intake",
                "exam_progression", "employment_rate"):
        training.append([T[key], plain(f"training.{key}", "y0"), plain(f"training.{key}", "y1")])
    training.append([T["contest_awards"], C["training"]["contest_awards"]])  # one text, as the form has it
    S = L["services"]
    services: list[list[str]] = [[S["_"], *head]]
    services.append([S["platforms"], plain("services.platforms", "y0"), plain("services.platforms", "y1")])
    rnd = C["services"]["rnd"]
    services.append([S["rnd"]["_"], *(f"{rnd['conversion_rate'][y]}/{rnd['funds'][y]}" for y in ("y0", "y1"))])
    for key in ("research_outputs", "skill_certifications", "master_studios", "employee_training", "social_training"):
        services.append([S[key], plain(f"services.{key}", "y0"), plain(f"services.{key}", "y1")])
    E = L["enterprises"]
    enterprises: list[list[str]] = [[E["_"]]]
    for key in ("employees", "assets", "sales", "cooperation_benefit", "above_scale", "above_quota"):
        enterprises.append([E[key], C["enterprises"][key]])
    assert [texts(grid_rows(t)) for t in rec.capacity] == [resources, teachers, training, services, enterprises]
    # As a reviewer reads them: a count with the unit the form prints beside it, two figures in one
    # cell, percentages and 万元 as plain numbers under labels that carry ％ and 万元.
    assert re.fullmatch(r"\d+个", resources[1][1]) and re.fullmatch(r"\d+课时数", teachers[2][1])
    (rnd_row,) = [r for r in services if r[0] == S["rnd"]["_"]]
    assert all(re.fullmatch(r"\d+(\.\d+)?/\d+(\.\d{1,2})?", x) for x in rnd_row[1:])
    assert all(not re.search(r"[％%]", r[1]) for r in training + services if r[0].endswith("（％）"))


def _get(tree: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        tree = tree[part]
    return tree


def test_capacity_merged_spans(rec: Recommendation) -> None:
    # One table per group, its first row (group, 项目名称, the years) repeated on every page.
    assert [header_rows(t) for t in rec.capacity] == [1, 1, 1, 1, 1]
    rows = rec.rows(rec.capacity)
    assert merged(rows, "企业兼职教师") == (2, 3)
    assert merged(rows, "校际兼职教师") == (2, 3)
    assert merged(rows, "联合培养情况") == (4, 2)
    spans = {row[0].text: [c.span for c in row] for row in rows if row[0].text}
    assert spans["资源共建共享"] == spans["师资共建共享"] == spans["人才培养质量"] == spans["服务发展能力"] == [1, 2, 1, 1]
    assert spans["联合体企业情况"] == [5]
    assert spans["共建专业"] == [3, 1, 1]
    assert spans["教师教学团队获国家级奖励情况"] == [3, 2]
    assert spans["搭建人才供需信息平台，完善职业教育专业动态调整机制情况"] == [5]
    assert [r for r in rows if r[0].text == "2023年" and len(r) == 2][0][1].span == 4
    assert spans["职业院校技能大赛获奖情况"] == [3, 2]
    assert spans["企业资产总额（万元）"] == [3, 2]
    assert spans["联合培养情况"] == [2, 1, 1, 1]  # 联合培养情况 · 类 型 · 2023年 · 2024年


def test_empty_figures_print_empty_cells(example: tuple[Any, dict[str, Any]], tmp_path: Path) -> None:
    app, ctx = example
    ctx2 = build_context(app)
    ctx2["capacity"]["resources"]["majors"]["y0"] = ""
    ctx2["capacity"]["services"]["rnd"]["conversion_rate"]["y1"] = ""
    ctx2["capacity"]["services"]["rnd"]["funds"]["y1"] = ""
    ctx2["overview"]["secretariat"]["office_area"] = ""
    doc = Recommendation(render_example_like(app, ctx2, tmp_path / "empty.docx"))
    cap = texts(doc.rows(doc.capacity))
    assert cap[1] == ["共建专业", "", "12个"]
    rnd = next(r for r in cap if r[0].startswith("校企合作开展技术研发"))
    assert rnd[1:] == ["21.6/1285.6", ""]
    assert texts(grid_rows(doc.basic))[3][2] == ""
    assert "None" not in doc.flat_text()


# -- footnotes -----------------------------------------------------------------------------------------


def test_footnotes_are_real_footnotes_after_their_labels(rec: Recommendation, example: tuple[Any, dict[str, Any]]) -> None:
    app, ctx = example
    notes = rec.footnotes()
    assert notes["-1"].get(w("type")) == "separator" and notes["0"].get(w("type")) == "continuationSeparator"
    settings = rec.pkg.xml["word/settings.xml"]
    assert [f.get(w("id")) for f in settings.iterfind(f"{w('footnotePr')}/{w('footnote')}")] == ["-1", "0"]
    # The form numbers footnotes from 1 again (1, 2 in part 1; 1, 2 in part 2): per page.
    assert rec.body.find(f"{w('sectPr')}/{w('footnotePr')}/{w('numRestart')}").get(w("val")) == "eachPage"
    # What the declaration attaches a footnote to, as the form prints it.
    expected_label = {}
    for spec in app.form.by_path().values():
        if spec.footnote:
            expected_label[spec.footnote] = app.label(spec)
        if spec.footnote_year:
            expected_label[spec.footnote_year] = f"{app.year(spec.years[0])}年"
    assert set(expected_label) == set(SEED_FOOTNOTES) == set(ctx["footnotes"])
    refs = {r.get(w("id")): r for r in rec.body.iter(w("footnoteReference"))}
    assert sorted(refs) == ["1", "2", "3", "4"]
    for key, seed in SEED_FOOTNOTES.items():
        (fid,) = [i for i, f in notes.items() if text(f).strip() == ctx["footnotes"][key]]
        assert ctx["footnotes"][key] == seed
        assert notes[fid].find(f".//{w('footnoteRef')}") is not None
        paragraph = next(refs[fid].iterancestors(w("p")))
        assert text(paragraph) == expected_label[key]
        assert paragraph.findall(w("r"))[-1] is refs[fid].getparent()  # the mark right after the label
    types = rec.pkg.xml["[Content_Types].xml"]
    assert any(o.get("PartName") == "/word/footnotes.xml" and o.get("ContentType").endswith("footnotes+xml")
               for o in types.iter(f"{{{CT}}}Override"))


# -- 3, 4, 5 -------------------------------------------------------------------------------------------


def test_prose_parts_and_fixed_texts(rec: Recommendation, example: tuple[Any, dict[str, Any]]) -> None:
    app, _ctx = example
    (features,) = texts(grid_rows(rec.features))[0]
    assert features == app.prose["features"].text() + "\n" + SEED_NO_VIOLATION
    (roadmap,) = texts(grid_rows(rec.roadmap))[0]
    assert roadmap == app.prose["roadmap"].text()
    # Prose arrives as body paragraphs of the template's style, beside the two fixed ones.
    blocks = sum(len(app.prose[part].blocks) for part in ("progress", "features", "roadmap"))
    assert len(rec.paragraphs("CJ正文")) == blocks + 2
    (pledge,) = texts(grid_rows(rec.pledge))
    label, cell = pledge
    assert label == "申报单位承诺"
    lines = [line for line in cell.split("\n") if line]
    assert lines == [SEED_PLEDGE, "负责人签字", "公章", "年  月    日"]
    assert cell.count("\n") >= 8  # room left for the signature and the seal


# -- formatting ------------------------------------------------------------------------------------------


def _line(styles: StyleSheet, p: etree._Element) -> tuple[str | None, str | None]:
    """The line spacing a paragraph resolves to, attribute by attribute, as Word merges them."""
    layers = [p.find(f"{w('pPr')}/{w('spacing')}")]
    pstyle = p.find(f"{w('pPr')}/{w('pStyle')}")
    layers += [s.find(f"{w('pPr')}/{w('spacing')}") for s in styles._chain(pstyle.get(w("val")) if pstyle is not None else "Normal")]
    for layer in layers:
        if layer is not None and layer.get(w("line")):
            return layer.get(w("line")), layer.get(w("lineRule"))
    return None, None


def test_form_text_is_fangsong_sanhao_at_a_fixed_16_points(rec: Recommendation) -> None:
    styles = rec.styles
    normal = styles.by_id[rec.sid("Normal")]
    spacing = normal.find(f"{w('pPr')}/{w('spacing')}")
    assert (spacing.get(w("line")), spacing.get(w("lineRule"))) == ("320", "exact")  # 16磅, one place
    for name in ("CJ正文", "CJ列表", "CJ题注", "CJ表格文字", "CJ表格标签", "CJ说明", "CJ封面", "CJ部分标题"):
        own = styles.by_id[rec.sid(name)].find(f"{w('pPr')}/{w('spacing')}")
        assert own is None or own.get(w("line")) is None, name  # inherited from Normal
    # The cover is the form's blank, not 文字内容: its underlined lines need room (exact 20 points).
    for name in ("CJ封面类型", "CJ封面标签", "CJ封面内容", "CJ封面公章"):
        own = styles.by_id[rec.sid(name)].find(f"{w('pPr')}/{w('spacing')}")
        assert (own.get(w("line")), own.get(w("lineRule"))) == ("400", "exact"), name
    checked = 0
    for tbl in (*rec.overview, *rec.capacity, rec.features, rec.roadmap, rec.pledge):
        for p in tbl.iter(w("p")):
            if p.find(f"{w('pPr')}/{w('pStyle')}").get(w("val")) in (rec.sid("CJ占位"), rec.sid("CJ图片")):
                continue
            assert _line(styles, p) == ("320", "exact"), text(p)
            for r in p.iter(w("r")):
                if text(r).strip():
                    assert styles.run_property(p, r, "sz").get(w("val")) == "32", text(r)
                    checked += 1
    assert checked > 300
    assert styles.defaults.find(w("lang")).get(w("eastAsia")) == "zh-CN"


def test_fonts_by_script_in_every_run(rec: Recommendation) -> None:
    checked = latin_runs = 0
    for p in rec.paragraphs():
        for r in p.iter(w("r")):
            run_text = text(r).replace("\n", "")
            if not run_text.strip():
                continue
            fonts = rec.styles.run_fonts(p, r)
            checked += 1
            if run_text in ("☑", "□"):
                continue  # the boxes have a symbol font of their own (test_cover_marks_use_one_symbol_font)
            if any(is_latin(ch) and not ch.isspace() for ch in run_text):
                latin_runs += 1
                assert all(is_latin(ch) or ch.isspace() for ch in run_text), run_text
                assert (fonts["ascii"], fonts["hAnsi"]) == ("Times New Roman", "Times New Roman"), run_text
                assert fonts["eastAsia"] in FOUNDER
            else:
                # CJK text and punctuation (☑ □ ㎡ “ ” — included): every slot names one CJK font.
                assert len(set(fonts.values())) == 1 and fonts["eastAsia"] in FOUNDER, (run_text, fonts)
    assert checked > 500 and latin_runs > 100


def test_template_styles_for_the_prose_writer(rec: Recommendation) -> None:
    kinds = {s.find(w("name")).get(w("val")): s.get(w("type")) for s in rec.styles.by_id.values()}
    for name in ("CJ正文", "CJ列表", "CJ图片", "CJ题注", "CJ表格文字", "heading 1", "heading 2", "heading 3", "heading 4"):
        assert kinds[name] == "paragraph", name
    assert kinds["CJ表格"] == "table" and kinds["CJ西文"] == "character"
    for sid, s in rec.styles.by_id.items():
        fonts = s.find(f"{w('rPr')}/{w('rFonts')}")
        if s.get(w("type")) == "paragraph" and fonts is not None:
            assert len({fonts.get(w(slot)) for slot in ("ascii", "hAnsi", "eastAsia", "cs")}) == 1, sid
    latin = rec.styles.by_id[rec.sid("CJ西文")].find(f"{w('rPr')}/{w('rFonts')}")
    assert dict(latin.attrib) == {w("ascii"): "Times New Roman", w("hAnsi"): "Times New Roman"}


def test_page_and_tables(rec: Recommendation) -> None:
    sections = list(rec.body.iter(w("sectPr")))
    assert len(sections) == 2  # the unnumbered cover, then everything numbered from — 1 —
    for sect in sections:
        size, mar = sect.find(w("pgSz")), sect.find(w("pgMar"))
        assert (size.get(w("w")), size.get(w("h"))) == ("11906", "16838")
        assert [round(int(mar.get(w(k))) / MM) for k in ("top", "bottom", "left", "right")] == [37, 35, 28, 26]
    assert sections[0].find(w("footerReference")) is None
    assert sections[1].find(w("pgNumType")).get(w("start")) == "1"
    prose_rows = 0
    for tbl in rec.tables:
        tbl_pr = tbl.find(w("tblPr"))
        assert tbl_pr.find(w("tblLayout")).get(w("type")) == "fixed"
        grid = [int(c.get(w("w"))) for c in tbl.iter(w("gridCol"))]
        assert sum(grid) == int(tbl_pr.find(w("tblW")).get(w("w"))) == TEXT_WIDTH
        for row in grid_rows(tbl):
            for cell in row:
                assert int(cell.tc.find(f"{w('tcPr')}/{w('tcW')}").get(w("w"))) == sum(grid[cell.col:cell.col + cell.span])
        for tr in tbl.findall(w("tr")):
            if tr.find(f"{w('trPr')}/{w('cantSplit')}") is None:
                # Only the rows holding prose may break across pages (3 and 4 run over pages).
                assert tr.find(f".//{w('pStyle')}[@{w('val')}='{rec.sid('CJ正文')}']") is not None
                prose_rows += 1
    assert prose_rows == 3


def test_a_valid_package_without_template_leftovers(rec: Recommendation, example: tuple[Any, dict[str, Any]]) -> None:
    _app, ctx = example
    assert_valid_docx(rec.path)
    assert leftover_tags(rec.path.read_bytes()) == []
    names = template_variables(TEMPLATE)
    assert "footnotes" in names  # read in the footnotes (官方样表's 注), which docxtpl does not list
    assert names <= set(ctx)
    assert_valid_docx(TEMPLATE)


# -- safety, limits, determinism -------------------------------------------------------------------------

TRICKY = "A&B<C>\"D\"'E' {{ 7*7 }} {% if x %}X{% endif %} ]]>联合体"
# In Markdown `<C>` is an HTML tag (reported and dropped); a spaced `<` is text.
TRICKY_MD = "A&B < C > \"D\" 'E' {{ 7*7 }} {% if x %}X{% endif %} ]]>联合体"


def test_text_appears_exactly_as_written(content_copy: ContentCopy, tmp_path: Path) -> None:
    quoted = '"' + TRICKY.replace("\\", "\\\\").replace('"', '\\"') + '"'
    root = content_copy(
        {
            "推荐书/2-服务能力.yaml": sub_once(r"^(  教学团队国家级奖励: ).*?$", r"\g<1>" + quoted.replace("\\", "\\\\")),
            "推荐书/3-特色与创新.md": lambda t: TRICKY_MD + "\n\n" + t,
        }
    )
    doc = Recommendation(build_recommendation(root, tmp_path))
    row = next(r for r in texts(doc.rows(doc.capacity)) if r[0] == "教师教学团队获国家级奖励情况")
    assert row[1] == TRICKY
    assert texts(grid_rows(doc.features))[0][0].split("\n")[0] == TRICKY_MD
    assert_valid_docx(doc.path)
    flat = text(doc.body)
    assert flat.count(TRICKY) == 1 and flat.count(TRICKY_MD) == 1  # nothing evaluated, nothing escaped twice


def test_text_over_its_limit_still_renders_and_is_reported(content_copy: ContentCopy, tmp_path: Path) -> None:
    long = "很" * 250
    root = content_copy({"推荐书/2-服务能力.yaml": sub_once(r"^(  人才供需信息平台:\n    2023年: ).*?$", r"\g<1>" + long)})
    report, _app = check_content(root)
    over = [d for d in report.errors if d.code == "over-limit"]
    assert len(over) == 1 and "搭建人才供需信息平台" in over[0].message and "250" in over[0].message
    doc = Recommendation(build_recommendation(root, tmp_path))
    rows = texts(doc.rows(doc.capacity))
    at = next(i for i, r in enumerate(rows) if r[0].startswith("搭建人才供需信息平台"))
    assert rows[at + 1] == ["2023年", long]


def test_missing_required_figure_is_an_error_and_prints_as_a_gap(content_copy: ContentCopy, tmp_path: Path) -> None:
    root = content_copy({"推荐书/2-服务能力.yaml": sub_once(r"^  共建课程: [^\n]*\n", "")})
    report, _app = check_content(root)
    assert any("共建课程" in (d.field + d.message) for d in report.errors), report.errors
    out = tmp_path / "out"
    result = build(root, out, pdf=False)
    assert result.exit_code == 1 and result.rendered and result.package is None
    [recommendation] = [r for r in result.documents if r.doc.title == "推荐书"]
    assert recommendation.gaps == [f"【待填写：资源共建共享 › 共建课程 › {year}年】" for year in (2023, 2024)]


def test_undefined_variable_names_template_and_variable(tmp_path: Path, example: tuple[Any, dict[str, Any]]) -> None:
    app, ctx = example
    broken = tmp_path / "推荐书.docx"
    with zipfile.ZipFile(TEMPLATE) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                assert b"{{ basics.district }}" in data
                data = data.replace(b"{{ basics.district }}", b"{{ no_such_value }}", 1)
            dst.writestr(item, data)
    out = tmp_path / "out" / "推荐书.docx"
    render_example_like(app, ctx, out)
    before = out.read_bytes()
    with pytest.raises(ToolError, match=r"推荐书\.docx.*no_such_value"):
        render_document(broken, ctx, out, when=document_date(app), write_prose=prose_writer(app))
    # The previous output stays whole, and nothing half-written is left beside it.
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["推荐书.docx"]


def test_same_content_gives_identical_bytes(tmp_path: Path) -> None:
    first = build_recommendation(EXAMPLE, tmp_path / "a").read_bytes()
    second = build_recommendation(EXAMPLE, tmp_path / "b").read_bytes()
    assert first == second


# -- the PDF (LibreOffice) ---------------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_pdf_pages(rec: Recommendation, tmp_path: Path) -> None:
    from generator.pdf.convert import convert_to_pdf, find_soffice
    from generator.pdf.reader import read_pdf

    if find_soffice() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice must be installed in CI")
        pytest.skip("LibreOffice not installed")
    docx = tmp_path / "rec.docx"
    shutil.copy(rec.path, docx)
    (pdf,) = convert_to_pdf([docx], tmp_path, fonts_dir=None, timeout=180)
    info = read_pdf(pdf)
    assert all(abs(w_ - 595.3) < 1 and abs(h - 841.9) < 1 for w_, h in info.page_sizes)  # A4 portrait
    assert [squeeze(b.title) for b in info.outline if b.level == 0] == [
        "说明", "1.联合体概况", "2.服务能力", "3.特色与创新", "4.建设规划", "5.申报承诺",
    ]
    pages = [squeeze(t) for t in info.page_texts]
    assert "市域产教联合体推荐书" in pages[0] and "说明" in pages[1]
    # Each footnote at the foot of the page that holds its label.
    for label, note in (("联合体负责人", "leader"), ("2024年", "commitment"), ("规模以上企业数（个）", "above_scale"),
                        ("限额以上企业数（个）", "above_quota")):
        page = next(p for p in pages if squeeze(SEED_FOOTNOTES[note]) in p)
        assert label in page
    assert "None" not in "".join(pages)
    assert any(f.startswith("FandolFang") for f in info.fonts)  # 仿宋 for 方正仿宋_GBK, never a sans face


def test_digits_in_footnotes_use_the_latin_face(rec: Recommendation) -> None:
    checked = 0
    for footnote in rec.footnotes().values():
        for p in footnote.iter(w("p")):
            for r in p.iter(w("r")):
                run_text = text(r)
                if not any(ch in "0123456789" for ch in run_text):
                    continue
                fonts = rec.styles.run_fonts(p, r)
                assert (fonts["ascii"], fonts["hAnsi"]) == ("Times New Roman", "Times New Roman"), run_text
                assert all(is_latin(ch) or ch.isspace() for ch in run_text), run_text
                checked += 1
    assert checked >= 3  # 2024—2026, 2000, 500, 200 …
