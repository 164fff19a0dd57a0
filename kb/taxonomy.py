"""The child well-being taxonomy (TAXONOMY.md) as data: kb/data/taxonomy.yml.

    tax = load_taxonomy()                 # cached for the default file
    tax.dimension("FAM").name["ru"]
    age_groups_for(168, 215)              # ['AG_AD1', 'AG_AD2']
    age_groups_for(None, None, pregnancy=True)   # ['AG_PRE']
    moda_groups_for(0, 35)                # ['MODA_0_23M', 'MODA_24_59M']

The dimension codes are fixed (tables, facets, gold sets and outside readers use them): a file
that adds, drops or renames one is refused with TaxonomyError. Age bands and MODA groups are
derived from an interval in months by overlap, never tagged by hand; the same functions serve
the tagger and the indicator importers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

DEFAULT_PATH = Path(__file__).parent / "data" / "taxonomy.yml"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)     # libyaml when available: 5x faster

DIMENSION_CODES = ("MAT", "HOU", "HLT", "NUT", "ECD", "EDU", "FAM", "PRO", "JUS", "PAR", "LEI", "GOV")
AGE_BAND_CODES = ("AG_PRE", "AG_INF", "AG_TOD", "AG_PSC", "AG_PRI", "AG_MID", "AG_AD1", "AG_AD2",
                  "AG_TRN")
FLAG_CODES = ("disability", "without_parental_care", "low_income", "large_family",
              "migrant_refugee_kandas", "rural", "gender")
LANGS = ("ru", "kk", "en")


class TaxonomyError(ValueError):
    """The taxonomy file is missing, unreadable or does not follow the fixed scheme."""


@dataclass(frozen=True)
class Cue:
    """One cue phrase: `pattern` as written in the YAML (see its header for the syntax)."""
    pattern: str
    weight: float = 1.0
    strong: bool = False
    age: tuple[int, int] | None = None      # child-context words only
    pregnancy: bool = False                 # child-context words only
    group: bool = False                     # names who is covered (orphans, pupils), not what
    only: str | None = None                 # neutral phrases: drop only hits of this kind
    weak: bool = False                      # child-context words only: a learner who may be an
                                            # adult («обучающийся»): no gate beside adult context
                                            # or higher education
    recipient: bool = False                 # a carer (adopter, guardian): a group cue only where
                                            # named in the dative, as whom a benefit is paid to


@dataclass(frozen=True)
class Dimension:
    code: str
    position: int
    name: dict[str, str]
    definition: str
    crc_cluster: str
    cues: dict[str, tuple[Cue, ...]]


@dataclass(frozen=True)
class AgeGroup:
    code: str
    position: int
    name: dict[str, str]
    min_months: int | None
    max_months: int | None
    kind: str = "band"                      # band | moda
    note: str | None = None


@dataclass(frozen=True)
class Flag:
    code: str
    name: dict[str, str]
    cues: dict[str, tuple[Cue, ...]]


@dataclass(frozen=True)
class Taxonomy:
    version: int
    dimensions: tuple[Dimension, ...]
    age_bands: tuple[AgeGroup, ...]
    moda_groups: tuple[AgeGroup, ...]
    flags: tuple[Flag, ...]
    child_context: dict[str, tuple[Cue, ...]]
    scoring: dict[str, float] = field(default_factory=dict)
    kk_own_words: tuple[str, ...] = ()
    path: str = ""
    neutral: dict[str, tuple[Cue, ...]] = field(default_factory=dict)
    adult_context: dict[str, tuple[Cue, ...]] = field(default_factory=dict)
    higher_education: dict[str, tuple[Cue, ...]] = field(default_factory=dict)

    def dimension(self, code: str) -> Dimension:
        for d in self.dimensions:
            if d.code == code:
                return d
        raise KeyError(code)

    @property
    def dimension_codes(self) -> list[str]:
        return [d.code for d in self.dimensions]

    def dimension_rows(self) -> list[dict]:
        """Rows for the `dimensions` table."""
        return [{"code": d.code, "name_en": d.name["en"], "name_ru": d.name["ru"],
                 "name_kk": d.name["kk"], "definition": d.definition,
                 "crc_cluster": d.crc_cluster, "position": d.position} for d in self.dimensions]

    def age_group_rows(self) -> list[dict]:
        """Rows for the `age_groups` table (bands, then MODA roll-ups)."""
        return [{"code": g.code, "name_en": g.name.get("en"), "name_ru": g.name.get("ru"),
                 "min_months": g.min_months, "max_months": g.max_months, "kind": g.kind,
                 "note": g.note, "position": g.position}
                for g in (*self.age_bands, *self.moda_groups)]

    def flag_rows(self) -> list[dict]:
        """Rows for the `flags` table."""
        return [{"code": f.code, "name_en": f.name["en"], "name_ru": f.name.get("ru")}
                for f in self.flags]


# --- loading --------------------------------------------------------------------------------


def _fail(path, msg) -> TaxonomyError:
    return TaxonomyError(f"{path}: {msg}")


def _cues(path, where: str, raw, *, allow_age=False) -> dict[str, tuple[Cue, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _fail(path, f"{where}: cues must be a mapping lang -> list")
    out = {}
    for lang, items in raw.items():
        if lang not in LANGS:
            raise _fail(path, f"{where}: unknown language {lang!r} (expected one of {LANGS})")
        cues = []
        for i, item in enumerate(items or []):
            if not isinstance(item, dict) or not isinstance(item.get("p"), str) or not item["p"].strip():
                raise _fail(path, f"{where}.{lang}[{i}]: a cue needs a non-empty phrase `p`")
            try:
                weight = float(item.get("w", 1.0))
            except (TypeError, ValueError):
                raise _fail(path, f"{where}.{lang}[{i}] {item['p']!r}: weight is not a number")
            if not 0 < weight <= 5:
                raise _fail(path, f"{where}.{lang}[{i}] {item['p']!r}: weight must be in (0, 5]")
            age = item.get("age")
            if age is not None:
                if not allow_age or not (isinstance(age, list) and len(age) == 2
                                         and all(isinstance(a, int) for a in age) and age[0] <= age[1]):
                    raise _fail(path, f"{where}.{lang}[{i}] {item['p']!r}: bad age {age!r}")
                age = (age[0], age[1])
            only = item.get("only")
            if only is not None and only not in ("dim", "flag", "child"):
                raise _fail(path, f"{where}.{lang}[{i}] {item['p']!r}: `only` must be dim, flag or child")
            cues.append(Cue(pattern=item["p"].strip(), weight=weight,
                            strong=bool(item.get("strong", False)), age=age,
                            pregnancy=bool(item.get("pregnancy", False)),
                            group=bool(item.get("group", False)), only=only,
                            weak=bool(item.get("weak", False)),
                            recipient=bool(item.get("recipient", False))))
        out[lang] = tuple(cues)
    return out


def _group(path, raw, kind, i) -> AgeGroup:
    try:
        g = AgeGroup(code=raw["code"], position=int(raw.get("position", i + 1)),
                     name=dict(raw["name"]), min_months=raw.get("min_months"),
                     max_months=raw.get("max_months"), kind=kind, note=raw.get("note"))
    except (KeyError, TypeError) as exc:
        raise _fail(path, f"{kind} #{i + 1}: missing or bad field {exc}")
    if g.code != "AG_PRE" and (not isinstance(g.min_months, int) or not isinstance(g.max_months, int)
                               or g.min_months > g.max_months):
        raise _fail(path, f"{g.code}: min_months/max_months must be integers, min <= max")
    return g


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load and validate the taxonomy; the default file is read once and cached."""
    if path is None:
        return _load_default()
    return _load(Path(path))


