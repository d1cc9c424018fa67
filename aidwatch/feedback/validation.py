"""One validation of officials' feedback for the web form and the workbook import alike.

Why one place: the spec (workspace.md, "Feedback on a warning") gives the rules once; a
township that posts the form and one that returns its workbook must be held to exactly
the same rules, and each refusal must name the field (and the workbook row) in Chinese.

What the caller supplies and the official never does: the warning's first sighting
(`first_seen_on`, from the published warehouse), today's date, the user and the time
(`store.record_feedback` sets those two on the server).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from aidwatch.feedback import clock
from aidwatch.feedback.codes import (
    FIELD_LABELS_ZH,
    NOT_CONFIRMED,
    NOTE_MAX_CHARS,
    action_labels,
    result_labels,
)

#: Characters that make a spreadsheet read text as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_ALLOWED_CONTROL = {"\n", "\t"}


@dataclass(frozen=True)
class FieldError:
    """Why one field of one submission (or workbook row) was refused."""

    field: str
    message_zh: str
    row: int | None = None

    def describe(self) -> str:
        label = FIELD_LABELS_ZH.get(self.field, self.field)
        where = f"第{self.row}行 " if self.row is not None else ""
        return f"{where}{label}({self.field}): {self.message_zh}"


class FeedbackRejected(ValueError):
    """Feedback that breaks a rule; `errors` names every field at fault."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(e.describe() for e in errors))


@dataclass(frozen=True)
class Feedback:
    """A valid submission, before the server adds who recorded it and when."""

    warning_key: str
    result: str
    action: str
    note: str | None
    verified_on: dt.date
    handled_on: dt.date | None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from a spreadsheet reader
        return ""
    return str(value).strip()


def _code(value: object, labels: dict[str, str]) -> str | None:
    """A code from its code or its Chinese label (drop-downs show labels), else None."""
    text = unicodedata.normalize("NFKC", _text(value))
    if text in labels:
        return text
    by_label = {unicodedata.normalize("NFKC", label): code for code, label in labels.items()}
    return by_label.get(text)


def _date(value: object) -> dt.date | None:
    """A date from a date, a datetime (spreadsheet cells) or ISO text; raises ValueError."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not text:
        return None
    text = text.replace("/", "-").replace(".", "-")
    if " " in text:  # "2026-11-28 00:00:00" as a spreadsheet may write it
        text = text.split(" ", 1)[0]
    return dt.date.fromisoformat(text)


def _note_problem(note: str) -> str | None:
    if len(note) > NOTE_MAX_CHARS:
        return f"不能超过{NOTE_MAX_CHARS}个字(现有{len(note)}个字)"
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROL for ch in note):
        return "含有不可见的控制字符"
    return None


def validate_feedback(
    values: Mapping[str, object],
    *,
    first_seen_on: dt.date | None,
    today: dt.date | None = None,
    row: int | None = None,
) -> Feedback:
    """Check one submission; return it normalised or raise FeedbackRejected naming each field.

    `values` holds warning_key, result, action, note, verified_on, handled_on as the form
    posts them (codes, ISO dates) or as a workbook holds them (labels, date cells).
    `first_seen_on` is when the warning was first seen (None: the warning is unknown).
    """
    today = today or clock.local_today()
    errors: list[FieldError] = []

    def refuse(field: str, message: str) -> None:
        errors.append(FieldError(field, message, row))

    warning_key = _text(values.get("warning_key"))
    if not warning_key:
        refuse("warning_key", "不能为空")
    elif first_seen_on is None:
        refuse("warning_key", "找不到该预警,或不在您的管辖范围内")

    result = _code(values.get("result"), result_labels())
    if result is None:
        refuse("result", "请选择:" + "、".join(result_labels().values()))
    action = _code(values.get("action"), action_labels())
    if action is None:
        refuse("action", "请选择:" + "、".join(action_labels().values()))

    note = _text(values.get("note")).replace("\r\n", "\n")
    problem = _note_problem(note)
    if problem:
        refuse("note", problem)
    if result == NOT_CONFIRMED and not note:
        refuse("note", "核查结果为“不属实”时必须填写说明")

    verified_on = handled_on = None
    try:
        verified_on = _date(values.get("verified_on"))
    except ValueError:
        refuse("verified_on", "不是有效日期(格式:2026-11-28)")
    else:
        if verified_on is None:
            refuse("verified_on", "不能为空")
        elif verified_on > today:
            refuse("verified_on", f"不能晚于今天({today.isoformat()})")
        elif first_seen_on is not None and verified_on < first_seen_on:
            refuse("verified_on", f"不能早于预警首次发现日期({first_seen_on.isoformat()})")
    try:
        handled_on = _date(values.get("handled_on"))
    except ValueError:
        refuse("handled_on", "不是有效日期(格式:2026-11-28)")
    else:
        if handled_on is not None:
            if handled_on > today:
                refuse("handled_on", f"不能晚于今天({today.isoformat()})")
            elif verified_on is not None and handled_on < verified_on:
                refuse("handled_on", "不能早于核查日期")
            elif result == NOT_CONFIRMED:
                refuse("handled_on", "核查结果为“不属实”时不应填写处置日期")

    if errors:
        raise FeedbackRejected(errors)
    assert result is not None and action is not None and verified_on is not None
    return Feedback(
        warning_key=warning_key,
        result=result,
        action=action,
        note=note or None,
        verified_on=verified_on,
        handled_on=handled_on,
    )


def neutralise_formula(text: str | None) -> str | None:
    """Text safe to put in a spreadsheet cell: a leading formula character gets a quote.

    Notes are stored as the official typed them; this is applied where they leave as a
    spreadsheet (the workbook's history columns), the OWASP way.
    """
    if text and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text
