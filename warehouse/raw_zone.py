"""The raw zone as the warehouse needs it: every feed readable, even when empty.

Why: each dbt source is `read_parquet('HOME/raw/<feed>/*.parquet')`, which fails when
a feed has no file yet. Ingestion writes a zero-row `_schema.parquet` per feed it
lands; the build makes sure one exists for every feed of the contracts, so a fresh
or partial raw zone still builds (empty staging tables, not an error).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from aidwatch.home import Home
from ingestion.contracts import load_feeds
from ingestion.delivery import Delivery
from ingestion.landing import clean_feed, feed_lock

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


@contextmanager
def recorded_raw_zone(home: Home) -> Iterator[list[Path]]:
    """Hold every feed's lock, with the raw zone cut back to the batches the ledger records.

    Yields the files removed: what killed ingestions left, batches without a ledger entry and
    temporary files (`clean_feed`). Why: a batch exists exactly when its ledger entry does
    (ingestion/landing.py), but each dbt source reads every Parquet file of its feed's folder.
    An ingestion killed between a batch's rename and its ledger entry leaves a file nobody
    recorded; the next ingestion of that feed removes it, yet a build can come first
    (`aidwatch build` on its own, or a run after the file left the inbox: its feed then has
    nothing new). And an ingestion running during the build would land batches that some
    models read and others do not. So the build reads the raw zone inside this block: each
    feed's lock taken in catalogue order (an ingestion holds one feed's lock and waits for
    no other, so the two cannot deadlock), then cleaned as an ingestion of it would be.
    """
    removed: list[Path] = []
    with ExitStack() as held:
        for feed_id in load_feeds():
            held.enter_context(feed_lock(home, feed_id))
            removed += clean_feed(home, feed_id)
        yield removed


def earliest_delivery(home: Home) -> date | None:
    """The earliest extract date of any department's batch in the raw zone (None: none yet).

    Read from the batch file names (the ledger's batch ids), so it costs no Parquet read.
    The officials' feedback is left out: aidwatch delivers it itself, dated as_of, before
    every build.
    """
    departmental = [feed.feed_id for feed in load_feeds().values() if not feed.from_workspace]
    dates = [day for feed_id in departmental for path in home.raw_feed(feed_id).glob("*.parquet")
             if (day := Delivery.extract_date_of_batch(path.stem)) is not None]
    return min(dates, default=None)
