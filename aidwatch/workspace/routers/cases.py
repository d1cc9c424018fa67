"""Case page `/cases/{case_id}`: the warnings about one case (application, temporary
case, vagrant case, hotline ticket), under the case's own reference number.

Why from the warnings: a case page exists for case-subject warnings; their subject
key is the case's reference number, their evidence the facts of the case.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aidwatch.workspace.app import render
from aidwatch.workspace.audit import audit_request
from aidwatch.workspace.csrf import check_csrf
from aidwatch.workspace.dependencies import FormText, NotFound, PersonalDataUser
from aidwatch.workspace.reveal import reveal_id
from aidwatch.workspace.scope import Principal
from aidwatch.workspace.views import person_ref, warning_view
from aidwatch.workspace.warehouse import request_snapshot

router = APIRouter(tags=["cases"])


def visible_case(request: Request, principal: Principal, case_id: str) -> list[dict]:
    snapshot = request_snapshot(request)
    rows = [r for r in snapshot.warnings
            if r.get("subject_type") == "case" and r.get("subject_key") == case_id]
    visible = [r for r in rows if principal.covers_warning(r)]
    if not visible:
        audit_request(request, "view_case", f"case:{case_id}", result="out_of_scope" if rows else "not_found")
        raise NotFound()
    return visible


def case_page(request: Request, principal: Principal, case_id: str, rows: list[dict],
              revealed: dict[str, str]) -> Response:
    snapshot = request_snapshot(request)
    views = [dict(warning_view(row, snapshot)) for row in rows]  # memoised: copy before adding
    for view, row in zip(views, rows, strict=True):
        view["person_ref"] = person_ref(request, row["id_number"]) if row.get("id_number") else None
    return render(request, "case.html", {
        "case_id": case_id, "warnings": views, "first": views[0], "revealed": revealed,
        "as_of": snapshot.as_of, "region_label": snapshot.region_name(principal.region_code),
    })


@router.get("/cases/{case_id}")
def case_detail(case_id: str, request: Request, principal: PersonalDataUser) -> Response:
    rows = visible_case(request, principal, case_id)
    audit_request(request, "view_case", f"case:{case_id}")
    return case_page(request, principal, case_id, rows, {})


@router.post("/cases/{case_id}/reveal")
def case_reveal(case_id: str, request: Request, principal: PersonalDataUser, person: FormText = "",
                reason: FormText = "", csrf_token: FormText = "") -> Response:
    check_csrf(request, csrf_token)
    rows = visible_case(request, principal, case_id)
    revealed = reveal_id(request, [r.get("id_number") for r in rows], person, reason, f"case:{case_id}")
    return case_page(request, principal, case_id, rows, revealed)
