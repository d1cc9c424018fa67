"""`aidwatch db upgrade|current`: the workspace's operational database schema (Alembic).

Why a command: a shared PostgreSQL database is migrated deliberately, once, by an
operator (the workspace refuses to start on one that is behind); the SQLite default
is migrated by `aidwatch serve` and `aidwatch users` themselves.
"""

from __future__ import annotations

import argparse
import logging

from aidwatch.home import Home

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "db",
        help="migrate the workspace's operational database (upgrade) or show its revision (current)",
        description=(
            "The operational database is $AIDWATCH_OPS_DB (a SQLAlchemy URL, e.g. "
            "postgresql+psycopg2://user:pass@host/db) or HOME/workspace.sqlite."
        ),
    )
    parser.add_argument("db_action", choices=["upgrade", "current"])
    parser.add_argument("--home", default=None, help="aidwatch HOME (default $AIDWATCH_HOME, else ./data)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from aidwatch.workspace.ops import current_revision, head_revision, ops_url, upgrade
    from aidwatch.workspace.ops.store import create_ops_engine, is_sqlite

    home = Home.resolve(args.home)
    url = ops_url(home)
    if is_sqlite(url) and not home.root.exists():
        home.root.mkdir(parents=True, mode=0o750)  # HOME's mode (docs/design.md)
    engine = create_ops_engine(url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        if args.db_action == "current":
            print(f"{where}: revision {current_revision(engine) or 'none'} (newest {head_revision()})")
            return 0
        before, after = upgrade(engine)
    except SQLAlchemyError as error:
        log.error("%s: %s", where, error.__class__.__name__ + ": " + str(error).splitlines()[0])
        return 1
    finally:
        engine.dispose()
    print(f"{where}: migrated from {before or 'empty'} to {after}")
    return 0
