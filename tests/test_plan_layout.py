"""The 建设方案 as printed: what LibreOffice makes of the template, read back from the PDF
(text, glyph positions from the rendered page, page sizes and counts)."""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import EXAMPLE
from lxml import etree

from generator.content.loader import load_application
from generator.pdf.convert import convert_to_pdf
from generator.pipeline import render_documents
from generator.word.documents import PLAN
from generator.word.text import docx_text
from tests.large_app import FIRM_COUNT, make_large_application

A4 = (210.0, 297.0)
#: GB/T 9704 margins of the plan's portrait pages, mm.
TOP, BOTTOM, LEFT, RIGHT = 37.0, 35.0, 28.0, 26.0
PT = 25.4 / 72  # mm per point
#: The landscape page is the portrait page turned a quarter to the left: its margins turn with it.
L_TOP, L_BOTTOM, L_LEFT, L_RIGHT = LEFT, RIGHT, BOTTOM, TOP


@dataclass(frozen=True)
class Box:
    """A rectangle on a page in mm, from the page's top-left corner."""

    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class Line:
    """One text line as pdftotext sees it, in mm."""

    text: str
    box: Box


class PrintedPlan:
    """A plan's .docx and its PDF, with the PDF read back by poppler."""

    def __init__(self, docx: Path, pdf: Path) -> None:
        self.docx, self.pdf = docx, pdf
        self._pages: list[tuple[tuple[float, float], list[Line]]] | None = None
        self._words: list[list[Line]] = []

    def text(self) -> str:
        return subprocess.run(["pdftotext", str(self.pdf), "-"], capture_output=True, text=True, check=True).stdout

    def pages(self) -> list[tuple[tuple[float, float], list[Line]]]:
        """Each page's size (mm) and its text lines."""
        if self._pages is None:
            out = subprocess.run(
                ["pdftotext", "-bbox-layout", str(self.pdf), "-"], capture_output=True, check=True
            ).stdout
            root = etree.fromstring(out, etree.XMLParser(recover=True, huge_tree=True))
            pages, words = [], []
            for page in root.iter("{*}page"):
                size = (float(page.get("width")) * PT, float(page.get("height")) * PT)
                lines = []
                for line in page.iter("{*}line"):
                    text = "".join(w.text or "" for w in line.iter("{*}word"))
                    lines.append(Line(text, Box(*(float(line.get(k)) * PT for k in ("xMin", "yMin", "xMax", "yMax")))))
                pages.append((size, lines))
                words.append([
                    Line(w.text or "", Box(*(float(w.get(k)) * PT for k in ("xMin", "yMin", "xMax", "yMax")))) for w in page.iter("{*}word")
                ])
            self._pages, self._words = pages, words
        return self._pages

    def rows(self, page: int, left: float, right: float) -> list[Line]:
        """The words of page `page` (1-based) that start between `left` and `right` (mm), joined row
        by row."""
        self.pages()
        found = sorted((wd for wd in self._words[page - 1] if left - 0.3 <= wd.box.left < right),
                       key=lambda wd: (round(wd.box.top, 1), wd.box.left))
        rows: list[Line] = []
        for wd in found:
            if rows and abs(rows[-1].box.top - wd.box.top) < 1:
                last = rows[-1]
                rows[-1] = Line(last.text + wd.text, Box(last.box.left, last.box.top, wd.box.right, max(last.box.bottom, wd.box.bottom)))
            else:
                rows.append(wd)
        return rows

    def ink(self, page: int, area: Box, dpi: int = 200) -> Box | None:
        """The bounding box of what is drawn inside `area` on page `page` (1-based), in mm."""
        from PIL import Image, ImageOps

        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                ["pdftoppm", "-r", str(dpi), "-gray", "-f", str(page), "-l", str(page), "-png", str(self.pdf), f"{tmp}/p"],
                check=True,
            )
            image = Image.open(next(Path(tmp).glob("p*.png"))).convert("L")
        per_mm = dpi / 25.4
        crop_box = tuple(round(v * per_mm) for v in (area.left, area.top, area.right, area.bottom))
        crop = ImageOps.invert(image.crop(crop_box)).point(lambda v: 255 if v > 127 else 0)
        found = crop.getbbox()
        if found is None:
            return None
        x0, y0 = crop_box[0], crop_box[1]
        return Box((found[0] + x0) / per_mm, (found[1] + y0) / per_mm, (found[2] + x0) / per_mm, (found[3] + y0) / per_mm)


