"""What an immutable database answers once per served build (issue 11).

A database served with `-i` (what `kb serve` and `datasette package` do) is a file that cannot
change while it is served, so its schema and the aggregates over whole tables are the same for
every request. Datasette 0.65 still asks SQLite for them on every page:

* Schema: every page of Datasette re-reads the schema through its SQL threads — the database
  page `/kb` made 173 round trips (table columns, primary keys and FTS table of each of ~40
  tables, and a `sqlite_master` look-up per permission check), a table page 20 to 45. Each
  round trip is a turn in the SQL threads' queue: at a million provisions, under load, the
  database page took 2 s while its queries took 6 ms. Here the introspection methods of an
  immutable database, its `sqlite_master`/`PRAGMA` look-ups and Datasette's per-request
  schema refresh are answered once and then from memory.
* Aggregates over a whole table: the default facets of an unfiltered table page and the
  `count(*)` of a view are queries without parameters; on an immutable file each has one
  answer. They are computed on first use and kept (at most MAX_AGGREGATES answers of at most
  MAX_AGGREGATE_ROWS rows) — like the table counts Datasette already takes from the inspect
  file. At a million provisions the four default facets of `/kb/provisions` read four
  million index entries (230 ms) on every request before.
* Pages filtered by tag alone (`/kb/provisions?age_group_codes__arraycontains=AG_AD1`, which
  kb/security.py turns into `id in (select provision_id from provision_age_groups where
  age_group_code = :p0)`): their count, their facets and their first page of rows. Every
  parameter of such a query is a tag code, none free text, so there are few of them and each
  has one answer on an immutable file. At a million provisions one age band is 42,000
  provisions: the rows query read all of them to sort by act (87 ms) and the count and each
  of four facets looked up the 42,000 ids (27–35 ms each), on every request. Kept in their own
  LRUs: MAX_FILTERED aggregates (at most MAX_AGGREGATE_ROWS rows each) and MAX_FILTERED_PAGES
  pages of rows (at most MAX_FILTERED_PAGE_ROWS rows each, i.e. Datasette's default page and
  up to `_size=100`). A page after the first (`_next=`, a parameter that is not a tag code),
  any other filter, a search (`_search=`) or a free-text value is read per request.

Rows of unfiltered table pages, searches and every other query with parameters are read per
request. A query that fails or times out is not kept. `install(datasette)` runs from the
`asgi_wrapper` hook (kb/security.py), so `kb serve`, the tests and `datasette package` get
the same behaviour.
"""
from __future__ import annotations

import copy
import re
from collections import OrderedDict

# Database methods whose answer depends only on the schema (and on metadata, fixed at start)
SCHEMA_METHODS = ("table_names", "view_names", "table_exists", "table_columns",
                  "table_column_details", "primary_keys", "fts_table", "label_column_for_table",
                  "foreign_keys_for_table", "get_all_foreign_keys", "hidden_table_names",
                  "attached_databases", "get_table_definition", "get_view_definition")
MAX_SCHEMA_QUERIES = 2048      # sqlite_master look-ups (one per table name asked for)
MAX_AGGREGATES = 512           # parameterless aggregates kept (LRU)
MAX_AGGREGATE_ROWS = 1000
MAX_FILTERED = 512             # counts and facets of pages filtered by tag alone (LRU)
MAX_FILTERED_PAGES = 64        # first pages of rows of such pages (LRU)
MAX_FILTERED_PAGE_ROWS = 101

_SCHEMA_SQL = re.compile(r"^\s*(pragma\s+(schema_version|database_list)\b|select\b[^;]*\bfrom\s+"
                         r"sqlite_master\b(?![^;]*\b(join|from\s+(?!sqlite_master)\w)))",
                         re.I | re.S)
_AGGREGATE_SQL = re.compile(r"\bcount\s*\(", re.I)
_VOLATILE_SQL = re.compile(r"\b(random|randomblob|changes|last_insert_rowid)\s*\(|'now'|"
                           r"\bcurrent_(date|time|timestamp)\b", re.I)
