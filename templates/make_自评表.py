"""Makes 自评表.docx from 推荐书.docx: the same styles, fonts, page size, margins and page-number
footers, with its own body (a title and the docxtpl table) and the few styles only it uses.

Run from the repo root after changing 推荐书.docx's shared styles or this layout:

    .venv/bin/python templates/make_自评表.py

The output is deterministic (fixed member order and timestamps), so running it twice changes
nothing. Edit 自评表.docx in Word afterwards only for what this script does not write; rerunning
it overwrites such edits.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE, TARGET = HERE / "推荐书.docx", HERE / "自评表.docx"
_EPOCH = (1980, 1, 1, 0, 0, 0)

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

#: Column widths (twentieths of a point) of 编号 | 观测点 | 佐证位置 | 相关数据 | 自评说明; their sum is
#: the text block's width (A4 less 28 mm and 26 mm margins = 8845), as in the 推荐书's tables. The
#: wording (up to 100 字) and the note (up to 100 字) get the most room; 编号 holds "1.1".
COLUMNS = (620, 2500, 1900, 2025, 1800)
HEADER = ("编号", "观测点", "佐证位置（页码）", "相关数据", "自评说明")


def _font(name: str) -> str:
    return f'<w:rFonts w:ascii="{name}" w:hAnsi="{name}" w:eastAsia="{name}" w:cs="{name}"/>'


# Five-point (10.5 pt) table text on exact 15 pt lines: five columns on a portrait page leave
# about 13 字 for the wording at this size; the body's 三号 would give 8.
STYLES = f"""
<w:style w:type="paragraph" w:customStyle="1" w:styleId="CJAssessTitle"><w:name w:val="CJ自评表标题"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:spacing w:before="0" w:after="480" w:line="240" w:lineRule="auto"/><w:jc w:val="center"/></w:pPr><w:rPr>{_font("方正小标宋_GBK")}<w:sz w:val="44"/><w:szCs w:val="44"/></w:rPr></w:style>
<w:style w:type="paragraph" w:customStyle="1" w:styleId="CJAssessText"><w:name w:val="CJ自评表文字"/><w:basedOn w:val="CJTableText"/><w:qFormat/><w:pPr><w:spacing w:line="300" w:lineRule="exact"/><w:jc w:val="left"/></w:pPr><w:rPr>{_font("方正仿宋_GBK")}<w:sz w:val="21"/><w:szCs w:val="21"/></w:rPr></w:style>
<w:style w:type="paragraph" w:customStyle="1" w:styleId="CJAssessHead"><w:name w:val="CJ自评表表头"/><w:basedOn w:val="CJAssessText"/><w:qFormat/><w:pPr><w:jc w:val="center"/></w:pPr><w:rPr>{_font("方正黑体_GBK")}</w:rPr></w:style>
<w:style w:type="paragraph" w:customStyle="1" w:styleId="CJAssessGroup"><w:name w:val="CJ自评表分组"/><w:basedOn w:val="CJAssessText"/><w:qFormat/><w:pPr><w:keepNext/></w:pPr><w:rPr>{_font("方正黑体_GBK")}</w:rPr></w:style>
<w:style w:type="paragraph" w:customStyle="1" w:styleId="CJAssessNote"><w:name w:val="CJ自评表注"/><w:basedOn w:val="CJAssessText"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:after="160"/></w:pPr></w:style>
"""


def _p(style: str, text: str = "") -> str:
    run = f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>' if text else ""
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{run}</w:p>'


def _cell(width: int, *paragraphs: str, span: int = 1, valign: str = "top") -> str:
    grid = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{grid}<w:vAlign w:val="{valign}"/></w:tcPr>{"".join(paragraphs)}</w:tc>'


def _row(*cells: str, header: bool = False) -> str:
    # Every row kept whole (a short row split over a page is a layout fault); the header repeats
    # on each page the table runs onto.
    props = "<w:cantSplit/>" + ("<w:tblHeader/>" if header else "")
    return f"<w:tr><w:trPr>{props}</w:trPr>{''.join(cells)}</w:tr>"


def _tag_row(tag: str) -> str:
    """A row holding only a docxtpl row tag (`{%tr … %}`): docxtpl replaces the whole row."""
    return _row(_cell(sum(COLUMNS), _p("CJAssessText", tag), span=len(COLUMNS)))


def _loop_cell(width: int, items: str) -> str:
    """A cell with one paragraph per entry of `items` (docxtpl paragraph loop)."""
    return _cell(
        width,
        _p("CJAssessText", f"{{%p for x in {items} %}}"),
        _p("CJAssessText", "{{ x }}"),
        _p("CJAssessText", "{%p endfor %}"),
    )


def body(sect_pr: str) -> str:
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in COLUMNS)
    table = (
        '<w:tbl><w:tblPr><w:tblStyle w:val="CJTable"/><w:tblW w:w="8845" w:type="dxa"/><w:jc w:val="center"/>'
        '<w:tblLayout w:type="fixed"/><w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" '
        'w:lastColumn="0" w:noHBand="1" w:noVBand="1"/></w:tblPr>'
        f"<w:tblGrid>{grid}</w:tblGrid>"
        + _row(*(_cell(w, _p("CJAssessHead", h), valign="center") for w, h in zip(COLUMNS, HEADER, strict=True)), header=True)
        + _tag_row("{%tr for g in assessment.groups %}")
        + _row(_cell(sum(COLUMNS), _p("CJAssessGroup", "{{ g.label }}"), span=len(COLUMNS)))
        + _tag_row("{%tr for r in g.rows %}")
        + _row(
            _cell(COLUMNS[0], _p("CJAssessText", "{{ r.id }}")),
            _cell(COLUMNS[1], _p("CJAssessText", "{{ r.text }}")),
            _loop_cell(COLUMNS[2], "r.places"),
            _loop_cell(COLUMNS[3], "r.figures"),
            _cell(COLUMNS[4], _p("CJAssessText", "{{ r.note }}")),
        )
        + _tag_row("{%tr endfor %}")
        + _tag_row("{%tr endfor %}")
        + "</w:tbl>"
    )
    title = _p("CJAssessTitle", "{{ assessment.title }}")
    note = _p("CJAssessNote", "{{ assessment.footnote }}")
    # The note on the page numbers goes above the table: below it, it would be the only line on
    # a last page whenever the table ends a page exactly.
    return f'<w:document xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:body>{title}{note}{table}{sect_pr}</w:body></w:document>'


def main() -> int:
    with zipfile.ZipFile(SOURCE) as src:
        members = {name: src.read(name) for name in src.namelist()}
    document = members["word/document.xml"].decode("utf-8")
    # The 推荐书's last section: A4 portrait, its margins, the “— N —” footers, numbering from 1.
    sect_pr = re.findall(r"<w:sectPr>.*?</w:sectPr>", document, re.S)[-1]
    sect_pr = sect_pr.replace('<w:type w:val="nextPage"/>', "")
    header = document[: document.index("<w:document")]
    members["word/document.xml"] = (header + body(sect_pr)).encode("utf-8")
    styles = members["word/styles.xml"].decode("utf-8")
    members["word/styles.xml"] = styles.replace("</w:styles>", STYLES.strip().replace("\n", "") + "</w:styles>").encode("utf-8")
    order = sorted(members, key=lambda n: (n != "[Content_Types].xml", n))
    with zipfile.ZipFile(TARGET, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, members[name])
    print(f"{TARGET.name}: written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
