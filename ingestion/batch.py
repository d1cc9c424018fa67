"""One delivered file -> one batch: read, map headers, normalise, gate, and build the Arrow tables.

A large CSV (ingestion.streaming) goes through `stream_batch` instead: the same steps
chunk by chunk, its rows appended to staged Parquet files, so memory follows the chunk.

Why separate from the pipeline: this is the pure part (no ledger, no locking), so tests and
the benchmark can call it on a single file, and the pipeline stays about bookkeeping.
"""

from __future__ import annotations

import json
import pickle
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals

from ingestion.completeness import complete_keys, key_count
from ingestion.contracts import RAW_METADATA_COLUMNS, Column, Feed
from ingestion.delivery import Delivery
from ingestion.gate import REPORT_SAMPLE, BatchSlice, GateOutcome, gate_frame, validate
from ingestion.gate_reports import add_check_beyond_the_file, department_samples
from ingestion.headers import HeaderMapping, map_headers
from ingestion.helper_thread import on_both, on_helper
from ingestion.key_counts import exact_occurrences, key_hashes, repeated_rows
from ingestion.landing import ParquetStage, parquet_bytes
from ingestion.normalise import Context, Normalised, no_texts, normalise_column, text_array, text_series
from ingestion.readers import FileRejected, RawTable, read_file
from ingestion.streaming import CsvStream

QUARANTINE_METADATA: dict[str, pa.DataType] = {
    "_source_row": pa.int64(),
    "_source_file": pa.string(),
    "_batch_id": pa.string(),
    "_extract_date": pa.date32(),
    "reasons": pa.string(),
}


@dataclass
class BatchResult:
    """The outcome of one file, ready to land."""

    table: RawTable
    mapping: HeaderMapping
    good: pa.Table
    quarantine: pa.Table
    gate_report: dict
    reason_counts: Counter = field(default_factory=Counter)
    #: `good` encoded as Parquet already (by the helper thread while GX validated), or None.
    #: Only `_gated` sets it, to the encoding of the very table it puts in `good`.
    good_parquet: bytes | None = None

    @property
    def rows_read(self) -> int:
        return len(self.table.cells)


def _arrow_column(column: Column, values: pd.Series) -> pa.Array:
    """Normalised values -> the Arrow type of the raw schema."""
    target = column.arrow_type
    if column.type == "money":
        return text_array(values).cast(target)
    if isinstance(values.dtype, pd.CategoricalDtype):  # text per distinct value (normalise._spread)
        return text_array(values).cast(target)
    if column.type in ("date", "month", "timestamp"):
        return pa.array(values, from_pandas=True).cast(target)
    return pa.array(values, type=target, from_pandas=True)


def _extra_json(table: RawTable, mapping: HeaderMapping, rows: np.ndarray | None) -> pa.Array:
    n = len(table.cells) if rows is None else len(rows)
    if not mapping.extras:
        return pa.nulls(n, pa.string())
    names = list(mapping.extras)
    cells = table.cells[[str(p) for p in mapping.extras.values()]]
    cells = cells if rows is None else cells.iloc[rows]
    records = cells.astype(object).where(cells.notna(), None).itertuples(index=False, name=None)
    return pa.array([json.dumps(dict(zip(names, r, strict=True)), ensure_ascii=False) for r in records],
                    type=pa.string())


def raw_columns(feed: Feed, table: RawTable, mapping: HeaderMapping) -> dict[str, pd.Series]:
    """Each contract column's delivered text (all null when the file lacks an optional column)."""
    return {column.name: _raw_column(table, mapping, column.name) for column in feed.columns}


def _raw_column(table: RawTable, mapping: HeaderMapping, name: str) -> pd.Series:
    position = mapping.positions.get(name)
    if position is None:
        return no_texts(table.cells.index)
    return table.cells[str(position)]


