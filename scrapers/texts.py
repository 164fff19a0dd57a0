"""Real statutory texts without Adilet page markup: plain text scraped from a page, the
Constitution as JSON, a zan.gov.kz JSON document.

Two layers, both pure (no kb, no database):

* splitters that cut a text into numbered units by the text's own numbering — points «1.»,
  subpoints «1)», notes «Сноска.» — with position keys such as `rules.p9.sp4` or `art27.2`.
  kb/corpus_texts.py keys the tagger's gold set with them: `split_numbered_lines` and
  `split_inline_numbering` must keep returning exactly the same (position, text) pairs.
* readers (`read_text_source`) that turn one WHOLE text into the dict shape of
  `scrapers.adilet.parse.ParsedDocument.to_dict()`: {"act", "provisions", "amendments"}.
  Provision ids are the position keys (so they match the gold set), `anchor` is None (these
  texts carry no Adilet `zN` anchors) and `url` is the act's canonical URL without a fragment.
  Act fields come from the text itself or its JSON metadata; what the source does not say is
  None. Notes become amendment records (scrapers.adilet.amendments).

Which files are read, with which reader and segments, is configuration the caller passes in
(kb/data/corpus_texts.yml in this project). `read_provenance` reads the corpus's
texts/README.md table (origin repository, path, commit, when obtained).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from scrapers.adilet import amendments as amend
from scrapers.adilet.markup import iso_date
from scrapers.adilet.requisites import parse_requisites, repeal_mentioned

# Bump whenever a reader's output for the same file can change: the build re-reads then.
TEXTS_VERSION = "texts@1"

CANONICAL = "https://adilet.zan.kz/rus/docs/{}"


class TextFormatError(ValueError):
    """The text's structure (segments, articles, fields) is not where the config says."""


# --- numbering helpers ----------------------------------------------------------------------

_NUM = r"\d+(?:-\d+)?"


def _parse_num(num: str) -> tuple[int, int]:
    main, _, sub = num.partition("-")
    return int(main), int(sub or 0)


def is_next(prev: str | None, cand: str) -> bool:
    """Whether `cand` may follow `prev` in one numbered list (1, 2, 2-1, 2-2, 3 …)."""
    c_main, c_sub = _parse_num(cand)
    if prev is None:
        return (c_main, c_sub) == (1, 0)
    p_main, p_sub = _parse_num(prev)
    if c_sub == 0:
        return c_main == p_main + 1
    return c_main == p_main and c_sub == p_sub + 1


def clean(text: str) -> str:
    return re.sub(r"[ \t\u00a0]+", " ", text).strip()


def clean_multiline(text: str) -> str:
    return "\n".join(clean(line) for line in text.split("\n") if line.strip())


def join_lines(lines: list[str]) -> str:
    """Join scraped lines: a line ending a sentence starts a new line, others run on."""
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
    return clean_multiline(out)


# --- plain text scraped from an Adilet page, line by line -------------------------------------

_POINT_LINE = re.compile(rf"^({_NUM})\.\s+\S")
_SUB_LINE = re.compile(rf"^({_NUM})\)\s+\S")
_NOTE_LINE = re.compile(r"^(Сноска|Примечание)\b")
_HEADING_LINE = re.compile(r"^(Глава|Раздел|Параграф)\s+\d+")
_HEADING_PARTS = re.compile(r"^(Глава|Раздел|Параграф)\s+(\d+(?:-\d+)*)\s*\.?\s*(.*)$", re.S)
ORDER_WORD = re.compile(r"^ПРИКАЗЫВАЮ\s*:?$|^:$")


@dataclass
class LineUnit:
    """A run of lines: kind preamble | tail | point | sub | note | heading."""
    position: str
    kind: str
    number: str | None
    lines: list[str] = field(default_factory=list)


