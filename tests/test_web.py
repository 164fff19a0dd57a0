"""The lawyer-facing pages (kb/web, issue 12): the URL contract, search syntax and facets,
acts and their contents, provisions at readable paths, coverage, ages, old links.

Real Datasette in-process on the fixture database (tests/datasette_fixture.py).
"""
import csv
import io
import re
import sqlite3

import pytest

from datasette_fixture import A1, A2, build_fixture_db

from kb.serve import make_datasette
from kb.web import searching, slugs


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory):
    return build_fixture_db(tmp_path_factory.mktemp("webdb") / "kb.db")


@pytest.fixture(scope="module")
def ds(fixture_db):
    return make_datasette(fixture_db)


@pytest.fixture(scope="module")
def P(fixture_db):
    """Provision ids by fixture anchor, "A1:z123" → its id (whatever the id scheme)."""
    conn = sqlite3.connect(fixture_db)
    acts = {A1: "A1", A2: "A2"}
    out = {f"{acts[a]}:{z}": pid for pid, a, z in
           conn.execute("select id, act_id, anchor from provisions where anchor is not null")}
    conn.close()
    return out


async def get(ds, path, status=200):
    response = await ds.client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:300])
    return response


# --- slugs and paths ---------------------------------------------------------------------------


def test_slug_paths_round_trip():
    for slug, path in [("art27-p2", "art27/p2"), ("art1-sp8-1", "art1/sp8-1"),
                       ("art31-p1-sp2", "art31/p1/sp2"), ("art16-1", "art16-1"),
                       ("ch3-par2", "ch3/par2"), ("app1-p3", "app1/p3"), ("preamble", "preamble"),
                       ("art27-p2_2", "art27/p2_2")]:
        assert slugs.slug_to_path(slug) == path
        assert slugs.path_to_slug(path) == slug
    assert slugs.path_to_slug("art27/../p2") is None
    assert slugs.path_to_slug("") is None


def test_old_text_ids_map_to_new_slugs():
    assert slugs.old_id_candidates("K950001000_", "art27.2") == ["art27-p2"]
    assert slugs.old_id_candidates("Z020000345_", "art44.sp10-1") == ["art44-sp10-1"]
    assert slugs.old_id_candidates("V2200031180", "rules.p9.sp4") == [
        "p9-sp4", "app-p9-sp4", "app1-p9-sp4"]
    assert slugs.old_id_candidates("V2200031180", "order.p1") == ["p1"]
    assert slugs.old_id_candidates("223231", "para17") == ["para17", "a17", "par17"]
    assert slugs.old_id_candidates("X", "z123") == []  # anchors are looked up, not converted


def test_derived_slugs_follow_the_structure():
    rows = [
        {"id": "a", "parent_id": None, "kind": "chapter", "number": "1"},
        {"id": "b", "parent_id": "a", "kind": "article", "number": "16-1"},
        {"id": "c", "parent_id": "b", "kind": "part", "number": "2"},
        {"id": "d", "parent_id": "c", "kind": "subpart", "number": "3)"},
        {"id": "e", "parent_id": None, "kind": "paragraph", "number": None},
        {"id": "f", "parent_id": "a", "kind": "part", "number": "9"},
        {"id": "g", "parent_id": "a", "kind": "part", "number": "9"},
    ]
    assert slugs.derive_slugs(rows) == {"a": "ch1", "b": "art16-1", "c": "art16-1-p2",
                                        "d": "art16-1-p2-sp3", "e": "preamble", "f": "p9",
                                        "g": "p9_2"}


# --- the URL contract --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/search", "/search?q=детей", "/acts", f"/acts/{A1}",
                                  f"/acts/{A1}/art16-1", f"/acts/{A1}/art16-1/p2",
                                  "/coverage", "/age/15"])
async def test_pages_answer_in_russian_without_sql_or_inline_code(ds, path):
    html = (await get(ds, path)).text
    assert '<html lang="ru">' in html
    assert "select " not in html.lower()  # no SQL on screen
    # a strict Content-Security-Policy (script-src 'self') blocks inline scripts and styles
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
    assert " style=" not in html and "<style" not in html, path
    assert 'href="/-/kb-web/kb.css"' in html and 'src="/-/kb-web/kb.js"' in html
    assert 'class="kb-skip" href="#main"' in html  # keyboard: skip to content


