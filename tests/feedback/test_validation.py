"""The one validation of feedback (form and workbook): every rule of workspace.md at its boundary."""

from __future__ import annotations

import datetime as dt

import pytest

from aidwatch.feedback.codes import action_labels, result_labels
from aidwatch.feedback.validation import FeedbackRejected, neutralise_formula, validate_feedback

TODAY = dt.date(2026, 11, 30)
FIRST_SEEN = dt.date(2026, 11, 20)


def submit(**changes: object) -> dict:
    values = {"warning_key": "k1", "result": "confirmed", "action": "review_done", "note": "",
              "verified_on": "2026-11-25", "handled_on": ""}
    values.update(changes)
    return values


def refused_fields(values: dict, first_seen_on: dt.date | None = FIRST_SEEN) -> dict[str, str]:
    with pytest.raises(FeedbackRejected) as caught:
        validate_feedback(values, first_seen_on=first_seen_on, today=TODAY)
    return {e.field: e.message_zh for e in caught.value.errors}


def test_valid_submission_is_normalised() -> None:
    feedback = validate_feedback(submit(handled_on="2026-11-26", note="  已入户  "),
                                 first_seen_on=FIRST_SEEN, today=TODAY)
    assert (feedback.result, feedback.action, feedback.note) == ("confirmed", "review_done", "已入户")
    assert (feedback.verified_on, feedback.handled_on) == (dt.date(2026, 11, 25), dt.date(2026, 11, 26))


def test_codes_come_from_the_feed_contract() -> None:
    assert list(result_labels()) == ["confirmed", "partly", "not_confirmed"]
    assert list(action_labels()) == ["enrolled", "temporary_aid", "benefit_adjusted", "stopped_recovered",
                                     "review_done", "referred", "none"]


def test_chinese_labels_are_accepted_like_codes() -> None:
    feedback = validate_feedback(submit(result="部分属实", action="转介相关部门"),
                                 first_seen_on=FIRST_SEEN, today=TODAY)
    assert (feedback.result, feedback.action) == ("partly", "referred")


@pytest.mark.parametrize(("field", "value"), [("result", "maybe"), ("action", "pay_more"), ("result", "")])
def test_unknown_codes_are_refused_naming_the_field(field: str, value: str) -> None:
    assert field in refused_fields(submit(**{field: value}))


def test_verified_today_is_fine_tomorrow_is_future() -> None:
    validate_feedback(submit(verified_on=TODAY.isoformat()), first_seen_on=FIRST_SEEN, today=TODAY)
    errors = refused_fields(submit(verified_on="2026-12-01"))
    assert "不能晚于今天" in errors["verified_on"]


def test_verified_on_first_sighting_is_fine_the_day_before_is_refused() -> None:
    validate_feedback(submit(verified_on="2026-11-20"), first_seen_on=FIRST_SEEN, today=TODAY)
    errors = refused_fields(submit(verified_on="2026-11-19"))
    assert "不能早于预警首次发现日期(2026-11-20)" in errors["verified_on"]


def test_handled_on_the_verification_day_is_fine_the_day_before_is_refused() -> None:
    validate_feedback(submit(handled_on="2026-11-25"), first_seen_on=FIRST_SEEN, today=TODAY)
    assert "handled_on" in refused_fields(submit(handled_on="2026-11-24"))
    assert "handled_on" in refused_fields(submit(handled_on="2026-12-01"))


def test_not_confirmed_needs_a_note() -> None:
    errors = refused_fields(submit(result="not_confirmed", action="none", note="   "))
    assert "必须填写说明" in errors["note"]
    feedback = validate_feedback(submit(result="not_confirmed", action="none", note="已核实收入低于标准"),
                                 first_seen_on=FIRST_SEEN, today=TODAY)
    assert feedback.result == "not_confirmed"


def test_note_of_500_characters_is_fine_501_is_refused() -> None:
    validate_feedback(submit(note="核" * 500), first_seen_on=FIRST_SEEN, today=TODAY)
    assert "不能超过500个字" in refused_fields(submit(note="核" * 501))["note"]


def test_control_characters_in_the_note_are_refused() -> None:
    assert "note" in refused_fields(submit(note="ok\x00bad"))


def test_a_warning_outside_the_scope_or_unknown_is_refused() -> None:
    assert "找不到该预警" in refused_fields(submit(), first_seen_on=None)["warning_key"]


def test_bad_dates_are_named() -> None:
    errors = refused_fields(submit(verified_on="2026-13-01", handled_on="yesterday"))
    assert set(errors) == {"verified_on", "handled_on"}


def test_every_fault_is_reported_at_once_with_the_row() -> None:
    with pytest.raises(FeedbackRejected) as caught:
        validate_feedback(submit(result="x", action="y", verified_on=""), first_seen_on=FIRST_SEEN,
                          today=TODAY, row=7)
    assert {e.field for e in caught.value.errors} == {"result", "action", "verified_on"}
    assert all(e.row == 7 for e in caught.value.errors)
    assert "第7行 核查结果(result)" in str(caught.value)


def test_date_cells_and_datetimes_from_a_workbook_are_read() -> None:
    feedback = validate_feedback(submit(verified_on=dt.datetime(2026, 11, 25, 0, 0), handled_on=None),
                                 first_seen_on=FIRST_SEEN, today=TODAY)
    assert feedback.verified_on == dt.date(2026, 11, 25) and feedback.handled_on is None


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_neutralised_for_spreadsheets(text: str) -> None:
    assert neutralise_formula(text) == "'" + text
    assert neutralise_formula("正常说明") == "正常说明"
