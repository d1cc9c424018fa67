"""The feeds' health report as banner and league users see it on /stats (数据质量).

Why on the workspace: a late or rejected delivery means the warning lists miss people, and
the officials who act on those lists should know it (issue 18), in Chinese, without the data
team's log. The report is the one the pipeline writes (aidwatch/health_signal.py,
HOME/reports/health/<as_of>.json): which problems alert and which are acknowledged. It holds
feed names, file names and HOME paths only, no personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from aidwatch.home import Home

#: What each check means to an official.
CHECK_LABELS_ZH = {
    "overdue": "逾期未报送",
    "rejected": "文件被拒收",
    "quarantine_share": "问题数据比例超限",
    "held": "数据待人工确认",
    "ignored": "文件未读取",
    "file_warning": "文件有警告",
    "permissions": "文件权限过宽",
}


@dataclass(frozen=True)
class ProblemView:
    key: str
    source: str  # the feed's Chinese name, or the path for a permission problem
    label: str
    detail: str  # in Chinese, from the problem's fields
    message: str  # the data team's English message (shown as a tooltip)
    until: str | None = None  # for an acknowledged problem
    reason: str | None = None


@dataclass(frozen=True)
class FeedHealthView:
    as_of: str
    ok: bool
    alerting: list[ProblemView] = field(default_factory=list)
    acknowledged: list[ProblemView] = field(default_factory=list)


def report_for(home: Home, as_of: date | None) -> Path | None:
    """The report of as_of, else the newest one before it (a check that did not run that day)."""
    folder = home.root / "reports" / "health"
    reports = sorted(p for p in folder.glob("????-??-??.json")) if folder.is_dir() else []
    if as_of is not None:
        reports = [p for p in reports if p.stem <= as_of.isoformat()]
    return reports[-1] if reports else None


def _key(problem: dict[str, Any]) -> str:
    """The problem's key as the pipeline named it (aidwatch.alerts.problem_key)."""
    from types import SimpleNamespace

    from aidwatch.alerts import problem_key

    return problem_key(SimpleNamespace(**problem))


def _detail(problem: dict[str, Any]) -> str:
    check, file = problem["check"], problem.get("file") or ""
    if check == "overdue":
        if problem.get("days_overdue") is None:
            return "报送周期内无合格数据"
        return f"逾期 {problem['days_overdue']} 天，最近一次数据日期 {problem.get('last_extract_date')}"
    if check == "quarantine_share" and problem.get("quarantine_share") is not None:
        return f"问题数据占 {problem['quarantine_share']:.1%}"
    if check == "permissions":
        return f"{problem['feed_id']} 的访问权限超出规定"
    return f"文件 {file}" if file else ""


def read_feed_health(home: Home, as_of: date | None) -> FeedHealthView | None:
    """The health view of as_of's report (None when no report was written yet)."""
    from ingestion.contracts import load_feeds

    path = report_for(home, as_of)
    if path is None:
        return None
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    feeds = load_feeds()
    problems = [*report.get("problems", []), *report.get("permission_problems", [])]
    alerting_keys = set(report.get("alerting", [_key(p) for p in problems]))
    acks = {a["key"]: a for a in report.get("acknowledged", [])}
    alerting, acknowledged = [], []
    for problem in problems:
        key = _key(problem)
        feed = feeds.get(problem["feed_id"])
        view = ProblemView(
            key=key,
            source=f"{feed.name_zh}（{feed.feed_id}）" if feed is not None else problem["feed_id"],
            label=CHECK_LABELS_ZH.get(problem["check"], problem["check"]),
            detail=_detail(problem),
            message=problem.get("message", ""),
            until=acks.get(key, {}).get("until"),
            reason=acks.get(key, {}).get("reason"),
        )
        if key in acks:
            acknowledged.append(view)
        elif key in alerting_keys:
            alerting.append(view)
    return FeedHealthView(as_of=report.get("as_of", path.stem), ok=not problems,
                          alerting=alerting, acknowledged=acknowledged)
