"""Save of one Markdown file → its new text in the preview page's DOM, in a real headless Chromium.

End to end: from just before the file is written to the moment a MutationObserver in the page sees
the new text (the browser's clock and ours are the same machine's), and to the moment the first
changed page's new picture has loaded in the page. Median over N saves, with the breakdown the
preview measures itself: detect (from the write to the rebuild's start: inotify and the settle),
load, render (the rules, "check", run while LibreOffice converts), convert → first pages shown (with a warm converter: LibreOffice loads the new .docx
and exports the pages the change is on first; they are read and published at once), convert and
scan of the whole (each page's text and fingerprint, the parts' page counts), push (published →
in the DOM), then the pictures (published → the first changed page's picture loaded) and the
read-back that follows.

Run: .venv/bin/python benchmarks/bench_preview.py [--saves 20] [--file 推荐书/4-建设规划.md]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.preview_process import PreviewProcess, done  # noqa: E402
from tests.test_preview_browser import CHROMIUM_FLAGS  # noqa: E402

_OBSERVE = r"""
window.__want = arguments[0]; window.__seen = null; window.__picture = null;
if (!window.__observer) {
  const pages = document.getElementById('pages');
  window.__observer = new MutationObserver(() => {
    // the text of a page breaks its lines where the PDF does
    if (window.__seen === null && window.__want && pages.textContent.replace(/\s+/g, '').includes(window.__want)) window.__seen = Date.now();
  });
  window.__observer.observe(pages, { subtree: true, childList: true, characterData: true });
  // load does not bubble: listen in the capture phase for the first changed page's new picture
  pages.addEventListener('load', (e) => {
    if (window.__seen !== null && window.__picture === null && e.target.closest && e.target.closest('figure.changed')) window.__picture = Date.now();
  }, true);
}
"""


def _cpu_ms(root: int) -> tuple[float, float]:
    """CPU time (user + system) used so far by a process and by its descendants (LibreOffice and
    its bridge are the preview's): on a shared machine, what a save costs whatever the load."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo.extend(c for c, parent in parents.items() if parent == pid and c not in tree)
    return times.get(root, 0), sum(times.get(pid, 0) for pid in tree - {root})


def _browser(profile: Path):  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or "chromedriver"))


def _one_save(driver, preview: PreviewProcess, path: Path, original: str, n: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    marker = f"基准测试第{n}次保存的新句子。"
    driver.execute_script(_OBSERVE, marker)
    cpu = _cpu_ms(preview.proc.pid)
    written = time.time()
    path.write_text(original + f"\n{marker}\n", encoding="utf-8")
    deadline = time.monotonic() + 120
    while (seen := driver.execute_script("return window.__seen;")) is None:
        if time.monotonic() > deadline:
            raise SystemExit(f"save {n}: the new text did not reach the page")
        time.sleep(0.02)
    cpu_text = [b - a for a, b in zip(cpu, _cpu_ms(preview.proc.pid), strict=True)]
    while (picture := driver.execute_script("return window.__picture;")) is None:
        if time.monotonic() > deadline:
            raise SystemExit(f"save {n}: the changed page's picture did not load")
        time.sleep(0.02)
    state = preview.wait(lambda s: done(s) and s["status"].get("started", 0) > written - 0.05)
    status = state["status"]
    timings = status["timings"]
    # With a warm converter, the pages the change is on are published first (timings
    # "first_pages"): the text reaches the page then, the whole document later ("published").
    shown = timings.get("first_pages", timings.get("published", timings["pages"]))  # (older versions: after the pictures)
    published = status["started"] * 1000 + shown
    # (older versions checked before rendering: "check" then counts before the conversion)
    before_convert = timings.get("load", timings.get("check", 0)) + timings.get("render", 0)
    return {
        "end to end (text)": seen - written * 1000,
        "end to end (picture)": picture - written * 1000,
        "CPU to the text": sum(cpu_text),
        "  of it LibreOffice": cpu_text[1],
        "detect": (status["started"] - written) * 1000,
        "load": timings.get("load", float("nan")),
        "check (while converting)": timings.get("check", 0),
        "render": timings.get("render", 0),
        "convert → first pages shown": shown - before_convert if "first_pages" in timings else float("nan"),
        "convert (whole)": timings.get("convert", 0),
        "scan (whole)": timings.get("scan", 0),
        "push": seen - published,
        "picture (after push)": picture - published,
        "read-back (after)": timings.get("inspect", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--file", default="推荐书/4-建设规划.md", help="the Markdown file saved, relative to the content")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-preview-") as tmp:
        root = Path(tmp) / "content"
        shutil.copytree(REPO / "content", root)
        preview = PreviewProcess(root, Path(tmp) / "out")
        driver = _browser(Path(tmp) / "profile")
        try:
            first = preview.wait(done)
            print(f"first build: {first['status']['ms']} ms ({first['status']['message']})")
            driver.get(preview.url)
            while driver.find_element("tag name", "body").get_attribute("data-phase") != "done":
                time.sleep(0.05)
            path = root / args.file
            original = path.read_text(encoding="utf-8")
            runs = []
            for n in range(1, args.saves + 1):
                runs.append(_one_save(driver, preview, path, original, n))
                print(f"save {n:2}: " + "  ".join(f"{k} {v:.0f}" for k, v in runs[-1].items()), flush=True)
                time.sleep(0.3)
            last = preview.state()
        finally:
            driver.quit()
            preview.stop()
    print(f"\n{args.file}, {args.saves} saves, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print("(CPU to the text: the preview's and its LibreOffice's CPU time from the write to the text in the page;")
    print(" each step runs after the other, so on a quiet machine the wall time is close to it)")
    print(f"converter: {last.get('converter')}; notice: {last.get('notice') or 'none'}")
    for key in runs[0]:
        values = [r[key] for r in runs if r[key] == r[key]]  # NaN: the step did not happen
        if not values:
            continue
        print(f"  {key:28} median {statistics.median(values):7.0f} ms   min {min(values):7.0f}   max {max(values):7.0f}")


if __name__ == "__main__":
    main()
