"""Kazakh text for the tagger: tokeniser, suffix-aware stems, age expressions.

spaCy has no Kazakh language module, so the Kazakh pipeline is spaCy's multi-language blank
tokenizer (`spacy.blank("xx")`) with our own components (the kb_kk_lemmatizer of
kb.tagging.pipeline gives each word the stem below); no lemmatiser pretends to be one.

Kazakh is agglutinative: a word is a stem plus a chain of suffixes («бала» → «балаларға»,
«баланың», «балалардың»). The cue stems of taxonomy.yml (kk) form the stem vocabulary; a word
gets the longest vocabulary stem it *is*, followed only by known suffixes (plural, possessive,
case, a few derivational and participle endings), allowing the consonant alternation at the
stem's end (қ→ғ, к→г, п→б before a vowel: «еңбек» → «еңбегі»). Anything else keeps its
lower-cased form. So «балабақша» (kindergarten) is its own stem and never «бала» (child); nor is
«баспана» (housing), «балама» (alternative), «баланс».

Ages: «он төрт жасқа дейін» (0–167 months), «14 жасқа толмаған» (0–167), «он сегіз жасқа
толған» (216+), «он төрт жастан бастап» (168–215), «он төрт жастан он алты жасқа дейін»
(168–191), «алты айға дейінгі» (0–5), «бір жарым жасқа дейін» (0–17). «жас» (age) is what makes
a number an age: «он сегіз жыл ішінде» (within eighteen years, «жыл» = year) is a period.
«кәмелетке толмаған» (minor) is a child-context word with the default 0–215 (taxonomy.yml).
"""
from __future__ import annotations

import re
from functools import lru_cache

import spacy
from spacy.language import Language

from kb.taxonomy import load_taxonomy
from kb.tagging.ages import AgeHit, _alt, and_older, number_value

VOWELS = set("аәеиоөуұүыіэюя")

_SUFFIXES = """
лар лер дар дер тар тер
ым ім м ың ің ң ы і сы сі мыз міз ңыз ңіз ымыз іміз ыңыз іңіз
ның нің дың дің тың тің н ға ге қа ке на не а е ны ні ды ді ты ті ын ін
да де та те нда нде ында інде дағы дегі тағы тегі ндағы ндегі
дан ден тан тен нан нен ынан інен мен бен пен менен
лық лік дық дік тық тік лығ лiг лиг дығ діг тығ тіг лы лі сыз сіз шы ші шылық шілік
ғы гі қы кі
у ю уы уі уға уге уын уін уда уде удан уден ушы уші
ған ген қан кен атын етін йтын йтін
"""
_SUFFIX_RE = re.compile("(?:" + "|".join(sorted(set(_SUFFIXES.split()), key=len, reverse=True)) + ")*")
_SOFTEN = {"қ": "ғ", "к": "г", "п": "б"}


# Older Kazakh texts on Adilet type Latin look-alikes inside Cyrillic words («бiлiм» with a
# Latin i for «білім»): read as the Cyrillic letter in a word that has Cyrillic letters
_LATIN_LOOKALIKES = str.maketrans("iaeocpxy", "іаеосрху")
_CYRILLIC = re.compile("[а-яёәғқңөұүһі]")


def normalise_kk(word: str) -> str:
    w = word.lower()
    if w.isascii() or not _CYRILLIC.search(w):
        return w
    return w.translate(_LATIN_LOOKALIKES)


class KazakhStemmer:
    """Longest vocabulary stem + valid suffix chain; else the lower-cased word."""

    def __init__(self, vocabulary, own_words=()):
        # words that look like stem + suffixes but are words of their own («балама»)
        self.own_words = frozenset(normalise_kk(w) for w in own_words)
        self.forms: dict[str, str] = {}     # surface stem form -> stem
        words = set()
        for word in vocabulary:
            words.add(word)
            words.update(word.split("-"))           # «зорлық-зомбылық»: both halves are stems
        for stem in words:
            stem = normalise_kk(stem)
            if len(stem) < 2 or not stem.isalpha():
                continue
            self.forms.setdefault(stem, stem)
            if stem[-1] in _SOFTEN:
                self.forms.setdefault(stem[:-1] + _SOFTEN[stem[-1]], stem)
        self.max_len = max((len(f) for f in self.forms), default=0)

    @lru_cache(maxsize=100_000)
    def stem(self, word: str) -> str:
        w = normalise_kk(word)
        if w in self.own_words:
            return w
        for own in self.own_words:      # an own word with suffixes («балансын»: the balance's)
            if w.startswith(own) and _SUFFIX_RE.fullmatch(w[len(own):]):
                return own
        if "-" in w.strip("-"):
            # a hyphenated compound the tokenizer kept whole («зорлық-зомбылыққа»): the suffixes
            # sit on the last half
            head, _, tail = w.rpartition("-")
            return head + "-" + self.stem(tail)
        for n in range(min(len(w), self.max_len), 1, -1):
            form = w[:n]
            stem = self.forms.get(form)
            if stem is None:
                continue
            rest = w[n:]
            if form != stem and (not rest or rest[0] not in VOWELS):
                continue            # softened stem only before a vowel
            if not rest or _SUFFIX_RE.fullmatch(rest):
                return stem
        return w


