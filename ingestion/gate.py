"""The data-quality gate: every batch is validated by its feed's Great Expectations suite.

The split between Python and GX, and why:
- The normaliser (ingestion.normalise) reads each cell as its contract type, vectorised.
  It knows *why* a cell failed (check digit, impossible date, ...), so it writes that
  text into a `<column>__error` helper column of the gate frame, next to the normalised
  values. It quarantines nothing by itself.
- GX validates the gate frame with the committed suite (expectations/<feed_id>.json,
  generated from the contract): required not-null, readable types (error column null),
  enum membership, no negative money unless allowed, no dates after the extract date
  (a suite parameter set per batch), key unique within the file (`_key_occurrences`), and the feed's
  cross-column row checks. The COMPLETE result format gives each failed expectation's
  row indexes; the row reasons, and hence which rows go to quarantine, are assembled
  from that result only. The same result is written as the batch's gate report.
- GX starts slowly (seconds to import); each process builds one ephemeral context and
  one suite object per feed and reuses them for every batch.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ingestion.contracts import Feed
from ingestion.gx_configurations import configurations_built_once
from ingestion.gx_domains import domains_narrowed
from ingestion.gx_ids import ids_made_quickly
from ingestion.gx_import import import_great_expectations
from ingestion.key_counts import key_occurrences
from ingestion.normalise import (
    ID_GENDERS,
    STR_TYPES,
    Normalised,
    dictionary_codes,
    id_fact_series,
    id_facts,
    money_cents,
    no_texts,
    text_series,
)
from ingestion.suites import (
    BATCH_ID,
    DAYS_AFTER_EXTRACT,
    KEY_OCCURRENCES,
    LOWEST_AMOUNT,
    READ_ERRORS,
    ROW_PROBLEM,
    SECONDS_AFTER_EXTRACT,
    dated_columns,
    error_column,
    id_birth_date_column,
    id_gender_column,
    load_suite,
    non_negative_money,
    sum_difference_column,
)

log = logging.getLogger(__name__)

#: How many failing values a stored report keeps per expectation (the full lists are huge).
REPORT_SAMPLE = 20

#: GX's COMPLETE result: every failing row's index, which the row reasons are built from.
#: Not the failing rows themselves, nor the "unexpected index query": GX's text of a pandas
#: filter listing the same indexes, built by filtering the whole gate frame once more per
#: expectation (~3 % of a large file's ingest CPU) and read by nothing here.
RESULT_FORMAT = {"result_format": "COMPLETE", "include_unexpected_rows": False,
                 "return_unexpected_index_query": False}


class GateError(RuntimeError):
    """GX could not evaluate an expectation on a batch (a broken suite, not bad data)."""


@dataclass(frozen=True)
class BatchSlice:
    """Where one batch's rows lie in a (possibly multi-batch) gate frame."""

    batch_id: str
    extract_date: dt.date
    start: int
    stop: int


@dataclass
class GateOutcome:
    """What the gate decided for one batch."""

    success: bool
    row_reasons: pd.Series  # per row of the batch: '; '-joined reasons, null when the row passed
    report: dict  # the batch's part of the validation result, trimmed for storage


@cache
def _batch_definition() -> Any:
    """The process's GX batch definition, built once."""
    return _build_batch_definition()


