"""Loading the content repo: what bad input gets, with file, line, column and the form's label."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ContentCopy, check_output, diagnostic_lines, line_of

from generator.check.validate import check_content
from generator.content.loader import load_application

OVERVIEW = "推荐书/1-联合体概况.yaml"
CAPACITY = "推荐书/2-服务能力.yaml"


def _messages(root: Path) -> list[str]:
    """The diagnostic lines `chanjiao check` prints."""
    return diagnostic_lines(check_output(root)[1])


def _line_of(root: Path, rel: str, needle: str) -> int:
    return line_of(root / rel, needle)


def test_example_application_passes_check(example_root: Path) -> None:
    report, app = check_content(example_root)
    assert diagnostic_lines(check_output(example_root)[1]) == []
    assert report.ok and report.exit_code == 0
    assert app.get("basics.application_type") in ("park", "enterprise")


@pytest.mark.parametrize("written", ["023-12345678", "010", "NO", "yes", "1:30", "2023-12-31", "1.10", "0x1F", "1e3"])
def test_text_fields_keep_exactly_what_was_written(content_copy: ContentCopy, written: str) -> None:
    root = content_copy({OVERVIEW: lambda t: t.replace('联系电话: "023-63316958"', f"联系电话: {written}")})
    app, diagnostics = load_application(root)
    assert app.get("overview.secretariat.phone") == written
    assert not [d for d in diagnostics if d.location.path == OVERVIEW]


def test_quoted_figure_is_an_error_naming_the_field(content_copy: ContentCopy) -> None:
    root = content_copy({CAPACITY: lambda t: t.replace("共建专业: {2023年: 9,", '共建专业: {2023年: "9",')})
    line = _line_of(root, CAPACITY, "共建专业:")
    col = (root / CAPACITY).read_text(encoding="utf-8").splitlines()[line - 1].index('"9"') + 1
    assert _messages(root) == [
        f"{CAPACITY}:{line}:{col}: 错误: 资源共建共享 › 共建专业 › 2023年：数字不要加引号，现为“9”（带引号会被当作文字）"
    ]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("12个", "应填写数字，现为“12个”"),
        ("-3", "不能为负数，现为 -3"),
        ("9.5", "应为整数，现为 9.5"),
    ],
)
def test_bad_counts(content_copy: ContentCopy, written: str, message: str) -> None:
    root = content_copy({CAPACITY: lambda t: t.replace("共建专业: {2023年: 9,", f"共建专业: {{2023年: {written},")})
    msgs = _messages(root)
    assert len(msgs) == 1 and msgs[0].endswith("资源共建共享 › 共建专业 › 2023年：" + message), msgs


def test_thousands_separator_in_a_figure(content_copy: ContentCopy) -> None:
    root = content_copy({OVERVIEW: lambda t: t.replace("  固定办公面积: 260", "  固定办公面积: 1,260")})
    line = _line_of(root, OVERVIEW, "固定办公面积:")
    assert _messages(root) == [f"{OVERVIEW}:{line}:11: 错误: 秘书处（办公室）情况 › 固定办公面积：请去掉千位分隔符，现为“1,260”"]


def test_percent_out_of_range_and_with_sign(content_copy: ContentCopy) -> None:
    root = content_copy(
        {CAPACITY: lambda t: t.replace("整体就业率: {2023年: ", "整体就业率: {2023年: 101, x: ").replace(", x: ", ", x: ", 1)}
    )
    text = (root / CAPACITY).read_text(encoding="utf-8")
    import re

    text = re.sub(r"整体就业率: \{2023年: 101, x: [\d.]+, 2024年: [\d.]+\}", "整体就业率: {2023年: 101, 2024年: 97.5%}", text)
    (root / CAPACITY).write_text(text, encoding="utf-8")
    msgs = _messages(root)
    assert any(m.endswith("人才培养质量 › 联合体学校整体就业率（％） › 2023年：百分比应在 0–100 之间，现为 101") for m in msgs), msgs
    assert any(m.endswith("人才培养质量 › 联合体学校整体就业率（％） › 2024年：请去掉百分号，只写数字，现为“97.5%”") for m in msgs), msgs


def test_duplicate_key_names_both_lines(content_copy: ContentCopy) -> None:
    root = content_copy({"基本信息.yaml": lambda t: t + "\n联合体名称: 另一个名字\n"})
    first = _line_of(root, "基本信息.yaml", "联合体名称: 重庆")
    last = len((root / "基本信息.yaml").read_text(encoding="utf-8").splitlines())
    assert _messages(root) == [f"基本信息.yaml:{last}:1: 错误: 重复的键“联合体名称”：第 {first} 行已经写过"]


def test_unknown_key_suggests_the_closest(content_copy: ContentCopy) -> None:
    root = content_copy({"基本信息.yaml": lambda t: t.replace("推荐区县:", "推荐区:")})
    line = _line_of(root, "基本信息.yaml", "推荐区:")
    msgs = _messages(root)
    assert f"基本信息.yaml:{line}:1: 错误: 未知的键“推荐区”（基本信息（封面与汇总表））：是否应为“推荐区县”？" in msgs
    # … and the field it should have been is reported missing, in the same run
    assert any("推荐区县：必填项未填写" in m for m in msgs)


def test_unsafe_tag_is_rejected(content_copy: ContentCopy) -> None:
    root = content_copy(
        {"基本信息.yaml": lambda t: t.replace("联合体名称: 重庆", "联合体名称: !!python/object/apply:os.system 重庆")}
    )
    msgs = _messages(root)
    assert any("不支持的 YAML 标签 tag:yaml.org,2002:python/object/apply:os.system" in m for m in msgs), msgs


def test_control_character_in_yaml_is_an_error_at_its_position(content_copy: ContentCopy) -> None:
    root = content_copy({"基本信息.yaml": lambda t: t.replace("推荐区县: 重庆市", "推荐区县: 重庆\x07市")})
    line = _line_of(root, "基本信息.yaml", "推荐区县:")
    assert _messages(root) == [f"基本信息.yaml:{line}:9: 错误: 不允许的控制字符 U+0007：请删除或改为普通文字"]


def test_control_character_in_markdown_is_an_error_at_its_position(content_copy: ContentCopy) -> None:
    rel = "推荐书/4-建设规划.md"
    root = content_copy({rel: lambda t: "第一行\n\n第二\x0c行\n" + t})
    msgs = _messages(root)
    assert f"{rel}:3:3: 错误: 不允许的控制字符 U+000C：请删除或改为普通文字" in msgs


def test_crlf_and_decomposed_text_are_normalised(content_copy: ContentCopy) -> None:
    root = content_copy()
    path = root / "基本信息.yaml"
    text = path.read_text(encoding="utf-8").replace("推荐区县: 重庆市云岭区人民政府", "推荐区县: Cafe\u0301区")
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    app, diagnostics = load_application(root)
    assert app.get("basics.district") == "Caf\u00e9区"
    assert not [d for d in diagnostics if d.severity.value == "error"]
    # line numbers are those an editor shows, CRLF or not
    bad = text.replace("申报类型: 园区牵头", "申报类型: 园区").replace("\n", "\r\n")
    path.write_bytes(bad.encode("utf-8"))
    line = _line_of(root, "基本信息.yaml", "申报类型: 园区")
    assert _messages(root)[0].startswith(f"基本信息.yaml:{line}:7: 错误: 申报类型：应为 “园区牵头”、“企业牵头” 之一")


def test_gbk_file_is_an_error_not_garbage(content_copy: ContentCopy) -> None:
    root = content_copy()
    path = root / "推荐书/4-建设规划.md"
    path.write_bytes("第一行\n建设规划".encode("gbk"))
    msgs = _messages(root)
    assert any(m.startswith("推荐书/4-建设规划.md:1:1: 错误: 文件不是 UTF-8 编码") for m in msgs), msgs


def test_all_problems_are_reported_at_once(content_copy: ContentCopy) -> None:
    root = content_copy(
        {
            "基本信息.yaml": lambda t: t.replace("推荐区县:", "推荐区:"),
            CAPACITY: lambda t: t.replace("共建专业: {2023年: 9,", "共建专业: {2023年: 九,"),
            "推荐书/3-特色与创新.md": None,
        }
    )
    msgs = _messages(root)
    assert any("未知的键“推荐区”" in m for m in msgs)
    assert any("共建专业 › 2023年：应填写数字，现为“九”" in m for m in msgs)
    assert "推荐书/3-特色与创新.md: 错误: 缺少文件：3.特色与创新（推荐书/3-特色与创新.md）" in msgs


def test_missing_required_field_names_the_form_label(content_copy: ContentCopy) -> None:
    root = content_copy({OVERVIEW: lambda t: t.replace("  固定办公面积: 260", "  固定办公面积:")})
    line = _line_of(root, OVERVIEW, "固定办公面积:")
    assert _messages(root) == [f"{OVERVIEW}:{line}:3: 错误: 秘书处（办公室）情况 › 固定办公面积：必填项未填写"]


def test_comma_string_where_a_list_belongs(content_copy: ContentCopy) -> None:
    root = content_copy(
        {"基本信息.yaml": lambda t: t.replace("牵头学校:\n  - 重庆云岭职业技术学院\n  - 重庆市云岭区职业教育中心", "牵头学校: 重庆云岭职业技术学院、重庆市云岭区职业教育中心")}
    )
    msgs = _messages(root)
    assert any("牵头学校：请写成列表（每项一行，以“- ”开头），不要用顿号或逗号连写" in m for m in msgs), msgs


def test_not_a_content_repo(tmp_path: Path) -> None:
    report, _app = check_content(tmp_path)
    assert [d.code for d in report.diagnostics] == ["not-content-repo"]


def test_part_page_limit_must_name_a_real_part(content_copy: ContentCopy) -> None:
    root = content_copy({"项目.yaml": lambda t: t.replace("  各部分:\n", "  各部分:\n    三、建设内容和举措: 10\n")})
    line = _line_of(root, "项目.yaml", "三、建设内容和举措")
    assert _messages(root) == [
        f"项目.yaml:{line}:5: 错误: 未知的键“三、建设内容和举措”（页数限制 › 各部分页数上限）：是否应为“三、建设内容与举措”？"
    ]
