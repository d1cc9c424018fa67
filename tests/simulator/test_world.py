"""The world API as a plant uses it: an example plant, and the rows it becomes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from stdnum.cn import ric

from simulator import idnumbers
from simulator.background import build_background
from simulator.derive import tables
from simulator.world import World, add_months, age_on

AS_OF = date(2026, 11, 28)


def example_plant(world: World) -> None:
    """A REV-02 case (class B, last reviewed 8 months ago) and its clean near miss."""
    late = world.new_assisted_household(
        "dibao", 2, dibao_class="B", last_review_on=add_months(world.as_of, -8)
    )
    world.expect("REV-02", late.household_id, late.head.id_number, must_fire=True, severity="medium")
    fine = world.new_assisted_household("dibao", 3, dibao_class="B")
    world.expect("REV-02", fine.household_id, fine.head.id_number, must_fire=False)
    widow = world.new_person(
        age=45, sex="F", region_code=world.pick_region(banner_code="152923", urban=False)
    )
    world.set_employment(widow, "unemployed", since=add_months(world.as_of, -2))
    world.add_insurance(
        widow,
        "pension_contribution",
        Decimal("3000"),
        months=[add_months(world.as_of, -k).replace(day=1) for k in range(3, 6)],
    )


@pytest.fixture(scope="module")
def planted() -> tuple[World, dict]:
    world = World(as_of=AS_OF, months=3, seed=3, scale=0.002)
    build_background(world)
    example_plant(world)
    return world, tables(world)


def newest(table, d: date):
    vf = table["_vf"].to_numpy(dtype="datetime64[D]")
    vt = table["_vt"].to_numpy(dtype="datetime64[D]")
    d64 = np.datetime64(d, "D")
    return table[(np.isnat(vf) | (vf <= d64)) & (np.isnat(vt) | (vt > d64))]


def test_calendar_months_clamp() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), -12) == date(2023, 2, 28)
    assert age_on(date(2000, 11, 28), AS_OF) == 26 and age_on(date(2000, 11, 29), AS_OF) == 25


def test_generated_ids_are_valid_and_unique() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    births = np.datetime64("1950-01-01") + rng.integers(0, 200, n).astype("timedelta64[D]")
    male = rng.random(n) < 0.5
    ids = idnumbers.make_ids(np.array(["152921"] * n), births, male, rng)
    assert len(set(ids)) == n
    for i, b, m in zip(ids, births, male, strict=True):
        assert ric.calc_check_digit(i) == i[17]
        assert i[6:14] == str(b).replace("-", "")
        assert int(i[16]) % 2 == (1 if m else 0)
    old = idnumbers.to_15(ids[0])
    assert len(old) == 15 and old[:6] + "19" + old[6:] == ids[0][:17]


def test_extract_dates_end_on_as_of(planted) -> None:
    world, _ = planted
    assert world.extract_dates == [date(2026, 9, 28), date(2026, 10, 28), date(2026, 11, 28)]
    assert world.start == date(2026, 9, 28)


def test_planted_household_is_written_as_planted(planted) -> None:
    world, t = planted
    late, fine = world.households[-2:]
    hh = newest(t["ca_households"], AS_OF).set_index("household_id")
    assert hh.loc[late.household_id, "dibao_class"] == "B"
    assert hh.loc[late.household_id, "last_review_on"].date() == add_months(AS_OF, -8)
    fine_review = hh.loc[fine.household_id, "last_review_on"].date()
    assert add_months(fine_review, 6) >= AS_OF
    members = newest(t["ca_members"], AS_OF)
    assert set(members[members.household_id == late.household_id].id_number) == {
        m.person.id_number for m in late.members
    }
    hukou = newest(t["ps_hukou"], AS_OF).set_index("id_number")
    assert len({hukou.loc[m.person.id_number, "hukou_no"] for m in late.members}) == 1
    assert [e.rule_id for e in world.expected] == ["REV-02", "REV-02"]


def test_planted_payments_follow_the_gap_formula(planted) -> None:
    world, t = planted
    late = world.households[-2]
    pay = t["ca_payments"]
    mine = pay[(pay.household_id == late.household_id) & (pay.program == "dibao")]
    assert len(mine) >= 3
    for row in mine.itertuples():
        month = row.pay_month.date()
        std = world.standard(late.region_code, f"dibao_{late.urban_rural}", month)
        n = len(late.members)
        expected = max(Decimal(0), std - late.income_total() / n) * n
        assert abs(Decimal(str(row.amount)) - expected) <= Decimal("0.01")
        assert row.paid_on.date() <= AS_OF


def test_helpers_write_their_feeds(planted) -> None:
    world, t = planted
    widow = world.persons[-1]
    emp = newest(t["hrss_employment"], AS_OF)
    assert emp[emp.id_number == widow.id_number].employment_status.tolist() == ["unemployed"]
    ins = t["hrss_insurance"]
    assert len(ins[ins.id_number == widow.id_number]) == 3
    assert widow.region_code.startswith("152923")
    assert world.standard("152921", "dibao_urban", date(2025, 6, 1)) == Decimal("1055.00")
    assert world.standard("152921", "dibao_urban", date(2024, 6, 1)) < Decimal("1055.00")


def test_kill_reports_the_death_and_cancels_the_hukou(planted) -> None:
    world = World(as_of=AS_OF, months=2, seed=5, scale=0.002)
    person = world.new_person(age=80)
    world.kill(person, AS_OF - timedelta(days=40))
    t = tables(world)
    deaths = t["ca_deaths"]
    assert deaths.id_number.tolist() == [person.id_number]
    hukou = newest(t["ps_hukou"], AS_OF)
    assert hukou[hukou.id_number == person.id_number].hukou_status.tolist() == ["deceased"]
    before = newest(t["ps_hukou"], date(2026, 10, 28))
    assert before[before.id_number == person.id_number].hukou_status.tolist() == ["normal"]
