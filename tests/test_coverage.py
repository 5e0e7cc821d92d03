"""附件2 coverage in `check`, as a user reads it: the 26 items with their evidence, an uncovered point
warned with its official wording, unknown ids at file:line:col, 7.其他's declaration, the JSON, and
the printed page of each tagged place after a build of the same content."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
from conftest import EXAMPLE, ContentCopy, check_output, diagnostic_lines, line_of, squash

from generator.check.validate import check_content
from generator.core.buildcache import EVIDENCE_PAGES, STATE_FILE, evidence_key, sources_digest
from generator.form.declaration import load_form

FORM = load_form()
POINTS = [i for i in FORM.indicators if not i.declaration]
OUTCOMES = "建设方案/5-预期成效与成果.md"
#: A paragraph of exactly 40 字 (Han characters count one each), so its 字数 is known without the counter.
PARAGRAPH = "服务" * 20
TAG_54 = "<!-- 指标: 5.4 -->"
#: Every point, tagged on one paragraph of the outcomes part: the whole form covered.
ALL_TAGGED = f"\n<!-- 指标: {', '.join(i.id for i in POINTS)} -->\n{PARAGRAPH}\n"
SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "docs/output.schema.json").read_text(encoding="utf-8"))


def _append(text: str) -> object:
    return lambda t: t.rstrip("\n") + "\n" + text


_TAG = re.compile(r"<!--\s*指标\s*[:：][^>]*-->")


def _untagged(content_copy: ContentCopy, edits: dict[str, object] | None = None) -> Path:
    """A copy of the example with no tag and no 自评说明 (whether or not the example has them yet),
    then `edits`: each test places exactly the tags it is about."""
    strip = {p.relative_to(EXAMPLE).as_posix(): (lambda t: _TAG.sub("", t)) for p in EXAMPLE.rglob("*.md")}
    content_copy({**strip, "自评.yaml": "近三年重大违法违规事件: 否\n"})
    return content_copy(edits or {})


def _section(output: str) -> list[str]:
    """The coverage section of the terminal report: from its title to the blank line after it."""
    lines = output.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("附件2 观测点覆盖"))
    end = lines.index("", start)
    return lines[start:end]


def _row(section: list[str], label: str) -> list[str]:
    """The cells of the row of point `label` (cells are separated by two spaces or more)."""
    line = next(line for line in section if line.startswith(label + " "))
    return re.split(r"\s{2,}", line.strip())


def _warning_about(output: str, point: str) -> list[str]:
    return [w for w in diagnostic_lines(output, "警告") if f"观测点 {point} " in w]


def test_check_lists_all_26_items_in_order_with_the_declaration_last(content_copy: ContentCopy) -> None:
    code, output = check_output(_untagged(content_copy))
    section = _section(output)
    labels = [line.split()[0] for line in section[3:] if not line.startswith(" ")]
    assert labels == [i.label for i in FORM.indicators] and len(labels) == 26
    assert labels[-1] == "7.其他" and _row(section, "7.其他")[-1] == "声明：否"  # the example declares 否
    # the wording, shortened to the table's width with …, is the official text's start
    wording = _row(section, "3.2")[1]
    assert wording.endswith("…") and FORM.indicator("3.2").text.startswith(wording[:-1])  # type: ignore[union-attr]
    assert code == 0  # uncovered points are warnings


def test_removing_the_only_paragraph_tagged_5_4_warns_with_the_indicators_wording(content_copy: ContentCopy) -> None:
    root = _untagged(content_copy, {OUTCOMES: _append(f"\n{TAG_54}\n{PARAGRAPH}\n")})
    line = line_of(root / OUTCOMES, TAG_54)
    code, output = check_output(root)
    assert _row(_section(output), "5.4")[2:] == ["1", "40", "有回应"]
    section = _section(output)
    evidence = section[section.index(next(x for x in section if x.startswith("5.4 "))) + 1]
    # the paragraph follows the part's last heading (a `#` one): the evidence names that heading
    # with the number the plan prints before it, （五） for the fifth
    headings = [t for t in (root / OUTCOMES).read_text(encoding="utf-8").splitlines() if t.startswith("# ")]
    number = f"（{'一二三四五六七八九'[len(headings) - 1]}）"
    assert evidence.strip() == f"{OUTCOMES}:{line} {number}{headings[-1][2:]} · 40字"
    assert _warning_about(output, "5.4") == []

    (root / OUTCOMES).write_text((root / OUTCOMES).read_text(encoding="utf-8").replace(f"{TAG_54}\n{PARAGRAPH}\n", ""), encoding="utf-8")
    code, output = check_output(root)
    wording = FORM.indicator("5.4").text  # type: ignore[union-attr]
    assert _warning_about(output, "5.4") == [
        f"建设方案/: 警告: 观测点 5.4 尚无正文回应：“{wording}”；在回应它的标题或段落前加一行 <!-- 指标: 5.4 -->"
    ]
    assert _row(_section(output), "5.4")[2:] == ["0", "0", "未回应"]
    assert code == 0


def test_an_uncovered_point_with_a_note_is_warned_at_the_note(content_copy: ContentCopy) -> None:
    root = _untagged(content_copy, {"自评.yaml": "近三年重大违法违规事件: 否\n自评说明:\n  5.4: 联合体服务乡村振兴，成效明显\n"})
    _code, output = check_output(root)
    [warning] = _warning_about(output, "5.4")
    assert warning.startswith(f"自评.yaml:{line_of(root / '自评.yaml', '5.4:')}:")


def test_strict_fails_on_one_uncovered_point_and_passes_when_all_are_covered(content_copy: ContentCopy) -> None:
    root = _untagged(content_copy, {OUTCOMES: _append(ALL_TAGGED)})
    code, output = check_output(root, "--strict")
    assert code == 0, diagnostic_lines(output)
    assert _section(output)[0] == "附件2 观测点覆盖：25/25 个观测点有正文回应"

    (root / OUTCOMES).write_text((root / OUTCOMES).read_text(encoding="utf-8").replace(", 5.4", ""), encoding="utf-8")
    code, output = check_output(root, "--strict")
    assert code == 1 and len(diagnostic_lines(output, "警告")) == 1 and _warning_about(output, "5.4")
    assert _section(output)[0] == "附件2 观测点覆盖：24/25 个观测点有正文回应"
    assert output.rstrip().endswith("未通过（--strict 模式下警告也算失败）：0 个错误，1 个警告")
    code, _output = check_output(root)
    assert code == 0


def test_an_unknown_id_is_an_error_at_its_place_naming_the_closest_ids(content_copy: ContentCopy) -> None:
    root = _untagged(content_copy, {OUTCOMES: _append(f"\n<!-- 指标: 5.4, 3.7 -->\n{PARAGRAPH}\n\n<!-- 指标: 7 -->\n{PARAGRAPH}\n")})
    line = line_of(root / OUTCOMES, "3.7")
    code, output = check_output(root)
    errors = diagnostic_lines(output, "错误")
    assert errors == [
        f"{OUTCOMES}:{line}:15: 错误: 未知的观测点编号“3.7”：附件2 没有这一条；最接近的是 3.5、3.4、3.3",
        f"{OUTCOMES}:{line + 3}:10: 错误: 观测点“7.其他”不由正文回应，不能标注：请在 自评.yaml 的“近三年重大违法违规事件”中声明",
    ]
    assert code == 1
    assert _row(_section(output), "5.4")[2] == "1"  # the valid id of the same tag still counts


@pytest.mark.parametrize(
    ("written", "errors", "warnings", "shown"),
    [
        ("近三年重大违法违规事件: 否\n", [], [], "声明：否"),
        ("近三年重大违法违规事件:\n", ["必填项未填写（附件2“7.其他”须由联合体声明"], [], "声明：未填写"),
        ("近三年重大违法违规事件: 是\n", ["填了“是”，须在“违法违规事件说明”中写明事件及整改情况"], ["两者矛盾"], "声明：是（未写说明）"),
        ("近三年重大违法违规事件: 是\n违法违规事件说明: 2023年某校实训安全事故，已整改\n", [], ["固定印有“产教联合体各成员单位近3年内在招生、就业、安全等领域未发生过违法或重大违规事件。”"], "声明：是：2023年某校实训安全事故，已整改"),
    ],
)
def test_the_7_declaration(content_copy: ContentCopy, written: str, errors: list[str], warnings: list[str], shown: str) -> None:
    root = _untagged(content_copy, {"自评.yaml": written})
    code, output = check_output(root)
    got_errors = diagnostic_lines(output, "错误")
    got_warnings = [w for w in diagnostic_lines(output, "警告") if "观测点" not in w]
    assert len(got_errors) == len(errors) and all(e in g and g.startswith("自评.yaml:1:") for e, g in zip(errors, got_errors, strict=True))
    assert len(got_warnings) == len(warnings) and all(w in g and g.startswith("自评.yaml:1:") for w, g in zip(warnings, got_warnings, strict=True))
    assert _row(_section(output), "7.其他")[-1] == shown
    assert code == (1 if errors else 0)


def test_a_missing_self_assessment_file_says_what_7_needs(content_copy: ContentCopy) -> None:
    code, output = check_output(_untagged(content_copy, {"自评.yaml": None}))
    assert diagnostic_lines(output, "错误") == [
        "自评.yaml: 错误: 缺少文件：自评（自评.yaml）（附件2“7.其他”须由联合体声明：近三年是否发生过重大违法违规事件，填“否”或“是”）"
    ]
    assert code == 1


def test_the_json_coverage(content_copy: ContentCopy) -> None:
    root = _untagged(content_copy, {OUTCOMES: _append(f"\n{TAG_54}\n{PARAGRAPH}\n")})
    code, output = check_output(root, "--format", "json")
    data = json.loads(output)
    jsonschema.validate(data, SCHEMA, cls=jsonschema.Draft202012Validator)
    items = {c["label"]: c for c in data["payload"]["coverage"]}
    assert list(items) == [i.label for i in FORM.indicators]
    point = items["5.4"]
    assert point["covered"] is True and point["chars"] == 40 and point["title"] == FORM.indicator("5.4").text  # type: ignore[union-attr]
    assert point["group"] == "5" and point["group_title"] == FORM.indicator("5.4").group_title  # type: ignore[union-attr]
    [evidence] = point["evidence"]
    assert (evidence["file"], evidence["line"], evidence["column"]) == (OUTCOMES, line_of(root / OUTCOMES, TAG_54), 10)
    assert evidence["part"] == "五、预期成效与成果" and evidence["document"] == "plan" and evidence["chars"] == 40
    assert evidence["heading"] == "标志性成果" and re.fullmatch(r"（[一二三四五六七八九十]+）", evidence["heading_number"])
    assert evidence["page"] is None  # no build yet
    assert items["5.3"]["covered"] is False and items["5.3"]["evidence"] == []
    line = line_of(root / "自评.yaml", "近三年重大违法违规事件:")
    assert items["7.其他"]["declaration"] == {"state": "no", "detail": None, "file": "自评.yaml", "line": line, "column": 14}
    assert all(c["declaration"] is None for label, c in items.items() if label != "7.其他")
    uncovered = [d for d in data["diagnostics"] if d["code"] == "indicator-uncovered"]
    assert len(uncovered) == 24 and "5.4" not in {d["field"] for d in uncovered}
    assert code == 0


def _state(out: Path, root: Path, pages: dict[str, list[object]]) -> None:
    """The state file a build of `root` into `out` writes (buildcache.EVIDENCE_PAGES: the interface)."""
    _report, app = check_content(root)
    out.mkdir(parents=True, exist_ok=True)
    state = {EVIDENCE_PAGES: {"sources": sources_digest(app.sources), "pages": pages}}
    (out / STATE_FILE).write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")


def test_pages_come_from_the_last_build_of_the_same_content(content_copy: ContentCopy, tmp_path: Path) -> None:
    root = _untagged(content_copy, {OUTCOMES: _append(f"\n{TAG_54}\n{PARAGRAPH}\n")})
    key = evidence_key(OUTCOMES, line_of(root / OUTCOMES, TAG_54), 10)
    out = tmp_path / "out"
    _state(out, root, {key: ["建设方案", 17]})

    code, output = check_output(root, "-o", str(out))
    assert [x.strip() for x in _section(output) if x.strip().startswith(OUTCOMES)][0].endswith(" · 40字 · 第17页")
    code, output = check_output(root, "--out", str(out), "--format", "json")
    [evidence] = next(c for c in json.loads(output)["payload"]["coverage"] if c["id"] == "5.4")["evidence"]
    assert evidence["page"] == 17

    # the content changed since: a page number from other content would be wrong, so none is shown
    (root / OUTCOMES).write_text((root / OUTCOMES).read_text(encoding="utf-8") + "\n再补一段。\n", encoding="utf-8")
    code, output = check_output(root, "-o", str(out))
    assert [x.strip() for x in _section(output) if x.strip().startswith(OUTCOMES)][0].endswith(" · 40字")
    # no build folder at all: no pages, no error
    code, output = check_output(root, "-o", str(tmp_path / "none"))
    assert code == 0 and "第17页" not in output


def test_the_example_has_no_unknown_tags() -> None:
    report, _app = check_content(EXAMPLE)
    assert not [d for d in report.diagnostics if d.code == "indicator-unknown"]
    assert len(report.coverage) == 26


def test_the_build_report_shows_the_pages_the_build_read_back(content_copy: ContentCopy) -> None:
    """The build hands its read-back pages over in BuildResult.evidence_pages (evidence_key → (document,
    page)); its terminal report and JSON print them, without reading any state file."""
    from generator.check.report import build_payload, render_build_text
    from generator.check.results import BuildResult

    root = _untagged(content_copy, {OUTCOMES: _append(f"\n{TAG_54}\n{PARAGRAPH}\n")})
    report, _app = check_content(root)
    key = evidence_key(OUTCOMES, line_of(root / OUTCOMES, TAG_54), 10)
    result = BuildResult(report, evidence_pages={key: ("建设方案", 23)})
    assert f"{OUTCOMES}:{line_of(root / OUTCOMES, TAG_54)} " in render_build_text(result)
    assert [x for x in _section(render_build_text(result)) if OUTCOMES in x][0].endswith(" · 40字 · 第23页")
    point = next(c for c in build_payload(result)["coverage"] if c["id"] == "5.4")  # type: ignore[attr-defined]
    assert point["evidence"][0]["page"] == 23
    assert "第23页" not in render_build_text(BuildResult(report))


def test_the_example_covers_every_point_and_removing_its_only_5_4_paragraph_warns(content_copy: ContentCopy) -> None:
    """Issue 14's "done when", on the example itself."""
    root = content_copy()
    report, app = check_content(root)
    if not any(p.tags for p in app.prose.values()):
        pytest.skip("the example's prose is not tagged yet (it is on the branch `example`)")
    code, output = check_output(root, "--strict")
    assert code == 0 and _section(output)[0] == "附件2 观测点覆盖：25/25 个观测点有正文回应", diagnostic_lines(output)

    [evidence] = next(c for c in report.coverage if c.indicator.id == "5.4").evidence
    path = root / evidence.loc.path
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = evidence.loc.line - 1
    assert _TAG.fullmatch(lines[start].strip()) and "5.4" in lines[start]  # a tag on its own line, before its paragraph
    end = next((n for n in range(start + 1, len(lines)) if not lines[n].strip()), len(lines))
    path.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")

    code, output = check_output(root, "--strict")
    [warning] = diagnostic_lines(output, "警告")
    wording = FORM.indicator("5.4").text  # type: ignore[union-attr]
    assert f"警告: 观测点 5.4 尚无正文回应：“{wording}”" in warning
    # the example writes a 自评说明 for 5.4: the warning points there (else at the plan's folder)
    note = line_of(root / "自评.yaml", "5.4:") if "5.4:" in (root / "自评.yaml").read_text(encoding="utf-8") else None
    assert warning.startswith(f"自评.yaml:{note}:" if note else "建设方案/: ")
    assert _row(_section(output), "5.4")[2:] == ["0", "0", "未回应"]
    assert code == 1


