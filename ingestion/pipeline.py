"""Ingestion entry points (the CLI and the Airflow DAG call these; signatures per docs/design.md).

- `pending_feeds(inbox, home)`: feeds with a path not yet recorded in the ledger.
- `ingest_feed(feed_id, inbox, home)`: every new file of one feed; returns this call's ledger entries.
- `ingest_inbox(inbox, home, workers=2)`: every feed, feeds in parallel processes (a feed
  alone in the inbox gets a helper thread instead: ingestion.helper_thread).

Why feeds are the unit of parallelism: a feed's files share one raw/quarantine folder and
its ledger entries share a prefix, so one process per feed never races another (a file
lock per feed makes that hold even if two schedulers overlap). Within a feed, files are
ingested in (extract date, name) order, so "which copy is the duplicate" is deterministic
and each snapshot is compared with the deliveries dated before it.

Every path in a feed folder gets exactly one ledger entry (docs/design.md "Ledger entry"
lists the statuses): data files are loaded, held, rejected, duplicate or unchanged; paths
that are not read are ignored, with the reason; only valid control files have none (each
data file they list names them in `control_file`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import multiprocessing
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from queue import Empty
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from aidwatch.home import Home
from ingestion import fingerprints
from ingestion.allocators import reuse_freed_memory
from ingestion.batch import (
    BatchResult,
    ReadBatch,
    StreamedResult,
    gate_batches,
    quarantine_good_rows,
    read_batch,
    reason_summary,
    stream_batch,
)
from ingestion.completeness import (
    ROWS_IN_RAW,
    Reference,
    implausible,
    in_raw_on,
    key_count,
    reference_entry,
    second_snapshot_of_the_day,
    stored_key_count,
)
from ingestion.contracts import Feed, get_feed, load_feeds
from ingestion.control import ControlFileInvalid, ControlLine, read_control_file, rows_problem, sha_problem
from ingestion.delivery import (
    Delivery,
    FileState,
    Fingerprint,
    describe,
    feed_files,
    feed_paths,
    is_control_file,
    missing_date_reason,
    sha256_of,
    stray_inbox_entries,
)
from ingestion.early_read import EarlyRead
from ingestion.gate import GateError, warm_up
from ingestion.gate_reports import batch_page, write_run_reports
from ingestion.headers import HeaderMapping, renamed_column_warnings
from ingestion.helper_thread import lent
from ingestion.landing import (
    clean_feed,
    ensure_feed_folder,
    feed_lock,
    held_folder,
    read_ledger,
    stream_scratch,
    write_atomic_bytes,
    write_atomic_parquet,
    write_ledger,
)
from ingestion.readers import FileRejected, file_format, unterminated_last_line
from ingestion.same_day import differing_versions
from ingestion.streaming import NotStreamable, may_stream, stream_of

log = logging.getLogger(__name__)

FileCallback = Callable[[dict], None]

#: Rows of consecutive files normalised and validated in one GX run (bounded so memory stays small).
GATE_GROUP_ROWS = 200_000

#: Every ledger status (docs/design.md "Ledger entry").
STATUSES = ("loaded", "loaded_with_quarantine", "unchanged", "held", "accepted", "rejected",
            "duplicate", "ignored")


def _entry(delivery: Delivery, batch_id: str, started: str) -> dict:
    try:
        fmt: str | None = file_format(delivery.path) if delivery.ignore_reason is None else None
    except FileRejected:
        fmt = None
    return {
        "batch_id": batch_id,
        "feed_id": delivery.feed_id,
        "file": delivery.relative,
        "sha256": delivery.sha256,
        "size_bytes": delivery.size_bytes,
        "extract_date": delivery.extract_date.isoformat() if delivery.extract_date else None,
        "encoding": None,
        "format": fmt,
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_quarantined": 0,
        "rows_held": 0,
        "status": None,
        "reasons": [],
        "warnings": [],
        "extra_columns": [],
        "key_count": None,
        "same_as": None,
        "control_file": None,
        "decision": None,
        "started_at": started,
        "finished_at": None,
    }


def _now(moment: dt.datetime | None = None) -> str:
    """A ledger timestamp: now, or `moment`."""
    return (moment or dt.datetime.now(dt.UTC)).isoformat(timespec="milliseconds")


def _format_warnings(delivery: Delivery) -> list[str]:
    """Warnings about the file's form that do not stop it loading (a CSV's last line cut?)."""
    if file_format(delivery.path) != "csv":
        return []
    try:
        warning = unterminated_last_line(delivery.path)
    except OSError:  # gone since it was read: what was read is what lands
        return []
    return [warning] if warning else []


class _FeedRun:
    """One ingest of one feed: the ledger as it grows, and the writing of each entry."""

    def __init__(self, feed: Feed, home: Home, on_entry: Callable[[dict], None]) -> None:
        self.feed = feed
        self.home = home
        self.ledger = read_ledger(home, feed.feed_id)
        self.on_entry = on_entry

    def record(self, entry: dict) -> dict:
        if entry["rows_read"] != entry["rows_loaded"] + entry["rows_quarantined"] + entry["rows_held"]:
            raise RuntimeError(f"{entry['file']}: rows read != loaded + quarantined + held: {entry}")
        write_ledger(self.home, entry)
        self.ledger.append(entry)
        self.on_entry(entry)
        return entry

    def rejected(self, delivery: Delivery, started: str, reason: str, batch_id: str | None = None,
                 control: ControlLine | None = None) -> dict:
        entry = _entry(delivery, batch_id or delivery.own_id, started)
        entry.update(status="rejected", reasons=[reason], finished_at=_now(),
                     control_file=control.control_file if control else None)
        log.warning("%s: rejected %s: %s", delivery.feed_id, delivery.relative, reason)
        return self.record(entry)

    def ignored(self, delivery: Delivery) -> dict:
        entry = _entry(delivery, f"{delivery.batch_id}__ignored", _now())
        entry.update(status="ignored", reasons=[delivery.ignore_reason], finished_at=_now())
        log.warning("%s: ignored %s: %s", delivery.feed_id, delivery.relative, delivery.ignore_reason)
        return self.record(entry)

    def reference(self, extract_date: dt.date) -> Reference | None:
        """The roll a snapshot is compared with: every accepted batch of the latest earlier extract date.

        Usually one batch; several when a person accepted a roll delivered in parts, which
        the build reads together (`completeness.second_snapshot_of_the_day`).
        """
        ledger = [e for e in self.ledger if e["feed_id"] == self.feed.feed_id]
        chosen = reference_entry(ledger, extract_date)
        if chosen is None:
            return None
        extract = chosen["extract_date"]
        day = in_raw_on(ledger, extract)
        keys = sum(stored_key_count(self.feed, e, self.home.raw_feed(self.feed.feed_id)) for e in day)
        return Reference(" + ".join(e["batch_id"] for e in day), dt.date.fromisoformat(extract), keys)

    def _hold_or_load(self, entry: dict, good: pa.Table, delivery: Delivery, loaded_status: str,
                      encoded: bytes | None = None) -> None:
        """Land the good rows in raw/ (or held/ when the snapshot is implausible) and set the status.
        `encoded`: the rows' Parquet encoding, when it was made already (`BatchResult.good_parquet`)."""
        self._place(entry, delivery, loaded_status, good.num_rows, lambda: key_count(self.feed, good),
                    lambda final: write_atomic_parquet(final, good, encoded))

    def _place(self, entry: dict, delivery: Delivery, loaded_status: str, rows: int,
               keys: Callable[[], int], put: Callable[[Path], None]) -> None:
        """`put` the good rows in raw/ (or held/ when the snapshot is implausible) and set the status."""
        if self.feed.kind == "snapshot":
            assert delivery.extract_date is not None
            entry["key_count"] = keys()
            day = delivery.extract_date
            held = (second_snapshot_of_the_day(self.feed, self.ledger, day, delivery.batch_id)
                    or implausible(self.feed, entry["key_count"], self.reference(day)))
        else:
            held = []
        if held:
            put(held_folder(self.home, self.feed.feed_id) / f"{delivery.batch_id}.parquet")
            entry.update(status="held", rows_held=rows, rows_loaded=0, reasons=held + entry["reasons"])
            log.warning("%s: held %s: %s", delivery.feed_id, delivery.relative, held[0])
        else:
            put(self.raw_path(delivery))
            entry.update(status=loaded_status, rows_loaded=rows)

    def raw_path(self, delivery: Delivery) -> Path:
        return self.home.raw_feed(self.feed.feed_id) / f"{delivery.batch_id}.parquet"

    def quarantine_path(self, delivery: Delivery) -> Path:
        return self.home.quarantine / delivery.feed_id / f"{delivery.batch_id}.parquet"

    def land(self, result: BatchResult, delivery: Delivery, started: str,
             control: ControlLine | None) -> dict:
        """Write one gated batch: quarantine, raw (or held), gate report, then (last) its ledger entry."""
        result = self._same_day_versions(result, delivery)
        quarantined = result.quarantine.num_rows
        if quarantined:
            write_atomic_parquet(self.quarantine_path(delivery), result.quarantine)
        entry = self._gated_entry(delivery, started, control, result.gate_report, result.table.encoding,
                                  result.table.file_format, result.rows_read, quarantined, result.mapping,
                                  result.reason_counts)
        self._hold_or_load(entry, result.good, delivery,
                           "loaded_with_quarantine" if quarantined else "loaded", result.good_parquet)
        entry["finished_at"] = _now()
        return self.record(entry)

    def same_day_batches(self, delivery: Delivery) -> dict[str, Path]:
        """An event feed's batches in raw/ of the delivery's extract date (file -> Parquet)."""
        if self.feed.kind != "event" or delivery.extract_date is None:
            return {}
        same_day = in_raw_on(self.ledger, delivery.extract_date.isoformat(), other_than=delivery.batch_id)
        folder = self.home.raw_feed(self.feed.feed_id)
        return {e["file"]: folder / f"{e['batch_id']}.parquet" for e in same_day}

    def _same_day_versions(self, result: BatchResult, delivery: Delivery) -> BatchResult:
        """Quarantine the rows that give a key another version on the same extract date (`same_day`)."""
        earlier = self.same_day_batches(delivery)
        if not earlier or result.good.num_rows == 0:
            return result
        rows, files = differing_versions(self.feed, result.good, earlier)
        if not len(rows):
            return result
        assert delivery.extract_date is not None
        def by(file: str) -> str:
            return "an earlier version of this file" if file == delivery.relative else file

        reasons = [f"_key: delivered with other values on the same extract date "
                   f"{delivery.extract_date.isoformat()} by {by(files[row])}: a correction needs a later "
                   "extract date" for row in rows]
        check = {"expectation": "same_key_same_extract_date_same_values", "column": "+".join(self.feed.key),
                 "kwargs": {"column_list": list(self.feed.key)},
                 "reason": "a key delivered with other values on the same extract date by an earlier file"}
        return quarantine_good_rows(result, delivery, rows, reasons, check)

    def land_streamed(self, result: StreamedResult, delivery: Delivery, started: str,
                      control: ControlLine | None) -> dict:
        """`land` for a file gated chunk by chunk: its staged Parquet renamed into place, same order."""
        quarantined = result.quarantine.rows
        if quarantined:
            result.quarantine.commit()
        else:
            result.quarantine.discard()
        entry = self._gated_entry(delivery, started, control, result.gate_report, result.encoding, "csv",
                                  result.rows_read, quarantined, result.mapping, result.reason_counts)
        self._place(entry, delivery, "loaded_with_quarantine" if quarantined else "loaded", result.good.rows,
                    lambda: result.key_count, result.good.commit)
        entry["finished_at"] = _now()
        return self.record(entry)

    def _gated_entry(self, delivery: Delivery, started: str, control: ControlLine | None, report: dict,
                     encoding: str | None, fmt: str, rows_read: int, quarantined: int, mapping: HeaderMapping,
                     reason_counts: Counter) -> dict:
        """Write a validated batch's gate report (JSON and page); its ledger entry, not yet placed."""
        report_json = self.home.gate_reports / f"{delivery.batch_id}.json"
        write_atomic_bytes(report_json, json.dumps(report, ensure_ascii=False, indent=1).encode())
        write_atomic_bytes(report_json.with_suffix(".html"), batch_page(report).encode("utf-8"))
        entry = _entry(delivery, delivery.batch_id, started)
        entry.update(
            encoding=encoding,
            format=fmt,
            rows_read=rows_read,
            rows_quarantined=quarantined,
            reasons=reason_summary(reason_counts),
            warnings=renamed_column_warnings(self.feed, mapping) + _format_warnings(delivery),
            extra_columns=list(mapping.extras),
            control_file=control.control_file if control else None,
        )
        return entry

    def repeat(self, delivery: Delivery, same: list[dict]) -> dict:
        """A file whose bytes were seen before: duplicate, unchanged (snapshot, new date) or rejected.

        A byte-identical resend of a snapshot under a new extract date is that date's
        delivery: its rows are the earlier batch's, re-stamped with the new batch id and date,
        so staging takes it as the newest snapshot and health sees the feed delivered.
        """
        started = _now()
        root = next((e for e in same if not e.get("same_as")), same[0])
        same_date = [e for e in same if e.get("extract_date") == delivery.extract_date.isoformat()]
        where = f"{root['file']} (batch {root['batch_id']}, status {root['status']})"
        if root["status"] == "rejected":
            return self.rejected(delivery, started, f"same content (sha256) as the rejected file {where}: "
                                 + "; ".join(root.get("reasons") or []), batch_id=delivery.own_id)
        if same_date or self.feed.kind != "snapshot" or root["status"] not in ROWS_IN_RAW:
            original = same_date[0] if same_date else root
            entry = _entry(delivery, delivery.own_id, started)
            reason = (f"duplicate: same content (sha256) as {original['file']} "
                      f"(batch {original['batch_id']}, status {original['status']})")
            if original["status"] == "held":
                reason += "; accept or reject that batch"
            entry.update(status="duplicate", reasons=[reason], same_as=original["batch_id"],
                         finished_at=_now())
            return self.record(entry)
        rows = pq.read_table(self.home.raw_feed(self.feed.feed_id) / f"{root['batch_id']}.parquet")
        n = rows.num_rows
        for name, value, kind in (("_batch_id", delivery.batch_id, pa.string()),
                                  ("_extract_date", delivery.extract_date, pa.date32()),
                                  ("_source_file", delivery.relative, pa.string())):
            # pa.repeat: built in C++ (a Python list of n references was ~0.4 s per 1.3 M rows)
            stamp = pa.repeat(pa.scalar(value, kind), n)
            rows = rows.set_column(rows.schema.get_field_index(name), name, stamp)
        entry = _entry(delivery, delivery.batch_id, started)
        entry.update(
            encoding=root.get("encoding"),
            format=root.get("format"),
            rows_read=root["rows_read"],
            rows_quarantined=root["rows_quarantined"],
            reasons=[f"unchanged: same content (sha256) as {where}; its rows are staged as the "
                     f"delivery of {delivery.extract_date.isoformat()}"],
            warnings=list(root.get("warnings") or []),
            extra_columns=list(root.get("extra_columns") or []),
            same_as=root["batch_id"],
        )
        self._hold_or_load(entry, rows, delivery, "unchanged")
        entry["rows_read"] = entry["rows_loaded"] + entry["rows_quarantined"] + entry["rows_held"]
        entry["finished_at"] = _now()
        return self.record(entry)


