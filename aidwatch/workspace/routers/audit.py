"""审计日志 `/audit` (admin only) and its CSV export `/audit/export.csv`.

Why the admin: the audit log records who looked at whom; it holds no personal data
itself (subjects are keys, revealed numbers are kept masked), so the admin, who sees
no personal data, is the one who reads it. Reading and exporting it are audited too.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from aidwatch.workspace.app import render
from aidwatch.workspace.audit import ACTIONS_ZH, audit_request
from aidwatch.workspace.dependencies import AdminUser
from aidwatch.workspace.ops.models import AuditEvent

router = APIRouter(tags=["audit"])

AUDIT_PAGE_SIZE = 100
EXPORT_COLUMNS = ("id", "at", "user_login", "role", "action", "subject", "result", "client", "detail")


def parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filtered(request: Request) -> tuple[Select, dict]:
    params = request.query_params
    chosen = {
        "user": params.get("user", "").strip(),
        "action": params.get("action", "").strip(),
        "subject": params.get("subject", "").strip(),
        "since": parse_day(params.get("since")),
        "until": parse_day(params.get("until")),
    }
    query = select(AuditEvent)
    if chosen["user"]:
        query = query.where(AuditEvent.user_login == chosen["user"])
    if chosen["action"]:
        query = query.where(AuditEvent.action == chosen["action"])
    if chosen["subject"]:
        query = query.where(AuditEvent.subject.contains(chosen["subject"]))
    if chosen["since"]:
        query = query.where(AuditEvent.at >= datetime.combine(chosen["since"], datetime.min.time()))
    if chosen["until"]:
        query = query.where(AuditEvent.at < datetime.combine(chosen["until"] + timedelta(days=1),
                                                             datetime.min.time()))
    return query, chosen


@router.get("/audit")
def audit_log(request: Request, principal: AdminUser) -> Response:
    query, chosen = filtered(request)
    page_text = request.query_params.get("page", "1")
    page = max(1, int(page_text)) if page_text.isdigit() else 1
    audit_request(request, "view_audit", detail=";".join(f"{k}={v}" for k, v in chosen.items() if v))
    with Session(request.app.state.ops) as db:
        total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
        events = list(db.scalars(query.order_by(AuditEvent.id.desc())
                                 .limit(AUDIT_PAGE_SIZE).offset((page - 1) * AUDIT_PAGE_SIZE)))
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    query_string = "&".join(f"{k}={v}" for k, v in chosen.items() if v)
    return render(request, "audit.html", {
        "events": events, "chosen": chosen, "total": total, "page": page, "pages": pages,
        "actions": ACTIONS_ZH, "query_string": query_string,
    })


@router.get("/audit/export.csv")
def audit_export(request: Request, principal: AdminUser) -> Response:
    query, chosen = filtered(request)
    audit_request(request, "export_audit", detail=";".join(f"{k}={v}" for k, v in chosen.items() if v))
    with Session(request.app.state.ops) as db:
        events = list(db.scalars(query.order_by(AuditEvent.id)))
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese text correctly only with a BOM
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for event in events:
        writer.writerow([getattr(event, column) for column in EXPORT_COLUMNS])
    return StreamingResponse(
        iter([buffer.getvalue()]), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=audit.csv", "Cache-Control": "no-store"},
    )
