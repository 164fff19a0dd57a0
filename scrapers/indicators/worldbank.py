"""World Bank WDI: the bulk CSV download and the API v2 JSON, sharing one row builder.

Bulk CSV (API_<code>_DS2_en_csv_v2_<n>.csv): optional BOM, optional metadata lines
("Data Source", "Last Updated Date", blanks), then ``"Country Name","Country Code",
"Indicator Name","Indicator Code","1960",…`` with one column per year and a trailing comma.
An empty cell is a missing value, never zero.

API v2 JSON: ``[{"page","pages","per_page","total",…}, [{"indicator":{"id"},"countryiso3code",
"date","value",…}, …]]``; ``value`` null when missing. Numbers are kept as their JSON text.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import httpx

from scrapers.indicators.common import decode, read_csv, year_of
from scrapers.indicators.errors import ImportError_
from scrapers.indicators.records import (
    Observation, ParseResult, Skip, SourceMeta, check_unique, parse_number,
)

API_URL = "https://api.worldbank.org/v2/country/{country}/indicator/{code}"
_YEAR_COL = re.compile(r"^\d{4}$")


def _observation(meta: SourceMeta, *, indicator: str, area: str, period: str, value: float,
                 raw: str, row, sex: str, data_source: str | None, unit: str | None = None,
                 obs_status: str | None = None) -> Observation:
    return Observation(
        indicator_code=indicator, area_code=area, sex=sex, period=period, year=year_of(period),
        value=value, value_raw=raw, unit=unit, obs_status=obs_status, data_source=data_source,
        source=meta.source, source_file=meta.source_file, source_url=meta.source_url,
        retrieved_at=meta.retrieved_at, content_sha256=meta.content_sha256, row=row)


def _map(code: str, codemap: dict | None):
    """→ (catalogue code, sex) or None when the catalogue does not map the WB code."""
    if codemap is None:
        return code, "_T"
    if code not in codemap:
        return None
    target, opts = codemap[code]
    return target, opts.get("sex", "_T")


def parse_worldbank_csv(data: bytes, meta: SourceMeta, *, codemap: dict | None = None,
                        area_resolver=None) -> ParseResult:
    """``codemap``: WB code → (catalogue code, options with optional ``sex``)."""
    file = meta.label
    records = read_csv(decode(data, file))
    header_at = None
    last_updated = None
    for i, (line, fields) in enumerate(records):
        if fields[:1] == ["Last Updated Date"] and len(fields) > 1:
            last_updated = fields[1]
        if fields[:2] == ["Country Name", "Country Code"]:
            header_at = i
            break
    if header_at is None:
        raise ImportError_(file, None, 'no header line starting "Country Name","Country Code"')
    line, header = records[header_at]
    header = [h.strip() for h in header]
    if header[2:4] != ["Indicator Name", "Indicator Code"]:
        raise ImportError_(file, line, f"expected Indicator Name, Indicator Code in columns 3-4, got {header[2:4]}")
    years = [(i, h) for i, h in enumerate(header) if _YEAR_COL.match(h)]
    if not years:
        raise ImportError_(file, line, "no year columns in the header")
    stray = [h for h in header[4:] if h and not _YEAR_COL.match(h)]
    if stray:
        raise ImportError_(file, line, f"unexpected column(s) {stray}")
    data_source = "World Development Indicators" + (f", last updated {last_updated}" if last_updated else "")
    result = ParseResult()
    for line, fields in records[header_at + 1:]:
        if not fields or all(not f.strip() for f in fields):
            continue
        # a trailing comma gives one extra empty field
        if len(fields) not in (len(header), len(header) + 1) or (len(fields) > len(header) and fields[-1]):
            raise ImportError_(file, line, f"{len(fields)} fields, the header has {len(header)}")
        wb_code, country = fields[3].strip(), fields[1].strip()
        mapped = _map(wb_code, codemap)
        if mapped is None:
            result.skipped.append(Skip(file, line, "Indicator Code", wb_code, "indicator not in the catalogue"))
            continue
        area = area_resolver(country) if area_resolver else country
        if not area:
            result.skipped.append(Skip(file, line, "Country Code", country, "area not in areas.yml"))
            continue
        for i, year in years:
            value, raw = parse_number(fields[i], file=file, row=line, column=year)
            if value is None:
                result.skipped.append(Skip(file, line, year, raw, "missing value"))
                continue
            result.observations.append(_observation(
                meta, indicator=mapped[0], area=area, period=year, value=value, raw=raw, row=line,
                sex=mapped[1], data_source=data_source))
    check_unique(result.observations, file)
    return result


def parse_worldbank_api_page(doc, meta: SourceMeta, *, codemap: dict | None = None,
                             area_resolver=None, page_label: str | None = None) -> tuple[dict, ParseResult]:
    """One decoded API v2 page (numbers as strings) → (header, observations)."""
    file = page_label or meta.label
    if (not isinstance(doc, list) or len(doc) < 1 or not isinstance(doc[0], dict)):
        raise ImportError_(file, None, "not a World Bank API v2 response ([header, rows])")
    if "message" in doc[0]:
        raise ImportError_(file, None, f"API error: {doc[0]['message']}")
    header = doc[0]
    rows = doc[1] if len(doc) > 1 and doc[1] is not None else []
    result = ParseResult()
    last_updated = header.get("lastupdated")
    data_source = "World Development Indicators" + (f", last updated {last_updated}" if last_updated else "")
    for n, r in enumerate(rows, 1):
        try:
            wb_code = r["indicator"]["id"]
            country = r.get("countryiso3code") or r["country"]["id"]
            period = str(r["date"])
        except (KeyError, TypeError):
            raise ImportError_(file, n, "row lacks indicator.id, countryiso3code or date") from None
        mapped = _map(wb_code, codemap)
        if mapped is None:
            result.skipped.append(Skip(file, n, "indicator", wb_code, "indicator not in the catalogue"))
            continue
        area = area_resolver(country) if area_resolver else country
        if not area:
            result.skipped.append(Skip(file, n, "countryiso3code", country, "area not in areas.yml"))
            continue
        value, raw = parse_number(r.get("value"), file=file, row=n, column="value")
        if value is None:
            result.skipped.append(Skip(file, n, period, raw, "missing value"))
            continue
        result.observations.append(_observation(
            meta, indicator=mapped[0], area=area, period=period, value=value, raw=raw, row=n,
            sex=mapped[1], data_source=data_source, unit=r.get("unit") or None,
            obs_status=r.get("obs_status") or None))
    return header, result


def fetch_worldbank(code: str, *, client: httpx.Client, country: str = "KAZ",
                    retrieved_at: str | None = None, codemap: dict | None = None,
                    area_resolver=None, per_page: int = 1000, max_pages: int = 100) -> ParseResult:
    """All pages of ``/v2/country/{country}/indicator/{code}?format=json``."""
    url = API_URL.format(country=country, code=code)
    retrieved_at = retrieved_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
    result = ParseResult()
    page, pages = 1, 1
    while page <= pages:
        if page > max_pages:
            raise ImportError_(url, None, f"more than {max_pages} pages")
        response = client.get(url, params={"format": "json", "per_page": per_page, "page": page})
        label = str(response.url)
        if response.status_code != 200:
            raise ImportError_(label, None, f"HTTP {response.status_code}")
        try:
            doc = json.loads(decode(response.content, label), parse_float=str, parse_int=str)
        except json.JSONDecodeError as e:
            raise ImportError_(label, e.lineno, f"invalid JSON: {e.msg}") from None
        meta = SourceMeta.for_bytes(response.content, source="worldbank", source_url=label,
                                    retrieved_at=retrieved_at)
        header, part = parse_worldbank_api_page(doc, meta, codemap=codemap,
                                                area_resolver=area_resolver, page_label=label)
        result.extend(part)
        try:
            pages = int(header.get("pages") or 1)
        except (TypeError, ValueError):
            raise ImportError_(label, None, f"bad 'pages' in header: {header.get('pages')!r}") from None
        page += 1
    check_unique(result.observations, url)
    return result
