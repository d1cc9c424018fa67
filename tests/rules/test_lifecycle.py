"""A warning's life across real sequences of runs (issue 12 item 4).

Deliveries of ca_applications (an event feed: the latest delivered version of an
application on or before as_of counts) are written with their extract dates and
ingested once; then the warehouse is built run after run, one DuckDB file carrying
its warning history from run to run as the published warehouse does:
- daily runs from 2026-02-23 to 2026-03-05, a week without runs, daily runs again
  from 2026-03-13 to 2026-03-16; a rebuild of the last date; a replay of 2026-03-05
  into a copy of the warehouse (what `aidwatch build` does for an earlier as_of);
- SQ-OVERDUE: pending since 2026-01-10, overdue (REV-09) from 2026-02-25; decided
  in the delivery of 2026-03-05 (resolved); the decision revoked in the delivery of
  2026-03-15 (it comes back: a recurrence, status open, times_seen_before 1);
- SQ-UNVERIFIED: approved without verification (REV-05), open on every run; the
  week without runs does not break its episode.
On every run marts.warnings' statuses, first_seen_on, days_open and
times_seen_before agree with the hand-computed life of both warnings and with each
other, and IND-07 for the month agrees with marts.warnings. To stay within the test
budget, the first run builds everything upstream of warnings and IND-07 and later
runs rebuild only what reads ca_applications, the warning engine and IND-07 (the
other rule models read feeds this test never delivers, so they stay empty anyway).
"""

from __future__ import annotations

import csv
import shutil
import statistics
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from stdnum.cn import ric

from aidwatch.home import Home
from ingestion.contracts import get_feed
from ingestion.pipeline import ingest_feed
from warehouse.build import dbt_args, dbt_env, run_dbt, write_as_of
from warehouse.raw_zone import ensure_schema_files

# about 17 dbt runs: slow end-to-end (a few minutes on an idle machine)
pytestmark = pytest.mark.slow

REGION = "152921110001"


def _valid_id(first17: str) -> str:
    """An 18-character ID with its GB 11643 check digit (calc_check_digit wants a placeholder)."""
    return first17 + ric.calc_check_digit(first17 + "0")


OVERDUE_ID = _valid_id("11010119900307001")
UNVERIFIED_ID = _valid_id("11010119850505002")


def _application(application_id: str, applicant: str, applied_on: str, decision: str,
                 decided_on: str = "", verified_on: str = "") -> dict[str, str]:
    return {"application_id": application_id, "applicant_id_number": applicant, "household_id": "",
            "program": "temporary", "region_code": REGION, "channel": "counter", "applied_on": applied_on,
            "verification_completed_on": verified_on, "decision": decision, "decided_on": decided_on}


def _deliver(inbox: Path, extract: str, rows: list[dict[str, str]]) -> None:
    """Write a ca_applications delivery (canonical headers) for extract date YYYYMMDD."""
    columns = [c.name for c in get_feed("ca_applications").columns]
    folder = inbox / "ca_applications"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"ca_applications_{extract}.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


ENGINE = ["stg_ca_applications", "wrn_rev_05", "wrn_rev_09", "warnings_this_run", "warning_history",
          "warning_runs", "warning_episodes",
          # the status with feedback that marts.warnings reads (issue 16)
          "int_warning_feedback", "int_warning_evidence_hashes", "warning_status",
          "warnings", "int_month_spine", "ind_07_warnings"]
WARNING_COLUMNS = "subject_key, rule_id, status, first_seen_on, last_seen_on, days_open, times_seen_before"


