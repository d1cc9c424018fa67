"""Fault-injection suite, ingestion part: each fault is built from a clean simulated inbox.

Every test copies the feeds it needs from the session's simulated league (`simulated_inbox`),
injects one fault, ingests with the real pipeline and asserts the outcome (held, rejected,
ignored, quarantined, unchanged or duplicate, with its reason) and that every row is
accounted for: rows_read = loaded + quarantined + held, and for a CSV rows_read equals the
records Python's csv module counts. The list of faults is in docs/design.md
("Fault-injection suite").
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from aidwatch.cli import main
from aidwatch.home import Home
from ingestion.completeness import Reference, implausible
from ingestion.contracts import get_feed
from ingestion.health import check_feed_health, overdue_feeds
from ingestion.landing import held_folder, read_ledger
from ingestion.pipeline import ingest_feed, pending_feeds
from tests.ingestion.deliveries import rewritten_after_each_parse, valid_id, write_csv

LAST = "20261128"  # the simulated league's as_of (tests/fixtures/simulated.py)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    return tmp_path / "inbox"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home.resolve(tmp_path / "home")


def copy_feed(simulated_inbox: Path, inbox: Path, feed_id: str) -> list[Path]:
    """The feed's clean deliveries (the planted bad files left out), copied into `inbox`."""
    target = inbox / feed_id
    target.mkdir(parents=True, exist_ok=True)
    planted = {row["file"] for row in csv.DictReader(
        (simulated_inbox / "_truth" / "expected_rejected_files.csv").open(encoding="utf-8"))
        if not row["reason"].startswith("duplicate")}
    copied = []
    for path in sorted((simulated_inbox / feed_id).iterdir()):
        if f"{feed_id}/{path.name}" not in planted and "重发" not in path.name:
            copied.append(Path(shutil.copy2(path, target / path.name)))
    return copied


def ingest(feed_id: str, inbox: Path, home: Home) -> dict[str, dict]:
    """Ingest one feed; this call's entries by file, each checked for exact row accounting.

    A duplicate reads nothing (its rows are accounted once, by the entry in `same_as`).
    """
    entries = {e["file"]: e for e in ingest_feed(feed_id, inbox, home)}
    for entry in entries.values():
        assert entry["rows_read"] == entry["rows_loaded"] + entry["rows_quarantined"] + entry["rows_held"]
        path = inbox / entry["file"]
        if entry["format"] == "csv" and entry["status"] not in ("rejected", "ignored", "duplicate"):
            assert entry["rows_read"] == csv_records(path), entry["file"]
    return entries


