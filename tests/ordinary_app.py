"""The large application with ordinary names, for the summary table's one-page case: its ten
70-character firms dropped (50 firms of 14–22 characters are left) and its 41-character lead
enterprise renamed to 22.

    make_ordinary_application(dest) -> dest
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.large_app import FIRM_COUNT, LEAD_ENTERPRISES, _firm_name, make_large_application

#: Longest name a firm of this application has.
ORDINARY_MAX = 25
LEAD = "重庆渝东南汽车关键零部件产业集团股份有限公司"


def make_ordinary_application(dest: Path) -> Path:
    """Write the ordinary-names application into `dest` and return it."""
    make_large_application(dest)
    dropped = [name for name in map(_firm_name, range(FIRM_COUNT)) if len(name) > ORDINARY_MAX]
    for rel in ("基本信息.yaml", "推荐书/1-联合体概况.yaml"):
        path = dest / rel
        text = path.read_text(encoding="utf-8").replace(LEAD_ENTERPRISES[0], LEAD)
        for name in dropped:
            # A member unit (name, contact, phone) or a council list item.
            text = re.sub(rf"    - 单位名称: {name}\n(      .*\n)+", "", text)
            text = text.replace(f"  - {name}\n", "")
        path.write_text(text, encoding="utf-8")
    return dest
