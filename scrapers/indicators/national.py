"""Kazakhstan national files: stat.gov.kz schools table, data.egov.kz population, qamqor.gov.kz
sentencing statistics. Region names are resolved through kb/data/areas.yml; an unknown name is
an error naming the file and row.
"""
from __future__ import annotations

import io
import re

from scrapers.indicators.common import decode, read_csv, require_columns
from scrapers.indicators.errors import ImportError_
from scrapers.indicators.records import (
    Observation, ParseResult, Skip, SourceMeta, check_unique, parse_number,
)

SCHOOLS_INDICATOR = "KZ_SCHOOLS_GENERAL"
_SCHOOL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
_BLOCKS = {"все население": "_T", "городское население": "U", "сельское население": "R"}
# «* Данные за 2000-2017 гг. по Южно-Казахстанской области.»
_STAR_NOTE = re.compile(r"^\*\s*Данные за (\d{4})\s*-\s*(\d{4})\s*гг\.?\s*по (.+?)(?:\s+области)?\.?\s*$")


def _obs(meta: SourceMeta, **kw) -> Observation:
    return Observation(source=meta.source, source_file=meta.source_file, source_url=meta.source_url,
                       retrieved_at=meta.retrieved_at, content_sha256=meta.content_sha256, **kw)


def _resolve(area_resolver, name: str, file: str, row: int) -> str:
    code = area_resolver(name)
    if not code:
        raise ImportError_(file, row, f"unknown region {name!r} (add it to kb/data/areas.yml aliases)")
    return code


def parse_stat_schools_xlsx(data: bytes, meta: SourceMeta, *, area_resolver) -> ParseResult:
    """BNS dynamic table «Число общеобразовательных школ»: blocks all/urban/rural × regions ×
    school years. A formula cell without a cached value (broken external links such as
    ``='[1]СВОД РК'!$G$32``) and «…» are reported, never guessed."""
    import openpyxl

    file = meta.label
    if not data:
        raise ImportError_(file, None, "empty file")
    try:
        values_wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        formulas_wb = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception as e:
        raise ImportError_(file, None, f"not a readable xlsx workbook: {type(e).__name__}: {e}") from None
    ws, wf = values_wb.worksheets[0], formulas_wb.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    title_row = next((i for i, r in enumerate(rows, 1) if r and isinstance(r[0], str)
                      and r[0].startswith("Число общеобразовательных школ")), None)
    if title_row is None:
        raise ImportError_(file, None, "no title «Число общеобразовательных школ» in column A")
    header_row = next((i for i, r in enumerate(rows, 1) if i > title_row
                       and any(isinstance(v, str) and _SCHOOL_YEAR.match(v) for v in r)), None)
    if header_row is None:
        raise ImportError_(file, None, "no header row of school years (2000/01 …)")
    unit = next((v for r in rows[title_row:header_row - 1] for v in r if isinstance(v, str) and v.strip()), None)
    years = [(c, v) for c, v in enumerate(rows[header_row - 1]) if isinstance(v, str) and _SCHOOL_YEAR.match(v)]
    star = None  # (first year, last year, area code) from the «*» footnote
    for i, r in enumerate(rows, 1):
        m = _STAR_NOTE.match(str(r[0] or "")) if r else None
        if m:
            star = (int(m.group(1)), int(m.group(2)), _resolve(area_resolver, m.group(3), file, i))
    result = ParseResult()
    residence = None
    for i in range(header_row + 1, len(rows) + 1):
        r = rows[i - 1]
        label = r[0] if r else None
        if not isinstance(label, str) or not label.strip():
            if r and any(v not in (None, "") for v in r[1:]):
                raise ImportError_(file, i, "values in a row without a region name")
            continue
        label = label.strip()
        if label.lower() in _BLOCKS:
            residence = _BLOCKS[label.lower()]
            continue
        if re.match(r"^(\d\)|\*)", label):
            continue  # footnotes
        if residence is None:
            raise ImportError_(file, i, f"region row {label!r} before any block heading")
        base_area = _resolve(area_resolver, label, file, i)
        for c, school_year in years:
            start = int(school_year[:4])
            area = base_area
            if label.endswith("*") and star and star[0] <= start <= star[1]:
                area = star[2]
            coord = wf.cell(row=i, column=c + 1).coordinate
            v = r[c] if c < len(r) else None
            formula = wf.cell(row=i, column=c + 1).value
            if v is None and isinstance(formula, str) and formula.startswith("="):
                result.skipped.append(Skip(file, i, coord, formula,
                                           "formula without a cached value (broken link); not guessed"))
                continue
            value, raw = parse_number(v, file=file, row=i, column=coord)
            if value is None:
                result.skipped.append(Skip(file, i, coord, raw,
                                           "«…» (data not available)" if raw == "…" else "missing value"))
                continue
            result.observations.append(_obs(
                meta, indicator_code=SCHOOLS_INDICATOR, area_code=area, residence=residence,
                period=school_year, year=start, value=value, value_raw=raw, unit=unit,
                data_source=f"stat.gov.kz «Число общеобразовательных школ», row {label!r}", row=i))
    check_unique(result.observations, file)
    return result