# `id in (select provision_id from <tag table> where <code column> = :pN)`: Datasette's
# `_through` filter, which kb/security.py makes of `?…__arraycontains=` on provisions
_TAG_CONDITION = re.compile(r"\bin\s*\(\s*select\s+\[?provision_id\]?\s+from\s+"
                            r"\[?(provision_dimensions|provision_age_groups)\]?\s+where\s+"
                            r"\[?(dimension_code|age_group_code)\]?\s*=\s*:(\w+)\s*\)", re.I)
_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_MATCH_SQL = re.compile(r"\bmatch\b", re.I)
_PARAM = re.compile(r"[:@$]\w|\?")


def is_schema_sql(sql: str) -> bool:
    """A look-up of the schema alone (sqlite_master, schema version, attached databases)."""
    return bool(_SCHEMA_SQL.match(sql))


def is_whole_table_aggregate(sql: str, params) -> bool:
    """An aggregate with no parameters: a facet or count of a whole, unfiltered table."""
    return (not params and bool(_AGGREGATE_SQL.search(sql)) and not is_schema_sql(sql)
            and not _VOLATILE_SQL.search(sql))


def is_tag_filtered(sql: str, params) -> bool:
    """A query of a page filtered by tag alone: every parameter is the code of a tag-table
    condition (a short code, not free text); no full-text match, nothing volatile."""
    if not params or not isinstance(params, dict) or is_schema_sql(sql):
        return False
    bound = {m.group(3) for m in _TAG_CONDITION.finditer(sql)}
    # no parameter used anywhere else (Datasette 0.65 names a `_through` parameter p0 even
    # when another filter's is p0 already: `heading like :p0 and id in (… = :p0)`)
    return (bool(bound) and set(params) <= bound
            and not _PARAM.search(_TAG_CONDITION.sub("", sql))
            and all(isinstance(v, str) and _CODE.match(v) for v in params.values())
            and not _MATCH_SQL.search(sql) and not _VOLATILE_SQL.search(sql))


class LRU:
    """At most `size` entries, and with `max_bytes` at most that many bytes of the sizes put
    gives them (an entry over an eighth of it is not kept); the least recently used go first.
    `items` maps key → (value, bytes)."""

    def __init__(self, size: int, max_bytes: int | None = None):
        self.size, self.max_bytes, self.bytes = size, max_bytes, 0
        self.items: OrderedDict = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key):
        if key in self.items:
            self.items.move_to_end(key)
            self.hits += 1
            return self.items[key][0]
        self.misses += 1
        return None

    def put(self, key, value, size: int = 0) -> None:
        if self.max_bytes is not None and size > self.max_bytes // 8:
            return
        if key in self.items:
            self.bytes -= self.items.pop(key)[1]
        self.items[key] = (value, size)
        self.bytes += size
        while len(self.items) > self.size or (self.max_bytes is not None
                                              and self.bytes > self.max_bytes):
            self.bytes -= self.items.popitem(last=False)[1][1]


def _memoised(method):
    answers: dict = {}

    async def cached(*args, **kwargs):
        key = (args, tuple(sorted(kwargs.items())))
        if key not in answers:
            answers[key] = await method(*args, **kwargs)
        # a copy: callers may change the lists and dicts they get
        return copy.deepcopy(answers[key])

    cached.__wrapped__ = method
    return cached


def _params_key(params):
    if not params:
        return ()
    if isinstance(params, dict):
        return tuple(sorted(params.items()))
    return tuple(params)


