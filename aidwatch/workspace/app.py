"""The workspace application: FastAPI with one router per address group.

Why this shape (FastAPI's "bigger applications" layout): login, warnings,
households, cases, stats and audit each own their router in `routers/`; what they
share (the ops database, the published warehouse, templates, the session and CSRF)
is set up here once and reached through `request.app.state`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aidwatch.home import Home
from aidwatch.workspace.audit import AuditUnavailable
from aidwatch.workspace.csrf import csrf_token
from aidwatch.workspace.dependencies import Forbidden, NotFound, NotSignedIn
from aidwatch.workspace.ops import open_ops_engine
from aidwatch.workspace.reassignment import Reassignments
from aidwatch.workspace.scope import ROLE_ZH
from aidwatch.workspace.views import TEMPLATE_GLOBALS, label
from aidwatch.workspace.warehouse import PublishedWarehouse
from exports.published import WarehouseMissing

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).parent
VENDOR = PACKAGE.parent / "vendor"
SECRET_ENV = "AIDWATCH_WORKSPACE_SECRET"
SESSION_LIFETIME = timedelta(hours=8)
SESSION_COOKIE = "aidwatch_session"

templates = Jinja2Templates(directory=str(PACKAGE / "templates"))
templates.env.globals["ROLE_ZH"] = ROLE_ZH
templates.env.globals.update(TEMPLATE_GLOBALS)
templates.env.filters["label"] = label


def session_secret(home: Home) -> str:
    """`$AIDWATCH_WORKSPACE_SECRET`, else `HOME/secrets/workspace.key` (created, owner-only)."""
    from_env = os.environ.get(SECRET_ENV)
    if from_env:
        return from_env
    path = home.root / "secrets" / "workspace.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def render(
    request: Request, template: str, context: dict | None = None, status_code: int = 200
) -> HTMLResponse:
    """A page with what every template uses: the user, the CSRF token, the data's as_of."""
    values = {
        "principal": getattr(request.state, "principal", None),
        "csrf_token": csrf_token(request),
    }
    values.update(context or {})
    return templates.TemplateResponse(request, template, values, status_code=status_code)


def message_page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    return render(request, "message.html", {"title": title, "message": message}, status_code=status_code)


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     b"form-action 'self'; frame-ancestors 'none'"),
]
NO_STORE_PREFIXES = ("/warnings", "/households", "/cases", "/audit", "/stats", "/users")


class SecurityHeaders:
    """Adds the security headers (and `no-store` on personal pages) to every response.

    Why plain ASGI and not `@app.middleware("http")`: the latter wraps every request in
    extra tasks and streams; this costs nothing measurable per page.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = scope["path"].startswith(NO_STORE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                if no_store and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


@asynccontextmanager
async def _close_warehouse_on_shutdown(app: FastAPI) -> AsyncIterator[None]:
    """The published warehouse stays open while the app serves; close it when the server stops."""
    yield
    app.state.warehouse.close()


def create_app(
    home: Home,
    ops_url: str | None = None,
    *,
    ops_engine: Engine | None = None,
    secret_key: str | None = None,
    https_only: bool = False,
) -> FastAPI:
    """The workspace for `home` (opens and, on SQLite, migrates its operational database)."""
    from aidwatch.workspace.routers import audit, cases, feedback, households, login, stats, users, warnings

    app = FastAPI(title="aidwatch 工作台", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=_close_warehouse_on_shutdown)
    app.state.home = home
    app.state.ops = ops_engine if ops_engine is not None else open_ops_engine(home, ops_url)
    app.state.warehouse = PublishedWarehouse(home, overlay=Reassignments(app.state.ops))
    app.state.session_lifetime = SESSION_LIFETIME
    secret = secret_key or session_secret(home)
    app.state.person_ref_key = hashlib.sha256(b"person-ref:" + secret.encode()).digest()
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        same_site="strict",
        https_only=https_only,
    )

    app.add_middleware(SecurityHeaders)

    app.mount("/static", StaticFiles(directory=str(PACKAGE / "static")), name="static")
    app.mount("/vendor", StaticFiles(directory=str(VENDOR)), name="vendor")
    for router in (login.router, warnings.router, feedback.router, households.router, cases.router,
                   stats.router, audit.router, users.router):
        app.include_router(router)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, error: NotSignedIn) -> Response:
        return RedirectResponse(error.next_url, status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> Response:
        return message_page(request, 403, "无权访问", "您的角色无权查看此页面。")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        return message_page(request, 404, "未找到", "未找到该记录，或不在您的管辖范围内。")

    @app.exception_handler(AuditUnavailable)
    async def audit_unavailable(request: Request, error: AuditUnavailable) -> Response:
        return message_page(request, 503, "暂停服务",
                            "审计记录无法写入，为保护个人信息，暂不提供查询。请联系系统管理员。")

    @app.exception_handler(WarehouseMissing)
    async def warehouse_missing(request: Request, error: WarehouseMissing) -> Response:
        return message_page(request, 503, "暂无数据", "尚未发布数据仓库，请在数据处理完成后再试。")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        titles = {403: "请求被拒绝", 404: "未找到", 405: "不支持的请求", 422: "请求有误"}
        title = titles.get(error.status_code, "错误")
        return message_page(request, error.status_code, title, str(error.detail))

    return app
