"""Validation rules over the model: figures that must add up, choices that must agree, files that
must exist. Each rule returns diagnostics; none raises."""

from __future__ import annotations

import difflib
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from generator.check.coverage import coverage, unknown_tags
from generator.content.assets import (
    AssetProblem,
    format_bytes,
    inspect_image,
    regular_file_inside,
)
from generator.core.limits import MAX_FONT_FILE_BYTES, MAX_FONT_FILES, MAX_FONT_FOLDER_DEPTH
from generator.errors import Diagnostic, Location, Severity
from generator.form.declaration import PROJECT_FILE
from generator.form.requirements import figure, need, reads, validate_form, yearly
from generator.form.types import FieldType
from generator.i18n import _, format_number
from generator.model import (
    Application,
    Heading,
    Image,
    Item,
    ListValue,
    Value,
    spans_text,
    strip_heading_number,
)

Rule = Callable[[Application], Iterator[Diagnostic]]

_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_PHONE = re.compile(r"^(0\d{2,3}-?\d{7,8}(-\d{1,6})?|1[3-9]\d{9}|400-?\d{3}-?\d{4})$")


_T = FieldType


def _value(app: Application, path: str) -> Value | None:
    """The value at `path` when written; None when blank, absent or declared not applicable
    ("/"): a rule never sums or compares what does not apply."""
    v = app.values.get(path)
    return v if isinstance(v, Value) and v.present and not v.not_applicable else None


def _num(v: Value) -> float:
    """The figure of a present numeric value."""
    assert isinstance(v.value, int | float)
    return float(v.value)


def _label(app: Application, path: str) -> str:
    return app.label(app.form.by_path()[path])


def _item_label(app: Application, kind: str, id_: str) -> str:
    return next(s.label for s in app.form.item_fields[kind] if s.id == id_)


def _diag(loc: Location, severity: Severity, code: str, message: str, field: str = "") -> Diagnostic:
    return Diagnostic(loc, severity, code, message, field)


@reads(
    "funding-sum",
    yearly("overview.funding_total", {_T.AMOUNT}, (1,)),
    need("overview.funding_sources", _T.GROUP),
    *(need(f"overview.funding_sources.{k}", _T.AMOUNT) for k in ("lead", "government", "members", "other")),
)
def funding_adds_up(app: Application) -> Iterator[Diagnostic]:
    """The four sources of the first commitment year add up to that year's total."""
    total = _value(app, "overview.funding_total.y1")
    parts = [_value(app, f"overview.funding_sources.{k}") for k in ("lead", "government", "members", "other")]
    if total is None or any(p is None for p in parts):
        return
    parts_sum = round(sum(_num(p) for p in parts if p is not None), 2)
    if abs(parts_sum - _num(total)) > 0.005:
        sources = _label(app, "overview.funding_sources")
        yield _diag(
            parts[0].loc if parts[0] else total.loc,
            Severity.ERROR,
            "funding-sum",
            _("{sources}：四项来源合计 {sum} 万元，与 {year}年 拟投入运行经费总额 {total} 万元 不一致（相差 {diff} 万元）").format(
                sources=sources,
                sum=format_number(parts_sum),
                year=app.year(1),
                total=format_number(_num(total)),
                diff=format_number(round(abs(parts_sum - _num(total)), 2)),
            ),
            sources,
        )


