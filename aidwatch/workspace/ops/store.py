"""Opening the operational database and keeping its schema at the newest migration.

Why two behaviours: the SQLite default lives in HOME and belongs to this process, so
`aidwatch serve` and `aidwatch users` create and migrate it themselves; a PostgreSQL
database is shared and migrated deliberately by `aidwatch db upgrade`, and the
workspace refuses to run on one that is behind rather than migrate it by surprise.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

from aidwatch.home import Home

OPS_DB_ENV = "AIDWATCH_OPS_DB"
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin: noise
MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 10_000


class OpsNotMigrated(RuntimeError):
    """The operational database is not at the newest migration (run `aidwatch db upgrade`)."""


def ops_url(home: Home, url: str | None = None) -> str:
    """`url`, else `$AIDWATCH_OPS_DB`, else SQLite `HOME/workspace.sqlite`."""
    chosen = url or os.environ.get(OPS_DB_ENV)
    if chosen:
        return chosen
    return f"sqlite:///{home.root / 'workspace.sqlite'}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_ops_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and foreign keys (many readers, one writer)."""
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                                  "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 (DB-API object)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at each checkpoint, no fsync per row
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to the newest revision; returns (revision before, revision after)."""
    before = current_revision(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision()


def open_ops_engine(home: Home, url: str | None = None) -> Engine:
    """The operational database of `home`, at the newest migration.

    SQLite (the default): created and migrated here. PostgreSQL: raises
    `OpsNotMigrated` naming `aidwatch db upgrade` unless already at the head.
    """
    chosen = ops_url(home, url)
    if is_sqlite(chosen) and not home.root.exists():
        home.root.mkdir(parents=True, mode=0o750)  # HOME's mode (docs/design.md)
    engine = create_ops_engine(chosen)
    if is_sqlite(chosen):
        if current_revision(engine) != head_revision():
            upgrade(engine)
        return engine
    current = current_revision(engine)
    if current != head_revision():
        engine.dispose()
        raise OpsNotMigrated(
            f"the operational database {engine.url.render_as_string(hide_password=True)} is at "
            f"revision {current or 'none'}, not {head_revision()}: run `aidwatch db upgrade` first"
        )
    return engine
