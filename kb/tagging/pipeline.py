"""spaCy pipelines for the tagger: Russian (main), Kazakh and a small English set.

    nlp = get_nlp("ru")                  # cached; components below, built from taxonomy.yml
    doc = nlp("…"); doc._.kb_tags        # the tag object of the `kb tag` contract (without id)

Pipeline (every component is a `@Language.factory`):

    ru: spacy.blank("ru") → kb_lemmatizer → kb_dimension_cues → kb_ages → kb_flags → kb_scorer
        → kb_dimension_model
    kk: spacy.blank("xx") → kb_kk_lemmatizer → kb_dimension_cues → kb_ages → … → kb_dimension_model
    en: spacy.blank("en") → kb_lower_lemmatizer → kb_dimension_cues → kb_ages → …

* kb_lemmatizer (CueKeyer) gives every token its lemma (pymorphy3) and its *cue key* — the
  lemma itself when a cue uses it as a word, the longest cue stem it starts with («пособи*»),
  else the lemma — and writes both (LEMMA, NORM) with one Doc.from_array. Both are cached per
  word form; under nlp.pipe a whole batch is looked up in one numpy pass. Only forms that can
  reach a cue are sent to pymorphy3 (LemmaGate); the others keep their normalised spelling as
  lemma, which nothing reads.
* kb_dimension_cues: one PhraseMatcher on NORM finds every cue phrase of taxonomy.yml
  (dimension cues, flag cues, child-context words, neutral phrases, adult-context words) in one
  pass — skipped when no token's key is a cue word. A cue inside a longer cue of another
  dimension is dropped («дополнительное образование» is LEI, not EDU); so is a cue inside a
  neutral phrase («образование юридического лица», «родительская компания»).
* kb_ages finds age expressions (numerals in words or digits) and rejects periods («за
  восемнадцать лет», «сроком до пяти лет», «лишение свободы на срок до 3 лет», «лет со дня»)
  and adult ages (> 23 years). Forms that are ages by their shape («не достигших восемнадцати
  лет», «-летнего возраста») are kept even after «работников», «срока».
* kb_flags keeps the cross-cutting flags; kb_scorer turns cue hits into dimension scores,
  applies the child-context gate (not opened by a strong cue alone next to adult-context words
  such as «недееспособн*»), discounts a dimension named only by *whom* a provision covers
  (group cues: orphans, pupils, large families) when another dimension in the same clause says
  *what* it regulates, applies the traps and writes doc._.kb_tags.

Before any of this, kb.tagging.Tagger asks the TextGate (kb.tagging.scoring) whether a text
can get a tag at all; most provisions cannot, and get the empty object without spaCy (same
output).

Where the parts live (kb/tagging/; each module imports only modules listed above it, so there
is no import cycle: tests/test_tagging_layout.py):

    ages       AgeHit, number words, the age hull's attachment rule
    doc        the Doc extension and user_data keys the components share
    kazakh     Kazakh stemmer and ages
    english    the small English age set (English: weak, not evaluated)
    cues       CueIndex, CueKeyer, DimensionCues
    russian    Russian numerals and ages, LemmaGate (pymorphy3)
    scoring    Scorer (scores, primary choice, traps, age hull, evidence), TextGate
    model      the trained dimension model and its component (training: kb.tagging.training)
    pipeline   the @Language.factory components and get_nlp / get_text_gate (this module)
"""
from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from kb import morph
from kb.taxonomy import load_taxonomy
from kb.tagging.ages import AgeHit
from kb.tagging.cues import CueKeyer, DimensionCues
from kb.tagging.doc import AGE_HITS, CUE_HITS, FLAGS, TextKeepingTokenizer, doc_text
from kb.tagging.english import extract_ages_en
from kb.tagging.kazakh import blank_kk, default_stemmer, extract_ages_kk
from kb.tagging.model import ModelComponent
from kb.tagging.russian import LemmaGate, extract_ages_ru
from kb.tagging.scoring import Scorer, TextGate


