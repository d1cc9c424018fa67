"""The helper thread a feed ingested alone gets (ingestion.helper_thread).

What lands must not depend on it: the raw table encoded while GX validates lands only when
it is the batch's raw table, whatever happens to the rows after the gate.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from aidwatch.home import Home
from ingestion import batch, early_read, landing, pipeline
from ingestion.delivery import FileState
from ingestion.helper_thread import lent, on_both, on_helper
from ingestion.landing import parquet_options
from ingestion.pipeline import ingest_inbox
from tests.ingestion.deliveries import rewritten_after_each_parse, valid_id, write_csv, wrong_check
from tests.ingestion.test_every_path import parquet_bytes

HEADER = ["身份证号", "死亡日期", "信息来源"]
DAY = "20261128"
IDS = [valid_id(f"1529211950030{n}429") for n in range(1, 5)]


def _thread_of(item: int) -> tuple[int, str]:
    time.sleep(0.005)  # long enough for the other thread to take items too
    return item * 10, threading.current_thread().name


def test_on_both_gives_the_results_in_order_and_shares_the_items() -> None:
    with lent(True):
        results = on_both(_thread_of, list(range(12)))
    assert [value for value, _ in results] == [item * 10 for item in range(12)]
    threads = {name for _, name in results}
    assert threading.current_thread().name in threads
    assert any(name.startswith("ingestion-helper") for name in threads)


def test_without_a_helper_everything_runs_in_this_thread() -> None:
    me = threading.current_thread().name
    assert on_helper(lambda: 1) is None  # outside any block
    with lent(False):
        assert on_helper(lambda: 1) is None
        assert {name for _, name in on_both(_thread_of, [1, 2, 3])} == {me}
    with lent(True), lent(False):  # an inner block without a helper hides the outer one
        assert on_helper(lambda: 1) is None
        assert {name for _, name in on_both(_thread_of, [1, 2, 3])} == {me}


def test_on_both_does_not_wait_for_a_helper_busy_with_earlier_work() -> None:
    """E.g. the encoding of a file whose bet was lost, still running when the next files are
    normalised: this thread takes every item and returns while the helper is still busy."""
    release = threading.Event()
    with lent(True):
        busy = on_helper(lambda: release.wait(10))
        assert busy is not None
        results = on_both(_thread_of, [1, 2, 3])
        still_busy = not busy.done()
        release.set()
    assert still_busy and busy.result() is True
    assert results == [(10, threading.current_thread().name), (20, threading.current_thread().name),
                       (30, threading.current_thread().name)]


def test_an_item_that_fails_raises_once_both_threads_stopped() -> None:
    finished: list[int] = []

    def fail_on_three(item: int) -> int:
        time.sleep(0.005)
        if item == 3:
            raise ValueError("item 3")
        finished.append(item)
        return item

    with lent(True), pytest.raises(ValueError, match="item 3"):
        on_both(fail_on_three, list(range(8)))
    settled = list(finished)
    time.sleep(0.05)
    assert finished == settled  # nothing still running after the exception reached us


def test_only_a_feed_ingested_alone_with_a_second_worker_allowed_gets_the_helper(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, bool]] = []
    monkeypatch.setattr(pipeline, "ingest_feed",
                        lambda feed_id, inbox, home, on_file=None, spare_core=False:
                        calls.append((feed_id, spare_core)) or [])
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)
    inbox = tmp_path / "inbox"
    write_csv(inbox / "ca_deaths" / f"deaths_{DAY}.csv", HEADER, [[IDS[0], "2026-10-13", "火化"]])
    home = Home(tmp_path / "home")
    ingest_inbox(inbox, home, workers=2)
    ingest_inbox(inbox, home, workers=1)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 1)
    ingest_inbox(inbox, home, workers=2)
    assert calls == [("ca_deaths", True), ("ca_deaths", False), ("ca_deaths", False)]


@pytest.fixture
def encodings_landed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the Parquet files landed from an encoding made on the helper thread."""
    landed: list[str] = []
    real = landing.write_atomic_parquet

    def spy(final: Path, table, encoded=None) -> None:  # type: ignore[no-untyped-def]
        if encoded is not None:
            landed.append(final.name)
        real(final, table, encoded)

    monkeypatch.setattr(pipeline, "write_atomic_parquet", spy)
    return landed