def normalise_all(feed: Feed, table: RawTable, mapping: HeaderMapping, ctx: Context,
                  known: dict[str, Normalised] | None = None) -> dict[str, Normalised]:
    """Every contract column normalised (`known`: columns normalised already), copies checked.

    Why the copies: a header that names a contract column twice (an export carrying both
    `户主身份证号` and `head_id_number`) leaves it open which one the department meant.
    The first is loaded; a row where a copy holds another value (after normalisation, so
    `2026/11/1` agrees with `2026-11-01`) is quarantined, naming both columns, rather than
    loaded with a value picked silently. Copies that agree cost nothing but being kept in _extra.
    """
    raw = raw_columns(feed, table, mapping)
    known = known or {}
    fresh = normalise_columns(feed, {name: raw[name] for name in feed.column_names if name not in known}, ctx)
    normalised = {name: known[name] if name in known else fresh[name] for name in feed.column_names}
    for name, copies in mapping.duplicates.items():
        first = normalised[name]
        errors = text_series(first.errors)
        for position in copies:
            copy = normalise_column(table.cells[str(position)], feed.column(name), ctx)
            differ = _disagree(first.values, copy.values) & errors.isna().to_numpy()
            if differ.any():
                message = (f"delivered twice with different values (columns {mapping.positions[name] + 1} "
                           f"and {position + 1} of the header)")
                errors = errors.mask(pd.Series(differ, index=errors.index), message)
        normalised[name] = Normalised(first.values, errors, first.id_facts)
    return normalised


def normalise_columns(feed: Feed, raw: dict[str, pd.Series], ctx: Context) -> dict[str, Normalised]:
    """Each of these contract columns normalised (in the order given), on both threads when a
    helper is lent (ingestion.helper_thread); ID numbers first, the costliest (all distinct)."""
    names = sorted(raw, key=lambda name: feed.column(name).type != "id_number")
    done = dict(zip(names, on_both(lambda name: normalise_column(raw[name], feed.column(name), ctx), names),
                    strict=True))
    return {name: done[name] for name in raw}


def _disagree(first: pd.Series, second: pd.Series) -> np.ndarray:
    """Per row: one value null and the other not, or both present and different."""
    a, b = first.astype(object).to_numpy(), second.astype(object).to_numpy()
    missing_a, missing_b = pd.isna(a), pd.isna(b)
    both = ~missing_a & ~missing_b
    unequal = np.zeros(len(a), dtype=bool)
    unequal[both] = a[both] != b[both]
    return (missing_a != missing_b) | unequal


@dataclass
class ReadBatch:
    """A file read and its header mapped: the part of a batch done file by file."""

    delivery: Delivery
    table: RawTable
    mapping: HeaderMapping

    @property
    def rows(self) -> int:
        return len(self.table.cells)


def read_batch(feed: Feed, delivery: Delivery, table: RawTable | None = None) -> ReadBatch:
    """Read one file and map its header; raises FileRejected when the file as a whole cannot be used.

    A header without rows is a valid delivery (no events this period); it loads 0 rows.
    `table`: the file read already (`ingestion.early_read`).
    """
    if table is None:
        table = read_file(delivery.path)
    return ReadBatch(delivery, table, map_headers(feed, table.headers))


@dataclass
class PreparedBatch(ReadBatch):
    """A file read, mapped and normalised: ready for the gate."""

    normalised: dict[str, Normalised]
    #: Every row's raw table and its Parquet encoding, made on the helper thread (if one is
    #: lent) while the gate runs: the file's raw table whenever every row passes.
    every_row: Future[tuple[pa.Table, bytes]] | None = None

    def encode_every_row(self, feed: Feed) -> PreparedBatch:
        """Start building and encoding the raw table of every row on the helper thread, if any."""
        def encoded() -> tuple[pa.Table, bytes]:
            table = _good_table(feed, self.delivery, self.table, self.mapping, self.normalised, None)
            return table, parquet_bytes(table)

        self.every_row = on_helper(encoded)
        return self


