"""Train the dimension model (`kb train`) and measure it with acts held out (`kb eval --cv`).

    train(gold, corpus, out_dir)          -> writes weights.json beside config.cfg
    cross_validate(gold, corpus, folds)   -> reports: by act on the open part, and the blind part

The gold set's blind part (kb/data/gold/real/blind.yml) is never trained on: the shipped model
and every fold learn from the other items only, so `--cv` (folds by act: no item is scored by
a model that saw its act) and the blind score both estimate law the tagger has not seen.
scikit-learn fits the regressions (liblinear: deterministic, seconds on 2,000 items); what it
learns is written as plain JSON weights that kb.tagging.model reads without it.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Mapping, Sequence

import yaml

from kb import paths
from kb.tagging.model import (MODEL_DIR, WEIGHTS_FILE, DimensionModel, combine, doc_features,
                              load_config, scorable, word_keys)

REAL_GOLD = paths.REAL_GOLD
BLIND_SPEC = paths.DATA_DIR / "gold" / "real" / "blind.yml"
# what the shipped tagger scores per dimension on the blind part (acts it was not tuned on):
# written with the codebook's figures (python -m kb.codebook --eval), shown beside each tag
HELDOUT_FILE = MODEL_DIR / "heldout.json"
_ARTICLE = re.compile(r"art\d+(?:-\d+)*")


# --- the blind part -------------------------------------------------------------------------


def load_blind_spec(path: Path = BLIND_SPEC) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def is_blind(item: Mapping, spec: Mapping) -> bool:
    """The rule of blind.yml: a blind act, or a drawn article of a split act."""
    if item["act_id"] in spec["acts"]:
        return True
    if item["act_id"] in spec["split_acts"]:
        m = _ARTICLE.match(item["position"])
        article = m.group(0) if m else item["position"].split("-")[0]
        digest = hashlib.sha256(f"{item['act_id']}/{article}".encode()).digest()
        return digest[0] < int(spec["article_byte_below"])
    return False


def data_sha256(items: Sequence[Mapping]) -> str:
    """The hash of what the model learns from: each item's key, text hash and labels."""
    h = hashlib.sha256()
    for it in sorted(items, key=lambda i: (i["source"], i["act_id"], i["position"])):
        row = [it["source"], it["act_id"], it["position"], it.get("text_sha256"),
               sorted(it.get("required") or []), sorted(it.get("acceptable") or [])]
        h.update(json.dumps(row, ensure_ascii=False).encode() + b"\n")
    return h.hexdigest()


# --- features -------------------------------------------------------------------------------


def prepare(items: Sequence[Mapping]) -> list[dict | None]:
    """Per resolved item (with text and lang): the rules' tags, the words (cue key, surface)
    and whether the model may speak on it; None where the rules' text gate closes (the model
    never sees such a text at tagging time either)."""
    from kb.tagging.pipeline import get_nlp, get_text_gate
    from kb.tagging.scoring import empty_tags

    out: list[dict | None] = []
    for it in items:
        lang = it.get("lang") or "ru"
        gate, nlp = get_text_gate(lang), get_nlp(lang)
        text = it["text"] or ""
        if gate is not None and not gate(text):
            out.append({"tags": empty_tags(), "words": [], "scorable": False, "lang": lang})
            continue
        with nlp.select_pipes(disable=["kb_dimension_model"]):
            doc = nlp(text)
        tags = doc._.kb_tags
        out.append({"tags": tags, "words": word_keys(doc), "scorable": scorable(doc),
                    "lang": lang})
    return out


def _features(prep: Mapping, bigrams: bool, prefix_len: int = 0) -> list[str]:
    return doc_features([k for k, _ in prep["words"]], prep["tags"], prep["lang"], bigrams, prefix_len)


# --- fitting --------------------------------------------------------------------------------


