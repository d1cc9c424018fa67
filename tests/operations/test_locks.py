"""Lock waits are bounded and name the holder (pid, host, start time) when they give up."""

from __future__ import annotations

import os
import time
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
