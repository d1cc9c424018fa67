"""The workspace's clock: naive UTC datetimes, the same on SQLite and PostgreSQL.

Why naive UTC: SQLite has no time zones; storing every timestamp as UTC without a zone
keeps comparisons (session expiry, lockout) right on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
