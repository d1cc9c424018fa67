"""Build the warehouse and publish it only when every dbt test passes.

Why write-audit-publish: DuckDB has one writer and a `dbt build` is not atomic
across models. So the published `warehouse.duckdb` is never written: the build
copies it to `warehouse.next.duckdb` (carrying over history tables), runs
`dbt build` there, and only when every model and test passed renames the copy over
the published file, keeping the one before as `warehouse.previous.duckdb`. Readers
holding the published file open are never blocked and never see half a build; a
failed build leaves the published file byte-identical.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from aidwatch.home import HOME_ENV, Home
from warehouse.raw_zone import ensure_schema_files

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
WAREHOUSE_ENV = "AIDWATCH_WAREHOUSE"
FAILED_STATUSES = {"error", "fail", "runtime error"}


@dataclass(frozen=True)
class NodeFailure:
    """One dbt node (model, test, seed) that did not pass."""

    unique_id: str
    status: str
    message: str

    def __str__(self) -> str:
        return f"{self.unique_id} [{self.status}]: {self.message}"


class BuildFailed(RuntimeError):
    """dbt build did not pass; the published warehouse was left untouched."""

    def __init__(self, message: str, failures: list[NodeFailure] | None = None) -> None:
        self.failures = failures or []
        detail = "".join(f"\n  - {f}" for f in self.failures)
        super().__init__(message + detail)


@dataclass
class BuildResult:
    """What a successful build published and how long its parts took."""

    as_of: date
    warehouse: Path
    previous: Path | None
    seconds_total: float
    seconds_dbt_startup: float  # parse, manifest, connection: before the first node ran
    seconds_dbt_nodes: float  # run_results elapsed_time: executing models, seeds, tests
    node_counts: dict[str, int] = field(default_factory=dict)  # resource type -> nodes run
    analyst_schema: bool = False
    run_results: Path | None = None


def dbt_env(home: Home, warehouse_file: Path) -> dict[str, str]:
    """The environment dbt's profile and sources read."""
    return {HOME_ENV: str(home.root), WAREHOUSE_ENV: str(warehouse_file)}


