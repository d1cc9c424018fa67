"""League reassignment of a warning, the admin's user management page, the overdue filter, `--workers`.

Why an app of their own: a reassignment moves township A's warning for every later request,
and user changes alter accounts; the session-wide `workspace_app` other tests share must not
see either. The warehouse is the session's (read-only); only the ops database is new.
"""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from aidwatch.cli import main
from aidwatch.home import Home
from aidwatch.workspace import accounts
from aidwatch.workspace.app import create_app
from aidwatch.workspace.ops import open_ops_engine
from aidwatch.workspace.ops.models import WarningReassignment
from aidwatch.workspace.routers.warnings import overdue_states
from tests.workspace.conftest import SECRET, audit_since, csrf_of, last_audit_id, login, make_users

USERS = ("town_a", "town_b", "banner_a", "banner_b", "league", "admin")


@pytest.fixture(scope="module")
def own(built_home, areas, tmp_path_factory):
    """(app, ops engine, signed-in clients) on a fresh ops database."""
    root = tmp_path_factory.mktemp("workspace_reassign")
    engine = open_ops_engine(Home(root), f"sqlite:///{root / 'ops.sqlite'}")
    make_users(engine, areas)
    app = create_app(built_home, ops_engine=engine, secret_key=SECRET)
    clients = {}
    for user in USERS:
        clients[user] = TestClient(app)
        assert login(clients[user], user).status_code == 303
    yield app, engine, clients
    app.state.warehouse.close()


def keys_in_list(client: TestClient) -> set[str]:
    """Every warning key of the user's whole list (all pages)."""
    keys, page = set(), 1
    while True:
        html = client.get(f"/warnings?page={page}").text
        keys |= set(re.findall(r'href="/warnings/([^"/?#]+)"', html))
        if f"page={page + 1}" not in html:
            return keys
        page += 1


def reassign(client: TestClient, key: str, to: str, reason: str = "户籍迁入该镇，由该镇核查",
             token: str | None = None):
    page = client.get(f"/warnings/{key}")
    token = token if token is not None else csrf_of(page.text)
    form = {"to_township": to, "reason": reason, "csrf_token": token}
    return client.post(f"/warnings/{key}/reassign", data=form, follow_redirects=False)


def test_only_the_league_reassigns_and_refusals_are_audited(own, areas):
    _, engine, clients = own
    for user in ("town_a", "banner_a"):
        marker = last_audit_id(engine)
        response = reassign(clients[user], areas.warning_a, areas.township_b)
        assert response.status_code == 403, user
        event = audit_since(engine, marker)[-1]
        assert (event.user_login, event.action, event.result) == (user, "denied", "forbidden_role")
    assert reassign(clients["town_b"], areas.warning_a, areas.township_b).status_code in (403, 404)
    assert reassign(clients["admin"], areas.warning_a, areas.township_b).status_code == 403
    assert reassign(clients["league"], areas.warning_a, areas.township_b, token="forged").status_code == 403
    bad = reassign(clients["league"], areas.warning_a, "999999999")
    assert bad.status_code == 422 and "请选择本盟的一个苏木镇" in bad.text
    assert reassign(clients["league"], areas.warning_a, areas.township_b, reason="  ").status_code == 422
    with Session(engine) as db:
        assert db.scalars(select(WarningReassignment)).all() == []


def test_league_reassignment_moves_the_warning(own, areas, built_home):
    app, engine, clients = own
    warning = next(row for row in app.state.warehouse.snapshot().warnings  # one with a household page
                   if row.get("township_code") == areas.township_a and row.get("household_id"))
    key, household = warning["warning_key"], warning["household_id"]
    assert key in keys_in_list(clients["town_a"]) and key not in keys_in_list(clients["town_b"])
    # another worker process: its own warehouse reader on the same ops database, opened before
    other_worker = create_app(built_home, ops_engine=engine, secret_key=SECRET)
    assert other_worker.state.warehouse.snapshot().by_key[key]["township_code"] == areas.township_a

    marker = last_audit_id(engine)
    response = reassign(clients["league"], key, areas.township_b)
    assert response.status_code == 303
    event = audit_since(engine, marker)[-1]
    assert (event.action, event.subject, event.result) == ("reassign_warning", f"warning:{key}", "ok")
    assert f"to={areas.township_b}" in event.detail

    assert key in keys_in_list(clients["town_b"]) and key not in keys_in_list(clients["town_a"])
    assert clients["town_b"].get(f"/warnings/{key}").status_code == 200
    page = clients["town_b"].get(f"/households/{household}")  # to verify it
    assert page.status_code == 200 and key in page.text
    assert key not in clients["town_a"].get(f"/households/{household}").text
    marker = last_audit_id(engine)
    assert clients["town_a"].get(f"/warnings/{key}").status_code == 404
    assert audit_since(engine, marker)[-1].result == "out_of_scope"
    assert key in keys_in_list(clients["banner_b"]) and key not in keys_in_list(clients["banner_a"])
    league_page = clients["league"].get(f"/warnings/{key}").text
    assert "户籍迁入该镇" in league_page and "改派记录" in league_page
    assert "改派至其他苏木镇" not in clients["town_b"].get(f"/warnings/{key}").text  # no form
    moved = other_worker.state.warehouse.snapshot().by_key[key]
    assert (moved["township_code"], moved["banner_code"]) == (areas.township_b, areas.banner_b)
    other_worker.state.warehouse.close()
    with engine.begin() as connection, pytest.raises(DatabaseError):
        connection.execute(text("update warning_reassignments set reason = 'x'"))


