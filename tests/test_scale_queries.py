"""Query shapes that hold at a million provisions (issue 11), checked on the corpus build.

No timings here (bench/scale.py measures them): query plans and equal results. Every default
facet and sort column of the tables that grow with the corpus is read through an index; the
canned query by dimension and age band starts from the indexed tag tables and finds what the
former `in (subquery)` form found; coverage is a table holding exactly the view's rows.
"""
from __future__ import annotations

import json
import re
import urllib.parse
import sqlite3
from pathlib import Path

import pytest
import yaml

from db import views

REPO = Path(__file__).resolve().parents[1]
METADATA = yaml.safe_load((REPO / "metadata.yml").read_text(encoding="utf-8"))
TABLES = METADATA["databases"]["kb"]["tables"]
QUERIES = METADATA["databases"]["kb"]["queries"]
GROWING = ("provisions", "provision_texts", "amendments", "provision_dimensions",
           "provision_age_groups")

FORMER_BY_DIMENSION_AGE = """
select p.id as provision_id from provisions p join acts a on a.id = p.act_id
where p.excluded = 0
  and (:dimension = '' or p.id in
       (select provision_id from provision_dimensions where dimension_code = :dimension))
  and (:age_band = '' or p.id in
       (select provision_id from provision_age_groups where age_group_code = :age_band))
  and (:dimension != '' or :age_band != '')
order by a.status = 'repealed', a.id, p.position
limit 200
"""


@pytest.fixture(scope="module")
def conn(corpus_build):
    c = sqlite3.connect(f"file:{corpus_build[0]}?mode=ro", uri=True)
    yield c
    c.close()


def plan(conn, sql, params=()) -> list[str]:
    return [r[3] for r in conn.execute("explain query plan " + sql, params)]


def full_scans(lines, table_aliases) -> list[str]:
    """Plan lines that read every row of a table without an index."""
    return [ln for ln in lines
            if re.match(r"SCAN (\w+)$", ln) and ln.split()[1] in table_aliases]


@pytest.mark.parametrize("table", GROWING)
def test_default_facets_and_sorts_read_an_index(conn, table):
    conf = TABLES.get(table, {})
    columns = [f for f in conf.get("facets", []) if isinstance(f, str)]
    columns += [conf[k] for k in ("sort", "sort_desc") if k in conf]
    assert not [f for f in conf.get("facets", []) if not isinstance(f, str)], \
        "array facets scan JSON in every row: not by default on a growing table"
    for column in columns:
        # the shape of Datasette's facet query (datasette/facets.py ColumnFacet)
        sql = (f"select [{column}] as value, count(*) as count from (select * from [{table}]) "
               f"where [{column}] is not null and [{column}] != '' group by [{column}] "
               f"order by count desc, value limit 31")
        lines = plan(conn, sql)
        assert not full_scans(lines, {table}), (table, column, lines)
        assert any("INDEX" in ln for ln in lines), (table, column, lines)


@pytest.mark.parametrize("dimension,age_band", [("PRO", "AG_AD1"), ("EDU", ""), ("", "AG_PSC"),
                                                ("", ""), ("HLT", "AG_PRE")])
def test_by_dimension_age_starts_from_the_tag_tables_and_finds_the_same(conn, dimension,
                                                                        age_band):
    params = {"dimension": dimension, "age_band": age_band}
    sql = QUERIES["by_dimension_age"]["sql"]
    lines = plan(conn, sql, params)
    assert not full_scans(lines, {"p", "provisions"}), lines
    if dimension or age_band:
        # the matches ranked from the covering index; only the rows shown are read
        assert any("COVERING INDEX idx_provisions_id_facets" in ln for ln in lines), lines
    got = [r[0] for r in conn.execute(sql, params)]
    want = [r[0] for r in conn.execute(FORMER_BY_DIMENSION_AGE, params)]
    assert got == want
    if dimension or age_band:
        assert got, "the corpus has provisions for each of these cells"


def test_coverage_is_a_table_with_the_views_rows(conn):
    kind = conn.execute("select type from sqlite_master where name = 'coverage'").fetchone()
    assert kind == ("table",)
    select = views.COVERAGE.split(" AS\n", 1)[1]
    assert conn.execute("select * from coverage").fetchall() == conn.execute(select).fetchall()
    assert conn.execute("select sum(provisions_in_force) from coverage").fetchone()[0] > 0


@pytest.mark.parametrize("column, code", [("dimension_codes", "PRO"),
                                          ("age_group_codes", "AG_AD1")])
async def test_array_filters_on_provisions_go_through_the_tag_tables(corpus_build, conn,
                                                                     column, code):
    """`?{column}__arraycontains=` answers the same rows, read through the indexed tag table
    instead of json_each over every provision (kb/security.py through_tag_tables)."""
    from kb.serve import make_datasette

    ds = make_datasette(corpus_build[0])
    response = await ds.client.get(f"/kb/provisions.json?{column}__arraycontains={code}"
                                   "&_shape=objects&_size=max&_col=id&_nofacet=1")
    assert response.status_code == 200, response.text[:500]
    data = response.json()
    assert "json_each" not in data["query"]["sql"]
    assert "provision_dimensions" in data["query"]["sql"] or \
        "provision_age_groups" in data["query"]["sql"]
    want = conn.execute(f"select count(*) from provisions where exists (select 1 from "
                        f"json_each(provisions.{column}) where value = ?)", (code,)).fetchone()[0]
    assert want > 0 and data["filtered_table_rows_count"] == want
    # other filters pass through untouched
    other = await ds.client.get(f"/kb/provisions.json?kind__exact=article&_nofacet=1")
    assert "kind" in other.json()["query"]["sql"]