def _build_batch_definition() -> Any:
    """One ephemeral GX context per process, with a pandas data frame asset (no disk, no network)."""
    gx = import_great_expectations()
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every in-memory batch by hashing all its cells (a batch marker we never
    # use; about a second per 250k rows). Our batch id is the file's sha256 already.
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas("ingestion_gate")
    asset = source.add_dataframe_asset("batch")
    return asset.add_batch_definition_whole_dataframe("whole_batch")


@cache
def _suite(feed_id: str) -> Any:
    from great_expectations.core.expectation_suite import ExpectationSuite

    raw = load_suite(feed_id)
    return ExpectationSuite(name=raw["name"], expectations=raw["expectations"], meta=raw.get("meta"))


def warm_up() -> None:
    """Import GX and build the context now (e.g. before a timed loop or before forking workers).

    Importing it in a background thread while the first file is read was measured and not
    kept: on this 2-core machine, quiet, three alternating cold runs of one 261k-row file took
    5.25 s (median) with the thread against 4.87 s without (GX's import is Python work that
    holds the GIL, and contends with the reading).
    """
    _batch_definition()


def _joined(parts: list[pd.Series], index: pd.Index) -> pd.Series:
    """Per row, the non-null texts of `parts` joined with '; ' (null when none)."""
    acc = no_texts(index)
    for part in parts:
        if part.notna().any():  # most columns of most batches have nothing to say
            acc = acc.where(part.isna(), acc.where(acc.isna(), acc + "; ").fillna("") + part)
    return acc


def _flagged(values: pd.DataFrame, bad: pd.DataFrame, text: str) -> pd.Series:
    return _joined([pd.Series(f"{c}: {text}", index=values.index, dtype="str").where(bad[c])
                    for c in values.columns if bad[c].any()], values.index)


def _as_float(values: pd.Series) -> pd.Series:
    """Canonical money text -> float64 (NaN where null); a Categorical converts its categories only."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    numbers = pd.to_numeric(pd.Series(values.cat.categories), errors="coerce").to_numpy(dtype="float64")
    spread = np.append(numbers, np.nan)[values.cat.codes.to_numpy()]  # code -1 (null) -> the NaN
    return pd.Series(spread, index=values.index, dtype="float64")


def _per_row(batches: list[BatchSlice], values: list[Any], dtype: str) -> np.ndarray:
    """Each batch's value repeated over its rows."""
    return np.repeat(np.array(values, dtype=dtype), [b.stop - b.start for b in batches])


def gate_frame(feed: Feed, columns: dict[str, Normalised], row_problems: pd.Series,
               batches: list[BatchSlice], occurrences: np.ndarray | None = None) -> pd.DataFrame:
    """The frame GX validates: normalised values (or, for a text column the suite checks only
    for presence, its presence: `_cheap_to_filter`), error texts, derived check columns.

    `batches` say where each file's rows lie (one batch, or several small files of a feed
    normalised together); keys are counted within each batch, and dates are compared with
    the row's own extract date. `occurrences` (`key_occurrences` over the whole file) is
    given when the one batch is a chunk of a file.
    """
    index = pd.RangeIndex(len(row_problems))
    batch_codes = _per_row(batches, list(range(len(batches))), "int32")
    data: dict[str, pd.Series] = {
        # One value per file: a Categorical, so GX's filters do not copy the text per row.
        BATCH_ID: pd.Series(pd.Categorical.from_codes(
            batch_codes, categories=pd.Index([b.batch_id for b in batches], dtype="str")), index=index),
        ROW_PROBLEM: row_problems.set_axis(index),
    }
    errors = []
    for column in feed.columns:
        normalised = columns[column.name]
        values = normalised.values.set_axis(index)
        if column.type == "money":
            values = _as_float(values)
        data[column.name] = values
        data[error_column(column.name)] = normalised.errors.set_axis(index)
        if data[error_column(column.name)].notna().any():  # most columns have no error to prefix
            errors.append(column.name + ": " + text_series(data[error_column(column.name)]))
    data[READ_ERRORS] = _joined(errors, index)
    if occurrences is None:
        keys = {k: data[k] for k in feed.key}
        if len(batches) > 1:  # a key is unique within its file: the batch is part of it
            keys[BATCH_ID] = pd.Series(batch_codes, index=index)
        occurrences = key_occurrences(pd.DataFrame(keys, index=index))
    data[KEY_OCCURRENCES] = pd.Series(occurrences, index=index, dtype="float64")
    if len(batches) == 1:
        day: pd.Timestamp | pd.Series = pd.Timestamp(batches[0].extract_date)
    else:
        day = pd.Series(_per_row(batches, [b.extract_date for b in batches], "datetime64[D]"),
                        index=index).astype("datetime64[s]")
    end = day + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    ranges = (
        (LOWEST_AMOUNT, non_negative_money(feed), lambda v: v.min(axis=1),
         lambda v: v < 0, "negative amount not allowed"),
        (DAYS_AFTER_EXTRACT, dated_columns(feed, ("date", "month")),
         lambda v: (v.max(axis=1) - day) / pd.Timedelta(days=1),
         lambda v: v.gt(day, axis=0), "date after the extract date"),
        (SECONDS_AFTER_EXTRACT, dated_columns(feed, ("timestamp",)),
         lambda v: (v.max(axis=1) - end) / pd.Timedelta(seconds=1),
         lambda v: v.gt(end, axis=0), "time after the extract date"),
    )
    for name, names, extreme, is_bad, text in ranges:
        if names:
            values = pd.DataFrame({c: data[c] for c in names}, index=index)
            data[name] = extreme(values).astype("float64")
            data[f"{name}__detail"] = _flagged(values, is_bad(values).fillna(False).astype(bool), text)
    for check in feed.row_checks:
        if check["check"] == "sum_equals":
            total = money_cents(columns[check["column"]].values).set_axis(index)
            parts = sum(money_cents(columns[p].values).set_axis(index).fillna(0) for p in check["parts"])
            # float64: GX compares numpy numbers vectorised, nullable Int64 one by one.
            data[sum_difference_column(check)] = (total - parts).astype("float64")
        elif check["check"] == "agrees_with_id":
            ids = columns[check["id_column"]]
            stated = data[check["gender"]]
            if ids.id_facts is None:
                facts = id_facts(ids.values.set_axis(index))
            elif isinstance(stated.dtype, pd.CategoricalDtype):
                # GX compares the pair row by row: two Categoricals of the same categories compare
                # their codes, a Categorical and text arrays of Python objects (7.5 ms per 261k rows)
                categories = stated.cat.categories.union(pd.Index(ID_GENDERS, dtype="str"))
                data[check["gender"]] = stated.cat.set_categories(categories)
                facts = id_fact_series(ids.id_facts, index, categories)
            else:
                facts = id_fact_series(ids.id_facts, index)
            data[id_gender_column(check)], data[id_birth_date_column(check)] = facts
    helpers = {ROW_PROBLEM, READ_ERRORS} | {error_column(c.name) for c in feed.columns} | {
        name for name in data if name.endswith("__detail")}
    presence_only = set(feed.column_names) - _values_read(feed.feed_id)
    return pd.DataFrame({name: _cheap_to_filter(values, name in helpers, name in presence_only)
                         for name, values in data.items()}, index=index)


#: Expectations that read whether a cell holds a value, not which value it holds.
PRESENCE_CHECKS = frozenset({"expect_column_values_to_not_be_null", "expect_column_values_to_be_null"})


@cache
def _values_read(feed_id: str) -> frozenset[str]:
    """The columns whose values some expectation of the feed's suite reads (value sets, ranges,
    pairs): everything but a presence check. Read from the committed suite the gate runs, so an
    expectation added there on a column's values gets them."""
    return frozenset(column for expectation in load_suite(feed_id)["expectations"]
                     if expectation["type"] not in PRESENCE_CHECKS
                     for column in _checked_columns(expectation["kwargs"]))


#: A helper text column with values in at most this share of its rows becomes a Categorical.
SPARSE_SHARE = 0.1

#: The one category of a presence column (`_presence`).
PRESENT = "present"


def _categorical(codes: np.ndarray, categories: list[str], index: pd.Index) -> pd.Series:
    """A Categorical Series of text `categories`; code -1 is null."""
    categorical = pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype="str"))
    return pd.Series(categorical, index=index)