@reads(
    "staff-sum",
    need("overview.secretariat", _T.GROUP),
    *(need(f"overview.secretariat.{k}", _T.COUNT) for k in ("staff_total", "staff_full_time", "staff_part_time")),
    need("overview.secretariat.staff", _T.PEOPLE),
)
def staff_adds_up(app: Application) -> Iterator[Diagnostic]:
    """专职 + 兼职 = 人员总数, and the list of staff names has that many entries."""
    total = _value(app, "overview.secretariat.staff_total")
    full = _value(app, "overview.secretariat.staff_full_time")
    part = _value(app, "overview.secretariat.staff_part_time")
    group = _label(app, "overview.secretariat")
    if total and full and part and int(full.value) + int(part.value) != int(total.value):  # type: ignore[arg-type]
        yield _diag(
            total.loc,
            Severity.ERROR,
            "staff-sum",
            _("{group}：专职人数 {full} + 兼职人数 {part} = {sum}，与人员总数 {total} 不一致").format(
                group=group, full=full.value, part=part.value, sum=int(full.value) + int(part.value), total=total.value  # type: ignore[arg-type]
            ),
            group,
        )
    staff = app.values.get("overview.secretariat.staff")
    if total and isinstance(staff, ListValue) and staff.items and len(staff.items) != int(total.value):  # type: ignore[arg-type]
        yield _diag(
            staff.loc,
            Severity.WARNING,
            "staff-list",
            _("{group}：人员姓名及联系电话列出 {n} 人，人员总数为 {total}").format(group=group, n=len(staff.items), total=total.value),
            group,
        )


@reads(
    "type-lead",
    need("basics.application_type", _T.CHOICE),
    need("basics.lead_park", _T.TEXT, _T.NAMES),
    need("basics.lead_enterprises", _T.TEXT, _T.NAMES),
)
def type_matches_leads(app: Application) -> Iterator[Diagnostic]:
    """A park-led consortium names its park; an enterprise-led one names its enterprise."""
    chosen = _value(app, "basics.application_type")
    if chosen is None:
        return
    labels = {id_: label for _k, id_, label in app.form.application_types}
    need = {"park": "basics.lead_park", "enterprise": "basics.lead_enterprises"}[str(chosen.value)]
    v = app.values.get(need)
    if v is None or not v.present:
        yield _diag(
            chosen.loc,
            Severity.ERROR,
            "type-lead",
            _("申报类型为“{type}”，但未填写{lead}").format(type=labels[str(chosen.value)], lead=_label(app, need)),
            _label(app, "basics.application_type"),
        )


def commitments_not_below_baseline(app: Application) -> Iterator[Diagnostic]:
    """A commitment figure below its baseline is allowed, but worth a second look."""
    for spec in app.form.by_path().values():
        if spec.type is not _T.YEARLY or spec.of is None or spec.of.type is _T.TEXT or 0 not in spec.years:
            continue
        base, nxt = _value(app, f"{spec.path}.y0"), _value(app, f"{spec.path}.y1")
        if base and nxt and float(nxt.value) < float(base.value):  # type: ignore[arg-type]
            label = app.label(spec)
            yield _diag(
                nxt.loc,
                Severity.WARNING,
                "below-baseline",
                _("{field}：{next_year}年承诺值 {next} 低于{base_year}年基础值 {base}").format(
                    field=label, next_year=app.year(1), next=format_number(nxt.value), base_year=app.year(0), base=format_number(base.value)  # type: ignore[arg-type]
                ),
                label,
            )


@reads(
    "part-whole",
    need("overview.members.enterprises", _T.UNITS),
    figure("capacity.enterprises.above_scale"),
    figure("capacity.enterprises.above_quota"),
)
def parts_within_whole(app: Application) -> Iterator[Diagnostic]:
    """规模以上 and 限额以上 enterprises cannot outnumber the member enterprises listed."""
    listed = app.values.get("overview.members.enterprises")
    if not isinstance(listed, ListValue) or not listed.items:
        return
    for key in ("above_scale", "above_quota"):
        v = _value(app, f"capacity.enterprises.{key}")
        if v and int(v.value) > len(listed.items):  # type: ignore[arg-type]
            label = _label(app, f"capacity.enterprises.{key}")
            yield _diag(
                v.loc,
                Severity.ERROR,
                "part-whole",
                _("{field}：{n} 个，多于联合体成员情况中列出的企业 {listed} 个").format(field=label, n=v.value, listed=len(listed.items)),
                label,
            )


