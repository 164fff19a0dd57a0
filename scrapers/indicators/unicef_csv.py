"""UNICEF Data Warehouse SDMX REST "csv" format, and the live fetcher that asks for it.

The format has ID/label column pairs: ``REF_AREA,Geographic area,INDICATOR,Indicator,SEX,Sex,
…,TIME_PERIOD,OBS_VALUE,…,LOWER_BOUND,UPPER_BOUND,OBS_STATUS,Observation Status``. It is not
SDMX-CSV (no DATAFLOW/STRUCTURE column), so sdmx1's CSV reader rejects it; the csv module reads
it and columns are taken by name. The ``format=sdmx-csv&labels=both`` variant (``REF_AREA:Geographic
area`` headers, ``KAZ: Kazakhstan`` values) is accepted too.
"""
from __future__ import annotations

import httpx

from scrapers.indicators.common import decode, read_csv, require_columns, year_of
from scrapers.indicators.errors import ImportError_
from scrapers.indicators.records import (
    Observation, ParseResult, Skip, SourceMeta, check_unique, parse_number,
)

BASE_URL = "https://sdmx.data.unicef.org/ws/public/sdmxapi/rest/data"
REQUIRED = ("REF_AREA", "INDICATOR", "SEX", "TIME_PERIOD", "OBS_VALUE")
DIMENSION_DEFAULTS = {"SEX": "_T", "RESIDENCE": "_T", "WEALTH_QUINTILE": "_T", "AGE": "_T"}


def _code(value: str) -> str:
    # "KAZ: Kazakhstan" (labels=both) → "KAZ"
    return value.split(": ", 1)[0].strip() if ": " in value else value.strip()


def parse_unicef_sdmx_csv(data: bytes, meta: SourceMeta, *, codemap: dict[str, str] | None = None,
                          area_resolver=None) -> ParseResult:
    """Parse the csv; ``codemap`` maps INDICATOR codes to catalogue codes (unmapped → skipped)."""
    file = meta.label
    records = read_csv(decode(data, file))
    if not records or not records[0][1]:
        raise ImportError_(file, 1, "no header line")
    header_line, header = records[0]
    header = [h.split(":", 1)[0].strip() for h in header]
    pos = require_columns(header, REQUIRED, file, header_line)
    result = ParseResult()

    def get(fields, name):
        i = pos.get(name)
        return fields[i] if i is not None and i < len(fields) else ""

    for line, fields in records[1:]:
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise ImportError_(file, line, f"{len(fields)} fields, the header has {len(header)}")
        src_code = _code(get(fields, "INDICATOR"))
        area = _code(get(fields, "REF_AREA"))
        if codemap is not None and src_code not in codemap:
            result.skipped.append(Skip(file, line, "INDICATOR", src_code, "indicator not in the catalogue"))
            continue
        area_code = area_resolver(area) if area_resolver else area
        if not area_code:
            result.skipped.append(Skip(file, line, "REF_AREA", area, "area not in areas.yml"))
            continue
        value, raw = parse_number(get(fields, "OBS_VALUE"), file=file, row=line, column="OBS_VALUE")
        if value is None:
            result.skipped.append(Skip(file, line, "OBS_VALUE", raw, "missing value"))
            continue
        lower, _ = parse_number(get(fields, "LOWER_BOUND"), file=file, row=line, column="LOWER_BOUND")
        upper, _ = parse_number(get(fields, "UPPER_BOUND"), file=file, row=line, column="UPPER_BOUND")
        period = get(fields, "TIME_PERIOD").strip()
        if not period:
            raise ImportError_(file, line, "empty TIME_PERIOD", column="TIME_PERIOD")
        dims = {k: (_code(get(fields, k)) or d) for k, d in DIMENSION_DEFAULTS.items()}
        result.observations.append(Observation(
            indicator_code=codemap[src_code] if codemap is not None else src_code,
            area_code=area_code, sex=dims["SEX"], residence=dims["RESIDENCE"],
            wealth_quintile=dims["WEALTH_QUINTILE"], age=dims["AGE"],
            period=period, year=year_of(period), value=value, value_raw=raw,
            lower_bound=lower, upper_bound=upper,
            unit=(get(fields, "Unit of measure") or _code(get(fields, "UNIT_MEASURE")) or None),
            obs_status=_code(get(fields, "OBS_STATUS")) or None,
            data_source=_code(get(fields, "DATA_SOURCE")) or None,
            source=meta.source, source_file=meta.source_file, source_url=meta.source_url,
            retrieved_at=meta.retrieved_at, content_sha256=meta.content_sha256, row=line,
        ))
    check_unique(result.observations, file)
    return result


def unicef_sdmx_url(flow: str, key: str, *, agency: str = "UNICEF", version: str = "1.0") -> str:
    return f"{BASE_URL}/{agency},{flow},{version}/{key}"


def fetch_unicef_sdmx(flow: str, key: str, *, client: httpx.Client, retrieved_at: str | None = None,
                      codemap: dict[str, str] | None = None, area_resolver=None,
                      start_period: str | None = None, end_period: str | None = None) -> ParseResult:
    """Fetch one UNICEF SDMX REST query as csv and parse it with :func:`parse_unicef_sdmx_csv`.

    ``client`` is any httpx.Client (the project's polite client in production, a MockTransport
    in tests). HTTP errors raise :class:`ImportError_` naming the URL.
    """
    from datetime import datetime, timezone

    params = {"format": "csv"}
    if start_period:
        params["startPeriod"] = start_period
    if end_period:
        params["endPeriod"] = end_period
    url = unicef_sdmx_url(flow, key)
    response = client.get(url, params=params, headers={"Accept": "text/csv"})
    if response.status_code != 200:
        raise ImportError_(str(response.url), None, f"HTTP {response.status_code}")
    meta = SourceMeta.for_bytes(
        response.content, source="unicef_sdmx", source_url=str(response.url),
        retrieved_at=retrieved_at or datetime.now(timezone.utc).isoformat(timespec="seconds"))
    return parse_unicef_sdmx_csv(response.content, meta, codemap=codemap, area_resolver=area_resolver)
