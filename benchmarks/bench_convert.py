"""Time LibreOffice conversion: all documents in one process vs one process per core, in parallel.

Run: .venv/bin/python benchmarks/bench_convert.py [--docs N] [--pages P] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.run import Run

from generator.pdf.convert import convert_to_pdf
from generator.pdf.reader import read_pdf

_PARAGRAPH = (
    "联合体坚持政府统筹、园区牵头、学校和企业共同参与，围绕智能网联新能源汽车产业链，"
    "共建专业、课程、教材、师资和实习实训基地，2024年培养学徒356人，就业率达到96.8%。"
)


def make_document(path: Path, pages: int) -> None:
    """A form-like document: per page, 三号 方正仿宋_GBK prose and a bordered 4 × 6 table."""
    doc = Document()
    for _ in range(pages):
        for _ in range(2):
            _set_font(doc.add_paragraph().add_run(_PARAGRAPH))
        table = doc.add_table(rows=6, cols=4)
        table.style = "Table Grid"
        for cell in table._cells:
            _set_font(cell.paragraphs[0].add_run("共建专业 12 个"))
    doc.save(str(path))


def _set_font(run: Run) -> None:
    run.font.size = Pt(16)
    run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "方正仿宋_GBK")


def timed_rounds(
    runs: dict[str, tuple[list[Path], int]], out_dir: Path, repeat: int
) -> dict[str, float]:
    """Median wall time of each run (documents, processes). Runs take turns within each round,
    so a load change on a shared machine hits every run alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, (docs, processes) in runs.items():
            start = time.perf_counter()
            convert_to_pdf(docs, out_dir / name, processes=processes)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=2)
    parser.add_argument(
        "--pages", type=int, default=16, help="pages asked for (LibreOffice counts)"
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    parallel_count = min(cores, args.docs)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        docs = [tmp_dir / f"doc{i}.docx" for i in range(args.docs)]
        for doc in docs:
            make_document(doc, args.pages)
        warm = convert_to_pdf(docs[:1], tmp_dir / "warm")  # fill the OS file cache first
        page_count = read_pdf(warm[0]).page_count
        cpu_before = os.times()
        t = timed_rounds(
            {
                "single": (docs[:1], 1),
                "one": (docs, 1),
                "parallel": (docs, parallel_count),
                "auto": (docs, 0),  # 0: convert_to_pdf's own choice by idle cores
            },
            tmp_dir,
            args.repeat,
        )
        cpu = os.times()
    busy = os.getloadavg()[0]
    print(
        f"{cores} cores (load {busy:.1f}), {args.docs} documents of {page_count} pages, median of {args.repeat}"
    )
    print(f"one document alone:                  {t['single']:6.2f} s")
    print(f"all documents in one invocation:     {t['one']:6.2f} s")
    print(f"{parallel_count} invocations in parallel:          {t['parallel']:6.2f} s")
    print(f"ratio one-invocation / parallel:     {t['one'] / t['parallel']:6.2f}")
    print(f"convert_to_pdf's own choice:         {t['auto']:6.2f} s")
    children = (cpu.children_user + cpu.children_system) - (
        cpu_before.children_user + cpu_before.children_system
    )
    print(f"LibreOffice CPU time, all runs:      {children:6.2f} s")


if __name__ == "__main__":
    main()