#: The school categories a consortium must cover (教职成厅函〔2023〕15号: 中职 and 高职 schools;
#: a 职教本科 school counts as 高职, as the evaluation criteria 1.1 say "高职（含职教本科）").
_SCHOOL_COVERAGE = (("中职",), ("高职", "职教本科"))


@reads("school-category", need("overview.members.schools", _T.UNITS), need("units.category", _T.TEXT), need("units.name", _T.TEXT))
def schools_have_categories(app: Application) -> Iterator[Diagnostic]:
    """Each member school says its category, and the schools cover 中职 and 高职 (warnings: the
    categories are for the reviewers' criteria, the forms print no column for them)."""
    schools = app.values.get("overview.members.schools")
    if not isinstance(schools, ListValue) or not schools.items:
        return
    label = _item_label(app, "units", "category")
    choices = next(s.choices for s in app.form.item_fields["units"] if s.id == "category")
    given: set[str] = set()
    for item in schools.items:
        if not isinstance(item, Item):
            continue
        v = item.fields.get("category")
        # Written but not a category (or blank): the loader has said so, with the closest one.
        if v is None:
            yield _diag(
                item.loc, Severity.WARNING, "school-category",
                _("学校“{name}”未填写{label}（{choices}）").format(name=item.get("name") or "", label=label, choices="、".join(choices)),
                label,
            )
        elif v.present:
            given.add(str(v.value))
    if not given:
        return
    for group in _SCHOOL_COVERAGE:
        if not given & set(group):
            yield _diag(
                schools.loc, Severity.WARNING, "school-category",
                _("联合体成员中没有{kind}学校：产教联合体应涵盖中职和高职学校").format(kind="或".join(group)),
                label,
            )


def credit_code_valid(code: str) -> bool:
    """True when `code` passes the GB 32100-2015 check character."""
    if len(code) != 18 or any(c not in _CREDIT_ALPHABET for c in code):
        return False
    total = sum(_CREDIT_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(code[:17]))
    check = (31 - total % 31) % 31
    return _CREDIT_ALPHABET[check] == code[17]


def _unit_items(app: Application) -> Iterator[tuple[str, Item]]:
    for v in app.values.values():
        if isinstance(v, ListValue) and v.spec.type is _T.UNITS:
            for item in v.items:
                if isinstance(item, Item):
                    yield app.label(v.spec), item


def _unit_field_warnings(
    app: Application, field_id: str, ok: Callable[[str], bool], code: str, message: str
) -> Iterator[Diagnostic]:
    """A warning for each member unit whose `field_id` is given but fails `ok`."""
    for category, item in _unit_items(app):
        value = item.fields.get(field_id)
        if value and value.present and not ok(str(value.value)):
            yield _diag(
                value.loc,
                Severity.WARNING,
                code,
                message.format(category=category, name=item.get("name") or "", value=value.value),
                _item_label(app, "units", field_id),
            )


@reads("credit-code", need("units.credit_code", _T.TEXT), need("units.name", _T.TEXT))
def credit_codes(app: Application) -> Iterator[Diagnostic]:
    """统一社会信用代码, where given, passes its checksum (a warning: some early codes fail it)."""
    return _unit_field_warnings(
        app, "credit_code", credit_code_valid, "credit-code",
        _("{category}“{name}”的统一社会信用代码 {value} 未通过 GB 32100 校验，请核对"),
    )


@reads("phone", need("units.phone", _T.TEXT), need("units.name", _T.TEXT))
def phones_look_right(app: Application) -> Iterator[Diagnostic]:
    """Phone numbers look like a landline (023-xxxxxxxx) or a mobile number."""
    return _unit_field_warnings(
        app, "phone", lambda phone: bool(_PHONE.match(phone.replace(" ", ""))), "phone",
        _("{category}“{name}”的联系电话“{value}”不像固定电话（如 023-12345678）或手机号"),
    )


