"""The large application with ordinary names, for the summary table's one-page case: its ten
70-character firms dropped (50 firms of 14–22 characters are left) and its 41-character lead
enterprise renamed to 22.

    make_ordinary_application(dest) -> dest
"""

from __future__ import annotations

import re
import shutil
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


#: Parts of the sixty firms' names: each name is 重庆 + a place + two trades + a company form.
_PLACES = "云岭渝东南北碚江津合川永川綦江"
_TRADES = ("智能网联", "新能源汽车", "动力电池", "电驱动系统", "热管理", "轻量化材料", "精密铸造", "汽车电子", "激光雷达", "线控底盘")
SIXTY = 60


def sixty_firm_names() -> list[str]:
    """Sixty distinct firm names of 17–19 characters."""
    names: list[str] = []
    for i in range(SIXTY):
        name = f"重庆{_PLACES[i % 7]}{_TRADES[i % 10]}{_TRADES[(i * 3 + 1) % 10]}{'科技有限公司' if i % 2 else '股份有限公司'}"
        names.append(name if name not in names else name.replace("重庆", "重庆市", 1))
    return names


def make_sixty_firms_application(dest: Path) -> Path:
    """The example with its 28 firms replaced by sixty firms of ordinary names (17–19
    characters), into `dest`."""
    from tests.large_app import EXAMPLE, _unit

    shutil.copytree(EXAMPLE, dest, dirs_exist_ok=True)
    path = dest / "推荐书/1-联合体概况.yaml"
    text = path.read_text(encoding="utf-8")
    block = re.search(r"  企业:\n((?:    .*\n)+)", text)
    assert block is not None
    firms = "\n".join(_unit(name, n) for n, name in enumerate(sixty_firm_names()))
    path.write_text(text[: block.start()] + "  企业:\n" + firms + "\n" + text[block.end() :], encoding="utf-8")
    return dest
