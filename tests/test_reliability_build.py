"""Issue 10, rows 1 and 2: a build never publishes a worse database.

Reproduced the way they were found: real `kb build` processes over a good database, and a real
HTTP server on 127.0.0.1 answering a re-fetch with HTTP 200 and an unusable page.
"""
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scrapers.adilet.fetch import AdiletFetcher, OldAdiletSource
from scrapers.rawstore import RawStore

REPO = Path(__file__).resolve().parents[1]
ACT = "V1600014592"
# An Adilet-looking error page: it has «Статья 1.» (so the marker check passes) but no
# document body, so it is no law text.
UNUSABLE = ("<html><head><meta charset='utf-8'></head><body><h1>Технические работы</h1>"
            "<p>Статья 1. Сервис временно недоступен.</p></body></html>").encode()


def kb_build(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kb.cli", "build", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def counts(db: Path) -> dict:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("acts", "provisions", "observations")}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def good_db(tmp_path_factory, corpus_dir) -> Path:
    """A good database built from the whole saved corpus by a real `kb build`."""
    db = tmp_path_factory.mktemp("good") / "kb.db"
    proc = kb_build("--corpus", corpus_dir, "--db", db, cwd=db.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return db


@pytest.fixture
def db_copy(good_db, tmp_path) -> Path:
    db = tmp_path / "kb.db"
    shutil.copyfile(good_db, db)
    return db


# --- row 1: the shrink guard ----------------------------------------------------------------


def test_a_garbage_corpus_never_replaces_a_good_database(db_copy, tmp_path):
    before_sha, before = sha(db_copy), counts(db_copy)
    assert before["acts"] >= 6 and before["observations"] > 1000
    garbage = tmp_path / "garbage"
    (garbage / "adilet" / "rus").mkdir(parents=True)
    (garbage / "adilet" / "rus" / "Z020000345_.html").write_bytes(b"<html>\x00\xff garbage</html>")

    proc = kb_build("--corpus", garbage, "--db", db_copy, cwd=tmp_path)

    assert proc.returncode != 0
    out = proc.stdout
    assert "build FAILED" in out and "shrink guard" in out
    assert f"acts {before['acts']} -> 0" in out                       # every reason listed
    assert f"provisions {before['provisions']} -> 0" in out
    assert f"observations {before['observations']} -> 0" in out
    assert "Z020000345_" in out                                         # and why the act failed
    assert sha(db_copy) == before_sha                                   # nothing lost
    assert not list(tmp_path.glob(".kb.db.building-*"))                 # nothing left behind


def test_losing_one_act_is_refused_and_allow_shrink_publishes_it(db_copy, tmp_path, corpus_dir):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus, ignore=shutil.ignore_patterns(f"{ACT}.html"))
    before_sha, before = sha(db_copy), counts(db_copy)

    refused = kb_build("--corpus", corpus, "--db", db_copy, cwd=tmp_path)
    assert refused.returncode != 0, refused.stdout
    assert f"missing: {ACT}" in refused.stdout
    # One act's provisions are under the 5 % limit: only the act is a reason.
    assert "provisions" not in refused.stdout.split("shrink guard")[1].split("previous database")[0]
    assert sha(db_copy) == before_sha

    allowed = kb_build("--corpus", corpus, "--db", db_copy, "--allow-shrink", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert counts(db_copy)["acts"] == before["acts"] - 1


# --- row 2: an unusable re-fetch falls back to the last good copy -----------------------------


def _raw_with_bad_newest(raw: Path, good: bytes) -> None:
    """What the fetcher stored before the fix: a good copy, then an unusable one logged ok."""
    store = RawStore(raw)
    url = f"https://old.adilet.zan.kz/rus/docs/{ACT}"
    store.put(good, url=url, kind="document", status=200, act_id=ACT, lang="rus", ok=True,
              retrieved_at="2026-08-01T10:00:00+00:00")
    store.put(UNUSABLE, url=url, kind="document", status=200, act_id=ACT, lang="rus", ok=True,
              retrieved_at="2026-08-02T10:00:00+00:00")


def test_a_build_falls_back_to_the_last_good_copy_and_says_so(tmp_path, corpus_dir):
    good = (corpus_dir / "adilet" / "rus" / f"{ACT}.html").read_bytes()
    raw, empty, db = tmp_path / "raw", tmp_path / "empty", tmp_path / "kb.db"
    empty.mkdir()
    _raw_with_bad_newest(raw, good)

    proc = kb_build("--corpus", empty, "--raw", raw, "--db", db, cwd=tmp_path)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "fell back to the copy retrieved 2026-08-01" in proc.stdout
    conn = sqlite3.connect(db)
    act = conn.execute("select content_sha256, retrieved_at from acts where id = ?", (ACT,)).fetchone()
    assert act == (hashlib.sha256(good).hexdigest(), "2026-08-01T10:00:00+00:00")
    assert conn.execute("select count(*) from provisions where act_id = ?", (ACT,)).fetchone()[0] > 5
    reasons = [r for (r,) in conn.execute("select reason from build_failures where stage = 'parse'")]
    assert any("unusable" in r and "fell back" in r for r in reasons)


class _Site(BaseHTTPRequestHandler):
    pages: dict = {}

    def do_GET(self):
        if self.path == "/robots.txt":
            body, status = b"User-agent: *\nAllow: /\n", 200
        else:
            body, status = self.pages.get(self.path, (b"not found", 404))
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    class Handler(_Site):
        pages = {}

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", Handler.pages
    finally:
        server.shutdown()
        server.server_close()


def test_an_unusable_200_refetch_is_not_logged_ok_and_the_act_survives(site, tmp_path, corpus_dir):
    base, pages = site
    good = (corpus_dir / "adilet" / "rus" / f"{ACT}.html").read_bytes()
    raw = tmp_path / "raw"
    source = OldAdiletSource(base_url=base)
    pages[f"/rus/docs/{ACT}"] = (good, 200)
    with AdiletFetcher(raw_dir=raw, delay=0, source=source) as fetcher:
        first = fetcher.fetch_document(ACT, "rus")
        pages[f"/rus/docs/{ACT}"] = (UNUSABLE, 200)
        second = fetcher.fetch_document(ACT, "rus")
    assert first.ok and first.status == 200
    assert second.status == 200 and not second.ok
    assert "does not parse" in second.error
    records = [json.loads(line) for line in (raw / "responses.jsonl").read_text().splitlines()]
    docs = [r for r in records if r["kind"] == "document"]
    assert [r["ok"] for r in docs] == [True, False]
    assert RawStore(raw).get(docs[1]["sha256"]) == UNUSABLE            # kept, not used

    empty, db = tmp_path / "empty", tmp_path / "kb.db"
    empty.mkdir()
    proc = kb_build("--corpus", empty, "--raw", raw, "--db", db, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("select content_sha256 from acts where id = ?", (ACT,)).fetchone() == (
        hashlib.sha256(good).hexdigest(),)
