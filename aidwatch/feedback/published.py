"""The status with feedback next to each published warning, for the exports and the workspace.

Why here: marts.warnings carries the lifecycle status (new / open / resolved); the
officials' feedback turns it into verified / handled / dismissed in marts.warning_status
(dbt, spec workspace.md). The readers of the published warehouse (exports/published.py,
used by the workbooks, the league report and the workspace) take both through this
one join, so they cannot disagree on a warning's status.
"""

from __future__ import annotations

import duckdb

#: Columns of marts.warning_status brought next to each warning (besides `status`).
STATUS_COLUMNS = (
    "lifecycle_status", "reopened_reason", "reopened_reason_zh", "on_officials_list",
    "is_verify_overdue", "is_escalated", "verify_due_on", "escalate_after_on",
    "feedback_result", "feedback_action", "verified_on", "handled_on",
)

#: Statuses that leave the officials' to-do list (and their workbooks' list sheet).
OFF_THE_LIST = ("dismissed", "handled")


def has_warning_status(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'warning_status'"
    ).fetchall()[0][0])


def status_join(con: duckdb.DuckDBPyConnection, alias: str = "w") -> tuple[str, str, str]:
    """(replace clause for `alias.*`, extra select expressions, join clause).

    Without marts.warning_status (a warehouse built before issue 16) the status stays
    the lifecycle status and the extra columns are null.
    """
    if not has_warning_status(con):
        extras = ", ".join(f"cast(null as varchar) as {c}" for c in STATUS_COLUMNS)
        return "", extras, ""
    replace = f" replace (coalesce(ws.status, {alias}.status) as status)"
    extras = ", ".join(f"ws.{c}" for c in STATUS_COLUMNS)
    join = f"left join marts.warning_status ws on ws.warning_key = {alias}.warning_key"
    return replace, extras, join


def status_label(row: dict, status_zh: dict[str, str]) -> str:
    """The status as an official reads it, with why a warning is back (证据已变化, 处置后仍存在)."""
    status = row.get("status")
    text = status_zh.get(status, status or "")
    if row.get("reopened_reason_zh"):
        text += f"（{row['reopened_reason_zh']}）"
    return text


def verify_limit_label(row: dict) -> str:
    """核查时限 as a list shows it: the due date, 核查逾期 past it, 已上报旗(区) past twice it."""
    due = row.get("verify_due_on")
    if row.get("status") in ("resolved", *OFF_THE_LIST) or not due:
        return ""
    due_text = due.isoformat() if hasattr(due, "isoformat") else str(due)
    if row.get("is_escalated"):
        return f"{due_text} 已逾期，已上报旗(区)"
    if row.get("is_verify_overdue"):
        return f"{due_text} 核查逾期"
    return due_text
