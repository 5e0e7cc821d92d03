"""The redline engine on documents made with python-docx: what a reviewer sees, read back from XML."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.shared import Cm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from ooxml import NS, W

from generator.diff.redline import redline
from generator.diff.revisions import accept_all_docx, reject_all_docx
from generator.word.text import docx_text

WHEN = dt.datetime(2024, 6, 12, 9, 30)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cfc0f01f0005000201a1d3b5d50000000049454e44ae426082"
)

#: A block: a paragraph as text ("|" separates runs, odd runs bold), a table as rows of cells,
#: or ("image", caption).
Block = str | list[list[str]] | tuple[str, str]


def make_docx(blocks: Sequence[Block], tmp: Path | None = None) -> bytes:
    doc = Document()
    for block in blocks:
        if isinstance(block, str):
            p = doc.add_paragraph()
            for n, part in enumerate(block.split("|")):
                if part:
                    p.add_run(part).bold = n % 2 == 1
        elif isinstance(block, tuple):
            assert tmp is not None
            img = tmp / "pixel.png"
            img.write_bytes(PNG)
            doc.add_picture(str(img), width=Cm(1))
            doc.add_paragraph(block[1])
        else:
            table = doc.add_table(rows=len(block), cols=len(block[0]))
            for i, row in enumerate(block):
                for j, cell in enumerate(row):
                    table.cell(i, j).text = cell
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def text(data: bytes) -> str:
    return docx_text(io.BytesIO(data))  # type: ignore[arg-type]


def body(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return etree.fromstring(zf.read("word/document.xml"))


def marks(data: bytes) -> tuple[list[str], list[str]]:
    """The texts of run-level insertions and deletions, in document order."""
    root = body(data)
    ins = ["".join(i.itertext()) for i in root.iter(f"{{{W}}}ins") if i.getparent().tag != f"{{{W}}}rPr" and i.getparent().tag != f"{{{W}}}trPr"]
    dels = ["".join(d.itertext()) for d in root.iter(f"{{{W}}}del") if d.getparent().tag != f"{{{W}}}rPr" and d.getparent().tag != f"{{{W}}}trPr"]
    return ins, dels


def check_roundtrip(a: bytes, b: bytes) -> bytes:
    """Redline a → b, and prove that accepting gives b's text and rejecting gives a's."""
    out = redline(a, b, author="chanjiao", date=WHEN)
    assert text(accept_all_docx(out)) == text(b)
    assert text(reject_all_docx(out)) == text(a)
    check_wellformed(out)
    return out


def check_wellformed(data: bytes) -> None:
    root = body(data)
    ids = []
    for el in root.iter(f"{{{W}}}ins", f"{{{W}}}del"):
        assert el.get(f"{{{W}}}author") == "chanjiao"
        assert el.get(f"{{{W}}}date") == "2024-06-12T09:30:00Z"
        ids.append(int(el.get(f"{{{W}}}id")))
    assert len(ids) == len(set(ids)), "every change has its own id"
    # Deleted text is w:delText and lives only in deletions; no live text inside one.
    for t in root.iter(f"{{{W}}}delText"):
        assert any(a.tag == f"{{{W}}}del" for a in t.iterancestors())
    for d in root.iter(f"{{{W}}}del"):
        assert not d.findall(".//w:t", NS)
    # A paragraph mark's revision comes first in its w:rPr, and w:rPr before w:sectPr in w:pPr.
    for rpr in root.iterfind(".//w:pPr/w:rPr", NS):
        tags = [etree.QName(c).localname for c in rpr]
        marks_at = [i for i, t in enumerate(tags) if t in ("ins", "del")]
        assert marks_at == list(range(len(marks_at)))
    for tr in root.iter(f"{{{W}}}tr"):
        tags = [etree.QName(c).localname for c in tr]
        if "trPr" in tags:
            assert tags.index("trPr") <= 1 and all(t != "trPr" for t in tags[tags.index("trPr") + 1 :])


def test_unchanged_gives_no_tracked_changes() -> None:
    a = make_docx(["第一段。", [["共建专业", "9", "12"]], "第二段。"])
    out = check_roundtrip(a, a)
    assert marks(out) == ([], [])
    assert body(out).find(".//w:trPr/w:ins", NS) is None


def test_a_rewritten_sentence_reads_as_one_deletion_and_one_insertion() -> None:
    a = make_docx(["联合体现有成员单位44家。其中企业28家，院校5所。围绕汽车零部件开展合作。"])
    b = make_docx(["联合体现有成员单位44家。依托园区龙头企业形成协同育人格局。围绕汽车零部件开展合作。"])
    ins, dels = marks(check_roundtrip(a, b))
    assert ins == ["依托园区龙头企业形成协同育人格局"] and dels == ["其中企业28家，院校5所"]


def test_a_changed_figure_is_one_number_replaced() -> None:
    a = make_docx(["企业兼职教师126人次，课时5860。"])
    b = make_docx(["企业兼职教师136人次，课时5860。"])
    assert marks(check_roundtrip(a, b)) == (["136"], ["126"])


def test_small_edits_far_apart_stay_separate() -> None:
    a = make_docx(["重庆云岭智能汽车零部件产业园于2012年经市政府批准设立，规划面积42平方公里，已建成区26平方公里。"])
    b = make_docx(["重庆云岭智能汽车零部件产业园于2013年经市政府批准设立，规划面积42平方公里，已建成区28平方公里。"])
    assert marks(check_roundtrip(a, b)) == (["2013", "28"], ["2012", "26"])


def test_run_formatting_is_kept_on_both_sides_of_a_change() -> None:
    a = make_docx(["前文|加粗的旧词|后文"])
    b = make_docx(["前文|加粗的新词|后文"])
    out = check_roundtrip(a, b)
    root = body(out)
    ins = root.find(".//w:ins/w:r", NS)
    dele = root.find(".//w:del/w:r", NS)
    assert ins.find("w:rPr/w:b", NS) is not None and dele.find("w:rPr/w:b", NS) is not None
    assert marks(out) == (["新"], ["旧"])


def test_figures_in_table_cells_change_inside_the_cell() -> None:
    a = make_docx([[["指标", "2023年", "2024年"], ["共建专业", "9", "12"], ["共建课程", "46", "60"]]])
    b = make_docx([[["指标", "2023年", "2024年"], ["共建专业", "10", "12"], ["共建课程", "46", "65"]]])
    out = check_roundtrip(a, b)
    assert marks(out) == (["10", "65"], ["9", "60"])
    # No paragraph mark is added or removed: the cells keep one paragraph each.
    assert body(out).find(".//w:pPr/w:rPr/w:ins", NS) is None
    assert body(out).find(".//w:pPr/w:rPr/w:del", NS) is None


def test_a_row_added_and_a_row_removed_are_row_revisions() -> None:
    a = make_docx([[["单位", "联系人"], ["重庆岭峰动力电池系统有限公司", "王强"], ["重庆恒岭汽车电子有限公司", "刘洋"]]])
    b = make_docx([[["单位", "联系人"], ["重庆恒岭汽车电子有限公司", "刘洋"], ["重庆岭信智能传感器有限公司", "赵敏"]]])
    out = check_roundtrip(a, b)
    root = body(out)
    deleted_rows = root.xpath(".//w:tr[w:trPr/w:del]", namespaces=NS)
    inserted_rows = root.xpath(".//w:tr[w:trPr/w:ins]", namespaces=NS)
    assert ["".join(r.itertext()) for r in deleted_rows] == ["重庆岭峰动力电池系统有限公司王强"]
    assert ["".join(r.itertext()) for r in inserted_rows] == ["重庆岭信智能传感器有限公司赵敏"]


def test_a_deleted_paragraph_is_kept_as_deleted_at_its_place() -> None:
    a = make_docx(["一、创建条件", "将要删去的一段说明文字。", "二、创建思路"])
    b = make_docx(["一、创建条件", "二、创建思路"])
    out = check_roundtrip(a, b)
    paras = body(out).findall(".//w:body/w:p", NS)
    assert paras[1].find("w:pPr/w:rPr/w:del", NS) is not None
    assert marks(out) == ([], ["将要删去的一段说明文字。"])


def test_a_moved_section_shows_as_deleted_and_inserted_never_lost() -> None:
    sec1 = ["一、创建条件", "园区聚集汽车零部件及配套企业260余家。"]
    sec2 = ["二、创建思路", "坚持产教融合、校企合作。"]
    sec3 = ["三、建设内容", "建立实体化运行机制。"]
    a = make_docx([*sec1, *sec2, *sec3])
    b = make_docx([*sec1, *sec3, *sec2])
    out = check_roundtrip(a, b)
    ins, dels = marks(out)
    assert "".join(ins) in ("".join(sec2), "".join(sec3))
    assert "".join(dels) == "".join(ins)


def test_a_removed_section_and_an_added_table() -> None:
    a = make_docx(["标题", "第一节", "第一节正文。", "第二节", "第二节正文。"])
    b = make_docx(["标题", "第一节", "第一节正文。", [["新增", "表格"]]])
    out = check_roundtrip(a, b)
    assert body(out).xpath("count(.//w:tr[w:trPr/w:ins])", namespaces=NS) == 1


def test_a_deleted_image_travels_into_the_redline(tmp_path: Path) -> None:
    a = make_docx(["正文。", ("image", "图1 联合体成立大会"), "结尾。"], tmp_path)
    b = make_docx(["正文。", "结尾。"])
    out = check_roundtrip(a, b)
    root = body(out)
    blip = root.find(".//{http://schemas.openxmlformats.org/drawingml/2006/main}blip")
    assert blip is not None and any(a.tag == f"{{{W}}}del" for a in blip.iterancestors())
    rid = blip.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed")
    with zipfile.ZipFile(io.BytesIO(out)) as zf:
        rels = etree.fromstring(zf.read("word/_rels/document.xml.rels"))
        target = next(r.get("Target") for r in rels if r.get("Id") == rid)
        assert zf.read(f"word/{target}") == PNG


def test_an_unchanged_image_stays_untouched(tmp_path: Path) -> None:
    a = make_docx(["正文。", ("image", "图1"), "结尾。"], tmp_path)
    b = make_docx(["正文有改动。", ("image", "图1"), "结尾。"], tmp_path)
    out = check_roundtrip(a, b)
    drawing = body(out).find(".//w:drawing", NS)
    assert not any(a.tag in (f"{{{W}}}ins", f"{{{W}}}del") for a in drawing.iterancestors())


def test_output_is_deterministic() -> None:
    a = make_docx(["甲乙丙。", [["1", "2"]]])
    b = make_docx(["甲乙丁。", [["1", "3"]]])
    assert redline(a, b, author="chanjiao", date=WHEN) == redline(a, b, author="chanjiao", date=WHEN)


def test_existing_tracked_changes_in_the_inputs_are_taken_as_made() -> None:
    a = make_docx(["甲乙丙。"])
    once = redline(a, make_docx(["甲乙丁。"]), author="chanjiao", date=WHEN)
    twice = check_roundtrip(once, make_docx(["甲乙戊。"]))
    assert marks(twice) == (["戊"], ["丁"])


# -- properties on generated edits (hypothesis: failures shrink to a minimal pair) --------------

_CHARS = "联合体产教融合园区企业学校专业课程教材实训基地人才培养重庆云岭的了和，。、；"

_words = st.builds(
    lambda w, n, latin: w + (str(n) if n is not None else "") + (" Smart Factory " if latin else ""),
    st.text(alphabet=_CHARS, min_size=1, max_size=12),
    st.none() | st.integers(0, 5000),
    st.booleans(),
)
#: A paragraph: 1–4 runs joined by "|" (odd runs bold, see make_docx).
_sentences = st.lists(_words, min_size=1, max_size=4).map("|".join)
_cells = _sentences.map(lambda s: s.replace("|", ""))
_tables = st.integers(1, 4).flatmap(lambda cols: st.lists(st.lists(_cells, min_size=cols, max_size=cols), min_size=1, max_size=5))
_blocks = st.lists(_sentences | _tables, min_size=1, max_size=12)


#: What an edit puts in place of up to 8 characters: nothing, a phrase, or a figure.
_replacements = st.one_of(st.just(""), _cells, st.integers(0, 99).map(str))


@st.composite
def _edited_text(draw: st.DrawFn, s: str) -> str:
    """`s` after 1–3 replacements of up to 8 characters."""
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(s)))
        j = draw(st.integers(i, min(len(s), i + 8)))
        s = s[:i] + draw(_replacements) + s[j:]
    return s


@st.composite
def _revised(draw: st.DrawFn, blocks: list[Block]) -> list[Block]:
    """Revision B: A after 1–5 edits (edit text, insert, delete, move a block; add, drop a row).
    Edits come first in each choice, so a failure shrinks towards text edits."""
    out: list[Block] = [b if isinstance(b, str) else [list(r) for r in b] for b in blocks if not isinstance(b, tuple)]
    for _ in range(draw(st.integers(1, 5))):
        if not out:
            out.append(draw(_sentences | _tables))
            continue
        k = draw(st.integers(0, len(out) - 1))
        op = draw(st.sampled_from(["edit", "insert", "delete", "move"]))
        if op == "insert":
            out.insert(k, draw(_sentences | _tables))
        elif op == "delete":
            out.pop(k)
        elif op == "move":
            to = draw(st.integers(0, len(out) - 1))
            out.insert(to, out.pop(k))
        elif isinstance(out[k], str):
            out[k] = draw(_edited_text(str(out[k])))
        else:
            table = out[k]
            assert isinstance(table, list)
            r = draw(st.integers(0, len(table) - 1))
            row_op = draw(st.sampled_from(["edit", "add", "drop"]))
            if row_op == "add":
                table.insert(r, [draw(_cells) for _ in table[0]])
            elif row_op == "drop" and len(table) > 1:
                table.pop(r)
            else:
                c = draw(st.integers(0, len(table[r]) - 1))
                table[r][c] = draw(_edited_text(table[r][c]))
    return out or ["空"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a_blocks=_blocks, data=st.data())
def test_accept_all_gives_b_and_reject_all_gives_a(a_blocks: list[Block], data: st.DataObject) -> None:
    b_blocks = data.draw(_revised(a_blocks), label="b_blocks")
    check_roundtrip(make_docx(a_blocks), make_docx(b_blocks))


def test_a_nested_table_deleted_from_a_cell_leaves_the_cell_ending_with_a_paragraph() -> None:
    def doc(nested: bool) -> bytes:
        d = Document()
        cell = d.add_table(rows=1, cols=2).cell(0, 0)
        cell.text = "外层单元格"
        if nested:
            cell.add_table(rows=1, cols=2).cell(0, 0).text = "内层表格"
            cell._tc.remove(cell._tc[-1])  # the nested table last in A's cell, after its text
        buf = io.BytesIO()
        d.save(buf)
        return buf.getvalue()

    out = check_roundtrip(doc(True), doc(False))
    tc = body(out).find(".//w:tc", NS)
    assert tc[-1].tag == f"{{{W}}}p"
    assert tc.find("w:tbl/w:tr/w:trPr/w:del", NS) is not None


def test_a_deleted_section_break_does_not_travel() -> None:
    def doc(with_break: bool) -> bytes:
        d = Document()
        d.add_paragraph("第一页。")
        if with_break:
            d.add_paragraph("横向页面的说明。")
            d.add_section()
        d.add_paragraph("最后一页。")
        buf = io.BytesIO()
        d.save(buf)
        return buf.getvalue()

    out = check_roundtrip(doc(True), doc(False))
    assert body(out).find(".//w:pPr/w:sectPr", NS) is None
    assert marks(out)[1] == ["横向页面的说明。"]


def test_tabs_and_line_breaks_inside_a_paragraph() -> None:
    def doc(second: str) -> bytes:
        d = Document()
        p = d.add_paragraph()
        p.add_run("姓名\t陈立新")
        p.add_run().add_break()
        p.add_run(second)
        buf = io.BytesIO()
        d.save(buf)
        return buf.getvalue()

    out = check_roundtrip(doc("电话\t13908316625"), doc("电话\t13908316626"))
    assert marks(out) == (["13908316626"], ["13908316625"])


def test_a_replaced_image_is_deleted_and_inserted(tmp_path: Path) -> None:
    a = make_docx(["正文。", ("image", "图1"), "结尾。"], tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    b_doc = Document()
    b_doc.add_paragraph("正文。")
    img = other / "pixel.png"
    data = bytearray(PNG)
    data[0x29] ^= 1  # a different pixel: a different image
    img.write_bytes(bytes(data))
    b_doc.add_picture(str(img), width=Cm(1))
    b_doc.add_paragraph("图1")
    b_doc.add_paragraph("结尾。")
    buf = io.BytesIO()
    b_doc.save(buf)
    out = check_roundtrip(a, buf.getvalue())
    drawings = body(out).findall(".//w:drawing", NS)
    assert len(drawings) == 2
    kinds = sorted(next(x.tag for x in d.iterancestors() if x.tag in (f"{{{W}}}ins", f"{{{W}}}del")).split("}")[1] for d in drawings)
    assert kinds == ["del", "ins"]


def _cells_docx(blocks: Sequence[Block]) -> bytes:
    """Like make_docx, but a cell's "¶" starts another paragraph and "⊞" a nested table."""
    doc = Document()
    for block in blocks:
        if isinstance(block, str):
            doc.add_paragraph(block.replace("|", ""))
            continue
        assert isinstance(block, list)
        table = doc.add_table(rows=len(block), cols=len(block[0]))
        for i, row in enumerate(block):
            for j, text in enumerate(row):
                cell = table.cell(i, j)
                first, *rest = text.split("¶")
                cell.text = first
                for extra in rest:
                    if extra.startswith("⊞"):
                        cell.add_table(rows=1, cols=2).cell(0, 1).text = extra[1:]
                    else:
                        cell.add_paragraph(extra)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


