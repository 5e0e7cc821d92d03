"""What makes a preview rebuild fast, checked by what it produces, never by timings: templates
compiled once, only the document a save feeds rendered and converted, pages pictured in the order
a user sees them."""

from __future__ import annotations

import http.client
import io
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest

from generator.check.results import DocumentResult
from generator.check.validate import check_content
from generator.pipeline import render_documents
from generator.preview.converter import ColdConverter
from generator.preview.pages import PdfPages
from generator.preview.server import PreviewServer
from generator.preview.session import Session
from generator.preview.state import PreviewState
from generator.word.documents import RECOMMENDATION
from tests.preview_process import append_line

REC_MD = "推荐书/4-建设规划.md"


def _body_text(docx: Path) -> str:
    with zipfile.ZipFile(io.BytesIO(docx.read_bytes())) as zf:
        return zf.read("word/document.xml").decode("utf-8")


def test_a_template_is_compiled_once_and_every_render_still_prints_its_own_content(
    content_copy: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    root = content_copy()
    _report, app = check_content(root)
    render_documents(app, tmp_path / "a", (RECOMMENDATION,))  # compiles what this process had not yet

    compiled: list[str] = []
    original = jinja2.Environment.compile

    def counting(self, source, *args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append(str(source)[:40])
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    append_line(root, REC_MD, "第二次渲染新增的句子：长江索道。")
    _report, app = check_content(root)
    (second,) = render_documents(app, tmp_path / "b", (RECOMMENDATION,))
    assert compiled == []  # the same template: nothing compiled again
    assert "第二次渲染新增的句子：长江索道。" in _body_text(second)
    (first,) = list((tmp_path / "a").glob("*.docx"))
    assert "长江索道" not in _body_text(first)


# -- a save rebuilds one document, text first, then its pictures (real LibreOffice) -------------


class _CountingConverter(ColdConverter):
    """The cold converter, remembering which .docx it was given."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.converted: list[str] = []

    def convert(self, docx_paths: list[Path], out_dir: Path, first: object = None) -> list[Path]:
        self.converted += [p.name for p in docx_paths]
        return super().convert(docx_paths, out_dir)


def _files(out: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir() if p.is_file()}


def _document(state: PreviewState, doc_id: str) -> dict:
    return next(d for d in state.get("documents") if d["id"] == doc_id)


@pytest.mark.libreoffice
def test_a_save_shows_the_text_first_then_the_changed_pages_first_changed_first_and_rewrites_only_its_document(
    content_copy: Callable[..., Path], tmp_path: Path, libreoffice: Path, monkeypatch: pytest.MonkeyPatch
):
    root, out = content_copy(), tmp_path / "out"
    out.mkdir()
    converters: list[_CountingConverter] = []

    def factory(fonts: Path | None) -> _CountingConverter:
        converters.append(_CountingConverter(fonts_dir=fonts, soffice=libreoffice))
        return converters[-1]

    state = PreviewState("t")
    session = Session(root, out, state, factory)
    session.rebuild(None)
    assert sorted(converters[0].converted) == sorted(p.name for p in out.glob("*.docx")) and len(converters[0].converted) == 2
    before, plan_pages = _files(out), _document(state, "plan")["pages"]

    # what the page held at the moment each picture was made
    made: list[tuple[str, str, bytes | None]] = []
    picture = PdfPages.picture

    def watching(self: PdfPages, index: int) -> bytes:
        rec = _document(state, "recommendation")
        name = rec["pages"][index]["src"].removeprefix("/pages/")
        made.append((name, "".join(p["text"] for p in rec["pages"]), state.picture(name)))
        return picture(self, index)

    monkeypatch.setattr(PdfPages, "picture", watching)
    converters[0].converted.clear()
    sentence = "先显示文字再出图片的句子：朝天门码头。"
    append_line(root, REC_MD, sentence)
    session.rebuild({REC_MD})
    assert state.get("status")["phase"] == "done", state.get("status")

    # only the 推荐书 was rendered, converted and rewritten; the plan's files are the same files
    rec = _document(state, "recommendation")
    assert converters[0].converted == [next(f for f in rec["files"] if f.endswith(".docx"))]
    after = _files(out)
    assert {n for n in after if after[n] != before.get(n)} == set(rec["files"])
    assert _document(state, "plan")["pages"] == plan_pages

    # pictures only of the changed pages, in page order, each made after the text was published
    changed = [p for p in rec["pages"] if p["changed"]]
    assert changed and [name for name, _text, _pic in made] == [p["src"].removeprefix("/pages/") for p in changed]
    assert all(sentence in text.replace("\r", "").replace("\n", "") for _name, text, _pic in made)
    assert all(pic is None for _name, _text, pic in made)  # not there yet when the text went out
    assert all(state.picture(name).startswith(b"\xff\xd8\xff") for name, _t, _p in made)  # JPEGs now
    session.close()


PLAN_MD = "建设方案/3-建设内容与举措.md"


@pytest.mark.libreoffice
def test_a_warm_preview_shows_the_pages_a_change_is_on_before_the_whole_document(
    content_copy: Callable[..., Path], tmp_path: Path, libreoffice: Path
):
    """With a warm LibreOffice, the pages where the changed paragraph was are exported first and
    shown (text and pictures) while the rest of the document is exported; the whole follows."""
    from conftest import has_uno

    from generator.preview.converter import is_warm, open_converter

    if not has_uno():
        pytest.skip("python3-uno not installed")
    root, out = content_copy(), tmp_path / "out"
    out.mkdir()
    state = PreviewState("t")
    session = Session(root, out, state, lambda fonts: open_converter(fonts_dir=fonts, soffice=libreoffice, timeout=60))
    events: list[tuple[str, object]] = []
    update, status = state.update, state.status

    def recording_update(**fields: object) -> int:
        if "documents" in fields:
            events.append(("documents", _document_from(fields["documents"], "plan")))
        return update(**fields)

    def recording_status(phase: str, message: str, **extra: object) -> None:
        events.append(("status", (phase, message)))
        status(phase, message, **extra)

    try:
        session.rebuild(None)
        assert session.converter is not None and is_warm(session.converter)
        before = _document(state, "plan")
        md = root / PLAN_MD
        lines = md.read_text(encoding="utf-8").splitlines()
        at = next(i for i, line in enumerate(lines) if i > len(lines) // 2 and len(line) > 60 and not line.startswith(("#", "<", "|", "-")))
        sentence = "先显示改动所在页面的句子：洪崖洞夜景。"
        lines[at] += sentence
        md.write_text("\n".join(lines) + "\n", encoding="utf-8")
        state.update, state.status = recording_update, recording_status  # type: ignore[method-assign]
        session.rebuild({PLAN_MD})
        assert state.get("status")["phase"] == "done", state.get("status")

        def with_sentence(doc: dict) -> list[int]:
            return [p["n"] for p in doc["pages"] if sentence in "".join(p["text"].split())]

        shown = [(n, e) for n, (kind, e) in enumerate(events) if kind == "documents" and with_sentence(e)]  # type: ignore[arg-type]
        whole = next(n for n, (kind, e) in enumerate(events) if kind == "status" and e[0] == "rasterising")  # type: ignore[index]
        assert shown and shown[0][0] < whole, "the changed page was shown before the whole PDF was there"
        early = shown[0][1]
        assert any(kind == "status" and "已先显示" in e[1] for kind, e in events)  # type: ignore[index]
        assert early["page_count"] == before["page_count"]  # the other pages are still the shown ones
        final = _document(state, "plan")
        assert with_sentence(final) == with_sentence(early)  # the early page is the page it is on
        assert with_sentence(final)[0] > 5  # a page in the middle: a whole export would have made it later
        with PdfPages(out / next(f for f in final["files"] if f.endswith(".pdf"))) as pdf:
            assert [p["text"] for p in final["pages"]] == [p.text for p in pdf.scan()]  # the whole, as built
        for page in final["pages"]:
            assert state.picture(page["src"].removeprefix("/pages/")).startswith(b"\xff\xd8\xff")
        markers = session.converter.markers  # type: ignore[union-attr]
    finally:
        session.close()
    from generator.core import procs

    assert all(procs.marked_pids(m) == [] for m in markers)


def _document_from(documents: object, doc_id: str) -> dict:
    return next(d for d in documents if d["id"] == doc_id)  # type: ignore[union-attr]


@pytest.mark.libreoffice
def test_the_parts_page_counts_are_the_ones_build_counts(example_build):
    from generator.pipeline import measure_pdf

    _out, result = example_build
    for doc in result.documents:  # type: ignore[attr-defined]
        assert doc.pdf is not None
        counted = DocumentResult(doc.doc, doc.docx, doc.pdf)
        measure_pdf(counted)
        with PdfPages(doc.pdf) as pdf:
            assert pdf.part_pages() == counted.part_pages
            assert len(pdf.scan()) == counted.pages
        if doc.doc.id != "self_assessment":  # the 自评表 is one table: no parts
            assert len(counted.part_pages) >= 5, counted.part_pages


# -- the server waits for a picture being made ----------------------------------------------------


def test_a_picture_asked_for_while_being_made_is_served_when_made_and_a_given_up_one_is_404(tmp_path: Path):
    state = PreviewState("t")
    server = PreviewServer(state)
    server.start()
    try:
        state.expect_pictures({"recommendation/12-abc.jpg", "recommendation/13-def.jpg"})
        answers: dict[str, tuple[int, bytes]] = {}

        def ask(name: str) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            conn.request("GET", f"/pages/{name}")
            response = conn.getresponse()
            answers[name] = (response.status, response.read())
            conn.close()

        askers = [threading.Thread(target=ask, args=(n,)) for n in ("recommendation/12-abc.jpg", "recommendation/13-def.jpg")]
        for t in askers:
            t.start()
        time.sleep(0.3)
        assert answers == {}  # both wait
        state.add_picture("recommendation/12-abc.jpg", b"\xff\xd8\xff twelve")
        askers[0].join(10)
        assert answers["recommendation/12-abc.jpg"] == (200, b"\xff\xd8\xff twelve")
        state.give_up_pictures()  # the rebuild failed before making page 13
        askers[1].join(10)
        assert answers["recommendation/13-def.jpg"][0] == 404
    finally:
        server.stop()


# -- which pages changed ------------------------------------------------------------------------


def _one_page_pdf(path: Path, square_at: tuple[int, int] | None, colour: str = "black") -> Path:
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (595, 842), "white")  # A4 at 72 dpi: a page whose only content is a picture
    if square_at is not None:
        x, y = square_at
        ImageDraw.Draw(page).rectangle((x, y, x + 12, y + 12), fill=colour)
    page.save(path, "PDF", resolution=72)
    return path


def test_a_page_whose_text_is_the_same_but_whose_picture_changed_is_a_changed_page(tmp_path: Path):
    def fingerprint(name: str, square_at: tuple[int, int] | None, colour: str = "black") -> str:
        with PdfPages(_one_page_pdf(tmp_path / name, square_at, colour)) as pdf:
            (page,) = pdf.scan()
        assert page.text == "" and (page.width, page.height) == (892, 1263)  # 595 × 842 pt at 1.5
        return page.fingerprint

    blank = fingerprint("a.pdf", None)
    assert fingerprint("b.pdf", None) == blank  # the same page, written again: unchanged
    square = fingerprint("c.pdf", (300, 400))
    assert square != blank  # a mark of 12 pt (3 px in the thumbnail) appeared
    assert fingerprint("d.pdf", (312, 400)) != square  # moved by its own width
    assert fingerprint("e.pdf", (300, 400), "#ffff00") != square  # the colour of a highlight
