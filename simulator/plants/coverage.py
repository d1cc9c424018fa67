"""Planted cases for the coverage-gap rules COV-01 .. COV-05 (rules.md).

Each rule gets three subjects that must fire and at least two near misses, made from
clean assisted households with one thing changed. COV-01 needs a member without this
year's medical-insurance row: the world derives that row for every member born before
1 January, so the firing cases are tekun infants born this year (none can be planted
when as_of is too early in the year for a newborn to be registered; then fewer fire).
COV-05 needs a household paid without the care supplement: those households are
created unpaid (pay=False) and paid here month by month, basic allowance only.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from simulator.plants._plant_records import (
    disability_certificate,
    person,
    rule_int,
    rule_parameter,
    settlement,
)
from simulator.world import AssistedHousehold, Person, World, add_months, month_start

REGISTRATION_DAYS = 30  # a newborn enters the hukou register (and then the roll) a month after birth


def plant(world: World) -> None:
    insurance_subsidy_missing(world)
    students_without_aid(world)
    tekun_inpatients_paying(world)
    disability_subsidies_missing(world)
    care_supplement_missing(world)


def _tekun_infant(world: World, birth: date) -> Person | None:
    """A tekun orphan born on `birth`, registered and taken onto the roll a month later;
    None when that is not at least ten days before as_of."""
    registered = birth + timedelta(days=REGISTRATION_DAYS)
    if registered > world.as_of - timedelta(days=10):
        return None
    infant = person(world, birth_date=birth)
    infant.registered_on = registered
    world.new_assisted_household("tekun", [infant], approved_on=registered)
    return infant


def insurance_subsidy_missing(world: World) -> None:
    """COV-01: a covered tekun member without this year's fully subsidised enrolment."""
    jan1 = date(world.as_of.year, 1, 1)
    for offset in (1, 19, 40):  # born this year: no enrolment row for this year yet
        infant = _tekun_infant(world, jan1 + timedelta(days=offset))
        if infant is not None:
            world.expect("COV-01", infant.id_number, infant.id_number, True)
    # near miss: born the day before 1 January, so enrolled for this year
    infant = _tekun_infant(world, jan1 - timedelta(days=1))
    if infant is not None:
        world.expect("COV-01", infant.id_number, infant.id_number, False)
    # near miss: a clean tekun member, subsidy exactly equal to the premium
    hh = world.new_assisted_household("tekun", 1)
    world.expect("COV-01", hh.head.id_number, hh.head.id_number, False)
    # near miss: a clean dibao member with the fixed subsidy
    hh = world.new_assisted_household("dibao", 2)
    world.expect("COV-01", hh.head.id_number, hh.head.id_number, False)


def _school_year_start(world: World) -> date:
    sep1 = date(world.as_of.year, 9, 1)
    return sep1 if world.as_of >= sep1 else date(world.as_of.year - 1, 9, 1)


def _student(world: World, who: Person, stage: str, aid: Decimal) -> None:
    enrolled_on = _school_year_start(world)
    world.add_snapshot(
        "edu_students",
        {
            "id_number": who.id_number,
            "school_name": "阿拉善盟第一中学(模拟)",
            "stage": stage,
            "enrolled_on": enrolled_on,
            "expected_graduation_on": date(enrolled_on.year + 3, 7, 1),
            "status": "enrolled",
            "aid_amount_this_year": aid,
            "aid_types": "国家助学金" if aid > 0 else None,
        },
        valid_from=enrolled_on,
    )


def students_without_aid(world: World) -> None:
    """COV-02: an upper-secondary or higher student of a dibao/tekun/edge household without aid."""
    cases = [
        ("dibao", 16, "senior", Decimal("0.00"), True),
        ("edge", 19, "undergraduate", Decimal("0.00"), True),
        ("tekun", 17, "vocational", Decimal("0.00"), True),
        ("dibao", 16, "senior", Decimal("2500.00"), False),  # aided
        ("dibao", 13, "junior", Decimal("0.00"), False),  # compulsory stage
        ("rigid_expense", 17, "senior", Decimal("0.00"), False),  # household type not covered
    ]
    for atype, age, stage, aid, fires in cases:
        if atype == "tekun":
            student = person(world, age=age)
            world.new_assisted_household("tekun", [student])
        else:
            head = person(world, age=46)
            spouse = person(world, age=44, household_of=head, relation="spouse")
            student = person(world, age=age, household_of=head, relation="child")
            world.new_assisted_household(atype, [head, spouse, student])
        _student(world, student, stage, aid)
        world.expect("COV-02", student.id_number, student.id_number, fires)


