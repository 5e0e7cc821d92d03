"""Reading PDFs back and assembling the package: bookmarks, page labels, images, bad parts."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from PIL import Image
from pypdf import PdfWriter

from generator.errors import ToolError
from generator.pdf.convert import convert_to_pdf, find_soffice
from generator.pdf.reader import (
    PackagePart,
    assemble_package,
    count_pages,
    embedded_fonts,
    pdf_facts,
    read_pdf,
)

A4 = (595.3, 841.9)


def blank_pdf(path: Path, pages: int, size: tuple[float, float] = A4) -> Path:
    """A PDF of blank pages, the shape of a scanned attachment without the scan."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=size[0], height=size[1])
    with path.open("wb") as out:
        writer.write(out)
    return path


def image(path: Path, size: tuple[int, int], mode: str = "RGB") -> Path:
    """A small image file in the format its suffix names."""
    fmt = "JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else "PNG"
    Image.new(mode, size, "white").save(path, fmt)
    return path


@pytest.fixture(scope="module")
def plan_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-page plan converted by LibreOffice, with a heading bookmark and Chinese text."""
    if find_soffice() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice is required in CI: run ci/system-packages.sh")
        pytest.skip("LibreOffice not installed")
    tmp = tmp_path_factory.mktemp("plan")
    doc = Document()
    doc.add_heading("一、总体要求", level=1)
    run = doc.add_paragraph().add_run("联合体由园区牵头建设。")
    run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "方正仿宋_GBK")
    doc.add_page_break()
    doc.add_paragraph("第二页")
    doc.save(str(tmp / "建设方案.docx"))
    return convert_to_pdf([tmp / "建设方案.docx"], tmp)[0]


@pytest.mark.libreoffice
def test_read_pdf_sees_text_fonts_and_headings(plan_pdf: Path) -> None:
    info = read_pdf(plan_pdf)
    assert info.page_count == 2
    assert "联合体由园区牵头建设。" in info.page_texts[0]
    assert "第二页" in info.page_texts[1]
    assert "FandolFang-Regular" in info.embedded_fonts
    assert not any("+" in name for name in info.fonts)  # subset prefixes are stripped
    assert [b.title for b in info.outline] == ["一、总体要求"]
    assert embedded_fonts(plan_pdf) == list(info.embedded_fonts)
    assert count_pages(plan_pdf) == 2
    # what a build reads with pikepdf is what pypdf's reader sees
    facts = pdf_facts(plan_pdf)
    assert (facts.page_count, facts.embedded_fonts) == (info.page_count, info.embedded_fonts)
    assert list(facts.parts) == [(b.title, b.page) for b in info.outline if b.level == 0]


def _bookmarked(path: Path) -> Path:
    """Four pages whose bookmarks reach their page each in another way a PDF may: an explicit
    destination, a named one (the /Names tree), a GoTo action, and one nested under the first."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name, String

    pdf = pikepdf.new()
    for _ in range(4):
        pdf.add_blank_page(page_size=A4)
    page = [p.obj for p in pdf.pages]

    def dest(n: int) -> Array:
        return Array([page[n], Name.Fit])

    pdf.Root.Names = Dictionary(Dests=Dictionary(Names=Array([String("第二节"), dest(1)])))
    items = [
        Dictionary(Title=String("第一节"), Dest=dest(0)),
        Dictionary(Title=String("第二节"), Dest=String("第二节")),
        Dictionary(Title=String("第三节"), A=Dictionary(S=Name.GoTo, D=dest(2))),
    ]
    child = pdf.make_indirect(Dictionary(Title=String("一、小节"), Dest=dest(3)))
    refs = [pdf.make_indirect(item) for item in items]
    outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, First=refs[0], Last=refs[-1], Count=len(refs)))
    for n, ref in enumerate(refs):
        ref.Parent = outlines
        if n:
            ref.Prev = refs[n - 1]
        if n + 1 < len(refs):
            ref.Next = refs[n + 1]
    refs[0].First = refs[0].Last = child
    refs[0].Count = 1
    child.Parent = refs[0]
    pdf.Root.Outlines = outlines
    pdf.save(path)
    return path


def test_bookmarks_reach_their_pages_however_the_pdf_names_them(tmp_path: Path) -> None:
    source = _bookmarked(tmp_path / "sections.pdf")
    assert pdf_facts(source).parts == (("第一节", 0), ("第二节", 1), ("第三节", 2))
    out_path = tmp_path / "package.pdf"
    assemble_package([PackagePart("封面页", blank_pdf(tmp_path / "a.pdf", 1)), PackagePart("附件", source)], out_path, title="附件")
    outline = [(b.title, b.level, b.page) for b in read_pdf(out_path).outline]
    assert outline == [
        ("封面页", 0, 0), ("附件", 0, 1),
        ("第一节", 1, 1), ("一、小节", 2, 4), ("第二节", 1, 2), ("第三节", 1, 3),
    ]


