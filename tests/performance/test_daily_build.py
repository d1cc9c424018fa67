"""The daily build's start-up: as_of lives in the warehouse, so dbt keeps its partial parse.

Why these checks: dbt 1.11 re-parses the whole project whenever a `--vars` value changes,
which cost every daily build a full parse when as_of was a var. The build now writes as_of
into the warehouse (the DuckDB macro `main.aidwatch_as_of()`) and passes no vars; unit
tests, whose verdict depends on the project only, run again only when the project or the
engine changed, on any HOME of the installation.
The tests read the session's published warehouse (`built_home`) and never write into it.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from aidwatch.home import Home
from tests.fixtures.simulated import TEST_AS_OF
from warehouse import project_tests
from warehouse.build import dbt_args, dbt_env, environment, run_dbt, write_as_of
from warehouse.installation import SHARED_DIR_ENV
from warehouse.project_tests import (
    project_fingerprint,
    record_passed,
    seed_only_tests,
    shared_stamp_file,
    skipped_selection,
    stamp_file,
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


@pytest.fixture
def installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A shared folder of the test's own: a new installation that has verified nothing."""
    folder = tmp_path / "installation"
    monkeypatch.setenv(SHARED_DIR_ENV, str(folder))
    return folder


def test_project_only_tests_run_again_only_when_the_project_changed(
    built_home: Home, tmp_path: Path, installation: Path
) -> None:
    home, other = Home(tmp_path / "home"), Home(tmp_path / "other")
    for each in (home, other):
        each.dbt_work.mkdir(parents=True)
    fingerprint = project_fingerprint()
    manifest = built_home.dbt_work / "target" / "manifest.json"
    assert skipped_selection(home, fingerprint) is None  # never passed on this installation
    record_passed(home, fingerprint, manifest)
    skipped = skipped_selection(home, fingerprint)
    assert skipped[:3] == ["--exclude-resource-type", "unit_test", "--exclude"]
    assert "fqn:aidwatch.not_null_regions_code" in skipped
    assert skipped_selection(other, fingerprint) == skipped  # a new HOME of the same installation
    for each in (home, other):  # any edit to a model, macro, seed or YAML file, another engine
        assert skipped_selection(each, "0" * 64) is None
    for unreadable in (fingerprint + "\n", "{", json.dumps({"fingerprint": fingerprint})):  # older, broken
        stamp_file(home).write_text(unreadable, encoding="utf-8")
        shared_stamp_file().write_text(unreadable, encoding="utf-8")
        assert skipped_selection(home, fingerprint) is None
    # the HOME's own record serves without the shared one (a read-only installation)
    record_passed(home, fingerprint, manifest)
    shared_stamp_file().unlink()
    assert skipped_selection(home, fingerprint) == skipped and skipped_selection(other, fingerprint) is None
    # a build that passed but left no readable manifest records nothing: all run again next time
    record_passed(home, fingerprint, tmp_path / "no such manifest.json")
    assert not stamp_file(home).exists() and skipped_selection(home, fingerprint) is None


def test_the_fingerprint_changes_with_any_project_file_and_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(project_tests.PROJECT_DIR, project,
                    ignore=shutil.ignore_patterns("target*", "logs"))
    monkeypatch.setattr(project_tests, "PROJECT_DIR", project)
    before = project_fingerprint()
    assert before == project_fingerprint()
    macro = project / "macros" / "as_of.sql"
    macro.write_text(macro.read_text(encoding="utf-8") + " ", encoding="utf-8")
    edited = project_fingerprint()
    assert edited != before
    real_version = project_tests.version
    monkeypatch.setattr(project_tests, "version",
                        lambda name: "0.0.1" if name == "duckdb" else real_version(name))
    assert project_fingerprint() not in (before, edited)


def test_an_installation_that_cannot_be_written_keeps_the_homes_own_verdict(
    built_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(SHARED_DIR_ENV, str(blocker / "shared"))
    home = Home(tmp_path / "home")
    home.dbt_work.mkdir(parents=True)
    fingerprint = project_fingerprint()
    with caplog.at_level("INFO", logger="warehouse.project_tests"):
        record_passed(home, fingerprint, built_home.dbt_work / "target" / "manifest.json")
    assert "not shared" in caplog.text
    assert skipped_selection(home, fingerprint) is not None


def test_seed_only_tests_read_nothing_but_seeds(built_home: Home) -> None:
    manifest = json.loads((built_home.dbt_work / "target" / "manifest.json").read_text(encoding="utf-8"))
    by_selector = {"fqn:" + ".".join(n["fqn"]): n for n in manifest["nodes"].values()}
    seed_only = seed_only_tests(built_home.dbt_work / "target" / "manifest.json")
    assert "fqn:aidwatch.unique_regions_code" in seed_only
    for selector in seed_only:
        inputs = by_selector[selector]["depends_on"]["nodes"]
        assert inputs and all(i.startswith("seed.") for i in inputs), selector
    # a model column's relationship to a seed depends on the data: it is not skipped
    relationship = "fqn:aidwatch.marts.library.relationships_fct_aid_provider__provider__ref_aid_providers_"
    assert relationship in by_selector and relationship not in seed_only


def test_session_build_recorded_its_project_only_tests(built_home: Home) -> None:
    record = json.loads(stamp_file(built_home).read_text(encoding="utf-8"))
    assert record["fingerprint"] == project_fingerprint()
    assert record["seed_only_tests"] == seed_only_tests(built_home.dbt_work / "target" / "manifest.json")


@pytest.mark.slow
def test_the_next_days_build_selects_every_test_but_the_project_only_ones(
    built_home: Home, tmp_path: Path
) -> None:
    """dbt's own selection, with the arguments the next build of the session HOME passes."""
    target = tmp_path / "target"  # a copy: the session HOME is not written
    shutil.copytree(built_home.dbt_work / "target", target)
    skipped = skipped_selection(built_home, project_fingerprint())
    assert skipped is not None

    def tests_selected(*extra: str) -> set[tuple[str, str]]:
        """(resource type, name) of every test and unit test dbt selects."""
        args = dbt_args("ls", built_home, "--resource-type", "test", "--resource-type", "unit_test",
                        "--output", "json", "--output-keys", "resource_type name", "--quiet", *extra)
        args[args.index("--target-path") + 1] = str(target)
        args[args.index("--log-path") + 1] = str(tmp_path / "logs")
        result = run_dbt(args, dbt_env(built_home, built_home.warehouse_next))
        assert result.success, result.exception
        return {(n["resource_type"], n["name"]) for n in map(json.loads, result.result)}

    every, daily = tests_selected(), tests_selected(*skipped)
    seed_only = {("test", s.rsplit(".", 1)[-1]) for s in seed_only_tests(target / "manifest.json")}
    assert seed_only and seed_only <= every and not seed_only & daily
    assert ("test", "relationships_fct_aid_provider__provider__ref_aid_providers_") in daily
    unit_tests = {node for node in every if node[0] == "unit_test"}
    assert unit_tests and every - daily == seed_only | unit_tests


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
