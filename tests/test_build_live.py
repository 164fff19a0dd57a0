"""`kb build --live` end to end, with the network replaced at its edge by MockTransport."""
import sqlite3

import httpx

from db.build import BuildOptions, run_build


def _site(corpus_dir, requests):
    pages = {
        "/rus/docs/V1600014592": (corpus_dir / "adilet" / "rus" / "V1600014592.html").read_bytes(),
        "/rus/docs/V1600014606": (corpus_dir / "adilet" / "rus" / "V1600014606.html").read_bytes(),
        "/kaz/docs/V1600014606": (corpus_dir / "adilet" / "kaz" / "V1600014606.html").read_bytes(),
        # The Kazakh page of this act answers with the JavaScript shell.
        "/kaz/docs/V1600014592": (corpus_dir / "adilet" / "new-site" / "Z1300000094.spa-stub.html").read_bytes(),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nDisallow: /api/\n")
        if request.url.host != "old.adilet.zan.kz":
            return httpx.Response(404, text="not here")
        body = pages.get(request.url.path)
        if body is None:
            return httpx.Response(404, text="<html><body>Not found</body></html>")
        return httpx.Response(200, content=body, headers={"content-type": "text/html; charset=utf-8"})

    return httpx.MockTransport(handler)


def test_live_build_crawls_stores_raw_and_reports_failures(tmp_path, corpus_dir):
    seeds = tmp_path / "seeds.yml"
    seeds.write_text("acts:\n  - id: V1600014592\n    title_ru: a\n    form: ministerial_order\n"
                     "  - id: V1600014606\n    title_ru: b\n    form: ministerial_order\n",
                     encoding="utf-8")
    requests = []
    raw = tmp_path / "raw"
    db_path = tmp_path / "kb.db"
    report = run_build(BuildOptions(db_path=db_path, live=True, raw_dir=raw, delay=0,
                                    discover=False, seed_path=seeds,
                                    transport=_site(corpus_dir, requests)))
    assert report.fatal is None, report.summary()
    conn = sqlite3.connect(db_path)
    assert dict(conn.execute("select id, status from acts")) == {
        "V1600014592": "in_force", "V1600014606": "repealed"}
    # The text came from the old host, the citation URL is the official one.
    src, url = conn.execute("select source_url, url from acts where id='V1600014592'").fetchone()
    assert src == "https://old.adilet.zan.kz/rus/docs/V1600014592"
    assert url == "https://adilet.zan.kz/rus/docs/V1600014592"
    # Every request named the project; the JS shell was refused and logged, not stored as text.
    assert all("kz-child-law-kb" in r.headers["user-agent"] for r in requests)
    assert conn.execute("select count(*) from act_texts where act_id='V1600014592'").fetchone()[0] == 1
    failed = conn.execute("select url, error from fetch_log where ok = 0 and kind = 'document'").fetchall()
    assert any(u.endswith("/kaz/docs/V1600014592") for u, _ in failed)
    assert any("kaz/docs/V1600014592" in item for _, item, _ in report.failures)
    # Nothing fetched is lost: every stored object is in the raw store under its sha256.
    objects = list((raw / "objects").rglob("*"))
    assert sum(1 for p in objects if p.is_file()) >= 3

    # Offline rebuild from the raw store alone gives the same acts without any request.
    requests.clear()
    db2 = tmp_path / "kb2.db"
    report = run_build(BuildOptions(db_path=db2, raw_dir=raw))
    assert report.fatal is None
    assert requests == []
    assert sqlite3.connect(db2).execute("select count(*) from acts").fetchone()[0] == 2


def test_a_crawl_that_gets_nothing_keeps_the_previous_database(tmp_path, corpus_dir):
    db_path = tmp_path / "kb.db"
    run_build(BuildOptions(db_path=db_path, corpus_dir=corpus_dir))
    before = db_path.read_bytes()
    seeds = tmp_path / "seeds.yml"
    seeds.write_text("acts:\n  - id: V1600014592\n    title_ru: a\n    form: ministerial_order\n",
                     encoding="utf-8")

    waits = []

    def offline(request):
        raise httpx.ConnectError("Name or service not known", request=request)

    report = run_build(BuildOptions(db_path=db_path, live=True, raw_dir=tmp_path / "raw", delay=0,
                                    discover=False, seed_path=seeds, sleep=waits.append,
                                    transport=httpx.MockTransport(offline)))
    assert waits and max(waits) >= 2          # it backed off before giving up
    assert report.fatal and "nothing was built" in report.fatal
    assert any(stage == "fetch" for stage, _, _ in report.failures)
    assert "V1600014592" in report.summary()
    assert db_path.read_bytes() == before


def test_a_live_rebuild_is_never_skipped_as_unchanged(tmp_path, corpus_dir):
    # Indicator series are fetched during the build, so the inputs cannot be known beforehand.
    seeds = tmp_path / "seeds.yml"
    seeds.write_text("acts:\n  - id: V1600014606\n    title_ru: b\n    form: ministerial_order\n",
                     encoding="utf-8")
    options = dict(db_path=tmp_path / "kb.db", live=True, raw_dir=tmp_path / "raw", delay=0,
                   discover=False, seed_path=seeds)
    first = run_build(BuildOptions(**options, transport=_site(corpus_dir, [])))
    assert first.fatal is None, first.summary()
    second = run_build(BuildOptions(**options, transport=_site(corpus_dir, [])))
    assert second.fatal is None and not second.unchanged
    assert second.reused_documents == 2         # the acts themselves are copied, not re-parsed


def test_a_lost_raw_object_fails_its_page_not_the_build(tmp_path, corpus_dir):
    seeds = tmp_path / "seeds.yml"
    seeds.write_text("acts:\n  - id: V1600014606\n    title_ru: b\n    form: ministerial_order\n",
                     encoding="utf-8")
    raw = tmp_path / "raw"
    first = run_build(BuildOptions(db_path=tmp_path / "kb.db", live=True, raw_dir=raw, delay=0,
                                   discover=False, seed_path=seeds,
                                   transport=_site(corpus_dir, [])))
    assert first.fatal is None, first.summary()
    from scrapers.rawstore import RawStore

    store = RawStore(raw)
    kaz = store.latest_good("V1600014606", "kaz", "document")
    store.object_path(kaz["sha256"]).write_bytes(b"bit rot")
    report = run_build(BuildOptions(db_path=tmp_path / "kb2.db", raw_dir=raw))
    assert report.fatal is None, report.summary()
    assert any("does not match its sha256" in reason for _, _, reason in report.failures)
    conn = sqlite3.connect(tmp_path / "kb2.db")
    assert conn.execute("select lang from act_texts").fetchall() == [("rus",)]


def test_info_and_history_pages_fill_act_metadata_and_versions(tmp_path, fixtures_dir):
    pages = {f"/rus/docs/Z2500000777{suffix}": (fixtures_dir / "adilet" / name).read_bytes()
             for suffix, name in (("", "law_rus.html"), ("/info", "info_rus.html"),
                                  ("/history", "history_rus.html"))}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nDisallow: /api/\n")
        body = pages.get(request.url.path)
        return httpx.Response(200, content=body) if body else httpx.Response(404, text="no")

    seeds = tmp_path / "seeds.yml"
    seeds.write_text("acts:\n  - id: Z2500000777\n    title_ru: a\n    form: law\n", encoding="utf-8")
    db_path = tmp_path / "kb.db"
    report = run_build(BuildOptions(db_path=db_path, live=True, raw_dir=tmp_path / "raw", delay=0,
                                    discover=False, seed_path=seeds, sleep=lambda s: None,
                                    transport=httpx.MockTransport(handler)))
    assert report.fatal is None, report.summary()
    conn = sqlite3.connect(db_path)
    body, changed, territory = conn.execute(
        "select issuing_body, date_changed, territory from acts where id = 'Z2500000777'").fetchone()
    assert (body, changed, territory) == ("Парламент Республики Казахстан", "2026-02-01",
                                          "Республика Казахстан")
    versions = conn.execute("select date, is_current from act_versions order by date").fetchall()
    assert versions == [("2025-03-01", 0), ("2025-05-05", 0), ("2026-02-01", 1)]
