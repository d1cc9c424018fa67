"""Deliver the officials' feedback as the feed `warning_feedback` before each build.

Why through the inbox, the ledger and the gate: the warehouse must explain every status
change by data it holds (spec workspace.md), and the feedback is a source like any
department's feed. The workspace never writes the warehouse (DuckDB has one writer); this
step copies what the operational database holds into the raw zone.

Each delivery is a snapshot: `HOME/feedback_outbox/warning_feedback/warning_feedback_<as_of>.csv`
holds every record made on or before as_of (Beijing time), so a build for an earlier day
sees only what was known that day. Delivering the same feedback twice changes nothing:
the same bytes at the same path are skipped, the same bytes under another date are a
`duplicate` in the ledger, and staging keeps one row per feedback id.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
from pathlib import Path

from sqlalchemy import Engine

from aidwatch.feedback.codes import FEED_ID, feedback_feed
from aidwatch.feedback.store import feedback_recorded_by
from aidwatch.home import Home

log = logging.getLogger(__name__)


def outbox(home: Home) -> Path:
    """The inbox the feedback is delivered into (kept apart from the departments' inbox)."""
    return home.root / "feedback_outbox"


def _ops_engine(home: Home) -> Engine | None:
    """The operational database, or None when this HOME has never had one (no feedback yet)."""
    from aidwatch.workspace.ops import open_ops_engine, ops_url

    url = ops_url(home)
    if url.startswith("sqlite") and not (home.root / "workspace.sqlite").exists():
        return None
    return open_ops_engine(home)


def render_delivery(records: list[dict]) -> bytes:
    """The records as the feed's CSV: contract column names, UTF-8, one row per record."""
    names = feedback_feed().column_names
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for record in records:
        row = {**record, "feedback_id": record["id"]}
        writer.writerow(["" if row[name] is None else _cell(row[name]) for name in names])
    return buffer.getvalue().encode("utf-8")


def _cell(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _write_if_changed(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return True


def deliver_feedback(home: Home, as_of: dt.date, engine: Engine | None = None) -> list[dict]:
    """Deliver every record made on or before `as_of` and ingest it; returns the ledger entries.

    An empty delivery (header only) is written too, so the feed is never overdue and a
    build always knows there was no feedback rather than guessing.
    """
    from ingestion.pipeline import ingest_feed

    own_engine = engine is None
    engine = engine if engine is not None else _ops_engine(home)
    try:
        records = feedback_recorded_by(engine, as_of) if engine is not None else []
    finally:
        if own_engine and engine is not None:
            engine.dispose()
    target = outbox(home) / FEED_ID / f"{FEED_ID}_{as_of:%Y%m%d}.csv"
    written = _write_if_changed(target, render_delivery(records))
    entries = ingest_feed(FEED_ID, outbox(home), home)
    for entry in entries:
        if entry["status"] not in ("loaded", "duplicate", "unchanged"):
            log.error("feedback delivery %s: %s %s", entry["file"], entry["status"], entry["reasons"])
    log.info("feedback: %d records up to %s delivered (%s)", len(records), as_of,
             "new file" if written else "unchanged")
    return entries