@reads(
    "lead-not-member",
    need("units.name", _T.TEXT),
    *(need(f"basics.{k}", _T.TEXT, _T.NAMES) for k in ("lead_park", "lead_enterprises", "lead_schools")),
)
def leads_are_members(app: Application) -> Iterator[Diagnostic]:
    """The lead park, enterprises and schools on the covers appear among the listed members."""
    names = {str(item.get("name")) for _c, item in _unit_items(app)}
    if not names:
        return
    for path in ("basics.lead_park", "basics.lead_enterprises", "basics.lead_schools"):
        v = app.values.get(path)
        entries = v.items if isinstance(v, ListValue) else ((v,) if isinstance(v, Value) and v.present else ())
        for entry in entries:
            if isinstance(entry, Value) and entry.present and str(entry.value) not in names:
                yield _diag(
                    entry.loc,
                    Severity.WARNING,
                    "lead-not-member",
                    _("{field}“{name}”未出现在联合体成员情况的单位名称中，请核对名称是否一致").format(
                        field=_label(app, path), name=entry.value
                    ),
                    _label(app, path),
                )


def _heading_title(h: Heading) -> str:
    return strip_heading_number(spans_text(h.spans)).strip().rstrip("。.")


def plan_headings(app: Application) -> Iterator[Diagnostic]:
    """The fixed sub-headings of the official outline come first, in order, as the form names them."""
    for prose in app.prose.values():
        fixed = [h.title.rstrip("。") for h in prose.spec.headings]
        if not fixed:
            continue
        got = [b for b in prose.blocks if isinstance(b, Heading) and b.level == 1]
        for n, title in enumerate(fixed):
            if n < len(got) and _heading_title(got[n]) == title:
                continue
            where = got[n].loc if n < len(got) else prose.loc
            found = _heading_title(got[n]) if n < len(got) else ""
            hint = difflib.get_close_matches(found, fixed, n=1, cutoff=0.3) if found else []
            yield _diag(
                where,
                Severity.ERROR,
                "plan-heading",
                _("{section}：第 {n} 个一级标题应为“# {title}”（官方提纲的固定标题），现为“{found}”").format(
                    section=prose.spec.label, n=n + 1, title=title, found=found or _("（缺少）")
                )
                + (_("；是否应为“{hint}”？").format(hint=hint[0]) if hint and hint[0] != title else ""),
                prose.spec.label,
            )
            break


def _resolved(app: Application, named_in: str, ref: str) -> Path:
    """The file the reader resolved `ref` to; its problem as an AssetProblem."""
    found = app.asset(named_in, ref)
    if isinstance(found, str):
        raise AssetProblem(found)
    return found


def images_exist(app: Application) -> Iterator[Diagnostic]:
    """Every image a Markdown file shows is a real image inside the content repo."""
    for prose in app.prose.values():
        for block in prose.blocks:
            if isinstance(block, Image):
                try:
                    inspect_image(_resolved(app, block.loc.path, block.src), block.src)
                except AssetProblem as exc:
                    yield _diag(block.loc, Severity.ERROR, "image", _("图片：{problem}").format(problem=exc), prose.spec.label)


