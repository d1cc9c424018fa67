"""Review (REV) and eligibility (ELG) rules on the simulated league: every planted
subject fires, no near miss does, and the warnings carry the spec's output contract."""

from __future__ import annotations

import json

import duckdb
import pytest

from tests.rules.planted import format_scores, score_rules

RULES = [f"REV-{n:02d}" for n in range(1, 11)] + [f"ELG-{n:02d}" for n in range(1, 13)]

SUBJECT_TYPES = {
    **{f"REV-{n:02d}": "household" for n in range(1, 5)},
    **{f"REV-{n:02d}": "case" for n in range(5, 11)},
    **{f"ELG-{n:02d}": "person" for n in range(1, 13)},
    **{f"ELG-{n:02d}": "household" for n in (5, 6, 9, 10)},
}

OUTPUT_COLUMNS = [
    "warning_key", "rule_id", "rule_name_zh", "category", "severity", "policy_clause", "subject_type",
    "subject_key", "id_number", "household_id", "region_code", "banner_code", "township_code", "evidence",
    "suggested_action_zh", "as_of", "status", "first_seen_on", "last_seen_on", "days_open",
    "times_seen_before",
]


@pytest.fixture(scope="module")
def scores(built_home, simulated_inbox):
    result = score_rules(built_home, simulated_inbox / "_truth" / "expected_warnings.csv", ("REV-", "ELG-"))
    print("\n" + format_scores(result))
    return result


@pytest.mark.parametrize("rule_id", RULES)
def test_every_planted_subject_fires_and_no_near_miss(scores, rule_id):
    score = scores.get(rule_id)
    assert score is not None, f"{rule_id}: nothing planted and nothing fired"
    assert score.planted >= 3 and score.near_misses >= 2, f"{rule_id}: too few planted cases"
    assert score.missed == [], f"{rule_id}: planted subjects that did not fire: {score.missed}"
    assert score.false_alarms == [], f"{rule_id}: fired on subjects not planted: {score.false_alarms}"
    assert score.recall == 1.0 and score.precision == 1.0
    assert score.id_mismatches == [], f"{rule_id}: wrong id_number: {score.id_mismatches}"
    assert score.severity_mismatches == [], f"{rule_id}: wrong severity: {score.severity_mismatches}"


def test_warnings_table_has_the_output_contract(built_home):
    con = duckdb.connect(str(built_home.warehouse), read_only=True)
    try:
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'warnings' order by ordinal_position").fetchall()]
        rows = con.execute(
            "select rule_id, category, subject_type, evidence, status, days_open, banner_code, region_code "
            "from marts.warnings where rule_id like 'REV-%' or rule_id like 'ELG-%'").fetchall()
    finally:
        con.close()
    assert columns == OUTPUT_COLUMNS
    assert rows, "no review or eligibility warning in the simulated league"
    for rule_id, category, subject_type, evidence, status, days_open, banner_code, region_code in rows:
        assert category == ("review" if rule_id.startswith("REV") else "eligibility")
        assert subject_type == SUBJECT_TYPES[rule_id]
        assert isinstance(json.loads(evidence), dict)
        assert status == "new" and days_open == 0  # the fixture's warehouse has one run
        if region_code is not None:
            assert banner_code == region_code[:6]


def test_scoring_counts_misses_false_alarms_and_near_misses(tmp_path):
    """The scorer itself, on a hand-made warehouse: one caught, one missed, one near miss
    fired, one resolved (not fired now), one false alarm with a wrong id."""
    from aidwatch.home import Home

    home = Home(tmp_path)
    con = duckdb.connect(str(home.warehouse))
    con.execute("create schema marts")
    con.execute("create table marts.warning_runs (as_of date)")
    con.execute("insert into marts.warning_runs values ('2026-10-01'), ('2026-11-01')")
    con.execute("create table marts.warnings (rule_id varchar, subject_key varchar, id_number varchar, "
                "status varchar, severity varchar)")
    con.execute("insert into marts.warnings values ('REV-09', 'A1', 'P1', 'new', 'medium'), "
                "('REV-09', 'A3', 'P3', 'open', 'medium'), ('REV-09', 'A4', 'P4', 'resolved', 'medium'), "
                "('REV-09', 'A9', null, 'new', 'medium'), ('ELG-01', 'P7', 'P7', 'new', 'high'), "
                "('REV-09', 'A5', 'P5', 'open', 'medium'), ('REV-01', 'H1', 'P6', 'new', 'medium')")
    con.close()
    truth = tmp_path / "expected_warnings.csv"
    window = "2026-11-01,2026-11-01"
    truth.write_text("rule_id,subject_key,id_number,must_fire,severity,fire_from,fire_until\n"
                     f"REV-09,A1,P1,true,medium,{window}\nREV-09,A2,P2,true,medium,{window}\n"
                     f"REV-09,A3,P3,false,,{window}\nREV-09,A4,P4,true,medium,{window}\n"
                     "REV-09,A5,P5,true,medium,2026-10-01,2026-10-01\n"  # not judged on 11-01
                     f"REV-01,H1,P6,true,high,{window}\n"
                     f"ELG-01,P7,P8,true,high,{window}\nHRD-01,X,X,true,high,{window}\n", encoding="utf-8")
    scores = score_rules(home, truth, ("REV-", "ELG-"))
    assert set(scores) == {"REV-01", "REV-09", "ELG-01"}
    rev = scores["REV-09"]
    assert (rev.planted, rev.near_misses, rev.fired, rev.caught, rev.unjudged) == (3, 1, 4, 1, 1)
    assert rev.near_misses_fired == ["A3"]
    assert rev.recall == pytest.approx(1 / 3) and rev.precision == pytest.approx(1 / 3)
    assert sorted(rev.missed) == ["A2", "A4"] and sorted(rev.false_alarms) == ["A3", "A9"]
    assert scores["ELG-01"].id_mismatches == ["P7: 'P7', truth 'P8'"]
    assert scores["REV-01"].severity_mismatches == ["H1: medium, truth high"]
    assert scores["REV-01"].severity_agreement == 0 and scores["REV-01"].wrong
    assert "REV-09" in format_scores(scores)
