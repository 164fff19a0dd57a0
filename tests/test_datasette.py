"""Publishing through Datasette: search, canned queries, exports, feed, provision and chart pages.

Runs the real Datasette in-process (datasette.client) on a fixture database built from
db/schema.py (tests/datasette_fixture.py), with the project's metadata.yml and plugin.
"""
import json
import os
import sqlite3
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import bibtexparser
import pytest
import yaml

from datasette_fixture import A1, A2, build_fixture_db

from kb import search
from kb.serve import METADATA, ensure_inspect_file, inspect_path, make_datasette

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory) -> Path:
    return build_fixture_db(tmp_path_factory.mktemp("kbdb") / "kb.db")


@pytest.fixture(scope="session")
def ds(fixture_db):
    return make_datasette(fixture_db)


async def get_json(ds, path):
    response = await ds.client.get(path)
    assert response.status_code == 200, (path, response.text[:500])
    return response.json()


async def rows(ds, query, **params):
    params = {**params, "_shape": "objects"}
    qs = "&".join(f"{k}={v}" for k, v in params.items())
    return (await get_json(ds, f"/kb/{query}.json?{qs}"))["rows"]


def ids(result, column="provision_id"):
    return [r[column] for r in result]


# --- the index and the query builder ---------------------------------------------------------


def test_unicode61_does_not_fold_yo_so_the_lemma_column_must(fixture_db):
    conn = sqlite3.connect(fixture_db)
    # z13's text has «ребёнок» with ё; the raw text column does not match е …
    raw = conn.execute("select count(*) from provisions_fts join provisions p "
                       "on p.rowid = provisions_fts.rowid where p.id = ? and "
                       "provisions_fts match 'text : ребенок'", (f"{A1}-z13",)).fetchone()[0]
    # … but the lemma column, folded by kb.morph, does
    lemma = conn.execute("select count(*) from provisions_fts join provisions p "
                         "on p.rowid = provisions_fts.rowid where p.id = ? and "
                         "provisions_fts match 'text_lemmas : ребенок'", (f"{A1}-z13",)).fetchone()[0]
    assert (raw, lemma) == (0, 1)
    # the Kazakh index has prefix indexes
    sql = conn.execute("select sql from sqlite_master where name = 'provision_texts_fts'").fetchone()[0]
    assert "prefix='2 3 4'" in sql


@pytest.mark.parametrize("q, expected", [
    ("детей", '("ребенок" OR "детей"*)'),
    ("Ребёнка", '("ребенок" OR "ребенка"*)'),
    ("", search.EMPTY_QUERY),
    ('   "" ', search.EMPTY_QUERY),
    ("ст. 16-1", '"ст"* AND "16-1"'),
])
def test_build_fts_query(q, expected):
    assert search.build_fts_query(q) == expected


@pytest.mark.parametrize("hostile", ['"', "AND", "OR NOT", "NEAR(a b", "text_lemmas:x", "*",
                                     "a\"b", "(((", "^детей", "детей -ребенок", "'; drop table acts;--"])
def test_build_fts_query_is_always_valid_fts5(hostile, fixture_db):
    conn = sqlite3.connect(fixture_db)
    q = search.build_fts_query(hostile)
    conn.execute("select count(*) from provisions_fts where provisions_fts match ?", (q,)).fetchone()
    conn.execute("select count(*) from provision_texts_fts where provision_texts_fts match ?",
                 (q,)).fetchone()


def test_kazakh_words_become_stem_prefixes():
    assert search.kazakh_stem("балалардың") == "бала"
    assert search.kazakh_stem("құқықтары") == search.kazakh_stem("құқығы") == "құқы"
    assert '"бала"*' in search.build_fts_query("балалардың")


