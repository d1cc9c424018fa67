"""Planted cases for the eligibility rules ELG-01 .. ELG-12 (rules.md).

Why: each rule gets subjects that must fire and near misses that must not, on the
boundaries the spec draws (a payment in the month of death is due, the month after is
not; an exempt vehicle; one residence versus two; an amount exactly on an inclusive
bound). Every subject is a clean assisted household of the world with one thing
changed, so it fires only its own rule (ELG-01's deceased recipients are removed from
the roll, so ELG-02 stays quiet for them).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from stdnum.cn import uscc

from simulator.plants._truth import delivery_on
from simulator.world import AssistedHousehold, Person, World, add_months, month_start

CENT = Decimal("0.01")


def plant(world: World) -> None:
    """Plant every eligibility rule's cases."""
    plant_elg_01(world)
    plant_elg_02(world)
    plant_elg_03(world)
    plant_elg_04(world)
    plant_elg_05(world)
    plant_elg_06(world)
    plant_elg_07(world)
    plant_elg_08(world)
    plant_elg_09(world)
    plant_elg_10(world)
    plant_elg_11(world)
    plant_elg_12(world)


def latest_pay_month(world: World) -> date:
    """The newest pay month whose payments (paid on the 10th) are delivered by as_of."""
    this_month = month_start(world.as_of)
    return this_month if world.as_of.day >= 10 else add_months(this_month, -1)


def _household(world: World, assistance_type: str, size: int, **kwargs) -> AssistedHousehold:
    """A clean assisted household reviewed recently (no review rule fires)."""
    return world.new_assisted_household(
        assistance_type,
        size,
        approved_on=add_months(world.as_of, -30),
        last_review_on=add_months(world.as_of, -4),
        **kwargs,
    )


def plant_elg_01(world: World) -> None:
    """ELG-01: a payment for a month after the month of death.

    A single tekun member dies; the household is terminated from the next month (so the
    roll is right and ELG-02 stays quiet); the derived payments stop there. A must-fire
    case gets one extra payment for a month after the death month; a near miss only
    the regular payment of the death month itself."""
    pay_last = latest_pay_month(world)
    for months_back, extra_months, fire in [
        (2, 1, True),
        (2, 2, True),
        (1, 1, True),
        (2, 0, False),
        (1, 0, False),
    ]:
        hh = _household(world, "tekun", 1)
        death_month = add_months(pay_last, -months_back)
        died = death_month + timedelta(days=int(world.rng.integers(0, 27)))
        world.kill(hh.head, died)
        hh.terminated_on = add_months(death_month, 1)
        for k in range(1, extra_months + 1):
            month = add_months(death_month, k)
            world.add_event(
                "ca_payments",
                {
                    "payment_id": f"{hh.household_id}-{month:%Y%m}-tekun_basic-late",
                    "pay_month": month,
                    "household_id": hh.household_id,
                    "id_number": hh.head.id_number,
                    "program": "tekun_basic",
                    "amount": world.standard(hh.region_code, f"tekun_basic_{hh.urban_rural}", month),
                    "paid_on": month.replace(day=10),
                },
                delivered_on=month.replace(day=10),
            )
        world.expect("ELG-01", hh.head.id_number, hh.head.id_number, must_fire=fire)
        # until the roll shows the termination, the dead member is still on it: ELG-02
        severity_on = deceased_member_severity_on(world, hh, hh.head, reported_on=died + timedelta(days=7))
        world.expect_each_day("ELG-02", hh.head.id_number, hh.head.id_number, severity_on)


def deceased_member_severity_on(world: World, hh: AssistedHousehold, member: Person, reported_on: date):
    """rules.md ELG-02 day by day: the death is known once a delivery in force carries
    it (the ca_deaths event reported on `reported_on`, or the hukou snapshot from its
    status date), and the roll in force still lists the member in an assisted household."""

    def severity_on(day: date) -> str | None:
        extract = delivery_on(world.extract_dates, day)
        if extract is None or member.death_date is None or member.death_date > day:
            return None
        known = reported_on <= extract or (
            member.status_changed_on is not None and member.status_changed_on <= extract)
        return "medium" if known and hh.status_on(extract) in ("active", "gradual_exit") else None

    return severity_on


