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
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

import yaml

from kb import paths

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


# --- numbering helpers ----------------------------------------------------------------------

_NUM = r"\d+(?:-\d+)?"


def _parse_num(num: str) -> tuple[int, int]:
    main, _, sub = num.partition("-")
    return int(main), int(sub or 0)


def _is_next(prev: str | None, cand: str) -> bool:
    """Whether `cand` may follow `prev` in one numbered list (1, 2, 2-1, 2-2, 3 …)."""
    c_main, c_sub = _parse_num(cand)
    if prev is None:
        return (c_main, c_sub) == (1, 0)
    p_main, p_sub = _parse_num(prev)
    if c_sub == 0:
        return c_main == p_main + 1
    return c_main == p_main and c_sub == p_sub + 1


def _clean(text: str) -> str:
    return re.sub(r"[ \t\u00a0]+", " ", text).strip()


# --- plain text scraped from an Adilet page (the bullying rules) ------------------------------

_POINT_LINE = re.compile(rf"^({_NUM})\.\s+\S")
_SUB_LINE = re.compile(rf"^({_NUM})\)\s+\S")
_NOTE_LINE = re.compile(r"^(Сноска|Примечание)\b")
_HEADING_LINE = re.compile(r"^(Глава|Раздел|Параграф)\s+\d+")
_ORDER_WORD = re.compile(r"^ПРИКАЗЫВАЮ\s*:?$|^:$")


def _join_lines(lines: list[str]) -> str:
    out = ""
    for line in lines:
        if not out:
            out = line
        elif out.endswith((".", ";", ":")) and not line.startswith((".", ",", ";", ":", ")")):
            out += "\n" + line
        elif line.startswith((".", ",", ";", ":", ")")):
            out += line
        else:
            out += " " + line
    return _clean_multiline(out)


def _clean_multiline(text: str) -> str:
    return "\n".join(_clean(line) for line in text.split("\n") if line.strip())


def split_numbered_lines(lines: list[str], prefix: str) -> list[tuple[str, str]]:
    """Split the lines of one part of a page into (position, text) units.

    A line opens a new point («3. …») or subpoint («2) …») only when its number follows the
    previous one; any other line continues the current unit (scraped pages break lines at
    every link: «в соответствии с / подпунктом 15) / статьи 5»). «Сноска.» notes become their
    own items, «Глава N.» headings end a unit and are not items.
    """
    units: list[tuple[str, list[str]]] = []
    point: str | None = None
    sub: str | None = None
    notes_in: dict[str, int] = {}
    current: list[str] | None = None

    def open_unit(pos: str) -> list[str]:
        buf: list[str] = []
        units.append((pos, buf))
        return buf

    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        prev_text = current[-1] if current else ""
        boundary = not current or prev_text.endswith((".", ";", ":", "»", '"')) or \
            (units and units[-1][0].endswith("note"))
        m_point = _POINT_LINE.match(line)
        m_sub = _SUB_LINE.match(line)
        if _HEADING_LINE.match(line) and boundary:
            current = None
            continue
        if _NOTE_LINE.match(line):
            owner = f"p{point}" if point else "preamble"
            n = notes_in.get(owner, 0) + 1
            notes_in[owner] = n
            current = open_unit(f"{prefix}.{owner}.note" + (str(n) if n > 1 else ""))
            current.append(line)
            continue
        if m_point and boundary and _is_next(point, m_point.group(1)):
            point, sub = m_point.group(1), None
            current = open_unit(f"{prefix}.p{point}")
            current.append(line)
            continue
        if m_sub and boundary and point is not None and _is_next(sub, m_sub.group(1)):
            sub = m_sub.group(1)
            current = open_unit(f"{prefix}.p{point}.sp{sub}")
            current.append(line)
            continue
        if current is None:
            if point is None and not any(pos == f"{prefix}.preamble" for pos, _ in units):
                current = open_unit(f"{prefix}.preamble")
            else:
                # text after a heading that is not numbered: keep it, keyed after the heading
                current = open_unit(f"{prefix}.p{point}.tail")
        current.append(line)

    out = []
    for pos, buf in units:
        kept = [ln for ln in buf if not _ORDER_WORD.match(ln)]
        text = _join_lines(kept)
        if text:
            out.append((pos, text))
    return out


