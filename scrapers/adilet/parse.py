"""Parse Adilet document text pages (old "etherna" template) into an act, provisions and
amendment records; `parse_any` also dispatches /info, /history and search pages.

The body (`div.container_gamma.text article`) is walked ONCE, block by block, keeping a stack
of open provisions ranked appendix < part of a code < section < chapter < § < article < part
< subpart. Decisions worth knowing (see docs/architecture.md for the output contract):

* An article heading paragraph yields exactly one `article` provision; its anchor is the
  `<a name="zN">` inside it.
* A numbered paragraph («1.» part, «1)» subpart) is always a provision. Without an anchor of
  its own it gets id `{parent id}.{n}`, the nearest preceding anchor and anchor_inherited.
* An unnumbered paragraph continues the open article/part/subpart (its text is appended, with
  or without an anchor: it is an «абзац» of that provision). Under a heading, or before any
  provision (the preamble «… ПРИКАЗЫВАЮ:»), it becomes a `paragraph` provision; one with no
  anchor before it at all gets anchor «z0» (Adilet's top of document) and id «z0.p1».
* Signature blocks (a table without anchors, «СОГЛАСОВАНО», «Министр …» lines without
  anchors) are dropped. An appendix label («Приложение к приказу …», «… қосымша») opens a
  `section` provision, and the numbered points of the rules inside it become provisions under
  it, cited as «прил. 1 п. 2». A data table with anchors becomes one `paragraph` provision.
* Footnotes («Сноска.», «Ескерту.», `p.note`/`span.note`) and editor's notes (red `<font>`,
  «Примечание ИЗПИ!») never reach provision text; they become amendment records attached to
  the provision they follow (before any provision: the act, provision None).
"""
import re
from dataclasses import asdict, dataclass, field

from lxml import etree

from scrapers.adilet import amendments as amend
from scrapers.adilet import pages
from scrapers.adilet.pages import (ParsedHistory, ParsedInfo, SearchHit, SearchPage,  # noqa: F401
                                   parse_history, parse_info, parse_search)
from scrapers.adilet.errors import NotALawPage, ParseError
from scrapers.adilet.ids import canonical_url
from scrapers.adilet.markup import (body_cut_off, clean, decode, first, has_class, identify,
                                    iso_date, load, text_of, url_parts)
from scrapers.adilet.requisites import parse_requisites, repeal_mentioned

# Bump whenever the output for the same page can change: the build re-parses cached acts then.
PARSER_VERSION = "adilet-parse@5"

_ANCHOR = re.compile(r"^z\d+$")
_NUM = r"(\d+(?:-\d+)*)"
_ARTICLE_RU = re.compile(r"^(?:Статья|Article)\s+%s\s*(\.)?\s*(.*)$" % _NUM, re.S)
_ARTICLE_KK = re.compile(r"^%s\s*-\s*бап(?![^\W\d_])\s*(\.)?\s*(.*)$" % _NUM, re.S | re.I)
_POINT = re.compile(r"^(\d{1,4}(?:-\d+)*(?:\.\d+)*)(\.|\))(?!\d)\s*(.*)$", re.S)
_EXCLUDED = re.compile(r"^[(\[]?\s*(исключ[её]н\w*|алып\s+тасталды|excluded)", re.I)

