"""The warning loop end to end (issue 16): form and workbook feedback back into the warnings.

One small warehouse (a copy of the session's `built_home`, as_of 2026-11-28) and two more
builds: a township official verifies one warning, dismisses another and handles a third
through the form in a real browser (Chromium; HTTP client where it is not installed), and
returns a workbook handling a fourth; a second township's
official dismisses an overdue review. The next build (2026-11-29) shows each status and
IND-13 counts them; on the following day's build (2026-11-30) the first dismissed warning
stays dismissed (only its counters moved) and the second, whose household's review date a
new delivery corrected, is back as open, 证据已变化.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
import uvicorn
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from aidwatch.cli import main
from aidwatch.feedback import clock
from aidwatch.home import Home
from aidwatch.workspace import accounts
from aidwatch.workspace.app import create_app
from aidwatch.workspace.ops import open_ops_engine
from ingestion.contracts import get_feed
from tests.fixtures.simulated import TEST_AS_OF
from tests.workspace.conftest import PASSWORD, SECRET, csrf_of, login
from tests.workspace.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "feedback"

# All in one month: amounts over calendar windows (12 months of verified income) move at a
# month's turn, which is a change of evidence (docs/feedback.md); days overdue are not.
FEEDBACK_DAY = dt.datetime(2026, 11, 28, 15, 0)
NEXT_BUILD = dt.date(2026, 11, 29)
FOLLOWING_DAY = dt.date(2026, 11, 30)
ACCEPT = "end-to-end test of the feedback loop"


def pick_warnings(warehouse: Path) -> tuple[str, dict[str, str], tuple[str, str, str]]:
    """Township T with four open warnings (W1-W4), and a REV-01/02 household warning (W5, in
    township U, perhaps T) whose household has a review date that a new delivery can correct."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        changing = con.execute(
            """
            select w.township_code, w.warning_key, w.household_id
            from marts.warnings w
            join staging.stg_ca_households h on h.household_id = w.household_id
            where w.rule_id in ('REV-01', 'REV-02') and w.status <> 'resolved'
              and h.last_review_on is not null and w.township_code is not null
            order by w.rule_id, w.subject_key limit 1  -- keys are salted: not a stable order
            """
        ).fetchall()
        towns = con.execute(
            """
            select township_code from marts.warnings
            where status <> 'resolved' and township_code is not null and warning_key <> ?
            group by township_code having count(*) >= 4 order by count(*) desc, township_code limit 1
            """, [changing[0][1] if changing else ""]).fetchall()
        assert changing and towns, "the simulated league has no township with four open warnings or no " \
            "REV-01/02 household warning with a review date"
        township = towns[0][0]
        others = [row[0] for row in con.execute(
            "select warning_key from marts.warnings where township_code = ? and status <> 'resolved' "
            "and warning_key <> ? order by "
            "rule_id in (select rule_id from staging.evidence_counters) desc, rule_id, subject_key",
            [township, changing[0][1]]).fetchall()]
    finally:
        con.close()
    keys = dict(zip(("verify", "dismiss", "handle", "workbook"), others[:4], strict=True))
    return township, keys, changing[0]


def warnings_status(home: Home) -> dict[str, str]:
    """marts.warnings.status (the output contract: feedback statuses included)."""
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return dict(con.execute("select warning_key, status from marts.warnings").fetchall())
    finally:
        con.close()


def status_of(home: Home) -> dict[str, dict]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        rows = con.execute("select * from marts.warning_status").fetchall()
        names = [d[0] for d in con.description]
    finally:
        con.close()
    return {row[0]: dict(zip(names, row, strict=True)) for row in rows}


def response_row(home: Home, township: str) -> dict:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        rows = con.execute(
            "select * from marts.ind_13_warning_response where month = date '2026-11-01' "
            "and region_code = ? and category = 'all'", [township]).fetchall()
        names = [d[0] for d in con.description]
    finally:
        con.close()
    [row] = rows
    return dict(zip(names, row, strict=True))


