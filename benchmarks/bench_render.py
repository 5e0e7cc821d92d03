"""Time rendering the example's 建设方案 (and 推荐书, when its template exists) to .docx.

Run: .venv/bin/python benchmarks/bench_render.py [--repeat R] [CONTENT_DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from generator.content.loader import load_application
from generator.pipeline import render_documents
from generator.word.documents import DOCUMENTS, templates_dir

EXAMPLE = Path(__file__).resolve().parent.parent / "content"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", nargs="?", type=Path, default=EXAMPLE)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    app, _diagnostics = load_application(args.content)
    print(f"load content            {time.perf_counter() - started:6.3f} s")
    with tempfile.TemporaryDirectory(prefix="chanjiao-bench-") as tmp:
        for doc in DOCUMENTS:
            if not (templates_dir() / doc.template).is_file():
                print(f"{doc.title:<10}              (no template yet)")
                continue
            times = []
            for n in range(args.repeat):
                started = time.perf_counter()
                render_documents(app, Path(tmp) / str(n), (doc,))
                times.append(time.perf_counter() - started)
            print(f"render {doc.title:<10}       {statistics.median(times):6.3f} s  (median of {args.repeat}; first {times[0]:.3f} s)")


if __name__ == "__main__":
    main()
