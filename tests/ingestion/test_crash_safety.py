"""A crash while landing never leaves a visible partial batch, and a rerun loads the file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import ingestion.landing
from aidwatch.home import Home
from ingestion.landing import read_ledger
from ingestion.pipeline import ingest_feed, pending_feeds
from tests.ingestion.deliveries import STAMP, valid_id, write_csv

PERSON = valid_id("15292119800101123")
ROOT = Path(__file__).resolve().parents[2]


def deliver(inbox: Path) -> None:
    write_csv(inbox / "ca_deaths" / f"deaths_{STAMP}.csv", ["身份证号", "死亡日期"],
              [[PERSON, "2026-10-01"], ["bad", "2026-10-02"]])


def visible_batches(home: Home) -> list[str]:
    """What a reader sees: raw batches that have a ledger entry."""
    ledgered = {p.stem for p in home.ledger.glob("*.json")} if home.ledger.is_dir() else set()
    return [p.stem for p in home.raw_feed("ca_deaths").glob("ca_deaths__*.parquet") if p.stem in ledgered]


def assert_rerun_loads(home: Home, inbox: Path) -> None:
    assert pending_feeds(inbox, home) == ["ca_deaths"]
    [entry] = ingest_feed("ca_deaths", inbox, home)
    counts = (entry["status"], entry["rows_loaded"], entry["rows_quarantined"])
    assert counts == ("loaded_with_quarantine", 1, 1)
    leftovers = [p for p in home.root.rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []
    assert visible_batches(home) == [entry["batch_id"]]
    assert pq.read_table(home.raw_feed("ca_deaths") / f"{entry['batch_id']}.parquet").num_rows == 1


def test_crash_between_parquet_write_and_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, inbox = Home.resolve(tmp_path / "home"), tmp_path / "inbox"
    deliver(inbox)
    real_replace = os.replace

    def crash_on_raw(src: os.PathLike, dst: os.PathLike) -> None:
        if "/raw/" in str(dst) and str(dst).endswith(".parquet") and "_schema" not in str(dst):
            raise OSError("simulated crash before rename")
        real_replace(src, dst)

    monkeypatch.setattr(ingestion.landing.os, "replace", crash_on_raw)
    with pytest.raises(OSError, match="simulated crash"):
        ingest_feed("ca_deaths", inbox, home)
    monkeypatch.undo()
    assert visible_batches(home) == []
    assert list(home.ledger.glob("*.json")) == []
    assert any(p.name.startswith(".tmp-") for p in home.raw_feed("ca_deaths").iterdir())
    assert_rerun_loads(home, inbox)


def kill_before_the_ledger_entry(home: Home, inbox: Path) -> None:
    """Ingest ca_deaths in a real process that dies (SIGKILL) as it is about to write a ledger entry."""
    run_until_killed(f"""
        import os, signal
        from pathlib import Path
        import ingestion.pipeline
        from aidwatch.home import Home
        ingestion.pipeline.write_ledger = lambda home, entry: os.kill(os.getpid(), signal.SIGKILL)
        ingestion.pipeline.ingest_feed("ca_deaths", Path({str(inbox)!r}), Home.resolve({str(home.root)!r}))
    """)


def run_until_killed(script: str) -> None:
    """Run a Python script in a real process of the project and require that it died of SIGKILL."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT, capture_output=True,
                            timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()


def test_process_killed_after_parquet_rename_before_ledger(tmp_path: Path) -> None:
    """A real process dies (SIGKILL) with the Parquet renamed but no ledger entry written."""
    home, inbox = Home.resolve(tmp_path / "home"), tmp_path / "inbox"
    deliver(inbox)
    kill_before_the_ledger_entry(home, inbox)
    orphans = list(home.raw_feed("ca_deaths").glob("ca_deaths__*.parquet"))
    assert len(orphans) == 1  # landed, but not visible: no ledger entry
    assert visible_batches(home) == []
    assert_rerun_loads(home, inbox)
    assert json.loads(next(home.ledger.glob("*.json")).read_text())["file"] == f"ca_deaths/deaths_{STAMP}.csv"


