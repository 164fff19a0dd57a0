"""Search queries for the FTS5 indexes built by `db/fts.py`.

The Russian index (`provisions_fts`) holds three columns: heading, text and text_lemmas (the
lemmas of heading + text from `kb.morph.lemmatize_text`). A query word therefore matches when
either its lemma (same lemmatizer, ё folded to е) or its raw form as a prefix occurs:
«детей» becomes ("ребенок" OR "детей"*), so it finds «ребёнка», «дети», «ребенку».

Kazakh is agglutinative and has no lemmatizer here: a Kazakh word is cut down to a stem by
removing known case, plural, possessive and derivational suffixes and searched as a prefix,
«балалардың» → "бала"* (the Kazakh index, `provision_texts_fts`, has prefix indexes for that).

Every term is emitted as a double-quoted FTS5 string, so user input can never inject FTS
syntax (AND/OR/NOT/NEAR, column filters, parentheses, quotes); an empty query gives a query
that matches nothing instead of an error.
"""
from __future__ import annotations

import re
from functools import lru_cache

from kb import morph

# Matches nothing, is valid FTS5 (an empty phrase).
EMPTY_QUERY = '""'
MAX_TERMS = 16
MIN_STEM = 3

_KAZAKH_RE = re.compile(r"[ӘәҒғҚқҢңӨөҰұҮүҺһІі]")
_CYRILLIC_RE = re.compile(r"[А-Яа-яЁё]")
_NUMBERISH_RE = re.compile(r"^[0-9]+(?:-[0-9]+)*$")
_TOKEN_RE = morph._WORD_RE  # the same word pattern the index was lemmatised with

# Longest first. Case endings (with their vowel-harmony and consonant-assimilation variants),
# plural, possessive, and a few noun-forming suffixes.
KAZAKH_SUFFIXES = tuple(sorted({
    # plural + possessive + case compounds
    "ларының", "лерінің", "дарының", "дерінің", "тарының", "терінің",
    "ларына", "леріне", "дарына", "деріне", "тарына", "теріне",
    "ларында", "лерінде", "дарында", "дерінде", "тарында", "терінде",
    "ларынан", "лерінен", "дарынан", "дерінен", "тарынан", "терінен",
    "ларын", "лерін", "дарын", "дерін", "тарын", "терін",
    "лары", "лері", "дары", "дері", "тары", "тері",
    # possessive + case
    "ының", "інің", "ына", "іне", "ынан", "інен", "ында", "інде", "ымен", "імен",
    "сының", "сінің", "сына", "сіне", "сынан", "сінен", "сында", "сінде",
    # plural
    "лар", "лер", "дар", "дер", "тар", "тер",
    # genitive
    "ның", "нің", "дың", "дің", "тың", "тің",
    # dative
    "ға", "ге", "қа", "ке", "на", "не",
    # accusative
    "ны", "ні", "ды", "ді", "ты", "ті",
    # locative
    "нда", "нде", "да", "де", "та", "те",
    # ablative
    "нан", "нен", "дан", "ден", "тан", "тен",
    # instrumental
    "мен", "бен", "пен",
    # possessive
    "ымыз", "іміз", "мыз", "міз", "ыңыз", "іңіз", "сы", "сі", "ым", "ім", "ың", "ің", "ы", "і",
    # noun-forming
    "лық", "лік", "дық", "дік", "тық", "тік", "шы", "ші",
}, key=len, reverse=True))


def is_kazakh(word: str) -> bool:
    return bool(_KAZAKH_RE.search(word))


@lru_cache(maxsize=50_000)
def kazakh_stem(word: str) -> str:
    """Strip Kazakh suffixes (up to four layers), never below MIN_STEM letters.

    For a hyphenated word only the last part is stemmed («ата-ананың» → «ата-ана»).
    """
    word = morph.normalise(word)
    head, sep, last = word.rpartition("-")
    for _ in range(4):
        for suffix in KAZAKH_SUFFIXES:
            if last.endswith(suffix) and len(last) - len(suffix) >= MIN_STEM:
                last = last[: -len(suffix)]
                break
        else:
            break
    # final к/қ/п voice to г/ғ/б before a vowel (құқық → құқығы): drop either from the stem
    if last[-1:] in "кқпгғб" and len(last) > MIN_STEM:
        last = last[:-1]
    return f"{head}{sep}{last}"


@lru_cache(maxsize=50_000)
def _known_russian(word: str) -> bool:
    try:
        return morph._analyzer().word_is_known(word)
    except Exception:  # pragma: no cover - analyser missing: treat as known (no stem)
        return True


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


_SYNTAX_RE = re.compile(r'"([^"]*)"?|(\S+)')
OR_WORDS = ("OR", "ИЛИ")  # upper case only: «или» in a phrase is a word


def parse_query(q: str | None) -> list:
    """The query's items in order: ("or",), ("phrase", [words]) or ("word", word, prefix).

    Syntax (nothing else is special): `OR` / `ИЛИ` between words, `"words in order"`, a
    trailing `*` for a prefix (`опек*`). Any other character is only a word separator.
    """
    items = []
    for m in _SYNTAX_RE.finditer(q or ""):
        if m.group(1) is not None:
            phrase = morph.words(m.group(1))
            if phrase:
                items.append(("phrase", phrase))
            continue
        chunk = m.group(2)
        if chunk in OR_WORDS:
            items.append(("or",))
            continue
        found = morph.words(chunk)
        for i, word in enumerate(found):
            prefix = i == len(found) - 1 and chunk.rstrip().endswith("*") and \
                chunk.rstrip("*").endswith(word)
            items.append(("word", word, prefix))
    return items


