"""All-or-nothing outputs: a build's files are staged and swapped in as one set (no LibreOffice
needed: Word-only builds; the fault suite does the same with PDFs and real kills)."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from conftest import ContentCopy, snapshot

from generator.core.staging import JOURNAL, STAGE_PREFIX, Stage, recover, swap_pending
from generator.errors import ToolError
from generator.pipeline import STATE_FILE, build

NAME = "重庆云岭智能网联新能源汽车零部件市域产教联合体"


def edit_plan(root: Path, text: str) -> None:
    md = root / "建设方案/4-建设计划.md"
    md.write_text(md.read_text(encoding="utf-8") + f"\n\n{text}\n", encoding="utf-8")


def test_a_full_disk_while_writing_the_report_leaves_the_previous_set_byte_identical(content_copy: ContentCopy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.pipeline

    root, out = content_copy(), tmp_path / "out"
    build(root, out, pdf=False)
    before = snapshot(out)
    edit_plan(root, "新的一段。")
    real = generator.pipeline.write_atomic

    def full_disk(path: Path, data: bytes) -> None:
        if path.name.startswith("检查报告"):
            raise ToolError(f"无法写入 {path}：{os.strerror(errno.ENOSPC)}")
        real(path, data)

    monkeypatch.setattr(generator.pipeline, "write_atomic", full_disk)
    with pytest.raises(ToolError, match="No space left on device"):
        build(root, out, pdf=False)
    # the new plan .docx was already rendered (staged): none of it shows
    assert snapshot(out) == before


def test_the_new_set_replaces_the_old_one_and_unchanged_files_are_not_touched(content_copy: ContentCopy, tmp_path: Path) -> None:
    root, out = content_copy(), tmp_path / "out"
    build(root, out, pdf=False)
    rec = out / f"{NAME}-推荐书.docx"
    rec_inode, rec_mtime = rec.stat().st_ino, rec.stat().st_mtime_ns
    edit_plan(root, "新的一段。")
    result = build(root, out, pdf=False)
    assert {r.doc.id for r in result.documents if r.rebuilt} == {"plan"}
    assert (rec.stat().st_ino, rec.stat().st_mtime_ns) == (rec_inode, rec_mtime)  # reused in place
    assert all(p.parent == out for p in (*(r.docx for r in result.documents), *result.report_files))
    assert not [p for p in out.iterdir() if p.name.startswith((STAGE_PREFIX, JOURNAL))]
    state = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
    assert sorted(state["outputs"]) == sorted(p.name for p in out.iterdir() if p.name != STATE_FILE)


def test_outputs_of_the_previous_set_that_the_new_one_lacks_are_removed(content_copy: ContentCopy, tmp_path: Path) -> None:
    root, out = content_copy(), tmp_path / "out"
    build(root, out, pdf=False)
    (out / "我的笔记.txt").write_text("not ours", encoding="utf-8")
    base = root / "基本信息.yaml"
    base.write_text(base.read_text(encoding="utf-8").replace(NAME, "重庆测试市域产教联合体"), encoding="utf-8")
    build(root, out, pdf=False)
    names = sorted(p.name for p in out.iterdir())
    assert not [n for n in names if n.startswith(NAME)]  # the old name's documents are gone
    assert "重庆测试市域产教联合体-建设方案.docx" in names and "我的笔记.txt" in names  # a user's file stays


def test_a_swap_killed_after_its_commit_point_is_finished_by_the_next_build(content_copy: ContentCopy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.core.staging

    root, out = content_copy(), tmp_path / "out"
    build(root, out, pdf=False)
    edit_plan(root, "被打断的一段。")
    real_replace, moved = os.replace, []

    def dies_after_one(src: object, dst: object) -> None:
        swapping = (out / JOURNAL).exists() and STAGE_PREFIX in str(src)  # after the commit point
        if swapping and moved:
            raise KeyboardInterrupt  # stands for the kill: nothing after this line runs
        real_replace(src, dst)  # type: ignore[arg-type]
        if swapping:
            moved.append(dst)

    monkeypatch.setattr(generator.core.staging.os, "replace", dies_after_one)
    with pytest.raises(KeyboardInterrupt):
        build(root, out, pdf=False)
    monkeypatch.setattr(generator.core.staging.os, "replace", real_replace)
    assert (out / JOURNAL).is_file() and swap_pending(out)
    # Any next start (here: the lock and recovery a build takes first) completes the same set.
    with Stage(out):
        pass
    assert not swap_pending(out)
    state = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
    from docx import Document

    plan = Document(str(out / f"{NAME}-建设方案.docx"))
    assert any("被打断的一段" in p.text for p in plan.paragraphs)
    assert sorted(state["outputs"]) == sorted(p.name for p in out.iterdir() if p.name != STATE_FILE)


def test_a_staging_folder_left_by_a_killed_build_is_removed_and_disables_the_no_op_path(content_copy: ContentCopy, tmp_path: Path) -> None:
    from generator.core.buildcache import cached_result, inputs_fingerprint
    from generator.word.documents import TEMPLATES_DIR

    root, out = content_copy(), tmp_path / "out"
    fingerprint = inputs_fingerprint(root, out, TEMPLATES_DIR, {})
    build(root, out, pdf=False, fingerprint=fingerprint)
    assert cached_result(out, fingerprint) is not None
    left = out / f"{STAGE_PREFIX}99999"
    left.mkdir()
    (left / "half.docx").write_bytes(b"half")
    assert cached_result(out, fingerprint) is None
    with Stage(out):
        assert not left.exists()
    assert recover(out) is False and cached_result(out, fingerprint) is not None


def test_one_build_at_a_time_per_output_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.core.staging

    monkeypatch.setattr(generator.core.staging, "_LOCK_WAIT", 0.2)
    with Stage(tmp_path / "out") as first:
        with pytest.raises(ToolError, match="另一个 chanjiao 正在生成到"):
            Stage(tmp_path / "out")
        assert first.dir.is_dir()  # the second did not clean the live build's staging folder
    assert not (tmp_path / "out").exists()  # made by the first, left empty: removed again


def test_a_journal_cannot_move_or_remove_files_outside_the_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    (out / JOURNAL).write_text(json.dumps({"stage": "..", "files": ["../victim.txt"], "remove": ["../victim.txt", "/etc/passwd"]}), encoding="utf-8")
    assert recover(out) is True
    assert victim.read_text(encoding="utf-8") == "keep" and not (out / JOURNAL).exists()
