"""The analyst schema: pseudonymised IDs, masked names, stable pseudonyms, no key no views."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import duckdb
import pytest

from aidwatch.home import Home
from exports.analyst import KEY_ENV, create_analyst_schema, ensure_demo_key, load_key, pseudonym
from tests.exports.conftest import PEOPLE


def analyst_cells(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Every non-null value of every analyst view, as text, by view."""
    views = [row[0] for row in con.execute(
        "select table_name from information_schema.tables where table_schema = 'analyst'"
    ).fetchall()]
    cells: dict[str, list[str]] = {}
    for view in views:
        rows = con.execute(f'select * from analyst."{view}"').fetchall()
        cells[view] = [str(value) for row in rows for value in row if value is not None]
    return cells


def people_of(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    rows = con.execute("select id_number, name from marts.dim_person").fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


def assert_views_hide_people(con: duckdb.DuckDBPyConnection, substring_names: bool = True) -> None:
    ids, names = people_of(con)
    cells = analyst_cells(con)
    marts = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
    assert set(cells) == marts
    for view, values in cells.items():
        for value in values:
            for full_id in ids:
                assert full_id not in value.upper(), (view, value)
            for name in names:
                if len(name) >= 2:
                    hidden = name not in value if substring_names else name != value
                    assert hidden, (view, value)


def test_views_expose_no_full_id_or_name(small_home: Home, pseudonym_key: str) -> None:
    with duckdb.connect(str(small_home.warehouse)) as con:
        assert create_analyst_schema(con, small_home) is True
        assert_views_hide_people(con)
        person = PEOPLE[0][0]
        expected = pseudonym(pseudonym_key.encode(), person)
        # the same person has the same pseudonym in every view, so analysts can join
        dim = con.execute("select id_number, name from analyst.dim_person where id_number = ?", [expected])
        assert dim.fetchall() == [(expected, "张*丰")]
        subjects = con.execute(
            "select distinct subject_key from analyst.warnings where rule_id = 'ELG-01'").fetchall()
        assert subjects == [(expected,)]
        households = {r[0] for r in con.execute("select subject_key from analyst.warnings "
                                                "where subject_type = 'household'").fetchall()}
        assert "H001" in households  # household ids are not ID numbers: kept as they are
        heads = con.execute("select head_name, head_id_number from analyst.household_priority "
                            "where household_id = 'H001'").fetchall()
        assert heads == [("张*丰", expected)]
        evidence = con.execute("select evidence from analyst.warnings where rule_id = 'HRD-06'").fetchone()[0]
        assert "1501**********0590" in evidence
        household = con.execute("select head_id_number, head_name, member_id_numbers, hukou_nos "
                                "from analyst.dim_household order by household_id").fetchall()
        second = pseudonym(pseudonym_key.encode(), PEOPLE[1][0])
        third = pseudonym(pseudonym_key.encode(), PEOPLE[2][0])
        assert household == [(expected, "张*丰", f"{expected} {second}", "HK1 HK2"),
                             (third, "王*", third, "HK3")]
        keys = con.execute("select source_key, id_number from analyst.fct_aid order by amount").fetchall()
        assert keys == [(expected, expected), (f"DCA1529**********{PEOPLE[1][0][-4:]}202611", second),
                        ("PAY000123", pseudonym(pseudonym_key.encode(), PEOPLE[2][0]))]
        keys_now = con.execute("select a.warning_key, m.warning_key from analyst.warnings a "
                               "join marts.warnings m using (rule_id, evidence)").fetchall()
        assert keys_now and all(a == pseudonym(pseudonym_key.encode(), m) for a, m in keys_now)
        regions = {r[0] for r in con.execute("select region_name from analyst.dim_region").fetchall()}
        assert "温都尔勒图镇" in regions  # region names are not people's names


def test_same_pseudonym_across_runs_and_warehouses(small_home: Home, pseudonym_key: str,
                                                   tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(small_home.warehouse, copy)
    with duckdb.connect(str(small_home.warehouse)) as con:
        create_analyst_schema(con, small_home)
        first = con.execute("select id_number, name from analyst.dim_person order by 1").fetchall()
        create_analyst_schema(con, small_home)  # a second run replaces the schema
        again = con.execute("select id_number, name from analyst.dim_person order by 1").fetchall()
    with duckdb.connect(str(copy)) as con:
        create_analyst_schema(con, small_home)
        other = con.execute("select id_number, name from analyst.dim_person order by 1").fetchall()
    assert first == again == other and len(first) == len(PEOPLE)
    assert all(value.startswith("P") and len(value) == 25 for value, _ in first)


def test_other_key_gives_other_pseudonyms(small_home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "key-one")
    with duckdb.connect(str(small_home.warehouse)) as con:
        create_analyst_schema(con, small_home)
        one = {r[0] for r in con.execute("select id_number from analyst.dim_person").fetchall()}
        monkeypatch.setenv(KEY_ENV, "key-two")
        create_analyst_schema(con, small_home)
        two = {r[0] for r in con.execute("select id_number from analyst.dim_person").fetchall()}
    assert one and not one & two


def test_refuses_without_a_key(small_home: Home, monkeypatch: pytest.MonkeyPatch,
                               caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with duckdb.connect(str(small_home.warehouse)) as con:
        assert create_analyst_schema(con, small_home) is False
        schemas = {r[0] for r in con.execute(
            "select schema_name from information_schema.schemata"
        ).fetchall()}
    assert "analyst" not in schemas and "pseudonymisation" not in schemas
    assert "no pseudonym key" in caplog.text


def test_demo_key_file_is_owner_only_and_used(small_home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = ensure_demo_key(small_home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    key = load_key(small_home)
    assert key and len(key) == 64
    assert ensure_demo_key(small_home) == path and load_key(small_home) == key  # kept, not replaced
    with duckdb.connect(str(small_home.warehouse)) as con:
        assert create_analyst_schema(con, small_home) is True
        assert_views_hide_people(con)
    os.chmod(path, 0o644)
    with duckdb.connect(str(small_home.warehouse)) as con:
        assert create_analyst_schema(con, small_home) is False
