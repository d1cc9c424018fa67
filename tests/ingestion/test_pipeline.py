"""End to end on real files: landing, quarantine, ledger, gate reports, duplicates, rejections, CLI."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import threading
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from aidwatch.cli import main
from aidwatch.home import Home
from ingestion.contracts import get_feed
from ingestion.pipeline import ingest_feed, ingest_inbox, pending_feeds
from tests.ingestion.deliveries import STAMP, valid_id, write_csv, write_json, write_xlsx, wrong_check

PERSON = valid_id("15292119800101123")
OTHER = valid_id("15292219900202234")


def members_rows() -> list[list[str]]:
    return [
        ["H1", PERSON, "张三", "本人", "是", "1,234.50元", "备注一"],
        ["H1", wrong_check(OTHER), "李四", "配偶", "否", "12", ""],
        ["H2", "", "王五", "亲戚", "也许", "-5", ""],
        ["H3", "".join(chr(ord(c) + 0xFEE0) for c in OTHER), "赵六", "子女", "1", "0", ""],
    ]


MEMBERS_HEADER = ["救助家庭编号", "身份证号", "姓名", "与户主关系", "是否纳入保障", "个人月收入", "备注"]


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home.resolve(tmp_path / "home")


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    return tmp_path / "inbox"


def ledger(home: Home) -> dict[str, dict]:
    return {e["file"]: e for e in (json.loads(p.read_text()) for p in home.ledger.glob("*.json"))}


def test_gb18030_file_lands_good_rows_and_quarantines_bad_ones(home: Home, inbox: Path) -> None:
    write_csv(inbox / "ca_members" / f"民政成员_{STAMP}.csv", MEMBERS_HEADER, members_rows(), "gb18030")
    [entry] = ingest_feed("ca_members", inbox, home)
    assert entry["status"] == "loaded_with_quarantine"
    assert (entry["encoding"], entry["format"], entry["extract_date"]) == ("gb18030", "csv", "2026-11-01")
    assert (entry["rows_read"], entry["rows_loaded"], entry["rows_quarantined"]) == (4, 2, 2)
    assert entry["extra_columns"] == ["备注"]
    assert entry["batch_id"].startswith(f"ca_members__{STAMP}__") and len(entry["batch_id"]) == 34

    raw = pq.read_table(home.raw_feed("ca_members") / f"{entry['batch_id']}.parquet")
    assert raw.schema == get_feed("ca_members").arrow_schema()
    rows = raw.to_pylist()
    assert [r["id_number"] for r in rows] == [PERSON, OTHER]
    assert rows[0]["monthly_income"] == Decimal("1234.50") and rows[0]["covered"] is True
    assert json.loads(rows[0]["_extra"]) == {"备注": "备注一"}
    assert [r["_source_row"] for r in rows] == [1, 4]
    assert pq.read_table(home.raw_feed("ca_members") / "_schema.parquet").num_rows == 0

    quarantine = pq.read_table(home.quarantine / "ca_members" / f"{entry['batch_id']}.parquet").to_pylist()
    assert [q["_source_row"] for q in quarantine] == [2, 3]
    assert quarantine[0]["reasons"] == "id_number: ID number check digit is wrong"
    assert quarantine[0]["id_number"] == wrong_check(OTHER)  # the original text, not a fixed value
    reasons = quarantine[1]["reasons"].split("; ")
    assert set(reasons) == {
        "id_number: required value missing",
        "relation: not an accepted value (本人, 配偶, 子女, 父母, 孙子女, 兄弟姐妹, 其他)",
        "covered: not a yes/no value",
        "monthly_income: negative amount not allowed",
    }
    assert quarantine[1]["relation"] == "亲戚" and quarantine[1]["monthly_income"] == "-5"

    report = json.loads((home.gate_reports / f"{entry['batch_id']}.json").read_text())
    assert report["success"] is False and report["rows_failing"] == 2
    assert "ID number check digit is wrong" in (home.gate_reports / f"{entry['batch_id']}.html").read_text()


def test_xlsx_with_serial_dates_15_digit_ids_and_json(home: Home, inbox: Path) -> None:
    fifteen = "152921800101123"
    write_xlsx(inbox / "ca_deaths" / f"deaths_{STAMP}.xlsx", ["身份证号", "死亡日期", "信息来源"],
               [[fifteen, 46296, "火化"], [OTHER, dt.datetime(2026, 10, 2), "medical_certificate"]])
    write_json(inbox / "ps_vehicles" / f"vehicles_{STAMP}.json", [
        {"号牌号码": "蒙M12345", "所有人身份证号": PERSON, "车辆类型": "小型轿车", "购置价格": 52000},
    ])
    [deaths] = ingest_feed("ca_deaths", inbox, home)
    [vehicles] = ingest_feed("ps_vehicles", inbox, home)
    assert deaths["status"] == vehicles["status"] == "loaded"
    rows = pq.read_table(home.raw_feed("ca_deaths") / f"{deaths['batch_id']}.parquet").to_pylist()
    assert rows[0]["id_number"] == PERSON  # 152921800101123 upgraded to 18 digits
    assert rows[0]["death_date"] == dt.date(2026, 10, 1) and rows[1]["death_date"] == dt.date(2026, 10, 2)
    assert [r["source"] for r in rows] == ["cremation", "medical_certificate"]
    assert [r["_source_row"] for r in rows] == [1, 2]  # data rows after the header, as for CSV
    car = pq.read_table(home.raw_feed("ps_vehicles")).to_pylist()[0]
    assert car["purchase_price"] == Decimal("52000.00") and car["vehicle_type"] == "car"


def test_cross_column_rules(home: Home, inbox: Path) -> None:
    female = valid_id("15292119850505124")  # 17th digit 4: female
    header = ["公民身份号码", "姓名", "性别", "出生日期", "户号"]
    write_csv(inbox / "ps_hukou" / f"hukou_{STAMP}.csv", header, [
        [PERSON, "甲", "男", "1980-01-01", "1"],
        [female, "乙", "男", "1985-05-05", "2"],
        [OTHER, "丙", "女", "1990-02-03", "3"],
    ])
    write_csv(inbox / "mi_settlements" / f"mi_{STAMP}.csv",
              ["结算编号", "身份证号", "结算日期", "医疗费用总额", "基本医保", "医疗救助", "个人自付"], [
                  ["S1", PERSON, "2026-10-01", "100.00", "60.00", "", "40.00"],
                  ["S2", PERSON, "2026-10-01", "100.00", "60.00", "10.00", "40.00"],
                  ["S3", PERSON, "2026-12-01", "100.01", "60.00", "", "40.00"],
              ])
    ingest_feed("ps_hukou", inbox, home)
    ingest_feed("mi_settlements", inbox, home)
    hukou = pq.read_table(next((home.quarantine / "ps_hukou").glob("*.parquet"))).to_pylist()
    assert [(q["_source_row"], q["reasons"]) for q in hukou] == [
        (2, "gender: does not agree with id_number"),
        (3, "birth_date: does not agree with id_number"),
    ]
    settlements = pq.read_table(next((home.quarantine / "mi_settlements").glob("*.parquet"))).to_pylist()
    assert [q["_source_row"] for q in settlements] == [2, 3]
    assert "total_cost: does not equal" in settlements[0]["reasons"]
    assert settlements[1]["reasons"] == "settled_on: date after the extract date"  # 0.01 is within tolerance


@pytest.mark.parametrize("stated", ["男", "女"])
def test_a_gender_stated_alike_on_every_row_is_checked_against_each_id(home: Home, inbox: Path,
                                                                       stated: str) -> None:
    """One stated gender for every row (the gate holds it as a Categorical of one category, the
    ID's gender has two): each row is compared with its own ID; a row without a stated gender or
    without a valid ID is not compared."""
    male, female = PERSON, valid_id("15292119850505124")
    header = ["公民身份号码", "姓名", "性别", "出生日期", "户号"]
    write_csv(inbox / "ps_hukou" / f"hukou_{STAMP}.csv", header, [
        [male, "甲", stated, "1980-01-01", "1"],
        [female, "乙", stated, "1985-05-05", "2"],
        [OTHER, "丙", "", "1990-02-02", "3"],
        [wrong_check(valid_id("15292119700101222")), "丁", stated, "1970-01-01", "4"],
    ])
    [entry] = ingest_feed("ps_hukou", inbox, home)
    quarantined = pq.read_table(next((home.quarantine / "ps_hukou").glob("*.parquet"))).to_pylist()
    disagreeing = 2 if stated == "男" else 1  # the female ID; the male one
    assert [(q["_source_row"], q["reasons"]) for q in quarantined] == sorted([
        (disagreeing, "gender: does not agree with id_number"),
        (4, "id_number: ID number check digit is wrong"),
    ])
    assert entry["rows_loaded"] == 2


def test_duplicates_rejections_and_reruns(home: Home, inbox: Path, capsys: pytest.CaptureFixture) -> None:
    rows = [[PERSON, "2026-10-01", "火化"]]
    header = ["身份证号", "死亡日期", "信息来源"]
    original = write_csv(inbox / "ca_deaths" / f"deaths_{STAMP}.csv", header, rows)
    (inbox / "ca_deaths" / f"deaths_{STAMP}_resent.csv").write_bytes(original.read_bytes())
    (inbox / "ca_deaths" / "deaths_20261201.csv").write_bytes(original.read_bytes())  # unchanged, next month
    (inbox / "ca_vagrant_cases").mkdir(parents=True)
    (inbox / "ca_vagrant_cases" / f"v_{STAMP}.csv").write_bytes(b"")
    write_csv(inbox / "hc_housing_aid" / f"h_{STAMP}.csv", ["id_number", "amount"], [[PERSON, "1"]])
    write_csv(inbox / "ca_temp_assistance" / f"t_{STAMP}.csv",
              ["case_id", "id_number", "region_code", "amount", "applied_on"], [])  # no events: fine
    (inbox / "sf_charity_aid").mkdir()
    (inbox / "sf_charity_aid" / f"s_{STAMP}.csv").write_bytes(b"record_id,org_name\n\xff\xfe\x80,x\n")
    assert sorted(pending_feeds(inbox, home)) == ["ca_deaths", "ca_temp_assistance", "ca_vagrant_cases",
                                                  "hc_housing_aid", "sf_charity_aid"]

    assert main(["ingest", "--inbox", str(inbox), "--home", str(home.root), "--workers", "1"]) == 1
    out = capsys.readouterr()
    assert "Ingestion summary" in out.out and "rejected" in out.err
    seen = ledger(home)
    assert seen["ca_deaths/deaths_20261101_resent.csv"]["status"] == "duplicate"
    original_id = seen["ca_deaths/deaths_20261101.csv"]["batch_id"]
    resent_id = seen["ca_deaths/deaths_20261101_resent.csv"]["batch_id"]
    assert resent_id.startswith(original_id + "__") and resent_id != original_id  # its own entry
    assert seen["ca_deaths/deaths_20261201.csv"]["status"] == "duplicate"  # event feed: same bytes, any date
    assert seen["ca_deaths/deaths_20261201.csv"]["extract_date"] == "2026-12-01"
    assert seen["ca_temp_assistance/t_20261101.csv"]["status"] == "loaded"
    assert seen["ca_temp_assistance/t_20261101.csv"]["rows_read"] == 0
    assert seen["ca_vagrant_cases/v_20261101.csv"]["reasons"] == ["empty file: no header row"]
    missing = ["required column missing: record_id (记录编号)"]
    assert seen["hc_housing_aid/h_20261101.csv"]["reasons"] == missing
    assert "cannot decode" in seen["sf_charity_aid/s_20261101.csv"]["reasons"][0]
    for entry in seen.values():
        assert entry["rows_read"] == entry["rows_loaded"] + entry["rows_quarantined"] + entry["rows_held"]
    assert len(list(home.raw_feed("ca_deaths").glob("ca_deaths__*.parquet"))) == 1

    assert pending_feeds(inbox, home) == []
    assert main(["ingest", "--inbox", str(inbox), "--home", str(home.root)]) == 0
    assert ledger(home) == seen


def test_feeds_in_parallel_processes(home: Home, inbox: Path) -> None:
    write_csv(inbox / "ca_members" / f"m_{STAMP}.csv", MEMBERS_HEADER, members_rows(), "utf-8-sig")
    write_csv(inbox / "ca_deaths" / f"d_{STAMP}.csv", ["身份证号", "死亡日期"], [[PERSON, "2026-10-01"]])
    reported: list[dict] = []
    entries = ingest_inbox(inbox, home, workers=2, on_file=reported.append)
    assert sorted(e["feed_id"] for e in entries) == ["ca_deaths", "ca_members"]
    assert sorted(e["batch_id"] for e in reported) == [e["batch_id"] for e in entries]
    assert {e["status"] for e in entries} == {"loaded", "loaded_with_quarantine"}


def test_work_alongside_runs_in_this_process_while_the_workers_ingest(home: Home, inbox: Path) -> None:
    """`alongside` starts after the workers are forked (no thread is copied into a child) and
    overlaps the ingestion: it sees the first ledger entry arrive while it waits."""
    write_csv(inbox / "ca_members" / f"m_{STAMP}.csv", MEMBERS_HEADER, members_rows(), "utf-8-sig")
    write_csv(inbox / "ca_deaths" / f"d_{STAMP}.csv", ["身份证号", "死亡日期"], [[PERSON, "2026-10-01"]])
    first_entry = threading.Event()
    seen: dict[str, object] = {}

    def alongside() -> None:
        seen["workers alive"] = len(multiprocessing.active_children())
        seen["thread"] = threading.current_thread().name
        seen["saw an entry arrive"] = first_entry.wait(timeout=120)
        seen["still ingesting"] = len(multiprocessing.active_children())

    entries = ingest_inbox(inbox, home, workers=2, on_file=lambda entry: first_entry.set(),
                           alongside=alongside)
    assert seen == {"workers alive": 2, "thread": "alongside-ingestion", "saw an entry arrive": True,
                    "still ingesting": 2}
    assert len(entries) == 2
    assert not any(thread.name == "alongside-ingestion" for thread in threading.enumerate())


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failure_alongside_is_logged_and_the_ingestion_is_not_affected(
    home: Home, inbox: Path, workers: int, caplog: pytest.LogCaptureFixture
) -> None:
    write_csv(inbox / "ca_members" / f"m_{STAMP}.csv", MEMBERS_HEADER, members_rows(), "utf-8-sig")
    write_csv(inbox / "ca_deaths" / f"d_{STAMP}.csv", ["身份证号", "死亡日期"], [[PERSON, "2026-10-01"]])

    def broken() -> None:
        raise RuntimeError("the warm-up broke")

    entries = ingest_inbox(inbox, home, workers=workers, alongside=broken)
    assert {e["status"] for e in entries} == {"loaded", "loaded_with_quarantine"}
    assert "the warm-up broke" in caplog.text
    assert "ingestion is not affected" in caplog.text


def test_columns_named_like_the_quarantines_own_do_not_replace_them(home: Home, inbox: Path) -> None:
    """A sender's `reasons` and `_source_row` columns land in the quarantine beside the gate's
    reasons and the row numbers, renamed, never in their place; a clean file's empty quarantine
    table has the same columns."""
    header = ["身份证号", "死亡日期", "reasons", "_source_row", "reasons_"]
    write_csv(inbox / "ca_deaths" / f"d_{STAMP}.csv", header, [
        [PERSON, "2026-10-01", "theirs 1", "x", "a"],
        [wrong_check(OTHER), "2026-10-02", "theirs 2", "y", "b"],
    ])
    [entry] = ingest_feed("ca_deaths", inbox, home)
    assert (entry["rows_loaded"], entry["rows_quarantined"]) == (1, 1)
    [path] = (home.quarantine / "ca_deaths").glob("*.parquet")
    quarantine = pq.read_table(path)
    assert quarantine.column_names[5:] == ["id_number", "death_date", "reasons__", "_source_row_", "reasons_"]
    [row] = quarantine.to_pylist()
    assert row["_source_row"] == 2 and quarantine.schema.field("_source_row").type == "int64"
    assert "check digit" in row["reasons"] and row["reasons__"] == "theirs 2"
    assert (row["_source_row_"], row["reasons_"]) == ("y", "b")

    from ingestion.batch import build_batch
    from ingestion.delivery import describe

    clean = write_csv(inbox / "ca_deaths" / "d_20261201.csv", header, [[PERSON, "2026-11-01", "t", "z", "c"]])
    result = build_batch(get_feed("ca_deaths"), describe(inbox, "ca_deaths", clean))
    assert result.quarantine.num_rows == 0 and result.quarantine.schema == quarantine.schema


def test_a_no_end_date_loads_and_a_far_future_birth_date_is_quarantined(home: Home, inbox: Path) -> None:
    """9999-12-31 in a date that may lie ahead loads as that date, through the gate to Parquet.

    In a date that may not (a birth date) the gate quarantines it for lying after the extract
    date, and so the ID it disagrees with: a reason, not an overflow or a crash.
    """
    person, elder = valid_id("15292119800101123"), valid_id("15292119500101123")
    write_csv(inbox / "dpf_disability" / f"残疾人证_{STAMP}.csv",
              ["身份证号", "残疾类别", "残疾等级", "发证日期", "有效期至", "困难残疾人生活补贴",
               "重度残疾人护理补贴"],
              [[person, "肢体", "二级", "2020-05-01", "9999-12-31", "是", "否"],
               [elder, "视力", "一级", "2019-01-01", "2029-01-01", "否", "否"]])
    [entry] = ingest_feed("dpf_disability", inbox, home)
    assert (entry["status"], entry["rows_loaded"]) == ("loaded", 2)
    rows = pq.read_table(home.raw_feed("dpf_disability") / f"{entry['batch_id']}.parquet").to_pylist()
    assert [r["valid_until"] for r in rows] == [dt.date(9999, 12, 31), dt.date(2029, 1, 1)]

    write_csv(inbox / "ps_hukou" / f"户籍人口_{STAMP}.csv",
              ["公民身份号码", "姓名", "性别", "出生日期", "户号", "与户主关系", "户籍地址区划", "户籍状态"],
              [[person, "张三", "男", "9999-12-31", "H1", "本人", "152921001001", "正常"],
               [elder, "李四", "男", "1950-01-01", "H1", "配偶", "152921001001", "正常"]])
    [entry] = ingest_feed("ps_hukou", inbox, home)
    assert (entry["status"], entry["rows_loaded"], entry["rows_quarantined"]) == (
        "loaded_with_quarantine", 1, 1)
    [bad] = pq.read_table(home.quarantine / "ps_hukou" / f"{entry['batch_id']}.parquet").to_pylist()
    assert "birth_date: date after the extract date" in bad["reasons"]
