"""Editor schemas: the JSON Schemas `init` writes for the YAML language server, checked with `jsonschema`.

The YAML files are read the way the editor reads them (YAML 1.2 core schema, as the YAML language
server parses: `010` is a number, `2024-06-03` a string), then validated. What `chanjiao check`
accepts the schema must accept; what the schema rejects, `check` must reject as well.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

jsonschema = pytest.importorskip("jsonschema")

from generator.content.loader import load_application  # noqa: E402
from generator.content.yamlfile import Mapping, Node, Scalar, parse_yaml  # noqa: E402
from generator.form.declaration import load_form  # noqa: E402
from generator.form.schema import (  # noqa: E402
    NOT_APPLICABLE_MARKS,
    SCHEMA_DIR,
    _Builder,
    schema_texts,
    yaml_files,
    yaml_schema_settings,
)
from tests.large_app import make_large_application  # noqa: E402

BIN = Path(sys.executable).parent
EXAMPLE = Path(__file__).resolve().parent.parent / "content"

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1023-core-schema): what the language server
# makes of a plain scalar. Everything else, and every quoted scalar, is a string.
_NULL = re.compile(r"^(~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def as_editor_sees(node: Node | None) -> Any:
    """A parsed YAML tree as JSON values, resolved the way the YAML language server resolves them."""
    if node is None:
        return None
    if isinstance(node, Mapping):
        return {key: as_editor_sees(value) for key, _loc, value in node.entries}
    if not isinstance(node, Scalar):
        return [as_editor_sees(item) for item in node.items]
    text = node.text
    if not node.plain:
        return text
    if _NULL.match(text):
        return None
    if _BOOL.match(text):
        return text.lower() == "true"
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _validator(repo: Path, rel_schema: str) -> Any:
    schema = json.loads((repo / rel_schema).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def _errors(repo: Path, rel_yaml: str) -> list[Any]:
    """Every schema error of one content file of `repo`, against the schema its settings map to it."""
    settings = json.loads((repo / ".vscode/settings.json").read_text(encoding="utf-8"))["yaml.schemas"]
    (rel_schema,) = [s for s, globs in settings.items() if "/" + rel_yaml in globs]
    tree, problems = parse_yaml((repo / rel_yaml).read_text(encoding="utf-8"), rel_yaml)
    assert not problems
    return sorted(_validator(repo, rel_schema).iter_errors(as_editor_sees(tree)), key=lambda e: list(e.absolute_path))


def _init(tmp_path: Path) -> Path:
    repo = tmp_path / "申报仓库"
    done = subprocess.run([str(BIN / "chanjiao"), "init", str(repo)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return repo


def _with_example(tmp_path: Path) -> Path:
    """A repo made by `init`, then filled in with the example's content."""
    repo = _init(tmp_path)
    for src in EXAMPLE.rglob("*"):
        if src.is_file():
            dest = repo / src.relative_to(EXAMPLE)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
    return repo


def _yaml_content_files(repo: Path) -> set[str]:
    return {p.relative_to(repo).as_posix() for p in repo.rglob("*.yaml") if not p.relative_to(repo).as_posix().startswith(".")}


def test_init_writes_the_schemas_of_the_current_form_and_maps_every_yaml_file(tmp_path: Path) -> None:
    repo = _init(tmp_path)
    expected = schema_texts(load_form())
    on_disk = {p.relative_to(repo).as_posix(): p.read_text(encoding="utf-8") for p in (repo / SCHEMA_DIR).iterdir()}
    assert on_disk == expected
    settings = json.loads((repo / ".vscode/settings.json").read_text(encoding="utf-8"))
    mapping = settings["yaml.schemas"]
    # Every YAML file of the new repo has exactly one schema, and every schema exists.
    assert sorted(globs[0].lstrip("/") for globs in mapping.values()) == sorted(_yaml_content_files(repo))
    # ... and again as VS Code's URI spells it, which is what yaml-language-server 1.25 matches.
    assert [unquote(globs[1]) for globs in mapping.values()] == [globs[0] for globs in mapping.values()]
    assert all(globs[1].isascii() for globs in mapping.values())
    assert len(mapping) == len(yaml_files(load_form())) == 6
    for rel_schema in mapping:
        assert not Path(rel_schema).is_absolute() and (repo / rel_schema).is_file()
        # The language server resolves only ASCII paths as workspace-relative (see schema.SCHEMA_DIR).
        assert rel_schema.isascii()
    extensions = json.loads((repo / ".vscode/extensions.json").read_text(encoding="utf-8"))
    assert extensions["recommendations"] == ["redhat.vscode-yaml"]


