"""Airflow for the tests: a throw-away AIRFLOW_HOME with a migrated SQLite database and the pool.

Why a subprocess for `airflow db migrate`: it is the command the standalone script and the
compose init job run. Airflow reads its configuration when it is first imported, so the
environment is set before any import of airflow in this process (the DAG tests import it only
inside fixtures).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO / "dags"
WAREHOUSE_POOL = "aidwatch_warehouse"


def airflow_cli(*args: str, env: dict[str, str]) -> str:
    """Run the venv's `airflow` command; a failure shows its output."""
    airflow = Path(sys.executable).with_name("airflow")
    done = subprocess.run([str(airflow), *args], env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        command = " ".join(args)
        raise RuntimeError(f"airflow {command} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A migrated Airflow metadata database (SQLite) with the warehouse pool, used by this process."""
    if "airflow.configuration" in sys.modules:
        pytest.fail("airflow was imported before tests/airflow could point it at a test AIRFLOW_HOME")
    home = tmp_path_factory.mktemp("airflow_home")
    settings = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
    }
    airflow_cli("db", "migrate", env={**os.environ, **settings})
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    from airflow.models.pool import Pool  # first import of airflow: reads the settings above

    # The pool through Airflow's Python API (the CLI `airflow pools set` would cost another
    # interpreter start; test_deployment checks that the script and the init job run it).
    Pool.create_or_update_pool(
        WAREHOUSE_POOL, slots=1, description="aidwatch: one warehouse writer", include_deferred=False
    )
    yield home
    for key, old in saved.items():
        if old is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = old


@pytest.fixture(scope="session")
def dag_bag(airflow_home: Path) -> Any:
    """The project's dags folder parsed by Airflow, knowing the pools of the test database."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.pool import Pool

    pools = {pool.pool for pool in Pool.get_pools()}
    return DagBag(dag_folder=DAGS_FOLDER, known_pools=pools)


@pytest.fixture(scope="session")
def daily_dag(dag_bag: Any) -> Any:
    assert not dag_bag.import_errors, dag_bag.import_errors
    return dag_bag.get_dag("aidwatch_daily")


@dataclass(frozen=True)
class DagRunOutcome:
    """What one `dag.test()` left behind, read before a later run of the same date replaces it."""

    state: str
    task_states: dict[str, str]  # task_id, or task_id[map_index] for mapped tasks -> state
    asset_events: list[dict[str, Any]]  # extra of every aidwatch_warehouse event of this run


def run_daily(dag: Any, home: Path, inbox: Path, as_of: date, **test_kwargs: Any) -> DagRunOutcome:
    """Run aidwatch_daily for one logical date with `dag.test()` (in-process, no scheduler)."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    dag_run = dag.test(
        logical_date=datetime.combine(as_of, time(0, 0), tzinfo=UTC),
        run_conf={"home": str(home), "inbox": str(inbox)},
        **test_kwargs,
    )
    with create_session() as session:
        tis = dag_run.get_task_instances(session=session)
        states = {
            ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]": str(ti.state) for ti in tis
        }
        events = session.scalars(
            select(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.name == "aidwatch_warehouse", AssetEvent.source_run_id == dag_run.run_id)
        ).all()
        extras = [dict(event.extra or {}) for event in events]
    return DagRunOutcome(state=str(dag_run.state), task_states=states, asset_events=extras)


def marts_fingerprint(warehouse: Path) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent hash of every table in the marts schema."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        return {
            name: con.execute(f'select count(*), sum(hash(t)::hugeint) from marts."{name}" t').fetchone()
            for name in tables
        }
    finally:
        con.close()