#: A cell: 1–3 paragraphs joined by "¶", each a nested table when it starts with "⊞" (see _cells_docx).
_cell_paragraphs = st.lists(st.tuples(st.sampled_from(["", "⊞"]), _cells), min_size=1, max_size=3).map(lambda ps: "¶".join(m + t for m, t in ps))
_cell_tables = st.lists(st.lists(_cell_paragraphs, min_size=2, max_size=2), min_size=1, max_size=4)


@st.composite
def _cell_paragraphs_revised(draw: st.DrawFn, blocks: list[Block]) -> list[Block]:
    """B: A's revision, then in one cell of each table a paragraph or nested table added or removed."""
    out = draw(_revised(blocks))
    for block in out:
        if isinstance(block, list):
            r, c = draw(st.integers(0, len(block) - 1)), draw(st.integers(0, len(block[0]) - 1))
            parts = block[r][c].split("¶")
            if len(parts) > 1 and draw(st.booleans()):
                parts.pop(draw(st.integers(0, len(parts) - 1)))
            else:
                parts.insert(draw(st.integers(0, len(parts))), draw(st.sampled_from(["", "⊞"])) + "新增段落")
            block[r][c] = "¶".join(parts)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a_blocks=st.lists(_sentences | _cell_tables, min_size=1, max_size=8), data=st.data())
