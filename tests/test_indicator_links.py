"""Provision–indicator links with reasons (issue 13, part 2): kb/indicator_links.py, db/links.py.

Unit tests on provisions written here; rule tests on the session's real corpus build (the
tagger changes, so they state the rule, not counts).
"""
import json
import shutil
import sqlite3

import pytest
import sqlite_utils

from db.links import load_links
from kb.indicator_links import age_span_text, compile_cue, link_act, topics
from scrapers.indicators.catalogue import CatalogueError, load_catalogue

BULLYING_ACTS = ("V2200031180", "V2400034817")   # the rules and their amending order
LABOUR_CODE = "K1500000414"
CHILD_LABOUR = "PT_CHLD_5-17_LBR_ECON-HC"
NAMES = {"PRO": "Защита", "HLT": "Здоровье"}


def _topics(cues):
    rows = [
        {"code": "MORT", "name_ru": "Смертность до 5 лет", "dimension_code": "HLT",
         "age_min_months": 0, "age_max_months": 59, "age_group_codes": '["AG_INF"]'},
        {"code": "LBR", "name_ru": "Детский труд", "dimension_code": "PRO",
         "age_min_months": 60, "age_max_months": 215, "age_group_codes": "[]"},
        {"code": "ANC", "name_ru": "Дородовое наблюдение", "dimension_code": "HLT",
         "age_min_months": 0, "age_max_months": 0, "age_group_codes": '["AG_PRE"]'},
    ]
    return topics(rows, cues)


CUES = {"MORT": ["смерт", "умер(?!ен)"], "LBR": ["рабоч\\w*\\s+врем", {"all": ["труд", "несовершеннолетн"]}],
        "ANC": ["беременн"]}


def _p(pid, text, kind="part", parent=None, heading=None, lo=None, hi=None, excluded=0):
    return {"id": pid, "act_id": "A", "parent_id": parent, "kind": kind, "heading": heading,
            "text": text, "excluded": excluded, "age_min_months": lo, "age_max_months": hi}


def _dims(*pairs):
    return [{"dimension_code": d, "score": s, "is_primary": i == 0} for i, (d, s) in enumerate(pairs)]


def test_a_link_needs_dimension_ages_and_a_cue_and_says_why():
    provs = [
        _p("art1", None, kind="article", heading="Рабочее время несовершеннолетних"),
        _p("art1-p1", "Для лиц до восемнадцати лет рабочее время сокращается.", parent="art1", lo=0, hi=215),
        _p("art1-p2", "Оказывается медицинская помощь.", parent="art1", lo=0, hi=215),
        _p("art1-p3", "Сроки устанавливаются приказом.", parent="art1", lo=192, hi=215),
        _p("art2", "Дети с умеренной задержкой развития.", kind="article", lo=0, hi=59),
        _p("art3", "Сведения о смерти ребенка.", kind="article", lo=None, hi=None),
        _p("art4", "Учет беременных.", kind="article"),
    ]
    dims = {"art1-p1": _dims(("PRO", 0.8)), "art1-p2": _dims(("HLT", 0.9)),
            "art1-p3": _dims(("PRO", 0.8)), "art2": _dims(("HLT", 0.9)),
            "art3": _dims(("HLT", 0.9)), "art4": _dims(("HLT", 0.9))}
    rows = link_act(provs, dims, {"art4"}, {}, _topics(CUES), NAMES)
    got = {(r["provision_id"], r["indicator_code"]): r for r in rows}
    # the cue in the text itself
    own = got["art1-p1", "LBR"]
    assert own["cue_in_context"] == 0 and json.loads(own["matched_words"]) == ["рабочее время"]
    assert "общее измерение «Защита» (PRO; у положения — основное)" in own["reason"]
    assert "положение — 0–17 лет, индикатор — 5–17 лет, общий — 5–17 лет" in own["reason"]
    assert "в тексте положения: «рабочее время»" in own["reason"]
    # the cue only in the article's heading: a link, weaker, and says where
    ctx = got["art1-p3", "LBR"]
    assert ctx["cue_in_context"] == 1 and "в заголовке статьи: «рабочее время»" in ctx["reason"]
    assert ctx["relevance"] < own["relevance"]
    assert ("art1-p2", "MORT") not in got             # HLT and ages, but no mortality word
    assert ("art2", "MORT") not in got                # «умеренной» is not «умер…»
    assert ("art3", "MORT") not in got                # no age
    assert ("art4", "ANC") in got and "беременности и рождению" in got["art4", "ANC"]["reason"]
    assert ("art4", "MORT") not in got                # no months, and U5MR has no AG_PRE


