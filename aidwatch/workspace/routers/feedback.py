"""核查反馈: the feedback form on a warning's page, posted to `/warnings/{warning_key}/feedback`.

Why its own router: the warning loop (spec workspace.md, issue 16) is a part of its
own; the warning page (routers/warnings.py) renders `warning_feedback.html`, which
adds the form and the history to it with `feedback_context`. The checks are the same
as for an imported workbook (aidwatch.feedback.validation); the server sets the user
and the time; scope, CSRF and audit are the workspace's own (out-of-area warnings are
"not found", audited). The record and its audit row are written in one transaction:
no feedback without its audit row.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from aidwatch.feedback import clock
from aidwatch.feedback.codes import FIELD_LABELS_ZH, NOTE_MAX_CHARS, action_labels, result_labels
from aidwatch.feedback.published import STATUS_COLUMNS
from aidwatch.feedback.store import AuditContext, feedback_history, record_feedback
from aidwatch.feedback.validation import Feedback, FeedbackRejected, validate_feedback
from aidwatch.workspace.audit import AuditUnavailable, audit_request, client_address
from aidwatch.workspace.csrf import check_csrf
from aidwatch.workspace.dependencies import FormText, PersonalDataUser
from aidwatch.workspace.scope import Principal

router = APIRouter(tags=["feedback"])

TEMPLATE = "warning_feedback.html"

FEEDBACK_STATUS_ZH = {
    "new": "新增", "open": "持续", "verified": "已核实", "handled": "已处置",
    "dismissed": "不属实(已排除)", "resolved": "已解除",
}


def _as_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)) if value else None


def feedback_context(request: Request, warning: dict, errors: list | None = None,
                     values: dict | None = None) -> dict:
    """What the form and the history need: codes, the record so far, the status with feedback."""
    history = feedback_history(request.app.state.ops, warning["warning_key"])
    results, actions = result_labels(), action_labels()
    for record in history:
        record["result_zh"] = results.get(record["result"], record["result"])
        record["action_zh"] = actions.get(record["action"], record["action"])
    return {
        "feedback_history": history,
        "feedback_results": results,
        "feedback_actions": actions,
        "feedback_errors": errors or [],
        "feedback_error_fields": {e.field for e in errors or []},
        "feedback_values": values or {},
        "feedback_status_zh": FEEDBACK_STATUS_ZH.get(warning.get("status"), warning.get("status")),
        "feedback_labels": FIELD_LABELS_ZH,
        "note_max_chars": NOTE_MAX_CHARS,
        "today": clock.local_today().isoformat(),
        "first_seen_on": warning.get("first_seen_on"),
        "fw": {column: warning.get(column) for column in STATUS_COLUMNS},
    }


@router.post("/warnings/{warning_key}/feedback")
def post_feedback(warning_key: str, request: Request, principal: PersonalDataUser,
                  result: FormText = "", action: FormText = "", note: FormText = "",
                  verified_on: FormText = "", handled_on: FormText = "",
                  csrf_token: FormText = "") -> Response:
    """Record one feedback (a correction is a new record) or show the form again with the faults."""
    from aidwatch.workspace.routers.warnings import visible_warning, warning_page

    check_csrf(request, csrf_token)
    warning = visible_warning(request, principal, warning_key)
    values = {"warning_key": warning_key, "result": result, "action": action, "note": note,
              "verified_on": verified_on, "handled_on": handled_on}
    try:
        feedback = validate_feedback(values, first_seen_on=_as_date(warning.get("first_seen_on")),
                                     today=clock.local_today())
    except FeedbackRejected as rejected:
        audit_request(request, "feedback", f"warning:{warning_key}", result="invalid",
                      detail=";".join(sorted({e.field for e in rejected.errors})))
        return warning_page(request, principal, warning, {}, feedback_errors=rejected.errors,
                            feedback_values=values, status_code=400)
    record(request, principal, feedback)
    return RedirectResponse(f"/warnings/{warning_key}#feedback", status_code=303)


def record(request: Request, principal: Principal, feedback: Feedback) -> None:
    """Store the record with its audit row; a database that refuses either stores nothing (503)."""
    try:
        record_feedback(request.app.state.ops, feedback,
                        AuditContext(principal.login, principal.role, client_address(request)))
    except SQLAlchemyError as error:
        raise AuditUnavailable(f"feedback and its audit row not written: {error}") from error


def rule_dismissals_for(request: Request, principal: Principal) -> list:
    """The dismissed share per rule (IND-13) for league users, for /stats; empty for others.

    Only the league tunes the rules, and the measure is league-wide (spec workspace.md).
    """
    from aidwatch.feedback.stats import dismissed_share_by_rule

    if principal.role != "league":
        return []
    with request.app.state.warehouse.cursor() as cursor:
        present = cursor.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'ind_13_rule_dismissals'"
        ).fetchall()[0][0]
        return dismissed_share_by_rule(cursor) if present else []
