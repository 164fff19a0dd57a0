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
    assert sum("count(*)" in s for s in counter.sql) >= 4   # facets and count, per request
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
