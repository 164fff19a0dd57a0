"""The seed list of child-related acts and the discovery settings (kb/data/seed_acts.yml)."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from scrapers.adilet.ids import InvalidActId, validate_act_id

# kb/data ships in the same distribution (see pyproject's package-data).
DEFAULT_SEED_FILE = Path(__file__).resolve().parents[2] / "kb" / "data" / "seed_acts.yml"

FORMS = ("law", "code", "presidential_decree", "government_decree", "prime_minister_order",
         "constitutional_court", "ministerial_order", "local_act")
_ACT_FIELDS = {"id", "title_ru", "title_en", "form", "date", "year", "number", "repealed", "note"}
_SEARCH_FORM_RE = re.compile(r"^[А-ЯЁ]{2,12}$")


class SeedListError(ValueError):
    """The seed file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class SeedAct:
    id: str
    title_ru: str
    title_en: str | None = None
    form: str | None = None
    date: str | None = None          # ISO date, when SOURCES.md gives one
    year: int | None = None
    number: str | None = None
    repealed: bool = False
    note: str | None = None


@dataclass(frozen=True)
class SearchTarget:
    query: str
    form: str | None
    looking_for: str | None = None


@dataclass(frozen=True)
class DiscoveryConfig(Mapping):
    """The `discovery:` section, plus the seed IDs it starts from.

    It is also a mapping of ``discover()``'s keyword arguments, so
    ``discover(fetcher, **load_discovery_config())`` runs the configured crawl.
    """

    forms: tuple[str, ...]
    keywords: tuple[str, ...]
    targets: tuple[SearchTarget, ...] = field(default_factory=tuple)
    max_pages: int = 5
    max_depth: int = 1
    limit: int = 300
    start: tuple[str, ...] = field(default_factory=tuple)   # the seed acts: read for links

    def _kwargs(self) -> dict:
        return {"queries": self.keywords + self.targets, "forms": self.forms,
                "max_pages": self.max_pages, "max_depth": self.max_depth,
                "limit": self.limit, "start": self.start}

    def __getitem__(self, key):
        return self._kwargs()[key]

    def __iter__(self):
        return iter(self._kwargs())

    def __len__(self) -> int:
        return len(self._kwargs())


def _read(path: Path | None) -> tuple[Path, dict]:
    path = Path(path) if path is not None else DEFAULT_SEED_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SeedListError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SeedListError(f"{path}: expected a mapping with 'acts' and 'discovery'")
    return path, data


def _iso_date(value, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise SeedListError(f"{where}: date must be YYYY-MM-DD, not {value!r}") from None


def _act(entry, where: str) -> SeedAct:
    if not isinstance(entry, dict):
        raise SeedListError(f"{where}: expected a mapping, got {entry!r}")
    unknown = set(entry) - _ACT_FIELDS
    if unknown:
        raise SeedListError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    try:
        act_id = validate_act_id(entry.get("id"))
    except InvalidActId as exc:
        raise SeedListError(f"{where}: {exc}") from None
    title = entry.get("title_ru")
    if not isinstance(title, str) or not title.strip():
        raise SeedListError(f"{where} ({act_id}): title_ru is required")
    form = entry.get("form")
    if form is not None and form not in FORMS:
        raise SeedListError(f"{where} ({act_id}): form {form!r} is not one of {', '.join(FORMS)}")
    year = entry.get("year")
    if year is not None and not (isinstance(year, int) and 1990 <= year <= 2100):
        raise SeedListError(f"{where} ({act_id}): year must be a four-digit year, not {year!r}")
    date = _iso_date(entry.get("date"), f"{where} ({act_id})")
    if date and year and int(date[:4]) != year:
        raise SeedListError(f"{where} ({act_id}): date {date} does not match year {year}")
    number = entry.get("number")
    return SeedAct(id=act_id, title_ru=title.strip(), title_en=entry.get("title_en"),
                   form=form, date=date, year=year or (int(date[:4]) if date else None),
                   number=str(number) if number is not None else None,
                   repealed=bool(entry.get("repealed", False)), note=entry.get("note"))


def load_seed_acts(path: Path | str | None = None) -> list[SeedAct]:
    """The seed acts, every ID validated, no duplicates."""
    path, data = _read(path)
    entries = data.get("acts")
    if not isinstance(entries, list) or not entries:
        raise SeedListError(f"{path}: 'acts' must be a non-empty list")
    acts, seen = [], set()
    for index, entry in enumerate(entries, start=1):
        act = _act(entry, f"{path}: acts[{index}]")
        if act.id in seen:
            raise SeedListError(f"{path}: acts[{index}]: duplicate ID {act.id}")
        seen.add(act.id)
        acts.append(act)
    return acts


def _search_form(value, where: str) -> str:
    if not isinstance(value, str) or not _SEARCH_FORM_RE.match(value):
        raise SeedListError(f"{where}: not an Adilet act-form code: {value!r} (e.g. ЗАК, ПОСТ)")
    return value


def load_discovery_config(path: Path | str | None = None) -> DiscoveryConfig:
    """The `discovery:` section (act forms, keywords, targeted searches, bounds) and the seeds."""
    path, data = _read(path)
    section = data.get("discovery")
    if not isinstance(section, dict):
        raise SeedListError(f"{path}: 'discovery' must be a mapping")
    forms = tuple(_search_form(f, f"{path}: discovery.forms") for f in section.get("forms") or ())
    keywords = section.get("keywords") or []
    if not all(isinstance(k, str) and k.strip() for k in keywords):
        raise SeedListError(f"{path}: discovery.keywords must be non-empty strings")
    targets = []
    for index, entry in enumerate(section.get("targets") or [], start=1):
        where = f"{path}: discovery.targets[{index}]"
        if not isinstance(entry, dict) or not str(entry.get("query") or "").strip():
            raise SeedListError(f"{where}: needs a non-empty 'query'")
        form = entry.get("form")
        targets.append(SearchTarget(query=str(entry["query"]).strip(),
                                    form=_search_form(form, where) if form is not None else None,
                                    looking_for=entry.get("looking_for")))
    bounds = {}
    for key in ("max_pages", "max_depth", "limit"):
        if key in section:
            value = section[key]
            if not isinstance(value, int) or value < 0:
                raise SeedListError(f"{path}: discovery.{key} must be a non-negative integer")
            bounds[key] = value
    start = tuple(act.id for act in load_seed_acts(path))
    return DiscoveryConfig(forms=forms, keywords=tuple(k.strip() for k in keywords),
                           targets=tuple(targets), start=start, **bounds)
