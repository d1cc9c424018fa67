"""The simulated league: people, households and every department's records.

Why one object: the departments' feeds must agree (a dibao member is in the hukou
register, is paid by the gap formula, is enrolled in medical insurance with a
subsidy, ...). The background generator and the plant modules both write through
this API; `simulator.generate` turns it into deliveries.

Records are kept in contract form (canonical codes, `datetime.date`, `Decimal`):
- snapshot records with a validity interval `[valid_from, valid_to)` (None = open);
  a delivery on date d holds the records valid on d;
- event records with the date they reach the department's export (`delivered_on`);
  a delivery holds the events delivered after the previous extract date.

Assisted households are objects whose feed rows (ca_households, ca_members,
ca_payments, mi_enrollment subsidies, an application, ...) are derived when the
inbox is written, so a plant can still change a household after creating it and
the household stays consistent (clean unless the plant makes it faulty).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from simulator import idnumbers
from simulator.reference import GIVEN_CHARS, ID_BANNER_CODES, MONGOLIAN_NAMES, STANDARDS, SURNAMES
from simulator.regions import Village, villages

CENT = Decimal("0.01")
#: residents' medical insurance: the individual premium, and the subsidies of the rolls
DIBAO_PREMIUM_SUBSIDY = Decimal("280.00")
OTHER_PREMIUM_SUBSIDY = Decimal("100.00")


def resident_premium(year: int) -> Decimal:
    """The residents' medical insurance individual premium of a year (synthetic before 2025)."""
    return Decimal("400.00") if year >= 2025 else Decimal("380.00")


