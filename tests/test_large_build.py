"""The example and the large application (60 firms, 70-character names, every text at its limit) build clean.

Issue 9's bar for submission-grade documents, on content much larger than the example: no character
lost between the .docx and the PDF, no layout warning, each cover on one page, a summary table that
continues page after page with its title and header, page numbers on every numbered page of both
documents.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.pdf.reader import read_pdf
from generator.pipeline import BuildResult, build
from tests.large_app import LEAD_ENTERPRISES, LEAD_SCHOOLS, NAME, make_large_application

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def large_build(tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> tuple[Path, BuildResult]:
    root = make_large_application(tmp_path_factory.mktemp("large") / "content")
    out = tmp_path_factory.mktemp("large-build")
    return out, build(root, out, pdf=True)


def _squash(text: str) -> str:
    return re.sub(r"[\s\u2060]+", "", text)


def _pdf(out: Path, doc: str) -> Path:
    return next(out.glob(f"*-{doc}.pdf"))


def test_no_character_is_lost_or_added(large_build: tuple[Path, BuildResult]) -> None:
    _out, result = large_build
    readback = [d.render() for d in result.report.diagnostics if d.code.startswith("readback")]
    assert readback == []


def test_no_layout_warning(large_build: tuple[Path, BuildResult]) -> None:
    _out, result = large_build
    layout = [d.render() for d in result.report.diagnostics if d.code.startswith("layout")]
    assert layout == []


@pytest.mark.parametrize("doc", ["建设方案", "推荐书"])
def test_each_cover_fits_its_first_page_with_every_lead_unit_on_it(large_build: tuple[Path, BuildResult], doc: str) -> None:
    out, _result = large_build
    info = read_pdf(_pdf(out, doc))
    cover, after = _squash(info.page_texts[0]), _squash(info.page_texts[1])
    for name in (NAME, *LEAD_ENTERPRISES, *LEAD_SCHOOLS):
        assert _squash(name) in cover, name
    assert "公章" not in after
    # One （公章） per lead unit and one for the district (and the park, which this application names).
    assert cover.count("（公章）") >= len(LEAD_ENTERPRISES) + len(LEAD_SCHOOLS) + 1


def test_the_summary_table_continues_with_its_title_and_header_on_every_landscape_page(large_build: tuple[Path, BuildResult]) -> None:
    out, _result = large_build
    info = read_pdf(_pdf(out, "建设方案"))
    landscape = [n for n, (w, h) in enumerate(info.page_sizes) if w > h]
    assert landscape == list(range(landscape[0], landscape[0] + len(landscape)))  # one run of pages
    texts = [_squash(info.page_texts[n]) for n in landscape]
    assert "表重庆市市域产教联合体建设方案" in texts[0]
    assert all("（续）" in t for t in texts[1:])
    assert all("参与单位" in t and "序号" in t for t in texts)
    # Every lead enterprise and lead school is printed in the table, each name whole on some page.
    joined = "".join(texts)
    assert all(_squash(name) in joined for name in (*LEAD_ENTERPRISES, NAME[:8]))


@pytest.mark.parametrize("doc", ["建设方案", "推荐书"])
def test_every_page_after_the_front_matter_prints_its_number(large_build: tuple[Path, BuildResult], doc: str) -> None:
    out, result = large_build
    info = read_pdf(_pdf(out, doc))
    numbered = [int(found[-1]) for t in info.page_texts if (found := re.findall(r"[—–]\s*(\d+)\s*[—–]", t))]
    assert numbered, doc
    assert numbered == list(range(1, len(numbered) + 1))
    assert len(numbered) >= info.page_count - 2


def test_the_example_reads_back_whole_with_no_layout_warning(example_build: tuple[Path, BuildResult]) -> None:
    _out, result = example_build
    found = [d.render() for d in result.report.diagnostics if d.code.startswith(("readback", "layout"))]
    assert found == []
    assert result.exit_code == 0
