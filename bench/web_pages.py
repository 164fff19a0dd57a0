"""Latency of the lawyer-facing pages (kb/web, issue 12) under load.

    .venv/bin/python bench/web_pages.py [--db db/kb.db] [--requests 600] [--concurrency 4]

Starts `kb serve` on the database (bench/load.py's server and client), then requests the
pages people use, in a fixed shuffled order: home, search (word forms, `опек*`, `OR`, a phrase,
Kazakh, with a facet, an empty result), act contents, provisions at readable URLs, the
coverage heatmap and its CSV, and what applies at an age (HTML and JSON). Prints p50/p95/max
per page and overall; exits non-zero if any request failed. The target (issue 12): p95 ≤ 300 ms
on the offline build of the full corpus.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from load import free_port, report, run, wait_ready  # noqa: E402

from kb.web import slugs  # noqa: E402

SEARCHES = ["детей", "опек*", "буллинг OR насилие", '"право на образование"', "пособий",
            "несовершеннолетних", "балалардың құқықтары", "опекунство", "здоровья ребенка"]
FACETS = ["&status=in_force", "&dimension=PRO", "&dimension=EDU&status=in_force", ""]


def readable_paths(db: Path, n: int, rng: random.Random) -> list[str]:
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    cols = {r[1] for r in conn.execute("pragma table_info(provisions)")}
    out = []
    if "slug" in cols:
        rows = conn.execute("select act_id, slug from provisions where slug is not null").fetchall()
        out = [f"/acts/{a}/{slugs.slug_to_path(s)}" for a, s in rows]
    else:
        for (act_id,) in conn.execute("select id from acts"):
            tree = [dict(zip(("id", "parent_id", "kind", "number", "heading", "path"), r))
                    for r in conn.execute("select id, parent_id, kind, number, heading, path "
                                          "from provisions where act_id = ? order by position",
                                          (act_id,))]
            out += [f"/acts/{act_id}/{slugs.slug_to_path(s)}"
                    for s in slugs.derive_slugs(tree).values()]
    conn.close()
    rng.shuffle(out)
    return out[:n]


def build_plan(db: Path, n: int, seed: int = 1) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    acts = [r[0] for r in conn.execute("select id from acts")]
    conn.close()
    provisions = readable_paths(db, 300, rng)
    kinds = ["home", "search", "search", "act", "provision", "provision", "coverage", "age"]
    plan = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        if kind == "home":
            plan.append((kind, "/"))
        elif kind == "search":
            q = rng.choice(SEARCHES)
            plan.append((kind, "/search?" + urllib.parse.urlencode({"q": q}) + rng.choice(FACETS)))
        elif kind == "act":
            plan.append((kind, f"/acts/{rng.choice(acts)}"))
        elif kind == "provision":
            plan.append((kind, rng.choice(provisions)))
        elif kind == "coverage":
            plan.append((kind, rng.choice(["/coverage", "/coverage.csv"])))
        else:
            plan.append((kind, f"/age/{rng.randint(0, 18)}" + rng.choice(["", ".json"])))
    rng.shuffle(plan)
    return plan


def start_server(db: Path, port: int, log) -> subprocess.Popen:
    """`kb serve` in a subprocess; its output goes to a file (a full pipe would block it)."""
    code = f"from kb.serve import serve; serve({str(db)!r}, '127.0.0.1', {port})"
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=log,
                            stderr=subprocess.STDOUT)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=REPO / "db" / "kb.db")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--time-limit", type=float, default=300.0, help="hard limit, seconds")
    parser.add_argument("--request-timeout", type=float, default=15.0)
    args = parser.parse_args(argv)
    if not args.db.exists():
        parser.error(f"no database at {args.db}")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    plan = build_plan(args.db, args.requests)
    log = tempfile.NamedTemporaryFile("w+", prefix="kb-web-bench-", suffix=".log", delete=False)
    proc = start_server(args.db.absolute(), port, log)
    try:
        asyncio.run(wait_ready(base, proc))
        # one untimed pass over each kind: lemmatiser and caches warm, as on a running server
        asyncio.run(run(base, list({k: (k, p) for k, p in plan}.values()), 1, 60, 30))
        print(f"server {base} on {args.db} ({args.db.stat().st_size / 1e6:.1f} MB), "
              f"{args.requests} requests, concurrency {args.concurrency}")
        results, elapsed, timed_out = asyncio.run(
            run(base, plan, args.concurrency, args.time_limit, args.request_timeout))
        status = report(results, elapsed, timed_out, len(plan))
        if status:
            print(f"server log: {log.name}")
        return status
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except Exception:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