def plant_elg_02(world: World) -> None:
    """ELG-02: a member of an assisted dibao/tekun/edge household has died."""
    a = world.as_of
    for assistance_type, died in [
        ("dibao", a - timedelta(days=70)),
        ("edge", a - timedelta(days=40)),
        ("dibao", a),
    ]:
        hh = _household(world, assistance_type, 3)
        member = hh.members[-1].person  # not the head, who receives the payments (no ELG-01)
        if died == a:  # died on as_of itself, reported the same day
            world.kill(member, died, report=False)
            world.add_event(
                "ca_deaths",
                {"id_number": member.id_number, "death_date": died, "source": "medical_certificate"},
                delivered_on=a,
            )
            reported_on = a
        else:
            world.kill(member, died)
            reported_on = died + timedelta(days=7)
        severity_on = deceased_member_severity_on(world, hh, member, reported_on)
        if severity_on(a) is None:
            raise AssertionError(f"ELG-02 plant {member.id_number}: day-by-day truth does not fire on as_of")
        world.expect_each_day("ELG-02", member.id_number, member.id_number, severity_on)
    # near miss: the deceased relative was never on the assisted roll
    people = world.new_hukou_household(3)
    hh = world.new_assisted_household(
        "dibao", people[:2], approved_on=add_months(a, -30), last_review_on=add_months(a, -4)
    )
    world.kill(people[2], a - timedelta(days=60))
    world.expect("ELG-02", people[2].id_number, people[2].id_number, must_fire=False)
    # near miss: a member dies after the household was terminated (no longer assisted)
    hh = world.new_assisted_household(
        "dibao",
        2,
        status="terminated",
        approved_on=add_months(a, -40),
        last_review_on=add_months(a, -12),
        terminated_on=add_months(a, -6),
    )
    member = hh.members[-1].person
    world.kill(member, a - timedelta(days=60))
    world.expect("ELG-02", member.id_number, member.id_number, must_fire=False)


def _adult_member(hh: AssistedHousehold) -> Person:
    """The last member of working age (a household made with new_hukou_household has one)."""
    return hh.members[1].person if len(hh.members) > 1 else hh.head


def _on_payroll(world: World, person: Person, since: date) -> None:
    """A fiscal payroll record, listed from `since` on (a department lists no future start)."""
    world.add_snapshot(
        "fin_fiscal_payroll",
        {"id_number": person.id_number, "employer_unit": "阿拉善盟某事业单位", "since": since},
        valid_from=since,
    )


def plant_elg_03(world: World) -> None:
    """ELG-03: a member is on the fiscal payroll (since on or before as_of)."""
    a = world.as_of
    for since in (a, a - timedelta(days=400), add_months(a, -3)):
        hh = _household(world, "dibao", 2)
        member = _adult_member(hh)
        _on_payroll(world, member, since)
        world.expect("ELG-03", member.id_number, member.id_number, must_fire=True)
    # near miss: on the payroll, but the household was terminated
    hh = world.new_assisted_household(
        "dibao",
        2,
        status="terminated",
        approved_on=add_months(a, -40),
        last_review_on=add_months(a, -12),
        terminated_on=add_months(a, -6),
    )
    member = _adult_member(hh)
    _on_payroll(world, member, add_months(a, -5))
    world.expect("ELG-03", member.id_number, member.id_number, must_fire=False)
    # near miss: a grown child in the same hukou who is not on the assisted roll
    people = world.new_hukou_household(3, ages=[52, 50, 26])
    world.new_assisted_household(
        "dibao", people[:2], approved_on=add_months(a, -30), last_review_on=add_months(a, -4)
    )
    _on_payroll(world, people[2], add_months(a, -8))
    world.expect("ELG-03", people[2].id_number, people[2].id_number, must_fire=False)


def _vehicle(world: World, owner: Person, vehicle_type: str, status: str = "active") -> None:
    plate = f"蒙M{world.new_key('PV', 5)[2:]}"
    world.add_snapshot(
        "ps_vehicles",
        {
            "plate_no": plate,
            "owner_id_number": owner.id_number,
            "vehicle_type": vehicle_type,
            "registered_on": add_months(world.as_of, -20),
            "purchase_price": Decimal("68000.00"),
            "status": status,
        },
    )