def _gate_and_land(run: _FeedRun, group: list[tuple[ReadBatch, str, ControlLine | None]]) -> None:
    try:
        results = gate_batches(run.feed, [read for read, _, _ in group])
    except GateError as exc:
        log.error("%s: gate error: %s", run.feed.feed_id, exc)
        for read, started, control in group:
            run.rejected(read.delivery, started, f"gate could not validate the file: {exc}",
                         control=control)
        return
    for result, (read, started, control) in zip(results, group, strict=True):
        run.land(result, read.delivery, started, control)


def _scan(feed_id: str, inbox: Path, ledger: list[dict], known: dict[str, Fingerprint] | None = None,
          seen: dict[str, Fingerprint] | None = None, hashed: Callable[[Path], str] | None = None,
          ) -> tuple[list[Delivery], dict[str, ControlLine], list[tuple[Delivery, str]]]:
    """Unrecorded deliveries of a feed (in ingest order), control lines by data file, invalid control files.

    A path is recorded when the ledger has an entry for the same path and sha256 (for
    ignored paths, which are never read, the same path). `known`: fingerprints kept from
    earlier runs (ingestion.fingerprints), reused while a file's state is unchanged; `seen`
    receives the fingerprint of every path read or reused here. `hashed`: how a file is
    hashed (`delivery.describe`; `ingestion.early_read` parses one as it hashes it).
    """
    inbox = inbox.resolve()
    recorded = {(e["file"], e["sha256"]) for e in ledger}
    known = known or {}
    deliveries: list[Delivery] = []
    controls: dict[str, ControlLine] = {}
    invalid: list[tuple[Delivery, str]] = []
    for path in feed_paths(inbox, feed_id):
        relative = path.relative_to(inbox).as_posix()
        try:
            delivery = describe(inbox, feed_id, path, known.get(relative), hashed)
        except OSError as exc:  # vanished or unreadable between listing and hashing
            log.warning("%s: %s skipped this run: %s", feed_id, path, exc)
            continue
        if seen is not None and delivery.fingerprint is not None:
            seen[delivery.relative] = delivery.fingerprint
        if delivery.ignore_reason is None and is_control_file(path):
            try:
                for line in read_control_file(inbox, feed_id, path):
                    controls[line.file] = line
            except ControlFileInvalid as exc:
                if (delivery.relative, delivery.sha256) not in recorded:
                    invalid.append((delivery, str(exc)))
            continue
        if (delivery.relative, delivery.sha256) not in recorded:
            deliveries.append(delivery)
    for line in controls.values():
        if not (inbox / line.file).exists():
            log.warning("%s: control file %s lists %s, which is not in the inbox (yet)",
                        feed_id, line.control_file, line.file)
    deliveries.sort(key=lambda d: (d.extract_date or dt.date.min, d.relative))
    return deliveries, controls, invalid