def test_all_cues_need_every_part_in_one_text_and_count_towards_relevance():
    provs = [_p("a", "Труд несовершеннолетних и их рабочее время.", kind="article", lo=168, hi=215),
             _p("b", "Труд взрослых.", kind="article", lo=168, hi=215)]
    dims = {"a": _dims(("PRO", 1.0)), "b": _dims(("PRO", 1.0))}
    rows = {r["provision_id"]: r for r in link_act(provs, dims, set(), {}, _topics(CUES), NAMES)}
    assert "b" not in rows
    assert json.loads(rows["a"]["matched_cues"]) == ["рабоч\\w*\\s+врем", "труд + несовершеннолетн"]
    assert rows["a"]["relevance"] == 0.75             # two cues in the text, primary 1.0, ages inside


def test_kazakh_text_and_secondary_dimension():
    provs = [_p("a", "Текст без признака.", kind="article", lo=0, hi=215)]
    rows = link_act(provs, {"a": _dims(("HLT", 1.0), ("PRO", 0.8))}, set(),
                    {"a": "Кәмелетке толмағандардың еңбегі"},
                    _topics({"LBR": ["еңбе[кг]"]}), NAMES)
    assert len(rows) == 1 and rows[0]["is_primary"] == 0
    assert "в казахском тексте: «еңбегі»" in rows[0]["reason"]
    assert rows[0]["relevance"] == round(0.5 * 0.8 * 0.75, 4)


def test_age_span_text():
    assert age_span_text(60, 215) == "5–17 лет"
    assert age_span_text(0, 59) == "0–4 года"
    assert age_span_text(0, 11) == "0–11 мес."
    assert age_span_text(0, 0) == "при рождении (0 мес.)"
    assert age_span_text(192, None) == "от 16 лет"
    assert age_span_text(12, 23) == "1 год"


def test_cues_match_at_a_word_start_only():
    cue = compile_cue("труд(?:а|ов)")
    assert cue.find("охрана труда") == ["труда"]
    assert cue.find("трудности") is None and cue.find("сотрудова") is None


def test_every_indicator_of_the_catalogue_has_cues(tmp_path):
    cat = load_catalogue()
    assert all(ind.cues for ind in cat.indicators.values()), \
        [c for c, ind in cat.indicators.items() if not ind.cues]
    bad = tmp_path / "indicators.yml"
    bad.write_text("indicators:\n- {code: X, name_en: x, source: s, dimension_code: HLT, "
                   "age_min_months: 0, age_max_months: 1, cues: ['смерт(']}\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not a regular expression"):
        load_catalogue(bad)


# --- the real corpus build -------------------------------------------------------------------


@pytest.fixture(scope="module")
def conn(corpus_build):
    c = sqlite3.connect(corpus_build[0])
    yield c
    c.close()


def test_links_are_a_table_and_none_lacks_a_reason(conn):
    assert conn.execute("select type from sqlite_master where name = 'provision_indicator_links'"
                        ).fetchone() == ("table",)
    total, = conn.execute("select count(*) from provision_indicator_links").fetchone()
    assert total > 0
    bad = conn.execute("""select count(*) from provision_indicator_links
        where reason is null or trim(reason) = '' or relevance is null or relevance <= 0
           or relevance > 1 or json_array_length(matched_cues) = 0""").fetchone()[0]
    assert bad == 0


def test_every_link_keeps_the_rule(conn):
    """Shared dimension, overlapping ages (or both pregnancy), the words found in the provision
    or its context; never an excluded provision."""
    rows = conn.execute("""
        select l.provision_id, l.indicator_code, l.shared_age_min_months, l.shared_age_max_months,
               l.matched_words, p.excluded, p.age_min_months, p.age_max_months,
               i.age_min_months, i.age_max_months,
               exists(select 1 from provision_age_groups g where g.provision_id = l.provision_id
                      and g.age_group_code = 'AG_PRE') and i.age_group_codes like '%"AG_PRE"%',
               exists(select 1 from provision_dimensions pd where pd.provision_id = l.provision_id
                      and pd.dimension_code = i.dimension_code and pd.dimension_code = l.dimension_code),
               lower(coalesce(p.heading, '') || ' ' || coalesce(p.text, '') || ' ' ||
                     coalesce((select group_concat(coalesce(t.heading, '') || ' ' || coalesce(t.text, ''), ' ')
                               from provision_texts t where t.provision_id = p.id and t.lang = 'kaz'), '') || ' ' ||
                     coalesce(par.text, '') || ' ' ||
                     coalesce((select group_concat(coalesce(a.heading, ''), ' ') from provisions a
                               where a.act_id = p.act_id and a.kind = 'article'
                                 and (p.slug = a.slug or p.slug like a.slug || '-%')), ''))
        from provision_indicator_links l
        join provisions p on p.id = l.provision_id
        left join provisions par on par.id = p.parent_id
        join indicators i on i.code = l.indicator_code""").fetchall()
    for (pid, code, lo, hi, words, excluded, p_lo, p_hi, i_lo, i_hi, both_pre, same_dim,
         text) in rows:
        assert not excluded and same_dim, (pid, code)
        if lo is None:
            assert both_pre, (pid, code)        # no shared months: both about pregnancy and birth
        else:
            assert i_lo <= lo <= hi <= i_hi, (pid, code)
            assert (p_lo or 0) <= lo and (p_hi is None or hi <= p_hi), (pid, code)
        text = text.lower().replace("ё", "е")   # SQLite lower() folds ASCII only
        for w in json.loads(words):
            assert w in text, (pid, code, w)


