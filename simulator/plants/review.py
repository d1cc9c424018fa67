"""Planted cases for the review and procedure rules REV-01 .. REV-10 (rules.md).

Why: every rule needs subjects that must fire and near misses that must not, right at
the boundaries the spec draws (due today is fine, due yesterday is overdue; an amount
exactly on an inclusive bound belongs to the lower tier). Each subject starts from a
clean household, person or case of the world and changes one thing, so it fires only
its own rule; the truth goes to `_truth/expected_warnings.csv` via `world.expect`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from simulator.plants._plant_records import rule_int
from simulator.plants._truth import delivery_on
from simulator.world import AssistedHousehold, World, add_months, month_start


def due_on_as_of(as_of: date, months: int) -> date:
    """The latest base date whose deadline (base + `months` calendar months) is not before
    as_of: the deadline is as_of itself wherever the calendar allows (due today, not late)."""
    base = add_months(as_of, -months)
    while add_months(base, months) < as_of:
        base += timedelta(days=1)
    return base


def overdue_since_yesterday(as_of: date, months: int) -> date:
    """The latest base date whose deadline (base + `months` months) is before as_of."""
    base = due_on_as_of(as_of, months) - timedelta(days=1)
    while add_months(base, months) >= as_of:
        base -= timedelta(days=1)
    return base


def plant(world: World) -> None:
    """Plant every review rule's cases."""
    plant_rev_01(world)
    plant_rev_02(world)
    plant_rev_03(world)
    plant_rev_04(world)
    plant_rev_05(world)
    plant_rev_06(world)
    plant_rev_07(world)
    plant_rev_08(world)
    plant_rev_09(world)
    plant_rev_10(world)


def _reviewed(
    world: World,
    assistance_type: str,
    last_review_on: date | None,
    *,
    dibao_class: str | None = None,
    approved_on: date | None = None,
    fire: bool,
    rule_id: str,
) -> None:
    """A clean household reviewed on time up to its latest review `last_review_on`
    (None: never reviewed since approval); its truth is stated for every day."""
    approved_on = approved_on or add_months(world.as_of, -40)
    hh = world.new_assisted_household(
        assistance_type,
        int(world.rng.integers(1, 4)),
        dibao_class=dibao_class,
        approved_on=approved_on,
        last_review_on=last_review_on or approved_on,
    )
    if last_review_on is None:
        hh.review_dates = []  # never reviewed since approval
    months = 12 if rule_id == "REV-01" else 6
    severity_on = review_severity_on(world, hh, months)
    if (severity_on(world.as_of) is not None) != fire:
        raise AssertionError(f"{rule_id} plant {hh.household_id}: day-by-day truth contradicts fire={fire}")
    world.expect_each_day(rule_id, hh.household_id, hh.head.id_number, severity_on)


def review_severity_on(world: World, hh: AssistedHousehold, months: int):
    """rules.md REV-01/REV-02 day by day: the delivery in force that day shows the
    latest review on or before its extract (else approval); due on base + `months`
    months, overdue from the day after, high when over review_late_high_months late."""
    late_high = rule_int("review_late_high_months")

    def severity_on(day: date) -> str | None:
        extract = delivery_on(world.extract_dates, day)
        if extract is None or hh.status_on(extract) not in ("active", "gradual_exit"):
            return None
        due = add_months(hh.last_review_on(extract) or hh.approved_on, months)
        if not due < day:
            return None
        return "high" if add_months(due, late_high) < day else "medium"

    return severity_on


def plant_rev_01(world: World) -> None:
    """REV-01: dibao class A and tekun reviewed every 12 months."""
    a = world.as_of
    _reviewed(world, "dibao", overdue_since_yesterday(a, 12), dibao_class="A", fire=True, rule_id="REV-01")
    _reviewed(world, "tekun", add_months(a, -16), fire=True, rule_id="REV-01")  # high: > 3 months late
    never_reviewed_since = overdue_since_yesterday(a, 12) - timedelta(days=40)
    _reviewed(
        world, "dibao", None, dibao_class="A", approved_on=never_reviewed_since, fire=True, rule_id="REV-01"
    )  # never reviewed since approval
    _reviewed(world, "dibao", due_on_as_of(a, 12), dibao_class="A", fire=False, rule_id="REV-01")  # due today
    _reviewed(world, "tekun", due_on_as_of(a, 12), fire=False, rule_id="REV-01")  # due today