# Heading levels found in <h3> segments (or in bold paragraphs): (rank, kind, regex, token key).
_LEVELS = [
    (1, "section", re.compile(r"^((?:ОБЩАЯ|ОСОБЕННАЯ)\s+ЧАСТЬ|(?:ЖАЛПЫ|ЕРЕКШЕ)\s+БӨЛІМ|"
                              r"(?:GENERAL|SPECIAL)\s+PART)\b\.?\s*(.*)$", re.I | re.S), None),
    (2, "section", re.compile(r"^(?:Раздел|Section)\s+(\d+(?:-\d+)*|[IVXLC]+)\s*\.?\s*(.*)$",
                              re.I | re.S), "section"),
    (2, "section", re.compile(r"^(\d+(?:-\d+)*|[IVXLC]+)\s*-\s*бөлім\s*\.?\s*(.*)$", re.I | re.S),
     "section"),
    (3, "chapter", re.compile(r"^(?:Глава|Chapter)\s+(\d+(?:-\d+)*)\s*\.?\s*(.*)$", re.I | re.S),
     "chapter"),
    (3, "chapter", re.compile(r"^(\d+(?:-\d+)*)\s*-\s*тарау\s*\.?\s*(.*)$", re.I | re.S), "chapter"),
    (4, "chapter", re.compile(r"^(?:Параграф|Paragraph|§)\s*(\d+(?:-\d+)*)\s*\.?\s*(.*)$",
                              re.I | re.S), "par"),
    (4, "chapter", re.compile(r"^(\d+(?:-\d+)*)\s*-\s*параграф\s*\.?\s*(.*)$", re.I | re.S), "par"),
]
_RANK = {"appendix": 0, "title": 1, "article": 5, "part": 6, "paragraph": 6, "subpart": 7}

_APPENDIX = re.compile(r"^(?:Приложени[ея]\s*(?:№\s*)?(\d+(?:-\d+)*)?\s*(?:к|$)|"
                       r"Утвержден[аоы]?\s+(?:приказом|постановлением|указом|решением|"
                       r"распоряжением|совместным)|Annex\s*(\d+)?\b)", re.I)
_APPENDIX_KK = re.compile(r"(?:(?:^|\s)(\d+)?-?\s*қосымша|бекітілген)\s*$", re.I)
_SIGNATURE = re.compile(r"^(?:[\"«]?\s*СОГЛАСОВАН|[\"«]?\s*КЕЛІСІЛДІ|Президент\s+Республики|"
                        r"Премьер-Министр\s+Республики|Қазақстан\s+Республикасының\s+Президенті)",
                        re.I)

_TOKENS = {
    "rus": {"section": "разд. {}", "chapter": "гл. {}", "par": "§ {}", "article": "ст. {}",
            "part": "п. {}", "subpart": "пп. {})", "paragraph": "абз. {}",
            "appendix": "прил. {}", "appendix0": "прил."},
    "kaz": {"section": "{}-бөлім", "chapter": "{}-тарау", "par": "{}-параграф",
            "article": "{}-бап", "part": "{}-т.", "subpart": "{}) тт.", "paragraph": "{}-абз.",
            "appendix": "{}-қосымша", "appendix0": "қосымша"},
    "eng": {"section": "s. {}", "chapter": "ch. {}", "par": "§ {}", "article": "art. {}",
            "part": "p. {}", "subpart": "sp. {})", "paragraph": "para. {}",
            "appendix": "app. {}", "appendix0": "app."},
}


@dataclass
class Act:
    id: str
    lang: str
    title: str | None
    form: str | None
    number: str | None
    date_adopted: str | None
    issuing_body: str | None
    status: str
    status_raw: str | None
    requisites: str | None
    repeal_note: str | None
    registration_number: str | None
    registration_date: str | None
    url: str
    as_of: str | None
    site_updated: str | None = None    # «Дата обновления» in the sidebar: the page is at least this fresh


@dataclass
class Provision:
    id: str
    kind: str
    number: str | None
    heading: str | None
    text: str | None
    anchor: str
    anchor_inherited: bool
    parent: str | None
    position: int
    depth: int
    excluded: bool
    path: str | None
    url: str


@dataclass
class ParsedDocument:
    act: Act
    provisions: list[Provision] = field(default_factory=list)
    amendments: list[amend.Amendment] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"act": asdict(self.act),
                "provisions": [asdict(p) for p in self.provisions],
                "amendments": [a.to_dict() for a in self.amendments]}

    def counts(self) -> dict:
        out: dict[str, int] = {}
        for p in self.provisions:
            out[p.kind] = out.get(p.kind, 0) + 1
        return out

    def summary(self, first_n: int = 5) -> str:
        a = self.act
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts().items()))
        lines = [f"{a.id} [{a.lang}] {a.title}",
                 f"  {a.form or '?'} № {a.number or '?'} of {a.date_adopted or '?'}; "
                 f"status: {a.status} ({a.status_raw or 'no badge'})",
                 f"  {len(self.provisions)} provisions ({counts or 'none'}), "
                 f"{len(self.amendments)} amendment records",
                 f"  {a.url}"]
        for p in self.provisions[:first_n]:
            body = p.heading or p.text or ("(excluded)" if p.excluded else "")
            lines.append(f"  {p.path or p.kind:<22} #{p.anchor:<6} {body[:70]}")
        if len(self.provisions) > first_n:
            lines.append(f"  … {len(self.provisions) - first_n} more")
        return "\n".join(lines)


