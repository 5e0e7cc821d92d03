"""Model context → .docx through a docxtpl template: the one module that imports docxtpl.

Rendering escapes every value (autoescape), treats an undefined variable as an error naming the
template and the variable, turns prose parts into styled paragraphs, writes deterministic bytes
(fixed zip member order and timestamps, document dates from the content) and replaces the output
only once the whole file is written.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import hashlib
import io
import re
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from docxtpl.subdoc import Subdoc
from lxml import etree

from generator.core.atomic import write_atomic
from generator.core.nobreak import WORD_JOINER
from generator.errors import ToolError
from generator.i18n import _
from generator.model import Prose
from generator.word.context import GAP_CLOSE, GAP_OPEN
from generator.word.cover_layout import layout_cover
from generator.word.ooxml import XML_SPACE, W, part_text, w
from generator.word.summary_layout import layout_summary_tables

#: Turns one prose part into a subdocument: (template, prose) → docxtpl Subdoc.
ProseWriter = Callable[[DocxTemplate, Prose], Any]
#: Runs over the rendered python-docx document before it is saved (e.g. to split runs by script).
Finisher = Callable[[Any], None]

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_TEMPLATE_TAG = re.compile(r"\{[{%#]")
#: The characters docxtpl's resolve_listing turns into tabs, paragraphs, line and page breaks.
_LISTING_CHARS = re.compile("[\t\a\n\f]")


class _Environment(jinja2.Environment):
    """Compiles each template source once: a template file's XML is the same at every render, and
    compiling it is half the time of rendering a document (preview renders at every save). The
    compiled code is also kept in the user's cache (core/usercache.py) for the next process."""

    @functools.lru_cache(maxsize=16)  # noqa: B019 - one environment, kept for the process's life
    def _compiled(self, source: str) -> jinja2.Template:
        cache = _bytecode_cache()
        if cache is None:
            return super().from_string(source)
        # Keyed by everything the code depends on: the source (the template's XML as docxtpl
        # prepared it), Jinja's and Python's versions and this environment's settings.
        key = "\0".join((jinja2.__version__, sys.version, repr(_ENV_SETTINGS), source))
        name = hashlib.sha256(key.encode("utf-8")).hexdigest()
        try:
            bucket = cache.get_bucket(self, name, None, source)
        except Exception:  # a damaged cache file (jinja checks its header, not the pickle after it)
            bucket = None
        code = bucket.code if bucket is not None else None
        if code is None:
            code = self.compile(source)
            if bucket is not None:
                bucket.code = code
                with contextlib.suppress(OSError):
                    cache.set_bucket(bucket)
        return self.template_class.from_code(self, code, self.make_globals(None), None)

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> jinja2.Template:  # noqa: A002 - jinja's names
        if isinstance(source, str) and globals is None and template_class is None:
            return self._compiled(source)
        return super().from_string(source, globals, template_class)


_ENV_SETTINGS: dict[str, Any] = {"autoescape": True, "undefined": jinja2.StrictUndefined, "keep_trailing_newline": False}


@functools.cache
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    from generator.core.usercache import cache_dir

    folder = cache_dir("jinja")
    return jinja2.FileSystemBytecodeCache(str(folder)) if folder is not None else None


class _Template(DocxTemplate):
    """docxtpl's template, its XML clean-up kept per source: patch_xml runs a dozen regular
    expressions over the template's XML at every render (~65 ms of CPU for the plan), and the
    template's XML is the same at every render (`chanjiao preview` renders on every save)."""

    def __init__(self, data: bytes, name: str):
        super().__init__(io.BytesIO(data))
        #: The template file's name, for messages (the template is read from `data`, not its path).
        self.template_name = name
        #: A digest of the template's bytes, read once: everything a prose part's XML takes from
        #: the template (style ids, the text frame, font sizes) is in those bytes (blocks.py keeps
        #: parts' XML under it).
        self.template_digest = hashlib.sha256(data).hexdigest()

    def patch_xml(self, src_xml: str) -> str:
        return _patched(src_xml)

    def resolve_listing(self, xml: str) -> str:
        """docxtpl's resolve_listing, skipped when `xml` holds none of \\t \\a \\n \\f: its
        regular expressions over every paragraph, run and text (~35 ms of the plan's render)
        change nothing else. Every change it makes is a `str.replace` of one of those four
        characters inside a <w:t> (resolve_text); the enclosing re.sub calls put back each match
        as resolve_text returned it. Without the four characters each replace returns its input,
        so the result is `xml` itself (tests/test_render_memo.py compares both on real XML)."""
        if not _LISTING_CHARS.search(xml):
            return xml
        return str(super().resolve_listing(xml))


