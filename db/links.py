"""Build stage: ``provision_indicator_links``, a table of links with reasons (kb/indicator_links.py).

``load_links(db)`` reads the provisions, their dimensions and age bands, the aligned Kazakh
texts and the indicators of ``db``, with the topic cues of kb/data/indicators.yml, and writes
one row per (provision, indicator) linked. One act at a time: a provision's context (its
article's heading, the lead-in it continues) is in its own act, and memory stays that of the
largest act.

With ``previous_db`` (a build of the same pipeline versions: same tagger, cues, catalogue and
linker), the links of the acts copied from it (``reused_act_ids``: same text, same tags) are
copied too, and only the acts parsed in this build are linked again.
"""
from __future__ import annotations

import sqlite_utils

from kb.indicator_links import COLUMNS, link_act, topics

PROVISION_COLUMNS = ("id", "act_id", "parent_id", "kind", "heading", "text", "excluded",
                     "age_min_months", "age_max_months")


def _catalogue_cues() -> dict[str, list]:
    from scrapers.indicators.catalogue import load_catalogue

    return {code: ind.cues for code, ind in load_catalogue().indicators.items()}


def load_links(db: sqlite_utils.Database, previous_db=None, reused_act_ids=(),
               cues: dict[str, list] | None = None) -> dict:
    """Fill provision_indicator_links (emptied first); return counts for the build report.

    `cues` (indicator code → cues) defaults to the catalogue's.
    """
    conn = db.conn
    conn.execute("DELETE FROM provision_indicator_links")
    conn.row_factory = None
    kept = set(reused_act_ids) if previous_db is not None else set()
    if kept:
        conn.execute("ATTACH DATABASE ? AS prevlinks", (str(previous_db),))
        try:
            have = conn.execute("SELECT sql FROM prevlinks.sqlite_master WHERE type = 'table' "
                                "AND name = 'provision_indicator_links'").fetchall()
            prev_cols = [r[1] for r in conn.execute(
                "PRAGMA prevlinks.table_info(provision_indicator_links)")] if have else []
            if prev_cols and set(COLUMNS) <= set(prev_cols):
                names = ", ".join(COLUMNS)
                marks = ", ".join("?" for _ in kept)
                conn.execute(f"INSERT INTO main.provision_indicator_links ({names}) SELECT {names} "
                             f"FROM prevlinks.provision_indicator_links WHERE act_id IN ({marks})",
                             sorted(kept))
            else:
                kept = set()        # an older build (a view, other columns): link every act
            conn.commit()
        finally:
            conn.execute("DETACH DATABASE prevlinks")
    cols = ("code", "name_ru", "name_en", "dimension_code", "age_min_months", "age_max_months",
            "age_group_codes")
    indicator_rows = [dict(zip(cols, r)) for r in conn.execute(
        f"SELECT {', '.join(cols)} FROM indicators ORDER BY code")]
    topic_list = topics(indicator_rows, _catalogue_cues() if cues is None else cues)
    names = dict(conn.execute("SELECT code, name_ru FROM dimensions").fetchall())
    act_ids = [r[0] for r in conn.execute("SELECT id FROM acts ORDER BY id") if r[0] not in kept]
    marks = ", ".join("?" for _ in COLUMNS)
    insert = f"INSERT INTO provision_indicator_links ({', '.join(COLUMNS)}) VALUES ({marks})"
    for act_id in act_ids if any(t.cues for t in topic_list) else ():
        dims: dict[str, list[dict]] = {}
        for pid, code, score, primary in conn.execute(
                "SELECT pd.provision_id, pd.dimension_code, pd.score, pd.is_primary "
                "FROM provision_dimensions pd JOIN provisions p ON p.id = pd.provision_id "
                "WHERE p.act_id = ? ORDER BY pd.provision_id, pd.is_primary DESC, pd.dimension_code",
                (act_id,)):
            dims.setdefault(pid, []).append({"dimension_code": code, "score": score,
                                             "is_primary": primary})
        if not dims:
            continue
        provisions = [dict(zip(PROVISION_COLUMNS, r)) for r in conn.execute(
            f"SELECT {', '.join(PROVISION_COLUMNS)} FROM provisions WHERE act_id = ? "
            "ORDER BY position", (act_id,))]
        pregnancy = {r[0] for r in conn.execute(
            "SELECT pag.provision_id FROM provision_age_groups pag JOIN provisions p "
            "ON p.id = pag.provision_id WHERE p.act_id = ? AND pag.age_group_code = 'AG_PRE'",
            (act_id,))}
        kazakh = {}
        for pid, heading, text in conn.execute(
                "SELECT provision_id, heading, text FROM provision_texts WHERE act_id = ? "
                "AND lang = 'kaz' AND provision_id IS NOT NULL", (act_id,)):
            if pid in dims:
                kazakh[pid] = " ".join(x for x in (kazakh.get(pid), heading, text) if x)
        rows = link_act(provisions, dims, pregnancy, kazakh, topic_list, names)
        conn.executemany(insert, [tuple(r[c] for c in COLUMNS) for r in rows])
    conn.commit()
    total, indicators = conn.execute(
        "SELECT count(*), count(DISTINCT indicator_code) FROM provision_indicator_links").fetchone()
    return {"links": total, "indicators": indicators}
