"""`chanjiao diff` on throwaway git repos: the redlines read back, the change table, bad revisions."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import CHANJIAO, EXAMPLE, run_chanjiao
from lxml import etree
from ooxml import NS, W

from generator.content.loader import load_application
from generator.diff.revisions import accept_all_docx, reject_all_docx
from generator.pipeline import render_documents
from generator.scaffold import MAKEFILE
from generator.word.documents import DOCUMENTS
from generator.word.text import docx_text

SECTION = "## 探索混合所有制改革"
NEW_MEMBER = "    - 单位名称: 重庆岭新智能制造装备有限公司\n      联系人: 孙晓峰\n      联系电话: \"13752361408\"\n"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo.parent), "GIT_AUTHOR_DATE": "2024-06-01T10:00:00+08:00"}
    env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"]
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, capture_output=True, text=True, env=env, check=True)
    return done.stdout


def commit(repo: Path, tag: str) -> None:
    git(repo, "add", "--all", ".")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", tag)
    git(repo, "tag", tag)


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def remove_section(root: Path, rel: str, heading: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")

    def with_tag(at: int) -> int:
        """Where a heading starts, its 指标 tag line included: a section is cut with its tag (left
        behind, the tag would mark the next heading) and the next section keeps its own."""
        tag = text.rfind("\n<!--", 0, at - 1) + 1
        return tag if tag and text[tag:at].count("\n") == 1 else at

    at = text.index(heading)
    start, end = with_tag(at), with_tag(text.index("\n#", at + 1) + 1)
    path.write_text(text[:start] + text[end:], encoding="utf-8")


def round_2_edits(root: Path) -> None:
    """Figures changed, a paragraph rewritten, a member added, a section removed."""
    edit(root, "推荐书/2-服务能力.yaml", "共建专业: {2023年: 9, 2024年: 12}", "共建专业: {2023年: 10, 2024年: 13}")
    edit(root, "推荐书/1-联合体概况.yaml", "固定办公面积: 260", "固定办公面积: 280")
    edit(root, "建设方案/1-创建条件.md", "年产能80万套。", "年产能100万套，是西部地区规模最大的电驱动总成生产基地之一。")
    edit(root, "推荐书/1-联合体概况.yaml", "  企业:\n", "  企业:\n" + NEW_MEMBER)
    remove_section(root, "建设方案/3-建设内容与举措.md", SECTION)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A team's repo: round-1 is the example, round-2 has edits in four places, round-3 is broken."""
    root = tmp_path_factory.mktemp("team") / "repo"
    root.mkdir()
    git(root, "init", "--quiet")
    (root / "README.md").write_text("申报材料\n", encoding="utf-8")
    commit(root, "empty")
    shutil.copytree(EXAMPLE, root, dirs_exist_ok=True)
    (root / ".gitignore").write_text("/build/\n", encoding="utf-8")
    commit(root, "round-1")
    round_2_edits(root)
    commit(root, "round-2")
    edit(root, "推荐书/2-服务能力.yaml", "共建课程: {2023年: 46,", "共建课程: {2023年: 四十六,")
    commit(root, "round-3")
    git(root, "checkout", "--quiet", "round-2")
    return root


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_chanjiao("diff", *args, cwd=cwd, timeout=300)


def redlines(out_dir: Path) -> dict[str, bytes]:
    return {doc.title: next(out_dir.glob(f"*-{doc.title}-修订对照.docx")).read_bytes() for doc in DOCUMENTS if any(out_dir.glob(f"*-{doc.title}-修订对照.docx"))}