@functools.lru_cache(maxsize=16)
def _patched(src_xml: str) -> str:
    """docxtpl's clean-up of a template part's XML; also kept in the user's cache for the next
    process, as the compiled code is (the three documents' parts: ~75 ms of a build's CPU, a
    file read when kept). Keyed by the XML and docxtpl's version; a file that cannot be read or
    written leaves the clean-up to be done, never a wrong result: each file ends with the digest
    of what precedes it, so a torn or damaged one is not taken."""
    from generator.core.usercache import cache_dir

    folder = cache_dir("docxtpl")
    if folder is None:
        return str(DocxTemplate.patch_xml(None, src_xml))
    key = hashlib.sha256("\0".join((_docxtpl_version(), src_xml)).encode("utf-8")).hexdigest()
    path = folder / f"{key}.xml"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        kept, _sep, check = path.read_bytes().rpartition(b"\n")
        if check.decode("ascii") == hashlib.sha256(kept).hexdigest():
            return kept.decode("utf-8")
    patched = str(DocxTemplate.patch_xml(None, src_xml))
    data = patched.encode("utf-8")
    with contextlib.suppress(ToolError, OSError):
        write_atomic(path, data + b"\n" + hashlib.sha256(data).hexdigest().encode("ascii"))
    return patched


def _docxtpl_version() -> str:
    import docxtpl

    return str(getattr(docxtpl, "__version__", "unknown"))


@functools.cache
def _blank_body() -> Any:
    """The document element of python-docx's blank document, read once per process."""
    from docx import Document

    return Document().element


def new_subdoc(tpl: DocxTemplate) -> Subdoc:
    """An empty subdocument of `tpl`, as `tpl.new_subdoc()` makes it, from a copy of the blank
    document read once: docxtpl opens python-docx's default.docx (a zip of 14 parts) for each
    subdocument, a tenth of a document's render time with ten prose parts."""
    from docx.document import Document as DocxDocument

    sub = Subdoc.__new__(Subdoc)
    sub.tpl, sub.docx = tpl, tpl.get_docx()
    # docxtpl's own new_subdoc gives the subdocument the template's part the same way.
    sub.subdocx = DocxDocument(copy.deepcopy(_blank_body()), sub.docx.part)
    return sub


@functools.cache
def jinja_env() -> jinja2.Environment:
    """The Jinja environment every template renders in: escaped, and strict about names."""
    return _Environment(**_ENV_SETTINGS)


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
    return _deterministic_zip({name: src.read(name) for name in src.namelist()}, when)


def _deterministic_zip(members: dict[str, bytes], when: dt.datetime) -> bytes:
    """A .docx of `members` (name → bytes) in a fixed order, with fixed timestamps and document
    dates from `when`."""
    # [Content_Types].xml first, as Word writes it; the rest sorted so order never depends on a dict.
    ordered = sorted(members, key=lambda n: (n != "[Content_Types].xml", n))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in ordered:
            payload = members[name]
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
        # Read once: the bytes the template is opened from are the bytes its digest is of.
        data = template_path.read_bytes()
    except OSError as exc:
        raise ToolError(_("无法打开模板 {template}：{reason}").format(template=template_path.name, reason=exc)) from exc
    return _render(_Template(data, template_path.name), context, when=when, write_prose=write_prose, finish=finish)


def _render(tpl: _Template, context: dict[str, Any], *, when: dt.datetime, write_prose: ProseWriter, finish: Finisher | None) -> bytes:
    try:
        tpl.init_docx()
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ToolError(_("无法打开模板 {template}：{reason}").format(template=tpl.template_name, reason=exc)) from exc
    ctx = _convert_prose(context, tpl, write_prose)
    try:
        tpl.render(ctx, jinja_env=jinja_env(), autoescape=True)
    except jinja2.UndefinedError as exc:
        raise ToolError(
            _("模板 {template} 使用了不存在的变量：{reason}").format(template=tpl.template_name, reason=exc.message)
        ) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise ToolError(
            _("模板 {template} 语法错误（第 {line} 行）：{reason}").format(template=tpl.template_name, line=exc.lineno, reason=exc.message)
        ) from exc
    # Before the finisher, which splits runs by script: the layout steps rewrite whole cells.
    layout_cover(tpl.docx)
    layout_summary_tables(tpl.docx)
    highlight_gaps(tpl.docx.element.body)
    if finish is not None:
        finish(tpl.docx)
    members = _package_members(tpl)
    if members is None:
        buf = io.BytesIO()
        tpl.save(buf)
        return deterministic_docx(buf.getvalue(), when)
    return _deterministic_zip(members, when)


class _MemberSink:
    """Takes what python-docx's PackageWriter writes to its zip file: member name → bytes."""

    def __init__(self) -> None:
        self.members: dict[str, bytes] = {}

    def write(self, pack_uri: Any, blob: bytes) -> None:
        self.members[pack_uri.membername] = blob