@pytest.mark.parametrize("path, message", [
    ("/acts/NOPE", "Акта NOPE нет"),
    (f"/acts/{A1}/art99", "нет положения по адресу «art99»"),
    (f"/acts/{A1}/art16-1/p2/sp9", "нет положения"),
    ("/age/abc", "не возраст"),
    ("/age/200", "от 0 до 30 лет"),
    (f"/kb/provisions/{A1}-z999", "нет в базе знаний"),
])
async def test_wrong_urls_give_a_clear_404(ds, path, message):
    response = await get(ds, path, 404)
    assert message in response.text


async def test_static_files(ds):
    css = await get(ds, "/-/kb-web/kb.css")
    assert css.headers["content-type"].startswith("text/css") and "@media print" in css.text
    js = await get(ds, "/-/kb-web/kb.js")
    assert "javascript" in js.headers["content-type"] and "kb-copy" in js.text
    assert (await ds.client.get("/-/kb-web/..%2Fpages.py")).status_code != 200
    await get(ds, "/-/kb-web/nope.css", 404)


# --- old links ---------------------------------------------------------------------------------


@pytest.mark.parametrize("old, new", [
    (f"/kb/provisions/{A1}-z123", f"/acts/{A1}/art16-1/p2"),
    (f"/kb/provisions/{A1}-z12", f"/acts/{A1}/art16-1"),
    (f"/kb/provisions/{A1}-z124", f"/acts/{A1}/art16-1/p2/sp1"),
    (f"/kb/provision/{A1}-z13", f"/kb/provisions/{A1}-z13"),
])
async def test_old_provision_links_redirect_to_the_readable_url(ds, old, new):
    response = await ds.client.get(old)
    assert response.status_code in (301, 302)
    assert response.headers["location"] == new


async def test_datasette_formats_of_provision_rows_stay(ds, P):
    data = (await get(ds, f"/kb/provisions/{P['A1:z123']}.json?_shape=objects")).json()
    assert data["rows"][0]["id"] == P["A1:z123"]
    assert "@misc{" in (await get(ds, f"/kb/provisions/{P['A1:z123']}.bib")).text


# --- home ----------------------------------------------------------------------------------------


async def test_home_says_what_the_base_holds_and_offers_ways_in(ds):
    html = (await get(ds, "/")).text
    assert 'name="q"' in html and 'action="/search"' in html
    assert '<strong id="kb-stat-acts">2</strong> актов (1 действуют, 1 утратили силу)' in html
    assert "русский (2)" in html
    assert "от 01.07.2023 до 01.08.2026" in html  # edition dates of the two acts
    assert 'href="/search?dimension=PRO&amp;status=in_force"' in html
    assert 'href="/age/15"' in html and f'href="/acts/{A1}"' in html


# --- search --------------------------------------------------------------------------------------


async def search(ds, **params):
    response = await ds.client.get("/search.json", params=params)
    assert response.status_code == 200, response.text[:300]
    return response.json()


def found(result):
    return [r["id"] for r in result["results"]]


async def test_search_json_has_total_results_and_readable_urls(ds, P):
    result = await search(ds, q="детей")
    assert result["total"] == len(result["results"]) >= 3
    hit = next(r for r in result["results"] if r["id"] == P["A1:z13"])
    assert hit["url"] == f"/acts/{A1}/art16-1/p1"
    assert "<mark>ребёнок</mark>" in hit["snippet"]


async def test_search_syntax_or_phrase_prefix_and_yo(ds, P):
    bullying = set(found(await search(ds, q="буллинга")))
    school = set(found(await search(ds, q="бесплатного")))
    assert bullying and school and not bullying & school
    assert set(found(await search(ds, q="буллинга OR бесплатного"))) == bullying | school
    assert found(await search(ds, q="буллинга бесплатного")) == []
    # a phrase: the words next to each other, in any form
    assert found(await search(ds, q='"защиту от травли"')) == [P["A1:z12"], P["A1:z13"]] or \
        set(found(await search(ds, q='"защиту от травли"'))) == {P["A1:z12"], P["A1:z13"]}
    assert found(await search(ds, q='"травли защиту"')) == []
    # a prefix: опек* finds «опекун»
    assert P["A1:z5"] in found(await search(ds, q="опек*"))
    # ё = е both ways
    assert set(found(await search(ds, q="ребёнок"))) == set(found(await search(ds, q="ребенок")))


