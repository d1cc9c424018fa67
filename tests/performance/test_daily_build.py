"""The daily build's start-up: as_of lives in the warehouse, so dbt keeps its partial parse.

Why these checks: dbt 1.11 re-parses the whole project whenever a `--vars` value changes,
which cost every daily build a full parse when as_of was a var. The build now writes as_of
into the warehouse (the DuckDB macro `main.aidwatch_as_of()`) and passes no vars; unit
tests, whose verdict depends on the project only, run again only when the project changed.
The tests read the session's published warehouse (`built_home`) and never write into it.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from aidwatch.home import Home
from tests.fixtures.simulated import TEST_AS_OF
from warehouse.build import (
    dbt_args,
    dbt_env,
    environment,
    project_fingerprint,
    unit_tests_needed,
    unit_tests_stamp,
    write_as_of,
)


def test_published_warehouse_says_which_day_it_was_built_for(built_home: Home) -> None:
    con = duckdb.connect(str(built_home.warehouse), read_only=True)
    try:
        [(built_for,)] = con.execute("select main.aidwatch_as_of()").fetchall()
    finally:
        con.close()
    assert built_for == TEST_AS_OF


def test_write_as_of_replaces_the_date_and_filters_see_a_constant(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    write_as_of(path, TEST_AS_OF)
    write_as_of(path, TEST_AS_OF + timedelta(days=1))
    con = duckdb.connect(str(path))
    try:
        assert con.execute("select main.aidwatch_as_of()").fetchone()[0] == TEST_AS_OF + timedelta(days=1)
        con.execute("create table t as select date '2026-01-01' + range::int as d from range(400)")
        plan = "\n".join(r[1] for r in con.execute(
            "explain select count(*) from t where d <= main.aidwatch_as_of()").fetchall())
    finally:
        con.close()
    # the macro is expanded to a literal when binding: no subquery or join in the plan
    assert "2026-11-29" in plan and "JOIN" not in plan.upper()


def test_the_build_passes_no_vars_so_a_new_day_does_not_change_the_parse_state(built_home: Home) -> None:
    assert "--vars" not in dbt_args("build", built_home)


def test_unit_tests_run_again_only_when_the_project_changed(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    home.dbt_work.mkdir(parents=True)
    fingerprint = project_fingerprint()
    assert unit_tests_needed(home, fingerprint)  # never passed in this HOME
    unit_tests_stamp(home).write_text(fingerprint + "\n", encoding="utf-8")
    assert not unit_tests_needed(home, fingerprint)
    assert unit_tests_needed(home, "0" * 64)  # any edit to a model, macro, seed or YAML file


def test_session_build_recorded_its_passing_unit_tests(built_home: Home) -> None:
    assert unit_tests_stamp(built_home).read_text(encoding="utf-8").strip() == project_fingerprint()


@pytest.mark.slow
def test_next_days_parse_reuses_the_published_builds_partial_parse(built_home: Home, tmp_path: Path) -> None:
    """dbt's own verdict: parsing again as the next day's build would, partial parsing is kept."""
    from dbt.cli.main import dbtRunner

    target = tmp_path / "target"  # a copy: the session HOME is not written
    target.mkdir()
    msgpack = "partial_parse.msgpack"
    shutil.copyfile(built_home.dbt_work / "target" / msgpack, target / msgpack)
    args = dbt_args("parse", built_home)
    args[args.index("--target-path") + 1] = str(target)
    args[args.index("--log-path") + 1] = str(tmp_path / "logs")
    events: list[str] = []
    with environment(dbt_env(built_home, built_home.warehouse_next)):
        result = dbtRunner(callbacks=[lambda event: events.append(event.info.name)]).invoke(args)
    assert result.success, result.exception
    assert "UnableToPartialParse" not in events
    assert {"PartialParsingEnabled", "PartialParsingSkipParsing"} & set(events)
