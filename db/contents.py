"""Build stage: ``act_contents``, each act's table of contents (issue 11).

The act page (`/acts/{id}`, kb/web/pages.py) shows the act's sections, chapters and articles,
each with how many tagged provisions it holds and their dimensions (kb/contents.py). Per
request that read every provision of the act — 5,000 rows for a code, each read past its
text — plus its slug map, and walked up the tree from each provision: at a million provisions
under load the slowest page (p95 890 ms). The database is immutable while served, so the
build writes the nodes once, in document order with their depth, and the page reads an act's
nodes by index (1,100 for the largest code).

Incremental like the other stages: with ``previous_db`` (a build of the same pipeline
versions), the rows of the acts copied from it (``reused_act_ids``: same text, same tags) are
copied too, and only the acts parsed in this build are computed again.
"""
from __future__ import annotations

import sqlite_utils

from kb.contents import NODE_FIELDS, contents_tree, flatten

TABLE = "act_contents"
COLUMNS = ("act_id", "seq") + NODE_FIELDS

CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    act_id TEXT NOT NULL,
    seq INTEGER NOT NULL,             -- document order within the act
    provision_id TEXT NOT NULL,
    depth INTEGER NOT NULL,           -- 0 for a top-level node
    kind TEXT NOT NULL,
    number TEXT,
    heading TEXT,
    slug TEXT,
    excluded INTEGER NOT NULL DEFAULT 0,
    tagged INTEGER NOT NULL,          -- tagged provisions it holds (itself included)
    dims TEXT NOT NULL,               -- JSON list of their dimension codes, sorted
    PRIMARY KEY (act_id, seq)
) WITHOUT ROWID;
"""
PROVISION_COLUMNS = ("id", "parent_id", "kind", "number", "heading", "excluded",
                     "dimension_codes", "slug")


def act_rows(conn, act_id: str) -> list[tuple]:
    """The act_contents rows of one act, from its provisions in `conn`."""
    provisions = [dict(zip(PROVISION_COLUMNS, r)) for r in conn.execute(
        f"SELECT {', '.join(PROVISION_COLUMNS)} FROM provisions WHERE act_id = ? "
        "ORDER BY position", (act_id,))]
    tree = contents_tree(provisions, {p["id"]: p["slug"] for p in provisions})
    return [(act_id, seq) + tuple(node[c] for c in NODE_FIELDS)
            for seq, node in enumerate(flatten(tree))]


def load_contents(db: sqlite_utils.Database, previous_db=None, reused_act_ids=()) -> dict:
    """Fill act_contents (emptied first); the acts in reused_act_ids copied from previous_db."""
    conn = db.conn
    conn.executescript(CREATE)
    conn.execute(f"DELETE FROM {TABLE}")
    kept = set(reused_act_ids) if previous_db is not None else set()
    names = ", ".join(COLUMNS)
    if kept:
        conn.execute("ATTACH DATABASE ? AS prevcontents", (str(previous_db),))
        try:
            prev_cols = [r[1] for r in conn.execute(
                f"PRAGMA prevcontents.table_info({TABLE})")]
            if set(COLUMNS) <= set(prev_cols):
                conn.execute("CREATE TEMP TABLE kept_acts (id TEXT PRIMARY KEY)")
                conn.executemany("INSERT INTO kept_acts VALUES (?)", [(a,) for a in kept])
                conn.execute(f"INSERT INTO main.{TABLE} ({names}) SELECT {names} "
                             f"FROM prevcontents.{TABLE} WHERE act_id IN (SELECT id FROM kept_acts)")
                conn.execute("DROP TABLE kept_acts")
            else:
                kept = set()        # an older build without the table: compute every act
            conn.commit()
        finally:
            conn.execute("DETACH DATABASE prevcontents")
    act_ids = [r[0] for r in conn.execute("SELECT id FROM acts ORDER BY id") if r[0] not in kept]
    insert = f"INSERT INTO {TABLE} ({names}) VALUES ({', '.join('?' for _ in COLUMNS)})"
    for act_id in act_ids:
        conn.executemany(insert, act_rows(conn, act_id))
    conn.commit()
    total, acts = conn.execute(f"SELECT count(*), count(DISTINCT act_id) FROM {TABLE}").fetchone()
    return {"contents": total, "acts": acts}