async def test_sql_time_limit_still_stops_a_runaway_query_with_coarser_checks(corpus_build):
    """kb/timelimit.py: Datasette's time limit, checked every CHECK_EVERY instructions (a
    Python call per 1,000 instructions starves under load), still ends a runaway query."""
    import datasette.database

    from kb import timelimit
    from kb.serve import make_datasette

    ds = make_datasette(corpus_build[0], sql_time_limit_ms=100, allow_sql=True)
    response = await ds.client.get("/kb.json?sql=" + urllib.parse.quote(
        "with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000000000) "
        "select count(*) from c"))
    assert datasette.database.sqlite_timelimit is timelimit.sqlite_timelimit
    assert response.status_code == 400 and "too long" in response.text
    quick = await ds.client.get("/kb.json?sql=" + urllib.parse.quote("select count(*) from acts"))
    assert quick.status_code == 200 and quick.json()["rows"][0][0] > 0


# --- what the immutable file answers once, and the shapes of the filtered pages ---------------

FILTERED_FACET = ("select [{column}] as value, count(*) as count from (select * from provisions "
                  "where id in (select provision_id from {table} where {code} = :p0)) "
                  "where [{column}] is not null and [{column}] != '' group by [{column}] "
                  "order by count desc, value limit 31")


@pytest.mark.parametrize("table, code, value", [("provision_age_groups", "age_group_code", "AG_AD1"),
                                                ("provision_dimensions", "dimension_code", "PRO")])
def test_facets_of_a_page_filtered_through_a_tag_table_read_the_covering_index(conn, table,
                                                                                code, value):
    """`?…__arraycontains=` is answered as `id in (select provision_id from <tag table> …)`;
    each default facet then counts from idx_provisions_id_facets, not from the rows."""
    for column in [f for f in TABLES["provisions"]["facets"] if isinstance(f, str)]:
        sql = FILTERED_FACET.format(column=column, table=table, code=code)
        lines = plan(conn, sql, {"p0": value})
        assert any("COVERING INDEX idx_provisions_id_facets" in ln for ln in lines), \
            (column, lines)
        want = conn.execute(
            f"select [{column}], count(*) from provisions where id in (select provision_id "
            f"from {table} where {code} = ?) and [{column}] is not null and [{column}] != '' "
            f"group by 1 order by 2 desc, 1 limit 31", (value,)).fetchall()
        assert conn.execute(sql, {"p0": value}).fetchall() == want


@pytest.mark.parametrize("table, code, index", [
    ("provision_age_groups", "age_group_code", "idx_provision_age_groups_code"),
    ("provision_dimensions", "dimension_code", "idx_provision_dimensions_code")])
def test_the_ids_of_a_tag_come_from_the_tag_index_alone(conn, table, code, index):
    """The `id in (select provision_id …)` of an array filter reads the tag table's index with
    the provision id in it, not each tag row (issue 11: one age band is 42,000 rows at 1M)."""
    for sql in (f"select count(*) from provisions where id in (select provision_id from {table} "
                f"where {code} = :p0)",
                FILTERED_FACET.format(column="kind", table=table, code=code)):
        lines = plan(conn, sql, {"p0": "X"})
        assert any(f"{table} USING COVERING INDEX {index} ({code}=?)" in ln for ln in lines), lines


def test_the_planner_statistics_only_describe_the_id_indexes(conn):
    """The written sqlite_stat1 rows: one row per id, SQLite's default table size; nothing
    else is described, so no other plan changes."""
    rows = conn.execute("select tbl, idx, stat from sqlite_stat1 order by idx").fetchall()
    assert rows == [("provisions", "idx_provisions_id_facets", "1048576 1 1 1 1 1 1 1 1"),
                    ("provisions", "sqlite_autoindex_provisions_1", "1048576 1")]


def _counting(conn, name="kb_snippet"):
    from kb import search

    calls = []

    def snippet(text, q):
        calls.append(1)
        return search.snippet(text, q)

    conn.create_function(name, 2, snippet)
    conn.create_function("kb_fts_query", 1, search.build_fts_query)
    return calls


@pytest.mark.parametrize("q", ["детей", "опек*", "буллинг OR насилие", '"право на образование"'])
def test_canned_search_makes_snippets_only_for_the_rows_it_returns(corpus_build, q):
    """Ranked in a subquery, snippets after: in one select SQLite ran kb_snippet (Python) for
    every row that entered the top 200 while ranking. Same rows as the one-select form."""
    c = sqlite3.connect(f"file:{corpus_build[0]}?mode=ro", uri=True)
    calls = _counting(c)
    sql = QUERIES["search"]["sql"]
    got = c.execute(sql, {"q": q}).fetchall()
    assert len(calls) == len(got)
    former = """select p.id, kb_snippet(coalesce(p.heading || '. ', '') || coalesce(p.text, ''), :q),
        a.title, p.path, a.status, p.primary_dimension, p.url
        from provisions_fts join provisions p on p.rowid = provisions_fts.rowid
        join acts a on a.id = p.act_id
        where provisions_fts match kb_fts_query(:q) and p.excluded = 0
        order by bm25(provisions_fts, 4.0, 1.0, 1.0), a.status = 'repealed' limit 200"""
    want = c.execute(former, {"q": q}).fetchall()
    assert [r[0] for r in got] == [r[0] for r in want] and got == want
    c.close()


