"""Live indicator responses are kept in the raw store and reused when an API fails (issue 10,
row 3): a live build while the indicator APIs fail keeps the observations of the last good
responses, and says so, instead of dropping to 0. The network is replaced at its edge only.
"""
import json
import sqlite3
from datetime import datetime

import httpx

from db.build import BuildOptions, run_build
from scrapers.rawstore import RawStore

ACT = "V1600014606"


def _site(corpus_dir, state):
    page = (corpus_dir / "adilet" / "rus" / f"{ACT}.html").read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        host, path = request.url.host, request.url.path
        if path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nDisallow: /api/\n")
        if host == "old.adilet.zan.kz":
            if path == f"/rus/docs/{ACT}":
                return httpx.Response(200, content=page,
                                      headers={"content-type": "text/html; charset=utf-8"})
            return httpx.Response(404, text="<html><body>Not found</body></html>")
        state["indicator_requests"] += 1
        if not state["apis_up"]:
            return httpx.Response(500, text="upstream down")
        if host == "api.worldbank.org":
            code = path.rsplit("/", 1)[-1]
            head = {"page": 1, "pages": 1, "per_page": 1000, "total": 1, "lastupdated": "2025-07-01"}
            row = {"indicator": {"id": code}, "countryiso3code": "KAZ", "date": "2020",
                   "value": state["value"]}
            return httpx.Response(200, content=json.dumps([head, [row]]).encode())
        if host == "sdmx.data.unicef.org":
            code = path.rsplit("/", 1)[-1].split(".")[1]
            csv = f"REF_AREA,INDICATOR,SEX,TIME_PERIOD,OBS_VALUE\nKAZ,{code},_T,2021,{state['value']}\n"
            return httpx.Response(200, content=csv.encode(), headers={"content-type": "text/csv"})
        return httpx.Response(404, text="not here")

    return httpx.MockTransport(handler)


def _observations(db_path):
    conn = sqlite3.connect(db_path)
    rows = conn.execute("select indicator_code, source, period, value_raw, retrieved_at, "
                        "content_sha256 from observations order by 1, 2").fetchall()
    conn.close()
    return rows


def test_a_live_build_while_the_apis_fail_reuses_the_stored_responses(tmp_path, corpus_dir):
    seeds = tmp_path / "seeds.yml"
    seeds.write_text(f"acts:\n  - id: {ACT}\n    title_ru: b\n    form: ministerial_order\n",
                     encoding="utf-8")
    raw = tmp_path / "raw"
    state = {"apis_up": True, "value": 12.5, "indicator_requests": 0}
    options = dict(live=True, raw_dir=raw, delay=0, discover=False, seed_path=seeds,
                   sleep=lambda s: None)

    first = run_build(BuildOptions(db_path=tmp_path / "kb1.db", transport=_site(corpus_dir, state),
                                   **options))
    assert first.fatal is None, first.summary()
    good = _observations(tmp_path / "kb1.db")
    assert first.observations == len(good) > 0
    assert {source for _, source, *_ in good} == {"worldbank", "unicef_sdmx"}
    store = RawStore(raw)
    kept = [r for r in store.records() if r["kind"] == "indicator"]
    assert kept and all(r["ok"] for r in kept)
    assert all(store.get(r["sha256"]) for r in kept)          # content-addressed, readable

    # The APIs now fail: every indicator request answers 500.
    state.update(apis_up=False, indicator_requests=0)
    second = run_build(BuildOptions(db_path=tmp_path / "kb2.db", transport=_site(corpus_dir, state),
                                    **options))
    assert second.fatal is None, second.summary()
    assert state["indicator_requests"] > 0                     # it did try the APIs
    assert second.observations == first.observations          # not 0
    again = _observations(tmp_path / "kb2.db")
    assert [r[:4] + r[5:] for r in again] == [r[:4] + r[5:] for r in good]   # same values, bytes
    # … stamped with the time the stored responses were retrieved, not this build's.
    stored_at = {datetime.fromisoformat(r["retrieved_at"].replace("Z", "+00:00")) for r in kept}
    assert {datetime.fromisoformat(r[4]) for r in again} <= stored_at
    reused = [(item, reason) for stage, item, reason in second.failures if stage == "import"]
    assert reused and all("reused the response stored" in reason for _, reason in reused)
    assert "reused the response stored" in second.summary()
    conn = sqlite3.connect(tmp_path / "kb2.db")
    assert conn.execute("select count(*) from build_failures where reason like "
                        "'%reused the response stored%'").fetchone()[0] == len(reused)
    # The failures were logged too, and the good copies are still the newest good ones.
    failed = [r for r in RawStore(raw).records() if r["kind"] == "indicator" and not r["ok"]]
    assert failed
    assert all(r["ok"] for r in kept)


def test_a_stored_response_that_did_not_parse_is_never_reused(tmp_path, corpus_dir):
    # The first build gets answers that do not parse: they are kept, but logged not ok, so
    # the second build (APIs down) has nothing good to reuse and reports the failures.
    seeds = tmp_path / "seeds.yml"
    seeds.write_text(f"acts:\n  - id: {ACT}\n    title_ru: b\n    form: ministerial_order\n",
                     encoding="utf-8")
    raw = tmp_path / "raw"
    state = {"apis_up": True, "value": "not-a-number", "indicator_requests": 0}
    options = dict(live=True, raw_dir=raw, delay=0, discover=False, seed_path=seeds,
                   sleep=lambda s: None)
    first = run_build(BuildOptions(db_path=tmp_path / "kb1.db", transport=_site(corpus_dir, state),
                                   **options))
    assert first.fatal is None and first.observations == 0
    kept = [r for r in RawStore(raw).records() if r["kind"] == "indicator"]
    assert kept and not any(r["ok"] for r in kept) and all(r["sha256"] for r in kept)
    state["apis_up"] = False
    second = run_build(BuildOptions(db_path=tmp_path / "kb2.db", transport=_site(corpus_dir, state),
                                    **options))
    assert second.fatal is None and second.observations == 0
    reasons = [reason for stage, _, reason in second.failures if stage == "import"]
    assert reasons and not any("reused" in r for r in reasons)
