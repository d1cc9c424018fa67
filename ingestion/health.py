"""Data-quality checks over the ingestion ledger: overdue feeds, rejected files, quarantine share.

Why over the ledger: every file ever seen has one ledger entry with its extract date, status
and row counts, so the health of every feed on any as_of can be judged from the ledger alone,
without opening a Parquet file or the warehouse. The checks are plain functions so that the
Airflow data-quality task and the CLI give the same answer for the same HOME and as_of.

Every check looks at deliveries with an extract date on or before as_of only (replaying an old
day gives that day's answer), and judges a feed over its *current period*: the `cadence_days`
days up to and including as_of (extract date in (as_of - cadence_days, as_of]).

- overdue: no accepted delivery in the current period. A feed whose newest accepted extract
  date is `last` is overdue by `(as_of - last).days - cadence_days` days; on the last day of its
  cadence it is due, not overdue (the same convention as rules.md).
- rejected: a file of the feed in the current period was rejected (nothing of it was loaded).
- quarantine share: of the rows read from the feed's accepted files in the current period, the
  share that was quarantined exceeds the limit (`AIDWATCH_MAX_QUARANTINE_SHARE`, default 5%).
- held: a delivery is held (implausible snapshot) and waits for `aidwatch accept|reject`;
  shown whatever its extract date (on or before as_of), until a person decides.
- ignored: a path in a feed folder was not read (hidden name, unsupported type, symlink out of
  the inbox) in the current period (by the day it was seen when its name holds no date).
- file warning: a file of the current period was loaded with a warning (an optional column
  absent while unknown columns arrived: renamed?; a CSV whose last line has no line break).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from aidwatch.home import Home
from aidwatch.permissions import loose_modes
from ingestion.contracts import Feed, load_feeds
from ingestion.landing import read_ledger

#: Environment variable that sets the quarantine-share limit (a fraction, e.g. 0.05).
MAX_QUARANTINE_SHARE_ENV = "AIDWATCH_MAX_QUARANTINE_SHARE"
#: The limit when neither the caller nor the environment sets one.
DEFAULT_MAX_QUARANTINE_SHARE = 0.05

#: Ledger statuses that mean the department's delivery arrived and its rows are in the raw zone.
#: `unchanged` (a snapshot resent byte for byte under a new date) and `accepted` (a held batch
#: released by a person) are deliveries too.
ACCEPTED_STATUSES = frozenset({"loaded", "loaded_with_quarantine", "duplicate", "unchanged", "accepted"})
REJECTED_STATUS = "rejected"
HELD_STATUS = "held"
IGNORED_STATUS = "ignored"
#: Current period for a rejected file whose folder names no known feed (the usual monthly cadence).
UNKNOWN_FEED_PERIOD_DAYS = 35

CheckName = Literal["overdue", "rejected", "quarantine_share", "held", "ignored", "file_warning"]


@dataclass(frozen=True)
class HealthProblem:
    """One thing wrong with one feed on one as_of, with a message a data steward can act on."""

    feed_id: str
    check: CheckName
    message: str
    last_extract_date: date | None = None
    days_overdue: int | None = None
    file: str | None = None
    quarantine_share: float | None = None

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO text) for XCom and the health report."""
        data = asdict(self)
        if self.last_extract_date is not None:
            data["last_extract_date"] = self.last_extract_date.isoformat()
        return data


def max_quarantine_share(value: float | str | None = None) -> float:
    """The quarantine-share limit: `value` if given, else $AIDWATCH_MAX_QUARANTINE_SHARE, else 5%.

    Why validated here: a typo such as `5` (meaning 5%) would silently disable the check.
    """
    source = "argument"
    if value is None or value == "":
        value = os.environ.get(MAX_QUARANTINE_SHARE_ENV)
        source = MAX_QUARANTINE_SHARE_ENV
    if value is None or value == "":
        return DEFAULT_MAX_QUARANTINE_SHARE
    try:
        share = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{source}: quarantine-share limit {value!r} is not a number") from None
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"{source}: quarantine-share limit {share} must be a fraction between 0 and 1")
    return share


def _extract_date(entry: Mapping[str, Any]) -> date | None:
    """The entry's extract date; for a file rejected before its date was known, the day it was seen."""
    text = entry.get("extract_date")
    if text:
        return date.fromisoformat(str(text)[:10])
    finished = entry.get("finished_at") or entry.get("started_at")
    if finished:
        return datetime.fromisoformat(str(finished)).date()
    return None


def _period_start(as_of: date, feed: Feed) -> date:
    """First day of the feed's current period: the cadence_days days ending on as_of."""
    return as_of - timedelta(days=feed.cadence_days - 1)


def _in_period(entry: Mapping[str, Any], as_of: date, feed: Feed) -> bool:
    extracted = _extract_date(entry)
    return extracted is not None and _period_start(as_of, feed) <= extracted <= as_of


