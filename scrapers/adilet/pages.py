"""Parsers for Adilet's side pages: /docs/{ID}/info, /docs/{ID}/history and search results.

No real saved copy of these pages exists yet (corpus/adilet/PROVENANCE.md), so they follow
the markup documented in SOURCES.md and stay lenient: rows are read by cell, labels matched
by words, and whatever is not recognised is still kept (`rows`, `cells`).
"""
import re
from dataclasses import asdict, dataclass, field
from urllib.parse import urljoin

from scrapers.adilet.errors import ParseError
from scrapers.adilet.ids import CANONICAL_HOST, OLD_HOST, canonical_url, is_act_id
from scrapers.adilet.markup import (first, has_class, identify, iso_date, load, page_lang,
                                    text_of, url_parts)

# Normalised /info fields: label words (lower case, rus/kaz/eng) -> field name.
_INFO_LABELS = [
    ("issuing_body", ("орган, принявший", "орган принявший", "қабылдаған орган",
                      "adopting body", "issuing body")),
    ("form", ("форма акта", "актінің нысаны", "нысаны", "form of")),
    ("legal_force", ("юридическая сила", "заңды күші", "legal force")),
    ("date_adopted", ("дата принятия", "қабылданған күні", "қабылдау күні", "date of adoption")),
    ("date_changed", ("дата изменения", "өзгертілген күні", "өзгерту күні", "date of amendment",
                      "date of change")),
    ("territory", ("территория", "аумағы", "territory")),
    ("registration_date", ("дата государственной регистрации", "дата регистрации",
                           "тіркелген күні", "тіркеу күні", "date of registration")),
    ("registration_number", ("регистрационный номер", "тіркеу нөмірі", "registration number")),
]
_DATE_FIELDS = {"date_adopted", "date_changed", "registration_date"}


def _ethernatable(root):
    table = root.get_element_by_id("ethernatable", None)
    if table is None or table.tag != "table":
        raise ParseError("no table#ethernatable on the page")
    return table


def _rows(table):
    """Rows of the table as lists of cell elements (nested tables stay inside their cell)."""
    for tr in table.xpath("./tr|./tbody/tr|./thead/tr|./tfoot/tr"):
        cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
        if cells:
            yield tr, cells


def _title(root) -> str | None:
    h1 = first(root, '//div[contains(concat(" ", @class, " "), " slogan ")]//h1')
    return text_of(h1) or None if h1 is not None else None


# --- /info ---------------------------------------------------------------------------------


@dataclass
class ParsedInfo:
    act_id: str
    lang: str
    url: str
    title: str | None
    rows: dict = field(default_factory=dict)
    issuing_body: str | None = None
    form: str | None = None
    legal_force: str | None = None
    date_adopted: str | None = None
    date_changed: str | None = None
    territory: str | None = None
    registration_number: str | None = None
    registration_date: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        lines = [f"{self.act_id} [{self.lang}] info: {self.title or ''}".rstrip()]
        for label, value in self.rows.items():
            lines.append(f"  {label}: {value}")
        return "\n".join(lines)


def parse_info(html: bytes | str, *, url: str | None = None) -> ParsedInfo:
    """Parse /{lang}/docs/{ID}/info: every row kept in `rows`, known ones normalised."""
    return info_from_root(load(html), url=url)


def info_from_root(root, *, url: str | None = None) -> ParsedInfo:
    table = _ethernatable(root)
    act_id, lang = identify(root, url)
    info = ParsedInfo(act_id=act_id, lang=lang, url=canonical_url(act_id, lang) + "/info",
                      title=_title(root))
    for _, cells in _rows(table):
        if len(cells) < 2:
            continue
        label = text_of(cells[0]).rstrip(" :")
        value = text_of(cells[1])
        if not label:
            continue
        info.rows[label] = value
        low = label.lower()
        for name, words in _INFO_LABELS:
            if getattr(info, name) is None and any(w in low for w in words):
                setattr(info, name, (iso_date(value) or value or None) if name in _DATE_FIELDS
                        else value or None)
                break
    if not info.rows:
        raise ParseError(f"{act_id}: table#ethernatable has no label/value rows")
    return info


# --- /history ------------------------------------------------------------------------------

_ARCHIVE = re.compile(r"/(rus|kaz|eng)/archive/docs/([A-Za-z0-9_]{11})/(\d{2}\.\d{2}\.\d{4})")
_DOC = re.compile(r"/(rus|kaz|eng)/docs/([A-Za-z0-9_]{11})(?![/\w])")
_STATUS_WORDS = ("новый", "обновленный", "утративший силу", "исправление ошибки", "жаңа",
                 "жаңартылған", "күшін жойған", "new", "updated", "repealed", "invalid")


@dataclass
class HistoryVersion:
    date: str | None                   # ISO date of the version
    title: str | None                  # the linked text
    amending_act: str | None           # requisites of the act that made this version
    amending_act_id: str | None        # its Adilet ID, if linked
    archive_url: str | None            # https://adilet.zan.kz/{lang}/archive/docs/{ID}/{DD.MM.YYYY}
    is_current: bool                   # the row links the current text (/docs/{ID})
    status_raw: str | None
    cells: list = field(default_factory=list)


@dataclass
class ParsedHistory:
    act_id: str
    lang: str
    url: str
    title: str | None
    versions: list[HistoryVersion] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self, first_n: int = 10) -> str:
        lines = [f"{self.act_id} [{self.lang}] history: {len(self.versions)} versions"]
        for v in self.versions[:first_n]:
            mark = " (current)" if v.is_current else ""
            lines.append(f"  {v.date or '?'}{mark} {v.amending_act or v.title or ''}"[:110])
        return "\n".join(lines)


