"""The record type shared by all indicator importers.

An :class:`Observation` has exactly the columns of the ``observations`` table (see
``db/schema.py``) plus ``row``, the place in the source it came from (not stored).
Values are never altered: ``value_raw`` is the text as found in the source and ``value`` is
``float(value_raw)``. A cell that holds no value is never an observation; it is recorded as a
:class:`Skip` with the reason.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

# Markers the sources use for "no data". They are skipped and counted, never read as zero.
MISSING_MARKERS = frozenset({"", "-", "–", "—", "…", "...", ".."})

OBSERVATION_COLUMNS = (
    "indicator_code", "area_code", "sex", "residence", "wealth_quintile", "age", "period",
    "year", "value", "value_raw", "lower_bound", "upper_bound", "unit", "obs_status",
    "data_source", "source", "source_file", "source_url", "retrieved_at", "content_sha256",
)


@dataclass(frozen=True)
class SourceMeta:
    """Where the bytes of one source file or response came from."""

    source: str                 # importer/source name stored in observations.source
    source_file: str | None     # file name (corpus) or None (live)
    source_url: str             # origin URL
    retrieved_at: str           # ISO-8601
    content_sha256: str

    @property
    def label(self) -> str:
        return self.source_file or self.source_url

    @classmethod
    def for_bytes(cls, data: bytes, *, source: str, source_url: str, retrieved_at: str,
                  source_file: str | None = None) -> "SourceMeta":
        return cls(source=source, source_file=source_file, source_url=source_url,
                   retrieved_at=retrieved_at, content_sha256=hashlib.sha256(data).hexdigest())


@dataclass
class Observation:
    indicator_code: str
    area_code: str
    period: str
    year: int | None
    value: float
    value_raw: str
    source: str
    source_url: str
    retrieved_at: str
    content_sha256: str
    sex: str = "_T"
    residence: str = "_T"
    wealth_quintile: str = "_T"
    age: str = "_T"
    lower_bound: float | None = None
    upper_bound: float | None = None
    unit: str | None = None
    obs_status: str | None = None
    data_source: str | None = None
    source_file: str | None = None
    row: int | None = field(default=None, compare=False)

    def key(self) -> tuple:
        """The uniqueness key of the observations table."""
        return (self.indicator_code, self.area_code, self.sex, self.residence,
                self.wealth_quintile, self.age, self.period, self.source)

    def to_row(self) -> dict:
        d = asdict(self)
        d.pop("row")
        return d


@dataclass(frozen=True)
class Skip:
    """A cell or row deliberately not imported, with the reason (reported, never guessed)."""

    file: str
    row: int | None
    column: str | None
    raw: str | None
    reason: str


@dataclass
class ParseResult:
    observations: list[Observation] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)

    def extend(self, other: "ParseResult") -> "ParseResult":
        self.observations.extend(other.observations)
        self.skipped.extend(other.skipped)
        return self


def parse_number(raw, *, file: str, row: int | None, column: str | None):
    """Return ``(value, raw_text)``; ``(None, raw_text)`` for a missing marker.

    Raises :class:`ImportError_` for text that is neither a number nor a missing marker.
    """
    from scrapers.indicators.errors import ImportError_

    if raw is None:
        return None, ""
    if isinstance(raw, bool):
        raise ImportError_(file, row, f"boolean {raw!r} where a number was expected", column=column)
    if isinstance(raw, (int, float)):
        return float(raw), repr(raw) if isinstance(raw, float) else str(raw)
    text = str(raw).strip()
    if text in MISSING_MARKERS:
        return None, text
    try:
        return float(text), text
    except ValueError:
        raise ImportError_(file, row, f"not a number: {text!r}", column=column) from None


def check_unique(observations: list[Observation], file: str) -> None:
    """A file that states the same observation twice is malformed."""
    from scrapers.indicators.errors import ImportError_

    seen: dict[tuple, Observation] = {}
    for o in observations:
        k = o.key()
        if k in seen:
            raise ImportError_(file, o.row, f"duplicate observation {k[:7]} "
                               f"(first at row {seen[k].row})")
        seen[k] = o
