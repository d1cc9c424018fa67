"""The warehouse built from the simulated league agrees with the simulator and the raw zone.

Expected figures are computed here independently, in pandas, from the simulator's
own truth (`_truth/manifest.json`) and from the raw Parquet files ingestion landed.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from aidwatch.home import Home
from ingestion.contracts import get_feed
from tests.fixtures.simulated import TEST_AS_OF

INDICATOR_TABLES = [
    "ind_01_assisted_by_type", "ind_02_coverage_rate", "ind_03_roll_changes", "ind_04_payments",
    "ind_05_temporary_assistance", "ind_06_reviews", "ind_07_warnings", "ind_08_zero_employment_households",
    "ind_09_standards_in_force", "ind_10_applications", "ind_11_rural_monitoring",
    "ind_12_aid_per_assisted_person",
]

#: fct_aid's providing feeds and which staged rows are aid events (independent restatement).
AID_FEEDS = {
    "ca_payments": lambda df: df,
    "ca_temp_assistance": lambda df: df,
    "mi_settlements": lambda df: df[df["medical_assistance_paid"].fillna(0) > 0],
    "mi_enrollment": lambda df: df[df["subsidy_amount"].fillna(0) > 0],
    "edu_students": lambda df: df[df["aid_amount_this_year"].fillna(0) > 0],
    "hc_housing_aid": lambda df: df,
    "em_disaster_victims": lambda df: df[df["relief_amount"].fillna(0) > 0],
    "hrss_employment": lambda df: df[df["public_welfare_post"].fillna(False).astype(bool)],
    "sf_charity_aid": lambda df: df,
}


def staged_from_raw(home: Home, feed_id: str, as_of: date) -> pd.DataFrame:
    """What stg_<feed> must hold, computed from the raw Parquet files with pandas."""
    feed = get_feed(feed_id)
    files = sorted(home.raw_feed(feed_id).glob("*.parquet"))
    frames = [pd.read_parquet(f) for f in files]
    non_empty = [f for f in frames if len(f)]
    raw = pd.concat(non_empty, ignore_index=True) if non_empty else frames[0]
    raw = raw[raw["_extract_date"] <= as_of]
    if feed.kind == "snapshot" and len(raw):
        raw = raw[raw["_extract_date"] == raw["_extract_date"].max()]
    raw = raw.sort_values(["_extract_date", "_batch_id", "_source_row"])
    return raw.drop_duplicates(list(feed.key), keep="last")


@pytest.fixture(scope="module")
def warehouse(built_home):
    con = duckdb.connect(str(built_home.warehouse), read_only=True)
    yield con
    con.close()


def test_ind_01_equals_the_simulators_rolls_at_as_of(built_home, simulated_inbox: Path, warehouse):
    counts = json.loads((simulated_inbox / "_truth" / "manifest.json").read_text())["counts"]
    rows = warehouse.execute(
        "select urban_rural, roll_type, households, persons from marts.ind_01_assisted_by_type "
        "where region_level = 'league' and month = ?", [TEST_AS_OF.replace(day=1)]
    ).fetchall()
    ind = {(u, t): (h, p) for u, t, h, p in rows}
    expected_vs_actual = {
        "dibao_households": ind["all", "dibao"][0], "dibao_persons": ind["all", "dibao"][1],
        "dibao_A_households": ind["all", "dibao_A"][0], "dibao_A_persons": ind["all", "dibao_A"][1],
        "dibao_B_households": ind["all", "dibao_B"][0], "dibao_B_persons": ind["all", "dibao_B"][1],
        "dibao_urban_households": ind["urban", "dibao"][0], "dibao_urban_persons": ind["urban", "dibao"][1],
        "dibao_rural_households": ind["rural", "dibao"][0], "dibao_rural_persons": ind["rural", "dibao"][1],
        "tekun_persons": ind["all", "tekun"][1],
        "tekun_centralized": ind["all", "tekun_centralized"][1],
        "tekun_dispersed": ind["all", "tekun_dispersed"][1],
        "edge_households": ind["all", "edge"][0], "edge_persons": ind["all", "edge"][1],
        "rigid_expense_households": ind["all", "rigid_expense"][0],
        "rigid_expense_persons": ind["all", "rigid_expense"][1],
        "other_low_income_households": ind["all", "other_low_income"][0],
        "other_low_income_persons": ind["all", "other_low_income"][1],
        "gradual_exit_households": ind["all", "gradual_exit"][0],
        "gradual_exit_persons": ind["all", "gradual_exit"][1],
    }
    assert {k: counts[k] for k in expected_vs_actual} == expected_vs_actual
    assert counts["dibao_households"] > 0


def test_ind_04_total_equals_the_loaded_payment_rows(built_home, warehouse):
    first_month = warehouse.execute("select first_indicator_month from marts.build_info").fetchall()[0][0]
    payments = staged_from_raw(built_home, "ca_payments", TEST_AS_OF)
    expected = payments.loc[payments["pay_month"] >= first_month, "amount"].sum()
    assert len(payments) > 0
    total = warehouse.execute(
        "select sum(amount_paid) from marts.ind_04_payments "
        "where region_level = 'league' and urban_rural = 'all' and program = 'all'"
    ).fetchall()[0][0]
    assert total == Decimal(expected)
    by_banner = warehouse.execute(
        "select sum(amount_paid) from marts.ind_04_payments "
        "where region_level = 'banner' and urban_rural = 'all' and program = 'all'"
    ).fetchall()[0][0]
    assert by_banner <= total  # payments of households never on a roll count in the league only


def test_every_indicator_has_every_month_in_range(warehouse):
    first, last, months = warehouse.execute(
        "select first_indicator_month, last_indicator_month, indicator_months from marts.build_info"
    ).fetchall()[0]
    assert (last, months) == (TEST_AS_OF.replace(day=1), 24)
    for table in INDICATOR_TABLES:
        per_month = warehouse.execute(
            f"select month, count(*) from marts.{table} group by month order by month"
        ).fetchall()
        assert [m for m, _ in per_month][0] == first, table
        assert len(per_month) == months, table
        assert len({n for _, n in per_month}) == 1, f"{table}: months differ in row count"


def test_fct_aid_has_one_row_per_aid_record_of_every_providing_feed(built_home, warehouse):
    actual = dict(warehouse.execute("select source_feed, count(*) from marts.fct_aid group by 1").fetchall())
    expected = {
        feed_id: len(select(staged_from_raw(built_home, feed_id, TEST_AS_OF)))
        for feed_id, select in AID_FEEDS.items()
    }
    assert {f: actual.get(f, 0) for f in expected} == expected
    assert set(actual) <= set(expected)
    duplicates = warehouse.execute(
        "select count(*) from (select source_feed, source_key, aid_kind from marts.fct_aid "
        "group by all having count(*) > 1)"
    ).fetchall()[0][0]
    assert duplicates == 0


def test_ind_09_ratios_agree_with_the_standards_warnings(warehouse):
    """Each banner's IND-09 ratios at as_of use that banner's own standards, as STD-01/02 do.

    A banner is non-compliant in IND-09 exactly when the matching rule warns about it.
    """
    month = TEST_AS_OF.replace(day=1)
    ratios = warehouse.execute(
        """
        select region_code,
               bool_and(tekun_ratio_met) as tekun_ok,
               bool_and(care_full_ratio_met and care_partial_ratio_met) as care_ok
        from marts.ind_09_standards_in_force
        where month = ? and region_level = 'banner'
        group by region_code
        """,
        [month],
    ).fetchall()
    warned = {
        (rule_id, subject_key)
        for rule_id, subject_key in warehouse.execute(
            "select rule_id, subject_key from marts.warnings where rule_id in ('STD-01', 'STD-02')"
            " and status <> 'resolved'"
        ).fetchall()
    }
    assert len(ratios) == 4
    for region_code, tekun_ok, care_ok in ratios:
        assert tekun_ok == (("STD-01", region_code) not in warned), region_code
        assert care_ok == (("STD-02", region_code) not in warned), region_code
