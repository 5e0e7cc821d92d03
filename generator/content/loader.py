"""The content repo → the typed model, with file, line and column for everything.

Every file the form declares is read once, normalised (UTF-8, NFC, `\\n` line endings), checked
against its declaration and turned into model values. Problems never stop the reading: each one is
collected as a diagnostic, so a team sees all of them at once.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import assert_never

from generator.content.assets import IMAGE_KINDS, AssetProblem, read_content_file, resolve_asset
from generator.content.markdown import read_markdown, refuse_unprintable_references
from generator.content.yamlfile import Mapping, Node, Scalar, Sequence, parse_yaml
from generator.core.limits import MAX_TEXT_FILE_BYTES
from generator.errors import Diagnostic, Location, Severity, ToolError
from generator.form.declaration import (
    DEFAULT_VERSION,
    NOT_APPLICABLE_MARKS,
    PROJECT_FILE,
    FieldSpec,
    FieldType,
    FormSpec,
    available_versions,
    load_form,
)
from generator.form.types import NotApplicable
from generator.i18n import _
from generator.model import (
    Application,
    Image,
    Item,
    ListBlock,
    ListValue,
    Paragraph,
    Prose,
    Table,
    Value,
)

__all__ = ["PROJECT_FILE", "load_application"]

# Characters XML 1.0 cannot carry, so a .docx cannot either (lone surrogates come only from a
# YAML escape such as "\\ud800": UTF-8 text cannot hold them).
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_NUMBER = re.compile(r"^[+-]?(\d+)(?:\.(\d+))?$")
_YES, _NO = frozenset({"是"}), frozenset({"否"})
_YEAR_KEY = re.compile(r"^(\d{4})年?$")
_LIST_SEPARATORS = re.compile("[、，,；;]")


class _Loader:
    def __init__(self, root: Path, form: FormSpec, baseline: int):
        self.root = root
        self.form = form
        self.baseline = baseline
        self.diagnostics: list[Diagnostic] = []
        self.app = Application(form=form, root=str(root), baseline_year=baseline)

    # -- reporting -------------------------------------------------------------------------

    def error(self, loc: Location, code: str, message: str, field: str = "", **extra: object) -> None:
        self.diagnostics.append(Diagnostic(loc, Severity.ERROR, code, message, field, dict(extra)))
        self.app.refused.add(loc)

    # -- files -----------------------------------------------------------------------------

    def read_text(self, rel_path: str) -> str | None:
        """The file's text, normalised; None (and a diagnostic when required) if unreadable."""
        try:
            raw = read_content_file(self.root, rel_path, MAX_TEXT_FILE_BYTES)
        except FileNotFoundError:
            return None
        except AssetProblem as exc:
            self.error(Location(rel_path), "file-unreadable", str(exc))
            self.app.sources[rel_path] = "unreadable"  # reported: not "missing" as well
            return None
        self.app.sources[rel_path] = hashlib.sha256(raw).hexdigest()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            before = raw[: exc.start]
            line = before.count(b"\n") + 1
            col = len(before) - (before.rfind(b"\n") + 1) + 1
            self.error(
                Location(rel_path, line, col),
                "encoding",
                _("文件不是 UTF-8 编码（可能是 GBK）：请在编辑器中另存为 UTF-8"),
            )
            return None
        return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))

    def check_chars(self, text: str, rel_path: str) -> bool:
        ok = True
        for m in _BAD_CHARS.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
            self.error(
                Location(rel_path, line, col),
                "control-char",
                _("不允许的控制字符 U+{code:04X}：请删除或改为普通文字").format(code=ord(m.group())),
            )
            ok = False
        return ok

    def load_file(self, spec: FieldSpec) -> None:
        rel_path = spec.key
        text = self.read_text(rel_path)
        if text is None and rel_path in self.app.sources:  # there, but not readable as text
            self.app.unreadable.add(rel_path)
        if text is None:
            if spec.required and rel_path not in self.app.sources:
                self.error(
                    Location(rel_path),
                    "file-missing",
                    _("缺少文件：{label}（{path}）").format(label=spec.label, path=rel_path),
                    spec.label,
                )
            return
        if not self.check_chars(text, rel_path):
            # Reported at their positions; blanked so the rest of the file is still checked.
            text = _BAD_CHARS.sub(" ", text)
        if spec.type is FieldType.PROSE:
            text, bad_refs = refuse_unprintable_references(text, rel_path)
            self.diagnostics.extend(bad_refs)
            blocks, tags, diagnostics = read_markdown(text, rel_path)
            self.diagnostics.extend(diagnostics)
            prose = Prose(spec, tuple(blocks), Location(rel_path), tags)
            self.app.prose[spec.path] = prose
            if spec.required and not any(isinstance(b, Paragraph | ListBlock | Table) for b in blocks):
                self.error(Location(rel_path), "required", _("{field}：尚未填写正文").format(field=spec.label), spec.label)
            return
        root, diagnostics = parse_yaml(text, rel_path)
        self.diagnostics.extend(diagnostics)
        if root is None and diagnostics:  # a YAML syntax error: nothing of the file can be trusted
            self.app.unreadable.add(rel_path)
        if root is None:
            if not diagnostics and spec.required:
                self.error(Location(rel_path, 1, 1), "file-empty", _("文件是空的：{label}").format(label=spec.label))
            return
        self.group(spec, root, spec.path, Location(rel_path, 1, 1), ())

    # -- nodes -----------------------------------------------------------------------------

    def display(self, trail: tuple[str, ...]) -> str:
        return " › ".join(trail)

    def label(self, spec: FieldSpec) -> str:
        return spec.label.format(**{f"y{i}": self.baseline + i for i in range(6)}) if "{" in spec.label else spec.label

    def group(self, spec: FieldSpec, node: Node, path: str, loc: Location, trail: tuple[str, ...]) -> None:
        if not isinstance(node, Mapping):
            self.wrong_shape(spec, node, trail or (self.label(spec),), _("键值（每行“标签: 内容”）"))
            return
        keys = [c.key for c in spec.children]
        given = {}
        for key, key_loc, value in node.entries:
            child = spec.child(key)
            if child is None:
                self.unknown_key(key, key_loc, keys, trail or (self.label(spec),))
                continue
            given[key] = (key_loc, value)
        for child in spec.children:
            child_trail = (*trail, self.label(child))
            if child.key not in given:
                if child.required:
                    self.missing(child, node.loc, child_trail)
                continue
            key_loc, value = given[child.key]
            self.node(child, value, f"{path}.{child.id}", key_loc, child_trail)

    def node(self, spec: FieldSpec, value: Node, path: str, key_loc: Location, trail: tuple[str, ...]) -> None:
        match spec.type:
            case FieldType.GROUP:
                if isinstance(value, Scalar) and value.empty:
                    if spec.required:
                        self.missing(spec, key_loc, trail)
                    return
                self.group(spec, value, path, key_loc, trail)
            case FieldType.YEARLY:
                self.yearly(spec, value, path, key_loc, trail)
            case FieldType.NAMES:
                self.names(spec, value, path, key_loc, trail)
            case FieldType.UNITS | FieldType.PEOPLE | FieldType.ATTACHMENTS:
                self.items(spec, value, path, key_loc, trail)
            case FieldType.PART_LIMITS:
                self.part_limits(spec, value, path, key_loc, trail)
            case FieldType.PROSE:
                raise AssertionError(f"prose {spec.key} is a file, never a YAML value")
            case (
                FieldType.TEXT | FieldType.DATE | FieldType.CHOICE | FieldType.YESNO
                | FieldType.COUNT | FieldType.AMOUNT | FieldType.PERCENT | FieldType.AREA
            ):
                self.app.values[path] = self.leaf(spec, value, key_loc, trail)
            case unreachable:
                assert_never(unreachable)

    def leaf(self, spec: FieldSpec, node: Node, key_loc: Location, trail: tuple[str, ...]) -> Value:
        field = self.display(trail)
        if not isinstance(node, Scalar):
            self.wrong_shape(spec, node, trail, _("一项内容"))
            return Value(spec, None, node.loc)
        if node.empty or (not node.plain and not node.text.strip()):
            if spec.required:
                self.missing(spec, key_loc, trail)
            return Value(spec, None, node.loc)
        text = node.text.strip()
        match spec.type:
            case FieldType.TEXT:
                return Value(spec, self.text(spec, text, node, field), node.loc)
            case FieldType.DATE:
                return Value(spec, self.date(text, node, field), node.loc)
            case FieldType.CHOICE:
                return Value(spec, self.choice(text, node, field), node.loc)
            case FieldType.YESNO:
                return Value(spec, self.yesno(text, node, field), node.loc)
            case FieldType.COUNT | FieldType.AMOUNT | FieldType.PERCENT | FieldType.AREA:
                return Value(spec, self.figure(spec, text, node, field), node.loc)
            case (
                FieldType.GROUP | FieldType.NAMES | FieldType.YEARLY | FieldType.PROSE | FieldType.PART_LIMITS
                | FieldType.UNITS | FieldType.PEOPLE | FieldType.ATTACHMENTS
            ):
                raise AssertionError(f"{spec.key}: {spec.type} is not a leaf")
            case unreachable:
                assert_never(unreachable)

    def text(self, spec: FieldSpec, text: str, node: Scalar, field: str) -> str | None:
        bad = _BAD_CHARS.search(text)
        if bad:
            # Only a YAML escape ("\f", "\0", "\ud800") puts one here: raw ones were refused
            # with the file. Reported at the value; the value is dropped, not printed.
            self.error(
                node.loc,
                "control-char",
                _("{field}：不允许的控制字符 U+{code:04X}：请删除或改为普通文字").format(field=field, code=ord(bad.group())),
                field,
            )
            return None
        if spec.choices and text not in spec.choices:
            close = difflib.get_close_matches(text, spec.choices, n=1, cutoff=0.0)
            self.error(
                node.loc,
                "bad-choice",
                _("{field}：应为 {options} 之一，现为“{found}”").format(
                    field=field, options="、".join(f"“{o}”" for o in spec.choices), found=text
                )
                + (_("；是否应为“{hint}”？").format(hint=close[0]) if close else ""),
                field,
                suggestion=close[0] if close else "",
            )
            return None
        return text

    def figure(self, spec: FieldSpec, text: str, node: Scalar, field: str) -> int | float | NotApplicable | None:
        if text in NOT_APPLICABLE_MARKS:
            return self.not_applicable(spec, text, node, field)
        m = _NUMBER.match(text)
        if m is None:
            if text.endswith(("%", "％")) and _NUMBER.match(text[:-1].strip()):
                hint = _("请去掉百分号，只写数字")
            elif re.match(r"^[\d,，]+(\.\d+)?$", text):
                hint = _("请去掉千位分隔符")
            else:
                hint = _("应填写数字")
            self.error(node.loc, "not-a-number", _("{field}：{hint}，现为“{found}”").format(field=field, hint=hint, found=text), field)
            return None
        if not node.plain:
            self.error(
                node.loc,
                "quoted-number",
                _("{field}：数字不要加引号，现为“{found}”（带引号会被当作文字）").format(field=field, found=node.text),
                field,
            )
            return None
        whole, decimals = m.group(1), m.group(2)
        number: int | float = float(text) if decimals is not None else int(text)
        if spec.type is FieldType.COUNT and decimals is not None:
            self.error(node.loc, "not-integer", _("{field}：应为整数，现为 {found}").format(field=field, found=text), field)
            return None
        if spec.type is FieldType.AMOUNT and decimals is not None and len(decimals) > 2:
            self.error(node.loc, "decimals", _("{field}：金额最多保留两位小数，现为 {found}").format(field=field, found=text), field)
            return None
        if number < 0:
            self.error(node.loc, "negative", _("{field}：不能为负数，现为 {found}").format(field=field, found=text), field)
            return None
        if spec.type is FieldType.PERCENT and number > 100:
            self.error(node.loc, "percent-range", _("{field}：百分比应在 0–100 之间，现为 {found}").format(field=field, found=text), field)
            return None
        del whole
        return number

    def not_applicable(self, spec: FieldSpec, text: str, node: Scalar, field: str) -> NotApplicable | None:
        """`/` (无, 不适用, —) where the form allows a figure to be not applicable; an error elsewhere."""
        if spec.not_applicable:
            return NotApplicable(text)
        self.error(
            node.loc,
            "not-applicable-refused",
            _("{field}：应填写数字，本栏目不能声明为不适用，现为“{found}”").format(field=field, found=text),
            field,
        )
        return None

    def date(self, text: str, node: Scalar, field: str) -> dt.date | None:
        m = re.match(r"^(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?$", text)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                pass
        self.error(node.loc, "not-a-date", _("{field}：应为日期，如 2024-06-03，现为“{found}”").format(field=field, found=text), field)
        return None

    def choice(self, text: str, node: Scalar, field: str) -> str | None:
        for key, id_, label in self.form.application_types:
            if text in (key, label):
                return id_
        options = [k for k, _i, _l in self.form.application_types]
        self.error(
            node.loc,
            "bad-choice",
            _("{field}：应为 {options} 之一，现为“{found}”").format(field=field, options="、".join(f"“{o}”" for o in options), found=text),
            field,
        )
        return None

    def yesno(self, text: str, node: Scalar, field: str) -> bool | None:
        if text in _YES or text in _NO:
            return text in _YES
        self.error(node.loc, "bad-choice", _("{field}：应为“是”或“否”，现为“{found}”").format(field=field, found=text), field)
        return None

    def yearly(self, spec: FieldSpec, node: Node, path: str, key_loc: Location, trail: tuple[str, ...]) -> None:
        assert spec.of is not None
        expected = {f"{self.baseline + off}年": off for off in spec.years}
        if isinstance(node, Scalar) and node.empty:
            if spec.required:
                self.missing(spec, key_loc, trail)
            return
        if not isinstance(node, Mapping):
            self.wrong_shape(spec, node, trail, _("按年份填写，如 {{{example}: 数值}}").format(example="、".join(expected)))
            return
        given: dict[int, tuple[Location, Node]] = {}
        for key, k_loc, value in node.entries:
            m = _YEAR_KEY.match(key)
            label = f"{m.group(1)}年" if m else key
            if label not in expected:
                self.unknown_key(key, k_loc, list(expected), trail)
                continue
            given[expected[label]] = (k_loc, value)
        for label, off in expected.items():
            year_trail = (*trail, label)
            if off not in given:
                if spec.required:
                    self.missing(spec, node.loc, year_trail)
                continue
            k_loc, value = given[off]
            self.app.values[f"{path}.y{off}"] = self.leaf(spec.of, value, k_loc, year_trail)

    def names(self, spec: FieldSpec, node: Node, path: str, key_loc: Location, trail: tuple[str, ...]) -> None:
        field = self.display(trail)
        items: list[Value] = []
        if isinstance(node, Scalar):
            if node.empty:
                if spec.required:
                    self.missing(spec, key_loc, trail)
            elif _LIST_SEPARATORS.search(node.text):
                self.error(
                    node.loc,
                    "comma-list",
                    _("{field}：请写成列表（每项一行，以“- ”开头），不要用顿号或逗号连写：“{found}”").format(field=field, found=node.text),
                    field,
                )
            else:
                items.append(self.leaf(_as_text(spec), node, key_loc, trail))
        elif isinstance(node, Sequence):
            for item in node.items:
                items.append(self.leaf(_as_text(spec), item, item.loc, trail))
            if not node.items and spec.required:
                self.missing(spec, key_loc, trail)
        else:
            self.wrong_shape(spec, node, trail, _("列表（每项一行，以“- ”开头）"))
        self.app.values[path] = ListValue(spec, tuple(i for i in items if i.present), node.loc)

    def items(self, spec: FieldSpec, node: Node, path: str, key_loc: Location, trail: tuple[str, ...]) -> None:
        item_specs = self.form.item_fields[spec.type]
        if isinstance(node, Scalar) and node.empty:
            if spec.required:
                self.missing(spec, key_loc, trail)
            self.app.values[path] = ListValue(spec, (), node.loc)
            return
        if not isinstance(node, Sequence):
            self.wrong_shape(spec, node, trail, _("列表，每项写“{first}: …”").format(first=item_specs[0].key))
            return
        out: list[Item] = []
        keys = [s.key for s in item_specs]
        for n, entry in enumerate(node.items, start=1):
            entry_trail = (*trail, _("第{n}项").format(n=n))
            if not isinstance(entry, Mapping):
                self.wrong_shape(spec, entry, entry_trail, _("“{first}: …”等键值").format(first=item_specs[0].key))
                continue
            fields: dict[str, Value] = {}
            given = {}
            for key, k_loc, value in entry.entries:
                s = next((s for s in item_specs if s.key == key), None)
                if s is None:
                    self.unknown_key(key, k_loc, keys, entry_trail)
                    continue
                given[key] = (k_loc, value)
            for s in item_specs:
                if s.key in given:
                    k_loc, value = given[s.key]
                    fields[s.id] = self.leaf(s, value, k_loc, (*entry_trail, s.label))
                elif s.required:
                    self.missing(s, entry.loc, (*entry_trail, s.label))
            out.append(Item(fields, entry.loc))
        if not out and spec.required:
            self.missing(spec, key_loc, trail)
        self.app.values[path] = ListValue(spec, tuple(out), node.loc)

    def part_limits(self, spec: FieldSpec, node: Node, path: str, key_loc: Location, trail: tuple[str, ...]) -> None:
        """Page limits by part title; the titles must be the documents' own."""
        if isinstance(node, Scalar) and node.empty:
            return
        if not isinstance(node, Mapping):
            self.wrong_shape(spec, node, trail, _("键值（每行“部分标题: 页数”）"))
            return
        titles = self.form.part_titles()
        count = replace(spec, type=FieldType.COUNT, required=False)
        for key, k_loc, value in node.entries:
            if key not in titles:
                self.unknown_key(key, k_loc, titles, trail)
                continue
            self.app.values[f"{path}.{key}"] = self.leaf(count, value, k_loc, (*trail, key))

    # -- problems ----------------------------------------------------------------------------

    def missing(self, spec: FieldSpec, loc: Location, trail: tuple[str, ...]) -> None:
        field = self.display(trail)
        self.error(loc, "required", _("{field}：必填项未填写").format(field=field), field)

    def unknown_key(self, key: str, loc: Location, known: list[str], trail: tuple[str, ...]) -> None:
        where = self.display(trail)
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.4)
        if close:
            message = _("未知的键“{key}”（{where}）：是否应为“{suggestion}”？").format(key=key, where=where, suggestion=close[0])
        else:
            message = _("未知的键“{key}”（{where}）：可用的键为 {known}").format(key=key, where=where, known="、".join(known))
        self.error(loc, "unknown-key", message, where, suggestion=close[0] if close else "")

    def wrong_shape(self, spec: FieldSpec, node: Node, trail: tuple[str, ...], expected: str) -> None:
        found = {Scalar: _("一项文字"), Mapping: _("键值"), Sequence: _("列表")}[type(node)]
        field = self.display(trail)
        self.error(node.loc, "wrong-shape", _("{field}：应为{expected}，现为{found}").format(field=field, expected=expected, found=found), field)


