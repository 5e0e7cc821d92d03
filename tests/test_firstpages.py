"""Which pages preview asks the warm LibreOffice for first (preview/firstpages.py)."""

from __future__ import annotations

from pathlib import Path

from generator.preview.firstpages import BEFORE, SPAN, changed_pages, paragraph_texts

PAGES = [
    "— 1 —\n一、创建条件\n（一）区位优势\n云岭区地处渝西地区，距中心城区 45 公里。",
    "— 2 —\n园区紧邻现代物流园，建有汽车零部件集中仓储中心。\n二、创建思路",
    "— 3 —\n坚持产教融合、校企合作，围绕智能网联新能源汽车零部件产业链布局专业。",
    "— 4 —\n三、建设内容与举措\n（一）设立产教联合体理事会",
]
OLD = ["一、创建条件", "（一）区位优势", "云岭区地处渝西地区，距中心城区45公里。", "园区紧邻现代物流园，建有汽车零部件集中仓储中心。",
       "二、创建思路", "坚持产教融合、校企合作，围绕智能网联新能源汽车零部件产业链布局专业。", "三、建设内容与举措", "（一）设立产教联合体理事会"]


def test_the_page_of_the_first_changed_paragraph_and_the_next_ones():
    new = list(OLD)
    new[5] += "新增一句。"
    assert changed_pages(OLD, new, PAGES) == (3 - BEFORE, 3 + SPAN - 1)
    new = list(OLD)
    new[3] = "园区紧邻现代物流园，改写了后半句。"
    assert changed_pages(OLD, new, PAGES) == (2 - BEFORE, 1 + SPAN)


def test_an_added_paragraph_is_looked_for_after_the_one_before_it_and_an_unchanged_text_names_no_page():
    assert changed_pages(OLD, [*OLD, "（二）新设一节"], PAGES) == (4 - BEFORE, 3 + SPAN)
    assert changed_pages([*OLD[:1], "删掉的一段"], OLD[:1], PAGES) == (1, SPAN)  # never before page 1
    assert changed_pages(OLD, OLD, PAGES) is None  # only a picture or a style changed
    assert changed_pages(OLD, [*OLD[:5], "全新的一段，旧文里没有。", *OLD[5:]], []) is None  # nothing shown yet


def test_a_paragraph_not_found_on_any_page_names_no_page():
    new = list(OLD)
    new[0] = "一、改过的标题"
    assert changed_pages(OLD, new, ["— 1 —\n别的文字", "— 2 —\n也不是"]) is None


def test_paragraph_texts_reads_the_body_as_printed(tmp_path: Path):
    from tests.test_convert import make_docx

    docx = make_docx(tmp_path / "a.docx", "产教融合，校企合作 & 共建。", page_breaks=1)
    texts = paragraph_texts(docx)
    assert any("产教融合，校企合作&共建。" in t for t in texts), texts  # spaces dropped, & unescaped
