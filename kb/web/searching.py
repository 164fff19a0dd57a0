"""Search with facets for /search and /search.json.

The matching set is read once (ids and the columns facets need, ranked by bm25), facets are
counted over it in Python, and only the page shown gets snippets. Russian queries search
`provisions_fts` (lemmas, so any word form); a query with Kazakh letters, or `lang=kk`,
searches the Kazakh texts (`provision_texts_fts`, stems) and shows their aligned provisions.
An empty result explains itself: the forms searched, the filters that emptied it, and
related words from `kb/data/synonyms.yml` that do find something.
"""
from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from pathlib import Path

import yaml

from kb import morph, search
from kb.web import data

SYNONYMS = Path(__file__).resolve().parents[1] / "data" / "synonyms.yml"
# facets are counted over at most this many ranked matches (the total is counted apart):
# reading 20,000 took 200 ms of a 330 ms page at a million provisions (issue 11)
MAX_MATCHES = 2_000
PAGE_SIZE = 20
FILTERS = ("dimension", "age", "act", "form", "status")


@lru_cache(maxsize=1)
def synonym_groups() -> list[list[str]]:
    """Groups of related words (lemmas, ё folded); a word may be in several groups."""
    raw = yaml.safe_load(SYNONYMS.read_text(encoding="utf-8")) or {}
    groups = []
    for group in raw.get("groups", []):
        words = [morph.normalise(str(w)) for w in group]
        if len(words) > 1:
            groups.append(words)
    return groups


def related_words(q: str) -> list[str]:
    """Words related to any word of q, by lemma or by the word itself."""
    wanted = set()
    for item in search.parse_query(q):
        for w in item[1] if item[0] == "phrase" else [item[1]] if item[0] == "word" else []:
            wanted |= {morph.normalise(w), morph.lemma(w)}
    out = []
    for group in synonym_groups():
        lemmas = {morph.lemma(w) for w in group} | set(group)
        if wanted & lemmas:
            out += [w for w in group if w not in wanted and morph.lemma(w) not in wanted]
    return list(dict.fromkeys(out))


def wants_kazakh(q: str, lang: str | None) -> bool:
    if lang in ("kk", "kaz"):
        return True
    if lang in ("ru", "rus"):
        return False
    return any(search.is_kazakh(w) for w in morph.words(q or ""))


def _filters_sql(f: dict, params: dict) -> str:
    where = []
    if f.get("status") in ("in_force", "repealed"):
        where.append("a.status = :status")
        params["status"] = f["status"]
    if f.get("form"):
        where.append("a.form = :form")
        params["form"] = f["form"]
    if f.get("act"):
        where.append("p.act_id = :act")
        params["act"] = f["act"]
    if f.get("dimension"):
        where.append("exists (select 1 from provision_dimensions pd where pd.provision_id = p.id"
                     " and pd.dimension_code = :dimension)")
        params["dimension"] = f["dimension"]
    if f.get("age"):
        where.append("exists (select 1 from provision_age_groups pag where pag.provision_id = p.id"
                     " and pag.age_group_code = :age)")
        params["age"] = f["age"]
    return "".join(f" and {w}" for w in where)


async def matches(datasette, q: str, f: dict, kazakh: bool) -> list[dict]:
    """The first MAX_MATCHES matches of q with filters f, ranked (one turn of the SQL
    threads)."""
    return await data.read_together(data.db_of(datasette),
                                     lambda read: matches_in(read, q, f, kazakh))


async def answer(datasette, q: str, f: dict, kazakh: bool, page: int):
    """What a search's page needs, in one turn of the SQL threads (data.read_together): the
    ranked matches, the count of every match when they are more than MAX_MATCHES, and the
    slug, heading and text of the page's rows. Under load each turn waits behind the other
    pages' queries; a search made four or five (issue 11).

    → (matches, count or None, {id: {slug, heading, text}} of the page's rows)."""
    excluded = await excluded_rowids(datasette)
    slug = ", slug" if await data.has_slug(datasette) else ""

    def reads(read):
        found = matches_in(read, q, f, kazakh)
        total = count_in(read, q, f, kazakh, excluded) \
            if q and len(found) >= MAX_MATCHES else None
        shown = [r["id"] for r in found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]]
        details = {}
        if shown:
            marks = ",".join(f":p{i}" for i in range(len(shown)))
            details = {r["id"]: r for r in read(
                f"select id, heading, text{slug} from provisions where id in ({marks})",
                {f"p{i}": v for i, v in enumerate(shown)})}
        return found, total, details

    return await data.read_together(data.db_of(datasette), reads)


