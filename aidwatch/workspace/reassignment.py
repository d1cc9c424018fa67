"""The league reassigns a warning to another township (spec workspace.md: "league: ... reassign").

Why an overlay and not a warehouse change: the workspace never writes the warehouse.
A reassignment is an append-only row of the ops database (`warning_reassignments`; the
latest per warning counts) and `Reassignments` is the `PlacementOverlay` of the
`PublishedWarehouse`: every snapshot the pages see has the reassigned warnings moved
to their new township, in every worker process (the overlay's version is the newest
row id, read once per snapshot request), and on every later publish too (warning keys
are stable).

Scope after a reassignment (the spec's rules applied to the warning's new place):
- the new township sees the warning in its list and on its page, and may record
  feedback on it; it may open the household page of the warning's household (only
  the warnings it may see are listed there), so it can verify it;
- the old township no longer sees the warning (list, page, household page);
- banner users: the warning belongs to the banner of its new township; a banner user
  of the old banner no longer sees it unless both townships are in its banner;
- league users see everything, with the history of reassignments on the warning page.
Only league users may reassign; a refusal is audited (`denied`, `forbidden_role`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from aidwatch.workspace.audit import AuditUnavailable
from aidwatch.workspace.clock import utc_now
from aidwatch.workspace.ops.models import AuditEvent, WarningReassignment
from aidwatch.workspace.scope import Principal
from aidwatch.workspace.views import household_link
from aidwatch.workspace.warehouse import Snapshot

REASON_MAX_CHARS = 500
TABLE = WarningReassignment.__table__


class ReassignmentRejected(ValueError):
    """A reassignment that cannot be made; the message is for the official (Chinese)."""


def banner_of(township_code: str) -> str:
    """A township's banner (or development zone): the first six digits of its code."""
    return township_code[:6]


def townships(snapshot: Snapshot) -> list[tuple[str, str]]:
    """(code, name) of every township of the league, for the form's choice."""
    return sorted((code, name) for code, (level, name) in snapshot.regions.items()
                  if level == "township" and len(code) == 9)


class Reassignments:
    """The placement overlay of the league's reassignments (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def version(self) -> Hashable:
        with self.engine.connect() as connection:
            return connection.execute(select(func.max(TABLE.c.id))).scalar() or 0

    def latest(self) -> dict[str, tuple[str, str]]:
        """warning_key -> (to_township_code, to_banner_code) of its latest reassignment."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(TABLE.c.warning_key, TABLE.c.to_township_code, TABLE.c.to_banner_code)
                .order_by(TABLE.c.id)
            ).all()
        return {key: (township, banner) for key, township, banner in rows}

    def apply(self, snapshot: Snapshot) -> Snapshot:
        moves = self.latest()
        warnings = []
        extra_places: dict[str, set[tuple[str | None, str | None]]] = {}
        for row in snapshot.warnings:
            move = moves.get(row["warning_key"])
            if move is not None and move[0] != row.get("township_code"):
                row = {**row, "township_code": move[0], "banner_code": move[1],
                       "reassigned_from": row.get("township_code") or row.get("banner_code")}
                household = household_link(row)
                if household:
                    extra_places.setdefault(household, set()).add((move[1], move[0]))
            warnings.append(row)
        return Snapshot(
            generation=snapshot.generation, as_of=snapshot.as_of, warnings=warnings,
            by_key={row["warning_key"]: row for row in warnings}, regions=snapshot.regions,
            places=snapshot.places, extra_places=extra_places,
        )


@dataclass(frozen=True)
class ReassignmentRequest:
    """What the league official asked for, as posted by the form."""

    warning_key: str
    to_township_code: str
    reason: str


def check_request(request: ReassignmentRequest, warning: dict, snapshot: Snapshot) -> None:
    """Raises ReassignmentRejected naming the field when the request cannot be made."""
    names = dict(townships(snapshot))
    if request.to_township_code not in names:
        raise ReassignmentRejected("请选择本盟的一个苏木镇(街道)。")
    if request.to_township_code == warning.get("township_code"):
        raise ReassignmentRejected("该预警已属于所选苏木镇(街道)。")
    reason = request.reason.strip()
    if not reason:
        raise ReassignmentRejected("请填写改派原因。")
    if len(reason) > REASON_MAX_CHARS:
        raise ReassignmentRejected(f"改派原因不能超过 {REASON_MAX_CHARS} 个字。")


def record_reassignment(engine: Engine, principal: Principal, warning: dict,
                        request: ReassignmentRequest, client: str | None) -> int:
    """Append the reassignment and its audit row in one transaction; returns its id.

    Only league users may reassign (callers check first; this checks again). No
    reassignment without its audit row: a failure of either writes neither.
    """
    if principal.role != "league":
        raise PermissionError(f"{principal.login}: only league users may reassign warnings")
    now = utc_now()
    reason = request.reason.strip()
    try:
        with engine.begin() as connection:
            new_id = connection.execute(
                insert(TABLE).values(
                    warning_key=request.warning_key,
                    from_township_code=warning.get("township_code"),
                    from_banner_code=warning.get("banner_code"),
                    to_township_code=request.to_township_code,
                    to_banner_code=banner_of(request.to_township_code),
                    reason=reason, user_login=principal.login, recorded_at=now,
                ).returning(TABLE.c.id)
            ).scalar_one()
            connection.execute(insert(AuditEvent).values(
                at=now, user_login=principal.login, role=principal.role, action="reassign_warning",
                subject=f"warning:{request.warning_key}", result="ok", client=client,
                detail=f"from={warning.get('township_code') or warning.get('banner_code')};"
                       f"to={request.to_township_code};reason={reason[:200]}",
            ))
    except SQLAlchemyError as error:  # nothing was written: the transaction rolled back
        raise AuditUnavailable(str(error)) from error
    return new_id


def reassignment_history(engine: Engine, warning_key: str) -> list[dict]:
    """Every reassignment of one warning, newest first (the warning page's history)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(TABLE).where(TABLE.c.warning_key == warning_key).order_by(TABLE.c.id.desc())
        ).mappings().all()
    return [dict(row) for row in rows]
