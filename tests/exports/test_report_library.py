"""The resource library says what it means: tables that should agree do (on the shared real build).

Why on `built_home`: these are properties of the real models over simulated data, not of
hand-made fixtures; the build is shared with the other parts' tests (read-only here).
"""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest

from aidwatch.home import Home
from exports.report_html import complete_before
from tests.fixtures.simulated import TEST_AS_OF

# Tables analysts query: the overview page must name each one.
ANALYST_TABLES = ("dim_region", "dim_person", "dim_household", "household_roll_history", "fct_aid",
                  "ind_01_assisted_by_type", "ind_12_aid_per_assisted_person", "warnings", "warning_history",
                  "household_priority")


@pytest.fixture(scope="module")
def warehouse(built_home: Home) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(built_home.warehouse), read_only=True)
    yield con
    con.close()


def complete_months(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Months with a dibao roll and dibao payments, before the as_of month (not yet paid).

    Payments from before the first roll delivery have no roll to count persons on.
    """
    rows = con.execute(
        "select distinct aid_month from marts.fct_aid where aid_kind = 'dibao' and aid_month < ? "
        "and aid_month in (select month from marts.ind_01_assisted_by_type where region_level = 'league' "
        "and urban_rural = 'all' and roll_type = 'dibao' and persons > 0) order by 1",
        [complete_before(TEST_AS_OF)]).fetchall()
    return [row[0] for row in rows]


def test_dibao_persons_agree_between_ind_01_and_fct_aid(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Issue 17: 1,671 persons in ind_01 against 1,074 in fct_aid, because a dibao payment is one row per
    household; fct_aid.persons_covered counts the household's persons as ind_01 does."""
    months = complete_months(warehouse)
    assert months, "no complete month with dibao payments"
    on_roll = dict(((m, b), p) for m, b, p in warehouse.execute(
        "select month, region_code, persons from marts.ind_01_assisted_by_type "
        "where region_level = 'banner' and urban_rural = 'all' and roll_type = 'dibao' "
        "and month in (select unnest(?))", [months]).fetchall())
    paid = dict(((m, b), p) for m, b, p in warehouse.execute(
        "select aid_month, banner_code, sum(persons) from ("
        "  select aid_month, banner_code, household_id, max(persons_covered) as persons "
        "  from marts.fct_aid where aid_kind = 'dibao' and covers = 'household' group by all) "
        "where aid_month in (select unnest(?)) group by all", [months]).fetchall())
    on_roll = {key: value for key, value in on_roll.items() if value}  # the grid has zero rows too
    assert on_roll and sum(on_roll.values()) > 0
    assert paid == on_roll


def test_fct_aid_rows_say_whom_they_cover_where_and_from_whom(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = warehouse.execute(
        "select covers, count(*), count(persons_covered), count(banner_code), "
        "count(*) filter (where covers = 'person' and persons_covered <> 1) from marts.fct_aid group by all"
    ).fetchall()
    kinds = {row[0]: row for row in rows}
    assert set(kinds) == {"household", "person"}
    for covers, total, _, placed, not_one in rows:
        assert placed == total, covers  # every record carries its banner
        assert not_one == 0
    assert kinds["person"][2] == kinds["person"][1]
    providers = warehouse.execute(
        "select distinct a.provider, a.provider_zh, p.provider_zh from marts.fct_aid a "
        "left join staging.aid_providers p using (provider)").fetchall()
    assert providers and all(code.isascii() and zh and zh == seed for code, zh, seed in providers)
    dibao = "select distinct covers, aid_kind_zh from marts.fct_aid where aid_kind = 'dibao'"
    assert warehouse.execute(dibao).fetchall() == [("household", "低保金")]


def test_ind_12_is_per_kind_over_the_persons_it_reaches(warehouse: duckdb.DuckDBPyConnection) -> None:
    months = complete_months(warehouse)
    league = {(m, k): (records, amount, reached, per_person) for m, k, records, amount, reached, per_person
              in warehouse.execute(
                  "select month, aid_kind, aid_records, aid_amount, persons_reached, "
                  "aid_amount_per_person_reached from marts.ind_12_aid_per_assisted_person "
                  "where region_level = 'league'").fetchall()}
    roll = dict(warehouse.execute(
        "select month, persons from marts.ind_01_assisted_by_type where region_level = 'league' "
        "and urban_rural = 'all' and roll_type = 'dibao'").fetchall())
    for month in months:
        records, amount, reached, per_person = league[(month, "dibao")]
        assert reached == roll[month], month  # dibao reaches the persons on the dibao roll
        assert float(per_person) == pytest.approx(float(amount) / reached, abs=0.01)
        assert league[(month, "all")][2] is None  # reach is not added across kinds
    # every temporary-assistance case counts, not only those of households on the roll
    temporary = dict(warehouse.execute(
        "select aid_month, count(*) from marts.fct_aid where aid_kind = 'temporary' group by 1").fetchall())
    for month, cases in temporary.items():
        if (month, "temporary") in league:
            assert league[(month, "temporary")][0] == cases, month


def test_dbt_docs_open_on_an_overview_of_what_analysts_query(built_home: Home) -> None:
    manifest = json.loads((built_home.dbt_work / "target" / "manifest.json").read_text(encoding="utf-8"))
    overview = manifest["docs"]["doc.aidwatch.__overview__"]["block_contents"]
    for table in ANALYST_TABLES:
        assert f"`{table}" in overview, table
    for schema in ("marts", "intermediate", "staging"):
        assert f"**`{schema}`**" in overview
    assert "analyst.duckdb" in overview and "Where to start" in overview
    region = manifest["nodes"]["model.aidwatch.dim_region"]["description"]
    assert all(level in region for level in ("`league`", "`banner`", "`zone`", "`township`"))