# --- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize("q, must_find", [
    ("детей", [f"{A1}-z4", f"{A1}-z13", f"{A2}-z5"]),     # дети, ребёнок (ё), детей
    ("ребенка", [f"{A1}-z13", f"{A1}-z4"]),               # ребёнок with ё, ребенок
    ("ребёнка", [f"{A1}-z4", f"{A1}-z20"]),               # query with ё finds е
    ("пособий", [f"{A2}-z3", f"{A2}-z4", f"{A2}-z2"]),   # пособие, пособий
])
async def test_search_finds_other_word_forms(ds, q, must_find):
    result = await rows(ds, "search", q=q)
    found = ids(result)
    for provision_id in must_find:
        assert provision_id in found, (q, provision_id, found)
    hit = next(r for r in result if r["provision_id"] == must_find[0])
    assert "<mark>" in hit["snippet"]
    assert hit["act_title"] and hit["path"] and hit["status"] in ("in_force", "repealed")


async def test_search_excludes_excluded_provisions_and_ranks_heading_hits_first(ds):
    result = await rows(ds, "search", q="травли")
    found = ids(result)
    assert f"{A1}-z125" not in found
    assert found[0] == f"{A1}-z12"  # «травли» in the heading, weighted 4×


async def test_search_html_marks_hits_and_links_the_provision(ds):
    html = (await ds.client.get("/kb/search?q=пособий")).text
    assert "<mark>пособие</mark>" in html
    assert f'href="/kb/provisions/{A2}-z3"' in html


@pytest.mark.parametrize("q", ['"', "NEAR(", "", "AND OR", "*"])
async def test_search_never_errors(ds, q):
    response = await ds.client.get("/kb/search.json", params={"q": q, "_shape": "objects"})
    assert response.status_code == 200
    assert isinstance(response.json()["rows"], list)


async def test_table_search_box_is_morphology_aware(ds):
    data = await get_json(ds, "/kb/provisions.json?_search=ребёнка&_shape=objects")
    found = [r["id"] for r in data["rows"]]
    assert f"{A1}-z4" in found and f"{A1}-z13" in found


async def test_search_kk_stems(ds):
    result = await rows(ds, "search_kk", q="балалардың құқықтары")
    assert set(ids(result)) == {f"{A1}-z13", f"{A1}-z20"}
    assert "<mark>баланың</mark>" in result[0]["snippet_kk"]


async def test_snippet_column_lets_only_mark_through(fixture_db):
    ds = make_datasette(fixture_db, allow_sql=True)     # arbitrary SQL: local use only
    html = (await ds.client.get(
        "/kb", params={"sql": "select '<script>alert(1)</script><mark>x</mark>' as snippet"})).text
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html and "<mark>x</mark>" in html


# --- other canned queries ------------------------------------------------------------------------


async def test_by_dimension_age(ds):
    result = await rows(ds, "by_dimension_age", dimension="PRO", age_band="AG_AD1")
    assert ids(result) == [f"{A1}-z12", f"{A1}-z13", f"{A1}-z123", f"{A1}-z124"]
    only_band = await rows(ds, "by_dimension_age", dimension="", age_band="AG_PSC")
    assert f"{A1}-z30" in ids(only_band) and f"{A1}-z20" not in ids(only_band)


async def test_at_age_in_force_by_default(ds):
    four = ids(await rows(ds, "at_age", age="4"))
    assert f"{A1}-z30" in four            # 12–71 months contains 48
    assert f"{A1}-z20" not in four        # school from 72 months
    assert f"{A2}-z5" not in four         # repealed act
    with_repealed = ids(await rows(ds, "at_age", age="4", include_repealed="1"))
    assert f"{A2}-z5" in with_repealed
    fifteen = ids(await rows(ds, "at_age", age="15"))
    assert f"{A1}-z123" in fifteen and f"{A1}-z30" not in fifteen
    assert await rows(ds, "at_age", age="") == []


async def test_acts_by_status(ds):
    counts = {r["status"]: r for r in await rows(ds, "acts_status")}
    assert (counts["in_force"]["acts"], counts["in_force"]["provisions"]) == (1, 12)
    assert (counts["repealed"]["acts"], counts["repealed"]["provisions"]) == (1, 4)
    repealed = await rows(ds, "acts_by_status", status="repealed")
    assert ids(repealed, "act_id") == [A2]
    assert len(await rows(ds, "acts_by_status", status="")) == 2


