"""用户管理 `/users` (admin only): list, add, disable/enable, set a password, change role and region.

Why through `accounts.change_user`: the page and `aidwatch users` are two doors to the
same rules (login, role and region, password length) and the same `user_change` audit
row, so they cannot drift apart. Every change is a CSRF-checked POST; a refused change
is audited too (`user_change`, result `rejected`). The page shows no personal data:
logins, roles, regions and account states only. An admin cannot disable or demote the
account it is signed in with (the workspace would be left without its admin by mistake).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from aidwatch.workspace import accounts
from aidwatch.workspace.app import render
from aidwatch.workspace.audit import audit_request, client_address
from aidwatch.workspace.clock import utc_now
from aidwatch.workspace.csrf import check_csrf
from aidwatch.workspace.dependencies import AdminUser, FormText
from aidwatch.workspace.ops.models import ROLES
from aidwatch.workspace.scope import ROLE_ZH, Principal

router = APIRouter(tags=["users"])

DONE_ZH = {
    "add": "已添加用户", "disable": "已停用用户", "enable": "已启用用户",
    "set-password": "已重设密码", "set-role": "已修改角色和地区",
}
ACCOUNT_ERROR_ZH = "操作未完成："


def account_state(user, now) -> str:  # noqa: ANN001 (a User row and a datetime)
    if user.disabled:
        return "已停用"
    if user.locked_until is not None and user.locked_until > now:
        return "已锁定"
    return "正常"


def users_page(request: Request, error: str | None = None, values: dict | None = None,
               status_code: int = 200) -> Response:
    now = utc_now()
    users = [{"login": u.login, "role": u.role, "role_zh": ROLE_ZH.get(u.role, u.role),
              "region_code": u.region_code or "", "state": account_state(u, now),
              "disabled": u.disabled, "created_at": u.created_at,
              "password_changed_at": u.password_changed_at}
             for u in accounts.list_users(request.app.state.ops)]
    done_action, _, done_login = request.query_params.get("done", "").partition(":")
    return render(request, "users.html", {
        "users": users, "roles": ROLES, "error": error, "values": values or {},
        "done": f"{DONE_ZH[done_action]}：{done_login}" if done_action in DONE_ZH else None,
        "min_password": accounts.MIN_PASSWORD_LENGTH,
    }, status_code=status_code)


@router.get("/users")
def user_list(request: Request, principal: AdminUser) -> Response:
    audit_request(request, "view_users", "users")
    return users_page(request)


def apply(request: Request, principal: Principal, action: str, login: str, *, role: str | None = None,
          region: str | None = None, password: str | None = None,
          confirm: str | None = None) -> Response:
    """One change through `accounts.change_user`; the page again with the reason when refused."""
    values = {"login": login, "role": role or "", "region": region or "", "action": action}
    try:
        if login == principal.login and action in ("disable", "set-role"):
            raise accounts.AccountError("you cannot disable or change the role of your own account",
                                        zh="不能停用本人账号或修改本人角色。")
        if password is not None and confirm is not None and password != confirm:
            raise accounts.AccountError("the two passwords differ", zh="两次输入的密码不一致。")
        operator = accounts.Operator(principal.login, principal.role, client_address(request))
        accounts.change_user(request.app.state.ops, operator, action, login, role=role,
                             region_code=(region or "").strip() or None, password=password)
    except accounts.AccountError as error:
        audit_request(request, "user_change", f"user:{login}", result="rejected", detail=f"{action}: {error}")
        return users_page(request, f"{ACCOUNT_ERROR_ZH}{error.zh}", values, status_code=422)
    return RedirectResponse(f"/users?done={action}:{login}", status_code=303)


@router.post("/users")
def user_add(request: Request, principal: AdminUser, login: FormText = "", role: FormText = "",
             region: FormText = "", password: FormText = "", password_confirm: FormText = "",
             csrf_token: FormText = "") -> Response:
    check_csrf(request, csrf_token)
    return apply(request, principal, "add", login.strip(), role=role, region=region,
                 password=password, confirm=password_confirm)


@router.post("/users/{login}")
def user_change(login: str, request: Request, principal: AdminUser, action: FormText = "",
                role: FormText = "", region: FormText = "", password: FormText = "",
                password_confirm: FormText = "", csrf_token: FormText = "") -> Response:
    check_csrf(request, csrf_token)
    if action == "set-password":
        return apply(request, principal, action, login, password=password, confirm=password_confirm)
    if action == "set-role":
        return apply(request, principal, action, login, role=role, region=region)
    return apply(request, principal, action, login)
