"""The lead-in and heading layer (kb/tagging/context.py): what a provision whose own text names
no child takes from the words that introduce it, and what it never takes (its age).

Unit tests on hand-written tag objects, then the real corpus build: every inherited row is
checked against the tagger on its own text and on its source's text, and the provision page
says where its tags come from.
"""
import json
import random
import sqlite3

import pytest

from kb.tagging import get_tagger
from kb.tagging.context import INHERITED, inherit, inherit_all, parent_slug


def _tags(*codes, age=None, flags=()):
    return {"dimensions": [{"code": c, "score": 0.8, "primary": i == 0, "evidence": [c.lower()]}
                           for i, c in enumerate(codes)],
            "flags": list(flags),
            "age_min_months": age[0] if age else None, "age_max_months": age[1] if age else None,
            "age_groups": ["AG_AD1"] if age else [], "age_evidence": ["x"] if age else []}


@pytest.mark.parametrize("slug, parent", [
    ("art137-3-p2-sp1", "art137-3-p2"), ("art137-3-p2", "art137-3"), ("art137-3", None),
    ("art1-sp49-5", "art1"), ("p9-sp4", "p9"), ("p9", None), ("art5-a1", "art5"),
    ("art5-p1_2", "art5"),
    # a chapter, a section or an appendix heading is too broad to decide a provision
    ("ch3-a2", None), ("app1-p3", None), ("app-p4", None), ("preamble", None),
    ("app-p4-sp2", "app-p4"), ("app1-p3-sp1", "app1-p3")])
def test_parent_slug_climbs_inside_the_article_only(slug, parent):
    assert parent_slug(slug) == parent


def test_own_dimensions_are_kept_and_nothing_is_inherited():
    own = _tags("EDU")
    tags, source = inherit(own, [("art5", _tags("FAM"))])
    assert source is None and [d["code"] for d in tags["dimensions"]] == ["EDU"]


def test_the_nearest_ancestor_with_dimensions_gives_them_and_its_flags():
    tags, source = inherit(None, [("art5-p2", _tags()), ("art5", _tags("MAT", "FAM", flags=["large_family"]))])
    assert source == "art5"
    assert [d["code"] for d in tags["dimensions"]] == ["MAT", "FAM"]
    assert tags["flags"] == ["large_family"]
    assert tags["age_min_months"] is None and tags["age_groups"] == []


def test_the_age_is_never_inherited_but_the_own_age_stays():
    # TAXONOMY.md: the provision's own words decide its age, not its article's heading
    tags, source = inherit(_tags(), [("art5", _tags("PRO", age=(168, 215)))])
    assert source == "art5" and tags["age_min_months"] is None and tags["age_evidence"] == []
    own_age = {**_tags(), "age_min_months": 0, "age_max_months": 167, "age_groups": ["AG_MID"]}
    tags, _ = inherit(own_age, [("art5", _tags("PRO", age=(168, 215)))])
    assert (tags["age_min_months"], tags["age_max_months"], tags["age_groups"]) == (0, 167, ["AG_MID"])


def test_the_inherited_copy_does_not_share_the_ancestor_s_lists():
    anc = _tags("FAM")
    tags, _ = inherit(None, [("art5", anc)])
    tags["dimensions"][0]["code"] = "PRO"
    assert anc["dimensions"][0]["code"] == "FAM"


def test_no_ancestor_with_dimensions_leaves_the_provision_as_it_was():
    assert inherit(None, [("art5", None), ("art4", _tags())]) == (None, None)
    assert inherit(_tags(), []) == (_tags(), None)


def test_inherit_all_climbs_the_slugs_and_stops_where_the_chain_breaks():
    slugs = ["art5", "art5-p1", "art5-p1-sp1", "art6-p1", "art7-p1", "art7-p1-sp1", "art8", "art8-p2"]
    tags = [_tags("GOV"), None, None, None, None, None, _tags("FAM"), None]
    out = inherit_all(slugs, tags, keep={"art8-p2"})
    # art6 is not among the slugs; art7 gives nothing; art8-p2 (an excluded item) keeps its own
    assert [src for _, src in out] == [None, "art5", "art5", None, None, None, None, None]
    assert out[7] == (None, None)


