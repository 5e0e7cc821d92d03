"""A .docx as parts in memory: the main document, its relationships, and blocks (with their images) from another."""

from __future__ import annotations

import copy
import hashlib
import io
import posixpath
import zipfile

from lxml import etree

from generator.errors import ToolError
from generator.i18n import _
from generator.word.ooxml import CT_NS, PKG_RELS, R_NS, W14_NS, R, w

_OFFICE_DOCUMENT = f"{R_NS}/officeDocument"
_CONTENT_TYPES = "[Content_Types].xml"
#: Annotations that belong to the source document's own bookkeeping and would clash with ours.
_DROPPED_IN_COPIES = frozenset(
    w(n)
    for n in ("bookmarkStart", "bookmarkEnd", "commentRangeStart", "commentRangeEnd", "commentReference", "permStart", "permEnd", "proofErr")
)
_NOTE_REFERENCES = {w("footnoteReference"): "footnotes", w("endnoteReference"): "endnotes"}


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


class Package:
    """The parts of one .docx, with the main document and its relationships parsed."""

    def __init__(self, data: bytes, label: str = ""):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                self.parts = {n: zf.read(n) for n in zf.namelist()}
            root_rels = etree.fromstring(self.parts["_rels/.rels"])
            main = next(r.get("Target", "") for r in root_rels if r.get("Type") == _OFFICE_DOCUMENT)
            self.doc_name = main.lstrip("/")
            self.document = etree.fromstring(self.parts[self.doc_name])
            folder, base = posixpath.split(self.doc_name)
            self.rels_name = posixpath.join(folder, "_rels", f"{base}.rels")
            self.rels = etree.fromstring(self.parts[self.rels_name]) if self.rels_name in self.parts else etree.Element(f"{{{PKG_RELS}}}Relationships")
            self.types = etree.fromstring(self.parts[_CONTENT_TYPES])
        except (KeyError, StopIteration, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
            raise ToolError(_("无法读取 Word 文档 {label}：{reason}").format(label=label, reason=exc)) from exc
        self._hashes: dict[str, str] = {}
        self._numbering = self._ids("numbering", "num", "numId")
        self._notes = {kind: self._ids(kind, kind[:-1], "id") for kind in ("footnotes", "endnotes")}

    def _ids(self, part: str, tag: str, attr: str) -> set[str]:
        payload = self.parts.get(f"word/{part}.xml")
        return {el.get(w(attr), "") for el in etree.fromstring(payload).iter(w(tag))} if payload else set()

    # -- relationships ---------------------------------------------------------------------

    def relationship(self, rid: str) -> etree._Element | None:
        """The main document's relationship `rid`, if any."""
        return next((r for r in self.rels if r.get("Id") == rid), None)

    def part_of(self, rel: etree._Element) -> str | None:
        """The part an internal relationship points at (None for external targets)."""
        if rel.get("TargetMode") == "External":
            return None
        target = rel.get("Target", "")
        if target.startswith("/"):
            return target.lstrip("/")
        return posixpath.normpath(posixpath.join(posixpath.dirname(self.doc_name), target))

    def target_hash(self, rid: str) -> str:
        """A short hash of what relationship `rid` points at (an image's bytes), for comparing."""
        if rid not in self._hashes:
            rel = self.relationship(rid)
            name = self.part_of(rel) if rel is not None else None
            payload = self.parts.get(name, b"") if name else (rel.get("Target", "") if rel is not None else "").encode()
            self._hashes[rid] = hashlib.sha256(payload).hexdigest()[:16]
        return self._hashes[rid]

    def _add_relationship(self, type_: str, target: str, external: bool) -> str:
        for rel in self.rels:
            if rel.get("Type") == type_ and rel.get("Target") == target and (rel.get("TargetMode") == "External") == external:
                return rel.get("Id", "")
        taken = {r.get("Id") for r in self.rels}
        n = 1
        while f"rIdRedline{n}" in taken:
            n += 1
        rid = f"rIdRedline{n}"
        attrs = {"Id": rid, "Type": type_, "Target": target}
        if external:
            attrs["TargetMode"] = "External"
        etree.SubElement(self.rels, f"{{{PKG_RELS}}}Relationship", attrs)
        return rid

    def _content_type(self, part: str) -> str | None:
        for o in self.types:
            if o.get("PartName") == f"/{part}":
                return o.get("ContentType")
        ext = posixpath.splitext(part)[1].lstrip(".").lower()
        for d in self.types:
            if d.get("Extension", "").lower() == ext and d.get("Extension") is not None:
                return d.get("ContentType")
        return None

    def adopt(self, other: Package, rid: str) -> str | None:
        """Make `other`'s relationship `rid` (an image, a link) exist here; its id here, or None."""
        rel = other.relationship(rid)
        if rel is None:
            return None
        type_ = rel.get("Type", "")
        source = other.part_of(rel)
        if source is None:
            return self._add_relationship(type_, rel.get("Target", ""), external=True)
        payload = other.parts.get(source)
        content_type = other._content_type(source)
        if payload is None or content_type is None or source.endswith(".xml"):
            return None  # only leaf parts such as images travel; XML parts have their own links
        name = next((n for n, data in self.parts.items() if data == payload), None)
        if name is None:
            ext = posixpath.splitext(source)[1]
            name = f"word/media/redline-{hashlib.sha256(payload).hexdigest()[:12]}{ext}"
            self.parts[name] = payload
            if self._content_type(name) != content_type:
                etree.SubElement(self.types, f"{{{CT_NS}}}Override", {"PartName": f"/{name}", "ContentType": content_type})
        target = posixpath.relpath(name, posixpath.dirname(self.doc_name))
        return self._add_relationship(type_, target, external=False)

    # -- blocks from another document -----------------------------------------------------

    def import_block(self, other: Package, block: etree._Element) -> etree._Element:
        """A deep copy of `other`'s paragraph or table, made safe to live in this document."""
        el = copy.deepcopy(block)
        for node in [n for n in el.iter() if isinstance(n.tag, str) and self._foreign(n)]:
            node.getparent().remove(node)
        for node in [n for n in el.iter() if isinstance(n.tag, str)]:
            for attr in [a for a in node.attrib if a.startswith(f"{{{W14_NS}}}")]:
                del node.attrib[attr]  # paragraph ids must stay unique here
            for attr, rid in [(a, v) for a, v in node.attrib.items() if a.startswith(f"{{{R_NS}}}")]:
                new = self.adopt(other, rid)
                if new is not None:
                    node.set(attr, new)
                    continue
                # A part that cannot travel (a chart, an embedded object): its run goes, with no
                # text in it, rather than a link into nothing.
                gone = next(node.iterancestors(R), node)
                if gone is not el and gone.getparent() is not None:
                    gone.getparent().remove(gone)
                break
        return el

    def _foreign(self, node: etree._Element) -> bool:
        """True for what in another document's block points into that document's own
        bookkeeping and has no place here."""
        parent = node.getparent()
        if parent is None or node.tag in _DROPPED_IN_COPIES:
            return parent is not None
        if node.tag == w("sectPr"):
            return parent.tag == w("pPr")  # a section break: links to its headers, its page layout
        if node.tag in _NOTE_REFERENCES:
            return node.get(w("id")) not in self._notes[_NOTE_REFERENCES[node.tag]]
        if node.tag == w("numPr"):
            num = node.find(w("numId"))
            val = num.get(w("val")) if num is not None else None
            return val is not None and val != "0" and val not in self._numbering
        return False

    # -- writing ---------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The package with the parsed parts written back (members in their original order)."""
        self.parts[self.doc_name] = _xml(self.document)
        self.parts[self.rels_name] = _xml(self.rels)
        self.parts[_CONTENT_TYPES] = _xml(self.types)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, payload in self.parts.items():
                zf.writestr(name, payload)
        return out.getvalue()
