"""Ingestion entry points (the CLI and the Airflow DAG call these; signatures per docs/design.md).

- `pending_feeds(inbox, home)`: feeds with files whose sha256 is not yet in the ledger.
- `ingest_feed(feed_id, inbox, home)`: every new file of one feed; returns this call's ledger entries.
- `ingest_inbox(inbox, home, workers=2)`: every feed, feeds in parallel processes.

Why feeds are the unit of parallelism: a feed's files share one raw/quarantine folder and
its ledger entries share a prefix, so one process per feed never races another (a file
lock per feed makes that hold even if two schedulers overlap). Within a feed, files are
ingested in name order so that "which copy is the duplicate" is deterministic.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from queue import Empty
from typing import Any

from aidwatch.home import Home
from ingestion.batch import BatchResult, PreparedBatch, gate_batches, prepare_batch, reason_summary
from ingestion.contracts import Feed, get_feed, load_feeds
from ingestion.delivery import Delivery, describe, feed_files
from ingestion.gate import GateError, report_html, warm_up
from ingestion.landing import (
    clean_feed,
    ensure_feed_folder,
    feed_lock,
    read_ledger,
    write_atomic_bytes,
    write_atomic_parquet,
    write_ledger,
)
from ingestion.readers import FileRejected, file_format

log = logging.getLogger(__name__)

FileCallback = Callable[[dict], None]

#: Rows of consecutive files validated in one GX run (bounded so memory stays small).
GATE_GROUP_ROWS = 200_000


def _entry(delivery: Delivery, batch_id: str, started: str) -> dict:
    try:
        fmt: str | None = file_format(delivery.path)
    except FileRejected:
        fmt = None
    return {
        "batch_id": batch_id,
        "feed_id": delivery.feed_id,
        "file": delivery.relative,
        "sha256": delivery.sha256,
        "size_bytes": delivery.size_bytes,
        "extract_date": delivery.extract_date.isoformat(),
        "encoding": None,
        "format": fmt,
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_quarantined": 0,
        "status": None,
        "reasons": [],
        "extra_columns": [],
        "started_at": started,
        "finished_at": None,
    }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _rejected(delivery: Delivery, home: Home, started: str, reason: str) -> dict:
    entry = _entry(delivery, delivery.batch_id, started)
    entry.update(status="rejected", reasons=[reason], finished_at=_now())
    log.warning("%s: rejected %s: %s", delivery.feed_id, delivery.relative, reason)
    write_ledger(home, entry)
    return entry


def _land(result: BatchResult, delivery: Delivery, home: Home, started: str) -> dict:
    """Write one gated batch: quarantine, raw, gate report, then (last) its ledger entry."""
    feed_id, batch_id = delivery.feed_id, delivery.batch_id
    quarantined = result.quarantine.num_rows
    if quarantined:
        write_atomic_parquet(home.quarantine / feed_id / f"{batch_id}.parquet", result.quarantine)
    write_atomic_parquet(home.raw_feed(feed_id) / f"{batch_id}.parquet", result.good)
    report_json = home.gate_reports / f"{batch_id}.json"
    write_atomic_bytes(report_json, json.dumps(result.gate_report, ensure_ascii=False, indent=1).encode())
    write_atomic_bytes(report_json.with_suffix(".html"), report_html(result.gate_report).encode("utf-8"))
    entry = _entry(delivery, batch_id, started)
    entry.update(
        encoding=result.table.encoding,
        format=result.table.file_format,
        rows_read=result.rows_read,
        rows_loaded=result.good.num_rows,
        rows_quarantined=quarantined,
        status="loaded_with_quarantine" if quarantined else "loaded",
        reasons=reason_summary(result.reason_counts),
        extra_columns=list(result.mapping.extras),
        finished_at=_now(),
    )
    if entry["rows_read"] != entry["rows_loaded"] + entry["rows_quarantined"]:
        raise RuntimeError(f"{delivery.relative}: rows read != loaded + quarantined: {entry}")
    write_ledger(home, entry)
    return entry


def _gate_and_land(feed: Feed, group: list[tuple[PreparedBatch, str]], home: Home) -> list[dict]:
    try:
        results = gate_batches(feed, [prepared for prepared, _ in group])
    except GateError as exc:
        log.error("%s: gate error: %s", feed.feed_id, exc)
        return [_rejected(p.delivery, home, started, f"gate could not validate the file: {exc}")
                for p, started in group]
    return [_land(result, prepared.delivery, home, started)
            for result, (prepared, started) in zip(results, group, strict=True)]


def _duplicate_entry(delivery: Delivery, original: dict, home: Home) -> dict:
    entry = _entry(delivery, f"{delivery.batch_id}__dup", _now())
    entry.update(
        status="duplicate",
        reasons=[f"duplicate: same content (sha256) as {original['file']} (batch {original['batch_id']})"],
        finished_at=_now(),
    )
    write_ledger(home, entry)
    return entry


def _new_deliveries(feed_id: str, inbox: Path, home: Home) -> tuple[list[Delivery], dict[str, dict]]:
    """Files of a feed not yet recorded (by path and sha256), and the ledger by sha256.

    The same bytes are ingested once (feeds.md), whatever the file name or extract date: a
    later copy is recorded as `duplicate` (with its own extract date, so feed-health checks
    still see that a delivery arrived).
    """
    ledger = read_ledger(home, feed_id)
    recorded = {(e["file"], e["sha256"]) for e in ledger}
    by_sha = {e["sha256"]: e for e in ledger if e["status"] != "duplicate"}
    inbox = inbox.resolve()
    new = []
    for path in feed_files(inbox, feed_id):
        delivery = describe(inbox, feed_id, path)
        if (delivery.relative, delivery.sha256) not in recorded:
            new.append(delivery)
    return new, by_sha


def pending_feeds(inbox: Path, home: Home) -> list[str]:
    """Feeds (in catalogue order) with at least one file whose sha256 is not yet in the ledger."""
    return [feed_id for feed_id in load_feeds() if _new_deliveries(feed_id, Path(inbox), home)[0]]


def ingest_feed(feed_id: str, inbox: Path, home: Home, on_file: FileCallback | None = None) -> list[dict]:
    """Ingest every new file of one feed; returns the ledger entries written by this call.

    Files are read one by one; up to GATE_GROUP_ROWS rows of consecutive files are validated
    by GX together (its cost is mostly per run, not per row), then each file lands alone.
    """
    feed = get_feed(feed_id)
    entries: list[dict] = []

    def done(new: list[dict]) -> None:
        entries.extend(new)
        for entry in new:
            if on_file is not None:
                on_file(entry)

    with feed_lock(home, feed_id):
        removed = clean_feed(home, feed_id)
        if removed:
            log.warning("%s: removed %d leftover files of an interrupted run", feed_id, len(removed))
        ensure_feed_folder(home, feed)
        deliveries, by_sha = _new_deliveries(feed_id, Path(inbox), home)
        group: list[tuple[PreparedBatch, str]] = []
        for delivery in deliveries:
            fingerprint = delivery.sha256
            original = by_sha.get(fingerprint)
            if original is not None:
                done([_duplicate_entry(delivery, original, home)])
                continue
            by_sha[fingerprint] = {"file": delivery.relative, "batch_id": delivery.batch_id}
            started = _now()
            try:
                prepared = prepare_batch(feed, delivery)
            except FileRejected as exc:
                done([_rejected(delivery, home, started, str(exc))])
                continue
            group.append((prepared, started))
            if sum(p.rows for p, _ in group) >= GATE_GROUP_ROWS:
                done(_gate_and_land(feed, group, home))
                group = []
        if group:
            done(_gate_and_land(feed, group, home))
    return entries


def _feed_weight(inbox: Path, feed_id: str) -> int:
    return sum(p.stat().st_size for p in feed_files(inbox, feed_id))


_progress_queue: Any = None  # set in each worker process by _start_worker


def _start_worker(queue: Any) -> None:
    global _progress_queue
    _progress_queue = queue


def _ingest_feed_in_worker(feed_id: str, inbox: Path, home: Home) -> list[dict]:
    """Runs in a worker process: ingest one feed, sending each ledger entry back as it is written."""
    return ingest_feed(feed_id, inbox, home, on_file=_progress_queue.put)


def ingest_inbox(inbox: Path, home: Home, workers: int = 2,
                 on_feed: Callable[[str, list[dict]], None] | None = None,
                 on_file: FileCallback | None = None) -> list[dict]:
    """Ingest every pending feed, `workers` feeds at a time in separate processes.

    Largest feeds are started first so the processes finish together. `on_file` (each
    ledger entry as it is written) and `on_feed` (each feed as it completes) are called in
    this process: the CLI's progress display.
    """
    inbox = Path(inbox)
    feeds = sorted(pending_feeds(inbox, home), key=lambda f: -_feed_weight(inbox, f))
    entries: list[dict] = []
    if workers <= 1 or len(feeds) <= 1:
        for feed_id in feeds:
            done = ingest_feed(feed_id, inbox, home, on_file=on_file)
            entries += done
            if on_feed is not None:
                on_feed(feed_id, done)
        return entries
    # fork: a worker starts in milliseconds and inherits what the parent already imported,
    # so GX is imported once here rather than once per worker.
    warm_up()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()

    def drain() -> None:
        while True:
            try:
                entry = queue.get_nowait()
            except Empty:
                return
            if on_file is not None:
                on_file(entry)

    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                             initargs=(queue,)) as pool:
        futures = {pool.submit(_ingest_feed_in_worker, feed_id, inbox, home): feed_id for feed_id in feeds}
        waiting = set(futures)
        while waiting:
            finished, waiting = wait(waiting, timeout=0.25, return_when=FIRST_COMPLETED)
            drain()
            for future in finished:
                done = future.result()
                entries += done
                if on_feed is not None:
                    on_feed(futures[future], done)
    drain()
    return sorted(entries, key=lambda e: e["batch_id"])
