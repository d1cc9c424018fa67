"""Exports and the analyst file on the real warehouse (the shared `built_home` build).

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
from exports.analyst import publish_analyst_file
from exports.officials import export_warning_lists
from exports.workbook import HEADER_ROW, LIST_SHEET
from tests.exports.test_analyst import analyst_cells, identities_in


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
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    rows = [dict(zip(headers, row, strict=True))
            for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
    evidence = [row["预警依据"] for row in rows]
    assert evidence and not any(str(e).lstrip().startswith("{") for e in evidence)
    # the league's open warnings are numbered 1..n in the order of handling (issue 17)
    open_rows = [row for row in rows if row["状态"] != "已解除"]
    assert [row["处置顺序"] for row in open_rows] == list(range(1, len(open_rows) + 1))
    assert ranks  # the priority model ranked households; the order above follows it within a severity
    assert all(row["对象编号"] for row in rows)  # every subject can be found by its number


def test_real_analyst_file_holds_no_identity(copied_home: Home, people: tuple[list[str], list[str]],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A full scan of the analyst file of the real build: no 15/18-digit run, no full name."""
    monkeypatch.setenv("AIDWATCH_PSEUDONYM_KEY", "built-home-test-key")
    result = publish_analyst_file(copied_home)
    cells = analyst_cells(result.path)
    with duckdb.connect(str(copied_home.warehouse), read_only=True) as con:
        marts = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                           "where table_schema = 'marts' and table_type = 'BASE TABLE'"
                                           ).fetchall()}
    assert {table.removeprefix("main.") for table in cells} == marts
    assert identities_in(cells, *people) == []
    before, published = ([m.share for m in result.risk if m.label == label]
                         for label in ("before generalisation", "published"))
    assert len(published) == 2 and all(p < b for p, b in zip(published, before, strict=True)), \
        result.describe()