def _term(word: str, prefix: bool = False) -> dict:
    norm = morph.normalise(word)
    if _NUMBERISH_RE.match(norm):
        return {"word": norm, "exact": norm}
    if prefix:  # the user chose the prefix: no lemma, no stemming
        return {"word": norm, "lemma": norm, "prefix": norm, "stem": None, "user_prefix": True}
    lemma = morph.lemma(word)
    stem = None
    if is_kazakh(norm) or (_CYRILLIC_RE.search(norm) and not _known_russian(norm)):
        stem = kazakh_stem(norm)
    return {"word": norm, "lemma": lemma, "prefix": norm, "stem": stem}


def query_terms(q: str | None) -> list[dict]:
    """The analysed query: one dict per word with its lemma, raw prefix and Kazakh stem."""
    terms = []
    seen = set()
    for item in parse_query(q):
        words = item[1] if item[0] == "phrase" else [item[1]] if item[0] == "word" else []
        for word in words:
            norm = morph.normalise(word)
            if norm in seen:
                continue
            seen.add(norm)
            terms.append(_term(word, item[0] == "word" and item[2]))
            if len(terms) >= MAX_TERMS:
                return terms
    return terms


def _word_group(term: dict) -> str:
    if "exact" in term:
        return _quote(term["exact"])
    alternatives = []
    lemma = None if term["lemma"] == term["prefix"] else _quote(term["lemma"])
    for alt in (lemma, _quote(term["prefix"]) + "*",
                _quote(term["stem"]) + "*" if term["stem"] else None):
        if alt and alt not in alternatives:
            alternatives.append(alt)
    return alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"


def _phrase_group(words: list[str]) -> str:
    """The words in this order: as typed, or as lemmas (any form, ё = е)."""
    raw = " ".join(morph.normalise(w) for w in words)
    lemmas = " ".join(morph.lemma(w) for w in words)
    if len(words) == 1:
        return _word_group(_term(words[0]))
    return _quote(raw) if raw == lemmas else f"({_quote(raw)} OR {_quote(lemmas)})"


def build_fts_query(q: str | None) -> str:
    """An FTS5 MATCH expression for a free-text query (Russian or Kazakh).

    Words are ANDed; each word is (lemma OR raw-prefix* [OR kazakh-stem*]); `OR` between words
    makes alternatives of the AND-groups on either side, `"…"` a phrase, `word*` a prefix.
    No column filters are used, so the same expression works on provisions_fts and
    provision_texts_fts.
    """
    alternatives, group, count = [], [], 0
    for item in parse_query(q):
        if item[0] == "or":
            if group:
                alternatives.append(group)
                group = []
            continue
        if count >= MAX_TERMS:
            break
        count += 1
        if item[0] == "phrase":
            group.append(_phrase_group(item[1][:MAX_TERMS]))
        else:
            group.append(_word_group(_term(item[1], item[2])))
    if group:
        alternatives.append(group)
    if not alternatives:
        return EMPTY_QUERY
    if len(alternatives) == 1:
        return " AND ".join(alternatives[0])
    return " OR ".join("(" + " AND ".join(g) + ")" for g in alternatives)


def _is_hit(token: str, terms: list[dict]) -> bool:
    norm = morph.normalise(token)
    lemma = None
    for term in terms:
        if "exact" in term:
            if norm == term["exact"]:
                return True
            continue
        if norm.startswith(term["prefix"]) or (term["stem"] and norm.startswith(term["stem"])):
            return True
        if lemma is None:
            lemma = morph.lemma(token)
        if lemma == term["lemma"]:
            return True
    return False


@lru_cache(maxsize=256)
def _snippet_terms(q: str | None) -> tuple:
    """query_terms(q) once per query, not once per snippet (read-only here)."""
    return tuple(query_terms(q))


@lru_cache(maxsize=200_000)
def _token_hit(token: str, q: str | None) -> bool:
    """_is_hit for one word form and one query, remembered (words repeat across snippets)."""
    return _is_hit(token, _snippet_terms(q))


def snippet(text: str | None, q: str | None, *, before: int = 12, size: int = 40,
            start: str = "<mark>", end: str = "</mark>", ellipsis: str = "…") -> str:
    """A window of `text` around the first hit of `q`, hits wrapped in start/end markers.

    FTS5's snippet() cannot mark a word that matched through the lemma column inside the
    original text; this does the same job morphology-aware. The result is plain text with
    <mark> markers (not HTML-escaped): the Datasette plugin escapes it and keeps only the marks.
    """
    if not text:
        return ""
    terms = _snippet_terms(q)
    tokens = list(_TOKEN_RE.finditer(text))
    if not tokens:
        return text[:300]
    # only the words up to the first hit and those in the window are looked up (a long text's
    # other words cannot be marked): the canned search makes 200 snippets per request
    first = next((i for i, m in enumerate(tokens) if _token_hit(m.group(0), q)), 0) \
        if terms else 0
    lo = max(0, first - before)
    hi = min(len(tokens), lo + size)
    hits = [i for i in range(max(lo, first), hi) if terms and _token_hit(tokens[i].group(0), q)]
    begin_char = tokens[lo].start() if lo > 0 else 0
    end_char = tokens[hi - 1].end() if hi < len(tokens) else len(text)
    out = [ellipsis if lo > 0 else ""]
    pos = begin_char
    hit_set = set(hits)
    for i in range(lo, hi):
        m = tokens[i]
        if i in hit_set:
            out.append(text[pos:m.start()])
            out.append(start + m.group(0) + end)
            pos = m.end()
    out.append(text[pos:end_char])
    if hi < len(tokens):
        out.append(ellipsis)
    return "".join(out).strip()
