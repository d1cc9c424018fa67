"""Planted cases for the standards-compliance rules STD-01 and STD-02 (rules.md).

The subjects are the four banners (152921, 152922, 152923 and the high-tech zone
152971), so each rule can have at most three that fire and one near miss. Faults are
banner-specific ca_standards rows that take effect on as_of itself: in force for the
rules evaluated on as_of, yet on no pay month's first day up to as_of, so no payment
of any household (and no other plant's arithmetic) changes. The near misses sit
exactly on the required amount, or carry a faulty row that takes effect tomorrow.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from simulator.plants._plant_records import rule_int, rule_parameter
from simulator.world import CENT, World, add_months

FAULTY = ("152921", "152922", "152923")
COMPLIANT = "152971"
FEN = Decimal("0.01")


def plant(world: World) -> None:
    tekun_basic_below_multiple(world)
    care_below_wage_share(world)


def _required(share: Decimal, amount: Decimal) -> Decimal:
    """The required standard, rounded to the fen as the rule compares it."""
    return (share * amount).quantize(CENT, rounding=ROUND_HALF_UP)


def _standard_row(world: World, banner: str, standard: str, amount: Decimal, effective_from) -> None:
    world.add_snapshot(
        "ca_standards",
        {
            "region_code": banner,
            "standard": standard,
            "amount": amount,
            "effective_from": effective_from,
            "source": "SYNTHETIC: planted standards fault (simulator)",
        },
        valid_from=add_months(world.as_of, -1),
    )


def tekun_basic_below_multiple(world: World) -> None:
    """STD-01: tekun basic standard below tekun_multiple x the dibao standard."""
    a = world.as_of
    multiple = rule_parameter("tekun_multiple")

    def required(banner: str, kind: str) -> Decimal:
        return _required(multiple, world.standard(banner, f"dibao_{kind}", a))

    _standard_row(world, "152921", "tekun_basic_urban", required("152921", "urban") - FEN, a)  # a fen short
    _standard_row(world, "152922", "tekun_basic_rural", required("152922", "rural") - Decimal("300"), a)
    _standard_row(world, "152923", "tekun_basic_urban", world.standard("152923", "dibao_urban", a), a)
    for banner in FAULTY:
        world.expect("STD-01", banner, None, True)
        # before as_of the faulty rows are not in force yet: the league's standards comply
        world.expect("STD-01", banner, None, False, fire_from=world.start, fire_until=a - timedelta(days=1))
    # near miss: exactly the required amount today; a faulty rural row only from tomorrow
    _standard_row(world, COMPLIANT, "tekun_basic_urban", required(COMPLIANT, "urban"), a)
    _standard_row(
        world,
        COMPLIANT,
        "tekun_basic_rural",
        required(COMPLIANT, "rural") - Decimal("300"),
        a + timedelta(days=1),
    )
    world.expect("STD-01", COMPLIANT, None, False, fire_from=world.start)


def care_below_wage_share(world: World) -> None:
    """STD-02: a care standard below its share of the minimum wage in force
    min_wage_lag_months before the care standard took effect."""
    a = world.as_of
    lag = rule_int("min_wage_lag_months")
    full_share = rule_parameter("care_full_share")
    partial_share = rule_parameter("care_partial_share")

    def lagged_wage(banner: str, effective_from) -> Decimal:
        return world.standard(banner, "min_wage", add_months(effective_from, -lag))

    _standard_row(
        world, "152921", "tekun_care_full", _required(full_share, lagged_wage("152921", a)) - FEN, a
    )
    _standard_row(
        world,
        "152922",
        "tekun_care_partial",
        _required(partial_share, lagged_wage("152922", a)) - Decimal("50"),
        a,
    )
    # well below the share
    _standard_row(
        world,
        "152923",
        "tekun_care_full",
        _required(full_share, lagged_wage("152923", a)) - Decimal("100"),
        a,
    )
    for banner in FAULTY:
        world.expect("STD-02", banner, None, True)
        # before as_of the faulty rows are not in force yet: the league's standards comply
        world.expect("STD-02", banner, None, False, fire_from=world.start, fire_until=a - timedelta(days=1))
    # near miss: exactly the required share today; a faulty partial-care row from tomorrow
    _standard_row(world, COMPLIANT, "tekun_care_full", _required(full_share, lagged_wage(COMPLIANT, a)), a)
    tomorrow = a + timedelta(days=1)
    _standard_row(
        world,
        COMPLIANT,
        "tekun_care_partial",
        _required(partial_share, lagged_wage(COMPLIANT, tomorrow)) - Decimal("50"),
        tomorrow,
    )
    world.expect("STD-02", COMPLIANT, None, False, fire_from=world.start)
