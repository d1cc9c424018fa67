"""The marts' and staging models' not-null and accepted-values checks are contract constraints,
enforced by DuckDB.

Why: a dbt data test is a node of its own (compile, query, result: ~15-25 ms of dbt
overhead each), and the contract-enforced table marts carried ~280 of them. On those marts
dbt-duckdb already creates the table from the contract and inserts the model's rows into it,
so a `not_null` or `check` constraint in the contract protects the same thing at no extra
node: a null, or a code outside the accepted list, fails the model's insert and with it the
build, and nothing is published (as a failing test did). Nulls pass a check constraint as
they passed `accepted_values`. The staging models' constraints are generated from the feed
contracts (warehouse/dbt_sources.py; 149 test nodes before). These tests read the session's
published warehouse and a copy of it; they never write into the session HOME.
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


def declared_constraints() -> dict[str, set[tuple[str, str]]]:
    """model -> {(column, 'NOT NULL' | 'CHECK')} declared in the models' YAML (anchors resolved)."""
    declared: dict[str, set[tuple[str, str]]] = {}
    for path in sorted(MODELS.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            for column in model.get("columns") or []:
                for constraint in column.get("constraints") or []:
                    kind = {"not_null": "NOT NULL", "check": "CHECK"}[constraint["type"]]
                    declared.setdefault(model["name"], set()).add((column["name"], kind))
    return declared


def test_every_declared_constraint_is_in_the_published_warehouse(built_home: Home) -> None:
    declared = declared_constraints()
    assert sum(len(columns) for columns in declared.values()) > 150  # the marts' checks moved here
    assert {"stg_ca_households", "stg_hrss_insurance"} <= set(declared)  # and the staging models'
    con = duckdb.connect(str(built_home.warehouse), read_only=True)
    try:
        rows = con.execute(
            "select table_name, constraint_column_names[1], constraint_type from duckdb_constraints() "
            "where constraint_type in ('NOT NULL', 'CHECK')"
        ).fetchall()
    finally:
        con.close()
    enforced: dict[str, set[tuple[str, str]]] = {}
    for table, column, kind in rows:
        enforced.setdefault(table, set()).add((column, kind))
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
        con.execute("insert into marts.warning_status select * replace (null as reopened_reason) "
                    "from marts.warning_status limit 1")
        with pytest.raises(duckdb.ConstraintException, match="CHECK constraint failed"):
            con.execute("insert into marts.warning_status select * replace ('forgotten' as reopened_reason) "
                        "from marts.warning_status limit 1")
    finally:
        con.close()
