"""Time a full build of the example, LibreOffice alone on the same .docx files, and a no-op rebuild.

Targets: full build no slower than the bare conversion; no-op rebuild under a tenth of a full
build. Times are wall time of the `chanjiao` command, interpreter start included, median of
--repeat runs, interleaved so that every kind sees the same machine load:
- full build: as a user runs it, with no warm converter running (a private runtime folder):
  the build starts LibreOffices of its own while it renders and converts both phases there
  (pdf/buildoffice.py);
- the same with CHANJIAO_WARM=0: `soffice --convert-to` per phase, one process per core (the
  path before the build had its own LibreOffice, and the fallback);
- LibreOffice alone: one `soffice --convert-to pdf` of the three .docx, on a copy of a profile
  LibreOffice made before the rounds (as a user's starts), and on a fresh one.

Run: .venv/bin/python benchmarks/bench_build.py [--repeat R]
"""

from __future__ import annotations

import argparse
import os
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


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def bare_conversion(soffice: Path, docx: list[str], out: Path, profile: Path, made: Path | None) -> float:
    if made is not None:
        shutil.copytree(made, profile)
    return timed([str(soffice), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                  "--convert-to", "pdf", "--outdir", str(out), *docx])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    soffice = find_soffice()
    if soffice is None:
        sys.exit("LibreOffice is needed: bash ci/system-packages.sh")
    rows: dict[str, list[float]] = {k: [] for k in ("full", "cold", "bare", "fresh", "noop")}
    with tempfile.TemporaryDirectory() as top:
        runtime = Path(top) / "run"
        runtime.mkdir(mode=0o700)
        # no warm converter of the machine's (a preview) is found; bytecode as installed
        env = {k: v for k, v in os.environ.items() if k not in ("CHANJIAO_WARM", "PYTHONDONTWRITEBYTECODE")}
        env["XDG_RUNTIME_DIR"] = str(runtime)
        made = Path(top) / "made-profile"
        for n in range(args.repeat):
            tmp = Path(top) / f"round{n}"
            out = tmp / "build"
            rows["full"].append(timed([str(CHANJIAO), "build", str(EXAMPLE), "-o", str(out), "--pdf"], env))
            rows["noop"].append(timed([str(CHANJIAO), "build", str(EXAMPLE), "-o", str(out), "--pdf"], env))
            rows["cold"].append(timed([str(CHANJIAO), "build", str(EXAMPLE), "-o", str(tmp / "cold"), "--pdf"],
                                      {**env, "CHANJIAO_WARM": "0"}))
            bare_dir = tmp / "bare"
            bare_dir.mkdir()
            docx = []
            for i, src in enumerate(sorted(out.glob("*.docx"))):
                dst = bare_dir / f"doc{i}.docx"
                shutil.copyfile(src, dst)
                docx.append(str(dst))
            rows["fresh"].append(bare_conversion(soffice, docx, bare_dir / "fresh", tmp / "fresh-profile", None))
            if not made.exists():
                shutil.copytree(tmp / "fresh-profile", made, ignore=shutil.ignore_patterns(".lock"))
            rows["bare"].append(bare_conversion(soffice, docx, bare_dir / "made", tmp / "made-profile", made))
            print(f"  round {n + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in rows.items()) + f", load {os.getloadavg()[0]:.1f}")
    f, c, b, fr, n = (statistics.median(rows[k]) for k in ("full", "cold", "bare", "fresh", "noop"))
    print(f"full build (check, render, convert, package)      {f:7.2f} s")
    print(f"  the same, CHANJIAO_WARM=0 (soffice per phase)    {c:7.2f} s")
    print(f"LibreOffice alone, same .docx, one invocation      {b:7.2f} s  (fresh profile: {fr:.2f} s)")
    print(f"no-op rebuild                                       {n:7.2f} s")
    print(f"full / bare conversion  {f / b:5.2f}   (target ≤ 1.0; with CHANJIAO_WARM=0 {c / b:.2f})")
    print(f"no-op / full            {n / f:5.2f}   (target < 0.10)")


if __name__ == "__main__":
    main()
