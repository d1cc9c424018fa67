"""Benchmark: the officials' workspace under 50 concurrent users on loopback for 60 s.

Serves a built HOME (e.g. `make demo`, scale 1) with `aidwatch serve` in its own process
(SQLite ops database in a temporary folder, so the HOME gets no users), signs in one
account per virtual user (township, banner and league accounts spread over the areas
that have warnings), then each user loops: open a page of the warning list, open a
household from it. Bounded: the run stops at --duration, every request times out after
10 s. Prints p50/p95 latency of the list and household pages, throughput and the error
count; asserts nothing. Goal on the 2-core machine: p95 < 300 ms, no errors.

    .venv/bin/python benchmarks/bench_workspace.py --home data [--users 50] [--duration 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from aidwatch.home import Home  # noqa: E402
from aidwatch.workspace import accounts  # noqa: E402
from aidwatch.workspace.ops import open_ops_engine  # noqa: E402
from aidwatch.workspace.warehouse import PublishedWarehouse  # noqa: E402

PASSWORD = "benchmark-password"
REQUEST_TIMEOUT_S = 10.0
SIGN_IN_TIMEOUT_S = 120.0  # sign-in (argon2, before the clock starts) is not measured
SIGN_IN_AT_ONCE = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_accounts(home: Home, ops_url: str, users: int) -> list[str]:
    """One login per virtual user: townships with warnings first, then banners, then league."""
    warehouse = PublishedWarehouse(home)
    try:
        warnings = warehouse.snapshot().warnings
    finally:
        warehouse.close()
    townships = sorted({w["township_code"] for w in warnings
                        if w.get("township_code") and w.get("household_id")})
    banners = sorted({code[:6] for code in townships})
    engine = open_ops_engine(home, ops_url)
    logins = []
    for index in range(users):
        login = f"bench{index:03d}"
        if index % 10 == 9:
            accounts.add_user(engine, login, "league", PASSWORD)
        elif index % 5 == 4:
            accounts.add_user(engine, login, "banner", PASSWORD, banners[index % len(banners)])
        else:
            accounts.add_user(engine, login, "township", PASSWORD, townships[index % len(townships)])
        logins.append(login)
    engine.dispose()
    return logins


async def sign_in(client: httpx.AsyncClient, login: str, gate: asyncio.Semaphore) -> None:
    async with gate:
        page = await client.get("/login", timeout=SIGN_IN_TIMEOUT_S)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        form = {"username": login, "password": PASSWORD, "csrf_token": token}
        response = await client.post("/login", data=form, timeout=SIGN_IN_TIMEOUT_S)
    if response.status_code != 303:
        raise RuntimeError(f"{login}: login answered {response.status_code}")


async def virtual_user(base: str, login: str, clock: dict, timings: dict[str, list[float]],
                       errors: list[str], ready: asyncio.Barrier, gate: asyncio.Semaphore) -> None:
    """Sign in, wait for everyone, then alternate list page / household page until the deadline."""
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S) as client:
        try:
            await sign_in(client, login, gate)
        except (httpx.HTTPError, RuntimeError, AttributeError) as error:
            errors.append(f"sign-in {login}: {error.__class__.__name__} {error}")
            await ready.wait()  # never leave the others waiting
            return
        await ready.wait()
        pages, last_text = 1, ""
        rng = random.Random(login)
        while time.monotonic() < clock["deadline"]:
            for kind in ("list", "household"):
                if kind == "list":
                    url = f"/warnings?page={rng.randint(1, pages)}"
                else:
                    households = re.findall(r'href="(/households/[^"]+)"', last_text)
                    if not households:
                        continue
                    url = rng.choice(households)
                started = time.perf_counter()
                try:
                    response = await client.get(url)
                except httpx.HTTPError as error:
                    errors.append(f"{url.split('?')[0]}: {error.__class__.__name__}")
                    continue
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    errors.append(f"{url.split('?')[0]}: HTTP {response.status_code}")
                    continue
                timings[kind].append(elapsed)
                if kind == "list":
                    last_text = response.text
                    match = re.search(r"第 \d+ / (\d+) 页", last_text)
                    pages = int(match.group(1)) if match else 1


def percentile(values: list[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


async def run_load(base: str, logins: list[str], duration: float) -> tuple[dict, list[str], float]:
    """Every user signs in; the clock starts when all have; the load runs `duration` seconds."""
    timings: dict[str, list[float]] = {"list": [], "household": []}
    errors: list[str] = []
    ready = asyncio.Barrier(len(logins) + 1)
    clock = {"deadline": float("inf")}
    gate = asyncio.Semaphore(SIGN_IN_AT_ONCE)
    tasks = [asyncio.create_task(virtual_user(base, login, clock, timings, errors, ready, gate))
             for login in logins]
    await ready.wait()
    started = time.monotonic()
    clock["deadline"] = started + duration
    await asyncio.gather(*tasks)
    return timings, errors, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, help="a built aidwatch HOME (e.g. after `make demo`)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    args = parser.parse_args()
    home = Home.resolve(args.home)
    if not home.warehouse.exists():
        print(f"{home.warehouse} does not exist: run `make demo` (or aidwatch run) first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-workspace-") as tmp:
        ops_url = f"sqlite:///{Path(tmp) / 'ops.sqlite'}"
        logins = make_accounts(home, ops_url, args.users)
        port = free_port()
        env = {**os.environ, "AIDWATCH_OPS_DB": ops_url, "AIDWATCH_WORKSPACE_SECRET": "bench-" + "s" * 40}
        server = subprocess.Popen(
            [sys.executable, "-m", "aidwatch.cli", "serve", "--home", str(home.root), "--port", str(port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    httpx.get(f"{base}/login", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            else:
                raise RuntimeError("the workspace did not start")
            started = time.perf_counter()
            timings, errors, elapsed = asyncio.run(run_load(base, logins, args.duration))
            total = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"workspace benchmark: HOME {home.root}, {args.users} users, {elapsed:.1f} s of load "
          f"({total:.1f} s with sign-in), server and clients on this machine ({os.cpu_count()} cores)")
    for kind, values in timings.items():
        if values:
            print(f"  {kind:9} n={len(values):6d}  p50={percentile(values, .50) * 1000:7.1f} ms  "
                  f"p95={percentile(values, .95) * 1000:7.1f} ms  max={max(values) * 1000:7.1f} ms")
        else:
            print(f"  {kind:9} no successful request")
    requests = sum(len(v) for v in timings.values())
    print(f"  throughput {requests / elapsed:.1f} pages/s; errors {len(errors)}")
    for error in sorted(set(errors))[:10]:
        print(f"    {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