def numbered_line_units(lines: list[str], prefix: str) -> list[LineUnit]:
    """Split the lines of one part of a page into units, headings included.

    A line opens a new point («3. …») or subpoint («2) …») only when its number follows the
    previous one; any other line continues the current unit (scraped pages break lines at
    every link: «в соответствии с / подпунктом 15) / статьи 5»). «Сноска.» notes become their
    own units, «Глава N.» headings end a unit and are units of kind heading (position
    `{prefix}.ch{N}`).
    """
    units: list[LineUnit] = []
    point: str | None = None
    sub: str | None = None
    notes_in: dict[str, int] = {}
    current: list[str] | None = None
    last_text: LineUnit | None = None          # the last unit that is not a heading

    def open_unit(pos: str, kind: str, number: str | None = None) -> list[str]:
        nonlocal last_text
        unit = LineUnit(pos, kind, number)
        units.append(unit)
        last_text = unit
        return unit.lines

    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        prev_text = current[-1] if current else ""
        boundary = not current or prev_text.endswith((".", ";", ":", "»", '"')) or \
            (last_text is not None and last_text.position.endswith("note"))
        m_point = _POINT_LINE.match(line)
        m_sub = _SUB_LINE.match(line)
        if _HEADING_LINE.match(line) and boundary:
            m = _HEADING_PARTS.match(line)
            word = m.group(1) if m else "Глава"
            key = {"Глава": "ch", "Раздел": "sec", "Параграф": "par"}[word]
            units.append(LineUnit(f"{prefix}.{key}{m.group(2) if m else ''}", "heading",
                                  m.group(2) if m else None, [line]))
            current = None
            continue
        if _NOTE_LINE.match(line):
            owner = f"p{point}" if point else "preamble"
            n = notes_in.get(owner, 0) + 1
            notes_in[owner] = n
            current = open_unit(f"{prefix}.{owner}.note" + (str(n) if n > 1 else ""), "note")
            current.append(line)
            continue
        if m_point and boundary and is_next(point, m_point.group(1)):
            point, sub = m_point.group(1), None
            current = open_unit(f"{prefix}.p{point}", "point", point)
            current.append(line)
            continue
        if m_sub and boundary and point is not None and is_next(sub, m_sub.group(1)):
            sub = m_sub.group(1)
            current = open_unit(f"{prefix}.p{point}.sp{sub}", "sub", sub)
            current.append(line)
            continue
        if current is None:
            if point is None and not any(u.position == f"{prefix}.preamble" for u in units):
                current = open_unit(f"{prefix}.preamble", "preamble")
            else:
                # text after a heading that is not numbered: keep it, keyed after the heading
                current = open_unit(f"{prefix}.p{point}.tail", "tail")
        current.append(line)
    return units


def unit_text(unit: LineUnit) -> str:
    return join_lines([ln for ln in unit.lines if not ORDER_WORD.match(ln)])


def split_numbered_lines(lines: list[str], prefix: str) -> list[tuple[str, str]]:
    """(position, text) of every unit but headings, number marker and notes included: the
    gold set's items (kb/corpus_texts.py)."""
    out = []
    for unit in numbered_line_units(lines, prefix):
        if unit.kind == "heading":
            continue
        text = unit_text(unit)
        if text:
            out.append((unit.position, text))
    return out


def find_segments(lines: list[str], segments: list[dict], source: str = "text"
                  ) -> list[tuple[dict, int, int, list[str]]]:
    """Locate each configured segment: (conf, start line, end line, body lines).

    `start` and `end` are regexes matched against stripped lines; the start line is part of
    the body only with keep_start. Segments are found in order, each after the previous one.
    """
    stripped = [ln.strip() for ln in lines]
    cursor = 0
    out = []
    for seg in segments:
        start_re, end_re = re.compile(seg["start"]), re.compile(seg["end"])
        start = next((i for i in range(cursor, len(stripped)) if start_re.search(stripped[i])),
                     None)
        if start is None:
            raise TextFormatError(f"{source}: segment {seg['prefix']!r} start not found")
        end = next((i for i in range(start + 1, len(stripped)) if end_re.search(stripped[i])),
                   len(stripped))
        body = stripped[start if seg.get("keep_start") else start + 1:end]
        out.append((seg, start, end, body))
        cursor = end
    return out


