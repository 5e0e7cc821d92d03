"""The text of a .docx, in reading order, for `git diff` (textconv) and for reading documents back."""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from .errors import ToolError
from .i18n import _

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_P, _TBL, _TR, _TC, _T, _TAB, _BR = (f"{{{W}}}{n}" for n in ("p", "tbl", "tr", "tc", "t", "tab", "br"))
_DEL = f"{{{W}}}del"
_R = f"{{{W}}}r"


def paragraph_text(p: etree._Element) -> str:
    """A paragraph's visible text (deleted tracked text left out)."""
    out = []
    for el in p.iter(_T, _TAB, _BR):
        ancestors = [a.tag for a in el.iterancestors()]
        # w:tab also names a tab stop in the paragraph's properties: only run content prints.
        if _R not in ancestors or _DEL in ancestors:
            continue
        out.append(el.text or "" if el.tag == _T else ("\t" if el.tag == _TAB else "\n"))
    return "".join(out)


def _block_lines(parent: etree._Element) -> list[str]:
    lines: list[str] = []
    for child in parent:
        if child.tag == _P:
            lines.append(paragraph_text(child))
        elif child.tag == _TBL:
            for row in child.iter(_TR):
                cells = [" / ".join(t for t in _block_lines(tc) if t) for tc in row if tc.tag == _TC]
                lines.append(" | ".join(cells))
        elif child.tag == f"{{{W}}}sdt":
            content = child.find(f"{{{W}}}sdtContent")
            if content is not None:
                lines.extend(_block_lines(content))
    return lines


def docx_text(path: Path) -> str:
    """The document body's text: one line per paragraph, table rows as `cell | cell`."""
    try:
        with zipfile.ZipFile(path) as zf:
            root = etree.fromstring(zf.read("word/document.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise ToolError(_("无法读取 Word 文档 {path}：{reason}").format(path=path, reason=exc)) from exc
    body = root.find(f"{{{W}}}body")
    return "\n".join(_block_lines(body)) if body is not None else ""
