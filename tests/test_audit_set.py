"""The audit set (kb/data/gold/audit.jsonl): a second, blind-labelled set of every corpus item
that is not in the development set. It resolves to real corpus text with matching shas, its
labels are well formed, and it does not overlap the development set."""
import json
from collections import Counter

import pytest
import yaml

from kb import paths
from kb.corpus_texts import get_item, iter_items, text_sha256
from kb.evaluate import DEV_GOLD, load_gold

AUDIT = paths.DATA_DIR / "gold" / "audit.jsonl"
TAXONOMY = paths.DATA_DIR / "taxonomy.yml"
ALLOWED = {"source", "act_id", "position", "text_sha256", "required", "acceptable", "primary",
           "flags", "age_min_months", "age_max_months", "age_ranges", "note"}


def _key(g):
    return (g["source"], g["act_id"], g["position"])


@pytest.fixture(scope="module")
def audit():
    return load_gold(AUDIT)


@pytest.fixture(scope="module")
def taxonomy():
    return yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))


def test_keys_unique_and_disjoint_from_dev(audit):
    keys = Counter(_key(g) for g in audit)
    assert [k for k, n in keys.items() if n > 1] == []
    dev = {_key(g) for g in load_gold(DEV_GOLD)}
    assert set(keys) & dev == set()


def test_dev_and_audit_cover_the_whole_corpus(audit, corpus_dir):
    # The 34 acts of adilet-text (sources adilet_text, adilet_text_kk: ~60,000 provisions) are
    # sampled, not labelled whole: their gold set is kb/data/gold/real (tests/test_real_gold.py).
    from kb.corpus_texts import load_sources

    sources = [s for s in load_sources() if not s.startswith("adilet_text")]
    labelled = {_key(g) for g in audit} | {_key(g) for g in load_gold(DEV_GOLD)}
    corpus = {(i.source, i.act_id, i.position) for i in iter_items(corpus_dir, sources=sources)}
    assert corpus - labelled == set()


def test_every_item_resolves_with_matching_sha(audit, corpus_dir):
    bad = []
    for g in audit:
        item = get_item(corpus_dir, g["source"], g["act_id"], g["position"])
        if text_sha256(item.text) != g["text_sha256"]:
            bad.append(_key(g))
    assert bad == []


def test_kazakh_page_is_included(audit, corpus_dir):
    kk = [g for g in audit if g["source"] == "adilet_kk"]
    assert kk
    assert all(get_item(corpus_dir, g["source"], g["act_id"], g["position"]).lang == "kk"
               for g in kk)


def test_no_corpus_text_stored(audit, corpus_dir):
    raw = AUDIT.read_text(encoding="utf-8")
    for line in raw.splitlines():
        assert set(json.loads(line)) <= ALLOWED
    assert all(len(g.get("note", "")) <= 200 for g in audit)
    for g in audit[::7]:
        text = get_item(corpus_dir, g["source"], g["act_id"], g["position"]).text
        if len(text) > 60:
            assert text[:60] not in raw


def test_codes_are_valid(audit, taxonomy):
    dims = {d["code"] for d in taxonomy["dimensions"]}
    flags = {f["code"] for f in taxonomy["flags"]}
    for g in audit:
        assert set(g["required"]) <= dims, g
        assert set(g["acceptable"]) <= dims, g
        assert not set(g["required"]) & set(g["acceptable"]), g
        assert set(g["flags"]) <= flags, g
        assert len(g["required"]) <= 3, g
        if g["required"]:
            assert g["primary"] in g["required"], g
        else:
            assert g["primary"] is None, g


def test_ages_are_consistent(audit):
    for g in audit:
        lo, hi = g["age_min_months"], g["age_max_months"]
        if lo is None:
            assert hi is None and not g.get("age_ranges"), g
        else:
            assert 0 <= lo <= 300 and (hi is None or lo <= hi <= 300), g


def test_repealed_items_have_no_dimension_and_no_age(audit, corpus_dir):
    repealed = 0
    for g in audit:
        text = get_item(corpus_dir, g["source"], g["act_id"], g["position"]).text
        head = text.split(maxsplit=1)[-1][:40].lower() if text.split() else ""
        if head.startswith(("исключен", "(исключен")):
            repealed += 1
            assert g["required"] == [] and g["acceptable"] == [] and g["age_min_months"] is None
    assert repealed >= 3


def test_codebook_renders_the_audit_table(tmp_path):
    from kb.codebook import write_codebook
    from kb.evaluate import score

    g = {"source": "s", "act_id": "a", "position": "p", "required": [], "acceptable": [],
         "primary": None, "flags": [], "age_min_months": None, "age_max_months": None}
    p = {"dimensions": [], "flags": [], "age_min_months": None, "age_max_months": None}
    r = score([g], [p])
    r["gold_path"] = "audit.jsonl"
    text = write_codebook(tmp_path / "c.md", eval_report=r, audit_report=r).read_text(encoding="utf-8")
    assert "## Audit set" in text and "`audit.jsonl`: 1 items scored" in text
    bare = write_codebook(tmp_path / "c2.md", eval_report=r, audit_report=tmp_path / "none.json")
    assert "## Audit set" not in bare.read_text(encoding="utf-8")
