"""Russian rules of the tagger: numerals and age expressions, and which word forms get a
pymorphy3 lemma (the cue phrases themselves are data: kb/data/taxonomy.yml).

* extract_ages_ru finds age expressions (numerals in words or digits) and rejects periods («за
  восемнадцать лет», «сроком до пяти лет», «лишение свободы на срок до 3 лет», «лет со дня»);
  forms that are ages by their shape («не достигших восемнадцати лет», «-летнего возраста»)
  are kept even after «работников», «срока». ages_possible_ru is its pre-check (also used by
  the TextGate).
* LemmaGate: which Russian word forms can lemmatise to a cue key at all (the kb_lemmatizer of
  kb.tagging.pipeline sends only those to pymorphy3).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kb import morph
from kb.tagging.ages import AgeHit, _alt, and_older, number_value

if TYPE_CHECKING:
    from kb.tagging.cues import CueIndex


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
# majority: «совершеннолетия», «совершеннолетнего возраста» («не достигших совершеннолетнего
# возраста», «до достижения ими совершеннолетнего возраста»)
_MAJORITY = r"(?:совершеннолети\w*|совершеннолетн\w*\s+возраст\w*)"
# «исполнится», not «исполнительного документа»
_REACH = r"(?:достигш\w*|достигн\w*|достиг(?:ли|ла|ло)?|достижени\w*|исполнил\w*|исполнит(?:ся|ь)\b|исполнятся)"
_RU_RULES: list[tuple[tuple[str, ...], str, re.Pattern, bool]] = [
    # (needles: the regex runs only if one occurs, kind, regex, strong)
    # «достигшие в год поступления возраста пятнадцати лет, но не старше семнадцати лет»: from
    # the first age to the end of the second year of age
    (('старше',), "range_le", _build(r"\b(?:достигш\w*|достиг(?:ли|ла|ло)?|в\s+возрасте|с|со|от)(?:\s+[^\s.;:]+){0,4}?\s+NUM(a)\s+(?:UNIT(v)\s*)?,?\s+(?:но\s+)?не\s+старше\s+NUM(b)\s+UNIT(u)", "a", "b", "u", "v"), True),
    # «в возрасте шестнадцати лет и старше», «граждан в возрасте от 12 лет и старше»: that age
    # and up (not «… лет и старше этого возраста», read below with the age before it)
    (('старше',), "ge", _build(r"\bв\s+возрасте\s+(?:от\s+|с\s+)?NUM(a)\s+UNIT(u)\s*,?\s+и\s+старше\b(?!\s+(?:этого|указанного|данного))", "a", "u"), True),
    (('старше',), "ge", _build(r"\bNUM(a)\s+UNIT(u)\s*,?\s+и\s+старше\b(?!\s+(?:этого|указанного|данного))", "a", "u"), False),
    # «с семилетнего до восемнадцатилетнего возраста», «от трехлетнего до шестилетнего возраста»
    (('летн',), "range", re.compile(rf"\b(?:с|со|от)\s+(?P<c>(?:{_alt(_CTENS)})?(?:{_alt(_CSTEM)})|{_alt(_CTENS)}|\d{{1,2}}-?)летн\w*\s+(?:возраст\w*\s+)?до\s+(?P<d>(?:{_alt(_CTENS)})?(?:{_alt(_CSTEM)})|{_alt(_CTENS)}|\d{{1,2}}-?)летн\w*\s+возраст\w*"), True),
    # «с шести – десяти лет», «от 6-10 лет»: a range with a dash
    (('лет',), "range", _build(r"\b(?:с|со|от)\s+NUM(a)\s*[–—-]\s*NUM(b)\s+UNIT(u)", "a", "b", "u"), False),
    # «лица, которым исполнилось четырнадцать, но не исполнилось восемнадцати лет»: 14–17
    (('исполни', 'достиг'), "range", _build(r"\b(?:исполнил\w*|достигш\w*|достиг(?:ли|ла|ло)?)\s+NUM(a)(?:\s+UNIT(v))?\s*,?\s+но\s+не\s*(?:исполнил\w*|достигш\w*|достиг(?:ли|ла|ло)?)\s+NUM(b)\s+UNIT(u)", "a", "b", "u", "v"), True),
    (('достиг',), "lt", _build(rf"\b{_NEG}{_GAP}(?:возраст\w*\s+)?(?:NUM(a)\s+UNIT(u)|CNUM(c))", "a", "u", "c"), True),
    (('совершеннолет',), "lt_adult", re.compile(rf"\b{_NEG}(?:{_GAP})?{_MAJORITY}"), True),
    # «лицо, не достигшее брачного (супружеского) возраста»: under the marriage age of eighteen
    # (Marriage and Family Code, art. 10)
    (('брачн',), "lt_adult", re.compile(rf"\b{_NEG}\s+брачн\w*\s+(?:\(\s*супружеск\w*\s*\)\s*)?возраст\w*"), True),
    # «до достижения ребенком возраста трех лет», «до дня достижения ребенком возраста полутора
    # лет» (Social Code: the day the payment ends)
    (('достижени',), "lt", _build(rf"\bдо\s+(?:дня\s+)?(?:его\s+|их\s+)?достижени\w*{_GAP}(?:возраст\w*\s+)?(?:NUM(a)\s+UNIT(u)|CNUM(c))", "a", "u", "c"), True),
    # «уход за ребенком по достижении им возраста полутора лет» (Social Code): care *until*
    (('достижени',), "lt_care", _build(r"(?<=\bуходу\s)за\s+(?:ребенком|детьми)(?:\s+[^\s.;:]+){0,4}?\s+по\s+достижении\s+(?:им|ими|ею)?\s*(?:возраст\w*\s+)?(?:NUM(a)\s+UNIT(u)|CNUM(c))", "a", "u", "c"), True),
    (('достижени',), "lt_care", _build(r"(?<=\bуходом\s)за\s+(?:ребенком|детьми)(?:\s+[^\s.;:]+){0,4}?\s+по\s+достижении\s+(?:им|ими|ею)?\s*(?:возраст\w*\s+)?(?:NUM(a)\s+UNIT(u)|CNUM(c))", "a", "u", "c"), True),
    (('достижени',), "lt_care", _build(r"(?:(?<=\bуход\s)|(?<=\bухода\s))за\s+(?:ребенком|детьми)(?:\s+[^\s.;:]+){0,4}?\s+по\s+достижении\s+(?:им|ими|ею)?\s*(?:возраст\w*\s+)?(?:NUM(a)\s+UNIT(u)|CNUM(c))", "a", "u", "c"), True),
    # «со дня рождения ребенка … по достижении им возраста полутора лет (включительно)», «со дня
    # установления опеки по достижении им возраста полутора лет»: «с … по …» is a period from a
    # day until the child reaches the age, as «до достижения»
    (('достижени',), "lt_care", _build(r"\bсо\s+дня\s[^.;:]{0,120}?(?P<x>\bпо\s+достижении\s+(?:им|ими|ею|ребенком|детьми)?\s*(?:возраст\w*\s+)?(?:NUM(a)\s+UNIT(u)|CNUM(c)))", "a", "u", "c"), True),
    (('совершеннолет',), "lt_adult", re.compile(rf"\bдо\s+(?:его\s+|их\s+)?(?:достижения\s+(?:\w+\s+)?)?{_MAJORITY}"), True),
    # an explicit age range of a person («в возрасте от … до … лет», «лица в возрасте от …»,
    # «для возраста от четырнадцати до шестнадцати лет») is strong: it opens the child-context
    # gate with no child word. TAXONOMY rule 4 gives no age to a provision that names no child;
    # a range of ages that starts under 18 names a child by itself — a person under eighteen is
    # a child (Law «О правах ребенка», art. 1) — so the Labour Code's «1) для возраста от
    # четырнадцати до шестнадцати лет – не более 24 часов в неделю;» applies to 14–15-year-olds.
    # A range wholly of adults («от восемнадцати до двадцати девяти лет») opens nothing (the
    # scorer's gate wants a child age starting under 216 months); one that ends above 35 years is
    # no child age at all (Scorer._child_age). A bare «от … до … лет» (weak, below) is a period
    # as often as an age: it needs a child word.
    (('возраст',), "range", _build(r"(?:(?<=\bвозрасте\s)|(?<=\bвозраста\s))(?:от|с|со)\s+NUM(a)\s+(?:UNIT(v)\s+)?до\s+NUM(b)\s+UNIT(u)", "a", "b", "u", "v"), True),
    (('до ',), "range", _build(r"\b(?:от|с|со)\s+NUM(a)\s+(?:UNIT(v)\s+)?до\s+NUM(b)\s+UNIT(u)", "a", "b", "u", "v"), False),
    (('летн',), "ge", _build(r"\b(?:с|со)\s+(?:возраста\s+)?CNUM(c)", "c"), True),
    (('возраст',), "ge", _build(r"\b(?:с|со)\s+возраста\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('с ',), "ge", _build(r"\b(?:с|со)\s+NUM(a)\s+UNIT(u)", "a", "u"), False),
    (('летн',), "lt", _build(r"\bдо\s+CNUM(c)", "c"), True),
    (('возраст',), "lt", _build(r"\bв\s+возрасте\s+до\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('до ',), "lt", _build(r"\bдо\s+(?:возраста\s+)?NUM(a)\s+UNIT(u)", "a", "u"), False),
    # «не моложе восемнадцати лет», «не младше 16 лет»: at least that age (read before «моложе»)
    (('младше', 'моложе'), "older", _build(r"\bне\s+(?:младше|моложе)\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('младше', 'моложе'), "lt", _build(r"\b(?:младше|моложе)\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    # «не старше семнадцати лет», «ребенка в возрасте не более трех лет»: to the end of that
    # year of age (as kk «он жеті жастан аспаған»); read before «старше»
    (('старше',), "le", _build(r"\bне\s+старше\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('возраст',), "le", _build(r"\bв\s+возрасте\s+не\s+(?:более|старше)\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('старше',), "older", _build(r"\bстарше\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    (('старше',), "older", _build(r"\bстарше\s+CNUM(c)", "c"), True),
    (('возраст',), "eq", _build(r"\bв\s+возрасте\s+NUM(a)\s+UNIT(u)", "a", "u"), True),
    # the age of majority (or an older one) reached at a moment («по достижении восемнадцати
    # лет», «достижение ребенком совершеннолетия» as a ground) is that year of age alone
    # (TAXONOMY.md, «Age words»: the provision applies as childhood ends). A child's age reached
    # opens a stage that lasts («вправе самостоятельно осуществлять родительские права по
    # достижении ими возраста шестнадцати лет»): that age and up, like the participle
    # («достигший десяти лет») and «при/после достижения»
    (('достижени',), "reach", _build(rf"\b(?:по\s+достижени\w*|(?<!до\s)(?<!после\s)(?<!при\s)достижение)(?:{_GAP})?(?:возраст\w*\s+)?(?:NUM(a)\s+UNIT(u)|CNUM(c))", "a", "u", "c"), True),
    (('совершеннолет',), "eq_adult", re.compile(rf"\b(?:по\s+(?:достижени|наступлени)\w*|(?<!до\s)(?<!после\s)(?<!при\s)достижение|после\s+наступлени\w*)(?:{_GAP})?{_MAJORITY}"), True),
    (('достиг', 'достижени', 'исполни'), "ge", _build(rf"\b{_REACH}{_GAP}(?:возраст\w*\s+)?(?:NUM(a)\s+UNIT(u)|CNUM(c))", "a", "u", "c"), True),
    (('совершеннолет',), "ge_adult", re.compile(r"(?<!не)(?<!не\s)\bсовершеннолетн\w*(?:\s+\w+){0,2}?\s+(?:дет|ребен)\w*"), False),
    (('совершеннолет',), "ge_adult", re.compile(rf"\b(?:{_REACH}|по\s+достижении)(?:{_GAP})?{_MAJORITY}"), True),
    # a bare «детей пятилетнего возраста» (no «с», «до», «достигший» before it: those forms are
    # read above and take the span first): that year of age, N to N years 11 months
    (('летн',), "eq", _build(r"(?<!-)\bCNUM(c)", "c"), True),
]
_ORDINAL_YEAR = {"перв": 1, "втор": 2, "трет": 3}
# «дети первого (второго, третьего) года жизни»: the year of life N is N-1 .. N years of age
_RU_YEAR_OF_LIFE = re.compile(r"\b(перв|втор|трет)\w*\s+(?:и\s+(?:перв|втор|трет)\w*\s+)?(?:года|годов)\s+жизни\b")
# «на первой неделе жизни», «первого месяца жизни»: a newborn, month 0
_RU_FIRST_WEEKS = re.compile(r"\bперв\w*\s+(?:недел|месяц)\w*\s+жизни\b")
# a number right before «лет/год/месяц»: looked for only in the 60 characters before each unit
# word (one regex over the whole text tries the numeral alternation at every position)
_RU_UNIT_WORD = re.compile(r"(?:лет|год|месяц)")
_RU_NUM_BEFORE = re.compile(rf"(?<![\w.])(?:{_W}|\d{{1,3}})(?:-?[а-я]{{1,3}})?(?:\s*\([^)]{{1,30}}\))?\s+$")


def _ru_anchored(low: str) -> bool:
    if "летн" in low or "совершеннол" in low or " жизни" in low or "брачн" in low:
        return True
    for m in _RU_UNIT_WORD.finditer(low):
        i = m.start()
        if _RU_NUM_BEFORE.search(low, max(0, i - 60), i):
            return True
    return False


_RU_AND_OLDER = re.compile(r"\b(?:и|или)\s+старше\s+(?:этого|указанного|данного)\s+возраста\b")
_INCLUSIVE = re.compile(r"\s*\(?\s*включительно")
# what makes a number of years a period, not an age
_RU_PERIOD_BEFORE = re.compile(
    r"(?:\bсрок\w*|\bтечени\w*|\bпериод\w*|\bстаж\w*|\bсвобод\w*|\bработ\w*|\bарест\w*|"
    r"\bдавност\w*|\bпродолжительност\w*|\bне\s+(?:более|менее|позднее|ранее)|\bистечени\w*|"
    r"\bвыслуг\w*|\bпродлен\w*|\bзаключени\w*|\bнаказан\w*|\bпоселени\w*|\bобязательств\w*)"
    r"[^.;:]{0,12}$")
_RU_PERIOD_AFTER = re.compile(r"^\s*(?:со\s+дня|с\s+момента|с\s+даты|после|подряд|назад|"
                              r"лишения|ограничения|исправительн|\(?включительно\)?\s+со\b)")
_RU_PERIOD_GAP = re.compile(r"\b(?:за|течение|срок\w*|период\w*|стаж\w*|через|после|свобод\w*)\b")


def dative_ru(word: str) -> bool:
    """Whether pymorphy3's most probable parse of a Russian word is dative («опекуну»)."""
    t = morph.tag(word)
    return t is not None and t.case == "datv"


