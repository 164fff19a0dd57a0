"""Issue 10, rows 4–8 and 13: a serving configuration fit for the public.

Each row is reproduced the way it was found: a real `kb serve` process on 127.0.0.1 started by
the test, under bounded load (a few dozen requests, each with a timeout). No timed assertions:
status codes, counts, headers, the order answers arrived in, log growth, which build answered.
"""
import asyncio
import hashlib
import http.client
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import bibtexparser
import httpx
import pytest

from datasette_fixture import A1, build_fixture_db

from kb.security import inline_scripts, script_hash

REPO = Path(__file__).resolve().parents[1]
EVIL_PID = f"{A1}-z13"
BRACE_PID = f"{A1}-z20"
BRACE_URL = "https://adilet.zan.kz/rus/docs/X}, author = {X},"
SLOW_SQL = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def kb_serve(db: Path, *args, log: Path):
    """`kb serve` in a subprocess; yields (base URL, process). Stopped with SIGTERM."""
    port = free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--db", str(db),
                                 "-p", str(port), *args], cwd=REPO, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(base + "/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "kb serve did not start\n" + log.read_text()
            time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def poisoned_db(path: Path) -> Path:
    """The test fixture with hostile URLs where a corpus JSON or a page could put them."""
    build_fixture_db(path)
    conn = sqlite3.connect(path)
    conn.execute("update provisions set url = 'javascript:alert(document.domain)' where id = ?",
                 (EVIL_PID,))
    conn.execute("update provision_texts set url = 'JavaScript:alert(2)' where provision_id = ?",
                 (EVIL_PID,))
    conn.execute("update provisions set url = ? where id = ?", (BRACE_URL, BRACE_PID))
    conn.execute("update amendments set url = 'javascript:alert(3)' where act_id = ?", (A1,))
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One public-configuration server (the defaults of `kb serve`) on the poisoned fixture."""
    folder = tmp_path_factory.mktemp("serve")
    db = poisoned_db(folder / "kb.db")
    log = folder / "serve.log"
    with kb_serve(db, log=log) as (base, _):
        yield base, log


def get_all(base, paths, *, concurrency=8, timeout=30.0):
    """GET every path with bounded concurrency; [(path, status or exception name)]."""
    async def run():
        sem = asyncio.Semaphore(concurrency)
        done = []

        async def one(client, path):
            async with sem:
                try:
                    r = await client.get(base + path, timeout=timeout)
                    done.append((path, r.status_code))
                except httpx.HTTPError as exc:
                    done.append((path, type(exc).__name__))

        async with httpx.AsyncClient() as client:
            await asyncio.gather(*(one(client, p) for p in paths))
        return done

    return asyncio.run(run())


def raw_get(base: str, path: str, method: str = "GET") -> int:
    """A request with the path exactly as given (httpx would normalise `/..`)."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path)
        return conn.getresponse().status
    finally:
        conn.close()


# --- row 4: no arbitrary SQL by default; slow queries cannot starve page views ------------------


def test_arbitrary_sql_is_refused_and_canned_queries_answer(server):
    base, _ = server
    sql = quote("select id, url from provisions")
    slow = quote(SLOW_SQL)
    results = dict(get_all(base, [f"/kb?sql={sql}", f"/kb.json?sql={sql}", f"/kb.csv?sql={sql}",
                                  f"/kb?sql={slow}", "/kb/acts_status.json",
                                  "/kb/search.json?q=ребенок", "/kb/acts.json"]))
    assert [results[f"/kb{ext}?sql={sql}"] for ext in ("", ".json", ".csv")] == [403] * 3
    assert results[f"/kb?sql={slow}"] == 403
    assert results["/kb/acts_status.json"] == results["/kb/search.json?q=ребенок"] == 200
    assert results["/kb/acts.json"] == 200
    assert "<textarea" not in httpx.get(base + "/kb", timeout=30).text   # no SQL editor offered


def test_slow_queries_do_not_starve_page_views(tmp_path):
    db = build_fixture_db(tmp_path / "kb.db")
    with kb_serve(db, "--allow-sql", "--sql-time-limit-ms", "1000", log=tmp_path / "log") as (base, _):
        assert httpx.get(base + "/kb?sql=select+1", timeout=30).status_code == 200

        async def run():
            order = []

            async def get(client, kind, path, params=None):
                r = await client.get(base + path, params=params, timeout=60)
                order.append((kind, r.status_code))
                if r.status_code == 400:        # only the time limit may refuse a query
                    assert "took too long" in r.json()["error"], r.text[:300]

            async with httpx.AsyncClient(limits=httpx.Limits(max_connections=30)) as client:
                slow = [asyncio.create_task(get(client, "slow", "/kb.json",
                                                {"sql": SLOW_SQL, "n": str(i)}))
                        for i in range(12)]
                await asyncio.sleep(0.3)     # let the slow ones take their threads
                for path in ("/kb/acts", "/kb/provisions", "/kb/acts.json", "/kb/indicators",
                             f"/kb/provisions/{A1}-z4.json", "/kb/dimensions"):
                    await get(client, "page", path)
                await asyncio.gather(*slow)
            return order

        order = asyncio.run(run())
    pages = [s for k, s in order if k == "page"]
    slow = [s for k, s in order if k == "slow"]
    assert pages == [200] * 6
    # Every slow query was cut off by the time limit (400) or told to come back (503) …
    assert len(slow) == 12 and set(slow) <= {400, 503}, slow
    assert 503 in slow                          # 12 slow queries > 4 query slots
    # … and page views were answered while slow queries were still queued, not behind them.
    last_page = max(i for i, (k, _) in enumerate(order) if k == "page")
    unanswered = sum(1 for k, _ in order[last_page:] if k == "slow")
    assert unanswered >= 4, order


# --- row 5: errors are cheap --------------------------------------------------------------------


def test_a_burst_of_missing_pages_is_cheap_and_never_500(server):
    base, log = server
    before = log.stat().st_size
    paths = ([f"/kb/no_such_table_{i}" for i in range(15)] + [f"/nope/{i}" for i in range(10)]
             + [f"/kb/acts/NOPE{i}" for i in range(10)] + ["/kb/provisions/nope.json"])
    results = get_all(base, paths)
    assert len(results) == len(paths) and {s for _, s in results} == {404}
    assert raw_get(base, "/..") == 404
    assert raw_get(base, "/kb/../..") == 404
    assert raw_get(base, "/nope", method="POST") == 405
    assert raw_get(base, "/kb/acts", method="POST") == 405
    assert raw_get(base, "/kb/acts", method="HEAD") == 200
    grown = log.read_bytes()[before:]
    assert b"Traceback" not in grown and b"locals" not in grown
    assert len(grown) < 1000, grown[:2000]      # was +2.3 MB in 20 s


# --- row 7: only http(s) links, and a Content-Security-Policy -----------------------------------


def test_a_javascript_url_never_becomes_a_link_and_every_page_has_a_csp(server):
    base, _ = server
    pages = [f"/kb/provisions/{EVIL_PID}", f"/kb/provisions/{EVIL_PID}.json", "/kb/changes.atom",
             "/kb/acts", "/kb/search?q=травли", "/kb", "/", "/kb/nope", "/-/versions.json",
             f"/kb/provisions/{EVIL_PID}.bib"]
    with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
        responses = {p: client.get(p) for p in pages}
    for path, r in responses.items():
        csp = r.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "object-src 'none'" in csp, path
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert "unsafe-inline" not in script_src and "*" not in script_src
        assert r.headers.get("x-content-type-options") == "nosniff"
        # every inline script the page carries is allowed by hash, so the page still works
        if r.headers.get("content-type", "").startswith("text/html"):
            assert all(script_hash(body) in script_src for body in inline_scripts(r.text)), path
    page = responses[f"/kb/provisions/{EVIL_PID}"]
    assert page.status_code == 200
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", page.text, re.I)
    feed = responses["/kb/changes.atom"]
    assert feed.status_code == 200 and "<entry>" in feed.text
    assert "javascript:" not in feed.text.lower()
    links = re.findall(r'<link href="([^"]+)"', feed.text)
    assert links and all(link.startswith(("https://", "http://")) for link in links)


# --- row 8: export fields escaped ---------------------------------------------------------------


def test_bibtex_and_ris_exports_cannot_be_broken_out_of(server):
    base, _ = server
    bib = httpx.get(f"{base}/kb/provisions/{BRACE_PID}.bib", timeout=30)
    assert bib.status_code == 200
    library = bibtexparser.parse_string(bib.text)
    assert len(library.entries) == 1 and not library.failed_blocks
    fields = {f.key: f.value for f in library.entries[0].fields}
    assert fields["author"] != "X" and "X}" not in fields["author"]
    assert "{" not in fields["url"] and "}" not in fields["url"]
    assert fields["url"].startswith("https://adilet.zan.kz/rus/docs/X%7D")
    evil = httpx.get(f"{base}/kb/provisions/{EVIL_PID}.bib", timeout=30).text
    assert "javascript" not in evil.lower()
    ris = httpx.get(f"{base}/kb/provisions/{BRACE_PID}.ris", timeout=30)
    assert ris.status_code == 200
    lines = ris.text.split("\r\n")
    assert sum(1 for line in lines if line.startswith("TY  - ")) == 1
    assert sum(1 for line in lines if line.startswith("ER  - ")) == 1
    assert all(re.match(r"^[A-Z][A-Z0-9]  - ", line) for line in lines if line)


# --- rows 6 and 13: one build per server; the inspect file follows the database ------------------


def _build_marker(base: str) -> set[str]:
    rows = httpx.get(base + "/kb/build_info.json?_shape=array&key=built_at", timeout=30).json()
    return {r["value"] for r in rows}


def _second_build(src: Path, dst: Path) -> None:
    """Another build: a different build time and one act fewer."""
    shutil.copyfile(src, dst)
    conn = sqlite3.connect(dst)
    conn.execute("pragma foreign_keys = off")
    conn.execute("update build_info set value = 'BUILD-B' where key = 'built_at'")
    for table in ("provision_dimensions", "provision_age_groups"):
        conn.execute(f"delete from {table} where provision_id in "
                     "(select id from provisions where act_id = 'Z050000063_')")
    conn.execute("delete from provisions where act_id = 'Z050000063_'")
    conn.execute("delete from amendments where act_id = 'Z050000063_'")
    conn.execute("delete from act_texts where act_id = 'Z050000063_'")
    conn.execute("delete from acts where id = 'Z050000063_'")
    conn.commit()
    conn.execute("vacuum")
    conn.close()


def _table_counts(base: str) -> dict:
    tables = httpx.get(base + "/kb.json", timeout=30).json()["tables"]
    return {t["name"]: t["count"] for t in tables if t["name"] in ("acts", "provisions")}


def test_a_rebuild_under_a_running_server_never_mixes_builds(tmp_path):
    db = build_fixture_db(tmp_path / "kb.db")
    conn = sqlite3.connect(db)
    conn.execute("update build_info set value = 'BUILD-A' where key = 'built_at'")
    conn.commit()
    conn.close()
    sha_a = hashlib.sha256(db.read_bytes()).hexdigest()
    counts_a = {"acts": 2, "provisions": 16}
    log = tmp_path / "log"
    with kb_serve(db, log=log) as (base, _):
        assert _build_marker(base) == {"BUILD-A"}            # one thread has opened the file
        # `kb build` finishes: a new file renamed over the served one.
        _second_build(db, tmp_path / ".kb.db.building-1")
        os.replace(tmp_path / ".kb.db.building-1", db)
        paths = ["/kb/build_info.json?_shape=array&key=built_at"] * 40

        async def markers():
            async with httpx.AsyncClient(limits=httpx.Limits(max_connections=12)) as client:
                async def one(path):
                    return {r["value"] for r in (await client.get(base + path, timeout=30)).json()}
                return await asyncio.gather(*(one(p) for p in paths))

        answers = asyncio.run(markers())
        assert len(answers) == 40 and all(a == {"BUILD-A"} for a in answers)   # was 37 A / 23 B
        assert _table_counts(base) == counts_a
        download = httpx.get(base + "/kb.db", timeout=30)
        assert hashlib.sha256(download.content).hexdigest() == sha_a
    assert not list(tmp_path.glob(".kb-serving-*"))          # the pin is gone with the server

    # Restarted, the server publishes the new build, with its counts.
    with kb_serve(db, log=log) as (base, _):
        assert _build_marker(base) == {"BUILD-B"}
        assert _table_counts(base) == {"acts": 1, "provisions": 16 - 4}

    # Row 13: an older copy restored with its old mtime (older than the inspect file).
    inspect = tmp_path / "kb.inspect.json"
    restored = tmp_path / ".restore"
    build_fixture_db(restored)
    conn = sqlite3.connect(restored)
    conn.execute("update build_info set value = 'BUILD-A' where key = 'built_at'")
    conn.commit()
    conn.close()
    os.replace(restored, db)
    old = inspect.stat().st_mtime - 3600
    os.utime(db, (old, old))
    with kb_serve(db, log=log) as (base, _):
        assert _build_marker(base) == {"BUILD-A"}
        assert _table_counts(base) == counts_a                # not BUILD-B's stale counts