def plant_elg_04(world: World) -> None:
    """ELG-04: a member owns an active vehicle of a type that is not exempt."""
    for vehicle_type, status, fire in [
        ("car", "active", True),
        ("light_truck", "active", True),
        ("passenger", "active", True),
        ("motorcycle", "active", False),
        ("tricycle", "active", False),
        ("tractor", "active", False),
        ("disability_vehicle", "active", False),
        ("car", "cancelled", False),
    ]:
        hh = _household(world, "edge" if vehicle_type == "passenger" else "dibao", 2)
        owner = _adult_member(hh)
        _vehicle(world, owner, vehicle_type, status)
        world.expect("ELG-04", owner.id_number, owner.id_number, must_fire=fire)


def _estate(world: World, owner: Person, use: str, region_code: str) -> None:
    serial = world.next_serial("PLBDC")
    world.add_snapshot(
        "nr_real_estate",
        {
            "certificate_no": f"蒙(2020)阿拉善盟不动产权第9{serial:06d}号",
            "owner_id_number": owner.id_number,
            "property_use": use,
            "area_sqm": Decimal("72.50"),
            "region_code": region_code,
            "registered_on": add_months(world.as_of, -60),
        },
    )


def plant_elg_05(world: World) -> None:
    """ELG-05: more than one residence together, or any commercial/industrial property."""
    for uses, fire in [
        (["residential", "residential"], True),
        (["residential", "commercial"], True),
        (["industrial"], True),
        (["residential"], False),
        (["residential", "other"], False),
    ]:
        hh = _household(world, "dibao", 2)
        for i, use in enumerate(uses):
            _estate(world, hh.members[i % len(hh.members)].person, use, hh.region_code)
        world.expect("ELG-05", hh.household_id, hh.head.id_number, must_fire=fire)


def plant_elg_06(world: World) -> None:
    """ELG-06: per-capita financial assets above 24 months of the dibao standard.

    Every member gets a fresh asset check after the household's last review, so the
    sum is exactly what is planted."""
    a = world.as_of
    checked_on = a - timedelta(days=12)
    for kind, fire in [
        ("plus_cent", True),
        ("double", True),
        ("one_rich", True),
        ("exact", False),
        ("old_rich_check", False),
    ]:
        hh = _household(world, "dibao", 2)
        limit = Decimal(24) * world.standard(hh.region_code, f"dibao_{hh.urban_rural}", a) * len(hh.members)
        total = {
            "plus_cent": limit + CENT,
            "double": limit * 2,
            "one_rich": limit + Decimal("5000.00"),
            "exact": limit,
            "old_rich_check": Decimal("3000.00"),
        }[kind]
        shares = [total - (total / 2).quantize(CENT), (total / 2).quantize(CENT)]
        if kind == "one_rich":
            shares = [total, Decimal("0.00")]
        for member, share in zip(hh.members, shares, strict=True):
            world.add_event(
                "fin_assets",
                {
                    "id_number": member.person.id_number,
                    "as_of": checked_on,
                    "deposits": share,
                    "wealth_products": Decimal("0.00"),
                    "securities": Decimal("0.00"),
                    "insurance_cash_value": Decimal("0.00"),
                },
                delivered_on=checked_on + timedelta(days=3),
            )
        if kind == "old_rich_check":  # a large balance long ago, spent since
            world.add_event(
                "fin_assets",
                {
                    "id_number": hh.head.id_number,
                    "as_of": hh.approved_on - timedelta(days=40),
                    "deposits": limit * 3,
                    "wealth_products": Decimal("0.00"),
                    "securities": Decimal("0.00"),
                    "insurance_cash_value": Decimal("0.00"),
                },
                delivered_on=hh.approved_on - timedelta(days=37),
            )
        world.expect("ELG-06", hh.household_id, hh.head.id_number, must_fire=fire)


