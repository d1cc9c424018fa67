"""预警清单 `/warnings` and one warning `/warnings/{warning_key}` (with its ID reveal).

Why filter the in-memory list: the ordered warnings of a publish are loaded once
(`PublishedWarehouse.snapshot`, the workbooks' order: household priority first); a
page is the user's area, then the filters, then one page of 50.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from aidwatch.feedback.published import OFF_THE_LIST
from aidwatch.workspace.app import render, templates
from aidwatch.workspace.audit import audit_request, client_address
from aidwatch.workspace.csrf import check_csrf
from aidwatch.workspace.dependencies import Forbidden, FormText, NotFound, PersonalDataUser
from aidwatch.workspace.reassignment import (
    REASON_MAX_CHARS,
    ReassignmentRejected,
    ReassignmentRequest,
    check_request,
    reassignment_history,
    record_reassignment,
    townships,
)
from aidwatch.workspace.reveal import reveal_id
from aidwatch.workspace.scope import Principal
from aidwatch.workspace.views import PAGE_SIZE, person_ref, warning_view
from aidwatch.workspace.warehouse import Snapshot, request_snapshot

router = APIRouter(tags=["warnings"])


def overdue_states(row: dict) -> tuple[str, ...]:
    """The league's and banners' overdue lists (spec: "league: overdue lists"): which a warning is on.

    A warning still on the officials' list and without feedback past its time limit is
    核查逾期 ("overdue"); past twice the limit it is also escalated (warning_status mart).
    """
    if row.get("status") in ("resolved", *OFF_THE_LIST) or not row.get("verify_due_on"):
        return ()
    if row.get("is_escalated"):
        return ("overdue", "escalated")
    return ("overdue",) if row.get("is_verify_overdue") else ()


@dataclass
class ListFilters:
    """The list's filters, from the query string (unknown values simply match nothing)."""

    rule: str = ""
    category: str = ""
    severity: str = ""
    status: str = ""
    township: str = ""
    min_days: int | None = None
    overdue: str = ""  # "" | overdue (核查逾期, escalated included) | escalated (已上报旗(区))
    page: int = 1

    def matches(self, row: dict) -> bool:
        return (
            (not self.rule or row.get("rule_id") == self.rule)
            and (not self.category or row.get("category") == self.category)
            and (not self.severity or row.get("severity") == self.severity)
            and (not self.status or row.get("status") == self.status)
            and (not self.township or row.get("township_code") == self.township)
            and (self.min_days is None or (row.get("days_open") or 0) >= self.min_days)
            and (not self.overdue or self.overdue in overdue_states(row))
        )

    def query(self, page: int) -> str:
        pairs = (("rule", self.rule), ("category", self.category), ("severity", self.severity),
                 ("status", self.status), ("township", self.township), ("min_days", self.min_days),
                 ("overdue", self.overdue))
        values = {k: v for k, v in pairs if v not in ("", None)}
        values["page"] = page
        return urlencode(values)

    def summary(self) -> str:
        parts = [f"{k}={v}" for k, v in self.__dict__.items() if v not in ("", None) and k != "page"]
        return ";".join(parts + [f"page={self.page}"])


def parse_filters(request: Request) -> ListFilters:
    params = request.query_params

    def whole(name: str, minimum: int) -> int | None:
        value = params.get(name, "").strip()
        return max(minimum, int(value)) if value.isdigit() else None

    return ListFilters(
        rule=params.get("rule", "").strip(), category=params.get("category", "").strip(),
        severity=params.get("severity", "").strip(), status=params.get("status", "").strip(),
        township=params.get("township", "").strip(), min_days=whole("min_days", 0),
        overdue=params.get("overdue", "").strip(), page=whole("page", 1) or 1,
    )


@dataclass(frozen=True)
class AreaList:
    """A user's area of one snapshot: its warnings in order and the filters' choices."""

    warnings: list[dict]
    options: dict


def area_list(snapshot: Snapshot, principal: Principal) -> AreaList:
    """The area's warnings and filter choices, computed once per snapshot and area."""

    def compute() -> AreaList:
        in_area = [row for row in snapshot.warnings if principal.covers_warning(row)]
        return AreaList(in_area, {
            "rules": sorted({(r["rule_id"], r.get("rule_name_zh") or "") for r in in_area}),
            "categories": sorted({r.get("category") for r in in_area if r.get("category")}),
            "statuses": sorted({r.get("status") for r in in_area if r.get("status")}),
            "townships": sorted({(r["township_code"], snapshot.region_name(r["township_code"]))
                                 for r in in_area if r.get("township_code")}),
        })

    return snapshot.memo(("area", principal.role, principal.region_code), compute)


def row_html(row: dict, snapshot: Snapshot) -> Markup:
    """A warning's row of the list, rendered once per snapshot (it reads the same for every user)."""

    def compute() -> Markup:
        template = templates.get_template("_warning_row.html")
        return Markup(template.render(w=warning_view(row, snapshot)))

    return snapshot.memo(("row_html", row.get("warning_key")), compute)


