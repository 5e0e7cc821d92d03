"""The 建设方案 .docx read back: cover, outline numbering, summary table, fonts, pages, escaping, images."""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import EXAMPLE, png
from docxtpl import DocxTemplate
from lxml import etree
from ooxml import (
    NS,
    Package,
    StyleSheet,
    WordDocument,
    assert_valid_docx,
    docx_problems,
    script_fonts,
    text,
    w,
)

from generator.content.loader import load_application
from generator.errors import ContentError, Location, ToolError
from generator.model import Heading, Paragraph, Prose, Span
from generator.pipeline import render_documents
from generator.word.blocks import is_latin, prose_writer, script_segments, split_runs_by_script
from generator.word.context import build_context, document_date, unglued
from generator.word.documents import PLAN, templates_dir
from generator.word.render import leftover_tags, render_bytes, template_variables

TEMPLATE = templates_dir() / PLAN.template
MM = 1440 / 25.4  # twips
FOUNDER = {"方正仿宋_GBK", "方正黑体_GBK", "方正楷体_GBK", "方正小标宋_GBK"}


# -- helpers ---------------------------------------------------------------------------------------


def build_plan(root: Path, out_dir: Path) -> Path:
    """Render the plan from the content repo at `root` the way `chanjiao build` does."""
    app, _diagnostics = load_application(root)
    (path,) = render_documents(app, out_dir, (PLAN,))
    return path


class Plan(WordDocument):
    """A rendered plan, parsed: also its sections, summary table and footers."""

    def sections(self) -> list[list[etree._Element]]:
        """Top-level blocks grouped by the section they belong to, each group ending at its sectPr."""
        groups: list[list[etree._Element]] = [[]]
        for el in self.body:
            groups[-1].append(el)
            if el.find(f"{w('pPr')}/{w('sectPr')}") is not None:
                groups.append([])
        return groups

    def sect_prs(self) -> list[etree._Element]:
        return [*self.body.iterfind(f"{w('p')}/{w('pPr')}/{w('sectPr')}"), self.body.find(w("sectPr"))]

    def summary_table(self) -> etree._Element:
        return next(t for t in self.body.iter(w("tbl")) if "序号" in text(t))

    def footer(self, sect_pr: etree._Element, kind: str) -> etree._Element:
        ref = next(f for f in sect_pr.findall(w("footerReference")) if f.get(w("type")) == kind)
        return self.pkg.xml[self.pkg.target("word/document.xml", ref.get(f"{{{NS['r']}}}id"))]


@pytest.fixture(scope="module")
def example_plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """The example application's plan, rendered once for the read-only tests."""
    return Plan(build_plan(EXAMPLE, tmp_path_factory.mktemp("plan")))


# 1-创建条件.md for the tests that need exact content: numbering, features, images.
CONDITIONS = """\
# （一）基本情况

联合体2024年成立，R&D投入占6.1%，“双师型”教师占比——约60%……

## 牵头园区

### 园区概况

#### 更深一层

正文。

## 2. 牵头企业

# 基础条件

## 区位

![组织架构示意](图片/测试图.png)

# 发展成效

- 第一项，含**加粗**与*倾斜*
- 第二项
  1. 子项一
  2. 子项二

1. 甲
2. 乙

| 指标 | 2023年 | 2024年 |
|---|---|---|
| 共建专业（个） | 9 | 12 |
| 共建课程（门） | 46 | 60 |

含<span>保留的文字</span>的一段。

# 补充说明

## 3.5万人次培训

最后一段。
"""


@pytest.fixture
def custom_root(content_copy: Callable[..., Path]) -> Path:
    """The example with 1-创建条件.md replaced by CONDITIONS and a real picture beside it."""
    root = content_copy({"建设方案/1-创建条件.md": CONDITIONS})
    (root / "建设方案" / "图片").mkdir(exist_ok=True)
    (root / "建设方案" / "图片" / "测试图.png").write_bytes(png(400, 200))
    return root


# -- the outline ---------------------------------------------------------------------------------


def test_fixed_outline_in_order(example_plan: Plan) -> None:
    app, _ = load_application(EXAMPLE)
    labels = build_context(app)["labels"]
    sections = ["plan_conditions", "plan_approach", "plan_tasks", "plan_schedule", "plan_outcomes", "plan_safeguards", "plan_attachments"]
    assert example_plan.texts("heading 1") == [labels[s] for s in sections]
    assert example_plan.texts("heading 1")[0] == "一、创建条件"
    assert example_plan.texts("CJ标题") == ["市域产教联合体建设方案"]
    # The official sub-headings of 一 and 二 come first in their sections, numbered （一）（二）（三）.
    form = app.form
    for section in ("plan_conditions", "plan_approach"):
        heads = _section_headings(example_plan, labels[section])
        expected = [f"（{n}）{h.title}" for n, h in zip("一二三", form.file(section).headings, strict=True)]
        assert heads[: len(expected)] == expected


