"""Citations of provisions: the string Kazakh lawyers write, and BibTeX, RIS and CSL-JSON.

`provision_row` and `act_row` are mappings with the columns of the `provisions` and `acts`
tables (sqlite3.Row, dicts from sqlite-utils or Datasette rows all work).

    Закон Республики Казахстан от 8 августа 2002 года № 345-II «О правах ребенка в Республике
    Казахстан», ст. 16-1, п. 2 (с изменениями и дополнениями по состоянию на 05.08.2026).
    URL: https://adilet.zan.kz/rus/docs/Z020000345_#z123 (дата обращения: 05.08.2026)
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Mapping
from urllib.parse import quote, urlsplit

MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                   "сентября", "октября", "ноября", "декабря")

# Issuer phrase by act form when the requisites line is missing.
FORM_ISSUER = {
    "закон": "Закон Республики Казахстан",
    "кодекс": "Кодекс Республики Казахстан",
    "конституция": "Конституция Республики Казахстан",
    "конституционный закон": "Конституционный закон Республики Казахстан",
    "указ": "Указ Президента Республики Казахстан",
    "постановление": "Постановление Правительства Республики Казахстан",
    "распоряжение": "Распоряжение Премьер-Министра Республики Казахстан",
}

_PATH_SPLIT_RE = re.compile(r"\s+(?=(?:разд|гл|ст|ч|п|пп|абз)\.\s)")
_REQUISITES_ISSUER_RE = re.compile(r"^\s*(.+?)\s+от\s+\d")
_QUOTES = "«»\"“”„ "


def _get(row: Mapping | None, key: str, default=None):
    if row is None:
        return default
    try:
        value = row[key]
    except (KeyError, IndexError):
        return default
    if isinstance(value, dict) and "value" in value:  # Datasette expanded label
        value = value["value"]
    return default if value is None else value


def safe_url(value) -> str | None:
    """The URL if it is an absolute http(s) URL, made safe to print anywhere; else None.

    Links in pages, feeds and exports come from the data (a corpus JSON's `url`, a fetched
    page's address): a `javascript:` or `data:` URL there must never become a link. Spaces,
    control characters, quotes, angle brackets, braces and backslashes are percent-encoded
    (none is valid in a URL), so the result cannot leave an HTML attribute, a BibTeX field or
    a RIS line.
    """
    if value is None:
        return None
    text = str(value).strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(text, safe="/:?#[]@!$&'()*+,;=%-._~")


def _link(provision_row: Mapping | None, act_row: Mapping | None) -> str | None:
    """The provision's official URL, else its act's; only a safe one (see safe_url)."""
    return safe_url(_get(provision_row, "url")) or safe_url(_get(act_row, "url"))


def parse_date(value) -> date | None:
    """ISO date or datetime (with or without time zone) → date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        m = re.match(r"(\d{2})\.(\d{2})\.(\d{4})", text)
        if m:
            return date(int(m[3]), int(m[2]), int(m[1]))
        return None


def ru_long_date(value) -> str:
    """2002-08-08 → «8 августа 2002 года»."""
    d = parse_date(value)
    if d is None:
        return ""
    return f"{d.day} {MONTHS_GENITIVE[d.month - 1]} {d.year} года"


def ru_short_date(value) -> str:
    d = parse_date(value)
    return d.strftime("%d.%m.%Y") if d else ""


def format_path(path: str | None) -> str:
    """«ст. 16-1 п. 2 пп. 3)» → «ст. 16-1, п. 2, пп. 3)»."""
    if not path:
        return ""
    parts = _PATH_SPLIT_RE.split(path.strip())
    return ", ".join(p.strip().rstrip(",") for p in parts if p.strip())


def act_issuer(act_row: Mapping) -> str:
    """«Закон Республики Казахстан», «Приказ Министра просвещения Республики Казахстан» …"""
    requisites = _get(act_row, "requisites", "")
    m = _REQUISITES_ISSUER_RE.match(requisites) if requisites else None
    if m:
        return m.group(1).strip()
    form = (_get(act_row, "form", "") or "").strip()
    if form.lower() in FORM_ISSUER:
        return FORM_ISSUER[form.lower()]
    body = _get(act_row, "issuing_body", "")
    return " ".join(x for x in (form, body) if x) or "Акт"


def act_title(act_row: Mapping) -> str:
    """The act's name without a leading form phrase and outer quotes."""
    title = (_get(act_row, "title", "") or "").strip()
    if title and title == _get(act_row, "id"):
        # The build's placeholder for an act whose source states no title (a statutory text
        # such as the Constitution's JSON): not a title to quote.
        return ""
    for prefix in ("Кодекс Республики Казахстан", "Конституционный закон Республики Казахстан",
                   "Закон Республики Казахстан"):
        if title.startswith(prefix) and len(title) > len(prefix) + 3:
            title = title[len(prefix):].strip()
            break
    return title.strip(_QUOTES)


def _self_named(act_row: Mapping) -> str | None:
    """A title that is itself the act's name with its form («Трудовой кодекс Республики
    Казахстан», «Конституция Республики Казахстан»): cited as it stands, not in quotes after
    the form."""
    title = act_title(act_row)
    if title and title.endswith("Республики Казахстан") and \
            re.search(r"(?i)(кодекс|конституция)", title):
        return title
    return None


def act_reference(act_row: Mapping) -> str:
    """«Закон Республики Казахстан от 8 августа 2002 года № 345-II «О правах ребенка …»»;
    «Трудовой кодекс Республики Казахстан от 23 ноября 2015 года № 414-V»; «Конституция
    Республики Казахстан (принята на республиканском референдуме 30 августа 1995 года)»."""
    adopted = ru_long_date(_get(act_row, "date_adopted"))
    named = _self_named(act_row)
    if named and (_get(act_row, "form", "") or "").lower() == "конституция":
        return named + (f" (принята на республиканском референдуме {adopted})" if adopted else "")
    if named:
        bits = [named] + ([f"от {adopted}"] if adopted else []) + \
            ([f"№ {_get(act_row, 'number')}"] if _get(act_row, "number") else [])
        return " ".join(bits)
    bits = [act_issuer(act_row)]
    if adopted:
        bits.append(f"от {adopted}")
    number = _get(act_row, "number")
    if number:
        bits.append(f"№ {number}")
    title = act_title(act_row)
    if title:
        bits.append(f"«{title}»")
    return " ".join(bits)


def act_name(act_row: Mapping) -> str:
    """«Закон Республики Казахстан «О правах ребенка в Республике Казахстан»» (no date/number)."""
    named = _self_named(act_row)
    if named:
        return named
    title = act_title(act_row)
    return f"{act_issuer(act_row)} «{title}»" if title else act_issuer(act_row)


def citation_string(provision_row: Mapping | None, act_row: Mapping, retrieved=None,
                    as_of=None) -> str:
    """The citation as a Kazakh lawyer writes it (see the module docstring).

    `retrieved` (date or ISO string) defaults to the provision's retrieved_at; `as_of` (the
    date of the consolidated text) to acts.as_of, then to the retrieval date (not for a
    statutory text, acts.source_kind 'statutory_text', which states its own date or none).
    A provision without an anchor (statutory text) links to the act: its url has no fragment.
    """
    retrieved = retrieved or _get(provision_row, "retrieved_at") or _get(act_row, "retrieved_at")
    # A page fetched from Adilet is the consolidated text of its retrieval day; a statutory text
    # copied from elsewhere is current only as of a date it states itself (acts.as_of).
    as_of = as_of or _get(act_row, "as_of") or \
        (None if _get(act_row, "source_kind") == "statutory_text" else retrieved)
    text = act_reference(act_row)
    path = format_path(_get(provision_row, "path"))
    if path:
        text += f", {path}"
    notes = []
    if _get(act_row, "status") == "repealed":
        notes.append("утратил силу")
    if as_of:
        notes.append(f"с изменениями и дополнениями по состоянию на {ru_short_date(as_of)}")
    if notes:
        text += " (" + "; ".join(notes) + ")"
    url = _link(provision_row, act_row)
    if url:
        text += f". URL: {url}"
    if retrieved:
        text += f" (дата обращения: {ru_short_date(retrieved)})"
    return text


# --- machine-readable formats --------------------------------------------------------------


def _items(pairs) -> list[tuple[Mapping, Mapping]]:
    """One (provision, act) pair or an iterable of pairs."""
    if isinstance(pairs, tuple) and len(pairs) == 2 and not isinstance(pairs[0], (tuple, list)):
        return [pairs]
    return list(pairs)


def csl_item(provision_row: Mapping, act_row: Mapping) -> dict:
    item = {
        "id": _get(provision_row, "id"),
        "type": "legislation",
        "title": act_name(act_row),
        "authority": _get(act_row, "issuing_body") or act_issuer(act_row),
        "number": _get(act_row, "number"),
        "section": format_path(_get(provision_row, "path")) or None,
        "URL": _link(provision_row, act_row),
        "jurisdiction": "kz",
        "language": "ru",
        "genre": _get(act_row, "form"),
        "note": citation_string(provision_row, act_row),
    }
    issued = parse_date(_get(act_row, "date_adopted"))
    if issued:
        item["issued"] = {"date-parts": [[issued.year, issued.month, issued.day]]}
    accessed = parse_date(_get(provision_row, "retrieved_at") or _get(act_row, "retrieved_at"))
    if accessed:
        item["accessed"] = {"date-parts": [[accessed.year, accessed.month, accessed.day]]}
    if _get(act_row, "status") == "repealed":
        item["status"] = "repealed"
    return {k: v for k, v in item.items() if v not in (None, "")}


def to_csljson(pairs) -> str:
    return json.dumps([csl_item(p, a) for p, a in _items(pairs)], ensure_ascii=False, indent=2)


_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&",
                   "#": r"\#", "_": r"\_", "$": r"\$", "~": r"\textasciitilde{}",
                   "^": r"\textasciicircum{}"}