def test_snippet_marks_the_same_words_as_before(corpus_build):
    """kb.search.snippet looks words up only as far as its window (and remembers them): the
    same output as marking every word of the text first."""
    from kb import search

    def former(text, q, before=12, size=40):
        terms = search.query_terms(q)
        tokens = list(search._TOKEN_RE.finditer(text))
        hits = [i for i, m in enumerate(tokens) if terms and search._is_hit(m.group(0), terms)]
        if not tokens:
            return text[:300]
        first = hits[0] if hits else 0
        lo = max(0, first - before)
        hi = min(len(tokens), lo + size)
        out, pos = ["…" if lo > 0 else ""], tokens[lo].start() if lo > 0 else 0
        for i in range(lo, hi):
            if i in hits:
                m = tokens[i]
                out += [text[pos:m.start()], "<mark>" + m.group(0) + "</mark>"]
                pos = m.end()
        out.append(text[pos:tokens[hi - 1].end() if hi < len(tokens) else len(text)])
        if hi < len(tokens):
            out.append("…")
        return "".join(out).strip()

    c = sqlite3.connect(f"file:{corpus_build[0]}?mode=ro", uri=True)
    texts = [r[0] for r in c.execute("select coalesce(heading || '. ', '') || coalesce(text, '') "
                                     "from provisions where rowid % 23 = 0 limit 1500")]
    c.close()
    for q in ["детей", "опек*", "пособий", "буллинг OR насилие", '"право на образование"', ""]:
        for text in texts:
            assert search.snippet(text, q) == former(text, q), (q, text[:80])


class _Counter:
    """Round trips to Datasette's SQL threads, and the SQL run, while it is installed."""

    def __init__(self, monkeypatch):
        import datasette.database as dd

        self.calls, self.sql = 0, []
        execute_fn, execute = dd.Database.execute_fn, dd.Database.execute

        async def counted_fn(db, fn):
            self.calls += 1
            return await execute_fn(db, fn)

        async def counted(db, sql, *args, **kwargs):
            self.sql.append(sql)
            return await execute(db, sql, *args, **kwargs)

        monkeypatch.setattr(dd.Database, "execute_fn", counted_fn)
        monkeypatch.setattr(dd.Database, "execute", counted)

    def reset(self):
        self.calls, self.sql = 0, []


async def test_an_immutable_database_answers_its_schema_and_whole_table_facets_once(
        corpus_build, monkeypatch):
    """kb/immutable.py: the database page and a table page ask the SQL threads nothing about
    the schema the second time; unfiltered facets are counted once; filtered ones and the rows
    per request; the answers are those of a Datasette without the cache."""
    from kb.serve import make_datasette

    counter = _Counter(monkeypatch)
    ds = make_datasette(corpus_build[0])
    first = {}
    for path in ("/kb", "/kb/provisions", "/kb/amendments.json?_size=5",
                 "/kb/provisions.json?age_group_codes__arraycontains=AG_AD1&_size=3"):
        first[path] = (await ds.client.get(path)).text
    counter.reset()
    page = await ds.client.get("/kb")
    took = re.compile(r"took [0-9.]+ms")
    assert page.status_code == 200 and took.sub("", page.text) == took.sub("", first["/kb"])
    assert counter.calls == 0, counter.sql
    counter.reset()
    table = await ds.client.get("/kb/provisions")
    assert table.status_code == 200
    assert [s for s in counter.sql if "count(*)" in s] == [], counter.sql
    assert counter.calls <= 5, counter.sql         # its rows and their foreign-key labels
    counter.reset()
    filtered = await ds.client.get(
        "/kb/provisions.json?age_group_codes__arraycontains=AG_AD1&_size=3")
    before = json.loads(first["/kb/provisions.json?age_group_codes__arraycontains=AG_AD1&_size=3"])
    assert {k: v for k, v in filtered.json().items() if k != "query_ms"} == \
        {k: v for k, v in before.items() if k != "query_ms"}
    # filtered by tag alone: count, facets and the first page kept too (see the test below)
    assert not [s for s in counter.sql if "provision_age_groups" in s], counter.sql
    # the same answers as Datasette computing everything per request
    import datasette.database as dd

    monkeypatch.setattr("kb.immutable.cache_database", lambda db: False)
    plain = make_datasette(corpus_build[0])
    for path in ("/kb/provisions.json?_size=5", "/kb/amendments.json?_size=5"):
        got = (await ds.client.get(path)).json()
        want = (await plain.client.get(path)).json()
        assert got["facet_results"] == want["facet_results"] and got["rows"] == want["rows"]
    assert dd.Database.execute is not None


def test_which_queries_an_immutable_database_keeps():
    from kb.immutable import is_schema_sql, is_whole_table_aggregate

    assert is_schema_sql("select name from sqlite_master where type in ('table', 'view') "
                         "and name = ? collate nocase")
    assert is_schema_sql("PRAGMA schema_version")
    assert not is_schema_sql("select * from provisions join sqlite_master")
    assert not is_schema_sql("select count(*) from provisions")
    facet = ("select kind as value, count(*) as count from (select * from provisions) where kind "
             "is not null group by kind order by count desc, value limit 31")
    assert is_whole_table_aggregate(facet, {})
    assert not is_whole_table_aggregate(facet.replace("from provisions)",
                                                      "from provisions where act_id = :p0)"),
                                        {"p0": "K1"})
    assert not is_whole_table_aggregate("select * from provisions limit 51", None)
    assert not is_whole_table_aggregate("select count(*), random() from acts", None)


