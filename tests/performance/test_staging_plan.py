"""Staging an event feed costs a pass over its rows, not a per-key aggregate of its history.

Why: `stg_hrss_insurance` de-duplicated every monthly insurance row ever delivered per key
(a hash aggregate and a join back over 40 M rows at scale 10: 209 CPU s, spilling under a
3 GB ceiling). The stage_feed macro now aggregates only the batches whose key ranges meet
another batch's; monthly deliveries of their own months pass straight through. These
tests run the model's compiled SQL from the session's build under EXPLAIN ANALYZE and
check that no aggregate in the plan produces more groups than there are batches, so the
per-key aggregate saw no rows. That the result is unchanged is checked by the dbt unit
tests in dbt_project/models/staging/_stg_unit_tests.yml and the stg key tests.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import duckdb
import pytest

from aidwatch.home import Home
from tests.fixtures.simulated import TEST_AS_OF


def operators(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("children", []):
        yield from operators(child)


def profiled_plan(home: Home, model: str) -> tuple[list[dict], int]:
    """EXPLAIN ANALYZE of the model's compiled SQL: (every operator, rows of the result)."""
    compiled = home.dbt_work / "target" / "compiled" / "aidwatch" / "models" / "staging" / f"{model}.sql"
    con = duckdb.connect()
    try:  # in HOME, as dbt runs: the sources read raw/ relative to it
        con.execute(f"create macro main.aidwatch_as_of() as date '{TEST_AS_OF.isoformat()}'")
        sql = compiled.read_text(encoding="utf-8")
        with contextlib.chdir(home.root):
            profile = json.loads(con.execute("explain (analyze, format json) " + sql).fetchall()[0][1])
            rows = con.execute(f"select count(*) from ({sql})").fetchone()[0]
    finally:
        con.close()
    return [op for root in profile["operator"] for op in operators(root)], rows


def batches_delivered(home: Home, feed_id: str) -> int:
    con = duckdb.connect()
    try:
        return con.execute(
            f"select count(distinct _batch_id) from read_parquet('{home.root}/raw/{feed_id}/*.parquet',"
            f" union_by_name=true) where _extract_date <= date '{TEST_AS_OF.isoformat()}'"
        ).fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("feed_id", ["hrss_insurance", "hpf_provident_fund"])
def test_monthly_event_feed_is_staged_without_a_per_key_aggregate(built_home: Home, feed_id: str) -> None:
    plan, rows = profiled_plan(built_home, f"stg_{feed_id}")
    batches = batches_delivered(built_home, feed_id)
    assert batches >= 3 and rows > 10 * batches  # several monthly deliveries, many rows each
    aggregates = [op for op in plan if op["type"] == "HASH_GROUP_BY"]
    assert aggregates, "the plan changed shape: no aggregate at all"
    assert max(op["intermediate_rows"] for op in aggregates) <= batches