# --- the document body walk ----------------------------------------------------------------


def _is_red(el) -> bool:
    color = (el.get("color") or "").lower().replace(" ", "")
    style = (el.get("style") or "").lower().replace(" ", "")
    return color in ("#ff0000", "red", "#f00", "ff0000") or "color:#ff0000" in style or \
        "color:red" in style


class _Collected:
    """Text, anchors and notes of one block, collected in one recursive pass."""
    __slots__ = ("parts", "anchors", "notes", "bold")

    def __init__(self):
        self.parts: list[str] = []
        self.anchors: list[str] = []
        self.notes: list[tuple[str, list]] = []
        self.bold = False


def _note_links(el) -> list[tuple[str, str]]:
    return [(text_of(a), a.get("href")) for a in el.iter("a") if a.get("href")]


def _collect(el, out: _Collected, top: bool = True):
    if top:
        ident = el.get("id")
        if ident and _ANCHOR.match(ident):
            out.anchors.append(ident)
        if el.text:
            out.parts.append(el.text)
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):              # comments, processing instructions
            if child.tail:
                out.parts.append(child.tail)
            continue
        if has_class(child, "note") or (tag == "font" and _is_red(child)):
            out.notes.append((text_of(child), _note_links(child)))
        elif tag == "br":
            out.parts.append(" ")
        elif tag in ("script", "style"):
            pass
        else:
            if tag == "a":
                name = child.get("name")
                if name and _ANCHOR.match(name):
                    out.anchors.append(name)
            ident = child.get("id")
            if ident and _ANCHOR.match(ident):
                out.anchors.append(ident)
            if tag in ("b", "strong") and not out.bold and not "".join(out.parts).strip():
                out.bold = True
            if child.text:
                out.parts.append(child.text)
            if len(child):
                _collect(child, out, top=False)
        if child.tail:
            out.parts.append(child.tail)


_NO_TABLES = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table"}
_CONTAINERS = {"div", "section", "center", "ul", "ol", "dl", "article", "form", "main"}


def _blocks(parent):
    """Block elements of the body in document order (containers are opened)."""
    if parent.text and parent.text.strip():
        yield parent.text
    for el in parent:
        tag = el.tag
        if isinstance(tag, str):
            if tag in _CONTAINERS and not has_class(el, "note"):
                yield from _blocks(el)
            elif tag not in ("script", "style"):
                yield el
        if el.tail and el.tail.strip():
            yield el.tail


def _h_segments(el):
    """Split a heading into levels at <br> and <a name="zN">: [(anchor, text, notes)]."""
    segments = [[el.get("id") if _ANCHOR.match(el.get("id") or "") else None, [], []]]

    def walk(node):
        for child in node:
            tag = child.tag
            if isinstance(tag, str):
                if has_class(child, "note") or (tag == "font" and _is_red(child)):
                    segments[-1][2].append((text_of(child), _note_links(child)))
                elif tag == "br":
                    if clean("".join(segments[-1][1])):
                        segments.append([None, [], []])
                else:
                    name = child.get("name") if tag == "a" else None
                    if name and _ANCHOR.match(name):
                        if clean("".join(segments[-1][1])):
                            segments.append([name, [], []])
                        elif segments[-1][0] is None:
                            segments[-1][0] = name
                    if child.text:
                        segments[-1][1].append(child.text)
                    walk(child)
            if child.tail:
                segments[-1][1].append(child.tail)

    if el.text:
        segments[0][1].append(el.text)
    walk(el)
    return [(a, clean("".join(parts)), notes) for a, parts, notes in segments]


