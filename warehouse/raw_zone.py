"""The raw zone as the warehouse needs it: every feed readable, even when empty.

Why: each dbt source is `read_parquet('HOME/raw/<feed>/*.parquet')`, which fails when
a feed has no file yet. Ingestion writes a zero-row `_schema.parquet` per feed it
lands; the build makes sure one exists for every feed of the contracts, so a fresh
or partial raw zone still builds (empty staging tables, not an error).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from aidwatch.home import Home
from ingestion.contracts import load_feeds

SCHEMA_FILE = "_schema.parquet"


def ensure_schema_files(home: Home) -> list[Path]:
    """Write `raw/<feed>/_schema.parquet` (zero rows, contract schema) where missing."""
    written = []
    for feed in load_feeds().values():
        path = home.raw_feed(feed.feed_id) / SCHEMA_FILE
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".parquet.tmp")
        pq.write_table(feed.arrow_schema().empty_table(), tmp)
        tmp.replace(path)
        written.append(path)
    return written
