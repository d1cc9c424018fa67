"""The data-quality signal outside Airflow: `aidwatch doctor`'s findings are problems with keys,
`aidwatch health check|ack` triage them, and the report says which alert and which are known."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aidwatch.cli import main as aidwatch_main
from aidwatch.health_signal import check_and_alert, permission_problems
from aidwatch.home import Home
from ingestion.contracts import load_feeds
from ingestion.health import health_report_path
from tests.airflow.test_health import AS_OF, write_entry


@pytest.fixture
def healthy_home(tmp_path: Path) -> Home:
    """Every feed delivered on AS_OF, every mode within the permission policy."""
    home = Home(tmp_path / "home")
    for feed_id in load_feeds():
        write_entry(home, feed_id, AS_OF)
    for folder, _, files in os.walk(home.root):
        os.chmod(folder, 0o700)
        for name in files:
            os.chmod(Path(folder) / name, 0o600)
    return home


def test_a_healthy_home_alerts_nobody(healthy_home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIDWATCH_ALERT_WEBHOOK", raising=False)
    signal = check_and_alert(healthy_home, AS_OF)
    assert signal.alerting == [] and signal.quiet == []
    report = json.loads(signal.report.read_text(encoding="utf-8"))
    assert report["ok"] is True and report["alerting"] == [] and report["permission_problems"] == []


def test_a_loose_file_is_a_problem_that_can_be_acknowledged(
    healthy_home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    loose = next(healthy_home.ledger.glob("*.json"))
    loose.chmod(0o644)
    [problem] = permission_problems(healthy_home)
    key = f"permissions:ledger/{loose.name}"
    assert problem.feed_id == f"ledger/{loose.name}" and "too open" in problem.message

    home_args = ["--home", str(healthy_home.root), "--as-of", AS_OF.isoformat()]
    assert aidwatch_main(["health", "check", *home_args]) == 3
    assert f"ALERT {key}:" in capsys.readouterr().out
    assert aidwatch_main(["health", "ack", key, "--until", "2026-11-30", "--reason", "restored by hand",
                          *home_args]) == 0
    assert aidwatch_main(["health", "check", *home_args]) == 0
    assert f"quiet {key}" in capsys.readouterr().out
    report = json.loads(health_report_path(healthy_home, AS_OF).read_text(encoding="utf-8"))
    assert report["alerting"] == [] and [a["key"] for a in report["acknowledged"]] == [key]
    assert report["permission_problems"][0]["feed_id"] == f"ledger/{loose.name}"
