"""Read the saved text of an Adilet document page (`corpus/adilet-text/{rus,kaz}/{ID}.txt`).

These files are BeautifulSoup's `article.get_text(separator="\\n")` of a page body, with runs
of spaces squeezed and runs of blank lines squeezed to one. What that leaves, and how it is
read back:

* **Paragraphs.** Every HTML text node is a line; `<p>` elements are separated by a blank
  line. A paragraph's first line keeps Adilet's indentation (non-breaking spaces); a line
  broken off by a link («№ 354-IV», «статьи 41») has none. So a block between blank lines is
  cut into paragraphs where a line is indented, or is a heading or a note, and the other lines
  are joined back exactly as the nodes were (`""`, their own spaces kept).
* **Headings.** «ОБЩАЯ ЧАСТЬ», «РАЗДЕЛ N.», «Глава N.», «Параграф N.», «Статья N.» / «N-1.»
  (Kazakh «ЖАЛПЫ БӨЛІМ», «N-бөлім», «N-тарау», «N-параграф», «N-бап.»). A section or chapter
  title broken onto the next line by `<br>` is joined to it; an article heading is one line.
* **Provisions.** Parts «1.», subparts «1)» (under a part or directly under an article), and
  unnumbered paragraphs, which continue the provision they follow (an «абзац» is part of its
  part). Text before the first heading is the preamble. A number that does not follow the
  previous one (an article's «Примечание. 1. …» restarting at 1) is text, not a new part.
* **Notes are records, never text.** «Сноска.»/«Ескерту.» footnotes annotate the provision
  opened last (Adilet prints them right after the heading or point they are about); editor's
  notes («Примечание ИЗПИ!», «Примечание РЦПИ!», «ЗҚАИ-ның ескертпесі!») annotate the provision
  that follows them; the Constitution's «Примечание. См. нормативные постановления
  Конституционного Суда …» are references to other acts, one record per act cited.
* **Excluded items** («19) исключен Законом РК от …», «(Статья 55 исключена - …)»,
  «алып тасталды») are kept as provisions with `excluded` set and no text, plus a record.

The output is the dict shape of `scrapers.adilet.parse.ParsedDocument.to_dict()`. Provision
ids are the structural slugs of `kb`'s citation scheme would give too (`art31-p1-sp2`); there
are no `zN` anchors in these files, so `anchor` is None and `url` is the act's URL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from scrapers.adilet import amendments as amend
from scrapers.adilet.markup import DATE_PATTERN, iso_date

# Bump whenever the output for the same file can change: the build re-reads then.
TEXTFILE_VERSION = "adilet-text@4"

CANONICAL = "https://adilet.zan.kz/{lang}/docs/{act_id}"

_NUM = r"\d+(?:-\d+)*"
_INDENT = re.compile(r"^[\u00a0 ]*\u00a0")          # Adilet's paragraph indentation

# (rank, kind, level, regex): level names the slug/citation token.
_HEADINGS = [
    (1, "section", "codepart", re.compile(
        r"^((?:ОБЩАЯ|ОСОБЕННАЯ)\s+ЧАСТЬ|(?:ЖАЛПЫ|ЕРЕКШЕ)\s+БӨЛ[ІI]М)\s*\.?\s*(.*)$", re.I)),
    (2, "section", "section", re.compile(
        r"^(?:РАЗДЕЛ|Раздел)\s+(%s|[IVXLCІ]+)\s*\.?\s*(.*)$" % _NUM)),
    (2, "section", "section", re.compile(r"^(%s|[IVXLCІ]+)\s*-?\s*б[өo]л[іi]м\s*\.?\s*(.*)$" % _NUM,
                                         re.I)),
    (3, "chapter", "chapter", re.compile(r"^(?:Глава|ГЛАВА)\s+(%s|[IVXLCІ]+)\s*\.?\s*(.*)$" % _NUM)),
    (3, "chapter", "chapter", re.compile(r"^(%s|[IVXLCІ]+)\s*-?\s*тарау\s*\.?\s*(.*)$" % _NUM, re.I)),
    (4, "chapter", "par", re.compile(r"^(?:Параграф|ПАРАГРАФ|§)\s*(%s)\s*\.?\s*(.*)$" % _NUM)),
    (4, "chapter", "par", re.compile(r"^(%s)\s*-\s*параграф\s*\.?\s*(.*)$" % _NUM, re.I)),
    (5, "article", "article", re.compile(r"^(?:[СC]татья|СТАТЬЯ)\s+(%s)\s*\.?\s*(.*)$" % _NUM)),
    (5, "article", "article", re.compile(r"^(%s)\s*-\s*б[аa]п(?![^\W\d_])\s*\.?\s*(.*)$" % _NUM,
                                         re.I)),
]
_RANK = {"part": 6, "subpart": 7}
_PART = re.compile(r"^(%s)\.(?!\d)\s*(.*)$" % _NUM, re.S)
_SUBPART = re.compile(r"^(%s)\)\s*(.*)$" % _NUM, re.S)
# «(алып тасталды)» too: the parenthesised Kazakh form was read as text (27 subpoints)
_EXCLUDED = re.compile(r"^[(\[]?\s*(?:(?:(?:Стать[яи]|Пункт|Подпункт|Часть|Глава)\s+\S+\s+)?"
                       r"(?:исключ[её]н\w*|утратил\w*\s+силу)|алып\s+тасталды|алынып\s+тасталды)",
                       re.I)
_FOOTNOTE = re.compile(r"^(Сноска|Ескерту)\s*\.")
_EDITOR = re.compile(r"^(Вниманию\s+пользователей\s*!|(?:Пайдаланушылардың|Қолданушылар)\s+назарына\s*!|"
                     r"Примечание\s+(?:ИЗПИ|РЦПИ)\s*!?|(?:ҚР\s+)?(?:ЗҚАИ|ДЗҚИ|РҚАО)-ның\s+"
                     r"ескертпесі\s*!?)\s*(.*)$", re.S)
_CC_REFERENCE = re.compile(r"^Примечание\s*\.\s*См\.\s*нормативн")
_CC_REF = re.compile(r"(?:от\s+)?(?P<date>%s)\s*(?:года)?\s*№\s*(?P<number>\d+(?:-НП)?)" % DATE_PATTERN)
_TOC = re.compile(r"^(ОГЛАВЛЕНИЕ|СОДЕРЖАНИЕ|МАЗМҰНЫ|Оглавление|Содержание|Мазмұны)\.?$")
_ACT_REPEALED = re.compile(r"^(?:(Сноска|Ескерту)\.\s*(?:Закон|Кодекс|Указ|Постановление|Приказ|"
                           r"Заң|Кодекс)\w*\s+(?:утратил\w*\s+силу|күші\s+жойылды)|"
                           r"Ескерту\..{0,3000}?(?:Заң|Кодекс)\w*\s+күші\s+жойылды(?!\s+деп))", re.I | re.S)
# «Сноска. Статья 31 с изменениями …», «Ескерту. 31-бапқа өзгеріс …»: the note names its article
_NOTE_ARTICLE = re.compile(r"^(?:Сноска|Ескерту)\.\s*(?:Заголовок\s+)?(?:[СC]тать[яи]\s+(%s)(?![\d-])|"
                           r"(%s)\s*-\s*б[аa][пб])" % (_NUM, _NUM))

TOKENS = {
    "rus": {"codepart": "{}", "section": "разд. {}", "chapter": "гл. {}", "par": "§ {}",
            "article": "ст. {}", "part": "п. {}", "subpart": "пп. {})", "paragraph": "абз. {}"},
    "kaz": {"codepart": "{}", "section": "{}-бөлім", "chapter": "{}-тарау", "par": "{}-параграф",
            "article": "{}-бап", "part": "{}-т.", "subpart": "{}) тт.", "paragraph": "{}-абз."},
}


def _ascii(number: str) -> str:
    """Kazakh texts write Roman numerals with the Cyrillic «І»: ids use the Latin letter."""
    return number.replace("І", "I")


class TextFileError(ValueError):
    """The file is not the text of an Adilet act page (empty, no structure)."""


@dataclass
class _Para:
    kind: str                      # heading | footnote | editor | reference | text | toc
    text: str
    level: str | None = None       # heading level
    rank: int = 0
    number: str | None = None
    title: str | None = None


_NUMBER_DOT = re.compile(r"^\S+\s+%s\s*\.|^%s\s*-\s*\w+\s*\." % (_NUM, _NUM))


def _heading(line: str):
    s = line.strip()
    for rank, kind, level, rx in _HEADINGS:
        m = rx.match(s)
        if m:
            if level == "codepart":
                return rank, kind, level, None, (m.group(1) + (" " + m.group(2) if m.group(2) else "")).strip()
            title = (m.group(2) or "").strip() or None
            # «Статья 54 предусматривается в редакции …», «4-бап жаңа редакцияда …»: a sentence
            # about an article, not its heading (a heading without the dot has a capital title)
            if title and not _NUMBER_DOT.match(s) and not title[0].isupper() and \
                    title[0] not in "-–—":
                return None
            return rank, kind, level, m.group(1), title
    return None


def paragraphs(text: str) -> list[_Para]:
    """Cut the file into paragraphs: headings, notes and text, in order."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[_Para] = []
    for block in re.split(r"\n[ \t\u00a0]*\n", text):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        current: list[str] | None = None
        heading_open: _Para | None = None     # a section/chapter heading whose title may follow

        def flush():
            nonlocal current
            if current:
                joined = re.sub(r"[ \t\u00a0]+", " ", "".join(current)).strip()
                if joined:
                    para = _classify(joined)
                    last = out[-1] if out else None
                    if para.kind == "text" and last is not None and _continues_note(last, joined):
                        last.text = re.sub(r"\s+", " ", f"{last.text} {joined}")
                    else:
                        out.append(para)
            current = None

        for i, line in enumerate(lines):
            stripped = line.strip()
            prev = lines[i - 1].rstrip() if i else ""
            may_head = (i == 0 or heading_open is not None or line[:1].isspace()
                        or prev.endswith((".", ";", ":", "!", "?", ")")) or _heading(prev) is not None)
            h = _heading(line) if may_head else None
            if h:
                flush()
                rank, kind, level, number, title = h
                para = _Para("heading", stripped, level=level, rank=rank, number=number, title=title)
                out.append(para)
                heading_open = para if kind != "article" or not title else None
                continue
            if heading_open is not None and heading_open.level == "article":
                heading_open = None
                if stripped.startswith("."):
                    # «31-бап» <br> «. Мүгедектігі бар баланың …»: the title after the break
                    para.title = stripped.lstrip(". ") or None
                    continue
            if heading_open is not None and _title_goes_on(heading_open.title, line):
                # «РАЗДЕЛ 5.» <br> «ОСВОБОЖДЕНИЕ …»; «Глава 15. … ДЕТЕЙ-СИРОТ,» <br> «ДЕТЕЙ, …»
                heading_open.title = f"{heading_open.title} {stripped}" if heading_open.title \
                    else stripped
                continue
            heading_open = None
            if current is None or _INDENT.match(line) or _FOOTNOTE.match(stripped) \
                    or _EDITOR.match(stripped) or _CC_REFERENCE.match(stripped):
                flush()
                current = [line]
            else:
                current.append(line)
        flush()
    return out


