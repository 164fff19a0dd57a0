"""Shared helpers for the Adilet page parsers: decoding, loading HTML, clean text, dates.

Kept apart from the parsers so that document, info, history and search pages all decode and
clean text the same way.
"""
import re

import lxml.html

from scrapers.adilet.errors import ParseError
from scrapers.adilet.ids import is_act_id

# A leading XML declaration makes lxml refuse str input ("Unicode strings with encoding
# declaration are not supported"); Adilet never sends one but saved copies may carry it.
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# \s covers nbsp (U+00A0), narrow nbsp and figure space in Python's Unicode regexes.
_WS = re.compile(r"\s+")
# Zero-width spaces, BOMs and soft hyphens also show up in Adilet text runs.
_INVISIBLE = re.compile("[\u200b\ufeff\xad]")


def decode(html: bytes | str) -> str:
    """Bytes to text: UTF-8 first (Adilet's encoding), whatever the page declares.

    Saved pages sometimes declare a wrong charset or none; the bytes are still UTF-8. Only if
    they are not valid UTF-8 do we fall back to windows-1251 (the usual Cyrillic legacy
    encoding), which decodes any byte sequence.
    """
    if isinstance(html, str):
        text = html
    elif isinstance(html, (bytes, bytearray, memoryview)):
        raw = bytes(html)
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1251", errors="replace")
    else:
        raise ParseError(f"expected HTML as bytes or str, got {type(html).__name__}")
    return _XML_DECL.sub("", text.lstrip("\ufeff"), count=1)


_ARTICLE_OPEN = re.compile(r"<article\b", re.I)
_ARTICLE_CLOSE = re.compile(r"</article\s*>", re.I)


def body_cut_off(text: str) -> bool:
    """True if the document body opens but never closes: the page was cut off (a truncated
    download or copy). lxml would close it silently and half the act would look complete."""
    opened = _ARTICLE_OPEN.search(text)
    return bool(opened) and not _ARTICLE_CLOSE.search(text, opened.end())


def load(html: bytes | str):
    """Parse HTML with lxml's forgiving parser and return the document root."""
    text = decode(html)
    if not text.strip():
        raise ParseError("empty page")
    try:
        return lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ParseError(f"cannot parse HTML: {exc}") from exc


def clean(text: str | None) -> str:
    """Collapse whitespace (incl. nbsp runs) to single spaces and strip."""
    if not text:
        return ""
    if "\u200b" in text or "\ufeff" in text or "\xad" in text:
        text = _INVISIBLE.sub("", text)
    return _WS.sub(" ", text).strip()


def has_class(el, name: str) -> bool:
    cls = el.get("class")
    return bool(cls) and name in cls.split()


def text_of(el) -> str:
    """Clean text of an element; <br> counts as a space (lxml drops it otherwise)."""
    parts = []
    for node in el.iter():
        if node is not el and node.tag == "br":
            parts.append(" ")
        if node is el:
            if el.text:
                parts.append(el.text)
            continue
        if isinstance(node.tag, str) and node.text:
            parts.append(node.text)
        if node.tail and node is not el:
            parts.append(node.tail)
    return clean("".join(parts))


def first(root, xpath: str):
    found = root.xpath(xpath)
    return found[0] if found else None


# --- dates ---------------------------------------------------------------------------------

RU_MONTHS = {"январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7,
             "август": 8, "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12}
KK_MONTHS = {"қаңтар": 1, "ақпан": 2, "наурыз": 3, "сәуір": 4, "мамыр": 5, "маусым": 6,
             "шілде": 7, "тамыз": 8, "қыркүйек": 9, "қазан": 10, "қараша": 11,
             "желтоқсан": 12}

_DMY = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_YMD = re.compile(r"\b(\d{4})\.(\d{1,2})\.(\d{1,2})\b")
_RU_DATE = re.compile(r"\b(\d{1,2})\s+([а-яё]+)\s+(\d{4})", re.I)
_EN_DATE = re.compile(r"\b(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})")
EN_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
             "sep": 9, "oct": 10, "nov": 11, "dec": 12}
_KK_DATE = re.compile(r"\b(\d{4})\s+жылғы\s+(\d{1,2})\s+([^\W\d]+)", re.I)

DATE_PATTERN = (r"(?:\d{1,2}\.\d{1,2}\.\d{4}|\d{4}\.\d{1,2}\.\d{1,2}"
                r"|\d{1,2}\s+[а-яё]+\s+\d{4}(?:\s+года)?|\d{4}\s+жылғы\s+\d{1,2}\s+[^\W\d]+"
                r"|\d{1,2}\s+(?:January|February|March|April|May|June|July|August|September"
                r"|October|November|December),?\s+\d{4})")


def _iso(y: int, m: int, d: int) -> str | None:
    if 1 <= m <= 12 and 1 <= d <= 31 and 1800 <= y <= 2200:
        return f"{y:04d}-{m:02d}-{d:02d}"
    return None


