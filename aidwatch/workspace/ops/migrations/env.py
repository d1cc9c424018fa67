"""Alembic environment: migrations run on the connection `aidwatch.workspace.ops.store` passes in.

Why no alembic.ini: the URL is the HOME's (or AIDWATCH_OPS_DB's), chosen at run time by
`open_ops_engine` and `aidwatch db upgrade`; the script location is this package.
"""

from __future__ import annotations

from alembic import context

from aidwatch.workspace.ops.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
