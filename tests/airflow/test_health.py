"""The feed-health checks over a ledger written to disk: overdue, rejected, quarantine share.

Boundaries follow rules.md: on the last day of a feed's cadence it is due, not overdue; the
day after it is overdue by one day.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from aidwatch.home import Home
from ingestion.contracts import load_feeds
from ingestion.health import (
    DEFAULT_MAX_QUARANTINE_SHARE,
    MAX_QUARANTINE_SHARE_ENV,
    check_feed_health,
    health_report_path,
    max_quarantine_share,
    write_health_report,
)

AS_OF = date(2026, 10, 31)


def write_entry(
    home: Home,
    feed_id: str,
    extract: date | None,
    status: str = "loaded",
    rows_read: int = 100,
    rows_quarantined: int = 0,
    reasons: tuple[str, ...] = (),
    suffix: str = "0",
) -> None:
    """One ledger entry in the documented format (docs/design.md)."""
    stamp = extract.strftime("%Y%m%d") if extract else "unknown"
    batch_id = f"{feed_id}__{stamp}__{suffix * 12}"
    entry = {
        "batch_id": batch_id,
        "feed_id": feed_id,
        "file": f"{feed_id}/{feed_id}_{stamp}.csv",
        "sha256": suffix * 64,
        "size_bytes": 10,
        "extract_date": extract.isoformat() if extract else None,
        "encoding": "utf-8",
        "format": "csv",
        "rows_read": rows_read,
        "rows_loaded": rows_read - rows_quarantined,
        "rows_quarantined": rows_quarantined,
        "status": status,
        "reasons": list(reasons),
        "extra_columns": [],
        "started_at": "2026-10-31T01:00:00+00:00",
        "finished_at": "2026-10-31T01:00:01+00:00",
    }
    home.ledger.mkdir(parents=True, exist_ok=True)
    (home.ledger / f"{batch_id}.json").write_text(json.dumps(entry), encoding="utf-8")


@pytest.fixture
def healthy_home(tmp_path: Path) -> Home:
    """Every feed delivered on as_of, nothing quarantined."""
    home = Home(tmp_path)
    for feed_id in load_feeds():
        write_entry(home, feed_id, AS_OF)
    return home


def test_all_feeds_delivered_on_time_is_healthy(healthy_home: Home) -> None:
    assert check_feed_health(healthy_home, AS_OF) == []


@pytest.mark.parametrize(
    ("days_before", "overdue_by"),
    [(0, None), (35, None), (36, 1), (61, 26)],
    ids=["same-day", "last-day-of-cadence-is-due", "day-after-is-overdue", "long-overdue"],
)
def test_overdue_counts_days_past_the_cadence(
    tmp_path: Path, days_before: int, overdue_by: int | None
) -> None:
    home = Home(tmp_path)
    for feed_id in load_feeds():
        if feed_id != "ps_vehicles":
            write_entry(home, feed_id, AS_OF)
    last = AS_OF - timedelta(days=days_before)
    write_entry(home, "ps_vehicles", last)
    problems = check_feed_health(home, AS_OF)
    if overdue_by is None:
        assert problems == []
        return
    [problem] = problems
    assert (problem.feed_id, problem.check, problem.days_overdue) == ("ps_vehicles", "overdue", overdue_by)
    assert problem.last_extract_date == last
    assert f"overdue by {overdue_by} days" in problem.message
    assert f"last extract {last.isoformat()}" in problem.message


def test_feed_never_delivered_is_overdue(healthy_home: Home) -> None:
    for path in healthy_home.ledger.glob("tax_income__*.json"):
        path.unlink()
    [problem] = check_feed_health(healthy_home, AS_OF)
    assert problem.feed_id == "tax_income" and problem.check == "overdue"
    assert "no accepted delivery" in problem.message


def test_no_feedback_yet_is_not_an_overdue_feed(tmp_path: Path) -> None:
    """The workspace's own feed is delivered only when officials recorded feedback."""
    home = Home(tmp_path)
    for feed_id, feed in load_feeds().items():
        if not feed.from_workspace:
            write_entry(home, feed_id, AS_OF)
    assert check_feed_health(home, AS_OF) == []