def _ledger(home: Home, name: str) -> dict:
    [entry] = [e for e in landing.read_ledger(home) if e["file"] == f"ca_deaths/{name}"]
    return entry


def test_rows_moved_to_quarantine_after_the_gate_are_not_landed_from_the_encoding(
        tmp_path: Path, encodings_landed: list[str]) -> None:
    """Every row of the correction passes the gate, so the helper's encoding of all four rows is
    the bet's winner; then two rows give a key of the first file other values on its extract
    date (ingestion.same_day) and move to quarantine: the raw batch must hold the other two."""
    inbox, home = tmp_path / "inbox", Home(tmp_path / "home")
    folder = inbox / "ca_deaths"
    write_csv(folder / f"deaths_{DAY}.csv", HEADER, [
        [IDS[0], "2026-10-13", "火化"], [IDS[1], "2026-10-14", "火化"], [IDS[3], "2026-10-01", "火化"]])
    ingest_inbox(inbox, home)
    first = _ledger(home, f"deaths_{DAY}.csv")
    assert first["status"] == "loaded" and encodings_landed == [f"{first['batch_id']}.parquet"]

    write_csv(folder / f"deaths_{DAY}_更正.csv", HEADER, [
        [IDS[0], "2026-10-13", "火化"], [IDS[1], "2026-10-15", "火化"],
        [IDS[2], "2026-10-16", "火化"], [IDS[3], "2026-10-01", ""]])
    ingest_inbox(inbox, home)
    second = _ledger(home, f"deaths_{DAY}_更正.csv")
    assert (second["status"], second["rows_loaded"], second["rows_quarantined"]) == (
        "loaded_with_quarantine", 2, 2)
    raw = pq.read_table(home.raw_feed("ca_deaths") / f"{second['batch_id']}.parquet")
    assert raw.column("id_number").to_pylist() == [IDS[0], IDS[2]]
    assert raw.column("_source_row").to_pylist() == [1, 3]
    assert len(encodings_landed) == 1  # the correction's raw table was built again


def test_a_file_with_a_failing_row_and_a_clean_file_land_the_same_bytes_with_and_without_the_helper(
        tmp_path: Path, encodings_landed: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    write_csv(inbox / "ca_deaths" / "deaths_20261101.csv", HEADER,
              [[IDS[0], "2026-10-13", "火化"], [wrong_check(IDS[1]), "2026-10-14", "火化"]])
    write_csv(inbox / "ca_deaths" / "deaths_20261102.csv", HEADER, [[IDS[2], "2026-10-16", "火化"]])
    monkeypatch.setattr(pipeline, "GATE_GROUP_ROWS", 1)  # each file gated on its own
    homes = {}
    for workers in (2, 1):  # the lone feed gets the helper with a second worker allowed
        homes[workers] = Home(tmp_path / f"home{workers}")
        ingest_inbox(inbox, homes[workers], workers=workers)
    clean = _ledger(homes[2], "deaths_20261102.csv")
    assert encodings_landed == [f"{clean['batch_id']}.parquet"]
    assert _ledger(homes[2], "deaths_20261101.csv")["status"] == "loaded_with_quarantine"

    assert parquet_bytes(homes[2]) == parquet_bytes(homes[1])
    assert len(parquet_bytes(homes[1])) == 4  # 2 raw, 1 quarantine, schema
    raw = homes[2].raw_feed("ca_deaths") / f"{clean['batch_id']}.parquet"
    table = pq.read_table(raw)
    pq.write_table(table, tmp_path / "again.parquet", **parquet_options(table))
    assert raw.read_bytes() == (tmp_path / "again.parquet").read_bytes()


@pytest.mark.parametrize("early", [True, False])
@pytest.mark.parametrize("workers", [2, 1])
def test_a_file_replaced_after_it_was_read_is_rejected_and_read_again_next_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int, early: bool) -> None:
    """With the helper the bytes parsed are hashed as they are parsed (`RawTable.sha256`); the
    file is not hashed again, but a file whose state changed since the scan still is. The same
    whether the scan parsed the file (ingestion.early_read) or its turn did."""
    inbox, home = tmp_path / "inbox", Home(tmp_path / "home")
    path = write_csv(inbox / "ca_deaths" / f"deaths_{DAY}.csv", HEADER, [[IDS[0], "2026-10-13", "火化"]])
    if not early:
        monkeypatch.setattr(early_read, "EARLY_MAX_BYTES", 0)
    with rewritten_after_each_parse(path, lambda data: data + f"{IDS[1]},2026-11-01,火化\n".encode()):
        ingest_inbox(inbox, home, workers=workers)
    entry = _ledger(home, path.name)
    assert entry["status"] == "rejected" and "changed while it was being read" in entry["reasons"][0]
    ingest_inbox(inbox, home, workers=workers)
    loaded = [e for e in landing.read_ledger(home) if e["status"] == "loaded"]
    assert [e["rows_read"] for e in loaded] == [2]


