"""Immutable replicas behind a cache, tried on one machine (issue 11, docs/serving.md).

    .venv/bin/python bench/replicas.py --db /tmp/scale11/db-1000000/kb.db [--replicas 2]
                                       [--requests-per-page 6] [--concurrency 8]

Starts N `kb serve` replicas of the same file on 127.0.0.1 and nginx (it must be installed:
`apt-get install nginx-light`) in front of them as a load balancer with a shared response
cache that honours the replicas' own `Cache-Control` (nothing configured per URL). Sends
bench/scale.py's page plan through nginx twice at the same concurrency: the first pass fills
the cache (every URL's first request goes to a replica), the second is what visitors get once
the cache is warm. Prints p50/p95 per pass and the cache's HIT/MISS counts. Everything runs
under --work; nginx and the replicas are stopped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import httpx  # noqa: E402

from load import free_port, percentile, wait_ready  # noqa: E402
from scale import load, page_plan  # noqa: E402

NGINX_CONF = """
worker_processes 1;
user root;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 256; }}
http {{
    log_format cache '$upstream_cache_status $status $request_time $request_uri';
    access_log {work}/access.log cache;
    proxy_cache_path {work}/cache levels=1:2 keys_zone=kb:32m max_size=2g inactive=1d
                     use_temp_path=off;
    upstream replicas {{ {servers} keepalive 16; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache kb;
            proxy_cache_lock on;              # one request per URL fills it, the others wait
            proxy_cache_methods GET HEAD;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
}}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--work", type=Path, default=Path("/tmp/scale11/replicas"))
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--requests-per-page", type=int, default=6)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        parser.error("nginx is not installed (apt-get install nginx-light)")
    shutil.rmtree(args.work, ignore_errors=True)
    (args.work / "cache").mkdir(parents=True)
    ports = [free_port() for _ in range(args.replicas)]
    front = free_port()
    procs = []
    log = open(args.work / "replicas.log", "w")
    try:
        for port in ports:
            procs.append(subprocess.Popen(
                [sys.executable, "-c",
                 f"from kb.serve import serve; serve({str(args.db)!r}, '127.0.0.1', {port})"],
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT))
        for port, proc in zip(ports, procs):
            asyncio.run(wait_ready(f"http://127.0.0.1:{port}", proc, timeout=600))
        conf = args.work / "nginx.conf"
        conf.write_text(NGINX_CONF.format(
            work=args.work, port=front,
            servers=" ".join(f"server 127.0.0.1:{p};" for p in ports)))
        subprocess.run([nginx, "-c", str(conf), "-p", str(args.work)], check=True)
        base = f"http://127.0.0.1:{front}"
        plan = page_plan(args.db, args.requests_per_page)
        print(f"nginx {base} in front of {args.replicas} replicas; {len(plan)} requests per pass, "
              f"concurrency {args.concurrency}")
        for name in ("cold cache", "warm cache"):
            results, elapsed, _ = asyncio.run(load(base, plan, args.concurrency, 900, 60))
            times = [r[1] * 1000 for r in results]
            errors = sum(1 for r in results if r[2] != 200)
            print(f"{name}: {len(results)} requests in {elapsed:.1f} s, p50 "
                  f"{percentile(times, 50):.0f} ms, p95 {percentile(times, 95):.0f} ms, max "
                  f"{max(times):.0f} ms, errors {errors}")
            time.sleep(0.5)
        statuses: dict[str, int] = {}
        for line in (args.work / "access.log").read_text().splitlines():
            key = line.split(" ", 1)[0]
            statuses[key] = statuses.get(key, 0) + 1
        print("cache status of all requests:", statuses)
        with httpx.Client() as client:
            r = client.get(base + "/coverage")
            print("a page's headers through the cache:", {k: r.headers.get(k) for k in
                                                         ("cache-control", "x-cache-status")})
        return 0
    finally:
        pid = args.work / "nginx.pid"
        if pid.exists():
            subprocess.run([nginx, "-c", str(args.work / "nginx.conf"), "-p", str(args.work),
                            "-s", "stop"], check=False)
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())
