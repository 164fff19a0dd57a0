"""UNICEF State of the World's Children 2023 statistical tables (xlsx), Kazakhstan row.

Which cells are imported is stated in the catalogue (sheet + column letter per indicator); the
header rows of that column (merged cells resolved to their top-left value) must contain every
text the catalogue lists, so a moved column fails with an error instead of importing the wrong
number. The cell right of a value holds SOWC's footnote letters (x, y …); they are kept in
``obs_status``. "-" / "–" mean "data not available" and are reported as missing.
"""
from __future__ import annotations

import io
import re

from openpyxl.utils import column_index_from_string

from scrapers.indicators.errors import ImportError_
from scrapers.indicators.records import (
    Observation, ParseResult, Skip, SourceMeta, check_unique, parse_number,
)

COUNTRY = "Kazakhstan"


def _norm(text) -> str:
    s = str(text or "").replace("\u2013", "-").replace("\u2014", "-").replace("\u2212", "-")
    return re.sub(r"\s+", " ", s).strip().lower()


def _is_number(v) -> bool:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return True
    try:
        float(str(v).strip())
        return True
    except ValueError:
        return False


class _Sheet:
    def __init__(self, ws, file: str):
        self.ws = ws
        self.file = file
        self.rows = [list(r) for r in ws.iter_rows(values_only=True)]
        self.merged_origin = {}
        for rng in ws.merged_cells.ranges:
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    self.merged_origin[(r, c)] = (rng.min_row, rng.min_col)
        col_b = [(i + 1, r[1] if len(r) > 1 else None) for i, r in enumerate(self.rows)]
        hits = [i for i, v in col_b if isinstance(v, str) and v.strip() == COUNTRY]
        if len(hits) != 1:
            raise ImportError_(file, None, f"sheet {ws.title!r}: expected one {COUNTRY!r} row in column B, found {len(hits)}")
        self.country_row = hits[0]
        starts = [i for i, v in col_b if isinstance(v, str) and v.strip() == "Countries and areas"]
        if not starts:
            raise ImportError_(file, None, f"sheet {ws.title!r}: no 'Countries and areas' header cell in column B")
        self.header_rows = []
        for r in range(1, self.country_row):
            row = self.rows[r - 1]
            if (r > starts[0] and len(row) > 1 and row[1] not in (None, "")
                    and any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row[2:])):
                break  # first data row: a row name and at least one stored number
            self.header_rows.append(r)

    def value(self, r: int, c: int):
        row = self.rows[r - 1]
        return row[c - 1] if c - 1 < len(row) else None

    def header_text(self, c: int) -> str:
        parts = []
        for r in self.header_rows:
            rr, cc = self.merged_origin.get((r, c), (r, c))
            v = self.value(rr, cc)
            if v not in (None, ""):
                parts.append(str(v))
        return " | ".join(parts)


def parse_sowc2023(data: bytes, meta: SourceMeta, specs: list[dict], *, area_code: str = "KAZ") -> ParseResult:
    """``specs``: catalogue mappings ({indicator, sheet, column, header, period, sex …})."""
    import openpyxl

    file = meta.label
    if not data:
        raise ImportError_(file, None, "empty file")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as e:
        raise ImportError_(file, None, f"not a readable xlsx workbook: {type(e).__name__}: {e}") from None
    sheets: dict[str, _Sheet] = {}
    result = ParseResult()
    for spec in specs:
        name = spec["sheet"]
        if name not in wb.sheetnames:
            raise ImportError_(file, None, f"no sheet {name!r} (catalogue entry {spec['indicator']})")
        sheet = sheets.get(name) or sheets.setdefault(name, _Sheet(wb[name], file))
        col = column_index_from_string(spec["column"])
        cell = f"{name}!{spec['column']}{sheet.country_row}"
        header = sheet.header_text(col)
        missing = [h for h in spec["header"] if _norm(h) not in _norm(header)]
        if missing:
            raise ImportError_(file, sheet.country_row, f"header of {name}!{spec['column']} is "
                               f"{header!r}; expected it to contain {missing} "
                               f"(catalogue entry {spec['indicator']})", column=cell)
        value, raw = parse_number(sheet.value(sheet.country_row, col), file=file,
                                  row=sheet.country_row, column=cell)
        if value is None:
            result.skipped.append(Skip(file, sheet.country_row, cell, raw,
                                       f"missing value ({spec['indicator']})"))
            continue
        note = sheet.value(sheet.country_row, col + 1)
        note = str(note).strip() if isinstance(note, str) and not _is_number(note) else ""
        period = str(spec["period"])
        table = name.split(".", 1)[0]
        result.observations.append(Observation(
            indicator_code=spec["indicator"], area_code=area_code, sex=spec.get("sex", "_T"),
            residence=spec.get("residence", "_T"), wealth_quintile=spec.get("wealth_quintile", "_T"),
            age=spec.get("age", "_T"), period=period,
            year=int(period) if re.fullmatch(r"\d{4}", period) else None,
            value=value, value_raw=raw, obs_status=note or None,
            data_source=f"SOWC 2023 Table {table} ({name[len(table) + 1:].strip()}), cell {spec['column']}{sheet.country_row}",
            source=meta.source, source_file=meta.source_file, source_url=meta.source_url,
            retrieved_at=meta.retrieved_at, content_sha256=meta.content_sha256, row=sheet.country_row))
    check_unique(result.observations, file)
    return result
