"""Score the warnings of a built warehouse against the simulator's planted truth.

Why a thin wrapper: the single-date rule tests (on the shared `built_home`) and the
replay check judge warnings the same way, in `simulator.truth_check` (recall,
precision, severity agreement, near misses, unjudged planted subjects). Here the
date is the warehouse's own as_of.
"""

from __future__ import annotations

from pathlib import Path

from aidwatch.home import Home
from simulator.truth_check import RuleScore, format_table, raised_warnings, read_truth, score_on

__all__ = ["RuleScore", "format_scores", "score_rules"]


def score_rules(home: Home, truth_csv: Path,
                rule_prefixes: tuple[str, ...] | None = None) -> dict[str, RuleScore]:
    """Per rule id (optionally only ids starting with one of `rule_prefixes`), the score
    of the published warehouse of `home` against the truth on its as_of."""
    as_of, raised = raised_warnings(home.warehouse)
    return score_on(read_truth(truth_csv), raised, as_of, rule_prefixes)


def format_scores(scores: dict[str, RuleScore]) -> str:
    """A table for the test output: one line per rule."""
    return format_table({"as_of": scores})
