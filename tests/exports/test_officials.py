"""Officials' warning lists, league report and audit log, on a small real warehouse."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import duckdb
import openpyxl
import pytest

from aidwatch.cli import main as aidwatch_main
from aidwatch.home import Home
from exports.audit import read_audit_records
from exports.officials import ExportAsOfMismatch, ExportResult, export_warning_lists
from exports.published import load_history_counts
from exports.workbook import HEADER_ROW, LIST_SHEET, SUMMARY_SHEET
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
    assert {row["苏木镇(街道)"] for row in township} == {"温都尔勒图镇"}
    assert {row["嘎查村(社区)"] for row in township} == {"乌兰布和嘎查"}
    banner = list_rows(result.workbooks["152922_阿拉善右旗"])
    assert {row["旗(区)"] for row in banner} == {"阿拉善右旗"} and len(banner) == 2
    left_banner = list_rows(result.workbooks["152921_阿拉善左旗"])
    assert "STD-01" in {row["规则编号"] for row in left_banner}  # banner-level rule: banner file only
    assert len(list_rows(result.workbooks["152900_阿拉善盟"])) == len(CURRENT_WARNINGS)
    assert result.rows_by_area["152921110_巴彦浩特镇"] == 3
    assert [row["规则编号"] for row in list_rows(result.workbooks["152921110_巴彦浩特镇"])] == [
        "REV-02", "ELG-04", "ELG-12"]


def test_rows_ordered_by_priority_then_severity_then_days_open(exported: tuple[Home, ExportResult]) -> None:
    _, result = exported
    rows = list_rows(result.workbooks["152900_阿拉善盟"])
    order = [(row["家庭优先级"], row["规则编号"]) for row in rows]
    assert order[:5] == [(1, "REV-02"), (1, "ELG-04"), (2, "ELG-08"), (2, "ELG-01"), (2, "REV-01")]
    # a person in no assisted household is ranked through their hukou household (dim_person.hukou_no)
    assert order[5:7] == [(3, "HRD-06"), (4, "ELG-12")]
    unranked = [(row["预警等级"], row["持续天数"]) for row in rows[7:]]
    assert unranked == [("高", 0), ("低", 40)]
    assert rows[0]["状态"] == "持续" and rows[1]["状态"] == "新增" and rows[-1]["状态"] == "已解除"
    assert rows[0]["预警依据"] == "应核查日期：2026-05-01；逾期天数：185。"
    assert "小型汽车" in rows[1]["预警依据"]
    hrd06 = rows[5]["预警依据"]
    assert "1501**********0590" in hrd06 and PEOPLE[4][0] not in hrd06


def test_list_sheet_layout(exported: tuple[Home, ExportResult]) -> None:
    _, result = exported
    sheet = openpyxl.load_workbook(result.workbooks["152900_阿拉善盟"])[LIST_SHEET]
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"
    assert sheet.auto_filter.ref.startswith(f"A{HEADER_ROW}:")
    assert sheet.column_dimensions["Q"].width >= 40  # evidence
    assert [c.value for c in sheet[HEADER_ROW]][:4] == ["序号", "家庭优先级", "预警等级", "状态"]


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
    assert {f["file"] for f in records[1]["files"]} == {p.name for p in second.files}
    assert records[1]["as_of"] == AS_OF.isoformat() and records[1]["rows_total"] == len(CURRENT_WARNINGS)
    areas = {a["code"]: a["rows"] for a in records[1]["areas"]}
    assert areas["152900"] == len(CURRENT_WARNINGS) and areas["152922103"] == 2
    assert all(re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) for f in records[1]["files"])
    assert [p.read_bytes() for p in first.files] == [p.read_bytes() for p in second.files]
    assert first.out_dir == small_home.exports / AS_OF.isoformat()


def test_report_is_self_contained_with_charts(exported: tuple[Home, ExportResult]) -> None:
    _, result = exported
    html = result.report.read_text(encoding="utf-8")
    assert not re.search(r"https?:", html, re.IGNORECASE)
    assert "<script" not in html.lower() and " src=" not in html.lower() and "@import" not in html
    assert html.count("<svg") >= 4  # by rule, by banner, new vs resolved, an indicator
    assert "阿拉善左旗" in html and "REV-01 年度核查逾期" in html
    assert "在保人数（按救助类别）" in html and "低保A类" in html and "合计" in html
    assert "动态进出" not in html  # its table is missing: left out, not guessed


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
