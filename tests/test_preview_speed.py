"""What makes a preview rebuild fast, checked by what it produces, never by timings: templates
compiled once, only the document a save feeds rendered and converted, pages pictured in the order
a user sees them."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest

from generator.check.validate import check_content
from generator.pipeline import render_documents
from generator.word.documents import RECOMMENDATION
from tests.preview_process import append_line

REC_MD = "推荐书/4-建设规划.md"


def _body_text(docx: Path) -> str:
    with zipfile.ZipFile(io.BytesIO(docx.read_bytes())) as zf:
        return zf.read("word/document.xml").decode("utf-8")


def test_a_template_is_compiled_once_and_every_render_still_prints_its_own_content(
    content_copy: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    root = content_copy()
    _report, app = check_content(root)
    render_documents(app, tmp_path / "a", (RECOMMENDATION,))  # compiles what this process had not yet

    compiled: list[str] = []
    original = jinja2.Environment.compile

    def counting(self, source, *args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append(str(source)[:40])
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    append_line(root, REC_MD, "第二次渲染新增的句子：长江索道。")
    _report, app = check_content(root)
    (second,) = render_documents(app, tmp_path / "b", (RECOMMENDATION,))
    assert compiled == []  # the same template: nothing compiled again
    assert "第二次渲染新增的句子：长江索道。" in _body_text(second)
    (first,) = list((tmp_path / "a").glob("*.docx"))
    assert "长江索道" not in _body_text(first)
