"""DuckDB's memory ceiling for the heavy writers (the dbt build and the analyst file), and the
spill folder beyond it.

Why a ceiling of our own and not DuckDB's default (80 % of the host's memory): DuckDB fills
what it is allowed to. At ten times the league on this 23 GB machine the build alone then
peaked at 3.9 GB and the whole `aidwatch run` at 4.1 GB; capped at 3GB the same run peaked
at 3.6 GB in the same time, because the build then spills to a temporary folder next to its
file instead of caching (docs/performance.md, 2026-12-05). A league's run never reaches the
cap (its whole run peaks at ~1.5 GB). A province's data, or a host whose memory is the
build's alone, wants more: `AIDWATCH_DUCKDB_MEMORY_LIMIT` (docs/deploy.md, docs/scale.md).
"""

from __future__ import annotations

import os
import shutil
from functools import cache
from pathlib import Path

import duckdb

from aidwatch.arguments import UsageError

#: The environment variable that overrides the ceiling, in DuckDB's own syntax ("3GB", "80%").
MEMORY_LIMIT_ENV = "AIDWATCH_DUCKDB_MEMORY_LIMIT"

#: The ceiling when the environment says nothing.
DEFAULT_MEMORY_LIMIT = "3GB"


class MemoryLimitInvalid(UsageError, ValueError):
    """The environment's ceiling is not one DuckDB understands (the CLI refuses in one line)."""


def memory_limit() -> str:
    """The ceiling in force: the environment's when set (and understood by DuckDB), else the default."""
    value = os.environ.get(MEMORY_LIMIT_ENV, "").strip() or DEFAULT_MEMORY_LIMIT
    return _checked(value)


@cache
def _checked(value: str) -> str:
    """`value` when DuckDB accepts it as a memory limit; otherwise an error naming the variable,
    before any build starts (dbt would otherwise fail with DuckDB's words in the middle of it)."""
    try:
        duckdb.connect(config={"memory_limit": value}).close()
    except duckdb.Error as error:
        raise MemoryLimitInvalid(f"{MEMORY_LIMIT_ENV}={value!r} is not a DuckDB memory limit "
                                 f"(for example 3GB, 512MB or 80%): {error}") from error
    return value


def connect_capped(path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """A read-write connection to `path` under the ceiling."""
    return duckdb.connect(str(path), config={"memory_limit": memory_limit()})


def wal_file(path: Path) -> Path:
    """A DuckDB file's write-ahead log; with its spill folder, what `remove_database` deletes."""
    return path.with_name(path.name + ".wal")


def spill_folder(path: Path) -> Path:
    """Where DuckDB spills a database file's work beyond the ceiling: its default temp_directory."""
    return path.with_name(path.name + ".tmp")


def remove_database(path: Path) -> None:
    """Delete a DuckDB file, its write-ahead log and its spill folder, if any.

    Why the spill folder: a process killed while DuckDB spills (an OOM kill, a stopped Airflow
    task) leaves its spill files there, and DuckDB does not remove them when the file is opened
    again (checked with DuckDB 2.0: 0.9 GB of a killed sort stayed after a reopen). They hold
    the rows the build was working on, personal data included, and grow with every crash.
    """
    for candidate in (path, wal_file(path)):
        candidate.unlink(missing_ok=True)
    shutil.rmtree(spill_folder(path), ignore_errors=True)
