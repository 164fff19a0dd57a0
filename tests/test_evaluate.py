"""Scoring rules of kb.evaluate on hand-made gold / prediction pairs (no tagger, no corpus)."""
import pytest

from kb.evaluate import format_report, jaccard, score


def gold(required=(), acceptable=(), primary=None, age=(None, None), flags=(), position="p1"):
    return {"source": "s", "act_id": "A", "position": position, "required": list(required),
            "acceptable": list(acceptable), "primary": primary, "flags": list(flags),
            "age_min_months": age[0], "age_max_months": age[1]}


def pred(*codes, primary=None, age=(None, None), flags=()):
    primary = primary or (codes[0] if codes else None)
    return {"dimensions": [{"code": c, "score": 0.9, "primary": c == primary, "evidence": []}
                           for c in codes],
            "flags": list(flags), "age_min_months": age[0], "age_max_months": age[1]}


def bands(lo, hi):
    """A tiny band table for tests: A = 0–11, B = 12–215, C = 216+ ."""
    if lo is None and hi is None:
        return []
    hi = 10**6 if hi is None else hi
    return [c for c, a, b in (("A", 0, 11), ("B", 12, 215), ("C", 216, 10**6)) if lo <= b and hi >= a]


def test_perfect_agreement():
    g = [gold(["PRO"], primary="PRO", age=(0, 215), position="p1"),
         gold(["FAM", "PRO"], primary="FAM", age=(0, 215), position="p2"),
         gold(position="p3")]
    p = [pred("PRO", age=(0, 215)), pred("FAM", "PRO", age=(0, 215)), pred()]
    r = score(g, p, age_groups=bands)
    assert r["micro"] == {"tp": 3, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert r["macro_f1"] == 1.0
    assert r["per_dimension"]["PRO"]["support"] == 2
    assert r["primary_accuracy"] == 1.0
    assert r["nonchild_wrong_share"] == 0.0
    assert r["age"]["band_jaccard"] == 1.0 and r["age"]["exact_interval"] == 1.0
    assert r["errors"] == []


def test_missing_required_is_false_negative():
    r = score([gold(["PRO", "HLT"])], [pred("PRO")], age_groups=bands)
    assert r["per_dimension"]["HLT"] == {"tp": 0, "fp": 0, "fn": 1, "precision": None,
                                         "recall": 0.0, "f1": 0.0, "support": 1, "neutral": 0}
    assert r["per_dimension"]["PRO"]["tp"] == 1
    assert r["micro"]["recall"] == 0.5 and r["micro"]["precision"] == 1.0
    assert r["errors"][0]["missing"] == ["HLT"]


def test_acceptable_extra_is_neutral():
    r = score([gold(["PRO"], acceptable=["EDU"])], [pred("PRO", "EDU")], age_groups=bands)
    edu = r["per_dimension"]["EDU"]
    assert (edu["tp"], edu["fp"], edu["fn"], edu["neutral"]) == (0, 0, 0, 1)
    assert edu["f1"] is None            # neither in gold nor wrongly predicted: not averaged
    assert r["micro"]["f1"] == 1.0
    assert r["macro_f1"] == 1.0


def test_forbidden_extra_is_false_positive():
    r = score([gold(["PRO"]), gold(position="p2")], [pred("PRO", "JUS"), pred("JUS")],
              age_groups=bands)
    jus = r["per_dimension"]["JUS"]
    assert (jus["fp"], jus["support"], jus["f1"]) == (2, 0, 0.0)
    assert r["micro"]["precision"] == pytest.approx(1 / 3)
    assert r["macro_f1"] == pytest.approx(0.5)   # PRO 1.0, JUS 0.0
    assert r["errors"][0]["forbidden"] == ["JUS"]


def test_nonchild_share_counts_only_codes_outside_acceptable():
    g = [gold(position="a"), gold(position="b"), gold(acceptable=["EDU"], position="c"),
         gold(position="d"), gold(["PRO"], position="e")]
    p = [pred(), pred("HLT"), pred("EDU"), pred(), pred("PRO")]
    r = score(g, p, age_groups=bands)
    assert r["n_nonchild"] == 4 and r["n_child"] == 1
    assert r["nonchild_wrong"] == 1
    assert r["nonchild_wrong_share"] == pytest.approx(1 / 4)
    assert r["nonchild_any_share"] == pytest.approx(2 / 4)


def test_age_band_jaccard_and_exact_interval():
    g = [gold(["FAM"], age=(0, 215), position="a"),      # bands A,B
         gold(["FAM"], age=(0, 11), position="b"),       # band A
         gold(position="c")]                             # none
    p = [pred("FAM", age=(12, 215)),                     # B: J = 1/2
         pred("FAM", age=(0, 11)),                       # exact: J = 1
         pred()]                                         # both empty: J = 1
    r = score(g, p, age_groups=bands)
    assert r["age"]["band_jaccard"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert r["age"]["band_jaccard_child"] == pytest.approx(0.75)
    assert r["age"]["exact_interval"] == pytest.approx(2 / 3)
    assert r["age"]["exact_interval_child"] == pytest.approx(0.5)


def test_age_given_where_gold_has_none_scores_zero():
    r = score([gold(position="a")], [pred(age=(0, 215))], age_groups=bands)
    assert r["age"]["band_jaccard"] == 0.0
    assert r["age"]["exact_interval"] == 0.0
    assert {"group": "age given, gold none", "count": 1} in r["error_groups"]


def test_jaccard_both_empty_is_one():
    assert jaccard([], []) == 1.0
    assert jaccard(["A"], []) == 0.0
    assert jaccard(["A", "B"], ["B", "C"]) == pytest.approx(1 / 3)


def test_primary_and_flags():
    g = [gold(["HLT", "PRO"], primary="HLT", flags=["disability"], position="a"),
         gold(["PRO"], primary="PRO", position="b")]
    p = [pred("HLT", "PRO", primary="PRO", flags=["disability", "rural"]), pred("PRO")]
    r = score(g, p, age_groups=bands)
    assert r["primary_accuracy"] == 0.5
    assert (r["flags"]["tp"], r["flags"]["fp"], r["flags"]["fn"]) == (1, 1, 0)


def test_predictions_keyed_by_item_key():
    g = [gold(["PRO"], position="a"), gold(position="b")]
    r = score(g, {"s/A/a": pred("PRO")}, age_groups=bands)   # b missing: nothing predicted
    assert r["micro"]["f1"] == 1.0 and r["nonchild_wrong"] == 0


def test_misaligned_predictions_rejected():
    with pytest.raises(ValueError):
        score([gold(["PRO"])], [], age_groups=bands)


def test_format_report_lists_dimensions_and_errors():
    r = score([gold(["PRO"], position="a"), gold(position="b")], [pred("EDU"), pred("JUS")],
              age_groups=bands)
    r["unresolved"] = [{"key": "s/A/z", "problem": "changed", "detail": "text sha 1 != gold 2"}]
    text = format_report(r, show_errors=True)
    lines = text.splitlines()
    header = next(ln for ln in lines if ln.startswith("dim "))
    rows = [ln for ln in lines if ln[:4] in ("PRO ", "EDU ", "JUS ")]
    assert len(rows) == 3 and all(len(row) == len(header) for row in rows)
    assert "s/A/a: gold PRO; pred EDU; missed PRO; extra EDU" in text
    assert "changed  s/A/z" in text
    assert "errors (2)" in text
    assert "errors (" not in format_report(r, show_errors=False)


def test_codebook_lists_every_dimension_and_the_figures(tmp_path):
    from kb.codebook import load_taxonomy_yaml, write_codebook

    r = score([gold(["PRO"], age=(0, 215))], [pred("PRO", age=(0, 215))], age_groups=bands)
    r["gold_path"] = "dev.jsonl"
    out = write_codebook(tmp_path / "codebook.md", eval_report=r)
    text = out.read_text(encoding="utf-8")
    codes = [d["code"] for d in load_taxonomy_yaml()["dimensions"]]
    assert len(codes) == 12
    for code in codes:
        assert f"### {code} — " in text
    assert "| PRO | 1 | 1 | 0 | 0 | 1.000 | 1.000 | 1.000 |" in text
    bare = write_codebook(tmp_path / "c2.md", eval_report=tmp_path / "missing.json")
    assert "No evaluation report yet" in bare.read_text(encoding="utf-8")


def test_evaluate_end_to_end_reports_changed_and_missing_items(tmp_path, corpus_dir, monkeypatch):
    """evaluate() resolves texts, calls tag_many once per language and reports drift."""
    import json
    import sys
    import types

    from kb.corpus_texts import get_item
    from kb.evaluate import evaluate

    calls = []

    class FakeTagger:
        def tag_many(self, texts, lang="ru"):
            calls.append((len(texts), lang))
            return [{"dimensions": [{"code": "PRO", "score": 0.9, "primary": True, "evidence": []}]
                     if "травл" in t else [], "flags": [],
                     "age_min_months": None, "age_max_months": None} for t in texts]

    monkeypatch.setitem(sys.modules, "kb.tagging",
                        types.SimpleNamespace(get_tagger=lambda: FakeTagger()))
    good = get_item(corpus_dir, "bullying_rules", "V2200031180", "rules.p2.sp1")
    from kb.corpus_texts import text_sha256
    lines = [
        {**gold(["PRO"], age=(0, 215)), "source": "bullying_rules", "act_id": "V2200031180",
         "position": "rules.p2.sp1", "text_sha256": text_sha256(good.text)},
        {**gold(), "source": "bullying_rules", "act_id": "V2200031180",
         "position": "rules.p2.sp1", "text_sha256": "000000000000"},
        {**gold(), "source": "bullying_rules", "act_id": "V2200031180",
         "position": "rules.p99", "text_sha256": "000000000000"},
    ]
    path = tmp_path / "g.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    r = evaluate(gold_path=path, corpus_dir=corpus_dir)
    assert calls == [(1, "ru")]
    assert r["n_gold"] == 3 and r["n_items"] == 1
    assert sorted(p["problem"] for p in r["unresolved"]) == ["changed", "missing"]
    assert r["per_dimension"]["PRO"]["tp"] == 1
    assert r["age"]["exact_interval"] == 0.0          # gold 0–215, fake tagger gives none
    assert "NOT SCORED: 2 gold item(s)" in format_report(r)