async def test_search_kazakh_by_stem(ds, P):
    result = await search(ds, q="балалардың құқықтары")
    assert result["lang"] == "kk"
    assert set(found(result)) == {P["A1:z13"], P["A1:z20"]}
    assert any("<mark>" in r["snippet"] for r in result["results"])


async def test_facets_count_and_narrow(ds, P):
    result = await search(ds, q="детей")
    dims = result["facets"]["dimension"]
    assert dims["PRO"] >= 1 and dims["MAT"] >= 1
    narrowed = await search(ds, q="детей", dimension="MAT")
    assert narrowed["total"] == dims["MAT"]
    assert all(r["act_id"] == A2 for r in narrowed["results"])
    in_force = await search(ds, q="детей", status="in_force")
    assert in_force["total"] == result["facets"]["status"]["in_force"]
    assert all(r["status"] == "in_force" for r in in_force["results"])
    # filters alone list provisions without a query
    band = await search(ds, dimension="PRO", age="AG_AD1")
    assert set(found(band)) == {P["A1:z12"], P["A1:z13"], P["A1:z123"], P["A1:z124"]}


async def test_search_page_facet_links_narrow_and_unselect(ds):
    html = (await get(ds, "/search?q=детей")).text
    assert 'href="/search?q=%D0%B4%D0%B5%D1%82%D0%B5%D0%B9&amp;dimension=MAT"' in html
    narrowed = (await get(ds, "/search?q=детей&dimension=MAT")).text
    assert 'aria-current="true"' in narrowed and "Фильтры:" in narrowed


async def test_empty_result_explains_and_suggests_related_words(ds):
    result = await search(ds, q="опекунство")
    assert result["total"] == 0
    explanation = result["explanation"]
    assert explanation["forms"] and "опекунство" in explanation["forms"][0]
    suggested = {s["q"]: s["total"] for s in explanation["suggestions"]}
    assert suggested.get("опекун") == 1  # from kb/data/synonyms.yml, with its count
    html = (await get(ds, "/search?q=опекунство")).text
    assert "Ничего не найдено" in html and 'id="kb-suggestions"' in html
    # filters that emptied a result are named, with the count without them
    filtered = await search(ds, q="пособий", status="in_force")
    assert filtered["total"] == 0 and filtered["explanation"]["without_filters"] >= 3


def test_synonym_groups_are_data():
    groups = searching.synonym_groups()
    assert any("опека" in g and "опекун" in g and "попечительство" in g for g in groups)
    assert "опекун" in searching.related_words("опека")
    assert "попечительство" in searching.related_words("опеки")  # by lemma


@pytest.mark.parametrize("q", ['"', "OR", "NEAR(", "*", "a OR OR b", '"unclosed', "ИЛИ ИЛИ"])
async def test_search_never_errors(ds, q):
    result = await search(ds, q=q)
    assert isinstance(result["total"], int)


# --- acts ------------------------------------------------------------------------------------------


async def test_act_page_contents_with_child_counts(ds):
    html = (await get(ds, f"/acts/{A1}")).text
    assert 'id="kb-act-title">О правах ребенка в Республике Казахстан</h1>' in html
    assert "Қазақстан Республикасындағы баланың құқықтары туралы" in html
    assert "текст по состоянию на 01.08.2026" in html
    toc = html[html.index('id="kb-toc"'):]
    # chapter 2 holds four tagged provisions under article 16-1 plus articles 22 and 34
    chapter2 = re.search(r'href="/acts/Z020000345_/ch2">Глава 2\. Основные права ребенка</a>\s*'
                         r'<span class="kb-count"[^>]*>(\d+)</span>', toc)
    assert chapter2 and int(chapter2.group(1)) == 6
    assert f'href="/acts/{A1}/art16-1">Статья 16-1. Право ребенка на защиту от травли</a>' in toc
    assert "Закон Республики Казахстан от 8 августа 2002 года № 345-II" in html
    repealed = (await get(ds, f"/acts/{A2}")).text
    assert "утратил силу" in repealed and "Утратил силу Социальным кодексом" in repealed


