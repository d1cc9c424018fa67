"""Landing: raw and quarantine Parquet, gate reports and the ledger, written crash-safe.

Why this order and these names: every file is written under a hidden temporary name in
its final folder and renamed when complete (a rename within a folder is atomic), and the
ledger entry is written last. So a batch exists exactly when its ledger entry does. A
crash between the Parquet rename and the ledger leaves an orphan Parquet; `clean_feed`
removes orphans and leftover temporary files before a feed is ingested again (the rerun
loads the file afresh: its sha256 is not in the ledger) and, for every feed, before every
build (warehouse.raw_zone.recorded_raw_zone), since dbt reads each feed's folder
whole.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from aidwatch.home import Home
from ingestion.contracts import Feed
from ingestion.normalise import DISTINCT_SHARE, SAMPLE_ROWS

log = logging.getLogger(__name__)

TEMP_PREFIX = ".tmp-"
TEMP_SUFFIX = ".partial"
SCHEMA_FILE = "_schema.parquet"


def _temp_path(final: Path) -> Path:
    """Hidden, and with a suffix no reader globs for (`*.parquet`, `*.json`)."""
    return final.with_name(f"{TEMP_PREFIX}{os.getpid()}-{final.name}{TEMP_SUFFIX}")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic_bytes(final: Path, data: bytes) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_path(final)
    with temp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, final)


def dictionary_columns(table: pa.Table) -> list[str]:
    """The columns worth dictionary-encoding in Parquet: all but those of mostly distinct values.

    Why: Parquet's writer hashes every value into a dictionary and gives up only when the
    dictionary page is full; for ID numbers and row numbers that was a tenth of the write's
    CPU and made the file larger. The values, types and schema are the same either way.
    "Mostly distinct" is the normaliser's rule (`normalise.DISTINCT_SHARE` of `SAMPLE_ROWS`).
    """
    sample = table.slice(0, SAMPLE_ROWS)
    names = [name for name in table.column_names if name not in DELTA_COLUMNS]
    if sample.num_rows < SAMPLE_ROWS:
        return names
    return [name for name in names
            if pc.count_distinct(sample.column(name), mode="all").as_py() < DISTINCT_SHARE * sample.num_rows]


#: Columns of numbers that mostly rise by one, written as deltas (DELTA_BINARY_PACKED): a
#: file's row numbers take a few bytes instead of 0.27 MB per 261k rows, and 1.5 ms to write
#: instead of 5.9 (plain, then zstd). DuckDB and Arrow read the encoding like any other.
DELTA_COLUMNS = ("_source_row",)


#: The columns whose min/max a reader of the raw zone prunes row groups on: `stage_feed`
#: keeps the deliveries of as_of by `_extract_date`, and batches are told apart by `_batch_id`.
PRUNED_COLUMNS = ("_extract_date", "_batch_id")


def parquet_options(table: pa.Table) -> dict:
    """How every raw and quarantine file is written: zstd, dictionaries where values repeat
    (`dictionary_columns`), deltas for row numbers (`DELTA_COLUMNS`), and min/max statistics
    only for `PRUNED_COLUMNS`.

    Why not statistics everywhere: nothing filters the files on another column (staging
    reads every row of the deliveries it keeps), and computing min/max of every text
    column was a quarter of the write's CPU (0.105 -> 0.079 CPU s for a 261k-row hukou
    batch). Statistics are optional in Parquet: the values read back are the same.
    """
    return {"compression": "zstd", "use_dictionary": dictionary_columns(table),
            "column_encoding": {name: "DELTA_BINARY_PACKED" for name in DELTA_COLUMNS
                                if name in table.column_names},
            "write_statistics": [name for name in PRUNED_COLUMNS if name in table.column_names]}


def parquet_bytes(table: pa.Table) -> bytes:
    """The table as a Parquet file (what `write_atomic_parquet` writes), in memory."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **parquet_options(table))
    return sink.getvalue().to_pybytes()


def write_atomic_parquet(final: Path, table: pa.Table, encoded: bytes | None = None) -> None:
    """`table` as Parquet at `final`; `encoded`: its encoding made already (`parquet_bytes` of it)."""
    write_atomic_bytes(final, parquet_bytes(table) if encoded is None else encoded)


class ParquetStage:
    """A Parquet file written part by part under its temporary name; visible only after `commit`.

    Why: a large file is gated chunk by chunk (ingestion.streaming), and a file rejected or
    held after its fifth chunk must leave nothing in raw/ or quarantine/, as a file landed
    whole does. The temporary name is `_temp_path` in the final folder, so `clean_feed`
    removes it after a crash. Each `write` becomes the file's next row group(s).
    """

    def __init__(self, final: Path, schema: pa.Schema | None = None) -> None:
        self.final = final
        self.temp = _temp_path(final)
        self.schema = schema
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.temp, self.schema or table.schema, **parquet_options(table))
        self._writer.write_table(table)
        self.rows += table.num_rows

    def commit(self, final: Path | None = None) -> None:
        """Close, fsync and rename to `final` (default: the folder it was staged in)."""
        if self._writer is None:
            if self.schema is None:
                raise ValueError(f"{self.final}: nothing written and no schema")
            self.write(self.schema.empty_table())
        assert self._writer is not None
        self._writer.close()
        with self.temp.open("rb") as handle:
            os.fsync(handle.fileno())
        target = final or self.final
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.temp, target)

    def discard(self) -> None:
        """Drop what was written (the file was rejected, or had nothing to keep)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.temp.unlink(missing_ok=True)


def ensure_feed_folder(home: Home, feed: Feed) -> Path:
    """The feed's raw folder, with its zero-row `_schema.parquet` (so an empty feed still reads)."""
    folder = home.raw_feed(feed.feed_id)
    schema_file = folder / SCHEMA_FILE
    if not schema_file.exists():
        write_atomic_parquet(schema_file, feed.arrow_schema().empty_table())
    return folder


