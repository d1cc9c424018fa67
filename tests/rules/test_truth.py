"""The simulator's truth over time is complete and consistent (no warehouse needed).

Every rule has subjects that must fire on as_of and near misses that must not;
every severity tier of every rule is planted; each planted subject's windows never
overlap (on any date the truth says one thing about it).
"""

from __future__ import annotations

from collections import defaultdict

from simulator.plants._truth import SINGLE_SEVERITY, TIERED
from simulator.truth_check import read_truth
from tests.fixtures.simulated import TEST_AS_OF


def _truth(simulated_inbox):
    return read_truth(simulated_inbox / "_truth" / "expected_warnings.csv")


def test_every_rule_fires_and_has_a_near_miss_on_as_of(simulated_inbox):
    truth = [e for e in _truth(simulated_inbox) if e.applies_on(TEST_AS_OF)]
    rules = set(SINGLE_SEVERITY) | set(TIERED)
    assert len(rules) == 39
    assert {e.rule_id for e in truth if e.must_fire} == rules
    assert {e.rule_id for e in truth if not e.must_fire} == rules


def test_every_severity_tier_of_every_rule_is_planted(simulated_inbox):
    tiers = defaultdict(set)
    for e in _truth(simulated_inbox):
        if e.must_fire and e.applies_on(TEST_AS_OF):
            tiers[e.rule_id].add(e.severity)
    for rule_id, severities in TIERED.items():
        assert tiers[rule_id] == set(severities), rule_id
    for rule_id, severity in SINGLE_SEVERITY.items():
        assert tiers[rule_id] == {severity}, rule_id


def test_windows_of_a_subject_never_overlap(simulated_inbox):
    windows = defaultdict(list)
    for e in _truth(simulated_inbox):
        assert e.fire_from <= e.fire_until
        windows[(e.rule_id, e.subject_key)].append(e)
    for key, rows in windows.items():
        rows.sort(key=lambda e: e.fire_from)
        for before, after in zip(rows, rows[1:], strict=False):
            assert before.fire_until < after.fire_from, key


def test_day_by_day_plants_state_the_whole_window(simulated_inbox):
    """The review and gradual-exit plants say what they look like on every day of the
    simulated months, including when they turn high (REV-03: once a payment for the
    first month after the period arrives)."""
    truth = _truth(simulated_inbox)
    rev_03 = defaultdict(list)
    for e in truth:
        if e.rule_id == "REV-03":
            rev_03[e.subject_key].append(e)
    turned_high = [rows for rows in rev_03.values()
                   if [r.severity for r in sorted(rows, key=lambda r: r.fire_from)] == ["", "medium", "high"]]
    assert turned_high, rev_03
    for rows in rev_03.values():
        assert max(r.fire_until for r in rows) == TEST_AS_OF
