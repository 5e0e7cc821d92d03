"""Whatever a drafting team types, `check` and `build --no-pdf` answer with diagnostics or a clear
error, never an internal error (a non-ChanjiaoError exception: exit code 3 with 内部错误).

hypothesis drives YAML values, keys and nesting, Markdown with character references and control
characters, and file names through the real loaders, rules, report writers and renderer on a
copy of the example; a failure shrinks to the smallest input that still fails.

How many cases: `HYPOTHESIS_PROFILE` (dev, ci, long); under `CI=true` the default is `ci`
(1,020 checks and 34 builds: 85 s, 73 s of CPU, on the shared 2-core machine).
`HYPOTHESIS_PROFILE=long` runs 15 times as many.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLE, FUZZ
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from generator.check.report import (
    render_build_json,
    render_build_text,
    render_report_json,
    render_report_text,
)
from generator.check.validate import Report, check_content
from generator.core.buildcache import inputs_fingerprint
from generator.core.counting import count_words
from generator.errors import ChanjiaoError

#: A build costs ten checks: the build fuzz runs a fifth as many cases.
BUILD_EXAMPLES = max(5, FUZZ.max_examples // 5)

YAML_FILES = sorted(p.relative_to(EXAMPLE).as_posix() for p in EXAMPLE.rglob("*.yaml"))
MD_FILES = sorted(p.relative_to(EXAMPLE).as_posix() for p in EXAMPLE.rglob("*.md"))
_KEY_LINE = re.compile(r"^(\s*(?:- )?)([^#\s:][^:\n]*):(?:[ \t]+(.*))?$")

# -- strategies ------------------------------------------------------------------------------

_CONTROL = st.sampled_from(["\x00", "\x07", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\u2028", "\ufeff", "\ufffe"])
_ALPHABET = st.one_of(
    st.sampled_from(list(":-{}[],'\"#&*!|>%@`?\\ \t\n") + list("联合体名称共建专业年万元％。，、“”镕堃喆昇㎡") + list("0123456789.eE+")),
    _CONTROL,
    st.characters(exclude_categories=("Cs",)),
)
_TEXT = st.text(alphabet=_ALPHABET, max_size=60)
_ESCAPES = st.sampled_from(["\\0", "\\f", "\\x0c", "\\ud800", "\\U0010FFFF", "\\N", "\\_", "\\L", "\\e", "\\u00e9", "\\x85"])
_SCALAR = st.one_of(
    _TEXT,
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats().map(repr),
    st.builds(lambda a, b: f"{a}.{b}", st.text("0123456789", min_size=1, max_size=400), st.text("0123456789", min_size=1, max_size=5)),
    st.builds(lambda y, m, d: f"{y}-{m}-{d}", st.integers(-1, 99999), st.integers(-1, 13), st.integers(-1, 32)),
    st.builds(lambda parts: '"' + "".join(parts) + '"', st.lists(st.one_of(_ESCAPES, _TEXT.map(lambda t: t.replace('"', "").replace("\\", ""))), max_size=4)),
    st.sampled_from(
        ["~", "null", "是", "否", "园区牵头", "企业牵头", "[]", "{}", "&a x", "*a", "!!python/object:os.system", "!!binary aGk=",
         "!custom x", "|", ">-", "- x", "? x", "---", "...", "@x", "`x", "96.5%", "1,000", "'1'", "0x1F", "1e999", "-0", ".inf"]
    ),
)


@st.composite
def _nested(draw: st.DrawFn) -> str:
    """A flow-style YAML value: lists and mappings inside each other, sometimes very deep."""
    if draw(st.booleans()):
        depth = draw(st.integers(1, 80))
        return "[" * depth + draw(_SCALAR.filter(lambda s: "\n" not in s)) + "]" * depth
    tree = draw(
        st.recursive(
            _SCALAR.filter(lambda s: "\n" not in s).map(lambda s: s.replace(",", " ")),
            lambda children: st.one_of(
                st.lists(children, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
                st.lists(st.tuples(_TEXT.filter(lambda s: "\n" not in s), children), max_size=4).map(
                    lambda kvs: "{" + ", ".join(f"{k}: {v}" for k, v in kvs) + "}"
                ),
            ),
            max_leaves=12,
        )
    )
    return tree


_PATH = st.one_of(
    _TEXT,
    st.sampled_from(["图片/组织架构图.png", "../项目.yaml", "/etc/passwd", "C:\\x.png", "http://x/y.png", "file:///etc/passwd", "图片", ".", "", "%00.png", "a%2F..%2F..%2Fetc", "长" * 100 + ".png", "图片/../../x.png"]),
)
_MD_FRAGMENT = st.one_of(
    st.text(max_size=20),
    _CONTROL,
    st.integers(0, 0x11FFFF).map(lambda n: f"&#{n};"),
    st.integers(0, 0x11FFFF).map(lambda n: f"&#x{n:X};"),
    st.sampled_from(["&amp;", "&NewLine;", "&nbsp;", "&Tab;", "&#;", "&#x;", "&#99999999;", "\\&#12;"]),
    st.sampled_from(["\n", "\n\n", "# ", "## ", "#### ", "**", "*", "_", "`", "```\n", "    ", "> ", "1. ", "- ", "---\n", "| a | b |\n|---|---|\n| 1 | 2 |\n",
                     "<!-- ", " -->", "<b>", "</div>", "<br>", "[链接](http://x)", "\\", "  \n", "镕堃喆昇", "㎡", "😀", "\u200b", "一、", "（一）"]),
    _PATH.map(lambda p: f"\n\n![图题]({p})\n\n"),
)
_MARKDOWN = st.lists(_MD_FRAGMENT, max_size=30).map("".join)
# For the build: what check lets through (no control characters, references Word can hold, the
# example's own picture), so that most cases get as far as rendering.
_PRINTABLE = st.characters(exclude_categories=("Cs", "Cc", "Co", "Cn"))
_MD_BUILD_FRAGMENT = st.one_of(
    st.text(alphabet=_PRINTABLE, max_size=20),
    st.integers(0x20, 0x10FFFF).filter(lambda n: n < 0x7F or n > 0x9F).filter(lambda n: not 0xD800 <= n <= 0xDFFF).map(lambda n: f"&#{n};"),
    _MD_FRAGMENT.filter(lambda f: "![" not in f and not any(c in f for c in "\x00\x07\x0b\x0c\x1b\x7f\ufffe") and "&#" not in f),
)
_MARKDOWN_BUILD = st.lists(_MD_BUILD_FRAGMENT, max_size=30).map("".join)


# -- the harness -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the example per module; each case edits files and puts them back."""
    root = tmp_path_factory.mktemp("fuzz") / "content"
    shutil.copytree(EXAMPLE, root)
    return root


