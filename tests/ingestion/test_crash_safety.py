"""A crash while landing never leaves a visible partial batch, and a rerun loads the file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import ingestion.landing
from aidwatch.home import Home
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


def test_process_killed_after_parquet_rename_before_ledger(tmp_path: Path) -> None:
    """A real process dies (SIGKILL) with the Parquet renamed but no ledger entry written."""
    home, inbox = Home.resolve(tmp_path / "home"), tmp_path / "inbox"
    deliver(inbox)
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        import ingestion.pipeline
        from aidwatch.home import Home
        ingestion.pipeline.write_ledger = lambda home, entry: os.kill(os.getpid(), signal.SIGKILL)
        ingestion.pipeline.ingest_feed("ca_deaths", Path({str(inbox)!r}), Home.resolve({str(home.root)!r}))
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    orphans = list(home.raw_feed("ca_deaths").glob("ca_deaths__*.parquet"))
    assert len(orphans) == 1  # landed, but not visible: no ledger entry
    assert visible_batches(home) == []
    assert_rerun_loads(home, inbox)
    assert json.loads(next(home.ledger.glob("*.json")).read_text())["file"] == f"ca_deaths/deaths_{STAMP}.csv"
