"""How many rows of a file share each row's natural key: the gate's `_key_occurrences` column.

Why hashes first: a key is usually unique, so counting every key exactly (a hash table of
every ID) is mostly wasted work. Each row's key is hashed by DuckDB (`key_hashes`); only
rows whose hash repeats (every repeated key, and the rare hash collision) are counted
exactly on their values (`exact_occurrences`). A streamed file keeps just these 8 bytes a
row between its chunks (ingestion.batch's key pass), so a key repeated in two chunks is
found as one repeated within a chunk is.

Measured (issue 14): pandas' `hash_pandas_object` of Arrow text took 0.14-0.22 CPU s per
400,000 IDs and Arrow's `dictionary_encode` 0.45-0.9 s per 2 M; DuckDB's `hash` takes
~0.01 s per 400,000.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.normalise import text_array


@cache
def _connection(pid: int) -> Any:
    """An in-memory DuckDB of this process (keyed by pid: a worker forked from it opens its own).

    One thread: ingestion runs a worker process per core already.
    """
    import duckdb  # imported here: only ingestion needs it at this point of a run

    return duckdb.connect(config={"threads": 1})


def _plain_arrow(values: pd.Series) -> pa.Array:
    """A key column as a plain Arrow array: a Categorical as its text, so that equal keys hash
    equally whether pandas holds them as a Categorical (normalised per distinct value) or not."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return text_array(values)
    if isinstance(values.dtype, pd.StringDtype):
        return pa.array(values, type=pa.string(), from_pandas=True)
    return pa.array(values, from_pandas=True)


def key_hashes(keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row, a 64-bit hash of its key (all of `keys`' columns), and whether every key part is present.

    A row with a missing key part is not counted (the hash is then meaningless): GX's
    compound uniqueness ignored such rows too (`any_value_is_missing`).
    """
    if keys.empty:  # no rows, or no key column
        return np.zeros(len(keys), dtype=np.uint64), np.zeros(len(keys), dtype=bool)
    arrays = [_plain_arrow(keys[name]) for name in keys.columns]
    names = [f"k{number}" for number in range(len(arrays))]
    complete = np.logical_and.reduce([np.asarray(pc.is_valid(a), dtype=bool) for a in arrays])
    table = pa.table(dict(zip(names, arrays, strict=True)))
    relation = _connection(os.getpid()).from_arrow(table).select(f"hash({', '.join(names)}) as h")
    hashes = relation.fetchnumpy()["h"]
    return np.asarray(hashes, dtype=np.uint64), complete


#: Up to this many hashes pandas' `duplicated` (a hash table, while it stays in the caches)
#: finds the repeated ones; above, a sort. Measured on random 64-bit hashes, CPU ms:
#: 261k 8 against 13, 400k 11 against 19, 700k 33 against 34, 1 M 59 against 52, 2 M 195 against 110.
HASH_TABLE_MAX_ROWS = 500_000


def repeated_rows(hashes: np.ndarray, complete: np.ndarray) -> np.ndarray:
    """Positions of the complete rows whose hash another complete row shares.

    A file whose keys are all distinct (the usual case) needs nothing more. A hash table up to
    `HASH_TABLE_MAX_ROWS` (a whole file read at once, a streamed file's chunk), a sort above
    (the key pass over a streamed file's every row).
    """
    rows = np.flatnonzero(complete)
    kept = hashes[rows]
    if len(kept) <= HASH_TABLE_MAX_ROWS:
        return rows[pd.Series(kept).duplicated(keep=False).to_numpy()]
    ordered = np.sort(kept)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    return rows[np.isin(kept, repeated)] if len(repeated) else rows[:0]


#: Below this many rows the exact count is cheaper than a query (DuckDB's ~1.5 ms a call).
HASHED_FROM_ROWS = 50_000


def key_occurrences(keys: pd.DataFrame) -> np.ndarray:
    """Per row, how many rows share its key (all key columns equal); NaN when a key part is missing."""
    if len(keys) < HASHED_FROM_ROWS:
        return exact_occurrences(keys)
    hashes, complete = key_hashes(keys)
    counts = np.where(complete, 1.0, np.nan)
    candidates = repeated_rows(hashes, complete)
    if len(candidates):
        counts[candidates] = exact_occurrences(keys.iloc[candidates].reset_index(drop=True))
    return counts


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Per row, a number for its value (equal values, equal numbers; -1 when missing), and how many.

    A Categorical has them already (its categories are distinct: `normalise._spread`);
    Arrow text is dictionary-encoded by Arrow (cheaper than pandas' factorize of it).
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype(np.int64), len(values.cat.categories)
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        arrow = pa.array(values, type=pa.string(), from_pandas=True)
        if isinstance(arrow, pa.ChunkedArray):
            arrow = arrow.combine_chunks()
        encoded = pc.dictionary_encode(arrow)
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, len(encoded.dictionary)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), len(uniques)


def exact_occurrences(keys: pd.DataFrame) -> np.ndarray:
    """`key_occurrences` by the key values themselves (for the few rows whose hash repeats).

    Columns are factorised one by one (missing = -1) and their codes combined, as pandas'
    `duplicated` does.
    """
    codes: np.ndarray | None = None
    complete: np.ndarray | None = None
    for name in keys.columns:
        column_codes, distinct = _codes(keys[name])
        if codes is None or complete is None:
            codes, complete = column_codes, column_codes >= 0
        else:
            complete &= column_codes >= 0
            codes = np.where(complete, codes * distinct + column_codes, -1)
            codes = pd.factorize(codes)[0].astype(np.int64, copy=False)  # keep the codes small
    counts = np.full(len(keys), np.nan)
    if codes is None or complete is None or not complete.any():
        return counts
    if complete.all():
        return np.bincount(codes)[codes].astype("float64")
    kept = codes[complete]
    counts[complete] = np.bincount(kept)[kept]
    return counts
