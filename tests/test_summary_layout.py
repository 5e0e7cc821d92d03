"""The line model behind the summary table and the cover: names, lines, widths (no LibreOffice)."""

from __future__ import annotations

import time
from pathlib import Path

from generator.word.context import glued
from generator.word.cover_layout import wrap
from generator.word.lines import count_lines, em_width, pack, take_lines, units


def test_units_are_names_with_their_separator() -> None:
    text = "、".join([glued("甲乙、丙"), glued("丁戊"), glued("己")])
    # A 、 inside a glued name (a school's alias in brackets) does not end the name.
    assert [u.replace("\u2060", "") for u in units(text)] == ["甲乙、丙、", "丁戊、", "己"]
    assert units("") == []


def test_em_width_counts_han_as_one_digits_as_half_and_joiners_as_nothing() -> None:
    assert em_width(glued("重庆市")) == 3
    assert em_width("ABC12") == 0.6 * 3 + 0.5 * 2
    assert em_width("（公章）、") == 5


def test_pack_breaks_only_between_names() -> None:
    names = ["甲甲甲、", "乙乙乙乙、", "丙丙"]
    segments, lines = pack(names, 9)
    assert segments == ["甲甲甲、乙乙乙乙、", "丙丙"] and lines == 2
    # The trailing 、 counts: 甲甲甲、乙乙乙乙 is 8 wide, but with its 、 it is 9.
    segments, lines = pack(names, 8)
    assert segments == ["甲甲甲、", "乙乙乙乙、丙丙"] and lines == 2


def test_a_name_wider_than_the_column_starts_a_line_and_wraps() -> None:
    long = "长" * 10 + "、"
    segments, lines = pack(["甲、", long, "乙"], 4)
    assert segments == ["甲、", long, "乙"]
    assert lines == 1 + 3 + 1  # 甲、 / 长长长长 / 长长长长 / 长长、 / 乙: a cut name's end stands alone
    assert count_lines(["甲、", long, "乙"], 4) == lines
    assert count_lines(["长" * 8], 4) == 2  # exactly two lines, no empty third


def test_take_lines_never_overflows() -> None:
    names = ["甲甲、", "乙乙、", "丙丙丙丙丙丙丙丙丙丙、", "丁"]
    assert take_lines(names, 3, 2) == 2
    assert take_lines(names, 3, 1) == 1
    assert take_lines(["长" * 10], 3, 2) == 0  # the caller cuts it to fill the lines left


def test_cover_wrap_keeps_closing_marks_off_a_line_start() -> None:
    text = "重庆市云岭区职业教育中心（重庆市云岭区高级技工学校、重庆市云岭区职工大学）"
    lines = wrap(text, 12)
    assert "".join(lines) == text
    assert all(em_width(line) <= 12 for line in lines)
    assert not any(line[0] in "、）" for line in lines[1:])
    assert not any(line[-1] == "（" for line in lines)
    assert wrap("短名称", 12) == ["短名称"]


def test_laying_out_the_large_summary_is_fast(tmp_path: Path) -> None:
    from generator.content.loader import load_application
    from generator.pipeline import render_documents
    from generator.word.documents import PLAN
    from tests.large_app import make_large_application

    app, _ = load_application(make_large_application(tmp_path / "large"))
    started = time.perf_counter()
    render_documents(app, tmp_path / "out", (PLAN,))
    assert time.perf_counter() - started < 5  # 60 firms: widths and pages in well under a second


def test_a_line_end_enumeration_comma_is_half_width() -> None:
    from generator.word.lines import line_end_width

    # 8 characters and their 、 fill 8½ ems once the 、 is condensed: the name stays whole and
    # ends the line; at full width it would need 9.
    name = "甲" * 8 + "、"
    assert line_end_width(name) == 8.5 and line_end_width("甲乙") == 2
    assert pack([name, "乙"], 8.5) == ([name, "乙"], 2)
    assert pack([name, "乙"], 8)[1] == 3
    assert pack(["甲甲甲、", "乙乙乙乙、", "丙"], 8.5) == (["甲甲甲、乙乙乙乙、", "丙"], 2)
    # Wider than that, the name wraps; its end still stands alone.
    assert pack(["甲" * 9 + "、", "乙"], 8) == (["甲" * 9 + "、", "乙"], 3)


def test_cell_lines_condense_the_comma_that_ends_each_line() -> None:
    from lxml import etree

    from generator.word.geometry import W_NS, set_cell_text, w

    tc = etree.fromstring(
        f'<w:tc xmlns:w="{W_NS}"><w:p><w:r><w:rPr><w:rFonts w:ascii="A"/><w:sz w:val="18"/></w:rPr>'
        "<w:t>x</w:t></w:r></w:p></w:tc>"
    )
    set_cell_text(tc, ["甲乙、", "丙、丁"], condense=90)
    runs = tc.findall(f"{w('p')}/{w('r')}")
    texts = ["".join(t.text or "" for t in r.iter(w("t"))) for r in runs]
    assert texts == ["甲乙", "、", "丙、丁"]  # only the 、 before the break is squeezed
    spacing = [r.find(f"{w('rPr')}/{w('spacing')}") for r in runs]
    assert [s.get(w("val")) if s is not None else None for s in spacing] == [None, "-90", None]
    # w:spacing sits before w:sz in the run properties (the schema's order), and the font stays.
    assert [c.tag.split("}")[1] for c in runs[1].find(w("rPr"))] == ["rFonts", "spacing", "sz"]
    assert runs[2].find(w("br")) is not None and runs[2][1].tag == w("br")
