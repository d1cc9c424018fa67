"""A warning's life across three runs built from small deliveries.

An application is delivered pending; 45 days later it is overdue (REV-09). Run 1
(2026-03-01): the warning is new. Run 2 (2026-04-01): it is still there, open, and
has been open 31 days. Before run 3 (2026-05-01) the department delivers the decision
(the same application_id again, a correction): the warning is resolved. Each run is a
real ingest of the CSV deliveries and a real dbt run over one DuckDB file, so the
history carries over from run to run as it does through the published warehouse (the
copy-and-publish step itself is the warehouse's tests' business). To stay within the
test budget, the first run builds every model upstream of `warnings` (seeds included)
and later runs rebuild only what reads ca_applications plus the engine: the other
rule models read feeds this test never delivers, so they stay empty either way.
A second application approved without verification (REV-05) keeps a warning open
through all three runs and shows days_open growing.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest
from stdnum.cn import ric

from aidwatch.home import Home
from ingestion.contracts import get_feed
from ingestion.pipeline import ingest_feed
from warehouse.build import dbt_args, dbt_env, run_dbt
from warehouse.raw_zone import ensure_schema_files

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


ENGINE_AND_APPLICATION_RULES = ["stg_ca_applications", "wrn_rev_05", "wrn_rev_09", "warnings_this_run",
                                "warning_history", "warning_runs", "warnings"]


def _dbt_run(home: Home, as_of: date, first: bool) -> None:
    """dbt over the HOME's warehouse file for `as_of` (models and seeds; no tests)."""
    select = ["+warnings"] if first else ENGINE_AND_APPLICATION_RULES
    args = dbt_args("build", home, as_of, "--quiet", "--select", *select,
                    "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    result = run_dbt(args, dbt_env(home, home.warehouse))
    assert result.success, result.exception


def _run(home: Home, inbox: Path, as_of: date) -> dict[str, tuple]:
    entries = ingest_feed("ca_applications", inbox, home)
    assert all(e["status"] in ("loaded", "duplicate") for e in entries), entries
    first = not home.warehouse.exists()
    ensure_schema_files(home)
    _dbt_run(home, as_of, first)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        rows = con.execute(
            "select subject_key, rule_id, status, first_seen_on, last_seen_on, days_open, warning_key "
            "from marts.warnings").fetchall()
    finally:
        con.close()
    return {r[0]: r[1:] for r in rows}


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory) -> tuple[Home, list[dict[str, tuple]]]:
    root = tmp_path_factory.mktemp("lifecycle")
    home, inbox = Home(root / "home"), root / "inbox"
    runs = []
    _deliver(inbox, "20260301", [
        _application("SQ-OVERDUE", OVERDUE_ID, "2026-01-10", "pending"),
        _application("SQ-UNVERIFIED", UNVERIFIED_ID, "2026-01-05", "approved", "2026-02-01"),
    ])
    runs.append(_run(home, inbox, date(2026, 3, 1)))
    runs.append(_run(home, inbox, date(2026, 4, 1)))
    _deliver(inbox, "20260420", [
        _application("SQ-OVERDUE", OVERDUE_ID, "2026-01-10", "approved", "2026-04-18", "2026-04-15"),
    ])
    runs.append(_run(home, inbox, date(2026, 5, 1)))
    return home, runs


def test_new_then_open_then_resolved(three_runs):
    _, (first, second, third) = three_runs
    key = first["SQ-OVERDUE"][5]
    assert first["SQ-OVERDUE"][:5] == ("REV-09", "new", date(2026, 3, 1), date(2026, 3, 1), 0)
    assert second["SQ-OVERDUE"][:5] == ("REV-09", "open", date(2026, 3, 1), date(2026, 4, 1), 31)
    assert third["SQ-OVERDUE"][:5] == ("REV-09", "resolved", date(2026, 3, 1), date(2026, 4, 1), 61)
    assert second["SQ-OVERDUE"][5] == key == third["SQ-OVERDUE"][5]  # the same problem keeps its key


def test_days_open_grows_while_the_cause_stays(three_runs):
    _, runs = three_runs
    assert [r["SQ-UNVERIFIED"][1] for r in runs] == ["new", "open", "open"]
    assert [r["SQ-UNVERIFIED"][4] for r in runs] == [0, 31, 61]
    assert {r["SQ-UNVERIFIED"][0] for r in runs} == {"REV-05"}


def test_history_keeps_every_run_and_a_rebuild_is_idempotent(three_runs):
    home, runs = three_runs

    def history() -> list[tuple]:
        con = duckdb.connect(str(home.warehouse), read_only=True)
        try:
            return con.execute("select as_of, rule_id, subject_key from marts.warning_history "
                               "order by as_of, rule_id").fetchall()
        finally:
            con.close()

    before = history()
    assert before == [
        (date(2026, 3, 1), "REV-05", "SQ-UNVERIFIED"), (date(2026, 3, 1), "REV-09", "SQ-OVERDUE"),
        (date(2026, 4, 1), "REV-05", "SQ-UNVERIFIED"), (date(2026, 4, 1), "REV-09", "SQ-OVERDUE"),
        (date(2026, 5, 1), "REV-05", "SQ-UNVERIFIED"),
    ]
    _dbt_run(home, date(2026, 5, 1), first=False)
    assert history() == before