def _month(word: str, table: dict) -> int | None:
    word = word.lower()
    # Longest stem first so that «ма» (мая) never shadows «март».
    for stem in sorted(table, key=len, reverse=True):
        if word.startswith(stem):
            return table[stem]
    return None


def iso_date(text: str | None) -> str | None:
    """The first date in text as ISO YYYY-MM-DD: 23.11.2010, 2010.11.23 (Kazakh notes),
    «23 ноября 2010 года», «2010 жылғы 23 қарашадағы». None when there is none."""
    if not text:
        return None
    candidates = []
    for rx, kind in ((_DMY, "dmy"), (_YMD, "ymd"), (_RU_DATE, "ru"), (_KK_DATE, "kk"),
                     (_EN_DATE, "en")):
        m = rx.search(text)
        if m:
            candidates.append((m.start(), kind, m))
    for _, kind, m in sorted(candidates, key=lambda c: c[0]):
        if kind == "dmy":
            value = _iso(int(m[3]), int(m[2]), int(m[1]))
        elif kind == "ymd":
            value = _iso(int(m[1]), int(m[2]), int(m[3]))
        elif kind == "ru":
            month = _month(m[2], RU_MONTHS)
            value = _iso(int(m[3]), month, int(m[1])) if month else None
        elif kind == "en":
            month = _month(m[2][:3], EN_MONTHS) if len(m[2]) >= 3 else None
            value = _iso(int(m[3]), month, int(m[1])) if month else None
        else:
            month = _month(m[3], KK_MONTHS)
            value = _iso(int(m[1]), month, int(m[2])) if month else None
        if value:
            return value
    return None


# --- page identity -------------------------------------------------------------------------

_DOC_HREF = re.compile(r"^(?:https?://[^/]+)?/(rus|kaz|eng)/(?:archive/)?docs/([A-Za-z0-9_]{11})"
                       r"(/[a-z]+)?")
URL_RE = re.compile(r"^(?:https?://[^/]+)?/(rus|kaz|eng)/(?:archive/)?docs/([A-Za-z0-9_]{11})"
                    r"(?:/([a-z]+))?")


def url_parts(url: str | None) -> tuple[str | None, str | None, str | None]:
    """(lang, act_id, tab) from an Adilet URL, e.g. ('rus', 'V1600014592', 'info')."""
    if not url:
        return None, None, None
    m = URL_RE.match(url.strip())
    if not m:
        return None, None, None
    act_id = m[2] if is_act_id(m[2]) else None
    return m[1], act_id, m[3]


def page_lang(root) -> str | None:
    """The page language from `#container.lang_xxx`, the selected switcher link or the title."""
    container = root.get_element_by_id("container", None)
    if container is not None:
        for cls in (container.get("class") or "").split():
            if cls.startswith("lang_") and cls[5:] in ("rus", "kaz", "eng"):
                return cls[5:]
    for a in root.xpath('//li[contains(concat(" ", @class, " "), " selected ")]/a[@href]'):
        m = re.match(r"^/(rus|kaz|eng)/docs/[A-Za-z0-9_]{11}/?$", a.get("href"))
        if m:
            return m[1]
    title = text_of(root.find(".//title")) if root.find(".//title") is not None else ""
    if "АҚЖ" in title:
        return "kaz"
    if "ИПС" in title:
        return "rus"
    if "LIS" in title or "Adilet" in title:
        return "eng"
    return None


def page_act_id(root) -> str | None:
    """The act ID the page's own tabs point at (/xxx/docs/ID/info|history|links|download).

    Links inside the text point at other acts, so only tab-like links with a suffix count,
    and the most frequent ID wins.
    """
    counts: dict[str, int] = {}
    switcher: dict[str, set] = {}
    for a in root.iter("a"):
        href = a.get("href")
        if not href or "/docs/" not in href:
            continue
        m = _DOC_HREF.match(href)
        if not m:
            continue
        if m[3] in ("/info", "/history", "/links", "/download", "/compare", "/comments"):
            counts[m[2]] = counts.get(m[2], 0) + 1
        elif m[3] is None and href.rstrip("/") == m.group(0):
            switcher.setdefault(m[2], set()).add(m[1])
    if not counts:
        # No tabs: the language switcher links the same ID in two or more languages.
        counts = {k: len(v) for k, v in switcher.items() if len(v) >= 2}
    if not counts:
        return None
    best = max(counts, key=counts.get)
    return best if is_act_id(best) else None


def identify(root, url: str | None) -> tuple[str, str]:
    """(act_id, lang) from the URL if given, checked against the page, else from the page."""
    u_lang, u_id, _ = url_parts(url)
    p_id, p_lang = page_act_id(root), page_lang(root)
    if u_id and p_id and u_id != p_id:
        raise ParseError(f"the page is act {p_id} but the URL says {u_id}")
    act_id, lang = u_id or p_id, u_lang or p_lang
    if not act_id:
        raise ParseError("cannot tell which act this page is (no URL given, no tab links)")
    return act_id, lang or "rus"
