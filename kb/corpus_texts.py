"""Readers that split the real statutory texts of the shared corpus into citable items.

Each item has a position key derived from the text's own numbering, so that a gold label made
today still points at the same words tomorrow, whatever the tagger or the page parser does:

    bullying rules (txt)   order.preamble, order.p2, order.p2.sp1, rules.p9.sp1, rules.p2.note
    Constitution (json)    preamble, art27.1, art44.sp10-1, art61.3.sp2, art9
    CC resolution (json)   para17  (ordinal of the non-empty paragraph, 1-based)
    59-act fragments       art90_p6 (the fragment's own id without the act ID prefix)
    Adilet pages (html)    the provision id given by scrapers.adilet.parse (when it exists)

Which files exist, their act IDs and where the text proper starts on a scraped page are data:
kb/data/gold/corpus_sources.yml.  Nothing here copies corpus text into the repository.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

import yaml

from kb import paths
# The splitting itself lives in scrapers/texts.py, which the build reads the same texts with;
# the position keys come from there (tests/test_gold_set.py proves they still resolve).
from scrapers.texts import ARTICLE_HEAD as _ARTICLE_HEAD
from scrapers.texts import clean as _clean
from scrapers.texts import clean_multiline as _clean_multiline
from scrapers.texts import find_segments, split_inline_numbering, split_numbered_lines  # noqa: F401

SOURCES_FILE = paths.DATA_DIR / "gold" / "corpus_sources.yml"


@dataclass(frozen=True)
class CorpusItem:
    source: str
    act_id: str
    position: str
    text: str
    lang: str = "ru"

    @property
    def key(self) -> str:
        return item_key(self.source, self.act_id, self.position)

    @property
    def sha(self) -> str:
        return text_sha256(self.text)


class ItemNotFound(KeyError):
    """No item with that (source, act_id, position) in the corpus."""


def item_key(source: str, act_id: str, position: str) -> str:
    return f"{source}/{act_id}/{position}"


def text_sha256(text: str, length: int = 12) -> str:
    """First `length` hex digits of the sha256 of the UTF-8 text (used to detect drift)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def load_sources(path: Path = SOURCES_FILE) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)["sources"]


def _read_numbered_txt(corpus_dir: Path, name: str, conf: dict) -> Iterator[CorpusItem]:
    lines = (corpus_dir / conf["path"]).read_text(encoding="utf-8").splitlines()
    for seg, _, _, body in find_segments(lines, conf["segments"], conf["path"]):
        for pos, text in split_numbered_lines(body, seg["prefix"]):
            yield CorpusItem(name, conf["act_id"], pos, text, conf.get("lang", "ru"))


# --- the Constitution (articles as single strings) ------------------------------------------


def _read_constitution(corpus_dir: Path, name: str, conf: dict) -> Iterator[CorpusItem]:
    data = json.loads((corpus_dir / conf["path"]).read_text(encoding="utf-8"))
    lang = conf.get("lang", "ru")
    for key, value in data.items():
        if isinstance(value, str):
            for rel, text in split_inline_numbering(value):
                yield CorpusItem(name, conf["act_id"], "preamble" + (f".{rel}" if rel else ""),
                                 text, lang)
            continue
        for art_no, art_text in value.get("статьи", {}).items():
            body = _ARTICLE_HEAD.sub("", art_text, count=1)
            for rel, text in split_inline_numbering(body):
                yield CorpusItem(name, conf["act_id"], f"art{art_no}" + (f".{rel}" if rel else ""),
                                 text, lang)


# --- paragraphs and fragments ---------------------------------------------------------------


def _read_paragraphs_json(corpus_dir: Path, name: str, conf: dict) -> Iterator[CorpusItem]:
    data = json.loads((corpus_dir / conf["path"]).read_text(encoding="utf-8"))
    act_id = str(data[conf["act_id_field"]])
    paras = [p for p in data[conf["text_field"]].split("\n") if p.strip()]
    for i, para in enumerate(paras, start=1):
        yield CorpusItem(name, act_id, f"para{i}", _clean(para), conf.get("lang", "ru"))


