"""SDMX-JSON 1.0 data messages (the UNICEF CME site's saved mock response).

Observation keys are colon-joined indices into ``structure.dimensions.observation``; each
observation array is ``[value, attribute index, …]`` indexing ``structure.attributes.observation``.

Why not sdmx1: its JSON reader (2.28) expects ``structure`` at the top level, and, when given
one, it drops attributes that have no values (STD_ERR, SERIES_METHOD … here) and then zips the
remaining attributes with the positional indices, so every later attribute is shifted (it
reports UPPER_BOUND 338.7 for the 1971 value 84.8, whose bounds are 69.7-103.4). The index
resolution is simple enough to do directly, keeping the positions the message defines.
"""
from __future__ import annotations

import json

from scrapers.indicators.common import decode, year_of
from scrapers.indicators.errors import ImportError_
from scrapers.indicators.records import (
    Observation, ParseResult, Skip, SourceMeta, check_unique, parse_number,
)


def _values(component: dict) -> list[str | None]:
    return [v.get("id") for v in component.get("values") or []]


def parse_sdmx_json(data: bytes, meta: SourceMeta, *, codemap: dict[str, str] | None = None,
                    area_resolver=None, data_source: str | None = None) -> ParseResult:
    file = meta.label
    try:
        doc = json.loads(decode(data, file), parse_float=str, parse_int=str)
    except json.JSONDecodeError as e:
        raise ImportError_(file, e.lineno, f"invalid JSON: {e.msg}") from None
    body = doc.get("data", doc) if isinstance(doc, dict) else None
    if not isinstance(body, dict) or "dataSets" not in body or "structure" not in body:
        raise ImportError_(file, None, "not an SDMX-JSON 1.0 data message (no data.dataSets / data.structure)")
    structure = body["structure"]
    dims = structure.get("dimensions", {}).get("observation") or []
    attrs = structure.get("attributes", {}).get("observation") or []
    dim_ids = [d["id"] for d in dims]
    for needed in ("REF_AREA", "INDICATOR", "TIME_PERIOD"):
        if needed not in dim_ids:
            raise ImportError_(file, None, f"no {needed} observation dimension (have {dim_ids})")
    if structure.get("dimensions", {}).get("series"):
        raise ImportError_(file, None, "series-level dimensions are not supported")
    dim_values = [_values(d) for d in dims]
    attr_ids = [a["id"] for a in attrs]
    attr_values = [_values(a) for a in attrs]
    result = ParseResult()
    for n, ds in enumerate(body["dataSets"]):
        for key, arr in (ds.get("observations") or {}).items():
            where = f"dataSets[{n}].observations[{key!r}]"
            try:
                idx = [int(i) for i in key.split(":")]
                if len(idx) != len(dims):
                    raise ValueError
                k = {dim_ids[i]: dim_values[i][j] for i, j in enumerate(idx)}
            except (ValueError, IndexError):
                raise ImportError_(file, None, f"observation key {key!r} does not resolve "
                                   f"against {len(dims)} dimensions", column=where) from None
            if not isinstance(arr, list) or not arr:
                raise ImportError_(file, None, "observation is not a non-empty array", column=where)
            a = {}
            for i, j in enumerate(arr[1:]):
                if j is None:
                    continue
                if i >= len(attrs) or int(j) >= len(attr_values[i]):
                    raise ImportError_(file, None, f"attribute index {j} at position {i + 1} "
                                       "does not resolve", column=where)
                a[attr_ids[i]] = attr_values[i][int(j)]
            src_code = k["INDICATOR"]
            if codemap is not None and src_code not in codemap:
                result.skipped.append(Skip(file, None, where, src_code, "indicator not in the catalogue"))
                continue
            area = area_resolver(k["REF_AREA"]) if area_resolver else k["REF_AREA"]
            if not area:
                result.skipped.append(Skip(file, None, where, k["REF_AREA"], "area not in areas.yml"))
                continue
            value, raw = parse_number(arr[0], file=file, row=None, column=where)
            if value is None:
                result.skipped.append(Skip(file, None, where, raw, "missing value"))
                continue
            lower, _ = parse_number(a.get("LOWER_BOUND"), file=file, row=None, column=where)
            upper, _ = parse_number(a.get("UPPER_BOUND"), file=file, row=None, column=where)
            period = k["TIME_PERIOD"]
            notes = [f"{d}={k[d]}" for d in dim_ids if d not in
                     ("REF_AREA", "INDICATOR", "SEX", "TIME_PERIOD", "AGE", "WEALTH_QUINTILE", "RESIDENCE")]
            result.observations.append(Observation(
                indicator_code=codemap[src_code] if codemap is not None else src_code,
                area_code=area, sex=k.get("SEX") or "_T", residence=k.get("RESIDENCE") or "_T",
                wealth_quintile=k.get("WEALTH_QUINTILE") or "_T", age=k.get("AGE") or "_T",
                period=period, year=year_of(period), value=value, value_raw=raw,
                lower_bound=lower, upper_bound=upper, unit=a.get("UNIT_MEASURE"),
                obs_status=a.get("OBS_STATUS"),
                data_source="; ".join(filter(None, [data_source, *notes])) or None,
                source=meta.source, source_file=meta.source_file, source_url=meta.source_url,
                retrieved_at=meta.retrieved_at, content_sha256=meta.content_sha256, row=None,
            ))
    check_unique(result.observations, file)
    return result
