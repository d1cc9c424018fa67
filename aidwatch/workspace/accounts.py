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
    """A user command that cannot be done (message says why, in English)."""


@dataclass(frozen=True)
class LoginOutcome:
    """The result of a login attempt: `user` when it succeeded, else `reason`."""

    user: User | None
    reason: str  # ok | unknown_user | bad_password | locked | disabled


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def check_role_region(role: str, region_code: str | None) -> str | None:
    """The region code normalised for the role; raises AccountError when it does not fit."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    digits = REGION_DIGITS.get(role)
    if digits is None:
        if region_code:
            raise AccountError(f"role {role} has no region (it sees {'all' if role == 'league' else 'none'})")
        return None
    if not region_code or not re.fullmatch(rf"\d{{{digits}}}", region_code):
        raise AccountError(f"role {role} needs --region with a {digits}-digit region code")
    return region_code


def add_user(engine: Engine, login: str, role: str, password: str, region_code: str | None = None) -> User:
    if not LOGIN_PATTERN.fullmatch(login):
        raise AccountError(f"login {login!r}: 2-64 letters, digits, '_', '.' or '-'")
    region = check_role_region(role, region_code)
    password_hash = hash_password(password)
    now = utc_now()
    with Session(engine, expire_on_commit=False) as session:
        if session.scalar(select(User).where(User.login == login)) is not None:
            raise AccountError(f"user {login!r} exists already")
        user = User(login=login, role=role, region_code=region, password_hash=password_hash,
                    disabled=False, failed_logins=0, created_at=now, password_changed_at=now)
        session.add(user)
        session.commit()
        return user


def get_user(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        raise AccountError(f"no user {login!r}")
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
