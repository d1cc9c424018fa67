"""Login (CSRF, lockout, sessions), revealing an ID number with a reason, and the audit log."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from aidwatch.home import Home
from aidwatch.workspace import accounts
from aidwatch.workspace.app import create_app
from aidwatch.workspace.ops import open_ops_engine
from aidwatch.workspace.ops.models import LoginSession
from tests.workspace.conftest import PASSWORD, SECRET, audit_since, csrf_of, last_audit_id, login


def test_login_needs_the_csrf_token(workspace_app, ops_engine):
    client = TestClient(workspace_app)
    client.get("/login")
    marker = last_audit_id(ops_engine)
    form = {"username": "league", "password": PASSWORD, "csrf_token": "forged"}
    response = client.post("/login", data=form)
    assert response.status_code == 403
    assert audit_since(ops_engine, marker) == []  # refused before the password is even checked
    assert client.get("/warnings", follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_and_audited(workspace_app, ops_engine):
    client = TestClient(workspace_app)
    marker = last_audit_id(ops_engine)
    response = login(client, "league", "wrong password")
    assert response.status_code == 401 and "用户名或密码错误" in response.text
    login(client, "nobody", "wrong password")
    events = audit_since(ops_engine, marker)
    assert [(e.action, e.user_login, e.result) for e in events] == [
        ("login", "league", "failed:bad_password"), ("login", "nobody", "failed:unknown_user")]


def test_lockout_after_repeated_failures(workspace_app, ops_engine):
    accounts.add_user(ops_engine, "lockme", "league", PASSWORD)
    client = TestClient(workspace_app)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        assert login(client, "lockme", "not the password").status_code == 401
    response = login(client, "lockme", PASSWORD)  # the right password no longer opens it
    assert response.status_code == 401 and "锁定" in response.text
    accounts.set_password(ops_engine, "lockme", PASSWORD + "!")  # an admin reset lifts the lockout
    assert login(client, "lockme", PASSWORD + "!").status_code == 303


def test_lockout_expires(ops_engine):
    accounts.add_user(ops_engine, "lockexp", "league", PASSWORD)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        accounts.authenticate(ops_engine, "lockexp", "nope")
    assert accounts.authenticate(ops_engine, "lockexp", PASSWORD).reason == "locked"
    later = accounts.utc_now() + timedelta(minutes=accounts.LOCKOUT_MINUTES + 1)
    assert accounts.authenticate(ops_engine, "lockexp", PASSWORD, now=later).reason == "ok"


def test_no_account_without_a_proper_password(ops_engine):
    with pytest.raises(accounts.AccountError):
        accounts.add_user(ops_engine, "empty", "league", "")
    with pytest.raises(accounts.AccountError):
        accounts.add_user(ops_engine, "town", "township", PASSWORD, "1529")  # not a 9-digit code
    with pytest.raises(accounts.AccountError):
        accounts.add_user(ops_engine, "adm", "admin", PASSWORD, "152921")  # admin has no region


def test_logout_ends_the_session_even_for_a_copied_cookie(workspace_app, ops_engine):
    client = TestClient(workspace_app)
    assert login(client, "banner_a").status_code == 303
    cookie = dict(client.cookies)
    token = csrf_of(client.get("/warnings").text)
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    replay = TestClient(workspace_app, cookies=cookie)
    assert replay.get("/warnings", follow_redirects=False).status_code == 303


def test_disabled_user_and_expired_session_lose_access(workspace_app, ops_engine):
    accounts.add_user(ops_engine, "leaver", "league", PASSWORD)
    client = TestClient(workspace_app)
    assert login(client, "leaver").status_code == 303
    assert client.get("/warnings").status_code == 200
    accounts.set_disabled(ops_engine, "leaver")
    assert client.get("/warnings", follow_redirects=False).status_code == 303
    accounts.set_disabled(ops_engine, "leaver", False)
    assert login(client, "leaver").status_code == 303
    with Session(ops_engine) as db:
        db.execute(update(LoginSession).values(expires_at=accounts.utc_now() - timedelta(seconds=1))
                   .where(LoginSession.user_id == accounts.get_user(db, "leaver").id))
        db.commit()
    assert client.get("/warnings", follow_redirects=False).status_code == 303


def reveal_form(html: str) -> tuple[str, str, str]:
    """(action, CSRF token, person reference) of the first reveal form of a page."""
    match = re.search(r'action="([^"]+/reveal)".*?name="csrf_token" value="([^"]+)".*?'
                      r'name="person" value="([^"]+)"', html, re.S)
    assert match, "page has no reveal form"
    return match.group(1), match.group(2), match.group(3)


def test_reveal_needs_a_reason_and_is_audited(clients, ops_engine, areas, workspace_app):
    client = clients["town_a"]
    page = client.get(f"/households/{areas.household_a}").text
    action, token, person = reveal_form(page)
    assert client.post(action, data={"person": person, "reason": "", "csrf_token": token}).status_code == 422
    forged = {"person": person, "reason": "phone", "csrf_token": "x"}
    assert client.post(action, data=forged).status_code == 403
    marker = last_audit_id(ops_engine)
    response = client.post(action, data={"person": person, "reason": "home_visit", "csrf_token": token})
    assert response.status_code == 200
    revealed = re.search(r'data-testid="revealed-id">(\d{17}[\dX])<', response.text)
    assert revealed, "the full number is shown after the reveal"
    event = audit_since(ops_engine, marker)[-1]
    expected = ("reveal_id", "town_a", f"household:{areas.household_a}")
    assert (event.action, event.user_login, event.subject) == expected
    assert "入户核查" in event.detail and revealed.group(1) not in event.detail  # the log keeps it masked
    # Only one number is revealed, and the next page view masks it again.
    assert len(re.findall(r"\d{17}[\dX]", response.text)) == 1
    assert not re.search(r"\d{17}[\dX]", client.get(f"/households/{areas.household_a}").text)


def test_reveal_outside_the_area_is_not_found(clients, ops_engine, areas):
    page = clients["town_a"].get(f"/warnings/{areas.warning_a}").text
    _, token, person = reveal_form(page)
    marker = last_audit_id(ops_engine)
    response = clients["town_a"].post(f"/households/{areas.household_b}/reveal",
                                      data={"person": person, "reason": "other", "csrf_token": token})
    assert response.status_code == 404
    assert audit_since(ops_engine, marker)[-1].result == "out_of_scope"
    token_b = csrf_of(clients["town_b"].get("/warnings").text)
    response = clients["town_b"].post(f"/warnings/{areas.warning_a}/reveal",
                                      data={"person": person, "reason": "other", "csrf_token": token_b})
    assert response.status_code == 404


def test_audit_export_is_audited_and_masked(clients, ops_engine):
    marker = last_audit_id(ops_engine)
    response = clients["admin"].get("/audit/export.csv?action=reveal_id")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert all(row["action"] == "reveal_id" for row in rows)
    assert not any(re.search(r"\d{17}[\dX]", row["detail"] or "") for row in rows)
    assert audit_since(ops_engine, marker)[-1].action == "export_audit"
    assert "审计日志" in clients["admin"].get("/audit").text


def test_audit_log_is_append_only(ops_engine):
    for statement in ("update audit_events set result = 'x'", "delete from audit_events"):
        with pytest.raises(Exception, match="append-only"):
            with ops_engine.begin() as connection:
                connection.execute(text(statement))


def test_no_personal_data_when_the_audit_cannot_be_written(built_home, areas, tmp_path):
    """Fail closed: with the audit table gone, a household page is refused (503) and shows no one."""
    engine = open_ops_engine(Home(tmp_path), f"sqlite:///{tmp_path / 'ops.sqlite'}")
    accounts.add_user(engine, "town_a", "township", PASSWORD, areas.township_a)
    app = create_app(built_home, ops_engine=engine, secret_key=SECRET)
    try:
        client = TestClient(app)
        assert login(client, "town_a").status_code == 303
        with engine.begin() as connection:
            connection.execute(text("drop table audit_events"))
        for url in (f"/households/{areas.household_a}", f"/warnings/{areas.warning_a}", "/warnings"):
            response = client.get(url)
            assert response.status_code == 503, url
            assert "审计记录无法写入" in response.text
            assert "1529**********" not in response.text
    finally:
        app.state.warehouse.close()
