"""Build stage: ``indicator_law_events``, the law events of each indicator (issue 11).

The indicator page (`/indicators/{code}`, kb/web/indicators.py) shows the dates on which the
provisions linked to the indicator (``provision_indicator_links``) were amended (table
``amendments``: the provision itself or the part, subpart or paragraph's enclosing provisions
up to its article) or their act was adopted. Per request that was a recursive walk from every
linked provision up to its article joined to the amendments: at a million provisions about
240 ms of CPU alone, and under load it reached the SQL time limit (HTTP 500). The database is
immutable while served, so the build computes the events of every indicator here, once, and
the page reads its rows by index.

One row per (indicator, date, amending act, action) — as the page showed them — with
``provisions`` (how many linked provisions it touched) and ``paths`` (their paths, comma
separated); ``action`` 'adopted' rows are the adoption of an act holding linked provisions.
Every build fills the table from the links and amendments of the database it writes (a rebuild
of one act writes a new file too), so it is never older than the links.
"""
from __future__ import annotations

import sqlite_utils

TABLE = "indicator_law_events"
AMENDING = ("amended", "new_wording", "added", "excluded")
COLUMNS = ("indicator_code", "date", "form", "number", "action", "entry_into_force", "act_id",
           "act_title", "provisions", "paths")

CREATE = f"""
CREATE TABLE {TABLE} (
    indicator_code TEXT NOT NULL,
    date TEXT,
    form TEXT,
    number TEXT,
    action TEXT NOT NULL,             -- amended | new_wording | added | excluded | adopted
    entry_into_force TEXT,
    act_id TEXT NOT NULL,
    act_title TEXT,
    provisions INTEGER NOT NULL,      -- linked provisions the event touched
    paths TEXT                        -- their paths, comma separated (amendments only)
);
CREATE INDEX idx_{TABLE}_indicator ON {TABLE}(indicator_code);
"""

def amended_sql(indicator: str | None = None) -> str:
    """Amendments: from each linked provision up through its enclosing parts to its article (a
    note on an article covers its parts), once per provision whatever the indicators linking
    it. For every indicator, or for the one bound to the parameter `indicator` (":c"). Records
    of one amending act that differ only in their entry-into-force note give the first (a bare
    column would give whichever row the plan met first: the walk for one indicator and the
    table's walk for all could differ)."""
    if indicator:       # one indicator: its linked provisions are the walk's start
        linked = f" where indicator_code = {indicator}"
        code, by_code = f"{indicator} as indicator_code", ""
    else:               # every indicator: each walked provision counts for each linking one
        linked = ""
        code, by_code = "l.indicator_code", """
join (select distinct indicator_code, provision_id from provision_indicator_links) l
  on l.provision_id = up.pid"""
    return f"""
with recursive linked(pid) as (
    select distinct provision_id from provision_indicator_links{linked}),
  up(pid, id, kind) as (
    select l.pid, p.id, p.kind from linked l join provisions p on p.id = l.pid
    union
    select up.pid, p.id, p.kind from up join provisions q on q.id = up.id
    join provisions p on p.id = q.parent_id
    where up.kind in ('part', 'subpart', 'paragraph'))
select {code}, m.amending_date as date, m.amending_form as form,
       m.amending_number as number, m.action,
       min(m.entry_into_force) as entry_into_force, m.act_id,
       a.title as act_title, count(distinct up.pid) as provisions,
       group_concat(distinct p.path) as paths
from up join amendments m on m.provision_id = up.id
join acts a on a.id = m.act_id
join provisions p on p.id = up.pid{by_code}
where m.action in ({", ".join(repr(x) for x in AMENDING)})
  and m.amending_date is not null and m.lang = 'rus'
group by indicator_code, m.amending_date, m.amending_form, m.amending_number, m.action,
         m.act_id
order by indicator_code, m.amending_date, m.act_id
"""


def adopted_sql(indicator: str | None = None) -> str:
    """The adoption of each act holding linked provisions (all indicators, or `indicator`)."""
    only = f" and l.indicator_code = {indicator}" if indicator else ""
    return f"""
select l.indicator_code, a.date_adopted as date, a.form, a.number, 'adopted' as action,
       null as entry_into_force, a.id as act_id, a.title as act_title,
       count(distinct l.provision_id) as provisions, null as paths
from provision_indicator_links l join acts a on a.id = l.act_id
where a.date_adopted is not null{only}
group by l.indicator_code, a.id
order by l.indicator_code, a.id
"""


def has_links_table(conn) -> bool:
    return bool(conn.execute("select 1 from sqlite_master where name = 'provision_indicator_links'"
                             ).fetchall())


def load_law_events(db: sqlite_utils.Database) -> dict:
    """(Re)create and fill indicator_law_events from the links and amendments of `db`."""
    conn = db.conn
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.executescript(CREATE)
    if has_links_table(conn):
        marks = ", ".join("?" for _ in COLUMNS)
        insert = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({marks})"
        for sql in (amended_sql(), adopted_sql()):
            conn.executemany(insert, conn.execute(sql).fetchall())
    conn.commit()
    total, indicators = conn.execute(
        f"SELECT count(*), count(DISTINCT indicator_code) FROM {TABLE}").fetchone()
    return {"law_events": total, "indicators": indicators}