def _dbt_run(home: Home, warehouse: Path, as_of: date, first: bool) -> None:
    """dbt over one warehouse file for `as_of` (models and seeds; no tests)."""
    write_as_of(warehouse, as_of)
    select = ["+warnings", "+ind_07_warnings"] if first else ENGINE
    args = dbt_args("build", home, "--quiet", "--select", *select,
                    "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    result = run_dbt(args, dbt_env(home, warehouse))
    assert result.success, result.exception


def _read(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _state(warehouse: Path) -> dict:
    """What one run published: marts.warnings by subject, and IND-07 for as_of's month."""
    warnings = {r[0]: r[1:] for r in _read(warehouse, f"select {WARNING_COLUMNS} from marts.warnings")}
    ind_07 = _read(warehouse, """
        select run_as_of, open_warnings, new_warnings, resolved_warnings, median_days_open
        from marts.ind_07_warnings
        where region_level = 'league' and breakdown = 'all'
          and month = (select date_trunc('month', max(as_of)) from marts.warning_runs)""")
    return {"warnings": warnings, "ind_07": ind_07[0]}


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


FIRST_PART = _days(date(2026, 2, 23), date(2026, 3, 5))
SECOND_PART = _days(date(2026, 3, 13), date(2026, 3, 16))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Home, dict[date, dict], dict]:
    root = tmp_path_factory.mktemp("lifecycle")
    home, inbox = Home(root / "home"), root / "inbox"
    _deliver(inbox, "20260115", [_application("SQ-OVERDUE", OVERDUE_ID, "2026-01-10", "pending")])
    _deliver(inbox, "20260205", [
        _application("SQ-UNVERIFIED", UNVERIFIED_ID, "2026-01-05", "approved", "2026-02-01")])
    _deliver(inbox, "20260305", [
        _application("SQ-OVERDUE", OVERDUE_ID, "2026-01-10", "approved", "2026-03-04", "2026-03-01")])
    _deliver(inbox, "20260315", [  # the decision revoked (and the other one delivered again)
        _application("SQ-OVERDUE", OVERDUE_ID, "2026-01-10", "pending"),
        _application("SQ-UNVERIFIED", UNVERIFIED_ID, "2026-01-05", "approved", "2026-02-01")])
    entries = ingest_feed("ca_applications", inbox, home)
    assert all(e["status"] == "loaded" for e in entries), entries
    ensure_schema_files(home)
    live = home.warehouse
    live.parent.mkdir(parents=True, exist_ok=True)
    states: dict[date, dict] = {}
    for n, as_of in enumerate(FIRST_PART + SECOND_PART):
        _dbt_run(home, live, as_of, first=n == 0)
        states[as_of] = _state(live)
    extra: dict = {"history_before": _read(live, "select * from marts.warning_history order by all")}
    last = SECOND_PART[-1]
    _dbt_run(home, live, last, first=False)  # a rebuild of the same date
    extra["rebuilt"] = _state(live)
    extra["history_after_rebuild"] = _read(live, "select * from marts.warning_history order by all")
    replay = root / "replays" / "2026-03-05" / "warehouse.duckdb"
    replay.parent.mkdir(parents=True)
    shutil.copyfile(live, replay)
    _dbt_run(home, replay, date(2026, 3, 5), first=False)  # a replay of an earlier date
    extra["replayed"] = _state(replay)
    extra["live_history_after_replay"] = _read(live, "select * from marts.warning_history order by all")
    extra["replay_history"] = _read(replay, "select * from marts.warning_history order by all")
    return home, states, extra


def _expected_overdue(as_of: date) -> tuple | None:
    """(rule, status, first_seen_on, last_seen_on, days_open, times_seen_before) of SQ-OVERDUE."""
    first_run = FIRST_PART[0]
    if as_of < date(2026, 2, 25):
        return None
    if as_of < date(2026, 3, 5):  # overdue from 02-25, seen from that run on
        return ("REV-09", "new" if as_of == date(2026, 2, 25) else "open", date(2026, 2, 25), as_of,
                (as_of - date(2026, 2, 25)).days, 0)
    if as_of == date(2026, 3, 5):  # decided: resolved, days open up to its last sighting
        return ("REV-09", "resolved", date(2026, 2, 25), date(2026, 3, 4), 7, 0)
    if as_of < date(2026, 3, 15):
        return None
    assert first_run < as_of
    # the decision revoked: back after a run without it, a recurrence (not news)
    return ("REV-09", "open", date(2026, 3, 15), as_of, (as_of - date(2026, 3, 15)).days, 1)


def test_statuses_episodes_and_days_open_on_every_run(runs):
    _, states, _ = runs
    for as_of, state in states.items():
        warnings = state["warnings"]
        assert warnings.get("SQ-OVERDUE") == _expected_overdue(as_of), as_of
        first = FIRST_PART[0]
        status = "new" if as_of == first else "open"
        # the week without runs does not end SQ-UNVERIFIED's episode: no run went without it
        assert warnings["SQ-UNVERIFIED"] == ("REV-05", status, first, as_of, (as_of - first).days, 0), as_of


def test_marts_warnings_and_ind_07_agree_on_every_run(runs):
    _, states, extra = runs
    for as_of, state in list(states.items()) + [(SECOND_PART[-1], extra["rebuilt"])]:
        rows = state["warnings"].values()
        for _rule, status, first_seen, last_seen, days_open, times_before in rows:
            assert days_open == (last_seen - first_seen).days
            assert (last_seen == as_of) == (status != "resolved")
            if status == "new":
                assert first_seen == as_of and times_before == 0
        run_as_of, open_count, new_count, resolved_count, median_days = state["ind_07"]
        assert run_as_of == as_of
        assert open_count == sum(1 for r in rows if r[1] in ("new", "open")), as_of
        assert new_count == sum(1 for r in rows if r[1] == "new"), as_of
        assert resolved_count == sum(1 for r in rows if r[1] == "resolved"), as_of
        assert median_days == statistics.median(r[4] for r in rows if r[1] != "resolved"), as_of


def test_a_rebuild_of_the_same_date_changes_nothing(runs):
    _, states, extra = runs
    assert extra["rebuilt"] == states[SECOND_PART[-1]]
    assert extra["history_after_rebuild"] == extra["history_before"]


def test_a_replay_gives_that_days_answer_and_leaves_the_live_history_alone(runs):
    _, states, extra = runs
    assert extra["replayed"]["warnings"] == states[date(2026, 3, 5)]["warnings"]
    assert extra["live_history_after_replay"] == extra["history_before"]
    # the replay's own copy rewrote only its day, identically; later runs are kept
    assert extra["replay_history"] == extra["history_before"]
