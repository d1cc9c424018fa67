"""The permission policy of HOME, `aidwatch doctor` and the health report's copy of its result."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from aidwatch.cli import main as aidwatch_main
from aidwatch.home import Home
from aidwatch.permissions import HOME_DIR, loose_modes, use_private_umask


def private_home(root: Path) -> Home:
    """A HOME as aidwatch writes it: private, the analyst file and an export open to the group."""
    home = Home(root)
    previous = use_private_umask()
    try:
        home.root.mkdir()
        os.chmod(home.root, HOME_DIR)
        home.ledger.mkdir()
        (home.ledger / "batch.json").write_text("{}", encoding="utf-8")
        home.warehouse.write_bytes(b"warehouse")
        home.analyst_file.write_bytes(b"analyst")
        os.chmod(home.analyst_file, 0o640)
        (home.exports / "2026-11-02").mkdir(parents=True)
        (home.exports / "2026-11-02" / "list.xlsx").write_bytes(b"xlsx")
        for path, mode in ((home.exports, 0o750), (home.exports / "2026-11-02", 0o750),
                           (home.exports / "2026-11-02" / "list.xlsx", 0o640)):
            os.chmod(path, mode)
    finally:
        os.umask(previous)
    return home


def test_policy_modes_pass_and_looser_ones_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    home = private_home(tmp_path / "home")
    assert loose_modes(home) == []
    assert aidwatch_main(["doctor", "--home", str(home.root)]) == 0
    os.chmod(home.warehouse, 0o644)  # readable by everyone
    os.chmod(home.ledger, 0o750)  # group may list the ledger: only exports and the analyst file may
    os.chmod(home.analyst_file, 0o644)
    os.chmod(home.root, 0o755)
    capsys.readouterr()
    assert aidwatch_main(["doctor", "--home", str(home.root)]) == 1
    out = capsys.readouterr().out
    assert [found.path for found in loose_modes(home)] == sorted(
        [home.root, home.analyst_file, home.ledger, home.warehouse], key=str)
    assert f"{home.warehouse}: file mode 0644, allowed at most 0600" in out
    assert f"{home.ledger}: directory mode 0750, allowed at most 0700" in out
    assert "4 path(s)" in out


def test_doctor_on_missing_home_is_an_error_without_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert aidwatch_main(["doctor", "--home", str(tmp_path / "nowhere")]) == 1
    assert "does not exist" in caplog.text


def test_health_report_carries_the_permission_check(tmp_path: Path) -> None:
    from ingestion.health import write_health_report

    home = private_home(tmp_path / "home")
    os.chmod(home.warehouse, 0o604)
    previous = use_private_umask()
    try:
        path = write_health_report(home, date(2026, 11, 2), [], 0.05)
    finally:
        os.umask(previous)
    report = json.loads(path.read_text(encoding="utf-8"))
    expected = f"{home.warehouse}: file mode 0604, allowed at most 0600 (chmod 0600)"
    assert report["loose_permissions"] == [expected]
