"""What the pages read from the `kb` database, as plain dicts.

Everything runs through `datasette.get_database("kb").execute(...)` with parameters. Columns
added by later schema versions (`provisions.slug`, `acts.edition_date`, `acts.title_kk`,
`acts.child_provisions`, `provisions.pdf_check` …) are used when the database has them.
The database is published immutable, so per-act slug maps are cached for the process.
"""
from __future__ import annotations

import asyncio
import json
import urllib.parse

from kb.immutable import LRU
from kb.web import slugs

DATABASE = "kb"
MAX_SLUG_MAPS = 64          # whole-act slug maps kept (an LRU: a code's is 5,000 slugs)


def db_of(datasette):
    return datasette.get_database(DATABASE)


async def rows(db, sql, params=None) -> list[dict]:
    return [dict(r) for r in (await db.execute(sql, params or {})).rows]


async def rows_unlimited(db, sql, params=None) -> list[dict]:
    """rows() without the per-request SQL time limit (Datasette's execute_fn sets none)."""
    def run(conn):
        cursor = conn.execute(sql, params or {})
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r)) for r in cursor.fetchall()]

    return await db.execute_fn(run)


async def read_together(db, reads):
    """Run `reads(read)` in one turn of the SQL threads, where `read(sql, params)` → rows as
    dicts: several small reads of one page (and reads that depend on each other) wait in the
    threads' queue once, not once each (issue 11: under load each turn waited behind the
    other pages' queries). Held to the SQL time limit like db.execute (its checks restart at
    each read); an interrupted read raises QueryInterrupted, as db.execute does."""
    import sqlite3

    import datasette.database as dd

    limit_ms = db.ds.sql_time_limit_ms

    def run(conn):
        def read(sql, params=None):
            with dd.sqlite_timelimit(conn, limit_ms):
                try:
                    cursor = conn.execute(sql, params or {})
                    names = [d[0] for d in cursor.description]
                    return [dict(zip(names, r)) for r in cursor.fetchall()]
                except (sqlite3.OperationalError, sqlite3.DatabaseError) as e:
                    if e.args == ("interrupted",):
                        raise dd.QueryInterrupted(e, sql, params)
                    raise

        return reads(read)

    return await db.execute_fn(run)


def _cache(datasette) -> dict:
    cache = getattr(datasette, "_kb_web_cache", None)
    if cache is None:
        cache = {}
        datasette._kb_web_cache = cache
    return cache


async def columns(datasette, table: str) -> set[str]:
    cache = _cache(datasette)
    key = ("columns", table)
    if key not in cache:
        cache[key] = set(await db_of(datasette).table_columns(table))
    return cache[key]


async def has_table(datasette, table: str) -> bool:
    cache = _cache(datasette)
    key = ("table", table)
    if key not in cache:
        found = await rows(db_of(datasette), "select 1 from sqlite_master where name = :n",
                           {"n": table})
        cache[key] = bool(found)
    return cache[key]


# --- slugs and URLs --------------------------------------------------------------------------


async def has_slug(datasette) -> bool:
    """The provisions carry their slug (every build since the slug scheme)."""
    return "slug" in await columns(datasette, "provisions")


async def act_slugs(datasette, act_id: str) -> dict[str, str]:
    """provision id → slug for one act (the slug column, or derived from the tree)."""
    # bounded, in their own LRU: whole-act slug maps of a million provisions fill memory, and
    # clearing the page cache they once shared dropped the answers kept beside them (issue 11)
    cache = _cache(datasette).setdefault("slugs", LRU(MAX_SLUG_MAPS))
    found = cache.get(act_id)
    if found is not None:
        return found
    db = db_of(datasette)
    if "slug" in await columns(datasette, "provisions"):
        found = await rows(db, "select id, slug from provisions where act_id = :a", {"a": act_id})
        result = {r["id"]: r["slug"] for r in found if r["slug"]}
    else:
        found = await rows(db, """select id, parent_id, kind, number, heading, path
                                  from provisions where act_id = :a order by position""",
                           {"a": act_id})
        result = slugs.derive_slugs(found)
    cache.put(act_id, result)
    return result


