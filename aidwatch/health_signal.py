"""The data-quality signal of one as_of: check, report, triage against acknowledgements, notify.

Why one function for Airflow and the CLI: the pipeline's own state (did ingest, build and
export work?) and the data's health (did every department deliver, cleanly?) are separate
signals. Airflow's run state carries the first; this carries the second, the same way from
the DAG's `check_data_quality` task and from `aidwatch run`: the health report
(HOME/reports/health/<as_of>.json, read by the workspace's banner), then only the problems
that are not acknowledged (aidwatch/alerts.py) go to the operator's channels.

Problems come from the ledger (ingestion/health.py) and from `aidwatch doctor`'s permission
check (aidwatch/permissions.py): a path in HOME looser than the policy is a problem with the
key `permissions:<path relative to HOME>`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from aidwatch.alerts import Ack, AckError, notify, problem_key, read_acks, triage
from aidwatch.home import Home
from aidwatch.permissions import loose_modes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PermissionProblem:
    """A path in HOME looser than the permission policy (what `aidwatch doctor` lists).

    `feed_id` holds the path relative to HOME so that the problem's key names the path
    (aidwatch.alerts.problem_key is `check:feed_id`); there is no feed.
    """

    feed_id: str
    message: str
    check: str = "permissions"

    def as_json(self) -> dict[str, Any]:
        return {"feed_id": self.feed_id, "check": self.check, "message": self.message}


@dataclass
class HealthSignal:
    """What one data-quality check found and told."""

    as_of: date
    report: Path
    alerting: list[Any] = field(default_factory=list)  # problems sent to the channels
    quiet: list[tuple[Any, Ack]] = field(default_factory=list)  # acknowledged, not worse
    channels: list[str] = field(default_factory=list)  # channels used besides the log

    def summary(self) -> dict[str, Any]:
        """JSON-safe summary (XCom, logs)."""
        return {
            "as_of": self.as_of.isoformat(),
            "report": str(self.report),
            "alerting": [problem_key(p) for p in self.alerting],
            "acknowledged": [problem_key(p) for p, _ in self.quiet],
            "channels": self.channels,
        }


def permission_problems(home: Home) -> list[PermissionProblem]:
    """`aidwatch doctor`'s findings as problems (one per path looser than the policy)."""
    problems = []
    for loose in loose_modes(home):
        try:
            relative = loose.path.relative_to(home.root).as_posix() or "."
        except ValueError:
            relative = str(loose.path)
        problems.append(PermissionProblem(feed_id=relative, message=f"too open: {loose}"))
    return problems


def check_and_report(home: Home, as_of: date, max_share: float | str | None = None) -> HealthSignal:
    """Check as_of, triage against the acknowledgements and write the health report; notify nobody.

    (`aidwatch health check` stops here.) An unreadable acknowledgement file is logged and every
    problem alerts (better told twice than not at all).
    """
    from ingestion.health import check_feed_health, max_quarantine_share, write_health_report

    limit = max_quarantine_share(max_share)
    feed_problems = check_feed_health(home, as_of, limit)
    problems: list[Any] = [*feed_problems, *permission_problems(home)]
    try:
        acks = read_acks(home)
    except AckError as error:
        log.error("acknowledgements ignored: %s", error)
        acks = []
    alerting, quiet = triage(problems, acks, as_of)
    report = write_health_report(home, as_of, feed_problems, limit, extra={
        "alerting": [problem_key(p) for p in alerting],
        "acknowledged": [
            {"key": problem_key(p), "until": ack.until.isoformat(), "user": ack.user, "reason": ack.reason}
            for p, ack in quiet
        ],
        "permission_problems": [p.as_json() for p in problems if isinstance(p, PermissionProblem)],
    })
    return HealthSignal(as_of=as_of, report=report, alerting=alerting, quiet=quiet)


def check_and_alert(home: Home, as_of: date, max_share: float | str | None = None) -> HealthSignal:
    """Write the health report of as_of and notify every problem that is not acknowledged.

    Never raises for a data problem: a data problem is the signal, not a failure.
    """
    signal = check_and_report(home, as_of, max_share)
    for problem, ack in signal.quiet:
        log.info("acknowledged [%s] until %s by %s: %s",
                 problem_key(problem), ack.until, ack.user, ack.reason)
    signal.channels = notify(as_of, signal.alerting, signal.report)
    if not signal.alerting:
        log.info("data quality on as_of %s: no problem needs attention (%d acknowledged); report %s",
                 as_of, len(signal.quiet), signal.report)
    return signal


def email_text(signal: HealthSignal) -> tuple[str, str]:
    """Subject and HTML body of the data-quality e-mail (Airflow's SMTP notifier sends it)."""
    from html import escape

    subject = f"aidwatch: {len(signal.alerting)} data-quality problem(s) on {signal.as_of.isoformat()}"
    items = "".join(
        f"<li><code>{escape(problem_key(p))}</code>: {escape(p.message)}</li>" for p in signal.alerting
    )
    body = (f"<p>{subject}.</p><ul>{items}</ul><p>Report: {escape(str(signal.report))}. "
            "A known problem is silenced with <code>aidwatch health ack KEY --until DATE "
            "--reason ...</code>.</p>")
    return subject, body