def _bib_escape(value) -> str:
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in str(value))


def bibtex_key(provision_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", provision_id).strip("_") or "provision"


def to_bibtex(pairs) -> str:
    """@misc entries (biblatex reads them too).

    Every field but url is escaped for (La)TeX; url is kept as a URL (BibTeX's url field is
    verbatim) but only an http(s) one with braces and backslashes percent-encoded (safe_url).
    """
    entries = []
    keys: set[str] = set()
    for provision_row, act_row in _items(pairs):
        fields = [("title", _bib_escape(act_name(act_row))),
                  ("author", "{" + _bib_escape(_get(act_row, "issuing_body") or act_issuer(act_row)) + "}")]
        issued = parse_date(_get(act_row, "date_adopted"))
        if issued:
            fields += [("year", str(issued.year)), ("date", issued.isoformat())]
        if _get(act_row, "number"):
            fields.append(("number", _bib_escape(_get(act_row, "number"))))
        if _get(act_row, "form"):
            fields.append(("type", _bib_escape(_get(act_row, "form"))))
        path = format_path(_get(provision_row, "path"))
        if path:
            fields.append(("chapter", _bib_escape(path)))
        url = _link(provision_row, act_row)
        if url:
            # safe_url leaves no brace or backslash, so the value cannot close its field.
            fields.append(("url", url))
        accessed = parse_date(_get(provision_row, "retrieved_at") or _get(act_row, "retrieved_at"))
        if accessed:
            fields.append(("urldate", accessed.isoformat()))
        fields += [("language", "russian"),
                   ("note", _bib_escape(citation_string(provision_row, act_row)))]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        # Distinct ids can share a key (z5.2 and z5_2 both become z5_2); a .bib file with a
        # repeated key loses entries on import, so later ones get a suffix.
        key = base = bibtex_key(_get(provision_row, "id"))
        n = 1
        while key in keys:
            n += 1
            key = f"{base}_{n}"
        keys.add(key)
        entries.append(f"@misc{{{key},\n{body}\n}}\n")
    return "\n".join(entries)


def _ris_date(d: date | None) -> str | None:
    return d.strftime("%Y/%m/%d") if d else None


def to_ris(pairs) -> str:
    """RIS records of type STAT (statute)."""
    records = []
    for provision_row, act_row in _items(pairs):
        issued = parse_date(_get(act_row, "date_adopted"))
        accessed = parse_date(_get(provision_row, "retrieved_at") or _get(act_row, "retrieved_at"))
        lines = [
            ("TY", "STAT"),
            ("ID", _get(provision_row, "id")),
            ("TI", act_name(act_row)),
            ("A2", _get(act_row, "issuing_body") or act_issuer(act_row)),
            ("PY", str(issued.year) if issued else None),
            ("DA", _ris_date(issued)),
            ("M1", _get(act_row, "number")),
            ("SE", format_path(_get(provision_row, "path")) or None),
            ("UR", _link(provision_row, act_row)),
            ("Y2", _ris_date(accessed)),
            ("LA", "ru"),
            ("N1", citation_string(provision_row, act_row)),
        ]
        # One line per tag: any line break inside a value would start a bogus tag line.
        body = "".join(f"{tag}  - {' '.join(str(value).splitlines())}\r\n"
                       for tag, value in lines if value not in (None, ""))
        records.append(body + "ER  - \r\n")
    return "\r\n".join(records)
