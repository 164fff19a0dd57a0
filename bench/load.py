"""Load test: `kb serve`-equivalent Datasette on 127.0.0.1, bounded concurrent requests.

    .venv/bin/python bench/load.py [--db db/kb.db] [--requests 500] [--concurrency 8]
                                   [--time-limit 120]

Starts the server (kb.serve.serve in a subprocess, immutable, inspect file, metadata.yml),
sends a fixed number of requests spread over search, facet, provision and indicator pages,
prints p50/p95/max latency per kind and overall plus error counts, stops the server and exits
(non-zero if any request failed or the hard time limit was hit).
"""
from __future__ import annotations

import argparse
import asyncio
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse

from datasette.utils import tilde_encode
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
SEARCH_TERMS = ["детей", "ребенка", "пособий", "права ребенка", "образование", "опека",
                "родителей", "защита от насилия", "здоровья", "несовершеннолетних", "балалардың"]
FACET_PATHS = [
    "/kb/provisions?_facet=primary_dimension",
    "/kb/provisions?_facet_array=dimension_codes&_facet_array=age_group_codes",
    "/kb/provisions?dimension_codes__arraycontains=PRO",
    "/kb/acts?_facet=form&_facet=status&_facet=issuing_body&_facet=year",
    "/kb/by_dimension_age?dimension=EDU&age_band=AG_PRI",
    "/kb/at_age?age=14",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_plan(db: Path, n: int, seed: int = 1) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    ids = [r[0] for r in conn.execute("select id from provisions order by random() limit 200")]
    indicators = [r[0] for r in conn.execute("select code from indicators limit 50")]
    conn.close()
    plan = []
    for i in range(n):
        kind = ("search", "facet", "provision", "indicator")[i % 4]
        if kind == "search":
            q = rng.choice(SEARCH_TERMS)
            query = "search_kk" if q == "балалардың" else "search"
            plan.append((kind, f"/kb/{query}?" + urllib.parse.urlencode({"q": q})))
        elif kind == "facet":
            plan.append((kind, rng.choice(FACET_PATHS)))
        elif kind == "provision" and ids:
            # Datasette tilde-encodes row keys (a "." would read as a format suffix).
            plan.append((kind, "/kb/provisions/" + tilde_encode(rng.choice(ids))))
        elif indicators:
            plan.append(("indicator", "/indicators/" + urllib.parse.quote(rng.choice(indicators))))
        else:
            plan.append(("facet", rng.choice(FACET_PATHS)))
    return plan


def start_server(db: Path, port: int, sql_time_limit_ms: int) -> subprocess.Popen:
    code = ("import sys; from kb.serve import serve; "
            f"serve({str(db)!r}, '127.0.0.1', {port}, {sql_time_limit_ms})")
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


async def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit("server exited:\n" + (proc.stdout.read() if proc.stdout else ""))
            try:
                if (await client.get(base + "/-/versions.json", timeout=2)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("server did not start in time")


async def run(base: str, plan, concurrency: int, time_limit: float, request_timeout: float):
    results = []  # (kind, seconds, status or error)
    queue: asyncio.Queue = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)

    async def worker(client):
        while True:
            try:
                kind, path = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            start = time.perf_counter()
            try:
                response = await client.get(base + path, timeout=request_timeout)
                outcome = response.status_code
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            results.append((kind, time.perf_counter() - start, outcome, path))

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(asyncio.gather(*(worker(client) for _ in range(concurrency))),
                                   timeout=time_limit)
            timed_out = False
        except asyncio.TimeoutError:
            timed_out = True
        elapsed = time.perf_counter() - started
    return results, elapsed, timed_out


def percentile(values, p):
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def report(results, elapsed, timed_out, planned) -> int:
    kinds = sorted({r[0] for r in results}) + ["all"]
    print(f"{len(results)}/{planned} requests in {elapsed:.1f}s "
          f"({len(results) / elapsed:.1f} req/s){'  HARD TIME LIMIT HIT' if timed_out else ''}")
    print(f"{'kind':<10} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>7}")
    errors_total = 0
    for kind in kinds:
        rows = [r for r in results if kind == "all" or r[0] == kind]
        times = [r[1] * 1000 for r in rows]
        errors = [r for r in rows if r[2] != 200]
        if kind == "all":
            errors_total = len(errors)
        print(f"{kind:<10} {len(rows):>5} {percentile(times, 50):>8.1f} "
              f"{percentile(times, 95):>8.1f} {max(times, default=float('nan')):>8.1f} "
              f"{len(errors):>7}")
    for kind, _, outcome, path in [r for r in results if r[2] != 200][:10]:
        print(f"  error {outcome}: {path}")
    return 1 if errors_total or timed_out or len(results) < planned else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=REPO / "db" / "kb.db")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=120.0, help="hard limit, seconds")
    parser.add_argument("--request-timeout", type=float, default=15.0)
    parser.add_argument("--sql-time-limit-ms", type=int, default=3000)
    args = parser.parse_args(argv)
    if not args.db.exists():
        parser.error(f"no database at {args.db}")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    plan = build_plan(args.db, args.requests)
    proc = start_server(args.db.resolve(), port, args.sql_time_limit_ms)
    try:
        asyncio.run(wait_ready(base, proc))
        print(f"server {base} on {args.db} ({args.db.stat().st_size / 1e6:.1f} MB), "
              f"{args.requests} requests, concurrency {args.concurrency}")
        results, elapsed, timed_out = asyncio.run(
            run(base, plan, args.concurrency, args.time_limit, args.request_timeout))
        return report(results, elapsed, timed_out, len(plan))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
