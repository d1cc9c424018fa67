"""DuckDB's memory ceiling (aidwatch/duckdb_memory.py): the default, the environment's, a bad
value refused before a build, dbt's own DuckDB connection running under it, and no spill files
left behind by a killed writer."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from aidwatch.duckdb_memory import (
    DEFAULT_MEMORY_LIMIT,
    MEMORY_LIMIT_ENV,
    MemoryLimitInvalid,
    connect_capped,
    memory_limit,
    spill_folder,
)
from aidwatch.home import Home
from exports.analyst import remove_analyst_file
from tests.fixtures.duckdb_ceiling import ceiling_of, duckdb_states
from warehouse.build import dbt_args, dbt_env, prepare_next, run_dbt

#: A HOME that is only named: dbt_env reads no file.
HOME = Home(Path("/srv/aidwatch-home"))


def test_the_default_unless_the_environment_says_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    assert memory_limit() == DEFAULT_MEMORY_LIMIT == "3GB"
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "  ")
    assert memory_limit() == DEFAULT_MEMORY_LIMIT
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "80%")
    assert memory_limit() == "80%"
    monkeypatch.setenv(MEMORY_LIMIT_ENV, " 1GB ")
    assert memory_limit() == "1GB"
    assert dbt_env(HOME, HOME.warehouse_next)[MEMORY_LIMIT_ENV] == "1GB"


@pytest.mark.parametrize("value", ["lots", "3", "150%"])
def test_a_ceiling_duckdb_cannot_read_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, value)
    refused = f"{MEMORY_LIMIT_ENV}='{value}' is not a DuckDB memory limit"
    with pytest.raises(MemoryLimitInvalid, match=refused):
        memory_limit()
    with pytest.raises(MemoryLimitInvalid):
        dbt_env(HOME, HOME.warehouse_next)


def test_a_capped_connection_runs_under_the_ceiling(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1GB")
    with connect_capped(tmp_path / "file.duckdb") as con:
        assert ceiling_of(con) == duckdb_states("1GB")


@pytest.mark.slow
def test_dbt_runs_duckdb_under_the_ceiling(built_home: Home, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The profile reads the ceiling dbt_env gives: the default, then the environment's."""
    home = Home(tmp_path / "home")
    shutil.copytree(built_home.dbt_work, home.dbt_work, ignore=shutil.ignore_patterns("*.lock"))

    def dbts_ceiling() -> str:
        args = dbt_args("show", home, "--inline", "select current_setting('memory_limit') as ceiling",
                        "--quiet")
        result = run_dbt(args, dbt_env(home, home.warehouse_next))
        assert result.success, result.exception
        return result.result.results[0].agate_table.rows[0][0]

    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    assert dbts_ceiling() == duckdb_states(DEFAULT_MEMORY_LIMIT)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1GB")
    assert dbts_ceiling() == duckdb_states("1GB")


#: A DuckDB writer that must spill: a sort of more rows than its ceiling holds, until killed.
SPILLER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], config={"memory_limit": "64MB", "threads": 1})
con.execute("create table t as select md5(range::varchar) as s from range(6000000)")
while True:
    con.execute("select s, count(*) from t group by s order by s").fetchall()
"""


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


@pytest.mark.slow
def test_a_build_killed_while_spilling_leaves_no_spill_files_behind(tmp_path: Path) -> None:
    """DuckDB keeps a killed writer's spill files, even when the file is opened again; the next
    build's `prepare_next` removes them with the file and its log (remove_database)."""
    home = Home(tmp_path / "home")
    home.root.mkdir()
    spill = spill_folder(home.warehouse_next)
    writer = subprocess.Popen([sys.executable, "-c", SPILLER, str(home.warehouse_next)])
    try:
        deadline = time.monotonic() + 180
        while folder_bytes(spill) < 20_000_000 and writer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        writer.kill()
        writer.wait()
    left = folder_bytes(spill)
    assert left >= 20_000_000, f"the writer did not spill ({left} bytes in {spill})"
    with duckdb.connect(str(home.warehouse_next)) as con:  # DuckDB opens the file and keeps them
        con.execute("select 1").fetchall()
    assert folder_bytes(spill) >= left

    prepare_next(home)  # what the next build does first

    assert not spill.exists() and not home.warehouse_next.exists()


def test_a_failed_analyst_file_leaves_no_spill_folder(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    spill = spill_folder(home.analyst_next)
    spill.mkdir(parents=True)
    (spill / "duckdb_temp_storage_DEFAULT-0.tmp").write_bytes(b"rows of people")
    remove_analyst_file(home)
    assert not spill.exists()
