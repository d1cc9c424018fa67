"""The whole pipeline once: ingest an inbox, build and publish, export.

Why here: `aidwatch run` and `aidwatch demo` do the same three steps; the Airflow
DAGs call the same functions one task at a time. Each step's own module does the
work; this one only sequences them and summarises what happened.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from aidwatch.duckdb_memory import MemoryLimitInvalid, memory_limit
from aidwatch.home import Home
from warehouse.build import BuildFailed, BuildResult, PublishRefused, build

log = logging.getLogger(__name__)

#: Marts whose row counts describe a build.
MAIN_MARTS = ("dim_person", "dim_household", "dim_region", "fct_aid", "household_roll_history", "warnings")


#: Ledger statuses of a file whose rows did not reach the warehouse and need a person:
#: `aidwatch run` exits with its own status when the build published nonetheless.
ATTENTION_STATUSES = ("rejected", "held")


class PipelineFailed(RuntimeError):
    """A step of the pipeline failed; the message names the step and why."""


@dataclass
class PipelineSummary:
    """What a run ingested, built and exported."""

    as_of: date
    ledger_status: Counter = field(default_factory=Counter)
    build: BuildResult | None = None
    mart_rows: dict[str, int] = field(default_factory=dict)
    warnings_by_severity: dict[str, int] = field(default_factory=dict)
    export_dir: Path | None = None
    attention: list[dict] = field(default_factory=list)  # this run's rejected or held files
    health_report: Path | None = None
    health_problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"as_of {self.as_of}"]
        if self.ledger_status:
            statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.ledger_status.items()))
            lines.append(f"ingested files: {statuses}")
        for entry in self.attention:
            reasons = "; ".join(entry.get("reasons") or [])
            batch = entry.get("batch_id")
            lines.append(f"  {entry['status']}: {entry.get('file')} (batch {batch}): {reasons}")
        if self.build is not None and self.build.replay:
            lines.append(
                f"as_of {self.as_of} is earlier than the published one ({self.build.published_as_of}): "
                f"replayed in {self.build.seconds_total:.1f}s into {self.build.warehouse} (read-only); "
                "the published warehouse and its warning history are unchanged, no warning lists exported"
            )
        elif self.build is not None:
            lines.append(
                f"warehouse built in {self.build.seconds_total:.1f}s and published: {self.build.warehouse}"
            )
            if self.build.accepted_change:
                lines.append(f"  published a change beyond the publish gate's bounds, accepted because: "
                             f"{self.build.accepted_change}")
        for name, rows in self.mart_rows.items():
            lines.append(f"  marts.{name}: {rows} rows")
        if self.warnings_by_severity:
            by_severity = ", ".join(f"{n} {s}" for s, n in sorted(self.warnings_by_severity.items()))
            lines.append(f"  warnings: {by_severity}")
        if self.export_dir is not None:
            lines.append(f"warning lists exported to {self.export_dir}")
        if self.build is not None and self.build.analyst_file is not None:
            lines.append(
                f"for analysts (pseudonymised): .venv/bin/python -c \"import duckdb; "
                f"con = duckdb.connect('{self.build.analyst_file}', read_only=True); "
                "print(con.sql('select * from analyst.warnings limit 5'))\""
            )
        elif self.build is not None and not self.build.replay:
            lines.append("no analyst file: no pseudonym key (see the error above)")
        if self.health_report is not None:
            lines.append(f"feed health: {len(self.health_problems)} problem(s), report {self.health_report}")
            lines += [f"  {problem}" for problem in self.health_problems]
        return "\n".join(lines)


def describe_warehouse(path: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Row counts of the main marts and open warnings by severity (read-only)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        present = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        rows = {
            name: int(con.execute(f"select count(*) from marts.{name}").fetchall()[0][0])
            for name in MAIN_MARTS
            if name in present
        }
        severities: dict[str, int] = {}
        if "warnings" in present:
            severities = dict(
                con.execute(
                    "select severity, count(*) from marts.warnings "
                    "where status <> 'resolved' group by severity"
                ).fetchall()
            )
        return rows, severities
    finally:
        con.close()


def export(home: Home, as_of: date) -> Path:
    """Write the officials' warning lists and the league report for `as_of`."""
    from exports.officials import export_warning_lists

    return export_warning_lists(home, as_of, None).out_dir


def deliver_officials_feedback(home: Home, as_of: date) -> list[dict]:
    """Deliver the workspace's feedback as the feed warning_feedback (before every build)."""
    from aidwatch.feedback.delivery import deliver_feedback

    return deliver_feedback(home, as_of)


def write_health(home: Home, as_of: date) -> tuple[Path, list[str]]:
    """The feed health report of as_of, with the problems not acknowledged sent to the operator's
    notifier (aidwatch/health_signal.py: the same check, report and alerts as Airflow's task)."""
    from aidwatch.health_signal import check_and_alert

    signal = check_and_alert(home, as_of)
    lines = [f"[{p.check}] {p.message}" for p in signal.alerting]
    lines += [f"[{p.check}] (acknowledged until {ack.until}) {p.message}" for p, ack in signal.quiet]
    return signal.report, lines


def run_pipeline(
    home: Home, inbox: Path, as_of: date, do_export: bool = True, accept_change: str | None = None
) -> PipelineSummary:
    """Ingest `inbox`, build and publish for `as_of`, then export; raise PipelineFailed on failure.

    The feed health report is written right after ingestion, so it exists even when the
    build fails. An as_of earlier than the published one is a replay: nothing is exported.
    """
    from ingestion.pipeline import ingest_inbox
    from warehouse.dbt_warm_up import warm_up_dbt

    summary = PipelineSummary(as_of=as_of)
    if not Path(inbox).is_dir():
        raise PipelineFailed(f"inbox {inbox} is not a folder")
    try:
        memory_limit()  # a ceiling DuckDB cannot read fails the run before ingesting, not after
    except MemoryLimitInvalid as error:
        raise PipelineFailed(str(error)) from error
    # dbt's start-up (~2.5 s on one core) is paid while the ingestion workers run
    entries = ingest_inbox(Path(inbox), home, alongside=warm_up_dbt)
    summary.ledger_status = Counter(entry["status"] for entry in entries)
    summary.attention = [entry for entry in entries if entry["status"] in ATTENTION_STATUSES]
    summary.health_report, summary.health_problems = write_health(home, as_of)
    deliver_officials_feedback(home, as_of)
    try:
        summary.build = build(home, as_of, accept_change=accept_change)
    except PublishRefused as error:
        raise PipelineFailed(str(error)) from error
    except BuildFailed as error:
        raise PipelineFailed(f"build failed: {error}") from error
    summary.mart_rows, summary.warnings_by_severity = describe_warehouse(summary.build.warehouse)
    if do_export and not summary.build.replay:
        try:
            summary.export_dir = export(home, as_of)
        except Exception as error:  # the warehouse is published; say which step failed
            raise PipelineFailed(f"export failed after publishing the warehouse: {error}") from error
    return summary