def test_cells_with_paragraphs_and_nested_tables_round_trip(a_blocks: list[Block], data: st.DataObject) -> None:
    b_blocks = data.draw(_cell_paragraphs_revised(a_blocks), label="b_blocks")
    check_roundtrip(_cells_docx(a_blocks), _cells_docx(b_blocks))


def _bold_stretches(data: bytes) -> list[str]:
    """The texts of bold runs (direct w:b), in order, as a reader sees the emphasis."""
    out: list[str] = []
    for r in body(data).iter(f"{{{W}}}r"):
        rpr = r.find(f"{{{W}}}rPr")
        bold = rpr is not None and rpr.find(f"{{{W}}}b") is not None and rpr.find(f"{{{W}}}b").get(f"{{{W}}}val", "true") not in ("0", "false")
        t = "".join(x.text or "" for x in r.iter(f"{{{W}}}t"))
        if bold and t:
            out.append(t)
    return out


def test_emphasis_added_without_changing_text_is_a_format_revision() -> None:
    a = make_docx(["联合体坚持政府统筹、园区牵头。"])
    b = make_docx(["联合体坚持|政府统筹|、园区牵头。"])  # "政府统筹" made bold
    out = check_roundtrip(a, b)
    changes = list(body(out).iter(f"{{{W}}}rPrChange"))
    assert len(changes) == 1
    assert changes[0].get(f"{{{W}}}author") == "chanjiao" and changes[0].get(f"{{{W}}}date") == "2024-06-12T09:30:00Z"
    assert marks(out) == ([], [])
    assert _bold_stretches(accept_all_docx(out)) == ["政府统筹"]
    assert _bold_stretches(reject_all_docx(out)) == []


def test_emphasis_removed_next_to_a_text_change() -> None:
    a = make_docx(["|一是健全运行机制。|联合体成立理事会。"])
    b = make_docx(["一是健全运行机制。联合体成立了理事会。"])
    out = check_roundtrip(a, b)
    assert marks(out) == (["了"], [])
    assert len(list(body(out).iter(f"{{{W}}}rPrChange"))) == 1
    assert _bold_stretches(reject_all_docx(out)) == ["一是健全运行机制。"]
    assert _bold_stretches(accept_all_docx(out)) == []
