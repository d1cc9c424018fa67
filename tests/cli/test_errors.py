"""Bad arguments and an unusable HOME give one clear line naming the argument or path, never a traceback.

Argument errors exit 2 (argparse's usage status), a HOME or output folder that cannot be
used exits 1; both are checked in this process (cli.main with capsys) and, for the cases of
the issue, in a real subprocess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aidwatch.cli import main


@pytest.fixture()
def blocker(tmp_path) -> Path:
    """A regular file: any folder 'inside' it can never be created, even by root."""
    path = tmp_path / "a_file"
    path.write_text("not a folder\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["simulate", "--out", "OUT", "--scale", "0"], "argument --scale: must be a number above 0, got 0"),
        (["simulate", "--out", "OUT", "--scale", "-1"], "argument --scale: must be a number above 0, got -1"),
        (["simulate", "--out", "OUT", "--scale", "nan"], "argument --scale: must be a number above 0"),
        (["simulate", "--out", "OUT", "--months", "0"], "argument --months: must be at least 1, got 0"),
        (["simulate", "--out", "OUT", "--months", "two"], "argument --months: 'two' is not a whole number"),
        (["simulate", "--out", "OUT", "--as-of", "2026-02-30"], "argument --as-of: '2026-02-30' is not"),
        (["build", "--as-of", "yesterday"], "argument --as-of: 'yesterday' is not a date (expected"),
        (["build", "--accept-change", "  "], "argument --accept-change: the reason must not be empty"),
        (["run", "--inbox", "MISSING"], "argument --inbox: folder MISSING does not exist"),
        (["run", "--inbox", "FILE"], "argument --inbox: FILE is not a folder"),
        (["ingest", "--workers", "0"], "argument --workers: must be at least 1, got 0"),
        (["ingest", "--inbox", "MISSING"], "argument --inbox: folder MISSING does not exist"),
        (["ingest", "--inbox", "FILE"], "argument --inbox: FILE is not a folder"),
        (["export", "--as-of", "2026/11/28"], "argument --as-of: '2026/11/28' is not a date"),
        (["demo", "--scale", "0"], "argument --scale: must be a number above 0, got 0"),
    ],
)
def test_bad_argument_names_it(argv, message, tmp_path, blocker, capsys):
    names = {"OUT": str(tmp_path / "out"), "MISSING": str(tmp_path / "missing"), "FILE": str(blocker)}
    argv = [names.get(a, a) for a in argv]
    message = message.replace("MISSING", names["MISSING"]).replace("FILE", names["FILE"])
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"aidwatch {argv[0]}: error: {message}" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["run", "ingest"])
def test_a_missing_inbox_is_refused_before_home_is_made(command, tmp_path, capsys):
    home = tmp_path / "home"
    with pytest.raises(SystemExit) as exit_:
        main([command, "--inbox", str(tmp_path / "missing"), "--home", str(home)])
    assert exit_.value.code == 2
    assert "argument --inbox: folder" in capsys.readouterr().err
    assert not home.exists()


@pytest.mark.parametrize("command", ["build", "run", "ingest", "export", "demo"])
def test_home_that_cannot_be_written_is_named(command, blocker, tmp_path, capsys, monkeypatch):
    home = blocker / "home"
    argv = [command, "--home", str(home)]
    if command == "run":
        (tmp_path / "inbox").mkdir()
        argv += ["--inbox", str(tmp_path / "inbox")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"aidwatch {command}: error: HOME {home} cannot be written: Not a directory" in err
    # the same through $AIDWATCH_HOME
    monkeypatch.setenv("AIDWATCH_HOME", str(home))
    assert main(argv[:1] + argv[3:]) == 1
    assert f"HOME {home} cannot be written" in capsys.readouterr().err


def test_home_that_is_a_file_is_named(blocker, capsys):
    assert main(["build", "--home", str(blocker)]) == 1
    assert f"aidwatch build: error: HOME {blocker} is not a folder" in capsys.readouterr().err


def test_simulate_into_an_unusable_folder_names_it(blocker, capsys):
    out = blocker / "inbox"
    assert main(["simulate", "--out", str(out), "--scale", "0.001", "--months", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("aidwatch simulate: error: Not a directory: ") and str(out) in err


def test_run_help_documents_every_exit_status(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--help"])
    assert exit_.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "0 every new file was loaded" in out
    assert "3 the warehouse was published, but some files were rejected or held" in out
    assert "1 failed:" in out and "2 bad arguments" in out


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["simulate", "--out", "{tmp}/out", "--scale", "0"], 2, "argument --scale: must be a number above 0"),
        (["simulate", "--out", "{tmp}/out", "--months", "0"], 2, "argument --months: must be at least 1"),
        (["build", "--home", "{blocker}/home"], 1, "HOME {blocker}/home cannot be written"),
    ],
)
def test_no_traceback_in_a_real_process(args, status, message, tmp_path, blocker):
    fill = {"tmp": tmp_path, "blocker": blocker}
    argv = [a.format(**fill) for a in args]
    done = subprocess.run([sys.executable, "-m", "aidwatch.cli", *argv], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == status
    assert message.format(**fill) in done.stderr
    assert "Traceback" not in done.stderr


def test_ingest_prints_delivered_names_and_headers_as_they_are(tmp_path, capsys):
    """Header texts and file names come from departments: `[/]` or `[bold]` in them is text.

    The console renders Rich markup; unescaped, a header `[/]收入` crashed the summary with a
    MarkupError after the files were ingested, and `[bold]` vanished from a file's name.
    """
    inbox = tmp_path / "inbox" / "ca_deaths"
    inbox.mkdir(parents=True)
    header = "身份证号,死亡日期,[/]备注[link=file:///etc/passwd]x[/link]\n"
    (inbox / "[bold]deaths_20261101.csv").write_text(header + "152921195002284296,2026-10-13,火化\n",
                                                     encoding="utf-8")
    status = main(["ingest", "--inbox", str(tmp_path / "inbox"), "--home", str(tmp_path / "home"),
                   "--workers", "1"])
    err = " ".join(capsys.readouterr().err.split())  # Rich wraps long lines
    assert status == 0
    assert "warning ca_deaths/[bold]deaths_20261101.csv: optional column(s) source" in err
    assert "[/]备注[link=file:///etc/passwd]x[/link]" in err


def test_the_default_as_of_is_todays_date_in_the_league(tmp_path, caplog, monkeypatch):
    """At 22:00 UTC on 2026-11-28 it is 06:00 on 2026-11-29 in Alxa: a cron run builds for the 29th."""
    from datetime import UTC, datetime

    from aidwatch import league_calendar
    from aidwatch.home import Home
    from ingestion.landing import write_ledger

    moment = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
    monkeypatch.setattr(league_calendar, "league_now", lambda: moment.astimezone(league_calendar.LEAGUE_ZONE))
    batch = tmp_path / "home" / "raw" / "ca_deaths" / "ca_deaths__20261130__0123456789ab.parquet"
    batch.parent.mkdir(parents=True)
    batch.write_bytes(b"")  # only its name is read: the raw zone's first delivery is of the 30th
    recorded = {"batch_id": batch.stem, "feed_id": "ca_deaths", "status": "loaded"}
    write_ledger(Home(tmp_path / "home"), recorded)  # a batch without its entry would be removed
    assert main(["build", "--home", str(tmp_path / "home")]) == 1
    assert "as_of 2026-11-29 is before the earliest delivery in the raw zone (extracted 2026-11-30)" in (
        caplog.text)


def test_a_memory_ceiling_duckdb_cannot_read_stops_build_and_run_before_their_work(
    tmp_path, capsys, caplog, monkeypatch
):
    """AIDWATCH_DUCKDB_MEMORY_LIMIT (aidwatch/duckdb_memory.py) is checked before a run ingests
    and before a build touches the warehouse: one line naming the variable, no traceback."""
    from aidwatch.commands.run import EXIT_FAILED
    from aidwatch.home import Home

    monkeypatch.setenv("AIDWATCH_DUCKDB_MEMORY_LIMIT", "lots")
    home = Home(tmp_path / "home")
    refused = "AIDWATCH_DUCKDB_MEMORY_LIMIT='lots' is not a DuckDB memory limit (for example 3GB"
    inbox = tmp_path / "inbox"
    (inbox / "ps_hukou").mkdir(parents=True)
    (inbox / "ps_hukou" / "户籍人口_20261101.csv").write_text("公民身份号码,姓名\n", encoding="utf-8")
    argv = ["run", "--home", str(home.root), "--inbox", str(inbox), "--as-of", "2026-11-01"]
    assert main(argv) == EXIT_FAILED  # the run's failure is an alert (aidwatch.alerts), logged
    assert f"pipeline failed (aidwatch run, as_of 2026-11-01): {refused}" in caplog.text
    assert not home.ledger.exists() or not any(home.ledger.iterdir())  # nothing ingested

    assert main(["build", "--home", str(home.root)]) == 1
    assert f"aidwatch build: error: {refused}" in capsys.readouterr().err
    assert not home.warehouse.exists() and not home.warehouse_next.exists()