def matches_in(read, q: str, f: dict, kazakh: bool) -> list[dict]:
    params = {"limit": MAX_MATCHES}
    filters = _filters_sql(f, params)
    # the act's form and status from acts (provisions' copies may be unset in older builds)
    cols = ("p.id, p.act_id, a.form as act_form, a.status as act_status, p.dimension_codes, "
            "p.age_group_codes, p.path, p.heading, p.kind, p.number, p.position")
    if not (q or "").strip():
        if not any(f.get(k) for k in FILTERS):
            return []
        return read(f"""select {cols}, p.text from provisions p
            join acts a on a.id = p.act_id where p.excluded = 0 {filters} order by p.act_id, p.position limit :limit""", params)
    params["q"] = search.build_fts_query(q)
    if kazakh:
        return read(f"""select {cols}, t.text as text_kk, t.heading as heading_kk
            from provision_texts_fts
            join provision_texts t on t.rowid = provision_texts_fts.rowid
            join provisions p on p.id = t.provision_id join acts a on a.id = p.act_id
            where provision_texts_fts match :q and t.excluded = 0 and t.lang = 'kaz' {filters}
            order by bm25(provision_texts_fts, 4.0, 1.0) limit :limit""", params)
    if not filters:
        found = _ranked_first(read, cols, params)
        if found is not None:
            return found
    return read(f"""select {cols}
        from provisions_fts join provisions p on p.rowid = provisions_fts.rowid
        join acts a on a.id = p.act_id
        where provisions_fts match :q and p.excluded = 0 {filters}
        order by bm25(provisions_fts, 4.0, 1.0, 1.0), a.status = 'repealed', p.rowid
        limit :limit""", params)


def _ranked_first(read, cols: str, params: dict) -> list[dict] | None:
    """The first `limit` matches of an unfiltered Russian search, ranked from the index alone
    first: the `limit` plus a margin best-ranked rowids, then their rows (excluded ones
    dropped). The same rows in the same order as ranking after the join, which read every
    match's row (text and all) to drop the excluded ones before the limit: 160 of 200 ms for
    «детей» at a million provisions, 36,000 matches (issue 11). None when the margin was not
    enough (more excluded matches than it, or a tie in rank at its edge): then the caller
    ranks after the join."""
    first = params["limit"] + params["limit"] // 10 + 100
    found = read(f"""with r as (
          select rowid, bm25(provisions_fts, 4.0, 1.0, 1.0) as score from provisions_fts
          where provisions_fts match :q order by score limit :first)
        select {cols}, r.score as _score, (select count(*) from r) as _n,
               (select max(score) from r) as _cut
        from r join provisions p on p.rowid = r.rowid join acts a on a.id = p.act_id
        where p.excluded = 0
        order by r.score, a.status = 'repealed', p.rowid limit :limit""",
                 {**params, "first": first})
    if not found:       # no match, or every ranked one excluded: the caller ranks as before
        return None
    complete = found[0]["_n"] < first      # every match was ranked
    # else exact only if the limit was reached strictly before the margin's last rank (a row
    # beyond the margin may tie with it)
    if not complete and not (len(found) == params["limit"]
                             and found[-1]["_score"] < found[-1]["_cut"]):
        return None
    for r in found:
        del r["_score"], r["_n"], r["_cut"]
    return found


def facet_counts(found: list[dict]) -> dict[str, dict[str, int]]:
    counts = {k: {} for k in FILTERS}
    # up to MAX_MATCHES rows per request: each column's values are counted first (a few
    # hundred distinct JSON arrays), then each distinct array is parsed once
    for key, column in (("dimension", "dimension_codes"), ("age", "age_group_codes")):
        bucket = counts[key]
        for value, n in Counter(r[column] for r in found).items():
            for code in _codes(value):
                bucket[code] = bucket.get(code, 0) + n
    for key, column in (("act", "act_id"), ("form", "act_form"), ("status", "act_status")):
        bucket = counts[key]
        for value, n in Counter(r[column] for r in found).items():
            if value not in (None, ""):
                bucket[value] = bucket.get(value, 0) + n
    return counts


@lru_cache(maxsize=4096)
def _parsed(value: str) -> tuple:
    try:
        parsed = json.loads(value)
    except ValueError:
        return ()
    return tuple(parsed) if isinstance(parsed, list) else ()