def add_months(d: date, n: int) -> date:
    """Calendar months with the day clamped (2026-01-31 + 1 month = 2026-02-28)."""
    month0 = d.year * 12 + d.month - 1 + n
    year, month = divmod(month0, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def month_start(d: date) -> date:
    return d.replace(day=1)


def money(x: Any) -> Decimal:
    """A yuan amount rounded to the cent (half up), as the departments book it."""
    return Decimal(str(x)).quantize(CENT, rounding=ROUND_HALF_UP)


def age_on(birth: date, on: date) -> int:
    """Whole years since birth (rules.md: age from the ID's birth date)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@dataclass
class Person:
    """A registered resident (ps_hukou) or a person known only to some department."""

    id_number: str
    name: str
    sex: str  # "M" | "F"
    birth_date: date
    hukou_no: str
    relation: str  # relation to the hukou head (ps_hukou enum)
    region_code: str
    hukou_status: str = "normal"
    status_changed_on: date | None = None
    death_date: date | None = None
    registered_on: date | None = None  # first delivery that lists the person; None = always
    in_hukou: bool = True  # False: the person is not written to ps_hukou
    background: bool = False  # True: the background table already writes the hukou row

    def age(self, on: date) -> int:
        return age_on(self.birth_date, on)


@dataclass
class Member:
    """A person in an assisted household (a ca_members row)."""

    person: Person
    relation: str = "self"
    covered: bool = True
    labor_capacity: str = "none"
    self_care: str = "able"
    monthly_income: Decimal = Decimal("0.00")


@dataclass
class AssistedHousehold:
    """An assisted household (ca_households + ca_members), derived into its feed rows.

    Status over time: not listed before `approved_on`; `gradual_exit` from
    `gradual_exit_start`; `terminated` from `terminated_on`. `review_dates` are the
    reviews done; a delivery shows the latest one on or before its extract date.
    `overrides` replace ca_households fields in every delivery (for planted faults
    that the derivation would otherwise correct, e.g. a wrong monthly_benefit).
    """

    household_id: str
    members: list[Member]
    region_code: str
    urban_rural: str
    assistance_type: str
    approved_on: date
    dibao_class: str | None = None
    tekun_support_mode: str | None = None
    review_dates: list[date] = field(default_factory=list)
    gradual_exit_type: str | None = None
    gradual_exit_start: date | None = None
    gradual_exit_months: int | None = None
    terminated_on: date | None = None
    single_person: bool = False
    pay: bool = True
    monthly_income_total: Decimal | None = None  # None: the sum of the members' incomes
    overrides: dict[str, Any] = field(default_factory=dict)
    origin: str = "plant"

    @property
    def head(self) -> Person:
        for m in self.members:
            if m.relation == "self":
                return m.person
        return self.members[0].person

    @property
    def banner_code(self) -> str:
        return self.region_code[:6]

    def income_total(self) -> Decimal:
        if self.monthly_income_total is not None:
            return self.monthly_income_total
        return sum((m.monthly_income for m in self.members), Decimal("0.00"))

    def status_on(self, d: date) -> str | None:
        """The household's status on d, None before it was approved."""
        if d < self.approved_on:
            return None
        if self.terminated_on is not None and d >= self.terminated_on:
            return "terminated"
        if self.gradual_exit_start is not None and d >= self.gradual_exit_start:
            return "gradual_exit"
        return "active"

    def last_review_on(self, d: date) -> date | None:
        done = [r for r in self.review_dates if r <= d]
        return max(done) if done else None


class World:
    """The simulated league, written to by the background generator and the plants."""

    def __init__(self, as_of: date, months: int, seed: int, scale: float):
        self.as_of = as_of
        self.months = months
        self.seed = seed
        self.scale = scale
        #: extract dates, ascending; the last one is as_of
        self.extract_dates: list[date] = [add_months(as_of, -k) for k in range(months - 1, -1, -1)]
        self.start: date = self.extract_dates[0]
        #: the plants' random generator (the background uses its own streams)
        self.rng = np.random.default_rng([seed, 1])
        self._id_rng = np.random.default_rng([seed, 2])
        self.villages: tuple[Village, ...] = villages()
        self.standards: list[dict[str, Any]] = [
            {"region_code": r, "standard": s, "amount": money(a), "effective_from": f, "source": src}
            for r, s, a, f, src in STANDARDS
        ]
        self.people_table = None  # background persons (pandas DataFrame), set by the background
        self.persons: list[Person] = []  # persons added through the API
        self.households: list[AssistedHousehold] = []
        self.snapshots: dict[str, list[tuple[dict, date | None, date | None, str]]] = {}
        self.events: dict[str, list[tuple[dict, date | None, str]]] = {}
        self.frames: dict[str, list[Any]] = {}  # background DataFrame chunks per feed
        #: derived records already in table form, per feed (they follow `frames`; derive.flush_records)
        self.record_parts: dict[str, list[Any]] = {}
        self.expected: list[Any] = []  # simulator.plants._truth.Expectation
        self.taken_ids = idnumbers.TakenIds()  # every ID given out (compact: issue 14)
        self._serial: dict[str, int] = {}
        self.origin = "plant"  # rows added through the API are marked with this origin

    # ----------------------------------------------------------------- helpers
    def next_serial(self, prefix: str) -> int:
        """A per-prefix counter for made-up identifiers (household, payment, case ids)."""
        self._serial[prefix] = self._serial.get(prefix, 0) + 1
        return self._serial[prefix]

    def new_key(self, prefix: str, width: int = 7) -> str:
        """A fresh identifier like `PLxxxxxxx` that the background never uses."""
        return f"{prefix}{self.next_serial(prefix):0{width}d}"

    def pick_region(
        self, banner_code: str | None = None, township_code: str | None = None, urban: bool | None = None
    ) -> str:
        """A (synthetic) village/community code, optionally inside a banner or township."""
        options = [
            v
            for v in self.villages
            if (banner_code is None or v.banner_code == banner_code)
            and (township_code is None or v.township_code == township_code)
            and (urban is None or v.urban == urban)
        ]
        if not options:
            raise ValueError(f"no village for banner={banner_code} township={township_code} urban={urban}")
        return options[int(self.rng.integers(len(options)))].code

    def is_urban(self, region_code: str) -> bool:
        return any(v.code == region_code and v.urban for v in self.villages)

    def new_id_number(self, birth_date: date, sex: str, area: str | None = None) -> str:
        """A valid, unused 18-character ID (check digit, birth date and sex digit agree)."""
        if area is None:
            area = ID_BANNER_CODES[int(self._id_rng.integers(len(ID_BANNER_CODES)))]
        prefix = f"{area}{birth_date:%Y%m%d}"
        new = idnumbers._fresh_id(prefix, sex == "M", self._id_rng, self.taken_ids)
        self.taken_ids.add(new)
        return new

    def random_name(self, sex: str) -> str:
        if self.rng.random() < 0.15:
            return str(MONGOLIAN_NAMES[int(self.rng.integers(len(MONGOLIAN_NAMES)))])
        surname = SURNAMES[int(self.rng.integers(len(SURNAMES)))]
        given = "".join(GIVEN_CHARS[int(i)] for i in self.rng.integers(len(GIVEN_CHARS), size=2))
        return surname + given[: 1 + int(self.rng.random() < 0.7)]

    def standard(self, banner_code: str, standard: str, on: date) -> Decimal:
        """The standard in force (rules.md): the banner's newest row on or before `on`,
        else the league's (152900). Reads every ca_standards row, planted ones too."""
        banner = banner_code[:6]
        rows = list(self.standards) + [r for r, *_ in self.snapshots.get("ca_standards", [])]
        for region in (banner, "152900"):
            best = [
                r
                for r in rows
                if r["region_code"] == region and r["standard"] == standard and r["effective_from"] <= on
            ]
            if best:
                return money(max(best, key=lambda r: r["effective_from"])["amount"])
        raise KeyError(f"no {standard} standard in force for {banner} on {on}")

    # ----------------------------------------------------------------- people
    def new_person(
        self,
        age: int | None = None,
        birth_date: date | None = None,
        sex: str | None = None,
        region_code: str | None = None,
        hukou_no: str | None = None,
        relation: str = "self",
        name: str | None = None,
        id_area: str | None = None,
        in_hukou: bool = True,
    ) -> Person:
        """A registered resident (listed in ps_hukou). Without `hukou_no` the person heads
        a new hukou household of their own. `age` is the age at as_of."""
        if sex is None:
            sex = "M" if self.rng.random() < 0.5 else "F"
        if birth_date is None:
            if age is None:
                age = int(self.rng.integers(20, 70))
            latest = add_months(self.as_of, -12 * age)
            birth_date = latest - timedelta(days=int(self.rng.integers(1, 360)))
        if region_code is None:
            region_code = self.pick_region()
        if hukou_no is None:
            hukou_no = self.new_hukou_no(region_code)
        person = Person(
            id_number=self.new_id_number(birth_date, sex, id_area),
            name=name or self.random_name(sex),
            sex=sex,
            birth_date=birth_date,
            hukou_no=hukou_no,
            relation=relation,
            region_code=region_code,
            in_hukou=in_hukou,
        )
        self.persons.append(person)
        return person

    def new_hukou_no(self, region_code: str) -> str:
        """A fresh hukou number (户号) for a household registered at region_code."""
        return f"H{region_code[:9]}P{self.next_serial('hukou'):06d}"

    def new_hukou_household(
        self, size: int, region_code: str | None = None, ages: Iterable[int] | None = None
    ) -> list[Person]:
        """`size` persons sharing a new hukou number; the first is the head (`self`)."""
        region_code = region_code or self.pick_region()
        hukou_no = self.new_hukou_no(region_code)
        ages = list(ages) if ages is not None else None
        if ages is None:
            head_age = int(self.rng.integers(30, 60))
            ages = [head_age, head_age - int(self.rng.integers(-3, 4))]
            # children at least 6: born before any planted household's approval (at most 60
            # months back), so no roll lists a member before birth on an earlier as_of
            ages += [max(6, head_age - 25 - int(self.rng.integers(0, 10))) for _ in range(max(0, size - 2))]
            ages = ages[:size]
        if len(ages) != size:
            raise ValueError(f"ages has {len(ages)} entries for a household of {size}")
        people = []
        for i, a in enumerate(ages):
            relation = "self" if i == 0 else ("spouse" if i == 1 and a >= 18 else "child")
            sex = None
            if i == 1 and relation == "spouse":
                sex = "F" if people[0].sex == "M" else "M"
            people.append(
                self.new_person(age=a, sex=sex, region_code=region_code, hukou_no=hukou_no, relation=relation)
            )
        return people

    def kill(
        self,
        person: Person,
        death_date: date,
        source: str = "cremation",
        hukou_cancelled_on: date | None = None,
        report: bool = True,
    ) -> None:
        """The person dies: a ca_deaths event and, from `hukou_cancelled_on` (default 20 days
        later), hukou status `deceased` in ps_hukou."""
        person.death_date = death_date
        cancelled = hukou_cancelled_on or death_date + timedelta(days=20)
        person.hukou_status = "deceased"
        person.status_changed_on = cancelled
        if report:
            self.add_event(
                "ca_deaths",
                {"id_number": person.id_number, "death_date": death_date, "source": source},
                delivered_on=death_date + timedelta(days=7),
            )

    # ----------------------------------------------------------------- assisted households
    def new_assisted_household(
        self,
        assistance_type: str,
        members: list[Person] | int,
        urban_rural: str | None = None,
        dibao_class: str | None = None,
        tekun_support_mode: str | None = None,
        status: str = "active",
        approved_on: date | None = None,
        last_review_on: date | None = None,
        single_person: bool = False,
        pay: bool = True,
        **overrides: Any,
    ) -> AssistedHousehold:
        """An assisted household, clean by default.

        `members`: persons (the first is the head) or a count (a new hukou household of
        that size is made). Clean means: reviews on time, payments per the gap formula
        and the standards in force every month since approval (within the deliveries),
        members in ps_hukou sharing a hukou_no, medical insurance subsidised, an approved
        application with verification before the decision when approved in the window.

        Keyword overrides set AssistedHousehold fields (gradual_exit_type,
        gradual_exit_start, gradual_exit_months, terminated_on, monthly_income_total,
        household_id, region_code) or, for any other ca_households column, the value
        written in every delivery (e.g. monthly_benefit=Decimal("10.00")).
        Member-level fields are set on `hh.members[i]` (labor_capacity, self_care,
        monthly_income, covered, relation).
        """
        if isinstance(members, int):
            if assistance_type == "tekun":
                people = self.new_hukou_household(members, ages=[int(self.rng.integers(62, 85))] * members)
            else:
                people = self.new_hukou_household(members)
        else:
            people = list(members)
        head = people[0]
        region_code = overrides.pop("region_code", head.region_code)
        if urban_rural is None:
            urban_rural = "urban" if self.is_urban(region_code) else "rural"
        if assistance_type == "dibao" and dibao_class is None:
            dibao_class = "A"
        if assistance_type == "tekun" and tekun_support_mode is None:
            tekun_support_mode = "dispersed"
        if approved_on is None:
            approved_on = add_months(self.as_of, -int(self.rng.integers(14, 60)))
        cycle = 5 if dibao_class == "B" else 10
        # reviews on time since approval; a given last review ends the series (so that
        # no earlier delivery shows an overdue review the truth does not expect)
        reviews = []
        r = add_months(approved_on, cycle)
        while r <= (last_review_on - timedelta(days=1) if last_review_on is not None else self.as_of):
            reviews.append(r)
            r = add_months(r, cycle)
        if last_review_on is not None:
            reviews.append(last_review_on)
        std = self.standard(region_code, f"dibao_{urban_rural}", self.as_of)
        hh_members = []
        for i, p in enumerate(people):
            relation = "self" if i == 0 else (p.relation if p.relation != "self" else "other")
            adult_working = 16 <= p.age(self.as_of) < 60
            income = Decimal("0.00")
            if assistance_type == "dibao" and adult_working and not single_person:
                income = money(float(std) * float(self.rng.uniform(0.1, 0.4)))
            elif assistance_type in ("edge", "rigid_expense", "other_low_income") and i == 0:
                income = money(float(std) * len(people) * float(self.rng.uniform(1.15, 1.4)))
            labor = "none" if assistance_type == "tekun" or not adult_working else "full"
            hh_members.append(
                Member(
                    person=p,
                    relation=relation,
                    covered=not single_person or i == 0,
                    labor_capacity=labor,
                    monthly_income=income,
                )
            )
        fields = {k: overrides.pop(k) for k in list(overrides) if k in AssistedHousehold.__dataclass_fields__}
        hh = AssistedHousehold(
            household_id=fields.pop("household_id", self.new_key("PLHH")),
            members=hh_members,
            region_code=region_code,
            urban_rural=urban_rural,
            assistance_type=assistance_type,
            approved_on=approved_on,
            dibao_class=dibao_class,
            tekun_support_mode=tekun_support_mode,
            review_dates=reviews,
            single_person=single_person,
            pay=pay,
            origin=self.origin,
        )
        for k, v in fields.items():
            setattr(hh, k, v)
        if status == "gradual_exit" and hh.gradual_exit_start is None:
            hh.gradual_exit_start = add_months(self.as_of, -2)
            hh.gradual_exit_type = hh.gradual_exit_type or "employment"
            hh.gradual_exit_months = hh.gradual_exit_months or 6
        if status == "terminated" and hh.terminated_on is None:
            hh.terminated_on = add_months(self.as_of, -3)
        hh.overrides.update(overrides)
        if assistance_type in ("edge", "rigid_expense", "other_low_income") and pay:
            # verified income must match the declared income (HRD-07 stays quiet)
            earner = hh_members[0]
            item = "pension_payment" if earner.person.age(self.as_of) >= 60 else "pension_contribution"
            self.add_insurance(earner.person, item, earner.monthly_income)
        self.households.append(hh)
        return hh

    def dibao_amount(self, hh: AssistedHousehold, pay_month: date) -> Decimal:
        """The gap-formula dibao for a month (rules.md ELG-10), standard on the 1st."""
        std = self.standard(hh.region_code, f"dibao_{hh.urban_rural}", month_start(pay_month))
        if hh.single_person:
            covered = [m for m in hh.members if m.covered] or hh.members[:1]
            n, income = 1, covered[0].monthly_income
        else:
            n, income = len(hh.members), hh.income_total()
        return money(max(Decimal(0), std - income / n) * n)

    # ----------------------------------------------------------------- departmental records
    def add_snapshot(
        self,
        feed_id: str,
        record: dict[str, Any],
        valid_from: date | None = None,
        valid_to: date | None = None,
    ) -> None:
        """A snapshot record listed in every delivery d with valid_from <= d < valid_to."""
        self.snapshots.setdefault(feed_id, []).append((dict(record), valid_from, valid_to, self.origin))

    def add_event(self, feed_id: str, record: dict[str, Any], delivered_on: date | None = None) -> None:
        """An event record, delivered in the first extract on or after `delivered_on`
        (default: the latest date in the record). The same key again is a correction."""
        if delivered_on is None:
            dates = [v for v in record.values() if isinstance(v, date)]
            delivered_on = max(dates) if dates else self.start
        self.events.setdefault(feed_id, []).append((dict(record), delivered_on, self.origin))

    def set_employment(
        self,
        person: Person,
        status: str,
        since: date | None = None,
        difficult: bool = False,
        public_welfare_post: bool = False,
        employer_name: str | None = None,
    ) -> None:
        """An hrss_employment registration (employed | flexible | unemployed)."""
        self.add_snapshot(
            "hrss_employment",
            {
                "id_number": person.id_number,
                "employment_status": status,
                "status_since": since or add_months(self.as_of, -8),
                "difficult_employment": difficult,
                "public_welfare_post": public_welfare_post,
                "employer_name": employer_name if status == "employed" else None,
            },
        )

    def add_insurance(
        self, person: Person, item: str, amount: Decimal, months: Iterable[date] | None = None
    ) -> None:
        """Monthly hrss_insurance rows; default every month from 12 months before the
        first extract up to as_of's month (each delivered on the 15th of the next month)."""
        if months is None:
            first = month_start(add_months(self.start, -12))
            months = []
            m = first
            while m <= month_start(self.as_of):
                months.append(m)
                m = add_months(m, 1)
        for m in months:
            self.add_event(
                "hrss_insurance",
                {
                    "id_number": person.id_number,
                    "month": month_start(m),
                    "item": item,
                    "amount": money(amount),
                },
                delivered_on=add_months(month_start(m), 1) + timedelta(days=14),
            )

    def add_tax_income(self, person: Person, year: int, taxable_income: Decimal) -> None:
        """An annual tax_income record, delivered on 30 June of the following year."""
        self.add_event(
            "tax_income",
            {"id_number": person.id_number, "year": year, "taxable_income": money(taxable_income)},
            delivered_on=date(year + 1, 6, 30),
        )

    def expect(
        self,
        rule_id: str,
        subject_key: str,
        id_number: str | None,
        must_fire: bool = True,
        *,
        severity: str | None = None,
        fire_from: date | None = None,
        fire_until: date | None = None,
    ) -> None:
        """Record the truth: a correct warehouse raises (or must not raise) this warning
        on every as_of from `fire_from` to `fire_until` (default: as_of only), with
        `severity` where the rule has tiers (simulator/plants/_truth.py)."""
        from simulator.plants._truth import expectation

        self.expected.append(
            expectation(rule_id, subject_key, id_number, must_fire, severity,
                        fire_from or self.as_of, fire_until or self.as_of)
        )

    def expect_each_day(
        self, rule_id: str, subject_key: str, id_number: str | None, severity_on, first: date | None = None
    ) -> None:
        """Record the truth for every as_of from `first` (default: the first extract) to
        as_of: `severity_on(day)` is the severity the warning must have that day, or None
        when it must not fire."""
        from simulator.plants._truth import windows_of_days

        for severity, start, until in windows_of_days(first or self.start, self.as_of, severity_on):
            self.expect(rule_id, subject_key, id_number, severity is not None, severity=severity,
                        fire_from=start, fire_until=until)