def print_plan(root: Path, out_dir: Path) -> PrintedPlan:
    """Render the plan of the application at `root` and convert it with the real LibreOffice."""
    app, _ = load_application(root)
    (docx,) = render_documents(app, out_dir, (PLAN,))
    (pdf,) = convert_to_pdf([docx], out_dir)
    return PrintedPlan(docx, pdf)


@pytest.fixture(scope="module")
def example_printed(tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> PrintedPlan:
    """The example's plan, rendered and printed once for this module."""
    return print_plan(EXAMPLE, tmp_path_factory.mktemp("plan-layout"))


def body_pages(plan: PrintedPlan) -> list[int]:
    """1-based numbers of the portrait pages that carry a printed page number."""
    return [
        n
        for n, (size, lines) in enumerate(plan.pages(), start=1)
        if size[0] < size[1] and any(re.fullmatch(r"—\d+—", ln.text) for ln in lines)
    ]


# -- punctuation ----------------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_every_enumeration_comma_and_comma_is_printed(example_printed: PrintedPlan) -> None:
    written = docx_text(example_printed.docx)
    printed = example_printed.text()
    for mark in "、，。；“”（）":
        assert written.count(mark) > 0 or mark in "；"
        assert printed.count(mark) == written.count(mark), mark


@pytest.mark.libreoffice
def test_body_keeps_the_22_by_28_grid(example_printed: PrintedPlan) -> None:
    # Page 3 is all body text in the example: 22 lines in the text block, 28 characters in a full line.
    size, lines = example_printed.pages()[2]
    in_block = [ln for ln in lines if ln.box.top >= TOP - 2 and ln.box.bottom <= size[1] - BOTTOM + 2]
    assert len(in_block) == 22
    full = [ln.text for ln in in_block if re.fullmatch(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”]+", ln.text)]
    assert full and max(len(t) for t in full) == 28


# -- page numbers (GB/T 9704) -----------------------------------------------------------------------


@pytest.mark.libreoffice
def test_page_number_dash_sits_7_mm_below_the_text_block(example_printed: PrintedPlan) -> None:
    pages = body_pages(example_printed)
    assert len(pages) >= 10
    block_bottom = A4[1] - BOTTOM
    char = 14 * PT  # 四号: "one character in from the text block"
    for n in pages[:2]:
        size, lines = example_printed.pages()[n - 1]
        number = next(ln for ln in lines if re.fullmatch(r"—\d+—", ln.text))
        # The first dash alone: its top edge is the line GB/T 9704 measures from.
        dash = example_printed.ink(n, Box(number.box.left - 1, block_bottom + 0.5, number.box.left + 3.5, size[1]))
        assert dash is not None
        assert dash.top - block_bottom == pytest.approx(7.0, abs=0.4)
        whole = example_printed.ink(n, Box(0, block_bottom + 0.5, size[0], size[1]))
        assert whole is not None
        printed = int(number.text.strip("—"))
        if printed % 2:  # odd pages: right, one character in from the text block's right edge
            assert size[0] - RIGHT - whole.right == pytest.approx(char, abs=0.6)
        else:
            assert whole.left - LEFT == pytest.approx(char, abs=0.6)


@pytest.mark.libreoffice
def test_landscape_page_numbers_stay_where_the_portrait_pages_have_them(large_printed: PrintedPlan) -> None:
    # Turned back to portrait (table head to the left), a landscape page's bottom edge is its left
    # edge: the number sits there, 7 mm outside the text block, at the outer side of the page.
    char = 14 * PT
    pages = landscape_pages(large_printed)
    assert len(pages) >= 2
    first_number = len(body_pages_before(large_printed, pages[0])) + 1
    for k, n in enumerate(pages):
        size, lines = large_printed.pages()[n - 1]
        number = first_number + k
        assert not any(re.fullmatch(r"—\d+—", ln.text) and ln.box.top > size[1] - L_BOTTOM for ln in lines)
        ink = large_printed.ink(n, Box(0, 0, L_LEFT - 0.5, size[1]))
        assert ink is not None  # the number, and nothing else, left of the text block
        # The dashes' "top" (towards the text block) is their right edge on the landscape page.
        dash = large_printed.ink(n, Box(0, ink.top, L_LEFT - 0.5, ink.top + 3.5))
        assert dash is not None and L_LEFT - dash.right == pytest.approx(7.0, abs=0.4)
        # Printed turned: one line of 四号 (under 5 mm) running along the edge (over 12 mm).
        assert ink.right - ink.left < 5 and ink.bottom - ink.top > 12
        if number % 2:  # odd: the far end of the portrait line, one character in
            assert size[1] - L_BOTTOM - ink.bottom == pytest.approx(char, abs=0.6)
        else:
            assert ink.top - L_TOP == pytest.approx(char, abs=0.6)


def body_pages_before(plan: PrintedPlan, page: int) -> list[int]:
    return [n for n in body_pages(plan) if n < page]


# -- the summary table ----------------------------------------------------------------------------

TITLE = "表重庆市市域产教联合体建设方案"


@pytest.fixture(scope="module")
def large_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The large application (60 firms, 70-character names, three lead schools)."""
    return make_large_application(tmp_path_factory.mktemp("large") / "content")


@pytest.fixture(scope="module")
def large_printed(large_root: Path, tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> PrintedPlan:
    """The large application's plan, rendered and printed once."""
    return print_plan(large_root, tmp_path_factory.mktemp("large-plan"))


def landscape_pages(plan: PrintedPlan) -> list[int]:
    return [n for n, (size, _lines) in enumerate(plan.pages(), start=1) if size[0] > size[1]]


def summary_checks(plan: PrintedPlan) -> list[int]:
    """Every landscape page is a page of the table: its title (（续） after the first), its header,
    and nothing below the text block. Returns the landscape page numbers."""
    pages = landscape_pages(plan)
    assert pages and pages == list(range(pages[0], pages[0] + len(pages)))
    for k, n in enumerate(pages):
        size, lines = plan.pages()[n - 1]
        assert size == pytest.approx((A4[1], A4[0]), abs=0.5)
        joined = "".join(ln.text for ln in lines)
        title = next(ln.text for ln in lines if ln.text.startswith("表"))
        assert title == (TITLE if k == 0 else TITLE + "（续）")
        for label in ("序号", "理事会成员构成", "参与单位", "园区", "企业", "院校", "科研机构"):
            # A label may wrap in a narrow column (理事会成员 / 构成): its characters in order.
            rest = iter(joined)
            assert all(ch in rest for ch in label), (n, label)
        # The table stays inside the (turned) text block: nothing spills towards an edge.
        ink = plan.ink(n, Box(L_LEFT - 2, 0, size[0], size[1]))  # right of the page number
        assert ink is not None and ink.bottom <= size[1] - L_BOTTOM + 0.3
        assert ink.left >= L_LEFT - 0.3 and ink.right <= size[0] - L_RIGHT + 0.3 and ink.top >= L_TOP - 0.3
    return pages


def unit_names(root: Path, category: str) -> list[str]:
    from generator.word.context import build_context

    app, _ = load_application(root)
    return [u["name"] for u in build_context(app)["overview"]["members"][category]]


def summary_names(plan: PrintedPlan) -> tuple[list[tuple[str, bool]], float]:
    """Every name in the summary table's data cells as the .docx holds them, with whether it fits
    its column (its em width with the 、 after it, against the grid column less the cell margins
    and borders, at the size the table's style gives), and that size in points."""
    import zipfile

    from generator.word.geometry import w
    from generator.word.lines import line_end_width

    with zipfile.ZipFile(plan.docx) as z:
        root = etree.fromstring(z.read("word/document.xml"))
        styles = etree.fromstring(z.read("word/styles.xml"))
    style = next(s for s in styles.iter(w("style")) if s.find(w("name")).get(w("val")) == "CJ汇总表")
    size = int(style.find(f"{w('rPr')}/{w('sz')}").get(w("val"))) * 10  # twips
    found = []
    for tbl in root.iter(w("tbl")):
        if not any(ps.get(w("val")) == style.get(w("styleId")) for ps in tbl.iter(w("pStyle"))):
            continue
        mar = tbl.find(f"{w('tblPr')}/{w('tblCellMar')}")
        margins = int(mar.find(w("left")).get(w("w"))) + int(mar.find(w("right")).get(w("w")))
        grid = [int(g.get(w("w"))) for g in tbl.find(w("tblGrid"))]
        for tr in tbl.findall(w("tr")):
            if tr.find(f"{w('trPr')}/{w('tblHeader')}") is not None:
                continue
            col = 0
            for tc in tr.findall(w("tc")):
                room = (grid[col] - margins - 20) / size
                text = "".join(t.text or "" for t in tc.iter(w("t")))
                for name in re.findall(r"[^、（]+(?:（[^）]*）)?[^、]*、?", text):
                    # A 、 that ends a line is set half-width: a name fits with half an em for it.
                    found.append((name.rstrip("、"), line_end_width(name) <= room + 1e-6))
                col += int(tc.find(f"{w('tcPr')}/{w('gridSpan')}").get(w("val"))) if tc.find(f"{w('tcPr')}/{w('gridSpan')}") is not None else 1
    return found, size / 20


def summary_grid(plan: PrintedPlan) -> list[int]:
    """The summary table's grid columns in twips, as the .docx gives them."""
    import zipfile

    from generator.word.geometry import w

    with zipfile.ZipFile(plan.docx) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    tbl = next(t for t in root.iter(w("tbl")) if any(ps.get(w("val")) == "CJSummaryHead" for ps in t.iter(w("pStyle"))))
    return [int(g.get(w("w"))) for g in tbl.find(w("tblGrid"))]


def summary_print_checks(plan: PrintedPlan) -> tuple[list[int], float]:
    """The landscape pages (see `summary_checks`); every name that fits its column is printed
    whole on one line; every character of the table is printed at one size, the size of the
    style (五号 or 小五), which the PDF confirms. Returns the pages and the size in points."""
    from generator.pdf.reader import read_printed_text

    pages = summary_checks(plan)
    names, size = summary_names(plan)
    assert size in (10.5, 9.0)
    lines = [ln.text for n in pages for ln in plan.pages()[n - 1][1]]
    split = [name for name, fits in names if fits and not any(name in line for line in lines)]
    assert split == []
    printed = read_printed_text(plan.pdf, images=False)
    for n in pages:
        page = printed.pages[n - 1]
        title_bottom = max(b[1] for ch, b in zip(page.text, page.boxes, strict=True) if ch == "案")
        # Everything below the title but the page number (turned, left of the text block) is table.
        in_table = {round(sz, 1) for ch, b, sz in zip(page.text, page.boxes, page.sizes, strict=True)
                    if b[3] < title_bottom and b[0] > L_LEFT / PT and not ch.isspace()}
        assert in_table == {size}, (n, in_table)
    return pages, size


def table_bottom(plan: PrintedPlan, page: int) -> float:
    """How far (mm) the table's ink reaches down on a landscape page."""
    size, _lines = plan.pages()[page - 1]
    ink = plan.ink(page, Box(L_LEFT - 0.3, 0, size[0], size[1]))
    assert ink is not None
    return ink.bottom


@pytest.mark.libreoffice
def test_example_summary_table_is_one_page_with_its_lists_whole(example_printed: PrintedPlan) -> None:
    pages, size = summary_print_checks(example_printed)
    # 28 firms and 16 council members of 8–17 characters: at 五号 the lists need about 29 lines
    # where a page holds 23; at 小五 they fit with every firm and council member whole.
    assert len(pages) == 1 and size == 9.0
    lines = [ln.text for ln in example_printed.pages()[pages[0] - 1][1]]
    for name in unit_names(EXAMPLE, "enterprises"):
        assert any(name in line for line in lines), name
    names, _size = summary_names(example_printed)
    # The lists keep every name whole; the narrow columns hold one or two names of up to 23
    # characters each in 4–5 ems, which cut them (45 of 64 names whole, measured).
    whole = sum(fits for _n, fits in names)
    assert whole >= len(names) * 2 // 3, (whole, len(names))
    # The consortium's name (23 characters, alone in its column) is cut into pieces of at least
    # four characters, not two.
    from generator.word.context import build_context

    app, _ = load_application(EXAMPLE)
    consortium = build_context(app)["basics"]["name"]
    grid = summary_grid(example_printed)
    second = (L_LEFT + grid[0] / 1440 * 25.4, L_LEFT + (grid[0] + grid[1]) / 1440 * 25.4)
    pieces = example_printed.rows(pages[0], second[0] - 0.5, second[1])
    cut = [r.text for r in pieces if r.text and r.text in consortium]
    assert "".join(cut) == consortium and min(len(t) for t in cut[:-1]) >= 4, cut


@pytest.fixture(scope="module")
def ordinary_printed(tmp_path_factory: pytest.TempPathFactory, libreoffice: Path) -> PrintedPlan:
    """The large application less its ten 70-character firms (50 firms of 14–22 characters)."""
    from tests.ordinary_app import make_ordinary_application

    root = make_ordinary_application(tmp_path_factory.mktemp("ordinary") / "content")
    return print_plan(root, tmp_path_factory.mktemp("ordinary-plan"))


def assert_pages_filled(plan: PrintedPlan, pages: list[int], size: float) -> None:
    """Every page but the last is filled before the table continues: its bottom is within four
    lines (the two kept free and what a row cut between names leaves) of the text block's."""
    line = size * 4 / 3 * PT  # the exact line pitch: 14 pt for 五号, 12 pt for 小五
    for n in pages[:-1]:
        assert A4[0] - L_BOTTOM - table_bottom(plan, n) < 4 * line, n


@pytest.mark.libreoffice
def test_ordinary_summary_table_fills_its_pages_with_every_firm_whole(ordinary_printed: PrintedPlan) -> None:
    pages, size = summary_print_checks(ordinary_printed)
    # 50 firms of 14–22 characters and 17 council members up to 41: about 1,750 ems of names
    # where a page at 小五 holds 28 lines of 65 ems, less what breaking only between names
    # wastes. The line model finds no layout under 36 lines, so the table takes two pages.
    assert len(pages) == 2 and size == 9.0
    assert_pages_filled(ordinary_printed, pages, size)
    names, _size = summary_names(ordinary_printed)
    assert sum(fits for _n, fits in names) >= 50


@pytest.mark.libreoffice
def test_sixty_ordinary_firms_take_two_pages_with_every_firm_whole(tmp_path: Path, libreoffice: Path) -> None:
    from tests.ordinary_app import make_sixty_firms_application, sixty_firm_names

    plan = print_plan(make_sixty_firms_application(tmp_path / "content"), tmp_path / "out")
    pages, size = summary_print_checks(plan)
    # The example with 60 firms of 17–19 characters: about 1,150 ems of firms alone, with the
    # council's 240 and the narrow columns (3 characters at least) no layout that breaks only
    # between names fits one page of 28 lines at 小五; two pages do, every firm whole.
    assert len(pages) == 2 and size == 9.0
    assert_pages_filled(plan, pages, size)
    lines = [ln.text for n in pages for ln in plan.pages()[n - 1][1]]
    for name in sixty_firm_names():
        assert any(name in line for line in lines), name


@pytest.mark.libreoffice
def test_large_summary_table_continues_and_keeps_names_whole(large_root: Path, large_printed: PrintedPlan) -> None:
    pages, size = summary_print_checks(large_printed)
    # 60 firms (every sixth of 70 characters) and 19 council members: about 2,450 characters that
    # break only between names, where a page of the table holds about 1,700 at 小五.
    assert len(pages) == 3 and size == 9.0
    assert_pages_filled(large_printed, pages, size)
    lines = [ln.text.replace("\u2060", "") for n in pages for ln in large_printed.pages()[n - 1][1]]
    printed = "".join(lines)
    names = unit_names(large_root, "enterprises")
    assert len(names) == FIRM_COUNT
    short = [n for n in names if len(n) <= 20]
    assert len(short) > 40
    for name in short:  # a name that fits a line of its column is never split over two lines
        assert any(name in line for line in lines), name
    for name in names:  # a longer one wraps inside its column (and may go on over the page)
        rest = iter(printed)
        assert all(ch in rest for ch in name), name  # every character printed, in order


# -- the cover ----------------------------------------------------------------------------------------


def cover_checks(plan: PrintedPlan, names: list[str]) -> None:
    """The cover is one page; its values start in one column and stay left of the seals."""
    (_size, cover), (_size2, first) = plan.pages()[0], plan.pages()[1]
    assert "".join(ln.text for ln in first[:2]).startswith("市域产教联合体建设方案")
    assert any(re.fullmatch(r"—1—", ln.text) for ln in first)
    assert not any(re.fullmatch(r"—\d+—", ln.text) for ln in cover)
    assert cover[0].text == "附件3" and cover[0].box.left == pytest.approx(LEFT, abs=0.5)
    labels = ("申报类型：", "联合体名称：", "推荐区县：", "牵头园区：", "牵头企业：", "牵头学校：", "日期：")
    label_width = 2136 / 1440 * 25.4  # the label column of the cover table, mm
    label_rows = plan.rows(1, 0, LEFT + label_width)
    assert [r.text for r in label_rows[:2]] == ["附件3", "市域产教联合体建设方案"]
    assert [r.text for r in label_rows[2:]] == list(labels)  # in the seed's order
    seals = [r for r in plan.rows(1, A4[0] - RIGHT - 30, A4[0]) if r.text == "（公章）"]
    # Everything right of the labels and left of the seals is the value column: one left edge.
    values = plan.rows(1, LEFT + label_width, min(s.box.left for s in seals) - 0.5)
    values = [r for r in values if not r.text.startswith("市域产教联合体建设方案")]
    assert values and max(r.box.left for r in values) - min(r.box.left for r in values) < 0.5
    column = "".join(r.text for r in values)
    for name in names:
        assert name in column


@pytest.mark.libreoffice
def test_example_cover(example_printed: PrintedPlan) -> None:
    app, _ = load_application(EXAMPLE)
    from generator.word.context import build_context

    basics = build_context(app)["basics"]
    cover_checks(example_printed, [basics["name"], basics["district"], *basics["lead_schools"]])


@pytest.mark.libreoffice
def test_large_cover_fits_one_page(large_printed: PrintedPlan) -> None:
    from tests.large_app import LEAD_ENTERPRISES, LEAD_SCHOOLS, NAME

    cover_checks(large_printed, [NAME, *LEAD_ENTERPRISES, *LEAD_SCHOOLS])
    seals = [r for r in large_printed.rows(1, 0, A4[0]) if r.text.endswith("（公章）")]
    assert len(seals) == 2 + len(LEAD_ENTERPRISES) + len(LEAD_SCHOOLS)  # 推荐区县, 牵头园区, each lead unit


@pytest.mark.libreoffice
def test_blank_page_after_cover_and_numbering_from_the_body(tmp_path: Path, libreoffice: Path) -> None:
    import shutil

    root = tmp_path / "content"
    shutil.copytree(EXAMPLE, root)
    settings = root / "项目.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("封面后空白页: 否", "封面后空白页: 是"), encoding="utf-8")
    plan = print_plan(root, tmp_path / "out")
    pages = plan.pages()
    assert pages[0][1][0].text == "附件3"
    assert pages[1][1] == []  # the back of the cover: nothing, not even a page number
    assert "".join(ln.text for ln in pages[2][1][:2]).startswith("市域产教联合体建设方案")
    assert any(ln.text == "—1—" for ln in pages[2][1])


# -- the read-back ------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["example", "large"])
@pytest.mark.libreoffice
def test_read_back_finds_nothing_lost_and_no_name_split_on_the_cover_or_the_summary(
    which: str, request: pytest.FixtureRequest
) -> None:
    from generator.pdf.layout import inspect_pdf

    plan: PrintedPlan = request.getfixturevalue(f"{which}_printed")
    inspection = inspect_pdf("建设方案", plan.docx, plan.pdf)
    # Every character of the .docx is printed, and nothing else (the turned page numbers and the
    # repeated headers of 表…（续） included).
    assert [d.render() for d in inspection.diagnostics if d.code.startswith("readback-")] == []
    ours = {1, *landscape_pages(plan)}
    on_our_pages = [d.render() for d in inspection.diagnostics if d.extra and d.extra.get("page") in ours]
    assert on_our_pages == []
    # The turned pages keep their place in the numbering.
    numbers = {p.page: p.printed for p in inspection.pages}
    first = landscape_pages(plan)[0]
    assert numbers[first] == str(int(numbers[first - 1]) + 1)