# --- provisions ------------------------------------------------------------------------------------


async def test_a_database_built_before_the_heldout_counts_still_shows_its_tags(fixture_db, tmp_path):
    import shutil

    old = tmp_path / "kb.db"          # the pages read the database named kb
    shutil.copy(fixture_db, old)
    conn = sqlite3.connect(old)
    conn.executescript("""
        pragma foreign_keys = off;
        create table dimensions7 (code text primary key, name_en text not null, name_ru text not null,
                                  name_kk text not null, definition text, crc_cluster text, position integer);
        insert into dimensions7 select code, name_en, name_ru, name_kk, definition, crc_cluster,
                                       position from dimensions;
        drop table dimensions;
        alter table dimensions7 rename to dimensions;""")
    conn.commit()
    conn.close()
    html = (await get(make_datasette(old), f"/acts/{A1}/art16-1/p2")).text
    assert '<mark class="kb-evidence">профилактику травли</mark>' in html
    assert '<td class="kb-heldout">—</td>' in html


async def test_provision_page_at_readable_url(ds, P):
    html = (await get(ds, f"/acts/{A1}/art16-1/p2")).text
    assert f'<a href="/acts/{A1}/ch2">Глава 2. Основные права ребенка</a>' in html
    assert f'<a href="/acts/{A1}/art16-1">Статья 16-1. Право ребенка на защиту от травли</a>' in html
    assert '<mark class="kb-evidence">профилактику травли</mark>' in html
    assert '<mark class="kb-evidence">достигших четырнадцатилетнего возраста</mark>' in html
    # a database without the tagger's held-out counts shows none rather than another's
    assert '<td class="kb-heldout">—</td>' in html
    assert "<strong>с 14 лет до 18 лет</strong>" in html
    assert "Пункт 2 в редакции Закона РК от 19.06.2023 № 22-VIII." in html
    assert f'href="https://adilet.zan.kz/rus/docs/{A1}#z123"' in html
    assert ("Закон Республики Казахстан от 8 августа 2002 года № 345-II «О правах ребенка в "
            "Республике Казахстан», ст. 16-1, п. 2 (с изменениями и дополнениями по состоянию на "
            "01.08.2026). URL: https://adilet.zan.kz/rus/docs/Z020000345_#z123 (дата обращения: "
            "05.08.2026)") in html
    assert f'href="/kb/provisions/{P["A1:z123"]}.bib"' in html and 'id="kb-copy"' in html
    # previous and next provisions, the enclosing article with this part marked
    assert f'<a rel="prev" id="kb-prev" href="/acts/{A1}/art16-1/p1">' in html
    assert f'<a rel="next" id="kb-next" href="/acts/{A1}/art16-1/p2/sp1">' in html
    article = html[html.index('id="kb-article"'):]
    assert 'class="kb-current"' in article and "Каждый ребёнок имеет право" in article


async def test_provision_page_russian_and_kazakh_side_by_side(ds):
    html = (await get(ds, f"/acts/{A1}/art16-1/p1")).text
    assert 'class="kb-parallel kb-two"' in html
    assert 'id="kb-text-kaz"' in html and "Әрбір баланың құрдастары" in html
    assert "Глава 2 дополнена статьей 16-1" not in html  # that note belongs to the article
    repealed = (await get(ds, f"/acts/{A2}/art5/p3")).text
    assert "Утратил силу</span>" in repealed and "(утратил силу; с изменениями" in repealed
    alone = (await get(ds, f"/acts/{A1}/art16-1/p2")).text
    assert 'class="kb-parallel"' in alone  # no Kazakh text: one column


# --- coverage and ages -----------------------------------------------------------------------------


