"""Score a built warehouse's warnings against the simulator's truth on one as_of.

Why here, next to the truth writer: the replay check (benchmarks/verify_rules.py,
`make verify`), the CI test (tests/rules/test_replay.py) and the single-date rule
tests all judge warnings the same way, so "right" means one thing.

Per rule and date, from `_truth/expected_warnings.csv` (simulator/plants/_truth.py):
- planted: subjects whose must-fire window holds the date; caught: those raised;
- severity agreement: caught with the severity the truth states;
- near misses: subjects whose must-not window holds the date; fired ones are wrong;
- false alarms: raised warnings that are not a must-fire subject of that date,
  except planted subjects outside every window of theirs (unjudged: the plant did
  not say what they look like that day; counted, never hidden);
- recall = caught / planted; precision = right warnings / judged warnings.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from simulator.plants._truth import Expectation, read_truth_rows

Key = tuple[str, str]  # (rule_id, subject_key)


@dataclass
class RuleScore:
    """The score of one rule on one date."""

    rule_id: str
    planted: int = 0
    near_misses: int = 0
    fired: int = 0
    caught: int = 0
    severity_agreed: int = 0
    unjudged: int = 0
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    near_misses_fired: list[str] = field(default_factory=list)
    severity_mismatches: list[str] = field(default_factory=list)
    id_mismatches: list[str] = field(default_factory=list)

    @property
    def judged(self) -> int:
        return self.fired - self.unjudged

    @property
    def recall(self) -> float:
        return self.caught / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return self.caught / self.judged if self.judged else 1.0

    @property
    def severity_agreement(self) -> float:
        return self.severity_agreed / self.caught if self.caught else 1.0

    @property
    def wrong(self) -> bool:
        """Anything an official would be misled by (or miss) on this date."""
        return bool(self.missed or self.false_alarms or self.severity_mismatches or self.id_mismatches)


def read_truth(truth_csv: Path) -> list[Expectation]:
    """The expectations of an inbox's `_truth/expected_warnings.csv`."""
    with open(truth_csv, encoding="utf-8", newline="") as fh:
        return read_truth_rows(csv.DictReader(fh))


