"""The analyst file: pseudonymised person keys, masked names, no map, no marts, no key no file."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import stat
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from stdnum.cn import ric

from aidwatch.duckdb_memory import MEMORY_LIMIT_ENV
from aidwatch.home import Home
from exports import analyst
from exports.analyst import (
    KEY_ENV,
    Pseudonymiser,
    PseudonymKeyMissing,
    drop_retired_schemas,
    ensure_demo_key,
    load_key,
    pseudonym,
    pseudonyms_of_digests,
    publish_analyst_file,
)
from tests.exports.conftest import PEOPLE, make_warehouse
from tests.fixtures.duckdb_ceiling import ceiling_of, duckdb_states

ID_RUN = re.compile(r"[0-9]{17}[0-9Xx]|[0-9]{15}")


def analyst_cells(path: Path) -> dict[str, list[str]]:
    """Every non-null value of every table of an analyst file, as text, by table (floats aside:
    their 17 significant digits are no ID)."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [row[0] for row in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables").fetchall()]
        return {table: [str(value) for row in con.execute(f"select * from {table}").fetchall()
                        for value in row if value is not None and not isinstance(value, float)]
                for table in tables}


def people_of(warehouse: Path) -> tuple[list[str], list[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select id_number, name from marts.dim_person").fetchall()
    return [r[0] for r in rows], [r[1] for r in rows if r[1]]


def identities_in(cells: dict[str, list[str]], ids: list[str], names: list[str]) -> list[tuple[str, str]]:
    """(table, value) for every 15/18-digit run (so every full ID), every value that is a person's
    full name, and every value with a name of three or more characters inside."""
    assert all(ID_RUN.fullmatch(full_id) for full_id in ids if full_id)
    name_set = set(names)
    long_names = sorted({name for name in names if len(name) >= 3}, key=len, reverse=True)
    inside = re.compile("|".join(map(re.escape, long_names))) if long_names else None
    return [(table, value) for table, values in cells.items() for value in values
            if ID_RUN.search(value) or value in name_set or (inside and inside.search(value))]


def test_analyst_file_joins_without_identities(small_home: Home, pseudonym_key: str) -> None:
    result = publish_analyst_file(small_home)
    key = pseudonym_key.encode()
    assert result.path == small_home.analyst_file and not small_home.analyst_next.exists()
    cells = analyst_cells(small_home.analyst_file)
    assert identities_in(cells, *people_of(small_home.warehouse)) == []
    with duckdb.connect(str(small_home.analyst_file), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select distinct table_schema from information_schema.tables")
                   .fetchall()}
        assert schemas == {"main"}
        with pytest.raises(duckdb.CatalogException):
            con.execute("select * from marts.dim_person")
        first = pseudonym(key, PEOPLE[0][0])
        assert con.execute("select name from analyst.dim_person where id_number = ?", [first]).fetchall() \
            == [("张*丰",)]
        # joinable: aid, warnings and households reach the person through the same pseudonym
        joined = con.execute(
            "select count(*) from analyst.fct_aid a join analyst.dim_person p using (id_number)").fetchall()
        assert joined == [(3,)]
        keys = con.execute("select source_key from analyst.fct_aid order by amount").fetchall()
        assert keys == [(first,), (pseudonym(key, f"DCA{PEOPLE[1][0]}202611"),), ("PAY000123",)]
        subjects = con.execute("select subject_key from analyst.warnings where rule_id = 'ELG-01'").fetchall()
        assert subjects == [(first,)]
        evidence = con.execute("select evidence from analyst.warnings where rule_id = 'HRD-06'").fetchone()[0]
        assert pseudonym(key, PEOPLE[4][0]) in evidence
        household = con.execute("select head_id_number, head_name, member_id_numbers, hukou_nos "
                                "from analyst.dim_household order by household_id").fetchall()
        assert household[0] == (first, "张*丰", f"{first} {pseudonym(key, PEOPLE[1][0])}",
                                f"{pseudonym(key, 'HK1')} {pseudonym(key, 'HK2')}")
        # a household ranked by its hukou number joins the person's pseudonymised hukou_no
        by_hukou = con.execute("select p.name from analyst.household_priority h join analyst.dim_person p "
                               "on p.hukou_no = h.household_key").fetchall()
        assert by_hukou == [("巴*尔",)]
        assert con.execute("select household_key from analyst.household_priority where priority_rank = 1"
                           ).fetchall() == [("H002",)]  # not a person key: unchanged
        regions = {r[0] for r in con.execute("select region_name from analyst.dim_region").fetchall()}
        assert "温都尔勒图镇" in regions
        warning_keys = con.execute("select warning_key from analyst.warnings").fetchall()
    with duckdb.connect(str(small_home.warehouse), read_only=True) as con:
        originals = [r[0] for r in con.execute("select warning_key from marts.warnings").fetchall()]
    assert sorted(r[0] for r in warning_keys) == sorted(originals)  # one key for analysts and officials
    assert stat.S_IMODE(small_home.analyst_file.stat().st_mode) == 0o640
    # the SQL rules' macros (the key's HMAC pads are literals in them) stayed on the connection
    stored = small_home.analyst_file.read_bytes()
    assert b"aw_whole" not in stored and b"sha256" not in stored and key not in stored


def test_an_unsalted_md5_of_an_id_is_reversible_so_only_the_salted_warning_key_is_kept(
    small_home: Home, pseudonym_key: str
) -> None:
    """Why hash keys are re-keyed and why warning_key is salted in the warehouse: knowing the
    rule, the banner and the birth month, trying every ID of that month recovers the person
    from md5(rule|id) in a fraction of a second (tests/warehouse/test_warning_key.py checks
    that the warehouse's keys are salted)."""
    person = PEOPLE[0][0]
    leaked = hashlib.md5(f"ELG-01|{person}".encode()).hexdigest()
    found = None
    for day in range(1, 32):
        for sequence in range(1000):
            body = f"{person[:12]}{day:02d}{sequence:03d}"
            candidate = body + ric.calc_check_digit(body)
            if hashlib.md5(f"ELG-01|{candidate}".encode()).hexdigest() == leaked:
                found = candidate
                break
        if found:
            break
    assert found == person
    with duckdb.connect(str(small_home.warehouse)) as con:  # an unsalted hash key beside warning_key
        con.execute("create table marts.household_roll_history as "
                    "select md5(household_id || '|2026-11-01') as history_key, household_id "
                    "from marts.dim_household")
    publish_analyst_file(small_home)
    with duckdb.connect(str(small_home.analyst_file), read_only=True) as con:
        rehashed = {r[0] for r in con.execute("select history_key from household_roll_history").fetchall()}
        kept = {r[0] for r in con.execute("select warning_key from warnings").fetchall()}
    with duckdb.connect(str(small_home.warehouse), read_only=True) as con:
        history = {r[0] for r in con.sql("select history_key from marts.household_roll_history").fetchall()}
        warnings = {r[0] for r in con.execute("select warning_key from marts.warnings").fetchall()}
    assert rehashed and rehashed.isdisjoint(history)
    assert all(k.startswith("P") and len(k) == 25 for k in rehashed)
    assert kept == warnings


def test_the_analyst_file_is_written_under_duckdbs_memory_ceiling(
    small_home: Home, pseudonym_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pseudonymising writes run on a connection capped as the build's (aidwatch.duckdb_memory)."""
    ceilings: list[str] = []
    write_tables = analyst.write_tables

    def spied(con: duckdb.DuckDBPyConnection, key: bytes):
        ceilings.append(ceiling_of(con))
        return write_tables(con, key)

    monkeypatch.setattr(analyst, "write_tables", spied)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1GB")
    publish_analyst_file(small_home)
    assert ceilings == [duckdb_states("1GB")]


def test_same_pseudonyms_every_run_and_other_key_other_pseudonyms(
    small_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    def person_keys() -> list[str]:
        publish_analyst_file(small_home)
        with duckdb.connect(str(small_home.analyst_file), read_only=True) as con:
            return [r[0] for r in con.execute("select id_number from dim_person order by 1").fetchall()]

    monkeypatch.setenv(KEY_ENV, "key-one")
    one, again = person_keys(), person_keys()
    monkeypatch.setenv(KEY_ENV, "key-two")
    two = person_keys()
    assert one == again and len(one) == len(PEOPLE) and not set(one) & set(two)


def test_no_key_no_file_and_the_stale_one_is_removed(
    small_home: Home, pseudonym_key: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from warehouse.build import publish_analyst

    publish_analyst_file(small_home)
    assert small_home.analyst_file.exists()
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(PseudonymKeyMissing) as error:
        publish_analyst_file(small_home)
    assert KEY_ENV in str(error.value) and str(small_home.pseudonym_key_file) in str(error.value)
    assert not small_home.analyst_file.exists()
    # the build's call site: the warehouse stays published, the error names both key sources
    small_home.analyst_file.write_bytes(b"stale")
    assert publish_analyst(small_home) is None
    assert not small_home.analyst_file.exists()
    assert KEY_ENV in caplog.text and "pseudonym.key" in caplog.text


def test_demo_key_file_is_owner_only_and_used(small_home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = ensure_demo_key(small_home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    key = load_key(small_home)
    assert key and len(key) == 64
    assert ensure_demo_key(small_home) == path and load_key(small_home) == key  # kept, not replaced
    assert publish_analyst_file(small_home).path.exists()
    os.chmod(path, 0o644)
    with pytest.raises(PseudonymKeyMissing, match="owner-only"):
        publish_analyst_file(small_home)
    assert not small_home.analyst_file.exists()


def test_build_drops_analyst_schema_and_map_of_earlier_versions(small_home: Home) -> None:
    with duckdb.connect(str(small_home.warehouse)) as con:
        con.execute("create schema analyst; create view analyst.dim_person as select * from marts.dim_person")
        con.execute("create schema pseudonymisation; create table pseudonymisation.id_map (original varchar)")
    assert drop_retired_schemas(small_home.warehouse) == ["analyst", "pseudonymisation"]
    with duckdb.connect(str(small_home.warehouse), read_only=True) as con:
        schemas = {r[0] for r in con.execute(
            "select schema_name from information_schema.schemata").fetchall()}
    assert not schemas & {"analyst", "pseudonymisation"} and "marts" in schemas


def add_quasi_identifiers(warehouse: Path, persons: list[tuple[str, int, str, str, bool, bool]]) -> None:
    """Replace marts.dim_person by persons (id, age, sex, township, on_dibao, on_tekun)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table marts.dim_person")
        con.execute("create table marts.dim_person (id_number varchar, name varchar, gender varchar, "
                    "birth_date date, age integer, region_code varchar, township_code varchar, "
                    "banner_code varchar, on_dibao boolean, on_tekun boolean)")
        for idn, age, sex, township, dibao, tekun in persons:
            con.execute("insert into marts.dim_person values (?, '某某某', ?, ?, ?, ?, ?, ?, ?, ?)",
                        [idn, sex, date(2026 - age, 6, 1), age, township + "201", township, township[:6],
                         dibao, tekun])


def test_risk_measured_before_and_after_generalisation(tmp_path: Path, pseudonym_key: str) -> None:
    home = Home(tmp_path / "home")
    make_warehouse(home.warehouse, date(2026, 11, 2), [], [])
    # ten women aged 40 to 49 (nine alone in their birth year) and 30 more aged 45: one band
    persons = [(f"A{age}", age, "F", "152921102", True, False) for age in range(40, 50)]
    persons += [(f"B{index}", 45, "F", "152921102", True, False) for index in range(30)]
    add_quasi_identifiers(home.warehouse, persons)
    result = publish_analyst_file(home)
    shares = {(m.label, m.columns): (m.unique, m.persons) for m in result.risk}
    assert shares == {
        ("before generalisation", ("birth_year", "sex", "township")): (9, 40),
        ("before generalisation", ("birth_year", "sex", "township", "assistance_type")): (9, 40),
        ("published", ("age_band", "sex", "township")): (0, 40),
        ("published", ("age_band", "sex", "township", "assistance_type")): (0, 40),
    }
    described = result.describe()
    assert "re-identification risk, published: unique on (age_band, sex, township): 0 of 40" in described
    with duckdb.connect(str(home.analyst_file), read_only=True) as con:
        columns = [r[0] for r in con.execute("describe dim_person").fetchall()]
        bands = dict(con.execute("select age_band, count(*) from dim_person group by 1").fetchall())
    assert "birth_date" not in columns and "age" not in columns and "region_code" not in columns
    assert {"age_band", "township_code", "banner_code", "gender"} <= set(columns)
    assert bands == {"40-49": 40}


def test_small_population_falls_back_to_the_banner(tmp_path: Path, pseudonym_key: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="exports.analyst")
    home = Home(tmp_path / "home")
    make_warehouse(home.warehouse, date(2026, 11, 2), [], [])
    persons = [  # ages 40, 41, 42 share the band 40-49; 70 and 20 are alone in theirs
        ("A1", 40, "F", "152921102", True, False), ("A2", 41, "F", "152921110", True, False),
        ("A3", 42, "F", "152921102", False, True), ("A4", 70, "M", "152921102", True, False),
        ("A5", 20, "M", "152922103", False, False), ("A6", 40, "F", "152921102", True, False),
    ]
    add_quasi_identifiers(home.warehouse, persons)
    result = publish_analyst_file(home)
    shares = {(m.label, m.columns): (m.unique, m.persons) for m in result.risk}
    assert shares == {
        ("before generalisation", ("birth_year", "sex", "township")): (4, 6),  # only A1/A6 share a cell
        ("before generalisation", ("birth_year", "sex", "township", "assistance_type")): (4, 6),
        ("published", ("age_band", "sex", "banner")): (2, 6),  # A4, A5
        ("published", ("age_band", "sex", "banner", "assistance_type")): (3, 6),  # + A3 (tekun)
    }
    with duckdb.connect(str(home.analyst_file), read_only=True) as con:
        columns = [r[0] for r in con.execute("describe dim_person").fetchall()]
    assert "township_code" not in columns and "banner_code" in columns
    assert "township_code left out" in caplog.text and "above 5%" in caplog.text


def test_nested_and_numeric_columns_are_pseudonymised_too(small_home: Home, pseudonym_key: str) -> None:
    person = PEOPLE[2][0]
    with duckdb.connect(str(small_home.warehouse)) as con:
        con.execute("create table marts.extra (payload json, ids varchar[], hukou_no bigint, note varchar)")
        con.execute("insert into marts.extra values (?, ?, 15292100012345, 'plain')",
                    [f'{{"applicant": "{person}"}}', [person]])
    result = publish_analyst_file(small_home)
    assert result.rules["extra"] == {"payload": "text", "ids": "text", "hukou_no": "items"}
    cells = analyst_cells(small_home.analyst_file)
    assert identities_in({"extra": cells["main.extra"]}, [person], []) == []
    with duckdb.connect(str(small_home.analyst_file), read_only=True) as con:
        payload, hukou = con.execute("select payload, hukou_no from extra").fetchall()[0]
    key = pseudonym_key.encode()
    assert pseudonym(key, person) in payload and hukou == pseudonym(key, "15292100012345")


def test_the_analyst_file_is_delivered_to_the_configured_folder(
    small_home: Home, pseudonym_key: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "analyst-out"
    out.mkdir()
    monkeypatch.setenv("AIDWATCH_ANALYST_DIR", str(out))
    publish_analyst_file(small_home)
    delivered = out / "analyst.duckdb"
    assert delivered.read_bytes() == small_home.analyst_file.read_bytes()
    assert stat.S_IMODE(delivered.stat().st_mode) == 0o640
    assert [p.name for p in out.iterdir()] == ["analyst.duckdb"]
    monkeypatch.delenv("AIDWATCH_PSEUDONYM_KEY")
    with pytest.raises(PseudonymKeyMissing):
        publish_analyst_file(small_home)
    assert not delivered.exists()  # no stale copy left for analysts either


@pytest.mark.parametrize("key", [b"k", b"k" * 64, "一把很长的密钥".encode() * 10, bytes(range(256))[:70]],
                         ids=["short", "one block", "longer than a block", "binary"])
def test_the_sql_rules_give_the_pythons_pseudonyms(key: bytes) -> None:
    """The analyst file's pseudonyms come from SQL for plain values and from Python for the rest:
    they must be the same bytes, or a person would get two pseudonyms and joins would break."""
    ids = ["152921198001010019", "15292119800101001X", "152921800101001"]
    values = [*ids, "HK1", "张三", "", "a" * 200, f"DCA{ids[0]}202611", "PAY000123", f"{ids[0]} {ids[1]}",
              f" {ids[2]}\u3000HK1 ", "H1-2", None,
              # keys with other characters, which `aw_key` now takes in SQL as well
              f"{ids[0]}|2025", "PLHH0000024-202412-tekun_care-3919", f"{ids[1]}_x", "HK1 ", "户号HK1",
              "１５２９２１１９８００１０１００１９", "\u0661" * 15, f"身份证{ids[2]}号", "12345678901234-5"]
    rules = Pseudonymiser(key, pa.array([*ids, "HK1"]))
    with duckdb.connect() as con:
        con.register("aw_person_keys", pa.table({"value": rules.person_key_values}))
        rules.register(con)
        for value in values:
            whole, items, key_value = con.execute("select aw_whole(?), aw_items(?), aw_key(?)",
                                                  [value, value, value]).fetchone()
            if value is None:
                assert (whole, items, key_value) == (None, None, None)
                continue
            assert whole == pseudonym(key, value), value
            assert items == " ".join(pseudonym(key, item) for item in value.split()), value
            assert key_value == (pseudonym(key, value) if value in rules.person_keys or ID_RUN.search(value)
                                 else value), value


def test_base32_of_a_whole_chunk_of_digests_is_the_pythons(pseudonym_key: str) -> None:
    """DuckDB hands `aw_pseudonym_of_digest` 2,048 digests at a time, some null, sometimes sliced or
    in chunks: each becomes the pseudonym `pseudonym` gives its value, each null stays null."""
    key = pseudonym_key.encode()
    values = [None if number % 97 == 0 else f"1529211980{number:08d}" for number in range(5000)]
    digests = pa.array([None if value is None else hmac.digest(key, value.encode(), hashlib.sha256)[:15]
                        for value in values], pa.binary())
    expected = [None if value is None else pseudonym(key, value) for value in values]
    assert pseudonyms_of_digests(digests).to_pylist() == expected
    assert pseudonyms_of_digests(digests.slice(2048, 2048)).to_pylist() == expected[2048:4096]
    chunked = pa.chunked_array([digests.slice(0, 100), digests.slice(100)])
    assert pseudonyms_of_digests(chunked).to_pylist() == expected
    without_nulls = digests.filter(digests.is_valid())
    assert pseudonyms_of_digests(without_nulls).to_pylist() == [p for p in expected if p is not None]
