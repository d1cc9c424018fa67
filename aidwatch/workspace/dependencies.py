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
from sqlalchemy import bindparam, select

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


SESSION_QUERY = (
    select(User.id, User.login, User.role, User.region_code, User.disabled,
           LoginSession.ended_at, LoginSession.expires_at)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(LoginSession.id == bindparam("session_id"))
)


def session_principal(request: Request) -> Principal | None:
    session_id = request.session.get(SESSION_ID_KEY)
    if not session_id:
        return None
    # Core, not ORM: this runs on every request and needs five columns, not two objects.
    with request.app.state.ops.connect() as connection:
        row = connection.execute(SESSION_QUERY, {"session_id": session_id}).first()
    if row is None:
        return None
    if row.ended_at is not None or row.expires_at <= utc_now() or row.disabled:
        return None
    return Principal(user_id=row.id, login=row.login, role=row.role, region_code=row.region_code)


async def current_user(request: Request) -> Principal:
    """The signed-in user (also put on `request.state.principal` for templates and the audit)."""
    principal = session_principal(request)
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NotSignedIn(f"/login?next={quote(target, safe='')}")
    request.state.principal = principal
    return principal


# The dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency in the
# thread pool, a hand-off per dependency and request; these do one indexed SQLite read (or
# nothing), short enough to run on the event loop.
SignedIn = Annotated[Principal, Depends(current_user)]


async def personal_data_user(request: Request, principal: SignedIn) -> Principal:
    """A user who may see people and households (not the admin); refusals are audited."""
    if not principal.sees_personal_data:
        audit_request(request, "denied", request.url.path, result="forbidden_role")
        raise Forbidden()
    return principal


async def stats_user(request: Request, principal: SignedIn) -> Principal:
    if not principal.sees_stats:
        audit_request(request, "denied", request.url.path, result="forbidden_role")
        raise Forbidden()
    return principal


async def admin_user(request: Request, principal: SignedIn) -> Principal:
    if not principal.is_admin:
        audit_request(request, "denied", request.url.path, result="forbidden_role")
        raise Forbidden()
    return principal


PersonalDataUser = Annotated[Principal, Depends(personal_data_user)]
StatsUser = Annotated[Principal, Depends(stats_user)]
AdminUser = Annotated[Principal, Depends(admin_user)]
FormText = Annotated[str, Form()]
