"""The read-back: a document's PDF compared with its .docx, character by character.

Unit tests build the two sides by hand (a DocxStructure and the printed characters of each page);
the LibreOffice tests make LibreOffice really drop punctuation and see it reported with its page.
"""

from __future__ import annotations

import random
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from ooxml import W

from generator.pdf.readback import align, compare, normalise, read_back
from generator.pdf.reader import PageChars
from generator.word.text import DocxStructure, Paragraph, Section, read_docx_structure

A4 = Section(595.3, 841.9, 100.0, 100.0)
LINE = 20.0


def page(lines: list[str], footer: str = "", header: str = "") -> PageChars:
    """A page printing `lines` from the top of the text block down, one character per 16 pt,
    and an optional header and footer outside it."""
    text, boxes, sizes = [], [], []

    def put(line: str, y: float) -> None:
        for k, ch in enumerate(line):
            text.append(ch)
            boxes.append((100.0 + 16 * k, y, 116.0 + 16 * k, y + 16))
            sizes.append(16.0)
        text.append("\n")  # what the extractor invents between lines
        boxes.append((0.0, y, 0.0, y))
        sizes.append(0.0)

    if header:
        put(header, A4.height - 60)
    for n, line in enumerate(lines):
        put(line, A4.height - A4.top - LINE * (n + 1))
    if footer:
        put(footer, 40.0)
    return PageChars(A4.width, A4.height, "".join(text), tuple(boxes), tuple(sizes))


def structure(body: list[Paragraph], footnotes: tuple[Paragraph, ...] = (), margins: tuple[Paragraph, ...] = ()) -> DocxStructure:
    return DocxStructure(tuple(body), footnotes, margins, (A4,))


def body(*texts: str) -> list[Paragraph]:
    return [Paragraph("body", t) for t in texts]


def codes(rb: object) -> list[str]:
    return [d.code for d in rb.diagnostics]  # type: ignore[attr-defined]


# -- normalising and aligning ------------------------------------------------------------------------


def test_normalise_drops_whitespace_and_invisible_joiners_and_maps_the_no_break_hyphen() -> None:
    assert normalise("023\u2060-\u206063316958\u200b 王\u00ad镕\ufeff\n") == "023-63316958王镕"
    assert normalise("023\u201163316958") == "023-63316958"
    assert normalise("—\t3 —") == "—3—"  # real characters stay


def test_align_finds_one_lost_character_in_a_long_text_quickly() -> None:
    rng = random.Random(7)
    alphabet = "产教联合体重庆云岭智能网联新能源汽车零部件学院公司，、。"
    a = "".join(rng.choice(alphabet) for _ in range(40_000))
    lost_at = 23_456
    b = a[:lost_at] + a[lost_at + 1:]
    # CPU time, not wall time: the bound is about the algorithm, not about a busy shared machine.
    started = time.process_time()
    ops = align(a, b)
    assert time.process_time() - started < 1.0
    changes = [op for op in ops if op[0] != "equal"]
    assert len(changes) == 1 and changes[0][0] == "delete"
    # A run of equal characters makes the exact index ambiguous: the lost one is in it.
    _op, a0, a1, _b0, _b1 = changes[0]
    assert a1 - a0 == 1 and a[a0] == a[lost_at] and abs(a0 - lost_at) < 5


@settings(max_examples=200, deadline=None)
@given(a=st.text(alphabet="产教联合体重庆云岭，、。ab1", min_size=1, max_size=300), data=st.data())
def test_align_finds_any_one_lost_character(a: str, data: st.DataObject) -> None:
    lost_at = data.draw(st.integers(0, len(a) - 1), label="lost_at")
    b = a[:lost_at] + a[lost_at + 1:]
    changes = [op for op in align(a, b) if op[0] != "equal"]
    assert len(changes) == 1 and changes[0][0] == "delete"
    _op, a0, a1, b0, b1 = changes[0]
    # In a run of equal characters any one of them is the lost one: the texts say which run, not which.
    assert a1 - a0 == 1 and b0 == b1 and a[:a0] + a[a1:] == b and a[a0] == a[lost_at]
    assert align(a, a) == [("equal", 0, len(a), 0, len(a))]


