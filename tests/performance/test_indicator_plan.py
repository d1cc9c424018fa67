"""IND-02 counts registered residents without a distinct aggregate over every hukou row.

Why: `ind_02_coverage_rate` counted distinct IDs per hukou delivery and region with a
hash aggregate over every snapshot row (61 M at scale 10: 31 CPU s, spilling under a
3 GB ceiling; the build's largest node). An ID is unique within a batch, so a delivery
of one batch is counted with a plain count; only an extract date delivered in several
batches keeps the distinct count. This test runs the model's compiled SQL from the
session's build under EXPLAIN ANALYZE and checks that no aggregate in the plan produced
a group per hukou row. That the result is unchanged is checked by the dbt unit test
`coverage_rate_counts_residents_once_per_delivery` (both paths) and by comparing the
warehouses built before and after (scale 1 and 10, every table equal).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import duckdb

from aidwatch.home import Home
from tests.fixtures.simulated import TEST_AS_OF


def operators(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("children", []):
        yield from operators(child)


def test_coverage_rate_groups_far_fewer_rows_than_hukou_has(built_home: Home) -> None:
    compiled = (
        built_home.dbt_work / "target" / "compiled" / "aidwatch" / "models" / "marts" / "indicators"
    ) / "ind_02_coverage_rate.sql"
    con = duckdb.connect()
    try:
        con.execute(f"attach '{built_home.warehouse}' as warehouse (read_only)")
        con.execute(f"create macro main.aidwatch_as_of() as date '{TEST_AS_OF.isoformat()}'")
        hukou_rows = con.execute(
            f"select count(*) from read_parquet('{built_home.root}/raw/ps_hukou/*.parquet',"
            " union_by_name=true)"
            f" where _extract_date <= date '{TEST_AS_OF.isoformat()}' and hukou_status = 'normal'"
        ).fetchall()[0][0]
        sql = compiled.read_text(encoding="utf-8")
        with contextlib.chdir(built_home.root):  # as dbt runs: the sources read raw/ relative to HOME
            profile = json.loads(con.execute("explain (analyze, format json) " + sql).fetchall()[0][1])
        published = con.execute("select count(*) from warehouse.marts.ind_02_coverage_rate").fetchall()[0][0]
    finally:
        con.close()
    plan = [op for root in profile["operator"] for op in operators(root)]
    aggregates = [op for op in plan if op["type"] == "HASH_GROUP_BY"]
    assert hukou_rows > 1_000 and published > 0
    assert aggregates, "the plan changed shape: no aggregate at all"
    # the distinct count grouped (extract, banner, township, id): one group per hukou row
    assert max(op["intermediate_rows"] for op in aggregates) < hukou_rows / 4
