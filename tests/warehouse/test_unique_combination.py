"""The `unique_combination` test's query (hash first, real values re-checked) reports
exactly what a GROUP BY over the key columns reports: planted duplicates, NULLs
grouped as GROUP BY groups them, and nothing more when hashes collide (forced with
a hash mask). The macro is plain Jinja, rendered here as dbt renders it, and run
on a real DuckDB table."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import duckdb
import jinja2
import pytest

MACRO_FILE = Path(__file__).parents[2] / "dbt_project" / "macros" / "unique_combination_failures.sql"
KEY = ["id_number", "month", "item"]
# None: the real 64-bit hash; 0: every row collides; 1 and 15: a few buckets.
HASH_MASKS = [None, 0, 1, 15]


def failures_query(relation: str, columns: list[str], hash_mask: int | None) -> str:
    """The test's SQL, rendered from the macro file the dbt project uses."""
    module = jinja2.Environment().from_string(MACRO_FILE.read_text(encoding="utf-8")).module
    return str(module.unique_combination_failures(relation, columns, hash_mask=hash_mask))


def reference_failures(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str]) -> list[tuple]:
    """What the test reported before: one GROUP BY over the key columns."""
    keys = ", ".join(f'"{c}"' for c in columns)
    return sorted(
        con.sql(f"select {keys}, count(*) from {relation} group by {keys} having count(*) > 1").fetchall(),
        key=repr,
    )


def failures(
    con: duckdb.DuckDBPyConnection, relation: str, columns: list[str], hash_mask: int | None
) -> list[tuple]:
    return sorted(con.sql(failures_query(relation, columns, hash_mask)).fetchall(), key=repr)


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create table insurance (id_number varchar, month date, item varchar, amount decimal(14, 2))")
    rows = [
        (f"15292119800101{i:04d}", f"2026-{m:02d}-01", item, 10)
        for i in range(50)
        for m in (1, 2, 3)
        for item in ("pension", "medical")
    ]
    con.executemany("insert into insurance values (?, ?, ?, ?)", rows)
    return con


@pytest.mark.parametrize("hash_mask", HASH_MASKS)
def test_unique_rows_pass_even_when_every_hash_collides(con, hash_mask) -> None:
    assert failures(con, "insurance", KEY, hash_mask) == []


@pytest.mark.parametrize("hash_mask", HASH_MASKS)
def test_planted_duplicates_are_reported_with_their_count(con, hash_mask) -> None:
    con.execute("insert into insurance values ('152921198001010007', '2026-02-01', 'pension', 99)")
    repeat_row = (
        "insert into insurance select * from insurance"
        " where id_number = '152921198001010042' and month = '2026-03-01' and item = 'medical'"
    )
    con.execute(repeat_row)  # 2 rows
    con.execute(repeat_row)  # 4 rows
    found = failures(con, "insurance", KEY, hash_mask)
    assert found == [
        ("152921198001010007", date(2026, 2, 1), "pension", 2),
        ("152921198001010042", date(2026, 3, 1), "medical", 4),
    ]
    assert found == reference_failures(con, "insurance", KEY)


@pytest.mark.parametrize("hash_mask", HASH_MASKS)
def test_nulls_repeat_as_group_by_groups_them(con, hash_mask) -> None:
    con.executemany(
        "insert into insurance values (?, ?, ?, 1)",
        [
            (None, "2026-01-01", "pension"),
            (None, "2026-01-01", "pension"),  # repeats the row above: NULL = NULL here
            (None, "2026-01-01", "medical"),  # differs in item: no repeat
            ("152921198001010001", None, None),
            ("152921198001010001", None, None),  # repeats
            ("152921198001010002", None, "pension"),
            (None, None, None),  # a single all-NULL row: no repeat
        ],
    )
    found = failures(con, "insurance", KEY, hash_mask)
    assert len(found) == 2
    assert found == reference_failures(con, "insurance", KEY)


@pytest.mark.parametrize("hash_mask", [0, 3])
def test_collisions_never_hide_or_invent_a_duplicate(hash_mask) -> None:
    """Random tables with many repeats and few hash buckets give the reference answer."""
    rng = random.Random(14)
    con = duckdb.connect()
    for trial in range(20):
        con.execute("create or replace table t (a varchar, b integer)")
        rows = [
            (rng.choice(["x", "y", "z", None]), rng.choice([1, 2, 3, None]))
            for _ in range(rng.randint(1, 14))
        ]
        con.executemany("insert into t values (?, ?)", rows)
        for key in (["a", "b"], ["a"]):
            assert failures(con, "t", key, hash_mask) == reference_failures(con, "t", key), (trial, key, rows)


@pytest.mark.parametrize("hash_mask", [None, 0])
def test_values_group_by_takes_as_equal_hash_equal(hash_mask) -> None:
    """0.0 and -0.0, and two NaNs, are one value to GROUP BY: their hashes must agree too."""
    con = duckdb.connect()
    con.execute("create table t (x double, y varchar)")
    con.execute("insert into t values (0.0, 'a'), (-0.0, 'a'), ('nan', 'b'), (-'nan'::double, 'b')")
    con.execute("insert into t values (1.5, 'c')")
    found = failures(con, "t", ["x", "y"], hash_mask)
    assert [row[1:] for row in found] == [("a", 2), ("b", 2)]
    assert repr(found) == repr(reference_failures(con, "t", ["x", "y"]))  # repr: nan != nan