def _package_members(tpl: DocxTemplate) -> dict[str, bytes] | None:
    """The members `tpl.save` would zip, as PackageWriter.write makes them, without the zip:
    deterministic_docx unzipped and zipped again what save had just compressed (~8 ms of the
    plan's render). None when docxtpl has pictures or files to replace on saving (its save
    rewrites the zip for those; the tool asks for none)."""
    from docx.opc.pkgwriter import PackageWriter

    if tpl.pics_to_replace or tpl.crc_to_new_media or tpl.crc_to_new_embedded or tpl.zipname_to_replace:
        return None
    package = tpl.docx.part.package
    parts = list(package.parts)
    for part in parts:  # OpcPackage.save's first step
        part.before_marshal()
    sink = _MemberSink()
    PackageWriter._write_content_types_stream(sink, parts)
    PackageWriter._write_pkg_rels(sink, package.rels)
    PackageWriter._write_parts(sink, parts)  # type: ignore[arg-type]  # duck-typed: only write() is called
    return sink.members


# A gap may arrive glued (a word joiner between each pair of characters, context.glued).
_GAP = re.compile(
    f"{WORD_JOINER}?".join(map(re.escape, GAP_OPEN)) + f"[^{re.escape(GAP_CLOSE)}]*{re.escape(GAP_CLOSE)}"
)
#: Each w:t under the context node whose text holds a gap's first character, in document order
#: (libxml2 looks, not Python: a w:t's string value is its text, as it has no children).
_GAP_TEXTS = etree.XPath(f".//w:t[contains(., '{GAP_OPEN[0]}')]", namespaces={"w": W})
# rPr children that the schema puts after w:highlight: a highlight is inserted before the first.
_AFTER_HIGHLIGHT = frozenset(
    w(t)
    for t in ("u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath")
)


def highlight_gaps(body: Any) -> int:
    """Give every gap (context.gap, `【待填写：…】`) under `body` a run of its own, highlighted
    yellow, so that a missing value stands out on the page and in Word. Returns how many."""
    found = 0
    # Only the runs whose text has a gap's first character are looked at (a gap arrives glued, but
    # its 【 stays a character of its own): looking at every run of the plan took ~20 ms a render.
    runs = dict.fromkeys(t.getparent() for t in _GAP_TEXTS(body))
    for run in runs:
        texts = [c for c in run if c.tag == w("t")]
        if run.tag != w("r") or len(texts) != 1 or len(run) - (run.find(w("rPr")) is not None) != 1 or not _GAP.search(texts[0].text or ""):
            continue  # only plain text runs: a template value arrives as one
        text, pos, pieces = texts[0].text or "", 0, []
        for m in _GAP.finditer(text):
            pieces += [(text[pos : m.start()], False), (m.group(), True)]
            pos = m.end()
        pieces.append((text[pos:], False))
        for piece, is_gap in pieces:
            if piece:
                run.addprevious(_piece_run(run, piece, is_gap))
        run.getparent().remove(run)
        found += sum(1 for _piece, is_gap in pieces if is_gap)
    return found


def _piece_run(run: Any, text: str, highlighted: bool) -> Any:
    new = copy.deepcopy(run)
    new.find(w("t")).text = text
    new.find(w("t")).set(XML_SPACE, "preserve")
    if highlighted:
        r_pr = new.find(w("rPr"))
        if r_pr is None:
            r_pr = new.makeelement(w("rPr"), {})
            new.insert(0, r_pr)
        mark = r_pr.makeelement(w("highlight"), {w("val"): "yellow"})
        after = next((c for c in r_pr if c.tag in _AFTER_HIGHLIGHT), None)
        if after is not None:
            after.addprevious(mark)
        else:
            r_pr.append(mark)
    return new


def printed_gaps(docx: Path) -> list[str]:
    """The gaps a rendered .docx prints highlighted, in order, read back from its XML (a gap split
    into several runs by script is one gap)."""
    from lxml import etree

    with zipfile.ZipFile(docx) as zf:
        root = etree.fromstring(zf.read("word/document.xml"))
    found: list[str] = []
    for p in root.iter(w("p")):
        marked = "".join(
            "".join(t.text or "" for t in r.iter(w("t"))) if r.find(f"{w('rPr')}/{w('highlight')}") is not None else "\n"
            for r in p.iter(w("r"))
            if next(r.iterancestors(w("p"))) is p  # a text box's runs count in its own paragraphs
        )
        found.extend(_GAP.findall(marked.replace(WORD_JOINER, "")))
    return found


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


_FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


def template_variables(template_path: Path) -> set[str]:
    """Every undeclared variable name the template reads (template lint): in the body, headers and
    footers (docxtpl's own list) and in the footnotes, which docxtpl renders but does not list
    (the 推荐书's and 自评表's footnotes print `footnotes.*`)."""
    from jinja2 import meta

    tpl = DocxTemplate(str(template_path))
    env = jinja_env()
    names = set(tpl.get_undeclared_template_variables(env))
    for part in tpl.get_docx().part.package.parts:
        if part.content_type == _FOOTNOTES_TYPE:
            xml = tpl.patch_xml(part.blob.decode("utf-8"))
            names |= meta.find_undeclared_variables(env.parse(xml))
    return names