def _title_goes_on(title: str | None, line: str) -> bool:
    stripped = line.strip()
    if _INDENT.match(line) or _FOOTNOTE.match(stripped) or _EDITOR.match(stripped) or \
            _CC_REFERENCE.match(stripped) or _PART.match(stripped) or _SUBPART.match(stripped):
        return False
    if not title:
        return True
    return (title.isupper() and stripped.isupper()) or stripped[:1].islower()


_NOTE_TAIL = re.compile(r"^(№|\(|\)|Заң|заң|[а-яәіңғүұқөһё])")


def _continues_note(last: _Para, text: str) -> bool:
    """A note broken over paragraphs: «Примечание ИЗПИ!» alone, then its body; a body whose
    amending act's number or entry-into-force note landed in the next paragraph."""
    if last.kind not in ("footnote", "editor", "reference"):
        return False
    if last.kind == "editor" and not _EDITOR.match(last.text).group(2).strip():
        return True
    if last.text.rstrip().endswith((":", ";")) and not _PART.match(text) and not _SUBPART.match(text):
        return True         # «Ескерту. Бүкіл мәтін бойынша:» and its list of replacements
    return not last.text.rstrip().endswith((".", ".)", ");", ").")) and bool(_NOTE_TAIL.match(text))


def _classify(text: str) -> _Para:
    if _FOOTNOTE.match(text):
        return _Para("footnote", text)
    if _EDITOR.match(text):
        return _Para("editor", text)
    if _CC_REFERENCE.match(text):
        return _Para("reference", text)
    if _TOC.match(text):
        return _Para("toc", text)
    return _Para("text", text)