class _Edits:
    """Files changed for one case, restored afterwards so the next case starts from the example."""

    def __init__(self, root: Path):
        self.root = root
        self.saved: dict[Path, bytes | None] = {}

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        if path not in self.saved:
            self.saved[path] = path.read_bytes() if path.exists() else None
        path.write_bytes(text.encode("utf-8", "surrogatepass"))

    def restore(self) -> None:
        for path, data in self.saved.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(data)


@contextlib.contextmanager
def _edit(root: Path) -> Iterator[_Edits]:
    edits = _Edits(root)
    try:
        yield edits
    finally:
        edits.restore()


def _checked(root: Path) -> Report | None:
    """check_content as the CLI runs it, through both report writers; None for a clear error."""
    try:
        report, _app = check_content(root)
    except ChanjiaoError:
        return None
    for d in report.diagnostics:
        assert d.location.path and d.message
        d.render().encode("utf-8")  # printable: no lone surrogates reach the terminal
    render_report_text(report).encode("utf-8")
    render_report_json(report).encode("utf-8")
    return report


def _built(root: Path, out: Path) -> None:
    """build --no-pdf as the CLI runs it (fingerprint, build, reports); every .docx reads back."""
    from generator.pipeline import build

    inputs_fingerprint(root, out, EXAMPLE.parent / "templates", {"pdf": False})
    try:
        result = build(root, out, pdf=False)
    except ChanjiaoError:
        return
    render_build_text(result).encode("utf-8")
    render_build_json(result).encode("utf-8")
    for r in result.documents if result.rendered else ():
        with zipfile.ZipFile(r.docx) as zf:
            etree.fromstring(zf.read("word/document.xml"))


def _replace_line(text: str, index: int, make: Callable[[str, str, str], str]) -> str:
    lines = text.split("\n")
    candidates = [n for n, line in enumerate(lines) if _KEY_LINE.match(line)]
    n = candidates[index % len(candidates)]
    m = _KEY_LINE.match(lines[n])
    assert m is not None
    lines[n] = make(m.group(1), m.group(2), m.group(3) or "")
    return "\n".join(lines)


# -- check -----------------------------------------------------------------------------------


def _check_with_line(root: Path, rel: str, line: int, new_line: Callable[[str, str, str], str]) -> None:
    """Check `root` with line `line` of `rel` rewritten by `new_line(indent, key, old_value)`."""
    with _edit(root) as edits:
        edits.write(rel, _replace_line((root / rel).read_text(encoding="utf-8"), line, new_line))
        _checked(root)


@FUZZ
@given(rel=st.sampled_from(YAML_FILES), text=st.text(alphabet=_ALPHABET, max_size=400))
def test_any_yaml_file_gives_diagnostics(fuzz_root: Path, rel: str, text: str) -> None:
    with _edit(fuzz_root) as edits:
        edits.write(rel, text)
        _checked(fuzz_root)


@FUZZ
@given(rel=st.sampled_from(YAML_FILES), line=st.integers(0, 500), value=_SCALAR)
def test_any_value_of_any_field(fuzz_root: Path, rel: str, line: int, value: str) -> None:
    _check_with_line(fuzz_root, rel, line, lambda indent, key, _old: f"{indent}{key}: {value}")


