"""The warm converter: `chanjiao build` of the example with one running vs bare LibreOffice cold,
and its memory over many conversions.

Run: .venv/bin/python benchmarks/bench_warm.py [--repeat R] [--offices N] [--breakdown]
     .venv/bin/python benchmarks/bench_warm.py --soak 500 [--every 50] [--max-conversions 200]

The first compares, in one run and interleaved (so both see the same machine load):
- cold: `soffice --headless --convert-to pdf` of the example's .docx (all three), each time on a
  copy of a profile LibreOffice made before the rounds, as a user's LibreOffice starts on the
  profile it already has (what LibreOffice alone costs; the cold build adds rendering and checks).
  The same on a fresh profile is printed beside it (LibreOffice then builds its profile and
  restarts itself: seconds more, which earlier versions of this benchmark compared against);
- warm: `chanjiao build content -o <new folder>` (the whole command a user runs: Python start,
  rendering, checks, conversion, package) while a WarmConverter for the example's fonts runs in
  this process (--offices LibreOffices, default 2: the two documents convert side by side), twice
  per round:
  - of content the converter has converted (the example is built once before the rounds): as
    beside `chanjiao preview`, which has converted what was saved; the converter answers each
    document with the PDF it made for the same bytes;
  - converting every document: the converter forgets its PDFs first (WarmConverter.forget).
  Target: warm build ≤ 0.6 × cold LibreOffice; both ratios are printed. The load average is
  printed with every round (the machine may be shared: cold and warm alternate so that all see
  the same load).
--breakdown adds, per round, a warm build converting every document run under a timer of each step of pipeline.build
(wall and CPU seconds of the build process; the conversion's CPU is LibreOffice's, not ours).
The soak converts the example's documents N times, one at a time, printing the RSS of the
LibreOffice process tree every --every conversions, and the restarts.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generator.core import procs
from generator.pdf.convert import find_soffice
from generator.pdf.warm import WarmConverter

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
FONTS = CONTENT / "字体"  # the example's 字体目录: a build's converter must have the same fonts


def example_docx(work: Path) -> list[Path]:
    from generator.pipeline import build

    build(CONTENT, work / "docx", pdf=False)
    return sorted((work / "docx").glob("*.docx"))


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's waited-for children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def office_cpu(conv: WarmConverter) -> float:
    """CPU seconds used so far by the converter's LibreOffices (every process of each office)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for marker in conv.markers:
        for pid in procs.marked_pids(marker):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def cold_soffice(soffice: Path, docx: list[Path], work: Path, n: int, made: Path | None = None) -> float:
    """Bare LibreOffice converting `docx` cold: on a copy of the profile `made` (None: a fresh one)."""
    out, profile = work / f"cold{n}{'m' if made else 'f'}", work / f"profile{n}{'m' if made else 'f'}"
    if made is not None:
        shutil.copytree(made, profile)
    started = time.perf_counter()
    subprocess.run(
        [str(soffice), f"-env:UserInstallation={profile.as_uri()}", "--headless",
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
    from generator.word.documents import DOCUMENTS

    assert len(list(out.glob("*.pdf"))) == len(DOCUMENTS) + 1  # every document and the package
    return elapsed


#: Run in a fresh interpreter (as `chanjiao build` is): times each step of pipeline.build.
_STEPS = """
import json, sys, time
started = time.perf_counter()
import generator.cli  # what `chanjiao` imports before it does anything
from pathlib import Path
from generator import pipeline
from generator.check import validate
from generator.content import loader
imported = time.perf_counter() - started
times = {}
def timed(module, name, label):
    real = getattr(module, name)
    def wrapper(*args, **kwargs):
        t, c = time.perf_counter(), time.process_time()
        try:
            return real(*args, **kwargs)
        finally:
            w0, c0 = times.get(label, (0.0, 0.0))
            times[label] = (w0 + time.perf_counter() - t, c0 + time.process_time() - c)
    setattr(module, name, wrapper)
timed(loader, "load_application", "load")
timed(validate, "check_loaded", "check")
for name, label in [("_render", "render .docx"), ("_convert", "convert (+ measure, read back as each arrives)"),
                    ("_while_converting", "  of which imports + fontconfig ahead"),
                    ("_extracted", "  of which the first phase's last PDF read"),
                    ("_complete_deferred", "  of which its read-back, while the 自评表 converts"),
                    ("_make_package", "  of which the package, while the 自评表 converts"),
                    ("_collect_remote", "  of which taking the worker's read-back"),
                    ("_measure", "  of which measure"), ("_inspect", "  of which read-back + layout"),
                    ("_evidence_pages", "自评表 page numbers"),
                    ("_read_back", "read back (the rest)"), ("_package", "package (when not made ahead)"), ("_check_fonts", "font check"),
                    ("_finish", "reports + state")]:
    timed(pipeline, name, label)
t, c = time.perf_counter(), time.process_time()
pipeline.build(Path(sys.argv[1]), Path(sys.argv[2]), pdf=True)
times["build (total)"] = (time.perf_counter() - t, time.process_time() - c)
times["python start + imports"] = (imported, 0.0)
print(json.dumps(times))
"""


def warm_breakdown(work: Path, n: int) -> tuple[float, dict[str, tuple[float, float]]]:
    """One warm build under the step timer: its wall time (interpreter start included) and steps."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(REPO / ".venv/bin/python"), "-c", _STEPS, str(CONTENT), str(work / f"steps{n}")],
        check=True, capture_output=True, text=True, cwd=REPO,
    )
    return time.perf_counter() - started, json.loads(done.stdout.splitlines()[-1])


def print_breakdown(rounds: list[dict[str, tuple[float, float]]], walls: list[float]) -> None:
    print(f"breakdown of a warm build (median of {len(rounds)}; wall / CPU of the build process):")
    print(f"  {'whole command (interpreter start included)':50s} {statistics.median(walls):5.2f} s")
    order = ["python start + imports", "load", "check", "render .docx", "convert (+ measure, read back as each arrives)",
             "  of which imports + fontconfig ahead", "  of which read-back + layout", "  of which measure",
             "  of which the first phase's last PDF read", "  of which its read-back, while the 自评表 converts",
             "  of which the package, while the 自评表 converts", "  of which taking the worker's read-back", "自评表 page numbers", "read back (the rest)",
             "package (when not made ahead)", "font check", "reports + state", "build (total)"]
    for label in [lb for lb in order if lb in rounds[0]]:
        wall = statistics.median(r[label][0] for r in rounds)
        cpu = statistics.median(r[label][1] for r in rounds)
        print(f"  {label:50s} {wall:5.2f} s" + (f"   cpu {cpu:5.2f} s" if cpu else ""))


def compare(repeat: int, offices: int, breakdown: bool) -> None:
    soffice = find_soffice()
    assert soffice is not None, "LibreOffice is needed"
    with tempfile.TemporaryDirectory(prefix="bench-warm-") as tmp:
        work = Path(tmp)
        docx = example_docx(work)
        started = time.perf_counter()
        with WarmConverter(fonts_dir=FONTS, offices=offices) as conv:
            print(f"warm converter ({offices} offices) started in {time.perf_counter() - started:.2f} s")
            conv.convert(docx, work / "first")  # LibreOffice's first document loads fonts and filters
            conv.forget()
            conv.convert(docx, work / "second")  # each office has seen a document of each kind
            warm_build(work, -1)  # the converter has converted this content, as a preview has
            # from here on, the documents exactly as a build makes them (the 自评表 with its page
            # numbers): bare LibreOffice and the direct conversion convert those
            docx = sorted((work / "build-1").glob("*.docx"))
            before, reused_before = conv.conversions, conv.reused
            cold, warm, seen, convert, loads, fresh = [], [], [], [], [], []
            made = work / "made-profile"  # a profile LibreOffice made and left, as a user's is
            cold_soffice(soffice, docx, work, -1)
            shutil.copytree(work / "profile-1f", made)
            cold_cpu, build_cpu, lo_cpu, seen_cpu = [], [], [], []  # CPU seconds per run
            steps: list[dict[str, tuple[float, float]]] = []
            step_walls: list[float] = []
            for n in range(repeat):
                fresh.append(cold_soffice(soffice, docx, work, n))
                c0 = children_cpu()
                cold.append(cold_soffice(soffice, docx, work, n, made))
                # the content converted just before (the example does not change): answered with
                # the PDFs the converter made for the same bytes, as beside a preview
                c1 = children_cpu()
                seen.append(warm_build(work, 2 * n))
                c2 = children_cpu()
                # every document converted: the converter forgets the PDFs it made first
                conv.forget()
                o2 = office_cpu(conv)
                warm.append(warm_build(work, 2 * n + 1))
                cold_cpu.append(c1 - c0)
                seen_cpu.append(c2 - c1)
                build_cpu.append(children_cpu() - c2)
                lo_cpu.append(office_cpu(conv) - o2)
                conv.forget()
                t = time.perf_counter()
                conv.convert(docx, work / f"direct{n}")
                convert.append(time.perf_counter() - t)
                loads.append(os.getloadavg()[0])
                print(f"  round {n + 1}: cold LibreOffice {cold[-1]:.2f} s (fresh profile {fresh[-1]:.2f} s), "
                      f"warm build of content converted before {seen[-1]:.2f} s ({seen[-1] / cold[-1]:.2f}×), "
                      f"converting every document {warm[-1]:.2f} s ({warm[-1] / cold[-1]:.2f}×), "
                      f"warm conversion alone {convert[-1]:.2f} s, load {loads[-1]:.1f}")
                if breakdown:
                    conv.forget()
                    wall, times = warm_breakdown(work, n)
                    step_walls.append(wall)
                    steps.append(times)
            # per round: the unseen build and the direct conversion convert every document, the
            # seen build none (and the breakdown's build every one)
            per_build = len(docx)
            assert conv.conversions - before == (2 * per_build + per_build * breakdown) * repeat, "every build went through the warm converter"
            assert conv.reused - reused_before == per_build * repeat, "the seen builds reused every PDF"
            assert not conv.fell_back
        c, w, v, sn = statistics.median(cold), statistics.median(warm), statistics.median(convert), statistics.median(seen)
        print(f"load average during the run: {min(loads):.1f}–{max(loads):.1f} (1 min), now {os.getloadavg()}")
        print(f"bare LibreOffice, cold, {len(docx)} .docx: median {c:.2f} s (min {min(cold):.2f}) on a made profile; "
              f"{statistics.median(fresh):.2f} s on a fresh one")
        print(f"chanjiao build with a warm converter that has converted this content (beside a preview): median {sn:.2f} s "
              f"(min {min(seen):.2f}), CPU {statistics.median(seen_cpu):.2f} s")
        print(f"chanjiao build with a warm converter converting every document: median {w:.2f} s (min {min(warm):.2f})")
        print(f"  the warm conversion of the {len(docx)} .docx alone (in-process): median {v:.2f} s ({v / c:.2f}× cold)")
        cc, bc, lc = statistics.median(cold_cpu), statistics.median(build_cpu), statistics.median(lo_cpu)
        cores = len(os.sched_getaffinity(0))
        print(f"CPU seconds (median): cold LibreOffice {cc:.2f}; warm build converting every document: the chanjiao "
              f"process {bc:.2f} + the warm LibreOffices {lc:.2f} = {bc + lc:.2f}")
        print(f"  on {cores} idle cores no such build can take less than {(bc + lc) / cores:.2f} s "
              f"(≈ {(bc + lc) / cores / cc:.2f}× the cold CPU; a quiet machine's cold wall ≈ its CPU)")
        if steps:
            print_breakdown(steps, step_walls)
        print(f"ratio warm build / cold LibreOffice (target ≤ 0.6×): content converted before {sn / c:.2f}× (per round: "
              f"{', '.join(f'{a / b:.2f}' for a, b in zip(seen, cold, strict=True))}); every document converted "
              f"{w / c:.2f}× (per round: {', '.join(f'{a / b:.2f}' for a, b in zip(warm, cold, strict=True))})")


def soak(total: int, every: int, max_conversions: int, ceiling: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-warm-") as tmp:
        work = Path(tmp)
        docx = example_docx(work)
        # keep=0: the same documents again are converted again, not answered with the PDFs kept
        with WarmConverter(fonts_dir=FONTS, max_conversions=max_conversions, memory_ceiling_mb=ceiling, keep=0) as conv:
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
    parser.add_argument("--offices", type=int, default=2, help="LibreOffices the warm converter keeps")
    parser.add_argument("--breakdown", action="store_true", help="also time each step of a warm build")
    parser.add_argument("--compile-each-time", action="store_true", help="keep PYTHONDONTWRITEBYTECODE if set")
    parser.add_argument("--soak", type=int, default=0, metavar="N", help="convert N documents and watch memory")
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--max-conversions", type=int, default=200)
    parser.add_argument("--memory-ceiling", type=int, default=1500, metavar="MB")
    args = parser.parse_args()
    os.environ.pop("CHANJIAO_WARM", None)
    # An installed chanjiao has its modules' bytecode on disk (pip writes it); with
    # PYTHONDONTWRITEBYTECODE set (some shells and CI runners set it) every build would compile
    # ~200 modules from source, 0.25 CPU-s a user never pays. --compile-each-time keeps it.
    if not args.compile_each_time and os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
        print("PYTHONDONTWRITEBYTECODE unset for the builds (bytecode as installed; --compile-each-time keeps it)")
    if args.soak:
        soak(args.soak, args.every, args.max_conversions, args.memory_ceiling)
    else:
        compare(args.repeat, args.offices, args.breakdown)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