def _section_headings(plan: Plan, section_label: str) -> list[str]:
    """The （一）-level headings printed under the 一、-level heading `section_label`."""
    h1, h2 = plan.sid("heading 1"), plan.sid("heading 2")
    out, inside = [], False
    for p in plan.paragraphs():
        style = p.find(f"{w('pPr')}/{w('pStyle')}")
        sid = style.get(w("val")) if style is not None else None
        if sid == h1:
            inside = text(p) == section_label
        elif inside and sid == h2:
            out.append(text(p))
    return out


def test_headings_numbered_by_level_continuing_after_the_fixed_ones(custom_root: Path, tmp_path: Path) -> None:
    plan = Plan(build_plan(custom_root, tmp_path / "out"))
    assert _section_headings(plan, "一、创建条件") == ["（一）基本情况", "（二）基础条件", "（三）发展成效", "（四）补充说明"]
    assert plan.texts("heading 3")[:4] == ["1.牵头园区", "2.牵头企业", "1.区位", "1.3.5万人次培训"]
    assert plan.texts("heading 4")[0] == "（1）园区概况"
    deeper = next(p for p in plan.paragraphs("CJ正文") if text(p) == "更深一层")
    assert all(r.find(f"{w('rPr')}/{w('b')}") is not None for r in deeper.iter(w("r")))
    # Each section starts again at （一）.
    assert _section_headings(plan, "二、创建思路")[0] == "（一）总体要求"


def test_recommendation_prose_headings_are_bold_paragraphs_without_numbers(example_root: Path) -> None:
    app, _ = load_application(example_root)
    spec = app.form.file("progress")
    loc = Location("推荐书/1-联合体已开展建设情况.md", 1, 1)
    prose = Prose(spec, (Heading(1, (Span("一、已有基础"),), loc), Paragraph((Span("正文"),), loc)), loc)
    tpl = DocxTemplate(str(TEMPLATE))
    xml = str(prose_writer(app)(tpl, prose))
    body = etree.fromstring(f'<w:body xmlns:w="{NS["w"]}" xmlns:r="{NS["r"]}">{xml}</w:body>')
    heading, para = body.findall(w("p"))
    assert text(heading) == "一、已有基础"  # as written: 推荐书 parts are not renumbered
    assert all(r.find(f"{w('rPr')}/{w('b')}") is not None for r in heading.iter(w("r")))
    styles = StyleSheet(Package.read(TEMPLATE).xml["word/styles.xml"])
    assert heading.find(f"{w('pPr')}/{w('pStyle')}").get(w("val")) == styles.style_id("CJ正文")
    assert text(para) == "正文"


# -- Markdown features -----------------------------------------------------------------------------


def test_lists_emphasis_tables_and_kept_html_text(custom_root: Path, tmp_path: Path) -> None:
    plan = Plan(build_plan(custom_root, tmp_path / "out"))
    items = plan.texts("CJ列表")
    assert items[:6] == ["●第一项，含加粗与倾斜", "●第二项", "（1）子项一", "（2）子项二", "1.甲", "2.乙"]
    first = plan.paragraphs("CJ列表")[0]
    runs = {text(r): r for r in first.iter(w("r"))}
    assert runs["加粗"].find(f"{w('rPr')}/{w('b')}") is not None
    assert runs["倾斜"].find(f"{w('rPr')}/{w('i')}") is not None

    table = next(t for t in plan.body.iter(w("tbl")) if "共建专业（个）" in text(t))
    tbl_pr = table.find(w("tblPr"))
    assert tbl_pr.find(w("tblStyle")).get(w("val")) == plan.sid("CJ表格")
    assert (tbl_pr.find(w("tblW")).get(w("type")), tbl_pr.find(w("tblW")).get(w("w"))) == ("pct", "5000")
    widths = [int(c.get(w("w"))) for c in table.iter(w("gridCol"))]
    assert abs(sum(widths) - 156 * MM) < 1  # the full text width
    rows = table.findall(w("tr"))
    assert rows[0].find(f"{w('trPr')}/{w('tblHeader')}") is not None  # header repeated on each page
    assert all(r.find(f"{w('trPr')}/{w('cantSplit')}") is not None for r in rows)  # rows never split
    assert [text(c) for c in rows[1].findall(w("tc"))] == ["共建专业（个）", "9", "12"]
    cell_styles = {p.find(f"{w('pPr')}/{w('pStyle')}").get(w("val")) for p in table.iter(w("p"))}
    assert cell_styles == {plan.sid("CJ表格文字")}

    assert any(text(p) == "含保留的文字的一段。" for p in plan.paragraphs("CJ正文"))
    app, diagnostics = load_application(custom_root)
    html = [d for d in diagnostics if d.code == "md-html"]
    line = CONDITIONS.splitlines().index("含<span>保留的文字</span>的一段。") + 1
    assert html and (html[0].location.path, html[0].location.line) == ("建设方案/1-创建条件.md", line)


