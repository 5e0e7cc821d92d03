"""Checks that a .docx is a package Word opens without repair, and helpers to read its fonts back.

No OOXML schema validator is installed, so `docx_problems` checks what breaks files in practice:
well-formed XML, declared content types, relationships that resolve, styles that exist, unique
drawing ids, table grids that add up, cells that end in a paragraph, and the schema's element order
inside pPr, rPr, sectPr, tblPr, tcPr and style definitions.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
NS = {"w": W, "r": R, "wp": WP}


def w(tag: str) -> str:
    """The Clark name of a WordprocessingML element or attribute: w('pStyle')."""
    return f"{{{W}}}{tag}"


# The schema's sequences (ECMA-376 Part 1, wml.xsd); a name may appear at most once unless repeatable.
_SEQUENCES: dict[str, tuple[str, ...]] = {
    "pPr": (
        "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
        "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
        "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
        "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
        "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
        "sectPr", "pPrChange",
    ),
    "rPr": (
        "ins", "del", "moveFrom", "moveTo", "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps",
        "smallCaps", "strike", "dstrike", "outline", "shadow", "emboss", "imprint", "noProof",
        "snapToGrid", "vanish", "webHidden", "color", "spacing", "w", "kern", "position", "sz", "szCs",
        "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang",
        "eastAsianLayout", "specVanish", "oMath", "rPrChange",
    ),
    "sectPr": (
        "headerReference|footerReference", "footnotePr", "endnotePr", "type", "pgSz", "pgMar",
        "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote",
        "titlePg", "textDirection", "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange",
    ),
    "tblPr": (
        "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize",
        "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar",
        "tblLook", "tblCaption", "tblDescription", "tblPrChange",
    ),
    "tcPr": (
        "cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap", "tcMar",
        "textDirection", "tcFitText", "vAlign", "hideMark", "headers", "cellIns", "cellDel",
        "cellMerge", "tcPrChange",
    ),
    "style": (
        "name", "aliases", "basedOn", "next", "link", "autoRedefine", "hidden", "uiPriority",
        "semiHidden", "unhideWhenUsed", "qFormat", "locked", "personal", "personalCompose",
        "personalReply", "rsid", "pPr", "rPr", "tblPr", "trPr", "tcPr", "tblStylePr",
    ),
}
_REPEATABLE = {"headerReference|footerReference", "tblStylePr"}
_STYLE_REFS = {"pStyle": "paragraph", "rStyle": "character", "tblStyle": "table"}


def _rank(sequence: tuple[str, ...]) -> dict[str, int]:
    return {name: i for i, group in enumerate(sequence) for name in group.split("|")}


_RANKS = {parent: _rank(seq) for parent, seq in _SEQUENCES.items()}


@dataclass
class Package:
    """A .docx read into memory: raw members and parsed XML parts."""

    members: dict[str, bytes]
    xml: dict[str, etree._Element]

    @classmethod
    def read(cls, source: bytes | Path) -> Package:
        """Open `source` (bytes or a path); parts that are not well-formed are left out of `xml`."""
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = {n: zf.read(n) for n in zf.namelist()}
        xml = {}
        for name, payload in members.items():
            if name.endswith((".xml", ".rels")):
                with contextlib.suppress(etree.XMLSyntaxError):  # reported by docx_problems
                    xml[name] = etree.fromstring(payload)
        return cls(members, xml)

    def rels(self, part: str) -> dict[str, etree._Element]:
        """The relationships of `part` by Id."""
        folder, name = posixpath.split(part)
        rels = self.xml.get(posixpath.join(folder, "_rels", f"{name}.rels"))
        return {} if rels is None else {r.get("Id"): r for r in rels.findall(f"{{{PKG_RELS}}}Relationship")}

    def target(self, part: str, rel_id: str) -> str:
        """The member name an internal relationship of `part` points to."""
        target = self.rels(part)[rel_id].get("Target")
        return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(posixpath.dirname(part), target))

    def word_parts(self) -> list[str]:
        """The WordprocessingML parts: document, styles, headers, footers, notes, numbering."""
        return sorted(n for n, root in self.xml.items() if n.startswith("word/") and n.endswith(".xml") and root.tag.startswith(f"{{{W}}}"))


def docx_problems(source: bytes | Path) -> list[str]:
    """Everything found wrong with the package; empty when it passes every check."""
    pkg = Package.read(source)
    problems: list[str] = []
    for name in pkg.members:
        if name.endswith((".xml", ".rels")) and name not in pkg.xml:
            problems.append(f"{name}: not well-formed XML")
    problems += _content_type_problems(pkg)
    problems += _relationship_problems(pkg)
    problems += _style_problems(pkg)
    problems += _drawing_id_problems(pkg)
    for part in pkg.word_parts():
        problems += _order_problems(part, pkg.xml[part])
        problems += _table_problems(part, pkg.xml[part])
    return problems


def assert_valid_docx(source: bytes | Path) -> None:
    """Fail with every problem listed when the package would need repair."""
    problems = docx_problems(source)
    assert not problems, "invalid .docx:\n" + "\n".join(problems)


def _content_type_problems(pkg: Package) -> list[str]:
    types = pkg.xml.get("[Content_Types].xml")
    if types is None:
        return ["[Content_Types].xml missing"]
    defaults = {d.get("Extension").lower() for d in types.findall(f"{{{CT}}}Default")}
    overrides = {o.get("PartName").lstrip("/") for o in types.findall(f"{{{CT}}}Override")}
    out = [f"{o}: content type declared for a missing part" for o in overrides if o not in pkg.members]
    for name in pkg.members:
        if name == "[Content_Types].xml" or name.endswith("/"):
            continue
        if name not in overrides and name.rsplit(".", 1)[-1].lower() not in defaults:
            out.append(f"{name}: no content type declared")
    return out


def _relationship_problems(pkg: Package) -> list[str]:
    out = []
    for name in pkg.members:
        if not name.endswith(".rels") or name not in pkg.xml:
            continue
        folder = posixpath.dirname(posixpath.dirname(name))
        source = posixpath.join(folder, posixpath.basename(name)[: -len(".rels")])
        for rel in pkg.xml[name].findall(f"{{{PKG_RELS}}}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target")
            resolved = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            if resolved not in pkg.members:
                out.append(f"{source}: relationship {rel.get('Id')} points to missing {resolved}")
    for part, root in pkg.xml.items():
        if part.endswith(".rels"):
            continue
        ids = pkg.rels(part)
        for el in root.iter():
            for attr, value in el.attrib.items():
                if attr.startswith(f"{{{R}}}") and value not in ids:
                    out.append(f"{part}: r:{attr.split('}')[1]}={value!r} has no relationship")
    return out


def _style_problems(pkg: Package) -> list[str]:
    styles = pkg.xml.get("word/styles.xml")
    if styles is None:
        return ["word/styles.xml missing"]
    defined = {(s.get(w("type")), s.get(w("styleId"))) for s in styles.findall(w("style"))}
    ids = {i for _t, i in defined}
    out = []
    for part in pkg.word_parts():
        for tag, kind in _STYLE_REFS.items():
            for el in pkg.xml[part].iter(w(tag)):
                if (kind, el.get(w("val"))) not in defined:
                    out.append(f"{part}: {tag} {el.get(w('val'))!r} is not a {kind} style in styles.xml")
    for s in styles.findall(w("style")):
        for tag in ("basedOn", "next", "link"):
            ref = s.find(w(tag))
            if ref is not None and ref.get(w("val")) not in ids:
                out.append(f"styles.xml: {s.get(w('styleId'))} {tag} {ref.get(w('val'))!r} is not defined")
    return out


def _drawing_id_problems(pkg: Package) -> list[str]:
    seen: dict[str, str] = {}
    out = []
    for part in pkg.word_parts():
        for el in pkg.xml[part].iter(f"{{{WP}}}docPr"):
            i = el.get("id")
            if i in seen:
                out.append(f"{part}: duplicate docPr id {i} (also in {seen[i]})")
            seen[i] = part
    return out


def _order_problems(part: str, root: etree._Element) -> list[str]:
    out = []
    for parent, ranks in _RANKS.items():
        for el in root.iter(w(parent)):
            last, last_name = -1, ""
            for child in el:
                if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{W}}}"):
                    continue
                local = etree.QName(child).localname
                rank = ranks.get(local)
                if rank is None:
                    out.append(f"{part}: w:{local} is not allowed in w:{parent}")
                    continue
                group = _SEQUENCES[parent][rank]
                if rank < last or (rank == last and group not in _REPEATABLE):
                    out.append(f"{part}: w:{local} after w:{last_name} in w:{parent} breaks the schema order")
                last, last_name = rank, local
    return out


def _table_problems(part: str, root: etree._Element) -> list[str]:
    out = []
    for tbl in root.iter(w("tbl")):
        cols = len(tbl.findall(f"{w('tblGrid')}/{w('gridCol')}"))
        for n, tr in enumerate(tbl.findall(w("tr"))):
            span = sum(_span(tc) for tc in tr.findall(w("tc")))
            span += sum(int(el.get(w("val"))) for tag in ("gridBefore", "gridAfter") for el in tr.iter(w(tag)))
            if span != cols:
                out.append(f"{part}: table row {n} spans {span} grid columns, the grid has {cols}")
        for tc in tbl.iter(w("tc")):
            blocks = [c for c in tc if c.tag in (w("p"), w("tbl"))]
            if not blocks or blocks[-1].tag != w("p"):
                out.append(f"{part}: a table cell must end with a paragraph")
    return out


def _span(tc: etree._Element) -> int:
    el = tc.find(f"{w('tcPr')}/{w('gridSpan')}")
    return 1 if el is None else int(el.get(w("val")))


# -- reading fonts back ------------------------------------------------------------------------------

FONT_SLOTS = ("ascii", "hAnsi", "eastAsia", "cs")


class StyleSheet:
    """The styles of a package, to resolve what a paragraph or run finally looks like."""

    def __init__(self, styles: etree._Element):
        self.by_id = {s.get(w("styleId")): s for s in styles.findall(w("style"))}
        self.defaults = styles.find(f"{w('docDefaults')}/{w('rPrDefault')}/{w('rPr')}")

    def style_id(self, name: str) -> str:
        """The id of the style called `name` (case-insensitive)."""
        for sid, s in self.by_id.items():
            if s.find(w("name")).get(w("val")).lower() == name.lower():
                return sid
        raise KeyError(name)

    def _chain(self, style_id: str | None) -> list[etree._Element]:
        chain = []
        while style_id and style_id in self.by_id:
            s = self.by_id[style_id]
            chain.append(s)
            based = s.find(w("basedOn"))
            style_id = based.get(w("val")) if based is not None else None
        return chain

    def _rpr_layers(self, p: etree._Element, r: etree._Element | None) -> list[etree._Element]:
        """Run properties from the strongest to the weakest: direct, character style, paragraph style, defaults."""
        layers = []
        if r is not None:
            direct = r.find(w("rPr"))
            if direct is not None:
                layers.append(direct)
                rstyle = direct.find(w("rStyle"))
                if rstyle is not None:
                    layers += [s.find(w("rPr")) for s in self._chain(rstyle.get(w("val")))]
        pstyle = p.find(f"{w('pPr')}/{w('pStyle')}")
        default_p = next((sid for sid, s in self.by_id.items() if s.get(w("type")) == "paragraph" and s.get(w("default")) == "1"), None)
        layers += [s.find(w("rPr")) for s in self._chain(pstyle.get(w("val")) if pstyle is not None else default_p)]
        layers.append(self.defaults)
        return [layer for layer in layers if layer is not None]

    def run_fonts(self, p: etree._Element, r: etree._Element | None) -> dict[str, str | None]:
        """The font each slot of run `r` in paragraph `p` resolves to."""
        out: dict[str, str | None] = dict.fromkeys(FONT_SLOTS)
        for layer in self._rpr_layers(p, r):
            fonts = layer.find(w("rFonts"))
            for slot in FONT_SLOTS:
                if out[slot] is None and fonts is not None and fonts.get(w(slot)):
                    out[slot] = fonts.get(w(slot))
        return out

    def run_property(self, p: etree._Element, r: etree._Element | None, tag: str) -> etree._Element | None:
        """The strongest `tag` element (e.g. 'sz') that applies to run `r` in paragraph `p`."""
        for layer in self._rpr_layers(p, r):
            el = layer.find(w(tag))
            if el is not None:
                return el
        return None

    def paragraph_property(self, p: etree._Element, tag: str) -> etree._Element | None:
        """The strongest `tag` element (e.g. 'spacing') that applies to paragraph `p`."""
        direct = p.find(f"{w('pPr')}/{w(tag)}")
        if direct is not None:
            return direct
        pstyle = p.find(f"{w('pPr')}/{w('pStyle')}")
        for s in self._chain(pstyle.get(w("val")) if pstyle is not None else None):
            el = s.find(f"{w('pPr')}/{w(tag)}")
            if el is not None:
                return el
        return None


@dataclass
class ScriptFonts:
    """What `script_fonts` found: the runs that break the rule, and how many runs it read."""

    problems: list[str]
    runs: int
    latin_runs: int


def script_fonts(root: etree._Element, styles: StyleSheet, cjk_fonts: set[str]) -> ScriptFonts:
    """Check every text run under `root` against the project's font rule: a run holding Latin
    letters or digits holds nothing else and resolves to Times New Roman (ascii, hAnsi); any other
    run (CJK text and punctuation, “ ” — … ☑ included) names one of `cjk_fonts` in every slot."""
    from generator.word.blocks import is_latin

    found = ScriptFonts([], 0, 0)
    for p in root.iter(w("p")):
        for r in p.iter(w("r")):
            run_text = text(r)  # word joiners (no glyph, either font) are not text of a script
            if not run_text.strip():
                continue
            fonts = styles.run_fonts(p, r)
            found.runs += 1
            if any(is_latin(ch) and not ch.isspace() for ch in run_text):
                found.latin_runs += 1
                if not all(is_latin(ch) or ch.isspace() for ch in run_text):
                    found.problems.append(f"{run_text!r}: Latin and CJK text in one run")
                if (fonts["ascii"], fonts["hAnsi"]) != ("Times New Roman", "Times New Roman") or fonts["eastAsia"] not in cjk_fonts:
                    found.problems.append(f"{run_text!r}: Latin run in {fonts}")
            elif len(set(fonts.values())) != 1 or fonts["eastAsia"] not in cjk_fonts:
                found.problems.append(f"{run_text!r}: CJK run in {fonts}")
    return found


class WordDocument:
    """A rendered .docx, parsed for tests: its package, body and styles, paragraphs by style name."""

    def __init__(self, path: Path):
        self.path = path
        self.pkg = Package.read(path)
        self.doc = self.pkg.xml["word/document.xml"]
        self.body = self.doc.find(w("body"))
        self.styles = StyleSheet(self.pkg.xml["word/styles.xml"])

    def sid(self, name: str) -> str:
        """The id of the style called `name`."""
        return self.styles.style_id(name)

    def paragraphs(self, style: str | None = None) -> list[etree._Element]:
        """Every paragraph of the body (tables included), or those of style `style`."""
        ps = list(self.body.iter(w("p")))
        if style is None:
            return ps
        sid = self.sid(style)
        return [p for p in ps if _pstyle(p) == sid]

    def texts(self, style: str) -> list[str]:
        """The text of each paragraph of style `style`."""
        return [text(p) for p in self.paragraphs(style)]


def _pstyle(p: etree._Element) -> str | None:
    el = p.find(f"{w('pPr')}/{w('pStyle')}")
    return None if el is None else el.get(w("val"))


def text(el: etree._Element) -> str:
    """The text of an element as printed (its w:t, in order), without the U+2060 word joiners
    that keep phone numbers, dates and figures with units on one line (generator/core/nobreak.py)."""
    return "".join(t.text or "" for t in el.iter(w("t"))).replace("\u2060", "")