@router.get("/warnings")
def warning_list(request: Request, principal: PersonalDataUser) -> Response:
    snapshot = request_snapshot(request)
    filters = parse_filters(request)
    area = area_list(snapshot, principal)
    in_area, options = area.warnings, area.options
    chosen = [row for row in in_area if filters.matches(row)]
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(filters.page, pages)
    shown = chosen[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    audit_request(request, "view_warning_list", principal.region_code or "league",
                  detail=f"{filters.summary()};rows={len(shown)}")
    return render(request, "warnings.html", {
        "rows": [row_html(row, snapshot) for row in shown],
        "filters": filters, "options": options, "total": len(chosen), "area_total": len(in_area),
        "page": page, "pages": pages,
        "previous_url": f"/warnings?{filters.query(page - 1)}" if page > 1 else None,
        "next_url": f"/warnings?{filters.query(page + 1)}" if page < pages else None,
        "as_of": snapshot.as_of, "region_label": snapshot.region_name(principal.region_code),
    })


def visible_warning(request: Request, principal: Principal, warning_key: str) -> dict:
    """The warning if in the user's area; else audit the attempt and answer "not found"."""
    warning = request_snapshot(request).by_key.get(warning_key)
    if warning is None or not principal.covers_warning(warning):
        exists = warning is not None
        audit_request(request, "view_warning", f"warning:{warning_key}",
                      result="out_of_scope" if exists else "not_found")
        raise NotFound()
    return warning


def warning_page(request: Request, principal: Principal, warning: dict, revealed: dict[str, str],
                 feedback_errors: list | None = None, feedback_values: dict | None = None,
                 status_code: int = 200, reassign_error: str | None = None,
                 reassign_values: dict | None = None) -> Response:
    from aidwatch.workspace.routers.feedback import TEMPLATE, feedback_context  # issue 16

    snapshot = request_snapshot(request)
    view = warning_view(warning, snapshot)
    ref = person_ref(request, warning["id_number"]) if warning.get("id_number") else None
    return render(request, TEMPLATE, {
        "w": view, "person_ref": ref, "revealed": revealed, "as_of": snapshot.as_of,
        "region_label": snapshot.region_name(principal.region_code),
        **feedback_context(request, warning, feedback_errors, feedback_values),
        **reassign_context(request, principal, warning, snapshot, reassign_error, reassign_values),
    }, status_code=status_code)


def reassign_context(request: Request, principal: Principal, warning: dict, snapshot: Snapshot,
                     error: str | None, values: dict | None) -> dict:
    """The reassignment history (everyone who sees the warning) and, for league users, the form."""
    history = reassignment_history(request.app.state.ops, warning["warning_key"])
    for entry in history:
        entry["from_name"] = snapshot.region_name(entry["from_township_code"] or entry["from_banner_code"])
        entry["to_name"] = snapshot.region_name(entry["to_township_code"])
    return {
        "reassign_history": history,
        "reassign_townships": townships(snapshot) if principal.role == "league" else [],
        "reassign_error": error,
        "reassign_values": values or {},
        "reassign_reason_max": REASON_MAX_CHARS,
    }


@router.get("/warnings/{warning_key}")
def warning_detail(warning_key: str, request: Request,
                   principal: PersonalDataUser) -> Response:
    warning = visible_warning(request, principal, warning_key)
    audit_request(request, "view_warning", f"warning:{warning_key}")
    return warning_page(request, principal, warning, {})


@router.post("/warnings/{warning_key}/reassign")
def warning_reassign(warning_key: str, request: Request, principal: PersonalDataUser,
                     to_township: FormText = "", reason: FormText = "",
                     csrf_token: FormText = "") -> Response:
    """League only: move the warning to another township (append-only, audited with the row)."""
    check_csrf(request, csrf_token)
    if principal.role != "league":
        audit_request(request, "denied", f"warning:{warning_key}", result="forbidden_role",
                      detail="reassign_warning")
        raise Forbidden()
    warning = visible_warning(request, principal, warning_key)
    wanted = ReassignmentRequest(warning_key, to_township.strip(), reason)
    try:
        check_request(wanted, warning, request_snapshot(request))
    except ReassignmentRejected as error:
        audit_request(request, "view_warning", f"warning:{warning_key}", detail="reassign rejected")
        return warning_page(request, principal, warning, {}, status_code=422, reassign_error=str(error),
                            reassign_values={"to_township": to_township, "reason": reason})
    record_reassignment(request.app.state.ops, principal, warning, wanted, client_address(request))
    return RedirectResponse(f"/warnings/{warning_key}#reassign", status_code=303)


@router.post("/warnings/{warning_key}/reveal")
def warning_reveal(warning_key: str, request: Request, principal: PersonalDataUser,
                   person: FormText = "", reason: FormText = "", csrf_token: FormText = "") -> Response:
    check_csrf(request, csrf_token)
    warning = visible_warning(request, principal, warning_key)
    revealed = reveal_id(request, [warning.get("id_number")], person, reason, f"warning:{warning_key}")
    return warning_page(request, principal, warning, revealed)
