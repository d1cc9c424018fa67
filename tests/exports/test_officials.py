"""Officials' warning lists, league report and audit log, on a small real warehouse."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import duckdb
import openpyxl
import pytest

from aidwatch.cli import main as aidwatch_main
from aidwatch.home import Home
from exports.audit import read_audit_records
from exports.cell_text import put
from exports.officials import ExportAsOfMismatch, ExportResult, export_warning_lists
from exports.published import load_history_counts
from exports.workbook import GUIDE_SHEET, HEADER_ROW, LIST_SHEET, NO_WARNINGS, SUMMARY_SHEET, display_width
from tests.exports.conftest import (
    AS_OF,
    CURRENT_WARNINGS,
    PEOPLE,
    PREVIOUS_AS_OF,
    make_small_home,
    make_warehouse,
)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, ExportResult]:
    """One export of the small HOME, shared by the tests that only read its files."""
    home = make_small_home(tmp_path_factory.mktemp("exported") / "home")
    return home, export_warning_lists(home, AS_OF, None)


def all_cells(path: Path) -> list[str]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    return [str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True)
            for value in row if value is not None]


def list_rows(path: Path) -> list[dict]:
    sheet = openpyxl.load_workbook(path)[LIST_SHEET]
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    return [dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=HEADER_ROW + 1,
                                                                             values_only=True)]


def assert_no_personal_data(paths: list[Path], ids: list[str], names: list[str]) -> None:
    for path in paths:
        text = "\n".join(all_cells(path)) if path.suffix == ".xlsx" else path.read_text(encoding="utf-8")
        for full_id in ids:
            assert full_id not in text and full_id.lower() not in text, (path.name, full_id)
        for name in names:
            assert name not in text, (path.name, name)


def test_workbooks_hold_no_full_id_or_name(exported: tuple[Home, ExportResult]) -> None:
    small_home, result = exported
    with duckdb.connect(str(small_home.warehouse), read_only=True) as con:
        people = con.execute("select id_number, name from marts.dim_person").fetchall()
    names = [name for _, name in people if len(name) >= 2]
    assert len(people) == len(PEOPLE) and names
    assert_no_personal_data(result.files, [idn for idn, _ in people], names)
    league = list_rows(result.workbooks["152900_阿拉善盟"])
    masked_ids = {"1529**********0114", "1529**********0350", "1529**********047X"}
    assert {row["身份证号"] for row in league} >= masked_ids
    assert {row["姓名"] for row in league} >= {"张*丰", "欧*娜", "王*"}


def test_each_area_file_holds_only_its_rows(exported: tuple[Home, ExportResult]) -> None:
    _, result = exported
    township = list_rows(result.workbooks["152921102_温都尔勒图镇"])
    expected = [w for w in CURRENT_WARNINGS if w["township_code"] == "152921102"]
    assert len(township) == len(expected) == 3
    assert "苏木镇(街道)" not in township[0]  # one township per file: named in the title, not per row
    assert {row["嘎查村(社区)"] for row in township} == {"乌兰布和嘎查"}
    banner = list_rows(result.workbooks["152922_阿拉善右旗"])
    assert {row["苏木镇(街道)"] for row in banner} == {"巴丹吉林镇"} and len(banner) == 2
    left_banner = list_rows(result.workbooks["152921_阿拉善左旗"])
    assert "STD-01" in {row["规则编号"] for row in left_banner}  # banner-level rule: banner file only
    assert len(list_rows(result.workbooks["152900_阿拉善盟"])) == len(CURRENT_WARNINGS)
    assert result.rows_by_area["152921110_巴彦浩特镇"] == 3
    assert [row["规则编号"] for row in list_rows(result.workbooks["152921110_巴彦浩特镇"])] == [
        "REV-02", "ELG-04", "ELG-12"]


def test_rows_ranked_within_area_severity_first(exported: tuple[Home, ExportResult]) -> None:
    _, result = exported
    rows = list_rows(result.workbooks["152900_阿拉善盟"])
    order = [(row["处置顺序"], row["预警等级"], row["规则编号"]) for row in rows]
    # high first; within a severity the household's priority (H002 before H001), then days open
    assert order == [
        (1, "高", "REV-02"), (2, "高", "ELG-08"), (3, "高", "ELG-01"), (4, "高", "STD-01"),
        (5, "中", "ELG-04"), (6, "中", "REV-01"), (7, "中", "HRD-06"), (8, "中", "ELG-12"),
        (None, "低", "REV-01"),  # resolved: listed last, not ranked
    ]
    assert rows[0]["状态"] == "持续" and rows[2]["状态"] == "新增" and rows[-1]["状态"] == "已解除"
    assert rows[0]["预警依据"] == "应核查日期：2026-05-01；逾期天数：185。"
    assert "小型汽车" in rows[4]["预警依据"]
    hrd06 = rows[6]["预警依据"]
    assert "1501**********0590" in hrd06 and PEOPLE[4][0] not in hrd06
    # each area numbers its own list from 1
    for label in ("152921102_温都尔勒图镇", "152921110_巴彦浩特镇", "152921_阿拉善左旗"):
        ranks = [row["处置顺序"] for row in list_rows(result.workbooks[label]) if row["状态"] != "已解除"]
        assert ranks == list(range(1, len(ranks) + 1)), label
    assert [row["规则编号"] for row in list_rows(result.workbooks["152921110_巴彦浩特镇"])] == [
        "REV-02", "ELG-04", "ELG-12"]


def test_reference_numbers_villages_and_banner_level_rows(exported: tuple[Home, ExportResult]) -> None:
    _, result = exported
    rows = {(row["规则编号"], row["状态"]): row for row in list_rows(result.workbooks["152900_阿拉善盟"])}
    assert (rows[("REV-02", "持续")]["对象编号类型"], rows[("REV-02", "持续")]["对象编号"]) == (
        "救助家庭编号", "H002")
    # a person in no assisted household is found by their hukou number
    assert (rows[("ELG-12", "持续")]["对象编号类型"], rows[("ELG-12", "持续")]["对象编号"]) == (
        "户号", "HK-BATEER")
    std = rows[("STD-01", "新增")]
    assert (std["对象编号类型"], std["对象编号"]) == ("区划代码", "152921")
    assert std["苏木镇(街道)"] == "阿拉善左旗（旗(区)级）" and std["旗(区)"] == "阿拉善左旗"
    assert rows[("REV-02", "持续")]["嘎查村(社区)"] == "东关社区"
    assert all(row["预警编号"] and len(row["预警编号"]) == 32 for row in rows.values())
    banner = summary_blocks(result.workbooks["152921_阿拉善左旗"])["按苏木镇(街道)"]
    assert ("阿拉善左旗（旗(区)级）", 1, 0, "+1") in banner  # named, not "no township"
    township_headers = [c.value for c in openpyxl.load_workbook(
        result.workbooks["152921102_温都尔勒图镇"])[LIST_SHEET][HEADER_ROW]]
    assert "旗(区)" not in township_headers and "对象编号" in township_headers


def test_list_prints_on_landscape_a4_with_repeated_headers(exported: tuple[Home, ExportResult]) -> None:
    _, result = exported
    workbook = openpyxl.load_workbook(result.workbooks["152921102_温都尔勒图镇"])
    assert workbook.sheetnames == [LIST_SHEET, SUMMARY_SHEET, GUIDE_SHEET]
    sheet = workbook[LIST_SHEET]
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"
    assert sheet.auto_filter.ref.startswith(f"A{HEADER_ROW}:")
    setup = sheet.page_setup
    assert setup.orientation == "landscape" and int(setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert int(setup.fitToWidth) == 1 and int(setup.fitToHeight) == 0
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert "温都尔勒图镇" in sheet.oddHeader.left.text and "&D" in sheet.oddHeader.right.text
    assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text
    headers = [c.value for c in sheet[HEADER_ROW]]
    printed_to = sheet.print_area.split(":")[-1].strip("$").rstrip("0123456789").strip("$")
    printed = headers[: openpyxl.utils.column_index_from_string(printed_to)]
    assert printed[-1] in ("预警编号", "核查时限")  # what is filled in on screen is left off paper
    assert {"处置顺序", "预警等级", "对象编号", "嘎查村(社区)", "预警依据", "建议处置"} <= set(printed)
    evidence_column = headers.index("预警依据") + 1
    for row in range(HEADER_ROW + 1, sheet.max_row + 1):
        evidence = sheet.cell(row=row, column=evidence_column)
        assert evidence.alignment.wrap_text
        height = sheet.row_dimensions[row].height
        width = sheet.column_dimensions[evidence.column_letter].width
        needed_lines = -(-display_width(str(evidence.value)) // int(width - 1))
        assert height and height >= needed_lines * 13, (row, height, evidence.value)
    guide = workbook[GUIDE_SHEET]
    explained = {row[0] for row in guide.iter_rows(values_only=True) if row[0]}
    assert set(headers) <= explained and {"新增", "持续", "已解除", "高", "中", "低"} <= explained
    assert guide.page_setup.orientation == "landscape"


def test_area_without_warnings_says_so(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    quiet = [w for w in CURRENT_WARNINGS if w["township_code"] != "152921110"]
    make_warehouse(home.warehouse, AS_OF, quiet, [])
    result = export_warning_lists(home, AS_OF, None)
    sheet = openpyxl.load_workbook(result.workbooks["152921110_巴彦浩特镇"])[LIST_SHEET]
    assert sheet.cell(row=HEADER_ROW + 1, column=1).value == NO_WARNINGS
    assert NO_WARNINGS in all_cells(result.workbooks["152921110_巴彦浩特镇"])
    assert NO_WARNINGS not in all_cells(result.workbooks["152921102_温都尔勒图镇"])


HOSTILE_HOUSEHOLD = '=HYPERLINK("http://example.invalid/x","点击核查")'


def test_department_values_never_become_formulas(tmp_path: Path) -> None:
    """Issue 11 item 5: every text cell is text; values starting with =, +, -, @, tab, CR are quoted."""
    home = make_small_home(tmp_path / "home")
    con = duckdb.connect(str(home.warehouse))
    con.execute("update marts.warnings set household_id = ?, subject_key = ? where rule_id = 'REV-02'",
                [HOSTILE_HOUSEHOLD, HOSTILE_HOUSEHOLD])
    con.execute("update marts.dim_person set name = '=1+2*SUM(A1:A9)' where name = '王芳'")
    con.execute("update marts.warnings set suggested_action_zh = '+请尽快' where rule_id = 'ELG-04'")
    con.execute("update marts.warnings set evidence = '\"@SUM(1)\"', rule_name_zh = '-cmd|calc' "
                "where rule_id = 'ELG-12'")
    con.close()
    result = export_warning_lists(home, AS_OF, None)
    for path in result.workbooks.values():
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                xml = archive.read(name).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml, (path.name, name)
    workbook = openpyxl.load_workbook(result.workbooks["152921110_巴彦浩特镇"])
    sheet = workbook[LIST_SHEET]
    cells = {cell.value: cell for row in sheet.iter_rows(min_row=HEADER_ROW + 1) for cell in row}
    for text in (HOSTILE_HOUSEHOLD, "=*)", "+请尽快", "-cmd|calc"):
        assert text in cells, text
        assert cells[text].data_type == "s" and cells[text].quotePrefix, text
    summary = workbook[SUMMARY_SHEET]
    assert any(cell.value == "-cmd|calc" and cell.quotePrefix for row in summary.iter_rows() for cell in row)


def test_put_neutralises_every_trigger(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    values = ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "普通文字", "a\x01b", 12, 3.5, None]
    for row, value in enumerate(values, start=1):
        put(sheet, row, 1, value)
    path = tmp_path / "cells.xlsx"
    workbook.save(path)
    loaded = openpyxl.load_workbook(path).active
    for row, value in enumerate(values[:6], start=1):
        cell = loaded.cell(row=row, column=1)
        # XML turns a carriage return into a line feed on reading; the cell stays quoted text
        assert cell.value == value.replace("\r", "\n") and cell.data_type == "s" and cell.quotePrefix, value
    assert loaded.cell(row=7, column=1).value == "普通文字" and not loaded.cell(row=7, column=1).quotePrefix
    assert loaded.cell(row=8, column=1).value == "a\ufffdb"  # shown replaced, not dropped or crashing
    assert loaded.cell(row=9, column=1).value == 12 and loaded.cell(row=10, column=1).value == 3.5


def summary_blocks(path: Path) -> dict[str, list[tuple]]:
    sheet = openpyxl.load_workbook(path)[SUMMARY_SHEET]
    blocks: dict[str, list[tuple]] = {}
    current = None
    for row in sheet.iter_rows(values_only=True):
        values = tuple(v for v in row if v is not None)
        if len(values) == 1:
            current = values[0]
            blocks[current] = []
        elif values and current:
            blocks[current].append(values)
    return blocks


def test_summary_counts_and_change_since_history(exported: tuple[Home, ExportResult]) -> None:
    _, result = exported
    blocks = summary_blocks(result.workbooks["152900_阿拉善盟"])
    overall = dict((row[0], row[1:]) for row in blocks["总体情况"][1:])
    # 8 open (new + continuing) now; the previous run in warning_history saw 6.
    assert overall["未解除预警"] == (8, 6, "+2")
    assert overall["其中本期新增"] == (3,) and overall["本期已解除"] == (1,)
    by_rule = {row[0]: row for row in blocks["按预警规则"][1:]}
    assert by_rule["REV-01"][2:] == (1, 0, 1, 2, "-1")
    assert by_rule["ELG-04"][2:] == (1, 1, 0, 0, "+1")
    by_severity = {row[0]: row[1:] for row in blocks["按预警等级"][1:]}
    assert by_severity["高"] == (4, 2, "+2")
    by_township = {row[1]: row[2:] for row in blocks["按苏木镇(街道)"][1:]}
    assert by_township["温都尔勒图镇"] == (3, 2, "+1")


def test_change_since_previous_export(small_home: Home, tmp_path: Path) -> None:
    previous = [w for w in CURRENT_WARNINGS if w["status"] != "new"]
    make_warehouse(small_home.warehouse, PREVIOUS_AS_OF, previous, [])
    export_warning_lists(small_home, None, None)
    make_warehouse(small_home.warehouse, AS_OF, CURRENT_WARNINGS, [])
    result = export_warning_lists(small_home, None, None)
    blocks = summary_blocks(result.workbooks["152900_阿拉善盟"])
    sheet = openpyxl.load_workbook(result.workbooks["152900_阿拉善盟"])[SUMMARY_SHEET]
    assert sheet["B3"].value == f"上期导出（{PREVIOUS_AS_OF.isoformat()}）"
    overall = dict((row[0], row[1:]) for row in blocks["总体情况"][1:])
    assert overall["未解除预警"] == (8, 5, "+3")  # the previous export had 5 open (its resolved row aside)


def test_same_as_of_gives_identical_files_and_one_audit_line_each(small_home: Home) -> None:
    first = export_warning_lists(small_home, AS_OF, None)
    first_log = small_home.audit_log.read_bytes()
    second = export_warning_lists(small_home, AS_OF, None)
    records = read_audit_records(small_home)
    assert len(records) == 2
    assert small_home.audit_log.read_bytes().startswith(first_log)  # appended, never rewritten
    assert records[0]["files"] == records[1]["files"]
    assert {f["file"] for f in records[1]["files"]} == {p.name for p in second.files} | {"manifest.json"}
    assert records[1]["as_of"] == AS_OF.isoformat() and records[1]["rows_total"] == len(CURRENT_WARNINGS)
    areas = {a["code"]: a["rows"] for a in records[1]["areas"]}
    assert areas["152900"] == len(CURRENT_WARNINGS) and areas["152922103"] == 2
    assert all(re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) for f in records[1]["files"])
    assert [p.read_bytes() for p in first.files] == [p.read_bytes() for p in second.files]
    assert first.out_dir == small_home.exports / AS_OF.isoformat()


def test_history_counts_new_open_and_resolved_per_run(exported: tuple[Home, ExportResult]) -> None:
    home, _ = exported
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        runs = [(r["as_of"], r["new_count"], r["open_count"], r["resolved_count"])
                for r in load_history_counts(con, AS_OF)]
    assert runs == [
        (PREVIOUS_AS_OF - timedelta(days=30), 5, 0, 0),
        (PREVIOUS_AS_OF, 1, 5, 0),  # ELG-12 appears
        (AS_OF, 3, 5, 1),  # ELG-01, ELG-04, STD-01 new; REV-01 of H004 resolved
    ]
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert [r["as_of"] for r in load_history_counts(con, PREVIOUS_AS_OF)][-1] == PREVIOUS_AS_OF


def test_as_of_other_than_the_published_one_is_refused(small_home: Home) -> None:
    with pytest.raises(ExportAsOfMismatch, match="2026-11-02"):
        export_warning_lists(small_home, PREVIOUS_AS_OF, None)
    assert not small_home.audit_log.exists()


def test_cli_export_to_chosen_folder(small_home: Home, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "lists"
    status = aidwatch_main(["export", "--home", str(small_home.root), "--out", str(out)])
    assert status == 0
    assert (out / "152921102_温都尔勒图镇_预警清单.xlsx").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["as_of"] == AS_OF.isoformat()
    assert "9 warnings" in capsys.readouterr().out
    assert aidwatch_main(["export", "--home", str(tmp_path / "empty")]) == 1