async def test_age_ranking_read_once_per_build_and_the_same_answer(corpus_build, monkeypatch):
    """/age/N ranks the provisions that apply once per age and dimension; the ages the pages
    link to are ranked at start (the startup hook), so a request reads only the rows shown,
    and answers what ranking per request answers."""
    from kb.serve import make_datasette
    from kb.web import pages

    counter = _Counter(monkeypatch)
    unlimited = pages.data.rows_unlimited     # what data.cached reads with (execute_fn)

    async def recorded(db, sql, params=None):
        counter.sql.append(sql)
        return await unlimited(db, sql, params)

    monkeypatch.setattr(pages.data, "rows_unlimited", recorded)
    ds = make_datasette(corpus_build[0])
    await ds.invoke_startup()
    assert sum("row_number()" in s for s in counter.sql) == 19     # 0 to 18 years
    counter.reset()
    first = (await ds.client.get("/age/15.json")).json()
    page = await ds.client.get("/age/15")
    assert not [s for s in counter.sql if "row_number()" in s], "ranked again"
    assert first["total"] > 0 and page.status_code == 200
    # the same as ranking per request, with the limit in SQL as before (a mutable database is
    # never remembered)
    monkeypatch.setattr(pages.data, "cached",
                        lambda datasette, key, sql, params=None: pages.data.rows(
                            pages.data.db_of(datasette), sql, params))
    fresh = make_datasette(corpus_build[0])
    assert (await fresh.client.get("/age/15.json")).json() == first
    for path in ("/age/15.json?dimension=EDU", "/age/7"):
        assert (await fresh.client.get(path)).text == (await ds.client.get(path)).text
    # an unknown dimension is answered, not remembered
    assert (await ds.client.get("/age/15.json?dimension=NOPE")).json()["total"] == 0
    assert not [k for k in ds._kb_web_cache if isinstance(k, tuple) and "NOPE" in k]


TAG_PAGES = ("/kb/provisions.json?age_group_codes__arraycontains=AG_AD1",
             "/kb/provisions.json?dimension_codes__arraycontains=PRO&_size=3",
             "/kb/provisions.json?dimension_codes__arraycontains=EDU"
             "&age_group_codes__arraycontains=AG_PRI",
             "/kb/provisions.json?age_group_codes__arraycontains=AG_AD1&_facet=act_year")


def _without_timing(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if k not in ("query_ms",)}


async def test_a_page_filtered_by_tag_is_counted_faceted_and_read_once(corpus_build,
                                                                       monkeypatch):
    """kb/immutable.py: `?…__arraycontains=` alone (its parameters are tag codes) has its
    count, its facets and its first page of rows read once per served build; the next page
    (`_next`), another filter or a search beside it are read per request; every answer is that
    of a Datasette computing everything per request."""
    from kb.serve import make_datasette

    counter = _Counter(monkeypatch)
    ds = make_datasette(corpus_build[0])
    first = {path: (await ds.client.get(path)).json() for path in TAG_PAGES}
    assert all(first[p]["filtered_table_rows_count"] > 0 for p in TAG_PAGES), first
    counter.reset()
    for path in TAG_PAGES:
        again = await ds.client.get(path)
        assert again.status_code == 200
        assert _without_timing(again.json()) == _without_timing(first[path])
    assert not [s for s in counter.sql if "provision_age_groups" in s
                or "provision_dimensions" in s], counter.sql
    html = await ds.client.get("/kb/provisions?age_group_codes__arraycontains=AG_AD1")
    assert html.status_code == 200 and not [s for s in counter.sql if "count(*)" in s]
    # per request: a later page, a free-text filter beside the tag, a search beside it
    per_request = [f"{TAG_PAGES[0]}&_next={first[TAG_PAGES[0]]['next']}",
                   f"{TAG_PAGES[0]}&heading__contains=" + urllib.parse.quote("ребен"),
                   f"{TAG_PAGES[0]}&_search=" + urllib.parse.quote("детей")]
    for path in per_request:
        await ds.client.get(path)
        counter.reset()
        assert (await ds.client.get(path)).status_code == 200
        assert sum("count(*)" in s for s in counter.sql) >= 2, (path, counter.sql)
    # the same answers as Datasette without the cache
    monkeypatch.setattr("kb.immutable.cache_database", lambda db: False)
    plain = make_datasette(corpus_build[0])
    for path in TAG_PAGES + tuple(per_request):
        got = (await ds.client.get(path)).json()
        want = (await plain.client.get(path)).json()
        for key in ("rows", "facet_results", "filtered_table_rows_count", "next"):
            assert got[key] == want[key], (path, key)


def test_which_filtered_queries_an_immutable_database_keeps():
    from kb.immutable import is_tag_filtered

    through = ("id in (select provision_id from provision_age_groups "
               "where age_group_code = :p0)")
    facet = (f"select kind as value, count(*) as count from (select * from provisions where "
             f"{through}) where kind is not null group by kind order by count desc limit 31")
    rows = f"select * from provisions where {through} order by act_id limit 51"
    assert is_tag_filtered(facet, {"p0": "AG_AD1"})
    assert is_tag_filtered(rows, {"p0": "AG_AD1"})
    both = rows.replace("where id", "where id in (select provision_id from provision_dimensions "
                                     "where dimension_code = :p1) and id")
    assert is_tag_filtered(both, {"p0": "AG_AD1", "p1": "PRO"})
    # another parameter (a free-text filter, a later page's key), free text, a search: no
    assert not is_tag_filtered(rows.replace("order", "and heading like :p1 order"),
                               {"p0": "AG_AD1", "p1": "%ребен%"})
    assert not is_tag_filtered(rows, {"p0": "опека над детьми"})
    # the tag's parameter also used by another filter (Datasette 0.65 names both p0)
    assert not is_tag_filtered(rows.replace("where id", "where heading like :p0 and id"),
                               {"p0": "AG_AD1"})
    assert not is_tag_filtered(rows, {})
    assert not is_tag_filtered(rows.replace("order", "and rowid in (select rowid from "
                                            "provisions_fts where provisions_fts match "
                                            "escape_fts(:p0)) order"), {"p0": "AG_AD1"})
    assert not is_tag_filtered("select count(*), random() from provisions where " + through,
                               {"p0": "AG_AD1"})


