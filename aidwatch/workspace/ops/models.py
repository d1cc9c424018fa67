"""Tables of the operational database (SQLAlchemy 2 declarative models).

Why these columns: `workspace.md` of the specification lists what the audit log and
the feedback hold; users carry their role and scope (a 9-digit township code, a
6-digit banner code, none for league and admin) and the counters of the login
lockout. The migrations in `migrations/versions` create the same tables.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("township", "banner", "league", "admin")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    region_code: Mapped[str | None] = mapped_column(String(12))
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class LoginSession(Base):
    """One row per login; the signed cookie names it. Logout, disabling the user or expiry ends it."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    client: Mapped[str | None] = mapped_column(String(64))


class AuditEvent(Base):
    """Append-only (the database refuses UPDATE and DELETE): one row per audited event."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    user_login: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    subject: Mapped[str | None] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(String(40), nullable=False)
    client: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


class WarningFeedback(Base):
    """Officials' feedback on a warning (issue 16): append-only, the latest record counts."""

    __tablename__ = "warning_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    warning_key: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    result: Mapped[str] = mapped_column(String(20), nullable=False)
    action: Mapped[str] = mapped_column(String(30), nullable=False)
    note: Mapped[str | None] = mapped_column(String(500))
    verified_on: Mapped[date] = mapped_column(Date, nullable=False)
    handled_on: Mapped[date | None] = mapped_column(Date)
    user_login: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class WarningReassignment(Base):
    """The league moving a warning to another township (append-only; the latest per warning counts)."""

    __tablename__ = "warning_reassignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    warning_key: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    from_township_code: Mapped[str | None] = mapped_column(String(12))
    from_banner_code: Mapped[str | None] = mapped_column(String(12))
    to_township_code: Mapped[str] = mapped_column(String(12), nullable=False)
    to_banner_code: Mapped[str] = mapped_column(String(12), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    user_login: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
