"""Where aidwatch keeps its data: one HOME folder, laid out the same for every command.

Why one place: the CLI, the Airflow DAGs, the tests and the benchmarks must agree on
where the raw zone, the ledger and the warehouse live; they all ask this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

HOME_ENV = "AIDWATCH_HOME"
DEFAULT_HOME = Path("data")


@dataclass(frozen=True)
class Home:
    """The layout of an aidwatch HOME folder."""

    root: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None = None) -> Home:
        """`home` if given, else `$AIDWATCH_HOME`, else `./data`; made absolute."""
        chosen = home or os.environ.get(HOME_ENV) or DEFAULT_HOME
        return cls(Path(chosen).expanduser().resolve())

    @property
    def inbox(self) -> Path:
        """Default inbox (the demo simulates into it)."""
        return self.root / "inbox"

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    def raw_feed(self, feed_id: str) -> Path:
        return self.raw / feed_id

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def ledger(self) -> Path:
        return self.root / "ledger"

    @property
    def gate_reports(self) -> Path:
        """Great Expectations validation results, one JSON + HTML per batch."""
        return self.root / "reports" / "gate"

    @property
    def warehouse(self) -> Path:
        """The published warehouse: readers open this file, nobody writes it in place."""
        return self.root / "warehouse.duckdb"

    @property
    def warehouse_next(self) -> Path:
        """The copy that `dbt build` writes before it is published."""
        return self.root / "warehouse.next.duckdb"

    @property
    def warehouse_previous(self) -> Path:
        """The warehouse published before the current one."""
        return self.root / "warehouse.previous.duckdb"

    @property
    def replays(self) -> Path:
        """Builds for an as_of earlier than the published one: replays/<as_of>/warehouse.duckdb."""
        return self.root / "replays"

    def replay_warehouse(self, as_of: date) -> Path:
        """The read-only result of replaying `as_of` (never the published file)."""
        return self.replays / as_of.isoformat() / "warehouse.duckdb"

    @property
    def publish_log(self) -> Path:
        """Append-only record of every publish, replay, refused publish and accepted change."""
        return self.root / "audit" / "publishes.jsonl"

    @property
    def analyst_file(self) -> Path:
        """The pseudonymised tables for analysts, written after each publish (exports/analyst.py)."""
        return self.root / "analyst.duckdb"

    @property
    def analyst_next(self) -> Path:
        """The analyst file being written; renamed over analyst.duckdb when complete."""
        return self.root / "analyst.next.duckdb"

    @property
    def dbt_work(self) -> Path:
        """dbt's target and log folders for this HOME (so concurrent HOMEs never collide)."""
        return self.root / "dbt"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def audit_log(self) -> Path:
        """Append-only log of every export (JSON lines)."""
        return self.root / "audit" / "exports.jsonl"

    @property
    def pseudonym_key_file(self) -> Path:
        """Key for analyst pseudonyms when AIDWATCH_PSEUDONYM_KEY is not set (owner-only)."""
        return self.root / "secrets" / "pseudonym.key"

    @property
    def airflow_home(self) -> Path:
        return self.root / "airflow"
