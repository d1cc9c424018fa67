"""A small published warehouse with the marts' columns, built in a real DuckDB file.

Why not the full build: the export and analyst code only read marts; this keeps
their tests fast and lets each test choose the warnings it needs. A test on the
real `built_home` lives beside these (test_on_built_home.py).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from stdnum.cn import ric

from aidwatch.home import Home

AS_OF = date(2026, 11, 2)
PREVIOUS_AS_OF = date(2026, 10, 2)

REGIONS = [
    ("152900", "阿拉善盟", "league", "150000"),
    ("152921", "阿拉善左旗", "banner", "152900"),
    ("152922", "阿拉善右旗", "banner", "152900"),
    ("152921102", "温都尔勒图镇", "township", "152921"),
    ("152921110", "巴彦浩特镇", "township", "152921"),
    ("152922103", "巴丹吉林镇", "township", "152922"),
    ("152921102201", "乌兰布和嘎查", "village", "152921102"),
    ("152921110001", "东关社区", "village", "152921110"),
    ("152922103201", "巴丹嘎查", "village", "152922103"),
]


def id_number(region: str, birth: str, sequence: int) -> str:
    body = f"{region}{birth}{sequence:03d}"
    return body + ric.calc_check_digit(body)


PEOPLE = [
    (id_number("152921", "19800101", 11), "张三丰", "152921102201"),
    (id_number("152921", "19750315", 23), "欧阳娜娜", "152921102201"),
    (id_number("152921", "19900620", 35), "王芳", "152921110001"),
    (id_number("152922", "19601111", 47), "李建国", "152922103201"),
    (id_number("150102", "19550505", 59), "赵", "152922103201"),
    (id_number("152921", "20000229", 60), "巴特尔", "152921110001"),
]


def warning(rule: str, person: int, household: str | None, severity: str, status: str, days: int,
            evidence: dict, subject_type: str = "household") -> dict:
    """One marts.warnings row for PEOPLE[person] (person -1: a banner-level STD rule)."""
    if person < 0:
        region, idn, subject = "152921", None, "152921"
    else:
        idn, _, region = PEOPLE[person]
        subject = idn if subject_type == "person" else household
    return {
        "rule_id": rule, "subject_type": subject_type, "subject_key": subject, "id_number": idn,
        "household_id": household, "region_code": region, "banner_code": region[:6],
        "township_code": region[:9] if len(region) >= 9 else None, "severity": severity,
        "status": status, "days_open": days, "evidence": json.dumps(evidence, ensure_ascii=False),
    }


CURRENT_WARNINGS = [
    warning("REV-01", 0, "H001", "medium", "open", 60, {"review_due_on": "2026-09-01", "days_overdue": 62}),
    warning("ELG-01", 0, "H001", "high", "new", 0, {"death_date": "2026-01-01"}, "person"),
    warning("ELG-08", 1, "H001", "high", "open", 30,
            {"household_count": 2, "households": "H001 dibao; H002 edge"}, "person"),
    warning("REV-02", 2, "H002", "high", "open", 90, {"review_due_on": "2026-05-01", "days_overdue": 185}),
    warning("ELG-04", 2, "H002", "medium", "new", 0,
            {"vehicle_count": 1, "vehicles": "蒙M12345 car"}, "person"),
    warning("HRD-06", 3, "H003", "medium", "open", 10,
            {"deceased_id_number": PEOPLE[4][0], "death_date": "2026-08-01"}),
    warning("REV-01", 4, "H004", "low", "resolved", 40, {"review_due_on": "2026-08-01"}),
    warning("ELG-12", 5, None, "medium", "open", 20, {"age": 26, "labor_capacity": "full"}, "person"),
    warning("STD-01", -1, None, "high", "new", 0, {"tekun_multiple": 1.3}, "region"),
]
RULE_NAMES = {"REV-01": "年度核查逾期", "REV-02": "半年核查逾期", "ELG-01": "死亡后仍发放",
              "ELG-08": "重复享受", "REV-09": "申请超期未办结",
              "ELG-04": "拥有非豁免机动车", "HRD-06": "主要劳动力死亡", "ELG-12": "特困成年有劳动能力",
              "STD-01": "特困基本生活标准低于低保1.3倍"}
# (household_key, rank): assisted households by id; PEOPLE[5], in no assisted household, by hukou number.
PRIORITY = [("H002", 1), ("H001", 2), ("H003", 3), ("HK-BATEER", 4)]


def make_warehouse(path: Path, as_of: date, rows: list[dict], history_runs: list[tuple[date, list[dict]]],
                   priority: list[tuple[str, int]] = PRIORITY) -> Path:
    """Write marts.warnings, warning_history, household_priority, dim_region, dim_person, ind_*."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create table marts.dim_region (region_code varchar, region_name varchar, level varchar, "
                "parent_code varchar)")
    con.executemany("insert into marts.dim_region values (?, ?, ?, ?)", REGIONS)
    con.execute("create table marts.dim_person (id_number varchar, name varchar, gender varchar, "
                "birth_date date, hukou_region_code varchar, is_dibao boolean, hukou_no varchar)")
    for idn, name, region in PEOPLE:
        birth = date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
        con.execute("insert into marts.dim_person values (?, ?, ?, ?, ?, true, ?)",
                    [idn, name, "男", birth, region, "HK-BATEER" if name == "巴特尔" else f"HK-{idn[-4:]}"])
    columns = ("warning_key varchar, rule_id varchar, rule_name_zh varchar, category varchar, "
               "severity varchar, policy_clause varchar, subject_type varchar, subject_key varchar, "
               "id_number varchar, household_id varchar, region_code varchar, banner_code varchar, "
               "township_code varchar, evidence varchar, suggested_action_zh varchar, as_of date, "
               "status varchar, first_seen_on date, last_seen_on date, days_open integer")
    con.execute(f"create table marts.warnings ({columns})")
    for row in rows:
        con.execute(
            "insert into marts.warnings values (md5(?), ?, ?, 'review', ?, '§7', ?, ?, ?, ?, ?, ?, ?, ?, "
            "'请尽快入户核查。', ?, ?, ?, ?, ?)",
            [f"{row['rule_id']}|{row['subject_key']}", row["rule_id"], RULE_NAMES[row["rule_id"]],
             row["severity"], row["subject_type"], row["subject_key"], row["id_number"], row["household_id"],
             row["region_code"], row["banner_code"], row["township_code"], row["evidence"], as_of,
             row["status"], as_of - timedelta(days=row["days_open"]), as_of, row["days_open"]],
        )
    # As the warnings engine keeps them: the warnings each run saw (not the resolved ones), and the runs.
    con.execute("create table marts.warning_history (as_of date, warning_key varchar, rule_id varchar, "
                "subject_type varchar, subject_key varchar, id_number varchar, household_id varchar, "
                "region_code varchar, severity varchar, evidence varchar)")
    con.execute("create table marts.warning_runs (as_of date, warning_count bigint, rule_count bigint)")
    for run_as_of, run_rows in [*history_runs, (as_of, rows)]:
        seen = [row for row in run_rows if row["status"] != "resolved"]
        con.execute("insert into marts.warning_runs values (?, ?, ?)",
                    [run_as_of, len(seen), len({row["rule_id"] for row in seen})])
        for row in seen:
            con.execute(
                "insert into marts.warning_history values (?, md5(?), ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_as_of, f"{row['rule_id']}|{row['subject_key']}", row["rule_id"], row["subject_type"],
                 row["subject_key"], row["id_number"], row["household_id"], row["region_code"],
                 row["severity"], row["evidence"]],
            )
    con.execute("create table marts.household_priority (priority_rank integer, household_kind varchar, "
                "household_key varchar, household_id varchar, head_name varchar, head_id_number varchar)")
    for household, rank in priority:
        head = next((r["id_number"] for r in rows if r["household_id"] == household), None)
        name = next((n for i, n, _ in PEOPLE if i == head), None)
        kind, household_id = ("hukou", None) if household.startswith("HK-") else ("assisted", household)
        con.execute("insert into marts.household_priority values (?, ?, ?, ?, ?, ?)",
                    [rank, kind, household, household_id, name, head])
    con.execute("create table marts.dim_household (household_id varchar, head_id_number varchar, "
                "head_name varchar, member_id_numbers varchar, hukou_nos varchar)")
    households = [("H001", PEOPLE[0][0], PEOPLE[0][1], f"{PEOPLE[0][0]} {PEOPLE[1][0]}", "HK1 HK2"),
                  ("H002", PEOPLE[2][0], PEOPLE[2][1], PEOPLE[2][0], "HK3")]
    con.executemany("insert into marts.dim_household values (?, ?, ?, ?, ?)", households)
    con.execute("create table marts.fct_aid (source_key varchar, id_number varchar, amount decimal(14,2))")
    con.execute("insert into marts.fct_aid values (?, ?, 100), (?, ?, 200), ('PAY000123', ?, 300)",
                [PEOPLE[0][0], PEOPLE[0][0], f"DCA{PEOPLE[1][0]}202611", PEOPLE[1][0], PEOPLE[2][0]])
    con.execute("create table marts.ind_01_assisted_by_type (month date, region_level varchar, "
                "region_code varchar, region_name varchar, urban_rural varchar, roll_type varchar, "
                "households bigint, persons bigint)")
    for months_back in range(6):
        month = date(as_of.year, as_of.month - months_back, 1)
        for level, code, kind, roll, persons in [
            ("league", "152900", "all", "all", 180 + months_back),
            ("league", "152900", "all", "dibao_A", 100),
            ("league", "152900", "urban", "all", 90), ("banner", "152921", "all", "all", 120),
        ]:
            con.execute("insert into marts.ind_01_assisted_by_type values (?, ?, ?, '', ?, ?, 1, ?)",
                        [month, level, code, kind, roll, persons])
    con.close()
    return path


def make_small_home(root: Path) -> Home:
    """A HOME whose published warehouse holds CURRENT_WARNINGS for AS_OF and one earlier run."""
    home = Home(root)
    earlier = [{**r, "status": "open"} for r in CURRENT_WARNINGS if r["status"] in ("open", "resolved")]
    two_runs_ago = [{**r, "status": "open"} for r in earlier if r["rule_id"] != "ELG-12"]
    make_warehouse(home.warehouse, AS_OF, CURRENT_WARNINGS,
                   [(PREVIOUS_AS_OF - timedelta(days=30), two_runs_ago), (PREVIOUS_AS_OF, earlier)])
    return home


@pytest.fixture
def small_home(tmp_path: Path) -> Home:
    """A fresh small HOME for a test that exports or changes it."""
    return make_small_home(tmp_path / "home")


@pytest.fixture
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = "test-key-0123456789abcdef"
    monkeypatch.setenv("AIDWATCH_PSEUDONYM_KEY", key)
    return key
