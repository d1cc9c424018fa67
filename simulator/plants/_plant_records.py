"""Record builders and rule thresholds shared by the hardship, coverage and standards plants.

Why here: the three plant modules write the same kinds of departmental records
(medical settlements, employment registrations, certificates, monthly insurance)
and must place planted cases exactly on the rules' bounds. The bounds come from the
warehouse's own `rule_parameters` seed, so a changed threshold moves the plants
with it instead of silently turning a near miss into a firing case. The leading
underscore keeps `simulator.generate.run_plants` from running this module as a plant.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from simulator.world import Person, World, add_months, money

RULE_PARAMETERS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "rule_parameters.csv"


@cache
def _parameters() -> dict[str, str]:
    with RULE_PARAMETERS.open(encoding="utf-8", newline="") as f:
        return {row["parameter"]: row["value"] for row in csv.DictReader(f)}


def rule_parameter(name: str) -> Decimal:
    """A numeric rule threshold from the warehouse's rule_parameters seed."""
    try:
        return Decimal(_parameters()[name])
    except KeyError:
        raise KeyError(f"{RULE_PARAMETERS}: no rule parameter named {name!r}") from None


def rule_int(name: str) -> int:
    """A whole-number rule threshold (months, days, years)."""
    return int(rule_parameter(name))


def birth_for_age(world: World, years: int, days_after: int = 0) -> date:
    """The birth date of someone who turns `years` exactly on as_of, moved `days_after`
    days later (1 = the birthday is tomorrow, so the person is one year younger today)."""
    return add_months(world.as_of, -12 * years) + timedelta(days=days_after)


def person(
    world: World,
    age: int | None = None,
    birth_date: date | None = None,
    household_of: Person | None = None,
    relation: str = "self",
    urban: bool | None = None,
) -> Person:
    """A registered resident; with `household_of`, in that person's hukou household."""
    if household_of is None:
        return world.new_person(age=age, birth_date=birth_date, region_code=world.pick_region(urban=urban))
    return world.new_person(
        age=age,
        birth_date=birth_date,
        region_code=household_of.region_code,
        hukou_no=household_of.hukou_no,
        relation=relation,
    )


def register_employment(
    world: World, who: Person, status: str, since: date | None = None, difficult: bool = False
) -> None:
    """An hrss_employment registration, listed from `since` on (a snapshot row must not
    carry a date after the extract that lists it)."""
    since = since or world.as_of - timedelta(days=120)
    world.add_snapshot(
        "hrss_employment",
        {
            "id_number": who.id_number,
            "employment_status": status,
            "status_since": since,
            "difficult_employment": difficult,
            "public_welfare_post": False,
            "employer_name": "阿拉善盟某商贸有限公司(模拟)" if status == "employed" else None,
        },
        valid_from=since,
    )


def early_window_months(world: World, count: int) -> list[date]:
    """The first `count` months of the verified-income window (the 12 whole months
    before as_of's month). They are delivered long before as_of, so the warehouse sees
    all of them whatever day of the month as_of falls on; verified monthly income is
    then count × amount / 12."""
    first = add_months(world.as_of.replace(day=1), -12)
    return [add_months(first, k) for k in range(count)]


def insured_income(world: World, who: Person, monthly_amount: Decimal, months: int = 6) -> Decimal:
    """Pension contributions of `monthly_amount` in the first `months` window months;
    returns the resulting annual verified income (12 × verified monthly income)."""
    world.add_insurance(
        who, "pension_contribution", money(monthly_amount), months=early_window_months(world, months)
    )
    return money(monthly_amount) * months


def settlement(
    world: World, who: Person, settled_on: date, out_of_pocket: Decimal | str, visit_type: str = "inpatient"
) -> None:
    """A medical settlement whose parts add up to the total (basic insurance paid the rest)."""
    oop = money(out_of_pocket)
    basic = money(oop * 2 + 100)
    world.add_event(
        "mi_settlements",
        {
            "settlement_id": world.new_key("YBPL", 10),
            "id_number": who.id_number,
            "settled_on": settled_on,
            "visit_type": visit_type,
            "hospital_name": "阿拉善盟中心医院",
            "total_cost": basic + oop,
            "basic_insurance_paid": basic,
            "critical_illness_paid": Decimal("0.00"),
            "other_insurance_paid": Decimal("0.00"),
            "medical_assistance_paid": Decimal("0.00"),
            "out_of_pocket": oop,
        },
    )


def disability_certificate(
    world: World,
    who: Person,
    grade: str,
    category: str,
    *,
    care_subsidy: bool,
    living_subsidy: bool,
    valid_until: date | None = None,
) -> None:
    """A dpf_disability certificate issued about three years ago, valid ten years unless
    `valid_until` says otherwise."""
    issued = add_months(world.as_of, -37)
    world.add_snapshot(
        "dpf_disability",
        {
            "id_number": who.id_number,
            "category": category,
            "grade": grade,
            "issued_on": issued,
            "valid_until": valid_until or add_months(issued, 120),
            "living_subsidy": living_subsidy,
            "care_subsidy": care_subsidy,
        },
        valid_from=issued,
    )


def disaster(
    world: World,
    who: Person,
    occurred_on: date,
    house_damage: str,
    direct_loss: Decimal | str,
    relief_amount: Decimal | str = "0",
) -> None:
    """An em_disaster_victims record for `who` (the head) at their home."""
    world.add_event(
        "em_disaster_victims",
        {
            "record_id": world.new_key("ZHPL", 8),
            "event_name": f"{occurred_on.year}年雪灾(模拟)",
            "disaster_type": "snow",
            "occurred_on": occurred_on,
            "id_number": who.id_number,
            "region_code": who.region_code,
            "house_damage": house_damage,
            "livestock_lost": 0,
            "direct_loss": money(direct_loss),
            "relief_amount": money(relief_amount),
            "relief_stage": "emergency",
        },
    )