# --- inline numbering (the Constitution's articles are single strings) -------------------------

_PART_MARK = re.compile(rf"({_NUM})\.\s")
_SUB_MARK = re.compile(rf"({_NUM})\)\s")
_NOTE_MARK = re.compile(r"(Примечание|Сноска)\.\s")
# «Примечание. См. нормативные постановления Конституционного Суда РК от … № 8-НП; от …»:
# a cross-reference inserted by the publisher, removed before the numbering is read
SEE_NOTE = re.compile(
    r"Примечание\.\s*См\.\s*нормативн\w* постановлени\w* Конституционного Суда РК\s*"
    r"(?:от\s*\d\d\.\d\d\.\d{4}\s*№\s*\d+(?:-НП)?\s*[;.]?\s*)+")
ARTICLE_HEAD = re.compile(r"^\s*Статья\s+(\d+(?:-\d+)?)\s*")


def _preceded_by_boundary(text: str, i: int, chars: str) -> bool:
    j = i - 1
    if j < 0:
        return True
    if not text[j].isspace():
        return False
    while j >= 0 and text[j].isspace():
        j -= 1
    return j < 0 or text[j] in chars


@dataclass
class InlineUnit:
    """position relative to the article ("", "2", "sp3", "2.sp3"); kind text | part | sub |
    note; number of the part or subpoint."""
    position: str
    kind: str
    number: str | None
    text: str


def inline_units(text: str) -> list[InlineUnit]:
    """Split one article into parts «1. …», subpoints «1) …» and notes, in order.

    A number counts only when it follows the previous one and stands after the end of a
    sentence (subpoint 1 after a colon), so that dates, «№ 2.» and cross-references do not
    split. «Примечание. См. нормативные постановления …» cross-references are removed first;
    other «Примечание.»/«Сноска.» notes run up to the next part or subpoint and are units of
    kind note (positioned where they stand).
    """
    text = SEE_NOTE.sub(" ", text)
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
            if is_next(part, num) and _preceded_by_boundary(text, start, ".;:»\"!?)") and \
                    not text[:start].rstrip().endswith("№"):
                part, sub = num, None
                marks.append((start, end, "part", num))
        else:
            first_ok = _preceded_by_boundary(text, start, ":") if sub is None else \
                _preceded_by_boundary(text, start, ";.:")
            if is_next(sub, num) and first_ok:
                sub = num
                marks.append((start, end, "sub", num))
    units: list[InlineUnit] = []
    pos, kind_now, num_now, seg_start, part, in_note = "", "text", None, 0, None, False
    bounds = marks + [(len(text), len(text), "end", "")]

    def emit(upto: int):
        chunk = clean(text[seg_start:upto])
        if chunk:
            units.append(InlineUnit(pos, "note" if in_note else kind_now,
                                    None if in_note else num_now, chunk))

    for start, end, kind, num in bounds:
        emit(start)
        if kind == "note":
            in_note = True
            seg_start = start
            continue
        in_note = False
        if kind == "part":
            part = num
            pos, kind_now, num_now = num, "part", num
            seg_start = start
        elif kind == "sub":
            pos = f"{part}.sp{num}" if part else f"sp{num}"
            kind_now, num_now = "sub", num
            seg_start = start
    return units


def split_inline_numbering(text: str) -> list[tuple[str, str]]:
    """(relative position, text) of the parts and subpoints of one article, notes dropped:
    the gold set's items (kb/corpus_texts.py)."""
    return [(u.position, u.text) for u in inline_units(text) if u.kind != "note"]


def see_notes(text: str) -> list[str]:
    """The «Примечание. См. нормативные постановления …» cross-references of an article."""
    return [clean(m.group(0)) for m in SEE_NOTE.finditer(text)]


