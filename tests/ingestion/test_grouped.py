"""Small files of a feed normalised and gated together land exactly what each file gated alone lands.

The files differ where a stack of rows could mix them up: their extract dates (an ID's birth
date and an event date lie after one file's date but before the next files'), a key repeated
within one file and a key shared by two files, a .xlsx between CSVs (its own run of rows:
Excel serial dates), a file without rows, one without its optional columns, and a file that
delivers a contract column twice with a copy that disagrees. Each file's raw and quarantine
tables and its gate report (minus GX's run statistics, which describe the whole run) must
equal those of the file gated alone.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from aidwatch.home import Home
from ingestion import batch, pipeline
from ingestion.contracts import get_feed
from ingestion.delivery import describe
from ingestion.pipeline import ingest_feed
from tests.ingestion.deliveries import valid_id, write_csv, write_xlsx
from tests.ingestion.test_chunked import landed, reports, without_times

FEED = "ca_temp_assistance"
HEADER = ["案件编号", "救助对象身份证号", "救助家庭编号", "急难发生地", "救助类型", "困难原因", "救助金额",
          "审批层级", "申请日期", "审批日期", "先行救助", "补齐手续日期", "分阶段次数"]
BORN_IN_SEPTEMBER = valid_id("15292120260915001")  # after 2026-09-01, before 2026-10-01
ADULT = valid_id("15292119800101002")


def row(case: str, idn: str = ADULT, amount: str = "800", applied: str = "2026-08-20") -> list[str]:
    return [case, idn, "H1", "152921001001", "急难型", "疾病", amount, "苏木镇(街道)", applied, "", "否", "",
            "1"]


def deliveries(inbox: Path) -> list[Path]:
    folder = inbox / FEED
    return [
        write_csv(folder / f"{FEED}_20260901.csv", HEADER, [
            row("C1"),
            row("C2"), row("C2"),  # a key repeated within the file
            row("C3", idn=BORN_IN_SEPTEMBER),  # born after this file's extract date
            row("C4", applied="2026-09-20"),  # applied after this file's extract date
            row("C5", amount="-5"),
        ]),
        write_csv(folder / f"{FEED}_20261001.csv", HEADER, [
            row("C1"),  # C1 again, in another file: not a duplicate
            row("C3", idn=BORN_IN_SEPTEMBER),  # fine here
            row("C4", applied="2026-09-20"),  # fine here
            row("C6", applied="2026-09-30"),
        ]),
        write_xlsx(folder / f"{FEED}_20261015.xlsx", HEADER, [
            [*row("C7")[:8], dt.date(2026, 10, 3), None, "是", None, 2],
            [*row("C8")[:8], 46300, None, "否", None, 1],  # an Excel serial date (2026-10-04)
        ]),
        # after this file's date, before those of the two files normalised with it
        write_csv(folder / f"{FEED}_20261020.csv", HEADER, [row("C9"), row("C10", applied="2026-10-21")]),
        write_csv(folder / f"{FEED}_20261022.csv", HEADER, []),  # no events this period
        write_csv(folder / f"{FEED}_20261025.csv", HEADER[:11],  # optional columns left out
                  [row("C13", applied="2026-10-24")[:11]]),
        write_csv(folder / f"{FEED}_20261101.csv", [*HEADER, "id_number"], [
            [*row("C11"), ADULT],
            [*row("C12"), BORN_IN_SEPTEMBER],  # the second copy of the ID disagrees
        ]),
    ]


def _comparable(result: batch.BatchResult) -> tuple:
    report = {k: v for k, v in result.gate_report.items() if k != "validation"}
    return result.good, result.quarantine, report, result.reason_counts


def test_files_gated_together_land_what_each_lands_alone(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    paths = deliveries(inbox)
    feed = get_feed(FEED)
    reads = [batch.read_batch(feed, describe(inbox, FEED, path)) for path in paths]
    assert [len(unit) for unit in batch._units(reads)] == [2, 1, 3, 1]

    together = batch.gate_batches(feed, reads)
    alone = [batch.build_batch(feed, describe(inbox, FEED, path)) for path in paths]

    for path, mine, own in zip(paths, together, alone, strict=True):
        good, quarantine, report, counts = _comparable(mine)
        own_good, own_quarantine, own_report, own_counts = _comparable(own)
        assert good.equals(own_good), path.name
        assert quarantine.equals(own_quarantine), path.name
        assert report == own_report, path.name
        assert counts == own_counts, path.name

    kept = [sorted(result.good["case_id"].to_pylist()) for result in together]
    assert kept == [["C1"], ["C1", "C3", "C4", "C6"], ["C7", "C8"], ["C9"], [], ["C13"], ["C11"]]
    cases = together[0].quarantine["case_id"].to_pylist()
    reasons = dict(zip(cases, together[0].quarantine["reasons"].to_pylist(), strict=True))
    assert sorted(cases) == ["C2", "C2", "C3", "C4", "C5"]
    assert "birth date is after the extract date" in reasons["C3"]
    assert "date after the extract date" in reasons["C4"]
    assert "date after the extract date" in together[3].quarantine["reasons"][0].as_py()
    assert "delivered twice with different values" in together[6].quarantine["reasons"][0].as_py()


def count_gate_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on, how many files each call of the pipeline's `gate_batches` gates (filled as it runs)."""
    calls: list[int] = []
    real = batch.gate_batches

    def counted(feed, reads):  # type: ignore[no-untyped-def]
        calls.append(len(reads))
        return real(feed, reads)

    monkeypatch.setattr("ingestion.pipeline.gate_batches", counted)
    return calls


