"""Coverage changes between two revisions: the 附件2 观测点 a revision gained or lost evidence for.

A tag-only edit (`<!-- 指标: 5.4 -->` removed) changes nothing printed, so the redlines and the
field rows cannot show it; yet it is what a reviewer scores. Both revisions' coverage comes from
`check.coverage.coverage(app)`, the one reading of the tags, so `diff` and `check` never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from generator.check.coverage import Coverage, Evidence, coverage
from generator.i18n import _
from generator.model import Application

#: What happened to an indicator: newly addressed, no longer addressed, or its evidence's 字数 moved.
KINDS = ("gained", "lost", "chars")


@dataclass(frozen=True)
class CoverageChange:
    """One indicator whose evidence differs between revision A and revision B."""

    id: str  #: "5.4"
    label: str  #: as printed ("5.4", "7.其他")
    group: str  #: the group's title ("服务发展")
    text: str  #: the official wording, verbatim
    kind: str  #: one of KINDS
    chars_before: int  #: 字数 of the tagged text at A
    chars_after: int  #: 字数 of the tagged text at B
    places_before: tuple[Evidence, ...]
    places_after: tuple[Evidence, ...]

    @property
    def places(self) -> tuple[Evidence, ...]:
        """Where it is addressed now, or, for an indicator lost, where it was."""
        return self.places_before if self.kind == "lost" else self.places_after


def _kept(cov: Coverage, skip_files: frozenset[str]) -> tuple[Evidence, ...]:
    return tuple(e for e in cov.evidence if e.loc.path not in skip_files)


def _kind(before: tuple[Evidence, ...], after: tuple[Evidence, ...]) -> str | None:
    if not before and after:
        return "gained"
    if before and not after:
        return "lost"
    chars = (sum(e.chars for e in before), sum(e.chars for e in after))
    if before and (chars[0] != chars[1] or len(before) != len(after)):
        return "chars"
    return None


def compare_coverage(a: Application, b: Application, *, skip_files: frozenset[str] = frozenset()) -> list[CoverageChange]:
    """Every indicator of B's form whose evidence differs from A's, in the form's order.

    Evidence in `skip_files` (content that fails validation at either revision) is left out on
    both sides, so a broken file shows as skipped, not as indicators lost. A declaration such as
    7.其他 has no evidence: its field's change is a row of the change table.
    """
    old = {c.indicator.id: _kept(c, skip_files) for c in coverage(a)}
    out: list[CoverageChange] = []
    for cov in coverage(b):
        spec = cov.indicator
        if spec.declaration:
            continue
        before, after = old.get(spec.id, ()), _kept(cov, skip_files)
        kind = _kind(before, after)
        if kind is not None:
            out.append(CoverageChange(
                spec.id, spec.label, spec.group_title, spec.text, kind,
                sum(e.chars for e in before), sum(e.chars for e in after), before, after,
            ))
    return out


# -- rendering ----------------------------------------------------------------------------------


def _where(e: Evidence) -> str:
    heading = f" › {e.heading}" if e.heading else ""
    return f"{e.part}{heading}（{e.loc}）"


def describe(change: CoverageChange) -> str:
    """What happened, in one phrase."""
    if change.kind == "gained":
        return _("新增覆盖（{n} 处，{chars} 字）").format(n=len(change.places_after), chars=change.chars_after)
    if change.kind == "lost":
        return _("不再覆盖（原有 {n} 处，{chars} 字）").format(n=len(change.places_before), chars=change.chars_before)
    return _("佐证字数 {before} → {after}（{n_before} → {n_after} 处）").format(
        before=change.chars_before, after=change.chars_after,
        n_before=len(change.places_before), n_after=len(change.places_after),
    )


def headline(changes: list[CoverageChange]) -> str:
    """The counts for the table's headline, the kinds that occur only: "建设指标：不再覆盖 1 项"."""
    names = {"gained": _("新增覆盖 {n} 项"), "lost": _("不再覆盖 {n} 项"), "chars": _("佐证字数变化 {n} 项")}
    counts = {k: sum(1 for c in changes if c.kind == k) for k in KINDS}
    return _("建设指标：{counts}").format(counts="，".join(names[k].format(n=n) for k, n in counts.items() if n))


def render_text(changes: list[CoverageChange]) -> list[str]:
    """The terminal lines: each indicator gained or lost with its wording and places, then the
    ones whose evidence's 字数 changed."""
    if not changes:
        return []
    lines = [_("建设指标覆盖变化（附件2 观测点）：")]
    for c in changes:
        lines.append(f"  {c.label}  {c.group}  {describe(c)}")
        if c.kind != "chars":
            lines.append(f"      {c.text}")
            lines.extend(f"      {_where(e)}" for e in c.places)
    return lines


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(changes: list[CoverageChange]) -> list[str]:
    """The 变更表.md section: a row per indicator, with the wording and the places."""
    if not changes:
        return []
    lines = [_("## 建设指标覆盖变化"), ""]
    lines.append("| " + " | ".join([_("观测点"), _("指标内容"), _("变化"), _("位置")]) + " |")
    lines.append("|---|---|---|---|")
    for c in changes:
        places = "<br>".join(_md(_where(e)) for e in c.places)
        lines.append("| " + " | ".join([c.label, _md(c.text), _md(describe(c)), places]) + " |")
    lines.append("")
    return lines


def _evidence_json(places: Iterable[Evidence]) -> list[dict[str, object]]:
    return [{"part": e.part, "heading": e.heading, "location": str(e.loc), "chars": e.chars} for e in places]


def to_json(changes: list[CoverageChange]) -> list[dict[str, object]]:
    """The JSON rows: every field, both sides' places."""
    return [
        {
            "indicator": c.id, "label": c.label, "group": c.group, "text": c.text, "change": c.kind,
            "chars_before": c.chars_before, "chars_after": c.chars_after,
            "places_before": _evidence_json(c.places_before), "places_after": _evidence_json(c.places_after),
        }
        for c in changes
    ]
