"""The warm converter: `chanjiao build` of the example with one running vs bare LibreOffice cold,
and its memory over many conversions.

Run: .venv/bin/python benchmarks/bench_warm.py [--repeat R]
     .venv/bin/python benchmarks/bench_warm.py --soak 500 [--every 50] [--max-conversions 200]

The first compares, in one run and interleaved (so both see the same machine load):
- cold: `soffice --headless --convert-to pdf` of the example's two .docx, a fresh profile each time
  (what LibreOffice alone costs; the cold build adds rendering and checks on top of it);
- warm: `chanjiao build content -o <new folder>` (the whole command a user runs: Python start,
  rendering, checks, conversion, package) while a WarmConverter for the example's fonts runs in
  this process. Target: warm build ≤ 0.6 × cold LibreOffice.
The soak converts the example's documents N times, one at a time, printing the RSS of the
LibreOffice process tree every --every conversions, and the restarts.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generator.pdf.convert import find_soffice
from generator.pdf.warm import WarmConverter

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
FONTS = CONTENT / "字体"  # the example's 字体目录: a build's converter must have the same fonts


def example_docx(work: Path) -> list[Path]:
    from generator.pipeline import build

    build(CONTENT, work / "docx", pdf=False)
    return sorted((work / "docx").glob("*.docx"))


def cold_soffice(soffice: Path, docx: list[Path], work: Path, n: int) -> float:
    out = work / f"cold{n}"
    started = time.perf_counter()
    subprocess.run(
        [str(soffice), f"-env:UserInstallation={(work / f'profile{n}').as_uri()}", "--headless",
         "--norestore", "--nolockcheck", "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(out),
         *map(str, docx)],
        check=True, capture_output=True,
    )
    elapsed = time.perf_counter() - started
    assert len(list(out.glob("*.pdf"))) == len(docx)
    return elapsed


def warm_build(work: Path, n: int) -> float:
    out = work / f"build{n}"
    started = time.perf_counter()
    subprocess.run([str(REPO / ".venv/bin/chanjiao"), "build", str(CONTENT), "-o", str(out)], check=True, capture_output=True)
    elapsed = time.perf_counter() - started
    assert len(list(out.glob("*.pdf"))) == 3  # the two documents and the package
    return elapsed


def compare(repeat: int) -> None:
    soffice = find_soffice()
    assert soffice is not None, "LibreOffice is needed"
    with tempfile.TemporaryDirectory(prefix="bench-warm-") as tmp:
        work = Path(tmp)
        docx = example_docx(work)
        started = time.perf_counter()
        with WarmConverter(fonts_dir=FONTS) as conv:
            print(f"warm converter started in {time.perf_counter() - started:.2f} s")
            conv.convert(docx, work / "first")  # LibreOffice's first document loads fonts and filters
            before = conv.conversions
            cold, warm, convert = [], [], []
            for n in range(repeat):
                cold.append(cold_soffice(soffice, docx, work, n))
                warm.append(warm_build(work, n))
                t = time.perf_counter()
                conv.convert(docx, work / f"direct{n}")
                convert.append(time.perf_counter() - t)
                print(f"  round {n + 1}: cold LibreOffice {cold[-1]:.2f} s, warm build {warm[-1]:.2f} s, "
                      f"warm conversion alone {convert[-1]:.2f} s, load {os.getloadavg()[0]:.1f}")
            assert conv.conversions - before == 4 * repeat, "every build went through the warm converter"
        c, w, v = statistics.median(cold), statistics.median(warm), statistics.median(convert)
        print(f"bare LibreOffice, cold, 2 .docx: median {c:.2f} s (min {min(cold):.2f})")
        print(f"chanjiao build with a warm converter: median {w:.2f} s (min {min(warm):.2f})")
        print(f"  of which the warm conversion of the 2 .docx (in-process): median {v:.2f} s ({v / c:.2f}× cold)")
        print(f"ratio warm build / cold LibreOffice: {w / c:.2f}× (target ≤ 0.6×)")


def soak(total: int, every: int, max_conversions: int, ceiling: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-warm-") as tmp:
        work = Path(tmp)
        docx = example_docx(work)
        with WarmConverter(fonts_dir=FONTS, max_conversions=max_conversions, memory_ceiling_mb=ceiling) as conv:
            started = time.perf_counter()
            peak = 0.0
            for n in range(1, total + 1):
                conv.convert([docx[n % len(docx)]], work / "out")
                rss = conv.rss_mb()
                peak = max(peak, rss)
                if conv.fell_back:
                    print(f"  {n}: fell back: {conv.message}")
                if n % every == 0 or n == total:
                    print(f"  {n:4d} conversions: RSS {rss:6.0f} MB, starts {conv.starts}, "
                          f"{(time.perf_counter() - started) / n:.2f} s per document")
            print(f"peak RSS {peak:.0f} MB (ceiling {ceiling} MB), {conv.starts} starts for {total} conversions")


def main() -> None:
    if isinstance(sys.stdout, io.TextIOWrapper):  # figures appear as they come, even into a file
        sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--soak", type=int, default=0, metavar="N", help="convert N documents and watch memory")
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--max-conversions", type=int, default=200)
    parser.add_argument("--memory-ceiling", type=int, default=1500, metavar="MB")
    args = parser.parse_args()
    os.environ.pop("CHANJIAO_WARM", None)
    if args.soak:
        soak(args.soak, args.every, args.max_conversions, args.memory_ceiling)
    else:
        compare(args.repeat)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
