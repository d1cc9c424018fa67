"""One area's warning list as an Excel workbook: the list, its summary and a 说明 sheet.

Why the print settings: township offices print these lists. Every sheet prints on
landscape A4 fitted to the page width, the header row repeats on every page, rows
are as tall as their wrapped text, the title and print date head each page and the
page number is at its foot. Every value is written through `exports.cell_text.put`,
so no department's text can become a formula (issue 11).

Why deterministic bytes: an export for the same as_of must give the same files
(idempotent runs, sha256 in the audit log). openpyxl stamps the save time into the
document properties and the zip entries; both are fixed to the as_of here.
"""

from __future__ import annotations

import io
import math
import unicodedata
import zipfile
from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from aidwatch.feedback.workbook_columns import add_feedback_validations
from exports.cell_text import put
from exports.labels import (
    LEVEL_ZH,
    SEVERITY_EXPLANATION,
    SEVERITY_ORDER,
    SEVERITY_ZH,
    STATUS_EXPLANATION,
    STATUS_ZH,
    ListColumn,
    list_columns,
)
from exports.published import Area
from exports.summary import AreaCounts, change_text

LIST_SHEET = "预警清单"
SUMMARY_SHEET = "汇总"
GUIDE_SHEET = "说明"
HEADER_ROW = 2
NO_WARNINGS = "本期无预警"
BANNER_LEVEL_ZH = "旗(区)级"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SEVERITY_FILL = {"高": PatternFill("solid", fgColor="F8CBAD"), "中": PatternFill("solid", fgColor="FFE699")}
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
BODY_FONT = Font(size=10)
HEADER_FONT = Font(bold=True, size=10)
WRAP = Alignment(wrap_text=True, vertical="top")
THIN = Side(style="thin", color="999999")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

# Printing (issue 17): township offices print these lists on A4.
LINE_HEIGHT_POINTS = 13  # one line of 10-point text, with leading
CELL_PADDING_POINTS = 3
MARGIN_INCHES = 0.35


def list_title(area: Area, as_of: date) -> str:
    return f"{area.name} 社会救助预警清单（统计日期：{as_of.isoformat()}）"


