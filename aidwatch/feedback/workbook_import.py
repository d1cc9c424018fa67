"""Bring a filled township or banner workbook back: the offline path of the warning loop.

Why all or nothing: a township without network access fills the feedback columns of
its warning list (预警编号, 核查结果, 处置措施, 说明, 核查日期, 处置日期) and hands the
file in; half an import would leave the official unsure what counts. Every row is
checked with the same validation as the web form (`validation.validate_feedback`) and
the same scope as the workspace (the importing user's area); one bad row refuses the
whole workbook with each row number and reason, and the good workbook is stored in ONE
transaction together with its audit row.

Columns are found by their Chinese headers, wherever the list puts them; rows whose
feedback cells are all empty are warnings the official has not answered yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aidwatch.feedback.codes import FIELD_LABELS_ZH
from aidwatch.feedback.store import AuditContext, record_all
from aidwatch.feedback.validation import (
    Feedback,
    FeedbackRejected,
    FieldError,
    validate_feedback,
)
from aidwatch.home import Home
from aidwatch.workspace.ops.models import User
from aidwatch.workspace.scope import Principal

#: Chinese header -> field, for the columns the import reads.
HEADER_FIELDS = {label: name for name, label in FIELD_LABELS_ZH.items()}
FEEDBACK_FIELDS = ("result", "action", "note", "verified_on", "handled_on")
#: How far down a sheet the header row may be (title rows come first).
HEADER_SEARCH_ROWS = 15
#: Roles that may record feedback (the admin sees no personal data).
FEEDBACK_ROLES = ("township", "banner", "league")


class ImportRefused(ValueError):
    """The workbook cannot be imported; `reasons` lists every row number and reason (Chinese)."""

    def __init__(self, path: Path, reasons: list[str]) -> None:
        self.reasons = reasons
        listed = "\n".join(f"  - {reason}" for reason in reasons)
        super().__init__(f"{path}: 未导入任何反馈(整个工作簿被拒绝):\n{listed}")


@dataclass
class SheetRow:
    """One answered row of a list sheet: where it is and what the official wrote."""

    sheet: str
    row: int
    values: dict[str, object]
    formulas: list[str] = field(default_factory=list)  # fields whose cell is a formula


@dataclass
class ImportResult:
    path: Path
    sha256: str
    feedback_ids: list[int] = field(default_factory=list)
    rows: int = 0


def importing_principal(engine: Engine, login: str, path: Path = Path("-")) -> Principal:
    """The user named by --user, if they exist, are enabled and may record feedback."""
    with Session(engine) as session:
        user = session.execute(select(User).where(User.login == login)).scalar_one_or_none()
    if user is None or user.disabled:
        raise ImportRefused(path, [f"用户 {login} 不存在或已停用"])
    if user.role not in FEEDBACK_ROLES:
        raise ImportRefused(path, [f"用户 {login} 的角色({user.role})不能填报核查反馈"])
    return Principal(user_id=user.id, login=user.login, role=user.role, region_code=user.region_code)


def answered_rows(path: Path) -> list[SheetRow]:
    """Every row with any feedback cell filled, from every sheet that has the feedback columns."""
    try:
        workbook = load_workbook(path, read_only=True)
    except Exception as error:  # not a readable .xlsx: say so, never a traceback
        raise ImportRefused(path, [f"无法读取工作簿: {error}"]) from error
    rows: list[SheetRow] = []
    try:
        for sheet in workbook.worksheets:
            columns: dict[str, int] | None = None
            for number, cells in enumerate(sheet.iter_rows(), start=1):
                if columns is None:
                    if number > HEADER_SEARCH_ROWS:
                        break
                    found = {HEADER_FIELDS[str(c.value).strip()]: i for i, c in enumerate(cells)
                             if c.value is not None and str(c.value).strip() in HEADER_FIELDS}
                    if "warning_key" in found and "result" in found:
                        columns = found
                    continue
                picked = {name: cells[i] if i < len(cells) else None for name, i in columns.items()}
                values = {name: cell.value if cell is not None else None for name, cell in picked.items()}
                formulas = sorted(name for name, cell in picked.items()
                                  if cell is not None and getattr(cell, "data_type", None) == "f")
                if any(_filled(values.get(name)) for name in FEEDBACK_FIELDS) or formulas:
                    rows.append(SheetRow(sheet.title, number, values, formulas))
    finally:
        workbook.close()
    return rows


def _utc_stamp() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _filled(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def warnings_of(home: Home, keys: list[str]) -> dict[str, dict]:
    """The published warnings among `keys`: place, first sighting and status."""
    if not home.warehouse.exists():
        raise ImportRefused(home.warehouse, ["尚无已发布的数据仓库,无法核对预警编号"])
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        found = con.execute(
            "select warning_key, banner_code, township_code, first_seen_on, status "
            "from marts.warnings where warning_key in (select unnest(?))", [keys]
        ).fetchall()
    finally:
        con.close()
    return {r[0]: {"banner_code": r[1], "township_code": r[2], "first_seen_on": r[3], "status": r[4]}
            for r in found}


def check_workbook(path: Path, home: Home, principal: Principal,
                   today: dt.date | None = None) -> list[Feedback]:
    """Every answered row validated; raises ImportRefused listing every bad row."""
    rows = answered_rows(path)
    if not rows:
        raise ImportRefused(path, ["工作簿中没有填写核查结果的行(需要“预警编号”和“核查结果”等列)"])
    sheets = {r.sheet for r in rows}
    keys = [str(r.values.get("warning_key") or "").strip() for r in rows]
    known = warnings_of(home, [k for k in keys if k])
    reasons: list[str] = []
    accepted: list[Feedback] = []
    seen: dict[str, int] = {}
    for row, key in zip(rows, keys, strict=True):
        where = f"{row.sheet} " if len(sheets) > 1 else ""
        if row.formulas:  # a formula is never feedback (and is never evaluated here)
            reasons += [where + FieldError(name, "不能填写公式,请直接填写文字或日期", row.row).describe()
                        for name in row.formulas]
            continue
        warning = known.get(key)
        in_scope = warning is not None and principal.covers_warning(warning)
        first_seen_on = warning["first_seen_on"] if warning is not None and in_scope else None
        try:
            feedback = validate_feedback(row.values, first_seen_on=first_seen_on, today=today, row=row.row)
        except FeedbackRejected as rejected:
            reasons += [where + e.describe() for e in rejected.errors]
            continue
        if key in seen:
            reasons.append(where + FieldError("warning_key", f"与第{seen[key]}行重复", row.row).describe())
            continue
        seen[key] = row.row
        accepted.append(feedback)
    if reasons:
        raise ImportRefused(path, reasons)
    return accepted


def import_workbook(path: Path, home: Home, engine: Engine, user_login: str,
                    today: dt.date | None = None) -> ImportResult:
    """Validate the whole workbook, then store all its feedback in one audited transaction.

    The import is also recorded in HOME's append-only audit log (exports/audit.py): an
    intent line before anything is stored (no line, no import) and a completed line after.
    """
    from exports.audit import append_audit_record

    path = Path(path)
    if not path.is_file():
        raise ImportRefused(path, ["文件不存在"])
    principal = importing_principal(engine, user_login, path)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        feedbacks = check_workbook(path, home, principal, today)
    except ImportRefused as refused:
        raise ImportRefused(path, refused.reasons) from None
    base = {"action": "feedback_import", "file": str(path), "sha256": sha256, "user": user_login,
            "role": principal.role, "rows": len(feedbacks)}
    append_audit_record(home, {**base, "event": "intent", "at": _utc_stamp()})
    ids = record_all(engine, feedbacks, AuditContext(user_login, principal.role, "cli"),
                     subject=f"workbook:{path.name}"[:200],
                     detail=f"sha256={sha256};rows={len(feedbacks)}")
    append_audit_record(home, {**base, "event": "completed", "feedback_ids": ids,
                               "at": _utc_stamp()})
    return ImportResult(path=path, sha256=sha256, feedback_ids=ids, rows=len(feedbacks))