def _slices(batches: Sequence[ReadBatch]) -> list[BatchSlice]:
    """Where each batch's rows lie when the batches' rows are stacked in this order."""
    slices, start = [], 0
    for item in batches:
        delivery = item.delivery
        slices.append(BatchSlice(delivery.batch_id, delivery.extract_date, start, start + item.rows))
        start += item.rows
    return slices


def _units(reads: list[ReadBatch]) -> list[list[ReadBatch]]:
    """Runs of consecutive files normalised together: one file format (dates in .xlsx differ),
    and no contract column delivered twice (such a file compares its copies alone)."""
    units: list[list[ReadBatch]] = []
    for read in reads:
        last = units[-1][-1] if units else None
        if (last is not None and not read.mapping.duplicates and not last.mapping.duplicates
                and last.table.file_format == read.table.file_format):
            units[-1].append(read)
        else:
            units.append([read])
    return units


def _rows_between(column: Normalised, start: int, stop: int) -> Normalised:
    return Normalised(column.values.iloc[start:stop].reset_index(drop=True),
                      column.errors.iloc[start:stop].reset_index(drop=True),
                      column.id_facts.rows(start, stop) if column.id_facts is not None else None)


def _prepare_unit(feed: Feed, unit: list[ReadBatch]) -> tuple[list[PreparedBatch], pd.DataFrame]:
    """Normalise a unit's files as one stack of rows, each row with its file's extract date,
    and build its gate frame; returns each file's rows and the frame.

    Why together: normalising costs ~20-80 ms per file whatever its rows (pandas' cost per
    call, per column), and a fresh inbox holds hundreds of small monthly files; a stack of
    24 of them costs about what one does. Every normaliser is a function of the cell alone
    (and of the row's extract date, given per row), so the values are those of each file
    normalised alone.
    """
    slices = _slices(unit)
    if len(unit) == 1:
        [read] = unit
        ctx = Context(extract_date=read.delivery.extract_date, file_format=read.table.file_format)
        stacked = normalise_all(feed, read.table, read.mapping, ctx)
        prepared = [PreparedBatch(read.delivery, read.table, read.mapping, stacked).encode_every_row(feed)]
        return prepared, gate_frame(feed, stacked, read.table.row_problems, slices)
    raws = [raw_columns(feed, read.table, read.mapping) for read in unit]
    dates = np.repeat(np.array([read.delivery.extract_date for read in unit], dtype="datetime64[D]"),
                      [read.rows for read in unit])
    ctx = Context(extract_date=dates, file_format=unit[0].table.file_format)
    stacked = normalise_columns(feed, {name: pd.concat([raw[name] for raw in raws], ignore_index=True)
                                       for name in feed.column_names}, ctx)
    prepared = [PreparedBatch(read.delivery, read.table, read.mapping,
                              {name: _rows_between(stacked[name], part.start, part.stop)
                               for name in feed.column_names}).encode_every_row(feed)
                for read, part in zip(unit, slices, strict=True)]
    problems = pd.concat([read.table.row_problems for read in unit], ignore_index=True)
    return prepared, gate_frame(feed, stacked, problems, slices)


def prepare_batches(feed: Feed, reads: list[ReadBatch]) -> tuple[list[PreparedBatch], pd.DataFrame]:
    """Normalise files read from one feed (`_prepare_unit`); returns them and the gate frame of all."""
    prepared: list[PreparedBatch] = []
    frames = []
    for unit in _units(reads):
        unit_prepared, frame = _prepare_unit(feed, unit)
        prepared += unit_prepared
        frames.append(frame)
    return prepared, frames[0] if len(frames) == 1 else _stacked(frames)


def gate_batches(feed: Feed, reads: list[ReadBatch]) -> list[BatchResult]:
    """Normalise and validate several files of a feed in one GX run and build each one's tables.

    One run per group of files keeps GX's fixed cost (tens of ms per expectation) per
    group, not per file; keys are counted per `_batch_id`, so each batch is judged alone.
    """
    prepared, frame = prepare_batches(feed, reads)
    return gate_prepared(feed, prepared, frame)


