"""Lock waits are bounded and name the holder (pid, host, start time) when they give up."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest

from aidwatch.home import Home
from aidwatch.locks import LockTimeout, describe_holder, exclusive_lock
from ingestion.landing import feed_lock
from warehouse.build import BuildFailed, build_lock


def test_a_second_holder_gives_up_after_the_timeout_naming_the_first(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    with exclusive_lock(path, 0, "first"):
        assert f"pid {os.getpid()}" in describe_holder(path)
        started = time.monotonic()
        with pytest.raises(LockTimeout, match=rf"held by pid {os.getpid()} on .* since .*\(first\)"):
            with exclusive_lock(path, 0.6, "second"):
                pass
        assert 0.5 <= time.monotonic() - started < 5
    with exclusive_lock(path, 0, "third"):  # released: free at once
        assert "(third)" in describe_holder(path)
    assert describe_holder(path).startswith("an unknown process")  # the record is cleared on release


def test_feed_and_build_locks_wait_bounded(tmp_path: Path) -> None:
    home = Home(tmp_path)
    with feed_lock(home, "ca_members"):
        with pytest.raises(LockTimeout, match="writing feed ca_members"):
            with feed_lock(home, "ca_members", timeout_seconds=0.1):
                pass
        with feed_lock(home, "ca_deaths", timeout_seconds=0):  # another feed: not blocked
            pass
    with build_lock(home):
        with pytest.raises(BuildFailed, match=f"another build is running .* held by pid {os.getpid()}"):
            with build_lock(home, timeout_seconds=0.1):
                pass


def test_a_build_holds_every_feed_until_it_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While dbt reads the raw zone, an ingestion of any feed (or a decision on a held batch) waits:
    the models read one state of the raw zone. The locks are free again when the build ends,
    however it ends."""
    import warehouse.build
    from ingestion.contracts import load_feeds

    home = Home(tmp_path / "home")
    free_during: list[str] = []

    def dbt_reading_the_raw_zone(*args: object, **kwargs: object) -> None:
        for feed_id in load_feeds():
            try:
                with feed_lock(home, feed_id, timeout_seconds=0):
                    free_during.append(feed_id)
            except LockTimeout:
                pass
        raise RuntimeError("dbt stopped here")

    monkeypatch.setattr(warehouse.build, "run_dbt", dbt_reading_the_raw_zone)
    with pytest.raises(RuntimeError, match="dbt stopped here"):
        warehouse.build.build(home, date(2026, 11, 1), quiet=True)
    assert free_during == []
    for feed_id in load_feeds():
        with feed_lock(home, feed_id, timeout_seconds=0):
            pass
