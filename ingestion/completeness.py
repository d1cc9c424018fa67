"""Snapshot completeness: is a snapshot delivery plausible against the last accepted one?

Why a rule of its own: a snapshot replaces the league's picture in staging (the newest
extract wins), so a partial file would silently shrink the roll. The count of distinct keys
of the delivery's loaded rows is compared with the reference: the accepted delivery of the
same feed with the latest earlier extract date. Beyond the contract's bounds
(`Feed.completeness`) the delivery is held for a person (`aidwatch accept|reject`).
The rule lives here only, so it survives a rewrite of the pipeline around it.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion.contracts import Feed

#: Ledger statuses whose rows are in the raw zone (and hence in staging).
ROWS_IN_RAW = frozenset({"loaded", "loaded_with_quarantine", "unchanged", "accepted"})


@dataclass(frozen=True)
class Reference:
    """The accepted delivery a new snapshot is compared with."""

    batch_id: str
    extract_date: dt.date
    key_count: int


def complete_keys(feed: Feed, table: pa.Table) -> pa.ChunkedArray | pa.Array:
    """Per row, whether every part of its natural key is present."""
    keys = [table.column(name) for name in feed.key]
    return functools.reduce(pc.and_, (pc.is_valid(column) for column in keys))


def key_count(feed: Feed, table: pa.Table) -> int:
    """Distinct natural keys among rows that passed the gate (null key parts count as a value).

    Why not group every row: the gate quarantines every row whose complete key repeats in
    its file (`suites._key_expectation`), so among passed rows each complete key is
    distinct; only rows with a missing key part are grouped (hashing 261k ID numbers was
    ~35 ms a file). Every caller counts passed rows: a batch's good rows, its raw Parquet.
    """
    if table.num_rows == 0:
        return 0
    complete = complete_keys(feed, table)
    partial = table.select(list(feed.key)).filter(pc.invert(complete))
    distinct_partial = partial.group_by(list(feed.key)).aggregate([]).num_rows if partial.num_rows else 0
    return (pc.sum(complete).as_py() or 0) + distinct_partial


def stored_key_count(feed: Feed, entry: dict, raw_folder: Path) -> int:
    """An accepted entry's key count: from the ledger, else counted in its raw Parquet."""
    if entry.get("key_count") is not None:
        return int(entry["key_count"])
    path = raw_folder / f"{entry['batch_id']}.parquet"
    return key_count(feed, pq.read_table(path, columns=list(feed.key)))


def in_raw_on(ledger: list[dict], extract_date: str, other_than: str | None = None) -> list[dict]:
    """The entries whose rows are in raw/ with this extract date (ISO), except batch `other_than`."""
    return [e for e in ledger if e.get("status") in ROWS_IN_RAW and e.get("extract_date") == extract_date
            and e.get("batch_id") != other_than]


def reference_entry(ledger: list[dict], extract_date: dt.date) -> dict | None:
    """The accepted entry with the latest extract date before `extract_date` (latest finished on a tie)."""
    earlier = [e for e in ledger if e.get("status") in ROWS_IN_RAW and e.get("extract_date")
               and dt.date.fromisoformat(e["extract_date"]) < extract_date]
    if not earlier:
        return None
    return max(earlier, key=lambda e: (e["extract_date"], e.get("finished_at") or ""))


def implausible(feed: Feed, keys: int, reference: Reference | None) -> list[str]:
    """Why the delivery's key count is implausible (empty when it is plausible or not checked)."""
    bounds = feed.completeness
    if feed.kind != "snapshot" or not bounds.check or reference is None or reference.key_count == 0:
        return []
    change = keys - reference.key_count
    if abs(change) <= bounds.min_key_change:
        return []
    share = change / reference.key_count
    against = (f"{reference.key_count} in the last accepted delivery {reference.batch_id} "
               f"(extract {reference.extract_date.isoformat()})")
    if share < -bounds.max_key_drop:
        return [f"held: {keys} keys, {-share:.1%} fewer than {against}; the contract allows a drop of "
                f"{bounds.max_key_drop:.0%} (or {bounds.min_key_change} keys). Partial file? "
                "Release with `aidwatch accept BATCH_ID --reason ...` or refuse with `aidwatch reject`"]
    if share > bounds.max_key_growth:
        return [f"held: {keys} keys, {share:.1%} more than {against}; the contract allows growth of "
                f"{bounds.max_key_growth:.0%} (or {bounds.min_key_change} keys). Wrong or merged file? "
                "Release with `aidwatch accept BATCH_ID --reason ...` or refuse with `aidwatch reject`"]
    return []


def second_snapshot_of_the_day(feed: Feed, ledger: list[dict], extract_date: dt.date,
                               batch_id: str) -> list[str]:
    """Why a snapshot must wait for a person when the raw zone holds another one of its extract date.

    Why: a snapshot is the whole roll, and the build reads every batch of the newest extract
    date together. A second file of the same date is either a part of that day's roll (the
    two belong together) or a corrected roll (households it drops would stay, from the first
    file, and which of two versions of a key wins would depend on batch ids). Only a person
    can tell which; aidwatch's own feed (the officials' feedback) only accumulates records.
    """
    if feed.kind != "snapshot" or feed.from_workspace:
        return []
    same_day = in_raw_on(ledger, extract_date.isoformat(), other_than=batch_id)
    if not same_day:
        return []
    first = same_day[0]
    return [f"held: a second snapshot for extract {extract_date.isoformat()}: {first['file']} (batch "
            f"{first['batch_id']}) is already in the raw zone, and the build adds all snapshots of one "
            "date together. A part of that day's roll: release it with `aidwatch accept BATCH_ID "
            "--reason ...`; a corrected roll: refuse it with `aidwatch reject` and ask the department "
            "for a new extract (a later extract date: the newest extract is the roll)"]
