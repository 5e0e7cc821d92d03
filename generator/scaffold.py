"""`chanjiao init`: a new drafting team's repo, every file stubbed from the form declaration.

Each stub carries the official guidance as comments, so the team reads what to write where; the
keys are all present and empty, so `make check` lists every required field still to fill.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import assert_never

from generator.content.yamlfile import Mapping, Scalar, parse_yaml
from generator.core import git
from generator.errors import ToolError
from generator.form.declaration import (
    PROJECT_FILE,
    FieldSpec,
    FieldType,
    FormSpec,
    available_versions,
    format_label,
    load_form,
)
from generator.form.schema import SCHEMA_DIR, schema_texts, yaml_schema_settings
from generator.i18n import _

MAKEFILE = """\
# 申报材料的常用命令（需要已安装 chanjiao）：
#   make check                       校验并统计字数
#   make submission                  生成建设方案、推荐书和申报材料 PDF 到 build/
#   make diff A=round-1 [B=round-2]  比较两个版本（默认与当前工作区比较），输出到 build/diff/
#   make clean                       删除 build/
CHANJIAO ?= chanjiao
OUT ?= build
A ?=
B ?=

.PHONY: check submission diff clean need-chanjiao

check: need-chanjiao
\t$(CHANJIAO) check .

submission: need-chanjiao
\t$(CHANJIAO) build . -o $(OUT)

diff: need-chanjiao
\t@test -n "$(A)" || { echo "用法：make diff A=<旧版本> [B=<新版本>]"; exit 2; }
\t$(CHANJIAO) diff $(A) $(B)

clean:
\trm -rf $(OUT)

