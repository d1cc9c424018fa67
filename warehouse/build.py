"""Build the warehouse and publish it only when every dbt test passes.

Why write-audit-publish: DuckDB has one writer and a `dbt build` is not atomic
across models. So the published `warehouse.duckdb` is never written: the build
copies it to `warehouse.next.duckdb` (carrying over history tables), runs
`dbt build` there, and only when every model and test passed renames the copy over
the published file, keeping the one before as `warehouse.previous.duckdb`. Readers
holding the published file open are never blocked and never see half a build; a
failed build leaves the published file byte-identical.

Two more guards stand before the rename. Publishing only moves forward: a build for an
as_of earlier than the published one (a replay or backfill) is written, read-only, to
HOME/replays/<as_of>/warehouse.duckdb and never touches the published file or its warning
history. And the publish gate (`warehouse.publish_gate`) compares the tested build with the
published warehouse and refuses a change beyond its bounds unless a person accepts it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from aidwatch.duckdb_memory import MEMORY_LIMIT_ENV, memory_limit, remove_database, wal_file
from aidwatch.home import HOME_ENV, Home
from warehouse import parse_state, project_tests, publish_gate
from warehouse.installation import PROJECT_DIR
from warehouse.raw_zone import earliest_delivery, ensure_schema_files, recorded_raw_zone

log = logging.getLogger(__name__)

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


class PublishRefused(BuildFailed):
    """The build passed every test but moved a headline figure beyond the publish gate's bounds."""

    def __init__(self, report: publish_gate.GateReport, report_file: Path) -> None:
        self.report = report
        self.report_file = report_file
        super().__init__(
            f"publish refused for as_of {report.as_of}; the published warehouse is unchanged.\n"
            f"{report.describe()}\n"
            f"Report: {report_file}. Check the batches above; to publish anyway run the build again "
            "with --accept-change \"reason\" (recorded with your name)."
        )


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
    analyst_file: Path | None = None  # HOME/analyst.duckdb, None when no key (exports/analyst.py)
    run_results: Path | None = None
    replay: bool = False  # as_of was earlier than the published one: `warehouse` is the replay file
    published_as_of: date | None = None  # the published warehouse's as_of before this build
    gate: publish_gate.GateReport | None = None  # None for the first build of a HOME and for replays
    accepted_change: str | None = None  # the reason, when a refused change was published anyway


def dbt_env(home: Home, warehouse_file: Path) -> dict[str, str]:
    """The environment dbt's profile and sources read; no colour codes in logs (Airflow task logs).

    The warehouse file is given relative to HOME, where dbt runs (`run_dbt`). Why: dbt hashes
    the profile's rendered connection values into its partial-parse state and parses the whole
    project again when they differ. An absolute path made every replay (another file), the
    build after it, and every copied or restored HOME pay a full parse; a relative
    `warehouse.next.duckdb` is the same string for all of them.

    dbt's file log (HOME/dbt/logs/dbt.log) is kept at `info`: node starts, results and
    errors. At dbt's default, `debug`, it also logs every SQL statement, ~2 MB a build,
    which cost the daily build 1-2.5 s of Python under the GIL (issue 14). The compiled SQL
    of the last build stays in HOME/dbt/target/run; set DBT_LOG_LEVEL_FILE=debug to log
    the statements again.

    DuckDB's memory ceiling is always given (`aidwatch.duckdb_memory`): the profile has no
    default of its own, so dbt cannot run under another ceiling than the analyst file's.
    """
    root = home.root.absolute()
    return {HOME_ENV: str(root), WAREHOUSE_ENV: os.path.relpath(warehouse_file.absolute(), root),
            MEMORY_LIMIT_ENV: memory_limit(),
            "DBT_USE_COLORS": "false",
            "DBT_LOG_LEVEL_FILE": os.environ.get("DBT_LOG_LEVEL_FILE", "info")}


def dbt_args(command: str, home: Home, *extra: str) -> list[str]:
    """Arguments for a dbt command over this HOME (its own target and log folders).

    No `--vars as_of`: a changed var makes dbt re-parse the whole project, so the
    date goes into the warehouse instead (write_as_of) and target/partial_parse.msgpack
    is reused from one day's build to the next.

    No JSON artifacts unless `extra` asks for them (WRITE_MANIFEST): dbt writes manifest.json
    twice per build (after parsing and after running, 0.3-0.45 s each at scale 1) and
    graph.gpickle: Python under the GIL that nothing of a daily build reads. Partial parsing keeps
    working (it reads partial_parse.msgpack); `write_run_results` writes run_results.json.
    """
    return [
        command,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(home.dbt_work / "target"),
        "--log-path", str(home.dbt_work / "logs"),
        "--no-write-json",
        *extra,
    ]