def test_body_paragraphs_take_their_look_from_the_template(example_plan: Plan) -> None:
    body = example_plan.paragraphs("CJ正文")[0]
    ind = example_plan.styles.paragraph_property(body, "ind")
    assert ind.get(w("firstLineChars")) == "200"  # two characters
    spacing = example_plan.styles.paragraph_property(body, "spacing")
    assert spacing.get(w("lineRule")) == "exact"
    cell = next(example_plan.summary_table().iter(w("p")))
    assert example_plan.styles.paragraph_property(cell, "spacing").get(w("lineRule")) == "exact"
    for p in example_plan.paragraphs():
        # No look in the document itself: every paragraph names a style and nothing else sets fonts.
        assert p.find(f"{w('pPr')}/{w('rPr')}/{w('rFonts')}") is None


# -- images -----------------------------------------------------------------------------------------


def test_image_embedded_at_text_width_with_caption(custom_root: Path, tmp_path: Path) -> None:
    plan = Plan(build_plan(custom_root, tmp_path / "out"))
    (figure,) = [p for p in plan.paragraphs("CJ图片") if p.find(f".//{{{NS['wp']}}}inline") is not None]
    inline = figure.find(f".//{{{NS['wp']}}}inline")
    extent = inline.find(f"{{{NS['wp']}}}extent")
    cx, cy = int(extent.get("cx")), int(extent.get("cy"))
    assert abs(cx - 156 * 36000) < 36000  # 156 mm in EMU, within 1 mm
    assert abs(cy * 2 - cx) <= 2  # 400 × 200 px keeps its shape
    blip = figure.find(".//{http://schemas.openxmlformats.org/drawingml/2006/main}blip")
    media = plan.pkg.target("word/document.xml", blip.get(f"{{{NS['r']}}}embed"))
    assert plan.pkg.members[media] == (custom_root / "建设方案" / "图片" / "测试图.png").read_bytes()
    caption = figure.getnext()
    assert text(caption) == "组织架构示意"
    assert caption.find(f"{w('pPr')}/{w('pStyle')}").get(w("val")) == plan.sid("CJ题注")
    assert_valid_docx(plan.path)


def _outside_symlink(root: Path) -> str:
    (root / "建设方案" / "图片" / "外链.png").symlink_to(Path("/etc/hostname"))
    return "图片/外链.png"


def _fake_image(root: Path) -> str:
    (root / "建设方案" / "图片" / "假图.png").write_text("这不是图片", encoding="utf-8")
    return "图片/假图.png"


def _truncated_image(root: Path) -> str:
    (root / "建设方案" / "图片" / "残图.png").write_bytes(png(40, 20)[:20])
    return "图片/残图.png"


