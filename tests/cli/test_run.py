"""`aidwatch run` exit statuses and its feed health report.

1 when it failed (here: the published warehouse cannot be opened, so nothing is built), and
on a copy of the session's built HOME: 0 when every file was loaded and the build
published, 3 when it published but a file was rejected. Every run writes the health report.
"""

from __future__ import annotations

import json
import logging
import shutil

import duckdb
import pytest

from aidwatch.cli import main
from aidwatch.commands.run import EXIT_FAILED, EXIT_OK, EXIT_PUBLISHED_WITH_FILES_NOT_LOADED
from aidwatch.home import Home
from tests.fixtures.simulated import TEST_AS_OF


def test_failed_build_exits_1_and_still_writes_the_health_report(tmp_path, caplog):
    home = Home(tmp_path / "home")
    home.root.mkdir()
    home.warehouse.write_bytes(b"this is not a DuckDB file")
    (tmp_path / "inbox").mkdir()
    with caplog.at_level(logging.ERROR):
        status = main(["run", "--inbox", str(tmp_path / "inbox"), "--home", str(home.root),
                       "--as-of", TEST_AS_OF.isoformat()])
    assert status == EXIT_FAILED == 1
    assert f"cannot open the published warehouse {home.warehouse}" in caplog.text
    report = json.loads((home.root / "reports" / "health" / f"{TEST_AS_OF}.json").read_text(encoding="utf-8"))
    assert report["as_of"] == TEST_AS_OF.isoformat() and report["ok"] is False  # every feed is overdue
    assert home.warehouse.read_bytes() == b"this is not a DuckDB file"


@pytest.mark.slow
def test_exit_status_says_whether_every_file_reached_the_warehouse(built_home, tmp_path, capsys):
    home = Home(tmp_path / "home")
    shutil.copytree(built_home.root, home.root)
    inbox = tmp_path / "inbox"
    (inbox / "ca_deaths").mkdir(parents=True)
    args = ["run", "--inbox", str(inbox), "--home", str(home.root), "--as-of", TEST_AS_OF.isoformat()]

    assert main(args) == EXIT_OK == 0  # nothing new: the same as_of is rebuilt and published again
    out = capsys.readouterr().out
    assert f"published: {home.warehouse}" in out and "feed health:" in out

    (inbox / "ca_deaths" / "ca_deaths_20261128_resend.csv").write_bytes(b"")
    assert main(args) == EXIT_PUBLISHED_WITH_FILES_NOT_LOADED == 3
    out = capsys.readouterr().out
    assert "rejected: ca_deaths/ca_deaths_20261128_resend.csv" in out
    assert "1 file(s) rejected or held: their rows are not in the warehouse (exit status 3)" in out
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        assert con.execute("select as_of from marts.build_info").fetchall() == [(TEST_AS_OF,)]
    finally:
        con.close()
    health = json.loads((home.root / "reports" / "health" / f"{TEST_AS_OF}.json").read_text(encoding="utf-8"))
    assert any(p["check"] == "rejected" and "ca_deaths_20261128_resend.csv" in (p.get("file") or p["message"])
               for p in health["problems"])
