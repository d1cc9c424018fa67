"""Counts of an area's warnings and their change since the last run.

Why counts are kept with each export (`manifest.json`): an official compares this
Monday's list with last Monday's; the previous export's counts are exactly what
they saw. When there is no previous export, the previous run in warning_history
stands in.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

#: Statuses on the officials' to-do list (verified: checked, not yet handled; issue 16).
ACTIVE_STATUSES = ("new", "open", "verified")


@dataclass
class AreaCounts:
    """Open (new + continuing) warnings of one area, by rule, severity and township."""

    total: int = 0
    new: int = 0
    resolved: int = 0
    overdue: int = 0  # 核查逾期: no feedback past the time limit (issue 16)
    escalated: int = 0  # past twice the limit: on the banner's list too
    by_rule: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    by_township: Counter[str] = field(default_factory=Counter)
    by_banner: Counter[str] = field(default_factory=Counter)
    new_by_rule: Counter[str] = field(default_factory=Counter)
    resolved_by_rule: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict:
        return {
            "total": self.total,
            "new": self.new,
            "resolved": self.resolved,
            "overdue": self.overdue,
            "escalated": self.escalated,
            "by_rule": dict(sorted(self.by_rule.items())),
            "by_severity": dict(sorted(self.by_severity.items())),
            "by_township": dict(sorted(self.by_township.items())),
            "by_banner": dict(sorted(self.by_banner.items())),
        }

    @classmethod
    def from_json(cls, data: dict) -> AreaCounts:
        return cls(
            total=int(data.get("total", 0)),
            new=int(data.get("new", 0)),
            resolved=int(data.get("resolved", 0)),
            overdue=int(data.get("overdue", 0)),
            escalated=int(data.get("escalated", 0)),
            by_rule=Counter(data.get("by_rule", {})),
            by_severity=Counter(data.get("by_severity", {})),
            by_township=Counter(data.get("by_township", {})),
            by_banner=Counter(data.get("by_banner", {})),
        )


def count_area(rows: list[dict]) -> AreaCounts:
    """Counts over an area's rows (any row with rule_id, severity, status, banner/township codes)."""
    counts = AreaCounts()
    for row in rows:
        status = row.get("status")
        rule = row["rule_id"]
        if status == "resolved":
            counts.resolved += 1
            counts.resolved_by_rule[rule] += 1
            continue
        if status not in ACTIVE_STATUSES:
            continue
        counts.total += 1
        counts.by_rule[rule] += 1
        counts.by_severity[row.get("severity") or ""] += 1
        # a banner-level warning (no township) is counted under its banner: `|banner_code`
        counts.by_township[row.get("township_code") or f"|{row.get('banner_code') or ''}"] += 1
        counts.by_banner[row.get("banner_code") or ""] += 1
        counts.overdue += bool(row.get("is_verify_overdue"))
        counts.escalated += bool(row.get("is_escalated"))
        if status == "new":
            counts.new += 1
            counts.new_by_rule[rule] += 1
    return counts


def change_text(current: int, previous: int | None) -> str:
    """`+3`, `-2`, `0`, or `—` when there is nothing to compare with."""
    if previous is None:
        return "—"
    delta = current - previous
    return f"+{delta}" if delta > 0 else str(delta)