async def test_coverage_heatmap_cells_link_to_their_provisions(ds):
    html = (await get(ds, "/coverage")).text
    assert "Защита от насилия и эксплуатации" in html and "14–15 лет" in html
    link = "/search?dimension=PRO&amp;age=AG_AD1&amp;status=in_force"
    cell = re.search(re.escape(f'<a href="{link}"') + r'[^>]*>(\d+)</a>', html)
    assert cell
    listed = await search(ds, dimension="PRO", age="AG_AD1", status="in_force")
    assert int(cell.group(1)) == listed["total"] == 4
    assert "kb-gap" in html and "kb-data-gap" in html  # both kinds of gap are marked


async def test_coverage_csv(ds):
    response = await get(ds, "/coverage.csv")
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert len(table) == 12 * 9
    row = next(r for r in table if r["dimension_code"] == "PRO" and r["age_group_code"] == "AG_AD1")
    assert row["provisions_in_force"] == "4" and row["dimension_ru"].startswith("Защита")


async def test_age_page_and_json(ds, P):
    data = (await get(ds, "/age/15.json")).json()
    assert data["age"] == 15 and data["months"] == 180
    everything = [r for g in data["groups"] for r in g["results"]]
    assert data["total"] == len(everything)
    ids = {r["id"]: r for r in everything}
    assert ids[P["A1:z123"]]["threshold"] == "с 14 лет до 18 лет"
    assert ids[P["A1:z123"]]["url"] == f"/acts/{A1}/art16-1/p2"
    assert P["A1:z30"] not in ids  # kindergarten: 1 to 6 years
    assert P["A2:z5"] not in ids   # repealed act
    pro = next(g for g in data["groups"] if g["code"] == "PRO")
    assert pro["results"][0]["id"] in (P["A1:z123"], P["A1:z124"])  # narrowest interval first
    html = (await get(ds, "/age/3")).text
    assert "с 1 года до 6 лет" in html and "Дошкольное воспитание" in html