def plant_rev_02(world: World) -> None:
    """REV-02: dibao class B reviewed every 6 months."""
    a = world.as_of
    _reviewed(world, "dibao", overdue_since_yesterday(a, 6), dibao_class="B", fire=True, rule_id="REV-02")
    _reviewed(world, "dibao", add_months(a, -7), dibao_class="B", fire=True, rule_id="REV-02")
    _reviewed(world, "dibao", add_months(a, -11), dibao_class="B", fire=True, rule_id="REV-02")  # high
    _reviewed(world, "dibao", due_on_as_of(a, 6), dibao_class="B", fire=False, rule_id="REV-02")  # due today
    _reviewed(
        world, "dibao", due_on_as_of(a, 6) + timedelta(days=1), dibao_class="B", fire=False, rule_id="REV-02"
    )


def _gradual_exit(
    world: World, start: date, months: int, exit_type: str = "employment", urban_rural: str | None = None
) -> AssistedHousehold:
    """A clean dibao household in gradual exit since `start` for `months` months."""
    region = None
    if urban_rural is not None:
        region = world.pick_region(urban=urban_rural == "urban")
    members = world.new_hukou_household(int(world.rng.integers(2, 4)), region_code=region)
    return world.new_assisted_household(
        "dibao",
        members,
        status="gradual_exit",
        approved_on=add_months(world.as_of, -40),
        last_review_on=add_months(world.as_of, -3),
        gradual_exit_type=exit_type,
        gradual_exit_start=start,
        gradual_exit_months=months,
    )


def gradual_exit_severity_on(world: World, hh: AssistedHousehold):
    """rules.md REV-03 day by day: the delivery in force shows the household in gradual
    exit; its period (start + months) ended before the day; high when a dibao payment
    for a month after the period (a month beginning after its last day) had been
    delivered by then (payments go out on the 10th, monthly, up to as_of's month)."""
    end = add_months(hh.gradual_exit_start, hh.gradual_exit_months)
    first_month_after = add_months(month_start(end - timedelta(days=1)), 1)

    def severity_on(day: date) -> str | None:
        extract = delivery_on(world.extract_dates, day)
        if extract is None or hh.status_on(extract) != "gradual_exit" or not end < day:
            return None
        paid_after = hh.pay and first_month_after <= month_start(world.as_of) and (
            first_month_after.replace(day=10) <= extract)
        return "high" if paid_after else "medium"

    return severity_on


def plant_rev_03(world: World) -> None:
    """REV-03: gradual exit period over (end date + 1 day onwards); high once a dibao
    payment for the first month after the period is there, including an exit that
    started on the 1st (its end month is already after it) and one on the 31st."""
    a = world.as_of
    for start, months, exit_type, kind, fire in [
        (overdue_since_yesterday(a, 3), 3, "employment", None, True),  # ended yesterday
        (add_months(a, -7), 5, "employment", None, True),
        (add_months(a, -9), 6, "rural_income", "rural", True),
        (month_start(add_months(a, -8)), 6, "employment", None, True),  # from the 1st
        (_day_31_before(a, 9), 6, "employment", None, True),  # from the 31st
        (due_on_as_of(a, 3), 3, "employment", None, False),  # ends today
        (add_months(a, -2), 4, "employment", None, False),
    ]:
        hh = _gradual_exit(world, start, months, exit_type, kind)
        severity_on = gradual_exit_severity_on(world, hh)
        if (severity_on(a) is not None) != fire:
            raise AssertionError(f"REV-03 plant {hh.household_id}: day-by-day truth contradicts fire={fire}")
        world.expect_each_day("REV-03", hh.household_id, hh.head.id_number, severity_on)


def _day_31_before(as_of: date, months: int) -> date:
    """The latest 31st of a month at least `months` months before as_of."""
    day = add_months(month_start(as_of), -months)
    while True:
        try:
            return day.replace(day=31)
        except ValueError:
            day = add_months(day, -1)