def test_the_empty_stubs_of_a_new_repo_raise_no_schema_error(tmp_path: Path) -> None:
    # A new repo is all empty keys: the editor must not paint it red (`check` lists what is missing).
    repo = _init(tmp_path)
    for rel in sorted(_yaml_content_files(repo)):
        assert _errors(repo, rel) == [], rel


def test_the_example_is_valid_against_its_schemas(tmp_path: Path) -> None:
    repo = _with_example(tmp_path)
    assert _yaml_content_files(repo) == {globs[0].lstrip("/") for globs in yaml_schema_settings(load_form()).values()}
    for rel in sorted(_yaml_content_files(repo)):
        assert [e.message for e in _errors(repo, rel)] == [], rel


def test_the_large_application_is_valid_against_the_schemas(tmp_path: Path) -> None:
    repo = _init(tmp_path)
    big = make_large_application(tmp_path / "large")
    for rel in sorted(_yaml_content_files(repo)):
        shutil.copyfile(big / rel, repo / rel)
        assert [e.message for e in _errors(repo, rel)] == [], rel


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("rel", "old", "new", "path", "validator", "check_code"),
    [
        # a figure written as a string (quoted) or with its unit, an unknown key, a wrong 申报类型, names run
        # together with 、, a date the form cannot print
        ("推荐书/1-联合体概况.yaml", "固定办公面积: 260", '固定办公面积: "260"', ["秘书处", "固定办公面积"], "type", "quoted-number"),
        ("推荐书/1-联合体概况.yaml", "固定办公面积: 260", "固定办公面积: 260㎡", ["秘书处", "固定办公面积"], "type", "not-a-number"),
        ("推荐书/2-服务能力.yaml", "  共建专业:", "  共建专业数: 3\n  共建专业:", ["资源共建共享"], "additionalProperties", "unknown-key"),
        ("基本信息.yaml", "申报类型: 园区牵头", "申报类型: 政府牵头", ["申报类型"], "enum", "bad-choice"),
        ("基本信息.yaml", "联合体名称:", "联合体名字: 某联合体\n联合体名称:", [], "additionalProperties", "unknown-key"),
        ("基本信息.yaml", "牵头学校:\n  - 重庆云岭职业技术学院\n  - 重庆市云岭区职业教育中心\n", "牵头学校: 重庆云岭职业技术学院、重庆市云岭区职业教育中心\n", ["牵头学校"], "pattern", "comma-list"),
        ("基本信息.yaml", "日期: 2024-06-12", "日期: 六月十二日", ["日期"], "pattern", "not-a-date"),
    ],
)
def test_a_broken_file_fails_at_the_expected_path_and_check_agrees(
    tmp_path: Path, rel: str, old: str, new: str, path: list[str], validator: str, check_code: str
) -> None:
    repo = _with_example(tmp_path)
    _edit(repo / rel, old, new)
    errors = _errors(repo, rel)
    assert [(list(e.absolute_path), e.validator) for e in errors] == [(path, validator)]
    _app, diagnostics = load_application(repo)
    assert check_code in {d.code for d in diagnostics if d.location.path == rel}