@pytest.mark.parametrize(
    "ref",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "file:///etc/passwd",
        "http://example.com/a.png",
        "图片/没有这个文件.png",
        _outside_symlink,
        _fake_image,
        _truncated_image,
    ],
    ids=["dotdot", "absolute", "file-url", "http-url", "missing", "symlink-out", "not-an-image", "truncated"],
)
def test_bad_image_is_an_error_naming_file_and_line(
    ref: str | Callable[[Path], str], custom_root: Path, tmp_path: Path
) -> None:
    src = ref(custom_root) if callable(ref) else ref
    md = custom_root / "建设方案" / "1-创建条件.md"
    md.write_text("# 基本情况\n\n![图](" + src + ")\n\n# 基础条件\n\n# 发展成效\n", encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(ContentError) as err:
        build_plan(custom_root, out)
    (diagnostic,) = err.value.diagnostics
    assert (diagnostic.location.path, diagnostic.location.line) == ("建设方案/1-创建条件.md", 3)
    assert diagnostic.message.startswith("图片：")
    assert str(err.value).startswith("建设方案/1-创建条件.md:3:")
    assert not list(out.glob("*.docx"))  # nothing half-written


# -- cover and summary table ---------------------------------------------------------------------


def cover_rows(plan: Plan) -> list[list[str]]:
    """The cover table's rows: label (with its colon), value, seal."""
    cover = plan.sections()[0]
    return [[text(tc) for tc in tr.findall(w("tc"))] for tbl in cover if tbl.tag == w("tbl") for tr in tbl.findall(w("tr"))]


def cover_values(rows: list[list[str]]) -> list[list[str]]:
    """Cover rows with each wrapped value joined back from its continuation rows (no label, and
    the seal only on the last line)."""
    joined: list[list[str]] = []
    for label, value, *seal in rows:
        if label or not joined or joined[-1][2] or not value or joined[-1][0] == "申报类型：":
            joined.append([label, value, seal[0] if seal else ""])
        else:
            joined[-1][1] += value
            joined[-1][2] = seal[0] if seal else ""
    return joined


def test_cover(example_plan: Plan) -> None:
    app, _ = load_application(EXAMPLE)
    ctx = build_context(app)
    cover = example_plan.sections()[0]
    rows = cover_rows(example_plan)
    assert ctx["basics"]["application_type"] == "park"
    assert [r[1] for r in rows[:2]] == ["☑由产业园区牵头的产教联合体", "□由行业企业牵头的产教联合体"]
    assert rows[0][0] == "申报类型：" and rows[1][0] == ""  # the label once, beside the first box
    by_label = {r[0]: [r[0], r[1], *([r[2]] if r[2] else [])] for r in cover_values(rows) if r[0]}
    # Labels as the seed prints them, each with its colon; 日期 spaced to the width of four.
    assert list(by_label) == ["申报类型：", "联合体名称：", "推荐区县：", "牵头园区：", "牵头企业：", "牵头学校：", "日\u3000\u3000期："]
    assert by_label["联合体名称："][1:] == [ctx["basics"]["name"]]
    assert by_label["推荐区县："][1:] == [ctx["basics"]["district"], "（公章）"]
    assert by_label["牵头园区："][1:] == [ctx["basics"]["lead_park"], "（公章）"]
    schools = [r[1] for r in cover_values(rows) if r[2:] == ["（公章）"]][-len(ctx["basics"]["lead_schools"]) :]
    assert schools == ctx["basics"]["lead_schools"]  # one row, one seal per school
    assert by_label["日\u3000\u3000期："][1] == "2024年6月12日" == ctx["basics"]["plan_date"]
    assert [text(el) for el in cover[:2]] == ["附件3", "市域产教联合体建设方案"]


def test_cover_attachment_mark_is_heiti_sanhao(example_plan: Plan) -> None:
    mark = example_plan.sections()[0][0]
    r = mark.find(w("r"))
    assert example_plan.styles.run_fonts(mark, r)["eastAsia"] == "方正黑体_GBK"
    assert example_plan.styles.run_property(mark, r, "sz").get(w("val")) == "32"  # 三号
    assert example_plan.styles.paragraph_property(mark, "jc").get(w("val")) == "left"


def test_both_boxes_come_from_one_font_at_one_size(example_plan: Plan) -> None:
    marks = [r for r in example_plan.sections()[0][2].iter(w("r")) if text(r) in ("☑", "□")]
    assert sorted(text(r) for r in marks) == sorted(["☑", "□"])
    looks = set()
    for r in marks:
        p = next(a for a in r.iterancestors() if a.tag == w("p"))
        fonts = example_plan.styles.run_fonts(p, r)
        assert set(fonts.values()) == {"Segoe UI Symbol"} and set(fonts) >= {"ascii", "hAnsi", "eastAsia", "cs"}
        looks.add((tuple(sorted(fonts.items())), example_plan.styles.run_property(p, r, "sz").get(w("val"))))
    assert len(looks) == 1


def test_cover_settings(content_copy: Callable[..., Path], tmp_path: Path) -> None:
    root = content_copy({"项目.yaml": lambda t: t.replace("建设方案附件标注: 附件3", "建设方案附件标注: ''").replace("封面后空白页: 否", "封面后空白页: 是")})
    plan = Plan(build_plan(root, tmp_path / "out"))
    cover = plan.sections()[0]
    assert text(cover[0]) == "市域产教联合体建设方案"  # no empty line where the mark was
    assert all(text(p) != "" or p.find(f".//{w('br')}") is not None or p.find(f"{w('pPr')}/{w('sectPr')}") is not None
               for p in cover if p.tag == w("p"))
    # The back of the cover is a section of its own, empty, without footers: no page number.
    blank = plan.sections()[1]
    assert [text(p) for p in blank] == [""] and blank[0].find(f"{w('pPr')}/{w('sectPr')}/{w('footerReference')}") is None
    assert len(plan.sect_prs()) == 5
    assert plan.sect_prs()[2].find(w("pgNumType")).get(w("start")) == "1"  # the body still starts at 1
    plain = Plan(build_plan(EXAMPLE, tmp_path / "plain"))
    assert len(plain.sect_prs()) == 4


def test_long_values_wrap_row_by_row_each_line_underlined(tmp_path: Path) -> None:
    from tests.large_app import LEAD_ENTERPRISES, LEAD_SCHOOLS, NAME, make_large_application

    plan = Plan(build_plan(make_large_application(tmp_path / "large"), tmp_path / "out"))
    table = next(t for t in plan.sections()[0] if t.tag == w("tbl"))
    rows = table.findall(w("tr"))
    values = []
    for tr in rows[2:]:
        cells = tr.findall(w("tc"))
        value = cells[1]
        border = value.find(f"{w('tcPr')}/{w('tcBorders')}/{w('bottom')}")
        assert border is not None and border.get(w("val")) == "single"  # every line underlined
        width = int(value.find(f"{w('tcPr')}/{w('tcW')}").get(w("w")))
        assert len(text(value)) * 320 <= width - 2 * 108  # one line of 三号 in its cell
        values.append((text(cells[0]), text(value), text(cells[2]) if len(cells) > 2 else ""))
    joined = cover_values([list(v) for v in values])
    by_value = {v: (label, seal) for label, v, seal in joined}
    assert NAME in by_value
    for name in (*LEAD_ENTERPRISES, *LEAD_SCHOOLS):
        assert by_value[name][1] == "（公章）"  # one seal per unit, after its last line
    assert sum(1 for _l, _v, seal in values if seal) == 1 + 1 + len(LEAD_ENTERPRISES) + len(LEAD_SCHOOLS)
    # Split cover rows and continued summary tables still make a package Word opens as it is.
    assert len([t for t in plan.sections()[2] if t.tag == w("tbl")]) > 1
    assert_valid_docx(plan.path)


def test_summary_table_on_a_landscape_page_after_section_two(example_plan: Plan) -> None:
    app, _ = load_application(EXAMPLE)
    row = build_context(app)["summary_rows"][0]
    sections = example_plan.sections()
    table = example_plan.summary_table()
    (landscape,) = [n for n, s in enumerate(sections) if table in s]
    assert landscape == 2
    assert text(sections[landscape][0]) == "表  重庆市市域产教联合体建设方案"
    assert text(sections[1][1]) == "一、创建条件" and "三、建设内容与举措" in text(sections[3][0])

    head1, head2, *data = table.findall(w("tr"))
    cells1, cells2 = head1.findall(w("tc")), head2.findall(w("tc"))
    assert [text(c) for c in cells1] == ["序号", "联合体名称", "牵头部门", "牵头园区或牵头企业", "理事会成员构成", "秘书处成员构成", "参与单位"]
    assert [c.find(f"{w('tcPr')}/{w('vMerge')}").get(w("val")) for c in cells1[:6]] == ["restart"] * 6
    assert cells1[6].find(f"{w('tcPr')}/{w('gridSpan')}").get(w("val")) == "4"
    assert all(c.find(f"{w('tcPr')}/{w('vMerge')}") is not None and c.find(f"{w('tcPr')}/{w('vMerge')}").get(w("val")) is None for c in cells2[:6])
    assert [text(c) for c in cells2[6:]] == ["园区", "企业", "院校", "科研机构"]
    assert all(r.find(f"{w('trPr')}/{w('tblHeader')}") is not None for r in (head1, head2))
    assert len(data) == 1
    # The row may continue in tables of its own (see test_summary_continues_with_its_header):
    # every column, read across them, holds the row's text.
    tables = [t for t in sections[landscape] if t.tag == w("tbl")]
    columns = list(zip(*([text(c) for c in t.findall(w("tr"))[2].findall(w("tc"))] for t in tables), strict=True))
    assert columns[0] == ("1",) * len(tables)
    for parts, value in zip(columns[1:], list(row.values())[1:], strict=True):
        printed = [unglued(p) for p in parts if p]
        assert "".join(printed).replace("、", "") == unglued(value).replace("、", "")
        assert printed[0] == unglued(value)[: len(printed[0])]  # in order, from the start


def test_summary_continues_with_its_header(example_plan: Plan) -> None:
    section = example_plan.sections()[2]
    tables = [t for t in section if t.tag == w("tbl")]
    titles = [text(p) for p in section if p.tag == w("p") and text(p)]
    assert titles == ["表  重庆市市域产教联合体建设方案"] + ["表  重庆市市域产教联合体建设方案（续）"] * (len(tables) - 1)
    heads = [[etree.tostring(r) for r in t.findall(w("tr"))[:2]] for t in tables]
    assert all(h == heads[0] for h in heads)
    for p in section:
        if p.tag == w("p") and text(p).endswith("（续）"):
            assert p.find(f"{w('pPr')}/{w('pageBreakBefore')}") is not None


def test_summary_columns_share_the_width_by_their_text(example_plan: Plan) -> None:
    grid = [int(c.get(w("w"))) for c in example_plan.summary_table().iter(w("gridCol"))]
    assert sum(grid) == 16838 - 1984 - 2098  # the landscape text block, exactly
    app, _ = load_application(EXAMPLE)
    row = list(build_context(app)["summary_rows"][0].values())
    longest = max(range(10), key=lambda i: len(unglued(row[i])))
    assert unglued(row[longest]) == unglued(row[7])  # 企业: the most text
    assert grid[longest] == max(grid) and grid[longest] > 3 * sorted(grid)[-3]
    assert min(grid) >= 2 * 210  # two 五号 characters at least


def test_summary_lines_break_between_names_and_keep_no_joiners(example_plan: Plan) -> None:
    app, _ = load_application(EXAMPLE)
    row = build_context(app)["summary_rows"][0]
    assert "\u2060" in row["enterprises"]  # the context glues each name ...
    enterprises = [u["name"] for u in build_context(app)["overview"]["members"]["enterprises"]]
    cell = example_plan.summary_table().findall(w("tr"))[2].findall(w("tc"))[7]
    # ... and the document breaks lines before whole names: each line is names joined by 、.
    lines = "".join(t.text or "" if t.tag == w("t") else "\n" for t in cell.iter(w("t"), w("br"))).split("\n")
    assert len(lines) > 3
    for line in lines:
        names = [n for n in line.split("、") if n]
        assert names and set(names) <= set(enterprises), line
    # The joiners are gone once the breaks are placed: a search in Word finds every name.
    assert not any("\u2060" in (t.text or "") for t in example_plan.summary_table().iter(w("t")))


def test_section_orientation_and_margins(example_plan: Plan) -> None:
    sect_prs = example_plan.sect_prs()
    assert len(sect_prs) == 4  # cover, body, landscape summary, body
    orient = []
    for s in sect_prs:
        size = s.find(w("pgSz"))
        width, height = int(size.get(w("w"))), int(size.get(w("h")))
        orient.append("landscape" if size.get(w("orient")) == "landscape" and width > height else "portrait")
        assert sorted((width, height)) == [11906, 16838]  # A4
        margins = s.find(w("pgMar"))
        found = [round(int(margins.get(w(k))) / MM) for k in ("top", "bottom", "left", "right")]
        # GB/T 9704 横排表格: the landscape page is the portrait page turned a quarter to the left, so
        # its margins turn too (the portrait bottom is the landscape left edge).
        assert found == ([28, 26, 35, 37] if orient[-1] == "landscape" else [37, 35, 28, 26])
    assert orient == ["portrait", "portrait", "landscape", "portrait"]


# -- fonts, pages --------------------------------------------------------------------------------


def test_fonts_by_script_in_every_run(example_plan: Plan) -> None:
    # The cover's ☑ and □ are the one exception: both in CJ复选框, a symbol font in every slot.
    found = script_fonts(example_plan.body, example_plan.styles, FOUNDER | {"Segoe UI Symbol"})
    assert found.problems == []
    assert found.runs > 500 and found.latin_runs > 50
    # The cover's date and the summary table's 序号 come from the template, and are split too.
    date_runs = [text(r) for p in example_plan.paragraphs() if text(p) == "2024年6月12日" for r in p.iter(w("r"))]
    assert date_runs == ["2024", "年", "6", "月", "12", "日"]


@pytest.mark.parametrize(
    ("style", "font", "half_points"),
    [("CJ标题", "方正小标宋_GBK", 44), ("heading 1", "方正黑体_GBK", 32), ("heading 2", "方正楷体_GBK", 32),
     ("heading 3", "方正仿宋_GBK", 32), ("CJ正文", "方正仿宋_GBK", 32)],
)
def test_heading_and_body_fonts(example_plan: Plan, style: str, font: str, half_points: int) -> None:
    p = example_plan.paragraphs(style)[0]
    r = next(r for r in p.iter(w("r")) if not any(is_latin(c) for c in text(r)))
    assert example_plan.styles.run_fonts(p, r) == dict.fromkeys(("ascii", "hAnsi", "eastAsia", "cs"), font)
    assert example_plan.styles.run_property(p, r, "sz").get(w("val")) == str(half_points)
    assert example_plan.styles.run_property(p, r, "b") is None or example_plan.styles.run_property(p, r, "b").get(w("val")) == "0"


def test_language_is_chinese(example_plan: Plan) -> None:
    lang = example_plan.styles.defaults.find(w("lang"))
    assert lang.get(w("eastAsia")) == "zh-CN"


def _pstyle_of(p: etree._Element) -> str:
    return p.find(f"{w('pPr')}/{w('pStyle')}").get(w("val"))


def test_page_numbers_outer_side_none_on_cover(example_plan: Plan) -> None:
    cover, body, landscape, last = example_plan.sect_prs()
    assert cover.find(w("footerReference")) is None
    assert body.find(w("pgNumType")).get(w("start")) == "1"
    # The landscape pages have footers of their own (the number turned with the page, see
    # test_plan_layout); the last section returns to the body's footers. All count on.
    def footer_targets(s: etree._Element) -> dict[str, str]:
        rels = {ref.get(w("type")): ref.get(f"{{{NS['r']}}}id") for ref in s.findall(w("footerReference"))}
        return {k: example_plan.pkg.target("word/document.xml", v) for k, v in rels.items()}

    assert footer_targets(last) == footer_targets(body) and set(footer_targets(body)) == {"default", "even"}
    assert set(footer_targets(landscape)) == {"default", "even"} and not set(footer_targets(landscape).values()) & set(footer_targets(body).values())
    assert all(s.find(w("pgNumType")) is None for s in (landscape, last))
    for kind, style in (("default", "CJ页码单"), ("even", "CJ页码双")):
        footer = example_plan.footer(landscape, kind)
        assert text(footer) == "— 1 —" and "PAGE" in "".join(i.text for i in footer.iter(w("instrText")))
        assert footer.find(f".//{w('txbxContent')}") is not None  # in a text box placed on the page
        (inner,) = footer.iter(w("txbxContent"))
        assert [_pstyle_of(p) for p in inner.findall(w("p"))] == [example_plan.styles.style_id(style)]
        body_pr = next(footer.iter("{http://schemas.microsoft.com/office/word/2010/wordprocessingShape}bodyPr"))
        assert body_pr.get("vert") == "vert"  # turned a quarter to the right: upright on the turned page
    settings = example_plan.pkg.xml["word/settings.xml"]
    assert settings.find(w("evenAndOddHeaders")) is not None
    for kind, align in (("default", "right"), ("even", "left")):
        footer = example_plan.footer(body, kind)
        (p,) = footer.findall(w("p"))
        assert re.fullmatch(r"— \d+ —", text(p))
        assert "PAGE" in "".join(i.text for i in p.iter(w("instrText")))
        assert example_plan.styles.paragraph_property(p, "jc").get(w("val")) == align
        r = p.find(w("r"))
        assert set(example_plan.styles.run_fonts(p, r).values()) == {"宋体"}
        assert example_plan.styles.run_property(p, r, "sz").get(w("val")) == "28"  # 四号


# -- safety and determinism ------------------------------------------------------------------------

TRICKY = "条件 {{ 7*7 }} 与 {% if x %} 及 {# c #} 还有 ]]> 和 a < b > c & d \"q\" 'r'"


def test_text_appears_exactly_as_written(content_copy: Callable[..., Path], tmp_path: Path) -> None:
    name = "A&B<C>\"D\"'E' {{ 7*7 }} {% if x %} ]]>联合体"
    root = content_copy(
        {
            "建设方案/2-创建思路.md": lambda t: t.replace("# 创建目标", TRICKY + "\n\n# 创建目标", 1),
            "基本信息.yaml": lambda t: re.sub(r"(?m)^联合体名称:.*$", "联合体名称: '" + name.replace("'", "''") + "'", t),
        }
    )
    plan = Plan(build_plan(root, tmp_path / "out"))
    paragraphs = [text(p) for p in plan.paragraphs()]
    assert TRICKY in paragraphs
    assert [unglued(p) for p in paragraphs].count(name) == 1  # the summary table (glued there)
    assert [v for _label, v, _seal in cover_values(cover_rows(plan))].count(name) == 1  # the cover, wrapped
    assert_valid_docx(plan.path)
    # What survives is only what the team wrote, never a tag of the template.
    leftovers = leftover_tags(plan.path.read_bytes())
    assert leftovers and all(t.startswith("word/document.xml: ") for t in leftovers)
    # TRICKY's 3 tags once, the name's 2 in the table; on the cover a tag may be cut by a line end.
    assert 3 + 2 <= len(leftovers) <= 3 + 2 * 2


def test_template_lint(example_plan: Plan) -> None:
    app, _ = load_application(EXAMPLE)
    assert template_variables(TEMPLATE) <= set(build_context(app))
    assert leftover_tags(example_plan.path.read_bytes()) == []


def test_undefined_variable_names_template_and_variable(tmp_path: Path) -> None:
    broken = tmp_path / "建设方案.docx"
    with zipfile.ZipFile(TEMPLATE) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"{{ basics.name }}", b"{{ no_such_value }}", 1)
            dst.writestr(item, data)
    app, _ = load_application(EXAMPLE)
    with pytest.raises(ToolError, match=r"建设方案\.docx.*no_such_value"):
        render_bytes(broken, build_context(app), when=document_date(app), write_prose=prose_writer(app))


