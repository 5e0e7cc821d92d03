"""Time rendering the example's documents to .docx: from nothing, and again after an edit in one
process, as `chanjiao preview` renders on each save (the documents it shows that the saved file
feeds, with what is kept from the renders before: word/blocks._WRITTEN, word/summary_layout._LAID).

Run: .venv/bin/python benchmarks/bench_render.py [--repeat R] [--edit 建设方案/3-建设内容与举措.md] [CONTENT_DIR]

CPU time (time.process_time) of this process, median of R renders; the first render of each
document in the process is printed apart (templates, fonts and caches are made then).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from generator.content.loader import load_application
from generator.pipeline import NEEDS_PAGES, render_documents
from generator.word.blocks import clear_written
from generator.word.documents import DOCUMENTS, Document, templates_dir
from generator.word.summary_layout import clear_laid

EXAMPLE = Path(__file__).resolve().parent.parent / "content"


def _cpu(run: Callable[[], object]) -> float:
    started = time.process_time()
    run()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", nargs="?", type=Path, default=EXAMPLE)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--edit", default="建设方案/3-建设内容与举措.md", help="the Markdown file edited before each re-render")
    args = parser.parse_args()

    started = time.perf_counter()
    app, _diagnostics = load_application(args.content)
    print(f"load content                     {time.perf_counter() - started:6.3f} s")
    docs = tuple(d for d in DOCUMENTS if (templates_dir() / d.template).is_file())
    with tempfile.TemporaryDirectory(prefix="chanjiao-bench-") as tmp:
        out = Path(tmp)
        for doc in docs:
            first = _cpu(lambda doc=doc: render_documents(app, out / "first", (doc,)))

            def cleared(doc: Document = doc) -> None:
                clear_written()  # nothing kept: every render as from nothing, in a warm process
                clear_laid()
                render_documents(app, out / "cleared", (doc,))

            times = [_cpu(cleared) for _n in range(args.repeat)]
            print(f"render {doc.title:<10} first {first * 1000:5.0f} ms; from nothing, warm: median {statistics.median(times) * 1000:5.0f} ms (CPU, {args.repeat})")
        # Re-renders after an edit, as preview does: the saved file's documents, with what is kept.
        root = out / "content"
        shutil.copytree(args.content, root)
        edited = root / args.edit
        text = edited.read_text(encoding="utf-8")
        # preview shows no 自评表 (its page numbers come from a whole build's read-back)
        fed = tuple(d for d in docs if any(args.edit.startswith(r) for r in d.reads) and d.id not in NEEDS_PAGES)
        times = []
        for n in range(args.repeat + 1):
            edited.write_text(f"{text}\n\n编辑 {n}：新加的一段，2024 年。\n", encoding="utf-8")
            app, _diagnostics = load_application(root)
            took = _cpu(lambda app=app: render_documents(app, out / "again", fed))
            if n:  # the first fills what is kept
                times.append(took)
        names = "+".join(d.title for d in fed)
        print(f"after an edit of {args.edit} ({names}): median {statistics.median(times) * 1000:5.0f} ms CPU, min {min(times) * 1000:.0f} ({args.repeat}; load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
