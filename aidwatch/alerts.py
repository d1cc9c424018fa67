"""Data-quality alerts: acknowledgements of known problems and the notifiers that carry the rest.

Why apart from the checks (ingestion/health.py): the checks say what is wrong on a date;
whether someone must be told again is a matter of memory (was it acknowledged, and has it
got worse since?) and of channels (webhook, e-mail) that the operator configures. A
pipeline that ran is green in Airflow; data problems travel this way instead.

- A problem's key names it stably across runs: `check:feed` (overdue, quarantine share),
  `check:feed:file` (a rejected or held file), `check:path` (permissions).
- `aidwatch health ack KEY --until DATE --reason …` appends an acknowledgement to
  HOME/records/health_acks.jsonl with who, why, until when and how bad it was then.
- An acknowledged problem is quiet until its date passes or it gets worse: more days
  overdue than another full cadence, a higher quarantine share. A new rejected file is a
  new key, so it always alerts.
- Channels: AIDWATCH_ALERT_WEBHOOK (JSON POST), AIDWATCH_ALERT_EMAIL (through Airflow's SMTP
  notifier, in Airflow only); none configured means logged only.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from aidwatch.home import Home

log = logging.getLogger(__name__)

WEBHOOK_ENV = "AIDWATCH_ALERT_WEBHOOK"
EMAIL_ENV = "AIDWATCH_ALERT_EMAIL"
WEBHOOK_TIMEOUT_SECONDS = 10


class ProblemLike(Protocol):
    """What an alert needs of a problem (ingestion.health.HealthProblem has it)."""

    feed_id: str
    check: str
    message: str


class AckError(ValueError):
    """An acknowledgement cannot be recorded; the message says why."""


@dataclass(frozen=True)
class Ack:
    key: str
    until: date
    reason: str
    user: str
    recorded_at: str
    measure: float


def problem_key(problem: ProblemLike) -> str:
    """The stable name of a problem across runs (what `aidwatch health ack` takes)."""
    file = getattr(problem, "file", None)
    parts = [problem.check, problem.feed_id] + ([str(file)] if file else [])
    return ":".join(parts)


def problem_measure(problem: ProblemLike) -> float:
    """How bad a problem is, on a scale where larger is worse (what "gets worse" compares)."""
    if problem.check == "overdue":
        days = getattr(problem, "days_overdue", None)
        return float("inf") if days is None else float(days)
    if problem.check == "quarantine_share":
        return float(getattr(problem, "quarantine_share", 0.0) or 0.0)
    return 1.0


def _worse(problem: ProblemLike, ack: Ack) -> bool:
    measure = problem_measure(problem)
    if problem.check == "overdue":  # overdue grows every day: worse is a further whole period missed
        from ingestion.contracts import load_feeds

        feed = load_feeds().get(problem.feed_id)
        cadence = feed.cadence_days if feed is not None else 30
        return measure >= ack.measure + cadence
    return measure > ack.measure


def acks_path(home: Home) -> Path:
    return home.root / "records" / "health_acks.jsonl"


def read_acks(home: Home) -> list[Ack]:
    path = acks_path(home)
    if not path.exists():
        return []
    acks = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            acks.append(Ack(
                key=record["key"], until=date.fromisoformat(record["until"]), reason=record["reason"],
                user=record["user"], recorded_at=record["recorded_at"], measure=float(record["measure"]),
            ))
        except (ValueError, KeyError) as error:
            raise AckError(f"{path} line {number} is not a valid acknowledgement: {error}") from error
    return acks


def acknowledge(
    home: Home, key: str, until: date, reason: str, problems: Sequence[ProblemLike], today: date,
    user: str | None = None,
) -> Ack:
    """Record that a current problem is known until `until`, with who and why (append-only)."""
    if not reason.strip():
        raise AckError("--reason must say why the problem may stay quiet")
    if until < today:
        raise AckError(f"--until {until} is before {today}: an acknowledgement must end in the future")
    current = {problem_key(p): p for p in problems}
    if key not in current:
        listed = "\n".join(f"  {k}" for k in sorted(current)) or "  (none)"
        raise AckError(f"no current problem is called {key!r}; current problems:\n{listed}")
    ack = Ack(
        key=key, until=until, reason=reason.strip(), user=user or getpass.getuser(),
        recorded_at=datetime.now(UTC).isoformat(timespec="seconds"), measure=problem_measure(current[key]),
    )
    path = acks_path(home)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    record = {**ack.__dict__, "until": ack.until.isoformat()}
    if record["measure"] == float("inf"):
        record["measure"] = 1e18
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.chmod(path, 0o600)
    return ack


def triage(
    problems: Iterable[ProblemLike], acks: Sequence[Ack], as_of: date
) -> tuple[list[ProblemLike], list[tuple[ProblemLike, Ack]]]:
    """Split problems into those to alert on and those quiet under a live acknowledgement."""
    latest: dict[str, Ack] = {}
    for ack in acks:  # the newest acknowledgement of a key counts
        latest[ack.key] = ack
    alert, quiet = [], []
    for problem in problems:
        ack = latest.get(problem_key(problem))
        if ack is not None and as_of <= ack.until and not _worse(problem, ack):
            quiet.append((problem, ack))
        else:
            alert.append(problem)
    return alert, quiet


def alert_payload(as_of: date, problems: Sequence[ProblemLike], report: Path | None) -> dict[str, Any]:
    return {
        "source": "aidwatch",
        "kind": "data_quality",
        "as_of": as_of.isoformat(),
        "problems": [{"key": problem_key(p), "check": p.check, "feed_id": p.feed_id, "message": p.message}
                     for p in problems],
        "report": str(report) if report else None,
    }


def post_webhook(url: str, payload: dict[str, Any]) -> None:
    """POST the alert as JSON; a failure is logged as an error, never raised (the run itself worked)."""
    request = urllib.request.Request(
        url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"}, method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read()
    except (urllib.error.URLError, OSError) as error:
        log.error("data-quality alert could not be sent to the webhook %s: %s", url, error)


def notify(as_of: date, problems: Sequence[ProblemLike], report: Path | None) -> list[str]:
    """Send the alert through every configured channel but e-mail; return the channels used."""
    if not problems:
        return []
    for problem in problems:
        log.warning("data-quality alert [%s] %s", problem_key(problem), problem.message)
    channels = []
    url = os.environ.get(WEBHOOK_ENV)
    if url:
        post_webhook(url, alert_payload(as_of, problems, report))
        channels.append("webhook")
    if not channels and not os.environ.get(EMAIL_ENV):
        log.warning("no alert channel configured (%s, %s): data-quality alerts are logged only",
                    WEBHOOK_ENV, EMAIL_ENV)
    return channels


def notify_pipeline_failure(
    as_of: date | None, run_id: str, failed_task: str | None, reason: str
) -> list[str]:
    """Tell the operator the pipeline itself failed (Airflow's DAG failure callback), by webhook.

    The same channels as data-quality alerts, but a different `kind`: a broken pipeline
    needs the data team, a data problem the department. E-mail is sent by the caller
    (Airflow's SMTP notifier), as for data-quality alerts.
    """
    where = f" at task {failed_task}" if failed_task else ""
    log.error("pipeline failed%s (%s, as_of %s): %s", where, run_id, as_of, reason)
    url = os.environ.get(WEBHOOK_ENV)
    if not url:
        return []
    post_webhook(url, {
        "source": "aidwatch",
        "kind": "pipeline_failed",
        "as_of": as_of.isoformat() if as_of else None,
        "run_id": run_id,
        "failed_task": failed_task,
        "reason": reason,
    })
    return ["webhook"]