def csv_records(path: Path) -> int:
    """Data records of a CSV as the standard library counts them (blank lines not counted)."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    records = [r for r in csv.reader(io.StringIO(text, newline="")) if any(v.strip() for v in r)]
    return len(records) - 1


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def staged_snapshot(home: Home, feed_id: str, as_of: dt.date) -> tuple[dt.date, int]:
    """What stage_feed takes for a snapshot: the newest extract <= as_of in raw/, and its row count."""
    con = duckdb.connect()
    glob = str(home.raw_feed(feed_id) / "*.parquet")
    newest = con.execute(f"select max(_extract_date) from read_parquet('{glob}', union_by_name=true) "
                         "where _extract_date <= ?", [as_of]).fetchone()[0]
    rows = con.execute(f"select count(*) from read_parquet('{glob}', union_by_name=true) "
                       "where _extract_date = ?", [newest]).fetchone()[0]
    return newest, rows


# -- snapshot completeness ------------------------------------------------------------------

def test_bounds_at_their_edges() -> None:
    feed = get_feed("ca_members")  # defaults: drop 10 %, growth 50 %, always 10 keys
    ref = Reference("ca_members__20261101__x", dt.date(2026, 11, 1), 1000)
    assert implausible(feed, 900, ref) == []  # exactly -10 %
    assert "10.1% fewer" in implausible(feed, 899, ref)[0]
    assert implausible(feed, 1500, ref) == []  # exactly +50 %
    assert "50.1% more" in implausible(feed, 1501, ref)[0]
    small = Reference("ca_members__20261101__x", dt.date(2026, 11, 1), 20)
    assert implausible(feed, 10, small) == []  # 10 keys fewer: within min_key_change
    assert implausible(feed, 9, small) != []
    assert implausible(feed, 5, None) == []  # first delivery: nothing to compare with
    assert implausible(get_feed("ca_deaths"), 0, ref) == []  # event feeds accumulate
    assert implausible(get_feed("warning_feedback"), 5000, ref) == []  # check: false


def test_partial_snapshot_is_held_until_a_person_accepts(
        simulated_inbox: Path, inbox: Path, home: Home, capsys: pytest.CaptureFixture) -> None:
    full = copy_feed(simulated_inbox, inbox, "ca_members")[-1]
    first = ingest("ca_members", inbox, home)
    assert sorted(e["status"] for e in first.values()) == ["loaded", "unchanged", "unchanged"]
    keys = first[f"ca_members/{full.name}"]["key_count"]
    partial = inbox / "ca_members" / "救助家庭成员_20261215.csv"
    partial.write_bytes(b"".join(lines_of(full)[:4]))  # header + 3 rows, a later date

    assert main(["ingest", "--inbox", str(inbox), "--home", str(home.root), "--workers", "1"]) == 1
    out = capsys.readouterr()
    assert "held" in out.err and "救助家庭成员_20261215.csv" in out.err
    entry = read_ledger_entry(home, "ca_members/救助家庭成员_20261215.csv")
    assert entry["status"] == "held"
    assert (entry["rows_read"], entry["rows_held"], entry["rows_loaded"]) == (3, 3, 0)
    assert f"3 keys, 99.1% fewer than {keys}" in entry["reasons"][0]
    batch = entry["batch_id"]
    assert not (home.raw_feed("ca_members") / f"{batch}.parquet").exists()
    assert (held_folder(home, "ca_members") / f"{batch}.parquet").exists()
    assert staged_snapshot(home, "ca_members", dt.date(2026, 12, 15)) == (dt.date(2026, 11, 28), keys)
    problems = check_feed_health(home, dt.date(2026, 12, 15))
    assert [p.file for p in problems if p.check == "held"] == ["ca_members/救助家庭成员_20261215.csv"]

    assert main(["accept", batch, "--reason", "banner moved its roll to the new system",
                 "--user", "li.wei", "--home", str(home.root)]) == 0
    accepted = read_ledger_entry(home, "ca_members/救助家庭成员_20261215.csv")
    assert accepted["status"] == "accepted" and accepted["rows_loaded"] == 3 and accepted["rows_held"] == 0
    assert accepted["decision"]["user"] == "li.wei" and "new system" in accepted["decision"]["reason"]
    assert dt.datetime.fromisoformat(accepted["decision"]["at"])
    assert staged_snapshot(home, "ca_members", dt.date(2026, 12, 15)) == (dt.date(2026, 12, 15), 3)
    assert not [p for p in check_feed_health(home, dt.date(2026, 12, 15)) if p.check == "held"]
    assert main(["accept", batch, "--reason", "again", "--home", str(home.root)]) == 0  # idempotent
    assert main(["reject", batch, "--reason", "too late", "--home", str(home.root)]) == 2
    assert "is accepted by li.wei" in capsys.readouterr().err
    assert main(["accept", "ca_members__20261215__nosuchbatch", "--reason", "x",
                 "--home", str(home.root)]) == 2


def test_rejected_held_batch_stays_out_for_good(simulated_inbox: Path, inbox: Path, home: Home,
                                                capsys: pytest.CaptureFixture) -> None:
    full = copy_feed(simulated_inbox, inbox, "ca_households")[-1]
    ingest("ca_households", inbox, home)
    cut = inbox / "ca_households" / "救助家庭_20261215.csv"
    records = lines_of(full)
    cut.write_bytes(b"".join(records[: len(records) // 2]))  # truncated at a line boundary, no control file
    entry = ingest("ca_households", inbox, home)["ca_households/救助家庭_20261215.csv"]
    assert entry["status"] == "held" and "fewer than" in entry["reasons"][0]
    assert main(["reject", entry["batch_id"], "--reason", "export cut off; resend asked",
                 "--home", str(home.root)]) == 0
    rejected = read_ledger_entry(home, "ca_households/救助家庭_20261215.csv")
    assert rejected["status"] == "rejected" and rejected["decision"]["action"] == "reject"
    assert rejected["decision"]["user"]  # the OS user
    assert rejected["rows_held"] == entry["rows_held"] and rejected["rows_loaded"] == 0
    assert staged_snapshot(home, "ca_households", dt.date(2026, 12, 31))[0] == dt.date(2026, 11, 28)
    assert pending_feeds(inbox, home) == [] and ingest("ca_households", inbox, home) == {}
    shutil.copy2(cut, inbox / "ca_households" / "救助家庭_20261216.csv")  # the same cut file again
    again = ingest("ca_households", inbox, home)["ca_households/救助家庭_20261216.csv"]
    assert again["status"] == "rejected"
    assert "same content (sha256) as the rejected file" in again["reasons"][0]
    assert len(list(home.raw_feed("ca_households").glob("*__*.parquet"))) == 3


def test_a_second_snapshot_of_one_extract_date_waits_for_a_person(
        simulated_inbox: Path, inbox: Path, home: Home) -> None:
    """The build reads every snapshot of the newest date together: a correction must not join it.

    Loaded beside the first roll, a corrected roll of the same date would keep the households
    it dropped (they are in the first file) and leave the version of a changed household to the
    order of batch ids. A person says which it is: a part of that day's roll, or a correction.
    """
    full = copy_feed(simulated_inbox, inbox, "ca_households")[-1]
    for path in sorted((inbox / "ca_households").iterdir())[:-1]:
        path.unlink()
    first = ingest("ca_households", inbox, home)[f"ca_households/{full.name}"]
    day = dt.date.fromisoformat(first["extract_date"])
    records = lines_of(full)
    corrected = inbox / "ca_households" / f"救助家庭_{day:%Y%m%d}_更正.csv"
    corrected.write_bytes(b"".join([records[0], *records[3:]]))  # two households fewer
    held = ingest("ca_households", inbox, home)[f"ca_households/{corrected.name}"]
    assert held["status"] == "held", held
    assert held["reasons"][0].startswith(
        f"held: a second snapshot for extract {day}: ca_households/{full.name} (batch {first['batch_id']})")
    assert staged_snapshot(home, "ca_households", day) == (day, first["rows_loaded"])
    assert main(["reject", held["batch_id"], "--reason", "a correction: new extract asked for",
                 "--home", str(home.root)]) == 0

    part = inbox / "ca_households" / f"救助家庭_{day:%Y%m%d}_续.csv"  # households the first file lacked
    part.write_bytes(b"".join([records[0], *(line.replace(b"DB", b"DZ", 1) for line in records[1:3])]))
    second = ingest("ca_households", inbox, home)[f"ca_households/{part.name}"]
    assert second["status"] == "held" and second["rows_held"] == 2
    assert main(["accept", second["batch_id"], "--reason", "the banner sent its roll in two parts",
                 "--home", str(home.root)]) == 0
    assert staged_snapshot(home, "ca_households", day) == (day, first["rows_loaded"] + 2)

    # the department's new extract, a day later, is the newest roll as ever
    later = inbox / "ca_households" / f"救助家庭_{day + dt.timedelta(days=1):%Y%m%d}.csv"
    later.write_bytes(b"".join([records[0], *records[4:]]))
    assert ingest("ca_households", inbox, home)[f"ca_households/{later.name}"]["status"] == "loaded"
    assert staged_snapshot(home, "ca_households", later_day := day + dt.timedelta(days=1)) == (
        later_day, first["rows_loaded"] - 3)


def test_header_only_snapshot_is_held(simulated_inbox: Path, inbox: Path, home: Home) -> None:
    full = copy_feed(simulated_inbox, inbox, "ca_households")[-1]
    ingest("ca_households", inbox, home)
    (inbox / "ca_households" / "救助家庭_20261201.csv").write_bytes(lines_of(full)[0])
    entry = ingest("ca_households", inbox, home)["ca_households/救助家庭_20261201.csv"]
    assert (entry["status"], entry["rows_read"], entry["key_count"]) == ("held", 0, 0)


def test_byte_identical_resend_is_the_newest_snapshot(simulated_inbox: Path, inbox: Path, home: Home) -> None:
    first = copy_feed(simulated_inbox, inbox, "ca_standards")[0]
    for later in sorted((inbox / "ca_standards").iterdir())[1:]:
        later.unlink()
    original = ingest("ca_standards", inbox, home)[f"ca_standards/{first.name}"]
    resend = inbox / "ca_standards" / "ca_standards_20270115.csv"
    shutil.copy2(first, resend)
    entry = ingest("ca_standards", inbox, home)["ca_standards/ca_standards_20270115.csv"]
    assert entry["status"] == "unchanged" and entry["same_as"] == original["batch_id"]
    assert entry["batch_id"] != original["batch_id"] and entry["rows_loaded"] == original["rows_loaded"]
    raw = home.raw_feed("ca_standards")
    before, after = (pq.read_table(raw / f"{e['batch_id']}.parquet") for e in (original, entry))
    stamps = ["_batch_id", "_extract_date", "_source_file"]
    assert after.drop_columns(stamps).equals(before.drop_columns(stamps))
    assert after.select(stamps).to_pylist() == [{"_batch_id": entry["batch_id"], "_extract_date": dt.date(
        2027, 1, 15), "_source_file": "ca_standards/ca_standards_20270115.csv"}] * before.num_rows
    assert after.schema == before.schema
    assert staged_snapshot(home, "ca_standards", dt.date(2027, 1, 20)) == (
        dt.date(2027, 1, 15), original["rows_loaded"])
    overdue = overdue_feeds(read_ledger(home), dt.date(2027, 1, 20))
    assert "ca_standards" not in {p.feed_id for p in overdue}  # the resend is a delivery
    again = inbox / "ca_standards" / "standards_again_20270115.csv"  # same bytes, same new date
    shutil.copy2(first, again)
    assert ingest("ca_standards", inbox, home)[
        "ca_standards/standards_again_20270115.csv"]["status"] == "duplicate"


# -- every row accounted for ----------------------------------------------------------------

def test_workbook_with_two_data_sheets_is_rejected_naming_them(inbox: Path, home: Home) -> None:
    workbook = Workbook()
    first = workbook.active
    first.title = "死亡"
    first.append(["身份证号", "死亡日期"])
    first.append(["152921195002284296", "2026-10-13"])
    second = workbook.create_sheet("补录")
    second.append(["身份证号", "死亡日期"])
    for _ in range(15):
        second.append(["152921195002284296", "2026-10-14"])
    workbook.create_sheet("说明")  # empty: fine
    (inbox / "ca_deaths").mkdir(parents=True)
    workbook.save(inbox / "ca_deaths" / f"deaths_{LAST}.xlsx")
    entry = ingest("ca_deaths", inbox, home)[f"ca_deaths/deaths_{LAST}.xlsx"]
    assert entry["status"] == "rejected"
    assert "2 sheets with data: '死亡' (2 non-empty rows), '补录' (16 non-empty rows)" in entry["reasons"][0]


def test_quote_running_across_records_is_rejected_at_its_line(
        simulated_inbox: Path, inbox: Path, home: Home) -> None:
    households = copy_feed(simulated_inbox, inbox, "ca_households")
    for path in households[:-1]:
        path.unlink()
    lines = lines_of(households[-1])
    assert len(lines) > 40 and lines[20].count(b'"') == 0
    lines[9] = lines[9].replace(b",", b',"', 1)  # line 10: a field opens a quote it never closes
    lines[20] = lines[20].replace(b",", b'",', 1)  # ... and a stray one closes it 11 lines later
    households[-1].write_bytes(b"".join(lines))
    entry = ingest("ca_households", inbox, home)[f"ca_households/{households[-1].name}"]
    assert entry["status"] == "rejected" and "a quote opened on line 10 (data row 9)" in entry["reasons"][0]


def test_values_past_the_csv_modules_field_limit(inbox: Path, home: Home) -> None:
    """Python's csv gives up at 131,072 characters; Arrow (the fast reader) has no such limit.

    A quote left open in a large file runs on until that limit: the file is still rejected at
    the line where the quote opens. A long value without quotes reads as the fast reader reads
    it, also when a row of another width sends the file to the careful reader.
    """
    ids = [valid_id(f"152921{dt.date(1950, 1, 1) + dt.timedelta(days=n):%Y%m%d}429") for n in range(6_000)]
    rows = [f"{idn},2026-10-13,火化" for idn in ids]
    header = "身份证号,死亡日期,信息来源\n"
    (inbox / "ca_deaths").mkdir(parents=True)
    runaway = list(rows)
    runaway[4] = f'{ids[4]},2026-10-13,"火化'  # line 6: a quote never closed, 6,000 records follow
    (inbox / "ca_deaths" / f"quote_{LAST}.csv").write_text(header + "\n".join(runaway) + "\n")
    long = list(rows)
    long[4] = f"{ids[4]},2026-10-13,{'火' * 140_000}"  # not an accepted value: that row is quarantined
    long[9] += ",多余"  # a row wider than the header: the careful reader reads this file
    (inbox / "ca_deaths" / f"long_{LAST}.csv").write_text(header + "\n".join(long) + "\n")

    entries = ingest("ca_deaths", inbox, home)
    quote, long_value = entries[f"ca_deaths/quote_{LAST}.csv"], entries[f"ca_deaths/long_{LAST}.csv"]
    assert quote["status"] == "rejected"
    assert quote["reasons"][0].startswith("a quote opened on line 6 (data row 5) is not closed"), quote
    assert long_value["status"] == "loaded_with_quarantine", long_value
    assert (long_value["rows_loaded"], long_value["rows_quarantined"]) == (5_998, 2)


def test_a_runaway_quote_with_the_right_field_count_is_still_rejected(inbox: Path, home: Home) -> None:
    text = ("身份证号,死亡日期,信息来源\n"
            "152921195002284296,2026-10-13,\"火化\n"
            "152921195002284296,2026-10-14,医院\n"
            "152921195002284296,2026-10-15,火化\"\n")  # one record of 3 fields swallowing two
    (inbox / "ca_deaths").mkdir(parents=True)
    (inbox / "ca_deaths" / f"d_{LAST}.csv").write_text(text, encoding="utf-8")
    entry = ingest("ca_deaths", inbox, home)[f"ca_deaths/d_{LAST}.csv"]
    assert entry["status"] == "rejected" and "a quote opened on line 2 (data row 1)" in entry["reasons"][0]


def test_a_csv_cut_in_its_last_line_warns(simulated_inbox: Path, inbox: Path, home: Home) -> None:
    deaths = copy_feed(simulated_inbox, inbox, "ca_deaths")
    for path in deaths[:-1]:
        path.unlink()
    lines = lines_of(deaths[-1])
    lines[-1] = lines[-1][:26]  # the transfer stopped inside the last line ("<id>,2026-1")
    deaths[-1].write_bytes(b"".join(lines))
    entry = ingest("ca_deaths", inbox, home)[f"ca_deaths/{deaths[-1].name}"]
    assert entry["rows_read"] == csv_records(deaths[-1])
    assert any("does not end with a line break" in w for w in entry["warnings"])
    warned = [p for p in check_feed_health(home, dt.date(2026, 11, 28)) if p.check == "file_warning"]
    assert [p.file for p in warned] == [f"ca_deaths/{deaths[-1].name}"]


def test_a_quoted_line_break_inside_a_value_is_fine(inbox: Path, home: Home) -> None:
    write_csv(inbox / "ca_deaths" / f"d_{LAST}.csv", ["身份证号", "死亡日期", "信息来源"], [
        ["152921195002284296", "2026-10-13", "火化\n(补录)"],
        ["152921195002284296", "2026-10-14", "医院"],
    ])
    entry = ingest("ca_deaths", inbox, home)[f"ca_deaths/d_{LAST}.csv"]
    assert entry["rows_read"] == 2 and entry["status"].startswith("loaded")


def test_paths_that_are_not_read_are_ignored_with_a_reason(
        simulated_inbox: Path, inbox: Path, home: Home, tmp_path: Path) -> None:
    deaths = copy_feed(simulated_inbox, inbox, "ca_deaths")
    folder = inbox / "ca_deaths"
    shutil.copy2(deaths[-1], folder / f".partial_{LAST}.csv")
    (folder / f"~$deaths_{LAST}.xlsx").write_bytes(b"lock")
    (folder / f"deaths_{LAST}.xls").write_bytes(b"old excel")
    (folder / "README").write_text("notes")
    outside = tmp_path / f"elsewhere_{LAST}.csv"
    shutil.copy2(deaths[-1], outside)
    (folder / f"linked_{LAST}.csv").symlink_to(outside)
    (folder / f"broken_{LAST}.csv").symlink_to(tmp_path / "gone.csv")
    (folder / f"inside_{LAST}.csv").symlink_to(deaths[-1])  # a link within the inbox: read like a copy
    entries = ingest("ca_deaths", inbox, home)
    reasons = {f: e["reasons"][0] for f, e in entries.items() if e["status"] == "ignored"}
    assert sorted(reasons) == sorted(f"ca_deaths/{n}" for n in (
        f".partial_{LAST}.csv", f"~$deaths_{LAST}.xlsx", f"deaths_{LAST}.xls", "README",
        f"linked_{LAST}.csv", f"broken_{LAST}.csv"))
    assert "hidden" in reasons[f"ca_deaths/.partial_{LAST}.csv"]
    assert "unsupported file type '.xls'" in reasons[f"ca_deaths/deaths_{LAST}.xls"]
    assert f"symlink to {outside}, outside the inbox" in reasons[f"ca_deaths/linked_{LAST}.csv"]
    assert "broken symlink" in reasons[f"ca_deaths/broken_{LAST}.csv"]
    assert entries[f"ca_deaths/inside_{LAST}.csv"]["status"] == "duplicate"
    assert len({e["batch_id"] for e in entries.values()}) == len(entries)
    assert pending_feeds(inbox, home) == [] and ingest("ca_deaths", inbox, home) == {}
    ignored = [p for p in check_feed_health(home, dt.date(2026, 11, 28)) if p.check == "ignored"]
    assert len(ignored) == 5  # README holds no date: it is reported in the period of the day it was seen
    seen_on = dt.datetime.fromisoformat(entries["ca_deaths/README"]["finished_at"]).date()
    assert "ca_deaths/README" in {p.file for p in check_feed_health(home, seen_on) if p.check == "ignored"}


def test_a_name_without_a_date_is_rejected_not_dated_by_the_clock(inbox: Path, home: Home) -> None:
    path = write_csv(inbox / "ca_deaths" / "deaths_latest.csv", ["身份证号", "死亡日期"],
                     [["152921195002284296", "2026-10-13"]])
    entry = ingest("ca_deaths", inbox, home)["ca_deaths/deaths_latest.csv"]
    assert entry["status"] == "rejected" and entry["extract_date"] is None
    assert "no extract date in the file name 'deaths_latest.csv'" in entry["reasons"][0]
    assert path.exists() and not list(home.raw_feed("ca_deaths").glob("ca_deaths__*.parquet"))


def test_an_optional_column_under_an_unknown_name_warns(
        simulated_inbox: Path, inbox: Path, home: Home) -> None:
    members = copy_feed(simulated_inbox, inbox, "ca_members")[-1]
    for path in sorted((inbox / "ca_members").iterdir())[:-1]:
        path.unlink()
    text = members.read_bytes().decode("gb18030")
    members.write_bytes(text.replace("个人月收入", "月收入(元)", 1).encode("gb18030"))
    entry = ingest("ca_members", inbox, home)[f"ca_members/{members.name}"]
    assert entry["status"] == "loaded" and entry["extra_columns"] == ["月收入(元)"]
    warning = "monthly_income (个人月收入) not delivered while unknown column(s) 月收入(元)"
    assert warning in entry["warnings"][0]
    warned = [p for p in check_feed_health(home, dt.date(2026, 11, 28)) if p.check == "file_warning"]
    assert [p.file for p in warned] == [f"ca_members/{members.name}"]


def test_two_identical_files_in_one_run(simulated_inbox: Path, inbox: Path, home: Home) -> None:
    deaths = copy_feed(simulated_inbox, inbox, "ca_deaths")[-1]
    copy = shutil.copy2(deaths, inbox / "ca_deaths" / f"copy_of_{deaths.name}")
    entries = ingest("ca_deaths", inbox, home)
    first, second = entries[f"ca_deaths/{deaths.name}"], entries[f"ca_deaths/{Path(copy).name}"]
    assert (first["status"], second["status"]) == ("loaded", "duplicate")
    assert second["same_as"] == first["batch_id"] != second["batch_id"]
    assert (home.ledger / f"{second['batch_id']}.json").exists()
    before = sorted(p.name for p in home.ledger.iterdir())
    assert ingest("ca_deaths", inbox, home) == {}
    assert sorted(p.name for p in home.ledger.iterdir()) == before


def _manifest(folder: Path, name: str, files: list[tuple[Path, int, str]]) -> Path:
    path = folder / name
    path.write_text(json.dumps({"feed_id": folder.name, "files": [
        {"file": f.name, "rows": rows, "sha256": sha} for f, rows, sha in files]}), encoding="utf-8")
    return path


def test_control_file_checks_rows_and_sha256(simulated_inbox: Path, inbox: Path, home: Home) -> None:
    deaths = copy_feed(simulated_inbox, inbox, "ca_deaths")
    folder = inbox / "ca_deaths"
    good, cut, miscounted = deaths[0], deaths[1], deaths[2]
    sha = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in deaths}
    _manifest(folder, f"deliveries_{LAST}.manifest.json", [
        (good, csv_records(good), sha[good]),
        (cut, csv_records(cut), sha[cut]),
        (miscounted, csv_records(miscounted) + 1, sha[miscounted]),
    ])
    lines = lines_of(cut)
    cut.write_bytes(b"".join(lines[: len(lines) - 2]))  # truncated at a line boundary in transit
    (folder / "broken.manifest.json").write_text('{"files": [{"file": "x.csv", "rows": -1}]}')
    entries = ingest("ca_deaths", inbox, home)
    assert entries[f"ca_deaths/{good.name}"]["status"] == "loaded"
    assert entries[f"ca_deaths/{good.name}"]["control_file"] == f"ca_deaths/deliveries_{LAST}.manifest.json"
    assert entries[f"ca_deaths/{cut.name}"]["status"] == "rejected"
    assert "differs from" in entries[f"ca_deaths/{cut.name}"]["reasons"][0]
    miss = entries[f"ca_deaths/{miscounted.name}"]
    assert miss["status"] == "rejected"
    assert f"{csv_records(miscounted)} data records read, control file" in miss["reasons"][0]
    broken = entries["ca_deaths/broken.manifest.json"]
    assert broken["status"] == "rejected" and "rows must be a whole number" in broken["reasons"][0]
    assert f"ca_deaths/deliveries_{LAST}.manifest.json" not in entries  # a valid control file: no entry
    assert ingest("ca_deaths", inbox, home) == {}


def test_file_replaced_while_being_read(simulated_inbox: Path, inbox: Path, home: Home) -> None:
    deaths = copy_feed(simulated_inbox, inbox, "ca_deaths")
    for path in deaths[:-1]:
        path.unlink()
    late_record = "152921195002284296,2026-11-01,火化\n".encode()
    with rewritten_after_each_parse(deaths[-1], lambda data: data + late_record):
        entry = ingest("ca_deaths", inbox, home)[f"ca_deaths/{deaths[-1].name}"]
    assert entry["status"] == "rejected" and "changed while it was being read" in entry["reasons"][0]
    again = ingest("ca_deaths", inbox, home)[f"ca_deaths/{deaths[-1].name}"]
    assert again["status"].startswith("loaded") and again["rows_read"] == csv_records(deaths[-1])


def test_bom_with_gb18030_bytes_is_rejected(inbox: Path, home: Home) -> None:
    (inbox / "ca_deaths").mkdir(parents=True)
    text = "身份证号,死亡日期,信息来源\n152921195002284296,2026-10-13,火化\n"
    data = b"\xef\xbb\xbf" + text.encode("gb18030")
    (inbox / "ca_deaths" / f"d_{LAST}.csv").write_bytes(data)
    entry = ingest("ca_deaths", inbox, home)[f"ca_deaths/d_{LAST}.csv"]
    assert entry["status"] == "rejected" and "UTF-8 (with BOM) breaks at byte" in entry["reasons"][0]


def test_duplicate_keys_within_a_snapshot_quarantine_both_rows(
        simulated_inbox: Path, inbox: Path, home: Home) -> None:
    members = copy_feed(simulated_inbox, inbox, "ca_members")[-1]
    for path in sorted((inbox / "ca_members").iterdir())[:-1]:
        path.unlink()
    lines = lines_of(members)
    members.write_bytes(b"".join([*lines, lines[5]]))
    entry = ingest("ca_members", inbox, home)[f"ca_members/{members.name}"]
    assert entry["status"] == "loaded_with_quarantine" and entry["rows_quarantined"] == 2
    quarantined = pq.read_table(home.quarantine / "ca_members" / f"{entry['batch_id']}.parquet")
    assert sorted(quarantined.column("_source_row").to_pylist()) == [5, len(lines)]


def read_ledger_entry(home: Home, file: str) -> dict:
    (entry,) = [e for e in read_ledger(home) if e["file"] == file]
    return entry


@pytest.mark.parametrize("read", ["whole", "chunked"])
def test_a_column_delivered_twice_quarantines_the_rows_where_its_copies_disagree(
        inbox: Path, home: Home, read: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Which of two `死亡日期` columns did the department mean? Only where they agree is it clear."""
    streamed: list[str] = []
    if read == "chunked":
        from ingestion import pipeline, streaming

        stream_batch = pipeline.stream_batch

        def spy(feed, delivery, *args, **kwargs):  # type: ignore[no-untyped-def]
            streamed.append(delivery.path.name)
            return stream_batch(feed, delivery, *args, **kwargs)

        monkeypatch.setattr(streaming, "CHUNK_ROWS", 2)
        monkeypatch.setattr(pipeline, "stream_batch", spy)
    ids = [valid_id(f"1529211950030{n}429") for n in range(1, 6)]
    header = ["身份证号", "死亡日期", "信息来源", "death_date"]
    write_csv(inbox / "ca_deaths" / f"deaths_{LAST}.csv", header, [
        [ids[0], "2026-10-13", "火化", "2026/10/13"],  # the same date written another way: agrees
        [ids[1], "2026-10-14", "火化", "2026-10-15"],  # another day
        [ids[2], "2026-10-16", "火化", ""],  # only the first copy has a date
        [ids[3], "", "火化", "2026-10-17"],  # only the second copy has one
        [ids[4], "2026-10-18", "火化", "2026-10-18"],
    ], encoding="gb18030")  # decided GB18030 (not also UTF-8): a file the stream may read
    entry = ingest("ca_deaths", inbox, home)[f"ca_deaths/deaths_{LAST}.csv"]
    assert streamed == ([f"deaths_{LAST}.csv"] if read == "chunked" else [])
    assert entry["status"] == "loaded_with_quarantine"
    assert entry["extra_columns"] == ["death_date (duplicate of death_date)"]
    assert (entry["rows_loaded"], entry["rows_quarantined"]) == (2, 3)
    raw = duckdb.sql(f"select id_number, death_date from '{home.raw_feed('ca_deaths')}/*.parquet' order by 1")
    assert raw.fetchall() == [(ids[0], dt.date(2026, 10, 13)), (ids[4], dt.date(2026, 10, 18))]
    quarantined = duckdb.sql(f"select _source_row, reasons from '{home.quarantine / 'ca_deaths'}/*.parquet' "
                             "order by 1").fetchall()
    twice = "death_date: delivered twice with different values (columns 2 and 4 of the header)"
    assert quarantined == [(2, twice), (3, twice), (4, twice)]  # data rows, 1-based