def test_same_content_gives_identical_bytes(custom_root: Path, tmp_path: Path) -> None:
    first = build_plan(custom_root, tmp_path / "a").read_bytes()
    second = build_plan(custom_root, tmp_path / "b").read_bytes()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert "word/media/image1.png" in zf.namelist()


def test_example_plan_is_a_valid_package(example_plan: Plan) -> None:
    assert_valid_docx(example_plan.path)


def test_package_checker_finds_what_word_would_repair(example_plan: Plan, tmp_path: Path) -> None:
    data = example_plan.path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    doc = parts["word/document.xml"].decode()
    doc = doc.replace("<w:pStyle ", "<w:jc w:val=\"left\"/><w:pStyle ", 1)  # order
    doc = doc.replace(f'w:val="{example_plan.sid("CJ正文")}"', 'w:val="NoSuchStyle"', 1)  # style
    doc = re.sub(r'r:id="rId\d+"', 'r:id="rId999"', doc, count=1)  # relationship
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken, "w") as zf:
        for n, payload in parts.items():
            zf.writestr(n, doc.encode() if n == "word/document.xml" else payload)
        zf.writestr("word/extra.bin", b"?")  # content type
    problems = "\n".join(docx_problems(broken))
    for expected in ("breaks the schema order", "NoSuchStyle", "rId999", "word/extra.bin: no content type"):
        assert expected in problems