@lru_cache(maxsize=1)
def default_stemmer() -> KazakhStemmer:
    tax = load_taxonomy()
    words = set()
    groups = [d.cues.get("kk", ()) for d in tax.dimensions]
    groups += [f.cues.get("kk", ()) for f in tax.flags]
    groups.append(tax.child_context.get("kk", ()))
    # neutral phrases too, so that they match inflected forms («ауыл шаруашылығы министрлігі»)
    groups.append(tax.neutral.get("kk", ()))
    for cues in groups:
        for cue in cues:
            words.update(w.rstrip("*") for w in cue.pattern.split())
    return KazakhStemmer(words, tax.kk_own_words)


def blank_kk() -> Language:
    """The Kazakh tokenizer: spaCy's multi-language blank pipeline."""
    return spacy.blank("xx")


# --- ages -------------------------------------------------------------------------------------

_KK_UNITS = {"бір": 1, "екі": 2, "үш": 3, "төрт": 4, "бес": 5, "алты": 6, "жеті": 7, "сегіз": 8,
             "тоғыз": 9}
_KK_TENS = {"он": 10, "жиырма": 20, "отыз": 30, "қырық": 40, "елу": 50, "алпыс": 60,
            "жетпіс": 70, "сексен": 80, "тоқсан": 90}


_KNUM1 = rf"(?:(?:{_alt(_KK_TENS)})(?:\s+(?:{_alt(_KK_UNITS)}))?|(?:{_alt(_KK_UNITS)})(?:\s+жарым)?|\d{{1,3}})"
_KNUM = rf"(?:{_KNUM1})(?:\s*\(\s*{_KNUM1}\s*\))?"
_JAS = r"жас(?:қа|тан|ында|ы|ын|та|тағы|тар|ынан)?"
_AI = r"ай(?:ға|дан|лық|ында)?"


# «жарым» (a half): «бір жарым жас» is a year and a half
_KK_NUMBER_WORDS = {**_KK_TENS, **_KK_UNITS, "жарым": 0.5}


def _first_num(s: str) -> float | None:
    return number_value(s.split("(")[0], _KK_NUMBER_WORDS)


