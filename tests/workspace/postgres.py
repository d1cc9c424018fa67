"""A throwaway PostgreSQL server for the ops-store tests, when the server binaries are installed.

Why a real server: the workspace's PostgreSQL path (migrations, append-only triggers, the
refusal to start unmigrated) must be exercised on PostgreSQL itself. The cluster lives in a
temporary folder under /tmp, listens only on a Unix socket, trusts local connections, and is
stopped and removed after the session. As root it runs as the `postgres` user (PostgreSQL
refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.system_packages import unavailable


def server_binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """`host=... port=...` of a running throwaway cluster (skips when PostgreSQL is not installed)."""
    binaries = server_binaries()
    if binaries is None:
        unavailable("PostgreSQL server binaries not installed (.ci/run installs them)")
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root without a postgres user")
    root = Path(tempfile.mkdtemp(prefix="aidwatch-pg-"))
    root.chmod(0o755)
    data, socket = root / "data", root / "socket"
    socket.mkdir()
    if os.geteuid() == 0:
        for path in (root, socket):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = "54329"
    try:
        subprocess.run(as_server_user([str(binaries / "initdb"), "-D", str(data), "-U", "postgres",
                                       "--auth=trust", "--encoding=UTF8", "--no-sync"]),
                       check=True, capture_output=True, timeout=120)
        subprocess.run(as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-w", "-t", "60",
                                       "-l", str(root / "server.log"),
                                       "-o", f"-p {port} -k {socket} -c listen_addresses='' -c fsync=off",
                                       "start"]),
                       check=True, capture_output=True, timeout=120)
        yield f"host={socket}&port={port}"
    finally:
        subprocess.run(as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def create_database(server: str, name: str) -> str:
    """A new empty database on the server; returns its SQLAlchemy URL."""
    import psycopg2

    params = dict(part.split("=", 1) for part in server.split("&"))
    connection = psycopg2.connect(dbname="postgres", user="postgres", host=params["host"],
                                  port=params["port"])
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'drop database if exists "{name}"')
        cursor.execute(f'create database "{name}"')
    connection.close()
    return f"postgresql+psycopg2://postgres@/{name}?{server}"
