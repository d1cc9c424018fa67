"""Login and logout: `/login` (form posting `username`, `password`, `csrf_token`), `/logout`, `/`.

Why audit every attempt: failed logins are how guessing shows; the lockout lives in
`accounts.authenticate`, the record of it here.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import update
from sqlalchemy.orm import Session

from aidwatch.workspace.accounts import authenticate
from aidwatch.workspace.app import render
from aidwatch.workspace.audit import audit_request, client_address, write_audit
from aidwatch.workspace.clock import utc_now
from aidwatch.workspace.csrf import check_csrf
from aidwatch.workspace.dependencies import SESSION_ID_KEY, FormText, session_principal
from aidwatch.workspace.ops.models import LoginSession

router = APIRouter(tags=["login"])

FAILURE_ZH = {
    "locked": "登录失败次数过多，账号已暂时锁定，请稍后再试或联系系统管理员。",
    "disabled": "用户名或密码错误。",
    "unknown_user": "用户名或密码错误。",
    "bad_password": "用户名或密码错误。",
}


def home_page_of(role: str) -> str:
    return "/audit" if role == "admin" else "/warnings"


def safe_next(next_url: str | None) -> str | None:
    """Only a local path (never another site) may follow a login."""
    if not next_url:
        return None
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or not next_url.startswith("/") or next_url.startswith("//"):
        return None
    return next_url


@router.get("/")
def index(request: Request) -> Response:
    principal = session_principal(request)
    return RedirectResponse(home_page_of(principal.role) if principal else "/login", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": safe_next(next) or ""})


@router.post("/login")
def login(
    request: Request,
    username: FormText = "",
    password: FormText = "",
    csrf_token: FormText = "",
    next: FormText = "",
) -> Response:
    check_csrf(request, csrf_token)
    engine = request.app.state.ops
    outcome = authenticate(engine, username, password) if username and password else None
    if outcome is None or outcome.user is None:
        reason = outcome.reason if outcome else "empty"
        write_audit(engine, action="login", result=f"failed:{reason}", user_login=username[:64] or None,
                    client=client_address(request))
        return render(request, "login.html",
                      {"error": FAILURE_ZH.get(reason, "请输入用户名和密码。"), "username": username,
                       "next": safe_next(next) or ""}, status_code=401)
    user = outcome.user
    now = utc_now()
    session_id = secrets.token_urlsafe(32)
    with Session(engine) as db:
        db.add(LoginSession(id=session_id, user_id=user.id, created_at=now,
                            expires_at=now + request.app.state.session_lifetime,
                            client=client_address(request)))
        db.commit()
    request.session.clear()  # a new session (and CSRF token) after login: no session fixation
    request.session[SESSION_ID_KEY] = session_id
    write_audit(engine, action="login", result="ok", user_login=user.login, role=user.role,
                client=client_address(request))
    return RedirectResponse(safe_next(next) or home_page_of(user.role), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: FormText = "") -> Response:
    check_csrf(request, csrf_token)
    principal = session_principal(request)
    session_id = request.session.get(SESSION_ID_KEY)
    if session_id:
        with Session(request.app.state.ops) as db:
            db.execute(update(LoginSession).where(LoginSession.id == session_id).values(ended_at=utc_now()))
            db.commit()
    if principal is not None:
        request.state.principal = principal
        audit_request(request, "logout")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
