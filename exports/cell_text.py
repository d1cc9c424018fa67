"""Writing a value into a workbook cell so that text can never become a formula.

Why: departments' values reach officials' workbooks (household ids, names, evidence).
A value such as `=HYPERLINK("http://…","点击核查")` written the ordinary way becomes a
live formula when the official opens the file (CSV/spreadsheet injection). OWASP's
advice is to make every such cell plain text and to mark values that start with
`=`, `+`, `-`, `@`, tab or carriage return with a leading single quote. In .xlsx that
quote is the cell style's `quotePrefix` (what Excel stores when a user types `'=…`),
so the official sees exactly what the department sent, as text, and editing the cell
keeps it text. Every cell of every workbook aidwatch writes goes through `put`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"  # a control character XML cannot hold is shown, not dropped silently


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet program could read the text as a formula or command."""
    return text.startswith(FORMULA_TRIGGERS)


def put(sheet: Worksheet, row: int, column: int, value: object) -> Cell:
    """Write `value` at (row, column): numbers and dates as such, everything else as text."""
    cell = sheet.cell(row=row, column=column)
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime):
        cell.value = value
        return cell
    text = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, str(value))
    cell.value = text  # openpyxl binds a leading "=" as a formula here ...
    cell.data_type = "s"  # ... so the type is set back to a plain string
    if is_formula_like(text):
        cell.quotePrefix = True
    return cell

