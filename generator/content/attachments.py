"""PDF attachments made safe to submit: opened, checked, and stripped of active content.

A PDF that a team receives from a partner can carry JavaScript, launch actions, links that
leave the document, forms and embedded files; the submission package must carry none of it.
This is the one module that uses pikepdf (qpdf): it reads and rewrites a file object by object,
opens owner-password-only and AES-encrypted files, and writes only what is still referenced, so
a removed script does not linger as an orphaned object. pypdf (pdf.py) then assembles the
sanitised bytes like any other part.

What is kept is what prints: page content, passive annotations (notes, highlights, stamps),
links within the document. Form fields are flattened into the page (their printed appearance
stays) before the form itself is dropped.
"""

from __future__ import annotations

import contextlib
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Pdf

from generator.core.limits import MAX_ATTACHMENT_PAGES
from generator.i18n import _

#: Annotations that only draw something (or pop a note up); every other kind is removed.
#: A deny-by-default list: a kind added to PDF later is not let through by accident.
_PASSIVE_ANNOTATIONS = frozenset(
    f"/{n}"
    for n in (
        "Text", "FreeText", "Line", "Square", "Circle", "Polygon", "PolyLine", "Highlight",
        "Underline", "Squiggly", "StrikeOut", "Stamp", "Caret", "Ink", "Popup", "Link",
        "Watermark", "PrinterMark", "TrapNet", "Redact",
    )
)
#: The one action that stays: a jump to a page of the same document.
_SAFE_ACTIONS = frozenset({"/GoTo"})
#: Keys of the document catalog that run, submit, embed or fetch something.
_CATALOG_KEYS = ("/OpenAction", "/AA", "/AcroForm", "/Collection", "/URI", "/NeedsRendering")
#: Entries of the catalog's name dictionary that hold scripts, files or media.
_NAME_TREES = ("/JavaScript", "/EmbeddedFiles", "/AlternatePresentations", "/Renditions")
#: Keys that, in any dictionary, carry active or embedded content.
_ACTIVE_KEYS = ("/AA", "/JS", "/EF", "/RichMediaContent", "/3DD", "/XFA", "/OpenAction")


def _what(key: str) -> str:
    """The reader's name for a kind of removed content."""
    names = {
        "/JavaScript": _("JavaScript 脚本"),
        "/Launch": _("启动外部程序（Launch）"),
        "/URI": _("外部网址链接（URI）"),
        "/GoToR": _("指向其他文件的链接（GoToR）"),
        "/GoToE": _("指向嵌入文件的链接（GoToE）"),
        "/SubmitForm": _("表单提交（SubmitForm）"),
        "/ImportData": _("数据导入（ImportData）"),
        "/OpenAction": _("打开时自动执行的动作（OpenAction）"),
        "/AA": _("附加动作（AA）"),
        "/AcroForm": _("表单（AcroForm）"),
        "/XFA": _("XFA 表单"),
        "/EmbeddedFiles": _("嵌入文件"),
        "/FileAttachment": _("文件附件注释"),
        "/Widget": _("表单域"),
        "/RichMedia": _("富媒体（RichMedia）"),
        "/3D": _("3D 内容"),
        "/Sound": _("声音"),
        "/Movie": _("影片"),
        "/Screen": _("媒体播放区（Screen）"),
    }
    return names.get(key, _("其他动态内容（{kind}）").format(kind=key.lstrip("/")))


#: What qpdf raises for a broken object met only while walking or writing the file (objects are
#: read lazily, so a damaged one can pass the opening).
_BROKEN = (pikepdf.PdfError, ValueError, RuntimeError, TypeError, KeyError)


class AttachmentProblem(Exception):
    """Raised when a PDF attachment cannot be used; the message says why, in the user's language.

    `locked` is True when the reason is a password needed to open the file.
    """

    def __init__(self, message: str, *, locked: bool = False):
        super().__init__(message)
        self.locked = locked


@dataclass(frozen=True)
class Sanitised:
    """A sanitised PDF: its bytes and what was removed (reader's names, with counts)."""

    data: bytes
    removed: tuple[str, ...]


def open_pdf(path: Path) -> Pdf:
    """Open an attachment, refusing what cannot go into the package.

    Owner-password-only files (no printing, no copying) open, and their restriction is dropped
    when they are rewritten; a user password, a damaged or truncated file, or a PDF without
    pages raise AttachmentProblem with the reason.
    """
    try:
        pdf = Pdf.open(path)
    except pikepdf.PasswordError as exc:
        raise AttachmentProblem(_("PDF 设有打开密码，请提供未加密的文件"), locked=True) from exc
    except (pikepdf.PdfError, OSError, ValueError, RuntimeError) as exc:
        raise AttachmentProblem(_("PDF 文件已损坏或不完整：{reason}").format(reason=exc)) from exc
    try:
        pages = len(pdf.pages)
    except (pikepdf.PdfError, ValueError, RuntimeError) as exc:
        pdf.close()
        raise AttachmentProblem(_("PDF 文件已损坏或不完整：{reason}").format(reason=exc)) from exc
    # qpdf repairs what it can and says so; a repaired file may have lost pages, so the team
    # should send an intact one rather than have a guess submitted.
    damage = [w for w in pdf.get_warnings() if "damaged" in w or "reconstruct" in w or "xref" in w]
    if damage:
        pdf.close()
        raise AttachmentProblem(_("PDF 文件已损坏或不完整：{reason}").format(reason=damage[0]))
    if pages == 0:
        pdf.close()
        raise AttachmentProblem(_("PDF 没有页面"))
    if pages > MAX_ATTACHMENT_PAGES:
        pdf.close()
        raise AttachmentProblem(
            _("PDF 有 {pages} 页，超过上限 {limit} 页").format(pages=pages, limit=MAX_ATTACHMENT_PAGES)
        )
    return pdf


