"""The OOXML vocabulary lives in one module, and parts are read as XML, whatever their prefixes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from generator.word.ooxml import W, font_families, part_text

PACKAGE = Path(__file__).resolve().parent.parent / "generator"


def test_namespaces_are_spelled_once() -> None:
    """No module but word/ooxml.py writes an OOXML namespace URI: they import it."""
    spelled = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "ooxml.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "schemas.openxmlformats.org" in line or "schemas.microsoft.com/office" in line or "urn:schemas-microsoft-com" in line
    ]
    assert spelled == []


def _docx(parts: dict[str, str]) -> zipfile.ZipFile:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, xml in parts.items():
            zf.writestr(name, xml)
    return zipfile.ZipFile(io.BytesIO(buf.getvalue()))


def test_font_families_read_the_xml_not_its_spelling() -> None:
    # Another program may bind WordprocessingML to another prefix and quote with '; the fonts are the same.
    styles = f"<x:styles xmlns:x='{W}'><x:style><x:rPr><x:rFonts x:ascii='Times New Roman' x:eastAsia='宋体' x:asciiTheme='minorHAnsi'/></x:rPr></x:style></x:styles>"
    document = f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:rPr><w:rFonts w:hAnsi="Arial" w:cs="&#26999;体"/></w:rPr></w:r></w:p></w:body></w:document>'
    footer = f'<w:ftr xmlns:w="{W}"><w:p><w:r><w:rPr><w:rFonts w:ascii="Courier"/></w:rPr></w:r></w:p></w:ftr>'
    numbering = f'<w:numbering xmlns:w="{W}"><w:rFonts w:ascii="Symbol"/></w:numbering>'  # not a part that prints text
    zf = _docx({"word/styles.xml": styles, "word/document.xml": document, "word/footer2.xml": footer, "word/numbering.xml": numbering})
    assert font_families(zf) == {"Times New Roman", "宋体", "Arial", "楷体", "Courier"}


def test_part_text_is_character_data_only() -> None:
    xml = f'<w:document xmlns:w="{W}"><!-- {{{{ a comment }}}} --><w:t>A&amp;B {{{{ x</w:t><w:t> }}}}</w:t></w:document>'
    assert part_text(xml.encode()) == "A&B {{ x }}"