def document_xml(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return etree.fromstring(zf.read("word/document.xml"))


def text(data: bytes) -> str:
    return docx_text(io.BytesIO(data))  # type: ignore[arg-type]


def rendered_texts(root: Path, tmp: Path) -> dict[str, str]:
    app, _d = load_application(root)
    tmp.mkdir(parents=True, exist_ok=True)
    return {doc.title: text(render_documents(app, tmp, (doc,))[0].read_bytes()) for doc in DOCUMENTS}


def changes(out_dir: Path) -> list[dict]:
    return json.loads((out_dir / "变更表.json").read_text(encoding="utf-8"))["changes"]


@pytest.fixture(scope="module")
def round_1_to_2(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out_dir = tmp_path_factory.mktemp("out") / "diff"
    return run(repo, "round-1", "round-2", "-o", str(out_dir), "--no-pdf"), out_dir


def test_redlines_accept_to_round_2_and_reject_to_round_1(round_1_to_2: tuple, repo: Path, tmp_path: Path) -> None:
    done, out_dir = round_1_to_2
    assert done.returncode == 0, done.stdout + done.stderr
    old = rendered_texts(EXAMPLE, tmp_path / "a")
    new = rendered_texts(repo, tmp_path / "b")
    docs = redlines(out_dir)
    assert set(docs) == {"建设方案", "推荐书", "自评表"}  # the 自评表 prints the changed figures
    for title, data in docs.items():
        assert text(accept_all_docx(data)) == new[title], title
        assert text(reject_all_docx(data)) == old[title], title
        root = document_xml(data)
        for mark in root.iter(f"{{{W}}}ins", f"{{{W}}}del"):
            assert mark.get(f"{{{W}}}author") == "chanjiao"
            assert mark.get(f"{{{W}}}date") == "2024-06-01T02:00:00Z"  # round-2's commit time


def test_the_redline_marks_each_edit_where_it_was_made(round_1_to_2: tuple) -> None:
    _done, out_dir = round_1_to_2
    docs = redlines(out_dir)
    plan = document_xml(docs["建设方案"])
    inserted = ["".join(i.itertext()) for i in plan.iterfind(".//w:ins", NS) if len(i)]
    deleted = ["".join(d.itertext()) for d in plan.iterfind(".//w:del", NS) if len(d)]
    assert any("西部地区规模最大的电驱动总成生产基地之一" in t for t in inserted)
    assert any("80" in t for t in deleted) and any(t.startswith("100") for t in inserted)
    assert any("探索混合所有制改革" in t for t in deleted)  # the removed section, kept as deleted
    recommendation = document_xml(docs["推荐书"])
    rows = recommendation.xpath(".//w:tr[w:trPr/w:ins]", namespaces=NS)
    assert any("重庆岭新智能制造装备有限公司" in "".join(r.itertext()) for r in rows) or any(
        "重庆岭新智能制造装备有限公司" in "".join(i.itertext()) for i in recommendation.iterfind(".//w:ins", NS)
    )
    cells = {"".join(d.itertext()) for d in recommendation.iterfind(".//w:tc//w:del", NS)}
    assert {"260", "9"} <= cells


def test_the_change_table_names_every_change_by_the_form(round_1_to_2: tuple) -> None:
    done, out_dir = round_1_to_2
    rows = changes(out_dir)
    by_field = {(r["part"], r["field"]): r for r in rows}
    majors = by_field[("2.服务能力", "资源共建共享 › 共建专业（2023年）")]
    assert (majors["kind"], majors["old"], majors["new"], majors["unit"]) == ("figure", "9", "10", "个")
    assert by_field[("2.服务能力", "资源共建共享 › 共建专业（2024年）")]["new"] == "13"
    area = by_field[("1.联合体概况", "秘书处（办公室）情况 › 固定办公面积")]
    assert (area["old"], area["new"]) == ("260", "280")
    member = by_field[("1.联合体概况", "联合体成员情况 › 企业")]
    assert member["kind"] == "list" and member["old"] is None and member["new"] == "重庆岭新智能制造装备有限公司"
    conditions = by_field[("一、创建条件", "一、创建条件")]
    assert conditions["kind"] == "prose" and conditions["chars_added"] > 20 and conditions["chars_removed"] >= 1
    tasks = by_field[("三、建设内容与举措", "三、建设内容与举措")]
    assert tasks["chars_removed"] > 50 and tasks["chars_added"] == 0
    assert tasks["words_after"] < tasks["words_before"]
    # Under each prose part, the section (by its headings) where the change is.
    edited = by_field[("一、创建条件", "基本情况 › 牵头企业")]
    assert (edited["old"], edited["new"], edited["chars_added"]) == (None, None, conditions["chars_added"])
    removed = by_field[("三、建设内容与举措", "建立产教联合体实体化运行机制 › 探索混合所有制改革")]
    assert (removed["old"], removed["new"], removed["chars_removed"]) == ("建立产教联合体实体化运行机制 › 探索混合所有制改革", None, tasks["chars_removed"] - len("探索混合所有制改革"))
    assert len(rows) == 8
    # The terminal and the Markdown file show the same rows.
    assert "9 → 10 个" in done.stdout and "新增：重庆岭新智能制造装备有限公司" in done.stdout
    md = (out_dir / "变更表.md").read_text(encoding="utf-8")
    assert "| 2.服务能力 | 资源共建共享 › 共建专业（2023年） | 9 → 10 个 |" in md


def test_limited_fields_show_count_before_and_after_against_the_limit(repo: Path, tmp_path: Path) -> None:
    done = run(repo, "round-2", "--no-pdf", "-o", str(tmp_path / "d"), "--content", ".")
    assert done.returncode == 0
    assert json.loads((tmp_path / "d/变更表.json").read_text(encoding="utf-8"))["unchanged"] is True
    path = repo / "推荐书/4-建设规划.md"
    before = path.read_text(encoding="utf-8")
    try:
        path.write_text(before + "\n新增一段说明。\n", encoding="utf-8")
        done = run(repo, "round-2", "--no-pdf", "-o", str(tmp_path / "d"))
    finally:
        path.write_text(before, encoding="utf-8")
    [row] = changes(tmp_path / "d")
    assert row["part"] == "4.建设规划" and row["limit"] == 1000
    assert row["words_after"] == row["words_before"] + 7 and row["chars_added"] == 7
    assert f"{row['words_before']} → {row['words_after']} / 1000" in done.stdout


def test_unchanged_revisions_give_redlines_without_changes(repo: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "diff"
    done = run(repo, "round-2", "round-2", "-o", str(out_dir), "--no-pdf")
    assert done.returncode == 0, done.stderr
    assert "没有变化" in done.stdout
    table = json.loads((out_dir / "变更表.json").read_text(encoding="utf-8"))
    assert table["unchanged"] is True and table["changes"] == []
    for data in redlines(out_dir).values():
        root = document_xml(data)
        assert root.find(".//w:ins", NS) is None and root.find(".//w:del", NS) is None


def test_the_work_tree_and_the_index_are_untouched(repo: Path, tmp_path: Path) -> None:
    path = repo / "推荐书/2-服务能力.yaml"
    before = path.read_text(encoding="utf-8")
    path.write_text(before.replace("共建教材: {2023年: 14,", "共建教材: {2023年: 15,"), encoding="utf-8")
    try:
        status = git(repo, "status", "--porcelain")
        index = repo / ".git/index"
        stamp, head = index.stat().st_mtime_ns, git(repo, "rev-parse", "HEAD")
        files = sorted(p.relative_to(repo) for p in repo.rglob("*") if ".git" not in p.parts)
        done = run(repo, "round-1", "-o", str(tmp_path / "diff"), "--no-pdf")
        assert done.returncode == 0, done.stderr
        assert index.stat().st_mtime_ns == stamp and git(repo, "rev-parse", "HEAD") == head
        assert sorted(p.relative_to(repo) for p in repo.rglob("*") if ".git" not in p.parts) == files
        assert git(repo, "status", "--porcelain") == status
        # The work tree is revision B: its uncommitted edit is in the table.
        assert any(r["field"] == "资源共建共享 › 共建教材（2023年）" and r["new"] == "15" for r in changes(tmp_path / "diff"))
    finally:
        path.write_text(before, encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["nosuch"], 3, "找不到版本“nosuch”"),
        (["round-1", "nosuch"], 3, "找不到版本“nosuch”"),
        (["--", "--output=x"], 3, "“--output=x”"),
        (["--", "-p"], 3, "“-p”"),
        (["--output=x"], 2, "--output"),
        (["-p"], 2, "-p"),
        (["empty"], 3, "版本“empty”中没有申报材料"),
    ],
)
def test_bad_revisions_are_clear_errors_and_write_nothing(repo: Path, tmp_path: Path, args: list[str], code: int, message: str) -> None:
    work = tmp_path / "work"
    shutil.copytree(repo, work, symlinks=True)
    before = sorted(p.relative_to(work) for p in work.rglob("*"))
    done = run(work, *args)
    assert done.returncode == code
    assert message in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.relative_to(work) for p in work.rglob("*")) == before
    assert not (work / "x").exists() and not (work / "build").exists()