@dataclass
class _Node:
    id: str
    kind: str
    level: str
    number: str | None
    rank: int
    heading: str | None = None
    texts: list[str] = field(default_factory=list)
    parent: "_Node | None" = None
    excluded: bool = False
    path: str | None = None
    position: int = 0
    depth: int = 0
    last_child_number: dict = field(default_factory=dict)   # kind → last number seen


def _num_key(num: str) -> tuple[int, ...]:
    return tuple(int(x) for x in num.split("-"))


def _follows(prev: str | None, cand: str) -> bool:
    """Whether `cand` may come after `prev` in one numbered list: higher, or a sub-number
    («3-1» after «3»), allowing the gaps Adilet leaves where points were renumbered."""
    if prev is None:
        return True
    return _num_key(cand) > _num_key(prev)


class _Builder:
    def __init__(self, act_id: str, lang: str, url: str):
        self.act_id, self.lang, self.url = act_id, lang, url
        self.tokens = TOKENS.get(lang, TOKENS["rus"])
        self.nodes: list[_Node] = []
        self.ids: set[str] = set()
        self.stack: list[_Node] = []
        self.amendments: list[dict] = []
        self.pending_editor: list[str] = []      # editor's notes waiting for their provision
        self.preamble: _Node | None = None
        self.by_id: dict[str, _Node] = {}
        self._top_last: dict[str, str] = {}     # last point number of an act without articles

    # -- ids and citation paths ---------------------------------------------------------------

    def _slug(self, kind: str, level: str, number: str | None, parent: _Node | None, heading) -> str:
        anchor_parent = parent
        if kind in ("part", "subpart", "paragraph"):
            # numbered points cite through their article (or point), not through chapters
            while anchor_parent is not None and anchor_parent.kind in ("section", "chapter") \
                    and kind != "paragraph":
                anchor_parent = anchor_parent.parent
        number = _ascii(number) if number else number
        if level == "codepart":
            own = "genpart" if re.match(r"^(ОБЩАЯ|ЖАЛПЫ)", heading or "", re.I) else "specpart"
        elif level == "par":
            own = f"par{number}"
        else:
            own = {"section": "sec", "chapter": "ch", "article": "art", "part": "p",
                   "subpart": "sp", "paragraph": "a"}[level] + (number or "")
        if kind == "paragraph" and anchor_parent is None:
            base = own
        elif level == "par" or kind in ("part", "subpart", "paragraph"):
            base = f"{anchor_parent.id}-{own}" if anchor_parent is not None else own
        else:
            base = own
        slug, k = base, 2
        while slug in self.ids:
            slug, k = f"{base}_{k}", k + 1
        return slug

    def _path(self, level: str, number: str | None, parent: _Node | None, heading) -> str:
        if level == "codepart":
            return heading or ""
        token = self.tokens[level].format(number)
        chain = parent
        # «ст. 31 п. 1 пп. 2)»: the article and its points; headings cite alone
        if level in ("part", "subpart", "paragraph") and chain is not None:
            while chain is not None and chain.kind in ("section", "chapter"):
                chain = chain.parent
            if chain is not None and chain.path:
                return f"{chain.path} {token}"
        return token

    def open(self, kind: str, level: str, number: str | None, rank: int, heading=None,
             ident: str | None = None) -> _Node:
        while self.stack and self.stack[-1].rank >= rank:
            self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        node = _Node(id=ident or self._slug(kind, level, number, parent, heading), kind=kind,
                     level=level, number=number, rank=rank, heading=heading, parent=parent)
        self.by_id[node.id] = node
        node.path = self._path(level, number, parent, heading)
        node.position = len(self.nodes) + 1
        node.depth = parent.depth + 1 if parent else 0
        self.ids.add(node.id)
        self.nodes.append(node)
        self.stack.append(node)
        for note in self.pending_editor:
            self._note(note, node, kind_="editor_note")
        self.pending_editor = []
        return node

    # -- notes --------------------------------------------------------------------------------

    def _note(self, text: str, node: _Node | None, kind_: str, action: str | None = None) -> None:
        provision = node.id if node is not None else None
        if kind_ == "reference":
            refs = list(_CC_REF.finditer(text))
            for m in refs or [None]:
                self.amendments.append({
                    "provision": provision, "text": text, "action": "reference",
                    "amending_form": "Нормативное постановление Конституционного Суда" if m else None,
                    "amending_date": iso_date(m["date"]) if m else None,
                    "amending_number": m["number"] if m else None, "amending_act_id": None,
                    "what": None, "entry_into_force": None, "note_kind": kind_})
            return
        lang = "kaz" if self.lang == "kaz" else "rus"
        records = amend.parse_note(text, provision=provision, lang=lang)
        if kind_ == "editor_note":
            # An editor's note announces a change («предусматривается изменение Законом РК от …»):
            # keep the acts it names, as a note.
            body = _EDITOR.match(text).group(2) if _EDITOR.match(text) else text
            named = [r for r in amend.parse_note("Сноска. " + body, provision=provision, lang=lang)
                     if r.amending_date]
            records = named or records
            for r in records:
                r.text, r.action = text, "note"
        for r in records:
            if action:
                r.action = action
            d = r.to_dict()
            d["note_kind"] = kind_
            self.amendments.append(d)

    def footnote(self, text: str) -> None:
        node = self.stack[-1] if self.stack else None
        if node is None and self.preamble is not None and self.nodes and self.nodes[-1] is self.preamble:
            node = self.preamble
        m = _NOTE_ARTICLE.match(text)
        if m:
            # Adilet prints an article's footnote under its heading or after its last point:
            # the article the note names is the provision it annotates.
            named = self.by_id.get(f"art{_ascii(m.group(1) or m.group(2))}")
            if named is not None:
                node = named
        self._note(text, node, kind_="footnote")

    def reference(self, text: str) -> None:
        node = self.stack[-1] if self.stack else None
        while node is not None and node.kind not in ("article", "section", "chapter"):
            node = node.parent
        self._note(text, node, kind_="reference")

    # -- text ---------------------------------------------------------------------------------

    def text(self, text: str) -> None:
        m_part, m_sub = _PART.match(text), _SUBPART.match(text)
        container = self._container()
        if m_sub and container is not None and self._accepts(container, "subpart", m_sub.group(1)):
            self._numbered("subpart", m_sub.group(1), m_sub.group(2))
            return
        if m_part and self._accepts(container, "part", m_part.group(1)):
            self._numbered("part", m_part.group(1), m_part.group(2))
            return
        if not self.stack or self.stack[-1].kind in ("section", "chapter"):
            parent = self.stack[-1] if self.stack else None
            if parent is None:
                if self.preamble is None:
                    self.preamble = self.open("paragraph", "paragraph", None, 6, ident="preamble")
                    self.preamble.path = "преамбула" if self.lang != "kaz" else "кіріспе"
                    self.stack.pop()
                self.preamble.texts.append(text)
                return
            n = sum(1 for nd in self.nodes if nd.parent is parent and nd.kind == "paragraph") + 1
            node = self.open("paragraph", "paragraph", str(n), 6)
            node.texts.append(text)
            self.stack.pop()        # an unnumbered paragraph under a heading holds no points
            return
        self.stack[-1].texts.append(text)       # an «абзац» continues the open provision

    def _container(self) -> _Node | None:
        """The open article, part or subpart (what numbered points attach to)."""
        for node in reversed(self.stack):
            if node.kind in ("article", "part", "subpart"):
                return node
        return None

    def _accepts(self, container: _Node | None, kind: str, number: str) -> bool:
        if kind == "subpart":
            # subparts live in a part or directly in an article; their list restarts per part
            owner = next((n for n in reversed(self.stack) if n.kind in ("part", "article")), None)
            if owner is None:
                return False
            return _follows(owner.last_child_number.get("subpart"), number)
        owner = next((n for n in reversed(self.stack) if n.kind == "article"), None)
        if owner is None:
            # acts without articles (orders): points under the headings; one list for the act
            return _follows(self._top_last.get("part"), number)
        return _follows(owner.last_child_number.get("part"), number)

    def _numbered(self, kind: str, number: str, rest: str) -> None:
        if kind == "subpart":
            owner = next(n for n in reversed(self.stack) if n.kind in ("part", "article"))
            while self.stack[-1] is not owner:
                self.stack.pop()
        else:
            owner = next((n for n in reversed(self.stack) if n.kind == "article"), None)
            if owner is not None:
                while self.stack[-1] is not owner:
                    self.stack.pop()
            else:
                while self.stack and self.stack[-1].kind in ("part", "subpart", "paragraph"):
                    self.stack.pop()
        if owner is not None:
            owner.last_child_number[kind] = number
        else:
            self._top_last[kind] = number
        node = self.open(kind, kind, number, _RANK[kind] if owner is not None else 6)
        if _EXCLUDED.match(rest.strip()):
            node.excluded = True
            self._note(rest.strip(), node, kind_="exclusion", action="excluded")
        elif rest.strip():
            node.texts.append(rest.strip())

    def heading(self, para: _Para) -> None:
        kind = "article" if para.level == "article" else ("chapter" if para.level in ("chapter", "par")
                                                        else "section")
        last = self.nodes[-1] if self.nodes else None
        if last is not None and last.level == para.level and last.number == (_ascii(para.number) if para.number else None) \
                and not last.texts and para.level != "codepart":
            # Adilet repeats a heading after a footnote about it («Глава 7 …», «Сноска. Глава 7
            # в редакции …», «Глава 7 …»): one provision
            while self.stack and self.stack[-1].rank >= last.rank:
                self.stack.pop()
            self.stack.append(last)
            last.heading = last.heading or para.title
            return
        self.open(kind, para.level, _ascii(para.number) if para.number else None, para.rank,
                  heading=para.title)

    # -- result -------------------------------------------------------------------------------

    def finish(self) -> list[dict]:
        out = []
        for node in self.nodes:
            text = "\n".join(t for t in node.texts if t) or None
            if node.kind == "article" and not node.excluded and not text and node.heading and \
                    _EXCLUDED.search(node.heading):
                # «87-бап - 88-баптар алынып тасталды - ҚР 2000.03.29 № 44 Заңымен»
                node.excluded = True
                self._note(node.heading, node, kind_="exclusion", action="excluded")
            if node.kind == "article" and not node.excluded and text and \
                    not any(n.parent is node for n in self.nodes) and _EXCLUDED.match(text):
                node.excluded = True
                self._note(text, node, kind_="exclusion", action="excluded")
            if node.kind == "article" and not node.excluded and not text and \
                    not any(n.parent is node for n in self.nodes) and any(
                        a["provision"] == node.id and a["action"] in ("excluded", "repealed")
                        and a.get("note_kind") == "footnote" for a in self.amendments):
                node.excluded = True
            out.append({
                "id": node.id, "kind": node.kind, "level": node.level, "number": node.number,
                "heading": node.heading, "text": None if node.excluded else text,
                "anchor": None, "anchor_inherited": False,
                "parent": node.parent.id if node.parent else None,
                "position": node.position, "depth": node.depth, "excluded": node.excluded,
                "path": node.path, "url": self.url,
            })
        return out