# -- scripts -------------------------------------------------------------------------------------


def test_script_segments() -> None:
    assert script_segments("2024年6月12日") == [("2024", True), ("年", False), ("6", True), ("月", False), ("12", True), ("日", False)]
    assert script_segments("“联合体”——约…①㎡") == [("“联合体”——约…①㎡", False)]
    assert script_segments("R&D 投入 6.1%") == [("R&D ", True), ("投入 ", False), ("6.1%", True)]
    assert script_segments(" 前导") == [(" 前导", False)]


def test_split_runs_by_script_keeps_fields_and_styled_runs() -> None:
    doc = DocxTemplate(str(TEMPLATE)).get_docx()
    p = doc.add_paragraph()
    p.add_run("第3页")
    styled = p.add_run("A1")
    styled._r.style = "DefaultParagraphFont"  # a character style of its own: the author's choice
    field = p.add_run()
    field._r.append(etree.fromstring(f'<w:instrText xmlns:w="{NS["w"]}"> PAGE 9 </w:instrText>'))
    styles = StyleSheet(Package.read(TEMPLATE).xml["word/styles.xml"])
    assert script_fonts(p._p, styles, FOUNDER).problems[0] == "'第3页': Latin and CJK text in one run"
    split_runs_by_script(doc)
    latin = styles.style_id("CJ西文")
    assert [r.text for r in p.runs[:4]] == ["第", "3", "页", "A1"]
    assert [r._r.style for r in p.runs[:4]] == [None, latin, None, "DefaultParagraphFont"]
    assert len(p.runs) == 5 and p.runs[4]._r.find(w("instrText")) is not None
    # Only the run the author styled themselves is left to them.
    assert [x.split(":")[0] for x in script_fonts(p._p, styles, FOUNDER).problems] == ["'A1'"]


# -- the PDF (LibreOffice) -----------------------------------------------------------------------


@pytest.mark.libreoffice
def test_pdf_pages(example_plan: Plan, tmp_path: Path) -> None:
    from pypdf import PdfReader

    from generator.pdf.convert import convert_to_pdf, find_soffice

    if find_soffice() is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice must be installed in CI")
        pytest.skip("LibreOffice not installed")
    docx = tmp_path / "plan.docx"
    shutil.copy(example_plan.path, docx)
    convert_to_pdf([docx], tmp_path, fonts_dir=None, timeout=180)
    reader = PdfReader(tmp_path / "plan.pdf")
    pages = [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]
    assert "—1—" not in pages[0]  # no number on the cover
    assert pages[1].startswith("市域产教联合体建设方案") and "—1—" in pages[1]
    shapes = ["landscape" if p.mediabox.width > p.mediabox.height else "portrait" for p in reader.pages]
    first_land = shapes.index("landscape")
    assert "重庆市市域产教联合体建设方案" in pages[first_land] and "序号" in pages[first_land]
    assert "三、建设内容与举措" in pages[shapes.index("portrait", first_land)]