async def test_coverage_one_row_per_dimension_and_band(ds):
    result = await rows(ds, "coverage_gaps", dimension="", only_gaps="")
    assert len(result) == 12 * 9
    pro = await rows(ds, "coverage_gaps", dimension="pro", only_gaps="")
    assert [r["age_group_code"] for r in pro] == [r["age_group_code"] for r in result
                                                  if r["dimension_code"] == "PRO"]
    assert len(pro) == 9
    gaps = await rows(ds, "coverage_gaps", dimension="", only_gaps="1")
    expected = [r for r in result if r["gap"] == 1 or r["data_gap"] == 1]
    assert gaps == expected and 0 < len(gaps) < len(result)


async def test_indicators_for_dimension_latest_value(ds):
    result = await rows(ds, "indicators_for_dimension", dimension="HLT")
    assert [(r["indicator_code"], r["latest_period"], r["latest_value"]) for r in result] == [
        ("CME_MRY0T4", "2022", 9.3)]
    html = (await ds.client.get("/kb/indicators_for_dimension?dimension=HLT")).text
    assert 'href="/indicators/CME_MRY0T4"' in html


async def test_provision_indicators(ds):
    result = await rows(ds, "provision_indicators", provision_id=f"{A1}-z123")
    assert "PT_CHLD_1-14_PS-PSY-V_CGVR" in [r["indicator_code"] for r in result]
    # each link says why (db/links.py): the indicator's topic, «насилия», is in the text
    assert all(r["reason"] for r in result) and "«насилия»" in result[0]["reason"]


async def test_changes_atom_feed(ds):
    response = await ds.client.get("/kb/changes.atom")
    assert response.status_code == 200
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 6  # 4 amendment notes + 2 act retrievals
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert any("ст. 16-1" in t and "added" in t for t in titles)
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert f"https://adilet.zan.kz/rus/docs/{A1}#z12" in links
    assert feed.find(f"{ATOM}title").text == "New and amended provisions"


# --- exports -------------------------------------------------------------------------------------


async def test_bibtex_export_of_a_provision(ds):
    response = await ds.client.get(f"/kb/provisions/{A1}-z123.bib")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-bibtex")
    library = bibtexparser.parse_string(response.text)
    assert not library.failed_blocks
    (entry,) = library.entries
    assert entry.key == "Z020000345_z123"
    assert entry["url"] == f"https://adilet.zan.kz/rus/docs/{A1}#z123"
    assert entry["year"] == "2002" and entry["number"] == "345-II"
    assert "О правах ребенка" in entry["title"]
    assert entry["chapter"] == "ст. 16-1, п. 2"


def parse_ris(text):
    records, current = [], {}
    for line in text.splitlines():
        if not line.strip():
            continue
        tag, _, value = line.partition("  - ")
        assert len(tag) == 2, line
        if tag == "ER":
            records.append(current)
            current = {}
        else:
            current.setdefault(tag, []).append(value)
    assert current == {}
    return records


async def test_ris_export_of_search_results(ds):
    response = await ds.client.get("/kb/search.ris", params={"q": "пособий"})
    assert response.status_code == 200
    records = parse_ris(response.text)
    assert len(records) >= 3
    for record in records:
        assert record["TY"] == ["STAT"]
        assert record["TI"][0].startswith("Закон Республики Казахстан «О государственных пособиях")
        assert record["UR"][0].startswith(f"https://adilet.zan.kz/rus/docs/{A2}#z")
        assert record["Y2"] == ["2026/08/05"]


async def test_csljson_export_of_the_provisions_table(ds):
    response = await ds.client.get("/kb/provisions.csljson?primary_dimension=PRO")
    assert response.status_code == 200
    items = json.loads(response.text)
    assert {i["id"] for i in items} == {f"{A1}-z12", f"{A1}-z13", f"{A1}-z123", f"{A1}-z124"}
    for item in items:
        assert item["type"] == "legislation"
        for field in ("title", "authority", "number", "issued", "URL", "accessed", "section"):
            assert item[field], (field, item)
        assert item["issued"]["date-parts"] == [[2002, 8, 8]]
        assert item["URL"].startswith(f"https://adilet.zan.kz/rus/docs/{A1}#z")


async def test_export_links_offered_only_where_there_are_provisions(ds):
    html = (await ds.client.get("/kb/search?q=детей")).text
    assert "/kb/search.bib?q=" in html and "/kb/search.csljson?q=" in html
    other = (await ds.client.get("/kb/acts_status")).text
    assert ".bib" not in other