def plant_rev_04(world: World) -> None:
    """REV-04: gradual exit length outside the bounds of its type (bounds inclusive)."""
    start = add_months(world.as_of, -1)
    for months, exit_type, kind, fire in [
        (2, "employment", "urban", True),
        (7, "employment", "rural", True),
        (13, "rural_income", "rural", True),
        (6, "rural_income", "urban", True),  # rural income growth for an urban household
        (3, "employment", "urban", False),
        (6, "employment", "rural", False),
        (12, "rural_income", "rural", False),
    ]:
        hh = _gradual_exit(world, start, months, exit_type, kind)
        world.expect("REV-04", hh.household_id, hh.head.id_number, must_fire=fire)


def _application(
    world: World, decision: str, applied_on: date, decided_on: date | None, verified_on: date | None
) -> tuple[str, str]:
    """A temporary-assistance application by a new resident."""
    person = world.new_person()
    application_id = world.new_key("PLSQ")
    world.add_event(
        "ca_applications",
        {
            "application_id": application_id,
            "applicant_id_number": person.id_number,
            "household_id": None,
            "program": "temporary",
            "region_code": person.region_code,
            "channel": "counter",
            "applied_on": applied_on,
            "verification_completed_on": verified_on,
            "decision": decision,
            "decided_on": decided_on,
        },
    )
    return application_id, person.id_number


def plant_rev_05(world: World) -> None:
    """REV-05: approved before the economic verification was completed."""
    a = world.as_of
    edge = add_months(a, -24)  # decided exactly 24 months ago: still inside the lookback
    for decided, verified, fire in [
        (a - timedelta(days=10), None, True),
        (a - timedelta(days=40), a - timedelta(days=30), True),  # verified after the decision
        (edge, None, True),
        (a - timedelta(days=40), a - timedelta(days=40), False),  # verified the same day
        (edge - timedelta(days=1), None, False),  # outside the lookback
    ]:
        applied = decided - timedelta(days=20)
        application_id, applicant = _application(world, "approved", applied, decided, verified)
        world.expect("REV-05", application_id, applicant, must_fire=fire)


def _temp_case(
    world: World,
    amount: Decimal,
    level: str,
    approved_on: date,
    prior: bool = False,
    paperwork_on: date | None = None,
    region_code: str | None = None,
) -> tuple[str, str]:
    """A temporary assistance case for a new resident."""
    person = world.new_person(region_code=region_code)
    case_id = world.new_key("PLLS")
    world.add_event(
        "ca_temp_assistance",
        {
            "case_id": case_id,
            "id_number": person.id_number,
            "household_id": None,
            "region_code": person.region_code,
            "case_type": "emergency",
            "cause": "accident",
            "amount": amount,
            "approval_level": level,
            "applied_on": approved_on - timedelta(days=3),
            "approved_on": approved_on,
            "prior_assistance": prior,
            "paperwork_completed_on": paperwork_on,
            "installments": 1,
        },
    )
    return case_id, person.id_number


def plant_rev_06(world: World) -> None:
    """REV-06: help first, paperwork not completed within 30 days of approval."""
    a = world.as_of
    small = Decimal("2000.00")
    for approved, paperwork, prior, fire in [
        (a - timedelta(days=31), None, True, True),  # due yesterday
        (a - timedelta(days=60), None, True, True),
        (a - timedelta(days=150), None, True, True),
        (a - timedelta(days=30), None, True, False),  # due today
        (a - timedelta(days=90), a - timedelta(days=70), True, False),  # completed
        (a - timedelta(days=90), None, False, False),  # not help-first
    ]:
        case_id, person = _temp_case(world, small, "township", approved, prior=prior, paperwork_on=paperwork)
        world.expect("REV-06", case_id, person, must_fire=fire)