def display_width(text: str) -> int:
    """Width of text in character cells: a CJK character takes two, like in Excel's column width."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def line_count(text: object, width: int) -> int:
    """Lines a wrapped cell of `width` characters needs to show all of `text`."""
    if text is None or text == "":
        return 1
    usable = max(width - 2, 1)  # the cell padding takes about two characters
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in str(text).split("\n"))


def set_print_layout(sheet: Worksheet, title: str, repeat_rows: str | None) -> None:
    """Landscape A4 fitted to the page width; title and print date on top, page numbers below.

    `&D` and `&P/&N` are filled in by the spreadsheet program when it prints, so the
    date is the day the official prints, not the day the file was made.
    """
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as needed
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    for side in ("left", "right"):
        setattr(sheet.page_margins, side, MARGIN_INCHES)
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.page_margins.header = sheet.page_margins.footer = 0.25
    if repeat_rows:
        sheet.print_title_rows = repeat_rows
    sheet.oddHeader.left.text = title.replace("&", "&&")
    sheet.oddHeader.left.size = 9
    sheet.oddHeader.right.text = "打印日期：&D"
    sheet.oddHeader.right.size = 9
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.oddFooter.center.size = 9


def write_list_sheet(sheet: Worksheet, area: Area, rows: list[dict], as_of: date) -> None:
    """Title in row 1, Chinese headers in row 2 (frozen, repeated on every printed page), one warning a row.

    An area without open warnings says 本期无预警 under the headers (resolved rows, if
    any, still follow). Row heights are set from the wrapped text so that printing
    shows every line (a spreadsheet program does not grow rows it did not lay out).
    """
    columns = list_columns(area.level)
    sheet.title = LIST_SHEET
    title = list_title(area, as_of)
    put(sheet, 1, 1, title).font = TITLE_FONT
    for index, column in enumerate(columns, start=1):
        cell = put(sheet, HEADER_ROW, index, column.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
        cell.border = GRID
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.row_dimensions[HEADER_ROW].height = row_height(
        {c.key: c.header for c in columns}, [replace(c, wrap=True) for c in columns]
    )
    excel_row = HEADER_ROW
    if not any(row.get("status") != "resolved" for row in rows):
        excel_row += 1
        put(sheet, excel_row, 1, NO_WARNINGS).font = BOLD
    for row in rows:
        excel_row += 1
        for index, column in enumerate(columns, start=1):
            value = row.get(column.key)
            cell = put(sheet, excel_row, index, value)
            cell.font = BODY_FONT
            cell.alignment = WRAP
            cell.border = GRID
            if column.key == "severity_zh" and value in SEVERITY_FILL:
                cell.fill = SEVERITY_FILL[value]
        sheet.row_dimensions[excel_row].height = row_height(row, columns)
    add_feedback_validations(sheet, [c.key for c in columns], HEADER_ROW + 1, excel_row)  # issue 16
    last_column = get_column_letter(len(columns))
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=1)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last_column}{max(excel_row, HEADER_ROW + 1)}"
    printed = max((index for index, column in enumerate(columns, start=1) if column.printed), default=1)
    sheet.print_area = f"A1:{get_column_letter(printed)}{max(excel_row, HEADER_ROW + 1)}"
    set_print_layout(sheet, title, f"{HEADER_ROW}:{HEADER_ROW}")


def row_height(row: dict, columns: list[ListColumn]) -> float:
    """Points needed by the tallest wrapped cell of a row."""
    lines = max((line_count(row.get(c.key), c.width) for c in columns if c.wrap), default=1)
    return lines * LINE_HEIGHT_POINTS + CELL_PADDING_POINTS


class SheetWriter:
    """Appends rows to a sheet through `put`, so that no value can become a formula."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.row = 0

    def line(self, values: list[object], font: Font | None = None, fill: PatternFill | None = None) -> int:
        self.row += 1
        for column, value in enumerate(values, start=1):
            cell = put(self.sheet, self.row, column, value)
            if font:
                cell.font = font
            if fill:
                cell.fill = fill
            if isinstance(value, str) and len(value) > 30:
                cell.alignment = WRAP
        return self.row

    def blank(self) -> None:
        self.row += 1

    def table(self, title: str, headers: list[str], body: list[list]) -> None:
        """A titled block, followed by an empty row."""
        self.line([title], font=BOLD)
        self.line(headers, fill=HEADER_FILL)
        for values in body:
            self.line(values)
        self.blank()


def township_label(code: str | None, township_names: dict[str, str], banner_code: str | None,
                   banner_names: dict[str, str]) -> str:
    """A township's name; a banner-level warning (no township) names its banner."""
    if code:
        return township_names.get(code, code)
    banner = banner_names.get(banner_code or "", banner_code or "")
    return f"{banner}（{BANNER_LEVEL_ZH}）" if banner else BANNER_LEVEL_ZH


