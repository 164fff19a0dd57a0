"""Russian lemmas from pymorphy3, cached.

pymorphy3's analyser is slow per call; legal text repeats a small vocabulary, so a cache
makes lemmatisation close to free. The same function lemmatises provision text for the search
index and search queries, so a query in any inflected form meets the indexed lemma.
"""
import re
from functools import lru_cache

_WORD_RE = re.compile(r"[0-9A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+(?:-[0-9A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+)*")
_CYRILLIC_RE = re.compile(r"[А-Яа-яЁё]")
_KAZAKH_RE = re.compile(r"[ӘәҒғҚқҢңӨөҰұҮүҺһІі]")


@lru_cache(maxsize=1)
def _analyzer():
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


def normalise(word: str) -> str:
    """Lower case, ё → е (Adilet spells both ways)."""
    return word.lower().replace("ё", "е")


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The most probable lemma of a Russian word; other words are only normalised."""
    w = normalise(word)
    if not _CYRILLIC_RE.search(w) or _KAZAKH_RE.search(w):
        return w
    parses = _analyzer().parse(w)
    return normalise(parses[0].normal_form) if parses else w


@lru_cache(maxsize=50_000)
def tag(word: str):
    """pymorphy3's tag of the most probable parse of a Russian word (case, part of speech), or
    None."""
    parses = _analyzer().parse(normalise(word))
    return parses[0].tag if parses else None


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text or "")


def lemmatize_text(text: str) -> str:
    """Space-joined lemmas of every word in text (for the FTS lemma column and queries)."""
    return " ".join(lemma(w) for w in words(text))
