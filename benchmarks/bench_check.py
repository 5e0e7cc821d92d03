"""Time `chanjiao check` on the example and on a content repo ten times its size.

Prints wall time including interpreter start (what a user waits for) and the ratio.
Target: the example under 0.5 s; cost linear in content size (ratio near 10 or below).
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHANJIAO = Path(sys.executable).parent / "chanjiao"
RUNS = 7


def grow(src: Path, dst: Path, factor: int) -> None:
    """A copy of `src` with every Markdown file and every list of units `factor` times longer."""
    shutil.copytree(src, dst)
    for md in dst.rglob("*.md"):
        text = md.read_text(encoding="utf-8")
        md.write_text("\n\n".join([text] * factor), encoding="utf-8")
    overview = dst / "推荐书/1-联合体概况.yaml"
    text = overview.read_text(encoding="utf-8")
    # Repeat each unit entry (a "- 单位名称:" item with its indented lines) factor times.
    pattern = re.compile(r"(    - 单位名称:.*\n(?:      .*\n)*)")
    overview.write_text(pattern.sub(lambda m: m.group(1) * factor, text), encoding="utf-8")


def time_check(root: Path) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([str(CHANJIAO), "check", str(root)], capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def time_in_process(root: Path) -> float:
    """The work itself, without interpreter start: what must grow linearly."""
    from generator.check.validate import check_content

    check_content(root)  # warm the form declaration cache
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        check_content(root)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    example = REPO / "content"
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "content-x10"
        grow(example, big, 10)
        size_small = sum(p.stat().st_size for p in example.rglob("*") if p.is_file() and p.suffix in (".md", ".yaml"))
        size_big = sum(p.stat().st_size for p in big.rglob("*") if p.is_file() and p.suffix in (".md", ".yaml"))
        t_small = time_check(example)
        t_big = time_check(big)
        w_small = time_in_process(example)
        w_big = time_in_process(big)
    print(f"check example        {t_small * 1000:8.0f} ms  ({size_small / 1024:.0f} KiB of text)   target < 500 ms")
    print(f"check example × 10   {t_big * 1000:8.0f} ms  ({size_big / 1024:.0f} KiB of text)")
    print(f"ratio (wall)         {t_big / t_small:8.2f}   (size ratio {size_big / size_small:.1f}; start-up is a fixed cost)")
    print(f"work only: example {w_small * 1000:.0f} ms, × 10 {w_big * 1000:.0f} ms, ratio {w_big / w_small:.2f}"
          f" ({w_big / size_big * 1024 * 1000:.2f} vs {w_small / size_small * 1024 * 1000:.2f} ms per KiB)")


if __name__ == "__main__":
    main()