def test_align_reports_insertions_replacements_and_nothing_for_equal_texts() -> None:
    assert align("联合体建设方案", "联合体建设方案") == [("equal", 0, 7, 0, 7)]
    ops = [op for op in align("重庆云岭职业技术学院", "重庆云岭X职业技术学院院") if op[0] != "equal"]
    assert ops == [("insert", 4, 4, 4, 5), ("insert", 10, 10, 11, 12)]
    ops = [op for op in align("甲乙丙丁戊己庚辛", "甲乙丙XY己庚辛") if op[0] != "equal"]
    assert ops == [("replace", 3, 5, 3, 5)]


def test_align_of_two_unrelated_long_texts_is_still_fast() -> None:
    # A font with a wrong character map prints other characters everywhere.
    rng = random.Random(3)
    a = "".join(rng.choice("产教联合体建设方案，、。") for _ in range(15_000))
    b = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(15_000))
    started = time.process_time()
    ops = align(a, b)
    assert time.process_time() - started < 1.0
    assert ops == [("replace", 0, 15_000, 0, 15_000)]


def test_a_long_lost_run_is_quoted_shortened_with_its_length() -> None:
    lost = "重庆云岭职业技术学院" * 5
    doc = structure(body("联合体成员：" + lost + "。"))
    rb = compare("建设方案", "plan.pdf", doc, [page(["联合体成员：。"])])
    assert codes(rb) == ["readback-lost"]
    assert f"PDF 中缺少“{lost[:30]}…（共 50 字）”" in rb.diagnostics[0].message
    assert rb.diagnostics[0].extra["chars"] == lost


# -- what is reported, what is explained --------------------------------------------------------------


def test_a_lost_character_is_an_error_with_page_printed_number_and_context() -> None:
    doc = structure(
        body("联合体牵头单位为区教委、区人力社保局、园区管委会等单位。", "第二段文字。"),
        margins=(Paragraph("footer", "— 1 —", generated=((2, 3),)),),
    )
    pages = [page(["联合体牵头单位为区教委、区人力社保局", "园区管委会等单位。"], footer="— 7 —"), page(["第二段文字。"], footer="— 8 —")]
    rb = compare("建设方案", "plan.pdf", doc, pages)
    assert codes(rb) == ["readback-lost"]
    message = rb.diagnostics[0].message
    assert message == "建设方案 第 1 页（页码 7）：PDF 中缺少“、”：…委、区人力社保局▯园区管委会等单位…"
    assert rb.printed == ["7", "8"]
    assert rb.diagnostics[0].extra == {"page": 1, "chars": "、"}


def test_an_added_character_is_an_error_with_its_page() -> None:
    doc = structure(body("第一页的文字。", "第二页的文字。"))
    rb = compare("推荐书", "form.pdf", doc, [page(["第一页的文字。"]), page(["第二页的文字字。"])])
    assert codes(rb) == ["readback-added"]
    assert rb.diagnostics[0].message.startswith("推荐书 第 2 页：PDF 中多出“字”")


def test_page_numbers_footnote_numbers_and_repeated_table_headers_are_not_differences() -> None:
    header_row = [Paragraph("body", t, table=0, row=0, cell=c, header_row=True) for c, t in enumerate(("序号", "单位名称"))]
    rows = [Paragraph("body", t, table=0, row=r, cell=c) for r in (1, 2) for c, t in enumerate((str(r), f"重庆第{r}号公司"))]
    doc = structure(
        [Paragraph("body", "联合体负责人", note_refs=(6,)), *header_row, *rows],
        footnotes=(Paragraph("footnote", " 联合体负责人指牵头单位负责同志。", note_refs=(0,)),),
        margins=(Paragraph("footer", "— 1 —", generated=((2, 3),)),),
    )
    pages = [
        page(["联合体负责人1", "序号单位名称", "1重庆第1号公司", "1联合体负责人指牵头单位负责同志。"], footer="— 1 —"),
        page(["序号单位名称", "2重庆第2号公司"], footer="— 2 —"),
    ]
    rb = compare("推荐书", "form.pdf", doc, pages)
    assert rb.diagnostics == []
    assert rb.printed == ["1", "2"]


