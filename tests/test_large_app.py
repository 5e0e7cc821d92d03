"""The large application used by the layout tests is what it claims to be, and checks clean."""

from __future__ import annotations

from pathlib import Path

from generator.check.validate import check_content
from generator.model import ListValue
from tests.large_app import FIRM_COUNT, make_large_application


def test_large_application_has_real_sizes_and_passes_check(tmp_path: Path) -> None:
    root = make_large_application(tmp_path / "large")
    report, app = check_content(root)
    assert report.errors == []
    firms = app.values["overview.members.enterprises"]
    assert isinstance(firms, ListValue) and len(firms.items) == FIRM_COUNT
    names = [str(item.get("name")) for item in firms.items]  # type: ignore[union-attr]
    assert max(len(n) for n in names) >= 69
    # Every limited field is filled to its limit, counted as the report counts it.
    limited = [c for c in report.limits if c.limit is not None]
    assert limited and all(c.words == c.limit for c in limited), [(c.full_label, c.words, c.limit) for c in limited]
    text = (root / "推荐书/1-联合体概况.yaml").read_text(encoding="utf-8")
    assert all(ch in text for ch in "镕堃喆昇")
