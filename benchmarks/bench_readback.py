"""Time what reading the PDFs back adds to a build: read-back (text comparison) and layout
analysis, against the LibreOffice conversion of the same documents.

Run: .venv/bin/python benchmarks/bench_readback.py [CONTENT] [--repeat R]
(CONTENT defaults to the example; `python -m tests.large_app DEST` makes a large one.)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from generator.content.loader import load_application
from generator.pdf.convert import convert_to_pdf
from generator.pdf.layout import analyse_layout
from generator.pdf.readback import read_back
from generator.pdf.reader import read_printed_text
from generator.pipeline import render_documents
from generator.word.documents import DOCUMENTS

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("content", nargs="?", type=Path, default=REPO / "content")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    app, _diagnostics = load_application(args.content)
    with tempfile.TemporaryDirectory(prefix="bench-readback-") as tmp:
        out = Path(tmp)
        docx_paths = render_documents(app, out, DOCUMENTS)
        started = time.perf_counter()
        convert_to_pdf(docx_paths, out)
        convert_seconds = time.perf_counter() - started

        total = 0.0
        for docx in docx_paths:
            pdf = docx.with_suffix(".pdf")
            chars, readback, layout = [], [], []
            # Rounds take turns, so a load change on the shared machine hits every figure alike.
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                read_printed_text(pdf)
                t1 = time.perf_counter()
                rb = read_back(docx.stem, docx, pdf)
                t2 = time.perf_counter()
                analyse_layout(rb)
                t3 = time.perf_counter()
                chars.append(t1 - t0)
                readback.append(t2 - t1)
                layout.append(t3 - t2)
            pages = len(rb.pages)
            both = statistics.median(readback) + statistics.median(layout)
            total += both
            print(
                f"{docx.name}: {pages} pages; characters from the PDF {statistics.median(chars):.3f} s, "
                f"read-back (with them) {statistics.median(readback):.3f} s, layout {statistics.median(layout):.3f} s"
            )
        print(f"conversion of {len(docx_paths)} documents (LibreOffice, one call): {convert_seconds:.2f} s")
        print(f"read-back + layout of all documents: {total:.2f} s = {total / convert_seconds:.0%} of the conversion")


if __name__ == "__main__":
    main()
