"""Tag provisions by child well-being dimension, flags and age (TAXONOMY.md, the tagger contract).

    from kb.tagging import get_tagger, tag_jsonl
    get_tagger().tag("Ребенок, не достигший четырнадцати лет …")        # -> contract object
    get_tagger().tag_many(texts, lang="ru", batch_size=256)              # iterator, nlp.pipe
    tag_jsonl(in_fp, out_fp)                                             # `kb tag`
    inherit_all(keys, tags, parent_of)     # the knowledge base's lead-in and heading layer

The rules live in kb/data/taxonomy.yml (cues) and the modules of this package (pipeline, cues,
scoring, ages, russian, kazakh, english: see kb.tagging.pipeline). Bump TAGGER_VERSION whenever
any of them changes: the build re-tags then. This module stays light (the pipelines are built
lazily), so importing TAGGER_VERSION costs nothing.

`tag_jsonl` input: one JSON object per line, {"id": …, "text": "…", "lang": "ru"}; `lang` is
optional (default ru; ru, kk, en, and the Adilet codes rus, kaz, eng are accepted). Output: one
line per input line, in the same order, with the id echoed. Lines are read lazily and tagged in
batches of `batch_size` (grouped by language inside a batch, order preserved), so memory stays
flat on any input size. A line that is not a JSON object with a string "text" and an "id" — and
a blank line, which is almost always a broken export — is refused with ValueError naming the
line number (the CLI prints it as an error). Batches finished before that line stay written;
the batch holding the bad line and everything after it are not.
"""
from __future__ import annotations

import gc
import json
from functools import lru_cache
from itertools import islice
from typing import IO, Iterable, Iterator

from kb import paths
from kb.tagging.context import INHERITED, inherit_all

__all__ = ["TAGGER_VERSION", "LANGS", "Tagger", "empty_tags", "get_tagger", "tag_jsonl",
           "INHERITED", "inherit_all",
           "train_model", "cross_validate", "shipped_model_weights", "REAL_GOLD",
           "write_heldout", "load_heldout"]

TAGGER_VERSION = "rules-12"    # the trained model's weights are data (kb/data/tagger_model):
                               # the build's data hash re-tags when they change

REAL_GOLD = paths.REAL_GOLD

LANGS = {"ru": "ru", "kk": "kk", "en": "en", "rus": "ru", "kaz": "kk", "eng": "en"}


class Tagger:
    """Rule-based tagger over the spaCy pipelines of kb.tagging.pipeline (built lazily per
    language).

    Most provisions say nothing about children. A text the TextGate (kb.tagging.scoring) rules
    out (no phrase that can open the scorer's child-context gate, no possible age, or an excluded
    item) gets the empty object without going through spaCy; the output is the same either way
    (tests/test_tagger_gate.py). `gated=False` runs every text through the pipeline."""

    version = TAGGER_VERSION

    def __init__(self, gated: bool = True):
        self.gated = gated

    def _gate(self, lang: str):
        from kb.tagging.pipeline import get_text_gate

        return get_text_gate(LANGS[lang]) if self.gated else None

    def _nlp(self, lang: str):
        from kb.tagging.pipeline import get_nlp

        code = LANGS.get(lang)
        if code is None:
            raise ValueError(f"unsupported language {lang!r} (expected ru, kk or en)")
        return get_nlp(code)

    def tag(self, text: str, lang: str = "ru") -> dict:
        """The tag object for one text: dimensions, flags, age_min_months, age_max_months,
        age_groups, age_evidence."""
        nlp = self._nlp(lang)
        gate = self._gate(lang)
        text = text or ""
        if gate is not None and not gate(text):
            return empty_tags()
        return nlp(text)._.kb_tags

    def tag_many(self, texts: Iterable[str], lang: str = "ru", batch_size: int = 256) -> Iterator[dict]:
        """Tag many texts of one language with nlp.pipe; yields in input order."""
        nlp = self._nlp(lang)
        gate = self._gate(lang)
        if gate is None:
            for doc in nlp.pipe((t or "" for t in texts), batch_size=batch_size):
                yield doc._.kb_tags
            return
        it = iter(texts)
        while chunk := [t or "" for t in islice(it, batch_size)]:
            passed = [gate(t) for t in chunk]
            docs = nlp.pipe([t for t, p in zip(chunk, passed) if p], batch_size=batch_size)
            for p in passed:
                yield next(docs)._.kb_tags if p else empty_tags()


def empty_tags() -> dict:
    """The tag object of a text that says nothing about children (a new dict each time)."""
    return {"dimensions": [], "flags": [], "age_min_months": None, "age_max_months": None,
            "age_groups": [], "age_evidence": []}


