"""The workspace's operational database: users, sessions, audit log and feedback.

Why its own database: the warehouse has one writer (the build); everything the
workspace writes goes here. SQLite in HOME by default, PostgreSQL when
`AIDWATCH_OPS_DB` holds a URL; the schema is managed by Alembic migrations.
"""

from aidwatch.workspace.ops.store import (
    OPS_DB_ENV,
    OpsNotMigrated,
    current_revision,
    head_revision,
    open_ops_engine,
    ops_url,
    upgrade,
)

__all__ = [
    "OPS_DB_ENV",
    "OpsNotMigrated",
    "current_revision",
    "head_revision",
    "open_ops_engine",
    "ops_url",
    "upgrade",
]
