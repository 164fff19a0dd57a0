"""Full-text search indexes (SQLite FTS5), created at the end of a build.

* `provisions_fts`: external-content index over `provisions` (heading, text, text_lemmas).
  text_lemmas holds `kb.morph.lemmatize_text(heading + text)` (lower case, ё folded to е), so a
  query lemmatised the same way (`kb.search.build_fts_query`) matches any inflected form, and
  ё/е differences are absorbed by the lemma column. The unicode61 tokenizer with
  remove_diacritics 2 folds Latin diacritics; it does NOT fold Cyrillic ё (verified in
  tests/test_datasette.py), which is why the lemma column carries the folding.
* `provision_texts_fts`: external-content index over `provision_texts` (Kazakh and English
  texts: heading, text) with prefix indexes of 2, 3 and 4 characters, for stem* queries.

Both use content="table" (double quotes) so that Datasette detects them for the table search
box as well. The database is published immutable, so no triggers are created.

A rebuild that copied unchanged acts from the previous database (same rowids, db/acts.py)
starts from the previous build's index instead (`update_search_index`): the index's shadow
tables are copied, the rows of every act that was not copied are deleted from it with the
values they were indexed with, and the acts parsed in this build are added. The index then
holds exactly what a full 'rebuild' would (a test compares the two).
"""
from __future__ import annotations

import sqlite3

PROVISIONS_FTS = "provisions_fts"
PROVISION_TEXTS_FTS = "provision_texts_fts"
TOKENIZE = "unicode61 remove_diacritics 2"


def _connection(db) -> sqlite3.Connection:
    """Accept a sqlite3.Connection or a sqlite_utils.Database."""
    return getattr(db, "conn", db)


def fill_missing_lemmas(conn: sqlite3.Connection) -> int:
    """Fill provisions.text_lemmas where the build left it empty (normally it does not)."""
    from kb.morph import lemmatize_text

    rows = conn.execute(
        "select rowid, heading, text from provisions "
        "where text_lemmas is null and (text is not null or heading is not null)"
    ).fetchall()
    conn.executemany(
        "update provisions set text_lemmas = ? where rowid = ?",
        [(lemmatize_text(" ".join(x for x in (h, t) if x)), rowid) for rowid, h, t in rows],
    )
    return len(rows)


_INDEXES = {PROVISIONS_FTS: ("provisions", "heading, text, text_lemmas"),
            PROVISION_TEXTS_FTS: ("provision_texts", "heading, text")}
_SHADOWS = ("data", "idx", "docsize", "config")


def update_search_index(db, previous_db, reused_act_ids) -> dict:
    """The search indexes of a build that copied `reused_act_ids` (rowids kept) from
    `previous_db` (attached read-only for the copy); falls back to a full build without one."""
    conn = _connection(db)
    if previous_db is None:
        return create_search_index(db)
    fill_missing_lemmas(conn)
    _create_empty(conn)
    conn.execute("ATTACH DATABASE ? AS prevfts", (str(previous_db),))
    have = {r[0] for r in conn.execute("SELECT name FROM prevfts.sqlite_master")}
    if not all(f"{fts}_{shadow}" in have for fts in _INDEXES for shadow in _SHADOWS):
        conn.execute("DETACH DATABASE prevfts")
        return create_search_index(db)        # a previous build without our indexes
    try:
        conn.execute("CREATE TEMP TABLE kept_acts (act_id TEXT PRIMARY KEY)")
        conn.executemany("INSERT INTO temp.kept_acts VALUES (?)", [(a,) for a in reused_act_ids])
        for fts, (content, columns) in _INDEXES.items():
            for shadow in _SHADOWS:
                conn.execute(f"DELETE FROM main.{fts}_{shadow}")
                conn.execute(f"INSERT INTO main.{fts}_{shadow} SELECT * FROM prevfts.{fts}_{shadow}")
            # out: every previous row whose act was not copied, with the values it was indexed by
            conn.execute(
                f"INSERT INTO main.{fts}({fts}, rowid, {columns}) SELECT 'delete', rowid, {columns} "
                f"FROM prevfts.{content} WHERE act_id NOT IN (SELECT act_id FROM temp.kept_acts)")
            # in: the rows of the acts parsed in this build
            conn.execute(
                f"INSERT INTO main.{fts}(rowid, {columns}) SELECT rowid, {columns} "
                f"FROM main.{content} WHERE act_id NOT IN (SELECT act_id FROM temp.kept_acts)")
        conn.execute("DROP TABLE temp.kept_acts")
        conn.commit()
    finally:
        conn.execute("DETACH DATABASE prevfts")
    return {fts: conn.execute(f"select count(*) from {fts}").fetchone()[0] for fts in _INDEXES}


def _create_empty(conn) -> None:
    conn.executescript(f"""
        DROP TABLE IF EXISTS {PROVISIONS_FTS};
        CREATE VIRTUAL TABLE {PROVISIONS_FTS} USING fts5(
            heading, text, text_lemmas,
            content="provisions", content_rowid="rowid",
            tokenize='{TOKENIZE}'
        );
        DROP TABLE IF EXISTS {PROVISION_TEXTS_FTS};
        CREATE VIRTUAL TABLE {PROVISION_TEXTS_FTS} USING fts5(
            heading, text,
            content="provision_texts", content_rowid="rowid",
            tokenize='{TOKENIZE}', prefix='2 3 4'
        );
    """)


def create_search_index(db) -> dict:
    """(Re)create both FTS5 indexes; returns row counts. Idempotent."""
    conn = _connection(db)
    filled = fill_missing_lemmas(conn)
    _create_empty(conn)
    for fts in _INDEXES:
        conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
        conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")
    conn.commit()
    return {
        "lemmas_filled": filled,
        PROVISIONS_FTS: conn.execute(f"select count(*) from {PROVISIONS_FTS}").fetchone()[0],
        PROVISION_TEXTS_FTS: conn.execute(
            f"select count(*) from {PROVISION_TEXTS_FTS}").fetchone()[0],
    }
