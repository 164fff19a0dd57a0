"""The cue lexicon of taxonomy.yml and how tokens reach it.

* CueIndex: every cue phrase of one language as sequences of cue keys.
* CueKeyer (the lemmatizer components of kb.tagging.pipeline) gives every token its lemma and
  its *cue key* — the lemma itself when a cue uses it as a word, the longest cue stem it starts
  with («пособи*»), else the lemma — and writes both (LEMMA, NORM) with one Doc.from_array.
  Both are cached per word form; under nlp.pipe a whole batch is looked up in one numpy pass.
* DimensionCues (kb_dimension_cues): one PhraseMatcher on NORM finds every cue phrase
  (dimension cues, flag cues, child-context words, neutral phrases, adult-context words) in
  one pass — skipped when no token's key is a cue word.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy
from spacy.attrs import LEMMA, NORM, ORTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import minibatch

from kb import morph
from kb.taxonomy import Taxonomy, load_taxonomy
from kb.tagging.doc import CUE_HITS, HAS_CUE
from kb.tagging.kazakh import default_stemmer


# --- cue lexicon ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CueEntry:
    kind: str                   # dim | flag | child
    target: str                 # dimension code, flag code, or "child"
    pattern: str
    weight: float
    strong: bool
    age: tuple[int, int] | None
    pregnancy: bool
    group: bool = False
    only: str | None = None
    weak: bool = False
    recipient: bool = False


class CueIndex:
    """All cue phrases of one language, as sequences of cue keys.

    `word_key(word)` gives the key of a pattern word that carries no `*`, by the same function
    that keys the text's words: for Russian its lemma, for Kazakh its stem (a pattern word
    outside the stemmer's vocabulary, as in the adult-context phrase «кәмелетке толған», is
    reduced like the text's «кәмелетке» is), for English the lower-cased word.
    """

    def __init__(self, tax: Taxonomy, lang: str, make_doc, word_key):
        self.lang = lang
        raw: list[tuple[CueEntry, list[tuple[str, bool]]]] = []

        def add(kind, target, cue):
            toks = []
            for word in cue.pattern.split():
                star = word.endswith("*")
                parts = [t.text for t in make_doc(word.rstrip("*"))]
                for i, part in enumerate(parts):
                    is_prefix = star and i == len(parts) - 1
                    toks.append((morph.normalise(part) if is_prefix else word_key(part), is_prefix))
            entry = CueEntry(kind, target, cue.pattern, cue.weight, cue.strong, cue.age, cue.pregnancy,
                             cue.group, cue.only, cue.weak, cue.recipient)
            raw.append((entry, toks))

        for dim in tax.dimensions:
            for cue in dim.cues.get(lang, ()):
                add("dim", dim.code, cue)
        for flag in tax.flags:
            for cue in flag.cues.get(lang, ()):
                add("flag", flag.code, cue)
        for cue in tax.child_context.get(lang, ()):
            add("child", "child", cue)
        for cue in tax.neutral.get(lang, ()):
            add("neutral", "neutral", cue)
        for cue in tax.adult_context.get(lang, ()):
            add("adult", "adult", cue)
        for cue in tax.higher_education.get(lang, ()):
            add("higher_ed", "higher_ed", cue)

        self.stems = {t for _, toks in raw for t, p in toks if p}
        self.exact = {t for _, toks in raw for t, p in toks if not p}
        self.max_stem = max((len(s) for s in self.stems), default=0)
        # key sequence -> entries (one PhraseMatcher id per distinct sequence)
        self.sequences: dict[tuple[str, ...], list[CueEntry]] = {}
        for entry, toks in raw:
            alts = []
            for t, is_prefix in toks:
                if is_prefix:
                    a = {t + "*"} | {s + "*" for s in self.stems if s.startswith(t)}
                    a |= {e for e in self.exact if e.startswith(t)}
                    alts.append(sorted(a))
                else:
                    alts.append([t])
            for seq in product(*alts):
                self.sequences.setdefault(seq, []).append(entry)

    def key(self, lemma: str, lower: str) -> str:
        if lemma in self.exact:
            return lemma
        for form in (lemma, lower):
            for n in range(min(len(form), self.max_stem), 1, -1):
                if form[:n] in self.stems:
                    return form[:n] + "*"
        return lemma


class CueKeyer:
    """Lemma and cue key of every token, cached per word form.

    The cue key is the lemma itself when a cue uses it as a word, the longest cue stem the
    lemma (or the normalised form) starts with («пособи*»), else the lemma. A form seen before
    costs no Python work at all: the doc's ORTH hashes are looked up in a sorted array of known
    forms (numpy.searchsorted) and the (LEMMA, NORM) rows gathered from a table, written into
    the doc with one Doc.from_array. doc.user_data[HAS_CUE] says whether any key is a cue word,
    so kb_dimension_cues runs its PhraseMatcher only on docs that can match.
    """

    def __init__(self, nlp: Language, lang: str, lemma_fn, gate=None):
        self.index = cue_index(nlp, lang)
        self.lemma_fn = lemma_fn
        self.gate = gate
        self.strings = nlp.vocab.strings
        self.cue_keys = {self.strings.add(k) for seq in self.index.sequences for k in seq}
        self.rows: dict[int, int] = {}          # orth -> row of table / is_cue
        self.table = numpy.zeros((4096, 2), dtype=numpy.uint64)
        self.is_cue = numpy.zeros(4096, dtype=bool)
        self.n = 0
        self.sorted_orths = numpy.zeros(0, dtype=numpy.uint64)   # rows known to the fast path
        self.sorted_rows = numpy.zeros(0, dtype=numpy.intp)

    def lemma_key(self, text: str) -> tuple[str, str]:
        """(lemma, cue key) of one token text."""
        low = morph.normalise(text)
        lemma = self.lemma_fn(low) if (self.gate is None or self.gate(low)) else low
        return lemma, self.index.key(lemma, low)

    def _miss(self, orth: int) -> int:
        lemma, key = self.lemma_key(self.strings[orth])
        i = self.n
        if i == len(self.table):
            self.table = numpy.concatenate([self.table, numpy.zeros_like(self.table)])
            self.is_cue = numpy.concatenate([self.is_cue, numpy.zeros_like(self.is_cue)])
        key_id = self.strings.add(key)
        self.table[i] = (self.strings.add(lemma), key_id)
        self.is_cue[i] = key_id in self.cue_keys
        self.rows[orth] = i
        self.n = i + 1
        return i

    def _reindex(self) -> None:
        orths = numpy.fromiter(self.rows.keys(), dtype=numpy.uint64, count=len(self.rows))
        rows = numpy.fromiter(self.rows.values(), dtype=numpy.intp, count=len(self.rows))
        order = numpy.argsort(orths)
        self.sorted_orths, self.sorted_rows = orths[order], rows[order]

    def rows_of(self, orths: numpy.ndarray) -> numpy.ndarray:
        known = self.sorted_orths
        if len(known):
            pos = numpy.searchsorted(known, orths)
            pos[pos == len(known)] = 0
            idx = self.sorted_rows[pos]
            missing = numpy.flatnonzero(known[pos] != orths)
        else:
            idx = numpy.zeros(len(orths), dtype=numpy.intp)
            missing = numpy.arange(len(orths))
        if len(missing):
            rows, miss = self.rows, self._miss
            for i in missing.tolist():
                o = int(orths[i])
                idx[i] = rows[o] if o in rows else miss(o)
            # new forms reach the fast path in batches (amortised re-sorting)
            if len(rows) - len(known) > max(256, len(known) // 8):
                self._reindex()
        return idx

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            doc.user_data[HAS_CUE] = False
            return doc
        idx = self.rows_of(doc.to_array(ORTH))
        doc.from_array([LEMMA, NORM], self.table[idx])
        doc.user_data[HAS_CUE] = bool(self.is_cue[idx].any())
        return doc

    def pipe(self, docs, batch_size: int = 256):
        """nlp.pipe: the lookups of a whole batch in one numpy pass (per-doc numpy calls cost
        more than the lookups of a short provision)."""
        for batch in minibatch(docs, size=batch_size):
            arrays = [doc.to_array(ORTH) for doc in batch]
            lengths = [len(a) for a in arrays]
            if not sum(lengths):
                for doc in batch:
                    doc.user_data[HAS_CUE] = False
                yield from batch
                continue
            idx = self.rows_of(numpy.concatenate(arrays))
            values = self.table[idx]
            cue = self.is_cue[idx]
            start = 0
            for doc, n in zip(batch, lengths):
                if n:
                    end = start + n
                    doc.from_array([LEMMA, NORM], values[start:end])
                    doc.user_data[HAS_CUE] = bool(cue[start:end].any())
                    start = end
                else:
                    doc.user_data[HAS_CUE] = False
                yield doc


_CUE_INDEXES: dict[tuple[int, str], "CueIndex"] = {}


def cue_index(nlp: Language, lang: str) -> "CueIndex":
    """The cue index of `lang` for this pipeline's vocabulary (built once)."""
    key = (id(nlp.vocab), lang)
    if key not in _CUE_INDEXES:
        if lang == "ru":
            word_key = morph.lemma
        elif lang == "kk":
            word_key = default_stemmer().stem
        else:
            word_key = str.lower
        _CUE_INDEXES[key] = CueIndex(load_taxonomy(), lang, nlp.make_doc, word_key)
    return _CUE_INDEXES[key]