def act_url(act_id: str) -> str:
    return "/acts/" + urllib.parse.quote(act_id, safe="")


def provision_url(act_id: str, slug: str | None) -> str:
    if not slug:
        return act_url(act_id)
    return act_url(act_id) + "/" + slugs.slug_to_path(slug)


async def provision_urls(datasette, pairs) -> dict[str, str]:
    """{provision id: readable URL} for (provision id, act id) pairs."""
    pairs = list(pairs)
    if "slug" in await columns(datasette, "provisions"):
        # the slugs of these provisions only: a page of results may name hundreds of acts, and
        # whole-act slug maps of a million provisions would fill the server's memory (issue 11)
        found = {}
        ids = [pid for pid, _ in pairs]
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ", ".join(f":p{j}" for j in range(len(chunk)))
            for r in await rows(db_of(datasette), f"select id, slug from provisions "
                                f"where id in ({marks})", {f"p{j}": v for j, v in enumerate(chunk)}):
                found[r["id"]] = r["slug"]
        return {pid: provision_url(act_id, found.get(pid)) for pid, act_id in pairs}
    out = {}
    for pid, act_id in pairs:
        slug = (await act_slugs(datasette, act_id)).get(pid)
        out[pid] = provision_url(act_id, slug)
    return out


async def provision_by_slug(datasette, act_id: str, slug: str) -> dict | None:
    db = db_of(datasette)
    if "slug" in await columns(datasette, "provisions"):
        found = await rows(db, "select * from provisions where act_id = :a and slug = :s",
                           {"a": act_id, "s": slug})
        return found[0] if found else None
    by_slug = {s: pid for pid, s in (await act_slugs(datasette, act_id)).items()}
    pid = by_slug.get(slug)
    if pid is None:
        return None
    found = await rows(db, "select * from provisions where id = :id", {"id": pid})
    return found[0] if found else None


async def resolve_old_id(datasette, provision_id: str) -> str | None:
    """The readable URL for a provision id, current or from before the slug scheme."""
    db = db_of(datasette)
    found = await rows(db, "select id, act_id from provisions where id = :id",
                       {"id": provision_id})
    if found:
        return (await provision_urls(datasette, [(found[0]["id"], found[0]["act_id"])]))[
            found[0]["id"]]
    # old ids are {act_id}-{rest}; act ids have no "-", so split at the first one
    act_id, sep, rest = provision_id.partition("-")
    if not sep or not rest:
        return None
    act = await rows(db, "select id from acts where id = :a", {"a": act_id})
    if not act:
        return None
    for candidate in slugs.old_id_candidates(act_id, rest):
        if await provision_by_slug(datasette, act_id, candidate):
            return provision_url(act_id, candidate)
    anchor, _, sub = rest.partition(".")
    if anchor.startswith("z"):
        # an Adilet anchor id: the provision that owns the anchor, or its numbered subpart
        owner = await rows(db, """select id from provisions where act_id = :a and anchor = :z
                                  and anchor_inherited = 0 order by position limit 1""",
                           {"a": act_id, "z": anchor})
        if owner and sub:
            owner = await rows(db, """select id from provisions where parent_id = :p
                                      and number = :n order by position limit 1""",
                               {"p": owner[0]["id"], "n": sub})
        if owner:
            pid = owner[0]["id"]
            return provision_url(act_id, (await act_slugs(datasette, act_id)).get(pid))
    return None


# --- reference data --------------------------------------------------------------------------
# The database is immutable while served: what is the same for every visitor is read once.


async def cached(datasette, key: str, sql: str, params=None) -> list[dict]:
    """Read once per served build, so not held to the per-request SQL time limit: the home
    page's counts scan every provision (over a second at a million on a cold file cache, issue
    11), and a time-out would fail every visitor until one request happened to finish in time."""
    cache = _cache(datasette)
    if key not in cache:
        cache[key] = await rows_unlimited(db_of(datasette), sql, params)
    return cache[key]