def test_the_pipeline_gates_a_feeds_small_files_as_one_group(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file of the inbox reaches `gate_batches` in one call, and each gets its own ledger entry."""
    inbox = tmp_path / "inbox"
    deliveries(inbox)
    calls = count_gate_calls(monkeypatch)
    entries = ingest_feed(FEED, inbox, Home(tmp_path / "home"))
    assert calls == [7]
    loaded = [(e["rows_loaded"], e["rows_quarantined"]) for e in entries]
    assert loaded == [(1, 5), (4, 0), (2, 0), (1, 1), (0, 0), (1, 0), (1, 1)]


def test_a_run_stopped_inside_a_group_ends_as_an_uninterrupted_run_ends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies after three files of the group landed; the next run gates the other four
    (now another group, their neighbours differ) and the HOME equals one ingested without a stop."""
    inbox = tmp_path / "inbox"
    deliveries(inbox)
    clean = Home(tmp_path / "clean")
    entries_clean = ingest_feed(FEED, inbox, clean)

    real_land = pipeline._FeedRun.land
    landed_files: list[str] = []

    def dies_after_three(self, result, delivery, started, control):  # type: ignore[no-untyped-def]
        if len(landed_files) == 3:
            raise KeyboardInterrupt("the operator stops the run")
        landed_files.append(delivery.relative)
        return real_land(self, result, delivery, started, control)

    stopped = Home(tmp_path / "stopped")
    monkeypatch.setattr(pipeline._FeedRun, "land", dies_after_three)
    with pytest.raises(KeyboardInterrupt):
        ingest_feed(FEED, inbox, stopped)
    monkeypatch.setattr(pipeline._FeedRun, "land", real_land)
    calls = count_gate_calls(monkeypatch)
    entries_rest = ingest_feed(FEED, inbox, stopped)

    assert calls == [4]  # the four files not landed, gated as a group of their own
    assert without_times(entries_rest) == without_times(entries_clean[3:])
    assert landed(stopped) == landed(clean)
    assert reports(stopped, entries_clean) == reports(clean, entries_clean)


def test_a_file_that_quarantines_nothing_has_the_quarantine_columns_of_one_that_does(tmp_path: Path) -> None:
    """The empty quarantine table (built from the schema, not from a selection of no rows) has the
    columns and types of a file with the same header whose rows are quarantined."""
    inbox = tmp_path / "inbox"
    clean = write_csv(inbox / FEED / f"{FEED}_20260901.csv", HEADER, [row("C1"), row("C2")])
    dirty = write_csv(inbox / FEED / f"{FEED}_20261001.csv", HEADER, [row("C1"), row("C2", amount="-5")])
    feed = get_feed(FEED)
    [passed] = batch.gate_batches(feed, [batch.read_batch(feed, describe(inbox, FEED, clean))])
    [failed] = batch.gate_batches(feed, [batch.read_batch(feed, describe(inbox, FEED, dirty))])
    assert (passed.quarantine.num_rows, failed.quarantine.num_rows) == (0, 1)
    assert passed.quarantine.schema == failed.quarantine.schema
    assert passed.quarantine.column_names == [*batch.QUARANTINE_METADATA, *passed.mapping.display]
    assert len(passed.mapping.display) == len(HEADER)
    assert failed.quarantine["case_id"].to_pylist() == ["C2"]
