"""A person's decision on a held batch: accept it into the raw zone, or reject it for good.

Why only a person: a held snapshot is implausible against the last accepted one (far fewer
or far more keys); the pipeline cannot tell a partial export from a real change (a
banner's households moved to another system), so it neither loads nor drops it. The
decision is recorded in the batch's ledger entry (`decision`: action, user, reason, at).

Order of writes for accept: the ledger entry first (status `accepted`), then the batch is
moved from held/ into raw/. A crash in between leaves the rows outside the raw zone, never
inside it without a decision; `landing.clean_feed` (every ingest) and a repeated accept
finish the move.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import re

from aidwatch.home import Home
from ingestion.landing import feed_lock, ledger_path, read_ledger, release_held, write_ledger

_BATCH_ID = re.compile(r"^[A-Za-z0-9_]+$")


class DecisionError(Exception):
    """The decision cannot be made; the message says why (for the command line)."""


def current_user() -> str:
    """The OS user running the command (for the ledger's `decision.user`)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return f"uid {os.getuid()}"


def held_batches(home: Home) -> list[dict]:
    """Ledger entries waiting for a decision, oldest extract first."""
    return sorted((e for e in read_ledger(home) if e.get("status") == "held"),
                  key=lambda e: (e.get("extract_date") or "", e["batch_id"]))


def _held_entry(home: Home, batch_id: str) -> dict:
    path = ledger_path(home, batch_id)
    if not _BATCH_ID.match(batch_id) or not path.is_file():
        waiting = ", ".join(e["batch_id"] for e in held_batches(home)) or "none"
        raise DecisionError(f"no ledger entry for batch {batch_id!r} in {home.ledger}; "
                            f"held batches: {waiting}")
    return json.loads(path.read_text(encoding="utf-8"))


def _decide(home: Home, batch_id: str, action: str, reason: str, user: str | None) -> dict:
    if not reason or not reason.strip():
        raise DecisionError("--reason must say why (it is recorded in the ledger)")
    feed_id = batch_id.split("__", 1)[0]
    with feed_lock(home, feed_id):
        entry = _held_entry(home, batch_id)
        if action == "accepted" and entry.get("status") == "accepted":
            release_held(home, entry["feed_id"], batch_id)  # finish an interrupted accept
            return entry
        if entry.get("status") != "held":
            decided = entry.get("decision") or {}
            by = f" by {decided.get('user')} on {decided.get('at')}" if decided else ""
            raise DecisionError(f"batch {batch_id} is {entry.get('status')}{by}, not held: nothing to decide")
        entry["decision"] = {
            "action": "accept" if action == "accepted" else "reject",
            "user": user or current_user(),
            "reason": reason.strip(),
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "held_reasons": list(entry.get("reasons") or []),
        }
        entry["status"] = action
        if action == "accepted":
            entry["rows_loaded"], entry["rows_held"] = entry["rows_held"], 0
        entry["reasons"] = [f"{entry['decision']['action']}ed by {entry['decision']['user']}: "
                            f"{entry['decision']['reason']}", *entry["reasons"]]
        write_ledger(home, entry)
        if action == "accepted":
            release_held(home, entry["feed_id"], batch_id)
    return entry


def accept_batch(home: Home, batch_id: str, reason: str, user: str | None = None) -> dict:
    """Release a held batch into the raw zone (staged from the next build on); returns its entry."""
    return _decide(home, batch_id, "accepted", reason, user)


def reject_batch(home: Home, batch_id: str, reason: str, user: str | None = None) -> dict:
    """Refuse a held batch for good: status `rejected`, its rows stay in held/ and out of the raw zone."""
    return _decide(home, batch_id, "rejected", reason, user)
