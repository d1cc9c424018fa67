"""The planted truth over time: which warning must (or must not) fire on which as_of.

Why windows: a rule can be right on the day the truth was written for and wrong on
every other day (issue 12). Each expectation therefore states the as_of window in
which it holds, `fire_from` .. `fire_until` (inclusive), and, for a warning that
must fire, the severity it must have then. A plant that can say what its subject
looks like on every day gives a day-by-day answer (`expect_each_day`), which is
turned into windows; one that cannot holds on as_of only (the default window).
Outside every window of a planted subject the replay check does not judge it
(it reports how many it left unjudged); any other warning is a false alarm on
every date.

The severities of rules with a single severity are restated here from rules.md,
not read from the warehouse: the truth must not copy the implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

#: rules.md: the severity of every rule that has one severity only
SINGLE_SEVERITY = {
    "REV-04": "low", "REV-05": "high", "REV-06": "medium", "REV-07": "high", "REV-08": "medium",
    "REV-09": "medium", "REV-10": "medium",
    "ELG-01": "high", "ELG-02": "medium", "ELG-03": "high", "ELG-04": "medium", "ELG-05": "medium",
    "ELG-06": "medium", "ELG-07": "medium", "ELG-08": "high", "ELG-09": "medium", "ELG-10": "medium",
    "ELG-11": "medium", "ELG-12": "medium",
    "HRD-02": "medium", "HRD-03": "high", "HRD-04": "medium", "HRD-05": "high", "HRD-06": "medium",
    "HRD-07": "high", "HRD-08": "high", "HRD-09": "low", "HRD-10": "medium",
    "COV-01": "medium", "COV-02": "medium", "COV-03": "high", "COV-04": "medium", "COV-05": "medium",
    "STD-01": "high", "STD-02": "high",
}
#: rules.md: rules whose severity has tiers; every plant of these states the severity
TIERED = {"REV-01": ("medium", "high"), "REV-02": ("medium", "high"), "REV-03": ("medium", "high"),
          "HRD-01": ("high", "medium")}

TRUTH_COLUMNS = ["rule_id", "subject_key", "id_number", "must_fire", "severity", "fire_from", "fire_until"]


@dataclass(frozen=True)
class Expectation:
    """One window of the truth about one (rule, subject)."""

    rule_id: str
    subject_key: str
    id_number: str
    must_fire: bool
    severity: str  # '' for a near miss
    fire_from: date
    fire_until: date

    def applies_on(self, as_of: date) -> bool:
        return self.fire_from <= as_of <= self.fire_until


def expectation(rule_id: str, subject_key: str, id_number: str | None, must_fire: bool, severity: str | None,
                fire_from: date, fire_until: date) -> Expectation:
    """A checked expectation: a tiered rule's must-fire window names its severity."""
    if must_fire:
        if rule_id in TIERED:
            if severity not in TIERED[rule_id]:
                raise ValueError(f"{rule_id} {subject_key}: a tiered rule's plant must state its severity")
        else:
            if severity not in (None, SINGLE_SEVERITY[rule_id]):
                raise ValueError(f"{rule_id} {subject_key}: severity {severity!r}, rules.md says "
                                 f"{SINGLE_SEVERITY[rule_id]!r}")
            severity = SINGLE_SEVERITY[rule_id]
    if fire_until < fire_from:
        raise ValueError(f"{rule_id} {subject_key}: empty window {fire_from}..{fire_until}")
    return Expectation(rule_id, subject_key, id_number or "", bool(must_fire), severity if must_fire else "",
                       fire_from, fire_until)


def windows_of_days(first: date, last: date,
                    severity_on: Callable[[date], str | None]) -> Iterable[tuple[str | None, date, date]]:
    """(severity or None, from, until) runs of equal answers for every day first..last."""
    run_value, run_start = severity_on(first), first
    day = first + timedelta(days=1)
    while day <= last:
        value = severity_on(day)
        if value != run_value:
            yield run_value, run_start, day - timedelta(days=1)
            run_value, run_start = value, day
        day += timedelta(days=1)
    yield run_value, run_start, last


def truth_rows(expected: Iterable[Expectation]) -> list[list[str]]:
    """The rows of `_truth/expected_warnings.csv` (TRUTH_COLUMNS)."""
    return [
        [e.rule_id, e.subject_key, e.id_number, "true" if e.must_fire else "false", e.severity,
         e.fire_from.isoformat(), e.fire_until.isoformat()]
        for e in expected
    ]


def read_truth_rows(rows: Iterable[dict[str, str]]) -> list[Expectation]:
    """Expectations from the CSV's rows (csv.DictReader)."""
    return [
        Expectation(r["rule_id"], r["subject_key"], r["id_number"], r["must_fire"].strip().lower() == "true",
                    r["severity"], date.fromisoformat(r["fire_from"]), date.fromisoformat(r["fire_until"]))
        for r in rows
    ]


def delivery_on(extract_dates: list[date], day: date) -> date | None:
    """The extract date of the newest delivery on or before `day` (what the warehouse
    built for as_of `day` reads), None before the first."""
    earlier = [d for d in extract_dates if d <= day]
    return max(earlier) if earlier else None
