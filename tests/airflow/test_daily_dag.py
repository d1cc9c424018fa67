"""aidwatch_daily under Airflow: parses cleanly, runs end to end with `dag.test()`, reruns
idempotently, and fails its data-quality task loudly on an overdue feed.

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


@pytest.fixture(scope="module")
def first_run(
    daily_dag: Any, simulated_inbox: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Home, DagRunOutcome, dict[str, tuple[int, int]], dict[str, list[tuple[Any, ...]]]]:
    """One run of the simulated inbox into a fresh HOME, and what it published."""
    home = Home(tmp_path_factory.mktemp("dag_home"))
    outcome = run_daily(daily_dag, home.root, simulated_inbox, TEST_AS_OF)
    fingerprint = marts_fingerprint(home.warehouse) if home.warehouse.exists() else {}
    return home, outcome, fingerprint, exported_cells(home.exports / TEST_AS_OF.isoformat())


def test_dags_folder_imports_without_errors_or_warnings(dag_bag: Any) -> None:
    assert dag_bag.import_errors == {}
    assert dag_bag.captured_warnings == {}
    assert dag_bag.dag_warnings == set()  # e.g. a task naming a pool the database lacks
    dag = dag_bag.get_dag("aidwatch_daily")
    assert dag.max_active_runs == 1
    assert dag.task_dict["build_warehouse"].pool == "aidwatch_warehouse"
    assert dag.task_dict["check_data_quality"].retries == 0


def test_daily_run_ingests_builds_publishes_and_exports(
    first_run: tuple[Home, DagRunOutcome, dict, dict], simulated_inbox: Path
) -> None:
    home, outcome, fingerprint, cells = first_run
    feeds_delivered = sorted(p.name for p in simulated_inbox.iterdir() if p.is_dir() and feed_files(
        simulated_inbox, p.name))
    ingests = {k: v for k, v in outcome.task_states.items() if k.startswith("ingest_feed[")}
    assert len(ingests) == len([f for f in feeds_delivered if not f.startswith("_")])
    assert set(ingests.values()) == {SUCCESS}
    for task_id in ("find_pending_feeds", "build_warehouse", "export_warning_lists"):
        assert outcome.task_states[task_id] == SUCCESS, outcome.task_states

    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        warnings, as_ofs = con.execute("select count(*), list(distinct as_of) from marts.warnings").fetchone()
    finally:
        con.close()
    assert warnings > 0
    assert [str(d) for d in as_ofs] == [TEST_AS_OF.isoformat()]
    assert "warnings" in fingerprint
    assert outcome.asset_events == [{"as_of": TEST_AS_OF.isoformat(), "warehouse": str(home.warehouse)}]
    assert cells, "no workbook exported"

    # The data-quality task's verdict is the health check's verdict on the same ledger.
    problems = check_feed_health(home, TEST_AS_OF)
    assert outcome.task_states["check_data_quality"] == (FAILED if problems else SUCCESS)
    assert outcome.state == (FAILED if problems else SUCCESS)
    report = json.loads(health_report_path(home, TEST_AS_OF).read_text(encoding="utf-8"))
    assert report["ok"] is (not problems)


def test_rerun_of_the_same_logical_date_gives_the_same_warehouse_and_exports(
    first_run: tuple[Home, DagRunOutcome, dict, dict], daily_dag: Any, simulated_inbox: Path
) -> None:
    home, first, fingerprint, cells = first_run
    ledger_before = sorted(p.name for p in home.ledger.glob("*.json"))

    again = run_daily(daily_dag, home.root, simulated_inbox, TEST_AS_OF)

    assert again.task_states["ingest_feed"] == SKIPPED  # nothing new: mapped over no feeds
    assert again.task_states["build_warehouse"] == SUCCESS
    assert again.task_states["export_warning_lists"] == SUCCESS
    assert sorted(p.name for p in home.ledger.glob("*.json")) == ledger_before
    assert marts_fingerprint(home.warehouse) == fingerprint
    assert exported_cells(home.exports / TEST_AS_OF.isoformat()) == cells
    assert again.task_states["check_data_quality"] == first.task_states["check_data_quality"]


def test_feed_without_a_recent_delivery_fails_the_data_quality_task(
    daily_dag: Any, simulated_inbox: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    feed = get_feed("ps_vehicles")
    cutoff = TEST_AS_OF - timedelta(days=2 * feed.cadence_days)
    inbox = tmp_path / "inbox"
    shutil.copytree(simulated_inbox, inbox, ignore=shutil.ignore_patterns("_truth"))
    kept = []
    for path in feed_files(inbox, feed.feed_id):
        if extract_date_of(path) > cutoff:
            path.unlink()  # the department stopped delivering two cadences ago
        else:
            kept.append(extract_date_of(path))
    last = max(kept)
    overdue_by = (TEST_AS_OF - last).days - feed.cadence_days
    assert overdue_by > 0
    home = Home(tmp_path / "home")

    outcome = run_daily(
        daily_dag, home.root, inbox, TEST_AS_OF,
        # not under test here, and the check reads only the ledger: skip the dbt build
        mark_success_pattern="build_warehouse|export_warning_lists",
    )

    assert outcome.task_states["check_data_quality"] == FAILED
    assert outcome.state == FAILED
    expected = f"ps_vehicles (机动车登记) is overdue by {overdue_by} days: last extract {last.isoformat()}"
    captured = capfd.readouterr()
    assert expected in captured.out + captured.err
    report = json.loads(health_report_path(home, TEST_AS_OF).read_text(encoding="utf-8"))
    [vehicles] = [p for p in report["problems"] if p["feed_id"] == "ps_vehicles"]
    assert (vehicles["check"], vehicles["days_overdue"]) == ("overdue", overdue_by)
