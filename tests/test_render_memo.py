"""A process that renders again (`chanjiao preview`, on every save) reuses the XML of the prose
parts that did not change (blocks._WRITTEN) and the layout of a summary table that did not
change (summary_layout._LAID), and skips work that changes nothing; the .docx bytes are those a
render from nothing writes, whatever was edited."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, png
from docxtpl import DocxTemplate

from generator.content.loader import load_application
from generator.core.nobreak import WORD_JOINER
from generator.word import blocks, render, summary_layout
from generator.word.documents import DOCUMENTS, templates_dir

PLAN = next(d for d in DOCUMENTS if d.template == "建设方案.docx")


@pytest.fixture(autouse=True)
def _no_parts_kept() -> Iterator[None]:
    blocks.clear_written()
    summary_layout.clear_laid()
    yield
    blocks.clear_written()
    summary_layout.clear_laid()


def _render(root: Path, out: Path) -> dict[str, bytes]:
    from generator.pipeline import render_documents

    app, _diagnostics = load_application(root)
    out.mkdir(parents=True)
    return {p.name: p.read_bytes() for p in render_documents(app, out)}


class _Renders:
    """Renders `root` into numbered folders, each time with the parts kept and then without."""

    def __init__(self, root: Path, tmp: Path):
        self.root, self.tmp, self.n = root, tmp, 0
        self.hits = 0

    def kept_and_fresh(self) -> tuple[dict[str, bytes], dict[str, bytes]]:
        self.n += 1
        before = len(blocks._WRITTEN)
        kept = _render(self.root, self.tmp / f"{self.n}-kept")
        self.hits += before > 0 and len(blocks._WRITTEN) - before < 5  # most parts came from the memo
        kept_now = [(memo, dict(memo)) for memo in (blocks._WRITTEN, summary_layout._LAID)]
        for memo, _saved in kept_now:
            memo.clear()
        fresh = _render(self.root, self.tmp / f"{self.n}-fresh")
        for memo, saved in kept_now:  # the next render finds what the kept one left
            memo.clear()
            memo.update(saved)
        return kept, fresh

    def check(self) -> dict[str, bytes]:
        kept, fresh = self.kept_and_fresh()
        assert kept.keys() == fresh.keys()
        for name in kept:
            assert kept[name] == fresh[name], f"{name}: a kept part is stale after edit {self.n}"
        return kept


def _edit(root: Path, rel: str, change: Callable[[str], str]) -> None:
    path = root / rel
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def _document_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read("word/document.xml").decode("utf-8")


def _plan(docs: dict[str, bytes]) -> bytes:
    return next(v for k, v in docs.items() if k.endswith("建设方案.docx"))


def test_edits_in_one_process_render_the_bytes_of_a_render_from_nothing(
    content_copy: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = content_copy()
    reused: list[bool] = []
    real_reusable = blocks._Written.reusable

    def spy(self: blocks._Written, tpl: object) -> bool:
        reused.append(real_reusable(self, tpl))
        return reused[-1]

    monkeypatch.setattr(blocks._Written, "reusable", spy)
    originals = {p: p.read_text(encoding="utf-8") for p in root.rglob("*.md")}
    renders = _Renders(root, tmp_path / "out")
    first = renders.check()
    tasks, conditions, schedule = "建设方案/3-建设内容与举措.md", "建设方案/1-创建条件.md", "建设方案/4-建设计划.md"

    _edit(root, tasks, lambda t: t + "\n\n新加的一段，2024 年投入 356.7万元。\n")
    edited = renders.check()
    assert "新加的一段" in _document_xml(_plan(edited)) and _plan(edited) != _plan(first)
    _edit(root, conditions, lambda t: t.replace("联合体", "联合体（改）", 1))
    renders.check()
    for path, text in originals.items():  # back as it was: the first render's bytes again
        path.write_text(text, encoding="utf-8")
    assert renders.check() == first
    _edit(root, schedule, lambda t: t + "\n\n1. 第一项 ABC\n2. 第二项\n   - 子项\n")
    renders.check()
    _edit(root, tasks, lambda t: t + "\n\n| 单位 | 金额 |\n|---|---|\n| 重庆云岭职业技术学院 | 12万元 |\n")
    renders.check()
    # Pictures: a kept part relates its pictures again; when a picture printed before it moves
    # their relationship ids, it is written anew.
    (root / "建设方案/图片/小图.png").write_bytes(png(40, 30))
    _edit(root, schedule, lambda t: t + "\n\n![小图](图片/小图.png)\n")
    with_pictures = renders.check()
    assert _document_xml(_plan(with_pictures)).count("<pic:pic") == 2
    (root / "建设方案/图片/另一图.png").write_bytes(png(30, 40))
    reused.clear()
    _edit(root, "建设方案/2-创建思路.md", lambda t: t + "\n\n![另一图](图片/另一图.png)\n")
    with_three = renders.check()
    assert _document_xml(_plan(with_three)).count("<pic:pic") == 3
    assert True in reused and False in reused, "the first part's picture kept, the schedule's written anew"
    _edit(root, "推荐书/4-建设规划.md", lambda t: t + "\n\n推荐书新段落 Test。\n")
    renders.check()
    for path, text in originals.items():
        path.write_text(text, encoding="utf-8")
    assert renders.check() == first
    assert renders.hits >= 7, "the parts were kept"


def test_the_bytes_are_those_of_a_new_process(content_copy: Callable[..., Path], tmp_path: Path) -> None:
    root = content_copy()
    _render(root, tmp_path / "warm")  # every part kept
    _edit(root, "建设方案/2-创建思路.md", lambda t: t + "\n\n补充一句。\n")
    kept = _render(root, tmp_path / "kept")
    script = (
        "import sys; from pathlib import Path; from generator.content.loader import load_application;"
        "from generator.pipeline import render_documents;"
        "render_documents(load_application(Path(sys.argv[1]))[0], Path(sys.argv[2]))"
    )
    (tmp_path / "new").mkdir()
    subprocess.run([sys.executable, "-c", script, str(root), str(tmp_path / "new")], check=True, cwd=REPO)
    assert kept == {p.name: p.read_bytes() for p in (tmp_path / "new").iterdir()}


def _narrower(templates: Path) -> None:
    """The plan's template with wider left and right margins: its tables' columns get narrower."""
    path = templates / PLAN.template
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    xml = members["word/document.xml"].decode("utf-8")
    xml, count = re.subn(r'(<w:pgMar\b[^>]*?w:left=")(\d+)"', lambda m: f'{m.group(1)}{int(m.group(2)) + 600}"', xml)
    assert count
    members["word/document.xml"] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


@pytest.mark.parametrize("key_has_template", [True, False])
def test_a_changed_template_is_not_served_its_old_parts(
    content_copy: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key_has_template: bool
) -> None:
    """The test above catches a key that misses what a part depends on: with the template's
    digest left out of the key, the plan rendered with a changed template keeps its old tables."""
    from generator import pipeline

    templates = tmp_path / "templates"
    shutil.copytree(templates_dir(), templates)
    monkeypatch.setattr(pipeline, "templates_dir", lambda: templates)
    if not key_has_template:
        real_key = blocks._written_key
        monkeypatch.setattr(blocks, "_written_key", lambda *args: (real_key(*args) or (None,))[1:] or None)
    root = content_copy()
    renders = _Renders(root, tmp_path / "out")
    renders.check()
    _narrower(templates)
    if key_has_template:
        renders.check()
    else:
        kept, fresh = renders.kept_and_fresh()
        assert _plan(kept) != _plan(fresh)


# -- resolve_listing -------------------------------------------------------------------------------


def test_resolve_listing_is_skipped_only_where_it_changes_nothing(content_copy: Callable[..., Path], tmp_path: Path) -> None:
    from generator.word.render import _Template

    xml = _document_xml(_plan(_render(content_copy(), tmp_path / "out")))
    body = xml.split("?>", 1)[1].lstrip()  # the rendered document, as resolve_listing saw it
    assert not re.search("[\t\a\n\f]", body)
    path = templates_dir() / PLAN.template
    ours, theirs = _Template(path.read_bytes(), path.name), DocxTemplate(str(path))
    assert ours.resolve_listing(body) == theirs.resolve_listing(body) == body
    # A value holding a line break, a tab or a page break: docxtpl's own rewriting, unchanged.
    for char, mark in (("\n", "<w:br/>"), ("\t", "<w:tab/>"), ("\f", 'w:type="page"'), ("\a", "</w:p><w:p>")):
        held = body.replace("联合体", f"联合{char}体", 1)
        assert ours.resolve_listing(held) == theirs.resolve_listing(held) != held
        assert mark in ours.resolve_listing(held)


# -- split_runs_by_script --------------------------------------------------------------------------


def _split_run_as_it_was(run: Any, latin_id: str) -> None:
    """blocks._split_run before it made its elements in the tree (python-docx's OxmlElement)."""
    import copy

    from docx.oxml import OxmlElement

    from generator.word.ooxml import XML_SPACE, T, w

    def make(tag: str, **attrs: str) -> Any:
        el = OxmlElement(f"w:{tag}")
        for k, v in attrs.items():
            el.set(w(k), v)
        return el

    def tag_glued(r_pr: Any) -> None:
        lang = r_pr.find(w("lang"))
        if lang is None:
            lang = make("lang")
            later = next((c for c in r_pr if c.tag in blocks._AFTER_LANG), None)
            if later is None:
                r_pr.append(lang)
            else:
                later.addprevious(lang)
        lang.set(w("eastAsia"), blocks.GLUED_LANG)

    r_pr = run.find(w("rPr"))
    if r_pr is not None and r_pr.find(w("rStyle")) is not None:
        return
    content = [c for c in run if c.tag != w("rPr")]
    if not content or any(c.tag not in blocks._TEXT_CHILDREN for c in content):
        return
    if not any(blocks._MAY_SPLIT.search(c.text or "") for c in content if c.tag == T):
        return
    pieces: list[tuple[Any, tuple[bool, bool] | None]] = []
    for c in content:
        if c.tag == w("t"):
            pieces.extend((text, (latin, glued)) for text, latin, glued in blocks.run_segments(c.text or ""))
        else:
            pieces.append((c, None))
    if not any(kind is not None and (kind[0] or kind[1]) for _piece, kind in pieces):
        return
    groups: list[tuple[tuple[bool, bool], list[Any]]] = []
    for piece, kind in pieces:
        if groups and (kind is None or groups[-1][0] == kind):
            groups[-1][1].append(piece)
        else:
            groups.append((kind or (False, False), [piece]))
    for (latin, glued), items in groups:
        new = make("r")
        props = copy.deepcopy(r_pr) if r_pr is not None else make("rPr")
        if latin:
            fonts = props.find(w("rFonts"))
            if fonts is not None:
                for attr in blocks._LATIN_FONT_ATTRS:
                    fonts.attrib.pop(attr, None)
            props.insert(0, make("rStyle", val=latin_id))
        if glued:
            tag_glued(props)
        if len(props):
            new.append(props)
        for item in items:
            if isinstance(item, str):
                t = make("t")
                t.text = item
                t.set(XML_SPACE, "preserve")
                new.append(t)
            else:
                new.append(item)
        run.addprevious(new)
    run.getparent().remove(run)


@pytest.mark.parametrize("doc_id", ["plan", "self_assessment"])
def test_splitting_gives_the_document_splitting_every_run_as_it_was_gives(tmp_path: Path, doc_id: str) -> None:
    """split_runs_by_script looks only at the runs _may_split names and makes its elements in the
    tree; splitting every run as it was (standalone python-docx elements) writes the same XML,
    here for the large application's plan and 自评表 (every kind of run the templates and the
    writer make: styled, glued, Latin, without properties, fields, text boxes)."""
    import copy

    from lxml import etree

    from generator.pipeline import render_documents
    from generator.word.ooxml import w
    from tests.large_app import make_large_application

    captured: list[Any] = []
    app, _diagnostics = load_application(make_large_application(tmp_path / "large"))
    monkey = pytest.MonkeyPatch()
    monkey.setattr(blocks, "split_runs_by_script", captured.append)
    try:
        render_documents(app, tmp_path / "out", tuple(d for d in DOCUMENTS if d.id == doc_id))
    finally:
        monkey.undo()
    document = captured[0]
    every = copy.deepcopy(document.element)
    latin_id = blocks._Styles(document, "").get(blocks.LATIN)
    assert latin_id is not None
    for run in list(every.iter(w("r"))):
        _split_run_as_it_was(run, latin_id)
    unsplit = etree.tostring(document.element)
    blocks.split_runs_by_script(document)
    split = etree.tostring(document.element)
    assert split != unsplit and split == etree.tostring(every)


# -- the paragraph writer --------------------------------------------------------------------------


def test_paragraphs_are_written_as_python_docx_writes_them(example_root: Path) -> None:
    """The writer makes its paragraphs itself (faster): the subdocument's XML is what python-docx's
    add_paragraph() and its style setter write, before the sectPr, glued language included."""
    from lxml import etree

    from generator.model import Location, Paragraph, Prose, Span
    from generator.word.render import _Template

    app, _diagnostics = load_application(example_root)
    path = templates_dir() / PLAN.template
    tpl = _Template(path.read_bytes(), path.name)
    tpl.init_docx()
    loc = Location("建设方案/2-创建思路.md", 1, 1)
    prose = Prose(app.form.file("plan_approach"), (Paragraph((Span("正文 356.7万元"),), loc),), loc)
    writer = blocks._PartWriter(app, tpl, prose)
    theirs = blocks.new_subdoc(tpl)
    for style in (blocks.BODY, blocks.LIST, "heading 2", blocks.BODY):
        writer.spans(writer.paragraph(style), [Span("一段 ab 2024年")])
        p = theirs.add_paragraph()
        p._p.style = writer.styles[style]
        writer.spans(p._p, [Span("一段 ab 2024年")])
    assert etree.tostring(writer.sub.subdocx.element.body) == etree.tostring(theirs.subdocx.element.body)
    assert writer.body[-1].tag == blocks._SECT_PR
    # A paragraph that already has children gets its style where python-docx puts it.
    ours, other = theirs.add_paragraph("文字"), theirs.add_paragraph("文字")
    blocks._set_style(ours._p, "A1")
    other._p.style = "A1"
    assert etree.tostring(ours._p) == etree.tostring(other._p)


# -- saving ----------------------------------------------------------------------------------------


def test_the_package_zipped_once_is_the_package_docxtpl_saves(example_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """render_bytes zips the package's members as python-docx makes them, once; docxtpl's save
    and deterministic_docx (zip, unzip, zip again) give the same bytes, pictures included."""
    from generator.word import render
    from generator.word.context import build_context, document_date

    app, _diagnostics = load_application(example_root)
    context = build_context(app)

    def rendered() -> bytes:
        blocks.clear_written()
        return render.render_bytes(
            templates_dir() / PLAN.template, context, when=document_date(app),
            write_prose=blocks.prose_writer(app), finish=blocks.split_runs_by_script,
        )

    once = rendered()
    with zipfile.ZipFile(io.BytesIO(once)) as zf:
        assert any(n.startswith("word/media/") for n in zf.namelist())
    monkeypatch.setattr(render, "_package_members", lambda tpl: None)
    assert rendered() == once


def test_the_gap_texts_are_those_holding_a_gaps_first_character() -> None:
    from lxml import etree

    from generator.word.context import GAP_OPEN
    from generator.word.ooxml import W, w
    from generator.word.render import _GAP_TEXTS

    texts = ["甲【待填写：名称】", "无", "", "】【", "【", "a【b", "嵌套【"]
    runs = "".join(f"<w:r><w:t>{t}</w:t></w:r>" for t in texts[:-1])
    nested = f"<w:r><w:drawing><w:txbxContent><w:p><w:r><w:t>{texts[-1]}</w:t></w:r></w:p></w:txbxContent></w:drawing></w:r>"
    body = etree.fromstring(f'<w:body xmlns:w="{W}"><w:p>{runs}<w:r><w:t/></w:r>{nested}</w:p></w:body>')
    expected = [t for t in body.iter(w("t")) if GAP_OPEN[0] in (t.text or "")]
    assert _GAP_TEXTS(body) == expected and len(expected) == 5


# -- the summary table -----------------------------------------------------------------------------


@pytest.mark.parametrize("key_has_table", [True, False])
def test_a_changed_summary_table_is_laid_out_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key_has_table: bool
) -> None:
    """The large application's summary table takes three pages (two continuations); laid out once,
    it is put back on the next render of the plan while its XML stays the same, and laid out again
    when the council's members change. Without the table's XML in the key, the old layout (old
    names) is put back, and the comparison with a fresh render says so."""
    from tests.large_app import make_large_application

    if not key_has_table:
        real_key = summary_layout._laid_key
        monkeypatch.setattr(summary_layout, "_laid_key", lambda tbl, *rest: real_key(tbl.makeelement("x"), *rest))
    root = make_large_application(tmp_path / "large")
    renders = _Renders(root, tmp_path / "out")
    first = renders.check()
    assert _document_xml(_plan(first)).count("（续）") == 2
    laid_out: list[int] = []
    real_lay_out = summary_layout._lay_out
    monkeypatch.setattr(summary_layout, "_lay_out", lambda *a: laid_out.append(1) or real_lay_out(*a))
    _edit(root, "建设方案/3-建设内容与举措.md", lambda t: t + "\n\n新加的一段。\n")
    renders.check()
    assert len(laid_out) == 1, "the kept render put the table back; the fresh one laid it out"
    _edit(root, "推荐书/1-联合体概况.yaml", lambda t: t.replace("  成员构成:\n", "  成员构成:\n    - 重庆新加入的一家很长名字的智能制造装备研究院有限公司\n", 1))
    if key_has_table:
        after = renders.check()
        assert "新加入的一家" in _document_xml(_plan(after)).replace(WORD_JOINER, "")
    else:
        kept, fresh = renders.kept_and_fresh()
        assert _plan(kept) != _plan(fresh)


def test_a_table_that_passes_for_a_continuation_is_never_kept(content_copy: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A template table after a page break right below the summary table is taken for a
    continuation and has its lines written: that layout is not kept (the key and the copies
    hold only the summary table and what the layout put after it), so renders stay fresh ones."""
    import copy

    from generator.word.ooxml import w

    real_layout = summary_layout.layout_summary_tables

    def with_a_table_below(document: Any) -> int:
        head_id = summary_layout.style_ids(document.styles.element).get(summary_layout.HEAD_STYLE)
        for tbl in list(document.element.iter(w("tbl"))):
            if any(ps.get(w("val")) == head_id for ps in tbl.iter(w("pStyle"))) and tbl.getnext() is not None:
                other = copy.deepcopy(tbl)  # a table of the template's own: no summary styles
                for ps in [ps for ps in other.iter(w("pStyle")) if ps.get(w("val")) == head_id]:
                    ps.getparent().remove(ps)
                tbl.addnext(summary_layout._page_break())
                tbl.getnext().addnext(other)
                break
        return real_layout(document)

    monkeypatch.setattr(render, "layout_summary_tables", with_a_table_below)
    root = content_copy()
    renders = _Renders(root, tmp_path / "out")
    renders.check()
    assert not summary_layout._LAID
    _edit(root, "建设方案/3-建设内容与举措.md", lambda t: t + "\n\n新加的一段。\n")
    renders.check()