# --- building the ParsedDocument-shaped dict -------------------------------------------------

_MARKER = re.compile(rf"^({_NUM})[.)]\s*")
_EXCLUDED = re.compile(r"^[(\[]?\s*(исключ[её]н\w*)", re.I)
_STATUS_BADGES = {"Новый": "in_force", "Обновленный": "in_force", "Исправление ошибки": "in_force",
                  "Утративший силу": "repealed"}


class _Doc:
    def __init__(self, act_id: str, url: str):
        self.act_id, self.url = act_id, url
        self.provisions: list[dict] = []
        self.amendments: list[dict] = []
        self.ids: dict[str, dict] = {}

    def add(self, ident: str, kind: str, *, number=None, heading=None, text=None, parent=None,
            path=None, excluded=False) -> dict:
        if ident in self.ids:                    # an id the numbering repeats: keep both
            k = 2
            while f"{ident}_{k}" in self.ids:
                k += 1
            ident = f"{ident}_{k}"
        depth = self.ids[parent]["depth"] + 1 if parent else 0
        prov = {"id": ident, "kind": kind, "number": number, "heading": heading,
                "text": None if excluded else (text or None), "anchor": None,
                "anchor_inherited": False, "parent": parent,
                "position": len(self.provisions) + 1, "depth": depth, "excluded": excluded,
                "path": path, "url": self.url}
        self.provisions.append(prov)
        self.ids[ident] = prov
        return prov

    def note(self, text: str, provision: str | None, action: str | None = None) -> None:
        for rec in amend.parse_note(text, provision=provision, lang="rus"):
            if action:
                rec.action = action
            self.amendments.append(rec.to_dict())

    def result(self, act: dict) -> dict:
        if not self.provisions:
            raise TextFormatError(f"{self.act_id}: no provisions could be read")
        return {"act": act, "provisions": self.provisions, "amendments": self.amendments}


def _act(act_id: str, url: str, **fields) -> dict:
    act = {"id": act_id, "lang": "rus", "title": None, "form": None, "number": None,
           "date_adopted": None, "issuing_body": None, "status": "in_force", "status_raw": None,
           "requisites": None, "repeal_note": None, "registration_number": None,
           "registration_date": None, "url": url, "as_of": None}
    act.update(fields)
    return act


def _strip_marker(text: str) -> tuple[str, bool]:
    """Text without its «3.»/«2)» marker, one line; and whether it says «исключен»."""
    rest = _MARKER.sub("", text, count=1).replace("\n", " ").strip()
    return rest, bool(_EXCLUDED.match(rest))


def _with_requisites(act: dict, requisites: str | None) -> None:
    if not requisites:
        return
    fields = parse_requisites(requisites, "rus")
    repeal_note = fields.pop("repeal_note")
    act["requisites"] = requisites
    for key, value in fields.items():
        if value and not act.get(key):
            act[key] = value
    if repeal_note:
        act["repeal_note"] = repeal_note
    if repeal_mentioned(requisites):
        act["status"] = "repealed"


def _page_header(lines: list[str]) -> dict:
    """Title, status badge and requisites of the page header a scraper kept as text."""
    for i, line in enumerate(lines):
        if line in _STATUS_BADGES and 0 < i < len(lines) - 1:
            requisites = lines[i + 1] if " от " in lines[i + 1] else None
            return {"title": lines[i - 1] or None, "status_raw": line,
                    "status": _STATUS_BADGES[line], "requisites": requisites}
    return {}


def _as_of(lines: list[str]) -> str | None:
    for i, line in enumerate(lines[:-1]):
        if line.rstrip(":").strip() == "Документы по состоянию на":
            return iso_date(lines[i + 1])
    return None


_ORDER_FORMS = ((re.compile(r"^ПРИКАЗЫВАЮ"), "Приказ"), (re.compile(r"^ПОСТАНОВЛЯЕТ"), "Постановление"))


