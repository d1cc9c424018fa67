"""dbt docs for analysts, generated against a copy of the published warehouse.

Why a copy: `dbt docs generate` opens the database read-write to build its catalog,
and the published file is never written (readers hold it open).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb

from aidwatch.duckdb_memory import remove_database
from aidwatch.home import Home
from warehouse.build import dbt_env, run_dbt
from warehouse.raw_zone import ensure_schema_files


class DocsFailed(RuntimeError):
    """dbt docs could not be generated."""


def published_as_of(path: Path) -> date | None:
    """The as_of the published warehouse was built for (marts.build_info), if known."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select max(as_of) from marts.build_info").fetchall()[0][0]
    except duckdb.Error:
        return None
    finally:
        con.close()


def generate_docs(home: Home, as_of: date | None = None) -> Path:
    """Write the docs site to HOME/dbt/docs and return its index.html."""
    if not home.warehouse.exists():
        raise DocsFailed(f"no published warehouse at {home.warehouse}: run `aidwatch build` first")
    as_of = as_of or published_as_of(home.warehouse) or date.today()
    ensure_schema_files(home)
    work = home.dbt_work / "docs.duckdb"
    remove_database(work)
    shutil.copyfile(home.warehouse, work)
    target = home.dbt_work / "docs"
    args = [
        "docs", "generate",
        "--project-dir", str(Path(__file__).resolve().parent.parent / "dbt_project"),
        "--profiles-dir", str(Path(__file__).resolve().parent.parent / "dbt_project"),
        "--target-path", str(target),
        "--log-path", str(home.dbt_work / "logs"),
        "--vars", f'{{"as_of": "{as_of.isoformat()}"}}',
        "--quiet",
    ]
    try:
        result = run_dbt(args, dbt_env(home, work))
    finally:
        remove_database(work)
    index = target / "index.html"
    if not result.success or not index.exists():
        detail = result.exception or f"see {home.dbt_work / 'logs'}"
        raise DocsFailed(f"dbt docs generate failed: {detail}")
    return index
