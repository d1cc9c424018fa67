"""A township official in a real browser (Debian's Chromium driven by Playwright).

Logs in, filters the list, opens a household, reveals an ID number with a reason, then
checks the audit rows. Screenshots of the list and the household page are saved under
tests/artifacts/workspace/. No browser is downloaded: Chromium comes from `.ci/run`.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from aidwatch.home import Home
from aidwatch.workspace import accounts
from aidwatch.workspace.app import create_app
from aidwatch.workspace.ops import open_ops_engine
from tests.system_packages import unavailable
from tests.workspace.conftest import PASSWORD, SECRET, audit_since

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "workspace"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(built_home, areas, tmp_path):
    """The workspace on a loopback port (uvicorn in a thread) with one township user."""
    if not CHROMIUM.exists():
        unavailable("Debian's chromium is not installed (.ci/run installs it)")
    engine = open_ops_engine(Home(tmp_path), f"sqlite:///{tmp_path / 'ops.sqlite'}")
    accounts.add_user(engine, "town_a", "township", PASSWORD, areas.township_a)
    accounts.add_user(engine, "banner_a", "banner", PASSWORD, areas.banner_a)
    app = create_app(built_home, ops_engine=engine, secret_key=SECRET)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", engine
    server.should_exit = True
    thread.join(timeout=10)
    app.state.warehouse.close()


def test_township_official_in_a_browser(served, areas):
    from playwright.sync_api import expect, sync_playwright

    base, engine = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.goto(f"{base}/warnings")
            assert "/login" in page.url  # signed out: sent to the login form
            page.fill("input[name=username]", "town_a")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r"/warnings"))
            table = page.get_by_test_id("warning-table")
            expect(table).to_be_visible()
            all_rows = table.locator("tbody tr").count()

            severity = page.locator("select[name=severity] option").nth(1).get_attribute("value")
            page.select_option("select[name=severity]", severity)
            page.get_by_role("button", name="筛选").click()
            page.wait_for_url(re.compile(rf"severity={severity}"))
            assert table.locator("tbody tr").count() <= all_rows
            page.screenshot(path=str(ARTIFACTS / "warning_list.png"), full_page=True)

            page.select_option("select[name=severity]", "")
            page.get_by_role("button", name="筛选").click()
            page.locator(f'a[href="/households/{areas.household_a}"]').first.click()
            page.wait_for_url(re.compile(rf"/households/{areas.household_a}$"))
            expect(page.get_by_test_id("members")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "household.png"), full_page=True)
            assert not re.search(r"\d{17}[\dX]", page.content())

            form = page.get_by_test_id("members").locator("form.reveal").first
            form.locator("select[name=reason]").select_option("home_visit")
            form.get_by_role("button", name="显示完整号码").click()
            revealed = page.get_by_test_id("revealed-id")
            expect(revealed).to_be_visible()
            assert re.fullmatch(r"\d{17}[\dX]", revealed.inner_text())
            page.screenshot(path=str(ARTIFACTS / "household_revealed.png"), full_page=True)

            phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            phone.context.add_cookies(page.context.cookies())
            phone.goto(f"{base}/warnings")
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways page
            phone.screenshot(path=str(ARTIFACTS / "warning_list_phone.png"), full_page=True)
        finally:
            browser.close()

    events = [(e.user_login, e.action, e.result, e.subject, e.detail) for e in audit_since(engine, 0)]
    actions = [event[1] for event in events]
    assert actions[0] == "login" and events[0][2] == "ok"
    assert any(a == "view_warning_list" and f"severity={severity}" in (d or "")
               for _, a, _, _, d in events)
    assert ("town_a", "view_household", "ok", f"household:{areas.household_a}") in [e[:4] for e in events]
    reveal = [e for e in events if e[1] == "reveal_id"]
    assert len(reveal) == 1 and reveal[0][3] == f"household:{areas.household_a}"
    assert "入户核查" in reveal[0][4] and revealed_number_not_in(reveal[0][4])
    assert all(e[0] == "town_a" for e in events)
    assert (ARTIFACTS / "warning_list.png").stat().st_size > 0
    assert (ARTIFACTS / "household.png").stat().st_size > 0


def test_stats_charts_draw_with_the_vendored_library(served):
    """ECharts is served from the package and draws under the page's strict CSP (no CDN, no inline script)."""
    from playwright.sync_api import sync_playwright

    base, _ = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            outside = []
            page.on("request", lambda request: outside.append(request.url)
                    if not request.url.startswith(base) else None)
            page.goto(f"{base}/login")
            page.fill("input[name=username]", "banner_a")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r"/warnings"))
            page.goto(f"{base}/stats")
            page.wait_for_selector("#chart-townships svg", timeout=15000)
            assert page.locator("#chart-rules svg").count() == 1
            page.screenshot(path=str(ARTIFACTS / "stats.png"), full_page=True)
            assert outside == []
        finally:
            browser.close()


def revealed_number_not_in(detail: str) -> bool:
    return not re.search(r"\d{17}[\dX]", detail)