def parse_history(html: bytes | str, *, url: str | None = None) -> ParsedHistory:
    """Parse /{lang}/docs/{ID}/history: one HistoryVersion per table row with a date or link."""
    return history_from_root(load(html), url=url)


def history_from_root(root, *, url: str | None = None) -> ParsedHistory:
    table = _ethernatable(root)
    act_id, lang = identify(root, url)
    history = ParsedHistory(act_id=act_id, lang=lang, title=_title(root),
                            url=canonical_url(act_id, lang) + "/history")
    for _, cells in _rows(table):
        if all(c.tag == "th" for c in cells):
            continue                               # header row
        texts = [text_of(c) for c in cells]
        archive_url = title = amending_id = None
        date = None
        is_current = False
        for a in (a for c in cells for a in c.iter("a")):
            href = a.get("href") or ""
            m = _ARCHIVE.search(href)
            if m and m[2] == act_id:
                archive_url = f"{CANONICAL_HOST}{m.group(0)}"
                date = iso_date(m[3])
                title = text_of(a) or title
                continue
            m = _DOC.search(href)
            if m and m[2] == act_id:
                is_current = True
                title = text_of(a) or title
            elif m and is_act_id(m[2]):
                amending_id = amending_id or m[2]
        if date is None:
            date = next((iso_date(t) for t in texts if re.fullmatch(r"[\d.\s]+", t) and iso_date(t)),
                        None)
        if date is None and archive_url is None and not is_current:
            continue
        status = next((t for t in texts if t.lower() in _STATUS_WORDS), None)
        amending = next((t for t in texts if "№" in t and t != title), None)
        history.versions.append(HistoryVersion(
            date=date, title=title, amending_act=amending, amending_act_id=amending_id,
            archive_url=archive_url, is_current=is_current, status_raw=status, cells=texts))
    if not history.versions:
        raise ParseError(f"{act_id}: table#ethernatable has no version rows")
    return history


# --- search results ------------------------------------------------------------------------

_TOTAL = re.compile(r"(?:Найдено|Табылды|Found)\s*:?\s*([\d\s\xa0]+)", re.I)


@dataclass
class SearchHit:
    act_id: str
    lang: str | None
    title: str
    url: str                           # canonical https://adilet.zan.kz/{lang}/docs/{ID}
    status_raw: str | None
    repealed: bool
    requisites: str | None
    snippet: str | None


@dataclass
class SearchPage:
    lang: str | None
    total: int | None
    page: int | None
    next_url: str | None
    hits: list[SearchHit] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self, first_n: int = 10) -> str:
        lines = [f"search results [{self.lang}]: {len(self.hits)} hits on this page"
                 f" of {self.total if self.total is not None else '?'} found"
                 f"; page {self.page or '?'}; next: {self.next_url or '-'}"]
        for h in self.hits[:first_n]:
            mark = " [repealed]" if h.repealed else ""
            lines.append(f"  {h.act_id}{mark} {h.title}"[:110])
        return "\n".join(lines)


def parse_search(html: bytes | str, *, url: str | None = None) -> SearchPage:
    """Parse a search results page (div.post_holder hits, «Найдено:»/«Табылды», pagination)."""
    return search_from_root(load(html), url=url)


def search_from_root(root, *, url: str | None = None) -> SearchPage:
    holders = root.xpath('//div[contains(concat(" ", @class, " "), " post_holder ")]')
    total = None
    for el in root.iter("p", "div", "span", "li", "h3", "h4"):
        # The counter is «Найдено: <strong>N</strong>»: look at the element's own text.
        own = (el.text or "")
        if el.text and _TOTAL.match(own.strip() + " "):
            strong = el.find(".//strong")
            digits = re.sub(r"\D", "", text_of(strong) if strong is not None else own)
            if digits:
                total = int(digits)
                break
    if not holders and total is None:
        raise ParseError("not a search results page (no div.post_holder, no «Найдено:»)")
    lang = url_parts(url)[0] if url and url_parts(url)[0] else page_lang(root)
    if lang is None and url:
        m = re.search(r"/(rus|kaz|eng)/", url)
        lang = m[1] if m else None
    page = SearchPage(lang=lang, total=total, page=None, next_url=None)
    for holder in holders:
        link = first(holder, './/h4[contains(concat(" ", @class, " "), " post_header ")]//a[@href]')
        if link is None:
            link = first(holder, ".//a[@href]")
        if link is None:
            continue
        m = _DOC.search(link.get("href")) or re.search(
            r"/(rus|kaz|eng)/docs/([A-Za-z0-9_]{11})", link.get("href"))
        if not m or not is_act_id(m[2]):
            continue
        badge = first(holder, './/span[contains(concat(" ", @class, " "), " status ")]')
        req = first(holder, "./p|./div/p")
        quote = holder.find(".//blockquote")
        page.hits.append(SearchHit(
            act_id=m[2], lang=m[1], title=text_of(link), url=canonical_url(m[2], m[1]),
            status_raw=text_of(badge) or None if badge is not None else None,
            repealed=badge is not None and has_class(badge, "status_yts"),
            requisites=text_of(req) or None if req is not None else None,
            snippet=text_of(quote) or None if quote is not None else None))
    nav = first(root, '//div[contains(concat(" ", @class, " "), " wp-pagenavi ")]')
    if nav is not None:
        nxt = first(nav, './/a[contains(concat(" ", @class, " "), " nextpostslink ")]')
        if nxt is not None and nxt.get("href"):
            page.next_url = urljoin(url or OLD_HOST + "/", nxt.get("href"))
        current = first(nav, './/span[contains(concat(" ", @class, " "), " current ")]')
        if current is not None and text_of(current).isdigit():
            page.page = int(text_of(current))
    return page
