"""Cue hits + age hits → the tag object (TAXONOMY.md, «The tagger contract»), and the text gate.

* Scorer (kb_scorer) turns cue hits into dimension scores, applies the child-context gate (not
  opened by a strong cue alone next to adult-context words such as «недееспособн*»), discounts
  a dimension named only by *whom* a provision covers (group cues: orphans, pupils, large
  families) when another dimension in the same clause says *what* it regulates, chooses the
  primary dimension, applies the traps (excluded items, repeal clauses, quoted titles,
  competence lists, the actor's adult age), takes the hull of the child ages and assembles the
  evidence.
* TextGate: which texts can get a non-empty tag object at all; the others skip spaCy
  (kb.tagging.Tagger) and get the empty object (same output).
"""
from __future__ import annotations

import math
import re
from bisect import bisect_right

from spacy.attrs import IDX, LENGTH, ORTH
from spacy.language import Language
from spacy.tokens import Doc

from kb.taxonomy import Taxonomy, age_groups_for, load_taxonomy
from kb.tagging.ages import AgeHit, _qualified_words, adult_ages_of_children, name_spans
from kb.tagging.doc import AGE_HITS, CHILD_CONTEXT, CUE_HITS, FLAGS, doc_text
from kb.tagging.kazakh import ages_possible_kk, dative_kk
from kb.tagging.russian import ages_possible_ru, dative_head_ru, dative_ru


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
_BRACKET_GAP = re.compile(r"\s*\(\s*")
_SECOND_ITEM = re.compile(r"(?:^|[\s;:])2\)")
# «… совершенное лицом, достигшим восемнадцатилетнего возраста»: the adult age of the offender
# (or another actor), not of the child the provision protects
_ACTOR_BEFORE = re.compile(r"\bлиц(?:о|а|у|ом|ами|ам)?\s*,?\s*$")


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
        if any(a.older for a in child_ages):
            child_ages = adult_ages_of_children(text, child_ages, [
                (en, offs[s][0], offs[e - 1][0] + offs[e - 1][1], s, e)
                for en, s, e in hits if en.kind == "child"])

        # the child-context gate: a child word, a child age, or a child-specific (strong) cue —
        # unless the provision is about adults («опека над недееспособными гражданами»)
        # pregnancy words («беременной женщине», «роженица») are child context for maternal care,
        # maternity leave and benefits only: a labour contract with a pregnant woman is no child
        # labour
        child_words = [en for en, _, _ in hits if en.kind == "child"]
        maternal_only = bool(child_words) and all(en.pregnancy for en in child_words) \
            and not any(a.strong and a.min_months < 216 for a in child_ages)
        gate = any(not en.weak for en in child_words) \
            or any(a.strong and a.min_months < 216 for a in child_ages)
        # a child-specific cue alone does not open it next to words of an adult or non-child
        # context (land plots); a learner word («обучающийся», «білім алушы») alone not next to
        # those nor next to higher education, whose students are adults
        if not gate and any(en.kind == "dim" and en.strong for en, _, _ in hits):
            gate = not any(en.kind == "adult" for en, _, _ in hits)
        if not gate and child_words:
            gate = not any(en.kind in ("adult", "higher_ed") for en, _, _ in hits)
        if not gate:
            # the age of majority reached, with no child named («лицо, достигшее
            # восемнадцатилетнего возраста», kk «кәмелетке толған жастағы азаматтар»): no
            # dimension, but the age 18 and up (TAXONOMY.md: «достигший восемнадцатилетнего
            # возраста» means 216 and up; age-of-majority convention: no dimension, age only).
            # Not an «older than» age («лица старше восемнадцати лет»: no age, tests pin it)
            adult = [a for a in ages if a.strong and not a.older and a.min_months == 216]
            if adult:
                self._set_age(out, [(a.min_months, a.max_months) for a in adult],
                              [a.text for a in adult], False)
            return out
        doc.user_data[CHILD_CONTEXT] = True    # the trained model may add dimensions (kb.tagging.model)

        # dimensions
        per_dim: dict[str, dict] = {}
        for en, s, e in hits:
            if en.kind != "dim" or (maternal_only and en.target not in _MATERNAL and not en.strong):
                continue
            d = per_dim.setdefault(en.target, {"cues": {}, "evidence": [], "strong": False,
                                               "group": {}, "w": {}})
            d["cues"][en.pattern] = d["cues"].get(en.pattern, 0) + 1
            # a carer cue (`recipient`) names whom the provision covers only in the dative
            # («пособие … усыновителю, опекуну», «родителю, воспитывающему ребенка», kk
            # «қорғаншыға», «… тәрбиелеп отырған адамдарға»: the Kazakh noun follows the
            # participle); a carer who acts or is regulated («опекун не вправе», «обязанности
            # опекуна», «женщине, имеющей ребенка» accommodated) is what the provision is about
            group = en.group or (en.recipient and self._recipient(doc, s, e))
            if en.pattern not in d["w"]:
                d["w"][en.pattern] = en.weight
                d["group"][en.pattern] = group
            elif en.recipient:
                d["group"][en.pattern] &= group
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
                    # only the hits that count (a maternal-only provision drops the others)
                    if en.kind == "dim" and en.pattern in per_dim.get(en.target, {}).get("w", ()):
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
        # a child word inside the name of a body, court, law or data bank names no child
        # (kb.tagging.ages.name_spans)
        names = name_spans(text, self.lang) if words else []
        if names:
            words = [w for w in words if not any(ns <= w[1] and w[2] <= ne for ns, ne in names)]
        # «новорожденного ребенка (детей)», «малолетнего ребенка (детей)», kk «баласы
        # (балалары)»: a child word in brackets right after another names the same children in
        # the other number, and adds no range of its own
        if len(words) > 1:
            ends = {w[2] for w in words}
            words = [w for w in words
                     if not any(_BRACKET_GAP.fullmatch(text, pe, w[1]) for pe in ends if pe < w[1])]
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
        self._set_age(out, ranges, evidence, pregnancy)
        return out

    def _recipient(self, doc: Doc, s: int, e: int) -> bool:
        """Whether the carer cue at tokens s:e is named in the dative (whom a benefit is paid
        to): a word of the cue, or in Kazakh the noun after it («… тәрбиелеп отырған
        адамдарға»), or in Russian the noun a participle agrees with («семьям, имеющим …»)."""
        if self.lang == "kk":
            return any(dative_kk(t.text) for t in doc[s:min(e + 1, len(doc))])
        if self.lang == "ru":
            return any(dative_ru(t.text) for t in doc[s:e]) or dative_head_ru(doc[max(0, s - 4):s])
        return False

    def _set_age(self, out: dict, ranges, evidence, pregnancy: bool) -> None:
        """The hull of `ranges` ((min, max) months, max None: open) with its evidence."""
        if ranges:
            out["age_min_months"] = min(r[0] for r in ranges)
            out["age_max_months"] = (None if any(r[1] is None for r in ranges)
                                     else max(r[1] for r in ranges))
        out["age_groups"] = age_groups_for(out["age_min_months"], out["age_max_months"],
                                           pregnancy=pregnancy, taxonomy=self.tax)
        out["age_evidence"] = evidence[:self.max_evidence]

    def _child_age(self, a: AgeHit) -> bool:
        if a.min_months is not None and a.min_months > self.adult_max:
            return False
        if a.max_months is not None and a.max_months > self.adult_max:
            # a range that starts in childhood and ends in youth («молодежь в возрасте от
            # десяти до двадцати девяти лет», «не достигших двадцатидевятилетнего возраста»,
            # kk «он төрт жастан жиырма тоғыз жасқа дейінгі») covers children: kept whole
            return a.min_months is not None and a.min_months < 216 and a.max_months <= self.youth_max
        return True


# --- the text gate ----------------------------------------------------------------------------


class TextGate:
    """Which texts can get a non-empty tag object at all (the others skip spaCy:
    kb.tagging.Tagger).

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