def _presence(values: pd.Series) -> pd.Series:
    """A column as its presence: a Categorical of one category, null where `values` is null."""
    return _categorical(np.where(values.isna().to_numpy(), -1, 0).astype(np.int8), [PRESENT], values.index)


def _cheap_to_filter(values: pd.Series, helper: bool, presence_only: bool) -> pd.Series:
    """A text column as a Categorical where GX needs no more: its presence when the suite only
    checks that (`presence_only`), nothing when it is empty, a helper column with few values.

    Why: GX filters the whole gate frame once per metric (~100 filters per file), and each
    filter copies every Arrow string column; a Categorical's filter moves one byte per row.
    A contract text column the suite checks only for presence (`name`, `hukou_no`, an ID,
    whose reading is judged by its error column) went to GX as its text: a quarter of
    a 261k-row hukou file's validation (0.31 -> 0.24 CPU s). Its failing rows are null
    either way, so its report samples are too. The usual helper column (an error text, the
    row problems, the joined reasons) is empty or names a few rows. Columns GX compares
    pairwise are not helpers: a Categorical compared with a Categorical of other categories
    raises. Nothing else reads the frame's values of these columns (the raw and quarantine
    tables come from the normalised columns).
    """
    if not isinstance(values.dtype, pd.StringDtype):
        return values
    if presence_only:
        return _presence(values)
    filled = int(values.notna().sum())
    if filled == 0:
        return _categorical(np.full(len(values), -1, dtype=np.int8), [], values.index)
    if not helper or filled > SPARSE_SHARE * len(values):
        return values
    codes, texts = dictionary_codes(values)
    return _categorical(codes, texts.to_pylist(), values.index)


