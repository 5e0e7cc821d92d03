"""Validation rules: each one breaks the example in one place and reads the message back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ContentCopy, check_output, diagnostic_lines

from generator.check.rules import credit_code_valid

OVERVIEW = "推荐书/1-联合体概况.yaml"
CAPACITY = "推荐书/2-服务能力.yaml"


def _diags(root: Path, *, strict: bool = False) -> tuple[list[str], list[str], int]:
    """The error lines and the warning lines `chanjiao check` prints, and its exit code."""
    code, output = check_output(root, *(["--strict"] if strict else []))
    return diagnostic_lines(output, "错误"), diagnostic_lines(output, "警告"), code


def test_funding_sources_must_add_up_and_both_figures_are_said(content_copy: ContentCopy) -> None:
    root = content_copy({OVERVIEW: lambda t: t.replace("  政府核拨: 800", "  政府核拨: 750.5")})
    errors, _w, code = _diags(root)
    assert len(errors) == 1 and code == 1
    assert "2024年拟投入运行经费来源（万元）：四项来源合计 2,310.5 万元，与 2024年 拟投入运行经费总额 2,360 万元 不一致（相差 49.5 万元）" in errors[0]


def test_staff_must_add_up(content_copy: ContentCopy) -> None:
    root = content_copy({OVERVIEW: lambda t: t.replace("  兼职人数: 4", "  兼职人数: 3")})
    errors, _w, _c = _diags(root)
    assert errors and "秘书处（办公室）情况：专职人数 5 + 兼职人数 3 = 8，与人员总数 9 不一致" in errors[0]


def test_park_led_consortium_must_name_its_park(content_copy: ContentCopy) -> None:
    root = content_copy({"基本信息.yaml": lambda t: re.sub(r"\n牵头园区: .*\n", "\n", t)})
    errors, _w, _c = _diags(root)
    assert any("申报类型为“由产业园区牵头的产教联合体”，但未填写牵头园区" in e for e in errors), errors


def test_enterprise_led_consortium_must_name_its_enterprise(content_copy: ContentCopy) -> None:
    def edit(t: str) -> str:
        t = t.replace("申报类型: 园区牵头", "申报类型: 企业牵头")
        return re.sub(r"\n牵头企业:\n(  - .*\n)+", "\n", t)

    root = content_copy({"基本信息.yaml": edit})
    errors, _w, _c = _diags(root)
    assert any("申报类型为“由行业企业牵头的产教联合体”，但未填写牵头企业" in e for e in errors), errors


def test_commitment_below_baseline_is_a_warning_and_strict_fails(content_copy: ContentCopy) -> None:
    root = content_copy({CAPACITY: lambda t: t.replace("共建专业: {2023年: 9, 2024年: 12}", "共建专业: {2023年: 9, 2024年: 7}")})
    errors, warnings, code = _diags(root)
    assert errors == [] and code == 0
    assert any("共建专业：2024年承诺值 7 低于2023年基础值 9" in w for w in warnings), warnings
    _e, _w, strict_code = _diags(root, strict=True)
    assert strict_code == 1


def test_above_scale_enterprises_cannot_outnumber_listed_members(content_copy: ContentCopy) -> None:
    root = content_copy({CAPACITY: lambda t: re.sub(r"规模以上企业数: \d+", "规模以上企业数: 500", t)})
    errors, _w, _c = _diags(root)
    assert any(re.search(r"规模以上企业数（个）：500 个，多于联合体成员情况中列出的企业 \d+ 个", e) for e in errors), errors


def test_bad_credit_code_is_a_warning(content_copy: ContentCopy) -> None:
    root = content_copy({OVERVIEW: lambda t: t.replace('"11500158735503266Y"', '"11500158735503266X"', 1)})
    errors, warnings, code = _diags(root)
    assert errors == [] and code == 0
    assert any("统一社会信用代码 11500158735503266X 未通过 GB 32100 校验" in w for w in warnings), warnings


@pytest.mark.parametrize(
    ("code", "valid"),
    [("91350100M000100Y43", True), ("91350100M000100Y44", False), ("9135010", False), ("91350100M000100YI3", False)],
)
def test_credit_code_checksum(code: str, valid: bool) -> None:
    assert credit_code_valid(code) is valid


def test_over_limit_text_is_reported_with_its_count(content_copy: ContentCopy) -> None:
    root = content_copy({"推荐书/1-联合体已开展建设情况.md": "联合体" * 200 + "\n"})
    errors, _w, code = _diags(root)
    assert code == 1
    assert "推荐书/1-联合体已开展建设情况.md: 错误: 联合体已开展建设情况：600 字，超出 500 字的上限 100 字" in errors


def test_plan_fixed_heading_out_of_order(content_copy: ContentCopy) -> None:
    root = content_copy({"建设方案/2-创建思路.md": lambda t: t.replace("# 创建目标", "# 创建的目标", 1)})
    errors, _w, _c = _diags(root)
    assert any("二、创建思路：第 2 个一级标题应为“# 创建目标”（官方提纲的固定标题），现为“创建的目标”" in e for e in errors), errors


@pytest.mark.parametrize(
    ("src", "problem"),
    [
        ("../../etc/passwd", "指向申报材料目录之外"),
        ("/etc/passwd", "不能使用绝对路径"),
        ("file:///etc/passwd", "不能引用网址或外部链接"),
        ("http://example.com/a.png", "不能引用网址或外部链接"),
        ("图片/没有这张图.png", "找不到文件"),
        ("../项目.yaml", "不是有效的 PNG/JPEG 文件"),
    ],
)
def test_bad_image_paths_are_errors_naming_file_and_line(content_copy: ContentCopy, src: str, problem: str) -> None:
    rel = "建设方案/4-建设计划.md"
    root = content_copy({rel: lambda t: t + f"\n\n![示意图]({src})\n"})
    line = len((root / rel).read_text(encoding="utf-8").rstrip("\n").splitlines())
    errors, _w, _c = _diags(root)
    assert any(e.startswith(f"{rel}:{line}:1: 错误: 图片：") and problem in e for e in errors), errors


def test_symlink_leaving_the_repo_is_refused(content_copy: ContentCopy, tmp_path: Path) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes((Path(__file__).parent.parent / "content/建设方案/图片/组织架构图.png").read_bytes())
    root = content_copy({"建设方案/4-建设计划.md": lambda t: t + "\n\n![示意图](图片/link.png)\n"})
    (root / "建设方案/图片/link.png").symlink_to(outside)
    errors, _w, _c = _diags(root)
    assert any("路径“图片/link.png”指向申报材料目录之外" in e for e in errors), errors


def test_missing_attachment_names_the_entry(content_copy: ContentCopy) -> None:
    root = content_copy()
    listing = (root / "附件/清单.yaml").read_text(encoding="utf-8")
    first_file = re.search(r"文件: *(\S+)", listing)
    assert first_file
    (root / "附件" / first_file.group(1).strip('"')).unlink()
    errors, _w, _c = _diags(root)
    assert any(e.startswith("附件/清单.yaml:") and "找不到文件" in e for e in errors), errors


def test_a_phone_that_is_neither_landline_nor_mobile_is_a_warning(content_copy: ContentCopy) -> None:
    root = content_copy({OVERVIEW: lambda t: t.replace('联系电话: "023-65702556"', '联系电话: "6441-37"')})
    errors, warnings, code = _diags(root)
    assert errors == [] and code == 0
    assert any("的联系电话“6441-37”不像固定电话（如 023-12345678）或手机号" in w for w in warnings), warnings