def sanitise_pdf(path: Path) -> Sanitised:
    """The attachment at `path` rewritten without active content, unencrypted; raises
    AttachmentProblem when it cannot be opened."""
    with open_pdf(path) as pdf:
        buf = io.BytesIO()
        try:
            removed = _strip(pdf)
            # Unencrypted (an owner password's restrictions do not travel into the package) and
            # with an ID from the content, so the same attachment gives the same bytes.
            pdf.save(buf, encryption=False, deterministic_id=True)
        except _BROKEN as exc:
            raise AttachmentProblem(_("PDF 文件已损坏或不完整：{reason}").format(reason=exc)) from exc
    return Sanitised(buf.getvalue(), removed)


def active_content(path: Path) -> tuple[str, ...]:
    """What sanitising `path` would remove (the file is not changed); raises AttachmentProblem."""
    with open_pdf(path) as pdf:
        try:
            return _strip(pdf)
        except _BROKEN as exc:
            raise AttachmentProblem(_("PDF 文件已损坏或不完整：{reason}").format(reason=exc)) from exc


def _strip(pdf: Pdf) -> tuple[str, ...]:
    found: Counter[str] = Counter()
    root = pdf.Root
    if "/AcroForm" in root:
        acroform = root.AcroForm
        found["/XFA" if "/XFA" in acroform else "/AcroForm"] += 1
        # The fields' printed appearance moves into the page content, then the form goes.
        # Without an appearance there is nothing to keep: the widgets are dropped below.
        with contextlib.suppress(pikepdf.PdfError, ValueError, RuntimeError):
            pdf.flatten_annotations("print")
    for key in _CATALOG_KEYS:
        if key in root:
            # An open action that only shows a page (a destination or a GoTo; most producers
            # write one) goes quietly: it was never active, and a warning would be noise.
            quiet = key == "/AcroForm" or (
                key == "/OpenAction"
                and (isinstance(root[key], Array) or _action_kind(root[key]) is None)
            )
            if not quiet:
                found[key] += 1
                if key == "/OpenAction":
                    found[_action_kind(root[key]) or ""] += 1  # and what it would have run
            del root[key]
    if "/Names" in root and isinstance(root.Names, Dictionary):
        for key in _NAME_TREES:
            if key in root.Names:
                found[key] += 1
                del root.Names[key]
    for page in pdf.pages:
        _strip_page(page.obj, found)
    _strip_everywhere(pdf, found)
    return tuple(f"{_what(k)} ×{n}" if n > 1 else _what(k) for k, n in sorted(found.items()))


def _action_kind(action: object) -> str | None:
    """The action type of an /A value when it is active, else None."""
    if not isinstance(action, Dictionary):
        return "/Unknown"  # an action must be a dictionary; anything else is not ours to judge
    kind = str(action.get("/S", "/Unknown"))
    return None if kind in _SAFE_ACTIONS and "/Next" not in action else kind


def _strip_page(page: Dictionary, found: Counter[str]) -> None:
    if "/AA" in page:
        found["/AA"] += 1
        del page["/AA"]
    annots = page.get("/Annots")
    if not isinstance(annots, Array):
        if annots is not None:
            del page["/Annots"]
        return
    kept = Array()
    for annot in annots:
        if not isinstance(annot, Dictionary):
            continue
        subtype = str(annot.get("/Subtype", "/Unknown"))
        if subtype not in _PASSIVE_ANNOTATIONS:
            found[subtype] += 1
            continue
        action = annot.get("/A")
        if action is not None:
            kind = _action_kind(action)
            if kind is not None:
                found[kind] += 1
                if subtype == "/Link":
                    continue  # a link whose only job was the removed action
                del annot["/A"]
        kept.append(annot)
    page.Annots = kept


def _strip_everywhere(pdf: Pdf, found: Counter[str]) -> None:
    """Remove active keys and actions from every dictionary in the file, wherever they hide
    (outline items, annotations' appearance dictionaries, nested form XObjects)."""
    stack: list[object] = [pdf.trailer]
    seen: set[tuple[int, int]] = set()
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Object) and obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, (Dictionary, pikepdf.Stream)):  # noqa: UP038 (pikepdf's classes need a tuple)
            for key in _ACTIVE_KEYS:
                if key in obj:
                    found["/JavaScript" if key == "/JS" else "/EmbeddedFiles" if key == "/EF" else key] += 1
                    del obj[key]
            action = obj.get("/A")
            if isinstance(action, Dictionary) and "/S" in action:
                kind = _action_kind(action)
                if kind is not None:
                    # an outline item or form field: keep the bookmark or field, drop the action
                    found[kind] += 1
                    del obj["/A"]
            # /Parent and /P too: a popup or widget can point up to a dictionary found nowhere else.
            stack.extend(obj[k] for k in list(obj.keys()))
        elif isinstance(obj, Array):
            stack.extend(obj)