def _codes(value) -> tuple:
    """The codes of a JSON array column, without empty ones (a few hundred distinct arrays)."""
    if not value or not isinstance(value, str):
        return ()
    return tuple(c for c in _parsed(value) if c not in (None, ""))


def data_json(value) -> list:
    if not value:
        return []
    if not isinstance(value, str):
        try:
            parsed = json.loads(value)
        except (TypeError, ValueError):
            return []
        return parsed if isinstance(parsed, list) else []
    return list(_parsed(value))


async def excluded_rowids(datasette) -> frozenset | None:
    """The rowids of the excluded provisions, read once per served build (an immutable
    database; None for a mutable one): 34,000 at a million provisions, 67 ms from the age
    index once."""
    db = data.db_of(datasette)
    if db.is_mutable:
        return None
    cache = data._cache(datasette)
    if "excluded_rowids" not in cache:
        found = await db.execute_fn(lambda conn: frozenset(r[0] for r in conn.execute(
            "select rowid from provisions where excluded = 1")))
        cache["excluded_rowids"] = found
    return cache["excluded_rowids"]


async def count(datasette, q: str, f: dict, kazakh: bool) -> int:
    """How many provisions q finds with filters f (a count, no rows)."""
    excluded = await excluded_rowids(datasette)
    return await data.read_together(data.db_of(datasette),
                                    lambda read: count_in(read, q, f, kazakh, excluded))


def count_in(read, q: str, f: dict, kazakh: bool, excluded: frozenset | None) -> int:
    params: dict = {"q": search.build_fts_query(q)}
    filters = _filters_sql(f, params)
    if excluded is not None and not kazakh and not filters:
        # the matches' rowids from the index, less the excluded ones: joining every match to
        # its provision row to read `excluded` took 48 ms for «детей» at a million (issue 11)
        # (as tuples: a dict for each of 36,000 rowids took 60 of the count's 75 ms)
        return sum(1 for (rowid,) in read("select rowid from provisions_fts where "
                                          "provisions_fts match :q", params, tuples=True)
                   if rowid not in excluded)
    if kazakh:
        sql = f"""select count(distinct p.id) as n from provision_texts_fts
            join provision_texts t on t.rowid = provision_texts_fts.rowid
            join provisions p on p.id = t.provision_id join acts a on a.id = p.act_id
            where provision_texts_fts match :q and t.excluded = 0 and t.lang = 'kaz' {filters}"""
    else:
        sql = f"""select count(*) as n from provisions_fts
            join provisions p on p.rowid = provisions_fts.rowid join acts a on a.id = p.act_id
            where provisions_fts match :q and p.excluded = 0 {filters}"""
    return read(sql, params)[0]["n"]


async def explain_empty(datasette, q: str, f: dict, kazakh: bool) -> dict:
    """Why nothing was found, and what would find something."""
    terms = search.query_terms(q)
    forms = []
    for t in terms:
        if "exact" in t:
            forms.append(t["exact"])
            continue
        shown = [t["lemma"]] if t["lemma"] else []
        shown.append(t["prefix"] + "*" if not t.get("user_prefix") else t["prefix"] + "*")
        if t.get("stem"):
            shown.append(t["stem"] + "*")
        forms.append(" / ".join(dict.fromkeys(shown)))
    out = {"forms": forms, "without_filters": None, "suggestions": []}
    active = {k: v for k, v in f.items() if v}
    if active and (q or "").strip():
        out["without_filters"] = await count(datasette, q, {}, kazakh)
    words = [t["word"] for t in terms if "exact" not in t]

    def replaced(word, by):  # the query with one word swapped, the others kept
        return " ".join(by if w == word else w for w in words)

    candidates = [replaced(w, r) for w in words for r in related_words(w)]
    if len(words) > 1:
        candidates.append(" OR ".join(words))
    for cand in dict.fromkeys(candidates):
        n = await count(datasette, cand, f, wants_kazakh(cand, None))
        if n:
            out["suggestions"].append({"q": cand, "total": n})
        if len(out["suggestions"]) >= 8:
            break
    # the longest beginning of each word that finds something («опекунствование» → «опекунс*»)
    for w in words:
        for size in range(len(w) - 2, 3, -1):
            cand = replaced(w, w[:size] + "*")
            n = await count(datasette, cand, f, kazakh)
            if n:
                out["suggestions"].append({"q": cand, "total": n})
                break
    return out
