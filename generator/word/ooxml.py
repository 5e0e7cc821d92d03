"""The OOXML vocabulary in one place: namespaces, the Clark-name helper, the tags every reader and
writer of a .docx shares, and the few readings of whole parts that need no more than lxml.

Every module that reads or writes WordprocessingML imports its names from here (the layout steps,
the text reading, the blocks written into the templates, the package merge, the redline), so a
namespace is written once."""

from __future__ import annotations

import re
import zipfile

from lxml import etree

#: WordprocessingML, the main namespace of a .docx.
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#: Relationship ids on elements (r:id, r:embed, r:link).
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#: The package's own relationship parts (_rels/*.rels) and its [Content_Types].xml.
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
#: DrawingML (a:blip), VML (v:imagedata, older images), markup compatibility (mc:Fallback).
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
V_NS = "urn:schemas-microsoft-com:vml"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
#: Inline drawings (wp:inline) and the pictures in them (pic:pic).
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
PIC_NS = "http://schemas.openxmlformats.org/drawingml/2006/picture"
#: Word 2010 additions (w14:paraId, w14:textId).
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def w(tag: str) -> str:
    """The Clark name of a WordprocessingML element or attribute."""
    return f"{{{W}}}{tag}"


P, R, T, TAB, BR, CR = (w(n) for n in ("p", "r", "t", "tab", "br", "cr"))
TBL, TR, TC, SDT, SDT_CONTENT = (w(n) for n in ("tbl", "tr", "tc", "sdt", "sdtContent"))
INS, DEL, MOVE_FROM, MOVE_TO = w("ins"), w("del"), w("moveFrom"), w("moveTo")
PPR, RPR, TRPR, TBLPREX = w("pPr"), w("rPr"), w("trPr"), w("tblPrEx")
DEL_TEXT, INSTR_TEXT, DEL_INSTR_TEXT = w("delText"), w("instrText"), w("delInstrText")
NO_BREAK_HYPHEN, DRAWING = w("noBreakHyphen"), w("drawing")
MC_FALLBACK = f"{{{MC_NS}}}Fallback"
V_IMAGEDATA = f"{{{V_NS}}}imagedata"
A_BLIP = f"{{{A_NS}}}blip"

#: Part names (not XML): the headers and footers; and every part whose w:rFonts can name a font.
MARGIN_PART = re.compile(r"word/(header|footer)\d*\.xml")
_FONT_PART = re.compile(r"word/(styles|document|footer\d*|header\d*|footnotes)\.xml")
#: The attributes of w:rFonts that name a font family (the theme attributes name a theme slot).
_FONT_ATTRS = tuple(w(a) for a in ("ascii", "hAnsi", "eastAsia", "cs"))


def font_families(zf: zipfile.ZipFile) -> set[str]:
    """Every font family a .docx names in w:rFonts (styles and direct formatting)."""
    found: set[str] = set()
    for name in (n for n in zf.namelist() if _FONT_PART.fullmatch(n)):
        for rfonts in etree.fromstring(zf.read(name)).iter(w("rFonts")):
            found.update(v for v in (rfonts.get(a) for a in _FONT_ATTRS) if v)
    return found


def part_text(payload: bytes) -> str:
    """All character data of an XML part, markup left out (as a reader of the raw part sees it)."""
    return "".join(etree.fromstring(payload).itertext())