def _credit_code(world: World, region_code: str, type_digit: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    org = "".join(alphabet[int(j)] for j in world.rng.integers(0, 31, 9))
    body = f"9{type_digit}{region_code[:6]}{org}"
    return body + uscc.calc_check_digit(body + "0")


def plant_elg_07(world: World) -> None:
    """ELG-07: legal representative of an active company or of an entity over 100,000."""
    for entity_type, capital, status, fire in [
        ("company", Decimal("50000.00"), "active", True),
        ("cooperative", Decimal("100000.01"), "active", True),
        ("sole_trader", Decimal("200000.00"), "active", True),
        ("sole_trader", Decimal("100000.00"), "active", False),  # exactly on the limit
        ("company", Decimal("500000.00"), "cancelled", False),
    ]:
        hh = _household(world, "dibao", 2)
        rep = _adult_member(hh)
        type_digit = {"sole_trader": "2", "company": "1", "cooperative": "3"}[entity_type]
        world.add_snapshot(
            "mr_business",
            {
                "credit_code": _credit_code(world, hh.region_code, type_digit),
                "entity_name": f"阿拉善{rep.name}经营部",
                "legal_rep_id_number": rep.id_number,
                "entity_type": entity_type,
                "registered_capital": capital,
                "status": status,
            },
        )
        world.expect("ELG-07", rep.id_number, rep.id_number, must_fire=fire)


def plant_elg_08(world: World) -> None:
    """ELG-08: the same person on two assisted rolls."""
    a = world.as_of
    for first_type, second_type in [("dibao", "edge"), ("dibao", "dibao"), ("tekun", "edge")]:
        first = _household(world, first_type, 2)
        shared = first.members[-1].person
        others = world.new_hukou_household(2)
        world.new_assisted_household(
            second_type,
            [others[0], shared, others[1]],
            approved_on=add_months(a, -20),
            last_review_on=add_months(a, -4),
        )
        world.expect("ELG-08", shared.id_number, shared.id_number, must_fire=True)
    # near miss: on an assisted roll and on a terminated one
    first = _household(world, "dibao", 2)
    shared = first.members[-1].person
    world.new_assisted_household(
        "dibao",
        [world.new_person(), shared],
        status="terminated",
        approved_on=add_months(a, -40),
        last_review_on=add_months(a, -12),
        terminated_on=add_months(a, -6),
    )
    world.expect("ELG-08", shared.id_number, shared.id_number, must_fire=False)
    # near miss: one hukou split into two assisted households, nobody on both
    people = world.new_hukou_household(4)
    world.new_assisted_household(
        "dibao", people[:2], approved_on=add_months(a, -30), last_review_on=add_months(a, -4)
    )
    world.new_assisted_household(
        "dibao", people[2:], approved_on=add_months(a, -30), last_review_on=add_months(a, -4)
    )
    for p in people:
        world.expect("ELG-08", p.id_number, p.id_number, must_fire=False)


def _contributions_in_window(world: World, person: Person, monthly: Decimal) -> None:
    """Pension contributions of `monthly` in each of the 12 whole months before as_of's
    month (the verified-income window), every one delivered by as_of (the default
    monthly delivery on the 15th of the next month would miss the last month when
    as_of falls before the 15th)."""
    first = add_months(month_start(world.as_of), -12)
    for k in range(12):
        month = add_months(first, k)
        delivered = min(add_months(month, 1) + timedelta(days=14), world.as_of)
        world.add_event(
            "hrss_insurance",
            {
                "id_number": person.id_number,
                "month": month,
                "item": "pension_contribution",
                "amount": monthly,
            },
            delivered_on=delivered,
        )


def plant_elg_09(world: World) -> None:
    """ELG-09: verified per-capita income above the dibao standard (equal is fine)."""
    a = world.as_of
    for source, extra, status, fire in [
        ("insurance", CENT, "active", True),
        ("tax", Decimal("1.00"), "active", True),
        ("insurance", Decimal("900.00"), "active", True),
        ("insurance", Decimal("0.00"), "active", False),  # exactly the standard
        ("insurance", Decimal("900.00"), "gradual_exit", False),  # no longer active
    ]:
        kwargs = {}
        if status == "gradual_exit":
            kwargs = {
                "gradual_exit_type": "employment",
                "gradual_exit_start": add_months(a, -1),
                "gradual_exit_months": 6,
            }
        hh = _household(world, "dibao", 2, status=status, **kwargs)
        std = world.standard(hh.region_code, f"dibao_{hh.urban_rural}", a)
        monthly = std * len(hh.members) + extra
        earner = _adult_member(hh)
        if source == "insurance":
            _contributions_in_window(world, earner, monthly)
        else:
            # the previous year's tax record, delivered before as_of even early in the year
            world.add_event(
                "tax_income",
                {"id_number": earner.id_number, "year": a.year - 1, "taxable_income": monthly * 12},
                delivered_on=min(date(a.year, 6, 30), a - timedelta(days=20)),
            )
        world.expect("ELG-09", hh.household_id, hh.head.id_number, must_fire=fire)


def plant_elg_10(world: World) -> None:
    """ELG-10: the declared income on the roll no longer matches what is paid.

    Payments follow the household's real income; the roll's monthly_income_total is
    overridden, so the expected gap amount differs by the planted difference."""
    for difference, single, fire in [
        (Decimal("1.01"), False, True),
        (Decimal("-100.00"), False, True),
        (Decimal("300.00"), False, True),
        (Decimal("1.00"), False, False),
        (Decimal("-1.00"), False, False),
        (Decimal("0.00"), True, False),
    ]:
        hh = _household(world, "dibao", 3, single_person=single)
        if difference:
            hh.overrides["monthly_income_total"] = hh.income_total() + difference
        if not single and hh.income_total() + difference < 0:
            raise AssertionError("planted income difference would make the income negative")
        world.expect("ELG-10", hh.household_id, hh.head.id_number, must_fire=fire)


def plant_elg_11(world: World) -> None:
    """ELG-11: a tekun payment below the standard by more than 1.00 in the latest pay month.

    A deduction (a negative row) in the latest pay month lowers the month's total."""
    month = latest_pay_month(world)
    for self_care, program, short, fire in [
        ("able", "tekun_basic", Decimal("1.01"), True),
        ("unable", "tekun_care", Decimal("100.00"), True),
        ("partial", "tekun_care", Decimal("45.00"), True),
        ("able", "tekun_basic", Decimal("1.00"), False),
        ("unable", "tekun_care", Decimal("1.00"), False),
    ]:
        hh = _household(world, "tekun", 1)
        hh.members[0].self_care = self_care
        world.add_event(
            "ca_payments",
            {
                "payment_id": f"{hh.household_id}-{month:%Y%m}-{program}-deduction",
                "pay_month": month,
                "household_id": hh.household_id,
                "id_number": hh.head.id_number,
                "program": program,
                "amount": -short,
                "paid_on": month.replace(day=10),
            },
            delivered_on=month.replace(day=10),
        )
        world.expect("ELG-11", hh.head.id_number, hh.head.id_number, must_fire=fire)


def plant_elg_12(world: World) -> None:
    """ELG-12: a tekun adult under 60 with labour capacity, not in school."""
    a = world.as_of
    eighteen_today = add_months(a, -12 * 18)
    sixty_today = add_months(a, -12 * 60)
    for birth, labour, schooling, fire in [
        (eighteen_today, "full", None, True),  # 18 today
        (sixty_today + timedelta(days=1), "partial", None, True),  # 59, 60 tomorrow
        (add_months(a, -12 * 35), "full", None, True),
        (eighteen_today + timedelta(days=1), "full", None, False),  # 17, 18 tomorrow
        (sixty_today, "full", None, False),  # 60 today
        (add_months(a, -12 * 19), "full", "vocational", False),
    ]:
        person = world.new_person(birth_date=birth)
        hh = world.new_assisted_household(
            "tekun", [person], approved_on=add_months(a, -30), last_review_on=add_months(a, -4)
        )
        hh.members[0].labor_capacity = labour
        if schooling:
            world.add_snapshot(
                "edu_students",
                {
                    "id_number": person.id_number,
                    "school_name": "阿拉善盟职业技术学校",
                    "stage": schooling,
                    "enrolled_on": date(a.year - 1, 9, 1),
                    "expected_graduation_on": date(a.year + 2, 7, 1),
                    "status": "enrolled",
                    "aid_amount_this_year": Decimal("2000.00"),
                    "aid_types": "国家助学金",
                },
            )
        world.expect("ELG-12", person.id_number, person.id_number, must_fire=fire)
