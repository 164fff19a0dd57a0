"""spaCy pipelines for the tagger: Russian (main), Kazakh (kb.kazakh) and a small English set.

    nlp = get_nlp("ru")                  # cached; components below, built from taxonomy.yml
    doc = nlp("…"); doc._.kb_tags        # the tag object of the `kb tag` contract (without id)

Pipeline (every component is a `@Language.factory`):

    ru: spacy.blank("ru") → kb_lemmatizer → kb_dimension_cues → kb_ages → kb_flags → kb_scorer
    kk: spacy.blank("xx") → kb_kk_lemmatizer (kb.kazakh) → kb_dimension_cues → kb_ages → …
    en: spacy.blank("en") → kb_lower_lemmatizer → kb_dimension_cues → kb_ages → …

* kb_lemmatizer sets token.lemma_ from kb.morph.lemma (pymorphy3), cached per word form and
  written for the whole doc at once (Doc.from_array), so it costs a dict lookup per token.
* kb_dimension_cues maps each token's lemma to its *cue key* — the lemma itself when a cue uses
  it as a word, the longest cue stem it starts with («пособи*»), else the lemma — and stores the
  key in token.norm_. One PhraseMatcher on NORM then finds every cue phrase of taxonomy.yml
  (dimension cues, flag cues and child-context words) in one pass over the doc. A cue inside
  a longer cue of another dimension is dropped («дополнительное образование» is LEI, not EDU).
* kb_ages finds age expressions (numerals in words or digits) and rejects periods («за
  восемнадцать лет», «сроком до пяти лет», «лишение свободы на срок до 3 лет», «лет со дня»)
  and adult ages (> 23 years).
* kb_flags keeps the cross-cutting flags; kb_scorer turns cue hits into dimension scores,
  applies the child-context gate and the traps and writes doc._.kb_tags.

English (lang "en"): the knowledge base takes English tags from the aligned Russian provision.
For `kb tag` on English text this module uses a deliberately small English cue set (a few
unambiguous phrases per dimension, prefix stems on lower-cased words, simple «under the age of
N» ages). It is far weaker than the Russian rules and is not evaluated; prefer the Russian text.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

import numpy
import spacy
from spacy.attrs import LEMMA, NORM, ORTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from kb import morph
from kb.taxonomy import Taxonomy, age_groups_for, load_taxonomy

if not Doc.has_extension("kb_tags"):
    Doc.set_extension("kb_tags", default=None)

TEXT = "kb_text"              # doc.user_data keys
CUE_HITS = "kb_cue_hits"
AGE_HITS = "kb_age_hits"
FLAGS = "kb_flags"


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


class CueIndex:
    """All cue phrases of one language, as sequences of cue keys.

    `word_key(word)` gives the key of a pattern word that carries no `*`; for Russian that is
    its lemma, for Kazakh and English the lower-cased stem itself.
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
            entry = CueEntry(kind, target, cue.pattern, cue.weight, cue.strong, cue.age, cue.pregnancy)
            raw.append((entry, toks))

        for dim in tax.dimensions:
            for cue in dim.cues.get(lang, ()):
                add("dim", dim.code, cue)
        for flag in tax.flags:
            for cue in flag.cues.get(lang, ()):
                add("flag", flag.code, cue)
        for cue in tax.child_context.get(lang, ()):
            add("child", "child", cue)

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


# --- Russian numerals and ages --------------------------------------------------------------

_UNITS = {
    1: "один одного одному одним одном одна одной одну одно", 2: "два две двух двум двумя",
    3: "три трех трем тремя", 4: "четыре четырех четырем четырьмя",
    5: "пять пяти пятью", 6: "шесть шести шестью", 7: "семь семи семью",
    8: "восемь восьми восемью", 9: "девять девяти девятью",
}
_TEENS = {10: "десять десяти десятью", 11: "одиннадцат", 12: "двенадцат", 13: "тринадцат",
          14: "четырнадцат", 15: "пятнадцат", 16: "шестнадцат", 17: "семнадцат",
          18: "восемнадцат", 19: "девятнадцат"}