def fit(items: Sequence[Mapping], preps: Sequence[Mapping], config: Mapping, codes: Sequence[str]) -> dict:
    """Weights (the weights.json object) learnt from the items the model may speak on."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    m = config["model"]
    bigrams, prefix_len = bool(m.get("bigrams", True)), int(m.get("prefix_len", 0))
    idx = [i for i, p in enumerate(preps) if p["scorable"]]
    docs = [_features(preps[i], bigrams, prefix_len) for i in idx]
    vec = CountVectorizer(analyzer=_identity, min_df=int(m["min_df"]), binary=True)
    X = vec.fit_transform(docs)
    names = vec.get_feature_names_out()
    features: dict[str, dict[str, float]] = {}
    intercepts: dict[str, float] = {}
    for code in codes:
        y = np.array([int(code in (items[i].get("required") or [])) for i in idx])
        # an acceptable code is neither taught nor forbidden
        w = np.array([0.0 if (not y[k] and code in (items[i].get("acceptable") or [])) else 1.0
                      for k, i in enumerate(idx)])
        if y.sum() < int(m.get("min_positives", 5)):
            intercepts[code] = -20.0
            continue
        clf = LogisticRegression(C=float(m["C"]), solver="liblinear", random_state=0)
        clf.fit(X, y, sample_weight=w)
        intercepts[code] = round(float(clf.intercept_[0]), 4)
        for j in np.flatnonzero(np.abs(clf.coef_[0]) >= float(m.get("prune_below", 0.001))):
            features.setdefault(str(names[j]), {})[code] = round(float(clf.coef_[0][j]), 4)
    return {"codes": list(codes), "intercepts": intercepts,
            "features": dict(sorted(features.items())), "n_items": len(idx)}


def _identity(x):
    return x


def _codes() -> list[str]:
    from kb.taxonomy import load_taxonomy

    return [d.code for d in load_taxonomy().dimensions]


def _resolved(gold_path: Path, corpus_dir: Path) -> list[dict]:
    from kb.evaluate import load_gold, resolve_texts

    resolved, problems = resolve_texts(load_gold(Path(gold_path)), Path(corpus_dir))
    if problems:
        raise ValueError(f"{len(problems)} gold item(s) not found or changed in {corpus_dir}: "
                         + ", ".join(p["key"] for p in problems[:5]))
    return resolved


def train(gold_path: Path = REAL_GOLD, corpus_dir: Path = paths.DEFAULT_CORPUS,
          model_dir: Path = MODEL_DIR, write: bool = True) -> dict:
    """Fit on the open (non-blind) part of the gold set; write weights.json; return it."""
    config = load_config(model_dir)
    spec = load_blind_spec()
    items = [i for i in _resolved(gold_path, corpus_dir) if not is_blind(i, spec)]
    weights = fit(items, prepare(items), config, _codes())
    weights = {"data_sha256": data_sha256(items), "gold": Path(gold_path).name,
               "n_gold_items": len(items), **weights}
    if write:
        (Path(model_dir) / WEIGHTS_FILE).write_text(
            json.dumps(weights, ensure_ascii=False, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    return weights


# --- held-out evaluation --------------------------------------------------------------------


def _predict(preps, model: DimensionModel | None) -> list[dict]:
    out = []
    for p in preps:
        tags = p["tags"]
        if model is not None and p["scorable"]:
            feats = _features(p, model.bigrams, model.prefix_len)
            tags = combine(tags, model.probabilities(feats), model, p["words"], p["lang"])
        out.append(tags)
    return out


def ancestor_chains(items: Sequence[Mapping], corpus_dir: Path) -> tuple[list[list[tuple[int, str]]], list[dict]]:
    """The lead-in and heading layer's inputs for gold items (kb.tagging.context): per item,
    (index into the returned ancestor items, slug) of its ancestors inside the article, nearest
    first; and those ancestor items (text, lang) from the corpus, as the coders saw them, each
    once however many items share it (an article heading is the ancestor of all its parts)."""
    from kb.corpus_texts import ItemNotFound, get_item
    from kb.tagging.context import parent_slug

    ancestors: list[dict] = []
    index: dict[tuple[str, str, str], int] = {}
    chains: list[list[tuple[int, str]]] = []
    for it in items:
        chain, slug = [], parent_slug(it["position"])
        while slug:
            key = (it["source"], it["act_id"], slug)
            if key not in index:
                try:
                    found = get_item(corpus_dir, *key)
                except ItemNotFound:
                    break
                index[key] = len(ancestors)
                ancestors.append({"text": found.text, "lang": found.lang})
            chain.append((index[key], slug))
            slug = parent_slug(slug)
        chains.append(chain)
    return chains, ancestors


def _in_context(preds: Sequence[dict], chains, ancestor_preds: Sequence[dict]) -> list[dict]:
    from kb.tagging.context import inherit

    return [inherit(pred, [(slug, ancestor_preds[j]) for j, slug in chain])[0]
            for pred, chain in zip(preds, chains)]


def _report(items, preds) -> dict:
    from kb.evaluate import _taxonomy_order, by_language, score

    rep = score(items, preds, code_order=_taxonomy_order())
    rep["by_language"] = by_language(items, preds)
    return rep


def cross_validate(gold_path: Path = REAL_GOLD, corpus_dir: Path = paths.DEFAULT_CORPUS,
                   folds: int = 8, model_dir: Path = MODEL_DIR) -> dict:
    """Rules alone, rules + model (the tagger, `kb tag`) and rules + model with the lead-in and
    heading layer (`kb`: what the knowledge base stores, kb.tagging.context): by act on the
    open part (folds of whole acts, Russian and Kazakh texts of an act together), and on the
    blind part with a model fitted on the whole open part."""
    config = load_config(model_dir)
    spec = load_blind_spec()
    codes = _codes()
    resolved = _resolved(gold_path, corpus_dir)
    preps = prepare(resolved)
    # an item's ancestors are in its own act, so the model that scores the item scores them
    chains, ancestors = ancestor_chains(resolved, Path(corpus_dir))
    anc_preps = prepare(ancestors)

    def kb_tags(idx: Sequence[int], preds: Sequence[dict], model: DimensionModel) -> list[dict]:
        """Rules + model with the lead-in and heading layer, as the knowledge base stores them."""
        used = sorted({j for i in idx for j, _ in chains[i]})
        anc = dict(zip(used, _predict([anc_preps[j] for j in used], model)))
        return _in_context(preds, [chains[i] for i in idx], anc)

    open_idx = [i for i, it in enumerate(resolved) if not is_blind(it, spec)]
    blind_idx = [i for i, it in enumerate(resolved) if is_blind(it, spec)]

    acts = sorted({resolved[i]["act_id"] for i in open_idx})
    # folds of whole acts, balanced by item count (largest acts first, each to the lightest fold)
    sizes = {a: sum(1 for i in open_idx if resolved[i]["act_id"] == a) for a in acts}
    fold_of: dict[str, int] = {}
    load = [0] * folds
    for a in sorted(acts, key=lambda a: (-sizes[a], a)):
        k = load.index(min(load))
        fold_of[a] = k
        load[k] += sizes[a]
    cv_preds: dict[int, dict] = {}
    cv_kb: dict[int, dict] = {}
    for k in range(folds):
        train_idx = [i for i in open_idx if fold_of[resolved[i]["act_id"]] != k]
        test_idx = [i for i in open_idx if fold_of[resolved[i]["act_id"]] == k]
        if not test_idx:
            continue
        w = fit([resolved[i] for i in train_idx], [preps[i] for i in train_idx], config, codes)
        model = DimensionModel({**w, "data_sha256": ""}, config)
        preds = _predict([preps[i] for i in test_idx], model)
        for i, pred, in_context in zip(test_idx, preds, kb_tags(test_idx, preds, model)):
            cv_preds[i] = pred
            cv_kb[i] = in_context
    full = fit([resolved[i] for i in open_idx], [preps[i] for i in open_idx], config, codes)
    full_model = DimensionModel({**full, "data_sha256": ""}, config)

    open_items = [resolved[i] for i in open_idx]
    blind_items = [resolved[i] for i in blind_idx]
    blind_preds = _predict([preps[i] for i in blind_idx], full_model)
    return {
        "gold_path": str(gold_path), "folds": folds, "acts": len(acts),
        "fold_of_act": fold_of,
        "open": {"rules": _report(open_items, [preps[i]["tags"] for i in open_idx]),
                 "rules_model": _report(open_items, [cv_preds[i] for i in open_idx]),
                 "kb": _report(open_items, [cv_kb[i] for i in open_idx])},
        "open_items": [{k: it[k] for k in ("source", "act_id", "position", "required")}
                       for it in open_items],
        "blind": {"rules": _report(blind_items, [preps[i]["tags"] for i in blind_idx]),
                  "rules_model": _report(blind_items, blind_preds),
                  "kb": _report(blind_items, kb_tags(blind_idx, blind_preds, full_model))},
    }


# --- the held-out figures the knowledge base shows ------------------------------------------


def heldout_figures(cv: Mapping, tagger_version: str, generated_at: str | None = None) -> dict:
    """Per dimension, the counts of the knowledge base's tags (rules + model + lead-in/heading)
    on the blind part of a `cross_validate` report: support, right, wrong, missed. Counts, not
    rates: with a support of 3 a rate would claim more than the set can say."""
    rep = cv["blind"]["kb"]
    return {"tagger": tagger_version, "generated_at": generated_at,
            "part": "blind", "tags": "rules + model + lead-in/heading",
            "gold": Path(cv["gold_path"]).name, "items": rep["n_items"],
            "dimensions": {code: {k: d[k] for k in ("support", "tp", "fp", "fn")}
                           for code, d in rep["per_dimension"].items()}}


def write_heldout(cv: Mapping, tagger_version: str, generated_at: str | None = None,
                  path: Path = HELDOUT_FILE) -> Path:
    path = Path(path)
    path.write_text(json.dumps(heldout_figures(cv, tagger_version, generated_at),
                               ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def load_heldout(path: Path = HELDOUT_FILE, tagger_version: str | None = None) -> dict | None:
    """The held-out figures, or None when there are none or they are another tagger's (a
    figure measured on rules-11 says nothing of rules-12's tags)."""
    path = Path(path)
    if not path.exists():
        return None
    figures = json.loads(path.read_text(encoding="utf-8"))
    if tagger_version is not None and figures.get("tagger") != tagger_version:
        return None
    return figures