def raised_warnings(warehouse: Path) -> tuple[date, dict[Key, tuple[str, str]]]:
    """(as_of, {(rule_id, subject_key): (id_number or '', severity)}) of the warnings a
    warehouse raises now (status other than resolved), read-only."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        as_of = con.execute("select max(as_of) from marts.warning_runs").fetchone()[0]
        rows = con.execute(
            "select rule_id, subject_key, coalesce(id_number, ''), severity from marts.warnings "
            "where status <> 'resolved'"
        ).fetchall()
    finally:
        con.close()
    return as_of, {(r, k): (i, s) for r, k, i, s in rows}


def score_on(truth: list[Expectation], raised: dict[Key, tuple[str, str]], as_of: date,
             rule_prefixes: tuple[str, ...] | None = None) -> dict[str, RuleScore]:
    """Per rule (optionally only ids starting with one of `rule_prefixes`): the raised
    warnings of a build for `as_of` against the truth that applies on that date."""

    def wanted(rule_id: str) -> bool:
        return rule_prefixes is None or rule_id.startswith(rule_prefixes)

    scores: dict[str, RuleScore] = {}
    must_fire: dict[Key, Expectation] = {}
    must_not: set[Key] = set()
    planted_subjects: set[Key] = set()
    for e in truth:
        if not wanted(e.rule_id):
            continue
        key = (e.rule_id, e.subject_key)
        planted_subjects.add(key)
        scores.setdefault(e.rule_id, RuleScore(e.rule_id))
        if not e.applies_on(as_of):
            continue
        if e.must_fire:
            must_fire[key] = e
        else:
            must_not.add(key)
    for key in must_fire:
        scores[key[0]].planted += 1
    for key in must_not:
        scores[key[0]].near_misses += 1
    for key, (id_number, severity) in raised.items():
        rule_id, subject_key = key
        if not wanted(rule_id):
            continue
        score = scores.setdefault(rule_id, RuleScore(rule_id))
        score.fired += 1
        if key in must_fire:
            expected = must_fire[key]
            score.caught += 1
            if severity == expected.severity:
                score.severity_agreed += 1
            else:
                score.severity_mismatches.append(f"{subject_key}: {severity}, truth {expected.severity}")
            if id_number != expected.id_number:
                score.id_mismatches.append(f"{subject_key}: {id_number!r}, truth {expected.id_number!r}")
        elif key in must_not:
            score.near_misses_fired.append(subject_key)
            score.false_alarms.append(subject_key)
        elif key in planted_subjects:
            score.unjudged += 1
        else:
            score.false_alarms.append(subject_key)
    for rule_id, subject_key in must_fire:
        if (rule_id, subject_key) not in raised:
            scores[rule_id].missed.append(subject_key)
    return dict(sorted(scores.items()))


def format_table(results: dict[date | str, dict[str, RuleScore]]) -> str:
    """One line per date (or label) and rule: planted, fired, recall, precision, severity."""
    lines = [f"{'as_of':10} {'rule':7} {'planted':>7} {'near':>4} {'fired':>5} {'caught':>6} {'unjudged':>8} "
             f"{'recall':>7} {'precision':>9} {'severity':>8}  wrong"]
    for as_of, scores in sorted(results.items(), key=lambda item: str(item[0])):
        for s in scores.values():
            wrong = "; ".join(
                f"{label}: {', '.join(items[:5])}" for label, items in (
                    ("missed", s.missed), ("false alarms", s.false_alarms),
                    ("severity", s.severity_mismatches), ("id", s.id_mismatches)) if items)
            lines.append(f"{str(as_of):10} {s.rule_id:7} {s.planted:7d} {s.near_misses:4d} "
                         f"{s.fired:5d} {s.caught:6d} {s.unjudged:8d} {s.recall:7.0%} {s.precision:9.0%} "
                         f"{s.severity_agreement:8.0%}  {wrong}")
    return "\n".join(lines)


def wrong_on_any_date(results: dict[date, dict[str, RuleScore]]) -> list[str]:
    """'date rule' for every rule that is wrong on some date (empty: all right)."""
    return [f"{d} {rule_id}" for d, scores in sorted(results.items())
            for rule_id, s in scores.items() if s.wrong]


def replay(inbox: Path, home_root: Path, dates: list[date], rule_prefixes: tuple[str, ...] | None = None,
           data_tests: bool = False) -> dict[date, dict[str, RuleScore]]:
    """Ingest one simulated inbox once into a new HOME at `home_root`, then build the
    warnings for each date (ascending: one warehouse, so each run's lifecycle sees the
    runs before it, as daily runs do) and score each build against the truth of that
    date. Builds run the models upstream of marts.warnings, with their data tests
    when `data_tests` (unit tests do not depend on the data: the full build runs them)."""
    from aidwatch.home import Home
    from ingestion.pipeline import ingest_inbox
    from warehouse.build import dbt_args, dbt_env, run_dbt, write_as_of
    from warehouse.raw_zone import ensure_schema_files

    home = Home(Path(home_root))
    ingest_inbox(Path(inbox), home)
    ensure_schema_files(home)
    truth = read_truth(Path(inbox) / "_truth" / "expected_warnings.csv")
    results: dict[date, dict[str, RuleScore]] = {}
    for as_of in sorted(set(dates)):
        home.warehouse.parent.mkdir(parents=True, exist_ok=True)
        write_as_of(home.warehouse, as_of)
        args = dbt_args("build", home, "--quiet", "--select", "+warnings", "--indirect-selection", "cautious",
                        *(() if data_tests else ("--exclude-resource-type", "test")),
                        "--exclude-resource-type", "unit_test")
        result = run_dbt(args, dbt_env(home, home.warehouse))
        if not result.success:
            reason = result.exception or "a model or test failed"
            raise RuntimeError(f"dbt build of the warnings for as_of {as_of} failed "
                               f"(see {home.dbt_work / 'logs'}): {reason}")
        built_for, raised = raised_warnings(home.warehouse)
        if built_for != as_of:
            raise RuntimeError(f"the warehouse says as_of {built_for}, expected {as_of}")
        results[as_of] = score_on(truth, raised, as_of, rule_prefixes)
    return results