class _CachedAttr:
    """Sets one string attribute of every token from a function of its text, cached per form
    and written for the whole doc with Doc.from_array."""

    def __init__(self, nlp: Language, attr: int, fn):
        self.attr = attr
        self.fn = fn
        self.strings = nlp.vocab.strings
        self.cache: dict[int, int] = {}

    def _miss(self, orth: int) -> int:
        value = self.strings.add(self.fn(self.strings[orth]))
        self.cache[orth] = value
        return value

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        cache, miss = self.cache, self._miss
        values = [cache[o] if o in cache else miss(o) for o in doc.to_array(ORTH).tolist()]
        doc.from_array([self.attr], numpy.array(values, dtype=numpy.uint64).reshape(-1, 1))
        return doc


class DimensionCues:
    """Finds every cue phrase of taxonomy.yml (PhraseMatcher on the cue key in token.norm_).

    The keys are normally written by the language's lemmatizer (CueKeyer); a doc that did not
    go through one gets them here from token.lemma_."""

    def __init__(self, nlp: Language, lang: str, taxonomy: Taxonomy | None = None):
        self.lang = lang
        if taxonomy is None:
            self.index = cue_index(nlp, lang)
        else:
            self.index = CueIndex(taxonomy, lang, nlp.make_doc,
                                  morph.lemma if lang == "ru" else str.lower)
        self.strings = nlp.vocab.strings
        self.matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        self.entries: dict[int, list[CueEntry]] = {}
        for i, (seq, entries) in enumerate(self.index.sequences.items()):
            key = f"kb_cue_{lang}_{i}"
            self.entries[self.strings.add(key)] = entries
            pattern = Doc(nlp.vocab, words=list(seq))
            pattern.from_array([NORM], numpy.array([self.strings.add(k) for k in seq],
                                                   dtype=numpy.uint64).reshape(-1, 1))
            self.matcher.add(key, [pattern])
        self.cache: dict[int, int] = {}

    def _miss(self, doc: Doc, i: int, orth: int) -> int:
        tok = doc[i]
        value = self.strings.add(self.index.key(tok.lemma_, morph.normalise(tok.text)))
        self.cache[orth] = value
        return value

    def __call__(self, doc: Doc) -> Doc:
        has_cue = doc.user_data.get(HAS_CUE)
        if has_cue is None and len(doc):          # no CueKeyer before us: key the tokens here
            cache = self.cache
            orths = doc.to_array(ORTH).tolist()
            keys = [cache[o] if o in cache else self._miss(doc, i, o) for i, o in enumerate(orths)]
            doc.from_array([NORM], numpy.array(keys, dtype=numpy.uint64).reshape(-1, 1))
            has_cue = True
        doc.user_data[CUE_HITS] = self.find(doc) if has_cue else []
        return doc

    def find(self, doc: Doc) -> list:
        hits = []
        entries = self.entries
        for match_id, start, end in self.matcher(doc):
            for entry in entries[match_id]:
                hits.append((entry, start, end))
        if not hits:
            return hits
        # neutral phrases («образование юридического лица», «родительская компания»): the cue
        # hits inside them are not evidence (of the kind named by `only`, else of any kind)
        neutral = [(en.only, s, e) for en, s, e in hits if en.kind == "neutral"]
        if neutral:
            hits = [(en, s, e) for en, s, e in hits if en.kind != "neutral" and not any(
                ns <= s and e <= ne and (only is None or only == en.kind) for only, ns, ne in neutral)]
        # one token span matched by two cues of the same dimension: keep the more specific one
        # (the exact word «усыновитель», a group cue, over the stem «усынов*»)
        best: dict[tuple, CueEntry] = {}
        for en, s, e in hits:
            if en.kind == "dim":
                k = (en.target, s, e)
                cur = best.get(k)
                if cur is None or (-en.pattern.count("*"), len(en.pattern)) > \
                        (-cur.pattern.count("*"), len(cur.pattern)):
                    best[k] = en
        if len(best) < sum(1 for en, _, _ in hits if en.kind == "dim"):
            hits = [(en, s, e) for en, s, e in hits if en.kind != "dim" or best[(en.target, s, e)] is en]
        # a dimension cue strictly inside a longer dimension cue is not evidence; nor is a child
        # word strictly inside a longer child phrase («дети дошкольного возраста»: 0–71 months,
        # not the 0–215 of «дети»)
        for kind in ("dim", "child"):
            spans = [(s, e) for en, s, e in hits if en.kind == kind]
            if len(spans) > 1:
                hits = [(en, s, e) for en, s, e in hits
                        if en.kind != kind or not any(os <= s and e <= oe and (oe - os) > (e - s)
                                                      for os, oe in spans)]
        return hits