SEARCH_AND_AGE = ("/search.json?q=" + urllib.parse.quote("детей"),
                  "/search.json?q=" + urllib.parse.quote("детей") + "&dimension=PRO&page=2",
                  "/search?q=" + urllib.parse.quote("опек*") + "&status=in_force",
                  "/search?q=" + urllib.parse.quote("несуществующееслово"),
                  "/age/15.json", "/age/7.json?dimension=EDU", "/age/15", "/age/3?dimension=HLT")


async def test_search_and_age_answers_are_kept_per_build_and_the_same(corpus_build,
                                                                      monkeypatch):
    """kb/web/data.py remembered(): a search (words, filters, language, page) and an age
    (years, known dimension) are answered once per served build, in a bounded LRU; the pages
    say what they say when every request computes its answer."""
    from kb.serve import make_datasette
    from kb.web import data

    counter = _Counter(monkeypatch)
    ds = make_datasette(corpus_build[0])
    first = {}
    for path in SEARCH_AND_AGE:
        response = await ds.client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        first[path] = response.text
    counter.reset()
    for path in SEARCH_AND_AGE:
        assert (await ds.client.get(path)).text == first[path], path
    assert not [s for s in counter.sql if "provisions_fts" in s or "rowid in" in s], counter.sql
    store = data.answers(ds)
    assert store.hits >= len(SEARCH_AND_AGE) and 0 < len(store.items) <= data.MAX_ANSWERS
    # an unknown dimension is answered, not kept
    assert (await ds.client.get("/age/15.json?dimension=NOPE")).json()["total"] == 0
    assert not [k for k in store.items if "NOPE" in k]
    # the same as computing every answer per request
    monkeypatch.setattr(data, "answers", lambda datasette: None)
    plain = make_datasette(corpus_build[0])
    for path in SEARCH_AND_AGE:
        assert (await plain.client.get(path)).text == first[path], path


def test_the_answers_lru_is_bounded_by_count_and_bytes():
    from kb.web.data import Answers

    store = Answers(size=3, max_bytes=800)
    for i in range(5):
        store.put(i, str(i), 10)
    assert list(store.items) == [2, 3, 4] and store.bytes == 30
    store.put("big", "x", 101)              # more than an eighth of the bytes: not kept
    assert store.get("big") is None
    for i in range(5, 12):
        store.put(i, str(i), 100)
    assert store.bytes <= 800 and len(store.items) <= 3


EVERY_MATCH = """select p.rowid from provisions_fts join provisions p on p.rowid = provisions_fts.rowid
    join acts a on a.id = p.act_id
    where provisions_fts match :q and p.excluded = 0 {filters}
    order by bm25(provisions_fts, 4.0, 1.0, 1.0), a.status = 'repealed', p.rowid"""
EVERY_KAZAKH_MATCH = """with m as materialized (
      select rowid, bm25(provision_texts_fts, 4.0, 1.0) as score from provision_texts_fts
      where provision_texts_fts match :q)
    select p.rowid, min(m.score) as score
    from m join provision_texts t on t.rowid = m.rowid
    join provisions p on p.id = t.provision_id join acts a on a.id = p.act_id
    where t.excluded = 0 and t.lang = 'kaz' and p.excluded = 0 {filters}
    group by p.rowid order by score, a.status = 'repealed', p.rowid"""
FILTER_SQL = {
    "status": "a.status = :status", "form": "a.form = :form", "act": "p.act_id = :act",
    "dimension": "exists (select 1 from provision_dimensions pd where pd.provision_id = p.id"
                 " and pd.dimension_code = :dimension)",
    "age": "exists (select 1 from provision_age_groups pa where pa.provision_id = p.id"
           " and pa.age_group_code = :age)"}


def _sql_facets(c, rowids: list[int]) -> dict:
    """The facets of kb/web/searching.py counted by SQL over the given provisions."""
    out = {k: {} for k in ("dimension", "age", "act", "form", "status")}
    marks = ",".join(map(str, rowids)) or "null"
    for key, sql in (
            ("dimension", f"select pd.dimension_code, count(*) from provision_dimensions pd join "
                          f"provisions p on p.id = pd.provision_id where p.rowid in ({marks}) group by 1"),
            ("age", f"select pa.age_group_code, count(*) from provision_age_groups pa join "
                    f"provisions p on p.id = pa.provision_id where p.rowid in ({marks}) group by 1"),
            ("act", f"select p.act_id, count(*) from provisions p where p.rowid in ({marks}) group by 1"),
            ("form", f"select a.form, count(*) from provisions p join acts a on a.id = p.act_id "
                     f"where p.rowid in ({marks}) group by 1"),
            ("status", f"select a.status, count(*) from provisions p join acts a on a.id = p.act_id "
                       f"where p.rowid in ({marks}) group by 1")):
        out[key] = {k: n for k, n in c.execute(sql) if k not in (None, "")}
    return out


