"""The workspace notices a new publish without a restart, and never holds two DuckDB instances."""

from __future__ import annotations

import os
import shutil

import duckdb

from aidwatch.home import Home
from aidwatch.workspace.warehouse import PublishedWarehouse


def test_new_publish_is_seen_without_restart(built_home, tmp_path):
    home = Home(tmp_path)
    shutil.copy(built_home.warehouse, home.warehouse)
    warehouse = PublishedWarehouse(home)
    try:
        before = warehouse.snapshot()
        assert before.warnings
        dropped = before.warnings[0]["warning_key"]
        # A "build": a changed copy renamed over the published file, as warehouse.build publishes.
        shutil.copy(built_home.warehouse, home.warehouse_next)
        con = duckdb.connect(str(home.warehouse_next))
        con.execute("delete from marts.warnings where warning_key = ?", [dropped])
        con.close()
        with warehouse.cursor() as cursor:  # a request in flight keeps its connection until it ends
            os.replace(home.warehouse_next, home.warehouse)
            assert cursor.execute("select count(*) from marts.warnings").fetchone()[0] == len(before.warnings)
        after = warehouse.snapshot()
        assert after.generation == before.generation + 1
        assert dropped not in after.by_key and len(after.warnings) == len(before.warnings) - 1
        with warehouse.cursor() as cursor:
            assert cursor.execute("select count(*) from marts.warnings where warning_key = ?",
                                  [dropped]).fetchone()[0] == 0
        assert warehouse.snapshot() is after  # unchanged file: no reopen, same snapshot
    finally:
        warehouse.close()
