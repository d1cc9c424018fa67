"""STD-01/STD-02 on a real warehouse: the rules.md worked check.

The league's 2025 care standards (1,287 and 495 a month) are exactly 65% and 25% of
1,980, the minimum wage in force one year before they took effect, so they pass;
read against 2,270 (the wage from 2024-12-01) they would fail. The test runs the
compiled SQL of the real rule models from the `built_home` build against a copy of
its warehouse whose int_standards holds chosen rows: the reference standards of the
`standards` seed, plus banner rows that fall a fen short or take effect on either
side of the one-year lag.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

RULES_DIR = Path("target") / "compiled" / "aidwatch" / "models" / "marts" / "warnings" / "rules"


@pytest.fixture(scope="module")
def compiled(built_home) -> dict[str, str]:
    """The compiled SELECT of the standards rules, as the build ran them."""
    folder = built_home.dbt_work / RULES_DIR
    return {rule: (folder / f"{rule}.sql").read_text(encoding="utf-8")
            for rule in ("wrn_std_01", "wrn_std_02")}


@pytest.fixture
def warehouse_copy(built_home, compiled, tmp_path):
    """A writable copy of the published warehouse, attached under the catalog name the
    compiled SQL uses (`"<catalog>".<schema>.<table>`)."""
    catalog = re.search(r'"([^"]+)"\."staging"\."regions"', compiled["wrn_std_02"]).group(1)
    copy = tmp_path / "warehouse_copy.duckdb"
    shutil.copyfile(built_home.warehouse, copy)
    con = duckdb.connect()
    con.execute(f"attach '{copy}' as \"{catalog}\"")
    con.execute(f"use \"{catalog}\"")
    yield con
    con.close()


def use_standards(con, extra_rows: list[tuple[str, str, str, str]]) -> None:
    """int_standards := the reference standards seed + `extra_rows` (region, standard, amount, from),
    the extra rows as if ca_standards delivered them (int_standards' contract accepts no other origin)."""
    con.execute("delete from intermediate.int_standards")
    con.execute(
        "insert into intermediate.int_standards (region_code, standard, amount, effective_from, origin) "
        "select region_code, standard, amount, effective_from, 'seed' from staging.standards")
    for region, standard, amount, effective_from in extra_rows:
        con.execute(
            "insert into intermediate.int_standards (region_code, standard, amount, effective_from, origin) "
            "values (?, ?, cast(? as decimal(14, 2)), cast(? as date), 'ca_standards')",
            [region, standard, amount, effective_from])


def fired(con, sql: str) -> dict[str, dict]:
    return {key: json.loads(evidence) for key, evidence in
            con.execute(f"select subject_key, evidence from ({sql})").fetchall()}


def test_reference_2025_standards_pass_both_rules(warehouse_copy, compiled):
    use_standards(warehouse_copy, [])
    reference = dict(warehouse_copy.execute(
        "select standard || '@' || effective_from, amount from staging.standards").fetchall())
    assert reference["tekun_care_full@2025-01-01"] == 1287
    assert reference["tekun_care_partial@2025-01-01"] == 495
    assert reference["min_wage@2021-12-01"] == 1980 and reference["min_wage@2024-12-01"] == 2270
    assert fired(warehouse_copy, compiled["wrn_std_02"]) == {}
    assert fired(warehouse_copy, compiled["wrn_std_01"]) == {}


def test_read_against_the_current_wage_the_reference_would_fail(warehouse_copy, compiled):
    use_standards(warehouse_copy, [])
    warehouse_copy.execute(
        "update staging.rule_parameters set value = '0' where parameter = 'min_wage_lag_months'")
    result = fired(warehouse_copy, compiled["wrn_std_02"])
    assert set(result) == {"152921", "152922", "152923", "152971"}
    facts = result["152921"]
    assert facts["care_full_min_wage"] == 2270 and facts["care_full_required"] == 1475.5
    assert facts["failing_standards"] == "tekun_care_full,tekun_care_partial"


def test_care_below_the_share_fires_and_the_lag_boundary_holds(warehouse_copy, compiled):
    use_standards(warehouse_copy, [
        ("152922", "tekun_care_full", "1286.99", "2025-01-01"),  # a fen below 65% of 1980
        ("152923", "tekun_care_partial", "494.99", "2025-01-01"),  # a fen below 25% of 1980
        ("152921", "tekun_care_full", "1287.00", "2025-12-01"),  # reads 2024-12-01: 2270
        ("152971", "tekun_care_full", "1287.00", "2025-11-30"),  # reads 2024-11-30: 1980
    ])
    result = fired(warehouse_copy, compiled["wrn_std_02"])
    assert set(result) == {"152921", "152922", "152923"}
    assert result["152921"]["care_full_min_wage"] == 2270 and result["152921"]["care_full_required"] == 1475.5
    assert result["152922"]["failing_standards"] == "tekun_care_full"
    assert result["152922"]["care_full_min_wage"] == 1980 and result["152922"]["care_full_required"] == 1287
    assert result["152923"]["failing_standards"] == "tekun_care_partial"


def test_tekun_basic_below_the_multiple_fires(warehouse_copy, compiled):
    use_standards(warehouse_copy, [
        ("152922", "tekun_basic_urban", "1371.49", "2025-06-01"),  # 1.3 x 1055 = 1371.50
        ("152923", "tekun_basic_rural", "1371.50", "2025-06-01"),  # exactly the multiple
    ])
    result = fired(warehouse_copy, compiled["wrn_std_01"])
    assert set(result) == {"152922"}
    assert result["152922"]["failing_kinds"] == "urban" and result["152922"]["required_urban"] == 1371.5
