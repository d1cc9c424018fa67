"""Fingerprints kept between runs: a run with nothing new reads no file, a changed file is always read.

Real files in a real inbox, ingested by the real pipeline. Each test starts as a new process
would (no fingerprint hashed in this process) and counts the files actually read for their
sha256. Most tests treat files as settled at once (SETTLE_NS = 0) so they need not wait;
`test_a_file_hashed_while_it_may_still_be_written_is_not_kept` uses the real margin.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from aidwatch.home import Home
from ingestion import delivery, early_read, fingerprints
from ingestion.delivery import FileState, Fingerprint
from ingestion.pipeline import ingest_feed, pending_feeds
from tests.ingestion.deliveries import valid_id, write_csv

PERSON = valid_id("15292119800101123")
HEADER = ["身份证号", "死亡日期", "信息来源"]


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files read for their sha256 from now on, as a fresh process (empty process cache):
    hashed alone (`delivery.hash_file`) or by the scan of `ingest_feed` (ingestion.early_read,
    which may parse the file too)."""
    monkeypatch.setattr(delivery, "_PROCESS_FINGERPRINTS", {})
    read: list[str] = []
    real_hash, real_scan_hash = delivery.hash_file, early_read.EarlyRead.hashed

    def counting(path: Path) -> str:
        read.append(path.name)
        return real_hash(path)

    def counting_in_scan(self: early_read.EarlyRead, path: Path) -> str:
        read.append(path.name)
        return real_scan_hash(self, path)

    monkeypatch.setattr(delivery, "hash_file", counting)
    monkeypatch.setattr(early_read.EarlyRead, "hashed", counting_in_scan)
    return read


@pytest.fixture
def settled_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "SETTLE_NS", 0)


def new_process(reads: list[str]) -> None:
    """Forget this process's fingerprints and the reads counted so far."""
    delivery._PROCESS_FINGERPRINTS.clear()
    reads.clear()


def deaths_inbox(root: Path) -> tuple[Path, list[Path]]:
    inbox = root / "inbox"
    files = [write_csv(inbox / "ca_deaths" / f"deaths_2026{month:02d}01.csv", HEADER,
                       [[PERSON, f"2026-{month - 1:02d}-15", "火化"]])
             for month in (9, 10, 11)]
    return inbox, files


def test_a_run_with_nothing_new_reads_no_file(
    tmp_path: Path, reads: list[str], settled_at_once: None
) -> None:
    home = Home(tmp_path / "home")
    inbox, files = deaths_inbox(tmp_path)
    assert [e["status"] for e in ingest_feed("ca_deaths", inbox, home)] == ["loaded"] * 3
    # each read once: the check after reading (`_read_unchanged`) reuses the fingerprint
    assert sorted(reads) == sorted(f.name for f in files)

    new_process(reads)
    assert pending_feeds(inbox, home) == [] and reads == []
    assert ingest_feed("ca_deaths", inbox, home) == [] and reads == []


def test_a_fresh_home_finds_pending_feeds_without_reading_them(tmp_path: Path, reads: list[str]) -> None:
    inbox, _ = deaths_inbox(tmp_path)
    write_csv(inbox / "ca_deaths" / "readme.txt", ["x"], [])  # ignored, recorded by path
    assert pending_feeds(inbox, Home(tmp_path / "home")) == ["ca_deaths"]
    assert reads == []


def test_a_file_rewritten_in_place_with_its_size_and_mtime_kept_is_read_and_ingested(
    tmp_path: Path, reads: list[str], settled_at_once: None
) -> None:
    """A sender rewrites a delivered file, same length, and sets its modification time back."""
    home = Home(tmp_path / "home")
    inbox, files = deaths_inbox(tmp_path)
    first = {e["file"]: e for e in ingest_feed("ca_deaths", inbox, home)}
    target = files[1]
    before = target.stat()
    changed = target.read_bytes().replace(b"2026-09-15", b"2026-09-16")
    assert len(changed) == before.st_size and changed != target.read_bytes()
    target.write_bytes(changed)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)

    new_process(reads)
    assert pending_feeds(inbox, home) == ["ca_deaths"]
    assert reads == [target.name]  # the others are known; this one's change time moved
    [entry] = ingest_feed("ca_deaths", inbox, home)
    assert entry["file"] == f"ca_deaths/{target.name}" and entry["sha256"] != first[entry["file"]]["sha256"]
    # read as new content: the changed record is a second version of its key on the same extract
    # date as the first version of the file (ingestion.same_day), the others repeat it and load
    assert entry["status"] == "loaded_with_quarantine" and entry["rows_quarantined"] == 1
    assert "by an earlier version of this file" in entry["reasons"][0]


def test_a_file_replaced_by_a_copy_of_itself_is_read_again_and_still_recorded(
    tmp_path: Path, reads: list[str], settled_at_once: None
) -> None:
    home = Home(tmp_path / "home")
    inbox, files = deaths_inbox(tmp_path)
    ingest_feed("ca_deaths", inbox, home)
    copy = tmp_path / "copy.csv"
    shutil.copy2(files[0], copy)
    os.replace(copy, files[0])  # same bytes and mtime, another inode

    new_process(reads)
    assert pending_feeds(inbox, home) == [] and reads == [files[0].name]


def test_a_file_hashed_while_it_may_still_be_written_is_not_kept(tmp_path: Path, reads: list[str]) -> None:
    """The real margin: files written just now are hashed again by the next run."""
    home = Home(tmp_path / "home")
    inbox, files = deaths_inbox(tmp_path)
    ingest_feed("ca_deaths", inbox, home)
    assert fingerprints.load(home, "ca_deaths") == {}

    new_process(reads)
    assert pending_feeds(inbox, home) == [] and sorted(reads) == sorted(f.name for f in files)


def test_a_damaged_store_is_ignored_with_a_warning(
    tmp_path: Path, reads: list[str], settled_at_once: None, caplog: pytest.LogCaptureFixture
) -> None:
    home = Home(tmp_path / "home")
    inbox, files = deaths_inbox(tmp_path)
    ingest_feed("ca_deaths", inbox, home)
    store = fingerprints.store_path(home, "ca_deaths")
    store.write_text('{"version": 1, "files": {"ca_deaths/x.csv": {"state": 3}}}', encoding="utf-8")

    new_process(reads)
    assert pending_feeds(inbox, home) == []
    assert sorted(reads) == sorted(f.name for f in files)
    assert "unreadable" in caplog.text and str(store) in caplog.text
    assert len(json.loads(store.read_text(encoding="utf-8"))["files"]) == 3  # rewritten whole


def test_a_fingerprint_holds_only_for_the_same_state_after_settling() -> None:
    state = FileState(size=10, mtime_ns=1_000, ctime_ns=2_000, inode=7, device=1)
    found = Fingerprint(state, "ab" * 32, hashed_at_ns=2_000 + delivery.SETTLE_NS + 1)
    assert found.holds_for(state)
    for change in ({"size": 11}, {"mtime_ns": 999}, {"ctime_ns": 2_001}, {"inode": 8}, {"device": 2}):
        assert not found.holds_for(replace(state, **change)), change
    assert not replace(found, hashed_at_ns=2_000 + delivery.SETTLE_NS).holds_for(state)  # not yet settled
