"""The polite client and the Adilet fetcher, against httpx.MockTransport only (no internet).

Every failure case ends the same way: the good copy fetched before is byte-for-byte intact,
latest_good() still returns it, and the failure is a responses.jsonl line with ok=false.
"""
import hashlib
import ssl
from datetime import datetime, timezone

import certifi
import httpx
import pytest

from scrapers.adilet.fetch import NO_MARKERS, AdiletFetcher, OldAdiletSource, decode_leniently
from scrapers.adilet.ids import InvalidActId
from scrapers.http import (CONTACT, PROJECT, CertificateBundleError, FetchFailed, PoliteClient,
                           build_ssl_context)
from scrapers.rawstore import RawStore

OLD = "https://old.adilet.zan.kz"
ACT = "Z020000345_"
DOC = f"/rus/docs/{ACT}"

# A small law page following the old host's markup (SOURCES.md, "Document page markup").
LAW_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8" /><title>О правах ребенка в Республике Казахстан</title></head>
<body><div class="container_alpha slogan"><h1>О правах ребенка в Республике Казахстан</h1>
<p>Закон Республики Казахстан от 8 августа 2002 года № 345-II.</p></div>
<div class="container_gamma text"><article>
<h3 id="z3">Глава 1. ОБЩИЕ ПОЛОЖЕНИЯ</h3>
<p><b><a name="z1"></a>Статья 1. Основные понятия, используемые в настоящем Законе</b></p>
<p id="z2">1) ребенок - лицо, не достигшее восемнадцатилетнего возраста;</p>
</article></div></body></html>
""".encode("utf-8")
LAW_PAGE_V2 = LAW_PAGE.replace("восемнадцатилетнего".encode(), "восемнадцати лет".encode())


class Site:
    """A fake web: per-URL queues of responses (the last one repeats), robots per host."""

    def __init__(self, clock=None, robots=None):
        self.clock = clock
        self.routes = {}
        self.robots = {"old.adilet.zan.kz": b"User-agent: *\nAllow: /\n"}
        self.robots.update(robots or {})
        self.requests = []
        self.times = []

    def add(self, path, *items, host="old.adilet.zan.kz"):
        self.routes[(host, path)] = list(items)

    def paths(self, host="old.adilet.zan.kz"):
        return [r.url.raw_path.decode() for r in self.requests if r.url.host == host]

    def __call__(self, request):
        self.requests.append(request)
        self.times.append(self.clock.now if self.clock else None)
        path = request.url.raw_path.decode()
        if path == "/robots.txt":
            body = self.robots.get(request.url.host)
            return httpx.Response(200, content=body) if body is not None else httpx.Response(404)
        queue = self.routes.get((request.url.host, path))
        if not queue:
            return httpx.Response(404, content=b"<html>not found</html>")
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        return item(request) if callable(item) else item


def page(body=LAW_PAGE, status=200, **headers):
    headers = {"Content-Type": "text/html; charset=utf-8", **headers}
    return httpx.Response(status, content=body, headers=headers)


def raising(exc_class, message):
    def handler(request):
        raise exc_class(message, request=request)
    return handler


@pytest.fixture
def site(clock):
    return Site(clock)


@pytest.fixture
def fetcher(tmp_path, site, clock):
    with AdiletFetcher(tmp_path / "raw", transport=httpx.MockTransport(site),
                       sleep=clock.sleep, clock=clock.clock) as f:
        yield f


@pytest.fixture
def good(fetcher, site):
    """A good copy of the document, fetched before the failure under test."""
    site.add(DOC, page())
    result = fetcher.fetch_document(ACT, "rus")
    assert result.ok, result.error
    return result


def assert_good_intact(fetcher, good):
    store = fetcher.store
    assert store.object_path(good.sha256).read_bytes() == LAW_PAGE
    assert store.get(good.sha256) == LAW_PAGE
    assert store.latest_good(ACT, "rus", "document") == good.record


def assert_failure_logged(fetcher, result, *, error_contains):
    assert not result.ok
    assert error_contains in result.error
    last = list(fetcher.store.records())[-1]
    assert last == result.record
    assert last["ok"] is False and error_contains in last["error"]


# --- the failure cases ----------------------------------------------------------------------


def test_timeout_is_retried_with_backoff_then_recorded_as_a_failure(fetcher, site, clock, good):
    site.add(DOC, raising(httpx.ReadTimeout, "timed out"))
    clock.sleeps.clear()
    result = fetcher.fetch_document(ACT, "rus")

    assert_failure_logged(fetcher, result, error_contains="ReadTimeout")
    assert site.paths().count(DOC) == 1 + 4  # the good fetch + max_attempts
    backoffs = [s for s in clock.sleeps if s > 1.0]
    assert backoffs == [2.0, 4.0, 8.0]
    assert result.sha256 is None
    assert_good_intact(fetcher, good)


def test_429_honours_retry_after_seconds(fetcher, site, clock, good):
    site.add(DOC, page(b"slow down", 429, **{"Retry-After": "7"}), page(LAW_PAGE_V2))
    clock.sleeps.clear()
    result = fetcher.fetch_document(ACT, "rus")

    assert result.ok
    # 1 s spacing after the previous request, then the requested wait (which also covers
    # the spacing before the retry)
    assert clock.sleeps == [1.0, 7.0]
    assert fetcher.store.get(result.sha256) == LAW_PAGE_V2
    assert fetcher.store.get(good.sha256) == LAW_PAGE  # the older copy is still there


def test_429_every_time_is_a_recorded_failure(fetcher, site, clock, good):
    site.add(DOC, page(b"slow down", 429, **{"Retry-After": "7"}))
    clock.sleeps.clear()
    result = fetcher.fetch_document(ACT, "rus")

    assert_failure_logged(fetcher, result, error_contains="HTTP 429")
    assert result.status == 429
    assert clock.sleeps == [1.0, 7.0, 7.0, 7.0]
    assert_good_intact(fetcher, good)


def test_retry_after_http_date_and_cap(clock):
    now = datetime(2026, 9, 16, 12, 0, 0, tzinfo=timezone.utc)
    responses = [page(b"", 429, **{"Retry-After": "Wed, 16 Sep 2026 12:00:30 GMT"}),
                 page(b"", 429, **{"Retry-After": "86400"}),
                 page(b"ok")]
    site = Site(clock, robots={"example.org": b""})
    site.add("/data", *responses, host="example.org")
    with PoliteClient(transport=httpx.MockTransport(site), sleep=clock.sleep,
                      clock=clock.clock, now=lambda: now, max_retry_after=120) as client:
        # 30 s (the HTTP date) is waited; 86,400 s more is beyond the cap: no wait, no retry.
        with pytest.raises(FetchFailed, match=r"retry after 86400 s; more than the 120 s cap"):
            client.get("https://example.org/data")
        assert clock.sleeps == [1.0, 30.0]  # robots.txt, then the data
        assert len(site.paths("example.org")) == 1 + 2
        # The cap is per URL in total: 30 + 30 + 30 s would pass 60 s, so the third is refused.
        site.add("/again", *[page(b"", 429, **{"Retry-After": "30"})] * 3, page(b"ok"),
                 host="example.org")
        client.max_retry_after = 60
        with pytest.raises(FetchFailed, match="more than the 60 s cap"):
            client.get("https://example.org/again")
    assert clock.sleeps == [1.0, 30.0, 1.0, 30.0, 30.0]


def test_503_then_success(fetcher, site, clock, good):
    site.add(DOC, page(b"maintenance", 503), page(LAW_PAGE_V2))
    clock.sleeps.clear()
    result = fetcher.fetch_document(ACT, "rus")

    assert result.ok and result.status == 200
    assert clock.sleeps == [1.0, 2.0]  # spacing, then the first backoff step
    assert fetcher.store.latest_good(ACT, "rus", "document")["sha256"] == \
        hashlib.sha256(LAW_PAGE_V2).hexdigest()
    assert fetcher.store.get(good.sha256) == LAW_PAGE


def test_503_every_time_is_a_recorded_failure(fetcher, site, good):
    site.add(DOC, page(b"maintenance", 503))
    result = fetcher.fetch_document(ACT, "rus")
    assert_failure_logged(fetcher, result, error_contains="HTTP 503")
    assert_good_intact(fetcher, good)


def test_404_is_not_retried(fetcher, site, good):
    site.add(DOC, page(b"<html>no such document</html>", 404))
    result = fetcher.fetch_document(ACT, "rus")
    assert_failure_logged(fetcher, result, error_contains="HTTP 404")
    assert site.paths().count(DOC) == 2  # the good fetch + one
    assert_good_intact(fetcher, good)


def test_connection_reset(fetcher, site, good):
    site.add(DOC, raising(httpx.ReadError, "[Errno 104] Connection reset by peer"))
    result = fetcher.fetch_document(ACT, "rus")
    assert_failure_logged(fetcher, result, error_contains="Connection reset by peer")
    assert_good_intact(fetcher, good)


def test_connection_reset_then_success(fetcher, site, good):
    site.add(DOC, raising(httpx.ReadError, "[Errno 104] Connection reset by peer"),
             page(LAW_PAGE_V2))
    result = fetcher.fetch_document(ACT, "rus")
    assert result.ok and fetcher.store.get(result.sha256) == LAW_PAGE_V2


def test_truncated_body_is_retried_and_never_stored(fetcher, site, good):
    partial = LAW_PAGE[:200]
    site.add(DOC, page(partial, **{"Content-Length": str(len(LAW_PAGE))}),
             raising(httpx.RemoteProtocolError, "peer closed connection without sending "
                                                "complete message body"))
    result = fetcher.fetch_document(ACT, "rus")

    assert_failure_logged(fetcher, result, error_contains="RemoteProtocolError")
    assert site.paths().count(DOC) == 1 + 4
    assert not fetcher.store.has(hashlib.sha256(partial).hexdigest())
    assert_good_intact(fetcher, good)


def test_truncated_body_then_whole_body(fetcher, site, good):
    site.add(DOC, page(LAW_PAGE_V2[:100], **{"Content-Length": str(len(LAW_PAGE_V2))}),
             page(LAW_PAGE_V2))
    result = fetcher.fetch_document(ACT, "rus")
    assert result.ok and fetcher.store.get(result.sha256) == LAW_PAGE_V2


def test_js_shell_is_kept_but_is_a_failed_fetch(fetcher, site, good, corpus_dir):
    shell = (corpus_dir / "adilet" / "new-site" / "Z1300000094.spa-stub.html").read_bytes()
    site.add(DOC, page(shell))
    result = fetcher.fetch_document(ACT, "rus")

    assert_failure_logged(fetcher, result, error_contains=NO_MARKERS)
    assert result.status == 200
    assert result.sha256 == hashlib.sha256(shell).hexdigest()
    assert fetcher.store.get(result.sha256) == shell  # nothing fetched is lost
    assert_good_intact(fetcher, good)


def test_a_page_cut_off_inside_its_body_is_a_failed_fetch(fetcher, site, good):
    # No Content-Length to compare with (a chunked or closed-early response): the body that
    # opens and never closes is what gives the truncation away.
    cut = LAW_PAGE_V2[:LAW_PAGE_V2.index(b"</article>")]
    site.add(DOC, page(cut))
    result = fetcher.fetch_document(ACT, "rus")

    assert_failure_logged(fetcher, result, error_contains="truncated")
    assert fetcher.store.get(result.sha256) == cut
    assert_good_intact(fetcher, good)


def test_redirect_loop_is_a_recorded_failure(fetcher, site, good):
    site.add(DOC, httpx.Response(302, headers={"Location": f"{OLD}{DOC}/"}))
    site.add(DOC + "/", httpx.Response(302, headers={"Location": DOC}))
    result = fetcher.fetch_document(ACT, "rus")

    assert_failure_logged(fetcher, result, error_contains="redirect loop")
    assert site.paths().count(DOC) == 2  # good fetch + one hop: the loop is caught, not ridden
    assert_good_intact(fetcher, good)


def test_wrong_charset_header_changes_nothing_stored(fetcher, site, good):
    # UTF-8 bytes labelled windows-1251: stored as received, recognised as law text.
    site.add(DOC, page(LAW_PAGE_V2, **{"Content-Type": "text/html; charset=windows-1251"}))
    result = fetcher.fetch_document(ACT, "rus")

    assert result.ok
    assert fetcher.store.get(result.sha256) == LAW_PAGE_V2
    assert result.record["headers"]["content-type"] == "text/html; charset=windows-1251"
    assert fetcher.store.get(good.sha256) == LAW_PAGE


def test_wrong_charset_header_the_other_way_round():
    # windows-1251 bytes labelled utf-8: the <meta> charset rescues the check.
    body = '<meta charset="windows-1251"><p>Статья 5. Право на жизнь</p>'.encode("cp1251")
    text = decode_leniently(body, "text/html; charset=utf-8")
    assert "Статья 5." in text
    assert OldAdiletSource().check("document", body, {"content-type": "text/html; charset=utf-8"}) is None


def test_malformed_html_is_a_failed_fetch(fetcher, site, good):
    garbage = b"<html><body><div><p \x00\xff\xfe<<<>>> </tr></article></html"
    site.add(DOC, page(garbage))
    result = fetcher.fetch_document(ACT, "rus")

    assert_failure_logged(fetcher, result, error_contains=NO_MARKERS)
    assert fetcher.store.get(result.sha256) == garbage
    assert_good_intact(fetcher, good)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "Z02000034", "z020000345_",
                                 "Z020000345_/../x", "", None])
def test_invalid_act_id_makes_no_request_and_no_path(tmp_path, site, clock, bad):
    raw = tmp_path / "raw"
    with AdiletFetcher(raw, transport=httpx.MockTransport(site), sleep=clock.sleep,
                       clock=clock.clock) as fetcher:
        for call in (fetcher.fetch_document, fetcher.fetch_info, fetcher.fetch_history):
            with pytest.raises(InvalidActId):
                call(bad, "rus")
        with pytest.raises(InvalidActId):
            fetcher.fetch_acts([ACT, bad])
    assert site.requests == []
    assert not raw.exists()
    assert list(tmp_path.iterdir()) == []


def test_invalid_act_id_leaves_good_data_intact(fetcher, site, good):
    before = len(site.requests)
    with pytest.raises(InvalidActId):
        fetcher.fetch_document("../" + ACT, "rus")
    assert len(site.requests) == before
    assert_good_intact(fetcher, good)


def test_robots_disallow_of_the_new_site_api_is_refused_and_logged(fetcher, site, good, corpus_dir):
    site.robots["adilet.zan.kz"] = (corpus_dir / "adilet" / "new-site" / "robots.txt").read_bytes()
    url = "https://adilet.zan.kz/api/documents/search"
    result = fetcher.fetch_url(url, kind="search")

    assert_failure_logged(fetcher, result, error_contains="robots.txt")
    assert "/api/documents/search" in result.error
    assert site.paths("adilet.zan.kz") == ["/robots.txt"]  # read robots, never the API
    robots = [r for r in fetcher.store.records() if r["kind"] == "robots"]
    assert [r["url"] for r in robots] == [f"{OLD}/robots.txt", "https://adilet.zan.kz/robots.txt"]
    # documents are allowed there; robots.txt is read only once per host
    site.add(DOC, page(), host="adilet.zan.kz")
    assert fetcher.fetch_url(f"https://adilet.zan.kz{DOC}", kind="document").ok
    assert site.paths("adilet.zan.kz").count("/robots.txt") == 1
    assert_good_intact(fetcher, good)


def test_robots_disallowing_documents_on_the_old_host(tmp_path, clock):
    site = Site(clock, robots={"old.adilet.zan.kz": b"User-agent: *\nDisallow: /rus/docs/\n"})
    with AdiletFetcher(tmp_path, transport=httpx.MockTransport(site), sleep=clock.sleep,
                       clock=clock.clock) as fetcher:
        result = fetcher.fetch_document(ACT, "rus")
    assert not result.ok and "robots.txt" in result.error
    assert site.paths() == ["/robots.txt"]


def test_robots_naming_our_crawler_is_obeyed(tmp_path, clock):
    rules = f"User-agent: {PROJECT}\nDisallow: /\n\nUser-agent: *\nAllow: /\n".encode()
    site = Site(clock, robots={"old.adilet.zan.kz": rules})
    with AdiletFetcher(tmp_path, transport=httpx.MockTransport(site), sleep=clock.sleep,
                       clock=clock.clock) as fetcher:
        assert not fetcher.fetch_document(ACT, "rus").ok
    assert site.paths() == ["/robots.txt"]


def test_unreachable_robots_means_the_host_is_not_crawled(tmp_path, clock):
    site = Site(clock)

    def handler(request):  # robots.txt answers 503, everything else would be fine
        if request.url.path == "/robots.txt":
            site.requests.append(request)
            return httpx.Response(503)
        return site(request)

    with AdiletFetcher(tmp_path, transport=httpx.MockTransport(handler), sleep=clock.sleep,
                       clock=clock.clock) as fetcher:
        site.add(DOC, page())
        result = fetcher.fetch_document(ACT, "rus")
        again = fetcher.fetch_document(ACT, "rus")
    assert not result.ok and "robots.txt" in result.error and not again.ok
    assert DOC not in site.paths()
    assert site.paths().count("/robots.txt") == 4  # retried once per attempt, then cached
    robots = [r for r in fetcher.store.records() if r["kind"] == "robots"]
    assert len(robots) == 1 and robots[0]["ok"] is False


# --- politeness and identity ----------------------------------------------------------------


def test_requests_to_one_host_are_at_least_delay_apart(fetcher, site, clock):
    for act in (ACT, "K1100000518", "Z070000319_"):
        site.add(f"/rus/docs/{act}", page())
        fetcher.fetch_document(act, "rus")
    times = site.times  # robots.txt + three documents
    assert len(times) == 4
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(gap >= 1.0 for gap in gaps), gaps
    assert clock.sleeps == [1.0, 1.0, 1.0]


def test_delay_is_configurable(tmp_path, clock):
    site = Site(clock)
    site.add(DOC, page())
    with AdiletFetcher(tmp_path, delay=2.5, transport=httpx.MockTransport(site),
                       sleep=clock.sleep, clock=clock.clock) as fetcher:
        fetcher.fetch_document(ACT, "rus")
        fetcher.fetch_document(ACT, "rus")
    assert clock.sleeps == [2.5, 2.5]


def test_a_longer_crawl_delay_in_robots_is_honoured(tmp_path, clock):
    site = Site(clock, robots={"old.adilet.zan.kz": b"User-agent: *\nCrawl-delay: 5\nAllow: /\n"})
    site.add(DOC, page())
    with AdiletFetcher(tmp_path, delay=1.0, transport=httpx.MockTransport(site),
                       sleep=clock.sleep, clock=clock.clock) as fetcher:
        fetcher.fetch_document(ACT, "rus")
        fetcher.fetch_document(ACT, "rus")
    # robots.txt itself is read at our own pace; the documents after it at the site's.
    assert clock.sleeps == [5.0, 5.0]


def test_the_contact_can_be_set_in_the_environment(tmp_path, clock, monkeypatch):
    monkeypatch.setenv("KB_CONTACT", "child-law-team@example.org")
    site = Site(clock)
    site.add(DOC, page())
    with AdiletFetcher(tmp_path, transport=httpx.MockTransport(site), sleep=clock.sleep,
                       clock=clock.clock) as fetcher:
        fetcher.fetch_document(ACT, "rus")
    agents = {r.headers["user-agent"] for r in site.requests}
    assert len(agents) == 1
    agent = agents.pop()
    assert "contact child-law-team@example.org" in agent and CONTACT not in agent
    monkeypatch.setenv("KB_CONTACT", "someone\r\nX-Injected: 1")
    with pytest.raises(ValueError, match="KB_CONTACT"):
        PoliteClient(transport=httpx.MockTransport(site))


def test_one_client_keeps_the_jsessionid_cookie(fetcher, site):
    # The ?fulltext= form redirects to the path form and sets the session cookie.
    site.add("/rus/docs/?fulltext=1", httpx.Response(
        302, headers={"Location": DOC, "Set-Cookie": "JSESSIONID=ABC123; Path=/; HttpOnly"}))
    site.add(DOC, page())
    site.add("/rus/docs/K1100000518", page())
    fetcher.fetch_url(f"{OLD}/rus/docs/?fulltext=1", kind="search")
    fetcher.fetch_document("K1100000518", "rus")

    by_path = {r.url.raw_path.decode(): r for r in site.requests}
    assert "JSESSIONID=ABC123" in by_path[DOC].headers.get("cookie", "")
    assert "JSESSIONID=ABC123" in by_path["/rus/docs/K1100000518"].headers.get("cookie", "")


def test_user_agent_names_the_project_and_a_contact(fetcher, site):
    site.add(DOC, page())
    fetcher.fetch_document(ACT, "rus")
    agents = {r.headers["user-agent"] for r in site.requests}
    assert len(agents) == 1
    agent = agents.pop()
    assert agent.startswith("Mozilla/5.0")  # the old host only answers browser-like agents
    assert PROJECT in agent and CONTACT in agent


def test_real_saved_page_is_stored_byte_for_byte(fetcher, site, corpus_dir):
    body = (corpus_dir / "adilet" / "rus" / "V1600014592.html").read_bytes()
    site.add("/rus/docs/V1600014592", page(body))
    result = fetcher.fetch_document("V1600014592", "rus")

    assert result.ok, result.error
    assert result.sha256 == hashlib.sha256(body).hexdigest()
    assert fetcher.store.get(result.sha256) == body
    assert result.record["act_id"] == "V1600014592" and result.record["kind"] == "document"
    assert result.url == f"{OLD}/rus/docs/V1600014592"


def test_fetch_acts_goes_on_past_failures(fetcher, site):
    site.add(DOC, page())
    site.add(f"/kaz/docs/{ACT}", page(LAW_PAGE.replace("Статья".encode(), "бап".encode())))
    site.add(f"{DOC}/info", page(b"<table id='ethernatable'></table>"))
    site.add(f"{DOC}/history", page(b"", 503))
    site.add("/rus/docs/K1100000518", page())
    results = fetcher.fetch_acts([ACT, "K1100000518"], langs=("rus", "kaz"), with_info=True)

    assert [(r.act_id, r.lang, r.kind) for r in results] == [
        (ACT, "rus", "document"), (ACT, "kaz", "document"), (ACT, "rus", "info"),
        (ACT, "rus", "history"),
        ("K1100000518", "rus", "document"), ("K1100000518", "kaz", "document"),
        ("K1100000518", "rus", "info"), ("K1100000518", "rus", "history")]
    assert [r.ok for r in results] == [True, True, True, False, True, False, False, False]
    assert len([r for r in fetcher.store.records() if r["kind"] != "robots"]) == 8


def test_search_url_is_the_path_form():
    url = OldAdiletSource().search_url("права ребенка", "ЗАК", page=2, pagesize=50)
    assert url == ("https://old.adilet.zan.kz/rus/search/docs/fulltext="
                   "%D0%BF%D1%80%D0%B0%D0%B2%D0%B0%20%D1%80%D0%B5%D0%B1%D0%B5%D0%BD%D0%BA%D0%B0"
                   "&page=2&pagesize=50&va=%D0%97%D0%90%D0%9A")
    with pytest.raises(ValueError):
        OldAdiletSource().search_url("x", None, pagesize=30)
    with pytest.raises(ValueError):
        OldAdiletSource().search_url("x", "ZAK/../", page=1)


def test_fetch_search_stores_the_page(fetcher, site):
    body = "<div class='post_holder'>Найдено: <strong>0</strong></div>".encode()
    site.add("/rus/search/docs/page=1&pagesize=100&va=%D0%97%D0%90%D0%9A", page(body))
    result = fetcher.fetch_search(form="ЗАК")
    assert result.ok and result.kind == "search" and result.act_id is None
    assert fetcher.store.get(result.sha256) == body


def test_tls_verification_failure_is_not_retried_and_points_to_the_certs_folder(fetcher, site,
                                                                                 good):
    site.add(DOC, raising(httpx.ConnectError, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate "
                                              "verify failed: unable to get local issuer"))
    result = fetcher.fetch_document(ACT, "rus")
    assert_failure_logged(fetcher, result, error_contains="scrapers/certs/")
    assert site.paths().count(DOC) == 2  # the good fetch + one attempt
    assert_good_intact(fetcher, good)


def test_only_http_urls_are_fetched(fetcher, site):
    with pytest.raises(ValueError, match="http"):
        fetcher.fetch_url("file:///etc/passwd", kind="document")
    assert site.requests == []


# --- TLS ------------------------------------------------------------------------------------


def test_ssl_context_verifies_and_loads_extra_pems(tmp_path):
    bundle = open(certifi.where(), encoding="ascii").read()
    first = bundle[bundle.index("-----BEGIN CERTIFICATE-----"):
                   bundle.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")]
    (tmp_path / "extra.pem").write_text(first + "\n", encoding="ascii")
    ctx = build_ssl_context(tmp_path)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.cert_store_stats()["x509_ca"] > 100

    (tmp_path / "zz-broken.pem").write_text("-----BEGIN CERTIFICATE-----\nnope\n"
                                            "-----END CERTIFICATE-----\n", encoding="ascii")
    with pytest.raises(CertificateBundleError, match="zz-broken.pem"):
        build_ssl_context(tmp_path)


def test_shipped_cert_folder_loads():
    ctx = build_ssl_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED


def test_fetcher_uses_its_store(tmp_path, site, clock):
    store = RawStore(tmp_path / "elsewhere")
    site.add(DOC, page())
    with AdiletFetcher(tmp_path / "unused", store=store, transport=httpx.MockTransport(site),
                       sleep=clock.sleep, clock=clock.clock) as fetcher:
        result = fetcher.fetch_document(ACT, "rus")
    assert store.latest_good(ACT, "rus", "document") == result.record
    assert not (tmp_path / "unused").exists()
