"""dbt's parse state shared by the HOMEs of one installation (warehouse/parse_state.py).

A new HOME starts from the shared state and dbt, its own judge, parses nothing again; a
build that passed refreshes the shared state; a missing, unwritable or damaged shared state
costs a full parse, never a build. The build of a new HOME from the shared state reads its
own raw zone: the small HOME built elsewhere gives the same answer.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from aidwatch.home import Home
from tests.warehouse.small_home import (
    EARLY,
    FULL_PARSE,
    SNAPSHOT_QUERIES,
    TwoBuilds,
    logged_build,
    query,
    write_small_raw_zone,
)
from warehouse import installation, parse_state
from warehouse.build import dbt_args, dbt_env, environment

STATE = parse_state.STATE_NAME


@pytest.fixture
def shared_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A shared-state folder of the test's own (not the installation's)."""
    folder = tmp_path / "shared"
    monkeypatch.setenv(installation.SHARED_DIR_ENV, str(folder))
    return folder


def test_the_shared_state_lives_where_the_environment_says(shared_dir: Path, monkeypatch) -> None:
    assert parse_state.shared_state_file() == shared_dir / STATE
    monkeypatch.delenv(installation.SHARED_DIR_ENV)
    assert parse_state.shared_state_file() == installation.DEFAULT_SHARED_DIR / STATE


def test_seed_copies_the_shared_state_only_into_a_target_without_one(shared_dir: Path, tmp_path: Path):
    target = tmp_path / "home" / "dbt" / "target"
    assert parse_state.seed(target) is False and not target.exists()  # nothing shared yet
    shared_dir.mkdir()
    (shared_dir / STATE).write_bytes(b"shared state")
    assert parse_state.seed(target) is True
    assert (target / STATE).read_bytes() == b"shared state"
    (target / STATE).write_bytes(b"the HOME's own, newer state")
    assert parse_state.seed(target) is False
    assert (target / STATE).read_bytes() == b"the HOME's own, newer state"
    assert sorted(p.name for p in target.iterdir()) == [STATE]  # no temporary file left


def test_share_replaces_the_shared_state_only_when_it_differs(shared_dir: Path, tmp_path: Path):
    target = tmp_path / "target"
    assert parse_state.share(target) is False and not shared_dir.exists()  # the HOME has none
    target.mkdir()
    (target / STATE).write_bytes(b"state one")
    assert parse_state.share(target) is True
    shared = shared_dir / STATE
    assert shared.read_bytes() == b"state one"
    inode = shared.stat().st_ino
    assert parse_state.share(target) is False and shared.stat().st_ino == inode  # same bytes: untouched
    (target / STATE).write_bytes(b"state two")  # same size, other bytes
    assert parse_state.share(target) is True and shared.read_bytes() == b"state two"
    assert sorted(p.name for p in shared_dir.iterdir()) == [STATE]


def test_a_shared_folder_that_cannot_be_written_or_read_costs_only_a_full_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(installation.SHARED_DIR_ENV, str(blocker / "shared"))
    target = tmp_path / "target"
    target.mkdir()
    (target / STATE).write_bytes(b"state")
    with caplog.at_level("INFO", logger="warehouse.parse_state"):
        assert parse_state.share(target) is False
    assert "not shared" in caplog.text
    monkeypatch.setenv(installation.SHARED_DIR_ENV, str(tmp_path / "shared"))
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / STATE).mkdir()  # a folder where the file should be
    assert parse_state.seed(tmp_path / "other target") is False


def test_a_failed_copy_leaves_no_temporary_file(shared_dir: Path, tmp_path: Path) -> None:
    (shared_dir / STATE).mkdir(parents=True)  # unreadable as a file
    assert parse_state.seed(tmp_path / "out") is False
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def parse_events(home: Home) -> list[str]:
    """dbt's event names while parsing as a build of `home` does (its arguments and environment)."""
    from dbt.cli.main import dbtRunner

    events: list[str] = []
    home.root.mkdir(parents=True, exist_ok=True)
    with environment(dbt_env(home, home.warehouse_next)), contextlib.chdir(home.root):
        result = dbtRunner(callbacks=[lambda event: events.append(event.info.name)]).invoke(
            dbt_args("parse", home, "--quiet"))
    assert result.success, result.exception
    return events


def test_a_new_home_parses_nothing_from_the_state_another_home_prepared(shared_dir: Path, tmp_path: Path):
    """dbt's own verdict: the prepared state (another, temporary HOME) serves a HOME elsewhere."""
    assert parse_state.prepare() == shared_dir / STATE
    home = Home(tmp_path / "somewhere" / "else")
    assert parse_state.seed(home.dbt_work / "target")
    events = parse_events(home)
    assert "UnableToPartialParse" not in events
    assert "PartialParsingSkipParsing" in events  # nothing changed for dbt


def test_a_damaged_shared_state_costs_a_full_parse(shared_dir: Path, tmp_path: Path) -> None:
    shared_dir.mkdir()
    (shared_dir / STATE).write_bytes(b"\x93not dbt's msgpack")
    home = Home(tmp_path / "home")
    assert parse_state.seed(home.dbt_work / "target")
    events = parse_events(home)  # it succeeded: a full parse
    assert "ParsedFileLoadFailed" in events and "PartialParsingSkipParsing" not in events


@pytest.mark.slow
def test_new_homes_share_the_parse_state_of_the_last_build_and_read_their_own_raw_zones(
    shared_dir: Path, tmp_path: Path, two_builds: TwoBuilds
) -> None:
    """Real builds: the first HOME finds a damaged shared state, parses the whole project,
    runs every test and shares its state and verdict; the second HOME's build parses nothing
    again and skips the unit tests the first one passed. Both give the answer of the small
    HOME built elsewhere, from their own raw zones."""
    shared_dir.mkdir()
    (shared_dir / STATE).write_bytes(b"damaged")
    logs, unit_tests = {}, {}
    for name in ("first", "second"):
        home = Home(tmp_path / name)
        write_small_raw_zone(home)
        result, logs[name] = logged_build(home, EARLY)
        unit_tests[name] = result.node_counts.get("unit_test", 0)
        answer = {k: query(result.warehouse, q) for k, q in SNAPSHOT_QUERIES.items()}
        assert answer == two_builds.early_snapshot
        assert (shared_dir / STATE).read_bytes() == (home.dbt_work / "target" / STATE).read_bytes()
    assert "Failed to load parsed file from disk" in logs["first"]  # dbt's words for a full parse
    assert "partial parsing" in logs["second"].lower() and FULL_PARSE not in logs["second"]
    assert unit_tests["first"] == two_builds.early.node_counts["unit_test"] > 0 == unit_tests["second"]
