"""Backup and restore round trip: back up a built HOME, wipe it, restore, rebuild the same as_of.

Why this shape: a backup is only as good as the restore that follows it. The restored HOME
must rebuild identical marts (the raw zone and ledger are complete) and keep the warning
history and the operational data that exist nowhere else.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import duckdb
import pytest

from aidwatch.backup import BackupError, backup, restore
from aidwatch.cli import main
from aidwatch.home import Home


def _marts(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        return {name: con.execute(f"select * from marts.{name} order by all").fetchall() for name in tables}
    finally:
        con.close()


def _ops_rows(path: Path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute("select * from feedback order by id").fetchall()
    finally:
        con.close()


@pytest.fixture
def home_copy(built_home: Home, tmp_path: Path) -> Home:
    """A private copy of the session's built HOME with a small operational database beside it."""
    home = Home(tmp_path / "home")
    shutil.copytree(built_home.root, home.root, symlinks=True)
    con = sqlite3.connect(home.root / "workspace.sqlite")
    con.execute("create table feedback (id integer primary key, warning_key text, result text)")
    rows = [(1, "k1", "confirmed"), (2, "k2", "not_confirmed")]
    con.executemany("insert into feedback values (?, ?, ?)", rows)
    con.commit()
    con.close()
    return home


@pytest.mark.slow
def test_restore_rebuilds_identical_marts_and_keeps_operational_data(home_copy: Home, tmp_path: Path):
    from tests.fixtures.simulated import TEST_AS_OF
    from warehouse.build import build

    before = _marts(home_copy.warehouse)
    ops_before = _ops_rows(home_copy.root / "workspace.sqlite")
    ledger_before = sorted(p.name for p in home_copy.ledger.glob("*.json"))
    target = tmp_path / "backups"

    assert main(["backup", "--home", str(home_copy.root), "--to", str(target)]) == 0
    shutil.rmtree(home_copy.root)
    assert main(["restore", "--home", str(home_copy.root), "--from", str(target)]) == 0

    assert sorted(p.name for p in home_copy.ledger.glob("*.json")) == ledger_before
    assert _ops_rows(home_copy.root / "workspace.sqlite") == ops_before
    assert _marts(home_copy.warehouse) == before  # warning history came back with the warehouse
    build(home_copy, TEST_AS_OF, quiet=True)
    after = _marts(home_copy.warehouse)
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], f"marts.{name} differs after restore and rebuild"


def test_second_backup_copies_no_raw_file_again(home_copy: Home, tmp_path: Path):
    first = backup(home_copy, tmp_path / "b")
    second = backup(home_copy, tmp_path / "b")
    assert first.raw_files_new > 0
    assert second.raw_files_new == 0
    assert second.raw_files_kept == first.raw_files_new
    assert first.snapshot != second.snapshot
    manifest = json.loads((second.snapshot / "manifest.json").read_text())
    assert "warehouse.duckdb" in manifest["files"] and "ops.sqlite" in manifest["files"]


def test_batches_not_in_the_ledger_snapshot_are_left_out(home_copy: Home, tmp_path: Path):
    """A Parquet file renamed into place after the ledger was read (an ingest in flight) is not restored."""
    in_flight = home_copy.raw / "ca_members" / "in-flight-batch.parquet"
    in_flight.parent.mkdir(parents=True, exist_ok=True)
    in_flight.write_bytes(b"PAR1")
    result = backup(home_copy, tmp_path / "b")
    manifest = json.loads((result.snapshot / "manifest.json").read_text())
    assert "raw/ca_members/in-flight-batch.parquet" not in manifest["files"]


def test_damaged_backup_is_refused_before_anything_is_written(home_copy: Home, tmp_path: Path):
    result = backup(home_copy, tmp_path / "b")
    victim = next((tmp_path / "b" / "raw").rglob("*.parquet"))
    victim.write_bytes(victim.read_bytes()[:-1] + b"X")
    fresh = Home(tmp_path / "fresh")
    with pytest.raises(BackupError, match=victim.name):
        restore(tmp_path / "b", fresh, result.snapshot.name)
    assert not fresh.root.exists() or not any(fresh.root.iterdir())


def test_restore_refuses_a_home_with_data(home_copy: Home, tmp_path: Path, caplog):
    backup(home_copy, tmp_path / "b")
    assert main(["restore", "--home", str(home_copy.root), "--from", str(tmp_path / "b")]) == 1
    assert "already holds data" in caplog.text


def test_backup_inside_home_is_refused(home_copy: Home):
    with pytest.raises(BackupError, match="inside HOME"):
        backup(home_copy, home_copy.root / "backups")


def test_the_ops_database_is_where_the_workspace_keeps_it(tmp_path: Path, monkeypatch):
    """One place decides (the workspace's ops_url); pg_dump gets libpq's URL form."""
    from aidwatch.backup import ops_location

    home = Home(tmp_path)
    monkeypatch.delenv("AIDWATCH_OPS_DB", raising=False)
    assert ops_location(home) == tmp_path / "workspace.sqlite"
    monkeypatch.setenv("AIDWATCH_OPS_DB", "postgresql+psycopg2://workspace:pw@postgres:5432/workspace")
    assert ops_location(home) == "postgresql://workspace:pw@postgres:5432/workspace"
