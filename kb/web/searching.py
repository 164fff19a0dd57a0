"""Search with facets for /search and /search.json.

The FTS index gives every match's rowid and bm25 score in one read; the act, dimensions, ages
and exclusion of every match come from columns held in memory (kb/web/search_columns.py), so
filters and facets count every match, and only the page shown reads its rows. Russian queries
search `provisions_fts` (lemmas, so any word form); a query with Kazakh letters, or `lang=kk`,
searches the Kazakh texts (`provision_texts_fts`, stems) and shows their aligned provisions.
An empty result explains itself: the forms searched, the filters that emptied it, and
related words from `kb/data/synonyms.yml` that do find something.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from kb import morph, search
from kb.web import data, search_columns

SYNONYMS = Path(__file__).resolve().parents[1] / "data" / "synonyms.yml"
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


async def columns(datasette) -> search_columns.SearchColumns:
    """The search columns of the served build: read once for an immutable database (at start,
    kb.plugin.startup), per search for a mutable one."""
    db = data.db_of(datasette)
    if db.is_mutable:
        return await db.execute_fn(search_columns.read)
    cache = data._cache(datasette)
    if "search_columns" not in cache:
        cache["search_columns"] = await db.execute_fn(search_columns.read)
    return cache["search_columns"]


def ranked_in(read, cols: search_columns.SearchColumns, q: str, f: dict, kazakh: bool,
              rank: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Every provision q finds with filters f: (provision rowids, the matching Kazakh texts'
    rowids or None), best first when `rank`: bm25 (title 4, text 1, lemmas 1), then acts in
    force before repealed ones, then rowid. Without words, the filters' provisions in the
    acts' own order. A provision with several matching Kazakh texts is shown once, by its
    best."""
    if not (q or "").strip():
        if not any(f.get(k) for k in FILTERS):
            return np.zeros(0, dtype=np.int64), None
        rowids = np.arange(len(cols.act), dtype=np.int64)
        rowids = rowids[cols.keep(rowids, f)]
        return rowids[np.argsort(cols.place[rowids], kind="stable")], None
    table, weights = (("provision_texts_fts", "4.0, 1.0") if kazakh
                      else ("provisions_fts", "4.0, 1.0, 1.0"))
    # Every match in ONE row: the sqlite3 module lets go of the GIL around each step, so
    # fetching 36,000 rows one by one had a first «детей» wait for the GIL 36,000 times
    # behind the other requests' Python (1.9 s under load at a million provisions, 80 ms
    # alone). The score's rank (dense_rank over bm25) keeps ties exact, as the floats printed
    # as text would not. A count (rank=False) reads the rowids alone.
    if rank:
        sql = f"""with m as materialized (
              select rowid as r, bm25({table}, {weights}) as s from {table}
              where {table} match :q)
            select group_concat(r) as found, group_concat(k) as scores
            from (select r, dense_rank() over (order by s) as k from m)"""
    else:
        sql = f"""select group_concat(rowid) as found, null as scores from {table}
            where {table} match :q"""
    row, = read(sql, {"q": search.build_fts_query(q)})
    found = np.fromstring(row["found"], dtype=np.int64, sep=",") if row["found"] \
        else np.zeros(0, dtype=np.int64)
    scores = np.fromstring(row["scores"], dtype=np.int64, sep=",") if rank and row["scores"] \
        else np.zeros(len(found), dtype=np.int64)
    texts = None
    if kazakh:
        texts = found
        inside = texts < len(cols.kaz)
        found = np.where(inside, cols.kaz[np.where(inside, texts, 0)], -1).astype(np.int64)
    keep = cols.keep(found, f)
    found, scores = found[keep], scores[keep]
    texts = texts[keep] if texts is not None else None
    if rank:
        order = np.lexsort((found, cols.repealed(found), scores))
        found, scores = found[order], scores[order]
        texts = texts[order] if texts is not None else None
    if texts is not None:           # one line per provision: its best text
        _, first = np.unique(found, return_index=True)
        first.sort()
        found, texts = found[first], texts[first]
    return found, texts


async def answer(datasette, q: str, f: dict, kazakh: bool, page: int):
    """What a search's page needs, in one turn of the SQL threads (data.read_together): how
    many provisions match, the facets over all of them, and the rows of the page shown (with
    their act's form and status, and for a Kazakh search the matching text and heading).
    → (count, facets, rows)."""
    cols = await columns(datasette)
    slug = ", slug" if await data.has_slug(datasette) else ""

    def reads(read):
        found, texts = ranked_in(read, cols, q, f, kazakh)
        window = slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE)
        shown = [int(r) for r in found[window]]
        rows = []
        if shown:
            marks = ",".join(f":p{i}" for i in range(len(shown)))
            params = {f"p{i}": v for i, v in enumerate(shown)}
            by_rowid = {r["_rowid"]: r for r in read(
                f"""select rowid as _rowid, id, act_id, dimension_codes, age_group_codes, path,
                    heading, kind, number, position, text{slug}
                    from provisions where rowid in ({marks})""", params)}
            kk, shown_texts = {}, []
            if texts is not None:
                shown_texts = [int(t) for t in texts[window]]
                kk = {r["_rowid"]: r for r in read(
                    f"""select rowid as _rowid, heading as heading_kk, text as text_kk
                        from provision_texts where rowid in ({marks})""",
                    {f"p{i}": v for i, v in enumerate(shown_texts)})}
            for i, rowid in enumerate(shown):
                row = by_rowid[rowid]
                act = cols.act[rowid]
                row["act_form"] = _name(cols.forms, cols.act_forms[act])
                row["act_status"] = _name(cols.statuses, cols.act_statuses[act])
                if shown_texts:
                    row.update({k: v for k, v in kk[shown_texts[i]].items() if k != "_rowid"})
                rows.append(row)
        return len(found), cols.facets(found), rows

    return await data.read_together(data.db_of(datasette), reads)


def _name(names: tuple, index) -> str | None:
    return names[index] if index >= 0 else None


@lru_cache(maxsize=4096)
def _parsed(value: str) -> tuple:
    try:
        parsed = json.loads(value)
    except ValueError:
        return ()
    return tuple(parsed) if isinstance(parsed, list) else ()


def data_json(value) -> list:
    """A JSON array column's values (a few hundred distinct arrays: parsed once each)."""
    if not value:
        return []
    if not isinstance(value, str):
        try:
            parsed = json.loads(value)
        except (TypeError, ValueError):
            return []
        return parsed if isinstance(parsed, list) else []
    return list(_parsed(value))


async def count(datasette, q: str, f: dict, kazakh: bool) -> int:
    """How many provisions q finds with filters f (a count: no ranking, no rows)."""
    cols = await columns(datasette)
    return await data.read_together(
        data.db_of(datasette), lambda read: len(ranked_in(read, cols, q, f, kazakh, rank=False)[0]))


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