# Whole answers of pages with parameters (a search, an age), per served build: bounded, as
# their keys come from the visitors (issue 11). At a million provisions a search ranks every
# match with bm25 (45 ms for «детей», 36,000 matches), /age/N.json reads 2,600 rows: the same
# answer for every visitor of an immutable file.
MAX_ANSWERS = 256
MAX_ANSWER_BYTES = 96 * 1024 * 1024


class Answers(LRU):
    """The LRU of kept answers (at most MAX_ANSWERS, MAX_ANSWER_BYTES of their sizes) and the
    computations under way, by key (remembered)."""

    def __init__(self, size: int = MAX_ANSWERS, max_bytes: int = MAX_ANSWER_BYTES):
        super().__init__(size, max_bytes)
        self.pending: dict = {}         # key -> the task computing it (one per key at a time)


def answers(datasette) -> Answers | None:
    """The per-build answers of an immutable kb database; None for a mutable one."""
    try:
        if db_of(datasette).is_mutable:
            return None
    except KeyError:
        return None
    cache = _cache(datasette)
    if "answers" not in cache:
        cache["answers"] = Answers()
    return cache["answers"]


async def remembered(datasette, key, compute, size=None):
    """compute()'s answer, kept per served build under key (an immutable database only);
    size(answer) → bytes it holds, len(json) by default. A failed compute() keeps nothing.

    Requests that ask for a key while it is being computed wait for that computation instead
    of starting their own: eight visitors arriving together for the same new search made eight
    rankings of its 36,000 matches on two cores (issue 11). The computation runs as its own task,
    so a visitor who leaves does not cancel it for the others."""
    store = answers(datasette)
    if store is None:
        return await compute()
    found = store.get(key)
    if found is not None:
        return found
    task = store.pending.get(key)
    if task is None:
        task = store.pending[key] = asyncio.ensure_future(compute())

        def done(t, key=key):
            store.pending.pop(key, None)
            if not t.cancelled() and t.exception() is None:
                answer = t.result()
                store.put(key, answer, size(answer) if size else
                          len(json.dumps(answer, ensure_ascii=False, default=str)))

        task.add_done_callback(done)
    return await asyncio.shield(task)


async def home_figures(datasette):
    stats = (await cached(datasette, "home_stats", """select count(*) as provisions,
        sum(dimension_codes is not null and dimension_codes not in ('', '[]')) as tagged
        from provisions where excluded = 0"""))[0]
    langs = await cached(datasette, "home_langs", """select lang, count(*) as acts
        from act_texts group by lang
        order by case lang when 'rus' then 0 when 'kaz' then 1 else 2 end""")
    dims = await cached(datasette, "home_dims", """select d.code, d.name_ru, d.name_kk,
        d.name_en, count(pd.provision_id) as provisions
        from dimensions d left join provision_dimensions pd on pd.dimension_code = d.code
        group by d.code order by d.position, d.code""")
    return stats, langs, dims



async def dimensions(datasette) -> list[dict]:
    cache = _cache(datasette)
    if "dimensions" not in cache:
        cache["dimensions"] = await rows(db_of(datasette),
                                         "select * from dimensions order by position, code")
    return cache["dimensions"]


async def age_bands(datasette) -> list[dict]:
    cache = _cache(datasette)
    if "bands" not in cache:
        cache["bands"] = await rows(db_of(datasette), """select * from age_groups
            where kind = 'band' order by position, code""")
    return cache["bands"]


async def acts(datasette) -> list[dict]:
    cache = _cache(datasette)
    if "acts" not in cache:
        # the acts that say most about children first, where the build counts them
        most = "child_provisions desc," if "child_provisions" in await columns(
            datasette, "acts") else ""
        cache["acts"] = await rows(db_of(datasette), f"""select * from acts
            order by status = 'repealed', {most} date_adopted desc, id""")
    return cache["acts"]


async def act(datasette, act_id: str) -> dict | None:
    for a in await acts(datasette):
        if a["id"] == act_id:
            return a
    return None
