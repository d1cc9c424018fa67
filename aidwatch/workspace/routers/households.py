"""家庭详情 `/households/{household_id}` and its ID reveal.

Why audit before rendering: the page shows people; its audit row is written first and
the page is refused when that fails. A household outside the user's area is "not
found", and the attempt is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aidwatch.workspace.app import render
from aidwatch.workspace.audit import audit_request
from aidwatch.workspace.csrf import check_csrf
from aidwatch.workspace.dependencies import FormText, NotFound, PersonalDataUser
from aidwatch.workspace.household_record import HouseholdRecord, aid_chain, load_household
from aidwatch.workspace.reveal import reveal_id
from aidwatch.workspace.scope import Principal, covers_household
from aidwatch.workspace.views import person_ref, warning_view
from aidwatch.workspace.warehouse import Snapshot, request_snapshot
from exports.masking import mask_id_number, mask_name

router = APIRouter(tags=["households"])


def visible_household(request: Request, principal: Principal, household_id: str) -> HouseholdRecord:
    warehouse = request.app.state.warehouse
    snapshot = request_snapshot(request)
    if not covers_household(principal, snapshot, household_id):
        known = household_id in snapshot.places
        audit_request(request, "view_household", f"household:{household_id}",
                      result="out_of_scope" if known else "not_found")
        raise NotFound()
    return load_household(warehouse, snapshot, household_id)


@dataclass(frozen=True)
class HouseholdView:
    """What the household page shows of a record, masked: the same for every user and request."""

    facts: dict
    members: list[dict]
    chain: list[dict]


def household_view(request: Request, snapshot: Snapshot, record: HouseholdRecord) -> HouseholdView:
    """The masked members, facts and aid chain of a household, computed once per snapshot."""

    def compute() -> HouseholdView:
        members = [
            {**member, "name_masked": mask_name(member.get("name")),
             "id_number_masked": mask_id_number(member.get("id_number")),
             "ref": person_ref(request, member["id_number"]) if member.get("id_number") else None}
            for member in record.members
        ]
        facts = dict(record.facts or {})
        facts["head_name_masked"] = mask_name(facts.get("head_name"))
        facts["head_id_masked"] = mask_id_number(facts.get("head_id_number"))
        chain = aid_chain([{**event, "id_number_masked": mask_id_number(event.get("id_number"))}
                           for event in record.aid_events])
        return HouseholdView(facts, members, chain)

    return snapshot.memo(("household_view", record.household_id), compute)


def household_page(request: Request, principal: Principal, record: HouseholdRecord,
                   revealed: dict[str, str]) -> Response:
    snapshot = request_snapshot(request)
    view = household_view(request, snapshot, record)
    facts = view.facts
    return render(request, "household.html", {
        "record": record, "facts": facts, "members": view.members,
        # only the warnings the user may see (a reassigned one has left the old township)
        "warnings": [warning_view(row, snapshot) for row in record.warnings
                     if principal.covers_warning(snapshot.by_key.get(row["warning_key"], row))],
        "roll": record.roll_history, "chain": view.chain, "revealed": revealed,
        "township_name": snapshot.region_name(facts.get("township_code")),
        "banner_name": snapshot.region_name(facts.get("banner_code")),
        "as_of": snapshot.as_of, "region_label": snapshot.region_name(principal.region_code),
    })


@router.get("/households/{household_id}")
def household_detail(household_id: str, request: Request,
                     principal: PersonalDataUser) -> Response:
    record = visible_household(request, principal, household_id)
    audit_request(request, "view_household", f"household:{household_id}")
    return household_page(request, principal, record, {})


@router.post("/households/{household_id}/reveal")
def household_reveal(household_id: str, request: Request, principal: PersonalDataUser,
                     person: FormText = "", reason: FormText = "", csrf_token: FormText = "") -> Response:
    check_csrf(request, csrf_token)
    record = visible_household(request, principal, household_id)
    revealed = reveal_id(request, record.id_numbers, person, reason, f"household:{household_id}")
    return household_page(request, principal, record, revealed)