@pytest.mark.parametrize("kazakh", [False, True])
async def test_search_from_the_columns_ranks_counts_and_facets_as_sql(corpus_build, kazakh):
    """kb/web/searching.py ranks every match from the FTS index's rowids and scores and
    filters and counts them with the in-memory columns (kb/web/search_columns.py): the same
    provisions in the same order as SQL joining every match to its provision, act and tag
    tables, with and without each filter, and the same facets as SQL counting them."""
    from kb import search
    from kb.serve import make_datasette
    from kb.web import data, searching

    ds = make_datasette(corpus_build[0])
    cols = await searching.columns(ds)
    c = sqlite3.connect(f"file:{corpus_build[0]}?mode=ro", uri=True)
    act = c.execute("select act_id from provisions group by act_id order by count(*) desc"
                    ).fetchone()[0]
    form = c.execute("select form from acts where id = ?", (act,)).fetchone()[0]
    filters = [{}, {"dimension": "PRO"}, {"dimension": "FAM", "age": "AG_AD1"},
               {"status": "in_force"}, {"status": "repealed"}, {"act": act},
               {"form": form, "dimension": "EDU"}, {"dimension": "NOPE"}]
    words = (["бала", "ата-ана*", "білім", "зорлық"] if kazakh else
             ["детей", "опек*", "пособий", "буллинг OR насилие", '"право на образование"',
              "ребенок инвалид"])
    checked = 0
    for q in words:
        for f in filters:
            params = {"q": search.build_fts_query(q), **f}
            where = "".join(f" and {FILTER_SQL[k]}" for k in f)
            want = [r[0] for r in c.execute((EVERY_KAZAKH_MATCH if kazakh else EVERY_MATCH)
                                            .format(filters=where), params)]
            got, _ = await data.read_together(
                data.db_of(ds), lambda read: searching.ranked_in(read, cols, q, f, kazakh))
            assert got.tolist() == want, (q, f)
            assert await searching.count(ds, q, f, kazakh) == len(want), (q, f)
            assert cols.facets(got) == _sql_facets(c, want), (q, f)
            checked += bool(want)
    assert checked >= len(words) * 3
    c.close()


async def test_search_without_words_lists_the_filters_provisions_in_act_order(corpus_build):
    from kb.serve import make_datasette
    from kb.web import data, searching

    ds = make_datasette(corpus_build[0])
    cols = await searching.columns(ds)
    c = sqlite3.connect(f"file:{corpus_build[0]}?mode=ro", uri=True)
    want = [r[0] for r in c.execute(
        f"""select p.rowid from provisions p join acts a on a.id = p.act_id
            where p.excluded = 0 and {FILTER_SQL['dimension']} order by p.act_id, p.position""",
        {"dimension": "HLT"})]
    got, _ = await data.read_together(
        data.db_of(ds), lambda read: searching.ranked_in(read, cols, "", {"dimension": "HLT"},
                                                         False))
    assert want and got.tolist() == want
    none, _ = await data.read_together(
        data.db_of(ds), lambda read: searching.ranked_in(read, cols, "", {}, False))
    assert len(none) == 0
    c.close()


async def test_act_contents_from_the_build_give_the_same_act_pages(corpus_build, monkeypatch,
                                                                   sql_read):
    """db/contents.py: each act's table of contents is computed by the build (act_contents);
    every act page made from it is the page made from the act's provisions per request, and
    its links reach every section, chapter and article of the act (or, without articles, its
    top-level parts and paragraphs)."""
    from kb.serve import make_datasette
    from kb.web import data

    c = sqlite3.connect(f"file:{corpus_build[0]}?mode=ro", uri=True)
    acts = [r[0] for r in c.execute("select id from acts order by id")]
    assert c.execute("select count(distinct act_id) from act_contents").fetchone()[0] > 0
    ds = make_datasette(corpus_build[0])
    built = {}
    read = sql_read
    for act in acts:
        response = await ds.client.get(f"/acts/{act}")
        assert response.status_code == 200, act
        built[act] = response.text
    # no request read the act's provisions beyond counting them
    assert not [s for s in read if "dimension_codes" in s and "from provisions" in s]
    for act in acts:
        has_articles = c.execute("select 1 from provisions where act_id = ? and kind = 'article'",
                                 (act,)).fetchone()
        kinds = "('section', 'chapter', 'article')" if has_articles else \
            "('section', 'chapter', 'article', 'paragraph')"
        for (slug,) in c.execute(f"select slug from provisions where act_id = ? and kind in "
                                 f"{kinds}", (act,)):
            assert f'href="/acts/{act}/{slugs_path(slug)}"' in built[act], (act, slug)
    # the same pages from the provisions, per request (a build without the table)
    has_table = data.has_table

    async def without(datasette, table):
        return False if table == "act_contents" else await has_table(datasette, table)

    monkeypatch.setattr(data, "has_table", without)
    plain = make_datasette(corpus_build[0])
    for act in acts:
        assert (await plain.client.get(f"/acts/{act}")).text == built[act], act
    c.close()


def slugs_path(slug: str) -> str:
    from kb.web import slugs

    return slugs.slug_to_path(slug)


