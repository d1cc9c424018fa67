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

from aidwatch.home import Home
from warehouse.build import BuildFailed, BuildResult, build

log = logging.getLogger(__name__)

#: Marts whose row counts describe a build.
MAIN_MARTS = ("dim_person", "dim_household", "dim_region", "fct_aid", "household_roll_history", "warnings")


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

    def describe(self) -> str:
        lines = [f"as_of {self.as_of}"]
        if self.ledger_status:
            statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.ledger_status.items()))
            lines.append(f"ingested files: {statuses}")
        if self.build is not None:
            lines.append(
                f"warehouse built in {self.build.seconds_total:.1f}s and published: {self.build.warehouse}"
            )
        for name, rows in self.mart_rows.items():
            lines.append(f"  marts.{name}: {rows} rows")
        if self.warnings_by_severity:
            by_severity = ", ".join(f"{n} {s}" for s, n in sorted(self.warnings_by_severity.items()))
            lines.append(f"  warnings: {by_severity}")
        if self.export_dir is not None:
            lines.append(f"warning lists exported to {self.export_dir}")
        if self.build is not None:
            lines.append(
                "open it read-only: .venv/bin/python -c \"import duckdb; "
                f"con = duckdb.connect('{self.build.warehouse}', read_only=True); "
                "print(con.sql('select * from marts.warnings limit 5'))\""
            )
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


def run_pipeline(home: Home, inbox: Path, as_of: date, do_export: bool = True) -> PipelineSummary:
    """Ingest `inbox`, build and publish for `as_of`, then export; raise PipelineFailed on failure."""
    from ingestion.pipeline import ingest_inbox

    summary = PipelineSummary(as_of=as_of)
    if not Path(inbox).is_dir():
        raise PipelineFailed(f"inbox {inbox} is not a folder")
    entries = ingest_inbox(Path(inbox), home)
    summary.ledger_status = Counter(entry["status"] for entry in entries)
    try:
        summary.build = build(home, as_of)
    except BuildFailed as error:
        raise PipelineFailed(f"build failed: {error}") from error
    summary.mart_rows, summary.warnings_by_severity = describe_warehouse(home.warehouse)
    if do_export:
        try:
            summary.export_dir = export(home, as_of)
        except Exception as error:  # the warehouse is published; say which step failed
            raise PipelineFailed(f"export failed after publishing the warehouse: {error}") from error
    return summary
