"""Links between provisions and indicators, each with the reason it exists (issue 13, part 2).

A provision is linked to an indicator only when all three hold:

1. **dimension**: the provision is tagged with the indicator's dimension (provision_dimensions);
2. **ages**: the provision's age interval overlaps the indicator's (a provision with one bound
   is open on the other side; one with no months links only through the pregnancy-and-birth
   band AG_PRE, which both must then have);
3. **topic**: one of the indicator's cues (kb/data/indicators.yml, `cues`) is found in the
   provision's heading or text, in its aligned Kazakh text, or (weaker) in the heading of the
   article that holds it or the lead-in («…:») of the point it continues.

``link_act(provisions, …)`` works on one act's provisions (the context lives in the same act)
and returns the rows of ``provision_indicator_links``; db/links.py runs it at build time.

Relevance (0..1, higher = more relevant) = topic × dimension × ages:

* topic = 1 − 0.5^n, n = cues found in the provision's own text, plus half of those found only in
  its article heading or lead-in (one cue 0.5, two 0.75, one in the heading only 0.29);
* dimension = the tagger's score for the dimension, × 0.75 when it is not the provision's
  primary dimension;
* ages = the shared months / the months of the narrower of the two intervals (1 when one holds
  the other; AG_PRE shared: 1).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

LINKS_VERSION = "1"
AGE_MAX_MONTHS = 287          # an open upper bound counts to the end of the oldest band (23 y)
SECONDARY_WEIGHT = 0.75       # a dimension that is not the provision's primary one
CONTEXT_WEIGHT = 0.5          # a cue found only in the article heading or the lead-in

COLUMNS = ("provision_id", "act_id", "indicator_code", "dimension_code", "is_primary",
           "shared_age_min_months", "shared_age_max_months", "relevance", "matched_cues",
           "matched_words", "cue_in_context", "reason")


def fold(text: str | None) -> str:
    return (text or "").lower().replace("ё", "е")


@dataclass
class Cue:
    """One catalogue cue: a pattern, or several that must all be found in one text."""

    label: str                      # as in the catalogue («смерт», «пособи + рождени»)
    patterns: list[re.Pattern]

    def find(self, text: str) -> list[str] | None:
        """The words each pattern found in `text` (folded), or None when one is missing."""
        words = []
        for pattern in self.patterns:
            m = pattern.search(text)
            if m is None:
                return None
            words.append(m.group(0))
        return words


def compile_cue(cue) -> Cue:
    parts = cue["all"] if isinstance(cue, dict) else [cue]
    # at a word start, extended to the end of the word the pattern stops in
    patterns = [re.compile(rf"(?<!\w)(?:{fold(p)})\w*") for p in parts]
    return Cue(label=" + ".join(parts), patterns=patterns)


@dataclass
class Topic:
    """What the linker needs of one indicator."""

    code: str
    name: str
    dimension_code: str
    age_min_months: int | None
    age_max_months: int | None
    pregnancy: bool                 # the indicator has the AG_PRE band
    cues: list[Cue] = field(default_factory=list)


def topics(indicator_rows, catalogue_cues: dict[str, list]) -> list[Topic]:
    """Topics of the `indicators` rows (dicts) with the catalogue's cues by code; an indicator
    without cues links nothing."""
    out = []
    for r in indicator_rows:
        bands = r.get("age_group_codes")
        bands = json.loads(bands) if isinstance(bands, str) else (bands or [])
        out.append(Topic(code=r["code"], name=r.get("name_ru") or r.get("name_en") or r["code"],
                         dimension_code=r["dimension_code"],
                         age_min_months=r.get("age_min_months"),
                         age_max_months=r.get("age_max_months"),
                         pregnancy="AG_PRE" in bands,
                         cues=[compile_cue(c) for c in catalogue_cues.get(r["code"]) or []]))
    return out


# --- ages in words -----------------------------------------------------------------------------


def _years_word(n: int, after_range: bool = False) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "года" if after_range else "год"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "года"
    return "лет"


def age_span_text(lo: int | None, hi: int | None) -> str:
    """Months as a reader says them: «5–17 лет», «0–11 мес.», «от 16 лет», «до 18 лет»."""
    if lo is None and hi is None:
        return "возраст не указан"
    if hi is None:
        return f"от {lo // 12} {_years_word(lo // 12, True)}" if lo % 12 == 0 else f"от {lo} мес."
    lo = lo or 0
    if lo == hi == 0:
        return "при рождении (0 мес.)"
    if hi < 12:
        return f"{lo}–{hi} мес."
    if lo % 12 == 0 and (hi + 1) % 12 == 0:
        a, b = lo // 12, (hi + 1) // 12 - 1
        return f"{a} {_years_word(a)}" if a == b else f"{a}–{b} {_years_word(b, True)}"
    return f"{lo}–{hi} мес."


# --- linking -----------------------------------------------------------------------------------


def _overlap(p_lo, p_hi, i_lo, i_hi):
    """Shared months of a provision's interval (open bounds) and an indicator's, or None."""
    if p_lo is None and p_hi is None:
        return None
    lo = max(p_lo or 0, i_lo)
    hi = min(AGE_MAX_MONTHS if p_hi is None else p_hi, i_hi)
    return (lo, hi) if lo <= hi else None


def _age_weight(p_lo, p_hi, i_lo, i_hi, shared) -> float:
    p_len = (AGE_MAX_MONTHS if p_hi is None else p_hi) - (p_lo or 0) + 1
    i_len = i_hi - i_lo + 1
    return (shared[1] - shared[0] + 1) / max(1, min(p_len, i_len))


def _quote(words) -> str:
    return ", ".join(f"«{w}»" for w in words)


def link_act(provisions: list[dict], dimensions: dict[str, list[dict]], pregnancy: set[str],
             kazakh: dict[str, str], topic_list: list[Topic],
             dimension_names: dict[str, str]) -> list[dict]:
    """The links of one act's provisions.

    provisions: dicts with id, act_id, parent_id, kind, heading, text, excluded,
    age_min_months, age_max_months (the act's whole tree: the context is read from it);
    dimensions: provision id → [{dimension_code, score, is_primary}]; pregnancy: ids of the
    provisions with the AG_PRE band; kazakh: provision id → its aligned Kazakh heading and text.
    """
    by_id = {p["id"]: p for p in provisions}
    by_dimension: dict[str, list[Topic]] = {}
    for t in topic_list:
        if t.cues:
            by_dimension.setdefault(t.dimension_code, []).append(t)
    rows = []
    for p in provisions:
        dims = dimensions.get(p["id"])
        if not dims or p.get("excluded"):
            continue
        p_lo, p_hi = p.get("age_min_months"), p.get("age_max_months")
        p_pre = p["id"] in pregnancy
        if p_lo is None and p_hi is None and not p_pre:
            continue
        own = [("в тексте положения", fold(" ".join(x for x in (p.get("heading"), p.get("text")) if x)))]
        if kazakh.get(p["id"]):
            own.append(("в казахском тексте", fold(kazakh[p["id"]])))
        context = _context(p, by_id)
        found_cache: dict[str, tuple] = {}

        def find(cue: Cue):
            if cue.label not in found_cache:
                hit = None
                for place, text in own:
                    words = cue.find(text)
                    if words:
                        hit = (place, words, False)
                        break
                if hit is None:
                    for place, text in context:
                        words = cue.find(text)
                        if words:
                            hit = (place, words, True)
                            break
                found_cache[cue.label] = hit
            return found_cache[cue.label]

        for d in dims:
            for t in by_dimension.get(d["dimension_code"], ()):
                shared = None
                if t.age_min_months is not None and t.age_max_months is not None:
                    shared = _overlap(p_lo, p_hi, t.age_min_months, t.age_max_months)
                if shared is None and not (p_pre and t.pregnancy):
                    continue
                hits = [(c, h) for c in t.cues for h in [find(c)] if h]
                if not hits:
                    continue
                n_own = sum(1 for _, h in hits if not h[2])
                n_ctx = len(hits) - n_own
                topic_w = 1 - 0.5 ** (n_own + CONTEXT_WEIGHT * n_ctx)
                dim_w = float(d["score"]) * (1.0 if d["is_primary"] else SECONDARY_WEIGHT)
                age_w = (_age_weight(p_lo, p_hi, t.age_min_months, t.age_max_months, shared)
                         if shared else 1.0)
                words: list[str] = []
                for _, h in hits:
                    words += [w for w in h[1] if w not in words]
                rows.append({
                    "provision_id": p["id"], "act_id": p["act_id"], "indicator_code": t.code,
                    "dimension_code": d["dimension_code"], "is_primary": int(bool(d["is_primary"])),
                    "shared_age_min_months": shared[0] if shared else None,
                    "shared_age_max_months": shared[1] if shared else None,
                    "relevance": round(topic_w * dim_w * age_w, 4),
                    "matched_cues": json.dumps([c.label for c, _ in hits], ensure_ascii=False),
                    "matched_words": json.dumps(words, ensure_ascii=False),
                    "cue_in_context": int(n_own == 0),
                    "reason": _reason(p, d, t, shared, hits, dimension_names),
                })
    return rows


def _context(p: dict, by_id: dict) -> list[tuple[str, str]]:
    """The heading of the article holding `p`, and the lead-in («…:») of the point it
    continues (a subpoint reads as the end of its parent's sentence)."""
    out = []
    parent = by_id.get(p.get("parent_id"))
    if parent is not None and (parent.get("text") or "").rstrip().endswith(":"):
        out.append(("во вводной части пункта", fold(parent["text"])))
    cur = parent
    while cur is not None:
        if cur.get("kind") == "article":
            if cur.get("heading"):
                out.append(("в заголовке статьи", fold(cur["heading"])))
            break
        cur = by_id.get(cur.get("parent_id"))
    return out


def _reason(p, d, t: Topic, shared, hits, dimension_names) -> str:
    code = d["dimension_code"]
    role = "основное" if d["is_primary"] else "дополнительное"
    dim = f"общее измерение «{dimension_names.get(code, code)}» ({code}; у положения — {role})"
    if shared:
        age = (f"возраст пересекается: положение — {age_span_text(p.get('age_min_months'), p.get('age_max_months'))}, "
               f"индикатор — {age_span_text(t.age_min_months, t.age_max_months)}, "
               f"общий — {age_span_text(*shared)}")
    else:
        age = "оба относятся к беременности и рождению"
    places: dict[str, list[str]] = {}
    for _, (place, words, _ctx) in hits:
        places.setdefault(place, [])
        places[place] += [w for w in words if w not in places[place]]
    topic = "; ".join(f"{place}: {_quote(words)}" for place, words in places.items())
    return f"Связано с индикатором «{t.name}»: {dim}; {age}; тема индикатора найдена {topic}."
