"""One crawl per raw store at a time (issue 10, row 12).

Another process holds the store's crawl lock (the lock `kb fetch` and `kb build --live` take);
a second crawl on the same store is refused before any request, with a message naming the
holder, and nothing stored is touched. A lock left by a process killed with -9 is taken over.
"""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fault_server import FaultServer
from scrapers.adilet.fetch import AdiletFetcher, OldAdiletSource
from scrapers.http import PoliteClient
from scrapers.rawstore import CrawlLock, CrawlLocked, RawStore

KB = str(Path(sys.executable).with_name("kb"))
PAGE = ("<html><body><article><p><b><a name=\"z1\"></a>Статья 1. Дети</b></p>"
        "<p id=\"z2\">1. Текст.</p></article></body></html>").encode()
HOLD = ("import sys; from scrapers.rawstore import CrawlLock; CrawlLock(sys.argv[1]).acquire(); "
        "print('held', flush=True); sys.stdin.read()")


@pytest.fixture
def raw(tmp_path):
    store = RawStore(tmp_path / "raw")
    store.put(PAGE, url="https://old.adilet.zan.kz/rus/docs/Z020000345_", kind="document",
              act_id="Z020000345_", lang="rus")
    return store.root


@pytest.fixture
def holder(raw):
    """Another process holding the raw store's crawl lock until the test ends (or kills it)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(raw)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    yield proc
    if proc.poll() is None:
        proc.stdin.close()
        proc.wait(timeout=10)


def snapshot(root: Path) -> dict:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name != "crawl.lock"}


def test_a_second_kb_fetch_and_kb_build_live_are_refused(raw, holder, tmp_path):
    before = snapshot(raw)
    db = tmp_path / "kb.db"
    db.write_bytes(b"the previous database")
    for args in (["fetch", "Z020000345_"], ["build", "--live", "--db", str(db)]):
        proc = subprocess.run([KB, *args, "--raw", str(raw)], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 1, proc
        assert "Traceback" not in proc.stderr
        assert f"another crawl is using the raw store {raw} (pid {holder.pid}" in proc.stderr
        assert "wait for it to finish, or give another --raw folder" in proc.stderr
    assert "nothing was built" in proc.stderr
    assert db.read_bytes() == b"the previous database"
    assert snapshot(raw) == before


def test_a_live_build_in_process_fails_its_crawl_stage_and_keeps_the_database(raw, holder, tmp_path):
    from db.build import BuildOptions, run_build

    db = tmp_path / "kb.db"
    db.write_bytes(b"the previous database")
    report = run_build(BuildOptions(db_path=db, live=True, raw_dir=raw, discover=False,
                                    act_ids=("Z020000345_",), delay=0))
    assert report.fatal.startswith("crawl stage: CrawlLocked: another crawl is using the raw store")
    assert db.read_bytes() == b"the previous database"


def test_the_lock_names_its_holder_and_a_clean_end_leaves_none(raw):
    lock = CrawlLock(raw).acquire()
    held = json.loads((raw / "crawl.lock").read_text())
    assert held["pid"] == os.getpid() and held["started"]
    again = CrawlLock(raw).acquire()          # the same process may take it again (reentrant)
    again.release()
    assert (raw / "crawl.lock").read_text()   # still held by the outer one
    lock.release()
    assert (raw / "crawl.lock").read_text() == ""


def test_a_stale_lock_of_a_killed_crawl_is_taken_over(raw, holder):
    with pytest.raises(CrawlLocked, match=f"pid {holder.pid}"):
        with AdiletFetcher(raw) as refused:
            refused.fetch_document("V1600014606", "rus")
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    assert json.loads((raw / "crawl.lock").read_text())["pid"] == holder.pid   # left behind
    with FaultServer() as server:
        server.routes["/rus/docs/V1600014606"] = ("page", PAGE, {})
        client = PoliteClient(delay=0, sleep=lambda s: None)
        try:
            fetcher = AdiletFetcher(raw, source=OldAdiletSource(server.url), client=client)
            result = fetcher.fetch_document("V1600014606", "rus")
            assert fetcher.lock.took_over["pid"] == holder.pid
            fetcher.close()
        finally:
            client.close()
    assert result.ok and RawStore(raw).get(result.sha256) == PAGE
    assert RawStore(raw).latest_good("Z020000345_", "rus", "document") is not None
    assert (raw / "crawl.lock").read_text() == ""
