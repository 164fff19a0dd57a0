"""The fetcher's hard limits (issue 10, row 9), over a real socket: a server on 127.0.0.1
started here (tests/fault_server.py) sends a gzip bomb, a 50 MB body, a trickle, hangs, or asks
for a huge Retry-After.

Every case ends the same way: a clear failure in responses.jsonl, nothing oversized stored,
and the good copy fetched before still byte-for-byte intact and the newest good one.
"""
import time
import tracemalloc
import zlib

import pytest

from fault_server import FaultServer
from scrapers.adilet.fetch import AdiletFetcher, OldAdiletSource
from scrapers.http import MAX_BODY_BYTES, MAX_RETRY_AFTER, PoliteClient

ACT = "Z020000345_"
DOC = f"/rus/docs/{ACT}"
LAW_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8" /><title>Закон о площадках</title></head>
<body><div class="container_alpha slogan"><h1>Закон о площадках</h1></div>
<div class="container_gamma text"><article>
<p><b><a name="z1"></a>Статья 1. Площадки для детей</b></p>
<p id="z2">1. Площадка открыта для детей до четырнадцати лет.</p>
</article></div></body></html>
""".encode("utf-8")


@pytest.fixture
def server():
    with FaultServer() as s:
        yield s


def make_fetcher(tmp_path, server, **limits):
    sleeps = []
    client = PoliteClient(delay=0, sleep=sleeps.append, **limits)
    fetcher = AdiletFetcher(tmp_path / "raw", source=OldAdiletSource(server.url), client=client)
    fetcher.sleeps = sleeps
    return fetcher


@pytest.fixture
def fetch(tmp_path, server):
    """A fetcher factory; whatever it makes is closed at the end."""
    made = []

    def factory(**limits):
        f = make_fetcher(tmp_path, server, **limits)
        made.append(f)
        return f

    yield factory
    for f in made:
        f.client.close()


def fetch_good(fetcher, server):
    server.routes[DOC] = ("page", LAW_PAGE, {})
    good = fetcher.fetch_document(ACT, "rus")
    assert good.ok, good.error
    server.sent.clear()                  # count what the fault under test sends
    server.hits.clear()
    return good


def assert_nothing_lost(fetcher, good, failed, *, error_contains):
    assert not failed.ok and error_contains in failed.error, failed.error
    store = fetcher.store
    last = list(store.records())[-1]
    assert last == failed.record and last["ok"] is False
    assert store.get(good.sha256) == LAW_PAGE
    assert store.latest_good(ACT, "rus", "document") == good.record
    sizes = [p.stat().st_size for p in (store.root / "objects").rglob("*") if p.is_file()]
    assert max(sizes) <= fetcher.client.max_bytes


# --- size ----------------------------------------------------------------------------------


def test_a_gzip_bomb_is_refused_after_the_limit_without_holding_it(fetch, server):
    fetcher = fetch(max_bytes=1 << 20)
    good = fetch_good(fetcher, server)
    server.routes[DOC] = ("bomb", 1)                   # 1 GiB of zeros, about 1 MB on the wire
    tracemalloc.start()
    try:
        failed = fetcher.fetch_document(ACT, "rus")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_nothing_lost(fetcher, good, failed, error_contains="after decompression")
    assert "1,048,576" in failed.error
    assert peak < 8 << 20                # the 1 GiB body never existed in memory
    assert server.sent[DOC] < 512 << 10  # refused after ~1 MiB inflated, not 1 GiB
    assert server.hits[DOC] == 1         # one attempt: never retried


def test_a_50_mb_body_with_its_length_declared_is_refused_unread(fetch, server):
    fetcher = fetch()
    good = fetch_good(fetcher, server)
    server.routes[DOC] = ("big", 50_000_000, True)
    failed = fetcher.fetch_document(ACT, "rus")
    assert_nothing_lost(fetcher, good, failed, error_contains="Content-Length 50,000,000")
    assert f"{MAX_BODY_BYTES:,}-byte limit" in failed.error
    assert server.sent[DOC] < 50_000_000


def test_a_50_mb_body_without_a_length_is_cut_at_the_limit(fetch, server):
    fetcher = fetch()
    good = fetch_good(fetcher, server)
    server.routes[DOC] = ("big", 50_000_000, False)
    failed = fetcher.fetch_document(ACT, "rus")
    assert_nothing_lost(fetcher, good, failed, error_contains=f"larger than {MAX_BODY_BYTES:,} bytes")
    assert server.sent[DOC] < 50_000_000


def test_gzip_pages_are_decoded_and_stored_as_their_bytes(fetch, server):
    fetcher = fetch()
    server.routes[DOC] = ("gzip", LAW_PAGE)
    result = fetcher.fetch_document(ACT, "rus")
    assert result.ok, result.error
    assert fetcher.store.get(result.sha256) == LAW_PAGE
    assert result.record["headers"]["content-encoding"] == "gzip"
    # Only encodings that can be decoded within the limit are asked for.
    assert server.request_headers[-1]["Accept-Encoding"] == "gzip, deflate"


def test_a_cut_off_gzip_body_is_a_failure_not_a_page(fetch, server):
    fetcher = fetch(max_attempts=1)
    good = fetch_good(fetcher, server)
    c = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    whole = c.compress(LAW_PAGE.replace("Площадки".encode(), "Парки".encode())) + c.flush()
    server.routes[DOC] = ("page", whole[:-12], {"Content-Encoding": "gzip"})
    failed = fetcher.fetch_document(ACT, "rus")
    assert_nothing_lost(fetcher, good, failed, error_contains="truncated gzip body")


def test_an_encoding_we_did_not_ask_for_is_refused(fetch, server):
    fetcher = fetch()
    good = fetch_good(fetcher, server)
    server.routes[DOC] = ("page", b"\x8b\x00\x80compressed", {"Content-Encoding": "br"})
    failed = fetcher.fetch_document(ACT, "rus")
    assert_nothing_lost(fetcher, good, failed, error_contains="'br' was not asked for")


# --- time ----------------------------------------------------------------------------------


@pytest.mark.parametrize("route", [("trickle", 100, 1.5), ("trickle_headers", 1.5)],
                         ids=["body", "headers"])
def test_a_trickle_is_cut_at_the_total_deadline(fetch, server, route):
    # One byte every 1.5 s never trips a 30 s read timeout; the 3 s deadline cuts it.
    fetcher = fetch(deadline=3, timeout=30, max_attempts=1)
    good = fetch_good(fetcher, server)
    server.routes[DOC] = route
    started = time.monotonic()
    failed = fetcher.fetch_document(ACT, "rus")
    elapsed = time.monotonic() - started
    assert_nothing_lost(fetcher, good, failed, error_contains="total deadline of 3 s per request")
    assert server.sent[DOC] <= 20           # 100 bytes would have taken 150 s
    assert elapsed < 20                     # cut near the deadline, nowhere near 150 s


def test_a_hanging_host_is_given_up_and_its_later_urls_skipped(tmp_path, server):
    with FaultServer() as hanging:
        hanging.routes.update({f"/rus/docs/Z02000034{n}_": ("hang",) for n in range(5)})
        fetcher = make_fetcher(tmp_path, hanging, timeout=0.5, deadline=1, max_attempts=2,
                               max_host_failures=2)
        try:
            acts = [f"Z02000034{n}_" for n in range(5)]
            results = fetcher.fetch_acts(acts, langs=("rus",), with_info=False)
            # The give-up is per host: another host is still fetched by the same client.
            other = fetcher.client.get(f"{server.url}/robots.txt")
        finally:
            fetcher.client.close()
    assert [r.ok for r in results] == [False] * 5
    assert all("total deadline of 1 s" in r.error or "ReadTimeout" in r.error for r in results[:2])
    for r in results[2:]:
        assert r.error.startswith(f"skipped: gave up on {hanging.url} after 2 failed requests")
    # Two URLs, two attempts each, then nothing more was asked of the host.
    assert sum(n for path, n in hanging.hits.items() if path.startswith("/rus/docs/")) == 4
    logged = [rec for rec in fetcher.store.records() if rec["kind"] == "document"]
    assert [rec["ok"] for rec in logged] == [False] * 5 and "gave up" in logged[-1]["error"]
    assert other.status_code == 200


def test_a_huge_retry_after_is_not_waited_for(fetch, server):
    fetcher = fetch()
    good = fetch_good(fetcher, server)
    server.routes[DOC] = ("status", 429, {"Retry-After": "360"})
    failed = fetcher.fetch_document(ACT, "rus")
    assert_nothing_lost(fetcher, good, failed,
                        error_contains=f"retry after 360 s; more than the {MAX_RETRY_AFTER:g} s cap")
    assert failed.status == 429
    assert server.hits[DOC] == 1                 # no retry
    assert not any(s >= 1 for s in fetcher.sleeps)   # no Retry-After wait at all


def test_a_retry_after_within_the_cap_is_obeyed(fetch, server):
    fetcher = fetch(max_attempts=2)
    server.routes[DOC] = ("status", 503, {"Retry-After": "2"})
    failed = fetcher.fetch_document(ACT, "rus")
    assert not failed.ok and "HTTP 503 after 2 attempt(s)" in failed.error
    assert 2.0 in fetcher.sleeps and server.hits[DOC] == 2
