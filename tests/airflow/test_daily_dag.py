"""aidwatch_daily under Airflow: parses cleanly, reruns a day idempotently with `dag.test()`,
and reports an overdue feed as a data-quality problem without failing the run.

`dag.test()` runs every task in this process through Airflow's real task runner and metadata
database (no scheduler, so the one-slot pool is not enforced here, only checked to exist).
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from aidwatch.home import Home
from ingestion.contracts import get_feed
from ingestion.delivery import extract_date_of, feed_files
from ingestion.health import check_feed_health, health_report_path
from tests.airflow.conftest import DagRunOutcome, marts_fingerprint, run_daily
from tests.fixtures.simulated import TEST_AS_OF

pytestmark = pytest.mark.slow

SUCCESS, FAILED, SKIPPED = "success", "failed", "skipped"


def exported_cells(exports: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every cell value of every exported workbook, by file name (what an official reads)."""
    cells = {}
    for path in sorted(exports.rglob("*.xlsx")):
        book = openpyxl.load_workbook(path, read_only=True)
        try:
            cells[path.relative_to(exports).as_posix()] = [
                (sheet.title, *row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
            ]
        finally:
            book.close()
    return cells


def copy_home(source: Home, target: Path, leave_out_feed: str | None = None) -> Home:
    """A copy of a HOME (ledger, raw zone, warehouse, ...), optionally as if one feed never arrived."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n in {"locks", "build.lock"}}
        if leave_out_feed:
            skip |= {n for n in names if n == leave_out_feed or n.startswith(f"{leave_out_feed}__")}
        return skip

    shutil.copytree(source.root, target, ignore=ignore)
    return Home(target)


@pytest.fixture(scope="module")
def rerun(
    built_home: Home, daily_dag: Any, simulated_inbox: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Home, DagRunOutcome, dict[str, tuple[int, int]]]:
    """The DAG run for TEST_AS_OF over a HOME where the same day was already ingested and built.

    `built_home` was ingested and built for TEST_AS_OF by the same functions the DAG calls, so
    this run is the second run of that logical date (one dbt build in this module, not two).
    """
    before = marts_fingerprint(built_home.warehouse)
    home = copy_home(built_home, tmp_path_factory.mktemp("dag_rerun") / "home")
    outcome = run_daily(daily_dag, home.root, simulated_inbox, TEST_AS_OF)
    return home, outcome, before


def test_dags_folder_imports_without_errors_or_warnings(dag_bag: Any) -> None:
    assert dag_bag.import_errors == {}
    assert dag_bag.captured_warnings == {}
    assert dag_bag.dag_warnings == set()  # e.g. a task naming a pool the database lacks
    dag = dag_bag.get_dag("aidwatch_daily")
    assert dag.max_active_runs == 1
    assert dag.task_dict["build_warehouse"].pool == "aidwatch_warehouse"
    assert dag.task_dict["check_data_quality"].retries == 0
    assert all(task.execution_timeout is not None for task in dag.tasks)
    assert dag.on_failure_callback is not None


def test_rerun_publishes_the_same_marts_with_warnings_and_exports(
    rerun: tuple[Home, DagRunOutcome, dict[str, tuple[int, int]]],
) -> None:
    home, outcome, before = rerun
    assert outcome.task_states["ingest_feeds"] == SKIPPED  # nothing new: no feed pending
    for task_id in ("find_pending_feeds", "build_warehouse", "export_warning_lists"):
        assert outcome.task_states[task_id] == SUCCESS, outcome.task_states
    assert home.warehouse_previous.exists()  # the run built and published a new file

    assert marts_fingerprint(home.warehouse) == before
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        warnings, as_ofs = con.execute("select count(*), list(distinct as_of) from marts.warnings").fetchone()
    finally:
        con.close()
    assert warnings > 0
    assert [str(d) for d in as_ofs] == [TEST_AS_OF.isoformat()]
    assert outcome.asset_events == [{"as_of": TEST_AS_OF.isoformat(), "warehouse": str(home.warehouse)}]
    assert exported_cells(home.exports / TEST_AS_OF.isoformat()), "no workbook exported"

    # Data problems are the health report's business, not the run state's.
    problems = check_feed_health(home, TEST_AS_OF)
    assert outcome.task_states["check_data_quality"] == SUCCESS
    assert outcome.state == SUCCESS
    report = json.loads(health_report_path(home, TEST_AS_OF).read_text(encoding="utf-8"))
    assert report["ok"] is (not problems)


def test_export_rerun_writes_the_same_workbooks(
    rerun: tuple[Home, DagRunOutcome, dict[str, tuple[int, int]]], daily_dag: Any, simulated_inbox: Path
) -> None:
    home, _, _ = rerun
    exports = home.exports / TEST_AS_OF.isoformat()
    cells = exported_cells(exports)
    ledger = sorted(p.name for p in home.ledger.glob("*.json"))

    # the warehouse of this date is already published: run the export again, not dbt
    again = run_daily(
        daily_dag, home.root, simulated_inbox, TEST_AS_OF, mark_success_pattern="build_warehouse"
    )

    assert again.task_states["export_warning_lists"] == SUCCESS
    assert exported_cells(exports) == cells
    assert sorted(p.name for p in home.ledger.glob("*.json")) == ledger


def test_feed_without_a_recent_delivery_is_reported_not_failed(
    built_home: Home, daily_dag: Any, simulated_inbox: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every feed as in built_home, except that ps_vehicles' deliveries of its current period are missing."""
    feed = get_feed("ps_vehicles")
    cutoff = TEST_AS_OF - timedelta(days=feed.cadence_days)
    inbox = tmp_path / "inbox"
    shutil.copytree(simulated_inbox, inbox, ignore=shutil.ignore_patterns("_truth"))
    kept = []
    for path in feed_files(inbox, feed.feed_id):
        if extract_date_of(path) > cutoff:
            path.unlink()
        else:
            kept.append(extract_date_of(path))
    assert kept, "the simulated inbox needs a ps_vehicles delivery older than one cadence"
    last = max(kept)
    overdue_by = (TEST_AS_OF - last).days - feed.cadence_days
    home = copy_home(built_home, tmp_path / "home", leave_out_feed=feed.feed_id)

    outcome = run_daily(
        daily_dag, home.root, inbox, TEST_AS_OF,
        # not under test here (the check reads only the ledger): skip the dbt build and export
        mark_success_pattern="build_warehouse|export_warning_lists",
    )

    assert outcome.task_states["ingest_feeds"] == SUCCESS  # ps_vehicles' old files, for real
    assert outcome.task_states["check_data_quality"] == SUCCESS  # a data problem is not a pipeline failure
    assert outcome.state == SUCCESS
    expected = f"ps_vehicles (机动车登记) is overdue by {overdue_by} days: last extract {last.isoformat()}"
    alerts = [r.getMessage() for r in caplog.records if r.name == "aidwatch.alerts"]
    assert any(expected in alert for alert in alerts), alerts  # logged as a data-quality alert
    report = json.loads(health_report_path(home, TEST_AS_OF).read_text(encoding="utf-8"))
    overdue = {p["feed_id"]: p for p in report["problems"] if p["check"] == "overdue"}
    assert list(overdue) == ["ps_vehicles"]
    assert (overdue["ps_vehicles"]["days_overdue"], overdue["ps_vehicles"]["last_extract_date"]) == (
        overdue_by, last.isoformat())