def test_deliveries_after_as_of_do_not_count(healthy_home: Home) -> None:
    """Replaying an old day gives that day's answer, whatever arrived later."""
    earlier = AS_OF - timedelta(days=100)
    problems = check_feed_health(healthy_home, earlier)
    assert {p.feed_id for p in problems} == {f for f, feed in load_feeds().items() if not feed.from_workspace}
    assert all(p.check == "overdue" for p in problems)


def test_rejected_file_only_counts_as_a_delivery_problem(healthy_home: Home) -> None:
    write_entry(
        healthy_home, "ca_households", AS_OF - timedelta(days=3), status="rejected", rows_read=0,
        reasons=("missing required column 户主身份证号",), suffix="1",
    )
    [problem] = check_feed_health(healthy_home, AS_OF)
    assert (problem.feed_id, problem.check) == ("ca_households", "rejected")
    assert "missing required column 户主身份证号" in problem.message


def test_old_rejection_outside_the_current_period_is_not_reported(healthy_home: Home) -> None:
    write_entry(healthy_home, "ca_households", AS_OF - timedelta(days=35), status="rejected", suffix="1")
    assert check_feed_health(healthy_home, AS_OF) == []


def test_a_rejected_file_alone_leaves_the_feed_overdue(tmp_path: Path) -> None:
    home = Home(tmp_path)
    for feed_id in load_feeds():
        if feed_id != "ca_deaths":
            write_entry(home, feed_id, AS_OF)
    write_entry(home, "ca_deaths", AS_OF, status="rejected", rows_read=0, suffix="1")
    checks = sorted((p.feed_id, p.check) for p in check_feed_health(home, AS_OF))
    assert checks == [("ca_deaths", "overdue"), ("ca_deaths", "rejected")]


@pytest.mark.parametrize(
    ("quarantined", "flagged"), [(10, False), (11, True)], ids=["at-limit", "above-limit"]
)
def test_quarantine_share_above_the_limit_is_flagged(
    healthy_home: Home, monkeypatch: pytest.MonkeyPatch, quarantined: int, flagged: bool
) -> None:
    monkeypatch.delenv(MAX_QUARANTINE_SHARE_ENV, raising=False)
    # a second delivery in the current period; with the clean one on as_of: 200 rows read
    write_entry(
        healthy_home, "ca_members", AS_OF - timedelta(days=1), status="loaded_with_quarantine",
        rows_read=100, rows_quarantined=quarantined, suffix="2",
    )
    problems = check_feed_health(healthy_home, AS_OF)
    if not flagged:
        assert problems == []  # 10 of 200 is exactly the default limit of 5%
        return
    [problem] = problems
    assert (problem.feed_id, problem.check) == ("ca_members", "quarantine_share")
    assert f"{quarantined} of 200 rows quarantined (5.5%)" in problem.message


def test_quarantine_limit_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_QUARANTINE_SHARE_ENV, raising=False)
    assert max_quarantine_share() == DEFAULT_MAX_QUARANTINE_SHARE
    monkeypatch.setenv(MAX_QUARANTINE_SHARE_ENV, "0.2")
    assert max_quarantine_share() == 0.2
    assert max_quarantine_share(0.1) == 0.1
    monkeypatch.setenv(MAX_QUARANTINE_SHARE_ENV, "5")
    with pytest.raises(ValueError, match=MAX_QUARANTINE_SHARE_ENV):
        max_quarantine_share()


def test_health_report_is_written_per_as_of(tmp_path: Path) -> None:
    home = Home(tmp_path)
    write_entry(home, "ps_hukou", AS_OF - timedelta(days=40))
    problems = check_feed_health(home, AS_OF)
    path = write_health_report(home, AS_OF, problems, 0.05)
    assert path == health_report_path(home, AS_OF)
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["ok"] is False
    hukou = [p for p in report["problems"] if p["feed_id"] == "ps_hukou"]
    assert hukou[0]["days_overdue"] == 5 and hukou[0]["last_extract_date"] == "2026-09-21"
