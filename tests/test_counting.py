"""Word's 字数, checked against vectors measured in Word."""

from __future__ import annotations

import pytest

from generator.content.markdown import read_markdown
from generator.core.counting import count_words
from generator.errors import Location
from generator.form.declaration import load_form
from generator.model import Prose


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Hello、World。", 4),
        ("東京2024オリンピック", 9),
        ("①②③④⑤", 1),
        ("Hello World", 2),
        ("中文测试", 4),
        ("Hello 世界", 3),
        ("ＡＢＣＤＥ", 5),
        ("Test 123, example.", 3),
        ("R&D投入占6.1%", 5),
        ("“产教融合”——新路径…", 12),
        ("", 0),
    ],
)
def test_word_count_matches_word(text: str, words: int) -> None:
    assert count_words(text).words == words


def test_chars_without_spaces_counts_every_visible_character() -> None:
    assert count_words("Hello World 世界").chars_no_spaces == 12


def _prose(md: str) -> Prose:
    blocks, _tags, _diags = read_markdown(md, "x.md")
    spec = load_form().file("features")
    return Prose(spec, tuple(blocks), Location("x.md"))


def test_markdown_markup_is_not_counted() -> None:
    md = "# 标题\n\n**加粗**文字\n\n- 一项\n- 两项\n\n| 甲 | 乙 |\n|---|---|\n| 丙 | 丁 |\n"
    # 标题2 + 加粗文字4 + 一项2 + 两项2 + 甲乙丙丁4
    assert count_words(_prose(md).text()).words == 14


def test_bold_after_fullwidth_punctuation_is_bold_and_not_counted_as_asterisks() -> None:
    prose = _prose("**一是健全运行机制。**联合体成立理事会。\n")
    para = prose.blocks[0]
    assert para.spans[0].text == "一是健全运行机制。" and para.spans[0].bold  # type: ignore[union-attr]
    assert "*" not in prose.text()
    assert count_words(prose.text()).words == 18


def test_line_break_between_chinese_characters_joins_without_space() -> None:
    prose = _prose("联合体成立\n理事会，and\nmore\n")
    assert prose.text() == "联合体成立理事会，and more"
