"""Time a full build of the example, LibreOffice alone on the same .docx files, and a no-op rebuild.

Targets: full build no slower than the bare conversion (the build converts in parallel, one process
per core); no-op rebuild under a tenth of a full build. Times are wall time of the `chanjiao`
command, interpreter start included, median of --repeat runs.

Run: .venv/bin/python benchmarks/bench_build.py [--repeat R]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generator.pdf.convert import find_soffice

EXAMPLE = Path(__file__).resolve().parent.parent / "content"
CHANJIAO = Path(sys.executable).parent / "chanjiao"


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    soffice = find_soffice()
    if soffice is None:
        sys.exit("LibreOffice is needed: bash ci/system-packages.sh")
    full, bare, noop = [], [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "build"
            full.append(timed([str(CHANJIAO), "build", str(EXAMPLE), "-o", str(out), "--pdf"]))
            noop.append(timed([str(CHANJIAO), "build", str(EXAMPLE), "-o", str(out), "--pdf"]))
            bare_dir = Path(tmp) / "bare"
            bare_dir.mkdir()
            docx = []
            for n, src in enumerate(sorted(out.glob("*.docx"))):
                dst = bare_dir / f"doc{n}.docx"
                shutil.copyfile(src, dst)
                docx.append(str(dst))
            profile = (Path(tmp) / "profile").as_uri()
            bare.append(
                timed([str(soffice), f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(bare_dir), *docx])
            )
    f, b, n = statistics.median(full), statistics.median(bare), statistics.median(noop)
    print(f"full build (check, render, convert, package)  {f:7.2f} s")
    print(f"LibreOffice alone, same .docx, one invocation  {b:7.2f} s")
    print(f"no-op rebuild                                   {n:7.2f} s")
    print(f"full / bare conversion  {f / b:5.2f}   (target ≤ 1.0)")
    print(f"no-op / full            {n / f:5.2f}   (target < 0.10)")


if __name__ == "__main__":
    main()