def test_content_broken_at_one_revision_is_reported_and_the_rest_diffed(repo: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "diff"
    done = run(repo, "round-1", "round-3", "-o", str(out_dir), "--no-pdf")
    assert done.returncode == 1
    assert re.search(r"round-3:推荐书/2-服务能力\.yaml:\d+:\d+: 错误: .*共建课程", done.stdout), done.stdout
    table = json.loads((out_dir / "变更表.json").read_text(encoding="utf-8"))
    assert any("2.服务能力" in s and "round-3" in s for s in table["skipped"])
    assert any(s.startswith("推荐书修订对照") for s in table["skipped"])
    assert not any(r["part"] == "2.服务能力" for r in table["changes"])
    assert any(r["part"] == "1.联合体概况" for r in table["changes"])  # the other parts still compared
    assert set(redlines(out_dir)) == {"建设方案"}
    assert "未比较" in done.stdout


def test_two_folders_without_git(tmp_path: Path) -> None:
    old, new = tmp_path / "第一轮", tmp_path / "第二轮"
    shutil.copytree(EXAMPLE, old)
    shutil.copytree(EXAMPLE, new)
    round_2_edits(new)
    done = run(tmp_path, "--dirs", str(old), str(new), "--no-pdf", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)["payload"]
    assert data["a"] == str(old) and len(data["changes"]) == 8
    assert {r["document"] for r in data["redlines"]} == {"建设方案", "推荐书", "自评表"}
    assert all(r["tracked_changes"] > 0 for r in data["redlines"])
    assert (tmp_path / "build/diff/变更表.md").is_file()
    missing = run(tmp_path, "--dirs", str(old), str(tmp_path / "nowhere"), "--no-pdf")
    assert missing.returncode == 3 and "nowhere" in missing.stderr


def test_content_in_a_subfolder_of_the_repo(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "content").mkdir(parents=True)
    git(root, "init", "--quiet")
    shutil.copytree(EXAMPLE, root / "content", dirs_exist_ok=True)
    commit(root, "v1")
    edit(root / "content", "推荐书/1-联合体概况.yaml", "固定办公面积: 260", "固定办公面积: 300")
    commit(root, "v2")
    done = run(root, "v1", "v2", "--no-pdf")
    assert done.returncode == 0, done.stderr
    assert [r["new"] for r in changes(root / "build/diff")] == ["300"]


def test_same_revisions_give_the_same_redline_bytes(repo: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "1", tmp_path / "2"
    assert run(repo, "round-1", "round-2", "-o", str(first), "--no-pdf").returncode == 0
    assert run(repo, "round-1", "round-2", "-o", str(second), "--no-pdf").returncode == 0
    assert redlines(first) == redlines(second)


def test_make_diff_takes_the_two_revisions(repo: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(repo, work, symlinks=True)
    (work / "Makefile").write_text(MAKEFILE, encoding="utf-8")
    env = {**os.environ, "PATH": f"{CHANJIAO.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["make", "--no-print-directory", "diff", "A=round-1", "B=round-2"], cwd=work, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(changes(work / "build/diff")) == 8


@pytest.mark.libreoffice
def test_the_pdf_shows_the_changes(repo: Path, tmp_path: Path) -> None:
    from generator.pdf.reader import read_pdf

    out_dir = tmp_path / "diff"
    done = run(repo, "round-1", "round-2", "-o", str(out_dir), "--pdf")
    assert done.returncode == 0, done.stderr
    [pdf] = out_dir.glob("*-建设方案-修订对照.pdf")
    info = read_pdf(pdf)
    flat = re.sub(r"\s", "", "".join(info.page_texts))
    # Both the deleted and the inserted wording are printed (struck through and underlined).
    assert "探索混合所有制改革" in flat and "西部地区规模最大的电驱动总成生产基地之一" in flat


def test_covers_and_the_summary_table_are_diffed_too(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(EXAMPLE, old)
    shutil.copytree(EXAMPLE, new)
    edit(new, "基本信息.yaml", "联合体名称: 重庆云岭智能网联新能源汽车零部件市域产教联合体", "联合体名称: 重庆云岭智能网联汽车市域产教联合体")
    edit(new, "基本信息.yaml", "日期: 2024-06-12", "日期: 2024-06-20")
    done = run(tmp_path, "--dirs", str(old), str(new), "--no-pdf")
    assert done.returncode == 0, done.stderr
    out_dir = tmp_path / "build/diff"
    # Files carry revision B's name.
    plan = document_xml((out_dir / "重庆云岭智能网联汽车市域产教联合体-建设方案-修订对照.docx").read_bytes())
    deleted = ["".join(d.itertext()) for d in plan.iterfind(".//w:del", NS) if len(d)]
    assert sum("新能源" in t for t in deleted) >= 2  # the cover and the summary table
    assert any(t == "12" for t in deleted)  # the cover's date, 2024年6月12日 → 20日
    in_tables = ["".join(d.itertext()) for d in plan.iterfind(".//w:tbl//w:del", NS)]
    assert any("新能源" in t for t in in_tables)  # the summary table's 联合体名称 cell


# -- the change table from the models alone --------------------------------------------------------


def compare(content_copy: object, edits: dict) -> list:
    from generator.diff.changes import compare_applications

    a, _da = load_application(EXAMPLE)
    b, _db = load_application(content_copy(edits))  # type: ignore[operator]
    return compare_applications(a, b)


def test_a_renamed_entry_is_a_rename_not_a_removal_and_an_addition(content_copy: object) -> None:
    rows = compare(content_copy, {"附件/清单.yaml": lambda t: t.replace("现场照片\n", "现场照片（6张）\n")})
    assert [(r.kind, r.field.split(" › ")[-1], r.old, r.new) for r in rows] == [
        ("text", "附件名称", "联合体成立大会暨第一届理事会第一次会议现场照片", "联合体成立大会暨第一届理事会第一次会议现场照片（6张）")
    ]


def test_a_changed_contact_and_a_reordered_list(content_copy: object) -> None:
    rows = compare(
        content_copy,
        {
            "推荐书/1-联合体概况.yaml": lambda t: t.replace('陈立新, 联系电话: "13908316625"', '陈立新, 联系电话: "13908316626"'),
            "基本信息.yaml": lambda t: t.replace(
                "  - 重庆云岭职业技术学院\n  - 重庆市云岭区职业教育中心", "  - 重庆市云岭区职业教育中心\n  - 重庆云岭职业技术学院"
            ),
        },
    )
    from generator.diff.changes import describe

    got = {r.field: (r.old, r.new, describe(r)) for r in rows}
    phone = got["秘书处（办公室）情况 › 人员姓名及联系电话 › 陈立新 › 联系电话"]
    assert phone[:2] == ("13908316625", "13908316626")
    assert got["牵头学校"][2] == "顺序调整"
    assert next(r for r in rows if r.field.endswith("联系电话")).added == 1


def test_a_limited_text_shows_its_count_against_the_limit(content_copy: object) -> None:
    from generator.diff.changes import describe_count

    rows = compare(content_copy, {"推荐书/2-服务能力.yaml": lambda t: t.replace("教学能力比赛二等奖1项", "教学能力比赛一等奖1项、二等奖1项")})
    [row] = rows
    assert row.limit == 100 and row.words_after == row.words_before + 6
    assert describe_count(row) == f"{row.words_before} → {row.words_after} / 100"


def test_a_document_that_cannot_be_rendered_at_one_revision_is_skipped_and_named(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(EXAMPLE, old)
    shutil.copytree(EXAMPLE, new)
    edit(new, "建设方案/1-创建条件.md", "## 牵头企业\n", "## 牵头企业\n\n![园区鸟瞰](图片/不存在.png)\n")
    done = run(tmp_path, "--dirs", str(old), str(new), "--no-pdf")
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(rf"{re.escape(str(new))}:建设方案/1-创建条件\.md:\d+:\d+: 错误: .*不存在\.png", done.stdout), done.stdout
    assert f"建设方案修订对照：{new} 的内容无法生成文档" in done.stdout
    assert set(redlines(tmp_path / "build/diff")) == {"推荐书", "自评表"}


def test_emphasis_only_edit_is_a_format_revision_and_a_table_row(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(EXAMPLE, old)
    shutil.copytree(EXAMPLE, new)
    edit(new, "推荐书/4-建设规划.md", "共建专业达到15个", "**共建专业达到15个**")
    out = tmp_path / "diff"
    done = run(tmp_path, "--dirs", str(old), str(new), "-o", str(out), "--no-pdf")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = changes(out)
    assert [(r["part"], r["kind"]) for r in rows] == [("4.建设规划", "format")]
    assert "仅格式变化（加粗、斜体）" in done.stdout
    rec = redlines(out)["推荐书"]
    root = document_xml(rec)
    # one format revision per run of the phrase (the digits are a run of their own, in Times New Roman)
    changed = "".join("".join(t.text or "" for t in c.getparent().getparent().iter(f"{{{W}}}t")) for c in root.iter(f"{{{W}}}rPrChange"))
    assert changed.replace("\u2060", "") == "共建专业达到15个"  # 15⁠个 is glued (nobreak.py)
    assert not [e for e in root.iter(f"{{{W}}}ins", f"{{{W}}}del") if e.getparent().tag != f"{{{W}}}rPr"]


def test_text_edits_are_counted_in_zi_with_characters_beside(content_copy: object) -> None:
    # "2024年1月" → "2024年2月，首批" adds 首 批 ， (3 字) and replaces 1 with 2 (one 字 each way).
    rows = compare(content_copy, {"推荐书/1-联合体已开展建设情况.md": lambda t: t.replace("2024年1月，44家", "2024年2月，首批44家")})
    row = next(r for r in rows if r.kind == "prose")
    assert (row.added, row.removed) == (3, 1)
    assert (row.chars_added, row.chars_removed) == (3, 1)
    assert row.words_after - row.words_before == row.added - row.removed


def test_a_latin_word_is_one_zi_but_many_characters(content_copy: object) -> None:
    from generator.diff.changes import describe

    rows = compare(content_copy, {"推荐书/1-联合体已开展建设情况.md": lambda t: t.replace("运营平台。", "运营平台（Operating Platform）。")})
    row = next(r for r in rows if r.kind == "prose")
    assert (row.added, row.chars_added) == (4, 19)
    assert describe(row) == "+4 −0 字（字符 +19 −0）"


def test_an_emphasis_change_is_named_beside_text_edits_in_the_same_part(content_copy: object) -> None:
    from generator.diff.changes import describe

    def edit(t: str) -> str:
        return t.replace("**一是完成组建并实体化运行。**", "一是完成组建并实体化运行。").replace("44家", "46家")

    rows = compare(content_copy, {"推荐书/1-联合体已开展建设情况.md": edit})
    row = next(r for r in rows if r.kind == "prose")
    assert row.format_changed
    assert describe(row).endswith("；加粗、斜体也有变化")


def test_text_edits_alone_do_not_claim_a_format_change(content_copy: object) -> None:
    rows = compare(content_copy, {"推荐书/1-联合体已开展建设情况.md": lambda t: t.replace("44家", "48家")})
    assert not next(r for r in rows if r.kind == "prose").format_changed
