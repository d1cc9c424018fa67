"""The dismissed share per rule, for league users (the workspace's statistics page).

Why a function over the published warehouse: the figures are computed by dbt
(marts.ind_13_rule_dismissals, IND-13), so the page and the analysts read the same
numbers; this only fetches them in the order a league official reads them (the rules
officials most often find 不属实 first).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class RuleDismissals:
    """How officials answered one rule's warnings up to the warehouse's as_of."""

    rule_id: str
    rule_name_zh: str
    category: str
    warnings_raised: int
    warnings_verified: int
    warnings_dismissed: int
    warnings_handled: int
    dismissed_share: float | None


def dismissed_share_by_rule(con: duckdb.DuckDBPyConnection) -> list[RuleDismissals]:
    """Every rule with its dismissed share, highest share first (rules nobody answered last)."""
    rows = con.execute(
        """
        select rule_id, rule_name_zh, category, warnings_raised, warnings_verified,
               warnings_dismissed, warnings_handled, dismissed_share
        from marts.ind_13_rule_dismissals
        order by dismissed_share desc nulls last, warnings_verified desc, rule_id
        """
    ).fetchall()
    return [RuleDismissals(*row) for row in rows]
