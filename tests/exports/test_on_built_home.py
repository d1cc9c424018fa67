"""Exports and analyst views on the real warehouse (the shared `built_home` build).

`built_home` is shared and read-only: each test copies its published file into a
HOME of its own before exporting or adding the analyst schema.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from aidwatch.home import Home
from exports.analyst import create_analyst_schema
from exports.officials import export_warning_lists
from exports.workbook import HEADER_ROW, LIST_SHEET
from tests.exports.test_analyst import analyst_cells


@pytest.fixture(scope="module")
def copied_home(built_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = Home(tmp_path_factory.mktemp("exports_on_built"))
    shutil.copyfile(built_home.warehouse, home.warehouse)
    return home


@pytest.fixture(scope="module")
def people(copied_home: Home) -> tuple[list[str], list[str]]:
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as con:
        rows = con.execute("select id_number, name from marts.dim_person").fetchall()
    assert rows, "dim_person is empty"
    return [r[0] for r in rows], [r[1] for r in rows if r[1]]


def leaks(values: list[str], ids: list[str], names: list[str]) -> list[str]:
    """Full IDs and names found in the values: an ID anywhere in a value, a name as a whole
    value, or a name of three or more characters anywhere in a value."""
    text = "\n".join(values).upper()
    id_set = set(ids)
    found = [token for token in re.findall(r"[0-9]{17}[0-9X]", text) if token in id_set]
    found += sorted(set(values) & set(names))
    long_names = [re.escape(name) for name in names if len(name) >= 3]
    if long_names:
        found += re.findall("|".join(long_names), text)
    return found


def cell_values(path: Path) -> list[str]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = (row for sheet in workbook for row in sheet.iter_rows(values_only=True))
    return [str(value) for row in rows for value in row if value is not None]


def test_real_export_has_every_warning_and_no_full_id_or_name(
    copied_home: Home, people: tuple[list[str], list[str]]
) -> None:
    result = export_warning_lists(copied_home, None, None)
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as con:
        total = con.execute("select count(*) from marts.warnings").fetchone()[0]
        townships = con.execute(
            "select count(*) from marts.dim_region where region_level = 'township'").fetchone()[0]
        ranks = {r[0] for r in con.execute("select priority_rank from marts.household_priority").fetchall()}
    assert total > 0, "the simulated league plants warnings: the build should have some"
    assert result.rows_by_area["152900_阿拉善盟"] == total
    assert len(result.workbooks) == 1 + 4 + townships
    for path in result.files:
        values = cell_values(path) if path.suffix == ".xlsx" else [path.read_text(encoding="utf-8")]
        assert not leaks(values, *people), path.name
    sheet = openpyxl.load_workbook(result.workbooks["152900_阿拉善盟"])[LIST_SHEET]
    rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    evidence = [row[16] for row in rows]
    assert evidence and not any(str(e).lstrip().startswith("{") for e in evidence)
    # every ranked household's warnings carry its rank (the export places them as the priority model)
    assert {row[1] for row in rows if row[1] is not None} == ranks


def test_real_analyst_views_hide_people(copied_home: Home, people: tuple[list[str], list[str]],
                                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIDWATCH_PSEUDONYM_KEY", "built-home-test-key")
    copy = tmp_path / "warehouse.next.duckdb"
    shutil.copyfile(copied_home.warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        assert create_analyst_schema(con, copied_home) is True
        cells = analyst_cells(con)
        marts = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
    assert set(cells) == marts
    for view, values in cells.items():
        assert not leaks(values, *people), view