def read_adilet_plain_text(path: Path, conf: dict) -> dict:
    """Plain text of an Adilet page (menus, header, body, footer as lines)."""
    act_id = conf["act_id"]
    url = CANONICAL.format(act_id)
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    found = find_segments(lines, conf["segments"], path.name)
    first_start = found[0][1]
    header = _page_header(lines[:first_start])
    act = _act(act_id, url, title=header.get("title"), status_raw=header.get("status_raw"),
               status=header.get("status", "in_force"), as_of=_as_of(lines))
    _with_requisites(act, header.get("requisites"))
    if not act["form"]:
        body_lines = [ln for _, _, _, body in found for ln in body]
        act["form"] = next((form for rx, form in _ORDER_FORMS for ln in body_lines if rx.match(ln)),
                           None)
    doc = _Doc(act_id, url)
    # An editor's note or footnote before the text proper is about the whole act.
    pre = lines[:first_start]
    note_at = next((i for i, ln in enumerate(pre) if amend.is_editor_note(ln) or amend.is_footnote(ln)),
                   None)
    if note_at is not None:
        doc.note(clean(" ".join(ln for ln in pre[note_at:] if ln)), None)

    for seg, start, _, body in found:
        prefix = seg["prefix"]
        root, base = None, ""
        if seg.get("section"):
            # The appendix (the rules the order approves) is a section: its title is the
            # segment's start line; its points cite through it, as on a parsed Adilet page.
            root = doc.add(prefix, "section", heading=lines[start], path="прил.")["id"]
            base = "прил. "
        chapter = None
        point_id = None
        for unit in numbered_line_units(body, prefix):
            if unit.kind == "heading":
                m = _HEADING_PARTS.match(unit.lines[0])
                kind = "chapter" if m.group(1) in ("Глава", "Параграф") else "section"
                token = {"Глава": "гл.", "Раздел": "разд.", "Параграф": "§"}[m.group(1)]
                chapter = doc.add(unit.position, kind, number=m.group(2),
                                  heading=clean(m.group(3)) or None, parent=root,
                                  path=f"{base}{token} {m.group(2)}")["id"]
                continue
            text = unit_text(unit)
            if not text:
                continue
            container = chapter or root
            if unit.kind == "note":
                owner = unit.position.rsplit(".note", 1)[0]
                doc.note(text.replace("\n", " "), owner if owner in doc.ids else container)
            elif unit.kind == "point":
                rest, excluded = _strip_marker(text)
                point_id = doc.add(unit.position, "part", number=unit.number, text=rest,
                                   parent=container, path=f"{base}п. {unit.number}",
                                   excluded=excluded)["id"]
                if excluded:
                    doc.note(rest, point_id, action="excluded")
            elif unit.kind == "sub":
                rest, excluded = _strip_marker(text)
                parent = doc.ids[point_id]
                ident = doc.add(unit.position, "subpart", number=unit.number, text=rest,
                                parent=point_id, path=f"{parent['path']} пп. {unit.number})",
                                excluded=excluded)["id"]
                if excluded:
                    doc.note(rest, ident, action="excluded")
            else:                                  # preamble, tail: an unnumbered paragraph
                label = "преамбула" if unit.kind == "preamble" and prefix == "order" else None
                doc.add(unit.position, "paragraph", text=text.replace("\n", " "),
                        parent=container, path=label)
    return doc.result(act)


_SECTION_KEY = re.compile(r"^Раздел\s+([IVXLC]+)$")
_TRAILING_SECTION = re.compile(r"\s+Раздел\s+([IVXLC]+)\s+(\S.*)$")
_ARTICLE_EXCLUDED = re.compile(r"^Сноска\.\s*Статья\s+\S+\s+исключ", re.I)