def test_a_build_after_a_killed_ingestion_reads_no_unrecorded_batch(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    """The file whose ingestion was killed leaves the inbox (the department withdrew it), so no
    ingestion will clean its feed; the build must not read the batch nobody recorded (dbt reads
    each feed's folder whole). It removes it first, says so, and keeps the recorded batches."""
    from warehouse.build import BuildFailed, build

    home, inbox = Home.resolve(tmp_path / "home"), tmp_path / "inbox"
    write_csv(inbox / "ca_deaths" / "deaths_20261001.csv", ["身份证号", "死亡日期"], [[PERSON, "2026-09-01"]])
    [recorded] = ingest_feed("ca_deaths", inbox, home)
    deliver(inbox)
    kill_before_the_ledger_entry(home, inbox)
    [orphan] = [p for p in home.raw_feed("ca_deaths").glob("ca_deaths__*.parquet")
                if p.stem != recorded["batch_id"]]
    (inbox / "ca_deaths" / f"deaths_{STAMP}.csv").unlink()
    assert pending_feeds(inbox, home) == []  # nothing to ingest: no ingestion would remove it

    with pytest.raises(BuildFailed, match="before the earliest delivery"):  # stops before dbt runs
        build(home, date(2026, 9, 1), quiet=True)
    assert not orphan.exists()
    assert [p.stem for p in home.raw_feed("ca_deaths").glob("ca_deaths__*.parquet")] == [recorded["batch_id"]]
    assert f"removed raw/ca_deaths/{orphan.name}, left by an interrupted ingestion" in caplog.text


#: Where `test_killed_inside_a_streamed_file_ends_as_an_uninterrupted_run` kills the process:
#: a method and the call of it that dies (after the call when `after`).
KILL_POINTS = {
    "the key pass, after spilling its second chunk": ("ingestion.streaming.CsvStream", "spill", 2, True),
    "the gate pass, writing its second chunk": ("ingestion.landing.ParquetStage", "write", 2, False),
    "a staged file renamed into place, no ledger entry yet": ("ingestion.landing.ParquetStage", "commit", 1,
                                                                 True),
}


@pytest.mark.parametrize("point", KILL_POINTS)
def test_killed_inside_a_streamed_file_ends_as_an_uninterrupted_run(tmp_path: Path, point: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A real process dies (SIGKILL) inside a file read chunk by chunk; the next run leaves the HOME
    exactly as a run that was never stopped: the same ledger, Parquet files and gate reports, and
    no staged, spilled or temporary file."""
    from ingestion import streaming
    from tests.ingestion.test_chunked import build_inbox, landed, reports, without_times

    inbox = tmp_path / "inbox"
    build_inbox(inbox)  # hukou and ca_members files with planted faults, some longer than a chunk
    feeds = ["ps_hukou", "ca_members"]
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 5)
    clean = Home.resolve(tmp_path / "clean")
    clean_entries = [e for feed in feeds for e in ingest_feed(feed, inbox, clean)]

    home = Home.resolve(tmp_path / "killed")
    where, method, call, after = KILL_POINTS[point]
    run_until_killed(f"""
        import importlib, os, signal
        from pathlib import Path
        from aidwatch.home import Home
        from ingestion import streaming
        from ingestion.pipeline import ingest_feed
        streaming.CHUNK_ROWS = 5
        module, name = {where!r}.rsplit(".", 1)
        owner = getattr(importlib.import_module(module), name)
        real, calls = getattr(owner, {method!r}), []

        def dying(*args, **kwargs):
            calls.append(1)
            if len(calls) == {call} and not {after}:
                os.kill(os.getpid(), signal.SIGKILL)
            result = real(*args, **kwargs)
            if len(calls) == {call}:
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        setattr(owner, {method!r}, dying)
        for feed in {feeds!r}:
            ingest_feed(feed, Path({str(inbox)!r}), Home.resolve({str(home.root)!r}))
    """)

    for feed in feeds:
        ingest_feed(feed, inbox, home)
    entries = read_ledger(home)
    key = lambda e: e["file"]  # noqa: E731
    assert sorted(without_times(entries), key=key) == sorted(without_times(clean_entries), key=key)
    assert landed(home) == landed(clean)
    assert reports(home, entries) == reports(clean, clean_entries)
    left = [p for p in home.root.rglob("*") if p.name.startswith(".tmp-")
            or ("scratch" in p.relative_to(home.root).parts and p.is_file())]
    assert left == []
