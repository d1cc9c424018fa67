"""The audit log: one append-only row per event (logins, pages showing people, reveals, exports...).

Why it fails closed: personal data may be shown only when the showing is on record.
Every page that shows a person or household writes its audit row first and serves
nothing when that write fails (`AuditUnavailable` becomes HTTP 503).
"""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy import Engine, insert
from sqlalchemy.exc import SQLAlchemyError

from aidwatch.workspace.clock import utc_now
from aidwatch.workspace.ops.models import AuditEvent

log = logging.getLogger(__name__)

# Actions written by the workspace (issue 16 adds its own, e.g. "feedback").
ACTIONS_ZH = {
    "login": "登录",
    "logout": "退出",
    "view_warning_list": "查看预警清单",
    "view_warning": "查看预警",
    "view_household": "查看家庭",
    "view_case": "查看案件",
    "view_stats": "查看统计",
    "view_audit": "查看审计日志",
    "export_audit": "导出审计日志",
    "reveal_id": "显示完整号码",
    "denied": "越权访问",
    "feedback": "核查反馈",
    "user_change": "用户变更",
    "reassign_warning": "改派预警",
    "view_users": "查看用户",
}


class AuditUnavailable(RuntimeError):
    """The audit row could not be written: personal data must not be served."""


def write_audit(
    engine: Engine,
    *,
    action: str,
    result: str,
    user_login: str | None = None,
    role: str | None = None,
    subject: str | None = None,
    client: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one audit row; raises AuditUnavailable when the database refuses it."""
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(AuditEvent).values(
                    at=utc_now(), user_login=user_login, role=role, action=action,
                    subject=(subject or None) and subject[:200], result=result,
                    client=client, detail=detail,
                )
            )
    except SQLAlchemyError as error:
        log.error("audit row not written (%s %s %s): %s", user_login, action, subject, error)
        raise AuditUnavailable(str(error)) from error


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def audit_request(
    request: Request, action: str, subject: str | None = None, result: str = "ok", detail: str | None = None
) -> None:
    """Audit an event of the signed-in user of `request` (its login, role and client address)."""
    principal = getattr(request.state, "principal", None)
    write_audit(
        request.app.state.ops,
        action=action,
        result=result,
        user_login=principal.login if principal else None,
        role=principal.role if principal else None,
        subject=subject,
        client=client_address(request),
        detail=detail,
    )