async def test_a_provision_page_reads_together_and_not_the_acts_slug_map(corpus_build,
                                                                        monkeypatch):
    """kb/web/pages.py provision_context: the page's reads go to the SQL threads in one turn
    (data.read_together) and each link carries its own slug; the act's whole slug map is not
    read. The same pages as with the slugs from the act's map."""
    from kb.serve import make_datasette
    from kb.web import data, slugs

    c = sqlite3.connect(f"file:{corpus_build[0]}?mode=ro", uri=True)
    # provisions with ancestors, an article above them, children and neighbours
    sample = c.execute("""select act_id, slug from provisions where rowid % 97 = 0
                          order by rowid limit 40""").fetchall()
    sample += c.execute("""select act_id, slug from provisions where kind = 'article'
                           order by rowid limit 5""").fetchall()
    c.close()
    ds = make_datasette(corpus_build[0])
    await ds.client.get("/")
    counter = _Counter(monkeypatch)
    act_slugs = data.act_slugs

    async def no_slug_map(*args):
        raise AssertionError("the act's slug map was read")

    monkeypatch.setattr(data, "act_slugs", no_slug_map)
    pages = {}
    for act, slug in sample:
        path = f"/acts/{act}/{slugs.slug_to_path(slug)}"
        counter.reset()
        response = await ds.client.get(path)
        assert response.status_code == 200, path
        assert counter.calls <= 3, (path, counter.calls)    # the provision, then the rest
        pages[path] = response.text
    monkeypatch.setattr(data, "act_slugs", act_slugs)

    async def without_slugs(datasette):
        return False

    monkeypatch.setattr(data, "has_slug", without_slugs)
    plain = make_datasette(corpus_build[0])
    for path, html in pages.items():
        assert (await plain.client.get(path)).text == html, path


async def test_indicator_pages_are_made_at_start_and_the_same(corpus_build, monkeypatch):
    """kb/web/indicators.py indicator_html: what every indicator's page shows is read and made
    at start, the page kept per served build (by code and region); each is the page made per
    request, and made with the visitor's request it is the same HTML."""
    from datasette.utils.asgi import Request

    from kb.serve import make_datasette
    from kb.web import data, indicators, pages

    c = sqlite3.connect(f"file:{corpus_build[0]}?mode=ro", uri=True)
    codes = [r[0] for r in c.execute("select code from indicators order by code")]
    region = c.execute("select indicator_code, area_code from observations "
                       "where area_code <> 'KAZ' limit 1").fetchone()
    c.close()
    assert codes
    ds = make_datasette(corpus_build[0])
    await ds.invoke_startup()
    store = data.answers(ds)
    assert {("indicator context", code, "") for code in codes} <= set(store.items)
    counter = _Counter(monkeypatch)
    paths = [indicators.indicator_url(code) for code in codes]
    if region:
        paths.append(indicators.indicator_url(region[0]) + "?area=" + region[1])
    paths += [indicators.indicator_url(codes[0]) + "?area=NOWHERE"]
    kept = {}
    for path in paths:
        response = await ds.client.get(path)
        assert response.status_code == 200, path
        kept[path] = response.text
    # what the pages show was read at start: none of them read it again (but the region's)
    assert not [s for s in counter.sql if "from observations o" in s and "where o.indicator_code"
                in s][1 if region else 0:]
    assert ("indicator", codes[0], "NOWHERE") not in store.items      # not a region: not kept
    assert (await ds.client.get("/indicators/NO_SUCH_CODE")).status_code == 404
    # the same as making each page per request
    monkeypatch.setattr(data, "answers", lambda datasette: None)
    plain = make_datasette(corpus_build[0])
    for path in paths:
        assert (await plain.client.get(path)).text == kept[path], path
    # and as rendering with the visitor's request
    context = await indicators._page_context(plain, codes[0], "")
    request = Request.fake(indicators.indicator_url(codes[0]))
    request.scope["csrftoken"] = lambda: "token"    # what asgi-csrf gives every request
    with_request = await pages.render(plain, request, "kb_web_indicator.html", context)
    assert with_request.body == kept[indicators.indicator_url(codes[0])]


async def test_a_search_is_answered_in_one_turn_of_the_sql_threads(corpus_build, monkeypatch):
    """kb/web/searching.py answer(): a search's matches, facets and its page's rows and slugs
    are read in one round trip; the total is the one searching.count gives and the page's links
    are the readable URLs."""
    from kb.serve import make_datasette
    from kb.web import data, searching

    ds = make_datasette(corpus_build[0])
    await ds.invoke_startup()
    await ds.client.get("/search?q=" + urllib.parse.quote("школа"))   # loads the morphology
    counter = _Counter(monkeypatch)
    for q in ["детей", "опек*", "право на образование", "баланың"]:
        counter.reset()
        payload = (await ds.client.get("/search.json?q=" + urllib.parse.quote(q))).json()
        assert counter.calls == 1, (q, counter.calls)
        kazakh = q == "баланың"     # ң: a Kazakh word, so the Kazakh texts are searched
        assert payload["total"] == await searching.count(ds, q, {}, kazakh) > 0, q
        assert payload["lang"] == ("kk" if kazakh else "ru")
        wanted = await data.provision_urls(ds, [(r["id"], r["act_id"])
                                                for r in payload["results"]])
        assert [r["url"] for r in payload["results"]] == [wanted[r["id"]]
                                                          for r in payload["results"]]


