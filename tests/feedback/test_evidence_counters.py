"""Every evidence key a rule computes from as_of is a counter the evidence hash leaves out.

Why: a dismissed warning must not come back the next day just because days_overdue grew
(spec workspace.md). A new rule whose evidence counts days up to as_of must be listed in
dbt_project/seeds/evidence_counters.csv; this test finds such keys in the rule SQL.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
#: `'key', <value>` pairs inside json_object(...) whose value reads as_of, or an age.
KEY_VALUE = re.compile(r"'([a-z_0-9]+)',\s*([^\n]*)")
MOVES_WITH_AS_OF = re.compile(r"as_of\(\)|\bage\b")
#: Keys read from as_of that are facts, not counters: they change only when the fact does.
FACTS_FROM_AS_OF = {
    ("COV-01", "year"): "the insurance year checked; a new year is a new enrollment to verify",
}


def rule_id_of(path: Path, text: str) -> list[str]:
    found = re.findall(r"'((?:REV|ELG|HRD|COV|STD)-\d\d)' as rule_id", text)
    if found:
        return found
    name = path.stem.replace("wrn_", "").upper().replace("_", "-")
    return [name]


def counters_from_sql() -> set[tuple[str, str]]:
    rules = PROJECT / "models" / "marts" / "warnings" / "rules"
    pairs = set()
    macro = (PROJECT / "macros" / "overdue_review_warnings.sql").read_text(encoding="utf-8")
    for path in sorted(rules.glob("wrn_*.sql")):
        text = path.read_text(encoding="utf-8")
        if "overdue_review_warnings(" in text:
            text += macro
        evidence = text[text.find("json_object("):] if "json_object(" in text else ""
        # columns the rule computes from as_of on one line (`<... as_of() ...> as name`)
        from_as_of = set(re.findall(r"as_of\(\).*\bas ([a-z_0-9]+)\s*,?\s*$", text, re.MULTILINE))
        for key, value in KEY_VALUE.findall(evidence):
            column = value.strip().rstrip(",").split(".")[-1].strip()
            if MOVES_WITH_AS_OF.search(value) or column in from_as_of:
                for rule_id in rule_id_of(path, text):
                    pairs.add((rule_id, key))
    return pairs


def test_every_as_of_counter_in_the_evidence_is_in_the_seed() -> None:
    with (PROJECT / "seeds" / "evidence_counters.csv").open(encoding="utf-8") as handle:
        seed = {(row["rule_id"], row["evidence_key"]) for row in csv.DictReader(handle)}
    found = counters_from_sql()
    assert ("REV-01", "days_overdue") in found  # the search itself works
    missing = found - seed - set(FACTS_FROM_AS_OF)
    assert missing == set(), "evidence keys moving with as_of missing from evidence_counters.csv"