def test_a_percent_above_100_and_a_negative_count_are_refused_as_check_refuses_them(tmp_path: Path) -> None:
    repo = _with_example(tmp_path)
    rel = "推荐书/2-服务能力.yaml"
    text = (repo / rel).read_text(encoding="utf-8")
    text = re.sub(r"(整体就业率: \{2023年: )[\d.]+", r"\g<1>100.5", text, count=1)
    text = re.sub(r"(共建专业: \{2023年: )\d+", r"\g<1>-1", text, count=1)
    (repo / rel).write_text(text, encoding="utf-8")
    errors = _errors(repo, rel)
    assert {(*e.absolute_path, e.validator) for e in errors} == {
        ("人才培养质量", "整体就业率", "2023年", "maximum"),
        ("资源共建共享", "共建专业", "2023年", "minimum"),
    }
    _app, diagnostics = load_application(repo)
    assert {"percent-range", "negative"} <= {d.code for d in diagnostics}


def test_what_check_accepts_the_schema_accepts(tmp_path: Path) -> None:
    # The year without 年, a phone number and a code with a leading 0 unquoted (a string and a
    # number to the editor), the 申报类型 written as its full label: all fine for `check`.
    repo = _with_example(tmp_path)
    _edit(repo / "推荐书/2-服务能力.yaml", "共建专业: {2023年:", "共建专业: {2023:")
    _edit(repo / "推荐书/1-联合体概况.yaml", '联系电话: "023-63316958"', "联系电话: 023-63316958")
    _edit(repo / "推荐书/1-联合体概况.yaml", '{姓名: 陈立新, 联系电话: "13908316625"}', "{姓名: 陈立新, 联系电话: 013908316625}")
    _edit(repo / "基本信息.yaml", "申报类型: 园区牵头", "申报类型: 由产业园区牵头的产教联合体")
    for rel in ("推荐书/2-服务能力.yaml", "推荐书/1-联合体概况.yaml", "基本信息.yaml"):
        assert [e.message for e in _errors(repo, rel)] == [], rel
    _app, diagnostics = load_application(repo)
    assert [d for d in diagnostics if d.severity.name == "ERROR"] == []


def test_a_missing_required_key_and_a_missing_year_are_reported(tmp_path: Path) -> None:
    repo = _with_example(tmp_path)
    text = (repo / "基本信息.yaml").read_text(encoding="utf-8")
    (repo / "基本信息.yaml").write_text(re.sub(r"(?m)^推荐区县:.*\n", "", text), encoding="utf-8")
    text = (repo / "推荐书/2-服务能力.yaml").read_text(encoding="utf-8")
    (repo / "推荐书/2-服务能力.yaml").write_text(re.sub(r"(共建课程: \{2023年: \d+), 2024年: \d+", r"\1", text), encoding="utf-8")
    assert [(list(e.absolute_path), e.validator) for e in _errors(repo, "基本信息.yaml")] == [([], "required")]
    assert [(list(e.absolute_path), e.validator) for e in _errors(repo, "推荐书/2-服务能力.yaml")] == [
        (["资源共建共享", "共建课程"], "anyOf")
    ]


def test_hover_texts_carry_label_unit_limit_and_guidance(tmp_path: Path) -> None:
    repo = _init(tmp_path)
    capacity = json.loads((repo / SCHEMA_DIR / "capacity.schema.json").read_text(encoding="utf-8"))
    award = capacity["properties"]["师资共建共享"]["properties"]["教学团队国家级奖励"]
    assert award["title"] == "教师教学团队获国家级奖励情况"
    assert "不超过100字" in award["markdownDescription"]
    assert "maxLength" not in json.dumps(capacity)  # the 字数 rule is ours, not JSON Schema's
    majors = capacity["properties"]["资源共建共享"]["properties"]["共建专业"]
    assert "计量单位：个" in majors["description"] and "2023年、2024年" in majors["description"]
    assert "计量单位：个" in majors["properties"]["2023年"]["markdownDescription"]
    overview = json.loads((repo / SCHEMA_DIR / "overview.schema.json").read_text(encoding="utf-8"))
    leader = overview["properties"]["联合体负责人"]
    assert "联合体负责人指联合体牵头单位负责同志。" in leader["description"]  # the form's footnote
    funding = overview["properties"]["运行经费总额"]
    assert list(funding["properties"]) == ["2024年", "2025年", "2026年"]
    assert "2024—2026年填写承诺建成数据" in funding["description"]
    basics = json.loads((repo / SCHEMA_DIR / "basics.schema.json").read_text(encoding="utf-8"))
    assert basics["properties"]["推荐区县"]["description"].endswith("区县政府全称")


