"""A large application for layout tests: the example grown to the sizes real consortia reach.

An enterprise-led consortium with 60 member firms, unit names of up to 70 characters, three lead
schools and two lead enterprises, every 字数-limited field filled to its limit, characters the 仿宋
stand-in lacks in people's names (镕 堃 喆 昇), ㎡ in a table, and the plan's longest section doubled.

    make_large_application(dest) -> dest          (tests)
    python -m tests.large_app DEST                 (by hand: then `chanjiao build DEST`)
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from generator.core.counting import count_words

EXAMPLE = Path(__file__).resolve().parent.parent / "content"

NAME = "重庆渝东南智能网联新能源汽车与高端装备关键零部件制造市域产教联合体"
LEAD_ENTERPRISES = (
    "重庆渝东南智能网联新能源汽车关键零部件与高端装备制造产业链链主企业集团股份有限公司",
    "重庆云驰电驱科技股份有限公司",
)
LEAD_SCHOOLS = (
    "重庆云岭职业技术学院",
    "重庆市云岭区职业教育中心（重庆市云岭区高级技工学校、重庆市云岭区职工大学）",
    "重庆渝岭理工学院",
)
RARE_PEOPLE = ("王镕", "李堃", "张喆", "陈昇")
FIRM_COUNT = 60

_SEGMENTS = (
    "智能网联", "新能源汽车", "动力电池", "电驱动系统", "热管理", "轻量化材料", "精密铸造", "汽车电子",
    "激光雷达", "线控底盘", "工业软件", "检测认证", "模具制造", "工业机器人", "充电设备", "供应链管理",
)
_LONG_TAIL = "关键零部件研发制造与产业链协同创新应用示范基地运营管理"


def _firm_name(n: int) -> str:
    """Firm names from 14 to 70 characters; every sixth is a full 70 (the longest a form sees)."""
    core = f"重庆{'云岭渝东南'[n % 3:n % 3 + 2]}{_SEGMENTS[n % len(_SEGMENTS)]}{_SEGMENTS[(n * 7 + 3) % len(_SEGMENTS)]}"
    if n % 6 == 0:
        name, k = core + _LONG_TAIL, n
        while len(name) + len(_SEGMENTS[k % len(_SEGMENTS)]) <= 62:
            name += _SEGMENTS[k % len(_SEGMENTS)]
            k += 1
        return name + "中心" * ((64 - len(name)) // 2) + "有限责任公司"[: 70 - len(name) - 2 * ((64 - len(name)) // 2)]
    return core + ("科技有限公司" if n % 2 else "股份有限公司")


def _phone(n: int) -> str:
    return f"023-6{n:07d}"[:12] if n % 3 else f"139{n:08d}"


def _contact(n: int) -> str:
    if n < len(RARE_PEOPLE):
        return RARE_PEOPLE[n]
    return "赵钱孙李周吴郑王冯陈褚卫"[n % 12] + "明华建国志强秀英丽娟"[n % 10] + ("" if n % 2 else "远")


def _unit(name: str, n: int, category: str = "") -> str:
    lines = [f"    - 单位名称: {name}", f"      联系人: {_contact(n)}", f'      联系电话: "{_phone(n)}"']
    if category:
        lines.append(f"      类别: {category}")
    return "\n".join(lines)


def _members() -> str:
    firms = [*LEAD_ENTERPRISES, *(_firm_name(n) for n in range(FIRM_COUNT - len(LEAD_ENTERPRISES)))]
    schools = [(LEAD_SCHOOLS[0], "高职"), (LEAD_SCHOOLS[1], "中职"), (LEAD_SCHOOLS[2], "普通本科"), ("重庆云岭电子工程职业学院", "高职")]
    blocks = {
        "推荐单位": [_unit("重庆市云岭区人民政府", 90)],
        "牵头单位": [_unit(n, 91 + i) for i, n in enumerate(LEAD_ENTERPRISES)]
        + [_unit(n, 95 + i, c) for i, (n, c) in enumerate(schools[:3])],
        "政府部门": [_unit(n, 100 + i) for i, n in enumerate(("重庆市云岭区经济和信息化委员会", "重庆市云岭区教育委员会", "重庆市云岭区人力资源和社会保障局"))],
        "园区": [_unit("重庆云岭智能汽车零部件产业园", 110)],
        "企业": [_unit(n, i) for i, n in enumerate(firms)],
        "学校": [_unit(n, 120 + i, c) for i, (n, c) in enumerate(schools)],
        "科研机构": [_unit("重庆渝岭智能网联汽车与新能源动力系统关键共性技术研究院", 130)],
        "其他组织": [_unit("重庆市云岭区汽车零部件行业协会", 140)],
    }
    return "联合体成员:\n" + "\n".join(f"  {k}:\n" + "\n".join(v) for k, v in blocks.items()) + "\n"


_SENTENCES = (
    "联合体围绕智能网联新能源汽车零部件产业链，推动园区、企业、学校和科研机构共建专业、共育人才、共享资源。",
    "2024年新增共建专业3个、共建课程14门，企业兼职教师165人次到校授课7600课时，联系电话023-64413701。",
    "依托区域产教融合实践中心，年提供实习实训8600人月，实训场地面积达到12800㎡，设备总值3.6亿元。",
    "学徒岗位比例提高到5%，联合体学校整体就业率稳定在97%以上，毕业生本地就业率达到68.5%。",
    "校企共建共性技术服务平台5个，成果转化率26%，到账经费1600万元，开展企业员工培训36000人日。",
)


def _text_at_limit(limit: int, seed: int = 0) -> str:
    """Realistic prose of exactly `limit` 字 (Word's count), ending with a full stop."""
    text, i = "", seed
    while count_words(text + _SENTENCES[i % len(_SENTENCES)]).words <= limit - 1:
        text += _SENTENCES[i % len(_SENTENCES)]
        i += 1
    filler = "联合体持续完善运行机制并推进各项建设任务落地见效"
    k = 0
    while count_words(text).words < limit - 1:
        text += filler[k % len(filler)]
        k += 1
    text += "。"
    assert count_words(text).words == limit, (count_words(text).words, limit)
    return text


def _prose_at_limit(limit: int) -> str:
    """Paragraphs of prose (about 200 字 each) adding up to exactly `limit` 字."""
    paragraphs, left, n = [], limit, 0
    while left > 0:
        size = min(left, 200) if left - 200 >= 20 or left <= 200 else left - 20
        paragraphs.append(_text_at_limit(size, n))
        left -= size
        n += 1
    return "\n\n".join(paragraphs) + "\n"


_TAG = re.compile(r"<!--\s*指标\s*[:：=]\s*(.*?)\s*-->")


def _replace_scalar(text: str, key: str, value: str) -> str:
    """Set `key: value` on the line that holds `key:` (first match), keeping the indent."""
    pattern = re.compile(rf"^(\s*){re.escape(key)}:.*$", re.M)
    assert pattern.search(text), key
    return pattern.sub(lambda m: f"{m.group(1)}{key}: {value}", text, count=1)


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def make_large_application(dest: Path) -> Path:
    """Write the large application into `dest` (created; must not exist or be empty) and return it."""
    shutil.copytree(EXAMPLE, dest, dirs_exist_ok=True)

    def basics(text: str) -> str:
        text = _replace_scalar(text, "申报类型", "企业牵头")
        text = _replace_scalar(text, "联合体名称", NAME)
        text = re.sub(r"牵头企业:\n(  - .*\n)+", "牵头企业:\n" + "".join(f"  - {n}\n" for n in LEAD_ENTERPRISES), text)
        text = re.sub(r"牵头学校:\n(  - .*\n)+", "牵头学校:\n" + "".join(f"  - {n}\n" for n in LEAD_SCHOOLS), text)
        return text

    _edit(dest / "基本信息.yaml", basics)

    def overview(text: str) -> str:
        start = text.index("联合体成员:\n")
        end = text.index("\n# 拟投入运行经费总额")
        text = text[:start] + _members() + text[end:]
        council = ["重庆云岭智能汽车零部件产业园", *LEAD_ENTERPRISES, *LEAD_SCHOOLS, *(_firm_name(n) for n in range(12))]
        text = re.sub(r"理事会成员构成:\n(  - .*\n)+", "理事会成员构成:\n" + "".join(f"  - {n}\n" for n in council), text)
        text = _replace_scalar(text, "姓名", RARE_PEOPLE[2] + "远")
        return text.replace("陈立新", RARE_PEOPLE[1] + "新")

    _edit(dest / "推荐书/1-联合体概况.yaml", overview)

    def capacity(text: str) -> str:
        for key, limit in (("教学团队国家级奖励", 100), ("技能大赛获奖情况", 100)):
            text = _replace_scalar(text, key, _text_at_limit(limit, 1))
        for block in ("人才供需信息平台", "新技术引入教学"):
            head = text.index(f"  {block}:\n")
            for year, seed in (("2023年", 2), ("2024年", 3)):
                at = text.index(f"    {year}:", head)
                eol = text.index("\n", at)
                text = text[:at] + f"    {year}: {_text_at_limit(200, seed)}" + text[eol:]
        return text

    _edit(dest / "推荐书/2-服务能力.yaml", capacity)

    for rel, limit in (("推荐书/1-联合体已开展建设情况.md", 500), ("推荐书/3-特色与创新.md", 2000), ("推荐书/4-建设规划.md", 1000)):
        # The points the example's text addressed stay addressed: its tags go before the new text.
        ids = sorted({i for m in _TAG.finditer((dest / rel).read_text(encoding="utf-8")) for i in re.split(r"[,，、\s]+", m.group(1)) if i})
        tag = f"<!-- 指标: {', '.join(ids)} -->\n" if ids else ""
        (dest / rel).write_text(tag + _prose_at_limit(limit), encoding="utf-8")

    def notes(text: str) -> str:
        # Every 自评说明 at its limit (100 字), one per observation point.
        return re.sub(r"^(  \d\.\d): .*$", lambda m: f"{m.group(1)}: {_text_at_limit(100, int(m.group(1)[-1]))}", text, flags=re.M)

    _edit(dest / "自评.yaml", notes)

    table = (
        "\n\n| 实训基地 | 建筑面积（㎡） | 工位数 | 联系电话 |\n| --- | --- | --- | --- |\n"
        + "".join(f"| {_firm_name(n)}实训基地 | {1200 + 150 * n} | {40 + n} | {_phone(n)} |\n" for n in range(8))
    )
    _edit(dest / "建设方案/1-创建条件.md", lambda t: t.rstrip("\n") + table)
    # The longest section twice over: a plan of about 45 pages.
    _edit(dest / "建设方案/3-建设内容与举措.md", lambda t: t + "\n" + re.sub(r"^# .*\n", "", t, flags=re.M))
    return dest


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.large_app DEST")
    print(make_large_application(Path(sys.argv[1])))