def cache_database(db) -> bool:
    """Answer `db`'s schema and whole-table aggregates once; False if it is mutable."""
    if db.is_mutable or db.is_memory or getattr(db, "_kb_immutable_cache", None) is not None:
        return False
    for name in SCHEMA_METHODS:
        if hasattr(db, name):
            setattr(db, name, _memoised(getattr(db, name)))
    schema, aggregates = LRU(MAX_SCHEMA_QUERIES), LRU(MAX_AGGREGATES)
    filtered, pages = LRU(MAX_FILTERED), LRU(MAX_FILTERED_PAGES)
    execute = db.execute

    async def cached_execute(sql, params=None, truncate=False, custom_time_limit=None,
                             page_size=None, log_sql_errors=True):
        limit = MAX_AGGREGATE_ROWS
        if is_schema_sql(sql):
            store, limit = schema, None
        elif is_whole_table_aggregate(sql, params):
            store = aggregates
        elif is_tag_filtered(sql, params):
            if _AGGREGATE_SQL.search(sql):
                store = filtered
            else:
                store, limit = pages, MAX_FILTERED_PAGE_ROWS
        else:
            return await execute(sql, params, truncate=truncate,
                                 custom_time_limit=custom_time_limit, page_size=page_size,
                                 log_sql_errors=log_sql_errors)
        key = (sql, _params_key(params), truncate, page_size)
        found = store.get(key)
        if found is None:
            found = await execute(sql, params, truncate=truncate,
                                  custom_time_limit=custom_time_limit, page_size=page_size,
                                  log_sql_errors=log_sql_errors)
            if limit is None or len(found.rows) <= limit:
                store.put(key, found)
        return found

    cached_execute.__wrapped__ = execute
    db.execute = cached_execute
    db._kb_immutable_cache = (schema, aggregates, filtered, pages)
    return True


# the tag filters of /kb/provisions (kb/security.py THROUGH): {JSON column: code table}
TAG_FILTERS = {"dimension_codes": "dimensions", "age_group_codes": "age_groups"}


async def warm_tag_filtered(datasette, database: str = "kb") -> int:
    """Ask for the page of provisions filtered by each tag code once (e.g.
    `/kb/provisions?age_group_codes__arraycontains=AG_AD1`), so that its count, facets and
    first page are kept (is_tag_filtered) before the first visitor: `kb serve` calls it after
    the start, for an immutable database. At a million provisions the first request of one
    age band took 300 ms of the server alone (its 42,000 provisions sorted by act, counted and
    faceted four times) and 700-850 ms under load; 21 codes, about 5 s more at start.
    → how many pages were made."""
    db = datasette.databases.get(database)
    if db is None or db.is_mutable or not await db.table_exists("provisions"):
        return 0
    made = 0
    for column, table in TAG_FILTERS.items():
        if not await db.table_exists(table):
            continue
        for (code,) in (await db.execute(f"select code from [{table}] order by code")).rows:
            if not code or not _CODE.match(code) or \
                    len(filtered_pages(db)) >= MAX_FILTERED_PAGES:
                continue
            response = await datasette.client.get(
                f"/{database}/provisions?{column}__arraycontains={code}")
            made += response.status_code == 200
    return made


def filtered_pages(db) -> OrderedDict:
    """The first pages of rows kept for tag-filtered queries (cache_database), by key."""
    return db._kb_immutable_cache[3].items if getattr(db, "_kb_immutable_cache", None) \
        else {}


def install(datasette) -> None:
    """Cache every immutable database of `datasette`, and refresh Datasette's schema tables
    only when the set of databases changes while all of them are immutable."""
    for db in list(datasette.databases.values()):
        cache_database(db)
    if getattr(datasette, "_kb_refresh_once", False):
        return
    refresh = datasette.refresh_schemas
    refreshed: dict = {}

    async def refresh_schemas():
        names = tuple(sorted(datasette.databases))
        if refreshed.get("names") == names:
            return
        for db in list(datasette.databases.values()):
            cache_database(db)      # a database added after start
        await refresh()
        if all(not db.is_mutable for name, db in datasette.databases.items()
               if name != "_internal"):
            refreshed["names"] = names

    datasette.refresh_schemas = refresh_schemas
    datasette._kb_refresh_once = True
