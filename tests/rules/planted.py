"""Score the warnings of a built warehouse against the simulator's planted truth.

Why a shared module: both rules engineers (and anyone changing a rule) need the same
recall and precision per rule, computed the same way, from a real build
(`built_home`) and the inbox's `_truth/expected_warnings.csv`.

Definitions, per rule:
- planted: subjects the truth says must fire; near misses: subjects that must not;
- fired: warnings the warehouse raises now (status new or open; resolved ones are
  not raised by this run);
- caught: planted subjects among the fired; recall = caught / planted;
- near misses fired: must-not subjects among the fired;
- precision = fired warnings that are planted must-fire subjects / all fired for
  that rule (the background is clean, so anything else is a false alarm);
- id mismatches: caught warnings whose id_number differs from the truth's.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from aidwatch.home import Home


@dataclass
class RuleScore:
    """Recall and precision of one rule on the planted subjects."""

    rule_id: str
    planted: int = 0
    near_misses: int = 0
    fired: int = 0
    caught: int = 0
    near_misses_fired: int = 0
    id_mismatches: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.caught / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return self.caught / self.fired if self.fired else 1.0


def read_truth(truth_csv: Path) -> list[dict[str, str]]:
    """Rows of `_truth/expected_warnings.csv` (rule_id, subject_key, id_number, must_fire)."""
    with open(truth_csv, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def fired_warnings(home: Home) -> dict[tuple[str, str], str]:
    """(rule_id, subject_key) -> id_number ('' when null) of the warnings raised now,
    read from the published warehouse (read-only)."""
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        rows = con.execute(
            "select rule_id, subject_key, coalesce(id_number, '') from marts.warnings "
            "where status in ('new', 'open')"
        ).fetchall()
    finally:
        con.close()
    return {(rule_id, key): id_number for rule_id, key, id_number in rows}


def score_rules(home: Home, truth_csv: Path,
                rule_prefixes: tuple[str, ...] | None = None) -> dict[str, RuleScore]:
    """Per rule id (optionally only ids starting with one of `rule_prefixes`), the score
    of the published warehouse of `home` against the planted truth."""
    truth = read_truth(truth_csv)
    fired = fired_warnings(home)

    def wanted(rule_id: str) -> bool:
        return rule_prefixes is None or rule_id.startswith(rule_prefixes)

    scores: dict[str, RuleScore] = {}
    must_fire: dict[tuple[str, str], str] = {}
    must_not: set[tuple[str, str]] = set()
    for row in truth:
        if not wanted(row["rule_id"]):
            continue
        key = (row["rule_id"], row["subject_key"])
        score = scores.setdefault(row["rule_id"], RuleScore(row["rule_id"]))
        if row["must_fire"].strip().lower() == "true":
            must_fire[key] = row["id_number"] or ""
            score.planted += 1
        else:
            must_not.add(key)
            score.near_misses += 1
    for (rule_id, subject_key), id_number in fired.items():
        if not wanted(rule_id):
            continue
        score = scores.setdefault(rule_id, RuleScore(rule_id))
        score.fired += 1
        key = (rule_id, subject_key)
        if key in must_fire:
            score.caught += 1
            if must_fire[key] != id_number:
                score.id_mismatches.append(f"{subject_key}: warning {id_number!r}, truth {must_fire[key]!r}")
        else:
            score.false_alarms.append(subject_key)
            if key in must_not:
                score.near_misses_fired += 1
    for rule_id, subject_key in must_fire:
        if (rule_id, subject_key) not in fired:
            scores[rule_id].missed.append(subject_key)
    return dict(sorted(scores.items()))


def format_scores(scores: dict[str, RuleScore]) -> str:
    """A table for the test output: one line per rule."""
    lines = [f"{'rule':8} {'planted':>7} {'near':>5} {'fired':>5} {'caught':>6} {'near_fired':>10} "
             f"{'recall':>7} {'precision':>9}"]
    for s in scores.values():
        lines.append(f"{s.rule_id:8} {s.planted:7d} {s.near_misses:5d} {s.fired:5d} {s.caught:6d} "
                     f"{s.near_misses_fired:10d} {s.recall:7.0%} {s.precision:9.0%}")
    return "\n".join(lines)
