"""Publishing only moves forward: a build for an earlier as_of is a replay beside the published file.

A copy of the small HOME (published for LATE) is built for EARLY: the result is a read-only
HOME/replays/<EARLY>/warehouse.duckdb with that day's answer, and the published file, its
warning history and the publish log's last publish stay as they were. Neither the replay nor
the publish after it parses the whole dbt project again: only as_of changed.
"""

from __future__ import annotations

import hashlib
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

from aidwatch.home import Home
from aidwatch.permissions import loose_modes
from tests.warehouse.small_home import (
    DEBUG_FILE_LOG,
    EARLY,
    FULL_PARSE,
    LATE,
    SNAPSHOT_QUERIES,
    TwoBuilds,
    dbt_logged,
    logged_build,
    query,
)
from warehouse import publish_gate
from warehouse.build import (
    BuildResult,
    dbt_args,
    dbt_env,
    environment,
    published_as_of,
    run_dbt,
)

HISTORY = "select * from marts.warning_history order by all"
RUNS = "select * from marts.warning_runs order by all"


@dataclass
class Replayed:
    home: Home
    result: BuildResult
    published_sha: str
    history: list[tuple]
    runs: list[tuple]
    replay_log: str  # what dbt logged during the replay


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def replayed(two_builds: TwoBuilds, tmp_path_factory) -> Replayed:
    home = Home(tmp_path_factory.mktemp("replay") / "home")
    shutil.copytree(two_builds.home.root, home.root)
    published_sha = sha256(home.warehouse)
    history, runs = query(home.warehouse, HISTORY), query(home.warehouse, RUNS)
    result, log = logged_build(home, EARLY)
    return Replayed(home, result, published_sha, history, runs, log)


def test_replay_leaves_the_published_warehouse_and_its_history_unchanged(replayed: Replayed):
    home = replayed.home
    assert sha256(home.warehouse) == replayed.published_sha
    assert query(home.warehouse, HISTORY) == replayed.history
    assert query(home.warehouse, RUNS) == replayed.runs
    assert published_as_of(home) == LATE
    assert not home.warehouse_next.exists()


def test_replay_is_a_read_only_file_with_that_days_answer(replayed: Replayed, two_builds: TwoBuilds):
    result = replayed.result
    assert result.replay and result.published_as_of == LATE and result.gate is None
    assert result.warehouse == replayed.home.root / "replays" / EARLY.isoformat() / "warehouse.duckdb"
    assert stat.S_IMODE(result.warehouse.stat().st_mode) == 0o400  # read-only, the service account's alone
    assert result.warehouse not in {loose.path for loose in loose_modes(replayed.home)}  # `aidwatch doctor`
    assert query(result.warehouse, "select as_of from marts.build_info") == [(EARLY,)]
    assert {k: query(result.warehouse, q) for k, q in SNAPSHOT_QUERIES.items()} == two_builds.early_snapshot
    assert list(result.warehouse.parent.iterdir()) == [result.warehouse]  # no next file or WAL left


def test_replay_is_recorded_and_does_not_count_as_a_publish(replayed: Replayed):
    records = publish_gate.read_records(replayed.home)
    assert records[-1]["event"] == "replayed"
    assert records[-1]["as_of"] == EARLY.isoformat() and records[-1]["published_as_of"] == LATE.isoformat()
    assert records[-1]["warehouse"] == str(replayed.result.warehouse)
    assert [r["as_of"] for r in records if r["event"] == "published"][-1] == LATE.isoformat()


def test_replay_in_a_copied_home_keeps_dbts_partial_parse(replayed: Replayed, two_builds: TwoBuilds):
    """The copy has another path and the replay writes another file: neither is a new profile.

    The sources read the raw zone relative to HOME, where dbt runs: the copy's own, never the
    original's path; nothing changed for dbt, which parsed nothing again.
    """
    assert "partial parsing" in replayed.replay_log.lower()  # dbt did log its parse decision
    assert FULL_PARSE not in replayed.replay_log
    ran = (replayed.home.dbt_work / "target" / "run_results.json").read_text(encoding="utf-8")
    assert "read_parquet('raw/ca_households/*.parquet'" in ran and str(two_builds.home.root) not in ran


def test_the_publish_after_a_replay_keeps_dbts_partial_parse(replayed: Replayed, tmp_path: Path):
    """dbt's own verdict on the state the replay left, parsing as the next publish's build does
    (its arguments and environment, through `run_dbt`), in a copy of the target folder."""
    home = replayed.home
    target, logs = tmp_path / "target", tmp_path / "logs"
    shutil.copytree(home.dbt_work / "target", target)
    args = dbt_args("parse", home)
    args[args.index("--target-path") + 1] = str(target)
    args[args.index("--log-path") + 1] = str(logs)
    with environment(DEBUG_FILE_LOG):
        result = run_dbt(args, dbt_env(home, home.warehouse_next))
    assert result.success, result.exception
    log = dbt_logged(logs)
    assert "partial parsing" in log.lower() and FULL_PARSE not in log
