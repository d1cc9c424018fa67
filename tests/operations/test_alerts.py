"""Acknowledged data-quality problems stay quiet until they get worse; alerts reach a real webhook."""

from __future__ import annotations

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from aidwatch.alerts import AckError, acknowledge, notify, problem_key, read_acks, triage
from aidwatch.home import Home
from ingestion.health import HealthProblem

AS_OF = date(2026, 11, 28)


def _rejected(file: str = "ca_members/ca_members_2026-11-20.csv") -> HealthProblem:
    return HealthProblem(feed_id="ca_members", check="rejected", message=f"{file} was rejected", file=file)


def _share(share: float) -> HealthProblem:
    return HealthProblem(feed_id="ps_hukou", check="quarantine_share", message="q", quarantine_share=share)


def _overdue(days: int) -> HealthProblem:
    return HealthProblem(feed_id="ca_members", check="overdue", message="late", days_overdue=days)


def test_acknowledged_problem_is_quiet_until_its_date(tmp_path: Path):
    home = Home(tmp_path)
    problem = _rejected()
    acknowledge(home, problem_key(problem), date(2026, 12, 5), "department resends on Monday",
                [problem], AS_OF, user="steward")
    alert, quiet = triage([problem], read_acks(home), AS_OF)
    assert alert == [] and quiet[0][1].user == "steward"
    alert, _ = triage([problem], read_acks(home), date(2026, 12, 5))
    assert alert == []
    alert, _ = triage([problem], read_acks(home), date(2026, 12, 6))  # the day after `until`
    assert alert == [problem]


def test_a_new_rejected_file_is_a_new_problem(tmp_path: Path):
    home = Home(tmp_path)
    first = _rejected()
    acknowledge(home, problem_key(first), date(2026, 12, 31), "known", [first], AS_OF)
    second = _rejected("ca_members/ca_members_2026-11-27.csv")
    alert, quiet = triage([first, second], read_acks(home), AS_OF)
    assert alert == [second] and [p for p, _ in quiet] == [first]


def test_a_worse_quarantine_share_alerts_again(tmp_path: Path):
    home = Home(tmp_path)
    acknowledge(home, "quarantine_share:ps_hukou", date(2026, 12, 31), "known bad township",
                [_share(0.07)], AS_OF)
    assert triage([_share(0.07)], read_acks(home), AS_OF)[0] == []
    assert triage([_share(0.0701)], read_acks(home), AS_OF)[0] != []


def test_overdue_alerts_again_after_another_missed_period(tmp_path: Path):
    home = Home(tmp_path)
    acknowledge(home, "overdue:ca_members", date(2027, 3, 1), "system migration", [_overdue(3)], AS_OF)
    from ingestion.contracts import load_feeds

    cadence = load_feeds()["ca_members"].cadence_days
    assert triage([_overdue(3 + cadence - 1)], read_acks(home), AS_OF)[0] == []
    assert triage([_overdue(3 + cadence)], read_acks(home), AS_OF)[0] != []


def test_ack_refuses_unknown_problems_empty_reasons_and_past_dates(tmp_path: Path):
    home = Home(tmp_path)
    problem = _rejected()
    with pytest.raises(AckError, match="current problems"):
        acknowledge(home, "rejected:nope", date(2026, 12, 5), "x", [problem], AS_OF)
    with pytest.raises(AckError, match="reason"):
        acknowledge(home, problem_key(problem), date(2026, 12, 5), "  ", [problem], AS_OF)
    with pytest.raises(AckError, match="before"):
        acknowledge(home, problem_key(problem), date(2026, 11, 1), "x", [problem], AS_OF)
    assert read_acks(home) == []


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        _Receiver.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Receiver.received = []
    monkeypatch.setenv("AIDWATCH_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/hook")
    yield _Receiver.received
    server.shutdown()


def test_alert_reaches_the_webhook_with_each_problem(webhook):
    channels = notify(AS_OF, [_rejected()], Path("/tmp/report.json"))
    assert channels == ["webhook"]
    [payload] = webhook
    assert payload["as_of"] == "2026-11-28"
    assert payload["problems"][0]["key"] == "rejected:ca_members:ca_members/ca_members_2026-11-20.csv"


def test_an_unreachable_webhook_is_logged_not_raised(monkeypatch, caplog):
    monkeypatch.setenv("AIDWATCH_ALERT_WEBHOOK", "http://127.0.0.1:9/hook")
    notify(AS_OF, [_rejected()], None)
    assert "could not be sent" in caplog.text


def test_no_channel_means_logged_only(monkeypatch, caplog):
    monkeypatch.delenv("AIDWATCH_ALERT_WEBHOOK", raising=False)
    monkeypatch.delenv("AIDWATCH_ALERT_EMAIL", raising=False)
    assert notify(AS_OF, [_rejected()], None) == []
    assert "logged only" in caplog.text
