"""Data quality as its own signal in aidwatch_daily, through the real DAG with `dag.test()`.

A data problem leaves the run green and reaches the operator's webhook (a loopback receiver
here); an acknowledged problem stays quiet until it gets worse; a failed or hung build fails
the run, is notified as a pipeline failure, and still gets its health report.

Cheap on purpose: HOME's ledger is written by hand (every feed delivered on as_of, ps_vehicles
five days overdue), only the rejected file is ingested for real, and the dbt build and export
are not under test (marked success, or replaced by a failing or sleeping step).
"""

from __future__ import annotations

import email
import json
import logging
import os
import socketserver
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from aidwatch.cli import main as aidwatch_main
from aidwatch.home import Home
from ingestion.contracts import load_feeds
from ingestion.health import health_report_path
from tests.airflow.conftest import DagRunOutcome, run_daily
from tests.airflow.test_health import write_entry
from tests.fixtures.simulated import TEST_AS_OF

pytestmark = pytest.mark.slow

SUCCESS, FAILED, UPSTREAM_FAILED = "success", "failed", "upstream_failed"
REJECTED_FILE = "ca_deaths/ca_deaths_20261127.csv"
REJECTED_KEY = f"rejected:ca_deaths:{REJECTED_FILE}"
OVERDUE_KEY = "overdue:ps_vehicles"
NOT_UNDER_TEST = "deliver_feedback|build_warehouse|export_warning_lists"


class Receiver(BaseHTTPRequestHandler):
    """A webhook endpoint that keeps every JSON body it is sent."""

    received: list[dict[str, Any]]

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        self.server.received.append(json.loads(self.rfile.read(length)))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def webhook() -> Iterator[list[dict[str, Any]]]:
    """A loopback webhook receiver named by AIDWATCH_ALERT_WEBHOOK; yields what it received."""
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIDWATCH_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/hook")
        patch.delenv("AIDWATCH_ALERT_EMAIL", raising=False)
        yield server.received  # type: ignore[attr-defined]
    server.shutdown()


class SmtpSession(socketserver.StreamRequestHandler):
    """Just enough SMTP for Airflow's SmtpHook (no TLS): keeps each message's text."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 loopback")
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 loopback")
            elif command == "DATA":
                self.reply("354 go on")
                message = b"".join(iter(lambda: self.rfile.readline(), b".\r\n"))
                self.server.messages.append(message.decode("utf-8", "replace"))  # type: ignore[attr-defined]
                self.reply("250 kept")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.reply("250 ok")


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A loopback SMTP server as Airflow's smtp_default connection, and AIDWATCH_ALERT_EMAIL set."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpSession)
    server.daemon_threads = True
    server.messages = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", f"smtp://127.0.0.1:{port}?from_email=aidwatch%40example.org"
                       "&disable_tls=true&disable_ssl=true&timeout=10")
    monkeypatch.setenv("AIDWATCH_ALERT_EMAIL", "steward@example.org")
    yield server.messages  # type: ignore[attr-defined]
    server.shutdown()


def ledger_home(root: Path) -> Home:
    """A HOME whose ledger has every feed delivered on TEST_AS_OF but ps_vehicles, 5 days overdue."""
    home = Home(root)
    feeds = load_feeds()
    for feed_id, feed in feeds.items():
        late = feed_id == "ps_vehicles"
        write_entry(home, feed_id, TEST_AS_OF - timedelta(days=feed.cadence_days + 5) if late else TEST_AS_OF)
    for folder, _, files in os.walk(root):  # the permission policy, so that no path alerts
        os.chmod(folder, 0o700)
        for name in files:
            os.chmod(Path(folder) / name, 0o600)
    return home


def rejected_inbox(root: Path) -> Path:
    """An inbox with one ca_deaths delivery that lacks every required column."""
    path = root / REJECTED_FILE
    path.parent.mkdir(parents=True)
    path.write_text("unexpected,columns\n1,2\n", encoding="utf-8")
    return root


def alerted_keys(payloads: list[dict[str, Any]]) -> set[str]:
    return {p["key"] for payload in payloads if payload["kind"] == "data_quality"
            for p in payload["problems"]}


class ErrorRecords(logging.Handler):
    """Keeps every ERROR (or worse) log record: a successful run must log none."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture(scope="module")
def rejected_run(
    daily_dag: Any, webhook: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Home, Path, DagRunOutcome, list[dict[str, Any]], list[str]]:
    """The run of TEST_AS_OF whose inbox holds a file the gate rejects (ingested for real)."""
    root = tmp_path_factory.mktemp("dq_signal")
    home = ledger_home(root / "home")
    inbox = rejected_inbox(root / "inbox")
    webhook.clear()
    errors = ErrorRecords()
    logging.getLogger().addHandler(errors)
    try:
        outcome = run_daily(daily_dag, home.root, inbox, TEST_AS_OF, mark_success_pattern=NOT_UNDER_TEST)
    finally:
        logging.getLogger().removeHandler(errors)
    return home, inbox, outcome, list(webhook), errors.records