def write_summary_sheet(
    sheet: Worksheet,
    area: Area,
    as_of: date,
    counts: AreaCounts,
    previous: AreaCounts | None,
    previous_label: str | None,
    rule_names: dict[str, str],
    township_names: dict[str, str],
    banner_names: dict[str, str],
) -> None:
    """Counts by rule, severity, banner (league) and township, with the change since the previous run."""
    sheet.title = SUMMARY_SHEET
    out = SheetWriter(sheet)
    title = f"{area.name}（{LEVEL_ZH.get(area.level, area.level)}）预警汇总"
    out.line([title], font=TITLE_FONT)
    out.line(["统计日期", as_of.isoformat()])
    out.line(["对比基准", previous_label or "无上期数据"])
    out.blank()
    if counts.total == 0:
        out.line([NO_WARNINGS], font=BOLD)
        out.blank()
    prev_total = previous.total if previous else None
    out.table(
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
    out.table(
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
    out.table(
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
    if area.level == "league":
        prev_banner = previous.by_banner if previous else None
        banners = sorted(set(counts.by_banner) | set(prev_banner or ()))
        out.table(
            "按旗(区)",
            ["代码", "旗(区)", "未解除", "上期", "变化"],
            [
                [
                    code or "",
                    banner_names.get(code, code) if code else "未知",
                    counts.by_banner.get(code, 0),
                    *compared(counts.by_banner, prev_banner, code),
                ]
                for code in banners
            ],
        )
    prev_township = previous.by_township if previous else None
    townships = sorted(
        set(counts.by_township) | set(prev_township or ()), key=lambda code: (code.split("|")[0] == "", code)
    )
    out.table(
        "按苏木镇(街道)",
        ["代码", "苏木镇(街道)", "未解除", "上期", "变化"],
        [
            [
                township_key_code(key),
                township_label(
                    township_key_code(key) or None, township_names, township_key_banner(key), banner_names
                ),
                counts.by_township.get(key, 0),
                *compared(counts.by_township, prev_township, key),
            ]
            for key in townships
        ],
    )
    for letter, width in zip("ABCDEFG", (14, 30, 10, 10, 10, 10, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    set_print_layout(sheet, title, None)


def township_key_code(key: str) -> str:
    """The township code of a by_township key (`code`, or `|banner` for a banner-level warning)."""
    return key.split("|")[0]


def township_key_banner(key: str) -> str | None:
    parts = key.split("|")
    return parts[1] if len(parts) > 1 and parts[1] else None


def write_guide_sheet(sheet: Worksheet, area: Area, as_of: date) -> None:
    """说明: what every column, status and severity means and how the list is ordered."""
    sheet.title = GUIDE_SHEET
    out = SheetWriter(sheet)
    title = f"{area.name} 社会救助预警清单 使用说明（统计日期：{as_of.isoformat()}）"
    out.line([title], font=TITLE_FONT)
    out.line(["本清单由社会救助数据仓库根据各部门报送数据按预警规则自动生成，预警是需要核实的线索，"
              "不是结论；请核实后按建议处置，并将核查结果反馈至旗(区)民政部门。"])
    out.line(["个人信息已脱敏，仅限本辖区开展核查工作使用，不得转发、公开或用于其他用途。"])
    out.blank()
    out.table("各栏目含义", ["栏目", "含义"],
              [[column.header, column.explanation] for column in list_columns(area.level)])
    out.table("状态", ["状态", "含义"],
              [[STATUS_ZH[code], text] for code, text in STATUS_EXPLANATION.items()])
    out.table("预警等级", ["等级", "含义"],
              [[SEVERITY_ZH[code], text] for code, text in SEVERITY_EXPLANATION.items()])
    out.table("工作表", ["工作表", "内容"], [
        [LIST_SHEET, "本辖区的预警，一行一条，按处置顺序排列；没有未解除预警时显示“本期无预警”。"],
        [SUMMARY_SHEET, "按规则、等级和地区统计的预警数，以及与上期相比的变化。"],
        [GUIDE_SHEET, "本说明。"],
    ])
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 100
    for row in sheet.iter_rows(min_row=1, max_col=2):
        first, text = row[0].value, row[1].value
        if first and not text and display_width(str(first)) > 16:  # a sentence: across both columns
            sheet.merge_cells(start_row=row[0].row, start_column=1, end_row=row[0].row, end_column=2)
            lines = line_count(first, 116)
        else:
            lines = max(line_count(text, 100), line_count(first, 16))
        row[0].alignment = row[1].alignment = WRAP
        if lines > 1:
            sheet.row_dimensions[row[0].row].height = lines * LINE_HEIGHT_POINTS + CELL_PADDING_POINTS
    set_print_layout(sheet, title, None)


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
    banner_names: dict[str, str] | None = None,
) -> Workbook:
    """The list, its summary and the 说明 sheet, in that order."""
    workbook = Workbook()
    write_list_sheet(workbook.active, area, rows, as_of)
    write_summary_sheet(
        workbook.create_sheet(), area, as_of, counts, previous, previous_label, rule_names,
        township_names, banner_names or {},
    )
    write_guide_sheet(workbook.create_sheet(), area, as_of)
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
