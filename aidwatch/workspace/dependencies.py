"""Request dependencies: who is signed in, and what role a page needs.

Why server-side sessions behind the signed cookie: the cookie (Starlette's
SessionMiddleware, signed with itsdangerous, with an expiry) names a row of
`login_sessions`; logging out, disabling the user or the row's own expiry ends the
session at once, which a self-contained cookie could not do.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from aidwatch.workspace.audit import audit_request
from aidwatch.workspace.clock import utc_now
from aidwatch.workspace.ops.models import LoginSession, User
from aidwatch.workspace.scope import Principal

SESSION_ID_KEY = "sid"


class NotSignedIn(Exception):
    """No valid session: the app answers with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class Forbidden(Exception):
    """The role may not use this page at all (e.g. the admin and personal data)."""


class NotFound(Exception):
    """Missing or outside the user's area: answered the same way, "not found"."""


def session_principal(request: Request) -> Principal | None:
    session_id = request.session.get(SESSION_ID_KEY)
    if not session_id:
        return None
    with Session(request.app.state.ops) as db:
        row = db.execute(
            select(User, LoginSession)
            .join(LoginSession, LoginSession.user_id == User.id)
            .where(LoginSession.id == session_id)
        ).first()
    if row is None:
        return None
    user, login_session = row
    if login_session.ended_at is not None or login_session.expires_at <= utc_now() or user.disabled:
        return None
    return Principal(user_id=user.id, login=user.login, role=user.role, region_code=user.region_code)


def current_user(request: Request) -> Principal:
    """The signed-in user (also put on `request.state.principal` for templates and the audit)."""
    principal = session_principal(request)
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NotSignedIn(f"/login?next={quote(target, safe='')}")
    request.state.principal = principal
    return principal


SignedIn = Annotated[Principal, Depends(current_user)]


def personal_data_user(request: Request, principal: SignedIn) -> Principal:
    """A user who may see people and households (not the admin); refusals are audited."""
    if not principal.sees_personal_data:
        audit_request(request, "denied", request.url.path, result="forbidden_role")
        raise Forbidden()
    return principal


def stats_user(request: Request, principal: SignedIn) -> Principal:
    if not principal.sees_stats:
        audit_request(request, "denied", request.url.path, result="forbidden_role")
        raise Forbidden()
    return principal


def admin_user(request: Request, principal: SignedIn) -> Principal:
    if not principal.is_admin:
        audit_request(request, "denied", request.url.path, result="forbidden_role")
        raise Forbidden()
    return principal


PersonalDataUser = Annotated[Principal, Depends(personal_data_user)]
StatsUser = Annotated[Principal, Depends(stats_user)]
AdminUser = Annotated[Principal, Depends(admin_user)]
FormText = Annotated[str, Form()]