def _as_text(spec: FieldSpec) -> FieldSpec:
    return replace(spec, type=FieldType.TEXT, required=True)


def _child(spec: FieldSpec, id_: str) -> FieldSpec:
    return next(c for c in spec.children if c.id == id_)


def _project_settings(loader: _Loader, root: Path) -> tuple[str, int]:
    """The form version and baseline year the project file asks for (defaults when unreadable)."""
    text = loader.read_text(PROJECT_FILE)
    version, baseline = DEFAULT_VERSION, load_form(DEFAULT_VERSION).baseline_year
    if text is None:
        return version, baseline
    root_node, _diags = parse_yaml(text, PROJECT_FILE)
    # The keys as the default round spells them: every round's 项目.yaml must, to be read at all.
    project = loader.form.file("project")
    version_key, baseline_key = (_child(project, id_).key for id_ in ("form_version", "baseline_year"))
    if isinstance(root_node, Mapping):
        for key, _loc, value in root_node.entries:
            if key == version_key and isinstance(value, Scalar) and value.text.strip():
                version = value.text.strip()
                if version not in available_versions():
                    loader.error(
                        value.loc,
                        "form-version",
                        _("{field}：没有“{found}”版本的表格，可用的版本为 {known}").format(field=version_key, found=version, known="、".join(available_versions())),
                        version_key,
                    )
                    version = DEFAULT_VERSION
            if key == baseline_key and isinstance(value, Scalar) and value.plain and value.text.strip().isdigit():
                baseline = int(value.text.strip())
    return version, baseline


