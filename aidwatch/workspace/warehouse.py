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
publish and used from memory: every list page and every scope check needs them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from aidwatch.home import Home
from exports.published import WarehouseMissing, load_warnings, published_as_of, region_names

log = logging.getLogger(__name__)


@dataclass
class Snapshot:
    """What every page of one publish shares: the ordered warnings and region names."""

    generation: int
    as_of: date | None
    warnings: list[dict]
    by_key: dict[str, dict] = field(default_factory=dict)
    regions: dict[str, tuple[str, str]] = field(default_factory=dict)
    places: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    def region_name(self, code: str | None) -> str:
        if not code:
            return ""
        return self.regions.get(code, ("", code))[1]


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


class PublishedWarehouse:
    """Read-only access to `HOME/warehouse.duckdb` that follows every new publish."""

    def __init__(self, home: Home) -> None:
        self.path = home.warehouse
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
        """The ordered warnings and region names of the newest publish (loaded once per publish)."""
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
