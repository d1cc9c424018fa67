"""The operational store on SQLite and on a real PostgreSQL: migrations, append-only tables,
refusal to start unmigrated, and a login with its audit rows through the app."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from aidwatch.cli import main
from aidwatch.home import Home
from aidwatch.workspace import accounts
from aidwatch.workspace.app import create_app
from aidwatch.workspace.ops import OpsNotMigrated, current_revision, head_revision, open_ops_engine
from aidwatch.workspace.ops.models import AuditEvent, WarningFeedback
from aidwatch.workspace.ops.store import create_ops_engine
from aidwatch.workspace.reassignment import ReassignmentRequest, Reassignments, record_reassignment
from aidwatch.workspace.scope import Principal
from tests.workspace.conftest import PASSWORD, SECRET, login
from tests.workspace.postgres import create_database, postgres_server  # noqa: F401 (fixture)

TABLES = {"users", "login_sessions", "audit_events", "warning_feedback", "warning_reassignments",
          "alembic_version"}


def check_store(engine, built_home, areas) -> None:
    """The same checks on either database: tables, append-only feedback, login + audit via the app."""
    assert TABLES <= set(inspect(engine).get_table_names())
    assert current_revision(engine) == head_revision()
    with Session(engine) as db:
        db.add(WarningFeedback(warning_key=areas.warning_a, result="confirmed", action="review_done",
                               note=None, verified_on=date(2026, 11, 28), handled_on=None,
                               user_login="town_a", recorded_at=accounts.utc_now()))
        db.commit()
    assert_append_only(engine, "update warning_feedback set note = 'x'", "delete from warning_feedback")
    accounts.add_user(engine, "town_a", "township", PASSWORD, areas.township_a)
    app = create_app(built_home, ops_engine=engine, secret_key=SECRET)
    try:
        client = TestClient(app)
        assert login(client, "town_a").status_code == 303
        assert client.get(f"/households/{areas.household_a}").status_code == 200
        assert client.get(f"/households/{areas.household_b}").status_code == 404
    finally:
        app.state.warehouse.close()
    with Session(engine) as db:
        rows = [(e.action, e.result) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert rows == [("login", "ok"), ("view_household", "ok"), ("view_household", "out_of_scope")]
    assert_append_only(engine, "update audit_events set result = 'ok'", "delete from audit_events")
    league = Principal(user_id=0, login="league", role="league", region_code=None)
    moved = ReassignmentRequest(areas.warning_a, areas.township_b, "由乙镇核查")
    assert record_reassignment(engine, league, {"township_code": areas.township_a}, moved, "127.0.0.1") > 0
    assert Reassignments(engine).latest() == {areas.warning_a: (areas.township_b, areas.banner_b)}
    assert_append_only(engine, "update warning_reassignments set reason = 'x'",
                       "delete from warning_reassignments")


def assert_append_only(engine, *statements: str) -> None:
    for statement in statements:
        with pytest.raises(Exception, match="append-only"):
            with engine.begin() as connection:
                connection.execute(text(statement))


def test_sqlite_is_created_and_migrated_on_open(tmp_path, built_home, areas, monkeypatch):
    monkeypatch.delenv("AIDWATCH_OPS_DB", raising=False)
    engine = open_ops_engine(Home(tmp_path))
    assert engine.url.database == str(tmp_path / "workspace.sqlite")
    check_store(engine, built_home, areas)
    assert open_ops_engine(Home(tmp_path)).url == engine.url  # reopening an up-to-date database is a no-op


def test_postgresql_needs_db_upgrade_then_works(postgres_server, built_home, areas, monkeypatch,  # noqa: F811
                                                tmp_path, caplog):
    url = create_database(postgres_server, "aidwatch_ops_test")
    monkeypatch.setenv("AIDWATCH_OPS_DB", url)
    with pytest.raises(OpsNotMigrated, match="aidwatch db upgrade"):
        open_ops_engine(Home(tmp_path))
    assert main(["serve", "--home", str(tmp_path)]) == 1  # refuses to start, naming the command
    assert "aidwatch db upgrade" in caplog.text
    assert main(["db", "upgrade", "--home", str(tmp_path)]) == 0
    assert not (tmp_path / "workspace.sqlite").exists()
    engine = open_ops_engine(Home(tmp_path))
    assert engine.dialect.name == "postgresql"
    check_store(engine, built_home, areas)
    engine.dispose()


def test_db_current_reports_the_revision(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AIDWATCH_OPS_DB", raising=False)
    assert main(["db", "current", "--home", str(tmp_path)]) == 0
    assert "revision none" in capsys.readouterr().out
    assert main(["db", "upgrade", "--home", str(tmp_path)]) == 0
    engine = create_ops_engine(f"sqlite:///{tmp_path / 'workspace.sqlite'}")
    assert current_revision(engine) == head_revision()