_LIST_WORDS = frozenset({"или", "и", "а", "также", "либо"})


def dative_head_ru(before) -> bool:
    """Whether the noun a participle phrase agrees with, the last word of the tokens `before`
    it that is neither a participle nor a conjunction, is dative: «семьям, имеющим или
    воспитывающим детей» (recipients), not «женщиной, имеющей ребенка»."""
    for t in reversed(before):
        w = t.text.lower()
        if not t.is_alpha or w in _LIST_WORDS:
            continue
        tag = morph.tag(w)
        if tag is None:
            return False
        if tag.POS == "PRTF":
            continue
        return tag.case == "datv"
    return False


def ages_possible_ru(text: str) -> bool:
    """The pre-checks of extract_ages_ru: False means it finds no age in `text` (TextGate)."""
    if "лет" not in text and "год" not in text and "месяц" not in text and "овершеннол" not in text \
            and "брачн" not in text and "недел" not in text:
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
            # a rule's group «x», when it has one, is the age phrase the rest of it only places
            s, e = m.span("x") if "x" in rx.groupindex else m.span()
            if any(s < te and ts < e for ts, te in taken) or any(ps <= s and e <= pe for ps, pe in periods):
                continue
            gd = m.groupdict()
            if kind in ("lt_adult", "ge_adult", "eq_adult"):
                lo, hi = {"lt_adult": (0, 215), "ge_adult": (216, None), "eq_adult": (216, 227)}[kind]
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
                elif kind in ("ge", "older"):
                    lo, hi = months, None
                elif kind == "eq" or (kind == "reach" and months >= 216):
                    lo, hi = months, months + (0 if unit.startswith("месяц") else 11)
                elif kind == "reach":
                    lo, hi = months, None
                elif kind == "le":
                    lo, hi = 0, months + (0 if unit.startswith("месяц") else 11)
                else:  # range, range_le
                    b = _cnum_value(gd["d"]) if gd.get("d") else _num_value(gd.get("b") or "")
                    if b is None:
                        continue
                    # «от шести месяцев до двух лет»: each number with its own unit
                    lo, hi = _months(n, gd.get("v") or unit), _months(b, unit) - 1
                    if kind == "range_le":
                        hi += 12
                    if hi < lo:
                        periods.append((s, e))      # no age: nothing inside it is one either
                        continue
                # «до трех лет включительно», «от одного года до шести лет включительно»: up to the
                # end of that year of age (the real gold set: «до достижения ими возраста трех
                # лет включительно» is 0–47 months)
                if kind in ("lt", "lt_care", "range") and _INCLUSIVE.match(low, e) \
                        and not unit.startswith("месяц"):
                    last = b if kind == "range" else n
                    if last is not None and float(last).is_integer():
                        hi = _months(last, unit) + 11
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
            hits.append(AgeHit(lo, hi, text[s:e], s, e, strong, older=kind == "older" and lo >= 216))
    # «дети, не достигшие восемнадцати лет или старше этого возраста, если им установлена
    # инвалидность»: the age before, and up (TAXONOMY.md: adults disabled before eighteen are
    # 216 and up, and widen the hull of the minors named with them)
    if "старше" in low and hits:
        and_older(text, low, _RU_AND_OLDER, hits, taken)
    if "жизни" in low:
        for m in _RU_YEAR_OF_LIFE.finditer(low):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            words = re.findall(r"перв|втор|трет", m.group(0))
            years = [_ORDINAL_YEAR[w] for w in words]
            taken.append((s, e))
            hits.append(AgeHit((min(years) - 1) * 12, max(years) * 12 - 1, text[s:e], s, e, True))
        for m in _RU_FIRST_WEEKS.finditer(low):
            s, e = m.span()
            if not any(s < te and ts < e for ts, te in taken):
                taken.append((s, e))
                hits.append(AgeHit(0, 0, text[s:e], s, e, True))
    hits.sort(key=lambda h: h.start)
    return hits


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