@lru_cache(maxsize=1)
def _load_default() -> Taxonomy:
    return _load(DEFAULT_PATH)


def _load(path: Path) -> Taxonomy:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except OSError as exc:
        raise _fail(path, f"cannot read: {exc}")
    except yaml.YAMLError as exc:
        raise _fail(path, f"not valid YAML: {exc}")
    if not isinstance(data, dict):
        raise _fail(path, "top level must be a mapping")
    for key in ("dimensions", "age_bands", "moda_groups", "flags"):
        if not isinstance(data.get(key), list):
            raise _fail(path, f"`{key}` must be a list")

    dims = []
    for i, d in enumerate(data["dimensions"]):
        if not isinstance(d, dict) or "code" not in d:
            raise _fail(path, f"dimension #{i + 1} has no code")
        code = d["code"]
        if code not in DIMENSION_CODES:
            raise _fail(path, f"unknown dimension code {code!r}; the 12 codes are fixed: "
                              f"{', '.join(DIMENSION_CODES)}")
        name = d.get("name") or {}
        missing = [lang for lang in ("en", "ru", "kk") if not name.get(lang)]
        if missing:
            raise _fail(path, f"{code}: name missing in {', '.join(missing)}")
        dims.append(Dimension(code=code, position=int(d.get("position", i + 1)), name=dict(name),
                              definition=d.get("definition") or "",
                              crc_cluster=d.get("crc_cluster") or "",
                              cues=_cues(path, code, d.get("cues"))))
    codes = [d.code for d in dims]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise _fail(path, f"duplicate dimension codes: {', '.join(dupes)}")
    absent = [c for c in DIMENSION_CODES if c not in codes]
    if absent:
        raise _fail(path, f"dimension codes missing: {', '.join(absent)}")
    dims.sort(key=lambda d: d.position)

    bands = [_group(path, g, "band", i) for i, g in enumerate(data["age_bands"])]
    if [b.code for b in bands] != list(AGE_BAND_CODES):
        raise _fail(path, f"age bands must be, in order: {', '.join(AGE_BAND_CODES)}")
    for a, b in zip(bands[1:], bands[2:]):
        if b.min_months != a.max_months + 1:
            raise _fail(path, f"age bands {a.code} and {b.code} are not contiguous")
    moda = [_group(path, g, "moda", i) for i, g in enumerate(data["moda_groups"])]

    flags = []
    for i, f in enumerate(data["flags"]):
        if not isinstance(f, dict) or f.get("code") not in FLAG_CODES:
            raise _fail(path, f"flag #{i + 1}: code must be one of {', '.join(FLAG_CODES)}")
        if not (f.get("name") or {}).get("en"):
            raise _fail(path, f"flag {f['code']}: name.en missing")
        flags.append(Flag(code=f["code"], name=dict(f["name"]),
                          cues=_cues(path, f["code"], f.get("cues"))))

    return Taxonomy(version=int(data.get("version", 1)), dimensions=tuple(dims),
                    age_bands=tuple(bands), moda_groups=tuple(moda), flags=tuple(flags),
                    child_context=_cues(path, "child_context", data.get("child_context"),
                                        allow_age=True),
                    scoring=dict(data.get("scoring") or {}),
                    kk_own_words=tuple(data.get("kk_own_words") or ()), path=str(path),
                    neutral=_cues(path, "neutral", data.get("neutral")),
                    adult_context=_cues(path, "adult_context", data.get("adult_context")),
                    higher_education=_cues(path, "higher_education", data.get("higher_education")))


# --- age derivation -------------------------------------------------------------------------


def _overlap(groups: Iterable[AgeGroup], lo: int | None, hi: int | None) -> list[str]:
    if lo is None and hi is None:
        return []
    lo = 0 if lo is None else lo
    out = []
    for g in groups:
        if g.min_months is None:
            continue
        if lo <= g.max_months and (hi is None or hi >= g.min_months):
            out.append(g.code)
    return out


def age_groups_for(min_months: int | None, max_months: int | None, *, pregnancy: bool = False,
                   taxonomy: Taxonomy | None = None) -> list[str]:
    """Age band codes overlapping [min_months, max_months] (inclusive; a None bound is open),
    with AG_PRE first when `pregnancy`. Both bounds None and no pregnancy: []."""
    tax = taxonomy or load_taxonomy()
    out = ["AG_PRE"] if pregnancy else []
    return out + _overlap(tax.age_bands, min_months, max_months)


def moda_groups_for(min_months: int | None, max_months: int | None, *,
                    taxonomy: Taxonomy | None = None) -> list[str]:
    """MODA roll-up codes overlapping [min_months, max_months]."""
    tax = taxonomy or load_taxonomy()
    return _overlap(tax.moda_groups, min_months, max_months)