def pending_feeds(inbox: Path, home: Home) -> list[str]:
    """Feeds (in catalogue order) with at least one path not yet recorded in the ledger.

    A data file whose path the ledger has never seen makes its feed pending without being
    read (its feed's worker hashes it, in parallel with the other feeds); the other paths are
    fingerprinted, reusing what earlier runs kept (ingestion.fingerprints), and a feed found
    up to date keeps its fingerprints for the next run (`ingest_feed` does it for the others).
    """
    inbox = Path(inbox).resolve()
    for reason in stray_inbox_entries(inbox, list(load_feeds())):
        log.warning("%s", reason)
    pending = []
    for feed_id in load_feeds():
        ledger = read_ledger(home, feed_id)
        paths = {e["file"] for e in ledger}
        if any(path.relative_to(inbox).as_posix() not in paths and not is_control_file(path)
               for path in feed_paths(inbox, feed_id)):
            pending.append(feed_id)
            continue
        known = fingerprints.load(home, feed_id)
        seen: dict[str, Fingerprint] = {}
        deliveries, _, invalid = _scan(feed_id, inbox, ledger, known, seen)
        if deliveries or invalid:
            pending.append(feed_id)
        else:
            fingerprints.save(home, feed_id, seen, known)
    return pending


def _read_unchanged(delivery: Delivery, read_sha256: str | None = None) -> str | None:
    """Why the file cannot be trusted after reading it: it changed or vanished meanwhile.

    `read_sha256`: the sha256 of the very bytes that were parsed (`RawTable.sha256`). When they
    are the bytes the scan hashed and the file's state is still the one it had then, the file
    is not read again. Otherwise its fingerprint is taken again (`sha256_of`: hashed again
    unless it was settled when hashed and its state is unchanged).
    """
    try:
        if read_sha256 is not None and read_sha256 != delivery.sha256:
            now = read_sha256  # the bytes parsed are not the ones the scan hashed
        elif (read_sha256 is not None and delivery.fingerprint is not None
                and FileState.of(delivery.path) == delivery.fingerprint.state):
            return None  # the scanned bytes were parsed, and the file has not changed since
        else:
            now = sha256_of(delivery.path)
    except OSError as exc:
        return f"the file disappeared while it was being read: {exc}"
    if now != delivery.sha256:
        return (f"the file changed while it was being read (sha256 {delivery.sha256[:12]}… before, "
                f"{now[:12]}… after); its new content is read on the next run")
    return None