def post_feedback(client: TestClient, key: str, **fields: str) -> None:
    token = csrf_of(client.get(f"/warnings/{key}").text)
    response = client.post(f"/warnings/{key}/feedback", follow_redirects=False,
                           data={"verified_on": "2026-11-28", "note": "", "handled_on": "",
                                 "csrf_token": token, **fields})
    assert response.status_code == 303, response.text


@contextmanager
def served(app) -> Iterator[str]:  # noqa: ANN001 (FastAPI app)
    """The workspace on a loopback port (uvicorn in a thread), as the browser test serves it."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def feedback_in_browser(base: str, user: str, answers: list[tuple[str, dict[str, str]]]) -> None:
    """Log in as `user` in Chromium and submit each warning's feedback form as an official would."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.goto(f"{base}/login")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r"/warnings"))
            for key, fields in answers:
                page.goto(f"{base}/warnings/{key}")
                form = page.locator("form.feedback")
                form.locator("select[name=result]").select_option(fields["result"])
                form.locator("select[name=action]").select_option(fields["action"])
                form.locator("input[name=verified_on]").fill(fields.get("verified_on", "2026-11-28"))
                if fields.get("handled_on"):
                    form.locator("input[name=handled_on]").fill(fields["handled_on"])
                if fields.get("note"):
                    form.locator("textarea[name=note]").fill(fields["note"])
                form.locator("button[type=submit]").click()
                page.wait_for_url(re.compile(rf"/warnings/{key}"))
                expect(page.get_by_test_id("feedback-history")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "feedback_history.png"), full_page=True)
        finally:
            browser.close()


def fill_workbook(export_dir: Path, township: str, key: str, out: Path) -> Path:
    [path] = export_dir.glob(f"{township}_*预警清单.xlsx")
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    headers = {cell.value: cell.column for cell in sheet[2]}
    validated = {str(v.sqref).split(":")[0].rstrip("0123456789")
                 for v in sheet.data_validations.dataValidation}
    assert {sheet.cell(2, headers[h]).column_letter for h in ("核查结果", "处置措施")} <= validated
    [row] = [r for r in range(3, sheet.max_row + 1) if sheet.cell(r, headers["预警编号"]).value == key]
    for header, value in (("核查结果", "属实"), ("处置措施", "给予临时救助"), ("核查日期", "2026-11-28"),
                          ("处置日期", "2026-11-28"), ("说明", "已发放临时救助")):
        sheet.cell(row, headers[header]).value = value
    workbook.save(out)
    return out


def deliver_corrected_review(home: Home, household: str, inbox: Path) -> None:
    """A new ca_households snapshot (extract FOLLOWING_DAY): the household's review a day earlier."""
    feed = get_feed("ca_households")
    files = str(home.raw_feed("ca_households") / "*.parquet")
    con = duckdb.connect()
    rows = con.execute(
        f"select {', '.join(feed.column_names)} from read_parquet('{files}', union_by_name=true) "
        f"where _extract_date = (select max(_extract_date) from read_parquet('{files}', union_by_name=true) "
        f"where _extract_date <= date '{TEST_AS_OF}')").fetchall()
    target = inbox / "ca_households" / f"ca_households_{FOLLOWING_DAY:%Y%m%d}.csv"
    target.parent.mkdir(parents=True)
    review = feed.column_names.index("last_review_on")
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(feed.column_names)
        for row in rows:
            values = ["" if v is None else ("true" if v is True else "false" if v is False else str(v))
                      for v in row]
            if row[0] == household:
                values[review] = (row[review] - dt.timedelta(days=1)).isoformat()
            writer.writerow(values)


