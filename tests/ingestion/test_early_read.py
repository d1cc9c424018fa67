"""The scan's hashing of a feed's files (ingestion.early_read): which file it parses as well.

Whatever it parses, every file's sha256 must be the one `delivery.hash_file` gives; only the
first new CSV to be read whole may be parsed, and its table must be the one `read_csv` makes.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd
import pytest

from aidwatch.home import Home
from ingestion import early_read, landing, readers, streaming
from ingestion.delivery import Delivery, describe, hash_file
from ingestion.early_read import EarlyRead
from ingestion.helper_thread import lent
from ingestion.pipeline import ingest_feed
from tests.ingestion.deliveries import valid_id, write_csv, write_xlsx

HEADER = ["身份证号", "死亡日期", "信息来源"]
ROWS = [[valid_id(f"1529211950030{n}429"), "2026-10-13", "火化"] for n in range(1, 6)]


def _deliveries(inbox: Path, paths: list[Path], early: EarlyRead) -> list[Delivery]:
    return [describe(inbox, "ca_deaths", path, hashed=early.hashed) for path in paths]


@pytest.mark.parametrize("helper", [True, False])
def test_only_the_first_csv_is_parsed_and_every_hash_is_the_files(tmp_path: Path, helper: bool) -> None:
    inbox = tmp_path / "inbox"
    folder = inbox / "ca_deaths"
    paths = [
        write_xlsx(folder / "a_deaths_20261101.xlsx", HEADER, ROWS),  # not a CSV: hashed only
        write_csv(folder / "b_deaths_20261101.csv", HEADER, ROWS, encoding="gb18030"),  # parsed
        write_csv(folder / "c_deaths_20261102.csv", HEADER, ROWS),  # a second CSV: hashed only
    ]
    (folder / "d.manifest.json").write_text('{"files": []}', encoding="utf-8")
    paths.append(folder / "d.manifest.json")
    early = EarlyRead()
    with lent(helper):
        found = _deliveries(inbox, paths, early)
    assert [d.sha256 for d in found] == [hash_file(p) for p in paths]
    scanned = [early.take(d) for d in found]
    assert [t is not None for t in scanned] == [False, True, False, False]
    table, expected = scanned[1].table, readers.read_csv(paths[1])
    pd.testing.assert_frame_equal(table.cells, expected.cells)
    assert (table.headers, table.encoding) == (expected.headers, "gb18030")
    assert table.sha256 == found[1].sha256
    assert early.take(found[1]) is None  # taken once


def test_a_csv_to_be_streamed_too_large_or_rejected_is_hashed_not_parsed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    folder = inbox / "ca_deaths"
    many_lines = write_csv(folder / "a_deaths_20261101.csv", HEADER, ROWS)
    no_header = folder / "b_deaths_20261102.csv"
    no_header.write_bytes(b"\n\n")  # rejected by the reader: "empty file: no header row"
    monkeypatch.setattr(streaming, "CHUNK_ROWS", len(ROWS) - 1)  # more lines than a chunk: streamed
    early = EarlyRead()
    found = _deliveries(inbox, [many_lines, no_header], early)
    assert [d.sha256 for d in found] == [hash_file(many_lines), hash_file(no_header)]
    assert [early.take(d) for d in found] == [None, None]

    monkeypatch.setattr(streaming, "CHUNK_ROWS", 400_000)
    monkeypatch.setattr(early_read, "EARLY_MAX_BYTES", many_lines.stat().st_size - 1)
    early = EarlyRead()
    [delivery] = _deliveries(inbox, [many_lines], early)
    assert delivery.sha256 == hash_file(many_lines) and early.take(delivery) is None
    monkeypatch.setattr(early_read, "EARLY_MAX_BYTES", many_lines.stat().st_size)
    early = EarlyRead()
    [delivery] = _deliveries(inbox, [many_lines], early)
    assert early.take(delivery) is not None  # at the limit: parsed


def test_a_table_is_only_given_for_its_own_bytes_and_kept_only_for_a_delivery(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    path = write_csv(inbox / "ca_deaths" / "deaths_20261101.csv", HEADER, ROWS)
    early = EarlyRead()
    [delivery] = _deliveries(inbox, [path], early)
    other = Delivery(delivery.feed_id, delivery.path, delivery.relative, "0" * 64, delivery.size_bytes,
                     delivery.extract_date)
    assert early.take(other) is None  # another sha256 for the path: not this table (and it is dropped)
    early = EarlyRead()
    [delivery] = _deliveries(inbox, [path], early)
    early.keep([])  # the scan found the file recorded already
    assert early.take(delivery) is None


def test_a_reader_failure_in_the_scan_is_left_for_the_files_turn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the parse raises, the scan still gives the file's sha256 and no table: the
    failure happens again at the file's turn, after the files before it have landed."""
    inbox = tmp_path / "inbox"
    path = write_csv(inbox / "ca_deaths" / "deaths_20261101.csv", HEADER, ROWS)

    def failing(data: bytes) -> readers.RawTable:
        raise RuntimeError("a reader bug")

    monkeypatch.setattr(readers, "_csv_table", failing)
    early = EarlyRead()
    [delivery] = _deliveries(inbox, [path], early)
    assert delivery.sha256 == hash_file(path) and early.take(delivery) is None


def test_the_ledger_dates_a_file_parsed_early_from_when_the_scan_began_reading_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    path = write_csv(inbox / "ca_deaths" / "deaths_20261101.csv", HEADER, ROWS)
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    real_hashed = EarlyRead.hashed

    def timed(self: EarlyRead, target: Path) -> str:
        before = dt.datetime.now(dt.UTC)
        try:
            return real_hashed(self, target)
        finally:
            spans.append((before, dt.datetime.now(dt.UTC)))
            time.sleep(0.05)  # so that the file's turn comes measurably later

    monkeypatch.setattr(EarlyRead, "hashed", timed)
    home = Home(tmp_path / "home")
    [entry] = ingest_feed("ca_deaths", inbox, home)
    [(before, after)] = spans
    started = dt.datetime.fromisoformat(entry["started_at"])
    assert entry["file"] == f"ca_deaths/{path.name}" and entry["status"] == "loaded"
    assert before - dt.timedelta(milliseconds=1) <= started <= after  # not when its turn came
    assert [e["started_at"] for e in landing.read_ledger(home)] == [entry["started_at"]]
