"""Revealing a full ID number: only with a reason from the list, always audited first.

Why a POST with an opaque person reference: the page never carries the number; the
reveal is a deliberate act with a reason (入户核查, 电话联系, 部门协查, 其他), and the
audit row (who, whose, why) is written before the number is shown. When the row
cannot be written nothing is revealed (AuditUnavailable).
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from aidwatch.workspace.audit import audit_request
from aidwatch.workspace.dependencies import NotFound
from aidwatch.workspace.views import REVEAL_REASONS, person_ref
from exports.masking import mask_id_number


def reveal_id(
    request: Request, id_numbers: list[str | None], person: str, reason: str, subject: str
) -> dict[str, str]:
    """{reference: full ID number} for the one person asked for, among those the page shows."""
    if reason not in REVEAL_REASONS:
        raise HTTPException(status_code=422, detail="请选择查看完整号码的原因。")
    by_ref = {person_ref(request, id_number): id_number for id_number in id_numbers if id_number}
    id_number = by_ref.get(person)
    if id_number is None:
        audit_request(request, "reveal_id", subject, result="not_found")
        raise NotFound()
    audit_request(request, "reveal_id", subject,
                  detail=f"person={mask_id_number(id_number)}; reason={REVEAL_REASONS[reason]}")
    return {person: id_number}