def _level(text: str):
    for rank, kind, rx, key in _LEVELS:
        m = rx.match(text)
        if m:
            if key is None:                       # «ОБЩАЯ ЧАСТЬ»: the name is the heading
                return rank, kind, None, clean(text), key
            return rank, kind, m.group(1), clean(m.group(2)) or None, key
    return None


def _appendix(text: str):
    """(number or None) if the text is an appendix label, else False."""
    if len(text) > 600:
        return False
    m = _APPENDIX.match(text)
    if m:
        return m.group(1) or m.group(2)
    m = _APPENDIX_KK.search(text.rstrip(" .:"))
    if m:
        return m.group(1)
    return False


class _Builder:
    def __init__(self, act_id: str, lang: str):
        self.act_id, self.lang = act_id, lang
        self.base_url = canonical_url(act_id, lang)
        self.tokens = _TOKENS.get(lang, _TOKENS["rus"])
        self.provisions: list[Provision] = []
        self.records: list[amend.Amendment] = []
        self.stack: list[tuple[int, Provision]] = []
        self.bases: dict[str, str] = {}           # provision id -> citation prefix for children
        self.texts: dict[str, list[str]] = {}     # provision id -> text pieces
        self.paragraphs: dict[str | None, int] = {}
        self.ids: set[str] = set()
        self.next_suffix: dict[str, int] = {}     # ident -> where _unique resumes its search
        self.last_anchor: str | None = None
        self.signature = False

    # -- helpers

    @property
    def top(self) -> Provision | None:
        return self.stack[-1][1] if self.stack else None

    def _unique(self, ident: str) -> str:
        """``ident``, else ``ident_k`` with the smallest free k >= 2.

        Ids are only ever added, so the smallest free k of an ident never goes down: the
        search resumes where the last one stopped (linear in repeated anchors, not quadratic).
        """
        if ident not in self.ids:
            return ident
        k = self.next_suffix.get(ident, 2)
        while f"{ident}_{k}" in self.ids:
            k += 1
        self.next_suffix[ident] = k + 1
        return f"{ident}_{k}"

    def add(self, rank: int, kind: str, number, heading, text, anchor, *, token_key=None,
            excluded=False) -> Provision:
        while self.stack and self.stack[-1][0] >= rank:
            self.stack.pop()
        parent = self.top
        inherited = anchor is None
        if inherited:
            base_id = parent.id if parent else (self.last_anchor or "z0")
            suffix = number if number else f"p{self.paragraphs.get(parent.id if parent else None, 0) + 1}"
            ident = self._unique(f"{base_id}.{suffix}")
            anchor = self.last_anchor or "z0"
        else:
            ident = self._unique(anchor)
        parent_base = self.bases.get(parent.id, "") if parent else ""
        key = token_key or kind
        token = None
        if kind == "paragraph":
            n = self.paragraphs.get(parent.id if parent else None, 0) + 1
            self.paragraphs[parent.id if parent else None] = n
            token = self.tokens["paragraph"].format(n)
        elif key == "appendix":
            token = self.tokens["appendix"].format(number) if number else self.tokens["appendix0"]
        elif number and key in self.tokens:
            token = self.tokens[key].format(number)
        path = " ".join(t for t in (parent_base, token) if t) or None
        # Children of articles, parts and appendices cite through them; chapters and
        # sections are not part of a citation («ст. 5 п. 2», not «гл. 1 ст. 5 п. 2»).
        if kind in ("section", "chapter") and key != "appendix":
            self.bases[ident] = parent_base
        else:
            self.bases[ident] = path or ""
        prov = Provision(id=ident, kind=kind, number=number, heading=heading, text=None,
                         anchor=anchor, anchor_inherited=inherited,
                         parent=parent.id if parent else None, position=len(self.provisions) + 1,
                         depth=len(self.stack), excluded=excluded, path=path,
                         url=f"{self.base_url}#{anchor}")
        self.ids.add(ident)
        self.provisions.append(prov)
        self.texts[ident] = [text] if text else []
        self.stack.append((rank, prov))
        self.signature = False
        return prov

    def note(self, text: str, links, target: Provision | None):
        if not text:
            return
        self.records.extend(amend.parse_note(text, provision=target.id if target else None,
                                             lang=self.lang, links=links))

    def notes(self, notes, target):
        for text, links in notes:
            self.note(text, links, target)

    def excluded_record(self, prov: Provision, rest: str, links):
        recs = amend.parse_note(rest, provision=prov.id, lang=self.lang, links=links)
        for r in recs:
            r.action = "excluded"
        self.records.extend(recs)

    # -- block handlers

    def heading(self, el):
        segments = [s for s in _h_segments(el) if s[1] or s[2]]
        merged = []
        for anchor, text, notes in segments:
            # A line without its own anchor and level word continues the previous line
            # («Глава 1.<br>Общие положения»).
            if merged and anchor is None and text and not _level(text):
                prev = merged[-1]
                merged[-1] = (prev[0], clean(f"{prev[1]} {text}"), prev[2] + notes)
            else:
                merged.append((anchor, text, notes))
        for anchor, text, notes in merged:
            if anchor:
                self.last_anchor = anchor
            if not text:
                self.notes(notes, self.top)
                continue
            level = _level(text)
            if level:
                rank, kind, number, head, key = level
                prov = self.add(rank, kind, number, head, None, anchor, token_key=key)
            else:
                number = _appendix(text)
                if number is not False:
                    prov = self.appendix(number, text, anchor)
                else:
                    prov = self.add(_RANK["title"], "section", None, text, None, anchor)
            self.notes(notes, prov)

    def appendix(self, number, text, anchor) -> Provision:
        top = self.top
        # «Приложение к приказу …» and «Утверждены приказом …» labels in a row name one
        # appendix: merge into the open appendix that has no children yet.
        if top is not None and self.stack[-1][0] == 0 and self.provisions[-1] is top:
            top.heading = clean(f"{top.heading} {text}")
            if number and not top.number:
                top.number = number
            return top
        return self.add(_RANK["appendix"], "section", number or None, text, None, anchor,
                        token_key="appendix")

    def table(self, el):
        coll = _Collected()
        rows = []
        # Rows of this table only: a nested table's rows are text of the cell holding it.
        for tr in el.xpath("./tr|./tbody/tr|./thead/tr|./tfoot/tr"):
            cells = []
            for td in tr:
                if not isinstance(td.tag, str) or td.tag not in ("td", "th"):
                    continue
                c = _Collected()
                _collect(td, c)
                coll.anchors.extend(c.anchors)
                coll.notes.extend(c.notes)
                t = clean("".join(c.parts))
                if t:
                    cells.append(t)
            if cells:
                rows.append(" | ".join(cells))
        text = "; ".join(rows)
        if coll.anchors:
            anchor = coll.anchors[0]
        else:
            anchor = None
        if text and _appendix(text) is not False and len(rows) <= 3:
            if coll.anchors:
                self.last_anchor = coll.anchors[-1]
            prov = self.appendix(_appendix(text) or None, text, anchor)
            self.notes(coll.notes, prov)
            return
        if not coll.anchors and len(text) < 300:
            # A signature table («Министр … К. Бишимбаев»): not law text.
            self.signature = True
            return
        if coll.anchors:
            self.last_anchor = coll.anchors[-1]
        prov = self.paragraph(text, anchor)
        self.notes(coll.notes, prov)

    def paragraph(self, text, anchor) -> Provision | None:
        top = self.top
        if top is None or top.kind in ("section", "chapter"):
            return self.add(_RANK["paragraph"], "paragraph", None, None, text, anchor)
        if top.excluded:
            # Nothing may be appended to an excluded provision: a sibling paragraph instead.
            self.stack.pop()
            return self.add(_RANK["paragraph"], "paragraph", None, None, text, anchor)
        self.texts[top.id].append(text)
        return top

    def block(self, el):
        if isinstance(el, str):                    # stray text between blocks
            text = clean(el)
            if text and not self.signature:
                self.paragraph(text, None)
            return
        tag = el.tag
        if has_class(el, "note"):
            self.note(text_of(el), _note_links(el), self.top)
            return
        if tag == "table":
            self.table(el)
            return
        # lxml closes a <p> before a <table>, but other blocks (blockquote, li) may wrap one.
        inner_tables = el.findall(".//table") if tag not in _NO_TABLES else None
        if inner_tables:                           # a <p> or <div> wrapping tables
            for t in inner_tables:
                self.table(t)
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.heading(el)
            return
        coll = _Collected()
        _collect(el, coll)
        text = clean("".join(coll.parts))
        anchor = coll.anchors[0] if coll.anchors else None
        if coll.anchors:
            self.last_anchor = coll.anchors[-1]
        if not text:
            self.notes(coll.notes, self.top)
            return
        prov = self.classify(el, text, anchor, coll)
        self.notes(coll.notes, prov if prov is not None else self.top)

    def classify(self, el, text, anchor, coll):
        # Editor's notes and footnotes written as plain paragraphs (no class) are notes too.
        if amend.is_editor_note(text) or amend.is_footnote(text):
            self.note(text, _note_links(el), self.top)
            return self.top
        m = (_ARTICLE_KK if self.lang == "kaz" else _ARTICLE_RU).match(text)
        if m is None and self.lang != "kaz":
            m = _ARTICLE_KK.match(text)
        if m and (coll.bold or m.group(2)):
            number, rest = m.group(1), m.group(3).strip()   # text is clean already
            excluded = bool(_EXCLUDED.match(rest))
            prov = self.add(_RANK["article"], "article", number, None if excluded else rest or None,
                            None, anchor, excluded=excluded)
            if excluded:
                self.excluded_record(prov, rest, _note_links(el))
            return prov
        if coll.bold:
            level = _level(text)
            if level:
                rank, kind, number, head, key = level
                return self.add(rank, kind, number, head, None, anchor, token_key=key)
        m = _POINT.match(text)
        if m and m.group(3):
            number, rest = m.group(1), m.group(3).strip()
            kind = "part" if m.group(2) == "." else "subpart"
            excluded = bool(_EXCLUDED.match(rest))
            prov = self.add(_RANK[kind], kind, number, None, None if excluded else rest, anchor,
                            excluded=excluded)
            if excluded:
                self.excluded_record(prov, rest, _note_links(el))
            return prov
        number = _appendix(text) if (anchor or self.signature or len(text) < 300) else False
        if number is not False:
            return self.appendix(number or None, text, anchor)
        if anchor is None and (self.signature or _SIGNATURE.match(text)):
            self.signature = True
            return None
        return self.paragraph(text, anchor)

    def finish(self):
        for prov in self.provisions:
            pieces = self.texts.get(prov.id)
            if prov.excluded or not pieces:
                prov.text = None
            else:                                 # pieces are clean; only joins need a space
                prov.text = pieces[0] if len(pieces) == 1 else " ".join(pieces)


