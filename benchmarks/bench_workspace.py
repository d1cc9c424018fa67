"""Benchmark: the officials' workspace under 50 concurrent users on loopback for 60 s.

Serves a built HOME (e.g. `make demo`, scale 1) with `aidwatch serve` in its own process
(SQLite ops database in a temporary folder, so the HOME gets no users), signs in one
account per virtual user (township, banner and league accounts spread over the areas
that have warnings), then each user loops: open a page of the warning list, open a
household from it. Bounded: the run stops at --duration, every request times out after
10 s. Prints p50/p95 latency of the list and household pages, throughput and the error
count; asserts nothing. Goal on the 2-core machine: p95 < 300 ms, no errors.

    .venv/bin/python benchmarks/bench_workspace.py --home data [--users 50] [--duration 60] [--workers 2]
        [--cpu-per-page 300]

Closed loop, no think time: a user sends its next request as soon as the last one is
answered, so latency ~ users / throughput. Also printed: the load average before and
after (other work on the machine distorts wall times) and the server's CPU seconds
(all worker processes) per page served, the figure that does not depend on the load.
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


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the server process and its worker processes (Linux /proc)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for process in [pid, *map(int, children)]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def cpu_per_page(base: str, logins: list[str], requests: int, cpu_clock) -> list[str]:  # noqa: ANN001
    """Server CPU ms per page, one request at a time (a township and a league user).

    The stable figure when other work loads the machine: every URL of a page kind is opened
    once first (a household's first view after a publish reads DuckDB; it is not counted),
    then `requests` requests of that kind are sent one after another.
    """
    lines = []
    for login in (logins[0], logins[min(9, len(logins) - 1)]):
        with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT_S) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
            client.post("/login", data={"username": login, "password": PASSWORD, "csrf_token": token})
            listing = client.get("/warnings?page=1").text
            kinds = {
                "static": ["/static/workspace.css"],
                "list": ["/warnings?page=1"],
                "household": sorted(set(re.findall(r'href="(/households/[^"]+)"', listing))),
                "warning": sorted(set(re.findall(r'href="(/warnings/[^"?]+)"', listing))),
            }
            for kind, urls in kinds.items():
                if not urls:
                    continue
                for url in urls:
                    client.get(url)
                started = cpu_clock()
                statuses = {client.get(urls[i % len(urls)]).status_code for i in range(requests)}
                spent = cpu_clock() - started
                lines.append(f"  {login} {kind:9} {spent / requests * 1000:5.2f} server CPU ms/page "
                             f"({requests} requests over {len(urls)} URLs, HTTP {sorted(statuses)})")
    return lines


def percentile(values: list[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


async def run_load(base: str, logins: list[str], duration: float,
                   cpu_clock) -> tuple[dict, list[str], float, float]:  # noqa: ANN001 (a callable)
    """Every user signs in; the clock starts when all have; the load runs `duration` seconds.

    Also returns the server's CPU seconds spent while the load ran (`cpu_clock` before and after).
    """
    timings: dict[str, list[float]] = {"list": [], "household": []}
    errors: list[str] = []
    ready = asyncio.Barrier(len(logins) + 1)
    clock = {"deadline": float("inf")}
    gate = asyncio.Semaphore(SIGN_IN_AT_ONCE)
    tasks = [asyncio.create_task(virtual_user(base, login, clock, timings, errors, ready, gate))
             for login in logins]
    await ready.wait()
    cpu_started = cpu_clock()
    started = time.monotonic()
    clock["deadline"] = started + duration
    await asyncio.gather(*tasks)
    return timings, errors, time.monotonic() - started, cpu_clock() - cpu_started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, help="a built aidwatch HOME (e.g. after `make demo`)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument("--cpu-per-page", type=int, default=0, metavar="N",
                        help="first measure server CPU per page with N sequential requests of each kind")
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
            [sys.executable, "-m", "aidwatch.cli", "serve", "--home", str(home.root), "--port", str(port),
             "--workers", str(args.workers)],
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
            server_clock = lambda: server_cpu_seconds(server.pid)  # noqa: E731
            sequential = []
            if args.cpu_per_page:
                sequential = cpu_per_page(base, logins, args.cpu_per_page, server_clock)
            load_before = os.getloadavg()
            client_cpu = time.process_time()
            started = time.perf_counter()
            timings, errors, elapsed, server_cpu = asyncio.run(
                run_load(base, logins, args.duration, server_clock))
            total = time.perf_counter() - started
            client_cpu = time.process_time() - client_cpu
            load_after = os.getloadavg()
        finally:
            server.terminate()
            server.wait(timeout=30)
    if sequential:
        print(f"server CPU per page, sequential requests ({args.workers} workers; load average "
              f"{load_before[0]:.2f}):")
        print("\n".join(sequential))
    print(f"workspace benchmark (closed loop, no think time): HOME {home.root}, {args.users} users, "
          f"{args.workers} server workers, {elapsed:.1f} s of load ({total:.1f} s with sign-in), "
          f"server and clients on this machine ({os.cpu_count()} cores)")
    print("  load average before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(
        *load_before, *load_after))
    for kind, values in timings.items():
        if values:
            print(f"  {kind:9} n={len(values):6d}  p50={percentile(values, .50) * 1000:7.1f} ms  "
                  f"p95={percentile(values, .95) * 1000:7.1f} ms  max={max(values) * 1000:7.1f} ms")
        else:
            print(f"  {kind:9} no successful request")
    requests = sum(len(v) for v in timings.values())
    print(f"  throughput {requests / elapsed:.1f} pages/s; errors {len(errors)}; server CPU "
          f"{server_cpu:.1f} s = {server_cpu / max(requests, 1) * 1000:.1f} ms per page; "
          f"client CPU {client_cpu:.1f} s (with sign-in)")
    for error in sorted(set(errors))[:10]:
        print(f"    {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