#: dbt's manifest.json is wanted once per project: the first build reads from it which data
#: tests read only seeds (warehouse/project_tests.py); the last flag wins in dbt's CLI.
WRITE_MANIFEST = ("--write-json",)


def write_run_results(result: object, run_results: Path) -> None:
    """Write dbt's run_results.json from the invocation's own result, or remove a stale one.

    Why here: builds run with `--no-write-json` (dbt_args), and the run's results are what a
    failure is read from (read_failures) and what operators look at after a build. An
    invocation that raised has no results; an older file left in place would be read as this
    build's, so it is removed.
    """
    executed = getattr(result, "result", None)
    if hasattr(executed, "write") and hasattr(executed, "elapsed_time"):
        run_results.parent.mkdir(parents=True, exist_ok=True)
        executed.write(str(run_results))
    else:
        run_results.unlink(missing_ok=True)


#: The DuckDB macro the dbt macro `as_of()` calls (dbt_project/macros/as_of.sql).
AS_OF_FUNCTION = "main.aidwatch_as_of"


def write_as_of(warehouse_file: Path, as_of: date) -> None:
    """Store the build's as_of in the warehouse as a DuckDB macro returning a date literal.

    Why a macro in the database and not a dbt var: see dbt_project/macros/as_of.sql.
    The published warehouse keeps it, so `select main.aidwatch_as_of()` says which day
    a warehouse was built for.
    """
    import duckdb

    con = duckdb.connect(str(warehouse_file))
    try:
        con.execute(f"create or replace macro {AS_OF_FUNCTION}() as date '{as_of.isoformat()}'")
    finally:
        con.close()


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


#: How long a build waits for another build of the same HOME (aidwatch/locks.py). A daily
#: build takes ~50 s quiet and a few minutes at load 20 (docs/performance.md); past this the
#: holder is taken as hung and the build fails naming its pid, host and start time.
BUILD_LOCK_TIMEOUT_SECONDS = 20 * 60


