"""预警清单 `/warnings` and one warning `/warnings/{warning_key}` (with its ID reveal).

Why filter the in-memory list: the ordered warnings of a publish are loaded once
(`PublishedWarehouse.snapshot`, the workbooks' order: household priority first); a
page is the user's area, then the filters, then one page of 50.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aidwatch.workspace.app import render
from aidwatch.workspace.audit import audit_request
from aidwatch.workspace.csrf import check_csrf
from aidwatch.workspace.dependencies import FormText, NotFound, PersonalDataUser
from aidwatch.workspace.reveal import reveal_id
from aidwatch.workspace.scope import Principal, can_see_warning
from aidwatch.workspace.views import PAGE_SIZE, person_ref, warning_view

router = APIRouter(tags=["warnings"])


@dataclass
class ListFilters:
    """The list's filters, from the query string (unknown values simply match nothing)."""

    rule: str = ""
    category: str = ""
    severity: str = ""
    status: str = ""
    township: str = ""
    min_days: int | None = None
    page: int = 1

    def matches(self, row: dict) -> bool:
        return (
            (not self.rule or row.get("rule_id") == self.rule)
            and (not self.category or row.get("category") == self.category)
            and (not self.severity or row.get("severity") == self.severity)
            and (not self.status or row.get("status") == self.status)
            and (not self.township or row.get("township_code") == self.township)
            and (self.min_days is None or (row.get("days_open") or 0) >= self.min_days)
        )

    def query(self, page: int) -> str:
        pairs = (("rule", self.rule), ("category", self.category), ("severity", self.severity),
                 ("status", self.status), ("township", self.township), ("min_days", self.min_days))
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
        page=whole("page", 1) or 1,
    )


@router.get("/warnings")
def warning_list(request: Request, principal: PersonalDataUser) -> Response:
    snapshot = request.app.state.warehouse.snapshot()
    filters = parse_filters(request)
    in_area = [row for row in snapshot.warnings if principal.covers_warning(row)]
    chosen = [row for row in in_area if filters.matches(row)]
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(filters.page, pages)
    shown = chosen[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    audit_request(request, "view_warning_list", principal.region_code or "league",
                  detail=f"{filters.summary()};rows={len(shown)}")
    options = {
        "rules": sorted({(r["rule_id"], r.get("rule_name_zh") or "") for r in in_area}),
        "categories": sorted({r.get("category") for r in in_area if r.get("category")}),
        "statuses": sorted({r.get("status") for r in in_area if r.get("status")}),
        "townships": sorted({(r["township_code"], snapshot.region_name(r["township_code"]))
                             for r in in_area if r.get("township_code")}),
    }
    return render(request, "warnings.html", {
        "rows": [warning_view(row, snapshot) for row in shown],
        "filters": filters, "options": options, "total": len(chosen), "area_total": len(in_area),
        "page": page, "pages": pages,
        "previous_url": f"/warnings?{filters.query(page - 1)}" if page > 1 else None,
        "next_url": f"/warnings?{filters.query(page + 1)}" if page < pages else None,
        "as_of": snapshot.as_of, "region_label": snapshot.region_name(principal.region_code),
    })


def visible_warning(request: Request, principal: Principal, warning_key: str) -> dict:
    """The warning if in the user's area; else audit the attempt and answer "not found"."""
    warehouse = request.app.state.warehouse
    warning = can_see_warning(principal, warehouse, warning_key)
    if warning is None:
        exists = warning_key in warehouse.snapshot().by_key
        audit_request(request, "view_warning", f"warning:{warning_key}",
                      result="out_of_scope" if exists else "not_found")
        raise NotFound()
    return warning


def warning_page(request: Request, principal: Principal, warning: dict, revealed: dict[str, str],
                 feedback_errors: list | None = None, feedback_values: dict | None = None,
                 status_code: int = 200) -> Response:
    from aidwatch.workspace.routers.feedback import TEMPLATE, feedback_context  # issue 16

    snapshot = request.app.state.warehouse.snapshot()
    view = warning_view(warning, snapshot)
    ref = person_ref(request, warning["id_number"]) if warning.get("id_number") else None
    return render(request, TEMPLATE, {
        "w": view, "person_ref": ref, "revealed": revealed, "as_of": snapshot.as_of,
        "region_label": snapshot.region_name(principal.region_code),
        **feedback_context(request, warning, feedback_errors, feedback_values),
    }, status_code=status_code)


@router.get("/warnings/{warning_key}")
def warning_detail(warning_key: str, request: Request,
                   principal: PersonalDataUser) -> Response:
    warning = visible_warning(request, principal, warning_key)
    audit_request(request, "view_warning", f"warning:{warning_key}")
    return warning_page(request, principal, warning, {})


@router.post("/warnings/{warning_key}/reveal")
def warning_reveal(warning_key: str, request: Request, principal: PersonalDataUser,
                   person: FormText = "", reason: FormText = "", csrf_token: FormText = "") -> Response:
    check_csrf(request, csrf_token)
    warning = visible_warning(request, principal, warning_key)
    revealed = reveal_id(request, [warning.get("id_number")], person, reason, f"warning:{warning_key}")
    return warning_page(request, principal, warning, revealed)