def ingest_feed(feed_id: str, inbox: Path, home: Home, on_file: FileCallback | None = None,
                spare_core: bool = False) -> list[dict]:
    """Ingest every new file of one feed; returns the ledger entries written by this call.

    Files are read one by one; up to GATE_GROUP_ROWS rows of consecutive files are normalised
    and validated by GX together (the cost of both is mostly per call, not per row), then each
    file lands alone. `spare_core`: no other ingestion runs on this machine's other core, so
    the feed gets a helper thread (ingestion.helper_thread); what lands is the same.
    """
    feed = get_feed(feed_id)
    entries: list[dict] = []

    def done(entry: dict) -> None:
        entries.append(entry)
        if on_file is not None:
            on_file(entry)

    with feed_lock(home, feed_id), lent(spare_core):
        clean_feed(home, feed_id)
        ensure_feed_folder(home, feed)
        run = _FeedRun(feed, home, done)
        known = fingerprints.load(home, feed_id)
        seen: dict[str, Fingerprint] = {}
        early = EarlyRead()
        deliveries, controls, invalid = _scan(feed_id, Path(inbox), run.ledger, known, seen, early.hashed)
        early.keep(deliveries)
        fingerprints.save(home, feed_id, seen, known)
        for control, reason in invalid:
            run.rejected(control, _now(), f"control file cannot be used: {reason}", batch_id=control.own_id)
        group: list[tuple[ReadBatch, str, ControlLine | None]] = []
        pending: set[str] = set()

        def flush() -> None:
            nonlocal group
            if group:
                _gate_and_land(run, group)
            group = []
            pending.clear()

        for delivery in deliveries:
            scanned = early.take(delivery)
            if delivery.ignore_reason is not None:
                run.ignored(delivery)
                continue
            started = _now(scanned.started if scanned is not None else None)
            if delivery.extract_date is None:
                run.rejected(delivery, started, missing_date_reason(delivery.path))
                continue
            control = controls.get(delivery.relative)
            if control is not None and (problem := sha_problem(control, str(delivery.sha256))):
                run.rejected(delivery, started, problem, control=control)
                continue
            if delivery.sha256 in pending:
                flush()  # its twin is still in the gate group: land it first
            same = [e for e in run.ledger if e.get("sha256") == delivery.sha256
                    and e["status"] not in ("duplicate", "ignored")]
            if same:
                run.repeat(delivery, same)
                continue
            # a table read early is one of few lines: the file would not be streamed
            if scanned is None and _ingest_streamed(run, delivery, started, control, flush):
                continue
            try:
                read = read_batch(feed, delivery, scanned.table if scanned is not None else None)
                problem = _read_unchanged(delivery, read.table.sha256)
                if problem is None and control is not None:
                    problem = rows_problem(control, read.rows)
                if problem is not None:
                    raise FileRejected(problem)
            except FileRejected as exc:
                run.rejected(delivery, started, str(exc), control=control)
                continue
            group.append((read, started, control))
            pending.add(str(delivery.sha256))
            if sum(p.rows for p, _, _ in group) >= GATE_GROUP_ROWS:
                flush()
        flush()
    return entries


