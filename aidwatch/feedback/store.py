"""Feedback records in the workspace's operational database (table `warning_feedback`).

Why append-only: a correction is a new record and the latest counts (spec workspace.md),
so what an official said once is never lost; the database itself refuses UPDATE and
DELETE (the workspace's migration). The server, never the form or the workbook, sets
`user_login` and `recorded_at` (Beijing time, `clock.local_now`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select

from aidwatch.feedback import clock
from aidwatch.feedback.validation import Feedback
from aidwatch.workspace.clock import utc_now
from aidwatch.workspace.ops.models import AuditEvent, WarningFeedback

TABLE = WarningFeedback.__table__

#: Columns of a record as delivered in the feed (the contract's order).
RECORD_COLUMNS = ("id", "warning_key", "result", "action", "note", "verified_on", "handled_on",
                  "user_login", "recorded_at")


def insert_feedback(connection: Connection, feedback: Feedback, user_login: str,
                    recorded_at: dt.datetime) -> int:
    """Append one record inside the caller's transaction; returns its id."""
    result = connection.execute(TABLE.insert().values(
        warning_key=feedback.warning_key,
        result=feedback.result,
        action=feedback.action,
        note=feedback.note,
        verified_on=feedback.verified_on,
        handled_on=feedback.handled_on,
        user_login=user_login,
        recorded_at=recorded_at,
    ))
    return int(result.inserted_primary_key[0])


@dataclass(frozen=True)
class AuditContext:
    """Who records feedback, as the workspace's audit log (table audit_events) names them."""

    user_login: str
    role: str | None
    client: str | None  # the client address, or "cli" for a workbook import


def record_all(engine: Engine, feedbacks: Iterable[Feedback], audit: AuditContext, *,
               subject: str | None = None, detail: str | None = None,
               recorded_at: dt.datetime | None = None) -> list[int]:
    """Append every record and ONE audit row in one transaction: all of it is stored or nothing.

    Why together: the audit fails closed (spec workspace.md, "Audit"): feedback never
    exists without its audit row, and an audit row never claims feedback that was lost.
    The audit row is the workspace's own (action `feedback`).
    """
    at = recorded_at or clock.local_now()
    feedbacks = list(feedbacks)
    with engine.begin() as connection:
        ids = [insert_feedback(connection, f, audit.user_login, at) for f in feedbacks]
        keys = sorted({f.warning_key for f in feedbacks})
        connection.execute(AuditEvent.__table__.insert().values(
            at=utc_now(), user_login=audit.user_login, role=audit.role, action="feedback",
            subject=(subject or (f"warning:{keys[0]}" if len(keys) == 1 else f"warnings:{len(keys)}"))[:200],
            result="ok", client=audit.client,
            detail=detail or ";".join(f"{f.warning_key}={f.result}" for f in feedbacks)[:4000],
        ))
    return ids


def record_feedback(engine: Engine, feedback: Feedback, audit: AuditContext,
                    recorded_at: dt.datetime | None = None) -> int:
    """Append one record with its audit row; returns its id."""
    return record_all(engine, [feedback], audit, recorded_at=recorded_at)[0]


def feedback_history(engine: Engine, warning_key: str) -> list[dict]:
    """Every record of one warning, newest first (the page's history)."""
    query = (select(TABLE).where(TABLE.c.warning_key == warning_key)
             .order_by(TABLE.c.recorded_at.desc(), TABLE.c.id.desc()))
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def latest_feedback(engine: Engine, warning_keys: Iterable[str]) -> dict[str, dict]:
    """The latest record per warning key among `warning_keys` (the one that counts)."""
    keys = list(dict.fromkeys(warning_keys))
    latest: dict[str, dict] = {}
    with engine.connect() as connection:
        for start in range(0, len(keys), 500):
            query = (select(TABLE).where(TABLE.c.warning_key.in_(keys[start:start + 500]))
                     .order_by(TABLE.c.recorded_at, TABLE.c.id))
            for row in connection.execute(query):
                latest[row.warning_key] = dict(row._mapping)
    return latest


def feedback_recorded_by(engine: Engine, last_day: dt.date) -> list[dict]:
    """Every record made on or before `last_day` (Beijing time), oldest first: one delivery."""
    until = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time())
    query = select(TABLE).where(TABLE.c.recorded_at < until).order_by(TABLE.c.id)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]