def load_application(root: Path) -> tuple[Application, list[Diagnostic]]:
    """Read the content repo at `root` into the model; every problem comes back as a diagnostic."""
    try:
        found = root.is_dir()
    except OSError as exc:  # a name over 255 bytes, a symlink loop: is_dir() raises those
        raise ToolError(_("找不到内容目录：{path}（{reason}）").format(path=root, reason=exc.strerror)) from exc
    if not found:
        raise ToolError(_("找不到内容目录：{path}").format(path=root))
    probe = _Loader(root, load_form(DEFAULT_VERSION), load_form(DEFAULT_VERSION).baseline_year)
    version, baseline = _project_settings(probe, root)
    form = load_form(version)
    loader = _Loader(root, form, baseline)
    loader.diagnostics.extend(d for d in probe.diagnostics if d.code == "form-version")
    if not (root / PROJECT_FILE).exists():
        loader.error(
            Location(PROJECT_FILE),
            "not-content-repo",
            _("{path} 不是申报材料目录：缺少 {file}（可用 chanjiao init 新建）").format(path=root, file=PROJECT_FILE),
        )
        return loader.app, loader.diagnostics
    for spec in form.files:
        loader.load_file(spec)
    _resolve_assets(loader.app)
    return loader.app, loader.diagnostics


#: What an attachment may be: a PDF, or an image that becomes a PDF page.
ATTACHMENT_KINDS = ("pdf", *IMAGE_KINDS)


def _resolve_assets(app: Application) -> None:
    """Every image a Markdown file shows and every listed attachment, resolved once inside the
    content folder (assets.resolve_asset: no links out, no special files) into `app.assets`.
    Whether each is a usable image or PDF is the rules' to say (they read the file)."""
    root = Path(app.root)

    def resolve(named_in: str, ref: str, kinds: tuple[str, ...]) -> None:
        try:
            app.assets[(named_in, ref)] = resolve_asset(root, named_in, ref, kinds)
        except AssetProblem as exc:
            app.assets[(named_in, ref)] = str(exc)

    for prose in app.prose.values():
        for block in prose.blocks:
            if isinstance(block, Image):
                resolve(block.loc.path, block.src, IMAGE_KINDS)
    listed = app.values.get("attachments.items")
    for item in listed.items if isinstance(listed, ListValue) else ():
        file_value = item.fields.get("file") if isinstance(item, Item) else None
        if file_value is not None and file_value.present:
            resolve(file_value.loc.path, str(file_value.value), ATTACHMENT_KINDS)