@contextlib.contextmanager
def build_lock(home: Home, timeout_seconds: float = BUILD_LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """One build per HOME at a time (the next file has one writer); a second build waits, bounded."""
    from aidwatch.locks import LockTimeout, exclusive_lock

    held = contextlib.ExitStack()
    try:
        held.enter_context(exclusive_lock(home.dbt_work / "build.lock", timeout_seconds, "build"))
    except LockTimeout as exc:
        raise BuildFailed(f"another build is running for {home.root}: {exc}") from exc
    with held:
        yield


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


def run_dbt(args: list[str], env: dict[str, str], in_home: bool = True):
    """Invoke dbt in-process through its programmatic runner, in HOME; returns dbtRunnerResult.

    The working directory is HOME for the invocation because the profile's warehouse path is
    relative to it (dbt_env); the caller's working directory is restored afterwards.
    `in_home=False` keeps the process's working directory: for a parse only, which opens no
    database (`warehouse.dbt_warm_up`, run while ingestion goes on in the same process).
    """
    from dbt.cli.main import dbtRunner  # imported late: dbt is slow to import

    where = contextlib.chdir(env[HOME_ENV]) if in_home else contextlib.nullcontext()
    with environment(env), where:
        try:
            return dbtRunner().invoke(args)
        finally:
            close_duckdb_connection()
            release_dbt_semaphores()


def release_dbt_semaphores() -> None:
    """Drop dbt's adapters and collect garbage so dbt's multiprocessing Locks are finalised now.

    Why: dbt makes its Locks from a *spawn* context (dbt/mp_context.py: the adapter's connection
    lock, the Manifest's lock). Such a Lock is a named POSIX semaphore registered with
    multiprocessing's resource tracker and unlinked by a finaliser when it is collected or at a
    normal interpreter exit. An Airflow task process ends with os._exit, so those finalisers
    never ran and the tracker printed "There appear to be N leaked semaphore objects" on stderr,
    which Airflow logs as ERROR after a successful build. dbtRunner registers the adapter again
    on its next invocation. (A caller that keeps a `parse` result keeps its Manifest's Lock.)
    """
    import gc

    from dbt.adapters.factory import reset_adapters

    reset_adapters()
    gc.collect()


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


def prepare_next(home: Home) -> None:
    """Start the next warehouse as a copy of the published one (history carries over).

    A replay starts from the published copy too: its warning lifecycle counts only runs
    before its as_of, so later runs in the copied history do not change its answer.
    """
    target = home.warehouse_next
    remove_database(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if home.warehouse.exists():
        shutil.copyfile(home.warehouse, target)
        if wal_file(home.warehouse).exists():
            shutil.copyfile(wal_file(home.warehouse), wal_file(target))


def published_as_of(home: Home) -> date | None:
    """The as_of of the published warehouse (None when nothing is published yet)."""
    import duckdb

    if not home.warehouse.exists():
        return None
    try:
        con = duckdb.connect(str(home.warehouse), read_only=True)
    except duckdb.Error as error:
        raise BuildFailed(f"cannot open the published warehouse {home.warehouse}: {error}") from error
    try:
        return con.execute("select max(as_of) from marts.build_info").fetchone()[0]
    except duckdb.CatalogException:
        return None  # published before build_info existed: treat as no as_of to protect
    finally:
        con.close()


def post_build(warehouse_file: Path) -> None:
    """After dbt passed and before publishing: drop the `analyst` views and pseudonym map that
    earlier versions kept in the warehouse (the copy carries them over). Analysts get their own
    file, written after the publish (exports/analyst.py)."""
    from exports.analyst import drop_retired_schemas

    drop_retired_schemas(warehouse_file)


def publish_analyst(home: Home) -> Path | None:
    """After a publish: HOME/analyst.duckdb from the new warehouse; None (and an error) without a key.

    The warehouse stays published for the data team and the officials' exports; the
    earlier analyst file is removed, so no analyst ever reads a stale one.
    """
    from exports.analyst import PseudonymKeyMissing, publish_analyst_file

    try:
        return publish_analyst_file(home).path
    except PseudonymKeyMissing as error:
        log.error("%s", error)
        return None


def finish_replay(next_file: Path, replay: Path) -> None:
    """Make a replay's tested file its result, read-only (replacing an earlier replay of that as_of).

    Read-only for the service account alone (0400): a replay holds the same personal data as
    the published warehouse, and HOME's permission policy (aidwatch/permissions.py) allows
    nobody else to read it.
    """
    wal = wal_file(next_file)
    if wal.exists():
        raise BuildFailed(f"{wal} still exists after dbt closed the warehouse; not keeping the replay")
    os.chmod(next_file, 0o400)
    replay.parent.mkdir(parents=True, exist_ok=True)
    os.replace(next_file, replay)


def gate_publish(
    home: Home, as_of: date, accept_change: str | None, bounds: dict | None
) -> publish_gate.GateReport | None:
    """Compare the tested next file with the published one; raise PublishRefused beyond bounds.

    The first build of an empty HOME has nothing to compare with and is exempt. With
    `accept_change` a refused change is published anyway and the acceptance recorded.
    """
    if not home.warehouse.exists():
        return None
    try:
        report = publish_gate.check(home, home.warehouse_next, as_of, bounds)
    except publish_gate.BoundsInvalid as error:
        raise BuildFailed(f"publish gate: {error}; the published warehouse is unchanged") from error
    if report.passed:
        return report
    if accept_change:
        who = publish_gate.record_event(
            home, "accepted_change", as_of, reason=accept_change, gate=report.as_json()
        )
        log.warning(
            "publishing a change beyond bounds, accepted by %s: %s\n%s", who, accept_change, report.describe()
        )
        return report
    report_file = home.root / "reports" / "publish" / f"{as_of.isoformat()}.json"
    report_file.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report.as_json(), ensure_ascii=False, indent=2)
    report_file.write_text(text + "\n", encoding="utf-8")
    publish_gate.record_event(home, "refused", as_of, gate=report.as_json())
    raise PublishRefused(report, report_file)


def publish(home: Home) -> Path | None:
    """Make the tested next file the published one; keep the old one as previous.

    The old file is hard-linked to `previous` first, so the published path always
    exists; the rename over it is atomic. Readers keep the file they opened.
    """
    wal = wal_file(home.warehouse_next)
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


def refuse_before_first_delivery(home: Home, as_of: date) -> None:
    """Raise BuildFailed for an as_of before every delivery in the raw zone.

    Why: such a build passes every test and says that nobody needs help (no data, no
    warning); it is a mistyped date or a replay of a day before the league's data began.
    An empty raw zone is not refused: a new installation builds its empty warehouse.
    """
    earliest = earliest_delivery(home)
    if earliest is not None and as_of < earliest:
        raise BuildFailed(
            f"as_of {as_of} is before the earliest delivery in the raw zone (extracted {earliest}): "
            "a warehouse for that day would hold no data and raise no warning; nothing was built"
        )


def build(
    home: Home,
    as_of: date,
    quiet: bool = False,
    accept_change: str | None = None,
    bounds: dict[str, publish_gate.Bounds] | None = None,
) -> BuildResult:
    """Build the warehouse for `as_of` into a copy, test it, and publish it.

    For an as_of earlier than the published one the tested copy becomes the read-only
    replay HOME/replays/<as_of>/warehouse.duckdb instead (the published file and its
    warning history are not touched). Otherwise the publish gate compares it with the
    published warehouse first (`accept_change`: publish a change beyond bounds anyway,
    recorded with this reason; `bounds`: instead of publish_bounds.yaml, for tests).

    Raises BuildFailed naming each failing model/test and dbt's message, or
    PublishRefused naming every figure that moved; the published warehouse is then untouched.
    """
    started = time.perf_counter()
    env = dbt_env(home, home.warehouse_next)  # first: it refuses a memory ceiling DuckDB cannot read
    home.root.mkdir(parents=True, exist_ok=True)
    # every feed's lock held until the build ends: an ingestion started meanwhile waits, so the
    # models read one state of the raw zone, and the publish gate lists the batches they read
    with build_lock(home), recorded_raw_zone(home):
        ensure_schema_files(home)
        refuse_before_first_delivery(home, as_of)
        published = published_as_of(home)
        replay = published is not None and as_of < published
        # A replay is built in the same next file as a publish (one build per HOME at a time,
        # build_lock), so that its dbt profile and parse state are the same (dbt_env).
        next_file = home.warehouse_next
        prepare_next(home)
        write_as_of(next_file, as_of)
        extra = ["--quiet"] if quiet else []
        fingerprint = project_tests.project_fingerprint()
        skipped = project_tests.skipped_selection(home, fingerprint)
        args = dbt_args("build", home, *extra, *(skipped or [*WRITE_MANIFEST]))
        target = home.dbt_work / "target"
        parse_state.seed(target)
        dbt_started = time.perf_counter()
        result = run_dbt(args, env)
        run_results = target / "run_results.json"
        write_run_results(result, run_results)
        dbt_seconds = time.perf_counter() - dbt_started
        if not result.success:
            failures = read_failures(run_results) if result.exception is None else []
            reason = f"dbt build for as_of {as_of} failed"
            if result.exception is not None:
                reason += f": {result.exception}"
            remove_database(next_file)
            raise BuildFailed(reason + "; the published warehouse is unchanged", failures)
        elapsed_nodes = float(json.loads(run_results.read_text(encoding="utf-8"))["elapsed_time"])
        parse_state.share(target)
        if skipped is None:
            project_tests.record_passed(home, fingerprint, target / "manifest.json")
        gate = None
        analyst = None
        previous = None
        accepted = None
        if replay:
            warehouse = home.replay_warehouse(as_of)
            post_build(next_file)
            finish_replay(next_file, warehouse)
            publish_gate.record_event(home, "replayed", as_of, published_as_of=published, warehouse=warehouse)
        else:
            try:
                gate = gate_publish(home, as_of, accept_change, bounds)
            except BuildFailed:
                remove_database(next_file)
                raise
            post_build(home.warehouse_next)
            previous = publish(home)
            analyst = publish_analyst(home)
            warehouse = home.warehouse
            accepted = accept_change if gate is not None and not gate.passed else None
            publish_gate.record_event(
                home, "published", as_of, previous_as_of=published, accepted_change=accepted
            )
    total = time.perf_counter() - started
    if replay:
        log.info("replayed as_of %s (earlier than the published %s) into %s in %.1fs; "
                 "the published warehouse is unchanged", as_of, published, warehouse, total)
    else:
        log.info("published %s for as_of %s in %.1fs", warehouse, as_of, total)
    return BuildResult(
        as_of=as_of,
        warehouse=warehouse,
        previous=previous,
        seconds_total=total,
        seconds_dbt_startup=max(dbt_seconds - elapsed_nodes, 0.0),
        seconds_dbt_nodes=elapsed_nodes,
        node_counts=node_counts(run_results),
        analyst_file=analyst,
        run_results=run_results,
        replay=replay,
        published_as_of=published,
        gate=gate,
        accepted_change=accepted,
    )