def _read_fragments_json(corpus_dir: Path, name: str, conf: dict) -> Iterator[CorpusItem]:
    data = json.loads((corpus_dir / conf["path"]).read_text(encoding="utf-8"))
    seen: set[str] = set()
    for finding in data.get("findings", []):
        for side in ("norm_a", "norm_b"):
            norm = finding.get(side)
            if not norm or norm["id"] in seen:
                continue
            seen.add(norm["id"])
            doc_id = norm["doc_id"]
            position = norm["id"][len(doc_id) + 1:] if norm["id"].startswith(doc_id + "_") \
                else norm["id"]
            yield CorpusItem(name, doc_id, position, _clean_multiline(norm["text"]),
                             conf.get("lang", "ru"))


def _read_adilet_html(corpus_dir: Path, name: str, conf: dict) -> Iterator[CorpusItem]:
    try:
        from scrapers.adilet.parse import parse_document  # the colleague's page parser
    except ImportError:
        return
    folder = corpus_dir / conf["path"]
    for page in sorted(folder.glob(conf.get("glob", "*.html"))):
        doc = parse_document(page.read_bytes())
        for prov in doc.provisions:
            text = _clean_multiline(prov.text or "")
            if text:
                yield CorpusItem(name, page.stem, str(prov.id), text, conf.get("lang", "ru"))


def _read_adilet_text(corpus_dir: Path, name: str, conf: dict) -> Iterator[CorpusItem]:
    """The saved page texts of corpus/adilet-text: one item per provision with text, keyed by
    its structural slug (kb.provision_ids), its text what the build tags (heading + text)."""
    from kb.provision_ids import assign_slugs
    from scrapers.adilet.textfile import read_adilet_text

    folder = corpus_dir / conf["path"]
    lang = {"ru": "rus", "kk": "kaz"}[conf.get("lang", "ru")]
    for path in sorted(folder.glob("*.txt")):
        doc = read_adilet_text(path.read_text(encoding="utf-8"), act_id=path.stem, lang=lang)
        slugs = assign_slugs(doc["provisions"])
        for prov in doc["provisions"]:
            if prov.get("excluded"):
                continue
            text = " ".join(t for t in (prov.get("heading"), prov.get("text")) if t)
            if text.strip():
                yield CorpusItem(name, path.stem, slugs[prov["id"]], text, conf.get("lang", "ru"))


READERS: dict[str, Callable[[Path, str, dict], Iterator[CorpusItem]]] = {
    "adilet_text": _read_adilet_text,
    "numbered_txt": _read_numbered_txt,
    "constitution_json": _read_constitution,
    "paragraphs_json": _read_paragraphs_json,
    "fragments_json": _read_fragments_json,
    "adilet_html": _read_adilet_html,
}


# --- public API -----------------------------------------------------------------------------


def iter_source(corpus_dir: Path, source: str) -> Iterator[CorpusItem]:
    conf = load_sources()[source]
    path = Path(corpus_dir) / conf["path"]
    if not path.exists():
        return
    yield from READERS[conf["reader"]](Path(corpus_dir), source, conf)


def iter_items(corpus_dir: Path = paths.DEFAULT_CORPUS, sources: list[str] | None = None
               ) -> Iterator[CorpusItem]:
    """Every item of every configured source (or of `sources`), in document order."""
    for name in (sources or list(load_sources())):
        yield from iter_source(corpus_dir, name)


@lru_cache(maxsize=32)
def _index(corpus_dir: str, source: str) -> dict[tuple[str, str], CorpusItem]:
    index: dict[tuple[str, str], CorpusItem] = {}
    for item in iter_source(Path(corpus_dir), source):
        index.setdefault((item.act_id, item.position), item)
    return index


def get_item(corpus_dir: Path, source: str, act_id: str, position: str) -> CorpusItem:
    """The item at (source, act_id, position); raises ItemNotFound."""
    if source not in load_sources():
        raise ItemNotFound(f"unknown source {source!r}")
    item = _index(str(Path(corpus_dir).resolve()), source).get((act_id, position))
    if item is None:
        raise ItemNotFound(f"no item {item_key(source, act_id, position)} in {corpus_dir}")
    return item
