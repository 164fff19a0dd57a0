"""What the age rules of every language share, and the age hull's attachment rule.

    AgeHit            one age expression as a month interval (open upper bound: None)
    number_value      digits, or the sum of number words (each language passes its own words)
    _qualified_words  the child words an explicit age qualifies: they add no range of their
                      own to the hull of the provision's ages (kb.tagging.scoring.Scorer)
    name_spans        the proper names of bodies, courts, posts, laws and data banks that hold
                      a child word («уполномоченный орган в области защиты прав детей»): a child
                      word inside one adds no range to the hull either

The age expressions themselves are read per language (kb.tagging.russian, kb.tagging.kazakh,
kb.tagging.english); the kb_ages component of kb.tagging.pipeline picks the language's reader.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


def _alt(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


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


@dataclass
class AgeHit:
    min_months: int | None
    max_months: int | None       # None: open upwards
    text: str
    start: int
    end: int
    strong: bool                 # a child age by its form (opens the gate)
    pregnancy: bool = False
    # an adult age «older than» («лица старше восемнадцати лет», «не моложе восемнадцати лет»,
    # kk «он сегіз жастан асқан»): a person's, not a child's, unless it qualifies a child word
    # («совершеннолетние дети старше восемнадцати лет»): adult_ages_of_children
    older: bool = False


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
      года, … перерывы для кормления ребенка»): the same cue as a word a child age qualifies.
      Not after an adult age: «отца или матери ребенка, … самого ребенка по достижении им
      совершеннолетия» speaks of the child as a child, and of the same person at 18;
    * the word is part of a longer name of something else («центры адаптации
      несовершеннолетних … детей в возрасте от трех до восемнадцати лет»): a child word inside
      a longer dimension or flag cue — not when the cue only adds «заведомо» to it («заведомо
      несовершеннолетним лицом» is the minor victim).
    """
    out: set[int] = set()
    patterns: dict[str, list] = {}
    for a in ages:
        near = [i for i, (_, cs, ce, _, _) in enumerate(words) if _age_attached(text, cs, ce, a, words)]
        if not near and _ANAPHOR.search(text, max(0, a.start - 12), a.end):
            before = [i for i, (_, _, ce, _, _) in enumerate(words) if ce <= a.start]
            near = before[-1:]
        out.update(near)
        if a.min_months is None or a.min_months < 216:
            for i in near:
                patterns.setdefault(words[i][0].pattern, []).append(a)
    names = [(s, e) for en, s, e in hits if en.kind in ("dim", "flag")]
    for i, (en, cs, ce, s, e) in enumerate(words):
        # «Несовершеннолетними признаются лица, которым … исполнилось четырнадцать …»: the
        # sentence's age defines the word
        if _DEFINED.match(text, ce) and any(a.start > ce and "." not in text[ce:a.start] for a in ages):
            out.add(i)
        elif en.pattern in patterns:
            # the same children again, unless an exception parts them from the aged ones
            # («против … несовершеннолетних, за исключением … несовершеннолетнего в возрасте от
            # четырнадцати до восемнадцати лет»: all minors, and the exception's 14–17)
            # A word before every aged mention, in an earlier sentence, is the general
            # statement the aged one narrows («Передача ребенка … с учетом его мнения. Ребенок,
            # достигший возраста десяти лет, может быть передан только с его согласия»: 0–17)
            # An exception after the aged mention parts nothing: «несовершеннолетних в возрасте
            # от четырнадцати до восемнадцати лет …, за исключением случаев, когда … право
            # несовершеннолетнего …» speaks of the same 14–17-year-olds again
            if any(not (ce <= a.start and _EXCEPTION.search(text, ce, a.start))
                   and not (ce <= a.start and _SENTENCE_END.search(text, ce, a.start))
                   for a in patterns[en.pattern]):
                out.add(i)
        elif any(ns <= s and e <= ne and ne - ns > e - s
                 and not (ns == s - 1 and _VICTIM.search(text, max(0, cs - 20), cs))
                 for ns, ne in names):
            out.add(i)
    return out


# a child word inside a longer cue names the child itself when the cue only marks it as the
# victim: «заведомо несовершеннолетним», «неприкосновенности несовершеннолетних»
_VICTIM = re.compile(r"(?:заведомо|неприкосновенност\w*)\s*$", re.I)
_DEFINED = re.compile(r"[\w-]*\s*(?:,\s*[^,.]{0,80}?,\s*)?(?:признаю?тся|счита[ею]тся)\s+лиц", re.I)
def and_older(text: str, low: str, rx: re.Pattern, hits: list, taken: list) -> None:
    """«не достигшие восемнадцати лет или старше этого возраста», kk «он сегіз жасқа толмаған
    немесе бұл жастан асқан»: each match of `rx` right after an age hit (nothing but a comma
    between) is that age and up — from the age's end when it is an «under» age — appended to
    `hits` (TAXONOMY.md: adults disabled before eighteen are 216 and up). `low` is `text` in the
    lower case of the caller's rules (same offsets); the evidence is taken from `text`."""
    for m in rx.finditer(low):
        s, e = m.span()
        prev = [h for h in hits if h.end <= s and not low[h.end:s].strip(" ,")]
        if not prev or any(s < te and ts < e for ts, te in taken):
            continue
        h = prev[-1]
        lo = h.max_months + 1 if h.min_months == 0 and h.max_months is not None else h.min_months
        taken.append((s, e))
        hits.append(AgeHit(lo, None, text[s:e], s, e, True, older=lo >= 216))


