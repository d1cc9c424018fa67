"""`aidwatch serve`: the officials' workspace (FastAPI + uvicorn) over the published warehouse.

Why `--demo-users`: `make serve` should give a working workspace at once, with a user
of every role; their random passwords are printed once and stored nowhere else than
as argon2 hashes.

Why `--workers`: one Python process renders pages on one core (the GIL); uvicorn's
worker processes use the others. Each worker builds its own app (`worker_app`, a
uvicorn factory) from settings this process puts in the environment: it opens the
published warehouse read-only and follows new publishes on its own, and shares the ops
database (SQLite in WAL mode with a busy timeout, or PostgreSQL). The database is
migrated and the session secret created here, before any worker starts.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
from pathlib import Path

from aidwatch.home import Home

log = logging.getLogger(__name__)

DEMO_LOGINS = ("demo_township", "demo_banner", "demo_league", "demo_admin")
WORKER_SETTINGS_ENV = "AIDWATCH_SERVE_WORKER_SETTINGS"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="start the officials' workspace (web application) on HOME's published warehouse",
        description=(
            "Serves the workspace: warning lists, household and case pages, statistics and the audit "
            "log, scoped by each user's role and area. Reads HOME/warehouse.duckdb read-only and follows "
            "new publishes; users, sessions and the audit log live in HOME/workspace.sqlite or "
            "$AIDWATCH_OPS_DB (PostgreSQL: run `aidwatch db upgrade` first)."
        ),
    )
    parser.add_argument("--home", default=None, help="aidwatch HOME (default $AIDWATCH_HOME, else ./data)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--https-only", action="store_true",
                        help="mark the session cookie Secure (behind a TLS-terminating proxy)")
    parser.add_argument("--workers", type=positive_int, default=1,
                        help="worker processes (default 1; up to the number of cores helps under load)")
    parser.add_argument("--demo-users", action="store_true",
                        help="create one user per role if missing and print their passwords once")
    parser.set_defaults(func=run)


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (a clear message, no traceback)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def worker_app():  # noqa: ANN201 (FastAPI, imported lazily)
    """uvicorn factory for `--workers N`: the app of the HOME named by the serving process."""
    from aidwatch.workspace.app import create_app

    settings = json.loads(os.environ[WORKER_SETTINGS_ENV])
    return create_app(Home(Path(settings["home"])), https_only=settings["https_only"])


def demo_areas(home: Home) -> tuple[str | None, str | None]:
    """(township, banner) with the most warnings in the published warehouse, if there is one."""
    from aidwatch.workspace.warehouse import PublishedWarehouse
    from exports.published import WarehouseMissing

    warehouse = PublishedWarehouse(home)
    try:
        counts: dict[str, int] = {}
        for row in warehouse.snapshot().warnings:
            if row.get("township_code"):
                counts[row["township_code"]] = counts.get(row["township_code"], 0) + 1
    except WarehouseMissing:
        return None, None
    finally:
        warehouse.close()
    if not counts:
        return None, None
    township = max(sorted(counts), key=counts.get)
    return township, township[:6]


def create_demo_users(home: Home, engine) -> None:  # noqa: ANN001 (sqlalchemy Engine)
    from aidwatch.workspace import accounts
    from aidwatch.workspace.audit import write_audit

    existing = {user.login for user in accounts.list_users(engine)}
    township, banner = demo_areas(home)
    wanted = [("demo_township", "township", township), ("demo_banner", "banner", banner),
              ("demo_league", "league", None), ("demo_admin", "admin", None)]
    created = []
    for login, role, region in wanted:
        if login in existing:
            continue
        if role in ("township", "banner") and region is None:
            log.warning("no published warehouse with warnings: %s not created", login)
            continue
        password = secrets.token_urlsafe(12)
        accounts.add_user(engine, login, role, password, region)
        write_audit(engine, action="user_change", result="ok", user_login="cli:serve", role="cli",
                    subject=f"user:{login}", detail=f"add demo role={role} region={region or '-'}")
        created.append((login, role, region, password))
    if created:
        print("demo users (passwords shown this once only):")
        for login, role, region, password in created:
            print(f"  {login:14} {role:9} {region or '-':10} {password}")
    if existing & set(DEMO_LOGINS):
        print("existing demo users keep their passwords (reset: aidwatch users set-password LOGIN)")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from aidwatch.workspace.app import create_app, session_secret
    from aidwatch.workspace.ops import OpsNotMigrated, open_ops_engine

    home = Home.resolve(args.home)
    try:
        engine = open_ops_engine(home)
    except OpsNotMigrated as error:
        log.error("%s", error)
        return 1
    if args.demo_users:
        create_demo_users(home, engine)
    if not home.warehouse.exists():
        log.warning("%s does not exist yet: pages answer 'no data' until a build publishes it",
                    home.warehouse)
    print(f"workspace on http://{args.host}:{args.port}/ (HOME {home.root}, "
          f"{args.workers} worker{'s' if args.workers > 1 else ''})", flush=True)
    if args.workers == 1:
        app = create_app(home, ops_engine=engine, https_only=args.https_only)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
        return 0
    session_secret(home)  # created once here, not raced by the workers
    engine.dispose()
    os.environ[WORKER_SETTINGS_ENV] = json.dumps({"home": str(home.root), "https_only": args.https_only})
    uvicorn.run(f"{__name__}:worker_app", factory=True, workers=args.workers, host=args.host,
                port=args.port, log_level="warning", access_log=False)
    return 0