@reads(
    "attachment",
    need("attachments", _T.GROUP),
    need("attachments.items", _T.ATTACHMENTS),
    need("attachments.file", _T.TEXT),
    need("attachments.title", _T.TEXT),
)
def attachments_exist(app: Application) -> Iterator[Diagnostic]:
    """Every listed attachment is a whole, openable PDF or image in the 附件 folder; what the
    package copy of a PDF will lose (scripts, forms, links out) is a warning."""
    from generator.content.attachments import (  # only content with PDFs needs pikepdf
        AttachmentProblem,
        active_content,
    )

    listed = app.values.get("attachments.items")
    if not isinstance(listed, ListValue):
        return
    for item in listed.items:
        if not isinstance(item, Item) or not item.fields.get("file"):
            continue
        file_value = item.fields["file"]
        if not file_value.present:
            continue
        ref = str(file_value.value)
        title = item.get("title") or ""
        try:
            path = _resolved(app, file_value.loc.path, ref)
            if path.suffix.lower() == ".pdf":
                removed = active_content(path)
            else:
                inspect_image(path, ref)
                removed = ()
        except (AssetProblem, AttachmentProblem) as exc:
            problem = str(exc) if isinstance(exc, AssetProblem) else _("“{ref}”：{reason}").format(ref=ref, reason=exc)
            yield _diag(
                file_value.loc,
                Severity.ERROR,
                "attachment",
                _("附件“{title}”：{problem}").format(title=title, problem=problem),
                app.label(app.form.file("attachments")),
            )
            continue
        if removed:
            yield _diag(
                file_value.loc,
                Severity.WARNING,
                "attachment-sanitised",
                _("附件“{title}”（{ref}）含有动态内容，合入申报材料时已删除：{removed}").format(
                    title=title, ref=ref, removed="、".join(removed)
                ),
                app.label(app.form.file("attachments")),
            )


@reads("fonts-dir", need("project.fonts_dir", _T.TEXT))
def fonts_dir_inside(app: Application) -> Iterator[Diagnostic]:
    """字体目录 lies inside the content folder: the build hands it to LibreOffice and reads its
    files, so `/` or `/proc` would make it scan the whole machine."""
    v = _value(app, "project.fonts_dir")
    if v is None:
        return
    ref = str(v.value)
    root = Path(app.root).resolve()
    pure = PurePosixPath(ref.replace("\\", "/"))
    try:
        real = (root / pure).resolve()
    except (OSError, RuntimeError):
        real = None
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", ref) or real is None or not real.is_relative_to(root):
        yield _diag(
            v.loc,
            Severity.ERROR,
            "fonts-dir",
            _("字体目录“{ref}”不在申报材料目录内：请写目录内的相对路径，如“字体”").format(ref=ref),
            _label(app, "project.fonts_dir"),
        )
        return
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return  # no fonts folder: the stand-in fonts are used
    except OSError as exc:
        yield _diag(v.loc, Severity.ERROR, "fonts-dir", _("字体目录“{ref}”无法读取：{reason}").format(ref=ref, reason=exc.strerror), _label(app, "project.fonts_dir"))
        return
    if not stat.S_ISDIR(st.st_mode):
        yield _diag(v.loc, Severity.ERROR, "fonts-dir", _("字体目录“{ref}”不是文件夹").format(ref=ref), _label(app, "project.fonts_dir"))
    else:
        for problem in _font_folder_problems(root, real):
            yield _diag(v.loc, Severity.ERROR, "fonts-dir", _("字体目录：{problem}").format(problem=problem), _label(app, "project.fonts_dir"))


def _font_folder_problems(root: Path, folder: Path) -> Iterator[str]:
    """What in the fonts folder LibreOffice and the font check must not read: special files
    (a FIFO hangs the font scan), links out of the repo, oversized files, too many files or
    folder levels."""
    from generator.core.buildcache import walk_tree

    for count, (path, depth) in enumerate(walk_tree(folder), start=1):
        if count > MAX_FONT_FILES:
            yield _("文件超过 {limit} 个：请只放本单位授权的字体").format(limit=MAX_FONT_FILES)
            return
        shown = _printable(path.relative_to(root).as_posix())
        if depth > MAX_FONT_FOLDER_DEPTH:
            yield _("“{ref}”所在的文件夹层次超过 {limit} 层").format(ref=shown, limit=MAX_FONT_FOLDER_DEPTH)
            return
        try:
            real = regular_file_inside(root, path, shown)
        except FileNotFoundError:
            continue  # a dangling link: nothing for anyone to read
        except AssetProblem as exc:
            if not (path.is_dir() and path.resolve().is_relative_to(root)):
                yield str(exc)
            continue
        size = real.stat().st_size
        if size > MAX_FONT_FILE_BYTES:
            yield _("“{ref}”有 {size}，超过字体文件上限 {limit}").format(
                ref=shown, size=format_bytes(size), limit=format_bytes(MAX_FONT_FILE_BYTES)
            )


