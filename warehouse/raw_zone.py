"""The raw zone as the warehouse needs it: every feed readable, even when empty.

Why: each dbt source is `read_parquet('HOME/raw/<feed>/*.parquet')`, which fails when
a feed has no file yet. Ingestion writes a zero-row `_schema.parquet` per feed it
lands; the build makes sure one exists for every feed of the contracts, so a fresh
or partial raw zone still builds (empty staging tables, not an error).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pyarrow.parquet as pq

from aidwatch.home import Home
from ingestion.contracts import load_feeds

SCHEMA_FILE = "_schema.parquet"
#: A raw batch file: <feed_id>__<YYYYMMDD extract date>__<sha256 prefix>[__<suffix>].parquet
_BATCH_DATE = re.compile(r"__(\d{8})__[0-9a-f]+(?:__[0-9a-f]+)?\.parquet$")


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


def earliest_delivery(home: Home) -> date | None:
    """The earliest extract date of any department's batch in the raw zone (None: none yet).

    Read from the batch file names (the ledger's batch ids), so it costs no Parquet read.
    The officials' feedback is left out: aidwatch delivers it itself, dated as_of, before
    every build.
    """
    departmental = [feed.feed_id for feed in load_feeds().values() if not feed.from_workspace]
    dates = [match.group(1) for feed_id in departmental for path in home.raw_feed(feed_id).glob("*.parquet")
             if (match := _BATCH_DATE.search(path.name))]
    return datetime.strptime(min(dates), "%Y%m%d").date() if dates else None
