"""What the pages show of warehouse rows: the workbooks' wording, masking and reveal references.

Why reuse `exports.officials.display_row`: a warning reads the same on the web page as
in the officials' workbook (labels, masked person, evidence sentence). Full ID numbers
never reach a page unless revealed; the reveal form names a person by an opaque
reference (a keyed hash of the ID number) so the number is not in the page either.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from fastapi import Request

from aidwatch.workspace.warehouse import Snapshot
from exports.labels import CATEGORY_ZH, SEVERITY_ZH, STATUS_ZH, VALUE_ZH
from exports.officials import display_row

REVEAL_REASONS = {"home_visit": "入户核查", "phone": "电话联系", "department": "部门协查", "other": "其他"}

CASE_KIND_ZH = {
    "REV-05": "救助申请", "REV-09": "救助申请",
    "REV-06": "临时救助案件", "REV-07": "临时救助案件",
    "REV-08": "流浪乞讨人员救助案件",
    "REV-10": "12345热线工单",
}

PAGE_SIZE = 50


def warning_view(row: dict, snapshot: Snapshot) -> dict:
    """A warning row as a page shows it (labels, masked person, evidence sentence, links).

    Computed once per snapshot and warning (`Snapshot.memo`); callers must not change it.
    """
    return snapshot.memo(("view", row.get("warning_key")), lambda: _warning_view(row, snapshot))


def _warning_view(row: dict, snapshot: Snapshot) -> dict:
    view = display_row(row, snapshot.regions)
    view["subject_type"] = row.get("subject_type")
    view["subject_key"] = row.get("subject_key")
    view["category"] = row.get("category")
    view["case_kind_zh"] = CASE_KIND_ZH.get(str(row.get("rule_id")), "案件")
    view["household_link"] = household_link(row)
    view["times_seen_before"] = row.get("times_seen_before")
    return view


def household_link(row: dict) -> str | None:
    """The household page of a warning: its assisted household, else its household subject."""
    if row.get("household_id"):
        return str(row["household_id"])
    if row.get("subject_type") == "household" and row.get("subject_key"):
        return str(row["subject_key"])
    return None


def person_ref(request: Request, id_number: str) -> str:
    """Opaque, stable within a deployment: names a person in a reveal form without the number."""
    key = request.app.state.person_ref_key
    return hmac.new(key, id_number.encode(), hashlib.sha256).hexdigest()[:24]


# Codes of fct_aid not in the workbooks' wording (departments, aid kinds).
AID_ZH = {
    "civil_affairs": "民政部门",
    "medical_security": "医疗保障部门",
    "education": "教育部门",
    "social_forces": "社会力量",
    "emergency_management": "应急管理部门",
    "medical_assistance": "医疗救助",
    "insurance_subsidy": "参保资助",
    "disaster_relief": "受灾救助",
    "charity": "慈善救助",
}


def label(code: str | None) -> str:
    """Chinese wording of a code (the workbooks' labels, then the aid chain's); unknown codes as is."""
    if code is None:
        return ""
    return AID_ZH.get(str(code)) or VALUE_ZH.get(str(code), str(code))


def iso(value: date | None) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else (value or "")


TEMPLATE_GLOBALS = {
    "SEVERITY_ZH": SEVERITY_ZH,
    "STATUS_ZH": STATUS_ZH,
    "CATEGORY_ZH": CATEGORY_ZH,
    "REVEAL_REASONS": REVEAL_REASONS,
}