need-chanjiao:
\t@command -v $(CHANJIAO) >/dev/null 2>&1 || { echo "未找到 chanjiao 命令：请先按 chanjiao 的 README 安装，或运行 make CHANJIAO=/路径/chanjiao"; exit 3; }
"""

GITIGNORE = """\
# 生成的文件，不提交
/build/
# 授权字体不要提交到公开仓库
/字体/*
!/字体/.gitkeep
"""

GITATTRIBUTES = """\
# git diff 显示 Word 文档的文字（chanjiao textconv）
*.docx diff=docx
"""


def _comment(text: str, indent: str = "") -> list[str]:
    return [f"{indent}# {line}" if line else f"{indent}#" for line in text.splitlines()]


def _may_be_not_applicable(spec: FieldSpec) -> bool:
    return spec.not_applicable or spec.of is not None and spec.of.not_applicable


def _not_applicable_note(spec: FieldSpec) -> list[str]:
    """The file header's list of the figures that may be written `/`, so a team sees them at once."""
    keys = [s.key for s in spec.walk() if _may_be_not_applicable(s)]
    if not keys:
        return []
    return _comment(
        _("以下栏目对本联合体不适用时（如没有普通本科成员单位）写 /（也可写 无、不适用、—），不要写 0：{keys}。"
          "其他数字栏目必须写数字；空白、~、null 都算未填写").format(keys="、".join(keys))
    )


def _field_comment(app_baseline: int, spec: FieldSpec) -> str:
    label = format_label(spec.label, app_baseline)
    bits = [label]
    unit = spec.unit or (spec.of.unit if spec.of else "")
    limit = spec.limit or (spec.of.limit if spec.of else None)
    if unit:
        bits.append(_("计量单位：{unit}").format(unit=unit))
    if limit:
        bits.append(_("不超过{limit}字").format(limit=limit))
    if not spec.required:
        bits.append(_("选填"))
    if _may_be_not_applicable(spec):
        bits.append(_("不适用时写 /（也可写 无、不适用、—），不要写 0"))
    if spec.guidance:
        bits.append(format_label(spec.guidance, app_baseline) if "{y" in spec.guidance else spec.guidance)
    return "；".join(bits)


def _yaml_lines(form: FormSpec, baseline: int, spec: FieldSpec, indent: str) -> list[str]:
    lines = _comment(_field_comment(baseline, spec), indent)
    match spec.type:
        case FieldType.GROUP:
            lines.append(f"{indent}{spec.key}:")
            for child in spec.children:
                lines.extend(_yaml_lines(form, baseline, child, indent + "  "))
        case FieldType.YEARLY:
            years = ", ".join(f"{baseline + off}年: " for off in spec.years)
            if spec.of is not None and spec.of.type is FieldType.TEXT:
                lines.append(f"{indent}{spec.key}:")
                lines.extend(f"{indent}  {baseline + off}年:" for off in spec.years)
            else:
                lines.append(f"{indent}{spec.key}: {{{years}}}")
        case FieldType.UNITS | FieldType.PEOPLE | FieldType.ATTACHMENTS:
            example = ", ".join(f"{s.key}: " for s in form.item_fields[spec.type])
            lines.extend(_comment(_("每项一行，例如：- {{{example}}}").format(example=example), indent))
            lines.append(f"{indent}{spec.key}:")
        case FieldType.NAMES:
            lines.extend(_comment(_("每项一行，以“- ”开头"), indent))
            lines.append(f"{indent}{spec.key}:")
        case FieldType.CHOICE:
            lines.extend(_comment(_("可选值：{options}").format(options="、".join(k for k, _i, _l in form.application_types)), indent))
            lines.append(f"{indent}{spec.key}:")
        case (
            FieldType.TEXT | FieldType.DATE | FieldType.YESNO | FieldType.COUNT | FieldType.AMOUNT
            | FieldType.PERCENT | FieldType.AREA | FieldType.PART_LIMITS | FieldType.PROSE
        ):
            if spec.choices:
                lines.extend(_comment(_("可选值：{options}").format(options="、".join(spec.choices)), indent))
            lines.append(f"{indent}{spec.key}:")
        case unreachable:
            assert_never(unreachable)
    return lines


def _project_stub(form: FormSpec) -> str:
    return (
        "\n".join(_comment(_("项目设置：表格版本、基准年度、输出文件名、页数限制、字体目录。")))
        + f'\n表格版本: "{form.version}"\n基准年度: {form.baseline_year}\n\n'
        + "\n".join(_comment(_("输出文件名：{联合体名称} 会换成联合体名称")))
        + '\n输出文件名:\n  建设方案: "{联合体名称}-建设方案"\n  推荐书: "{联合体名称}-推荐书"\n  自评表: "{联合体名称}-自评表"\n'
        + '  申报材料: "{联合体名称}-申报材料"\n\n'
        + "\n".join(_comment(_("申报材料含自评表：写“是”时申报材料 PDF 在推荐书之后附自评表；自评表总会单独生成")))
        + "\n申报材料含自评表: 否\n\n"
        + "\n".join(_comment(_("页数限制：按本轮申报通知填写页数上限；留空则不检查")))
        + "\n页数限制:\n  建设方案:\n  推荐书:\n"
        + "\n".join(_comment(_("各部分：按部分标题设定页数上限，如“三、建设内容与举措: 10”"), "  "))
        + "\n  各部分:\n\n"
        + "\n".join(_comment(_("字体目录：放入本单位已授权的方正字体，生成 PDF 时优先使用")))
        + "\n字体目录: 字体\n\n"
        + "\n".join(_comment(_("版式：不写时与官方样表一致。附件标注印在封面左上角，写成空白则不印；封面后空白页写“是”时，双面打印正文从右页开始")))
        + "\n版式:\n  建设方案附件标注: 附件3\n  推荐书附件标注: 附件4\n  封面后空白页: 否\n"
    )


def _prose_stub(spec: FieldSpec) -> str:
    lines = [f"<!-- {spec.label}" + (_("（{limit}字以内）").format(limit=spec.limit) if spec.limit else "") + " -->"]
    if spec.guidance:
        lines.append(f"<!-- {spec.guidance} -->")
    lines.append("")
    for heading in spec.headings:
        lines.append(f"# {heading.title}")
        lines.append("")
        if heading.guidance:
            lines.append(f"<!-- {heading.guidance} -->")
            lines.append("")
    return "\n".join(lines)


def stub_files(form: FormSpec) -> dict[str, str]:
    """Every file of a new content repo, by relative path."""
    files: dict[str, str] = {}
    for spec in form.files:
        if spec.id == "project":
            files[spec.key] = _project_stub(form)
        elif spec.type == "prose":
            files[spec.key] = _prose_stub(spec)
        else:
            header = _comment(spec.label + (("：" + spec.guidance) if spec.guidance else ""))
            header += _not_applicable_note(spec)
            body: list[str] = []
            for child in spec.children:
                body.extend(_yaml_lines(form, form.baseline_year, child, ""))
                body.append("")
            files[spec.key] = "\n".join(header + [""] + body)
    files["Makefile"] = MAKEFILE
    files[".gitignore"] = GITIGNORE
    files[".gitattributes"] = GITATTRIBUTES
    files["字体/.gitkeep"] = ""
    files["附件/.gitkeep"] = ""
    return files


def init_content_repo(dest: Path, *, version: str | None = None) -> list[Path]:
    """Write a new content repo into `dest` (which must be empty or absent); returns the files."""
    form = load_form(version) if version else load_form()
    if dest.exists() and any(dest.iterdir()):
        existing = [p.name for p in dest.iterdir() if p.name != ".git"]
        if existing:
            raise ToolError(_("目录 {path} 不是空的：为避免覆盖已有文件，请指定一个新目录").format(path=dest))
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for rel, text in stub_files(form).items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    written.extend(write_editor_files(dest, form)[0])  # a new folder: no settings to merge, no warnings
    git.init_repo(dest)
    git.set_local_config(dest, "diff.docx.textconv", "chanjiao textconv")
    git.set_local_config(dest, "diff.docx.cachetextconv", "true")
    return written


# -- editor support: schemas and VS Code settings ------------------------------------------------

VSCODE_SETTINGS = ".vscode/settings.json"
VSCODE_EXTENSIONS = ".vscode/extensions.json"
YAML_EXTENSION = "redhat.vscode-yaml"


def _read_json_object(path: Path) -> tuple[dict | None, str]:
    """The JSON object in `path` ({} when absent), or None and why it cannot be merged."""
    if not path.exists():
        return {}, ""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        # VS Code also accepts comments and trailing commas (JSONC); rewriting such a file would
        # drop the user's comments, so it is left as it is and the user merges by hand.
        return None, str(exc)
    if not isinstance(data, dict):
        return None, _("顶层不是 JSON 对象")
    return data, ""


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _merge_settings(dest: Path, form: FormSpec) -> tuple[Path | None, str]:
    """Put our `yaml.schemas` entries into .vscode/settings.json, keeping everything else."""
    path = dest / VSCODE_SETTINGS
    ours = yaml_schema_settings(form)
    data, problem = _read_json_object(path)
    if data is None:
        snippet = json.dumps({"yaml.schemas": ours}, ensure_ascii=False, indent=2)
        return None, _("{path} 不是有效的 JSON（{problem}），没有改动它；请把下面的设置手工加入该文件：\n{snippet}").format(
            path=path, problem=problem, snippet=snippet
        )
    current = data.get("yaml.schemas")
    schemas = dict(current) if isinstance(current, dict) else {}
    # Drop our own entries of an older form (a schema no longer generated), keep the user's.
    schemas = {k: v for k, v in schemas.items() if not k.startswith(SCHEMA_DIR + "/") or k in ours}
    schemas.update(ours)
    data["yaml.schemas"] = schemas
    _write_json(path, data)
    return path, ""


def _merge_extensions(dest: Path) -> tuple[Path | None, str]:
    """Recommend the YAML extension in .vscode/extensions.json, keeping other recommendations."""
    path = dest / VSCODE_EXTENSIONS
    data, problem = _read_json_object(path)
    if data is None:
        return None, _("{path} 不是有效的 JSON（{problem}），没有改动它；请在其中的 recommendations 里加入 “{ext}”").format(
            path=path, problem=problem, ext=YAML_EXTENSION
        )
    recommended = data.get("recommendations")
    recommended = list(recommended) if isinstance(recommended, list) else []
    if YAML_EXTENSION not in recommended:
        recommended.append(YAML_EXTENSION)
    data["recommendations"] = recommended
    _write_json(path, data)
    return path, ""


def write_editor_files(dest: Path, form: FormSpec, baseline: int | None = None) -> tuple[list[Path], list[str]]:
    """Write the schemas and merge the VS Code settings into `dest`: (files written, warnings)."""
    written: list[Path] = []
    for rel, text in schema_texts(form, baseline).items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    warnings = []
    for merged, problem in (_merge_settings(dest, form), _merge_extensions(dest)):
        if merged is not None:
            written.append(merged)
        if problem:
            warnings.append(problem)
    return written, warnings


def _project_form(dest: Path) -> tuple[FormSpec, int]:
    """The form version and baseline year `dest/项目.yaml` asks for (the defaults where unreadable)."""
    project = dest / PROJECT_FILE
    if not project.is_file():
        raise ToolError(_("{path} 不是申报材料目录：缺少 {file}（可用 chanjiao init 新建）").format(path=dest, file="项目.yaml"))
    form = load_form()
    baseline = form.baseline_year
    root, _diagnostics = parse_yaml(project.read_text(encoding="utf-8-sig"), PROJECT_FILE)
    if isinstance(root, Mapping):
        for key, _loc, value in root.entries:
            if not isinstance(value, Scalar) or not value.text.strip():
                continue
            if key == "表格版本" and value.text.strip() in available_versions():
                form = load_form(value.text.strip())
            elif key == "基准年度" and value.plain and value.text.strip().isdigit():
                baseline = int(value.text.strip())
    return form, baseline


def refresh_editor_files(dest: Path) -> tuple[list[Path], list[str]]:
    """`chanjiao schema`: regenerate the schemas of an existing repo for its form and baseline year."""
    form, baseline = _project_form(dest)
    return write_editor_files(dest, form, baseline)
