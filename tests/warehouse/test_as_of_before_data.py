"""A build for a day before the raw zone's first delivery is refused, not published empty."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from aidwatch.home import Home
from ingestion.landing import read_ledger
from warehouse.build import BuildFailed, build, refuse_before_first_delivery
from warehouse.raw_zone import earliest_delivery


def test_earliest_delivery_is_the_ledgers_earliest_landed_batch(built_home: Home) -> None:
    landed = [entry for entry in read_ledger(built_home) if entry["feed_id"] != "warning_feedback"
              and (built_home.raw_feed(entry["feed_id"]) / f"{entry['batch_id']}.parquet").exists()]
    assert landed
    assert earliest_delivery(built_home) == min(date.fromisoformat(e["extract_date"]) for e in landed)
    assert earliest_delivery(Home(built_home.root / "no-such-home")) is None


def test_the_day_before_the_first_delivery_is_refused_the_day_of_it_is_not(built_home: Home) -> None:
    first = earliest_delivery(built_home)
    assert first is not None
    refused = f"before the earliest delivery in the raw zone \\(extracted {first}\\)"
    with pytest.raises(BuildFailed, match=refused):
        refuse_before_first_delivery(built_home, first - timedelta(days=1))
    refuse_before_first_delivery(built_home, first)
    refuse_before_first_delivery(built_home, first + timedelta(days=1))
    refuse_before_first_delivery(Home(built_home.root / "no-such-home"), first - timedelta(days=1))


def test_a_replay_before_any_data_writes_nothing(built_home: Home, tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    shutil.copytree(built_home.root, home.root, ignore=shutil.ignore_patterns("locks", "build.lock"))
    published = home.warehouse.read_bytes()
    with pytest.raises(BuildFailed, match="nothing was built"):
        build(home, date(2020, 1, 1), quiet=True)
    assert home.warehouse.read_bytes() == published
    assert not home.warehouse_next.exists()
    assert not (home.root / "replays" / "2020-01-01").exists()