_B = r"(?<![\wәғқңөұүһі])"
# a number word with a case ending glued to it: ablative «он төрттен», «алтыдан», «оннан»
# (the first number of a range whose «жас» is said once: «он төрттен он сегіз жасқа дейінгі»),
# dative «он төртке» («жасы он төртке толмаған»)
_KNUM_STEM = (rf"(?:(?:{_alt(_KK_TENS)})\s+)?(?:{_alt(_KK_UNITS)}|{_alt(_KK_TENS)})|\d{{1,3}}")
_ABL = r"-?(?:нан|нен|дан|ден|тан|тен)"
_DAT = r"-?(?:ға|ге|қа|ке)"
# what follows the number of years
_NOT_REACHED = r"(?:толмаған\w*|толмаса|толмағанға\w*|жетпеген\w*)"
_REACHED = r"(?:толған\w*|толғаннан\w*|толса|жеткен\w*)"
_OLDER = r"(?:асқан\w*|үлкен\w*)"
_AT_REACHING = r"(?:толғанда|толған\s+кез(?:де|інде)|толатын\s+кез(?:де|інде)|жеткенде)"
_KK_RULES = [
    # (kind, regex, strong)
    ("range", re.compile(rf"{_B}(?P<a>{_KNUM})\s+жас(?:тан|нан)\s+(?P<b>{_KNUM})\s+{_JAS}\s+дейін\w*"), True),
    ("range", re.compile(rf"{_B}(?P<a>{_KNUM_STEM}){_ABL}\s+(?P<b>{_KNUM})\s+{_JAS}\s+дейін\w*"), True),
    # «он бес жасқа толған, бірақ он жеті жастан аспаған»: from the first age to the end of the
    # second year of age (ru «достигшие пятнадцати лет, но не старше семнадцати лет»)
    ("range_le", re.compile(rf"{_B}(?P<a>{_KNUM})\s+{_JAS}\s+толған\w*\s*,?\s+(?:бірақ|алайда)\s+(?P<b>{_KNUM})\s+жас(?:тан|нан)\s+(?:аспаған\w*|аспайтын\w*|аспауы\w*|аспаса)"), True),
    # «он алты жас және одан үлкен», «он алты жастағы және одан жоғары»: that age and up
    ("ge", re.compile(rf"{_B}(?P<a>{_KNUM})\s+{_JAS}\s+және\s+одан\s+(?:үлкен|жоғары|асқан)\w*"), True),
    # «он төрт жасқа толған, бірақ он сегіз жасқа толмаған»: 14–17
    ("range", re.compile(rf"{_B}(?P<a>{_KNUM})\s+{_JAS}\s+толған\w*\s*,?\s+(?:бірақ|алайда)\s+(?P<b>{_KNUM})\s+{_JAS}\s+{_NOT_REACHED}"), True),
    ("lt", re.compile(rf"{_B}(?P<a>{_KNUM})\s+{_JAS}\s+толғанға\s+дейін\w*"), True),
    ("lt", re.compile(rf"{_B}(?P<a>{_KNUM})\s+{_JAS}\s+{_NOT_REACHED}"), True),
    ("lt", re.compile(rf"{_B}жас(?:ы|тары)\s+(?P<a>{_KNUM_STEM}){_DAT}\s+{_NOT_REACHED}"), True),
    # an age reached at a moment («он сегіз жасқа толғанда»): that year of age alone (TAXONOMY.md)
    ("eq", re.compile(rf"{_B}(?P<a>{_KNUM})\s+{_JAS}\s+{_AT_REACHING}"), True),
    # «он сегіз жастан кіші болмауға», «жиырма бес жастан кем емес»: not younger than — that age
    # and up (an adult's age: a guardian, a serviceman), read before «кіші» (younger than)
    ("older", re.compile(rf"{_B}(?P<a>{_KNUM})\s+жас(?:тан|нан)\s+(?:кіші|кем)\s+(?:болмау\w*|емес\w*|болмайт\w*|болмаса)"), True),
    # «он жеті жастан аспаған»: not older than — up to the end of that year of age
    ("le", re.compile(rf"{_B}(?P<a>{_KNUM})\s+жас(?:тан|нан)\s+(?:аспаған\w*|аспайтын\w*|аспауы\w*|аспаса)"), True),
    ("older", re.compile(rf"{_B}(?P<a>{_KNUM})\s+{_JAS}\s+{_OLDER}"), True),
    ("ge", re.compile(rf"{_B}(?P<a>{_KNUM})\s+{_JAS}\s+{_REACHED}"), True),
    ("lt", re.compile(rf"{_B}(?P<a>{_KNUM})\s+{_JAS}\s+(?:дейін\w*|кіші\w*)"), True),
    # a number of months «… айға дейін» is a period as often as an age («ұзақтығы екі айға дейінгі
    # оқу-жаттығу жиындары», «үш айға дейін жүргізіледі»): weak, like ru «до шести месяцев» — it
    # counts only where a child word opens the gate («алты айға дейінгі балалар»)
    ("ltm", re.compile(rf"{_B}(?P<a>{_KNUM})\s+{_AI}\s+дейін(?:гі)?\b(?!\s+мерзім)"), False),
    ("ge", re.compile(rf"{_B}(?P<a>{_KNUM})\s+жас(?:тан|нан)(?:\s+бастап)?"), True),
    ("eq", re.compile(rf"{_B}(?P<a>{_KNUM})\s+жас(?:тағы|ында|та)\b"), True),
    ("lt_adult", re.compile(rf"{_B}кәмелет(?:ке|тік\s+жасқа)\s+толғанға\s+дейін\w*"), True),
    ("eq_adult", re.compile(rf"{_B}кәмелет(?:ке|тік\s+жасқа)\s+{_AT_REACHING}"), True),
    # «кәмелетке толған адамдар/азаматтар» are adults in general (ru «совершеннолетние лица»,
    # «граждане»): no age; «кәмелетке толған балалар» (adult children), «кәмелетке толғаннан
    # кейін» are 216 and up
    ("ge_adult", re.compile(rf"{_B}кәмелет(?:ке|тік\s+жасқа)\s+(?:толған(?!\s+(?:адам|азамат|тұлға))\w*|толғаннан\w*|толса)"), True),
    # «жас бала(лар)» (young children) is the Kazakh «малолетний»: under 14 (TAXONOMY.md, «Age
    # words»); not «жас балабақша», «жас баламалы», and not a number's «жас» («он жас»)
    ("young", re.compile(rf"{_B}(?<!\d\s)жас\s+бала(?!бақша|ма|нс)\w*"), True),
]
_KK_INCLUSIVE = re.compile(r"\s*\(?\s*қоса\s+алғанда")
_KK_AND_OLDER = re.compile(rf"{_B}(?:немесе|және)\s+(?:бұл|осы)\s+жастан\s+(?:асқан|үлкен)\w*")
# «ұзақтығы екі айға дейінгі», «мерзімі үш айға дейін»: a duration, not an age
_KK_PERIOD_BEFORE = re.compile(rf"(?:ұзақтығы|мерзім\w*|кезең\w*)\s+(?:[\wәғқңөұүһі-]+\s+)?$")
_KK_NUMBER_BEFORE = re.compile(rf"(?:{_B}(?:{_alt(_KK_TENS)}|{_alt(_KK_UNITS)}|жарым)|\d)\s*$")
# Kazakh texts of Adilet often type the Latin «i» for «і» («он сегiз жасқа дейiнгi»): read as «і»
_LATIN_I = str.maketrans("i", "і")