def extract_ages(text: str, lang: str) -> list[AgeHit]:
    if lang == "kk":
        return extract_ages_kk(text)
    if lang == "en":
        return extract_ages_en(text)
    return extract_ages_ru(text)


@Language.factory("kb_lemmatizer")
def make_kb_lemmatizer(nlp: Language, name: str):
    """token.lemma_ (pymorphy3, for forms that can reach a cue: LemmaGate) and token.norm_ =
    the cue key, cached per word form."""
    keyer = CueKeyer(nlp, "ru", morph.lemma)
    keyer.gate = LemmaGate(keyer.index)
    return keyer


@Language.factory("kb_lower_lemmatizer")
def make_kb_lower_lemmatizer(nlp: Language, name: str):
    """token.lemma_ = the lower-cased word (English: cue stems do the rest); norm_ = cue key."""
    return CueKeyer(nlp, "en", str.lower)


@Language.factory("kb_kk_lemmatizer")
def make_kb_kk_lemmatizer(nlp: Language, name: str):
    """token.lemma_ = the cue-vocabulary stem of a Kazakh word (suffix-aware), else lower case;
    token.norm_ = its cue key (kb.tagging.cues.CueKeyer)."""
    return CueKeyer(nlp, "kk", default_stemmer().stem)


@Language.factory("kb_dimension_cues", default_config={"lang": "ru"})
def make_kb_dimension_cues(nlp: Language, name: str, lang: str):
    return DimensionCues(nlp, lang)


@Language.factory("kb_ages", default_config={"lang": "ru"})
def make_kb_ages(nlp: Language, name: str, lang: str):
    def kb_ages(doc: Doc) -> Doc:
        doc.user_data[AGE_HITS] = extract_ages(doc_text(doc), lang)
        return doc
    return kb_ages


@Language.factory("kb_flags")
def make_kb_flags(nlp: Language, name: str):
    order = [f.code for f in load_taxonomy().flags]

    def kb_flags(doc: Doc) -> Doc:
        found = {en.target for en, _, _ in doc.user_data.get(CUE_HITS, ()) if en.kind == "flag"}
        doc.user_data[FLAGS] = [c for c in order if c in found]
        return doc
    return kb_flags


@Language.factory("kb_scorer", default_config={"lang": "ru"})
def make_kb_scorer(nlp: Language, name: str, lang: str):
    return Scorer(lang)


@Language.factory("kb_dimension_model", default_config={"lang": "ru"})
def make_kb_dimension_model(nlp: Language, name: str, lang: str):
    """The trained model (kb.tagging.model): adds the dimensions it finds with a probability
    over its threshold that the rules did not give; a no-op when no model is shipped."""
    return ModelComponent(lang)


@lru_cache(maxsize=None)
def get_nlp(lang: str = "ru") -> Language:
    """The tagging pipeline for `lang` (ru, kk, en), built once per process."""
    if lang == "ru":
        nlp = spacy.blank("ru")
        nlp.add_pipe("kb_lemmatizer")
    elif lang == "kk":
        nlp = blank_kk()
        nlp.add_pipe("kb_kk_lemmatizer")
    elif lang == "en":
        nlp = spacy.blank("en")
        nlp.add_pipe("kb_lower_lemmatizer")
    else:
        raise ValueError(f"unsupported language {lang!r} (expected ru, kk or en)")
    nlp.tokenizer = TextKeepingTokenizer(nlp.tokenizer)
    nlp.add_pipe("kb_dimension_cues", config={"lang": lang})
    nlp.add_pipe("kb_ages", config={"lang": lang})
    nlp.add_pipe("kb_flags")
    nlp.add_pipe("kb_scorer", config={"lang": lang})
    if lang in ("ru", "kk"):   # English has no gold set to learn from
        nlp.add_pipe("kb_dimension_model", config={"lang": lang})
    return nlp


@lru_cache(maxsize=None)
def get_text_gate(lang: str = "ru") -> TextGate | None:
    """The TextGate of `lang`'s pipeline (ru, kk); None for English (always the full path)."""
    if lang not in ("ru", "kk"):
        return None
    return TextGate(get_nlp(lang), lang)
