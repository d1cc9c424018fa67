"""The simulated league: ingestion quarantines exactly the planted rows, rejects exactly the planted files."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from aidwatch.home import Home
from ingestion.contracts import load_feeds
from ingestion.pipeline import ingest_feed, pending_feeds

#: The simulator's planted fault kinds -> the words our reason uses for them.
ROW_REASON_WORDS = {
    "bad_check_digit": "check digit is wrong",
    "gender_mismatch": "does not agree with id_number",
    "birth_date_mismatch": "does not agree with id_number",
    "impossible_date": "not a valid date",
    "future_date": "date after the extract date",
    "unknown_enum": "not an accepted value",
    "missing_required": "required value missing",
    "negative_money": "negative amount not allowed",
    "medical_parts_mismatch": "does not equal",
    "duplicate_key": "duplicate key within the file",
}
FILE_REASON_WORDS = {
    "undecodable": "cannot decode",
    "missing_required_column": "required column missing",
    "empty": "empty file",
    "duplicate": "same content (sha256)",
}


def truth(inbox: Path, name: str) -> list[dict]:
    with (inbox / "_truth" / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def ingested(simulated_inbox: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, list[dict]]:
    home = Home.resolve(tmp_path_factory.mktemp("ingested") / "home")
    entries = [e for feed_id in load_feeds() for e in ingest_feed(feed_id, simulated_inbox, home)]
    return home, entries


def test_every_row_is_loaded_or_quarantined(ingested: tuple[Home, list[dict]]) -> None:
    home, entries = ingested
    for entry in entries:
        assert entry["rows_read"] == entry["rows_loaded"] + entry["rows_quarantined"] + entry["rows_held"]
        if entry["status"].startswith("loaded"):
            raw = pq.read_metadata(home.raw_feed(entry["feed_id"]) / f"{entry['batch_id']}.parquet")
            assert raw.num_rows == entry["rows_loaded"]


def test_quarantine_is_exactly_the_planted_rows(
        simulated_inbox: Path, ingested: tuple[Home, list[dict]]) -> None:
    home, _ = ingested
    found = {}
    for path in home.quarantine.glob("*/*.parquet"):
        for row in pq.read_table(path, columns=["_source_file", "_source_row", "reasons"]).to_pylist():
            found[(path.parent.name, row["_source_file"], row["_source_row"])] = row["reasons"]
    expected = {(t["feed"], t["file"], int(t["source_row"])): t["reason"]
                for t in truth(simulated_inbox, "expected_quarantine.csv")}
    assert sorted(found) == sorted(expected)
    for key, planted in expected.items():
        column, kind = (part.strip() for part in planted.split(":", 1))
        assert column in found[key] and ROW_REASON_WORDS[kind] in found[key], (key, planted, found[key])


def test_rejected_and_duplicate_files_are_exactly_the_planted_ones(
        simulated_inbox: Path, ingested: tuple[Home, list[dict]]) -> None:
    """The truth's `duplicate` (same bytes again) is `unchanged` for a snapshot under a new date."""
    _, entries = ingested
    by_id = {e["batch_id"]: e for e in entries}
    found = {(e["feed_id"], e["file"]): e for e in entries
             if e["status"] in ("rejected", "duplicate", "unchanged")}
    planted = truth(simulated_inbox, "expected_rejected_files.csv")
    expected = {(t["feed"], t["file"]): t["reason"] for t in planted}
    assert sorted(found) == sorted(expected)
    feeds = load_feeds()
    for key, planted in expected.items():
        entry = found[key]
        assert FILE_REASON_WORDS[planted.split(":")[0]] in " ".join(entry["reasons"]), (key, planted, entry)
        if entry["status"] in ("duplicate", "unchanged"):
            original = by_id[entry["same_as"]]
            new_date = original["extract_date"] != entry["extract_date"]
            snapshot = feeds[entry["feed_id"]].kind == "snapshot"
            assert entry["status"] == ("unchanged" if snapshot and new_date else "duplicate"), entry
    assert any(e["status"] == "unchanged" for e in found.values())


def test_unchanged_snapshots_are_staged_under_their_own_date(ingested: tuple[Home, list[dict]]) -> None:
    home, entries = ingested
    for entry in (e for e in entries if e["status"] == "unchanged"):
        rows = pq.read_table(home.raw_feed(entry["feed_id"]) / f"{entry['batch_id']}.parquet")
        original = pq.read_table(home.raw_feed(entry["feed_id"]) / f"{entry['same_as']}.parquet")
        assert rows.num_rows == original.num_rows == entry["rows_loaded"]
        assert set(rows.column("_extract_date").to_pylist()) == {dt.date.fromisoformat(entry["extract_date"])}
        assert set(rows.column("_batch_id").to_pylist()) == {entry["batch_id"]}
        assert rows.drop(["_batch_id", "_extract_date", "_source_file"]).equals(
            original.drop(["_batch_id", "_extract_date", "_source_file"]))


def test_nothing_is_held_ignored_or_warned_in_a_clean_league(ingested: tuple[Home, list[dict]]) -> None:
    _, entries = ingested
    assert [e["file"] for e in entries if e["status"] in ("held", "ignored") or e["warnings"]] == []


def test_a_second_run_loads_nothing_new(simulated_inbox: Path, ingested: tuple[Home, list[dict]]) -> None:
    home, entries = ingested
    ledger_files = sorted(p.name for p in home.ledger.glob("*.json"))
    assert len(ledger_files) == len(entries)
    assert pending_feeds(simulated_inbox, home) == []
    assert [e for feed_id in load_feeds() for e in ingest_feed(feed_id, simulated_inbox, home)] == []
    assert sorted(p.name for p in home.ledger.glob("*.json")) == ledger_files
