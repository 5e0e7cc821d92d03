"""Golden files: the example's model and Markdown → blocks, dumped as stable, sorted JSON.

A change in what the loader or the Markdown reader produces shows up as a diff of a text file a
reviewer can read. `pytest --update-goldens` rewrites tests/golden/ from the current code; commit
the new files with the change that made them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, REPO, golden_difference

from generator.content.loader import load_application
from generator.content.markdown import read_markdown
from generator.errors import Diagnostic, Location
from generator.form.declaration import FieldSpec, FormSpec
from generator.model import Span


def canonical(obj: Any) -> Any:
    """`obj` as plain JSON data: a dataclass becomes {"ClassName": {field: value}} with fields at
    their defaults left out; a location its `path:line:col`; a date its ISO text; a form field its
    dotted path (the form is declared elsewhere: the dump is about the content)."""
    if isinstance(obj, Location):
        return str(obj)
    if isinstance(obj, FieldSpec):
        return obj.path
    if isinstance(obj, FormSpec):
        return obj.version
    if isinstance(obj, Span):
        # The common case on one line: plain text as a string, emphasis as a tagged list.
        marks = [m for m, on in (("bold", obj.bold), ("italic", obj.italic)) if on]
        return obj.text if not marks else [*marks, obj.text]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if f.default is not dataclasses.MISSING and value == f.default:
                continue
            if f.default_factory is not dataclasses.MISSING and value == f.default_factory():
                continue
            fields[f.name] = canonical(value)
        return {type(obj).__name__: fields}
    if isinstance(obj, dict):
        return {str(k): canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, list | tuple):
        return [canonical(v) for v in obj]
    if isinstance(obj, dt.date):
        return {"date": obj.isoformat()}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, Path):
        return _relative(str(obj))
    if isinstance(obj, str):
        return _relative(obj)
    return obj


def _relative(text: str) -> str:
    # A path into this checkout is written from the repo root, so the dump is the same everywhere.
    return text.replace(str(REPO) + "/", "<repo>/").replace(str(REPO), "<repo>")


def dump(data: Any) -> str:
    """Sorted JSON, one entry a line; a container that fits in one line of 100 stays on one."""
    return _format(canonical(data), 0) + "\n"


def _format(obj: Any, indent: int) -> str:
    flat = json.dumps(obj, ensure_ascii=False, sort_keys=True)
    if not isinstance(obj, dict | list) or not obj or indent + len(flat) <= 100:
        return flat
    pad = " " * (indent + 1)
    if isinstance(obj, list):
        inner = [pad + _format(v, indent + 1) for v in obj]
        return "[\n" + ",\n".join(inner) + "\n" + " " * indent + "]"
    inner = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {_format(v, indent + 1)}" for k, v in sorted(obj.items())]
    return "{\n" + ",\n".join(inner) + "\n" + " " * indent + "}"


def diagnostic_line(d: Diagnostic) -> str:
    return f"{d.location}: {d.severity.value}: {d.code}: {d.message}"


# -- the example's model ------------------------------------------------------------------------


def test_the_example_loads_into_the_golden_model(golden: Any) -> None:
    app, diagnostics = load_application(EXAMPLE)
    assert [diagnostic_line(d) for d in diagnostics] == []
    model = {
        "form": app.form.version,
        "root": app.root,
        "baseline_year": app.baseline_year,
        "values": app.values,
        "prose": app.prose,
        # which files were read; their hashes change with every edit and say nothing more
        "sources": sorted(app.sources),
    }
    golden("example-model.json", dump(model))


# -- Markdown → blocks -------------------------------------------------------------------------

MARKDOWN = {
    "headings": "# 一、总体思路\n\n## （一）基本情况\n\n### 1. 牵头园区\n\n#### （1）企业\n\n##### 五级标题\n\n正文一段。\n\n3.5万元不是标题编号\n",
    "lists": (
        "- 共建专业\n- 共建课程\n  - 课程标准\n  - 教材\n\n"
        "3. 第三项\n4. 第四项\n\n"
        "1. 一是健全机制；\n   二是完善制度。\n"
    ),
    "tables": (
        "| 时间节点 | 重点任务 | 责任单位 |\n| :--- | :---: | ---: |\n"
        "| 2025年6月 | **建成**实训基地 | 重庆云岭职业技术学院 |\n| 2025年12月 | 中期评估 |  |\n"
    ),
    "emphasis": (
        "联合体坚持**“政府统筹、园区牵头”**，推进*产教融合*。\n\n"
        "***加粗斜体***与**加粗中*斜体*部分**。\n\n"
        "半角**bold**和 **Latin words** 混排。\n"
    ),
    "images": (
        "![图1 实训基地全景](图片/基地.png)\n\n"
        "正文中的图片![图2](图片/车间.jpg)在段落里。\n\n"
        "![](图片/无标题.png)\n"
    ),
    "footnotes": "数据来源于统计年鉴[^1]。\n\n[^1]: 《重庆统计年鉴2023》。\n",
    "cjk-punctuation": (
        "联合体成员单位\n共建共享，\n实训基地面积 260㎡、设备总值 3,000 万元。\n\n"
        "English words\nacross a line break.\n\n"
        "全角标点：“引号”、《书名》、（括号）；省略号……破折号——。\n\n"
        "硬换行  \n下一行&#12288;全角空格&amp;实体。\n"
    ),
    "not-printable": (
        "段落中有<span>HTML</span>标记。\n\n<div>块级 HTML</div>\n\n```\n代码块\n```\n\n---\n\n"
        "行内`代码`与[链接](https://example.com)和[同名](同名)。\n\n> 引用的一段。\n"
    ),
}


@pytest.mark.parametrize("case", sorted(MARKDOWN))
def test_markdown_reads_into_the_golden_blocks(case: str, golden: Any) -> None:
    text = MARKDOWN[case]
    blocks, _tags, diagnostics = read_markdown(text, f"{case}.md")
    golden(
        f"markdown/{case}.json",
        dump({"markdown": text.splitlines(), "blocks": blocks, "diagnostics": [diagnostic_line(d) for d in diagnostics]}),
    )


def test_a_difference_fails_with_a_readable_diff_and_the_flag_rewrites_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{\n "name": "旧名称",\n "year": 2023\n}\n', encoding="utf-8")
    now = '{\n "name": "新名称",\n "year": 2023\n}\n'
    problem = golden_difference(path, now)
    assert problem is not None
    lines = problem.splitlines()
    assert lines[0] == f"{path} differs; if the change is intended, run pytest --update-goldens and review the diff:"
    assert [line for line in lines if line[:2] in ("- ", "+ ")] == ['- "name": "旧名称",', '+ "name": "新名称",']
    assert golden_difference(path, now, update=True) is None
    assert path.read_text(encoding="utf-8") == now and golden_difference(path, now) is None
    assert golden_difference(tmp_path / "none.json", now) == f"no golden file {tmp_path / 'none.json'}: run pytest --update-goldens and review it"