_TENS = {20: "двадцать двадцати двадцатью", 30: "тридцать тридцати тридцатью",
         40: "сорок сорока", 50: "пятьдесят пятидесяти", 60: "шестьдесят шестидесяти",
         70: "семьдесят семидесяти", 80: "восемьдесят восьмидесяти", 90: "девяносто девяноста"}
_NUMWORD: dict[str, float] = {"полтора": 1.5, "полутора": 1.5}
for _v, _forms in (*_UNITS.items(), *_TENS.items()):
    for _f in _forms.split():
        _NUMWORD[_f] = _v
for _v, _stem in _TEENS.items():
    for _f in (_stem.split() if " " in _stem else (_stem + "ь", _stem + "и", _stem + "ью")):
        _NUMWORD[_f] = _v
# stems of compound adjectives: «четырнадцатилетнего», «двадцатитрехлетнего», «полуторагодовалого»
_CSTEM = {"одно": 1, "двух": 2, "трех": 3, "четырех": 4, "пяти": 5, "шести": 6, "семи": 7,
          "восьми": 8, "девяти": 9, "десяти": 10, "одиннадцати": 11, "двенадцати": 12,
          "тринадцати": 13, "четырнадцати": 14, "пятнадцати": 15, "шестнадцати": 16,
          "семнадцати": 17, "восемнадцати": 18, "девятнадцати": 19}
_CTENS = {"двадцати": 20, "тридцати": 30, "сорока": 40, "пятидесяти": 50, "шестидесяти": 60,
          "семидесяти": 70, "восьмидесяти": 80, "девяноста": 90}


