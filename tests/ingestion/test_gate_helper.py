"""A cold process validates in a forked GX helper process: same gate, same outcomes.

`ingest_inbox` with one worker forks a helper that imports Great Expectations while the
first file is read (ingestion.gate.gx_in_helper_process). The test process has GX loaded
already, so `_gx_loaded` is patched to make it take the cold path; the helper still runs
the real suite on the real gate frame, and everything it decides must equal the gate run
in this process.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from aidwatch.home import Home
from ingestion import gate
from ingestion.pipeline import ingest_feed, ingest_inbox
from tests.ingestion.deliveries import STAMP, valid_id, write_csv, wrong_check

PERSON = valid_id("15292119800101123")
OTHER = valid_id("15292219900202234")
HEADER = ["救助家庭编号", "身份证号", "姓名", "与户主关系", "是否纳入保障", "个人月收入"]
ROWS = [
    ["H1", PERSON, "张三", "本人", "是", "1,234.50元"],
    ["H1", wrong_check(OTHER), "李四", "配偶", "否", "12"],
    ["H2", "", "王五", "亲戚", "也许", "-5"],
]
TIMES = ("started_at", "finished_at")


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    write_csv(tmp_path / "inbox" / "ca_members" / f"民政成员_{STAMP}.csv", HEADER, ROWS, "gb18030")
    return tmp_path / "inbox"


@pytest.fixture
def cold(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Pretend GX is not loaded here; returns the sizes of the frames sent to the helper."""
    sent: list[int] = []
    real = gate._GateHelper.validate

    def spy(self: gate._GateHelper, feed, frame, slices):  # noqa: ANN001, ANN202 - a pass-through
        sent.append(len(frame))
        return real(self, feed, frame, slices)

    monkeypatch.setattr(gate, "_gx_loaded", lambda: False)
    monkeypatch.setattr(gate._GateHelper, "validate", spy)
    return sent


def outcome(home: Home) -> tuple[list[dict], list[dict], list[dict]]:
    """Ledger entries (without times), quarantined rows, gate reports of a HOME."""
    entries = [{k: v for k, v in json.loads(p.read_text()).items() if k not in TIMES}
               for p in sorted(home.ledger.glob("*.json"))]
    quarantine = [r for p in sorted(home.root.rglob("quarantine/**/*.parquet"))
                  for r in pq.read_table(p).to_pylist()]
    reports = [json.loads(p.read_text()) for p in sorted((home.root / "reports" / "gate").glob("*.json"))]
    return entries, quarantine, reports


def test_helper_process_gives_the_in_process_gate_result(inbox: Path, tmp_path: Path,
                                                         cold: list[int]) -> None:
    helper_home, local_home = Home.resolve(tmp_path / "helper"), Home.resolve(tmp_path / "local")
    [entry] = ingest_inbox(inbox, helper_home, workers=1)
    assert cold == [3]  # the gate frame went to the helper
    assert gate._helper is None  # and the helper is gone after the run
    assert entry["status"] == "loaded_with_quarantine"
    assert (entry["rows_loaded"], entry["rows_quarantined"]) == (1, 2)
    with pytest.MonkeyPatch.context() as warm:
        warm.setattr(gate, "_gx_loaded", lambda: True)
        ingest_feed("ca_members", inbox, local_home)
    helper_result, local_result = outcome(helper_home), outcome(local_home)
    assert helper_result[1], "the bad rows must be in quarantine"
    assert helper_result == local_result


def test_long_run_stops_sending_and_validates_here(inbox: Path, tmp_path: Path, cold: list[int],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate, "HELPER_MAX_ROWS", 2)  # the 3-row frame is past the limit
    validated_here: list[int] = []
    real = gate._validate_here

    def here(feed, frame, slices):  # noqa: ANN001, ANN202 - a pass-through
        validated_here.append(len(frame))
        return real(feed, frame, slices)

    monkeypatch.setattr(gate, "_validate_here", here)
    [entry] = ingest_inbox(inbox, Home.resolve(tmp_path / "home"), workers=1)
    assert (cold, validated_here) == ([], [3])
    assert (entry["rows_loaded"], entry["rows_quarantined"]) == (1, 2)


def test_helper_that_died_is_replaced_by_the_gate_here(inbox: Path, tmp_path: Path, cold: list[int],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ingestion.gate"), gate.gx_in_helper_process():
        helper = gate._helper
        assert helper is not None
        helper._process.kill()
        helper._process.join()
        [entry] = ingest_feed("ca_members", inbox, Home.resolve(tmp_path / "home"))
        assert gate._helper is None
    assert (entry["rows_loaded"], entry["rows_quarantined"]) == (1, 2)
    assert "GX helper process ended" in caplog.text
