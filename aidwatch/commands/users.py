"""`aidwatch users`: add, disable, enable, list users of the workspace and set their passwords.

Why passwords from standard input: a script (or `make serve`) pipes the password in and
it never appears in the process list or shell history; at a terminal it is asked twice.
Every change is written to the workspace's audit log.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

from aidwatch.home import Home

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "users",
        help="manage the workspace's users (add, disable, enable, list, set-password, set-role)",
        description=(
            "Users of the officials' workspace. Roles: township (--region: 9-digit township code), "
            "banner (--region: 6-digit banner code), league, admin. The password is read from "
            "standard input when it is not a terminal, else asked twice. The operational database is "
            "HOME/workspace.sqlite (created and migrated here) or $AIDWATCH_OPS_DB."
        ),
    )
    actions = parser.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a user")
    add.add_argument("login")
    add.add_argument("--role", required=True, choices=["township", "banner", "league", "admin"])
    add.add_argument("--region", default=None, help="township (9 digits) or banner (6 digits) code")
    set_role = actions.add_parser("set-role", help="change a user's role and region")
    set_role.add_argument("login")
    set_role.add_argument("--role", required=True, choices=["township", "banner", "league", "admin"])
    set_role.add_argument("--region", default=None, help="township (9 digits) or banner (6 digits) code")
    for name, text in (("disable", "disable a user (ends its sessions)"), ("enable", "enable a user again"),
                       ("set-password", "set a new password (also lifts a lockout)")):
        action = actions.add_parser(name, help=text)
        action.add_argument("login")
    actions.add_parser("list", help="list the users")
    for action in actions.choices.values():
        action.add_argument("--home", default=None,
                            help="aidwatch HOME (default $AIDWATCH_HOME, else ./data)")
    parser.set_defaults(func=run)


def read_password(prompt_for: str) -> str:
    """One line from standard input when piped; asked twice at a terminal."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {prompt_for}: ")
    second = getpass.getpass("again: ")
    if first != second:
        raise ValueError("the two passwords differ")
    return first


def run(args: argparse.Namespace) -> int:
    from aidwatch.workspace import accounts
    from aidwatch.workspace.audit import AuditUnavailable
    from aidwatch.workspace.ops import OpsNotMigrated, open_ops_engine

    home = Home.resolve(args.home)
    try:
        engine = open_ops_engine(home)
    except OpsNotMigrated as error:
        log.error("%s", error)
        return 1
    operator = accounts.Operator(f"cli:{getpass.getuser()}", "cli")
    try:
        if args.users_action == "list":
            for user in accounts.list_users(engine):
                state = "disabled" if user.disabled else ("locked" if user.locked_until else "active")
                print(f"{user.login}\t{user.role}\t{user.region_code or '-'}\t{state}")
            return 0
        needs_password = args.users_action in ("add", "set-password")
        accounts.change_user(engine, operator, args.users_action, args.login,
                             role=getattr(args, "role", None), region_code=getattr(args, "region", None),
                             password=read_password(args.login) if needs_password else None)
    except (accounts.AccountError, ValueError) as error:
        log.error("users %s %s: %s", args.users_action, getattr(args, "login", ""), error)
        return 2
    except AuditUnavailable as error:
        log.error("the change was made but could not be audited: %s", error)
        return 1
    print(f"{args.users_action} {args.login}: done")
    return 0
