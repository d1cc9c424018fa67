"""`aidwatch users` (password from standard input, clear errors, audited) and `serve --demo-users`."""

from __future__ import annotations

import io
import sys

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aidwatch.cli import main
from aidwatch.home import Home
from aidwatch.workspace import accounts
from aidwatch.workspace.ops import open_ops_engine
from aidwatch.workspace.ops.models import AuditEvent


@pytest.fixture
def ops_home(tmp_path, monkeypatch) -> Home:
    monkeypatch.delenv("AIDWATCH_OPS_DB", raising=False)
    return Home(tmp_path)


def run_users(monkeypatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["users", *args])


def test_users_add_list_disable_set_password(ops_home, monkeypatch, capsys):
    home = str(ops_home.root)
    assert run_users(monkeypatch, "add", "wang", "--role", "township", "--region", "152921100",
                     "--home", home, stdin="s3cret-pass\n") == 0
    engine = open_ops_engine(ops_home)
    assert accounts.authenticate(engine, "wang", "s3cret-pass").reason == "ok"
    assert run_users(monkeypatch, "disable", "wang", "--home", home) == 0
    assert accounts.authenticate(engine, "wang", "s3cret-pass").reason == "disabled"
    assert run_users(monkeypatch, "enable", "wang", "--home", home) == 0
    assert run_users(monkeypatch, "set-password", "wang", "--home", home, stdin="another-pass\n") == 0
    assert accounts.authenticate(engine, "wang", "another-pass").reason == "ok"
    capsys.readouterr()
    assert run_users(monkeypatch, "list", "--home", home) == 0
    assert "wang\ttownship\t152921100\tactive" in capsys.readouterr().out
    assert run_users(monkeypatch, "set-role", "wang", "--role", "banner", "--region", "152921",
                     "--home", home) == 0
    assert run_users(monkeypatch, "set-role", "wang", "--role", "league", "--region", "152921",
                     "--home", home) == 2  # the league has no region: refused, not audited
    with Session(engine) as db:
        changes = [e.detail for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "user_change"))]
    assert changes == ["add role=township region=152921100", "disable", "enable", "set-password",
                       "set-role role=banner region=152921"]


@pytest.mark.parametrize("args, stdin, message", [
    (["add", "li", "--role", "township"], "s3cret-pass\n", "9-digit"),
    (["add", "li", "--role", "banner", "--region", "152921100"], "s3cret-pass\n", "6-digit"),
    (["add", "li", "--role", "league"], "\n", "at least 8"),
    (["disable", "nobody"], "", "no user"),
])
def test_users_bad_arguments_give_a_clear_error(ops_home, monkeypatch, caplog, capsys, args, stdin, message):
    assert run_users(monkeypatch, *args, "--home", str(ops_home.root), stdin=stdin) == 2
    assert message in caplog.text
    assert "Traceback" not in capsys.readouterr().err


def test_serve_demo_users_prints_passwords_once(built_home, tmp_path, monkeypatch, capsys):
    """`--demo-users` on a HOME with a warehouse: one user per role, passwords printed, then kept."""
    from aidwatch.commands.serve import create_demo_users

    engine = open_ops_engine(Home(tmp_path), f"sqlite:///{tmp_path / 'ops.sqlite'}")
    create_demo_users(built_home, engine)
    out = capsys.readouterr().out
    users = {u.login: u for u in accounts.list_users(engine)}
    assert set(users) == {"demo_township", "demo_banner", "demo_league", "demo_admin"}
    line = next(line for line in out.splitlines() if "demo_league" in line)
    assert accounts.authenticate(engine, "demo_league", line.split()[-1]).reason == "ok"
    assert users["demo_banner"].region_code == users["demo_township"].region_code[:6]
    create_demo_users(built_home, engine)
    assert "existing demo users keep their passwords" in capsys.readouterr().out