def test_admin_manages_users_in_the_web_ui(own, areas):
    app, engine, clients = own
    admin = clients["admin"]
    for user in ("town_a", "league"):
        marker = last_audit_id(engine)
        assert clients[user].get("/users").status_code == 403
        assert audit_since(engine, marker)[-1].action == "denied"
    page = admin.get("/users")
    assert page.status_code == 200 and "town_a" in page.text
    token = csrf_of(page.text)
    form = {"login": "zhang", "role": "township", "region": areas.township_a, "password": "short",
            "password_confirm": "short", "csrf_token": token}
    refused = admin.post("/users", data=form, follow_redirects=False)
    assert refused.status_code == 422 and "密码至少" in refused.text
    assert admin.post("/users", data={**form, "csrf_token": "forged"}).status_code == 403
    form.update(password="zhang-password-1", password_confirm="zhang-password-1")
    marker = last_audit_id(engine)
    assert admin.post("/users", data=form, follow_redirects=False).status_code == 303
    event = audit_since(engine, marker)[-1]
    assert (event.user_login, event.action, event.subject) == ("admin", "user_change", "user:zhang")
    zhang = TestClient(app)
    assert login(zhang, "zhang", "zhang-password-1").status_code == 303
    assert zhang.get("/warnings").status_code == 200

    def change(action: str, **fields: str):
        return admin.post("/users/zhang", data={"action": action, "csrf_token": token, **fields},
                          follow_redirects=False)

    assert change("set-role", role="banner", region="12").status_code == 422
    assert change("set-role", role="league", region="").status_code == 303
    assert "全盟" in zhang.get("/warnings").text  # the next request has the new scope
    assert change("disable").status_code == 303
    assert zhang.get("/warnings", follow_redirects=False).status_code == 303  # session ended at once
    assert change("enable").status_code == 303
    assert change("set-password", password="zhang-password-2", password_confirm="zhang-password-2"
                  ).status_code == 303
    assert accounts.authenticate(engine, "zhang", "zhang-password-2").reason == "ok"
    own_account = admin.post("/users/admin", data={"action": "disable", "csrf_token": token})
    assert own_account.status_code == 422
    events = [(e.result, e.detail) for e in audit_since(engine, marker) if e.subject == "user:zhang"]
    assert events[-1] == ("ok", "set-password") and ("ok", "disable") in events
    assert any(result == "rejected" and detail.startswith("set-role") for result, detail in events)


def test_overdue_filter():
    due = {"verify_due_on": "2026-11-01", "status": "open"}
    assert overdue_states({**due, "is_verify_overdue": True}) == ("overdue",)
    escalated = {**due, "is_verify_overdue": True, "is_escalated": True}
    assert overdue_states(escalated) == ("overdue", "escalated")
    assert overdue_states({**due, "is_verify_overdue": True, "status": "dismissed"}) == ()
    assert overdue_states({**due, "is_verify_overdue": False}) == ()


def test_overdue_list_for_the_league(own):
    app, _, clients = own
    expected = sum("overdue" in overdue_states(row) for row in app.state.warehouse.snapshot().warnings)
    page = clients["league"].get("/warnings?overdue=overdue")
    assert page.status_code == 200 and f"符合条件 {expected} 条" in page.text


def test_serve_workers_argument_and_worker_app(monkeypatch, built_home, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--home", str(tmp_path), "--workers", "0"])
    assert exit_info.value.code == 2 and "at least 1" in capsys.readouterr().err
    from aidwatch.commands import serve

    monkeypatch.setenv("AIDWATCH_OPS_DB", f"sqlite:///{tmp_path / 'ops.sqlite'}")
    monkeypatch.setenv("AIDWATCH_WORKSPACE_SECRET", SECRET)
    monkeypatch.setenv(serve.WORKER_SETTINGS_ENV, json.dumps({"home": str(built_home.root),
                                                              "https_only": False}))
    app = serve.worker_app()
    try:
        assert app.state.home.root == built_home.root
        assert TestClient(app).get("/login").status_code == 200
    finally:
        app.state.warehouse.close()