@FUZZ
@given(rel=st.sampled_from(YAML_FILES), line=st.integers(0, 500), key=_SCALAR)
def test_any_key(fuzz_root: Path, rel: str, line: int, key: str) -> None:
    _check_with_line(fuzz_root, rel, line, lambda indent, _key, old: f"{indent}{key}: {old}")


@FUZZ
@given(rel=st.sampled_from(YAML_FILES), line=st.integers(0, 500), value=_nested())
def test_any_nesting(fuzz_root: Path, rel: str, line: int, value: str) -> None:
    _check_with_line(fuzz_root, rel, line, lambda indent, key, _old: f"{indent}{key}: {value}")


@FUZZ
@given(rel=st.sampled_from(MD_FILES), text=_MARKDOWN)
def test_any_markdown(fuzz_root: Path, rel: str, text: str) -> None:
    with _edit(fuzz_root) as edits:
        edits.write(rel, text)
        _checked(fuzz_root)


@FUZZ
@given(name=_TEXT.filter(lambda s: s.strip(" .") and "/" not in s and "\x00" not in s), ref=st.booleans(), kind=st.sampled_from(["png", "pdf", "junk", "dir", "fifo", "link"]))
def test_any_file_name_as_attachment(fuzz_root: Path, name: str, ref: bool, kind: str) -> None:
    folder = fuzz_root / "附件"
    path = folder / name
    try:
        if path.exists() or path.is_symlink():
            return
        if kind == "png":
            shutil.copyfile(EXAMPLE / "附件/活动照片.png", path)
        elif kind == "pdf":
            shutil.copyfile(EXAMPLE / "附件/配套政策.pdf", path)
        elif kind == "junk":
            path.write_bytes(b"%PDF-1.4\n" + name.encode("utf-8", "surrogatepass"))
        elif kind == "dir":
            path.mkdir()
        elif kind == "fifo":
            os.mkfifo(path)
        else:
            path.symlink_to("/dev/zero")
    except (OSError, UnicodeEncodeError):
        return  # a name this file system will not take is not content anyone can have
    try:
        with _edit(fuzz_root) as edits:
            listed = name if ref else f"../附件/{name}"
            quoted = '"' + listed.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'
            edits.write("附件/清单.yaml", f"附件:\n  - 名称: 证明\n    文件: {quoted}\n")
            _checked(fuzz_root)
            inputs_fingerprint(fuzz_root, fuzz_root.parent / "out", EXAMPLE.parent / "templates", {})
    finally:
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink(missing_ok=True)


# -- build --no-pdf --------------------------------------------------------------------------


@settings(FUZZ, max_examples=BUILD_EXAMPLES)
@given(
    md=st.sampled_from(MD_FILES), text=_MARKDOWN_BUILD, picture=st.booleans(),
    rel=st.sampled_from(YAML_FILES), line=st.integers(0, 500), value=st.one_of(st.none(), st.none(), st.none(), _SCALAR),
)
def test_build_of_any_markdown_and_value(fuzz_root: Path, md: str, text: str, picture: bool, rel: str, line: int, value: str | None) -> None:
    with _edit(fuzz_root) as edits:
        # Added to the part (its required text and fixed headings stay), so most cases render.
        shown = "\n\n![图题](图片/组织架构图.png)\n\n" if picture and md.startswith("建设方案/") else ""
        edits.write(md, (fuzz_root / md).read_text(encoding="utf-8") + "\n\n" + text + shown)
        if value is not None:
            yaml_text = (fuzz_root / rel).read_text(encoding="utf-8")
            edits.write(rel, _replace_line(yaml_text, line, lambda indent, key, _old: f"{indent}{key}: {value}"))
        _built(fuzz_root, fuzz_root.parent / "out")


@FUZZ
@given(text=st.text(max_size=200))
def test_counts_are_consistent(text: str) -> None:
    count = count_words(text)
    assert 0 <= count.words <= count.chars_no_spaces <= len(text)
    # splitting at whitespace never changes the count: words never span spaces
    assert sum(count_words(part).words for part in text.split()) == count.words


_PDF = (EXAMPLE / "附件/配套政策.pdf").read_bytes()


@FUZZ
@given(
    cuts=st.lists(st.tuples(st.integers(0, len(_PDF) - 1), st.binary(max_size=8)), min_size=1, max_size=6),
    keep=st.integers(16, len(_PDF)),
)
def test_any_damaged_pdf_attachment_is_refused_or_sanitised(tmp_path_factory: pytest.TempPathFactory, cuts: list[tuple[int, bytes]], keep: int) -> None:
    from generator.content.attachments import AttachmentProblem, active_content, sanitise_pdf

    data = bytearray(_PDF[:keep])
    for offset, junk in cuts:  # overwrite a few places: xref, object headers, streams, the trailer
        data[offset : offset + len(junk)] = junk
    path = tmp_path_factory.mktemp("pdf") / "附件.pdf"
    path.write_bytes(bytes(data))
    try:
        removed = active_content(path)
        result = sanitise_pdf(path)
    except AttachmentProblem as exc:
        assert str(exc)
        return
    assert result.removed == removed and result.data.startswith(b"%PDF-")
