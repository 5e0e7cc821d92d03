"""Make the README's pictures from the example's PDFs: each cover and the summary table page.

Run by `make pictures` after a build; the PNGs are committed so that the README shows the current
layout. Pages are found by reading the PDFs (the first page of each document, the first landscape
page of the plan), never by a fixed page number.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from pypdf import PdfReader

RESOLUTION = 60  # dpi: readable in a README, about 100 KB a page


def _render(pdf: Path, page: int, out_path: Path) -> None:
    """Rasterise one page (1-based) of `pdf` to `out_path` with poppler's pdftoppm."""
    with tempfile.TemporaryDirectory() as tmp:
        stem = Path(tmp) / "page"
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(RESOLUTION), "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(stem)],
            check=True,
        )
        out_path.write_bytes(stem.with_suffix(".png").read_bytes())


def _first_landscape(pdf: Path) -> int:
    for n, page in enumerate(PdfReader(pdf).pages, start=1):
        box = page.mediabox
        width, height = float(box.width), float(box.height)
        if page.rotation % 180 == 90:
            width, height = height, width
        if width > height:
            return n
    raise SystemExit(f"no landscape page in {pdf}")


def main(build_dir: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = next(build_dir.glob("*-建设方案.pdf"))
    form = next(build_dir.glob("*-推荐书.pdf"))
    _render(plan, 1, out_dir / "建设方案封面.png")
    _render(form, 1, out_dir / "推荐书封面.png")
    _render(plan, _first_landscape(plan), out_dir / "汇总表.png")
    for p in sorted(out_dir.glob("*.png")):
        print(p)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "build"), Path(sys.argv[2] if len(sys.argv) > 2 else "docs/images"))