def read_constitution_json(path: Path, conf: dict) -> dict:
    """{"Преамбула": str, "Раздел I": {"название": str, "статьи": {"1": "Статья 1 …"}}, …}.

    Article numbers are read from each article's own heading «Статья 83-1», not from the JSON
    key (the source keys 83-1 as "83"). A section heading the source left at the end of an
    article («… Раздел VIII Местное государственное управление …») opens that section.
    """
    act_id = conf["act_id"]
    url = CANONICAL.format(act_id)
    data = _json_object(path, "a JSON object of sections")
    doc = _Doc(act_id, url)
    act = _act(act_id, url)
    section = None
    for key, value in data.items():
        if isinstance(value, str):
            if "Конституци" in value and re.search(r"принимаем\s+настоящую\s+Конституцию", value):
                act["form"] = "Конституция"
            doc.add("preamble", "paragraph", heading=key, text=clean(value), path="преамбула")
            continue
        m = _SECTION_KEY.match(key)
        if not m or not isinstance(value, dict) or not isinstance(value.get("статьи"), dict):
            raise TextFormatError(f"{path.name}: {key!r} is not a section with articles")
        section = doc.add(f"sec{m.group(1)}", "section", number=m.group(1),
                          heading=value.get("название"), path=f"разд. {m.group(1)}")["id"]
        for art_key, art_text in value["статьи"].items():
            head = ARTICLE_HEAD.match(art_text)
            if not head:
                raise TextFormatError(f"{path.name}: article {art_key!r} has no «Статья N» heading")
            number = head.group(1)
            body = art_text[head.end():]
            trailing = _TRAILING_SECTION.search(body)
            if trailing:
                body = body[:trailing.start()]
            art_id = f"art{number}"
            units = inline_units(body)
            lead = [u for u in units if u.position == "" and u.kind == "text"]
            notes = [u for u in units if u.kind == "note"]
            excluded = not [u for u in units if u.kind != "note"] and \
                any(_ARTICLE_EXCLUDED.match(n.text) for n in notes)
            doc.add(art_id, "article", number=number, text=lead[0].text if lead else None,
                    parent=section, path=f"ст. {number}", excluded=excluded)
            for see in dict.fromkeys(see_notes(body)):     # the same reference repeats per part
                doc.note(see, art_id)
            part_id = None
            for unit in units:
                if unit.kind == "note":
                    doc.note(unit.text, art_id)
                elif unit.kind == "part":
                    rest, exc = _strip_marker(unit.text)
                    part_id = doc.add(f"{art_id}.{unit.number}", "part", number=unit.number,
                                      text=rest, parent=art_id,
                                      path=f"ст. {number} п. {unit.number}", excluded=exc)["id"]
                    if exc:
                        doc.note(rest, part_id, action="excluded")
                elif unit.kind == "sub":
                    rest, exc = _strip_marker(unit.text)
                    parent = part_id if "." in unit.position else art_id
                    ident = doc.add(f"{art_id}.{unit.position}", "subpart", number=unit.number,
                                    text=rest, parent=parent,
                                    path=f"{doc.ids[parent]['path']} пп. {unit.number})",
                                    excluded=exc)["id"]
                    if exc:
                        doc.note(rest, ident, action="excluded")
            if trailing:
                section = doc.add(f"sec{trailing.group(1)}", "section", number=trailing.group(1),
                                  heading=clean(trailing.group(2)),
                                  path=f"разд. {trailing.group(1)}")["id"]
    if not any(p["kind"] == "article" for p in doc.provisions):
        raise TextFormatError(f"{path.name}: no articles found")
    return doc.result(act)


