"""Users of the workspace: adding, disabling, passwords, and login with lockout.

Why argon2: a memory-hard hash from a well-kept library (argon2-cffi); the hash
carries its own parameters, so they can be raised later and old hashes rehashed at
the next login. Why a lockout: an official's password guarded only by rate is a
password guessed by a script; after `MAX_FAILED_LOGINS` failures in a row the
account is locked for `LOCKOUT_MINUTES`, also for the right password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aidwatch.workspace.clock import utc_now
from aidwatch.workspace.ops.models import ROLES, User

MAX_FAILED_LOGINS = 5
LOCKOUT_MINUTES = 15
MIN_PASSWORD_LENGTH = 8
LOGIN_PATTERN = re.compile(r"[A-Za-z0-9_.-]{2,64}")
REGION_DIGITS = {"township": 9, "banner": 6}

_hasher = PasswordHasher()


class AccountError(ValueError):
    """A user change that cannot be done: the message says why in English (CLI, logs), `zh` in
    Chinese (the admin's page)."""

    def __init__(self, message: str, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh or message


@dataclass(frozen=True)
class LoginOutcome:
    """The result of a login attempt: `user` when it succeeded, else `reason`."""

    user: User | None
    reason: str  # ok | unknown_user | bad_password | locked | disabled


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
                           zh=f"密码至少 {MIN_PASSWORD_LENGTH} 位。")
    return _hasher.hash(password)


def check_role_region(role: str, region_code: str | None) -> str | None:
    """The region code normalised for the role; raises AccountError when it does not fit."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: one of {', '.join(ROLES)}", zh="角色无效。")
    digits = REGION_DIGITS.get(role)
    if digits is None:
        if region_code:
            raise AccountError(f"role {role} has no region (it sees {'all' if role == 'league' else 'none'})",
                               zh="盟民政局和系统管理员不设地区代码。")
        return None
    if not region_code or not re.fullmatch(rf"\d{{{digits}}}", region_code):
        raise AccountError(f"role {role} needs --region with a {digits}-digit region code",
                           zh=f"该角色需要 {digits} 位地区代码。")
    return region_code


def add_user(engine: Engine, login: str, role: str, password: str, region_code: str | None = None) -> User:
    if not LOGIN_PATTERN.fullmatch(login):
        raise AccountError(f"login {login!r}: 2-64 letters, digits, '_', '.' or '-'",
                           zh="用户名须为 2-64 位字母、数字或 _ . -。")
    region = check_role_region(role, region_code)
    password_hash = hash_password(password)
    now = utc_now()
    with Session(engine, expire_on_commit=False) as session:
        if session.scalar(select(User).where(User.login == login)) is not None:
            raise AccountError(f"user {login!r} exists already", zh="该用户名已存在。")
        user = User(login=login, role=role, region_code=region, password_hash=password_hash,
                    disabled=False, failed_logins=0, created_at=now, password_changed_at=now)
        session.add(user)
        session.commit()
        return user


def get_user(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        raise AccountError(f"no user {login!r}", zh="用户不存在。")
    return user


def set_disabled(engine: Engine, login: str, disabled: bool = True) -> None:
    """Disable (or enable) a user; a disabled user's open sessions stop working at once."""
    with Session(engine) as session:
        user = get_user(session, login)
        user.disabled = disabled
        session.commit()


def set_password(engine: Engine, login: str, password: str) -> None:
    """A new password; also lifts a lockout."""
    password_hash = hash_password(password)
    with Session(engine) as session:
        user = get_user(session, login)
        user.password_hash = password_hash
        user.password_changed_at = utc_now()
        user.failed_logins = 0
        user.locked_until = None
        session.commit()


def set_role(engine: Engine, login: str, role: str, region_code: str | None = None) -> str | None:
    """A new role and region (checked as for `add_user`); takes effect at the user's next request."""
    region = check_role_region(role, region_code)
    with Session(engine) as session:
        user = get_user(session, login)
        user.role = role
        user.region_code = region
        session.commit()
    return region


USER_ACTIONS = ("add", "disable", "enable", "set-password", "set-role")


@dataclass(frozen=True)
class Operator:
    """Who makes a user change, for its audit row: a CLI user (`cli:<os user>`) or an admin."""

    login: str
    role: str
    client: str | None = None


def change_user(engine: Engine, operator: Operator, action: str, login: str, *,
                role: str | None = None, region_code: str | None = None,
                password: str | None = None) -> str:
    """Make one user change and write its `user_change` audit row; returns the row's detail.

    The one place behind `aidwatch users` and the admin's 用户管理 page, so both check the
    same rules (login, role and region, password length) and audit the same way. Raises
    AccountError when the change cannot be made (nothing changed, nothing audited) and
    AuditUnavailable when the change was made but its audit row could not be written.
    """
    from aidwatch.workspace.audit import write_audit  # audit imports the ops models, not this module

    if action == "add":
        user = add_user(engine, login, role or "", password or "", region_code)
        detail = f"add role={user.role} region={user.region_code or '-'}"
    elif action in ("disable", "enable"):
        set_disabled(engine, login, action == "disable")
        detail = action
    elif action == "set-password":
        set_password(engine, login, password or "")
        detail = "set-password"
    elif action == "set-role":
        region = set_role(engine, login, role or "", region_code)
        detail = f"set-role role={role} region={region or '-'}"
    else:
        raise AccountError(f"unknown user action {action!r}: one of {', '.join(USER_ACTIONS)}",
                           zh="未知操作。")
    write_audit(engine, action="user_change", result="ok", user_login=operator.login, role=operator.role,
                subject=f"user:{login}", client=operator.client, detail=detail)
    return detail


def list_users(engine: Engine) -> list[User]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(User).order_by(User.role, User.login)))


def authenticate(engine: Engine, login: str, password: str, now: datetime | None = None) -> LoginOutcome:
    """Check a login; counts failures and locks the account after MAX_FAILED_LOGINS in a row."""
    now = now or utc_now()
    with Session(engine, expire_on_commit=False) as session:
        user = session.scalar(select(User).where(User.login == login))
        if user is None:
            _hasher.hash(password or "-")  # same cost as a real check: no hint that the user is unknown
            return LoginOutcome(None, "unknown_user")
        if user.locked_until is not None and user.locked_until > now:
            return LoginOutcome(None, "locked")
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            user.failed_logins += 1
            reason = "bad_password"
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + timedelta(minutes=LOCKOUT_MINUTES)
                user.failed_logins = 0
                reason = "locked"
            session.commit()
            return LoginOutcome(None, reason)
        if user.disabled:
            return LoginOutcome(None, "disabled")
        user.failed_logins = 0
        user.locked_until = None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        session.commit()
        return LoginOutcome(user, "ok")
