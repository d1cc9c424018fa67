"""Event records delivered twice on one extract date with different values.

Why: an event feed's later delivery of a key corrects it, and "later" is the extract date.
Two files of one extract date that carry one key with different values (a correction sent
under the same date as the original) leave the warehouse no way to tell which is the
correction: staging would keep the version with the greater batch id, that is, whichever
file's sha256 sorts last. Such rows of the second file are quarantined, naming the first
file, so the department sends its correction under a later extract date. Rows that repeat a
key with the same values are harmless and load.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion.contracts import Feed

ROW = "__row"


def differing_versions(feed: Feed, good: pa.Table,
                       earlier: dict[str, Path]) -> tuple[np.ndarray, dict[int, str]]:
    """Positions of `good`'s rows whose key an earlier batch of the same date holds with other values.

    `earlier`: file name (as the ledger names it) -> that batch's raw Parquet. Returns the
    positions and, for each, the file it disagrees with (the first such file).
    """
    columns = list(feed.column_names)
    found: dict[int, str] = {}
    mine = good.select(columns).append_column(ROW, pa.array(np.arange(good.num_rows), pa.int64()))
    for name, path in earlier.items():
        present = set(pq.read_schema(path).names)  # a batch landed before a column joined the contract
        if not set(feed.key) <= present:
            continue
        theirs = pq.read_table(path, columns=[c for c in columns if c in present])
        suffix = "__earlier"
        joined = mine.join(theirs, keys=list(feed.key), join_type="inner", right_suffix=suffix,
                           coalesce_keys=True)
        if joined.num_rows == 0:
            continue
        differ = pa.array(np.zeros(joined.num_rows, dtype=bool))
        for column in columns:
            if column in feed.key or column not in present:
                continue
            a, b = joined[column], joined[column + suffix]
            unequal = pc.fill_null(pc.not_equal(a, b), False)
            one_null = pc.xor(pc.is_null(a), pc.is_null(b))
            differ = pc.or_(differ, pc.or_(unequal, one_null))
        for row in joined.filter(differ)[ROW].to_pylist():
            found.setdefault(row, name)
    return np.array(sorted(found), dtype=np.int64), found