def _ingest_streamed(run: _FeedRun, delivery: Delivery, started: str, control: ControlLine | None,
                     flush: Callable[[], None]) -> bool:
    """Ingest a large CSV chunk by chunk (ingestion.streaming); False when it is to be read whole.

    The files before it in the gate group land first, so the ledger keeps the ingest order.
    """
    # Same-day batches: compared with them whole (`_FeedRun._same_day_versions`).
    if run.same_day_batches(delivery) or not may_stream(delivery.path):
        return False
    private = stream_scratch(run.home, run.feed.feed_id)
    with tempfile.TemporaryDirectory(prefix="stream-", dir=private) as scratch:
        stream = stream_of(delivery.path, Path(scratch))
        if stream is None:
            return False
        flush()

        def check_rows(rows: int) -> None:
            if control is not None and (problem := rows_problem(control, rows)):
                raise FileRejected(problem)

        try:
            result = stream_batch(run.feed, delivery, stream, run.raw_path(delivery),
                                  run.quarantine_path(delivery), check_rows, Path(scratch))
        except NotStreamable as exc:
            log.info("%s: %s read whole: %s", delivery.feed_id, delivery.relative, exc)
            return False
        except FileRejected as exc:
            run.rejected(delivery, started, str(exc), control=control)
            return True
        except GateError as exc:
            log.error("%s: gate error: %s", run.feed.feed_id, exc)
            run.rejected(delivery, started, f"gate could not validate the file: {exc}", control=control)
            return True
    problem = _read_unchanged(delivery)
    if problem is not None:
        result.discard()
        run.rejected(delivery, started, problem, control=control)
        return True
    run.land_streamed(result, delivery, started, control)
    return True