def _with_cached_value(path: Path, formula: str, value: str) -> None:
    """Give one formula of a workbook the value Excel would have stored with it when saving."""
    with zipfile.ZipFile(path) as archive:
        members = {info: archive.read(info.filename) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members.items():
            if info.filename == "xl/worksheets/sheet1.xml":
                old = f"<f>{formula}</f><v />".encode()
                assert old in data
                data = data.replace(old, f"<f>{formula}</f><v>{value}</v>".encode())
            archive.writestr(info, data)


def test_workbook_cells_the_sheet_cannot_vouch_for_are_quarantined(inbox: Path, home: Home) -> None:
    """A formula a program wrote but never computed, and an ID typed into a number cell.

    Read as values, the formula is an empty cell (in an optional column its data would be
    gone without a trace); the number keeps 15 significant digits, and the rounded ID below
    still passes its check digit as somebody else's.
    """
    ids = [valid_id(f"1529211950030{n}429") for n in range(1, 6)]
    rounded = "152921195003010000"  # what Excel keeps of 152921195003010xxx; its check digit is right
    assert valid_id(rounded[:17]) == rounded
    serial = (dt.date(2026, 10, 2) - dt.date(1899, 12, 30)).days
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["身份证号", "死亡日期", "信息来源"])
    sheet.append([ids[0], "2026-10-13", "火化"])
    sheet.append([float(rounded), "2026-10-13", "火化"])
    sheet.append([ids[1], "=DATE(2026,10,1)", "火化"])  # never computed
    sheet.append([ids[2], "=DATE(2026,10,2)", "火化"])  # computed when saved: its value is read
    sheet.append([ids[3], "2026-10-13", '="火"&"化"'])  # an optional column's formula, never computed
    sheet.append([152921500101001, "2026-10-13", "火化"])  # a 15-digit ID as a number: whole
    path = inbox / "ca_deaths" / f"deaths_{LAST}.xlsx"
    path.parent.mkdir(parents=True)
    workbook.save(path)
    _with_cached_value(path, "DATE(2026,10,2)", str(serial))

    entry = ingest("ca_deaths", inbox, home)[f"ca_deaths/deaths_{LAST}.xlsx"]
    assert (entry["rows_loaded"], entry["rows_quarantined"]) == (3, 3), entry
    loaded = duckdb.sql(f"select _source_row, id_number, death_date, source "
                        f"from '{home.raw_feed('ca_deaths')}/*.parquet' order by 1").fetchall()
    assert loaded == [(1, ids[0], dt.date(2026, 10, 13), "cremation"),
                      (4, ids[2], dt.date(2026, 10, 2), "cremation"),
                      (6, valid_id("15292119500101001"), dt.date(2026, 10, 13), "cremation")]  # upgraded
    quarantine = home.quarantine / "ca_deaths"
    quarantined = dict(duckdb.sql(f"select _source_row, reasons from '{quarantine}/*.parquet'").fetchall())
    formula = "a formula without a computed value (kept in the cell)"
    assert set(quarantined) == {2, 3, 5}
    assert quarantined[2] == ("_row: column 1 (身份证号): a number of more than 15 digits, which a workbook "
                              "does not keep (its last digits may be lost): store the column as text")
    assert quarantined[3].startswith(f"_row: column 2 (死亡日期): {formula}")
    assert quarantined[5].startswith(f"_row: column 3 (信息来源): {formula}")


