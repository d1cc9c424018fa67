"""Publishing only moves forward: a build for an earlier as_of is a replay beside the published file.

A copy of the small HOME (published for LATE) is built for EARLY: the result is a read-only
HOME/replays/<EARLY>/warehouse.duckdb with that day's answer, and the published file, its
warning history and the publish log's last publish stay as they were.
"""

from __future__ import annotations

import hashlib
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

from aidwatch.home import Home
from tests.warehouse.small_home import EARLY, LATE, SNAPSHOT_QUERIES, TwoBuilds, query
from warehouse import publish_gate
from warehouse.build import BuildResult, build, published_as_of

HISTORY = "select * from marts.warning_history order by all"
RUNS = "select * from marts.warning_runs order by all"


@dataclass
class Replayed:
    home: Home
    result: BuildResult
    published_sha: str
    history: list[tuple]
    runs: list[tuple]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def replayed(two_builds: TwoBuilds, tmp_path_factory) -> Replayed:
    home = Home(tmp_path_factory.mktemp("replay") / "home")
    shutil.copytree(two_builds.home.root, home.root)
    published_sha = sha256(home.warehouse)
    history, runs = query(home.warehouse, HISTORY), query(home.warehouse, RUNS)
    result = build(home, EARLY, quiet=True)
    return Replayed(home, result, published_sha, history, runs)


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
    assert stat.S_IMODE(result.warehouse.stat().st_mode) == 0o444
    assert query(result.warehouse, "select as_of from marts.build_info") == [(EARLY,)]
    assert {k: query(result.warehouse, q) for k, q in SNAPSHOT_QUERIES.items()} == two_builds.early_snapshot
    assert list(result.warehouse.parent.iterdir()) == [result.warehouse]  # no next file or WAL left


def test_replay_is_recorded_and_does_not_count_as_a_publish(replayed: Replayed):
    records = publish_gate.read_records(replayed.home)
    assert records[-1]["event"] == "replayed"
    assert records[-1]["as_of"] == EARLY.isoformat() and records[-1]["published_as_of"] == LATE.isoformat()
    assert records[-1]["warehouse"] == str(replayed.result.warehouse)
    assert [r["as_of"] for r in records if r["event"] == "published"][-1] == LATE.isoformat()