async def test_search_facets_and_pages_cover_every_match(ds, monkeypatch):
    """The total, the facets and the pages cover every match (kb/web/search_columns.py), not
    only the first ranked ones: the act facet adds up to the total, and paging through gives
    each match once."""
    from kb.web import searching

    monkeypatch.setattr(searching, "PAGE_SIZE", 2)
    first = await search(ds, q="детей")
    assert first["total"] > 2 and len(first["results"]) == 2
    assert sum(first["facets"]["act"].values()) == first["total"]
    assert sum(first["facets"]["status"].values()) == first["total"]
    seen = []
    for page in range(1, -(-first["total"] // 2) + 1):
        seen += found(await search(ds, q="детей", page=page))
    assert len(seen) == len(set(seen)) == first["total"]
    html = (await get(ds, "/search?q=детей")).text
    assert f"Найдено: <strong>{first['total']}</strong>" in html


async def test_age_json_lists_at_most_the_limit_per_dimension_with_its_total(ds, monkeypatch):
    from kb.web import pages

    full = (await get(ds, "/age/15.json")).json()
    monkeypatch.setattr(pages, "AGE_JSON_LIMIT", 1)
    cut = (await get(ds, "/age/15.json")).json()
    assert cut["total"] == full["total"]
    assert [g["total"] for g in cut["groups"]] == [g["total"] for g in full["groups"]]
    assert all(len(g["results"]) == 1 for g in cut["groups"])
    assert [g["truncated"] for g in cut["groups"]] == [g["total"] > 1 for g in full["groups"]]

async def test_age_page_shows_the_first_of_each_group_with_the_groups_totals(ds, monkeypatch):
    """The HTML page reads only the rows it shows (issue 11): with one row per dimension, its
    totals and first rows are still those of the full JSON list."""
    from kb.web import pages

    full = (await get(ds, "/age/15.json")).json()
    monkeypatch.setattr(pages, "AGE_GROUP_LIMIT", 1)
    html = (await get(ds, "/age/15")).text
    assert f"<strong>{full['total']}</strong>" in html
    for g in full["groups"]:
        assert f'<span class="kb-count">{g["total"]}</span>' in html, g["code"]
        assert f'href="{g["results"][0]["url"]}"' in html, g["code"]
        if len(g["results"]) > 1:
            assert f'href="{g["results"][1]["url"]}"' not in html or any(
                h["results"][0]["url"] == g["results"][1]["url"] for h in full["groups"])


# --- documented URLs -------------------------------------------------------------------------------


async def test_every_documented_url_answers_its_page_or_a_clear_404(ds):
    """README's «Using it» table and docs/interface.md: each URL is a page, a redirect or the
    404 page that says what was not found (the fixture lacks the real acts of the examples)."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    readme = (repo / "README.md").read_text(encoding="utf-8")
    interface = (repo / "docs" / "interface.md").read_text(encoding="utf-8")
    text = (readme[readme.index("## Using it"):readme.index("## Command line")]
            + interface[interface.index("## The URL contract"):interface.index("### Readable")])
    paths = {p for p in re.findall(r"`(/[^`\s]*)`", text) if "{" not in p and "…" not in p}
    assert {"/", "/search?q=опек*", "/acts/K950001000_/art27/p2", "/coverage", "/age/15"} <= paths
    for path in sorted(paths):
        response = await ds.client.get(path)
        assert response.status_code in (200, 301, 302) or (
            response.status_code == 404 and 'id="kb-not-found"' in response.text), \
            (path, response.status_code)


def test_the_domain_does_not_import_the_web_layer():
    """kb/web is the plugin's: only kb/plugin.py registers it; nothing else imports it."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    offenders = []
    for folder in ("kb", "db", "scrapers"):
        for path in (repo / folder).rglob("*.py"):
            if "web" in path.relative_to(repo).parts[1:-1] or path.name == "plugin.py":
                continue
            if re.search(r"^\s*(from kb\.web|import kb\.web|from kb import web)", path.read_text(
                    encoding="utf-8"), re.M):
                offenders.append(str(path.relative_to(repo)))
    assert not offenders


# --- the issue's three URLs on the corpus build ------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("path, heading, act_words, old", [
    ("/acts/K950001000_/art27/p2", "ст. 27 п. 2", "Конституция", "K950001000_-art27.2"),
    ("/acts/K1500000414/art31/p1", "ст. 31 п. 1", "Трудовой кодекс", None),
    ("/acts/Z020000345_/art1/sp8-1", "ст. 1 пп. 8-1)", "О правах ребенка", "Z020000345_-art1.sp8-1"),
])
async def test_the_issues_readable_urls_on_the_corpus_build(corpus_build, path, heading,
                                                            act_words, old):
    ds = make_datasette(corpus_build[0])
    html = (await get(ds, path)).text
    assert re.search(r'<h1 id="kb-heading">' + re.escape(heading), html), path
    citation = re.search(r'id="kb-citation">(.*?)</pre>', html, re.S).group(1)
    assert act_words in citation and heading.split()[1] in citation
    if old:  # the old text id, dot and all, lands on the same page
        for link in (f"/kb/provisions/{old}", f"/kb/provisions/{old.replace('.', '~2E')}"):
            response = await ds.client.get(link)
            assert response.status_code == 301 and response.headers["location"] == path



async def test_figures_read_once_per_build_are_not_held_to_the_sql_time_limit(fixture_db):
    """What is read once per served build (home counts, coverage) may take longer than one
    request's SQL time limit (the home counts scan every provision: over a second at a million
    on a cold file cache); per-request reads still stop at the limit."""
    from datasette.database import QueryInterrupted

    from kb.serve import make_datasette
    from kb.web import data

    ds = make_datasette(fixture_db, sql_time_limit_ms=50)
    slow = ("with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000) "
            "select count(*) as n from c")
    assert (await data.cached(ds, "slow", slow)) == [{"n": 3000000}]
    with pytest.raises(QueryInterrupted):
        await data.rows(data.db_of(ds), slow)
    # reads made in one turn of the SQL threads (data.read_together) stop at it too
    with pytest.raises(QueryInterrupted):
        await data.read_together(data.db_of(ds), lambda read: [read("select 1"), read(slow)])
    assert await data.read_together(data.db_of(ds), lambda read: read("select 2 as n")) == \
        [{"n": 2}]



@pytest.mark.parametrize("path", ["/search.json?q=детей", "/age/15.json", "/coverage.csv"])
async def test_json_and_csv_answers_can_be_cached_like_the_pages(ds, path):
    """An immutable build answers every visitor alike: a cache in front may keep these too."""
    response = await get(ds, path)
    assert response.headers["cache-control"] == "max-age=3600"