_DATIVE_END = re.compile(r"(?:ға|ге|қа|ке|на|не)$")     # -на/-не after a possessive («баласына»)


def dative_kk(word: str) -> bool:
    """Whether a Kazakh word ends in a dative suffix («қорғаншыға», «адамдарға»)."""
    return bool(_DATIVE_END.search(word.lower()))


def ages_possible_kk(text: str) -> bool:
    """The pre-check of extract_ages_kk: False means it finds no age in `text` (TextGate)."""
    low = text.lower()
    return "жас" in low or " ай" in low or "кәмелет" in low


def extract_ages_kk(text: str):
    """Age expressions in Kazakh text (see the module docstring)."""
    if not ages_possible_kk(text):
        return []
    low = text.lower().translate(_LATIN_I)
    taken, hits = [], []
    for kind, rx, strong in _KK_RULES:
        for m in rx.finditer(low):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            if kind == "lt_adult":
                lo, hi = 0, 215
            elif kind == "ge_adult":
                lo, hi = 216, None
            elif kind == "eq_adult":
                lo, hi = 216, 227
            elif kind == "young":
                if _KK_NUMBER_BEFORE.search(low, max(0, s - 12), s):
                    continue
                lo, hi = 0, 167
            else:
                n = _first_num(m.group("a"))
                if n is None:
                    continue
                if kind == "ltm":
                    lo, hi = 0, int(n) - 1
                else:
                    months = int(round(n * 12))
                    if kind == "lt":
                        lo, hi = 0, months - 1
                    elif kind in ("ge", "older"):
                        lo, hi = months, None
                    elif kind == "eq":
                        lo, hi = months, months + 11
                    elif kind == "le":
                        lo, hi = 0, months + 11
                    elif kind == "range_le":
                        b = _first_num(m.group("b"))
                        if b is None:
                            continue
                        lo, hi = months, int(round(b * 12)) + 11
                    else:
                        b = _first_num(m.group("b"))
                        if b is None:
                            continue
                        lo, hi = months, int(round(b * 12)) - 1
                if hi is not None and hi < lo:
                    continue
            if kind == "ltm" and _KK_PERIOD_BEFORE.search(low, max(0, s - 30), s):
                continue
            # «… жасқа дейінгілерді қоса алғанда» (ru «включительно»): to the end of that year of age
            if kind in ("lt", "range") and hi is not None and low[s:e].endswith(("дейін", "дейінгі", "дейінгілерді", "дейінгілер")) \
                    and _KK_INCLUSIVE.match(low, e) and (hi + 1) % 12 == 0:
                hi += 12
            taken.append((s, e))
            hits.append(AgeHit(lo, hi, text[s:e], s, e, strong, older=kind == "older" and lo >= 216))
    # «он сегіз жасқа толмаған немесе бұл жастан асқан, егер …»: the age before, and up (ru «не
    # достигшие восемнадцати лет или старше этого возраста»)
    if hits and "жастан" in low:
        and_older(text, low, _KK_AND_OLDER, hits, taken)
    hits.sort(key=lambda h: h.start)
    return hits
