"""The trained dimension model (issue 9): shipped as data with the hash of what it learnt from,
reproduced by `kb train`, never trained on the blind part, measured with acts held out."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.evaluate import load_gold
from kb.tagging import get_tagger
from kb.tagging.model import MODEL_DIR, WEIGHTS_FILE, DimensionModel, combine, load_config
from kb.tagging.training import (BLIND_SPEC, REAL_GOLD, cross_validate, data_sha256, is_blind,
                                 load_blind_spec)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shipped():
    return json.loads((MODEL_DIR / WEIGHTS_FILE).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def gold():
    return load_gold(REAL_GOLD)


def test_the_model_is_data_beside_its_config(shipped):
    config = load_config()
    assert 0 < float(config["model"]["add_threshold"]) <= 1
    assert set(shipped["codes"]) == {"MAT", "HOU", "HLT", "NUT", "ECD", "EDU", "FAM", "PRO",
                                     "JUS", "PAR", "LEI", "GOV"}
    assert len(shipped["features"]) > 1000
    assert MODEL_DIR.is_relative_to(REPO / "kb" / "data")   # a new model re-tags the build


def test_the_shipped_model_was_trained_on_today_s_open_gold(shipped, gold):
    """A gold label changed without `kb train` leaves a stale model: this fails then."""
    spec = load_blind_spec()
    open_part = [g for g in gold if not is_blind(g, spec)]
    assert shipped["data_sha256"] == data_sha256(open_part)
    assert shipped["n_gold_items"] == len(open_part)


def test_the_blind_part_is_what_was_sealed(gold):
    """blind.yml's rule gives the figures written in it (665 items, 241 Kazakh at sealing; 1440
    and 528 after the fourth draw)."""
    spec = load_blind_spec()
    blind = [g for g in gold if is_blind(g, spec)]
    text = BLIND_SPEC.read_text(encoding="utf-8")
    assert f"{len(blind)} of {len(gold):,} items blind" in text
    assert f"{sum(g['source'].endswith('_kk') for g in blind)} Kazakh" in text
    # an article and its parts are on the same side of the split
    sides = {}
    for g in gold:
        if g["act_id"] in spec["split_acts"]:
            art = g["position"].split("-p")[0].split("-sp")[0]
            sides.setdefault((g["act_id"], art), set()).add(is_blind(g, spec))
    assert all(len(s) == 1 for s in sides.values())


def test_kb_train_reproduces_the_shipped_model():
    result = CliRunner().invoke(cli, ["train", "--check"])
    assert result.exit_code == 0, result.output
    assert "the shipped model is what kb train makes" in result.output


def _model(weights: dict, threshold=0.7):
    config = {"model": {"add_threshold": threshold, "thresholds": {"FAM": 0.9}, "bigrams": True}}
    return DimensionModel({"codes": ["FAM", "PRO"], "intercepts": {"FAM": 0.0, "PRO": 0.0},
                           "features": weights, "data_sha256": "x"}, config)


def test_the_model_adds_over_its_threshold_and_never_removes_a_rule_tag():
    model = _model({"w:труд": {"PRO": 3.0}, "w:и": {"PRO": 1.0}, "w:семья": {"FAM": 1.5}})
    rules = {"dimensions": [{"code": "FAM", "score": 0.8, "primary": True, "evidence": ["семьи"]}],
             "flags": [], "age_min_months": None, "age_max_months": None}
    words = [("труд", "труда"), ("и", "и"), ("семья", "семьи")]
    probs = model.probabilities(["w:труд", "w:и", "w:семья"])
    out = combine(rules, probs, model, words)
    assert [d["code"] for d in out["dimensions"]] == ["FAM", "PRO"]
    assert out["dimensions"][0]["primary"] and not out["dimensions"][1]["primary"]
    assert out["dimensions"][1]["evidence"] == ["труда"]     # attribution, no function words
    # below the threshold: nothing added; FAM has its own, higher threshold
    weak = combine({**rules, "dimensions": []}, model.probabilities(["w:семья"]), model, words)
    assert weak["dimensions"] == []            # sigmoid(1.5) = 0.82 < FAM's 0.9


def test_a_language_may_have_its_own_threshold_for_a_code():
    """config.cfg [model.thresholds_by_language.kk]: a Kazakh text needs more for that code;
    Russian texts and the other codes keep theirs."""
    config = {"model": {"add_threshold": 0.5, "thresholds": {"FAM": 0.9}, "bigrams": True,
                        "thresholds_by_language": {"kk": {"PRO": 0.9}}}}
    model = DimensionModel({"codes": ["FAM", "PRO"], "intercepts": {"FAM": 0.0, "PRO": 0.0},
                            "features": {"w:x": {"PRO": 1.0, "FAM": 3.0}}, "data_sha256": "x"},
                           config)
    assert (model.threshold("PRO", "kk"), model.threshold("PRO", "ru"),
            model.threshold("FAM", "kk"), model.threshold("PRO")) == (0.9, 0.5, 0.9, 0.5)
    empty = {"dimensions": [], "flags": [], "age_min_months": None, "age_max_months": None}
    probs = model.probabilities(["w:x"])                       # PRO 0.73, FAM 0.95
    assert [d["code"] for d in combine(empty, probs, model, lang="ru")["dimensions"]] == \
        ["FAM", "PRO"]
    assert [d["code"] for d in combine(empty, probs, model, lang="kk")["dimensions"]] == ["FAM"]
    shipped = DimensionModel.load()
    assert shipped.threshold("EDU", "kk") > shipped.threshold("EDU", "ru")


def test_a_repealed_item_gets_nothing_from_the_model():
    tagger = get_tagger()
    for text in ("Статья 17. Исключена Законом РК от 03.07.2013 № 124-V.",
                 "исключен Законом РК от 24.06.2021 № 52-VII (вводится в действие)."):
        assert tagger.tag(text)["dimensions"] == []


def test_cross_validation_holds_whole_acts_out_and_matches_the_plain_score():
    report = cross_validate(REAL_GOLD, folds=4)
    folds = report["fold_of_act"]
    assert len(set(folds.values())) == 4 and report["acts"] == len(folds)
    spec = load_blind_spec()
    assert not set(folds) & set(spec["acts"])                  # blind acts are in no fold
    open_rules, open_model = report["open"]["rules"], report["open"]["rules_model"]
    assert open_rules["n_items"] == open_model["n_items"] == report["open"]["rules"]["n_items"]
    with open(REAL_GOLD, encoding="utf-8") as fh:
        every = sum(1 for line in fh if line.strip())
    assert report["blind"]["rules"]["n_items"] + open_rules["n_items"] == every
    for part in ("open", "blind"):
        for tagger in ("rules", "rules_model", "kb"):
            rep = report[part][tagger]
            assert set(rep["by_language"]) == {"ru", "kk"}
            assert 0 < rep["micro"]["f1"] <= 1
        # the lead-in and heading layer only adds to provisions the tagger gave nothing
        assert report[part]["kb"]["micro"]["tp"] >= report[part]["rules_model"]["micro"]["tp"]


def test_kb_eval_cv_prints_both_parts_and_no_blind_errors():
    result = CliRunner().invoke(cli, ["eval", "--cv", "--folds", "3", "--errors"])
    assert result.exit_code == 0, result.output
    assert "blind  rules + model" in result.output and "open   rules + model" in result.output
    assert "blind  + lead-in/heading" in result.output
    spec = load_blind_spec()
    error_lines = [l for l in result.output.splitlines() if l.startswith("  adilet_text")]
    assert error_lines
    assert not any(f"/{act}/" in l for l in error_lines for act in spec["acts"])


def test_codebook_prints_the_blind_part_by_dimension_as_counts_only():
    """docs/codebook.md's held-out section has a per-dimension table for the blind part (what a
    reader can expect of each dimension on law the tagger was not tuned on), made from
    docs/eval-real.json; it names no blind item."""
    import json

    from kb.codebook import REAL_JSON, render_real

    cv = json.loads(REAL_JSON.read_text(encoding="utf-8"))
    lines = render_real(cv)
    start = next(i for i, l in enumerate(lines) if l.startswith("### Blind part by dimension"))
    rows = {}
    for line in lines[start:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 8 and cells[0] in cv["blind"]["kb"]["per_dimension"]:
            rows[cells[0]] = cells
        if line.startswith("### ") and rows:
            break
    blind = cv["blind"]["kb"]["per_dimension"]
    assert set(rows) == set(blind)
    for code, d in blind.items():
        assert rows[code][1:5] == [str(d["support"]), str(d["tp"]), str(d["fp"]), str(d["fn"])]
    spec = load_blind_spec()
    text = "\n".join(lines)
    assert not any(f"{act}/" in text for act in spec["acts"])


def test_the_shipped_heldout_figures_are_this_taggers_blind_counts(tmp_path):
    """kb/data/tagger_model/heldout.json (shown beside each tag) holds the blind part's counts
    of docs/eval-real.json, for the tagger version that ships; figures of another version are
    not served as this one's."""
    import json

    from kb.codebook import REAL_JSON
    from kb.tagging import TAGGER_VERSION
    from kb.tagging.training import HELDOUT_FILE, heldout_figures, load_heldout

    cv = json.loads(REAL_JSON.read_text(encoding="utf-8"))
    shipped = load_heldout(tagger_version=TAGGER_VERSION)
    assert shipped is not None, f"{HELDOUT_FILE} is not for {TAGGER_VERSION}: python -m kb.codebook --eval"
    assert shipped["dimensions"] == heldout_figures(cv, TAGGER_VERSION)["dimensions"]
    for d in shipped["dimensions"].values():
        assert d["support"] == d["tp"] + d["fn"]
    old = tmp_path / "heldout.json"
    old.write_text(json.dumps({**shipped, "tagger": "rules-0"}), encoding="utf-8")
    assert load_heldout(old, tagger_version=TAGGER_VERSION) is None
    assert load_heldout(tmp_path / "none.json") is None
