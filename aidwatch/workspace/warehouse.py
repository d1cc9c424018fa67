"""The published warehouse, read-only, reopened when a new build is published.

Why the care: a build publishes by renaming a new file over `warehouse.duckdb`; a
long-lived reader must notice (the file's inode, mtime and size change) and reopen.
DuckDB caches one database instance per path and process: a `connect()` while an
older connection to the same path is open returns the *old* database. So the reader
waits until no request uses the old connection, closes it, and only then opens the
new file. Requests read through cursors of the one connection (DuckDB cursors are
safe to use from several threads at once).

The ordered warning list (the same query and order as the officials' workbooks,
`exports.published.load_warnings`) and where each household lives are loaded once per
publish and used from memory: every list page and every scope check needs them. What
pages derive from them (a warning's display row, a household's record) is memoised on the
snapshot (`Snapshot.memo`), so it is computed once per publish, not once per request.

An optional *placement overlay* (the league's reassignments, kept in the ops database,
`aidwatch.workspace.reassignment`) moves warnings to another township: the snapshot pages
see is the publish's snapshot with the overlay applied, rebuilt when either changes.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import duckdb

from aidwatch.home import Home
from exports.published import WarehouseMissing, load_warnings, published_as_of, region_names

log = logging.getLogger(__name__)

MEMO_LIMIT = 4096  # memoised values per snapshot (display rows, household records): bounded memory


@dataclass
class Snapshot:
    """What every page of one publish shares: the ordered warnings and region names.

    `extra_places` holds the places a household is reachable from besides its own (the
    townships its warnings were reassigned to); `version` names the publish and overlay.
    """

    generation: int
    as_of: date | None
    warnings: list[dict]
    by_key: dict[str, dict] = field(default_factory=dict)
    regions: dict[str, tuple[str, str]] = field(default_factory=dict)
    places: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    extra_places: dict[str, set[tuple[str | None, str | None]]] = field(default_factory=dict)
    version: Hashable = None
    _memo: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def region_name(self, code: str | None) -> str:
        if not code:
            return ""
        return self.regions.get(code, ("", code))[1]

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """`compute()` once per snapshot and key (least recently used dropped past MEMO_LIMIT).

        Why: a snapshot never changes, so what a page derives from it is the same for every
        request until the next publish (or reassignment) makes a new snapshot.
        """
        with self._memo_lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        value = compute()  # outside the lock: two requests may compute it once each, harmlessly
        with self._memo_lock:
            self._memo[key] = value
            while len(self._memo) > MEMO_LIMIT:
                self._memo.popitem(last=False)
        return value


class PlacementOverlay(Protocol):
    """Moves warnings of a publish to other places (the league's reassignments)."""

    def version(self) -> Hashable:
        """Changes whenever the overlay does (cheap: asked once per snapshot request)."""

    def apply(self, snapshot: Snapshot) -> Snapshot:
        """A new snapshot with the overlay applied (the given one is left as it is)."""


def household_places(cursor: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str | None]]:
    """Household key -> (banner_code, township_code): every assisted household, then every ranked one.

    Ranked households (marts.household_priority) also include hukou households and
    rural-monitoring households that warnings are about. Held in memory per publish: the
    scope check of every household request is then a lookup, not a query.
    """
    places = {
        key: (banner, township)
        for key, banner, township in cursor.execute(
            "select household_id, banner_code, township_code from marts.dim_household"
        ).fetchall()
    }
    for key, banner, township in cursor.execute(
        "select household_key, min(banner_code), min(township_code) from marts.household_priority "
        "group by household_key"
    ).fetchall():
        places.setdefault(key, (banner, township))
    return places


def file_signature(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def request_snapshot(request: Any) -> Snapshot:
    """The snapshot of one request (a Starlette request), taken once per request.

    Why: every part of a page then reads the same publish and placements, and the file
    check and the overlay's version query run once per request, not once per lookup.
    """
    snapshot = getattr(request.state, "snapshot", None)
    if snapshot is None:
        snapshot = request.app.state.warehouse.snapshot()
        request.state.snapshot = snapshot
    return snapshot


class PublishedWarehouse:
    """Read-only access to `HOME/warehouse.duckdb` that follows every new publish."""

    def __init__(self, home: Home, overlay: PlacementOverlay | None = None) -> None:
        self.path = home.warehouse
        self.overlay = overlay
        self._effective: Snapshot | None = None
        self._condition = threading.Condition()
        self._readers = 0
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._signature: tuple[int, int, int] | None = None
        self.generation = 0
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()

    def _reopen_if_published(self) -> None:
        """Called with the condition held: reopen when the file changed (waits for readers to leave)."""
        signature = file_signature(self.path)
        if signature is not None and signature == self._signature and self._connection is not None:
            return
        while self._readers > 0:
            self._condition.wait()
        signature = file_signature(self.path)
        if signature is not None and signature == self._signature and self._connection is not None:
            return
        if self._connection is not None:
            self._connection.close()
            self._connection = None
            self._signature = None
        if signature is None:
            raise WarehouseMissing(f"{self.path}: no published warehouse; run `aidwatch build` first")
        self._connection = duckdb.connect(str(self.path), read_only=True)
        self._signature = signature
        self.generation += 1
        log.info("opened published warehouse %s (generation %d)", self.path, self.generation)

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the newest published warehouse, valid inside the `with` block."""
        with self._condition:
            self._reopen_if_published()
            self._readers += 1
            connection = self._connection
        assert connection is not None
        try:
            cursor = connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        finally:
            with self._condition:
                self._readers -= 1
                self._condition.notify_all()

    def snapshot(self) -> Snapshot:
        """The newest publish's snapshot with the placement overlay (if any) applied."""
        published = self.published_snapshot()
        if self.overlay is None:
            return published
        version = (published.generation, self.overlay.version())
        current = self._effective
        if current is not None and current.version == version:
            return current
        with self._snapshot_lock:
            current = self._effective
            if current is None or current.version != version:
                current = self.overlay.apply(published)
                current.version = version
                self._effective = current
            return current

    def published_snapshot(self) -> Snapshot:
        """The ordered warnings and region names of the newest publish (loaded once per publish)."""
        with self._condition:  # the usual case: the file has not changed, nothing to read
            self._reopen_if_published()
            current = self._snapshot
            if current is not None and current.generation == self.generation:
                return current
        with self.cursor() as cursor:
            generation = self.generation  # fixed while this cursor is open
            current = self._snapshot
            if current is not None and current.generation == generation:
                return current
            with self._snapshot_lock:
                current = self._snapshot
                if current is not None and current.generation == generation:
                    return current
                warnings = load_warnings(cursor)
                snapshot = Snapshot(
                    generation=generation,
                    as_of=published_as_of(cursor),
                    warnings=warnings,
                    by_key={row["warning_key"]: row for row in warnings},
                    regions=region_names(cursor),
                    places=household_places(cursor),
                    version=generation,
                )
                self._snapshot = snapshot
                return snapshot

    def close(self) -> None:
        with self._condition:
            while self._readers > 0:
                self._condition.wait()
            if self._connection is not None:
                self._connection.close()
            self._connection = None
            self._signature = None
