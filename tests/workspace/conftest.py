"""Workspace fixtures: the session's built warehouse (`built_home`) served with users of every role.

Why no new build: the workspace only reads the published warehouse; it reuses the suite's
session warehouse and writes nothing into that HOME (its ops database and session secret
live in a temporary folder of their own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aidwatch.home import Home
from aidwatch.workspace import accounts
from aidwatch.workspace.app import create_app
from aidwatch.workspace.ops import open_ops_engine
from aidwatch.workspace.ops.models import AuditEvent

PASSWORD = "correct horse battery"
SECRET = "test-secret-" + "x" * 40


@dataclass(frozen=True)
class Areas:
    """Two townships in two banners, and objects of township A (a warning, a household, a case)."""

    township_a: str
    township_b: str
    warning_a: str
    warning_b: str
    household_a: str
    household_b: str
    case_a: str
    case_b: str
    banner_level_warning: str | None

    @property
    def banner_a(self) -> str:
        return self.township_a[:6]

    @property
    def banner_b(self) -> str:
        return self.township_b[:6]


def pick_areas(warehouse: Path) -> Areas:
    """Township A: the one with a case, a household and the most warnings; B: one in another banner."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            """
            select township_code,
                   count(*) as n,
                   min(case when subject_type = 'case' then subject_key end) as case_key,
                   min(household_id) as household,
                   -- a warning about a person (its page has a reveal form), chosen by rule and
                   -- subject: warning keys are salted per warehouse, so their order is not stable
                   min_by(warning_key, rule_id || '|' || subject_key)
                       filter (where id_number is not null) as warning_key
            from marts.warnings
            where township_code is not null
            group by township_code
            having count(case when subject_type = 'case' then 1 end) > 0 and count(household_id) > 0
               and count(id_number) > 0
            order by n desc, township_code
            """
        ).fetchall()
        a = rows[0]
        b = next(row for row in rows[1:] if row[0][:6] != a[0][:6])
        banner_level = con.execute(
            "select min_by(warning_key, rule_id || '|' || subject_key) from marts.warnings "
            "where township_code is null and banner_code = ?",
            [a[0][:6]],
        ).fetchone()[0]
    finally:
        con.close()
    return Areas(a[0], b[0], a[4], b[4], a[3], b[3], a[2], b[2], banner_level)


@pytest.fixture(scope="session")
def areas(built_home: Home) -> Areas:
    return pick_areas(built_home.warehouse)


def make_users(engine: Engine, areas: Areas) -> dict[str, str]:
    """One user per role and area; returns login -> role."""
    users = {
        "town_a": ("township", areas.township_a),
        "town_b": ("township", areas.township_b),
        "banner_a": ("banner", areas.banner_a),
        "banner_b": ("banner", areas.banner_b),
        "league": ("league", None),
        "admin": ("admin", None),
    }
    for login, (role, region) in users.items():
        accounts.add_user(engine, login, role, PASSWORD, region)
    return {login: role for login, (role, _) in users.items()}


@pytest.fixture(scope="session")
def ops_engine(tmp_path_factory: pytest.TempPathFactory, areas: Areas) -> Engine:
    """A migrated SQLite ops database with the users of `make_users`."""
    home = Home(tmp_path_factory.mktemp("workspace_ops"))
    engine = open_ops_engine(home, f"sqlite:///{home.root / 'workspace.sqlite'}")
    make_users(engine, areas)
    return engine


@pytest.fixture(scope="session")
def workspace_app(built_home: Home, ops_engine: Engine):
    app = create_app(built_home, ops_engine=ops_engine, secret_key=SECRET)
    yield app
    app.state.warehouse.close()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       follow_redirects=False)


@pytest.fixture(scope="session")
def clients(workspace_app) -> dict[str, TestClient]:
    """A signed-in TestClient per test user (session-wide: logging in costs an argon2 hash)."""
    result = {}
    for username in ("town_a", "town_b", "banner_a", "banner_b", "league", "admin"):
        client = TestClient(workspace_app)
        response = login(client, username)
        assert response.status_code == 303, response.text
        result[username] = client
    return result


def last_audit_id(engine: Engine) -> int:
    with Session(engine) as db:
        return db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0


def audit_since(engine: Engine, marker: int) -> list[AuditEvent]:
    with Session(engine) as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.id > marker).order_by(AuditEvent.id)))