def test_a_folder_that_is_not_an_application_gets_no_coverage_section(tmp_path: Path) -> None:
    code, output = check_output(tmp_path)
    assert "附件2" not in output and len(diagnostic_lines(output)) == 1 and code == 1


def test_check_after_a_real_build_shows_the_pages_the_build_read_back(request: pytest.FixtureRequest) -> None:
    """The whole path: `build` reads each tagged place's page back from the PDFs and stores it;
    `check -o` on the same content prints the same pages."""
    import generator.pipeline

    if "EVIDENCE_PAGES" not in Path(generator.pipeline.__file__).read_text(encoding="utf-8"):
        pytest.skip("the build does not record pages yet (it is on the branch `selfdoc`)")
    out, result = request.getfixturevalue("example_build")
    if not any(p.tags for p in check_content(EXAMPLE)[1].prose.values()):
        pytest.skip("the example's prose is not tagged yet (it is on the branch `example`)")
    code, output = check_output(EXAMPLE, "-o", str(out), "--format", "json")
    shown = {
        evidence_key(e["file"], e["line"], e["column"]): e["page"]
        for c in json.loads(output)["payload"]["coverage"]
        for e in c["evidence"]
    }
    assert shown and all(page is not None for page in shown.values())
    assert shown == {k: page for k, (_doc, page) in result.evidence_pages.items()}
    code, text = check_output(EXAMPLE, "-o", str(out))
    assert sum(1 for line in _section(text) if re.search(r" · \d+字 · 第\d+页$", line)) == len(shown)
    # each numbered heading is named as the plan prints it
    pdfs = {r.doc.id: subprocess.run(["pdftotext", str(r.pdf), "-"], capture_output=True, text=True, check=True).stdout for r in result.documents if r.pdf}
    numbered = [e for c in json.loads(check_output(EXAMPLE, "--format", "json")[1])["payload"]["coverage"] for e in c["evidence"] if e["heading_number"]]
    assert numbered and all(squash(e["heading_number"] + e["heading"]) in squash(pdfs[e["document"]]) for e in numbered)


def test_the_heading_numbers_check_prints_are_the_ones_the_plan_prints() -> None:
    """coverage.printed_number mirrors word/blocks.py (kept apart so `check` loads no python-docx)."""
    from generator.check.coverage import NUMBERED_LEVELS, printed_number
    from generator.word.blocks import PLAN_HEADING_STYLES, heading_number

    _report, app = check_content(EXAMPLE)
    assert NUMBERED_LEVELS == len(PLAN_HEADING_STYLES) == max(PLAN_HEADING_STYLES)
    pairs = [(level, n) for level in range(1, NUMBERED_LEVELS + 1) for n in range(1, 120)]
    assert [printed_number(app, lv, n) for lv, n in pairs] == [heading_number(lv, n) for lv, n in pairs]


def test_the_sentence_the_7_warning_quotes_is_the_one_the_recommendation_template_prints() -> None:
    import zipfile

    from generator.check.rules import _FIXED_NO_VIOLATIONS

    xml = zipfile.ZipFile(Path(__file__).resolve().parent.parent / "templates/推荐书.docx").read("word/document.xml").decode("utf-8")
    assert _FIXED_NO_VIOLATIONS in re.sub(r"<[^>]+>", "", xml)
