"""What a build does to go faster, and that it changes nothing: it reads each PDF it makes once
(what it then finds is what a fresh read finds), and it assembles the package while the 自评表
converts, keeping it only when the build has no errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE


def test_each_pdf_is_read_once_per_build(tmp_path: Path, libreoffice: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read-back, the layout report and the 自评表's page map share one extraction per PDF."""
    import generator.pdf.reader as reader
    from generator.pipeline import build

    real = reader.read_printed_text
    opened: list[str] = []

    def counting(path: Path, **kwargs: bool) -> reader.PrintedText:
        opened.append(path.name)
        return real(path, **kwargs)

    monkeypatch.setattr(reader, "read_printed_text", counting)
    monkeypatch.setattr("generator.pdf.readback.read_printed_text", counting)
    monkeypatch.setattr("generator.pdf.pagemap.read_printed_text", counting)
    root = tmp_path / "content"
    shutil.copytree(EXAMPLE, root)
    result = build(root, tmp_path / "out", pdf=True)
    pdfs = sorted(r.pdf.name for r in result.documents if r.pdf is not None)
    assert len(pdfs) == 3  # 建设方案, 推荐书, 自评表
    assert sorted(opened) == pdfs
    assert result.evidence_pages  # the example's tags were found, from the read-back's pages
    assert all(page > 0 for _doc, page in result.evidence_pages.values())


def test_page_map_from_the_read_back_equals_a_fresh_read(example_build: tuple[Path, object]) -> None:
    """The pages the read-back kept give every anchor the page a new read of the PDF gives."""
    from generator.pdf.layout import inspect_pdf
    from generator.pdf.pagemap import page_map, printed_pages
    from generator.pdf.reader import read_printed_text

    out, _result = example_build
    for pdf in sorted(out.glob("*.pdf")):
        docx = pdf.with_suffix(".docx")
        if not docx.is_file():
            continue  # the package
        kept = inspect_pdf(pdf.stem, docx, pdf).printed
        fresh = read_printed_text(pdf, images=False).pages
        assert page_map(kept) == page_map(fresh)
        text = page_map(fresh).text
        anchors = [text[n : n + 16] for n in range(0, len(text), 97)]  # spread over every page
        found = printed_pages(pdf, anchors)
        assert printed_pages(pdf, anchors, kept) == found
        assert sum(p is not None for p in found) > len(found) // 2  # most pages print a number: a real comparison


def _spy_package_and_conversions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Events in order: 'package' when a package is assembled, 'converted <name>' per PDF made."""
    import generator.pdf.convert as convert
    import generator.pdf.reader as reader

    events: list[str] = []
    real_assemble, real_convert = reader.assemble_package, convert.convert_to_pdf

    def assemble(*args: object, **kwargs: object) -> None:
        events.append("package")
        real_assemble(*args, **kwargs)  # type: ignore[arg-type]

    def converting(docx_paths: list[Path], out_dir: Path, **kwargs: object) -> list[Path]:
        made = real_convert(docx_paths, out_dir, **kwargs)  # type: ignore[arg-type]
        events.extend(f"converted {p.stem}" for p in docx_paths)
        return made

    monkeypatch.setattr(reader, "assemble_package", assemble)
    monkeypatch.setattr(convert, "convert_to_pdf", converting)
    return events


def test_the_package_is_assembled_while_the_self_assessment_converts(tmp_path: Path, libreoffice: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.pdf.reader import read_pdf
    from generator.pipeline import build

    events = _spy_package_and_conversions(monkeypatch)
    root = tmp_path / "content"
    shutil.copytree(EXAMPLE, root)
    lines: list[str] = []
    result = build(root, tmp_path / "out", pdf=True, progress=lines.append)
    assert result.exit_code == 0 and result.package is not None
    # the terminal says it once, when it is kept: after the 自评表's conversion was announced
    assert lines.count("合成申报材料 PDF…") == 1
    assert lines.index("合成申报材料 PDF…") > max(n for n, line in enumerate(lines) if line.startswith("转换为 PDF") and "自评表" in line)
    last = max(n for n, e in enumerate(events) if e.startswith("converted") and "自评表" in e)
    assert events.count("package") == 1 and events.index("package") < last  # before the 自评表's PDF was back
    info = read_pdf(result.package)
    titles = [b.title for b in info.outline if b.level == 0]
    assert titles[:2] == ["建设方案", "推荐书"] and "自评表" not in titles
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.suffix == ".pdf") == sorted(
        [*(r.pdf.name for r in result.documents if r.pdf is not None), result.package.name]
    )


def test_an_error_found_after_the_package_was_assembled_keeps_it_out(tmp_path: Path, libreoffice: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page limit is checked after the 自评表's read-back: the package made ahead is dropped."""
    from generator.pipeline import build

    events = _spy_package_and_conversions(monkeypatch)
    root = tmp_path / "content"
    shutil.copytree(EXAMPLE, root)
    project = root / "项目.yaml"
    project.write_text(project.read_text(encoding="utf-8").replace("页数限制:\n  建设方案:\n", "页数限制:\n  建设方案: 5\n"), encoding="utf-8")
    out = tmp_path / "out"
    lines: list[str] = []
    result = build(root, out, pdf=True, progress=lines.append)
    assert "package" in events  # it was made ahead (the limit is not known to be exceeded then)
    assert "合成申报材料 PDF…" not in lines  # the terminal does not announce a package it drops
    assert result.exit_code == 1 and result.package is None
    assert not any("申报材料" in p.name for p in out.iterdir())
    assert "未合成申报材料 PDF" in (out / "检查报告.txt").read_text(encoding="utf-8")


def test_the_last_pdf_of_the_first_phase_is_compared_while_the_self_assessment_converts(
    tmp_path: Path, libreoffice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 自评表 needs only the pages of the 建设方案 and the 推荐书: the comparison of the PDF
    that came last waits for the 自评表's conversion, and the report is the same."""
    import generator.pdf.convert as convert
    import generator.pdf.layout as layout
    from generator.pipeline import build

    events: list[str] = []
    real_convert, real_inspect = convert.convert_to_pdf, layout.inspect_pdf

    def converting(docx_paths: list[Path], out_dir: Path, **kwargs: object) -> list[Path]:
        names = "+".join(sorted(p.stem.rsplit("-", 1)[-1] for p in docx_paths))
        events.append(f"start {names}")
        made = real_convert(docx_paths, out_dir, **kwargs)  # type: ignore[arg-type]
        events.append(f"end {names}")
        return made

    def inspecting(title: str, *args: object) -> object:
        events.append(f"inspect {title}")
        return real_inspect(title, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(convert, "convert_to_pdf", converting)
    monkeypatch.setattr(layout, "inspect_pdf", inspecting)
    root = tmp_path / "content"
    shutil.copytree(EXAMPLE, root)
    result = build(root, tmp_path / "out", pdf=True)
    assert result.exit_code == 0
    first, second = events.index("start 建设方案+推荐书"), events.index("start 自评表")
    during = events[second : events.index("end 自评表")]
    assert len([e for e in events[first:second] if e.startswith("inspect")]) == 1
    assert len([e for e in during if e.startswith("inspect")]) == 2  # the one left, then the 自评表's own
    assert sorted(e for e in events if e.startswith("inspect")) == sorted(["inspect 推荐书", "inspect 建设方案", "inspect 自评表"])
    # every document read back, measured and its pages known as before
    for r in result.documents:
        assert r.inspection is not None and r.pages > 0 and r.fonts
    plan = next(r for r in result.documents if r.doc.id == "plan")
    assert plan.numbered_from >= 1  # the cover prints no number: read from the deferred read-back too