def _body(root):
    found = root.xpath('//div[contains(concat(" ", normalize-space(@class), " "), " container_gamma ")'
                       ' and contains(concat(" ", normalize-space(@class), " "), " text ")]')
    for div in found:
        art = div.find(".//article")
        if art is not None:
            return art
    if found:
        return found[0]
    return first(root, "//article")


_MARKER_TEXT = re.compile(r"(?:^|\s)(?:Статья\s+\d+(?:-\d+)*\.|\d+(?:-\d+)*-бап\.?)")


def _check_law_page(root, body):
    if root.get_element_by_id("root", None) is not None and body is None:
        raise NotALawPage("a JavaScript shell (div#root, <!--SEO_BODY-->) with no law text: "
                          "the new Adilet site; fetch the old host instead")
    if body is None:
        raise NotALawPage("no document body (div.container_gamma.text article) on the page")
    # A plain loop stops at the first marker; an XPath union would build the whole node-set.
    for el in body.iter(etree.Element):            # elements only, not comments
        if _ANCHOR.match(el.get("id") or "") or _ANCHOR.match(el.get("name") or ""):
            return
    if _MARKER_TEXT.search(body.text_content()):
        return
    raise NotALawPage("no article markers (no zN anchors, no «Статья N.»/«N-бап.») in the body")