def held_folder(home: Home, feed_id: str) -> Path:
    """Where held batches wait for a person (outside raw/, so no reader of the raw zone sees them)."""
    return home.root / "held" / feed_id


def release_held(home: Home, feed_id: str, batch_id: str) -> bool:
    """Move an accepted batch from held/ into raw/ (atomic rename); False when already moved."""
    source = held_folder(home, feed_id) / f"{batch_id}.parquet"
    if not source.exists():
        return False
    target = home.raw_feed(feed_id) / f"{batch_id}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
    _fsync_dir(target.parent)
    return True


def ledger_path(home: Home, batch_id: str) -> Path:
    return home.ledger / f"{batch_id}.json"


def write_ledger(home: Home, entry: dict) -> None:
    """The ledger entry makes the batch visible: always written last."""
    text = json.dumps(entry, ensure_ascii=False, indent=2) + "\n"
    write_atomic_bytes(ledger_path(home, entry["batch_id"]), text.encode("utf-8"))
    _fsync_dir(home.ledger)


def read_ledger(home: Home, feed_id: str | None = None) -> list[dict]:
    """Ledger entries (all, or of one feed), sorted by batch id."""
    if not home.ledger.is_dir():
        return []
    pattern = f"{feed_id}__*.json" if feed_id else "*.json"
    entries = []
    for path in sorted(home.ledger.glob(pattern)):
        entry = json.loads(path.read_text(encoding="utf-8"))
        if feed_id is None or entry.get("feed_id") == feed_id:
            entries.append(entry)
    return entries


def stream_scratch(home: Home, feed_id: str) -> Path:
    """The private folder (mode 0700) where a streamed file's chunks keep their keys between passes.

    Why inside the HOME: the spilled keys are ID numbers, and a GB18030 file's UTF-8 copy is
    the whole file. They belong with the rest of the HOME's personal data, not in the
    system's temporary folder, and `clean_feed` removes what a killed process left.
    """
    folder = home.root / "scratch" / feed_id
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def clean_feed(home: Home, feed_id: str) -> list[Path]:
    """Remove temporary files and batches without a ledger entry (left by a crash), logging each.

    Called before a feed is ingested and, for every feed, before every build
    (warehouse.raw_zone.recorded_raw_zone). Also finishes an `aidwatch accept` interrupted
    between its ledger entry and the move of the batch from held/ into raw/ (the ledger is
    written first, so rows never reach staging before the decision is recorded).
    """
    known = {p.stem for p in home.ledger.glob(f"{feed_id}__*.json")} if home.ledger.is_dir() else set()
    for entry in read_ledger(home, feed_id):
        if entry.get("status") == "accepted":
            release_held(home, feed_id, entry["batch_id"])
    doomed: list[Path] = []
    for folder in (home.raw_feed(feed_id), home.quarantine / feed_id, held_folder(home, feed_id)):
        if folder.is_dir():
            doomed += [p for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]
            doomed += [p for p in folder.glob(f"{feed_id}__*.parquet") if p.stem not in known]
    if home.gate_reports.is_dir():
        doomed += list(home.gate_reports.glob(f"{TEMP_PREFIX}*-{feed_id}__*"))
        doomed += [p for p in home.gate_reports.glob(f"{feed_id}__*") if p.name.split(".")[0] not in known]
    if home.ledger.is_dir():
        doomed += list(home.ledger.glob(f"{TEMP_PREFIX}*-{feed_id}__*"))
    for path in doomed:
        path.unlink(missing_ok=True)
    scratch = home.root / "scratch" / feed_id
    if scratch.is_dir():
        left = list(scratch.iterdir())
        for path in left:
            shutil.rmtree(path, ignore_errors=True)
        doomed += left
    for path in doomed:
        log.warning("%s: removed %s, left by an interrupted ingestion (no ledger entry)", feed_id,
                    path.relative_to(home.root))
    return doomed


#: How long a second writer of a feed waits for the first (aidwatch/locks.py). Ingesting one
#: feed's month takes seconds to ~2 minutes on a loaded machine (docs/performance.md); a
#: holder past this is hung, and the waiter fails naming its pid, host and start time.
FEED_LOCK_TIMEOUT_SECONDS = 15 * 60


@contextmanager
def feed_lock(
    home: Home, feed_id: str, timeout_seconds: float = FEED_LOCK_TIMEOUT_SECONDS
) -> Iterator[None]:
    """One writer per feed: a second process ingesting the same feed waits for the first (bounded)."""
    from aidwatch.locks import exclusive_lock

    lock_file = home.root / "locks" / f"ingest-{feed_id}.lock"
    with exclusive_lock(lock_file, timeout_seconds, f"writing feed {feed_id}"):
        yield
