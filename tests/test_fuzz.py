"""Whatever a drafting team types, `check` answers with diagnostics, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.check import check_content
from generator.counting import count_words

EXAMPLE = Path(__file__).resolve().parent.parent / "content"

# Text that looks like what people type into these files: YAML punctuation, Chinese, digits,
# quotes, tabs, control characters and odd Unicode.
_ALPHABET = st.sampled_from(
    list(":-{}[],'\"#&*!|>%@`\n\t  ") + list("联合体名称共建专业年万元％。，、“”") + list("0123456789.") + ["\x00", "\x07", "\ufeff", "\u0301", "😀"]
)
_TEXT = st.text(alphabet=_ALPHABET, max_size=300)
_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(EXAMPLE, root)
    return root


@_SETTINGS
@given(text=_TEXT)
def test_any_yaml_text_gives_diagnostics_not_a_crash(tmp_path: Path, text: str) -> None:
    root = _copy(tmp_path)
    (root / "推荐书/2-服务能力.yaml").write_text(text, encoding="utf-8")
    report, _app = check_content(root)
    for d in report.diagnostics:
        assert d.location.path and d.message


@_SETTINGS
@given(prefix=_TEXT, key=st.sampled_from(["共建专业", "固定办公面积", "联合体名称", "成员构成", "2023年"]), value=_TEXT)
def test_any_value_in_a_real_file_gives_diagnostics_not_a_crash(tmp_path: Path, prefix: str, key: str, value: str) -> None:
    root = _copy(tmp_path)
    path = root / "推荐书/1-联合体概况.yaml"
    path.write_text(prefix + "\n" + path.read_text(encoding="utf-8") + f"\n{key}: {value}\n", encoding="utf-8")
    report, _app = check_content(root)
    assert all(d.location.path for d in report.diagnostics)


@_SETTINGS
@given(text=st.text(max_size=400))
def test_any_markdown_gives_diagnostics_not_a_crash(tmp_path: Path, text: str) -> None:
    root = _copy(tmp_path)
    (root / "建设方案/4-建设计划.md").write_text(text, encoding="utf-8", errors="surrogatepass")
    report, _app = check_content(root)
    assert all(d.location.path for d in report.diagnostics)


@given(text=st.text(max_size=200))
def test_counts_are_consistent(text: str) -> None:
    count = count_words(text)
    assert 0 <= count.words <= count.chars_no_spaces <= len(text)
    # splitting at whitespace never changes the count: words never span spaces
    assert sum(count_words(part).words for part in text.split()) == count.words
