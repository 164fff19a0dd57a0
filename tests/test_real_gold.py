"""The real-act gold set (kb/data/gold/real): format, double coding, reconciliation."""
import json
import re

import pytest

from kb.agreement import REAL, agreement, disagreements, load_decisions, load_pass
from kb.corpus_texts import get_item, text_sha256

CODES = {"MAT", "HOU", "HLT", "NUT", "ECD", "EDU", "FAM", "PRO", "JUS", "PAR", "LEI", "GOV"}
FLAGS = {"disability", "without_parental_care", "low_income", "large_family",
         "migrant_refugee_kandas", "rural", "gender"}


@pytest.fixture(scope="module")
def gold():
    return [json.loads(line) for line in open(REAL / "gold.jsonl", encoding="utf-8")]


def _key(g):
    return f"{g['source']}/{g['act_id']}/{g['position']}"


def test_the_sample_meets_the_issue_s_quotas(gold):
    assert len(gold) >= 2500
    assert len({g["act_id"] for g in gold}) >= 20
    assert sum(g["source"] == "adilet_text_kk" for g in gold) >= 0.30 * len(gold)
    assert sum(not g["required"] for g in gold) >= 0.40 * len(gold)
    support = {c: sum(c in g["required"] for g in gold) for c in CODES}
    # every dimension with at least 40 required items (NUT after its top-up stratum)
    assert all(n >= 40 for n in support.values()), support


def test_gold_lines_are_well_formed_and_hold_no_text(gold):
    for g in gold:
        assert set(g["required"]) <= CODES and set(g["acceptable"]) <= CODES, _key(g)
        assert not set(g["required"]) & set(g["acceptable"]), _key(g)
        assert (g["primary"] in g["required"]) if g["required"] else g["primary"] is None, _key(g)
        assert set(g["flags"]) <= FLAGS, _key(g)
        lo, hi = g.get("age_min_months"), g.get("age_max_months")
        assert lo is None or hi is None or lo <= hi, _key(g)
        assert re.fullmatch(r"[0-9a-f]{12}", g["text_sha256"])
        assert len(g.get("note") or "") < 400             # a reason, never the provision


def test_every_item_resolves_in_the_corpus_with_its_hash(gold, corpus_dir):
    changed = [_key(g) for g in gold if text_sha256(get_item(
        corpus_dir, g["source"], g["act_id"], g["position"]).text) != g["text_sha256"]]
    assert changed == []


def test_both_passes_cover_every_item_and_every_disagreement_is_decided(gold):
    a, b = load_pass("a"), load_pass("b")
    keys = {_key(g) for g in gold}
    assert set(a) == set(b) == keys
    decided = load_decisions()
    assert set(disagreements(a, b)) == set(decided)
    for key, d in decided.items():
        assert d["chosen"] in ("coder_1", "coder_2", "new") and d["rule"], key


def test_kappa_is_reported_per_dimension_and_for_ages():
    report = json.loads((REAL / "agreement.json").read_text(encoding="utf-8"))
    fresh = agreement(load_pass("a"), load_pass("b"))
    assert report["dimensions"] == fresh["dimensions"]        # the file is up to date
    assert set(report["dimensions"]) == CODES and report["age_bands"]
    assert all(-1 <= r["kappa"] <= 1 for r in report["dimensions"].values())


def test_kb_eval_breaks_the_figures_down_by_language(corpus_dir):
    from kb.evaluate import evaluate, format_report

    report = evaluate(gold_path=REAL / "gold.jsonl", corpus_dir=corpus_dir)
    langs = report["by_language"]
    assert set(langs) == {"ru", "kk"}
    assert sum(d["n_items"] for d in langs.values()) == report["n_items"]
    assert sum(d["micro"]["tp"] for d in langs.values()) == report["micro"]["tp"]
    assert "\nkk " in format_report(report) and "\nru " in format_report(report)



def test_a_further_draw_never_repeats_an_item_and_keeps_to_its_language(corpus_dir, tmp_path,
                                                                        monkeypatch):
    """python -m kb.gold_sample --extend N [--lang kk]: appends a numbered draw of new keys."""
    import shutil

    from kb import gold_sample

    items = tmp_path / "items.jsonl"
    shutil.copyfile(REAL / "items.jsonl", items)
    monkeypatch.setattr(gold_sample, "ITEMS", items)
    before = [json.loads(line) for line in open(items, encoding="utf-8")]
    sample = gold_sample.extend(corpus_dir, 60, tmp_path / "batches", 2, ["kk"])
    after = [json.loads(line) for line in open(items, encoding="utf-8")]
    new = after[len(before):]
    assert after[:len(before)] == before and len(new) == len(sample) > 0
    draw = max(r.get("draw", 1) for r in before) + 1
    assert all(r["draw"] == draw and r["lang"] == "kk" for r in new)
    keys = [f"{r['source']}/{r['act_id']}/{r['position']}" for r in after]
    assert len(keys) == len(set(keys))
    coded = [json.loads(line) for b in (1, 2)
             for line in open(tmp_path / "batches" / f"draw{draw}_batch{b}.jsonl", encoding="utf-8")]
    assert [c["key"] for c in coded] == keys[len(before):] and all(c["text"] for c in coded)
