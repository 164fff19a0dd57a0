"""Build stage: the catalogue of child policy measures (kb/policies.py) as a table.

``load_policy_measures(db)`` reads the provisions of the acts in force from ``db``, extracts
the measures and writes ``policy_measures`` (one row per measure or amount tier) and
``monthly_indices`` (МРП and subsistence minimum by year from kb/data/mrp.yml, with their
source). It is rerun whole on every build that is not a no-op: it reads only the provisions
table, so a new edition of an act gives new rows without any change here.
"""
from __future__ import annotations

import sqlite_utils

from kb.policies import COLUMNS, extract_measures, mrp_values
from kb.provision_ids import slug_to_path

TABLES = """
CREATE TABLE IF NOT EXISTS monthly_indices (
    year INTEGER NOT NULL,
    unit TEXT NOT NULL,                  -- mrp | subsistence_minimum
    tenge INTEGER NOT NULL,
    source TEXT NOT NULL,                -- the republican budget law that sets it
    confirmed INTEGER NOT NULL,          -- 0: to confirm from the official text
    PRIMARY KEY (year, unit)
);

CREATE TABLE IF NOT EXISTS policy_measures (
    id TEXT PRIMARY KEY,                 -- provision_id, #2 … for further tiers of one provision
    name TEXT NOT NULL,
    tier TEXT,                           -- the amount line's condition («на первого ребенка»)
    kind TEXT NOT NULL CHECK (kind IN ('cash', 'in_kind', 'service', 'leave', 'protection')),
    eligible TEXT,                       -- who is eligible, as the law states it
    age_min_months INTEGER,
    age_max_months INTEGER,
    age_text TEXT,                       -- the age phrase as in the law
    amount_text TEXT,                    -- the amount as the law states it
    amount_value REAL,
    amount_unit TEXT,                    -- mrp | subsistence_minimum | income_share
    amount_mrp REAL,                     -- amount_value when the unit is МРП
    amount_tenge REAL,                   -- amount_value × the index of amount_tenge_year
    amount_tenge_year INTEGER,
    frequency TEXT,                      -- monthly | one_off | per_event | ongoing
    act_id TEXT NOT NULL REFERENCES acts(id),
    provision_id TEXT NOT NULL REFERENCES provisions(id),
    provision_page TEXT NOT NULL,        -- /acts/{act}/{path}: the provision to cite
    article_id TEXT REFERENCES provisions(id),
    eligibility_provision_id TEXT REFERENCES provisions(id),
    age_provision_id TEXT REFERENCES provisions(id),
    rule TEXT NOT NULL,                  -- which rule of kb/data/policy_measures.yml found it
    source_url TEXT NOT NULL,
    text_sha256 TEXT,                    -- of the provision text the amount was read from
    retrieved_at TEXT
);
CREATE INDEX IF NOT EXISTS idx_policy_measures_kind ON policy_measures(kind);
CREATE INDEX IF NOT EXISTS idx_policy_measures_age ON policy_measures(age_min_months, age_max_months);
CREATE INDEX IF NOT EXISTS idx_policy_measures_act ON policy_measures(act_id);
"""


def load_policy_measures(db: sqlite_utils.Database, previous_db=None, reused_act_ids=()) -> dict:
    """Fill monthly_indices and policy_measures; return counts for the build report.

    With `previous_db` (a build of the same pipeline versions), the measures of the acts copied
    from it (`reused_act_ids`: same text, so the same measures) are copied too, and only the
    acts parsed in this build are read again: the rules look inside one act at a time.
    """
    conn = db.conn
    conn.executescript("DROP TABLE IF EXISTS policy_measures; DROP TABLE IF EXISTS monthly_indices;" + TABLES)
    indices = {}
    for year, v in sorted(mrp_values().items()):
        for unit in ("mrp", "subsistence_minimum"):
            if v.get(unit):
                conn.execute("INSERT INTO monthly_indices VALUES (?, ?, ?, ?, ?)",
                             (year, unit, v[unit], v["source"], int(bool(v.get("confirmed")))))
                indices[unit] = (year, v[unit])       # the newest year wins
    conn.row_factory = None
    cols = ("id", "act_id", "slug", "kind", "number", "heading", "text", "parent_id", "position",
            "excluded", "url", "text_sha256", "retrieved_at")
    kept = set(reused_act_ids) if previous_db is not None else set()
    if kept:
        conn.execute("ATTACH DATABASE ? AS prevpol", (str(previous_db),))
        try:
            have = conn.execute("SELECT count(*) FROM prevpol.sqlite_master "
                                "WHERE name = 'policy_measures'").fetchall()[0][0]
            if have:
                marks = ", ".join("?" for _ in kept)
                conn.execute(f"INSERT INTO main.policy_measures SELECT * FROM prevpol.policy_measures "
                             f"WHERE act_id IN ({marks})", sorted(kept))
            else:
                kept = set()
            conn.commit()
        finally:
            conn.execute("DETACH DATABASE prevpol")
    # One act at a time (the rules look inside one act): memory stays that of the largest act,
    # not of every provision in force (2 GB at a million provisions). The build's indexes come
    # after this stage, so the act index is made here (the indexes stage keeps it): without
    # it every act was a scan of every provision, 800 scans of 2.5 GB at a million (issue 11).
    conn.execute("CREATE INDEX IF NOT EXISTS idx_provisions_act ON provisions(act_id, position)")
    act_ids = [r[0] for r in conn.execute("SELECT id FROM acts WHERE status = 'in_force' ORDER BY id")
               if r[0] not in kept]
    out = []
    for act_id in act_ids:
        rows = [dict(zip(cols, r)) for r in conn.execute(
            f"SELECT {', '.join(cols)} FROM provisions WHERE act_id = ? ORDER BY position", (act_id,))]
        out += _rows(extract_measures(rows), {r["id"]: r for r in rows}, indices)
    if out:
        names = list(out[0])
        conn.executemany(f"INSERT INTO policy_measures ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                         [tuple(r[n] for n in names) for r in out])
    conn.commit()
    total, with_mrp = conn.execute("SELECT count(*), count(amount_mrp) FROM policy_measures").fetchone()
    return {"measures": total, "with_mrp": with_mrp}


def _rows(measures, by_id, indices) -> list[dict]:
    out = []
    for m in measures:
        prov = by_id[m["provision_id"]]
        row = {c: m[c] for c in COLUMNS}
        row["provision_page"] = f"/acts/{prov['act_id']}/{slug_to_path(prov['slug'])}"
        row["retrieved_at"] = prov["retrieved_at"]
        row["amount_tenge"] = row["amount_tenge_year"] = None
        idx = indices.get(m["amount_unit"])
        if idx and m["amount_value"] is not None:
            row["amount_tenge_year"], row["amount_tenge"] = idx[0], round(m["amount_value"] * idx[1], 2)
        out.append(row)
    return out