_EXCEPTION = re.compile(r"за\s+исключением|кроме\s+(?:случа|лиц)", re.I)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


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
    # an age before the word qualifies it inside one phrase («не достигшие шестнадцати лет
    # несовершеннолетние»), not across a comma («воспитывающим ребенка в возрасте до
    # четырнадцати лет, имеющим детей с инвалидностью»: the next item of a list)
    if age.start < ce and "," in gap:
        return False
    # another child word in between is the one the age is attached to
    return not any(lo <= ws and we <= hi for _, ws, we, _, _ in words)


# --- child words inside a name ----------------------------------------------------------------
#
# A child word that is part of the proper name of a body, post, court, data bank or law names no
# child the provision applies to (the real gold set's convention C1, after TAXONOMY's «балабақша»
# is not «бала»): «уполномоченный орган в области защиты прав детей», «Уполномоченный по правам
# ребенка», «суд по делам несовершеннолетних», «законодательство о правах ребенка»,
# «Республиканский банк данных детей-сирот, детей, оставшихся без попечения родителей, и лиц,
# желающих принять детей …». Such a word still opens the child-context gate and counts for the
# dimensions; it only adds no age. A child the text names besides the name keeps its range.
# The commissions on minors' affairs (КДН) deal with the minors themselves: their words keep
# their age (tests/test_tagger_generalisation.py).
_ORPHANS_RU = (r"детей-сирот,?\s+(?:и\s+)?детей,?\s+оставшихся\s+без\s+попечения\s+родителей"
               r"(?:,?\s+и\s+лиц,?\s+желающих\s+принять\s+(?:детей\s+)?(?:на\s+воспитание\s+)?"
               r"в\s+(?:свои\s+)?семь[юи])?")
_NAMES = {
    "ru": re.compile(
        r"\bуполномоченн\w*\s+(?:орган\w*\s+)?(?:в\s+области|по)\s+(?:защит\w*\s+)?прав\w*\s+"
        r"(?:детей|ребенка)"
        r"|\bсуд\w*\s+по\s+делам\s+несовершеннолетних"
        r"|\bзаконодательств\w*(?:\s+Республики\s+Казахстан)?\s+о\s+правах\s+ребенка"
        rf"|\bорганизаци\w*\s+по\s+оказанию\s+содействия\s+в\s+устройстве\s+{_ORPHANS_RU}"
        rf"|\bбанк\w*\s+данных\s+{_ORPHANS_RU}", re.I),
    "kk": re.compile(
        r"(?<!\w)(?:бала|баланың|балалардың)\s+құқықтар(?:ы|ын)\s+қорғау\s+(?:саласындағы|жөніндегі|"
        r"мәселелері\s+жөніндегі)\s+(?:өңірлік\s+)?уәкілетті\s+орган\w*"
        r"|(?<!\w)бала\s+құқықтары\s+жөніндегі\s+(?:өңірлік\s+)?уәкіл\w*"
        r"|(?<!\w)(?:бала|баланың|балалардың)\s+құқықтары\s+туралы\s+заң\w*"
        r"|(?<!\w)кәмелетке\s+толмағандардың\s+істері\s+жөніндегі\s+(?:[\w-]+\s+){0,3}?сот\w*", re.I),
}
_LATIN_I = str.maketrans("i", "і")      # Kazakh texts type the Latin «i» for «і»
_NAME_NEEDLES = {"ru": ("прав", "делам", "банк"), "kk": ("құқықтар", "істері")}


def name_spans(text: str, lang: str) -> list[tuple[int, int]]:
    """Character spans of the names (above) in `text` whose child words add no age."""
    rx = _NAMES.get(lang)
    if rx is None or not any(n in text for n in _NAME_NEEDLES[lang]):
        return []
    if lang == "kk":
        text = text.translate(_LATIN_I)     # same length: the spans hold
    return [m.span() for m in rx.finditer(text)]


def adult_ages_of_children(text: str, ages, kids) -> list:
    """`ages` without the adult «older than» ages (AgeHit.older) that qualify none of the child
    words `kids` (entry, char start, char end, token start, token end): «лицам старше
    восемнадцати лет, совершившим … против несовершеннолетних» is the offender's age (TAXONOMY:
    an adult age is no child age)."""
    return [a for a in ages if not a.older
            or any(_age_attached(text, cs, ce, a, kids) for _, cs, ce, _, _ in kids)]