@pytest.mark.parametrize("suffix", ["json", "jsonl"])
def test_a_json_key_given_twice_with_different_values_quarantines_its_record(
        inbox: Path, home: Home, suffix: str) -> None:
    """`json.loads` would keep the last value without a word; which one was meant is not clear."""
    ids = [valid_id(f"1529211950030{n}429") for n in range(1, 4)]
    records = [
        f'{{"案件编号": "A1", "入站日期": "2026-10-01", "身份证号": "{ids[0]}", "身份证号": "{ids[1]}"}}',
        f'{{"案件编号": "A2", "入站日期": "2026-10-02", "身份证号": "{ids[2]}", "身份证号": "{ids[2]}"}}',
        '{"案件编号": "A3", "入站日期": "2026-10-03", "入站日期": "2026-10-04"}',
    ]
    text = "\n".join(records) + "\n" if suffix == "jsonl" else "[" + ",\n".join(records) + "]"
    path = inbox / "ca_vagrant_cases" / f"cases_{LAST}.{suffix}"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    entry = ingest("ca_vagrant_cases", inbox, home)[f"ca_vagrant_cases/{path.name}"]
    assert (entry["rows_loaded"], entry["rows_quarantined"]) == (1, 2), entry
    loaded = duckdb.sql(f"select case_id, id_number from '{home.raw_feed('ca_vagrant_cases')}/*.parquet'")
    assert loaded.fetchall() == [("A2", ids[2])]  # the same value twice is no question
    quarantine = home.quarantine / "ca_vagrant_cases"
    reasons = duckdb.sql(f"select _source_row, reasons from '{quarantine}/*.parquet' order by 1").fetchall()
    assert reasons == [(1, "_row: key 身份证号 given twice with different values"),
                       (3, "_row: key 入站日期 given twice with different values")]


