"""What the age rules of every language share, and the age hull's attachment rule.

    AgeHit            one age expression as a month interval (open upper bound: None)
    number_value      digits, or the sum of number words (each language passes its own words)
    _qualified_words  the child words an explicit age qualifies: they add no range of their
                      own to the hull of the provision's ages (kb.tagging.scoring.Scorer)

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