def _json_object(path: Path, expected: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TextFormatError(f"{path.name}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise TextFormatError(f"{path.name}: expected {expected}")
    return data


def read_zan_json(path: Path, conf: dict) -> dict:
    """A zan.gov.kz document as another project saved it: metadata fields and `text`, one
    paragraph a line. Each non-empty line is a paragraph provision `para{n}` (1-based)."""
    data = _json_object(path, "a JSON object")
    missing = [f for f in (conf["act_id_field"], conf["text_field"]) if not data.get(f)]
    if missing:
        raise TextFormatError(f"{path.name}: no {', '.join(missing)} field")
    act_id = str(data[conf["act_id_field"]])
    url = data.get("url") or CANONICAL.format(act_id)
    status_raw = data.get("status")
    act = _act(act_id, url, title=clean(data["title"]) if data.get("title") else None,
               date_adopted=(data.get("date") or "")[:10] or None, status_raw=status_raw,
               status=(conf.get("status_codes") or {}).get(status_raw, "in_force"))
    _with_requisites(act, clean(data["requisites"]) if data.get("requisites") else None)
    doc = _Doc(act_id, url)
    paras = [p for p in data[conf["text_field"]].split("\n") if p.strip()]
    for i, para in enumerate(paras, start=1):
        doc.add(f"para{i}", "paragraph", text=clean(para), path=f"абз. {i}")
    return doc.result(act)


READERS = {
    "adilet_plain_text": read_adilet_plain_text,
    "constitution_json": read_constitution_json,
    "zan_json": read_zan_json,
}


def read_text_source(path: Path, conf: dict) -> dict:
    """One whole text → {"act", "provisions", "amendments"} (ParsedDocument.to_dict() shape).

    Raises TextFormatError (a ValueError) when the file is malformed or its structure is not
    found; OSError when it cannot be read.
    """
    reader = READERS.get(conf.get("reader"))
    if reader is None:
        raise TextFormatError(f"{path.name}: unknown reader {conf.get('reader')!r}")
    try:
        return reader(Path(path), conf)
    except UnicodeDecodeError as exc:
        raise TextFormatError(f"{path.name}: not UTF-8 text ({exc})") from exc
    except (KeyError, TypeError, AttributeError) as exc:
        # A JSON value of another type than the reader expects (a number for the text, a list
        # for an article): the file is malformed, whatever line of the reader noticed it.
        raise TextFormatError(f"{path.name}: unexpected structure "
                              f"({type(exc).__name__}: {exc})") from exc


# --- provenance: the corpus's texts/README.md table ------------------------------------------

_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def read_provenance(readme: Path) -> dict[str, dict]:
    """file name → {act, language, extent, repo, path, commit, obtained, retrieved_on}.

    «same» / «same repo» / «same commit» repeat the previous row's value. retrieved_on is the
    ISO date the row says the text was obtained, None when it says «not stated».
    """
    out: dict[str, dict] = {}
    if not readme.exists():
        return out
    prev: dict = {}
    for line in readme.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 6:
            continue
        name = cells[0].strip("`")
        origin = [o.strip() for o in cells[4].split(",")]
        repo = origin[0] if origin else ""
        if repo in ("same", "same repo"):
            repo = prev.get("repo", "")
        opath = origin[1] if len(origin) > 1 else ""
        commit = origin[2] if len(origin) > 2 else ""
        if commit in ("same", "same commit"):
            commit = prev.get("commit", "")
        obtained = cells[5]
        if obtained == "same":
            obtained = prev.get("obtained", "")
        m = _ISO.search(obtained)
        retrieved_on = None if obtained.lower().startswith("not stated") or not m else m.group(1)
        row = {"act": cells[1], "language": cells[2], "extent": cells[3], "repo": repo,
               "path": opath, "commit": commit, "obtained": obtained,
               "retrieved_on": retrieved_on}
        out[name] = row
        prev = row
    return out


def source_note(name: str, prov: dict | None) -> str:
    """One line of provenance for acts.source_note."""
    if not prov:
        return f"statutory text file texts/{name} (no provenance row in texts/README.md)"
    return (f"statutory text (no Adilet page markup), {prov['extent']}: file texts/{name}, "
            f"copied from github.com/{prov['repo']} {prov['path']} @ {prov['commit'][:12]}; "
            f"obtained: {prov['obtained']}")
