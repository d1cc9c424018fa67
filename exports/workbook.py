"""One area's warning list as an Excel workbook: the list sheet and a summary sheet.

Why deterministic bytes: an export for the same as_of must give the same files
(idempotent runs, sha256 in the audit log). openpyxl stamps the save time into the
document properties and the zip entries; both are fixed to the as_of here.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from exports.labels import LEVEL_ZH, LIST_COLUMNS, SEVERITY_ORDER, SEVERITY_ZH
from exports.published import Area
from exports.summary import AreaCounts, change_text

LIST_SHEET = "预警清单"
SUMMARY_SHEET = "汇总"
HEADER_ROW = 2
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SEVERITY_FILL = {"高": PatternFill("solid", fgColor="F8CBAD"), "中": PatternFill("solid", fgColor="FFE699")}
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")


def list_title(area: Area, as_of: date) -> str:
    return f"{area.name} 社会救助预警清单（统计日期：{as_of.isoformat()}）"


def write_list_sheet(sheet: Worksheet, area: Area, rows: list[dict], as_of: date) -> None:
    """Title in row 1, Chinese headers in row 2 (frozen, with an auto filter), one warning a row."""
    sheet.title = LIST_SHEET
    sheet.cell(row=1, column=1, value=list_title(area, as_of)).font = TITLE_FONT
    for index, (_, header, width) in enumerate(LIST_COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=header)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = width
    for offset, row in enumerate(rows, start=1):
        excel_row = HEADER_ROW + offset
        for index, (key, _, _) in enumerate(LIST_COLUMNS, start=1):
            value = offset if key == "seq" else row.get(key)
            cell = sheet.cell(row=excel_row, column=index, value=value)
            if key in ("evidence_zh", "suggested_action_zh", "rule_name_zh"):
                cell.alignment = WRAP
            if key == "severity_zh" and value in SEVERITY_FILL:
                cell.fill = SEVERITY_FILL[value]
    last_column = get_column_letter(len(LIST_COLUMNS))
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=1)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last_column}{HEADER_ROW + max(len(rows), 1)}"


def append_table(sheet: Worksheet, title: str, headers: list[str], body: list[list]) -> None:
    """A titled block on the summary sheet, followed by an empty row."""
    sheet.append([title])
    sheet.cell(row=sheet.max_row, column=1).font = BOLD
    sheet.append(headers)
    for index in range(1, len(headers) + 1):
        sheet.cell(row=sheet.max_row, column=index).fill = HEADER_FILL
    for line in body:
        sheet.append(line)
    sheet.append([])


def write_summary_sheet(
    sheet: Worksheet,
    area: Area,
    as_of: date,
    counts: AreaCounts,
    previous: AreaCounts | None,
    previous_label: str | None,
    rule_names: dict[str, str],
    township_names: dict[str, str],
) -> None:
    """Counts by rule, severity and township, with the change since the previous run."""
    sheet.title = SUMMARY_SHEET
    sheet.append([f"{area.name}（{LEVEL_ZH.get(area.level, area.level)}）预警汇总"])
    sheet.cell(row=1, column=1).font = TITLE_FONT
    sheet.append(["统计日期", as_of.isoformat()])
    sheet.append(["对比基准", previous_label or "无上期数据"])
    sheet.append([])
    prev_total = previous.total if previous else None
    append_table(
        sheet,
        "总体情况",
        ["项目", "数量", "上期", "变化"],
        [
            ["未解除预警", counts.total, _or_dash(prev_total), change_text(counts.total, prev_total)],
            ["其中本期新增", counts.new, "", ""],
            ["本期已解除", counts.resolved, "", ""],
        ],
    )
    prev_rule = previous.by_rule if previous else None
    rules = sorted(set(counts.by_rule) | set(counts.resolved_by_rule) | set(prev_rule or ()))
    append_table(
        sheet,
        "按预警规则",
        ["规则编号", "预警名称", "未解除", "本期新增", "本期解除", "上期", "变化"],
        [
            [
                rule,
                rule_names.get(rule, ""),
                counts.by_rule.get(rule, 0),
                counts.new_by_rule.get(rule, 0),
                counts.resolved_by_rule.get(rule, 0),
                *compared(counts.by_rule, prev_rule, rule),
            ]
            for rule in rules
        ],
    )
    prev_severity = previous.by_severity if previous else None
    severities = sorted(
        set(counts.by_severity) | set(prev_severity or ()), key=lambda s: SEVERITY_ORDER.get(s, 9)
    )
    append_table(
        sheet,
        "按预警等级",
        ["预警等级", "未解除", "上期", "变化"],
        [
            [
                SEVERITY_ZH.get(sev, sev),
                counts.by_severity.get(sev, 0),
                *compared(counts.by_severity, prev_severity, sev),
            ]
            for sev in severities
        ],
    )
    prev_township = previous.by_township if previous else None
    townships = sorted(set(counts.by_township) | set(prev_township or ()))
    append_table(
        sheet,
        "按苏木镇(街道)",
        ["代码", "苏木镇(街道)", "未解除", "上期", "变化"],
        [
            [
                code or "",
                township_names.get(code, code) if code else "旗(区)级(无苏木镇)",
                counts.by_township.get(code, 0),
                *compared(counts.by_township, prev_township, code),
            ]
            for code in townships
        ],
    )
    for letter, width in zip("ABCDEFG", (14, 30, 10, 10, 10, 10, 10), strict=True):
        sheet.column_dimensions[letter].width = width


def _or_dash(value: int | None) -> int | str:
    return "—" if value is None else value


def compared(current: Counter[str], previous: Counter[str] | None, key: str) -> list[int | str]:
    """[previous count, change] for one key; dashes when there is no previous run."""
    if previous is None:
        return ["—", "—"]
    return [previous.get(key, 0), change_text(current.get(key, 0), previous.get(key, 0))]


def build_workbook(
    area: Area,
    rows: list[dict],
    as_of: date,
    counts: AreaCounts,
    previous: AreaCounts | None,
    previous_label: str | None,
    rule_names: dict[str, str],
    township_names: dict[str, str],
) -> Workbook:
    workbook = Workbook()
    write_list_sheet(workbook.active, area, rows, as_of)
    write_summary_sheet(
        workbook.create_sheet(), area, as_of, counts, previous, previous_label, rule_names, township_names
    )
    return workbook


def save_deterministic(workbook: Workbook, path: Path, as_of: date) -> None:
    """Save with every timestamp set to the as_of, so the same content gives the same bytes."""
    stamp = datetime(as_of.year, as_of.month, as_of.day)
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    workbook.properties.creator = "aidwatch"
    workbook.properties.lastModifiedBy = "aidwatch"
    buffer = io.BytesIO()
    archive = zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED, allowZip64=True)  # compressed once, below
    ExcelWriter(workbook, archive).save()  # not save_workbook: it stamps `modified` with now
    zip_time = (max(as_of.year, 1980), as_of.month, as_of.day, 0, 0, 0)
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(
        output, "w", zipfile.ZIP_DEFLATED
    ) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=zip_time)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(output.getvalue())
    temporary.replace(path)
