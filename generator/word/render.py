"""Model context → .docx through a docxtpl template: the one module that imports docxtpl.

Rendering escapes every value (autoescape), treats an undefined variable as an error naming the
template and the variable, turns prose parts into styled paragraphs, writes deterministic bytes
(fixed zip member order and timestamps, document dates from the content) and replaces the output
only once the whole file is written.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate

from generator.core.atomic import write_atomic
from generator.core.nobreak import WORD_JOINER
from generator.errors import ToolError
from generator.i18n import _
from generator.model import Prose
from generator.word.cover_layout import layout_cover
from generator.word.ooxml import part_text
from generator.word.summary_layout import layout_summary_tables

#: Turns one prose part into a subdocument: (template, prose) → docxtpl Subdoc.
ProseWriter = Callable[[DocxTemplate, Prose], Any]
#: Runs over the rendered python-docx document before it is saved (e.g. to split runs by script).
Finisher = Callable[[Any], None]

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_TEMPLATE_TAG = re.compile(r"\{[{%#]")


def jinja_env() -> jinja2.Environment:
    """The Jinja environment every template renders in: escaped, and strict about names."""
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=False)


def _convert_prose(value: Any, tpl: DocxTemplate, write_prose: ProseWriter) -> Any:
    if isinstance(value, Prose):
        return write_prose(tpl, value)
    if isinstance(value, dict):
        return {k: _convert_prose(v, tpl, write_prose) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert_prose(v, tpl, write_prose) for v in value]
    return value


def _set_core_dates(xml: bytes, when: dt.datetime) -> bytes:
    # Bytes, not lxml: re-serialising would write python-docx's empty <dc:subject></dc:subject> as
    # <dc:subject/> and change every .docx's bytes from one version to the next for nothing.
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    for tag in (b"dcterms:created", b"dcterms:modified"):
        xml = re.sub(rb"(<" + tag + rb"[^>]*>)[^<]*(</" + tag + rb">)", rb"\g<1>" + stamp + rb"\g<2>", xml)
    return re.sub(rb"<cp:lastPrinted>[^<]*</cp:lastPrinted>", b"", xml)


def deterministic_docx(data: bytes, when: dt.datetime) -> bytes:
    """The same .docx with members in a fixed order, fixed timestamps and dates from `when`."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    # [Content_Types].xml first, as Word writes it; the rest sorted so order never depends on a dict.
    ordered = sorted(names, key=lambda n: (n != "[Content_Types].xml", n))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in ordered:
            payload = src.read(name)
            if name == "docProps/core.xml":
                payload = _set_core_dates(payload, when)
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, payload)
    return out.getvalue()


def render_bytes(
    template_path: Path,
    context: dict[str, Any],
    *,
    when: dt.datetime,
    write_prose: ProseWriter,
    finish: Finisher | None = None,
) -> bytes:
    """Render `template_path` with `context` into deterministic .docx bytes."""
    if not template_path.is_file():
        raise ToolError(_("找不到模板：{template}").format(template=template_path))
    try:
        tpl = DocxTemplate(str(template_path))
        tpl.init_docx()
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ToolError(_("无法打开模板 {template}：{reason}").format(template=template_path.name, reason=exc)) from exc
    ctx = _convert_prose(context, tpl, write_prose)
    try:
        tpl.render(ctx, jinja_env=jinja_env(), autoescape=True)
    except jinja2.UndefinedError as exc:
        raise ToolError(
            _("模板 {template} 使用了不存在的变量：{reason}").format(template=template_path.name, reason=exc.message)
        ) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise ToolError(
            _("模板 {template} 语法错误（第 {line} 行）：{reason}").format(template=template_path.name, line=exc.lineno, reason=exc.message)
        ) from exc
    # Before the finisher, which splits runs by script: the layout steps rewrite whole cells.
    layout_cover(tpl.docx)
    layout_summary_tables(tpl.docx)
    if finish is not None:
        finish(tpl.docx)
    buf = io.BytesIO()
    tpl.save(buf)
    return deterministic_docx(buf.getvalue(), when)


def render_document(
    template_path: Path,
    context: dict[str, Any],
    out_path: Path,
    *,
    when: dt.datetime,
    write_prose: ProseWriter,
    finish: Finisher | None = None,
) -> Path:
    """Render and write atomically; the previous output stays untouched if anything fails."""
    write_atomic(out_path, render_bytes(template_path, context, when=when, write_prose=write_prose, finish=finish))
    return out_path


def leftover_tags(docx_bytes: bytes) -> list[str]:
    """Any `{{`, `{%` or `{#` that survived rendering, with the XML part it is in (template lint)."""
    found: list[str] = []
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as zf:
        for name in zf.namelist():
            if name.endswith(".xml"):
                # Word joiners glue names in the summary table; they hide nothing from the check.
                text = part_text(zf.read(name)).replace(WORD_JOINER, "")
                found.extend(f"{name}: {m.group()}" for m in _TEMPLATE_TAG.finditer(text))
    return found


def template_variables(template_path: Path) -> set[str]:
    """Every undeclared variable name the template reads (template lint)."""
    tpl = DocxTemplate(str(template_path))
    return set(tpl.get_undeclared_template_variables(jinja_env()))
