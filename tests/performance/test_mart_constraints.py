"""Not-null and accepted-values checks and keys are contract constraints, enforced by DuckDB:
on the marts, the staging models, the warning rules and the intermediate models that have few
columns.

Why: a dbt data test is a node of its own (compile, query, result: ~15-25 ms of dbt
overhead each), and the contract-enforced table marts carried ~280 of them. On those marts
dbt-duckdb already creates the table from the contract and inserts the model's rows into it,
so a `not_null` or `check` constraint in the contract protects the same thing at no extra
node: a null, or a code outside the accepted list, fails the model's insert and with it the
build, and nothing is published (as a failing test did). Nulls pass a check constraint as
they passed `accepted_values`. The staging models' constraints are generated from the feed
contracts (warehouse/dbt_sources.py; 149 test nodes before). A key that was a `unique` or
`unique_combination` test on a rule or a mart whose key columns are all required is a
primary key (or, where the table has one already, a unique constraint): a repeated key fails
the insert, naming the key. With the contracts of warnings_this_run and of ten intermediate
models this took a daily build from 196 data tests to 101. A key over every person or every
record keeps its `unique` test (the staging models, fct_aid, int_person_sightings, dim_person,
int_people, int_hukou_members, int_verified_income, wrn_helper_person_home): DuckDB builds an
index for a key constraint, 0.65 s for 261k IDs against ~0.03 s for the test's query, and it
would grow with the population and be copied with the warehouse every day. These tests read
the session's published warehouse and a copy of it; they never write into the session HOME.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from aidwatch.home import Home
from warehouse.build import PROJECT_DIR

MODELS = PROJECT_DIR / "models"
MARTS = MODELS / "marts"


#: dbt's constraint types -> DuckDB's names for them (duckdb_constraints())
KINDS = {"not_null": "NOT NULL", "check": "CHECK", "primary_key": "PRIMARY KEY", "unique": "UNIQUE"}

Declared = dict[str, set[tuple[tuple[str, ...], str]]]


def declared_constraints() -> Declared:
    """model -> {(columns, 'NOT NULL' | 'CHECK' | 'PRIMARY KEY' | 'UNIQUE')} declared in the
    models' YAML, on a column or on the model (anchors resolved)."""
    declared: Declared = {}
    for path in sorted(MODELS.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            found = declared.setdefault(model["name"], set())
            for column in model.get("columns") or []:
                for constraint in column.get("constraints") or []:
                    found.add(((column["name"],), KINDS[constraint["type"]]))
            for constraint in model.get("constraints") or []:
                found.add((tuple(constraint["columns"]), KINDS[constraint["type"]]))
            if not found:
                del declared[model["name"]]
    return declared


def test_every_declared_constraint_is_in_the_published_warehouse(built_home: Home) -> None:
    declared = declared_constraints()
    assert sum(len(columns) for columns in declared.values()) > 150  # the marts' checks moved here
    assert {"stg_ca_households", "stg_hrss_insurance"} <= set(declared)  # and the staging models'
    keys = {model for model, found in declared.items() if any(kind == "PRIMARY KEY" for _, kind in found)}
    assert {"dim_household", "warnings", "wrn_rev_01", "wrn_hrd_07", "ind_02_coverage_rate"} <= keys
    con = duckdb.connect(str(built_home.warehouse), read_only=True)
    try:
        rows = con.execute(
            "select table_name, constraint_column_names, constraint_type from duckdb_constraints() "
            f"where constraint_type in {tuple(KINDS.values())}"
        ).fetchall()
    finally:
        con.close()
    enforced: Declared = {}
    for table, columns, kind in rows:
        enforced.setdefault(table, set()).add((tuple(columns), kind))
    missing = {model: sorted(want - enforced.get(model, set())) for model, want in declared.items()}
    assert {model: gaps for model, gaps in missing.items() if gaps} == {}


def test_a_mart_check_lists_exactly_the_accepted_codes() -> None:
    text = (MARTS / "warnings" / "_household_priority.yml").read_text(encoding="utf-8")
    model = yaml.safe_load(text)["models"][0]
    kinds = next(c for c in model["columns"] if c["name"] == "household_kind")
    [check] = [c["expression"] for c in kinds["constraints"] if c["type"] == "check"]
    assert re.fullmatch(r"household_kind in \('assisted', 'hukou', 'rural_monitoring'\)", check)


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("household_kind = null", "NOT NULL constraint failed"),
        ("household_kind = 'tenant'", "CHECK constraint failed"),
        ("highest_severity = 'urgent'", "CHECK constraint failed"),
    ],
)
def test_a_null_or_an_unknown_code_is_refused_by_the_mart(
    built_home: Home, tmp_path: Path, assignment: str, message: str
) -> None:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_home.warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        assert con.execute("select count(*) from marts.household_priority").fetchone()[0] > 0
        with pytest.raises(duckdb.ConstraintException, match=message):
            con.execute(f"update marts.household_priority set {assignment}")
    finally:
        con.close()


def test_a_null_passes_a_check_as_it_passed_accepted_values(built_home: Home, tmp_path: Path) -> None:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_home.warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        copy_of_a_row = "insert into marts.warning_status select * replace ({} as reopened_reason, " \
                        "'{}' || warning_key as warning_key) from marts.warning_status limit 1"  # a new key
        con.execute(copy_of_a_row.format("null", "a "))
        with pytest.raises(duckdb.ConstraintException, match="CHECK constraint failed"):
            con.execute(copy_of_a_row.format("'forgotten'", "another "))
    finally:
        con.close()


#: stands for the warning rule table with the most rows in the session's warehouse
A_RULE = "a warning rule (wrn_*)"


@pytest.mark.parametrize(
    "table",
    ["dim_household", "warnings", A_RULE, "ind_02_coverage_rate", "household_roll_history",
     "household_priority"],
)
def test_a_second_row_for_a_key_is_refused_by_the_table(built_home: Home, tmp_path: Path, table: str) -> None:
    """The keys that were `unique` / `unique_combination` tests are primary keys or unique
    constraints: a repeated key fails the write (in a build, the model and so the build)."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_home.warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        if table == A_RULE:
            [(table,)] = con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' "
                "and table_name similar to 'wrn_(rev|elg|hrd|cov|std)_[0-9]+' "
                "order by estimated_size desc limit 1"
            ).fetchall()
        assert con.execute(f"select count(*) from marts.{table}").fetchone()[0] > 0
        with pytest.raises(duckdb.ConstraintException, match="(?i)duplicate key"):
            con.execute(f"insert into marts.{table} select * from marts.{table} limit 1")
    finally:
        con.close()
