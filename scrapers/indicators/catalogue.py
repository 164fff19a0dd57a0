"""The indicator catalogue (kb/data/indicators.yml) and the areas (kb/data/areas.yml).

Both are data files; this module only reads and validates them. The 12 dimension codes and
the age bands are those of TAXONOMY.md.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from scrapers.indicators.errors import CatalogueError

DATA_DIR = Path(__file__).resolve().parents[2] / "kb" / "data"
CATALOGUE_PATH = DATA_DIR / "indicators.yml"
AREAS_PATH = DATA_DIR / "areas.yml"

DIMENSION_CODES = ("MAT", "HOU", "HLT", "NUT", "ECD", "EDU", "FAM", "PRO", "JUS", "PAR", "LEI", "GOV")
AGE_MAX_MONTHS = 287      # the oldest band in TAXONOMY.md ends at 23 years
SEX_CODES = ("_T", "F", "M")
RESIDENCE_CODES = ("_T", "U", "R")


@dataclass
class Indicator:
    code: str
    name_en: str
    name_ru: str | None
    unit: str | None
    source: str
    sdg_code: str | None
    dimension_code: str
    age_min_months: int
    age_max_months: int
    higher_is_worse: bool | None
    description: str | None
    pregnancy: bool = False
    map: dict = field(default_factory=dict)
    cues: list = field(default_factory=list)   # topic cues for provision links (kb/indicator_links.py)

    def row(self) -> dict:
        return {"code": self.code, "name_en": self.name_en, "name_ru": self.name_ru,
                "unit": self.unit, "source": self.source, "sdg_code": self.sdg_code,
                "dimension_code": self.dimension_code, "age_min_months": self.age_min_months,
                "age_max_months": self.age_max_months,
                "higher_is_worse": None if self.higher_is_worse is None else int(self.higher_is_worse),
                "description": self.description}


@dataclass
class Catalogue:
    indicators: dict[str, Indicator]
    files: list[dict]

    def by_source_code(self, source: str) -> dict[str, tuple[str, dict]]:
        """Source-side code → (catalogue code, mapping options) for one source key of `map`."""
        out: dict[str, tuple[str, dict]] = {}
        for ind in self.indicators.values():
            for entry in ind.map.get(source) or []:
                opts = entry if isinstance(entry, dict) else {"code": entry}
                src_code = opts["code"]
                if src_code in out:
                    raise CatalogueError(f"{source} code {src_code} mapped twice "
                                         f"({out[src_code][0]}, {ind.code})")
                out[src_code] = (ind.code, opts)
        return out

    def sowc_specs(self) -> list[dict]:
        specs = []
        for ind in self.indicators.values():
            for spec in ind.map.get("sowc2023") or []:
                specs.append({**spec, "indicator": ind.code})
        return specs


def _check_cues(where: str, cues) -> None:
    """Each cue is a regular expression, or {all: [regular expressions]}."""
    if not isinstance(cues, list):
        raise CatalogueError(f"{where}: cues must be a list")
    for cue in cues:
        parts = cue.get("all") if isinstance(cue, dict) else [cue]
        if not isinstance(parts, list) or not parts or (isinstance(cue, dict) and set(cue) != {"all"}):
            raise CatalogueError(f"{where}: cue {cue!r} is neither a pattern nor {{all: [patterns]}}")
        for part in parts:
            if not isinstance(part, str) or not part.strip():
                raise CatalogueError(f"{where}: cue {cue!r} holds an empty or non-text pattern")
            try:
                re.compile(part)
            except re.error as exc:
                raise CatalogueError(f"{where}: cue {part!r} is not a regular expression: {exc}")


def load_catalogue(path: Path | None = None) -> Catalogue:
    path = Path(path or CATALOGUE_PATH)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        raise CatalogueError(f"{path}: expected a mapping with an 'indicators' list")
    indicators: dict[str, Indicator] = {}
    for i, item in enumerate(data["indicators"]):
        where = f"{path}: indicator #{i + 1} ({item.get('code')!r})"
        for key in ("code", "name_en", "source", "dimension_code", "age_min_months", "age_max_months"):
            if item.get(key) in (None, ""):
                raise CatalogueError(f"{where}: missing {key}")
        if item["dimension_code"] not in DIMENSION_CODES:
            raise CatalogueError(f"{where}: dimension_code {item['dimension_code']!r} is not one of "
                                 f"the 12 TAXONOMY.md codes")
        lo, hi = item["age_min_months"], item["age_max_months"]
        if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi <= AGE_MAX_MONTHS):
            raise CatalogueError(f"{where}: age interval {lo}..{hi} months is not valid "
                                 f"(0 <= min <= max <= {AGE_MAX_MONTHS})")
        if item["code"] in indicators:
            raise CatalogueError(f"{where}: duplicate code")
        hiw = item.get("higher_is_worse")
        if hiw not in (True, False, None):
            raise CatalogueError(f"{where}: higher_is_worse must be true, false or null")
        if item.get("pregnancy", False) not in (True, False):
            raise CatalogueError(f"{where}: pregnancy must be true or false")
        fields = {k: item.get(k) for k in Indicator.__dataclass_fields__
                  if k not in ("map", "pregnancy", "cues")}
        fields["pregnancy"] = bool(item.get("pregnancy", False))
        cues = item.get("cues") or []
        _check_cues(where, cues)
        indicators[item["code"]] = Indicator(**fields, map=item.get("map") or {}, cues=list(cues))
        for spec in (item.get("map") or {}).get("sowc2023") or []:
            missing = {"sheet", "column", "header", "period"} - set(spec)
            if missing:
                raise CatalogueError(f"{where}: sowc2023 mapping lacks {sorted(missing)}")
            if spec.get("sex", "_T") not in SEX_CODES or spec.get("residence", "_T") not in RESIDENCE_CODES:
                raise CatalogueError(f"{where}: bad sex/residence in sowc2023 mapping {spec}")
    cat = Catalogue(indicators=indicators, files=list(data.get("files") or []))
    for source in ("unicef_sdmx", "unicef_sdmx_json", "worldbank"):
        cat.by_source_code(source)  # raises on a code mapped twice
    return cat


# --- areas ------------------------------------------------------------------------------------

_STRIP = re.compile(r"\b(город|г\.|область|обл\.)|[*«»\"']", re.IGNORECASE)


def normalise_area_name(name: str) -> str:
    s = str(name).replace("ё", "е").replace("Ё", "Е").lower()
    s = re.sub(r"(?<![\w])г\.\s*", " ", s)
    s = _STRIP.sub(" ", s)
    s = re.sub(r"[\s\-–]+", "-", s.strip())
    return s.strip("-")


@dataclass
class Areas:
    rows: list[dict]
    index: dict[str, str]

    def resolve(self, name: str) -> str | None:
        return self.index.get(normalise_area_name(name))


def load_areas(path: Path | None = None) -> Areas:
    path = Path(path or AREAS_PATH)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows, index = [], {}
    for item in data.get("areas") or []:
        for key in ("code", "level", "name_en", "name_ru"):
            if not item.get(key):
                raise CatalogueError(f"{path}: area {item!r} lacks {key}")
        code = str(item["code"])
        names = [item["name_ru"], item["name_en"], item.get("name_kk") or "", code,
                 *(item.get("aliases") or [])]
        for n in names:
            if not n:
                continue
            k = normalise_area_name(n)
            if index.get(k, code) != code:
                raise CatalogueError(f"{path}: name {n!r} is ambiguous ({index[k]} and {code})")
            index[k] = code
        rows.append({"code": code, "kato": item.get("kato"), "iso3": item.get("iso3"),
                     "level": item["level"], "name_en": item["name_en"], "name_ru": item["name_ru"],
                     "name_kk": item.get("name_kk"), "aliases": list(item.get("aliases") or [])})
    return Areas(rows=rows, index=index)