@pytest.mark.slow
def test_feedback_flows_back_into_the_warnings(built_home: Home, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from warehouse.pipeline import run_pipeline

    home = Home(tmp_path / "home")
    shutil.copytree(built_home.root, home.root, symlinks=True,
                    ignore=shutil.ignore_patterns("*.lock", "exports", "replays"))
    township, w, (other_township, changing_key, household) = pick_warnings(home.warehouse)
    monkeypatch.setattr(clock, "local_now", lambda: FEEDBACK_DAY)

    engine = open_ops_engine(home)
    accounts.add_user(engine, "town_t", "township", PASSWORD, township)
    accounts.add_user(engine, "town_u", "township", PASSWORD, other_township)
    app = create_app(home, ops_engine=engine, secret_key=SECRET)
    answers = [
        (w["verify"], {"result": "confirmed", "action": "review_done"}),
        (w["dismiss"], {"result": "not_confirmed", "action": "none", "note": "入户核实，情况不符"}),
        (w["handle"], {"result": "partly", "action": "benefit_adjusted", "handled_on": "2026-11-28"}),
    ]
    try:
        if CHROMIUM.exists():  # the real browser (.ci/run installs Debian's chromium)
            with served(app) as base:
                feedback_in_browser(base, "town_t", answers)
        else:
            client = TestClient(app)
            assert login(client, "town_t").status_code == 303
            for key, fields in answers:
                post_feedback(client, key, **fields)
        other = TestClient(app)
        assert login(other, "town_u").status_code == 303
        post_feedback(other, changing_key, result="not_confirmed", action="none", note="已按期核查")
    finally:
        app.state.warehouse.close()

    from exports.officials import export_warning_lists

    exported = export_warning_lists(home, TEST_AS_OF, tmp_path / "export_d0").out_dir
    workbook = fill_workbook(exported, township, w["workbook"], tmp_path / "returned.xlsx")
    assert main(["feedback", "import", str(workbook), "--user", "town_t", "--home", str(home.root)]) == 0

    empty_inbox = tmp_path / "empty_inbox"
    empty_inbox.mkdir()
    run_pipeline(home, empty_inbox, NEXT_BUILD, accept_change=ACCEPT)
    status = status_of(home)
    assert {name: status[key]["status"] for name, key in w.items()} == {
        "verify": "verified", "dismiss": "dismissed", "handle": "handled", "workbook": "handled"}
    assert status[changing_key]["status"] == "dismissed"
    assert [status[key]["on_officials_list"] for key in w.values()] == [True, False, False, False]
    contract = warnings_status(home)
    assert {key: contract[key] for key in (*w.values(), changing_key)} == {
        key: status[key]["status"] for key in (*w.values(), changing_key)}
    response = response_row(home, township)
    assert (response["warnings_verified"], response["verified_in_time"], response["warnings_dismissed"],
            response["warnings_handled"]) == (4, 4, 1, 2)
    assert response["dismissed_share"] == pytest.approx(0.25)
    assert response["median_days_to_verification"] == 0  # first seen and verified 2026-11-28
    listed = export_warning_lists(home, NEXT_BUILD, tmp_path / "export_d1").out_dir
    [township_book] = listed.glob(f"{township}_*预警清单.xlsx")
    keys = {row[0] for row in _column(township_book, "预警编号")}
    assert w["verify"] in keys and not keys & {w["dismiss"], w["handle"], w["workbook"]}

    changed_inbox = tmp_path / "changed_inbox"
    deliver_corrected_review(home, household, changed_inbox)
    run_pipeline(home, changed_inbox, FOLLOWING_DAY, accept_change=ACCEPT)
    status = status_of(home)
    assert status[w["dismiss"]]["status"] == "dismissed"  # a day later, only counters moved
    back = status[changing_key]
    assert (back["status"], back["reopened_reason_zh"], back["on_officials_list"]) == (
        "open", "证据已变化", True)
    assert status[w["verify"]]["status"] == "verified"
    assert warnings_status(home)[changing_key] == "open"


def _column(path: Path, header: str) -> list[tuple]:
    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    index = rows[1].index(header)
    return [(row[index],) for row in rows[2:] if row and row[index]]