def overdue_feeds(
    ledger: Iterable[Mapping[str, Any]], as_of: date, feeds: Mapping[str, Feed] | None = None
) -> list[HealthProblem]:
    """Departments' feeds with no accepted delivery within their cadence before as_of, and by how much.

    The workspace's own feed (officials' feedback) is delivered by aidwatch before each build
    whenever there is feedback; no feedback yet is not a late department.
    """
    feeds = load_feeds() if feeds is None else feeds
    newest: dict[str, date] = {}
    for entry in ledger:
        extracted = _extract_date(entry)
        if entry["status"] not in ACCEPTED_STATUSES or extracted is None or extracted > as_of:
            continue
        feed_id = entry["feed_id"]
        newest[feed_id] = max(extracted, newest.get(feed_id, extracted))
    problems = []
    for feed_id, feed in feeds.items():
        if feed.from_workspace:
            continue
        last = newest.get(feed_id)
        if last is None:
            problems.append(HealthProblem(
                feed_id=feed_id,
                check="overdue",
                message=(
                    f"{feed_id} ({feed.name_zh}) is overdue: no accepted delivery on or before "
                    f"{as_of.isoformat()} (cadence {feed.cadence_days} days)"
                ),
            ))
            continue
        days_since = (as_of - last).days
        if days_since > feed.cadence_days:
            overdue_by = days_since - feed.cadence_days
            problems.append(HealthProblem(
                feed_id=feed_id,
                check="overdue",
                message=(
                    f"{feed_id} ({feed.name_zh}) is overdue by {overdue_by} days: last extract "
                    f"{last.isoformat()}, {days_since} days before {as_of.isoformat()}, "
                    f"cadence {feed.cadence_days} days"
                ),
                last_extract_date=last,
                days_overdue=overdue_by,
            ))
    return problems


def rejected_files(
    ledger: Iterable[Mapping[str, Any]], as_of: date, feeds: Mapping[str, Feed] | None = None
) -> list[HealthProblem]:
    """Files rejected in their feed's current period (unknown feed: UNKNOWN_FEED_PERIOD_DAYS)."""
    feeds = load_feeds() if feeds is None else feeds
    problems = []
    for entry in ledger:
        if entry["status"] != REJECTED_STATUS:
            continue
        feed_id = entry["feed_id"]
        feed = feeds.get(feed_id)
        extracted = _extract_date(entry)
        window = feed.cadence_days if feed is not None else UNKNOWN_FEED_PERIOD_DAYS
        if extracted is None or not as_of - timedelta(days=window - 1) <= extracted <= as_of:
            continue
        reasons = "; ".join(str(r) for r in entry.get("reasons") or []) or "no reason recorded"
        name = f" ({feed.name_zh})" if feed is not None else ""
        problems.append(HealthProblem(
            feed_id=feed_id,
            check="rejected",
            message=(
                f"{feed_id}{name}: file {entry.get('file')} (extract {extracted.isoformat()}) "
                f"was rejected: {reasons}"
            ),
            last_extract_date=extracted,
            file=entry.get("file"),
        ))
    return problems


def quarantine_shares(
    ledger: Iterable[Mapping[str, Any]],
    as_of: date,
    limit: float,
    feeds: Mapping[str, Feed] | None = None,
) -> list[HealthProblem]:
    """Feeds whose share of quarantined rows in the current period exceeds `limit`."""
    feeds = load_feeds() if feeds is None else feeds
    read: dict[str, int] = {}
    quarantined: dict[str, int] = {}
    for entry in ledger:
        feed = feeds.get(entry["feed_id"])
        if feed is None or entry["status"] not in ACCEPTED_STATUSES or not _in_period(entry, as_of, feed):
            continue
        read[feed.feed_id] = read.get(feed.feed_id, 0) + int(entry.get("rows_read") or 0)
        quarantined[feed.feed_id] = quarantined.get(feed.feed_id, 0) + int(entry.get("rows_quarantined") or 0)
    problems = []
    for feed_id, rows_read in read.items():
        if rows_read == 0:
            continue
        share = quarantined[feed_id] / rows_read
        if share > limit:
            feed = feeds[feed_id]
            problems.append(HealthProblem(
                feed_id=feed_id,
                check="quarantine_share",
                message=(
                    f"{feed_id} ({feed.name_zh}): {quarantined[feed_id]} of {rows_read} rows "
                    f"quarantined ({share:.1%}) in deliveries from "
                    f"{_period_start(as_of, feed).isoformat()} to {as_of.isoformat()}, "
                    f"above the limit of {limit:.1%}"
                ),
                quarantine_share=share,
            ))
    return problems


