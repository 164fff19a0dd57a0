"""`/policies`, `/policies.json`, `/policies.csv` (kb/web/policies.py, issue 13): the catalogue of
child policy measures with filters by age and kind, amounts in МРП and tenge, the legal basis
linked and cited.

Real Datasette in-process: on the fixture database (tests/datasette_fixture.py) with measures
written here, and on the session's real corpus build.
"""
import csv
import io
import re
import sqlite3

import pytest

from datasette_fixture import A1, A2, build_fixture_db

from db.policies import TABLES as POLICY_TABLES
from kb.serve import make_datasette

# (id suffix, anchor of the provision, name, kind, age min, age max, amount value, unit, frequency)
# Written for the tests (not the corpus); amounts chosen to carry many digits.
MEASURES = [
    ("m1", A2, "z3", "Пособие на рождение (тест)", "cash", None, None, 38.0, "mrp", "one_off"),
    ("m2", A2, "z4", "Пособие по уходу (тест)", "cash", 0, 11, 5.7612345678901, "mrp", "monthly"),
    ("m3", A2, "z5", "Пособие малообеспеченным (тест)", "cash", 0, 215, 1.5, "subsistence_minimum", "monthly"),
    ("m4", A1, "z20", "Бесплатное образование (тест)", "service", 72, 215, None, None, "ongoing"),
    ("m5", A1, "z30", "Детский сад (тест)", "service", 12, 71, None, None, "ongoing"),
    ("m6", A1, "z13", "Защита от травли (тест)", "protection", 168, None, None, None, None),
]
MRP_2026 = 4325
SUBSISTENCE_2025 = 46228