def test_no_link_from_the_bullying_rules_to_mortality(conn):
    marks = ", ".join("?" for _ in BULLYING_ACTS)
    assert conn.execute(f"select count(*) from provisions where act_id in ({marks})",
                        BULLYING_ACTS).fetchone()[0] > 10
    found = conn.execute(f"""select provision_id, indicator_code from provision_indicator_links
        where act_id in ({marks}) and (indicator_code like 'CME\\_%' escape '\\'
                                       or indicator_code = 'MNCH_MMR')""", BULLYING_ACTS).fetchall()
    assert found == []


def test_minors_working_time_links_to_child_labour(conn):
    # the Labour Code's rule on the working time of workers under 18 (art. 69 today)
    rule = conn.execute("""select id from provisions where act_id = ? and excluded = 0
        and text like '%не достигших восемнадцатилетнего возраста%'
        and text like '%продолжительность рабочего времени%'""", (LABOUR_CODE,)).fetchall()
    assert rule, "the working-time rule for minors is not in the Labour Code's text"
    for (pid,) in rule:
        reason = conn.execute("""select reason from provision_indicator_links
            where provision_id = ? and indicator_code = ?""", (pid, CHILD_LABOUR)).fetchone()
        assert reason is not None, f"{pid} is not linked to child labour (is it tagged PRO?)"
        assert "рабочего времени" in reason[0]
    linked = {r[0] for r in conn.execute("""select provision_id from provision_indicator_links
        where indicator_code = ? and provision_id like ?""", (CHILD_LABOUR, LABOUR_CODE + "-art69%"))}
    assert linked, "no provision of art. 69 links to child labour"


def test_an_indicators_provisions_are_read_by_relevance_from_the_index(conn):
    cols = [r[2] for r in conn.execute(
        "pragma index_info(idx_provision_indicator_links_indicator)")]
    assert cols == ["indicator_code", "relevance"]
    plan = " ".join(r[3] for r in conn.execute(
        "explain query plan select provision_id from provision_indicator_links "
        "where indicator_code = ? order by relevance desc limit 50", (CHILD_LABOUR,)))
    assert "idx_provision_indicator_links_indicator" in plan and "TEMP B-TREE" not in plan


def test_links_of_reused_acts_are_copied_and_of_changed_acts_recomputed(corpus_build, tmp_path):
    """db/links.py with a previous build: acts reused keep their rows, a changed act is linked
    anew from its new text, and the result equals linking everything from scratch."""
    previous = corpus_build[0]
    path = tmp_path / "kb.db"
    shutil.copyfile(previous, path)
    db = sqlite_utils.Database(path)
    rule = db.execute("""select id, text from provisions where act_id = ? and text like
        '%не достигших восемнадцатилетнего возраста%продолжительность рабочего времени%'""",
                      (LABOUR_CODE,)).fetchone()
    assert rule
    # a new edition of the Labour Code: the rule's wording no longer names working time
    db.execute("update provisions set text = ? where id = ?",
               ("Для несовершеннолетних устанавливаются особые гарантии.", rule[0]))
    db.conn.commit()
    acts = [r[0] for r in db.execute("select id from acts")]
    load_links(db, previous_db=previous, reused_act_ids=[a for a in acts if a != LABOUR_CODE])
    incremental = db.execute("select * from provision_indicator_links order by provision_id, "
                             "indicator_code").fetchall()
    changed = db.execute("select cue_in_context, reason from provision_indicator_links "
                         "where provision_id = ? and indicator_code = ?", (rule[0], CHILD_LABOUR)).fetchone()
    # linked anew: only its article's heading («…рабочего времени…») still names the topic
    assert changed is not None and changed[0] == 1 and "в тексте положения" not in changed[1]
    old = sqlite3.connect(previous)
    for act in ("Z020000345_", "V2200031180"):           # reused acts: the same rows
        q = "select * from provision_indicator_links where act_id = ? order by provision_id, indicator_code"
        assert db.execute(q, (act,)).fetchall() == old.execute(q, (act,)).fetchall()
    old.close()
    load_links(db)                                        # everything from scratch
    assert db.execute("select * from provision_indicator_links order by provision_id, "
                      "indicator_code").fetchall() == incremental
