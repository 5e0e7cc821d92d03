"""The form declaration is complete and checked: a copy that renames any field a rule or the code
reads fails to load, naming the field and its reader; the header documents every attribute; the
documents, package name and body font come from it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

import generator.check.rules  # noqa: F401  (registers the rules' paths)
from generator.errors import ToolError
from generator.form.declaration import FORMS_DIR, NODE_ATTRIBUTES, load_form, load_form_file
from generator.form.requirements import CODE_READS, REGISTRY, Need, declaration_problems
from generator.form.types import FieldType
from generator.pdf.fontcheck import BODY_FONT
from generator.word.documents import DOCUMENTS, PACKAGE_DEFAULT_NAME, templates_dir

SHIPPED = FORMS_DIR / "2024.yaml"
ContentCopy = Callable[..., Path]


def _raw() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def _node(raw: dict, path: str) -> dict:
    """The raw node at a spec path ("overview.funding_total") or item path ("units.name")."""
    first, *rest = path.split(".")
    node = next((n for n in raw["files"] if n["id"] == first), None)
    for part in rest:
        node = next((n for n in (node or {}).get("children", ()) if n["id"] == part), None)
    if node is None:  # not a spec path: an item field, as `requirements._lookup` reads it
        return next(n for n in raw["item_fields"][first] if n["id"] == rest[0])
    return node


def _write(raw: dict, tmp_path: Path) -> Path:
    out = tmp_path / "form.yaml"
    out.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def test_the_shipped_form_has_every_path_the_code_reads() -> None:
    assert declaration_problems(load_form()) == []
    # Every rule that looks a value up by path says so (the dynamic ones walk the form instead).
    assert {"funding-sum", "staff-sum", "type-lead", "part-whole", "attachment", "fonts-dir"} <= set(REGISTRY)


RULE_PATHS = sorted({(reader, n.path) for reader, needs in REGISTRY.items() for n in needs})


@pytest.mark.parametrize(("rule", "path"), RULE_PATHS, ids=[f"{r}:{p}" for r, p in RULE_PATHS])
def test_renaming_a_field_a_rule_reads_fails_naming_field_and_rule(tmp_path: Path, rule: str, path: str) -> None:
    raw = _raw()
    _node(raw, path)["id"] += "_renamed"
    with pytest.raises(ToolError) as exc:
        load_form_file(_write(raw, tmp_path))
    assert f"缺少 规则 {rule} 所需的字段 {path}" in str(exc.value)


CODE_PATHS = sorted({(reader, n.path) for reader, needs in CODE_READS.items() for n in needs})


@pytest.mark.parametrize(("reader", "path"), CODE_PATHS, ids=[f"{r}:{p}" for r, p in CODE_PATHS])
def test_renaming_a_field_the_code_reads_fails_too(tmp_path: Path, reader: str, path: str) -> None:
    raw = _raw()
    _node(raw, path)["id"] += "_renamed"
    with pytest.raises(ToolError) as exc:
        load_form_file(_write(raw, tmp_path))
    assert f"缺少 {reader} 代码 所需的字段 {path}" in str(exc.value)


def test_a_field_of_the_wrong_type_or_without_its_year_fails(tmp_path: Path) -> None:
    raw = _raw()
    _node(raw, "overview.funding_total")["of"]["type"] = "text"
    _node(raw, "overview.secretariat.staff_total")["type"] = "text"
    with pytest.raises(ToolError) as exc:
        load_form_file(_write(raw, tmp_path))
    message = str(exc.value)
    assert "规则 funding-sum 所需的字段 overview.funding_total 每年应为 amount 类型，现为 text" in message
    assert "规则 staff-sum 所需的字段 overview.secretariat.staff_total 应为 count 类型，现为 text" in message
    raw = _raw()
    _node(raw, "overview.funding_total")["years"] = [2, 3]
    with pytest.raises(ToolError, match=r"规则 funding-sum 所需的字段 overview\.funding_total 缺少年份 y1"):
        load_form_file(_write(raw, tmp_path))


def test_a_check_with_a_broken_form_is_a_tool_error_not_a_silent_pass(tmp_path: Path) -> None:
    """The rule used to skip when its path was missing; now the check itself refuses to run."""
    from generator.check.rules import apply_rules
    from generator.model import Application

    raw = _raw()
    _node(raw, "overview.funding_sources.government")["id"] = "state"
    # Bypass load_form_file's check, as a form loaded before the rules registered would.
    from generator.form import declaration

    form = declaration._form(raw)
    with pytest.raises(ToolError, match=r"规则 funding-sum 所需的字段 overview\.funding_sources\.government"):
        apply_rules(Application(form=form, root=str(tmp_path), baseline_year=2023))


def test_unknown_attribute_and_misplaced_not_applicable_are_refused(tmp_path: Path) -> None:
    raw = _raw()
    _node(raw, "basics.name")["summary_table"] = True
    with pytest.raises(ToolError, match="联合体名称 有未知的属性 summary_table"):
        load_form_file(_write(raw, tmp_path))
    raw = _raw()
    _node(raw, "basics.name")["not_applicable"] = True
    with pytest.raises(ToolError, match="联合体名称 不是数字栏目"):
        load_form_file(_write(raw, tmp_path))


def test_the_header_documents_every_attribute_the_loader_accepts() -> None:
    header = SHIPPED.read_text(encoding="utf-8").split("\n# Node attributes", 1)[1].split("\nversion:", 1)[0]
    documented = set(re.findall(r"^#   ([a-z_]+)\s", header, flags=re.M))
    assert documented == set(NODE_ATTRIBUTES)
    # The type line lists every FieldType.
    types_text = header.split("#   type", 1)[1].split("#   unit", 1)[0]
    assert set(re.findall(r"[a-z_]+", types_text)) == {t.value for t in FieldType}
    # And every top-level key is documented too.
    top = SHIPPED.read_text(encoding="utf-8").split("# Node attributes", 1)[0]
    documented_top = set(re.findall(r"^#   ([a-z_]+)\s", top, flags=re.M))
    assert documented_top == set(_raw())


def test_every_node_type_is_a_field_type() -> None:
    for spec in load_form().by_path().values():
        assert isinstance(spec.type, FieldType)
        assert spec.of is None or isinstance(spec.of.type, FieldType)


def test_documents_package_and_body_font_come_from_the_declaration() -> None:
    raw = _raw()
    assert [(d.id, d.title, d.template, d.default_name, list(d.reads)) for d in DOCUMENTS] == [
        (d["id"], d["title"], d["template"], d["output_name"], d["reads"]) for d in raw["documents"]
    ]
    assert raw["package_name"] == PACKAGE_DEFAULT_NAME
    assert raw["body_font"] == BODY_FONT
    for d in DOCUMENTS:
        assert (templates_dir() / d.template).is_file()
    # Each document's output name can be set in 项目.yaml under its title.
    names = load_form().by_path()
    assert all(names[f"project.output_names.{d.id}"].key == d.title for d in DOCUMENTS)


def test_category_is_checked_against_the_form_with_the_closest_value(content_copy: ContentCopy) -> None:
    from generator.check.report import render_report_text
    from generator.check.validate import check_content

    overview = "推荐书/1-联合体概况.yaml"
    root = content_copy({overview: lambda t: t.replace("      类别: 普通本科", "      类别: 普通本科院校", 1)})
    report, _app = check_content(root)
    lines = [ln for ln in render_report_text(report).splitlines() if "类别" in ln]
    assert len(lines) == 1, lines
    assert re.fullmatch(
        r"推荐书/1-联合体概况\.yaml:\d+:\d+: 错误: 联合体成员情况 › 学校 › 第\d+项 › 类别：应为 “中职”、“高职”、“职教本科”、“普通本科” 之一，现为“普通本科院校”；是否应为“普通本科”？",
        lines[0],
    ), lines[0]
    assert report.errors[0].extra == {"suggestion": "普通本科"}


def test_need_paths_are_unique_per_reader() -> None:
    for reader, needs in {**REGISTRY, **CODE_READS}.items():
        paths = [n.path for n in needs if isinstance(n, Need)]
        assert len(paths) == len(set(paths)), reader


def test_schools_say_their_category_and_cover_secondary_and_higher(content_copy: ContentCopy) -> None:
    from generator.check.report import render_report_text
    from generator.check.validate import check_content

    overview = "推荐书/1-联合体概况.yaml"
    no_category = '      统一社会信用代码: "12500158902042701B"\n      类别: 普通本科\n'
    root = content_copy({overview: lambda t: t.replace(no_category, '      统一社会信用代码: "12500158902042701B"\n').replace("类别: 中职", "类别: 高职")})
    report, _app = check_content(root)
    lines = [ln for ln in render_report_text(report).splitlines() if ": 警告: " in ln]
    assert len(lines) == 2, lines
    assert re.fullmatch(r"推荐书/1-联合体概况\.yaml:\d+:\d+: 警告: 学校“重庆渝岭理工学院”未填写类别（中职、高职、职教本科、普通本科）", lines[0]), lines[0]
    assert lines[1].endswith("警告: 联合体成员中没有中职学校：产教联合体应涵盖中职和高职学校"), lines[1]
    assert report.errors == [] and report.exit_code == 0


def test_heading_numbers_come_from_the_declaration() -> None:
    from generator.word.blocks import heading_number

    assert _raw()["heading_numbers"] == list(load_form().heading_numbers)
    assert [heading_number(1, 11), heading_number(2, 3), heading_number(3, 2), heading_number(4, 5)] == ["（十一）", "3.", "（2）", "（5）"]


def test_a_heading_number_format_with_another_placeholder_is_refused(tmp_path: Path) -> None:
    raw = _raw()
    raw["heading_numbers"][0] = "（{zh}）"
    with pytest.raises(ToolError, match=r"标题编号格式“（\{zh\}）”只能使用 \{n\} 和 \{cn\}"):
        load_form_file(_write(raw, tmp_path))


def test_footnotes_are_placed_once_each(tmp_path: Path) -> None:
    raw = _raw()
    _node(raw, "basics.name")["footnote"] = "nowhere"
    with pytest.raises(ToolError, match="联合体名称 的脚注“nowhere”未在 footnotes 中声明"):
        load_form_file(_write(raw, tmp_path))
    raw = _raw()
    del _node(raw, "overview.leader")["footnote"]
    with pytest.raises(ToolError, match="脚注“leader”应附在一个栏目上，现为 0 个"):
        load_form_file(_write(raw, tmp_path))


def test_the_summary_table_header_is_written_once_in_the_declaration() -> None:
    """Both templates print the summary table's title and header from the declaration, and the
    declared columns are exactly the row the context makes."""
    import zipfile

    from conftest import EXAMPLE

    from generator.content.loader import load_application
    from generator.word.context import build_context
    from generator.word.documents import templates_dir

    app, _diagnostics = load_application(EXAMPLE)
    table = app.form.summary_table
    assert table is not None
    row = build_context(app)["summary_rows"][0]
    assert set(row) == set(table.columns)
    assert set(table.group_columns) <= set(table.columns)
    for name in ("建设方案.docx", "汇总表.docx"):
        with zipfile.ZipFile(templates_dir() / name) as zf:
            xml = zf.read("word/document.xml").decode("utf-8")
        for column in table.columns:
            assert xml.count(f"{{{{ summary_table.header.{column} }}}}") == 1, (name, column)
        assert "{{ summary_table.title }}" in xml and "{{ summary_table.group }}" in xml
        assert f">{table.title}<" not in xml and f">{table.columns['institutes']}<" not in xml