# --- the corpus build ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inherited_rows(corpus_build):
    conn = sqlite3.connect(corpus_build[0])
    conn.row_factory = sqlite3.Row
    rows = conn.execute("""
        select p.id, p.kind, p.heading, p.text, p.dimension_codes, p.age_min_months,
               p.age_max_months, p.excluded, s.id as src, s.kind as src_kind, s.heading as src_heading,
               s.text as src_text, s.dimension_codes as src_codes, s.tags_from as src_from,
               p.act_id = s.act_id as same_act,
               (select group_concat(method) from provision_dimensions where provision_id = p.id) as methods
        from provisions p join provisions s on s.id = p.tags_from""").fetchall()
    total = conn.execute("select count(*) from provisions").fetchone()[0]
    conn.close()
    return [dict(r) for r in rows], total


def test_the_build_stores_inherited_tags_apart_and_names_their_source(inherited_rows):
    rows, total = inherited_rows
    assert 0 < len(rows) < total / 20            # a layer for lists and parts, not the whole act
    for r in rows:
        assert r["same_act"] and not r["excluded"]
        assert r["src_kind"] not in ("section", "chapter")
        assert r["src_from"] is None              # taken from a source's own text, never a copy of a copy
        assert r["dimension_codes"] == r["src_codes"] != "[]"
        assert set(r["methods"].split(",")) == {f"{INHERITED}@{get_tagger().version}"}


def test_inherited_rows_are_what_the_tagger_gives_their_source_and_not_their_own_text(inherited_rows):
    rows, _ = inherited_rows
    tagger = get_tagger()
    for r in random.Random(7).sample(rows, min(120, len(rows))):
        own = tagger.tag(" ".join(t for t in (r["heading"], r["text"]) if t))
        assert own["dimensions"] == [], r["id"]                   # its own text gives none
        assert (r["age_min_months"], r["age_max_months"]) == (own["age_min_months"], own["age_max_months"])
        source = tagger.tag(" ".join(t for t in (r["src_heading"], r["src_text"]) if t))
        assert [d["code"] for d in source["dimensions"]] == json.loads(r["src_codes"])


async def test_the_provision_page_says_where_inherited_tags_come_from(corpus_build, inherited_rows):
    from kb.serve import make_datasette
    from kb.web import data

    rows, _ = inherited_rows
    row = next(r for r in rows if r["src_kind"] == "article")
    conn = sqlite3.connect(corpus_build[0])
    act_id, slug, src_slug = conn.execute(
        "select p.act_id, p.slug, s.slug from provisions p join provisions s on s.id = p.tags_from "
        "where p.id = ?", (row["id"],)).fetchone()
    own = conn.execute("select slug from provisions where tags_from is null and dimension_codes != '[]' "
                       "and act_id = ? limit 1", (act_id,)).fetchone()[0]
    conn.close()
    ds = make_datasette(corpus_build[0])
    html = (await ds.client.get(data.provision_url(act_id, slug))).text
    assert 'id="kb-tags-from"' in html and "из заголовка статьи" in html
    assert f'href="{data.provision_url(act_id, src_slug)}"' in html
    html = (await ds.client.get(data.provision_url(act_id, own))).text
    assert 'id="kb-tags-from"' not in html


async def test_each_tag_shows_its_dimensions_check_on_new_acts(corpus_build):
    """The build copies the tagger's held-out counts into dimensions.heldout_*, and the
    provision page shows them beside each tag (docs/interface.md, «How far a tag can be
    trusted»)."""
    from kb.serve import make_datasette
    from kb.tagging import TAGGER_VERSION, load_heldout
    from kb.web import data

    figures = load_heldout()["dimensions"]
    conn = sqlite3.connect(corpus_build[0])
    rows = {r[0]: r[1:] for r in conn.execute(
        "select code, heldout_support, heldout_right, heldout_wrong, heldout_missed from dimensions")}
    info = json.loads(conn.execute(
        "select value from build_info where key = 'tagger_heldout'").fetchone()[0])
    act_id, slug, code = conn.execute(
        "select p.act_id, p.slug, pd.dimension_code from provisions p join provision_dimensions pd "
        "on pd.provision_id = p.id where pd.is_primary = 1 and p.slug is not null limit 1").fetchone()
    conn.close()
    assert rows == {c: (f["support"], f["tp"], f["fp"], f["fn"]) for c, f in figures.items()}
    assert info["tagger"] == TAGGER_VERSION and info["part"] == "blind"
    html = (await make_datasette(corpus_build[0]).client.get(data.provision_url(act_id, slug))).text
    f = figures[code]
    assert "Проверка на новых актах" in html and 'id="kb-heldout-note"' in html
    assert f"верно {f['tp']} из {f['tp'] + f['fp']} меток; найдено {f['tp']} из {f['support']}" in html