def _read_numbered_txt(corpus_dir: Path, name: str, conf: dict) -> Iterator[CorpusItem]:
    lines = (corpus_dir / conf["path"]).read_text(encoding="utf-8").splitlines()
    stripped = [ln.strip() for ln in lines]
    cursor = 0
    for seg in conf["segments"]:
        start_re, end_re = re.compile(seg["start"]), re.compile(seg["end"])
        start = next((i for i in range(cursor, len(stripped)) if start_re.search(stripped[i])), None)
        if start is None:
            raise ValueError(f"{conf['path']}: segment {seg['prefix']!r} start not found")
        end = next((i for i in range(start + 1, len(stripped)) if end_re.search(stripped[i])),
                   len(stripped))
        body = stripped[start if seg.get("keep_start") else start + 1:end]
        for pos, text in split_numbered_lines(body, seg["prefix"]):
            yield CorpusItem(name, conf["act_id"], pos, text, conf.get("lang", "ru"))
        cursor = end


# --- the Constitution (articles as single strings) ------------------------------------------

_PART_MARK = re.compile(rf"({_NUM})\.\s")
_SUB_MARK = re.compile(rf"({_NUM})\)\s")
_NOTE_MARK = re.compile(r"(Примечание|Сноска)\.\s")
# «Примечание. См. нормативные постановления Конституционного Суда РК от … № 8-НП; от …»:
# a cross-reference inserted by the publisher, removed before the numbering is read
_SEE_NOTE = re.compile(
    r"Примечание\.\s*См\.\s*нормативн\w* постановлени\w* Конституционного Суда РК\s*"
    r"(?:от\s*\d\d\.\d\d\.\d{4}\s*№\s*\d+(?:-НП)?\s*[;.]?\s*)+")
_ARTICLE_HEAD = re.compile(r"^\s*Статья\s+(\d+(?:-\d+)?)\s*")


def _preceded_by_boundary(text: str, i: int, chars: str) -> bool:
    j = i - 1
    if j < 0:
        return True
    if not text[j].isspace():
        return False
    while j >= 0 and text[j].isspace():
        j -= 1
    return j < 0 or text[j] in chars


def split_inline_numbering(text: str) -> list[tuple[str, str]]:
    """Split one article into (relative position, text): parts «1. …» and subpoints «1) …».

    Positions are "" (text before the first part), "2" (part 2), "sp3" (subpoint 3 of an
    article without parts), "2.sp3".  A number counts only when it follows the previous one
    and stands after the end of a sentence (subpoint 1 after a colon), so that dates,
    «№ 2.» and cross-references do not split.  «Примечание.»/«Сноска.» editorial notes are
    dropped up to the next part or subpoint.
    """
    text = _SEE_NOTE.sub(" ", text)
    marks: list[tuple[int, int, str, str]] = []  # (start, text_start, kind, num)
    part: str | None = None
    sub: str | None = None
    events = sorted(
        [(m.start(), m.end(), "part", m.group(1)) for m in _PART_MARK.finditer(text)]
        + [(m.start(), m.end(), "sub", m.group(1)) for m in _SUB_MARK.finditer(text)]
        + [(m.start(), m.end(), "note", "") for m in _NOTE_MARK.finditer(text)]
    )
    for start, end, kind, num in events:
        if kind == "note":
            if _preceded_by_boundary(text, start, ".;:)»\""):
                marks.append((start, end, "note", ""))
            continue
        if start > 0 and text[start - 1] not in " \n\t":
            continue
        if kind == "part":
            if _is_next(part, num) and _preceded_by_boundary(text, start, ".;:»\"!?)") and \
                    not text[:start].rstrip().endswith("№"):
                part, sub = num, None
                marks.append((start, end, "part", num))
        else:
            first_ok = _preceded_by_boundary(text, start, ":") if sub is None else \
                _preceded_by_boundary(text, start, ";.:")
            if _is_next(sub, num) and first_ok:
                sub = num
                marks.append((start, end, "sub", num))
    units: list[tuple[str, str]] = []
    pos, seg_start, part, in_note = "", 0, None, False
    bounds = marks + [(len(text), len(text), "end", "")]

    def emit(upto: int):
        chunk = _clean(text[seg_start:upto])
        if chunk and not in_note:
            units.append((pos, chunk))

    for start, end, kind, num in bounds:
        emit(start)
        if kind == "note":
            in_note = True
            seg_start = start
            continue
        in_note = False
        if kind == "part":
            part = num
            pos = num
            seg_start = start
        elif kind == "sub":
            pos = f"{part}.sp{num}" if part else f"sp{num}"
            seg_start = start
    return units


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


READERS: dict[str, Callable[[Path, str, dict], Iterator[CorpusItem]]] = {
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
