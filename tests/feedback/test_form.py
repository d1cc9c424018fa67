"""The feedback form on a warning's page, and forged or bad posts against it (HTTP, TestClient)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from aidwatch.feedback import clock
from aidwatch.workspace.ops.models import WarningFeedback
from tests.workspace.conftest import Areas, audit_since, csrf_of, last_audit_id

NOW = dt.datetime(2026, 11, 30, 10, 0)  # the session warehouse is built for 2026-11-28


@pytest.fixture(autouse=True)
def officials_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "local_now", lambda: NOW)


def stored(engine: Engine, warning_key: str) -> list[WarningFeedback]:
    with Session(engine) as db:
        return list(db.scalars(select(WarningFeedback).where(WarningFeedback.warning_key == warning_key)
                               .order_by(WarningFeedback.id)))


def count_all(engine: Engine) -> int:
    with Session(engine) as db:
        return db.scalar(select(func.count()).select_from(WarningFeedback)) or 0


def post(client: TestClient, key: str, **fields: str):
    token = csrf_of(client.get(f"/warnings/{key}").text)
    data = {"result": "confirmed", "action": "review_done", "note": "", "verified_on": "2026-11-29",
            "handled_on": "", "csrf_token": token}
    data.update(fields)
    return client.post(f"/warnings/{key}/feedback", data=data, follow_redirects=False)


def test_the_warning_page_carries_the_form(clients: dict[str, TestClient], areas: Areas) -> None:
    page = clients["town_a"].get(f"/warnings/{areas.warning_a}")
    assert page.status_code == 200
    assert f'action="/warnings/{areas.warning_a}/feedback"' in page.text
    for text in ("核查结果", "处置措施", "核查日期", "处置日期", "说明", "属实", "不属实", "无需处置"):
        assert text in page.text


def test_valid_feedback_is_recorded_by_the_server_with_history_and_audit(
    clients: dict[str, TestClient], areas: Areas, ops_engine: Engine
) -> None:
    marker = last_audit_id(ops_engine)
    before = len(stored(ops_engine, areas.warning_a))
    response = post(clients["town_a"], areas.warning_a, result="partly", action="benefit_adjusted",
                    note="入户核实", handled_on="2026-11-30",
                    user_login="league", recorded_at="2020-01-01 00:00:00")  # forged: ignored
    assert response.status_code == 303
    records = stored(ops_engine, areas.warning_a)
    assert len(records) == before + 1
    latest = records[-1]
    assert (latest.user_login, latest.recorded_at, latest.result, latest.handled_on) == (
        "town_a", NOW, "partly", dt.date(2026, 11, 30))
    assert [(e.action, e.result, e.user_login, e.subject) for e in audit_since(ops_engine, marker)
            if e.action == "feedback"] == [("feedback", "ok", "town_a", f"warning:{areas.warning_a}")]
    page = clients["town_a"].get(f"/warnings/{areas.warning_a}")
    assert 'data-testid="feedback-history"' in page.text and "入户核实" in page.text


@pytest.mark.parametrize(("fields", "field", "text"), [
    ({"verified_on": "2026-12-01"}, "verified_on", "不能晚于今天"),
    ({"verified_on": "2026-11-27"}, "verified_on", "不能早于预警首次发现日期"),
    ({"handled_on": "2026-11-28"}, "handled_on", "不能早于核查日期"),
    ({"result": "not_confirmed", "action": "none", "note": " "}, "note", "必须填写说明"),
    ({"note": "核" * 501}, "note", "不能超过500个字"),
    ({"result": "=HYPERLINK(1)"}, "result", "请选择"),
], ids=["future", "before-first-seen", "handled-before-verified", "dismiss-without-note", "note-501",
        "unknown-code"])
def test_bad_feedback_is_refused_naming_the_field(clients: dict[str, TestClient], areas: Areas,
                                                  ops_engine: Engine, fields: dict, field: str,
                                                  text: str) -> None:
    before = count_all(ops_engine)
    response = post(clients["town_a"], areas.warning_a, **fields)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.text and text in response.text
    assert count_all(ops_engine) == before


def test_a_post_without_the_csrf_token_stores_nothing(clients: dict[str, TestClient], areas: Areas,
                                                      ops_engine: Engine) -> None:
    before = count_all(ops_engine)
    response = clients["town_a"].post(f"/warnings/{areas.warning_a}/feedback", follow_redirects=False, data={
        "result": "confirmed", "action": "none", "verified_on": "2026-11-29", "csrf_token": "forged"})
    assert response.status_code == 403
    assert count_all(ops_engine) == before


def test_another_townships_warning_is_not_found_and_audited(clients: dict[str, TestClient], areas: Areas,
                                                            ops_engine: Engine) -> None:
    before = count_all(ops_engine)
    marker = last_audit_id(ops_engine)
    token = csrf_of(clients["town_a"].get(f"/warnings/{areas.warning_a}").text)
    response = clients["town_a"].post(f"/warnings/{areas.warning_b}/feedback", follow_redirects=False, data={
        "result": "confirmed", "action": "none", "verified_on": "2026-11-29", "csrf_token": token})
    assert response.status_code == 404
    assert count_all(ops_engine) == before
    assert any(e.result == "out_of_scope" and e.subject == f"warning:{areas.warning_b}"
               for e in audit_since(ops_engine, marker))


def test_the_admin_cannot_record_feedback(clients: dict[str, TestClient], areas: Areas,
                                          ops_engine: Engine) -> None:
    before = count_all(ops_engine)
    response = clients["admin"].post(f"/warnings/{areas.warning_a}/feedback", follow_redirects=False,
                                     data={"result": "confirmed", "action": "none",
                                           "verified_on": "2026-11-29", "csrf_token": "x"})
    assert response.status_code in (403, 404)
    assert count_all(ops_engine) == before


def test_league_users_see_the_dismissed_share_per_rule(clients: dict[str, TestClient]) -> None:
    page = clients["league"].get("/stats")
    assert page.status_code == 200 and 'data-testid="rule-dismissals"' in page.text
    assert 'data-testid="rule-dismissals"' not in clients["banner_a"].get("/stats").text