def test_the_schema_command_follows_the_baseline_year_and_merges_settings(tmp_path: Path) -> None:
    repo = _init(tmp_path)
    _edit(repo / "项目.yaml", "基准年度: 2023", "基准年度: 2024")
    user = {"editor.fontSize": 15, "yaml.schemas": {"my.schema.json": "/其他.yaml", f"{SCHEMA_DIR}/old.schema.json": ["/旧.yaml"]}}
    (repo / ".vscode/settings.json").write_text(json.dumps(user, ensure_ascii=False), encoding="utf-8")
    (repo / ".vscode/extensions.json").write_text('{"recommendations": ["ms-python.python"]}', encoding="utf-8")
    done = subprocess.run([str(BIN / "chanjiao"), "schema", str(repo)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "已更新编辑器提示文件" in done.stdout and done.stderr == ""
    capacity = json.loads((repo / SCHEMA_DIR / "capacity.schema.json").read_text(encoding="utf-8"))
    assert list(capacity["properties"]["资源共建共享"]["properties"]["共建专业"]["properties"]) == ["2024年", "2025年"]
    settings = json.loads((repo / ".vscode/settings.json").read_text(encoding="utf-8"))
    assert settings["editor.fontSize"] == 15
    assert settings["yaml.schemas"] == {"my.schema.json": "/其他.yaml", **yaml_schema_settings(load_form())}
    extensions = json.loads((repo / ".vscode/extensions.json").read_text(encoding="utf-8"))
    assert extensions["recommendations"] == ["ms-python.python", "redhat.vscode-yaml"]


def test_a_settings_file_that_is_not_json_is_left_alone_and_the_user_told_what_to_add(tmp_path: Path) -> None:
    repo = _init(tmp_path)
    jsonc = '{\n  // 我的设置\n  "editor.fontSize": 15,\n}\n'
    (repo / ".vscode/settings.json").write_text(jsonc, encoding="utf-8")
    done = subprocess.run([str(BIN / "chanjiao"), "schema", str(repo)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (repo / ".vscode/settings.json").read_text(encoding="utf-8") == jsonc
    assert "不是有效的 JSON" in done.stderr and "没有改动它" in done.stderr
    assert '".chanjiao/schemas/basics.schema.json": [\n      "/基本信息.yaml",' in done.stderr


def test_the_schema_command_outside_a_content_repo_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run([str(BIN / "chanjiao"), "schema", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "不是申报材料目录" in done.stderr and "Traceback" not in done.stderr


def _marked_not_applicable(spec: Any) -> Any:
    # The declaration's `not_applicable` attribute is a parallel change; until it lands, mark a
    # copy of the spec by hand (a frozen dataclass: object.__setattr__ is the way in).
    marked = dataclasses.replace(spec)
    object.__setattr__(marked, "not_applicable", True)
    return marked


def test_a_figure_marked_not_applicable_takes_the_marks_and_nothing_else() -> None:
    form = load_form()
    paths = form.by_path()
    area = _marked_not_applicable(paths["overview.secretariat.office_area"])
    yearly = _marked_not_applicable(paths["capacity.resources.majors"])
    builder = _Builder(form, form.baseline_year)
    for node, good, bad in (
        (builder.node(area), [260, 12.5, None, *NOT_APPLICABLE_MARKS], ["260㎡", "-", -1]),
        (builder.node(yearly), [{"2023年": 9, "2024年": "不适用"}, {"2023年": "/", "2024年": "—"}], [{"2023年": "无数据", "2024年": 1}]),
    ):
        validator = jsonschema.Draft7Validator(node)
        assert [v for v in good if not validator.is_valid(v)] == []
        assert [v for v in bad if validator.is_valid(v)] == []
        assert "不适用时写" in node["description"]
    # Unmarked, the same figure refuses the marks.
    plain = jsonschema.Draft7Validator(builder.node(paths["overview.secretariat.office_area"]))
    assert [m for m in NOT_APPLICABLE_MARKS if plain.is_valid(m)] == []