@lru_cache(maxsize=1)
def get_tagger() -> Tagger:
    """The process-wide tagger (pipelines are built once)."""
    return Tagger()


_encode = json.JSONEncoder(ensure_ascii=False).encode
_EMPTY = {"dimensions": [], "flags": [], "age_min_months": None, "age_max_months": None,
          "age_groups": [], "age_evidence": []}
_EMPTY_TAIL = _encode(_EMPTY).replace("{", ", ", 1) + "\n"


def _parse_line(line: str, lineno: int) -> tuple[object, str, str]:
    if not line.strip():
        raise ValueError(f"line {lineno}: blank line (expected a JSON object)")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise ValueError(f"line {lineno}: expected a JSON object, got {type(obj).__name__}")
    if "id" not in obj:
        raise ValueError(f"line {lineno}: missing \"id\"")
    text = obj.get("text")
    if not isinstance(text, str):
        raise ValueError(f"line {lineno}: \"text\" must be a string")
    lang = obj.get("lang") or "ru"
    if lang not in LANGS:
        raise ValueError(f"line {lineno}: unsupported lang {lang!r} (expected ru, kk or en)")
    return obj["id"], text, LANGS[lang]


def tag_jsonl(in_fp: IO[str], out_fp: IO[str], batch_size: int = 256) -> int:
    """Read JSON lines from in_fp, write one tag line per input line to out_fp (same order).
    Returns the number of lines written. Raises ValueError on a malformed line."""
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    tagger = get_tagger()
    written = 0
    batch: list[tuple[object, str, str]] = []
    built: set[str] = set()

    def flush():
        nonlocal written
        results: list[dict | None] = [None] * len(batch)
        by_lang: dict[str, list[int]] = {}
        for i, (_, _, lang) in enumerate(batch):
            by_lang.setdefault(lang, []).append(i)
        new = [lang for lang in by_lang if lang not in built]
        if new:
            for lang in new:
                tagger._nlp(lang)
                built.add(lang)
            # the pipelines (pymorphy3 dictionaries, spaCy vocab, matchers) live as long as the
            # process: keep them out of the cyclic GC's full collections, which would otherwise
            # walk them again and again while docs come and go (~10% of `kb tag` time)
            gc.freeze()
        for lang, idx in by_lang.items():
            for i, tags in zip(idx, tagger.tag_many((batch[i][1] for i in idx), lang=lang,
                                                     batch_size=batch_size)):
                results[i] = tags
        write = out_fp.write
        for (ident, _, _), tags in zip(batch, results):
            if tags == _EMPTY:          # most provisions: the tail is always the same text
                write(f'{{"id": {_encode(ident)}{_EMPTY_TAIL}')
            else:
                write(_encode({"id": ident, **tags}) + "\n")
        written += len(batch)
        batch.clear()

    for lineno, line in enumerate(in_fp, 1):
        batch.append(_parse_line(line, lineno))
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    out_fp.flush()
    return written


# --- the trained model (kb.tagging.model, kb.tagging.training) --------------------------------


def train_model(gold=None, corpus_dir=None, write: bool = True) -> dict:
    """`kb train`: fit the dimension model on the open part of the gold set; the weights object
    (written to kb/data/tagger_model/weights.json unless write=False)."""
    from kb.tagging.training import train

    return train(gold or REAL_GOLD, corpus_dir or paths.DEFAULT_CORPUS, write=write)


def cross_validate(gold=None, corpus_dir=None, folds: int = 8) -> dict:
    """`kb eval --cv`: rules and rules + model, by act on the open part and on the blind part."""
    from kb.tagging.training import cross_validate as cv

    return cv(gold or REAL_GOLD, corpus_dir or paths.DEFAULT_CORPUS, folds=folds)


def write_heldout(cv: dict, generated_at: str | None = None):
    """Save this tagger's counts per dimension on the blind part of a `cross_validate` report
    (kb/data/tagger_model/heldout.json, shown beside each tag); returns the path."""
    from kb.tagging.training import write_heldout as write

    return write(cv, TAGGER_VERSION, generated_at)


def load_heldout() -> dict | None:
    """This tagger's held-out counts per dimension; None when there are none for this version."""
    from kb.tagging.training import load_heldout as load

    return load(tagger_version=TAGGER_VERSION)


def shipped_model_weights() -> tuple[object, dict | None]:
    """(path, weights) of the shipped model; weights None when none is shipped."""
    from kb.tagging.model import MODEL_DIR, WEIGHTS_FILE

    path = MODEL_DIR / WEIGHTS_FILE
    return path, (json.loads(path.read_text(encoding="utf-8")) if path.exists() else None)