@pytest.mark.libreoffice
def test_package_has_a_bookmark_per_part_and_labels_restarting(
    plan_pdf: Path, tmp_path: Path
) -> None:
    parts = [
        PackagePart("建设方案", plan_pdf),
        PackagePart("营业执照", image(tmp_path / "licence.png", (800, 1100))),
        PackagePart("合作协议", blank_pdf(tmp_path / "agreement.pdf", 3)),
    ]
    out_path = tmp_path / "package" / "申报材料.pdf"
    assemble_package(parts, out_path, title="某某市域产教联合体申报材料")

    info = read_pdf(out_path)
    assert info.page_count == 6
    assert info.title == "某某市域产教联合体申报材料"
    assert info.page_labels == ("1", "2", "1", "1", "2", "3")
    top = [(b.title, b.page) for b in info.outline if b.level == 0]
    assert top == [("建设方案", 0), ("营业执照", 2), ("合作协议", 3)]
    # The plan's own heading stays reachable, one level down.
    assert ("一、总体要求", 1, 0) in [(b.title, b.level, b.page) for b in info.outline]
    assert "联合体由园区牵头建设。" in info.page_texts[0]
    assert list(out_path.parent.iterdir()) == [out_path]  # no temporary file left


def test_images_become_one_a4_page_each_in_the_right_orientation(tmp_path: Path) -> None:
    parts = [
        PackagePart("证书", image(tmp_path / "portrait.jpg", (600, 900))),
        PackagePart("场地照片", image(tmp_path / "landscape.png", (1600, 900))),
        PackagePart("透明印章", image(tmp_path / "seal.png", (300, 300), mode="RGBA")),
    ]
    out_path = tmp_path / "package.pdf"
    assemble_package(parts, out_path, title="附件")

    info = read_pdf(out_path)
    assert info.page_count == 3
    (pw, ph), (lw, lh), _ = info.page_sizes
    assert (round(pw), round(ph)) == (595, 842)
    assert (round(lw), round(lh)) == (842, 595)
    assert [b.title for b in info.outline] == ["证书", "场地照片", "透明印章"]


def test_same_parts_give_the_same_bytes(tmp_path: Path) -> None:
    parts = [
        PackagePart("一", blank_pdf(tmp_path / "a.pdf", 2)),
        PackagePart("二", image(tmp_path / "b.png", (400, 500))),
    ]
    assemble_package(parts, tmp_path / "1.pdf", title="附件")
    assemble_package(parts, tmp_path / "2.pdf", title="附件")
    assert (tmp_path / "1.pdf").read_bytes() == (tmp_path / "2.pdf").read_bytes()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.pdf", None, "找不到附件「坏附件」"),
        ("broken.pdf", b"%PDF-1.7\nnot really a pdf", "附件「坏附件」无法读取"),
        ("empty.pdf", b"", "附件「坏附件」无法读取"),
        ("broken.png", b"\x89PNG\r\n\x1a\nnot an image", "附件「坏附件」无法读取"),
    ],
)
def test_bad_part_names_the_entry_and_keeps_the_previous_package(
    tmp_path: Path, name: str, content: bytes | None, expected: str
) -> None:
    bad = tmp_path / name
    if content is not None:
        bad.write_bytes(content)
    out_path = tmp_path / "out" / "package.pdf"
    assemble_package(
        [PackagePart("好附件", blank_pdf(tmp_path / "ok.pdf", 1))], out_path, title="旧"
    )

    parts = [PackagePart("好附件", tmp_path / "ok.pdf"), PackagePart("坏附件", bad)]
    with pytest.raises(ToolError, match=expected) as caught:
        assemble_package(parts, out_path, title="新")

    assert str(bad) in str(caught.value)
    assert read_pdf(out_path).title == "旧"
    assert list(out_path.parent.iterdir()) == [out_path]


def encrypted_pdf(path: Path, user_password: str) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(width=A4[0], height=A4[1])
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_encrypted_part_is_refused(tmp_path: Path) -> None:
    locked = encrypted_pdf(tmp_path / "locked.pdf", user_password="secret")
    with pytest.raises(ToolError, match="附件「授权书」已加密"):
        assemble_package([PackagePart("授权书", locked)], tmp_path / "p.pdf", title="附件")
    assert not (tmp_path / "p.pdf").exists()


def test_part_with_only_an_owner_password_is_accepted(tmp_path: Path) -> None:
    restricted = encrypted_pdf(tmp_path / "notice.pdf", user_password="")
    assemble_package([PackagePart("通知", restricted)], tmp_path / "p.pdf", title="附件")
    assert read_pdf(tmp_path / "p.pdf").page_count == 1


def test_read_pdf_of_a_broken_file_is_a_tool_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n%%EOF")
    with pytest.raises(ToolError, match="无法读取 PDF"):
        read_pdf(broken)
    with pytest.raises(ToolError, match="无法读取 PDF"):
        count_pages(broken)


def test_a_pdf_without_fonts_has_no_embedded_fonts(tmp_path: Path) -> None:
    assert embedded_fonts(blank_pdf(tmp_path / "blank.pdf", 1)) == []