def _printable(name: str) -> str:
    """A file name as it can be printed: bytes that are not UTF-8 become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@reads("output-name-shortened", need("basics.name", _T.TEXT), need("project.output_names.package", _T.TEXT))
def output_names_fit(app: Application) -> Iterator[Diagnostic]:
    """A file name over the file systems' 255 bytes is shortened in the middle: say so."""
    from generator.word.documents import (
        DOCUMENTS,
        PACKAGE_DEFAULT_NAME,
        full_output_stem,
        shorten_stem,
    )

    names = [(f"project.output_names.{d.id}", d.default_name) for d in DOCUMENTS]
    for pattern_path, default in [*names, ("project.output_names.package", PACKAGE_DEFAULT_NAME)]:
        full = full_output_stem(app, pattern_path, default)
        short = shorten_stem(full)
        if short != full:
            v = app.values.get(pattern_path)
            name = app.values.get("basics.name")
            loc = v.loc if isinstance(v, Value) and v.present else name.loc if name is not None else Location(PROJECT_FILE)
            yield _diag(
                loc,
                Severity.WARNING,
                "output-name-shortened",
                _("输出文件名“{full}”超过文件系统允许的长度，已缩短为“{short}”").format(full=full, short=short),
            )


# -- 附件2 indicators: tags that name them, points no prose addresses, the 7.其他 declaration -------


def _ids(ids: tuple[str, ...] | list[str]) -> str:
    return "、".join(ids)


@reads("indicator-tag")
def indicator_tags_known(app: Application) -> Iterator[Diagnostic]:
    """Every id in a `<!-- 指标: … -->` tag is an observation point of 附件2 (1.1–6.3): a typo
    would silently leave the point uncovered. 7.其他 is declared in 自评.yaml, never tagged."""
    declared = {i.id: i for i in app.form.indicators if i.declaration}
    for tag in unknown_tags(app):
        if tag.id in declared:
            spec = app.form.by_path()[declared[tag.id].declaration]
            message = _("观测点“{label}”不由正文回应，不能标注：请在 {file} 的“{key}”中声明").format(
                label=declared[tag.id].label, file=_declaration_file(app, spec.path), key=spec.key
            )
        else:
            message = _("未知的观测点编号“{id}”：附件2 没有这一条").format(id=tag.id) + (
                _("；最接近的是 {ids}").format(ids=_ids(tag.closest))
                if tag.closest
                else _("；观测点编号为 {first}–{last}").format(first=app.form.indicators[0].id, last=_last_point(app))
            )
        yield _diag(tag.loc, Severity.ERROR, "indicator-unknown", message)


def _last_point(app: Application) -> str:
    return [i.id for i in app.form.indicators if not i.declaration][-1]


def _declaration_file(app: Application, path: str) -> str:
    """The content file a declaration is written in (自评.yaml)."""
    return app.form.file(path.split(".")[0]).key


def _plan_folder(app: Application) -> Location:
    """Where an uncovered point is reported when no note locates it: the first folder of prose a
    document reads (建设方案/), the place a writer would most likely add the missing text."""
    folders = [r for d in app.form.documents for r in d.reads if r.endswith("/")]
    return Location(folders[0] if folders else "")