def tekun_inpatients_paying(world: World) -> None:
    """COV-03: a tekun member left paying more than amount_tolerance for an inpatient stay."""
    a = world.as_of
    window_start = add_months(a, -rule_int("medical_window_months"))
    tolerance = rule_parameter("amount_tolerance")
    cases = [
        (window_start, "inpatient", tolerance + Decimal("0.01"), True),  # first day of the window
        (a - timedelta(days=30), "inpatient", Decimal("800.00"), True),
        (a - timedelta(days=100), "inpatient", Decimal("2500.00"), True),
        (a - timedelta(days=30), "inpatient", tolerance, False),  # exactly the tolerance
        (window_start - timedelta(days=1), "inpatient", Decimal("800.00"), False),  # before the window
        (a - timedelta(days=30), "chronic_outpatient", Decimal("800.00"), False),  # not a hospital stay
    ]
    for settled_on, visit_type, out_of_pocket, fires in cases:
        hh = world.new_assisted_household("tekun", 1)
        settlement(world, hh.head, settled_on, out_of_pocket, visit_type)
        world.expect("COV-03", hh.head.id_number, hh.head.id_number, fires)


def disability_subsidies_missing(world: World) -> None:
    """COV-04: grade 1-2 without the care subsidy; a dibao/tekun member without the living one."""
    cases = [
        (None, "1", "physical", False, False, True),
        ("dibao", "4", "hearing", False, False, True),
        ("tekun", "2", "visual", True, False, True),
        (None, "3", "physical", False, False, False),  # grade 3 needs no care subsidy
        (None, "2", "physical", True, False, False),  # not assisted: no living subsidy due
        ("dibao", "4", "hearing", False, True, False),
    ]
    for atype, grade, category, care, living, fires in cases:
        if atype is None:
            disabled = person(world, age=40)
        else:
            disabled = world.new_assisted_household(atype, 1 if atype == "tekun" else 2).members[-1].person
        disability_certificate(world, disabled, grade, category, care_subsidy=care, living_subsidy=living)
        world.expect("COV-04", disabled.id_number, disabled.id_number, fires)


def _pay_tekun(world: World, hh: AssistedHousehold, care_months: set[date] | None) -> None:
    """The monthly tekun payments the world would make (basic allowance on the 10th,
    from the month after approval), with the care supplement only in `care_months`."""
    member = hh.members[0]
    banner = hh.banner_code
    m = max(month_start(add_months(world.start, -1)), month_start(add_months(hh.approved_on, 1)))
    while m <= month_start(world.as_of):
        items = [("tekun_basic", world.standard(banner, f"tekun_basic_{hh.urban_rural}", m))]
        if care_months and m in care_months:
            level = "full" if member.self_care == "unable" else "partial"
            items.append(("tekun_care", world.standard(banner, f"tekun_care_{level}", m)))
        for program, amount in items:
            paid_on = m.replace(day=10)
            world.add_event(
                "ca_payments",
                {
                    "payment_id": f"{hh.household_id}-{m:%Y%m}-{program}-{member.person.id_number[-4:]}",
                    "pay_month": m,
                    "household_id": hh.household_id,
                    "id_number": member.person.id_number,
                    "program": program,
                    "amount": amount,
                    "paid_on": paid_on,
                },
                delivered_on=paid_on,
            )
        m = add_months(m, 1)


def care_supplement_missing(world: World) -> None:
    """COV-05: a tekun member who needs care has no care payment in the latest pay month."""
    a = world.as_of
    latest_paid = month_start(a) if a.day >= 10 else month_start(add_months(a, -1))
    every_month = {add_months(latest_paid, -k) for k in range(60)}
    cases = [
        ("unable", None, True),
        ("partial", None, True),
        ("partial", every_month - {latest_paid}, True),  # paid until the month before
        ("partial", {latest_paid}, False),  # paid in the latest month only
    ]
    for self_care, care_months, fires in cases:
        hh = world.new_assisted_household("tekun", 1, pay=False)
        hh.members[0].self_care = self_care
        _pay_tekun(world, hh, care_months)
        world.expect("COV-05", hh.head.id_number, hh.head.id_number, fires)
    # near miss: a clean tekun household that needs full care, paid by the world
    hh = world.new_assisted_household("tekun", 1)
    hh.members[0].self_care = "unable"
    world.expect("COV-05", hh.head.id_number, hh.head.id_number, False)