def test_a_rejected_file_leaves_the_run_green_and_alerts_the_webhook(
    rejected_run: tuple[Home, Path, DagRunOutcome, list[dict[str, Any]], list[str]],
) -> None:
    home, _, outcome, received, errors = rejected_run
    assert errors == []  # a data problem is a warning in the log, not an ERROR
    assert outcome.task_states["ingest_feeds"] == SUCCESS
    assert outcome.task_states["check_data_quality"] == SUCCESS
    assert outcome.state == SUCCESS
    [payload] = received
    assert payload["kind"] == "data_quality" and payload["as_of"] == TEST_AS_OF.isoformat()
    assert alerted_keys(received) == {REJECTED_KEY, OVERDUE_KEY}
    [rejected] = [p for p in payload["problems"] if p["key"] == REJECTED_KEY]
    assert "was rejected" in rejected["message"]
    report = json.loads(health_report_path(home, TEST_AS_OF).read_text(encoding="utf-8"))
    assert report["ok"] is False and sorted(report["alerting"]) == sorted([REJECTED_KEY, OVERDUE_KEY])
    assert report["acknowledged"] == [] and report["permission_problems"] == []


def test_an_acknowledged_problem_stays_quiet_until_it_gets_worse(
    rejected_run: tuple[Home, Path, DagRunOutcome, list[dict[str, Any]], list[str]],
    daily_dag: Any,
    webhook: list[dict[str, Any]],
) -> None:
    home, inbox, _, _, _ = rejected_run
    until = (TEST_AS_OF + timedelta(days=60)).isoformat()
    for key in (REJECTED_KEY, OVERDUE_KEY):
        status = aidwatch_main(["health", "ack", key, "--until", until, "--reason", "department resends",
                                "--user", "steward", "--home", str(home.root),
                                "--as-of", TEST_AS_OF.isoformat()])
        assert status == 0

    webhook.clear()
    again = run_daily(daily_dag, home.root, inbox, TEST_AS_OF, mark_success_pattern=NOT_UNDER_TEST)
    assert again.state == SUCCESS
    assert webhook == []  # both known: nothing to tell
    report = json.loads(health_report_path(home, TEST_AS_OF).read_text(encoding="utf-8"))
    assert report["alerting"] == []
    acknowledged = {a["key"]: a["user"] for a in report["acknowledged"]}
    assert acknowledged == {REJECTED_KEY: "steward", OVERDUE_KEY: "steward"}

    # a full cadence later ps_vehicles has missed another period: worse, so it alerts again
    later = TEST_AS_OF + timedelta(days=load_feeds()["ps_vehicles"].cadence_days)
    webhook.clear()
    worse = run_daily(daily_dag, home.root, inbox, later, mark_success_pattern=NOT_UNDER_TEST)
    assert worse.state == SUCCESS
    assert OVERDUE_KEY in alerted_keys(webhook)
    assert REJECTED_KEY not in alerted_keys(webhook)  # out of ca_deaths' current period by then


def sleep_forever(*args: Any, **kwargs: Any) -> None:
    time.sleep(600)


def fail_a_test(*args: Any, **kwargs: Any) -> None:
    from warehouse.build import BuildFailed, NodeFailure

    failure = NodeFailure(unique_id="test.aidwatch.not_null_warnings_id", status="fail", message="1 row")
    raise BuildFailed("dbt build failed; the published warehouse is unchanged", [failure])


@pytest.mark.parametrize("step", [sleep_forever, fail_a_test], ids=["hung-build-times-out", "failing-test"])
def test_a_failed_build_fails_the_run_is_notified_and_still_writes_the_health_report(
    step: Any, daily_dag: Any, webhook: list[dict[str, Any]], mailbox: list[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = ledger_home(tmp_path / "home")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    build_task = daily_dag.task_dict["build_warehouse"]
    monkeypatch.setattr("warehouse.build.build", step)
    monkeypatch.setattr(build_task, "execution_timeout", timedelta(seconds=3))
    if step is sleep_forever:
        monkeypatch.setattr(build_task, "retries", 0)  # the DAG retries a hang once; not here
    webhook.clear()
    started = time.monotonic()

    outcome = run_daily(daily_dag, home.root, inbox, TEST_AS_OF, mark_success_pattern="deliver_feedback")

    assert time.monotonic() - started < 120  # bounded by the task's timeout, not the 600 s sleep
    assert outcome.task_states["build_warehouse"] == FAILED
    assert outcome.task_states["export_warning_lists"] == UPSTREAM_FAILED
    assert outcome.task_states["check_data_quality"] == SUCCESS
    assert outcome.state == FAILED
    report = json.loads(health_report_path(home, TEST_AS_OF).read_text(encoding="utf-8"))
    assert report["alerting"] == [OVERDUE_KEY]
    kinds = [payload["kind"] for payload in webhook]
    assert sorted(kinds) == ["data_quality", "pipeline_failed"]
    [failure] = [payload for payload in webhook if payload["kind"] == "pipeline_failed"]
    assert failure["as_of"] == TEST_AS_OF.isoformat()
    assert failure["failed_task"] == "build_warehouse"
    # the same two through Airflow's SMTP notifier
    subjects = sorted(" ".join(str(email.message_from_string(mail)["Subject"]).split()) for mail in mailbox)
    assert len(subjects) == 2, mailbox
    data_quality, pipeline = subjects
    assert data_quality == "aidwatch: 1 data-quality problem(s) on 2026-11-28"
    assert pipeline.startswith("aidwatch: pipeline run ") and pipeline.endswith("failed at build_warehouse")
