"""Every role against every page and against other areas' objects: allowed, not found, audited."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.workspace.conftest import audit_since, last_audit_id

USERS = ("town_a", "town_b", "banner_a", "banner_b", "league", "admin")


def object_urls(areas) -> dict[str, str]:
    return {
        "warning": f"/warnings/{areas.warning_a}",
        "household": f"/households/{areas.household_a}",
        "case": f"/cases/{areas.case_a}",
    }


# Expected status of township A's objects for each user: allowed (200), outside the area (404),
# or a role without personal data (403).
EXPECTED_OBJECT_STATUS = {"town_a": 200, "town_b": 404, "banner_a": 200, "banner_b": 404,
                          "league": 200, "admin": 403}
EXPECTED_PAGE_STATUS = {
    "/warnings": {"town_a": 200, "town_b": 200, "banner_a": 200, "banner_b": 200, "league": 200,
                  "admin": 403},
    "/stats": {"town_a": 403, "town_b": 403, "banner_a": 200, "banner_b": 200, "league": 200, "admin": 403},
    "/audit": {"town_a": 403, "town_b": 403, "banner_a": 403, "banner_b": 403, "league": 403, "admin": 200},
    "/audit/export.csv": {"town_a": 403, "town_b": 403, "banner_a": 403, "banner_b": 403, "league": 403,
                          "admin": 200},
}
AUDIT_ACTION = {"warning": "view_warning", "household": "view_household", "case": "view_case"}


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("kind", ["warning", "household", "case"])
def test_objects_of_township_a(clients, ops_engine, areas, user, kind):
    url = object_urls(areas)[kind]
    marker = last_audit_id(ops_engine)
    response = clients[user].get(url)
    expected = EXPECTED_OBJECT_STATUS[user]
    assert response.status_code == expected, (user, url)
    events = audit_since(ops_engine, marker)
    assert events, "every access to a personal-data address is audited"
    event = events[-1]
    assert event.user_login == user
    if expected == 200:
        assert (event.action, event.result) == (AUDIT_ACTION[kind], "ok")
        assert event.subject.endswith(url.rsplit("/", 1)[1])
    elif expected == 404:
        assert "未找到" in response.text
        assert (event.action, event.result) == (AUDIT_ACTION[kind], "out_of_scope")
    else:
        assert (event.action, event.result) == ("denied", "forbidden_role")


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("page", list(EXPECTED_PAGE_STATUS))
def test_pages_by_role(clients, ops_engine, user, page):
    marker = last_audit_id(ops_engine)
    response = clients[user].get(page)
    assert response.status_code == EXPECTED_PAGE_STATUS[page][user], (user, page)
    events = audit_since(ops_engine, marker)
    assert events and events[-1].user_login == user
    if response.status_code == 403:
        assert events[-1].action == "denied"


def test_township_b_objects_are_not_found_for_township_a(clients, ops_engine, areas):
    for url in (f"/warnings/{areas.warning_b}", f"/households/{areas.household_b}", f"/cases/{areas.case_b}"):
        marker = last_audit_id(ops_engine)
        response = clients["town_a"].get(url)
        assert response.status_code == 404, url
        assert audit_since(ops_engine, marker)[-1].result == "out_of_scope"


def test_missing_object_answers_like_out_of_scope(clients, ops_engine, areas):
    missing = clients["town_a"].get("/households/NO_SUCH_HOUSEHOLD")
    foreign = clients["town_a"].get(f"/households/{areas.household_b}")
    assert missing.status_code == foreign.status_code == 404
    assert missing.text.replace("NO_SUCH_HOUSEHOLD", "") == foreign.text.replace(areas.household_b, "")


def test_banner_level_warning_seen_by_banner_not_township(clients, areas):
    assert areas.banner_level_warning is not None, "the test warehouse has a banner-level (STD) warning"
    url = f"/warnings/{areas.banner_level_warning}"
    assert clients["banner_a"].get(url).status_code == 200
    assert clients["town_a"].get(url).status_code == 404
    assert clients["banner_b"].get(url).status_code == 404


def keys_on_all_pages(client: TestClient, query: str = "") -> list[str]:
    keys, page = [], 1
    while True:
        text = client.get(f"/warnings?{query}&page={page}").text
        keys += re.findall(r'href="/warnings/([0-9a-p]+)"', text)
        if "下一页" not in text:
            return keys
        page += 1


def test_list_shows_only_the_users_area(clients, workspace_app, areas):
    snapshot = workspace_app.state.warehouse.snapshot()
    for user, field, code in (("town_a", "township_code", areas.township_a),
                              ("banner_b", "banner_code", areas.banner_b)):
        keys = keys_on_all_pages(clients[user])
        expected = [row["warning_key"] for row in snapshot.warnings if row.get(field) == code]
        assert keys == expected  # the whole area, in the workbooks' priority order
    assert len(keys_on_all_pages(clients["league"])) == len(snapshot.warnings)


def test_township_filter_cannot_widen_the_scope(clients, areas):
    keys = keys_on_all_pages(clients["town_a"], f"township={areas.township_b}")
    assert keys == []


def test_list_filters(clients, workspace_app, areas):
    snapshot = workspace_app.state.warehouse.snapshot()
    league_rows = snapshot.warnings
    rule = league_rows[0]["rule_id"]
    keys = keys_on_all_pages(clients["league"], f"rule={rule}&severity={league_rows[0]['severity']}")
    assert keys == [r["warning_key"] for r in league_rows
                    if r["rule_id"] == rule and r["severity"] == league_rows[0]["severity"]]
    longest = max((r.get("days_open") or 0) for r in league_rows)
    keys = keys_on_all_pages(clients["league"], f"min_days={longest}")
    assert keys == [r["warning_key"] for r in league_rows if (r.get("days_open") or 0) >= longest]
    keys = keys_on_all_pages(clients["banner_a"], f"township={areas.township_a}")
    assert keys == [r["warning_key"] for r in league_rows if r.get("township_code") == areas.township_a]


def test_no_full_id_number_on_any_page(clients, workspace_app, areas):
    snapshot = workspace_app.state.warehouse.snapshot()
    ids = {r["id_number"] for r in snapshot.warnings if r.get("id_number")}
    for url in ("/warnings", f"/warnings/{areas.warning_a}", f"/households/{areas.household_a}",
                f"/cases/{areas.case_a}", "/stats"):
        text = clients["league"].get(url).text
        assert not re.search(r"\d{17}[\dX]", text), url
        assert not any(i in text for i in ids), url


def test_signed_out_requests_go_to_login(workspace_app, areas):
    client = TestClient(workspace_app)
    for url in ("/warnings", f"/households/{areas.household_a}", "/stats", "/audit"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
