"""Write small raw-zone batches for warehouse tests, exactly as ingestion lands them.

Why: the warehouse tests need hand-made cases (a correction, a bad enum, two
extract dates) independent of the simulator; the batches use the contracts' own
Arrow schema, so they are what `dbt build` meets in production. Each gets its ledger
entry, as ingestion writes one last: a build removes batches without one (left by a
killed ingestion, warehouse.raw_zone.recorded_raw_zone).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from aidwatch.home import Home
from ingestion.contracts import get_feed
from ingestion.landing import write_ledger


def write_batch(home: Home, feed_id: str, extract_date: date, rows: list[dict]) -> Path:
    """Land `rows` (contract column -> Python value) as one raw batch of `feed_id`."""
    feed = get_feed(feed_id)
    digest = hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()
    batch_id = f"{feed_id}__{extract_date:%Y%m%d}__{digest[:12]}"
    records = []
    for number, row in enumerate(rows, start=1):
        unknown = set(row) - set(feed.column_names)
        if unknown:
            raise KeyError(f"{feed_id} has no column(s) {sorted(unknown)}")
        record = {name: row.get(name) for name in feed.column_names}
        record.update(
            _batch_id=batch_id,
            _extract_date=extract_date,
            _source_file=f"{feed_id}/{feed_id}_{extract_date:%Y%m%d}.csv",
            _source_row=number,
            _extra=None,
        )
        records.append(record)
    table = pa.Table.from_pylist(records, schema=feed.arrow_schema())
    path = home.raw_feed(feed_id) / f"{batch_id}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    write_ledger(home, {
        "batch_id": batch_id, "feed_id": feed_id, "file": f"{feed_id}/{feed_id}_{extract_date:%Y%m%d}.csv",
        "sha256": digest, "extract_date": extract_date.isoformat(), "format": "csv", "status": "loaded",
        "rows_read": len(rows), "rows_loaded": len(rows), "rows_quarantined": 0, "rows_held": 0,
        "reasons": [], "warnings": [], "started_at": now, "finished_at": now,
    })
    return path
