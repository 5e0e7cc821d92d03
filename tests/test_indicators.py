"""附件2 indicators: the declaration, tags in Markdown, and the coverage they give."""

from __future__ import annotations

from generator.check.coverage import coverage, unknown_tags
from generator.content.markdown import read_markdown
from generator.form.declaration import load_form
from generator.model import Heading, Paragraph


def test_the_form_declares_the_25_observation_points_and_the_deduction_rule() -> None:
    form = load_form()
    ids = [i.id for i in form.indicators]
    assert ids[:4] == ["1.1", "1.2", "1.3", "1.4"] and ids[-2:] == ["6.3", "7"]
    assert len(ids) == 26
    assert form.indicator("7").label == "7.其他" and form.indicator("7").declaration == "self_assessment.violations"
    assert "capacity.resources.majors" in form.indicator("3.2").fields
    paths = form.by_path()
    assert all(p in paths for i in form.indicators for p in i.fields)
    # every point but 7 has its one-line note in 自评.yaml, keyed by its id
    assert paths[form.indicator("5.4").note].key == "5.4" and paths[form.indicator("5.4").note].limit == 100


def test_a_tag_before_a_heading_covers_its_section_and_one_inside_a_paragraph_that_paragraph() -> None:
    md = "<!-- 指标: 3.2，3.3 -->\n# 专业共建\n\n段一\n\n## 细节\n\n段二\n\n# 下一节\n\n段三 <!-- 指标：6.1 --> 续\n"
    blocks, tags, diagnostics = read_markdown(md, "x.md")
    assert not diagnostics
    assert [t.ids for t in tags] == [("3.2", "3.3"), ("6.1",)]
    assert [(loc.line, loc.column) for loc in tags[0].locs] == [(1, 10), (1, 14)]
    assert isinstance(blocks[tags[0].block], Heading) and isinstance(blocks[tags[1].block], Paragraph)
    assert tags[1].locs[0].line == 12


def test_the_example_tags_resolve_and_an_unknown_id_names_the_closest() -> None:
    from pathlib import Path

    from conftest import EXAMPLE

    from generator.check.validate import check_content

    _report, app = check_content(Path(EXAMPLE))
    assert not list(unknown_tags(app))
    assert len(coverage(app)) == 26


def test_check_folds_the_25_notes_into_one_row_but_shows_a_note_over_its_limit_on_its_own(content_copy) -> None:
    import json

    from conftest import run_chanjiao

    long_note = "理事会由政府部门、园区、企业、院校、科研机构和行业组织共同组成" * 4  # > 100 字
    root = content_copy({"自评.yaml": lambda text: text.replace(
        "  2.1: 理事会由政府部门、园区、企业、院校、科研机构和行业组织16家单位组成，每年召开2次全体会议。", f"  2.1: {long_note}")})
    done = run_chanjiao("check", str(root))
    table = done.stdout.split("\n\n")[0].splitlines()
    notes = [line for line in table if "自评说明" in line]
    assert len(notes) == 2, notes
    assert notes[0].startswith("自评说明（24 条，最长为 ") and notes[0].split()[-1] == "符合"
    assert notes[1].startswith("2.1 自评说明") and "超出" in notes[1]
    assert "自评.yaml:10:8: 错误: 2.1 自评说明：" in done.stdout + done.stderr
    limits = json.loads(run_chanjiao("check", str(root), "--format", "json").stdout)["payload"]["limits"]
    assert len([r for r in limits if "自评说明" in r["field"]]) == 25  # the JSON keeps every row
