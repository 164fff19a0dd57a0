"""Views of the latest indicator values and of coverage and gaps.

* ``indicator_latest``: per indicator, the latest national value (area KAZ, residence, wealth
  and age totals), both sexes when the indicator has any both-sexes observation, otherwise one
  row per sex it has (adolescent birth rate: F; a completion rate measured for girls and boys
  with no total: F and M, each its own latest). "Latest" orders by ``year``, and for a SOWC
  range period ("2013-2021", year null) by the range's last year; undated rows are never latest.
  Ties: source name.
* ``provision_indicator_links`` is no longer a view: a table the build fills (db/links.py,
  kb/indicator_links.py), each link with its reason; a shared dimension and ages are not
  enough, the indicator's topic must be in the provision's text.
* ``coverage`` (a table the build fills from this view: `MATERIALISED`): one row per
  dimension × age band (age_groups.kind = 'band'): acts and
  provisions in force (act status in_force, provision not excluded) tagged with that dimension
  whose age bands include that band; the indicators of that dimension whose bands include it
  (codes, names, count, latest values); ``gap`` = indicators exist but fewer than
  GAP_MIN_PROVISIONS provisions; ``data_gap`` = provisions exist but no indicator.
"""
from __future__ import annotations

import sqlite_utils

GAP_MIN_PROVISIONS = 3

INDICATOR_LATEST = """
CREATE VIEW indicator_latest AS
WITH national AS (
  SELECT o.*,
         COALESCE(o.year, CASE WHEN o.period GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'
                               THEN CAST(substr(o.period, 6, 4) AS INTEGER) END) AS sort_year
  FROM observations o
  WHERE o.area_code = 'KAZ' AND o.residence = '_T' AND o.wealth_quintile = '_T' AND o.age = '_T'
),
with_total AS (SELECT DISTINCT indicator_code FROM national WHERE sex = '_T' AND sort_year IS NOT NULL)
SELECT indicator_code, value, value_raw, unit, period, sort_year AS year, sex, source,
       source_file, obs_status
FROM (
  SELECT n.*,
         ROW_NUMBER() OVER (PARTITION BY n.indicator_code, n.sex
                            ORDER BY n.sort_year DESC, n.source, n.id) AS rn
  FROM national n
  WHERE n.sort_year IS NOT NULL
    AND (n.sex = '_T' OR n.indicator_code NOT IN (SELECT indicator_code FROM with_total))
)
WHERE rn = 1
"""

COVERAGE = f"""
CREATE VIEW coverage AS
WITH prov AS (
  SELECT pd.dimension_code, pag.age_group_code,
         COUNT(DISTINCT p.act_id) AS acts_in_force,
         COUNT(DISTINCT p.id) AS provisions_in_force
  FROM provision_dimensions pd
  JOIN provision_age_groups pag ON pag.provision_id = pd.provision_id
  JOIN provisions p ON p.id = pd.provision_id
  JOIN acts a ON a.id = p.act_id
  WHERE a.status = 'in_force' AND p.excluded = 0
  GROUP BY pd.dimension_code, pag.age_group_code
),
ind AS (
  SELECT dimension_code, age_group_code,
         COUNT(*) AS indicator_count,
         group_concat(code, ', ') AS indicator_codes,
         group_concat(name_en, '; ') AS indicator_names,
         group_concat(latest, '; ') AS latest_values
  FROM (
    SELECT i.dimension_code, je.value AS age_group_code, i.code, i.name_en,
           i.code || ' = ' || COALESCE(l.latest, 'no national value') AS latest
    FROM indicators i
    JOIN json_each(i.age_group_codes) je
    LEFT JOIN (SELECT indicator_code,
                      -- rounded for reading (full precision in indicator_latest.value)
                      group_concat(rtrim(rtrim(printf('%.2f', value), '0'), '.')
                                   || COALESCE(' ' || unit, '') || ' (' || period
                                   || CASE WHEN sex <> '_T' THEN ', sex ' || sex ELSE '' END
                                   || ', ' || source || ')', ', ') AS latest
                 FROM indicator_latest GROUP BY indicator_code) l ON l.indicator_code = i.code
    ORDER BY i.code
  )
  GROUP BY dimension_code, age_group_code
)
SELECT d.code AS dimension_code,
       d.name_en AS dimension_name,
       ag.code AS age_group_code,
       ag.name_en AS age_group_name,
       COALESCE(prov.acts_in_force, 0) AS acts_in_force,
       COALESCE(prov.provisions_in_force, 0) AS provisions_in_force,
       COALESCE(ind.indicator_count, 0) AS indicator_count,
       ind.indicator_codes,
       ind.indicator_names,
       ind.latest_values,
       CASE WHEN COALESCE(ind.indicator_count, 0) > 0
             AND COALESCE(prov.provisions_in_force, 0) < {GAP_MIN_PROVISIONS} THEN 1 ELSE 0 END AS gap,
       CASE WHEN COALESCE(ind.indicator_count, 0) = 0
             AND COALESCE(prov.provisions_in_force, 0) > 0 THEN 1 ELSE 0 END AS data_gap
FROM dimensions d
CROSS JOIN age_groups ag
LEFT JOIN prov ON prov.dimension_code = d.code AND prov.age_group_code = ag.code
LEFT JOIN ind ON ind.dimension_code = d.code AND ind.age_group_code = ag.code
WHERE ag.kind = 'band'
ORDER BY d.position, d.code, ag.position, ag.code
"""

VIEWS = {
    "indicator_latest": INDICATOR_LATEST,
    "coverage": COVERAGE,
}


# Aggregates over every provision are computed once, when the build creates the views, into a
# table of the same name: the database is immutable while served, so a per-request GROUP BY
# over a million provisions (938 ms for coverage at 1M, issue 11) buys nothing.
MATERIALISED = ("coverage",)


def create_views(db: sqlite_utils.Database) -> None:
    """(Re)create the views, then turn each of MATERIALISED into a table of its rows; safe to
    call on a database that already has them (call it again after changing the data)."""
    for name in reversed(list(VIEWS)):
        for (kind,) in db.execute("SELECT type FROM sqlite_master WHERE name = ?", [name]).fetchall():
            db.execute(f"DROP {'TABLE' if kind == 'table' else 'VIEW'} [{name}]")
    for sql in VIEWS.values():
        db.execute(sql)
    for name in MATERIALISED:
        db.execute(f"CREATE TABLE [_{name}_rows] AS SELECT * FROM [{name}]")
        db.execute(f"DROP VIEW [{name}]")
        db.execute(f"ALTER TABLE [_{name}_rows] RENAME TO [{name}]")
