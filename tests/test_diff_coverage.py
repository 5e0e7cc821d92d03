"""`chanjiao diff` shows coverage changes: the 附件2 观测点 gained or lost between two commits of a
real git repo, and the 字数 of an indicator's evidence when an edit moves it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from conftest import EXAMPLE, run_chanjiao
from test_diff import commit, edit, git

from generator.check.coverage import coverage
from generator.content.loader import load_application
from generator.core.counting import count_words
from generator.diff.coverage import compare_coverage

SPECIALTY = "推荐书/3-特色与创新.md"
TAG_54 = "<!-- 指标: 5.4 -->\n"
#: appended to the lead firm's paragraph, inside the 基本情况 section tagged 1.1
ADDED = "企业牵头制定电驱动总成团体标准三项。"
SCHEMA = json.loads((Path(__file__).parent.parent / "docs/output.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """untagged: the only paragraph tagged 5.4 loses its tag (nothing printed changes); tagged:
    the tag is back and a sentence is added to 1.1's section."""
    root = tmp_path_factory.mktemp("coverage") / "repo"
    root.mkdir()
    git(root, "init", "--quiet")
    shutil.copytree(EXAMPLE, root, dirs_exist_ok=True)
    assert (root / SPECIALTY).read_text(encoding="utf-8").count(TAG_54) == 1  # the premise
    commit(root, "example")
    edit(root, SPECIALTY, TAG_54, "")
    commit(root, "untagged")
    edit(root, SPECIALTY, "**七、服务国家", TAG_54 + "**七、服务国家")
    edit(root, "建设方案/1-创建条件.md", "年产能80万套。", "年产能80万套。" + ADDED)
    commit(root, "tagged")
    return root


def diff(repo: Path, out: Path, a: str, b: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = run_chanjiao("diff", a, b, "-o", str(out), "--no-pdf", *args, cwd=repo, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def example_coverage() -> dict[str, tuple[int, str]]:
    """Each indicator's 字数 of evidence in the example and its wording, read by check's coverage."""
    app, _diags = load_application(EXAMPLE)
    return {c.indicator.id: (c.chars, c.indicator.text) for c in coverage(app)}


def test_untagging_the_only_54_paragraph_lists_54_lost_with_its_wording(repo: Path, tmp_path: Path) -> None:
    done = diff(repo, tmp_path / "d", "example", "untagged")
    chars, wording = example_coverage()["5.4"]
    lines = done.stdout.splitlines()
    # Nothing printed changed: the tag is all that moved, and the headline says so.
    assert lines[0] == "example → untagged：字段和正文没有变化；建设指标：不再覆盖 1 项"
    at = lines.index("建设指标覆盖变化（附件2 观测点）：")
    assert lines[at + 1] == f"  5.4  服务发展  不再覆盖（原有 1 处，{chars} 字）"
    assert lines[at + 2] == f"      {wording}"
    assert lines[at + 3].startswith(f"      3.特色与创新（{SPECIALTY}:")
    assert "推荐书：没有修订" in lines and "建设方案：没有修订" in lines
    table = json.loads((tmp_path / "d" / "变更表.json").read_text(encoding="utf-8"))
    assert table["changes"] == [] and table["unchanged"] is False
    [row] = table["coverage"]
    assert (row["indicator"], row["change"], row["text"]) == ("5.4", "lost", wording)
    assert (row["chars_before"], row["chars_after"], row["places_after"]) == (chars, 0, [])
    assert [p["location"].split(":")[0] for p in row["places_before"]] == [SPECIALTY]


def test_tagging_it_back_lists_54_gained_and_the_added_sentence_in_11s_count(repo: Path, tmp_path: Path) -> None:
    done = diff(repo, tmp_path / "d", "untagged", "tagged", "--format", "json")
    document = json.loads(done.stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    rows = {r["indicator"]: r for r in document["payload"]["coverage"]}
    assert set(rows) == {"1.1", "5.4"}  # the edit touches 1.1's section only; the tag, 5.4
    before = example_coverage()
    assert rows["5.4"]["change"] == "gained" and rows["5.4"]["chars_after"] == before["5.4"][0]
    assert rows["1.1"]["change"] == "chars"
    assert rows["1.1"]["chars_before"] == before["1.1"][0]
    assert rows["1.1"]["chars_after"] - rows["1.1"]["chars_before"] == count_words(ADDED).words
    md = (tmp_path / "d" / "变更表.md").read_text(encoding="utf-8")
    assert "## 建设指标覆盖变化" in md
    assert f"| 5.4 | {before['5.4'][1]} | 新增覆盖（1 处，{before['5.4'][0]} 字） |" in md


def test_the_same_tags_at_both_ends_list_only_the_count_that_moved(repo: Path, tmp_path: Path) -> None:
    done = diff(repo, tmp_path / "d", "example", "tagged")
    chars = example_coverage()["1.1"][0]
    after = chars + count_words(ADDED).words
    lines = done.stdout.splitlines()
    assert lines[0].endswith("；建设指标：佐证字数变化 1 项")
    at = lines.index("建设指标覆盖变化（附件2 观测点）：")
    assert lines[at + 1] == f"  1.1  基本情况  佐证字数 {chars} → {after}（1 → 1 处）"
    assert "5.4" not in done.stdout


def test_unchanged_revisions_have_no_coverage_section(repo: Path, tmp_path: Path) -> None:
    done = diff(repo, tmp_path / "d", "tagged", "tagged")
    assert done.stdout.splitlines()[0] == "tagged 与 tagged 之间没有变化。"
    assert "建设指标" not in done.stdout
    assert json.loads((tmp_path / "d" / "变更表.json").read_text(encoding="utf-8"))["coverage"] == []


def test_evidence_in_a_file_left_out_of_the_diff_is_not_reported_lost(tmp_path: Path) -> None:
    """A file broken at one revision is named as not compared; its tags must not read as lost."""
    untagged = tmp_path / "b"
    shutil.copytree(EXAMPLE, untagged)
    edit(untagged, SPECIALTY, TAG_54, "")
    app_a, _da = load_application(EXAMPLE)
    app_b, _db = load_application(untagged)
    assert [(c.id, c.kind) for c in compare_coverage(app_a, app_b)] == [("5.4", "lost")]
    assert compare_coverage(app_a, app_b, skip_files=frozenset({SPECIALTY})) == []
