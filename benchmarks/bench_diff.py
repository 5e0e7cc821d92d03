"""Time `chanjiao diff` between the example and a revision with edits in every part.

A throwaway git repo holds the example as `round-1` and, as `round-2`, the example with every
content file edited: figures changed, a member added, and in every Markdown file a sentence
rewritten, a paragraph added and the last paragraph removed. Prints the wall time of the command
(with and without PDFs) and where the time goes inside it.
Target: under 2 s without PDFs; the PDFs cost one LibreOffice conversion of two documents.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHANJIAO = Path(sys.executable).parent / "chanjiao"
RUNS = 3


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_every_part(root: Path) -> None:
    """Edits in every content file the form declares."""
    _replace(root / "项目.yaml", "  建设方案:\n  推荐书:", "  建设方案: 80\n  推荐书:")
    _replace(root / "基本信息.yaml", "日期: 2024-06-12", "日期: 2024-06-20")
    overview = root / "推荐书/1-联合体概况.yaml"
    _replace(overview, "固定办公面积: 260", "固定办公面积: 300")
    _replace(overview, "  企业:\n", "  企业:\n    - 单位名称: 重庆岭新智能制造装备有限公司\n      联系人: 孙晓峰\n      联系电话: \"13752361408\"\n")
    capacity = root / "推荐书/2-服务能力.yaml"
    text = capacity.read_text(encoding="utf-8")
    # Every second-year commitment one higher.
    capacity.write_text(re.sub(r"(2024年: )(\d+)(?=[,}])", lambda m: f"{m.group(1)}{int(m.group(2)) + 1}", text), encoding="utf-8")
    _replace(root / "附件/清单.yaml", "现场照片", "现场照片（6张）")
    for md in sorted(root.rglob("*.md")):
        paragraphs = md.read_text(encoding="utf-8").split("\n\n")
        body = [i for i, p in enumerate(paragraphs) if p.strip() and not p.lstrip().startswith(("#", "![", "|", "1.", "-"))]
        first, last = body[0], body[-1]
        sentence = paragraphs[first].split("。")[0]
        paragraphs[first] = paragraphs[first].replace(sentence, "经联合体理事会审议，" + sentence[len(sentence) // 2 :], 1)
        paragraphs.insert(first + 1, "联合体将按季度向理事会报告建设进展，接受成员单位和社会监督。")
        if last != first:
            del paragraphs[last + 1]
        md.write_text("\n\n".join(paragraphs), encoding="utf-8")


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo.parent)}
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args], cwd=repo, check=True, capture_output=True, env=env)


def make_repo(tmp: Path) -> Path:
    repo = tmp / "repo"
    shutil.copytree(REPO / "content", repo)
    git(repo, "init", "--quiet")
    git(repo, "add", "--all", ".")
    git(repo, "commit", "--quiet", "-m", "round-1")
    git(repo, "tag", "round-1")
    edit_every_part(repo)
    git(repo, "commit", "--quiet", "--all", "-m", "round-2")
    git(repo, "tag", "round-2")
    return repo


def time_command(repo: Path, *args: str) -> tuple[float, float, str]:
    """Median wall time and CPU time (ours and LibreOffice's) of the command, and its output."""
    walls, cpus, out = [], [], ""
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([str(CHANJIAO), "diff", "round-1", "round-2", *args], cwd=repo, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        assert done.returncode == 0, done.stdout + done.stderr
        out = done.stdout
    return statistics.median(walls), statistics.median(cpus), out


def stages(repo: Path, tmp: Path) -> dict[str, float]:
    """Where the time goes, in process: export, load, compare, render, redline."""
    from generator.content.loader import load_application
    from generator.core import git as git_module
    from generator.diff.changes import compare_applications
    from generator.diff.redline import redline
    from generator.pipeline import render_documents
    from generator.word.documents import DOCUMENTS

    times: dict[str, float] = {}

    def clock(name: str, start: float) -> float:
        now = time.perf_counter()
        times[name] = times.get(name, 0.0) + now - start
        return now

    t = time.perf_counter()
    roots = []
    for rev in ("round-1", "round-2"):
        sha = git_module.resolve_commit(repo, rev)
        git_module.export_folder(repo, sha, "", tmp / rev)
        roots.append(tmp / rev)
    t = clock("export from git", t)
    (app_a, _), (app_b, _) = (load_application(r) for r in roots)
    t = clock("load both", t)
    rows = compare_applications(app_a, app_b)
    t = clock(f"change table ({len(rows)} rows)", t)
    for doc in DOCUMENTS:
        [pa] = render_documents(app_a, tmp / "ra", (doc,))
        [pb] = render_documents(app_b, tmp / "rb", (doc,))
        t = clock("render 4 documents", t)
        redline(pa.read_bytes(), pb.read_bytes(), author="chanjiao", date=dt.datetime(2024, 6, 20))
        t = clock("redline 2 documents", t)
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        repo = make_repo(tmp)
        no_pdf, no_pdf_cpu, out = time_command(repo, "--no-pdf")
        with_pdf, with_pdf_cpu, _out = time_command(repo)
        breakdown = stages(repo, tmp)
    changed = re.search(r"：(\d+) 处变化", out)
    marks = re.findall(r"(建设方案|推荐书)：(\d+) 处修订", out)
    print(f"diff example → every part edited ({changed.group(1) if changed else '?'} changed fields; "
          + "、".join(f"{d} {n} tracked changes" for d, n in marks) + ")")
    print(f"  chanjiao diff --no-pdf   {no_pdf * 1000:8.0f} ms wall  {no_pdf_cpu * 1000:8.0f} ms CPU   target < 2000 ms")
    print(f"  chanjiao diff (with PDF) {with_pdf * 1000:8.0f} ms wall  {with_pdf_cpu * 1000:8.0f} ms CPU")
    print("  in process:")
    for name, seconds in breakdown.items():
        print(f"    {name:<26} {seconds * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