def test_a_digit_that_is_no_footnote_number_is_reported() -> None:
    doc = structure(body("联合体负责人", "第二段"))
    rb = compare("推荐书", "form.pdf", doc, [page(["联合体负责人1", "第二段"])])
    assert codes(rb) == ["readback-added"]


def test_a_lost_footnote_character_and_a_wrong_footer_are_reported() -> None:
    doc = structure(
        [Paragraph("body", "联合体负责人", note_refs=(6,))],
        footnotes=(Paragraph("footnote", " 联合体负责人指牵头单位负责同志。", note_refs=(0,)),),
        margins=(Paragraph("footer", "— 1 —", generated=((2, 3),)),),
    )
    rb = compare("推荐书", "form.pdf", doc, [page(["联合体负责人1", "1联合体负责人指牵头单位负责同志"], footer="— 1")])
    found = sorted((d.code, d.extra["chars"]) for d in rb.diagnostics)
    assert found == [("readback-lost", "—"), ("readback-lost", "。")]


def test_text_printed_out_of_order_is_a_move_not_a_loss() -> None:
    # A row split over two pages prints the first halves of all cells, then the second halves.
    cells = [Paragraph("body", t, table=0, row=0, cell=c) for c, t in enumerate(("重庆云岭职业技术学院、重庆渝岭理工学院", "重庆驰岭制动系统有限公司、重庆岭安汽车部件有限公司"))]
    doc = structure(cells)
    pages = [page(["重庆云岭职业技术学院、", "重庆驰岭制动系统有限公司、"]), page(["重庆渝岭理工学院", "重庆岭安汽车部件有限公司"])]
    rb = compare("建设方案", "plan.pdf", doc, pages)
    assert rb.diagnostics == []
    # Every character is placed on the page that prints it.
    second = rb.places[0][len("重庆云岭职业技术学院、")]
    assert second is not None and second.page == 1


# -- the real thing: LibreOffice drops punctuation ---------------------------------------------------


def _set_overflow_punct(docx: Path, out: Path, value: str | None) -> None:
    """Copy `docx` with <w:overflowPunct> in the document defaults set to `value` (None: removed)."""
    with zipfile.ZipFile(docx) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/styles.xml":
                root = etree.fromstring(data)
                defaults = root.find(f"{{{W}}}docDefaults")
                assert defaults is not None
                ppr_default = defaults.find(f"{{{W}}}pPrDefault")
                if ppr_default is None:
                    ppr_default = etree.SubElement(defaults, f"{{{W}}}pPrDefault")
                ppr = ppr_default.find(f"{{{W}}}pPr")
                if ppr is None:
                    ppr = etree.SubElement(ppr_default, f"{{{W}}}pPr")
                for old in ppr.findall(f"{{{W}}}overflowPunct"):
                    ppr.remove(old)
                if value is not None:
                    etree.SubElement(ppr, f"{{{W}}}overflowPunct").set(f"{{{W}}}val", value)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zout.writestr(item, data)