def _alt(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_W = _alt(_NUMWORD)
_T = _alt([f for v, fs in _TENS.items() for f in fs.split()])
_U = _alt([f for v, fs in _UNITS.items() for f in fs.split()])
_DIG = r"\d{1,4}(?:-?(?:х|ти|и|ми|ух|ех|го|ого))?"
_NUM1 = rf"(?:(?:{_T})\s+(?:{_U})|{_W}|{_DIG})"
_NUM = rf"(?P<{{g}}>{_NUM1})(?:\s*\(\s*{_NUM1}\s*\))?"
_CNUM = rf"(?P<{{g}}>(?:{_alt(_CTENS)})?(?:{_alt(_CSTEM)})|{_alt(_CTENS)}|\d{{1,2}}-?)летн\w*\s+возраст\w*"
_YEARS = r"(?:лет|года|год|годам)\b"
_MONTHS = r"(?:месяц(?:а|ев|ам)?)\b"
_UNIT = rf"(?P<{{g}}>{_YEARS}|{_MONTHS})"
_GAP = r"(?:\s+[^\s.;:]+){0,6}?\s+"


def _num_value(s: str) -> float | None:
    s = s.strip()
    m = re.match(r"\d+", s)
    if m:
        return int(m.group())
    total = 0.0
    for w in s.split():
        if w not in _NUMWORD:
            return None
        total += _NUMWORD[w]
    return total or None


def _cnum_value(s: str) -> int | None:
    s = s.rstrip("-")
    if s.isdigit():
        return int(s)
    for tens, tv in _CTENS.items():
        if s.startswith(tens):
            rest = s[len(tens):]
            return tv + (_CSTEM.get(rest, 0) if rest else 0) if (not rest or rest in _CSTEM) else None
    return _CSTEM.get(s)


@dataclass
class AgeHit:
    min_months: int | None
    max_months: int | None       # None: open upwards
    text: str
    start: int
    end: int
    strong: bool                 # a child age by its form (opens the gate)
    pregnancy: bool = False


def _months(n: float, unit: str) -> int:
    return int(round(n if unit.startswith("месяц") else n * 12))


def _build(regex: str, *groups) -> re.Pattern:
    # substitute named groups: NUM(a) -> (?P<a>…), CNUM(a), UNIT(a)
    for name in groups:
        regex = regex.replace(f"CNUM({name})", _CNUM.replace("{g}", name))
    for name in groups:
        regex = regex.replace(f"NUM({name})", _NUM.replace("{g}", name))
        regex = regex.replace(f"UNIT({name})", _UNIT.replace("{g}", name))
    return re.compile(regex)


_NEG = r"не\s*достиг\w*"
_REACH = r"(?:достигш\w*|достигн\w*|достиг(?:ли|ла|ло)?|достижени\w*|исполнил\w*|исполнит\w*)"
_RU_RULES: list[tuple[tuple[str, ...], str, re.Pattern, bool]] = [
    # (needles: the regex runs only if one occurs, kind, regex, strong)
    (('достиг',), "lt", _build(rf"\b{_NEG}{_GAP}(?:возраст\w*\s+)?(?:NUM(a)\s+UNIT(u)|CNUM(c))", "a", "u", "c"), True),
    (('совершеннолет',), "lt_adult", re.compile(rf"\b{_NEG}(?:{_GAP})?совершеннолети\w*"), True),
    (('достижени',), "lt", _build(rf"\bдо\s+(?:его\s+|их\s+)?достижени\w*{_GAP}(?:возраст\w*\s+)?(?:NUM(a)\s+UNIT(u)|CNUM(c))", "a", "u", "c"), True),
    (('совершеннолет',), "lt_adult", re.compile(r"\bдо\s+(?:его\s+|их\s+)?(?:достижения\s+(?:\w+\s+)?)?совершеннолети\w*"), True),
    (('до ',), "range", _build(r"\b(?:от|с|со)\s+NUM(a)\s+(?:UNIT(v)\s+)?до\s+NUM(b)\s+UNIT(u)", "a", "b", "u", "v"), False),
    (('летн',), "ge", _build(r"\b(?:с|со)\s+(?:возраста\s+)?CNUM(c)", "c"), True),
    (('возраст',), "ge", _build(r"\b(?:с|со)\s+возраста\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('с ',), "ge", _build(r"\b(?:с|со)\s+NUM(a)\s+UNIT(u)", "a", "u"), False),
    (('летн',), "lt", _build(r"\bдо\s+CNUM(c)", "c"), True),
    (('возраст',), "lt", _build(r"\bв\s+возрасте\s+до\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('до ',), "lt", _build(r"\bдо\s+(?:возраста\s+)?NUM(a)\s+UNIT(u)", "a", "u"), False),
    (('младше', 'моложе'), "lt", _build(r"\b(?:младше|моложе)\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('старше',), "ge", _build(r"\bстарше\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('возраст',), "eq", _build(r"\bв\s+возрасте\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('достиг', 'достижени', 'исполни'), "ge", _build(rf"\b{_REACH}{_GAP}(?:возраст\w*\s+)?(?:NUM(a)\s+UNIT(u)|CNUM(c))", "a", "u", "c"), True),
    (('совершеннолет',), "ge_adult", re.compile(r"(?<!не)(?<!не\s)\bсовершеннолетн\w*(?:\s+\w+){0,2}?\s+(?:дет|ребен)\w*"), False),
    (('совершеннолет',), "ge_adult", re.compile(rf"\b(?:{_REACH}|по\s+достижении)(?:{_GAP})?совершеннолети\w*"), True),
]
_RU_ANCHOR = re.compile(rf"(?<![\w.])(?:{_W}|\d{{1,3}})(?:-?[а-я]{{1,3}})?(?:\s*\([^)]{{1,30}}\))?\s+(?:лет|год|месяц)|летн|совершеннол")
# what makes a number of years a period, not an age
_RU_PERIOD_BEFORE = re.compile(
    r"(?:\bсрок\w*|\bтечени\w*|\bпериод\w*|\bстаж\w*|\bсвобод\w*|\bработ\w*|\bарест\w*|"
    r"\bдавност\w*|\bпродолжительност\w*|\bне\s+(?:более|менее|позднее|ранее)|\bистечени\w*|"
    r"\bвыслуг\w*|\bпродлен\w*|\bзаключени\w*|\bнаказан\w*|\bпоселени\w*|\bобязательств\w*)"
    r"[^.;:]{0,12}$")
_RU_PERIOD_AFTER = re.compile(r"^\s*(?:со\s+дня|с\s+момента|с\s+даты|после|подряд|назад|"
                              r"лишения|ограничения|исправительн|\(?включительно\)?\s+со)")
_RU_PERIOD_GAP = re.compile(r"\b(?:за|течение|срок\w*|период\w*|стаж\w*|через|после|свобод\w*)\b")


def extract_ages_ru(text: str) -> list[AgeHit]:
    """Age expressions in Russian text, as month intervals (open upper bound: None)."""
    if "лет" not in text and "год" not in text and "месяц" not in text and "овершеннол" not in text:
        return []
    low = morph.normalise(text)
    if not _RU_ANCHOR.search(low):
        return []
    taken: list[tuple[int, int]] = []
    hits: list[AgeHit] = []
    for needles, kind, rx, strong in _RU_RULES:
        if not any(n in low for n in needles):
            continue
        for m in rx.finditer(low):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            gd = m.groupdict()
            if kind in ("lt_adult", "ge_adult"):
                lo, hi = (0, 215) if kind == "lt_adult" else (216, None)
            else:
                # the number(s) and unit
                if gd.get("c"):
                    n = _cnum_value(gd["c"])
                    unit = "лет"
                else:
                    n = _num_value(gd.get("a") or "")
                    unit = gd.get("u") or "лет"
                if n is None:
                    continue
                months = _months(n, unit)
                if kind == "lt":
                    lo, hi = 0, months - 1
                elif kind == "ge":
                    lo, hi = months, None
                elif kind == "eq":
                    lo, hi = months, months + (0 if unit.startswith("месяц") else 11)
                else:  # range
                    b = _num_value(gd.get("b") or "")
                    if b is None:
                        continue
                    lo, hi = months, _months(b, unit) - 1
                    if hi < lo:
                        continue
                if hi is not None and hi < 0:
                    continue
                before = low[max(0, s - 40):s]
                if _RU_PERIOD_BEFORE.search(before) or _RU_PERIOD_AFTER.search(low[e:e + 30]):
                    continue
                if _RU_PERIOD_GAP.search(low[s:e]):
                    continue
            taken.append((s, e))
            hits.append(AgeHit(lo, hi, text[s:e], s, e, strong))
    hits.sort(key=lambda h: h.start)
    return hits


_EN_RULES = [
    ("lt", re.compile(r"\b(?:under|below|younger than)\s+(?:the\s+age\s+of\s+)?(?P<a>\d{1,2})(?:\s+years)?"), True),
    ("range", re.compile(r"\baged\s+(?:from\s+)?(?P<a>\d{1,2})\s+(?:to|-|–)\s+(?P<b>\d{1,2})"), True),
    ("ge", re.compile(r"\b(?:from\s+the\s+age\s+of|over\s+the\s+age\s+of|older\s+than)\s+(?P<a>\d{1,2})"), True),
]


def extract_ages_en(text: str) -> list[AgeHit]:
    low = text.lower()
    hits = []
    for kind, rx, strong in _EN_RULES:
        for m in rx.finditer(low):
            a = int(m.group("a")) * 12
            if kind == "lt":
                lo, hi = 0, a - 1
            elif kind == "ge":
                lo, hi = a, None
            else:
                lo, hi = a, int(m.group("b")) * 12 - 1
            hits.append(AgeHit(lo, hi, text[m.start():m.end()], m.start(), m.end(), strong))
    hits.sort(key=lambda h: h.start)
    return hits


def extract_ages(text: str, lang: str) -> list[AgeHit]:
    if lang == "kk":
        from kb.kazakh import extract_ages_kk
        return extract_ages_kk(text)
    if lang == "en":
        return extract_ages_en(text)
    return extract_ages_ru(text)


# --- traps ------------------------------------------------------------------------------------

# an excluded / repealed item: «4) исключен Законом РК от …», «Пункт 3 утратил силу …»
_EXCLUDED = {
    "ru": re.compile(r"^\s*(?:сноска\.\s*)?(?:[\dа-яa-z]{1,4}(?:-\d+)?[.)]\s*){0,2}"
                     r"(?:(?:статья|пункт|подпункт|часть|глава|параграф|абзац)\s+[\d\-]+\s*\)?\s*)?"
                     r"(?:исключен[аоы]?|утратил[аои]?\s+силу)\b", re.I),
    "kk": re.compile(r"^\s*(?:[\dа-я]{1,4}(?:-\d+)?[.)]\s*){0,2}[^.;]{0,40}?"
                     r"(?:алып\s+тасталды|күшін\s+жойды)", re.I),
    "en": re.compile(r"^\s*(?:[\da-z]{1,4}[.)]\s*){0,2}(?:excluded|deleted|repealed)\b", re.I),
}
# a clause that repeals other acts: «Признать утратившим силу приказ … «Об утверждении …»»
_REPEAL_CLAUSE = {
    "ru": re.compile(r"^\s*(?:[\d]{1,3}[.)]\s*)?(?:признать|считать)\s+утратившим[иа]?\s+силу", re.I),
    "kk": re.compile(r"күші\s+жойылды\s+деп\s+танылсын", re.I),
    "en": re.compile(r"^\s*(?:\d{1,3}[.)]\s*)?(?:declare|recognise|recognize)\b.{0,40}\binvalid", re.I),
}
# quoted titles of (other) acts: «О правах ребенка …», «… туралы»
_QUOTED = re.compile(r"«([^«»]{3,400})»|\"([^\"]{3,400})\"|“([^“”]{3,400})”")
_TITLE_START = re.compile(r"^\s*(?:о|об|on|about)\s", re.I)
_TITLE_END = re.compile(r"туралы\s*$", re.I)


def title_spans(text: str) -> list[tuple[int, int]]:
    out = []
    for m in _QUOTED.finditer(text):
        inner = next(g for g in m.groups() if g is not None)
        if _TITLE_START.match(inner) or _TITLE_END.search(inner):
            out.append(m.span())
    return out


# --- components -------------------------------------------------------------------------------


@Language.factory("kb_lemmatizer")
def make_kb_lemmatizer(nlp: Language, name: str):
    """token.lemma_ = kb.morph.lemma(token.text), cached per word form."""
    # lemma() normalises case first: look up the lower-cased form so «Дети» and «дети» share
    # one pymorphy3 analysis (the expensive part) in the cache
    return _CachedAttr(nlp, LEMMA, lambda text: morph.lemma(morph.normalise(text)))


@Language.factory("kb_lower_lemmatizer")
def make_kb_lower_lemmatizer(nlp: Language, name: str):
    """token.lemma_ = the lower-cased word (English: cue stems do the rest)."""
    return _CachedAttr(nlp, LEMMA, lambda text: text.lower())


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


@Language.factory("kb_dimension_cues", default_config={"lang": "ru"})
def make_kb_dimension_cues(nlp: Language, name: str, lang: str):
    return DimensionCues(nlp, lang)


class DimensionCues:
    """Finds every cue phrase of taxonomy.yml (PhraseMatcher on the cue key in token.norm_)."""

    def __init__(self, nlp: Language, lang: str, taxonomy: Taxonomy | None = None):
        self.lang = lang
        tax = taxonomy or load_taxonomy()
        if lang == "ru":
            word_key = morph.lemma
        elif lang == "kk":
            from kb.kazakh import normalise_kk
            word_key = normalise_kk
        else:
            word_key = str.lower
        self.index = CueIndex(tax, lang, nlp.make_doc, word_key)
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
        hits = []
        if len(doc):
            cache = self.cache
            orths = doc.to_array(ORTH).tolist()
            keys = [cache[o] if o in cache else self._miss(doc, i, o) for i, o in enumerate(orths)]
            doc.from_array([NORM], numpy.array(keys, dtype=numpy.uint64).reshape(-1, 1))
            for match_id, start, end in self.matcher(doc):
                for entry in self.entries[match_id]:
                    hits.append((entry, start, end))
            # a dimension cue strictly inside a longer dimension cue is not evidence
            dims = [(s, e) for en, s, e in hits if en.kind == "dim"]
            hits = [(en, s, e) for en, s, e in hits
                    if en.kind != "dim" or not any(os <= s and e <= oe and (oe - os) > (e - s)
                                                   for os, oe in dims)]
        doc.user_data[CUE_HITS] = hits
        return doc


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


def empty_tags() -> dict:
    return {"dimensions": [], "flags": [], "age_min_months": None, "age_max_months": None,
            "age_groups": [], "age_evidence": []}


class Scorer:
    """Cue hits + age hits → the tag object (TAXONOMY.md, «The tagger contract»)."""

    def __init__(self, lang: str, taxonomy: Taxonomy | None = None):
        self.lang = lang
        self.tax = tax = taxonomy or load_taxonomy()
        sc = tax.scoring
        self.k = float(sc.get("k", 1.2))
        self.repeat_bonus = float(sc.get("repeat_bonus", 0.15))
        self.min_score = float(sc.get("min_score", 0.45))
        self.secondary_min = float(sc.get("secondary_min", 0.6))
        self.secondary_ratio = float(sc.get("secondary_ratio", 0.7))
        self.max_secondary = int(sc.get("max_secondary", 2))
        self.max_evidence = int(sc.get("max_evidence", 5))
        self.adult_max = int(sc.get("adult_max_months", 287))
        self.position = {d.code: d.position for d in tax.dimensions}
        self.excluded = _EXCLUDED.get(lang, _EXCLUDED["ru"])
        self.repeal = _REPEAL_CLAUSE.get(lang, _REPEAL_CLAUSE["ru"])

    def __call__(self, doc: Doc) -> Doc:
        doc._.kb_tags = self.score(doc)
        return doc

    def score(self, doc: Doc) -> dict:
        out = empty_tags()
        all_hits = doc.user_data.get(CUE_HITS, ())
        all_ages = doc.user_data.get(AGE_HITS, ())
        if not all_hits and not all_ages:
            return out
        text = doc_text(doc)
        head = text[:200]
        if not text.strip() or self.excluded.match(head) or self.repeal.search(head):
            return out
        titles = title_spans(text) if ("«" in text or '"' in text or "“" in text) else []

        def in_title(char):
            return any(s <= char < e for s, e in titles)

        hits = [(en, s, e) for en, s, e in all_hits if not (titles and in_title(doc[s].idx))]
        ages = [a for a in all_ages if not (titles and in_title(a.start))]
        child_ages = [a for a in ages if self._child_age(a)]

        gate = any(en.kind == "child" or (en.kind == "dim" and en.strong) for en, _, _ in hits) \
            or any(a.strong and a.min_months < 216 for a in child_ages)
        if not gate:
            return out

        # dimensions
        per_dim: dict[str, dict] = {}
        for en, s, e in hits:
            if en.kind != "dim":
                continue
            d = per_dim.setdefault(en.target, {"cues": {}, "evidence": [], "strong": False})
            d["cues"][en.pattern] = d["cues"].get(en.pattern, 0) + 1
            if en.pattern not in d.setdefault("w", {}):
                d["w"][en.pattern] = en.weight
            d["strong"] |= en.strong
            phrase = doc[s:e].text
            if phrase not in d["evidence"]:
                d["evidence"].append(phrase)
        scored = []
        for code, d in per_dim.items():
            total = sum(d["w"][p] + self.repeat_bonus * min(n - 1, 2) for p, n in d["cues"].items())
            score = 1 - math.exp(-self.k * total)
            if score >= self.min_score:
                scored.append((score, d["strong"], -self.position[code], code, d["evidence"]))
        scored.sort(reverse=True)
        if scored:
            top = scored[0]
            chosen = [top]
            for cand in scored[1:]:
                if len(chosen) > self.max_secondary:
                    break
                if cand[0] >= self.secondary_min and cand[0] >= self.secondary_ratio * top[0]:
                    chosen.append(cand)
            out["dimensions"] = [{"code": c[3], "score": round(c[0], 2), "primary": i == 0,
                                  "evidence": c[4][:self.max_evidence]}
                                 for i, c in enumerate(chosen)]

        out["flags"] = list(doc.user_data.get(FLAGS, ()))

        # age: explicit child ages win; otherwise the default of the child words
        pregnancy = any(en.kind == "child" and en.pregnancy for en, _, _ in hits)
        ranges, evidence = [], []
        for a in child_ages:
            # open upwards: a child range ends at 17 years; an adult one («216 and up») stays open
            hi = a.max_months if a.max_months is not None else (215 if a.min_months < 216 else None)
            ranges.append((a.min_months, hi))
            evidence.append(a.text)
        if not ranges:
            for en, s, e in hits:
                if en.kind == "child" and en.age is not None:
                    ranges.append(en.age)
                    phrase = doc[s:e].text
                    if phrase not in evidence:
                        evidence.append(phrase)
        if pregnancy:
            for en, s, e in hits:
                if en.kind == "child" and en.pregnancy and en.age is None:
                    phrase = doc[s:e].text
                    if phrase not in evidence:
                        evidence.append(phrase)
        if ranges:
            out["age_min_months"] = min(r[0] for r in ranges)
            out["age_max_months"] = (None if any(r[1] is None for r in ranges)
                                     else max(r[1] for r in ranges))
        out["age_groups"] = age_groups_for(out["age_min_months"], out["age_max_months"],
                                           pregnancy=pregnancy, taxonomy=self.tax)
        out["age_evidence"] = evidence[:self.max_evidence]
        return out

    def _child_age(self, a: AgeHit) -> bool:
        if a.min_months is not None and a.min_months > self.adult_max:
            return False
        if a.max_months is not None and a.max_months > self.adult_max:
            return False
        return True


# --- pipelines --------------------------------------------------------------------------------


class TextKeepingTokenizer:
    """Wraps a tokenizer and keeps the input string in doc.user_data: Doc.text rebuilds the
    string token by token in Python, which costs more than all our components together."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        doc = self.tokenizer(text)
        doc.user_data[TEXT] = text
        return doc

    def __getattr__(self, name):
        return getattr(self.tokenizer, name)


def doc_text(doc: Doc) -> str:
    text = doc.user_data.get(TEXT)
    return text if text is not None else doc.text


@lru_cache(maxsize=None)
def get_nlp(lang: str = "ru") -> Language:
    """The tagging pipeline for `lang` (ru, kk, en), built once per process."""
    if lang == "ru":
        nlp = spacy.blank("ru")
        nlp.add_pipe("kb_lemmatizer")
    elif lang == "kk":
        import kb.kazakh  # noqa: F401  (registers kb_kk_lemmatizer)
        nlp = kb.kazakh.blank_kk()
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
    return nlp