def _trim(value: Any) -> Any:
    """Make a result JSON-able and small: long lists cut to a sample."""
    if isinstance(value, dict):
        return {k: _trim(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_trim(v) for v in value[:REPORT_SAMPLE]]
    if isinstance(value, pd.Timestamp | dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, float):
        return None if value != value else value
    return str(value)


def _checked_columns(kwargs: dict) -> list[str]:
    names = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    return names + [c for c in kwargs.get("column_list", []) if c != BATCH_ID]


def validate(feed: Feed, frame: pd.DataFrame, slices: list[BatchSlice]) -> list[GateOutcome]:
    """Run the feed's suite once on a frame of one or more batches; split the result per batch.

    The row reasons (and so the quarantine) come from each failed expectation's row indexes.
    """
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    # GX's bookkeeping once per expectation; a column pair's rows copied without the other
    # columns; metric IDs without GX's long way round for None and text
    with configurations_built_once(), domains_narrowed(), ids_made_quickly():
        result = batch.validate(_suite(feed.feed_id), result_format=RESULT_FORMAT)
    found: list[pd.DataFrame] = []
    checks: list[tuple[Any, dict, np.ndarray]] = []
    for order, item in enumerate(result.results):
        config = item.expectation_config
        meta = config.meta or {}
        exception = item.exception_info or {}
        if exception.get("raised_exception"):
            raise GateError(f"{feed.feed_id}: {config.type} on {meta.get('column')}: "
                            f"{exception.get('exception_message')}")
        outcome = item.result or {}
        failing = np.array([], dtype=np.int64)
        if not item.success:
            if config.type == "expect_table_columns_to_match_set":
                raise GateError(f"{feed.feed_id}: gate frame lacks contract columns: {outcome}")
            failing = np.asarray(outcome.get("unexpected_index_list") or [], dtype=np.int64)
        checks.append((config, meta, failing))
        if meta.get("skip_when"):
            failing = failing[frame[meta["skip_when"]].isna().to_numpy()[failing]]
        if not len(failing):
            continue
        if meta.get("reason_from"):
            texts = frame[meta["reason_from"]].to_numpy(dtype=object)[failing]
        else:
            texts = np.full(len(failing), meta["reason"], dtype=object)
        prefix = f"{meta['column']}: " if meta["column"] else ""
        found.append(pd.DataFrame({"row": failing, "order": order,
                                   "text": prefix + pd.Series(texts, dtype="str")}))
    reasons: dict[int, str] = {}
    if found:
        # Most failing rows have one reason; a plain loop over the flat arrays beats a groupby.
        table = pd.concat(found, ignore_index=True).sort_values(["row", "order"], kind="stable")
        for row, text in zip(table["row"].tolist(), table["text"].tolist(), strict=True):
            reasons[row] = f"{reasons[row]}; {text}" if row in reasons else text
    all_reasons = _spread_texts(reasons, len(frame))
    return [_batch_outcome(feed, frame, s, checks, all_reasons, result) for s in slices]


def _spread_texts(texts: dict[int, str], rows: int) -> pd.Series:
    """A str Series of `rows` rows: `texts` at their rows, null elsewhere.

    Built in Arrow (a take with null indices): a Python list with a None per passing row
    cost ~25 ms per 261k rows to convert.
    """
    positions = np.full(rows, -1, dtype=np.int64)
    positions[np.fromiter(texts, dtype=np.int64, count=len(texts))] = np.arange(len(texts))
    spread = pa.array(list(texts.values()), type=pa.string()).take(pa.array(positions, mask=positions < 0))
    return pd.Series(spread.to_pandas(types_mapper=STR_TYPES.get).array, dtype="str")


def _batch_outcome(feed: Feed, frame: pd.DataFrame, part: BatchSlice, checks: list, reasons: pd.Series,
                   result: Any) -> GateOutcome:
    rows = part.stop - part.start
    expectations = []
    for config, meta, failing in checks:
        mine = failing[(failing >= part.start) & (failing < part.stop)]
        sample = mine[:REPORT_SAMPLE]
        columns = [c for c in _checked_columns(config.kwargs) if c in frame.columns]
        values = frame.iloc[sample][columns].to_dict("records") if columns and len(sample) else []
        expectations.append({
            "expectation": config.type,
            "kwargs": _trim({k: v for k, v in config.kwargs.items() if k != "batch_id"}),
            "column": meta.get("column"),
            "reason": meta.get("reason"),
            "success": not len(mine),
            "unexpected_count": int(len(mine)),
            "unexpected_percent": round(100 * len(mine) / rows, 4) if rows else 0.0,
            "sample_rows": (sample - part.start).tolist(),
            "sample_values": _trim(values),
        })
    batch_reasons = reasons.iloc[part.start:part.stop].reset_index(drop=True)
    success = all(e["success"] for e in expectations)
    report = {
        "batch_id": part.batch_id,
        "feed_id": feed.feed_id,
        "suite": _suite(feed.feed_id).name,
        "extract_date": part.extract_date.isoformat(),
        "success": success,
        "rows": rows,
        "rows_failing": int(batch_reasons.notna().sum()),
        "expectations": expectations,
        "validation": {
            "great_expectations_version": _gx_version(),
            "run_success": bool(result.success),
            "statistics": _trim(dict(result.statistics)),
            "batches_in_run": int(frame[BATCH_ID].nunique()) if len(frame) else 0,
        },
        # rewritten by ingestion.gate_reports.department_samples into the file's rows (from 1)
        "note": "sample_rows are 0-based positions in the batch; see the quarantine Parquet for every row",
    }
    return GateOutcome(success=success, row_reasons=batch_reasons, report=report)


@cache
def _gx_version() -> str:
    import great_expectations as gx

    return str(gx.__version__)