def dbt_args(command: str, home: Home, as_of: date, *extra: str) -> list[str]:
    """Arguments for a dbt command over this HOME (its own target and log folders)."""
    return [
        command,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(home.dbt_work / "target"),
        "--log-path", str(home.dbt_work / "logs"),
        "--vars", json.dumps({"as_of": as_of.isoformat()}),
        *extra,
    ]


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a dbt invocation, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextlib.contextmanager
def build_lock(home: Home) -> Iterator[None]:
    """One build per HOME at a time (the next file has one writer)."""
    home.dbt_work.mkdir(parents=True, exist_ok=True)
    with open(home.dbt_work / "build.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildFailed(f"another build is running for {home.root}") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def close_duckdb_connection() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after a run.

    Why: dbt-duckdb holds its connection in a class attribute across invocations. Left
    open, part of the build can sit in the write-ahead log of `warehouse.next.duckdb`
    and be checkpointed later into whatever file that inode has been renamed to (the
    published warehouse). Closing it checkpoints everything into the file before we
    rename it. (dbt-duckdb's own close_all_connections() drops the reference without
    closing.)
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if env is not None:
            env.close()


def run_dbt(args: list[str], env: dict[str, str]):
    """Invoke dbt in-process through its programmatic runner; returns dbtRunnerResult."""
    from dbt.cli.main import dbtRunner  # imported late: dbt is slow to import

    with environment(env):
        try:
            return dbtRunner().invoke(args)
        finally:
            close_duckdb_connection()


def read_failures(run_results: Path) -> list[NodeFailure]:
    """Every node of run_results.json that errored or failed, with dbt's message."""
    if not run_results.exists():
        return []
    data = json.loads(run_results.read_text(encoding="utf-8"))
    failures = []
    for result in data.get("results", []):
        status = str(result.get("status", "")).lower()
        if status in FAILED_STATUSES:
            message = (result.get("message") or "").strip()
            if result.get("failures"):
                message = f"{result['failures']} failing row(s). {message}".strip()
            failures.append(NodeFailure(result["unique_id"], status, message))
    return failures


def node_counts(run_results: Path) -> dict[str, int]:
    data = json.loads(run_results.read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    for result in data.get("results", []):
        kind = result["unique_id"].split(".", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def remove_database(path: Path) -> None:
    """Delete a DuckDB file and its write-ahead log, if any."""
    for candidate in (path, path.with_name(path.name + ".wal")):
        candidate.unlink(missing_ok=True)


def prepare_next(home: Home) -> None:
    """Start the next warehouse as a copy of the published one (history carries over)."""
    remove_database(home.warehouse_next)
    if home.warehouse.exists():
        shutil.copyfile(home.warehouse, home.warehouse_next)
        wal = home.warehouse.with_name(home.warehouse.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, home.warehouse_next.with_name(home.warehouse_next.name + ".wal"))


def post_build(home: Home, warehouse_file: Path) -> bool:
    """After dbt passed and before publishing: the pseudonymised `analyst` schema.

    Without a pseudonym key the analyst views are not created (never with a default
    key); the warehouse is still published for the data team and officials' exports.
    """
    import duckdb

    from exports.analyst import create_analyst_schema

    con = duckdb.connect(str(warehouse_file))
    try:
        return bool(create_analyst_schema(con, home))
    finally:
        con.close()


def publish(home: Home) -> Path | None:
    """Make the tested next file the published one; keep the old one as previous.

    The old file is hard-linked to `previous` first, so the published path always
    exists; the rename over it is atomic. Readers keep the file they opened.
    """
    wal = home.warehouse_next.with_name(home.warehouse_next.name + ".wal")
    if wal.exists():
        raise BuildFailed(f"{wal} still exists after dbt closed the warehouse; not publishing")
    previous = None
    if home.warehouse.exists():
        remove_database(home.warehouse_previous)
        try:
            os.link(home.warehouse, home.warehouse_previous)
        except OSError:
            shutil.copyfile(home.warehouse, home.warehouse_previous)
        previous = home.warehouse_previous
    os.replace(home.warehouse_next, home.warehouse)
    return previous


def build(home: Home, as_of: date, quiet: bool = False) -> BuildResult:
    """Build the warehouse for `as_of` into a copy, test it, and publish it.

    Raises BuildFailed naming each failing model/test and dbt's message; the
    published warehouse is then untouched.
    """
    started = time.perf_counter()
    home.root.mkdir(parents=True, exist_ok=True)
    ensure_schema_files(home)
    with build_lock(home):
        prepare_next(home)
        extra = ["--quiet"] if quiet else []
        args = dbt_args("build", home, as_of, *extra)
        dbt_started = time.perf_counter()
        result = run_dbt(args, dbt_env(home, home.warehouse_next))
        dbt_seconds = time.perf_counter() - dbt_started
        run_results = home.dbt_work / "target" / "run_results.json"
        if not result.success:
            failures = read_failures(run_results) if result.exception is None else []
            reason = f"dbt build for as_of {as_of} failed"
            if result.exception is not None:
                reason += f": {result.exception}"
            remove_database(home.warehouse_next)
            raise BuildFailed(reason + "; the published warehouse is unchanged", failures)
        elapsed_nodes = float(json.loads(run_results.read_text(encoding="utf-8"))["elapsed_time"])
        analyst = post_build(home, home.warehouse_next)
        previous = publish(home)
    total = time.perf_counter() - started
    log.info("published %s for as_of %s in %.1fs", home.warehouse, as_of, total)
    return BuildResult(
        as_of=as_of,
        warehouse=home.warehouse,
        previous=previous,
        seconds_total=total,
        seconds_dbt_startup=max(dbt_seconds - elapsed_nodes, 0.0),
        seconds_dbt_nodes=elapsed_nodes,
        node_counts=node_counts(run_results),
        analyst_schema=analyst,
        run_results=run_results,
    )