def test_kb_serve_freezes_what_its_start_made(corpus_build, monkeypatch):
    """kb/serve.py: after the start (the answers made for every visitor) and before serving,
    the objects made so far leave the cyclic GC's generations (gc.freeze)."""
    import gc

    import uvicorn

    from kb import serve as serve_module
    from kb.web import data

    seen = {}

    def frozen():
        seen["answers"] = len(data.answers(seen["ds"]).items) if "ds" in seen else None
        seen["frozen"] = True

    make = serve_module.make_datasette

    def recorded(*args, **kwargs):
        seen["ds"] = make(*args, **kwargs)
        return seen["ds"]

    monkeypatch.setattr(serve_module, "make_datasette", recorded)
    monkeypatch.setattr(gc, "freeze", frozen)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.setdefault("served", True))
    monkeypatch.setattr(serve_module.signal, "signal", lambda *args: None)
    db = corpus_build[0]
    serve_module.serve(db, port=0)
    assert seen.get("frozen") and seen.get("served") and seen["answers"] > 0


async def test_kb_serve_makes_the_tag_filtered_pages_at_start(corpus_build, monkeypatch):
    """kb/immutable.py warm_tag_filtered (run by kb serve once started): the page of
    provisions filtered by each dimension and age group code is asked for once, so a visitor's
    request reads no tag table; the answers are those of a server that did not make them."""
    from kb.immutable import warm_tag_filtered
    from kb.serve import make_datasette

    ds = make_datasette(corpus_build[0])
    await ds.invoke_startup()
    c = sqlite3.connect(f"file:{corpus_build[0]}?mode=ro", uri=True)
    codes = c.execute("select (select count(*) from dimensions) + "
                      "(select count(*) from age_groups)").fetchone()[0]
    c.close()
    assert await warm_tag_filtered(ds) == codes
    counter = _Counter(monkeypatch)
    paths = ["/kb/provisions?dimension_codes__arraycontains=PRO",
             "/kb/provisions?age_group_codes__arraycontains=AG_AD1"]
    for path in paths:
        assert (await ds.client.get(path)).status_code == 200
    assert not [s for s in counter.sql if "provision_dimensions" in s
                or "provision_age_groups" in s], counter.sql
    plain = make_datasette(corpus_build[0])
    for path in paths:
        json_path = path.replace("/kb/provisions?", "/kb/provisions.json?")
        assert _without_timing((await ds.client.get(json_path)).json()) == \
            _without_timing((await plain.client.get(json_path)).json()), path


# every match of a search, ranked as the canned query ranks them (the shape it had before it took
# the best 2,000 from the index first): the oracle for the test below
_ALL_MATCHES = """select p.id as id, bm25(provisions_fts, 4.0, 1.0, 1.0) as rank,
    a.status = 'repealed' as repealed
  from provisions_fts
  join provisions p on p.rowid = provisions_fts.rowid
  join acts a on a.id = p.act_id
  where provisions_fts match kb_fts_query(:q) and p.excluded = 0
  order by rank, repealed"""


@pytest.mark.parametrize("window", [2000, 300, 150])
async def test_the_canned_search_ranks_from_the_index_first_and_answers_as_over_every_match(
        corpus_build, window):
    """metadata.yml's kb/search joins only the best `window` matches to their provisions, and
    every match only when the 200 rows shown could lie beyond them: its rows are the best 200 of
    every match (up to the order of equal ranks). window 300 and 150 are the same SQL with a
    smaller window, so both branches are exercised on the corpus build (150 < 200 always falls
    back)."""
    from kb.serve import make_datasette

    sql = yaml.safe_load((REPO / "metadata.yml").read_text(encoding="utf-8"))[
        "databases"]["kb"]["queries"]["search"]["sql"]
    assert sql.count("2000") == 2          # the window and its test
    sql = sql.replace("2000", str(window))
    db = make_datasette(corpus_build[0]).get_database("kb")
    for q in ("детей", "ребенок", "пособие", "опека", "школ", "несовершеннолетних труд"):
        every = (await db.execute(_ALL_MATCHES, {"q": q})).rows
        got = [r["provision_id"] for r in (await db.execute(sql, {"q": q})).rows]
        rank = {r["id"]: (round(r["rank"], 9), r["repealed"]) for r in every}
        assert len(got) == min(200, len(every)), q
        ranks = [rank[i] for i in got]
        assert ranks == sorted(ranks), q
        assert ranks == [(round(r["rank"], 9), r["repealed"]) for r in every[:200]], q
    assert len(every) > 0


async def test_visitors_asking_together_for_a_new_answer_share_one_computation(corpus_build):
    """data.remembered: requests for a key being computed wait for that computation (issue 11:
    eight visitors of the same new search made eight rankings); a failed one keeps nothing and
    fails for each of them, and the next request computes again."""
    import asyncio

    from kb.serve import make_datasette
    from kb.web import data

    ds = make_datasette(corpus_build[0])
    assert data.answers(ds) is not None
    calls = []

    async def compute():
        calls.append(1)
        await asyncio.sleep(0.05)
        return {"answer": len(calls)}

    got = await asyncio.gather(*(data.remembered(ds, ("test", "together"), compute)
                                 for _ in range(8)))
    assert len(calls) == 1 and got == [{"answer": 1}] * 8
    assert await data.remembered(ds, ("test", "together"), compute) == {"answer": 1}

    async def failing():
        calls.append(1)
        await asyncio.sleep(0.05)
        raise RuntimeError("no")

    calls.clear()
    results = await asyncio.gather(*(data.remembered(ds, ("test", "fails"), failing)
                                     for _ in range(4)), return_exceptions=True)
    assert len(calls) == 1 and all(isinstance(r, RuntimeError) for r in results)
    assert ("test", "fails") not in data.answers(ds).items
    assert await data.remembered(ds, ("test", "fails"), compute) == {"answer": 2}
