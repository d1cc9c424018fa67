"""The feed warning_feedback: delivered through the inbox, ledger and gate; twice changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from aidwatch.feedback.delivery import deliver_feedback, outbox
from aidwatch.feedback.store import AuditContext, record_feedback
from aidwatch.feedback.validation import Feedback
from aidwatch.home import Home
from aidwatch.workspace.ops import open_ops_engine

WHO = AuditContext("town_a", "township", "127.0.0.1")


def feedback(key: str, result: str = "confirmed", note: str | None = None) -> Feedback:
    return Feedback(warning_key=key, result=result, action="review_done", note=note,
                    verified_on=dt.date(2026, 11, 20), handled_on=None)


def raw_rows(home: Home) -> list[tuple]:
    files = str(home.raw_feed("warning_feedback") / "*.parquet")
    return duckdb.sql(f"select feedback_id, warning_key, result, note, _extract_date from "
                      f"read_parquet('{files}', union_by_name=true) order by all").fetchall()


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home")


def test_no_workspace_yet_delivers_an_empty_snapshot(home: Home) -> None:
    [entry] = deliver_feedback(home, dt.date(2026, 11, 28))
    assert (entry["status"], entry["rows_read"], entry["feed_id"]) == ("loaded", 0, "warning_feedback")
    assert not (home.root / "workspace.sqlite").exists()
    assert (home.ledger / f"{entry['batch_id']}.json").exists()


def test_delivery_is_a_snapshot_per_day_and_twice_changes_nothing(home: Home) -> None:
    engine = open_ops_engine(home)
    record_feedback(engine, feedback("w1"), WHO, recorded_at=dt.datetime(2026, 11, 27, 9, 0))
    record_feedback(engine, feedback("w2", "not_confirmed", "=1+1 不属实"), WHO,
                    recorded_at=dt.datetime(2026, 11, 28, 23, 59))
    record_feedback(engine, feedback("w3"), WHO, recorded_at=dt.datetime(2026, 11, 29, 0, 0))

    [first] = deliver_feedback(home, dt.date(2026, 11, 28))
    assert (first["status"], first["rows_loaded"], first["extract_date"]) == ("loaded", 2, "2026-11-28")
    # recorded after as_of (Beijing time) is not in that day's snapshot
    assert [r[:4] for r in raw_rows(home)] == [(1, "w1", "confirmed", None),
                                               (2, "w2", "not_confirmed", "=1+1 不属实")]
    assert deliver_feedback(home, dt.date(2026, 11, 28)) == []  # same bytes, same path: skipped
    assert len(raw_rows(home)) == 2

    [next_day] = deliver_feedback(home, dt.date(2026, 11, 29))
    assert next_day["rows_loaded"] == 3
    [again] = deliver_feedback(home, dt.date(2026, 11, 30))  # nothing new: the same bytes again
    # the same records under a new date: the ledger says so (`unchanged` or `duplicate`), and the
    # newest snapshot (what staging reads) still holds each record once
    assert again["status"] in ("unchanged", "duplicate")
    newest = max(r[4] for r in raw_rows(home))
    assert sorted(r[0] for r in raw_rows(home) if r[4] == newest) == [1, 2, 3]
    assert sorted(p.name for p in (outbox(home) / "warning_feedback").iterdir()) == [
        "warning_feedback_20261128.csv", "warning_feedback_20261129.csv", "warning_feedback_20261130.csv"]
