"""Planted cases for the hardship rules HRD-01 .. HRD-10 (rules.md).

Each rule gets three subjects that must fire and at least two near misses that must
not, built from clean persons and households with one thing changed: a deadline
crossed by a day, an amount exactly on an inclusive bound or a fen beyond it. Where a
case needs a second rule to fire (HRD-10 through HRD-01/HRD-03), that rule is
expected too. Thresholds come from the rule_parameters seed (`_plant_records`).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from simulator.plants._plant_records import (
    birth_for_age,
    disability_certificate,
    disaster,
    insured_income,
    person,
    register_employment,
    rule_int,
    rule_parameter,
    settlement,
)
from simulator.world import World, add_months, money


def plant(world: World) -> None:
    medical_out_of_pocket(world)
    single_person_dibao_candidates(world)
    disaster_without_relief(world)
    unemployed_members(world)
    zero_employment_households(world)
    breadwinner_deaths(world)
    low_income_below_dibao(world)
    sudden_hardship_not_assisted(world)
    risks_left_open(world)
    former_households_in_hardship(world)
    concurrent_hardship(world)


def medical_out_of_pocket(world: World) -> None:
    """HRD-01: out of pocket >= medical_oop_abs and >= medical_oop_share of annual income."""
    a = world.as_of
    window_start = add_months(a, -rule_int("medical_window_months"))
    bar = rule_parameter("medical_oop_abs")
    share = rule_parameter("medical_oop_share")
    # fires: exactly the absolute bar, one part settled on the first day of the window
    head = person(world, age=45)
    spouse = person(world, age=43, household_of=head, relation="spouse")
    insured_income(world, spouse, Decimal("3000"))
    settlement(world, head, window_start, bar - 5000)
    settlement(world, head, a - timedelta(days=30), Decimal("5000"))
    world.expect("HRD-01", head.id_number, head.id_number, True, severity="high")  # no assistance
    # fires: exactly the income share (annual income 60000 -> bar 30000 at share 0.5)
    alone = person(world, age=50)
    annual = insured_income(world, alone, Decimal("10000"))
    settlement(world, alone, a - timedelta(days=60), money(share * annual))
    world.expect("HRD-01", alone.id_number, alone.id_number, True, severity="high")
    # fires (medium): a member of an assisted dibao household
    hh = world.new_assisted_household("dibao", 2)
    patient = hh.members[1].person
    settlement(world, patient, a - timedelta(days=90), bar + 5000)
    world.expect("HRD-01", patient.id_number, patient.id_number, True, severity="medium")
    # near miss: the larger part was settled the day before the window
    early = person(world, age=45)
    settlement(world, early, window_start - timedelta(days=1), bar - 5000)
    settlement(world, early, a - timedelta(days=30), Decimal("5000"))
    world.expect("HRD-01", early.id_number, early.id_number, False)
    # near miss: a fen below the absolute bar
    short = person(world, age=50)
    settlement(world, short, a - timedelta(days=10), bar - Decimal("0.01"))
    world.expect("HRD-01", short.id_number, short.id_number, False)
    # near miss: income a fen per month higher, so the share bar is just above the spending
    richer = person(world, age=50)
    insured_income(world, richer, Decimal("10000.01"))
    settlement(world, richer, a - timedelta(days=60), money(share * Decimal("60000")))
    world.expect("HRD-01", richer.id_number, richer.id_number, False)


def single_person_dibao_candidates(world: World) -> None:
    """HRD-02: severe disability in an edge / rigid-expense / other low-income household."""
    a = world.as_of
    cases = [
        ("edge", "1", "physical", None, True),
        ("rigid_expense", "3", "mental", None, True),
        ("other_low_income", "2", "intellectual", a, True),  # valid until as_of itself
        ("edge", "3", "physical", None, False),  # grade 3 counts only if intellectual or mental
        ("edge", "1", "physical", a - timedelta(days=1), False),  # expired yesterday
    ]
    for atype, grade, category, valid_until, fires in cases:
        hh = world.new_assisted_household(atype, 2)
        disabled = hh.members[1].person
        disability_certificate(
            world,
            disabled,
            grade,
            category,
            care_subsidy=grade in ("1", "2"),
            living_subsidy=False,
            valid_until=valid_until,
        )
        world.expect("HRD-02", disabled.id_number, disabled.id_number, fires)


def disaster_without_relief(world: World) -> None:
    """HRD-03: a serious disaster within disaster_days with no relief and no temporary case."""
    a = world.as_of
    days = rule_int("disaster_days")
    loss_bar = rule_parameter("disaster_loss_abs")
    cases = [
        (a - timedelta(days=days), "severe", Decimal("5000"), True),  # the last day of the window
        (a - timedelta(days=40), "minor", loss_bar, True),  # loss exactly on the bar
        (a - timedelta(days=1), "collapsed", Decimal("20000"), True),
        (a - timedelta(days=days + 1), "severe", Decimal("5000"), False),  # a day too early
        (a - timedelta(days=40), "minor", loss_bar - Decimal("0.01"), False),  # a fen below the bar
    ]
    for occurred_on, damage, loss, fires in cases:
        victim = person(world, age=55, urban=False)
        disaster(world, victim, occurred_on, damage, loss)
        world.expect("HRD-03", victim.id_number, victim.id_number, fires)
    # near miss: a temporary assistance case applied for on the day of the event
    helped = person(world, age=55, urban=False)
    occurred_on = a - timedelta(days=50)
    disaster(world, helped, occurred_on, "severe", Decimal("8000"))
    world.add_event(
        "ca_temp_assistance",
        {
            "case_id": world.new_key("LSPL", 8),
            "id_number": helped.id_number,
            "household_id": None,
            "region_code": helped.region_code,
            "case_type": "emergency",
            "cause": "disaster",
            "amount": Decimal("3000.00"),
            "approval_level": "township",
            "applied_on": occurred_on,
            "approved_on": occurred_on + timedelta(days=5),
            "prior_assistance": False,
            "paperwork_completed_on": None,
            "installments": 1,
        },
    )
    world.expect("HRD-03", helped.id_number, helped.id_number, False)


def unemployed_members(world: World) -> None:
    """HRD-04: a working-age, able member of an assisted household registered unemployed.

    Another working-age member is registered flexible so the hukou household is not
    a zero-employment household (HRD-05)."""
    lo, hi = rule_int("working_age_min"), rule_int("working_age_max")
    cases = [
        # (birth of the unemployed member, labour capacity, difficult_employment, fires)
        (birth_for_age(world, lo), "full", False, True),  # turns 16 today
        (birth_for_age(world, hi + 1, days_after=1), "full", False, True),  # 59, 60 tomorrow
        (birth_for_age(world, 35, days_after=40), "partial", False, True),
        (birth_for_age(world, hi + 1), "full", False, False),  # turns 60 today
        (birth_for_age(world, lo, days_after=1), "full", False, False),  # 15, 16 tomorrow
        (birth_for_age(world, 35, days_after=40), "full", True, False),  # recognised as difficult
    ]
    for birth, capacity, difficult, fires in cases:
        head = person(world, age=45)
        worker = person(world, age=42, household_of=head, relation="spouse")
        relation = "child" if birth > birth_for_age(world, 30) else "sibling"
        jobless = person(world, birth_date=birth, household_of=head, relation=relation)
        hh = world.new_assisted_household("dibao", [head, worker, jobless])
        hh.members[2].labor_capacity = capacity
        register_employment(world, worker, "flexible")
        register_employment(world, jobless, "unemployed", difficult=difficult)
        world.expect("HRD-04", jobless.id_number, jobless.id_number, fires)


def zero_employment_households(world: World) -> None:
    """HRD-05: a hukou household with a working-age unemployed member and no working-age
    member employed or flexible."""
    lo, hi = rule_int("working_age_min"), rule_int("working_age_max")
    cases = [
        # (unemployed member's birth, other member's age, other's registration, fires)
        (birth_for_age(world, 40, days_after=30), 38, None, True),
        (birth_for_age(world, hi + 1, days_after=1), 62, "employed", True),  # the employed one is 62
        (birth_for_age(world, lo), 45, None, True),  # the unemployed one turns 16 today
        (birth_for_age(world, 40, days_after=30), 38, "flexible", False),
        (birth_for_age(world, hi + 1), 58, None, False),  # the unemployed one turns 60 today
        (birth_for_age(world, lo, days_after=1), 45, None, False),  # 15, 16 tomorrow
    ]
    for birth, other_age, other_status, fires in cases:
        other = person(world, age=other_age)
        relation = "child" if other_age > 40 else "spouse"
        jobless = person(world, birth_date=birth, household_of=other, relation=relation)
        register_employment(world, jobless, "unemployed")
        if other_status:
            register_employment(world, other, other_status)
        world.expect("HRD-05", other.hukou_no, other.id_number, fires)


def breadwinner_deaths(world: World) -> None:
    """HRD-06: the only member with verified income died within breadwinner_days."""
    a = world.as_of
    days = rule_int("breadwinner_days")
    cases = [
        # (days since death, survivors' ages, a survivor has income, fires)
        (days, [43, 12], False, True),
        (10, [48], False, True),
        (90, [70], False, True),
        (days + 1, [43, 12], False, False),
        (60, [43], True, False),
        (60, [], False, False),  # nobody is left in the hukou household
    ]
    for since_death, survivor_ages, survivor_income, fires in cases:
        earner = person(world, age=47)
        survivors = [
            person(world, age=age, household_of=earner, relation="spouse" if age >= 18 else "child")
            for age in survivor_ages
        ]
        insured_income(world, earner, Decimal("4200"))
        if survivor_income:
            insured_income(world, survivors[0], Decimal("1500"))
        world.kill(earner, a - timedelta(days=since_death))
        world.expect("HRD-06", earner.hukou_no, earner.id_number, fires)


def low_income_below_dibao(world: World) -> None:
    """HRD-07: a low-income household whose per-capita income fell below the dibao standard.

    These households are created without the matching insurance rows (pay=False), so
    their declared income decides, except where verified income is planted lower."""
    a = world.as_of
    cases = [
        # (type, members, per-capita declared income relative to the standard, status, fires)
        ("edge", 2, Decimal("-1.00"), "active", True),
        ("other_low_income", 3, Decimal("-0.01"), "active", True),
        ("edge", 2, Decimal("0.00"), "active", False),  # exactly the standard: not below
        ("edge", 2, Decimal("-1.00"), "terminated", False),  # no longer assisted
    ]
    for atype, size, delta, status, fires in cases:
        hh = world.new_assisted_household(atype, size, pay=False, status=status)
        standard = world.standard(hh.region_code, f"dibao_{hh.urban_rural}", a)
        for m in hh.members:
            m.monthly_income = Decimal("0.00")
        hh.members[0].monthly_income = money((standard + delta) * size)
        world.expect("HRD-07", hh.household_id, hh.head.id_number, fires)
    # fires: declared comfortably above, verified income far below the standard
    hh = world.new_assisted_household("rigid_expense", 2, pay=False)
    standard = world.standard(hh.region_code, f"dibao_{hh.urban_rural}", a)
    hh.members[0].monthly_income = money(standard * Decimal("2.4"))
    hh.members[1].monthly_income = Decimal("0.00")
    insured_income(world, hh.members[0].person, money(standard * Decimal("0.3")))
    world.expect("HRD-07", hh.household_id, hh.head.id_number, True)
    # near miss (rules.md: "no record means unknown, not zero"): declared above the
    # standard and no member has an hrss_insurance or tax_income record, so there is no
    # verified income to be lower; read literally it would be 0 and fire
    hh = world.new_assisted_household("edge", 2, pay=False)
    standard = world.standard(hh.region_code, f"dibao_{hh.urban_rural}", a)
    hh.members[0].monthly_income = money(standard * Decimal("2.4"))
    hh.members[1].monthly_income = Decimal("0.00")
    world.expect("HRD-07", hh.household_id, hh.head.id_number, False)
    # near miss: a record exists, but the verified income (6 months of 6 x the standard
    # over 12 months and 2 members: 1.5 x per capita) is not lower than declared (1.2 x)
    hh = world.new_assisted_household("other_low_income", 2, pay=False)
    standard = world.standard(hh.region_code, f"dibao_{hh.urban_rural}", a)
    hh.members[0].monthly_income = money(standard * Decimal("2.4"))
    hh.members[1].monthly_income = Decimal("0.00")
    insured_income(world, hh.members[0].person, money(standard * 6))
    world.expect("HRD-07", hh.household_id, hh.head.id_number, False)


def _monitoring(world: World, head, category: str, identified_on, cleared_on=None) -> str:
    rr_id = world.new_key("RRPL", 8)
    world.add_snapshot(
        "rr_monitoring",
        {
            "rr_household_id": rr_id,
            "head_id_number": head.id_number,
            "region_code": head.region_code,
            "poverty_alleviated": True,
            "category": category,
            "risk_type": "illness",
            "identified_on": identified_on,
            "per_capita_net_income": Decimal("8600.00"),
            "risk_cleared": cleared_on is not None,
            "cleared_on": cleared_on,
        },
        valid_from=cleared_on or identified_on,
    )
    return rr_id


def sudden_hardship_not_assisted(world: World) -> None:
    """HRD-08: an open sudden-hardship household whose head is in no assisted household."""
    a = world.as_of
    for days_ago in (30, 60, 200):
        head = person(world, age=50, urban=False)
        rr_id = _monitoring(world, head, "sudden_hardship", a - timedelta(days=days_ago))
        world.expect("HRD-08", rr_id, head.id_number, True)
    # near miss: the head already heads a dibao household
    hh = world.new_assisted_household("dibao", 2, region_code=world.pick_region(urban=False))
    rr_id = _monitoring(world, hh.head, "sudden_hardship", a - timedelta(days=45))
    world.expect("HRD-08", rr_id, hh.head.id_number, False)
    # near miss: the risk was cleared
    head = person(world, age=50, urban=False)
    rr_id = _monitoring(world, head, "sudden_hardship", a - timedelta(days=100), a - timedelta(days=10))
    world.expect("HRD-08", rr_id, head.id_number, False)


def risks_left_open(world: World) -> None:
    """HRD-09: a risk not cleared more than rr_open_months after it was identified."""
    a = world.as_of
    due = add_months(a, -rule_int("rr_open_months"))
    cases = [
        ("unstable", due - timedelta(days=1), None, True),  # overdue since today
        ("edge", a - timedelta(days=500), None, True),
        ("unstable", add_months(a, -18), None, True),
        ("unstable", due, None, False),  # due today, not yet overdue
        ("edge", a - timedelta(days=500), a - timedelta(days=30), False),  # cleared
    ]
    for category, identified_on, cleared_on, fires in cases:
        head = person(world, age=52, urban=False)
        rr_id = _monitoring(world, head, category, identified_on, cleared_on)
        world.expect("HRD-09", rr_id, head.id_number, fires)


def former_households_in_hardship(world: World) -> None:
    """HRD-10: a household terminated within exit_watch_months with a former member now in
    hardship (an HRD-01 or HRD-03 warning, an HRD-06 death, or registered unemployed)."""
    a = world.as_of
    watch_from = add_months(a, -rule_int("exit_watch_months"))

    def terminated(on):
        head = person(world, age=46)
        spouse = person(world, age=44, household_of=head, relation="spouse")
        return world.new_assisted_household(
            "dibao", [head, spouse], status="terminated", terminated_on=on, approved_on=add_months(a, -48)
        )

    # fires: terminated exactly exit_watch_months ago; the head is registered unemployed
    hh = terminated(watch_from)
    register_employment(world, hh.head, "unemployed")
    register_employment(world, hh.members[1].person, "employed")  # not a zero-employment household
    world.expect("HRD-10", hh.household_id, hh.head.id_number, True)
    # fires: a former member has large medical bills (HRD-01 fires too)
    hh = terminated(add_months(a, -6))
    patient = hh.members[1].person
    settlement(world, patient, a - timedelta(days=20), rule_parameter("medical_oop_abs") + 5000)
    world.expect("HRD-01", patient.id_number, patient.id_number, True, severity="high")  # exited: none
    world.expect("HRD-10", hh.household_id, hh.head.id_number, True)
    # fires: a former member's house collapsed without relief (HRD-03 fires too)
    hh = terminated(add_months(a, -12))
    disaster(world, hh.head, a - timedelta(days=15), "collapsed", Decimal("15000"))
    world.expect("HRD-03", hh.head.id_number, hh.head.id_number, True)
    world.expect("HRD-10", hh.household_id, hh.head.id_number, True)
    # near miss: terminated a day before the watch began
    hh = terminated(watch_from - timedelta(days=1))
    register_employment(world, hh.head, "unemployed")
    register_employment(world, hh.members[1].person, "employed")
    world.expect("HRD-10", hh.household_id, hh.head.id_number, False)
    # near miss: recently terminated, the former head now works flexibly
    hh = terminated(add_months(a, -6))
    register_employment(world, hh.head, "flexible")
    world.expect("HRD-10", hh.household_id, hh.head.id_number, False)


def concurrent_hardship(world: World) -> None:
    """Two hardship signals in one assisted household (HRD-01 for the head, HRD-04 for a
    grown child), so marts.household_priority has a household to put first. The spouse
    works flexibly: the hukou household is not a zero-employment one (HRD-05)."""
    head = person(world, age=47)
    spouse = person(world, age=45, household_of=head, relation="spouse")
    child = person(world, age=21, household_of=head, relation="child")
    world.new_assisted_household("dibao", [head, spouse, child])
    settlement(world, head, world.as_of - timedelta(days=45), rule_parameter("medical_oop_abs") + 8000)
    register_employment(world, spouse, "flexible")
    register_employment(world, child, "unemployed")
    world.expect("HRD-01", head.id_number, head.id_number, True, severity="medium")  # assisted
    world.expect("HRD-04", child.id_number, child.id_number, True)
