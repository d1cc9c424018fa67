"""Drop-down lists and checks on the feedback columns of a township or banner workbook.

Why in the workbook itself: a township without network access fills its list offline
(spec workspace.md); drop-downs with exactly the codes' Chinese labels and date/length
checks catch most mistakes while typing. The import (workbook_import) still checks
every row: a spreadsheet's validation is a help, not a guarantee.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from aidwatch.feedback.codes import NOTE_MAX_CHARS, action_labels, result_labels

#: ListColumn keys of the feedback columns (exports/labels.py) -> the field they hold.
FEEDBACK_COLUMN_KEYS = {
    "feedback_result_input": "result",
    "feedback_action_input": "action",
    "feedback_note_input": "note",
    "feedback_verified_on_input": "verified_on",
    "feedback_handled_on_input": "handled_on",
}


def _choice(labels: dict[str, str], title: str) -> DataValidation:
    formula = '"' + ",".join(labels.values()) + '"'
    validation = DataValidation(type="list", formula1=formula, allow_blank=True, showDropDown=False)
    validation.error = f"请从下拉列表中选择{title}"
    validation.errorTitle = title
    validation.prompt = "、".join(labels.values())
    validation.promptTitle = title
    validation.showErrorMessage = True
    validation.showInputMessage = True
    return validation


def _date(title: str) -> DataValidation:
    validation = DataValidation(type="date", operator="greaterThan", formula1="DATE(2000,1,1)",
                                allow_blank=True)
    validation.error = "请填写日期,例如 2026-11-28"
    validation.errorTitle = title
    validation.showErrorMessage = True
    return validation


def add_feedback_validations(sheet: Worksheet, column_keys: list[str], first_row: int, last_row: int) -> None:
    """Validation on the feedback columns present in `column_keys` (1-based order), rows first..last."""
    if last_row < first_row:
        return
    makers = {
        "result": lambda: _choice(result_labels(), "核查结果"),
        "action": lambda: _choice(action_labels(), "处置措施"),
        "verified_on": lambda: _date("核查日期"),
        "handled_on": lambda: _date("处置日期"),
        "note": lambda: _note(),
    }
    for index, key in enumerate(column_keys, start=1):
        field = FEEDBACK_COLUMN_KEYS.get(key)
        if field is None:
            continue
        validation = makers[field]()
        letter = get_column_letter(index)
        validation.add(f"{letter}{first_row}:{letter}{last_row}")
        sheet.add_data_validation(validation)


def _note() -> DataValidation:
    validation = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(NOTE_MAX_CHARS),
                                allow_blank=True)
    validation.error = f"说明不能超过{NOTE_MAX_CHARS}个字"
    validation.errorTitle = "说明"
    validation.showErrorMessage = True
    return validation
