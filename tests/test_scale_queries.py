"""Query shapes that hold at a million provisions (issue 11), checked on the corpus build.

No timings here (bench/scale.py measures them): query plans and equal results. Every default
facet and sort column of the tables that grow with the corpus is read through an index; the
canned query by dimension and age band starts from the indexed tag tables and finds what the
former `in (subquery)` form found; coverage is a table holding exactly the view's rows.
"""
from __future__ import annotations

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
limit 1000
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