def plant_rev_07(world: World) -> None:
    """REV-07: temporary assistance approved below the required level."""
    approved = world.as_of - timedelta(days=20)
    region = world.pick_region(banner_code="152921")
    township_limit = Decimal(5) * world.standard(region[:6], "dibao_urban", approved)
    cent = Decimal("0.01")
    banner_limit = Decimal("15000.00")
    for amount, level, fire in [
        (township_limit + cent, "township", True),
        (banner_limit + cent, "banner_civil_affairs", True),
        (Decimal("20000.00"), "township", True),
        (township_limit, "township", False),  # exactly 5 x the urban standard
        (banner_limit, "banner_civil_affairs", False),  # exactly 15,000
        (banner_limit + cent, "banner_leading_group", False),
    ]:
        case_id, person = _temp_case(world, amount, level, approved, region_code=region)
        world.expect("REV-07", case_id, person, must_fire=fire)


def plant_rev_08(world: World) -> None:
    """REV-08: vagrants unidentified and unsettled for more than 3 months."""
    a = world.as_of
    for admitted, outcome, fire in [
        (overdue_since_yesterday(a, 3), None, True),
        (add_months(a, -6), None, True),
        (add_months(a, -14), None, True),
        (due_on_as_of(a, 3), None, False),  # due today
        (add_months(a, -8), "identity_confirmed_on", False),
        (add_months(a, -8), "settled_on", False),
    ]:
        case_id = world.new_key("PLLL")
        record = {
            "case_id": case_id,
            "region_code": world.pick_region(),
            "admitted_on": admitted,
            "identity_confirmed_on": None,
            "id_number": None,
            "settled_on": None,
            "left_on": None,
        }
        id_number = None
        if outcome is not None:
            person = world.new_person()
            record[outcome] = admitted + timedelta(days=20)
            record["identity_confirmed_on"] = admitted + timedelta(days=10)
            record["id_number"] = id_number = person.id_number
        world.add_event("ca_vagrant_cases", record)
        world.expect("REV-08", case_id, id_number, must_fire=fire)


def plant_rev_09(world: World) -> None:
    """REV-09: applications pending more than 45 days."""
    a = world.as_of
    for applied, decision, fire in [
        (a - timedelta(days=46), "pending", True),  # due yesterday
        (a - timedelta(days=60), "pending", True),
        (a - timedelta(days=120), "pending", True),
        (a - timedelta(days=45), "pending", False),  # due today
        (a - timedelta(days=120), "rejected", False),
    ]:
        decided = applied + timedelta(days=30) if decision != "pending" else None
        verified = applied + timedelta(days=10) if decision != "pending" else None
        application_id, applicant = _application(world, decision, applied, decided, verified)
        # day by day: delivered once applied (a decided one once decided, within the 45
        # days), overdue from the day after applied_on + application_days
        overdue_after = applied + timedelta(days=rule_int("application_days"))

        def severity_on(day: date, pending: bool = decision == "pending", after: date = overdue_after):
            return "medium" if pending and after < day else None

        if (severity_on(a) is not None) != fire:
            raise AssertionError(f"REV-09 plant {application_id}: day-by-day truth contradicts fire={fire}")
        world.expect_each_day("REV-09", application_id, applicant, severity_on)


def plant_rev_10(world: World) -> None:
    """REV-10: hotline assistance requests open more than 5 days."""
    a = world.as_of
    for received_day, at, closed_day, category, fire in [
        (a - timedelta(days=6), time(9, 30), None, "assistance_request", True),  # due yesterday
        (a - timedelta(days=10), time(16, 0), None, "assistance_request", True),
        (a - timedelta(days=40), time(11, 0), None, "assistance_request", True),
        (a - timedelta(days=5), time(23, 10), None, "assistance_request", False),  # due today
        (a - timedelta(days=40), time(11, 0), a - timedelta(days=35), "assistance_request", False),
        (a - timedelta(days=40), time(11, 0), None, "inquiry", False),
    ]:
        person = world.new_person()
        ticket_id = world.new_key("PLRX")
        received = datetime.combine(received_day, at)
        world.add_event(
            "hotline_12345",
            {
                "ticket_id": ticket_id,
                "received_at": received,
                "region_code": person.region_code,
                "caller_id_number": person.id_number,
                "category": category,
                "summary": "生活困难，申请救助",
                "closed_at": datetime.combine(closed_day, time(17, 0)) if closed_day else None,
                "outcome": "已办结" if closed_day else None,
            },
            delivered_on=closed_day or received_day,
        )
        world.expect("REV-10", ticket_id, person.id_number, must_fire=fire)