@pytest.mark.parametrize("read", ["whole", "chunked"])
def test_an_event_key_given_other_values_on_the_same_extract_date_is_quarantined(
        inbox: Path, home: Home, read: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A later delivery corrects a key, and later is the extract date: on one date, which file wins?

    Staging would keep the version of the greater batch id (whichever sha256 sorts last), so the
    second file's differing versions are quarantined; the correction comes under a later date.
    """
    if read == "chunked":
        from ingestion import streaming

        monkeypatch.setattr(streaming, "CHUNK_ROWS", 2)
    ids = [valid_id(f"1529211950030{n}429") for n in range(1, 5)]
    header = ["身份证号", "死亡日期", "信息来源"]
    folder = inbox / "ca_deaths"
    write_csv(folder / f"deaths_{LAST}.csv", header, [
        [ids[0], "2026-10-13", "火化"], [ids[1], "2026-10-14", "火化"], [ids[3], "2026-10-01", "火化"],
    ], encoding="gb18030")
    first = ingest("ca_deaths", inbox, home)[f"ca_deaths/deaths_{LAST}.csv"]
    assert first["status"] == "loaded"
    write_csv(folder / f"deaths_{LAST}_更正.csv", header, [
        [ids[0], "2026-10-13", "火化"],  # the same version again: no question
        [ids[1], "2026-10-15", "火化"],  # another death date on the same extract date
        [ids[2], "2026-10-16", "火化"],  # a key of its own
        [ids[3], "2026-10-01", ""],  # a value dropped is another version too
    ], encoding="gb18030")
    second = ingest("ca_deaths", inbox, home)[f"ca_deaths/deaths_{LAST}_更正.csv"]
    assert (second["status"], second["rows_loaded"], second["rows_quarantined"]) == (
        "loaded_with_quarantine", 2, 2), second
    reason = (f"_key: delivered with other values on the same extract date 2026-11-28 by "
              f"ca_deaths/deaths_{LAST}.csv: a correction needs a later extract date")
    assert second["reasons"] == [f"{reason} (2 rows)"]
    quarantine = home.quarantine / "ca_deaths" / f"{second['batch_id']}.parquet"
    assert duckdb.sql(f"select _source_row, reasons, id_number, death_date from '{quarantine}' order by 1"
                      ).fetchall() == [(2, reason, ids[1], "2026-10-15"), (4, reason, ids[3], "2026-10-01")]
    # the batch's report says so too, with the rows as the department sent them
    report = json.loads((home.gate_reports / f"{second['batch_id']}.json").read_text(encoding="utf-8"))
    assert (report["success"], report["rows_failing"]) == (False, 2)
    [check] = [e for e in report["expectations"] if not e["success"]]
    assert (check["expectation"], check["column"], check["unexpected_count"]) == (
        "same_key_same_extract_date_same_values", "id_number", 2)
    assert check["sample_rows"] == [2, 4] and check["sample_reasons"] == [reason, reason]
    assert check["sample_values"] == [{"身份证号": ids[1]}, {"身份证号": ids[3]}]
    page = (home.gate_reports / f"{second['batch_id']}.html").read_text(encoding="utf-8")
    assert "未通过 failed" in page and "same_key_same_extract_date_same_values" in page

    write_csv(folder / "deaths_20261129.csv", header, [[ids[1], "2026-10-15", "火化"]], encoding="gb18030")
    assert ingest("ca_deaths", inbox, home)["ca_deaths/deaths_20261129.csv"]["status"] == "loaded"


def test_inbox_entries_outside_every_feeds_folder_are_named(
        inbox: Path, home: Home, caplog: pytest.LogCaptureFixture) -> None:
    """A delivery in a misspelt folder, or beside the folders, is never read: say so on every scan."""
    write_csv(inbox / "ca_death" / f"deaths_{LAST}.csv", ["身份证号", "死亡日期"],
              [["152921195002284296", "2026-10-13"]])
    (inbox / f"stray_{LAST}.csv").write_text("x\n", encoding="utf-8")
    (inbox / "_truth").mkdir()  # the simulator's answers, and hidden files: not deliveries
    (inbox / ".DS_Store").write_text("", encoding="utf-8")
    with caplog.at_level("WARNING", logger="ingestion.pipeline"):
        assert pending_feeds(inbox, home) == []
    assert [r.getMessage() for r in caplog.records] == [
        "inbox folder 'ca_death' is no feed's folder: nothing in it is read (did you mean ca_deaths/?); "
        "deliveries go into inbox/<feed_id>/",
        f"inbox file 'stray_{LAST}.csv' is no feed's folder: nothing in it is read; "
        "deliveries go into inbox/<feed_id>/",
    ]