# --- pages ---------------------------------------------------------------------------------------


# The provision page itself moved to /acts/{act}/{path} (kb/web): tests/test_web.py.


async def test_provision_short_url_redirects(ds):
    response = await ds.client.get(f"/kb/provision/{A1}-z13")
    assert response.status_code == 302
    assert response.headers["location"] == f"/kb/provisions/{A1}-z13"


async def test_indicator_chart_page(ds):
    # the old plugin page redirects to kb/web's /indicators/{code} (issue 13)
    response = await ds.client.get("/kb/indicator/CME_MRY0T4")
    assert response.status_code == 301
    assert response.headers["location"] == "/indicators/CME_MRY0T4"
    html = (await ds.client.get("/indicators/CME_MRY0T4")).text
    assert html.count('class="kb-series"') == 3  # KAZ total, F, M
    assert html.count('class="kb-point"') == 8 + 3 + 3
    assert "https://sdmx.data.unicef.org/" in html and "дата обращения: 05.08.2026" in html
    with_area = (await ds.client.get("/indicators/CME_MRY0T4?area=750000000")).text
    assert with_area.count('class="kb-series"') == 4  # and Almaty's total
    assert (await ds.client.get("/indicators/NOPE")).status_code == 404


# --- metadata and serving ------------------------------------------------------------------------


def test_every_table_and_column_described_in_english_with_russian(fixture_db):
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    tables = metadata["databases"]["kb"]["tables"]
    conn = sqlite3.connect(fixture_db)
    names = [r[0] for r in conn.execute(
        "select name from sqlite_master where type = 'table' and sql like 'CREATE TABLE%'")]
    assert "provisions" in names
    for table in names:
        if table.startswith(("provisions_fts", "provision_texts_fts", "sqlite_")):
            continue
        assert tables[table]["description"], table
        columns = [r[1] for r in conn.execute(f"pragma table_info([{table}])")]
        for column in columns:
            text = tables[table].get("columns", {}).get(column)
            assert text and any("а" <= ch.lower() <= "я" for ch in text), (table, column)
    for view in ("coverage", "provision_indicator_links"):
        assert tables[view]["description"]


async def test_facets_and_labels(ds):
    data = await get_json(ds, "/kb/provisions.json?_shape=objects")
    facets = data["facet_results"]
    assert {"primary_dimension", "act_status", "act_form", "kind"} <= set(facets)
    # array facets scan JSON in every row: on request only, not by default (issue 11)
    assert not {"dimension_codes", "age_group_codes"} & set(facets)
    data = await get_json(ds, "/kb/provisions.json?_shape=objects&_facet_array=dimension_codes")
    facets = data["facet_results"]
    assert {v["value"] for v in facets["dimension_codes"]["results"]} >= {"PRO", "EDU", "MAT"}
    acts = await get_json(ds, "/kb/acts.json")
    assert {"form", "status", "issuing_body", "year"} <= set(acts["facet_results"])
    hidden = await get_json(ds, "/kb.json")
    visible = {t["name"] for t in hidden["tables"] if not t["hidden"]}
    assert "provisions_fts" not in visible and "provisions_fts_data" not in visible
    assert "fetch_log" in visible


async def test_immutable_with_inspect_file(fixture_db, ds, tmp_path):
    databases = await get_json(ds, "/-/databases.json")
    (kb,) = [d for d in databases if d["name"] == "kb"]
    assert kb["is_mutable"] is False
    assert inspect_path(fixture_db).exists()
    assert inspect_path(fixture_db) == fixture_db.parent / "kb.inspect.json"
    # regenerated when the DB is newer
    copy = tmp_path / "kb.db"
    copy.write_bytes(fixture_db.read_bytes())
    target = ensure_inspect_file(copy)
    first = target.stat().st_mtime
    time.sleep(0.01)
    os.utime(copy, (first + 10, first + 10))
    assert ensure_inspect_file(copy).stat().st_mtime > first
    assert json.loads(target.read_text())["kb"]["tables"]["provisions"]["count"] == 16