def test_bytes_parsed_that_are_not_the_scanned_ones_are_rejected_though_the_state_hides_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file rewritten with other bytes of the same size between the scan and the read, within
    one tick of the file system's clock, keeps its state (size and times): the hash of the
    bytes parsed must still tell (the clock tick is simulated here). Only a file read at its
    turn can be: one the scan parsed (ingestion.early_read) was parsed from the bytes hashed."""
    monkeypatch.setattr(early_read, "EARLY_MAX_BYTES", 0)
    inbox, home = tmp_path / "inbox", Home(tmp_path / "home")
    path = write_csv(inbox / "ca_deaths" / f"deaths_{DAY}.csv", HEADER, [[IDS[0], "2026-10-13", "火化"]])
    real_read = batch.read_file
    scanned: list[FileState] = []

    class StateHidden:
        @staticmethod
        def of(target: Path) -> FileState:
            return scanned[0]

    def rewritten_then_read(target: Path):  # type: ignore[no-untyped-def]
        scanned.append(FileState.of(target))
        target.write_bytes(target.read_bytes().replace(b"2026-10-13", b"2026-10-12"))  # same size
        monkeypatch.setattr(pipeline, "FileState", StateHidden)
        return real_read(target)

    monkeypatch.setattr(batch, "read_file", rewritten_then_read)
    ingest_inbox(inbox, home)
    entry = _ledger(home, path.name)
    assert entry["status"] == "rejected" and "changed while it was being read" in entry["reasons"][0]


class _CountedReads:
    """A file handle that adds the bytes read through it to `counted`."""

    def __init__(self, handle, counted: list[int]) -> None:  # type: ignore[no-untyped-def]
        self._handle, self._counted = handle, counted

    def read(self, *args: int) -> bytes:
        data = self._handle.read(*args)
        self._counted.append(len(data))
        return data

    def __enter__(self) -> _CountedReads:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._handle, name)


@pytest.mark.parametrize("early", [True, False])
def test_a_new_file_is_read_once_when_the_scan_parses_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, early: bool) -> None:
    """Times the file's bytes are read: parsed as the scan hashes them (ingestion.early_read),
    once. Read at its turn: hashed by the scan, then read; without the helper, since it was just
    written (not settled), hashed again after the read (`pipeline._read_unchanged`)."""
    if not early:
        monkeypatch.setattr(early_read, "EARLY_MAX_BYTES", 0)
    read_bytes: list[int] = []
    real_open = Path.open

    def counting_open(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        handle = real_open(self, *args, **kwargs)
        return _CountedReads(handle, read_bytes) if self.name.startswith("deaths_") else handle

    monkeypatch.setattr(Path, "open", counting_open)
    for workers in (2, 1):
        inbox, home = tmp_path / f"inbox{workers}", Home(tmp_path / f"home{workers}")
        path = write_csv(inbox / "ca_deaths" / f"deaths_{DAY}.csv", HEADER, [[IDS[0], "2026-10-13", "火化"]])
        read_bytes.clear()
        ingest_inbox(inbox, home, workers=workers)
        assert _ledger(home, path.name)["status"] == "loaded"
        # the whole file so many times, and its last byte (`readers.unterminated_last_line`)
        expected = 1 if early else 2 if workers == 2 else 3
        assert sum(read_bytes) == expected * path.stat().st_size + 1, (workers, read_bytes)
