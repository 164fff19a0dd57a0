"""The trained dimension model beside the rules (issue 9).

A one-vs-rest logistic regression per dimension over sparse features of a provision, trained
from the real-act gold set by `kb train` (kb.tagging.training) and shipped as data in
kb/data/tagger_model/: `config.cfg` (features, regularisation, thresholds: the settings) and
`weights.json` (the weights, with the sha256 of the gold items they were learnt from). Being
under kb/data, a new model changes the build's data hash, so the knowledge base is re-tagged.

Features of a provision (`doc_features`), all from what the rule pipeline already computed:

* `w:<key>`  every word's cue key (token.norm_: the pymorphy3 lemma or the cue stem in
             Russian, the suffix-aware stem in Kazakh, else the lower-cased form);
* `b:<key> <key>` adjacent pairs of those;
* `p:<prefix>` the first letters of each longer key (config: prefix_len);
* `r:<DIM>`, `rp:<DIM>`, `r:age`, `r:any`, `f:<flag>`  what the rules decided.

The model only *adds* a dimension the rules did not give, when its probability reaches the
threshold of config.cfg: measured with acts held out, it helps recall a little and vetoing
rule tags cost more than it gained (docs/codebook.md, «The trained model»). Its evidence is
its attribution: the words of the provision with the largest positive weights for that code.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy
from spacy.attrs import IS_ALPHA, LENGTH, NORM
from spacy.lang.ru.stop_words import STOP_WORDS as RU_STOP_WORDS

from kb import paths
from kb.tagging.doc import CHILD_CONTEXT

MODEL_DIR = paths.DATA_DIR / "tagger_model"
# function words carry weight in the model but say nothing to a reader: never shown as evidence
_STOP_WORDS = frozenset(RU_STOP_WORDS) | {
    "және", "немесе", "мен", "пен", "бен", "да", "де", "үшін", "бойынша", "туралы", "осы"}
CONFIG_FILE = "config.cfg"
WEIGHTS_FILE = "weights.json"


def load_config(model_dir: Path = MODEL_DIR) -> dict:
    """config.cfg as a dict (thinc's Config: the format of spaCy's training configs)."""
    from thinc.api import Config

    return Config().from_disk(Path(model_dir) / CONFIG_FILE)


def rule_features(tags: Mapping) -> list[str]:
    out = []
    for d in tags.get("dimensions") or []:
        out.append("r:" + d["code"])
        if d.get("primary"):
            out.append("rp:" + d["code"])
    if tags.get("dimensions"):
        out.append("r:any")
    if tags.get("age_min_months") is not None or tags.get("age_max_months") is not None:
        out.append("r:age")
    out += ["f:" + f for f in tags.get("flags") or []]
    return out


def word_keys(doc) -> list[tuple[str, str]]:
    """(cue key, surface form) of each word token of a Doc of the tagging pipeline."""
    return [(t.norm_, t.text) for t in doc if t.is_alpha and len(t) > 1]


def keys_of(doc) -> list[str]:
    """The cue keys of word_keys(doc), read in one array pass (the tagger's hot path)."""
    strings = doc.vocab.strings
    return [strings[n] for n, alpha, length in doc.to_array([NORM, IS_ALPHA, LENGTH]).tolist()
            if alpha and length > 1]


def doc_features(keys: Sequence[str], tags: Mapping, lang: str, bigrams: bool = True,
                 prefix_len: int = 0) -> list[str]:
    feats = ["w:" + k for k in keys]
    if bigrams:
        feats += ["b:" + a + " " + b for a, b in zip(keys, keys[1:])]
    if prefix_len:   # word beginnings: forms the lemmatiser or stemmer did not bring together
        feats += ["p:" + k[:prefix_len] for k in keys if len(k) > prefix_len]
    feats += rule_features(tags)
    feats.append("lang:" + lang)
    return feats


class DimensionModel:
    """Weights per feature and code; `probabilities` is the logistic of the summed weights."""

    def __init__(self, weights: Mapping, config: Mapping):
        self.codes: list[str] = list(weights["codes"])
        self.intercepts: dict[str, float] = dict(weights["intercepts"])
        # read only, so not copied (14,000 features: a copy was 2 % of a 15 MB kb tag run)
        self.weights: Mapping[str, Mapping[str, float]] = weights["features"]
        # the same weights as a dense matrix (a row per feature, a column per code) and the
        # intercepts as a vector: scoring, which runs for every provision with a child context,
        # is then one row lookup per feature and one numpy sum
        index = {c: i for i, c in enumerate(self.codes)}
        self._row = {f: r for r, f in enumerate(self.weights)}
        self._matrix = numpy.zeros((len(self.weights), len(self.codes)))
        for f, ws in self.weights.items():
            for c, w in ws.items():
                self._matrix[self._row[f], index[c]] = w
        self._bias = numpy.array([float(self.intercepts[c]) for c in self.codes])
        self.data_sha256: str = weights["data_sha256"]
        model = config["model"]
        self.bigrams = bool(model.get("bigrams", True))
        self.prefix_len = int(model.get("prefix_len", 0))
        self.add_threshold = float(model["add_threshold"])
        self.thresholds = {c: float(t) for c, t in (model.get("thresholds") or {}).items()}
        self.language_thresholds = {lang: {c: float(t) for c, t in codes.items()} for lang, codes
                                    in (model.get("thresholds_by_language") or {}).items()}
        self.max_evidence = int(model.get("max_evidence", 3))

    @classmethod
    def load(cls, model_dir: Path = MODEL_DIR) -> "DimensionModel | None":
        path = Path(model_dir) / WEIGHTS_FILE
        if not path.exists():
            return None
        return cls(json.loads(path.read_text(encoding="utf-8")), load_config(model_dir))

    def probabilities(self, features: Iterable[str]) -> dict[str, float]:
        get = self._row.get
        rows = [r for r in map(get, set(features)) if r is not None]   # binary, as in training
        z = self._bias + self._matrix[rows].sum(axis=0) if rows else self._bias
        p = 1.0 / (1.0 + numpy.exp(-z))
        return dict(zip(self.codes, p.tolist()))

    def threshold(self, code: str, lang: str | None = None) -> float:
        """The probability at which the model adds `code` to a text in `lang`."""
        own = self.language_thresholds.get(lang, {})
        return own[code] if code in own else self.thresholds.get(code, self.add_threshold)

    def evidence(self, words: Sequence[tuple[str, str]], code: str) -> list[str]:
        """The words whose own weight for `code` is largest and positive (the attribution)."""
        seen, scored = set(), []
        for key, surface in words:
            if key in seen or len(surface) < 4 or surface.lower() in _STOP_WORDS:
                continue
            seen.add(key)
            w = self.weights.get("w:" + key, {}).get(code, 0.0)
            if w > 0:
                scored.append((w, surface))
        scored.sort(key=lambda x: -x[0])
        return [s for _, s in scored[:self.max_evidence]]


def combine(tags: dict, probs: Mapping[str, float], model: DimensionModel,
            words: Sequence[tuple[str, str]] = (), lang: str | None = None) -> dict:
    """The rules' tags with the dimensions the model adds (probability ≥ its threshold for
    the text's language)."""
    have = {d["code"] for d in tags.get("dimensions") or []}
    added = sorted((c for c in model.codes
                    if c not in have and probs.get(c, 0.0) >= model.threshold(c, lang)),
                   key=lambda c: -probs[c])
    if not added:
        return tags
    dims = [dict(d) for d in tags.get("dimensions") or []]
    for c in added:
        dims.append({"code": c, "score": round(probs[c], 2), "primary": False,
                     "evidence": model.evidence(words, c)})
    if not any(d.get("primary") for d in dims):
        dims[0]["primary"] = True
    return {**tags, "dimensions": dims}


@lru_cache(maxsize=1)
def shipped_model() -> DimensionModel | None:
    return DimensionModel.load()


class ModelComponent:
    """The spaCy component (registered in kb.tagging.pipeline as kb_dimension_model), after
    kb_scorer: adds the model's dimensions to doc._.kb_tags."""

    def __init__(self, lang: str, model: DimensionModel | None = None):
        self.lang = lang
        self.model = model if model is not None else shipped_model()

    def __call__(self, doc):
        tags = doc._.kb_tags
        if self.model is None or tags is None or not scorable(doc):
            return doc
        probs = self.model.probabilities(doc_features(keys_of(doc), tags, self.lang, self.model.bigrams,
                                                      self.model.prefix_len))
        have = {d["code"] for d in tags.get("dimensions") or []}
        if any(p >= self.model.threshold(c, self.lang) for c, p in probs.items() if c not in have):
            doc._.kb_tags = combine(tags, probs, self.model, word_keys(doc), self.lang)
        return doc


def scorable(doc) -> bool:
    """The model speaks only where the rules' child-context gate opened (a child word, a child
    age or a strong cue, and not an excluded or repealed item): the same texts whatever the
    TextGate skips, so the gated and ungated taggers agree (tests/test_tagger_gate.py)."""
    return bool(doc.user_data.get(CHILD_CONTEXT))
