"""Small helpers shared by the importers (text decoding, CSV reading, periods)."""
from __future__ import annotations

import csv
import io
import re

from scrapers.indicators.errors import ImportError_

_YEAR = re.compile(r"^(\d{4})(?:$|[-/.]\d{1,2}$|-\d{2}-\d{2}$|/\d{2}$)")


def decode(data: bytes, file: str) -> str:
    if not data or not data.strip():
        raise ImportError_(file, None, "empty file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ImportError_(file, None, f"not UTF-8 text ({e.reason} at byte {e.start})") from None


def read_csv(text: str) -> list[tuple[int, list[str]]]:
    """(1-based physical line number, fields) for each record; blank lines are kept as []."""
    reader = csv.reader(io.StringIO(text, newline=""))
    out = []
    for fields in reader:
        out.append((reader.line_num, fields))
    return out


def year_of(period: str) -> int | None:
    """The calendar year of a period such as 2020, 2019-06, 2021/22; None for ranges/unknown."""
    m = _YEAR.match(period.strip())
    return int(m.group(1)) if m else None


def require_columns(header: list[str], required: tuple[str, ...], file: str, row: int) -> dict[str, int]:
    pos = {name: i for i, name in enumerate(header)}
    missing = [c for c in required if c not in pos]
    if missing:
        raise ImportError_(file, row, f"missing column(s) {', '.join(missing)}; header is {header!r}")
    return pos
