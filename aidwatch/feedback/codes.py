"""The feedback codes (核查结果, 处置措施) and their Chinese labels.

Why read from the contract: the feed `warning_feedback` in ingestion/feeds.yaml already
lists each code with its label for the ingestion gate; the form, the workbook drop-downs,
the validation and the dbt models must offer exactly those, so nothing here restates them.
"""

from __future__ import annotations

from functools import cache

from ingestion.contracts import Feed, get_feed

FEED_ID = "warning_feedback"

#: Longest accepted note (说明), in characters.
NOTE_MAX_CHARS = 500

#: The result that dismisses a warning, and so requires a note saying why.
NOT_CONFIRMED = "not_confirmed"

#: Field names as the form posts them, with the Chinese label officials see.
FIELD_LABELS_ZH: dict[str, str] = {
    "warning_key": "预警编号",
    "result": "核查结果",
    "action": "处置措施",
    "note": "说明",
    "verified_on": "核查日期",
    "handled_on": "处置日期",
}


@cache
def feedback_feed() -> Feed:
    return get_feed(FEED_ID)


def result_labels() -> dict[str, str]:
    """Result code -> Chinese label (属实, 部分属实, 不属实), in contract order."""
    return _labels("result")


def action_labels() -> dict[str, str]:
    """Action code -> Chinese label (纳入救助 ... 无需处置), in contract order."""
    return _labels("action")


def _labels(column: str) -> dict[str, str]:
    return {code: label for label, code in feedback_feed().column(column).values.items()}