def parse_stat_schools_csv(data: bytes, meta: SourceMeta, *, area_resolver) -> ParseResult:
    """``Region,Value,Year``; Year 2022 is the school year 2022/23 (as in the xlsx)."""
    file = meta.label
    records = read_csv(decode(data, file))
    line, header = records[0]
    pos = require_columns([h.strip() for h in header], ("Region", "Value", "Year"), file, line)
    result = ParseResult()
    for line, f in records[1:]:
        if not f or all(not x.strip() for x in f):
            continue
        if len(f) != len(header):
            raise ImportError_(file, line, f"{len(f)} fields, the header has {len(header)}")
        year_text = f[pos["Year"]].strip()
        if not re.fullmatch(r"\d{4}", year_text):
            raise ImportError_(file, line, f"Year is not a year: {year_text!r}", column="Year")
        start = int(year_text)
        area = _resolve(area_resolver, f[pos["Region"]], file, line)
        value, raw = parse_number(f[pos["Value"]], file=file, row=line, column="Value")
        if value is None:
            result.skipped.append(Skip(file, line, "Value", raw, "missing value"))
            continue
        result.observations.append(_obs(
            meta, indicator_code=SCHOOLS_INDICATOR, area_code=area, period=f"{start}/{(start + 1) % 100:02d}",
            year=start, value=value, value_raw=raw, unit="единиц",
            data_source=f"stat.gov.kz schools.csv, Region {f[pos['Region']]!r}", row=line))
    check_unique(result.observations, file)
    return result


def parse_egov_population(data: bytes, meta: SourceMeta, *, area_resolver, indicator: str,
                          columns: dict[str, str], age: str) -> ParseResult:
    """data.egov.kz population by region, sex and age group. The file states no reference date:
    observations get period "undated" and year null. Only the child columns listed in the
    catalogue (``columns``: column → sex) are imported; the adult columns are reported."""
    file = meta.label
    records = read_csv(decode(data, file))
    line, header = records[0]
    header = [h.strip() for h in header]
    pos = require_columns(header, ("region", *columns), file, line)
    result = ParseResult()
    others = [h for h in header if h not in columns and h != "region"]
    if others:
        result.skipped.append(Skip(file, line, ", ".join(others), None, "adult age groups: not child indicators"))
    for line, f in records[1:]:
        if not f or all(not x.strip() for x in f):
            continue
        if len(f) != len(header):
            raise ImportError_(file, line, f"{len(f)} fields, the header has {len(header)}")
        area = _resolve(area_resolver, f[pos["region"]], file, line)
        for col, sex in columns.items():
            value, raw = parse_number(f[pos[col]], file=file, row=line, column=col)
            if value is None:
                result.skipped.append(Skip(file, line, col, raw, "missing value"))
                continue
            result.observations.append(_obs(
                meta, indicator_code=indicator, area_code=area, sex=sex, age=age, period="undated",
                year=None, value=value, value_raw=raw, unit="persons",
                obs_status="reference date not stated in the source",
                data_source=f"data.egov.kz kazakstan_respublikasy_halkyny1 v4, column {col}", row=line))
    check_unique(result.observations, file)
    return result


def parse_qamqor_sentencing(data: bytes, meta: SourceMeta, *, mappings: list[dict]) -> ParseResult:
    """qamqor.gov.kz sentencing statistics (preprocessed): rows = Criminal Code article labels
    by year. ``mappings``: [{indicator, label_pattern, column}] from the catalogue; rows whose
    label matches none are reported. The raw label is kept in data_source (article numbers in
    the labels shift by year in this file and are not trusted)."""
    file = meta.label
    records = read_csv(decode(data, file))
    line, header = records[0]
    header = [h.strip() for h in header]
    needed = ("type_of_punish", "year", *sorted({m["column"] for m in mappings}))
    pos = require_columns(header, needed, file, line)
    compiled = [(re.compile(m["label_pattern"]), m) for m in mappings]
    result = ParseResult()
    for line, f in records[1:]:
        if not f or all(not x.strip() for x in f):
            continue
        if len(f) != len(header):
            raise ImportError_(file, line, f"{len(f)} fields, the header has {len(header)}")
        label = f[pos["type_of_punish"]].strip()
        year_text = f[pos["year"]].strip()
        if not re.fullmatch(r"\d{4}", year_text):
            raise ImportError_(file, line, f"year is not a year: {year_text!r}", column="year")
        hits = [m for rx, m in compiled if rx.match(label)]
        if not hits:
            result.skipped.append(Skip(file, line, "type_of_punish", label, "not a child-specific article label"))
            continue
        if len(hits) > 1:
            raise ImportError_(file, line, f"label {label!r} matches several catalogue entries")
        m = hits[0]
        value, raw = parse_number(f[pos[m["column"]]], file=file, row=line, column=m["column"])
        if value is None:
            result.skipped.append(Skip(file, line, m["column"], raw, "missing value"))
            continue
        result.observations.append(_obs(
            meta, indicator_code=m["indicator"], area_code="KAZ", period=year_text, year=int(year_text),
            value=value, value_raw=raw, unit="persons",
            data_source=f"type_of_punish={label}; column {m['column']}", row=line))
    check_unique(result.observations, file)
    return result