def read_adilet_text(text: str, *, act_id: str, lang: str = "rus") -> dict:
    """One act's saved page text → {"act", "provisions", "amendments"}.

    Raises TextFileError when the text has no Adilet structure at all (no article, point or
    heading): such a file is not an act's text and must not replace a good copy.
    """
    if lang not in ("rus", "kaz"):
        raise TextFileError(f"{act_id}: language {lang!r} not supported (rus, kaz)")
    url = CANONICAL.format(lang=lang, act_id=act_id)
    b = _Builder(act_id, lang, url)
    status, repeal_note = "in_force", None
    for para in paragraphs(text):
        if para.kind == "heading":
            b.heading(para)
        elif para.kind == "footnote":
            if not b.nodes and _ACT_REPEALED.match(para.text):
                status, repeal_note = "repealed", para.text
            b.footnote(para.text)
        elif para.kind == "editor":
            b.pending_editor.append(para.text)
            continue
        elif para.kind == "reference":
            b.reference(para.text)
        elif para.kind == "toc":
            continue
        else:
            if b.pending_editor and not _EDITOR.match(b.pending_editor[-1]).group(2).strip():
                # «Примечание ИЗПИ!» alone on its line: the next paragraph is the note's body
                b.pending_editor[-1] += " " + para.text
                continue
            b.text(para.text)
    for note in b.pending_editor:             # editor's notes at the very end: the act's
        b._note(note, None, kind_="editor_note")
    provisions = b.finish()
    if not any(p["kind"] in ("article", "part") for p in provisions):
        raise TextFileError(f"{act_id} ({lang}): no articles or numbered points found: "
                            "not the text of an Adilet act page")
    act = {"id": act_id, "lang": lang, "title": None, "form": None, "number": None,
           "date_adopted": None, "issuing_body": None, "status": status, "status_raw": None,
           "requisites": None, "repeal_note": repeal_note, "registration_number": None,
           "registration_date": None, "url": url, "as_of": None}
    return {"act": act, "provisions": provisions, "amendments": b.amendments}


def article_headings(text: str) -> list[str]:
    """The article numbers of every article heading in the file, in order (for checks)."""
    return [p.number for p in paragraphs(text) if p.kind == "heading" and p.level == "article"]


def article_spans(text: str) -> dict[str, str]:
    """{article number: everything printed under its heading (title, text and notes)}, up to
    the next heading. Both an act's page text and the text of its PDF are read this way, so the
    two copies can be compared article by article."""
    spans: dict[str, list[str]] = {}
    current: list[str] | None = None
    for para in paragraphs(text):
        if para.kind == "heading":
            if para.level == "article":
                current = spans.setdefault(para.number, [])
                current.append(para.title or "")
            else:
                current = None
            continue
        if current is not None:
            current.append(para.text)
    return {number: "\n".join(parts) for number, parts in spans.items()}