def _add_measures(path):
    conn = sqlite3.connect(path)
    conn.executescript(POLICY_TABLES)
    conn.execute("insert into monthly_indices values (2025, 'subsistence_minimum', ?, 'Закон о бюджете (тест)', 0)",
                 (SUBSISTENCE_2025,))
    conn.execute("insert into monthly_indices values (2026, 'mrp', ?, 'Закон о бюджете (тест)', 0)", (MRP_2026,))
    for suffix, act, anchor, name, kind, lo, hi, value, unit, freq in MEASURES:
        pid, slug, text_sha = conn.execute(
            "select id, slug, text_sha256 from provisions where act_id = ? and anchor = ?", (act, anchor)).fetchone()
        tenge = year = None
        if unit == "mrp":
            tenge, year = round(value * MRP_2026, 2), 2026
        elif unit == "subsistence_minimum":
            tenge, year = round(value * SUBSISTENCE_2025, 2), 2025
        conn.execute("""insert into policy_measures (id, name, tier, kind, eligible, age_min_months,
            age_max_months, age_text, amount_text, amount_value, amount_unit, amount_mrp, amount_tenge,
            amount_tenge_year, frequency, act_id, provision_id, provision_page, rule, source_url,
            text_sha256, retrieved_at) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                     (f"{pid}#{suffix}", name, None, kind, "семьи с детьми (тест)", lo, hi, None,
                      "в размере, который устанавливает закон (тест)" if value is not None else None, value, unit,
                      value if unit == "mrp" else None, tenge, year, freq, act, pid,
                      f"/acts/{act}/{slug}", "test", f"https://adilet.zan.kz/rus/docs/{act}",
                      text_sha, "2026-08-05T09:30:00+00:00"))
    conn.commit()
    conn.close()


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory):
    path = build_fixture_db(tmp_path_factory.mktemp("policiesdb") / "kb.db")
    _add_measures(path)
    return path


@pytest.fixture(scope="module")
def ds(fixture_db):
    return make_datasette(fixture_db)


async def get(ds, path, status=200):
    response = await ds.client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:300])
    return response


def _expected(age=None, kind=None):
    """The rule, stated on the data above: an age covered by the range (no bound: open), a
    measure with no age at all is not matched by an age."""
    out = set()
    for suffix, _, _, _, k, lo, hi, *_ in MEASURES:
        if kind and k != kind:
            continue
        if age is not None:
            m = age * 12
            if (lo is None and hi is None) or (lo or 0) > m or (hi is not None and hi < m):
                continue
        out.add(suffix)
    return out


async def _ids(ds, query=""):
    payload = (await get(ds, "/policies.json" + query)).json()
    assert payload["total"] == len(payload["measures"])
    return {m["id"].rsplit("#", 1)[1] for m in payload["measures"]}


async def test_page_in_russian_without_inline_code_and_in_the_navigation(ds):
    html = (await get(ds, "/policies")).text
    assert '<html lang="ru">' in html and "Меры политики в отношении детей" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html and "<style" not in html
    assert 'href="/policies" aria-current="page"' in html          # the site navigation
    for _, _, _, name, *_ in MEASURES:
        assert name in html
    assert 'href="/policies"' in (await get(ds, "/")).text


@pytest.mark.parametrize("query, age, kind", [
    ("", None, None), ("?age=0", 0, None), ("?age=2", 2, None), ("?age=6", 6, None),
    ("?age=15", 15, None), ("?age=18", 18, None), ("?kind=cash", None, "cash"),
    ("?kind=service", None, "service"), ("?kind=leave", None, "leave"),
    ("?age=15&kind=cash", 15, "cash"), ("?age=3&kind=service", 3, "service"),
])
async def test_filters_select_what_the_data_says(ds, query, age, kind):
    assert await _ids(ds, query) == _expected(age, kind)
    html = (await get(ds, "/policies" + query)).text
    shown = {name for _, _, _, name, *_ in MEASURES if name in html}
    assert shown == {m[3] for m in MEASURES if m[0] in _expected(age, kind)}


async def test_filters_change_the_result(ds):
    # the same catalogue, different children: the age and the kind both narrow it
    everything = await _ids(ds)
    assert await _ids(ds, "?age=15") < everything
    assert await _ids(ds, "?age=2") != await _ids(ds, "?age=15")
    assert await _ids(ds, "?kind=cash") == {"m1", "m2", "m3"}
    assert await _ids(ds, "?age=15&kind=cash") == {"m3"}            # m2 ends at 11 months
    payload = (await get(ds, "/policies.json?age=15")).json()
    assert payload["no_age_stated"] == 1 and payload["all_measures"] == len(MEASURES)
    assert payload["kinds"] == {"cash": 1, "service": 1, "protection": 1}   # under the age filter
    html = (await get(ds, "/policies?age=15")).text
    assert "Мер без указанного в норме возраста (1)" in html


@pytest.mark.parametrize("query, message", [
    ("?age=abc", "не возраст"), ("?age=99", "от 0 до 30 лет"), ("?kind=pension", "неизвестен"),
])
async def test_wrong_filters_are_refused_not_guessed(ds, query, message):
    assert message in (await get(ds, "/policies" + query, 400)).text
    assert message in (await get(ds, "/policies.json" + query, 400)).json()["error"]
    assert (await ds.client.get("/policies.csv" + query)).status_code == 400


async def test_every_row_links_to_an_existing_provision_with_its_citation(ds, fixture_db):
    payload = (await get(ds, "/policies.json")).json()
    html = (await get(ds, "/policies")).text
    conn = sqlite3.connect(fixture_db)
    for m in payload["measures"]:
        assert m["provision_url"].startswith(f"/acts/{m['act_id']}/")
        page = (await get(ds, m["provision_url"])).text              # the provision's page exists
        path = conn.execute("select path from provisions where id = ?", (m["provision_id"],)).fetchone()[0]
        assert path in page
        assert f'href="{m["provision_url"]}"' in html
        assert m["citation"] and path.split()[0] in m["citation"] and "URL: https://adilet.zan.kz/" in m["citation"]
    conn.close()


async def test_json_and_csv_keep_full_precision_and_the_page_rounds(ds, fixture_db):
    conn = sqlite3.connect(fixture_db)
    stored = {r[0]: r[1:] for r in conn.execute(
        "select id, amount_value, amount_mrp, amount_tenge, amount_tenge_year from policy_measures")}
    conn.close()
    payload = (await get(ds, "/policies.json")).json()
    for m in payload["measures"]:
        assert (m["amount_value"], m["amount_mrp"], m["amount_tenge"], m["amount_tenge_year"]) == stored[m["id"]]
    care = next(m for m in payload["measures"] if m["id"].endswith("#m2"))
    assert care["amount_mrp"] == 5.7612345678901 and care["amount_tenge"] == round(5.7612345678901 * MRP_2026, 2)
    assert {i["year"]: i["tenge"] for i in payload["monthly_indices"] if i["unit"] == "mrp"} == {2026: MRP_2026}
    response = await get(ds, "/policies.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(payload["measures"])
    assert {"id", "amount_text", "amount_mrp", "amount_tenge", "amount_tenge_year", "provision_id",
            "provision_url", "citation"} <= set(rows[0])
    by_id = {r["id"]: r for r in rows}
    for pid, (value, mrp, tenge, year) in stored.items():
        assert (float(by_id[pid]["amount_mrp"]) if by_id[pid]["amount_mrp"] else None) == mrp
        assert (float(by_id[pid]["amount_tenge"]) if by_id[pid]["amount_tenge"] else None) == tenge
    html = (await get(ds, "/policies")).text
    assert "5,7612" in html and "5.7612345678901" not in html         # rounded for reading
    assert "24\u00a0917" in html and "по индексу 2026 г." in html    # 5.7612… × 4 325 ₸
    assert "69\u00a0342" in html and "по индексу 2025 г." in html    # 1.5 × 46 228 ₸


# --- the real corpus build ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_ds(corpus_build, tmp_path_factory):
    import shutil

    path = tmp_path_factory.mktemp("policies-corpus") / "kb.db"
    shutil.copyfile(corpus_build[0], path)          # serving writes an inspect file beside it
    return make_datasette(path), path


async def test_on_the_corpus_build_every_measure_is_listed_linked_and_cited(corpus_ds):
    ds, path = corpus_ds
    conn = sqlite3.connect(path)
    total = conn.execute("select count(*) from policy_measures").fetchone()[0]
    assert total > 0
    payload = (await get(ds, "/policies.json")).json()
    assert payload["total"] == total
    acts = {r[0]: r[1] for r in conn.execute("select id, title from acts")}
    for m in payload["measures"]:
        page = await ds.client.get(m["provision_url"])
        assert page.status_code == 200, (m["id"], m["provision_url"])
        assert m["citation"] and acts[m["act_id"]][:20] in m["citation"]
    # the age filter is the rule, on the real rows
    for age in (0, 2, 7, 15, 17):
        want = {r[0] for r in conn.execute(
            """select id from policy_measures where (age_min_months is not null or age_max_months is not null)
               and coalesce(age_min_months, 0) <= ? and (age_max_months is null or age_max_months >= ?)""",
            (age * 12, age * 12))}
        got = {m["id"] for m in (await get(ds, f"/policies.json?age={age}")).json()["measures"]}
        assert got == want, age
    for kind, n in conn.execute("select kind, count(*) from policy_measures group by kind"):
        assert (await get(ds, f"/policies.json?kind={kind}")).json()["total"] == n
    conn.close()


async def test_the_page_shows_a_page_of_measures_and_the_counts_and_exports_all(ds, monkeypatch):
    """At a million provisions the catalogue has ~900 measures: the page shows PAGE_SIZE at a
    time (issue 11: the page of all of them was 1 MB of HTML), the count and JSON stay whole."""
    from kb.web import policies

    monkeypatch.setattr(policies, "PAGE_SIZE", 2)
    pages_seen, names = [], set()
    for page in range(1, 4):
        html = (await get(ds, f"/policies?page={page}" if page > 1 else "/policies")).text
        shown = {m[3] for m in MEASURES if m[3] in html}
        assert 0 < len(shown) <= 2 and not shown & names
        names |= shown
        assert f"<strong>{len(MEASURES)}</strong>" in html
        pages_seen.append(html)
        if 'rel="next"' not in html:
            break
    assert names == {m[3] for m in MEASURES}
    assert 'rel="next" href="/policies?page=2"' in pages_seen[0]
    assert 'rel="prev" href="/policies"' in pages_seen[1]
    assert len((await get(ds, "/policies.json?page=2")).json()["measures"]) == len(MEASURES)
    await get(ds, "/policies?page=0", status=400)
    await get(ds, "/policies?page=x", status=400)
    await get(ds, "/policies?page=99", status=400)


POLICY_PATHS = ["/policies", "/policies?age=3", "/policies?age=16&kind=cash", "/policies?page=1",
                "/policies.json?age=3", "/policies.csv?kind=cash"]


async def test_measures_are_answered_once_per_served_build_and_equal_uncached(
        corpus_ds, corpus_build, monkeypatch, sql_read):
    """payload() is kept per served build and filters (data.remembered, issue 11): a second
    request reads no measures, and every page equals the one a server without the kept answers
    makes."""
    from kb.web import data

    ds = corpus_ds[0]
    first = {}
    for path in POLICY_PATHS:
        response = await ds.client.get(path)
        assert response.status_code == 200, path
        first[path] = response.text
    sql_read.clear()
    for path in POLICY_PATHS:
        assert (await ds.client.get(path)).text == first[path], path
    assert not [s for s in sql_read if "from policy_measures" in s], sql_read
    monkeypatch.setattr(data, "answers", lambda datasette: None)
    plain = make_datasette(corpus_build[0])
    for path in POLICY_PATHS:
        assert (await plain.client.get(path)).text == first[path], path