def _as_of(root) -> str | None:
    for li in root.iter("li"):
        t = text_of(li)
        if "состоянию на" in t or "жағдайына" in t or "as of" in t.lower():
            return iso_date(t)
    return None


def _site_updated(root) -> str | None:
    for li in root.iter("li"):
        t = text_of(li)
        if "Дата обновления" in t or "Жаңартылған күні" in t or "Date of update" in t:
            return iso_date(t)
    return None


def parse_document(html: bytes | str, *, url: str | None = None) -> ParsedDocument:
    """Parse a document text page (/rus|kaz|eng/docs/{ID}) into act, provisions, amendments."""
    return document_from_root(_load_whole(html), url=url)


def _load_whole(html: bytes | str):
    text = decode(html)
    if body_cut_off(text):
        raise ParseError("the page ends inside the document body (no </article>): "
                         "a truncated download or copy")
    return load(text)


def document_from_root(root, *, url: str | None = None) -> ParsedDocument:
    body = _body(root)
    _check_law_page(root, body)
    act_id, lang = identify(root, url)

    slogan = first(root, '//div[contains(concat(" ", @class, " "), " slogan ")]')
    title = requisites = status_raw = None
    badge_repealed = False
    if slogan is not None:
        h1 = slogan.find(".//h1")
        title = text_of(h1) or None if h1 is not None else None
        badge = first(slogan, './/span[contains(concat(" ", @class, " "), " status ")]')
        if badge is not None:
            status_raw = text_of(badge) or None
            badge_repealed = has_class(badge, "status_yts")
        p = slogan.find(".//p")
        requisites = text_of(p) or None if p is not None else None

    builder = _Builder(act_id, lang)
    for block in _blocks(body):
        builder.block(block)
    builder.finish()

    fields = parse_requisites(requisites, lang)
    act_repeal = [r for r in builder.records if r.provision is None and r.action == "repealed"
                  and r.what is None]
    repealed = badge_repealed or repeal_mentioned(requisites) or bool(act_repeal)
    repeal_note = fields.pop("repeal_note") or (act_repeal[0].text if act_repeal else None)
    act = Act(id=act_id, lang=lang, title=title, status="repealed" if repealed else "in_force",
              status_raw=status_raw, requisites=requisites, repeal_note=repeal_note,
              url=canonical_url(act_id, lang), as_of=_as_of(root),
              site_updated=_site_updated(root), **fields)
    if not builder.provisions:
        raise NotALawPage(f"{act_id}: the body has markers but no provisions could be read")
    return ParsedDocument(act=act, provisions=builder.provisions, amendments=builder.records)