def _feed_weight(inbox: Path, feed_id: str) -> int:
    return sum(p.stat().st_size for p in feed_files(inbox, feed_id))


_progress_queue: Any = None  # set in each worker process by _start_worker


def _start_worker(queue: Any) -> None:
    global _progress_queue
    _progress_queue = queue


def _ingest_feed_in_worker(feed_id: str, inbox: Path, home: Home) -> list[dict]:
    """Runs in a worker process: ingest one feed, sending each ledger entry back as it is written."""
    return ingest_feed(feed_id, inbox, home, on_file=_progress_queue.put)


@contextlib.contextmanager
def alongside_thread(work: Callable[[], object] | None) -> Iterator[None]:
    """Run `work` in a daemon thread for the duration of the block; wait for it at the end.

    Why: while the workers ingest, this process only waits for them; `aidwatch run` uses the
    time to pay its build's start-up (`warehouse.dbt_warm_up`). An exception of `work` is
    logged and dropped: what it prepares is an optimisation, never a step of ingestion.
    """
    if work is None:
        yield
        return

    def guarded() -> None:
        try:
            work()
        except Exception:
            log.exception("work alongside ingestion failed (ingestion is not affected)")

    thread = threading.Thread(target=guarded, name="alongside-ingestion", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def ingest_inbox(inbox: Path, home: Home, workers: int = 2,
                 on_feed: Callable[[str, list[dict]], None] | None = None,
                 on_file: FileCallback | None = None, pending: list[str] | None = None,
                 alongside: Callable[[], object] | None = None) -> list[dict]:
    """Ingest every pending feed, `workers` feeds at a time in separate processes.

    Largest feeds are started first so the processes finish together. A single pending feed
    is ingested in this process, with a helper thread when `workers` allows a second core.
    `on_file` (each ledger entry as it is written) and `on_feed` (each feed as it completes)
    are called in this process: the CLI's progress display. `pending`: the caller's `pending_feeds` of a
    moment ago (the CLI counts them for its progress bar), so the inbox is not scanned twice.
    `alongside`: work of the caller's next step run meanwhile in a thread of this process
    (`alongside_thread`), started once the workers are forked and finished before this returns.
    """
    inbox = Path(inbox)
    reuse_freed_memory()  # before the first file: workers forked below inherit the allocators
    found = pending_feeds(inbox, home) if pending is None else pending
    feeds = sorted(found, key=lambda f: -_feed_weight(inbox, f))
    entries: list[dict] = []
    if workers <= 1 or len(feeds) <= 1:
        # one feed and more than one worker allowed: that feed may use a second core
        spare_core = len(feeds) == 1 and min(workers, os.cpu_count() or 1) > 1
        with alongside_thread(alongside):
            for feed_id in feeds:
                done = ingest_feed(feed_id, inbox, home, on_file=on_file, spare_core=spare_core)
                entries += done
                if on_feed is not None:
                    on_feed(feed_id, done)
        write_run_reports(home, entries)  # the run's index page (ingestion/gate_reports.py)
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
        # every worker is forked by now (the pool starts one per submit up to max_workers and
        # none later), so the thread below is never copied into a child mid-way
        with alongside_thread(alongside):
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
    entries = sorted(entries, key=lambda e: e["batch_id"])
    write_run_reports(home, entries)  # the run's index page (ingestion/gate_reports.py)
    return entries