@pytest.fixture(scope="module")
def plan_pdfs(tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> dict[str, tuple[Path, Path]]:
    """The example's plan rendered once, converted with overflowPunct off and on."""
    from generator.content.loader import load_application
    from generator.pdf.convert import convert_to_pdf
    from generator.pipeline import render_documents
    from generator.word.documents import DOCUMENTS

    root = Path(__file__).resolve().parent.parent / "content"
    out = tmp_path_factory.mktemp("readback")
    app, _diagnostics = load_application(root)
    plan = next(d for d in DOCUMENTS if d.id == "plan")
    (out / "rendered").mkdir()
    rendered = render_documents(app, out / "rendered", (plan,))[0]
    variants = {"off": out / "plan-off.docx", "on": out / "plan-on.docx"}
    _set_overflow_punct(rendered, variants["off"], "0")
    _set_overflow_punct(rendered, variants["on"], "1")
    convert_to_pdf(list(variants.values()), out, soffice=libreoffice)
    shutil.rmtree(out / "rendered")
    return {k: (v, v.with_suffix(".pdf")) for k, v in variants.items()}


@pytest.mark.libreoffice
def test_libreoffice_dropping_line_end_punctuation_is_an_error_with_page_and_context(plan_pdfs: dict[str, tuple[Path, Path]]) -> None:
    docx, pdf = plan_pdfs["off"]
    rb = read_back("建设方案", docx, pdf)
    lost = [d for d in rb.diagnostics if d.code == "readback-lost"]
    assert lost, "overflowPunct off: LibreOffice drops line-end punctuation"
    assert all(d.severity.value == "error" for d in rb.diagnostics)
    pattern = re.compile(r"^建设方案 第 (\d+) 页（页码 (\d+)）：PDF 中缺少“([、，。；：])”：…\S+▯\S+…$")
    for d in lost:
        m = pattern.match(d.message)
        assert m, d.message
        assert int(m.group(1)) == d.extra["page"]
        # The context names the place: the characters around ▯ are printed on that page.
        before = d.message.split("▯")[0][-3:]
        printed = normalise(rb.pages[int(m.group(1)) - 1].text)
        assert before in printed, (before, d.message)


@pytest.mark.libreoffice
def test_the_same_document_with_overflow_punctuation_on_reads_back_whole(plan_pdfs: dict[str, tuple[Path, Path]]) -> None:
    docx, pdf = plan_pdfs["on"]
    started = time.perf_counter()
    rb = read_back("建设方案", docx, pdf)
    elapsed = time.perf_counter() - started
    assert [d.message for d in rb.diagnostics] == []
    assert len(rb.pages) >= 20 and elapsed < 3.0  # well under a second on a quiet machine
    # Every body character the document stores is placed on a page.
    structure = read_docx_structure(docx)
    unplaced = [
        p.text[k] for p, places in zip(structure.body, rb.places, strict=True) for k, place in enumerate(places)
        if place is None and normalise(p.text[k])
    ]
    assert unplaced == []


@pytest.mark.libreoffice
def test_a_build_reports_the_read_back_and_a_rebuild_from_the_state_file_reports_it_again(
    example_build: tuple[Path, object], tmp_path: Path
) -> None:
    import json

    from generator.pipeline import build

    out, result = example_build
    inspections = {r.doc.id: r.inspection for r in result.documents}  # type: ignore[attr-defined]
    assert all(inspections.values())
    report = json.loads((out / "检查报告.json").read_text(encoding="utf-8"))
    for doc in report["payload"]["documents"]:
        assert len(doc["layout"]["pages"]) == doc["pages"]
        assert all(0.0 <= p["fill"] <= 1.0 for p in doc["layout"]["pages"])
    found = [d for d in report["diagnostics"] if d["code"].startswith(("readback-", "layout-"))]
    assert len(found) == sum(len(i.diagnostics) for i in inspections.values())  # type: ignore[union-attr]
    assert all(d["severity"] == ("error" if d["code"].startswith("readback-") else "warning") for d in found)
    text = (out / "检查报告.txt").read_text(encoding="utf-8")
    assert text.count("每页版心使用") == 3 and text.count("读回核对") == 3  # 建设方案, 推荐书, 自评表

    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    again = build(Path(__file__).resolve().parent.parent / "content", copy, pdf=True)
    assert not any(r.rebuilt for r in again.documents)
    before = [d.message for i in inspections.values() for d in i.diagnostics]  # type: ignore[union-attr]
    after = [d.message for r in again.documents for d in r.inspection.diagnostics]  # type: ignore[union-attr]
    assert after == before and again.exit_code == result.exit_code  # type: ignore[attr-defined]

    # Output of a build from before the read-back: the PDFs are read back, not converted again.
    state_path = copy / ".chanjiao-build.json"
    state = json.loads(state_path.read_text(encoding="utf-8"))
    for entry in state["documents"].values():
        del entry["inspection"]
    state_path.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    older = build(Path(__file__).resolve().parent.parent / "content", copy, pdf=True)
    assert not any(r.rebuilt for r in older.documents)
    assert [d.message for r in older.documents for d in r.inspection.diagnostics] == before  # type: ignore[union-attr]


def _drawn_last(lines: list[str], symbol: str) -> PageChars:
    """A page as LibreOffice draws it when `symbol` comes from a fallback font: each line without
    the symbol, then the symbol at its place on the line."""
    plain = page(lines)
    text, boxes = [], []
    for n, line in enumerate(lines):
        y = A4.height - A4.top - LINE * (n + 1)
        for k, ch in enumerate(line):
            if ch != symbol:
                text.append(ch)
                boxes.append((100.0 + 16 * k, y, 116.0 + 16 * k, y + 16))
        for k, ch in enumerate(line):
            if ch == symbol:
                text.append(ch)
                boxes.append((100.0 + 16 * k, y, 116.0 + 16 * k, y + 16))
    return PageChars(plain.width, plain.height, "".join(text), tuple(boxes), tuple([16.0] * len(text)))


def test_a_repeated_header_with_a_glyph_drawn_after_its_line_is_recognised() -> None:
    header = [Paragraph("body", t, table=0, row=0, cell=c, header_row=True) for c, t in enumerate(("面积（㎡）", "工位数"))]
    rows = [Paragraph("body", t, table=0, row=r, cell=c) for r in (1, 2) for c, t in enumerate((f"{r}00", f"{r}0"))]
    pages = [_drawn_last(["面积（㎡）工位数", "10010"], "㎡"), _drawn_last(["面积（㎡）工位数", "20020"], "㎡")]
    rb = compare("建设方案", "plan.pdf", structure([*header, *rows]), pages)
    assert rb.diagnostics == []


# -- the .docx side -----------------------------------------------------------------------------------


def test_the_docx_structure_knows_headings_cells_header_rows_sections_fields_and_hidden_text(tmp_path: Path) -> None:
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.oxml import parse_xml
    from docx.shared import Cm

    ns = f'xmlns:w="{W}"'
    doc = Document()
    doc.add_heading("一、创建条件", level=1)
    p = doc.add_paragraph()
    # A word joiner and a no-break hyphen keep a phone number whole; deleted text is not printed.
    p._p.append(parse_xml(f'<w:r {ns}><w:t>023\u2060</w:t><w:noBreakHyphen/><w:t>63316958</w:t></w:r>'))
    p._p.append(parse_xml(f'<w:del {ns} w:id="1" w:author="a" w:date="2024-01-01T00:00:00Z"><w:r><w:delText>删去</w:delText></w:r></w:del>'))
    table = doc.add_table(rows=2, cols=2)
    table.autofit = False
    for row in table.rows:
        for cell in row.cells:
            cell.width = Cm(5)
    table.rows[0]._tr.get_or_add_trPr().append(parse_xml(f'<w:tblHeader {ns}/>'))
    table.rows[1]._tr.get_or_add_trPr().append(parse_xml(f'<w:cantSplit {ns}/>'))
    table.rows[0]._tr.get_or_add_trPr().append(parse_xml(f'<w:cantSplit {ns} w:val="false"/>'))
    table.cell(0, 0).text, table.cell(0, 1).text = "序号", "单位名称"
    table.cell(1, 0).text, table.cell(1, 1).text = "1", "重庆云岭职业技术学院"
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.page_width, section.page_height = section.page_height, section.page_width
    doc.add_paragraph("横向页")
    footer = section.footer.paragraphs[0]
    footer._p.append(parse_xml(
        f'<w:r {ns}><w:t xml:space="preserve">— </w:t></w:r>'
    ))
    footer._p.append(parse_xml(f'<w:fldSimple {ns} w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    path = tmp_path / "s.docx"
    doc.save(str(path))

    s = read_docx_structure(path)
    texts = [(p.text, p.heading, p.table, p.row, p.cell, p.header_row, p.section) for p in s.body if p.text]
    assert texts == [
        ("一、创建条件", True, -1, -1, -1, False, 0),
        ("023\u2060-63316958", False, -1, -1, -1, False, 0),
        ("序号", False, 0, 0, 0, True, 0),
        ("单位名称", False, 0, 0, 1, True, 0),
        ("1", False, 0, 1, 2, False, 0),
        ("重庆云岭职业技术学院", False, 0, 1, 3, False, 0),
        ("横向页", False, -1, -1, -1, False, 1),
    ]
    # A row asks to be kept whole by cantSplit, unless its value switches it off.
    assert [(p.text, p.row_whole) for p in s.body if p.table == 0] == [("序号", False), ("单位名称", False), ("1", True), ("重庆云岭职业技术学院", True)]
    cell = next(p for p in s.body if p.text == "重庆云岭职业技术学院")
    assert abs(cell.cell_width - (Cm(5).pt - 10.8)) < 0.5  # the width less Word's cell margins
    assert [sec.landscape for sec in s.sections] == [False, True]
    footers = [p for p in s.margins if p.story == "footer" and p.text]
    assert [(p.text, p.generated) for p in footers] == [("— 1", ((2, 3),))]


def test_an_unreadable_pdf_is_a_clear_error(tmp_path: Path) -> None:
    from docx import Document

    from generator.errors import ToolError

    docx = tmp_path / "a.docx"
    Document().save(str(docx))
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4 truncated")
    with pytest.raises(ToolError, match="无法读取 PDF"):
        read_back("建设方案", docx, pdf)


def test_an_empty_document_and_an_empty_page_read_back_clean() -> None:
    rb = compare("建设方案", "plan.pdf", structure([]), [page([])])
    assert rb.diagnostics == [] and rb.printed == [""]


def test_a_footnote_printed_between_two_rows_keeps_its_characters() -> None:
    # The 推荐书's member table: the footnote of page 1 is printed after the last row of the
    # page, and the next row starts with the very character the footnote holds (牵). The aligner
    # must pair the footnote's 牵 with the footnote and the row's 牵 with the row.
    rows = [
        Paragraph("body", t, table=0, row=r, cell=c, note_refs=(6,) if (r, c) == (0, 0) else ())
        for r, cells in enumerate((("联合体负责人", "张明远"), ("牵头单位", "重庆云岭职业技术学院"), ("牵头单位", "重庆市云岭区职业教育中心")))
        for c, t in enumerate(cells)
    ]
    notes = (
        Paragraph("footnote", " 联合体负责人指联合体牵头单位负责同志。", note_refs=(0,)),
        Paragraph("footnote", " 2024—2026年填写承诺建成数据，下同。", note_refs=(0,)),
    )
    rows.append(Paragraph("body", "拟投入运行经费2024年", table=1, row=3, cell=6, note_refs=(11,)))
    doc = structure(rows, footnotes=notes)
    pages = [
        page(["联合体负责人1张明远", "牵头单位重庆云岭职业技术学院", "1联合体负责人指联合体牵头单位负责同志。"]),
        page(["牵头单位重庆市云岭区职业教育中心", "拟投入运行经费2024年1", "12024—2026年填写承诺建成数据，下同。"]),
    ]
    rb = compare("推荐书", "form.pdf", doc, pages)
    assert rb.diagnostics == []
    # The row's 牵 is placed on the second page, where it is printed.
    first = rb.places[4][0]
    assert first is not None and first.page == 1


def test_a_footnote_reference_in_a_repeated_header_row_is_printed_on_each_page() -> None:
    # The 推荐书's 运行经费 table: “2024年¹” in its header row; on the next page the header is
    # printed again, with the reference numbered on that page.
    header = [
        Paragraph("body", "项目", table=0, row=0, cell=0, header_row=True),
        Paragraph("body", "2024年", table=0, row=0, cell=1, header_row=True, note_refs=(5,)),
    ]
    rows = [Paragraph("body", t, table=0, row=r, cell=c) for r in (1, 2) for c, t in enumerate((f"第{r}项", f"{r}00"))]
    doc = structure([*header, *rows], footnotes=(Paragraph("footnote", " 2024—2026年填写承诺建成数据，下同。", note_refs=(0,)),))
    pages = [
        page(["项目2024年1", "第1项100", "12024—2026年填写承诺建成数据，下同。"]),
        page(["项目2024年1", "第2项200"]),
    ]
    rb = compare("推荐书", "form.pdf", doc, pages)
    assert rb.diagnostics == []
    # A header printed with other digits is still text to account for.
    pages[1] = page(["项目2024年X1", "第2项200"])
    assert codes(compare("推荐书", "form.pdf", doc, pages)) == ["readback-added"]