@reads("indicator-uncovered")
def indicators_covered(app: Application) -> Iterator[Diagnostic]:
    """Every observation point is addressed by some tagged prose: a point nobody wrote about
    scores nothing, and reviewers score all 25. The message carries the official wording. Not
    while no prose is there at all (not a content folder, nothing written yet): the missing files
    are the problem then, and 25 warnings would bury it."""
    if not app.prose:
        return
    for item in coverage(app):
        spec = item.indicator
        if item.covered or spec.declaration:
            continue
        note = app.values.get(spec.note) if spec.note else None
        loc = note.loc if isinstance(note, Value) and note.present else _plan_folder(app)
        yield _diag(
            loc,
            Severity.WARNING,
            "indicator-uncovered",
            _("观测点 {id} 尚无正文回应：“{text}”；在回应它的标题或段落前加一行 <!-- 指标: {id} -->").format(id=spec.id, text=spec.text),
            spec.label,
        )


_FIXED_NO_VIOLATIONS = "产教联合体各成员单位近3年内在招生、就业、安全等领域未发生过违法或重大违规事件。"


@reads(
    "indicator-declaration",
    need("self_assessment.violations", _T.YESNO),
    need("self_assessment.violations_detail", _T.TEXT),
)
def violations_declared(app: Application) -> Iterator[Diagnostic]:
    """7.其他: a team that declares 是 explains what happened, and learns that the 推荐书 prints a
    fixed sentence stating the opposite (the official template has it after 特色与创新)."""
    declared = _value(app, "self_assessment.violations")
    if declared is None or declared.value is not True:
        return
    label = _label(app, "self_assessment.violations")
    detail = app.form.by_path()["self_assessment.violations_detail"]
    if _value(app, "self_assessment.violations_detail") is None:
        yield _diag(
            declared.loc,
            Severity.ERROR,
            "violations-detail",
            _("{label}：填了“是”，须在“{key}”中写明事件及整改情况（附件2“7.其他”）").format(label=label, key=detail.key),
            label,
        )
    yield _diag(
        declared.loc,
        Severity.WARNING,
        "violations-contradiction",
        _("{label}：填了“是”，而推荐书在“特色与创新”之后固定印有“{sentence}”，两者矛盾；请与推荐单位确认如何申报").format(
            label=label, sentence=_FIXED_NO_VIOLATIONS
        ),
        label,
    )


@reads("self-assessment-notes", need("project.package_self_assessment", _T.YESNO))
def submitted_notes_written(app: Application) -> Iterator[Diagnostic]:
    """With the 自评表 in the package (申报材料含自评表: 是), each 自评说明 not written prints as a
    gap in what is submitted: an error, like every gap, at the note's key when written (blank),
    else at 自评.yaml, where it is to be written."""
    asked = _value(app, "project.package_self_assessment")
    if asked is None or asked.value is not True:
        return
    for indicator in app.form.indicators:
        if not indicator.note or _value(app, indicator.note) is not None:
            continue
        written = app.values.get(indicator.note)
        file = next(f.key for f in app.form.files if indicator.note.startswith(f.id + "."))
        where = written.loc if isinstance(written, Value) and written.loc.line else Location(file)
        yield _diag(
            where,
            Severity.ERROR,
            "self-assessment-note",
            _("自评表随申报材料提交（申报材料含自评表: 是），观测点 {id} 的自评说明未填写：{text}").format(
                id=indicator.id, text=indicator.text[:20] + "…"
            ),
            indicator.note,
        )


RULES: tuple[Rule, ...] = (
    type_matches_leads,
    leads_are_members,
    staff_adds_up,
    funding_adds_up,
    parts_within_whole,
    schools_have_categories,
    commitments_not_below_baseline,
    credit_codes,
    phones_look_right,
    plan_headings,
    images_exist,
    attachments_exist,
    fonts_dir_inside,
    output_names_fit,
    indicator_tags_known,
    indicators_covered,
    violations_declared,
    submitted_notes_written,
)


def apply_rules(app: Application) -> list[Diagnostic]:
    """Every rule's diagnostics, in rule order. The form is checked against every rule's paths
    first (again: `load_form` may have run before this module registered them), so a rule never
    skips a field the declaration lacks."""
    validate_form(app.form)
    return [d for rule in RULES for d in rule(app)]
