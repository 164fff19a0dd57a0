"""spaCy pipelines for the tagger: Russian (main), Kazakh (kb.kazakh) and a small English set.

    nlp = get_nlp("ru")                  # cached; components below, built from taxonomy.yml
    doc = nlp("…"); doc._.kb_tags        # the tag object of the `kb tag` contract (without id)

Pipeline (every component is a `@Language.factory`):

    ru: spacy.blank("ru") → kb_lemmatizer → kb_dimension_cues → kb_ages → kb_flags → kb_scorer
    kk: spacy.blank("xx") → kb_kk_lemmatizer (kb.kazakh) → kb_dimension_cues → kb_ages → …
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

Before any of this, kb.tagger asks the TextGate (end of this module) whether a text can get a
tag at all; most provisions cannot, and get the empty object without spaCy (same output).

English (lang "en"): the knowledge base takes English tags from the aligned Russian provision.
For `kb tag` on English text this module uses a deliberately small English cue set (a few
unambiguous phrases per dimension, prefix stems on lower-cased words, simple «under the age of
N» ages). It is far weaker than the Russian rules and is not evaluated; prefer the Russian text.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

import numpy
import spacy
from spacy.attrs import IDX, LEMMA, LENGTH, NORM, ORTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import minibatch

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
    group: bool = False
    only: str | None = None


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
            entry = CueEntry(kind, target, cue.pattern, cue.weight, cue.strong, cue.age, cue.pregnancy,
                             cue.group, cue.only)
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


def number_value(s: str, words: dict) -> float | None:
    """Digits, or the sum of number words («двадцать пять», «он төрт жарым»); else None."""
    s = s.strip()
    m = re.match(r"\d+", s)
    if m:
        return int(m.group())
    total = 0.0
    for w in s.split():
        if w not in words:
            return None
        total += words[w]
    return total or None


def _num_value(s: str) -> float | None:
    return number_value(s, _NUMWORD)


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
    # «уход за ребенком по достижении им возраста полутора лет» (Social Code): care *until*
    (('достижени',), "lt_care", _build(r"(?<=\bуходу\s)за\s+(?:ребенком|детьми)(?:\s+[^\s.;:]+){0,4}?\s+по\s+достижении\s+(?:им|ими|ею)?\s*(?:возраст\w*\s+)?(?:NUM(a)\s+UNIT(u)|CNUM(c))", "a", "u", "c"), True),
    (('достижени',), "lt_care", _build(r"(?<=\bуходом\s)за\s+(?:ребенком|детьми)(?:\s+[^\s.;:]+){0,4}?\s+по\s+достижении\s+(?:им|ими|ею)?\s*(?:возраст\w*\s+)?(?:NUM(a)\s+UNIT(u)|CNUM(c))", "a", "u", "c"), True),
    (('совершеннолет',), "lt_adult", re.compile(r"\bдо\s+(?:его\s+|их\s+)?(?:достижения\s+(?:\w+\s+)?)?совершеннолети\w*"), True),
    (('возраст',), "range", _build(r"(?<=\bв\sвозрасте\s)(?:от|с|со)\s+NUM(a)\s+(?:UNIT(v)\s+)?до\s+NUM(b)\s+UNIT(u)", "a", "b", "u", "v"), True),
    (('до ',), "range", _build(r"\b(?:от|с|со)\s+NUM(a)\s+(?:UNIT(v)\s+)?до\s+NUM(b)\s+UNIT(u)", "a", "b", "u", "v"), False),
    (('летн',), "ge", _build(r"\b(?:с|со)\s+(?:возраста\s+)?CNUM(c)", "c"), True),
    (('возраст',), "ge", _build(r"\b(?:с|со)\s+возраста\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('с ',), "ge", _build(r"\b(?:с|со)\s+NUM(a)\s+UNIT(u)", "a", "u"), False),
    (('летн',), "lt", _build(r"\bдо\s+CNUM(c)", "c"), True),
    (('возраст',), "lt", _build(r"\bв\s+возрасте\s+до\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('до ',), "lt", _build(r"\bдо\s+(?:возраста\s+)?NUM(a)\s+UNIT(u)", "a", "u"), False),
    # «не моложе восемнадцати лет», «не младше 16 лет»: at least that age (read before «моложе»)
    (('младше', 'моложе'), "ge", _build(r"\bне\s+(?:младше|моложе)\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('младше', 'моложе'), "lt", _build(r"\b(?:младше|моложе)\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('старше',), "ge", _build(r"\bстарше\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('возраст',), "eq", _build(r"\bв\s+возрасте\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('достиг', 'достижени', 'исполни'), "ge", _build(rf"\b{_REACH}{_GAP}(?:возраст\w*\s+)?(?:NUM(a)\s+UNIT(u)|CNUM(c))", "a", "u", "c"), True),
    (('совершеннолет',), "ge_adult", re.compile(r"(?<!не)(?<!не\s)\bсовершеннолетн\w*(?:\s+\w+){0,2}?\s+(?:дет|ребен)\w*"), False),
    (('совершеннолет',), "ge_adult", re.compile(rf"\b(?:{_REACH}|по\s+достижении)(?:{_GAP})?совершеннолети\w*"), True),
    # a bare «детей пятилетнего возраста» (no «с», «до», «достигший» before it: those forms are
    # read above and take the span first): that year of age, N to N years 11 months
    (('летн',), "eq", _build(r"(?<!-)\bCNUM(c)", "c"), True),
]
_ORDINAL_YEAR = {"перв": 1, "втор": 2, "трет": 3}
# «дети первого (второго, третьего) года жизни»: the year of life N is N-1 .. N years of age
_RU_YEAR_OF_LIFE = re.compile(r"\b(перв|втор|трет)\w*\s+(?:и\s+(?:перв|втор|трет)\w*\s+)?(?:года|годов)\s+жизни\b")
# a number right before «лет/год/месяц»: looked for only in the 60 characters before each unit
# word (one regex over the whole text tries the numeral alternation at every position)
_RU_UNIT_WORD = re.compile(r"(?:лет|год|месяц)")
_RU_NUM_BEFORE = re.compile(rf"(?<![\w.])(?:{_W}|\d{{1,3}})(?:-?[а-я]{{1,3}})?(?:\s*\([^)]{{1,30}}\))?\s+$")


def _ru_anchored(low: str) -> bool:
    if "летн" in low or "совершеннол" in low or "года жизни" in low:
        return True
    for m in _RU_UNIT_WORD.finditer(low):
        i = m.start()
        if _RU_NUM_BEFORE.search(low, max(0, i - 60), i):
            return True
    return False


# what makes a number of years a period, not an age
_RU_PERIOD_BEFORE = re.compile(
    r"(?:\bсрок\w*|\bтечени\w*|\bпериод\w*|\bстаж\w*|\bсвобод\w*|\bработ\w*|\bарест\w*|"
    r"\bдавност\w*|\bпродолжительност\w*|\bне\s+(?:более|менее|позднее|ранее)|\bистечени\w*|"
    r"\bвыслуг\w*|\bпродлен\w*|\bзаключени\w*|\bнаказан\w*|\bпоселени\w*|\bобязательств\w*)"
    r"[^.;:]{0,12}$")
_RU_PERIOD_AFTER = re.compile(r"^\s*(?:со\s+дня|с\s+момента|с\s+даты|после|подряд|назад|"
                              r"лишения|ограничения|исправительн|\(?включительно\)?\s+со)")
_RU_PERIOD_GAP = re.compile(r"\b(?:за|течение|срок\w*|период\w*|стаж\w*|через|после|свобод\w*)\b")


def ages_possible_ru(text: str) -> bool:
    """The pre-checks of extract_ages_ru: False means it finds no age in `text` (TextGate)."""
    if "лет" not in text and "год" not in text and "месяц" not in text and "овершеннол" not in text:
        return False
    return _ru_anchored(morph.normalise(text))


def extract_ages_ru(text: str) -> list[AgeHit]:
    """Age expressions in Russian text, as month intervals (open upper bound: None)."""
    if not ages_possible_ru(text):
        return []
    low = morph.normalise(text)
    taken: list[tuple[int, int]] = []
    periods: list[tuple[int, int]] = []     # spans read as periods: nothing inside is an age
    hits: list[AgeHit] = []
    for needles, kind, rx, strong in _RU_RULES:
        if not any(n in low for n in needles):
            continue
        for m in rx.finditer(low):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken) or any(ps <= s and e <= pe for ps, pe in periods):
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
                if kind == "lt_care":
                    lo, hi = 0, months - 1
                elif kind == "lt":
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
                # «за 18 лет работы», «сроком до 5 лет»: a period, not an age. Only the weak
                # forms need the words before them; «не достигший», «в возрасте», «-летнего
                # возраста» are ages by their form («работников, не достигших 18 лет»)
                before = low[max(0, s - 40):s]
                if (not strong and _RU_PERIOD_BEFORE.search(before)) \
                        or _RU_PERIOD_AFTER.search(low[e:e + 30]):
                    # «на срок от пятнадцати до двадцати лет»: «до двадцати лет» inside is no age
                    periods.append((s, e))
                    continue
                if kind != "lt_care" and _RU_PERIOD_GAP.search(low[s:e]):
                    periods.append((s, e))
                    continue
            taken.append((s, e))
            hits.append(AgeHit(lo, hi, text[s:e], s, e, strong))
    if "жизни" in low:
        for m in _RU_YEAR_OF_LIFE.finditer(low):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            words = re.findall(r"перв|втор|трет", m.group(0))
            years = [_ORDINAL_YEAR[w] for w in words]
            taken.append((s, e))
            hits.append(AgeHit((min(years) - 1) * 12, max(years) * 12 - 1, text[s:e], s, e, True))
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


_CLAUSE_END = re.compile(r"[;\n]|\.\s")

# a competence article (or its lead-in with the list): «Местные исполнительные органы: 1) …; 2) …»,
# «Компетенция уполномоченного органа …: 1) …», «Үкіметі: 1) …». Listing several areas of
# children's policy, it is GOV first (general measures), the areas second.
_COMPETENCE = {
    "ru": re.compile(r"^\s*(?:\d{1,3}[.)]\s*)?[^:;.]{0,160}?(?:\bправительств\w*|\bместн\w*\s+исполнительн\w*\s+"
                     r"орган\w*|\bуполномоченн\w*\s+орган\w*|\bминистерств\w*|\bакимат\w*|\bаким\w*\s+"
                     r"(?:област|район|город)\w*|\bкомпетенци\w*)[^:;.]{0,160}:\s*1\)", re.I),
    "kk": re.compile(r"^\s*(?:\d{1,3}[.)]\s*)?[^:;.]{0,160}?(?:үкімет\w*|жергілікті\s+атқарушы\s+орган\w*|"
                     r"уәкілетті\s+орган\w*|министрлі\w*|әкімдік\w*|құзірет\w*)[^:;.]{0,160}:\s*1\)", re.I),
}
_MATERNAL = frozenset({"HLT", "NUT", "MAT", "FAM"})
_CHILD_DEFINITION = re.compile(r"(?:^|[\s:;.)])(?:ребенок(?:\s*\(\s*дети\s*\))?|бала(?:\s*\(\s*балалар\s*\))?)"
                               r"\s*[–—-]\s*(?:лицо|он\s+сегіз|адам)", re.I)
_SECOND_ITEM = re.compile(r"(?:^|[\s;:])2\)")
# «… совершенное лицом, достигшим восемнадцатилетнего возраста»: the adult age of the offender
# (or another actor), not of the child the provision protects
_ACTOR_BEFORE = re.compile(r"\bлиц(?:о|а|у|ом|ами|ам)?\s*,?\s*$")

# an age expression qualifies a child word next to it: right after it, across at most a few
# words of the same noun phrase and no clause break («ребенок до трех лет», «детей в возрасте
# от 14 до 16 лет», «детей, оставшихся без попечения родителей, в возрасте до 18 лет»), or right
# before it («не достигшие шестнадцати лет несовершеннолетние», kk «он төрт жасқа дейінгі
# балалар»)
_ATTACH_BREAK = re.compile(r"[.;:!?\n]|\s(?:и|или|а\s+также|либо|мен|және|немесе)\s")
_WORD = re.compile(r"\w+")
_ATTACH_AFTER_WORDS = 6
_ATTACH_BEFORE_WORDS = 2


# «при достижении ими восемнадцатилетнего возраста»: the age of a child named before
_ANAPHOR = re.compile(r"(?<!\w)(?:им|ими|его|ее|её|их)(?!\w)", re.I)


def _qualified_words(text: str, words, ages, hits) -> set[int]:
    """Indices of the child words (entry, char start, char end, token start, token end) that
    an explicit age qualifies, so that they add no range of their own to the hull:

    * the age is attached to the word (_age_attached: the same noun phrase);
    * the age refers back to it by a pronoun («… детям-сиротам … при достижении ими
      восемнадцатилетнего возраста»): the nearest child word before the age;
    * the word names the same children again («матери, кормящей ребенка в возрасте до одного
      года, … перерывы для кормления ребенка»): the same cue as a qualified word;
    * the word is part of a longer name of something else («центры адаптации
      несовершеннолетних … детей в возрасте от трех до восемнадцати лет»): a child word inside
      a longer dimension or flag cue.
    """
    out: set[int] = set()
    for a in ages:
        near = [i for i, (_, cs, ce, _, _) in enumerate(words) if _age_attached(text, cs, ce, a, words)]
        if not near and _ANAPHOR.search(text, max(0, a.start - 12), a.end):
            before = [i for i, (_, _, ce, _, _) in enumerate(words) if ce <= a.start]
            near = before[-1:]
        out.update(near)
    patterns = {words[i][0].pattern for i in out}
    names = [(s, e) for en, s, e in hits if en.kind in ("dim", "flag")]
    for i, (en, _, _, s, e) in enumerate(words):
        if en.pattern in patterns or any(ns <= s and e <= ne and ne - ns > e - s for ns, ne in names):
            out.add(i)
    return out


def _age_attached(text: str, cs: int, ce: int, age: "AgeHit", words) -> bool:
    """Whether the age expression `age` is attached to the child word at text[cs:ce]."""
    if age.start < ce and cs < age.end:
        return True                                   # the age phrase holds the child word
    if age.start >= ce:
        lo, hi, limit = ce, age.start, _ATTACH_AFTER_WORDS
    else:
        lo, hi, limit = age.end, cs, _ATTACH_BEFORE_WORDS
    if hi - lo > 80:
        return False
    gap = text[lo:hi]
    if _ATTACH_BREAK.search(gap) or len(_WORD.findall(gap)) > limit:
        return False
    # another child word in between is the one the age is attached to
    return not any(lo <= ws and we <= hi for _, ws, we, _, _ in words)


# --- traps ------------------------------------------------------------------------------------

# an excluded / repealed item: «4) исключен Законом РК от …», «Пункт 3 утратил силу …»
_EXCLUDED = {
    # also an article heading followed by its own repeal note: «Статья 14-1. <заголовок>. Сноска.
    # Статья 14-1 исключена Законом РК от …»
    "ru": re.compile(r"^\s*(?:статья\s+\d+(?:-\d+)?\.[^.;]{0,200}\.\s*сноска\.\s*)?"
                     r"(?:сноска\.\s*)?(?:[\dа-яa-z]{1,4}(?:-\d+)?[.)]\s*){0,2}"
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


# quoted names of budget programmes and subprogrammes («по бюджетной программе "…"», «по
# подпрограммам "…", "…" и "…"»; kk: «"…", "…" бюджеттік бағдарламалары бойынша»): budget
# classification identifiers, not what the provision regulates
_PROGRAMME_BEFORE = re.compile(r"(?:бюджетн\w*\s+программ\w*|подпрограмм\w*)\s*$", re.I)
_PROGRAMME_AFTER = re.compile(r"^\s*(?:бюджеттік|кіші)\s+бағдарлама", re.I)
_LIST_GLUE = re.compile(r"^\s*(?:,|и|және)?\s*$", re.I)


def title_spans(text: str) -> list[tuple[int, int]]:
    out = []
    quotes = list(_QUOTED.finditer(text))
    programme = [False] * len(quotes)
    for i, m in enumerate(quotes):          # marker before the first name of a list
        before = text[max(0, m.start() - 60):m.start()]
        glued = i > 0 and _LIST_GLUE.match(text[quotes[i - 1].end():m.start()])
        programme[i] = bool(_PROGRAMME_BEFORE.search(before)) or bool(glued and programme[i - 1])
    follows = False
    for i in range(len(quotes) - 1, -1, -1):    # kk: marker after the last name of a list
        m = quotes[i]
        glued = i + 1 < len(quotes) and _LIST_GLUE.match(text[m.end():quotes[i + 1].start()])
        follows = bool(_PROGRAMME_AFTER.match(text[m.end():m.end() + 40])) or bool(glued and follows)
        programme[i] |= follows
    for i, m in enumerate(quotes):
        inner = next(g for g in m.groups() if g is not None)
        if programme[i] or _TITLE_START.match(inner) or _TITLE_END.search(inner):
            out.append(m.span())
    return out


# --- components -------------------------------------------------------------------------------


HAS_CUE = "kb_has_cue"       # doc.user_data: some token's cue key is a cue word or stem


class LemmaGate:
    """Which Russian word forms can lemmatise to a cue key at all.

    pymorphy3 costs ~50 µs a word form, and most forms of legal text can never reach a cue: a
    lemma shares its first letters with the word except in suppletive paradigms («дети» →
    «ребенок», «людьми» → «человек», «лучших» → «хороший»). So a form is sent to pymorphy3 only
    when its first four letters (three for a three-letter stem) are those of a cue stem or of a
    form in the paradigm of a cue lemma (the whole paradigm, so suppletive forms pass too).
    Every other form keeps its normalised spelling as its lemma — the tagger never reads it.
    """

    N = 4

    def __init__(self, index: "CueIndex"):
        forms = set(index.exact)
        analyzer = morph._analyzer()
        for lem in index.exact:
            if not morph._CYRILLIC_RE.search(lem):
                continue
            for p in analyzer.parse(lem):
                if morph.normalise(p.normal_form) == lem:
                    forms.update(morph.normalise(f.word) for f in p.lexeme)
        n = self.N
        self.prefixes = {f[:n] for f in forms} | {s[:n] for s in index.stems if len(s) >= n}
        self.short = {s for s in index.stems if len(s) < n}      # 2-3 letter stems («игр*»)

    def __call__(self, low: str) -> bool:
        if low[:self.N] in self.prefixes:
            return True
        return any(low.startswith(s) for s in self.short) if self.short else False


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
            from kb.kazakh import normalise_kk
            word_key = normalise_kk
        else:
            word_key = str.lower
        _CUE_INDEXES[key] = CueIndex(load_taxonomy(), lang, nlp.make_doc, word_key)
    return _CUE_INDEXES[key]


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
        self.youth_max = int(sc.get("youth_max_months", 419))
        self.group_discount = float(sc.get("group_discount", 0.35))
        self.position = {d.code: d.position for d in tax.dimensions}
        self.excluded = _EXCLUDED.get(lang, _EXCLUDED["ru"])
        self.repeal = _REPEAL_CLAUSE.get(lang, _REPEAL_CLAUSE["ru"])
        self.competence = _COMPETENCE.get(lang, _COMPETENCE["ru"])

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
        # character offsets of the tokens, fetched once (Span.text and Token.idx cost a Python
        # object per call)
        offs = doc.to_array([IDX, LENGTH]).tolist() if all_hits else []

        def phrase(s, e):
            return text[offs[s][0]:offs[e - 1][0] + offs[e - 1][1]]

        if titles:
            def in_title(char):
                return any(s <= char < e for s, e in titles)

            hits = [(en, s, e) for en, s, e in all_hits if not in_title(offs[s][0])]
            ages = [a for a in all_ages if not in_title(a.start)]
        else:
            hits, ages = all_hits, all_ages
        child_ages = [a for a in ages if self._child_age(a)]
        # an open adult age of «лицо, достигшее восемнадцатилетнего возраста» next to a child is
        # the offender's (actor's) age, not the protected child's
        if child_ages and (any(en.kind == "child" for en, _, _ in hits)
                           or any(a.min_months < 216 for a in child_ages)):
            child_ages = [a for a in child_ages if not (
                a.min_months >= 216 and a.max_months is None
                and _ACTOR_BEFORE.search(text[max(0, a.start - 30):a.start]))]

        # the child-context gate: a child word, a child age, or a child-specific (strong) cue —
        # unless the provision is about adults («опека над недееспособными гражданами»)
        # pregnancy words («беременной женщине», «роженица») are child context for maternal care,
        # maternity leave and benefits only: a labour contract with a pregnant woman is no child
        # labour
        child_words = [en for en, _, _ in hits if en.kind == "child"]
        maternal_only = bool(child_words) and all(en.pregnancy for en in child_words) \
            and not any(a.strong and a.min_months < 216 for a in child_ages)
        gate = bool(child_words) or any(a.strong and a.min_months < 216 for a in child_ages)
        if not gate and any(en.kind == "dim" and en.strong for en, _, _ in hits):
            gate = not any(en.kind == "adult" for en, _, _ in hits)
        if not gate:
            return out

        # dimensions
        per_dim: dict[str, dict] = {}
        for en, s, e in hits:
            if en.kind != "dim" or (maternal_only and en.target not in _MATERNAL and not en.strong):
                continue
            d = per_dim.setdefault(en.target, {"cues": {}, "evidence": [], "strong": False,
                                               "group": {}, "w": {}})
            d["cues"][en.pattern] = d["cues"].get(en.pattern, 0) + 1
            if en.pattern not in d["w"]:
                d["w"][en.pattern] = en.weight
                d["group"][en.pattern] = en.group
            d["strong"] |= en.strong
            ph = phrase(s, e)
            if ph not in d["evidence"]:
                d["evidence"].append(ph)

        def cue_total(d, p, n):
            return d["w"][p] + self.repeat_bonus * min(n - 1, 2)

        # a cue that names whom the provision covers (orphans, pupils, parents, pregnant women)
        # yields to a dimension of what it regulates in the same clause («жилище детям-сиротам»:
        # HOU, the group is a flag; «пособие родителю, воспитывающему ребенка-инвалида»: MAT).
        # In a list of groups («квоты для сирот; для лиц, освобожденных …») the other clause does
        # not count.
        factor: dict[tuple[str, str], float] = {}
        if len(per_dim) > 1 and any(any(d["group"].values()) for d in per_dim.values()):
            min_total = -math.log(1 - self.min_score) / self.k
            own = {c: sum(cue_total(d, p, n) for p, n in d["cues"].items() if not d["group"][p])
                   for c, d in per_dim.items()}
            others = {c for c in per_dim if own[c] >= min_total}
            if others:
                cuts = [m.start() for m in _CLAUSE_END.finditer(text)]
                clause: dict[tuple[str, str], set] = {}
                for en, s, e in hits:
                    if en.kind == "dim":
                        clause.setdefault((en.target, en.pattern), set()).add(bisect_right(cuts, offs[s][0]))
                near: dict[str, set] = {}
                for (c, p), cl in clause.items():
                    if c in others and not per_dim[c]["group"][p]:
                        near.setdefault(c, set()).update(cl)
                for (c, p), cl in clause.items():
                    if per_dim[c]["group"][p] and any(cl & n for o, n in near.items() if o != c):
                        factor[(c, p)] = self.group_discount
        totals = {code: sum(cue_total(d, p, n) * factor.get((code, p), 1.0)
                            for p, n in d["cues"].items()) for code, d in per_dim.items()}
        scored = []
        for code, d in per_dim.items():
            score = 1 - math.exp(-self.k * totals[code])
            if score >= self.min_score:
                scored.append((score, d["strong"], -self.position[code], code, d["evidence"]))
        scored.sort(reverse=True)
        if len(scored) >= 2 and self.competence.match(text) and _SECOND_ITEM.search(text):
            gov = next((c for c in scored if c[3] == "GOV"), None)
            lead = text[:text.index(":")].strip()
            gov_ev = gov[4] if gov else [lead[-80:]]
            scored = [(max(scored[0][0], gov[0] if gov else 0.0), True, -self.position["GOV"], "GOV",
                       gov_ev)] + [c for c in scored if c[3] != "GOV"]
        # the definition of the child («ребенок – лицо, не достигшее …», kk «бала – он сегіз
        # жасқа толмаған адам») is GOV (TAXONOMY.md): a definitions article that opens with it
        # is GOV first, whatever other terms it defines (legal representatives: FAM)
        if len(scored) >= 2 and scored[0][3] != "GOV" and _CHILD_DEFINITION.search(text[:400]):
            gov = next((c for c in scored if c[3] == "GOV"), None)
            if gov is not None:
                scored = [gov] + [c for c in scored if c is not gov]
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

        # age: the hull of every range the provision names — each explicit age, and the own
        # range of each child word no explicit age qualifies («несовершеннолетним … и
        # женщинам, имеющим детей до двенадцати лет»: 0–215, not 0–143); a child word an age
        # is attached to («ребенок до трех лет», «детей, не достигших четырнадцати лет») adds
        # nothing of its own
        pregnancy = any(en.kind == "child" and en.pregnancy for en, _, _ in hits)
        ranges, evidence = [], []
        for a in child_ages:
            # open upwards: a child range ends at 17 years; an adult one («216 and up») stays open
            hi = a.max_months if a.max_months is not None else (215 if a.min_months < 216 else None)
            ranges.append((a.min_months, hi))
            evidence.append(a.text)
        words = [(en, offs[s][0], offs[e - 1][0] + offs[e - 1][1], s, e) for en, s, e in hits
                 if en.kind == "child" and en.age is not None]
        if child_ages and words:
            qualified = _qualified_words(text, words, child_ages, hits)
            words = [w for i, w in enumerate(words) if i not in qualified]
        for en, cs, ce, s, e in words:
            ranges.append(en.age)
            ph = phrase(s, e)
            if ph not in evidence:
                evidence.append(ph)
        if pregnancy:
            for en, s, e in hits:
                if en.kind == "child" and en.pregnancy and en.age is None:
                    ph = phrase(s, e)
                    if ph not in evidence:
                        evidence.append(ph)
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
            # a range that starts in childhood and ends in youth («молодежь в возрасте от
            # десяти до двадцати девяти лет», «не достигших двадцатидевятилетнего возраста»,
            # kk «он төрт жастан жиырма тоғыз жасқа дейінгі») covers children: kept whole
            return a.min_months is not None and a.min_months < 216 and a.max_months <= self.youth_max
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


# --- the text gate ----------------------------------------------------------------------------


class TextGate:
    """Which texts can get a non-empty tag object at all (the others skip spaCy: kb.tagger).

    The scorer returns the empty object unless its child-context gate opens — a child word, a
    strong dimension cue or an age — and always for an excluded item or a repeal clause. Every
    child word and strong dimension cue is a cue phrase the PhraseMatcher finds on token cue
    keys, so a text in which no such phrase has *all* its word keys among the keys of its tokens
    has none of them. Nothing here approximates the pipeline:

    * tokens: spaCy's tokenizer splits on whitespace first and tokenises each whitespace-free
      chunk on its own, so a chunk is judged once, by that same tokenizer, and the verdict (the
      set of phrase keys among its tokens' keys) is cached per chunk string; the tokenizer's
      special cases, which can re-tokenise across chunks («и т.д.»), are looked for as
      substrings when one of their tokens has a phrase key;
    * keys: the pipeline's own CueKeyer.lemma_key (LemmaGate, pymorphy3 / the Kazakh stemmer,
      CueIndex.key), cached per token text;
    * ages: the age extractor's own pre-checks (ages_possible_ru, ages_possible_kk);
    * excluded items and repeal clauses: the scorer's own regexes on the same head.

    tests/test_tagger_gate.py proves gated = ungated output on every corpus text, the style
    set and the test sentences.
    """

    MAX_CACHE = 500_000

    def __init__(self, nlp: Language, lang: str):
        self.lang = lang
        keyer = nlp.get_pipe("kb_kk_lemmatizer" if lang == "kk" else "kb_lemmatizer")
        scorer = nlp.get_pipe("kb_scorer")
        self.tokenizer = getattr(nlp.tokenizer, "tokenizer", nlp.tokenizer)
        self.lemma_key = keyer.lemma_key
        self.excluded, self.repeal = scorer.excluded, scorer.repeal
        if lang == "kk":
            from kb.kazakh import ages_possible_kk
            self.ages_possible = ages_possible_kk
        else:
            self.ages_possible = ages_possible_ru
        # the phrases that can open the scorer's gate, as sets of their word keys (punctuation
        # keys are left out: requiring fewer keys only lets more texts through)
        self.open = False           # a phrase without a word key: let everything through
        phrases = set()
        for seq, entries in keyer.index.sequences.items():
            if any(en.kind == "child" or (en.kind == "dim" and en.strong) for en in entries):
                words = frozenset(k for k in seq if any(c.isalpha() for c in k))
                if not words:
                    self.open = True
                phrases.add(words)
        self.by_key: dict[str, list[frozenset]] = {}
        for words in phrases:
            for k in words:
                self.by_key.setdefault(k, []).append(words)
        self._token_cache: dict[str, str | None] = {}
        # special cases (several tokens from one string, or one token across whitespace) that
        # yield a token with a phrase key: their pieces, to look for in the text
        self.specials = []
        for string, subs in self.tokenizer.rules.items():
            if any(self._token(sub[ORTH]) for sub in subs):
                # its longest run of letters (the tokenizer splits no run of letters)
                self.specials.append(max(re.findall(r"[^\W\d_]+", string) or [string], key=len))
        self.chunk_keys: dict[str, frozenset] = {}   # chunks with phrase keys
        self.no: set[str] = set()                    # chunks without

    def _token(self, text: str) -> str | None:
        """The token's cue key if it is a word key of a gate-opening phrase, else None."""
        if text in self._token_cache:
            return self._token_cache[text]
        key = self.lemma_key(text)[1]
        r = self._token_cache[text] = key if key in self.by_key else None
        return r

    def _chunk(self, chunk: str) -> frozenset:
        token = self._token
        return frozenset(k for k in (token(t.text) for t in self.tokenizer(chunk)) if k is not None)

    def __call__(self, text: str) -> bool:
        """False: the pipeline gives `text` the empty tag object (no need to run it)."""
        if self.open:
            return True
        head = text[:200]
        if not text.strip() or self.excluded.match(head) or self.repeal.search(head):
            return False
        if self.ages_possible(text):
            return True
        if self.specials and any(s in text for s in self.specials):
            return True
        chunks = set(text.split())
        new = chunks.difference(self.no)
        if not new:
            return False
        known = self.chunk_keys
        if len(self.no) + len(known) > self.MAX_CACHE:
            self.no.clear()
            known.clear()
            self._token_cache.clear()
        present: set[str] = set()
        for chunk in new:
            keys = known.get(chunk)
            if keys is None:
                keys = self._chunk(chunk)
                if keys:
                    known[chunk] = keys
                else:
                    self.no.add(chunk)
            present |= keys
        by_key = self.by_key
        return any(words <= present for k in present for words in by_key[k])


@lru_cache(maxsize=None)
def get_text_gate(lang: str = "ru") -> TextGate | None:
    """The TextGate of `lang`'s pipeline (ru, kk); None for English (always the full path)."""
    if lang not in ("ru", "kk"):
        return None
    return TextGate(get_nlp(lang), lang)
