"""English (lang "en"): simple «under the age of N» ages.

The knowledge base takes English tags from the aligned Russian provision. For `kb tag` on
English text the tagger uses a deliberately small English cue set (a few unambiguous phrases
per dimension in taxonomy.yml, prefix stems on lower-cased words) and the ages below. It is far
weaker than the Russian rules and is not evaluated; prefer the Russian text.
"""
from __future__ import annotations

import re

from kb.tagging.ages import AgeHit


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