def held_batches(ledger: Iterable[Mapping[str, Any]], as_of: date,
                 feeds: Mapping[str, Feed] | None = None) -> list[HealthProblem]:
    """Deliveries held for a person's decision (extract on or before as_of), however old."""
    feeds = load_feeds() if feeds is None else feeds
    problems = []
    for entry in ledger:
        extracted = _extract_date(entry)
        if entry["status"] != HELD_STATUS or extracted is None or extracted > as_of:
            continue
        feed = feeds.get(entry["feed_id"])
        name = f" ({feed.name_zh})" if feed is not None else ""
        problems.append(HealthProblem(
            feed_id=entry["feed_id"],
            check="held",
            message=(
                f"{entry['feed_id']}{name}: file {entry.get('file')} (extract {extracted.isoformat()}, "
                f"batch {entry['batch_id']}) is held, out of the warehouse until "
                f"`aidwatch accept|reject {entry['batch_id']} --reason ...`: "
                + "; ".join(str(r) for r in entry.get("reasons") or [])
            ),
            last_extract_date=extracted,
            file=entry.get("file"),
        ))
    return problems


def _period_entries(ledger: Iterable[Mapping[str, Any]], as_of: date,
                    feeds: Mapping[str, Feed]) -> Iterable[tuple[Mapping[str, Any], Feed | None, date]]:
    """Entries whose extract date (else the day they were seen) is in their feed's current period."""
    for entry in ledger:
        feed = feeds.get(entry["feed_id"])
        extracted = _extract_date(entry)
        window = feed.cadence_days if feed is not None else UNKNOWN_FEED_PERIOD_DAYS
        if extracted is not None and as_of - timedelta(days=window - 1) <= extracted <= as_of:
            yield entry, feed, extracted


def ignored_files(ledger: Iterable[Mapping[str, Any]], as_of: date,
                  feeds: Mapping[str, Feed] | None = None) -> list[HealthProblem]:
    """Paths in a feed folder that were not read, in the feed's current period, with the reason."""
    feeds = load_feeds() if feeds is None else feeds
    return [
        HealthProblem(
            feed_id=entry["feed_id"],
            check="ignored",
            message=(f"{entry['feed_id']}: {entry.get('file')} was not read: "
                     + "; ".join(str(r) for r in entry.get("reasons") or [])),
            last_extract_date=extracted,
            file=entry.get("file"),
        )
        for entry, _, extracted in _period_entries(ledger, as_of, feeds)
        if entry["status"] == IGNORED_STATUS
    ]


def file_warnings(ledger: Iterable[Mapping[str, Any]], as_of: date,
                    feeds: Mapping[str, Feed] | None = None) -> list[HealthProblem]:
    """Files of the current period loaded with a warning (a renamed column? a cut last line?)."""
    feeds = load_feeds() if feeds is None else feeds
    return [
        HealthProblem(
            feed_id=entry["feed_id"],
            check="file_warning",
            message=f"{entry['feed_id']}: file {entry.get('file')}: {warning}",
            last_extract_date=extracted,
            file=entry.get("file"),
        )
        for entry, _, extracted in _period_entries(ledger, as_of, feeds)
        if entry["status"] in ACCEPTED_STATUSES | {HELD_STATUS}
        for warning in entry.get("warnings") or []
    ]


def check_feed_health(
    home: Home, as_of: date, max_share: float | str | None = None
) -> list[HealthProblem]:
    """All problems of HOME's feeds on as_of: overdue, rejected, too much quarantine, held, ignored,
    file warnings (in that order)."""
    ledger = read_ledger(home)
    feeds = load_feeds()
    limit = max_quarantine_share(max_share)
    return [
        *overdue_feeds(ledger, as_of, feeds),
        *rejected_files(ledger, as_of, feeds),
        *quarantine_shares(ledger, as_of, limit, feeds),
        *held_batches(ledger, as_of, feeds),
        *ignored_files(ledger, as_of, feeds),
        *file_warnings(ledger, as_of, feeds),
    ]


def health_report_path(home: Home, as_of: date) -> Path:
    """Where the health result of one as_of is kept (next to the gate reports)."""
    return home.root / "reports" / "health" / f"{as_of.isoformat()}.json"


def write_health_report(
    home: Home, as_of: date, problems: list[HealthProblem], limit: float,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write the result of one check as JSON (temp name, then renamed), replacing an earlier one.

    `extra`: more top-level fields (aidwatch/health_signal.py adds which problems alert and
    which are acknowledged, for the workspace's banner)."""
    path = health_report_path(home, as_of)
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "as_of": as_of.isoformat(),
        "max_quarantine_share": limit,
        "ok": not problems,
        "problems": [p.as_json() for p in problems],
        # `aidwatch doctor`'s check: paths in HOME looser than the permission policy
        "loose_permissions": [str(loose) for loose in loose_modes(home)],
        **(extra or {}),
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def format_problems(problems: list[HealthProblem]) -> str:
    """One line per problem, for a log or an exception message."""
    return "\n".join(f"- [{p.check}] {p.message}" for p in problems)