def page_kind(root, url: str | None) -> str:
    """document | info | history | search, from the URL or else from the page itself."""
    if url:
        if "/search/" in url or "/search?" in url:
            return "search"
        _, _, tab = url_parts(url)
        if tab in ("info", "history"):
            return tab
        if url_parts(url)[1]:
            return "document"
    if root.xpath('boolean(//div[contains(concat(" ", @class, " "), " post_holder ")])'):
        return "search"
    if root.get_element_by_id("ethernatable", None) is not None:
        for a in root.xpath('//li[contains(concat(" ", @class, " "), " selected ")]/a[@href]'):
            tab = url_parts(a.get("href"))[2]
            if tab in ("info", "history"):
                return tab
        if root.xpath('boolean(//table[@id="ethernatable"]//a[contains(@href, "/archive/docs/")])'):
            return "history"
        return "info"
    return "document"


def parse_any(html: bytes | str, *, url: str | None = None):
    """Parse any saved Adilet page; the result has to_dict() and summary()."""
    root = _load_whole(html)
    kind = page_kind(root, url)
    if kind == "document":
        return document_from_root(root, url=url)
    return {"info": pages.info_from_root, "history": pages.history_from_root,
            "search": pages.search_from_root}[kind](root, url=url)


__all__ = ["PARSER_VERSION", "Act", "Provision", "ParsedDocument", "ParsedInfo", "ParsedHistory", "SearchPage",
           "SearchHit", "parse_document", "parse_info", "parse_history", "parse_search",
           "parse_any", "page_kind", "ParseError", "NotALawPage"]