def gate_prepared(feed: Feed, prepared: list[PreparedBatch], frame: pd.DataFrame) -> list[BatchResult]:
    """Validate prepared batches (their gate frame, rows in the same order) and build each one's tables."""
    outcomes = validate(feed, frame, _slices(prepared))
    return [_gated(feed, item, outcome) for item, outcome in zip(prepared, outcomes, strict=True)]


def _stacked(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Gate frames of several batches one below the other, Categorical columns kept Categorical.

    Why not `pd.concat` alone: Categoricals with different categories (each file's own
    values, its own batch id) concatenate to Python objects, which GX's filters copy
    slowly; a text column that is Categorical in one batch only is made text throughout.
    """
    columns = {}
    for name in frames[0].columns:
        parts = [frame[name] for frame in frames]
        kinds = {isinstance(part.dtype, pd.CategoricalDtype) for part in parts}
        if kinds == {True}:
            columns[name] = pd.Series(union_categoricals(parts))
        elif kinds == {True, False}:
            columns[name] = pd.concat([text_series(part) for part in parts], ignore_index=True)
        else:
            columns[name] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(columns)


def _gated(feed: Feed, item: PreparedBatch, outcome: GateOutcome) -> BatchResult:
    """The gate's verdict on a prepared batch as its raw and quarantine tables and its report."""
    bad = outcome.row_reasons.notna().to_numpy()
    kept = None if not bad.any() else np.flatnonzero(~bad)
    encoded: bytes | None = None
    if kept is None and item.every_row is not None:
        good, encoded = item.every_row.result()  # the bet won: every row passed
    else:
        if item.every_row is not None:
            item.every_row.cancel()  # not started yet: dropped; running: finishes unused
        good = _good_table(feed, item.delivery, item.table, item.mapping, item.normalised, kept)
    quarantine = _quarantine_table(item.delivery, item.table, item.mapping, outcome.row_reasons,
                                   np.flatnonzero(bad))
    counts: Counter = Counter()
    for text in outcome.row_reasons.dropna():
        counts.update(text.split("; "))
    report = department_samples(outcome.report, item.table, item.mapping, outcome.row_reasons)
    return BatchResult(item.table, item.mapping, good, quarantine, report, counts, good_parquet=encoded)


def build_batch(feed: Feed, delivery: Delivery) -> BatchResult:
    """Read and gate one file on its own (tests, benchmarks); raises FileRejected."""
    return gate_batches(feed, [read_batch(feed, delivery)])[0]


def _rows_of(values: pd.Series, rows: np.ndarray | None) -> pd.Series:
    """The rows at these positions, in order; all of them when `rows` is None.

    Why positions, not labels: `.loc` with a list of labels hashes the index, and a take
    of every row of an Arrow column copies it; a batch whose rows all pass needs neither.
    """
    return values if rows is None else values.iloc[rows]


def _metadata(delivery: Delivery, table: RawTable, rows: np.ndarray | None) -> dict[str, pa.Array]:
    n = len(table.source_rows) if rows is None else len(rows)
    return {
        # pa.repeat: one value n times, built in C++ (a Python list of n references was 0.1-0.5 s)
        "_batch_id": pa.repeat(pa.scalar(delivery.batch_id, pa.string()), n),
        "_extract_date": pa.repeat(pa.scalar(delivery.extract_date, pa.date32()), n),
        "_source_file": pa.repeat(pa.scalar(delivery.relative, pa.string()), n),
        "_source_row": pa.array(_rows_of(table.source_rows, rows).to_numpy(), type=pa.int64()),
    }


def _good_table(feed: Feed, delivery: Delivery, table: RawTable, mapping: HeaderMapping,
                normalised: dict[str, Normalised], rows: np.ndarray | None) -> pa.Table:
    """The raw zone's rows: `rows` are the passing rows' positions (None: every row passed)."""
    arrays = [_arrow_column(c, _rows_of(normalised[c.name].values, rows)) for c in feed.columns]
    meta = _metadata(delivery, table, rows)
    meta["_extra"] = _extra_json(table, mapping, rows)
    arrays += [meta[name] for name in RAW_METADATA_COLUMNS]
    return pa.Table.from_arrays(arrays, schema=feed.arrow_schema())


def _quarantine_headers(mapping: HeaderMapping) -> list[str]:
    """The delivered columns' names in a quarantine table: their display names, with `_` added
    to one that is a metadata column's name (or becomes another's) until it is not.

    Why: a file may deliver a column called `reasons` or `_source_row`; under its own name its
    cells took the place of the gate's reasons and the row numbers in the quarantine table.
    """
    names: list[str] = []
    used, delivered = set(QUARANTINE_METADATA), set(mapping.display)
    for header in mapping.display:
        name = header
        while name in used or (name != header and name in delivered):
            name += "_"
        used.add(name)
        names.append(name)
    return names


def _quarantine_schema(mapping: HeaderMapping) -> pa.Schema:
    """A quarantine table's columns: the metadata with the reasons, then every delivered column as text."""
    delivered = [(name, pa.string()) for name in _quarantine_headers(mapping)]
    return pa.schema([*QUARANTINE_METADATA.items(), *delivered])


def _quarantine_table(delivery: Delivery, table: RawTable, mapping: HeaderMapping,
                      reasons: pd.Series, rows: np.ndarray) -> pa.Table:
    """The quarantined rows (at positions `rows`) as delivered, with their reasons.

    Most files quarantine nothing: their empty table comes from the schema, without a pandas
    selection of no rows per delivered column (~0.1 ms each: ~6 % of a small file's ingestion).
    """
    if not len(rows):
        return _quarantine_schema(mapping).empty_table()
    meta = _metadata(delivery, table, rows)
    arrays = {name: meta[name] for name in QUARANTINE_METADATA if name in meta}
    arrays["reasons"] = pa.array(reasons.iloc[rows], type=pa.string(), from_pandas=True)
    ordered = {name: arrays[name] for name in QUARANTINE_METADATA}
    for position, name in enumerate(_quarantine_headers(mapping)):
        ordered[name] = pa.array(table.cells[str(position)].iloc[rows], type=pa.string(), from_pandas=True)
    return pa.table(ordered)


def quarantine_good_rows(result: BatchResult, delivery: Delivery, rows: np.ndarray,
                         reasons: list[str], check: dict) -> BatchResult:
    """Move rows that passed the gate (positions `rows` of `result.good`) to quarantine with reasons.

    For checks that need more than the file (`ingestion.same_day`): the quarantined rows are
    the delivered cells, as the gate's own, in source-row order, and the batch's report lists
    `check` as failed with their samples (`gate_reports.add_check_beyond_the_file`).
    """
    source_rows = result.good["_source_row"].to_numpy()[rows]
    positions = pd.Index(result.table.source_rows).get_indexer(source_rows)
    texts = no_texts(pd.RangeIndex(len(result.table.cells)))
    texts.iloc[positions] = reasons
    order = np.sort(positions)
    report = add_check_beyond_the_file(result.gate_report, check, order, result.table, result.mapping, texts,
                                       REPORT_SAMPLE)
    moved = _quarantine_table(delivery, result.table, result.mapping, texts, positions)
    keep = np.ones(result.good.num_rows, dtype=bool)
    keep[rows] = False
    quarantine = pa.concat_tables([result.quarantine, moved.cast(result.quarantine.schema)]) \
        if result.quarantine.num_rows else moved
    quarantine = quarantine.sort_by("_source_row")
    counts = result.reason_counts.copy()
    counts.update(reasons)
    return BatchResult(result.table, result.mapping, result.good.filter(pa.array(keep)), quarantine,
                       report, counts)


def reason_summary(counts: Counter) -> list[str]:
    """Ledger reasons for quarantined rows: each distinct reason with its row count."""
    return [f"{text} ({count} rows)" for text, count in counts.most_common()]



@dataclass
class StreamedResult:
    """A file gated chunk by chunk: its counts and report, its rows staged (not yet visible)."""

    encoding: str
    mapping: HeaderMapping
    rows_read: int
    good: ParquetStage  # every good row, in file order; `commit` makes it visible
    quarantine: ParquetStage  # every quarantined row (nothing written when none)
    key_count: int  # distinct keys of the good rows (completeness of a snapshot; 0 for events)
    gate_report: dict
    reason_counts: Counter

    def discard(self) -> None:
        self.good.discard()
        self.quarantine.discard()


def _spilled_keys(scratch: Path, number: int) -> Path:
    return scratch / f"keys-{number}.pickle"


def _spilled_chunk(scratch: Path, number: int) -> Path:
    return scratch / f"chunk-{number}.arrow"


def _load_keys(scratch: Path, number: int) -> dict[str, Normalised]:
    return pickle.loads(_spilled_keys(scratch, number).read_bytes())


def _key_pass(feed: Feed, stream: CsvStream, mapping: HeaderMapping, ctx: Context,
              scratch: Path) -> tuple[np.ndarray, list[int]]:
    """The first pass over a streamed file: `key_occurrences` over all its rows, and its chunk sizes.

    The file is read once: each chunk is spilled to `scratch` as read (`CsvStream.spill`),
    and the second pass reads the spilled chunks. Why not keep the keys: every row's
    normalised key (an ID, a month, an item) held GBs for a 13 M-row insurance delivery.
    Each chunk's normalised key columns are spilled too (the second pass reads them back
    instead of normalising them again) and reduced to a 64-bit hash per row (8 bytes a row
    in memory). Rows whose hash repeats (the repeated keys, and any hash collision) are then
    counted exactly on their key values, read back from the spill: a key repeated in two
    chunks fails as one repeated within a chunk does, and no other key fails.
    """
    hashes: list[np.ndarray] = []
    complete: list[np.ndarray] = []
    sizes: list[int] = []
    for number, chunk in enumerate(stream.chunks()):
        stream.spill(chunk, _spilled_chunk(scratch, number))
        normalised = normalise_columns(feed, {name: _raw_column(chunk, mapping, name) for name in feed.key},
                                       ctx)
        _spilled_keys(scratch, number).write_bytes(pickle.dumps(normalised, protocol=pickle.HIGHEST_PROTOCOL))
        chunk_hashes, chunk_complete = key_hashes(
            pd.DataFrame({name: column.values for name, column in normalised.items()}))
        hashes.append(chunk_hashes)
        complete.append(chunk_complete)
        sizes.append(len(chunk_hashes))
    hashed, full = np.concatenate(hashes), np.concatenate(complete)
    counts = np.where(full, 1.0, np.nan)
    candidates = repeated_rows(hashed, full)
    if len(candidates):
        starts = np.cumsum([0, *sizes])
        parts = []
        for number in np.unique(np.searchsorted(starts, candidates, side="right") - 1):
            start, stop = starts[number], starts[number + 1]
            mine = candidates[(candidates >= start) & (candidates < stop)] - start
            spilled = _load_keys(scratch, int(number))
            parts.append(pd.DataFrame({name: spilled[name].values.iloc[mine].reset_index(drop=True)
                                       for name in feed.key}))
        counts[candidates] = exact_occurrences(pd.concat(parts, ignore_index=True))
    return counts, sizes


def _merge_report(report: dict | None, part: dict) -> dict:
    """A chunk's report added to the file's: counts summed, samples kept from the first failing rows."""
    if report is None:
        return part
    for mine, theirs in zip(report["expectations"], part["expectations"], strict=True):
        mine["unexpected_count"] += theirs["unexpected_count"]
        mine["success"] = mine["success"] and theirs["success"]
        room = REPORT_SAMPLE - len(mine["sample_rows"])
        for name in ("sample_rows", "sample_values", "sample_reasons"):
            mine[name] += theirs[name][:max(room, 0)]
    report["rows"] += part["rows"]
    report["rows_failing"] += part["rows_failing"]
    report["success"] = report["success"] and part["success"]
    validation = report["validation"]
    validation["run_success"] = validation["run_success"] and part["validation"]["run_success"]
    return report


def _finish_report(report: dict) -> dict:
    """Percentages and GX's statistics of the whole file, from the summed counts."""
    rows = report["rows"]
    for expectation in report["expectations"]:
        count = expectation["unexpected_count"]
        expectation["unexpected_percent"] = round(100 * count / rows, 4) if rows else 0.0
    statistics = report["validation"]["statistics"]
    evaluated = len(report["expectations"])
    successful = sum(1 for e in report["expectations"] if e["success"])
    statistics.update(evaluated_expectations=evaluated, successful_expectations=successful,
                      unsuccessful_expectations=evaluated - successful,
                      success_percent=successful / evaluated * 100 if evaluated else None)
    return report


def stream_batch(feed: Feed, delivery: Delivery, stream: CsvStream, raw_final: Path, quarantine_final: Path,
                 check_rows: Callable[[int], None], scratch: Path) -> StreamedResult:
    """Read, normalise and gate a large CSV chunk by chunk, staging its raw and quarantine Parquet.

    Two passes over one read of the file: the key columns of every row (`_key_pass`), then
    each chunk whole: the gate frame (with the file's key counts), GX's validation with the
    feed's suite, and the chunk's good and quarantined rows appended to the staged files.
    `check_rows` sees the row count after the first pass (a control file's count) and raises
    FileRejected. `scratch` is a private folder for the first pass's spilled chunks and keys
    (the file itself is checked unchanged after reading: pipeline._read_unchanged). The staged files are
    discarded on any error; the caller commits or discards them. Raises
    streaming.NotStreamable (nothing staged) when the file must be read whole.
    """
    mapping = map_headers(feed, stream.headers)
    ctx = Context(extract_date=delivery.extract_date, file_format="csv")
    occurrences, sizes = _key_pass(feed, stream, mapping, ctx, scratch)
    rows = len(occurrences)
    check_rows(rows)
    good = ParquetStage(raw_final, feed.arrow_schema())
    quarantine = ParquetStage(quarantine_final)
    report: dict | None = None
    counts: Counter = Counter()
    keyed = 0  # good rows with every key part: unique in the file, or the gate had quarantined them
    partial_keys: list[pa.Table] = []  # good rows' keys with a part missing (counted by value)
    offset = 0
    try:
        for number, n in enumerate(sizes):
            chunk = stream.load(_spilled_chunk(scratch, number))
            known = _load_keys(scratch, number)
            _spilled_chunk(scratch, number).unlink()  # the chunk stays mapped until it is dropped
            _spilled_keys(scratch, number).unlink()
            normalised = normalise_all(feed, chunk, mapping, ctx, known)
            part = [BatchSlice(delivery.batch_id, delivery.extract_date, 0, n)]
            frame = gate_frame(feed, normalised, chunk.row_problems, part, occurrences[offset:offset + n])
            [outcome] = validate(feed, frame, part)
            result = _gated(feed, PreparedBatch(delivery, chunk, mapping, normalised), outcome)
            good.write(result.good)
            if result.quarantine.num_rows:
                quarantine.write(result.quarantine)
            if feed.kind == "snapshot":
                keys = result.good.select(list(feed.key))
                complete = complete_keys(feed, keys)
                keyed += pc.sum(complete).as_py() or 0
                partial_keys.append(keys.filter(pc.invert(complete)))
            counts.update(result.reason_counts)
            report = _merge_report(report, result.gate_report)
            offset += n
        if report is None:  # not reached: a stream yields at least one chunk
            raise FileRejected("no chunk of the file was read")
        key_total = keyed + (key_count(feed, pa.concat_tables(partial_keys)) if partial_keys else 0)
    except BaseException:
        good.discard()
        quarantine.discard()
        raise
    return StreamedResult(stream.encoding, mapping, rows, good, quarantine, key_total,
                          _finish_report(report), counts)

