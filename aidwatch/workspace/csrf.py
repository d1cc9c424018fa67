"""CSRF protection: a synchronizer token kept in the signed session cookie.

Why this and not a library: the session is already a signed, expiring cookie
(Starlette's SessionMiddleware, itsdangerous); a random token stored in it and
echoed by every form as the hidden field `csrf_token` is the OWASP synchronizer
pattern in a dozen lines. A cross-site page can make the browser send the cookie
but cannot read the token, so its forged POST fails. The token exists before login
(the login form carries it too).
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request

SESSION_KEY = "csrf"


def csrf_token(request: Request) -> str:
    """The session's token, created on first use."""
    token = request.session.get(SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def check_csrf(request: Request, token: str | None) -> None:
    """Raise HTTP 403 unless `token` is this session's CSRF token."""
    expected = request.session.get(SESSION_KEY)
    if not expected or not token or not hmac.compare_digest(str(expected), str(token)):
        raise HTTPException(status_code=403, detail="表单已失效，请刷新页面后重试（CSRF 校验失败）")
