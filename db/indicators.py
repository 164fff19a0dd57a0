"""Load the indicator catalogue, the areas and the observations into the database.

``load_indicators(db, corpus_dir)`` reads kb/data/indicators.yml (catalogue + the manifest of
corpus files), kb/data/areas.yml and every listed file under ``corpus_dir/indicators``;
with ``live=True`` it also fetches the catalogue's World Bank and UNICEF SDMX series through the
given httpx client. Given a ``raw_store``, every live response is kept there (kind
``indicator``), and a source that fails is read from its newest good stored responses instead
(reported as a failure saying so), so a failing API never empties the observations.

Guarantees:
* One transaction (a SAVEPOINT, so it nests inside the build's transaction). Every file is parsed
  completely before anything is written; a file that fails to parse is reported and skipped
  whole, the others load. Each file is also written under its own savepoint, so a database error
  on one file leaves none of its rows.
* Duplicate observations (same indicator, area, sex, residence, wealth, age, period, source) are
  reported with both values and the first one is kept; nothing is overwritten. Within one file a
  duplicate is a malformed file (the parser raises).
* Values are stored as found (``value_raw``); a missing cell is never an observation.
"""
from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from scrapers.indicators.catalogue import Catalogue, load_areas, load_catalogue
from scrapers.indicators.errors import ImportError_
from scrapers.indicators.national import (
    parse_egov_population, parse_qamqor_sentencing, parse_stat_schools_csv, parse_stat_schools_xlsx,
)
from scrapers.indicators.records import OBSERVATION_COLUMNS, ParseResult, Skip, SourceMeta
from scrapers.indicators.sdmx_serieskeys import read_series_keys
from scrapers.indicators.sowc import parse_sowc2023
from scrapers.indicators.unicef_csv import fetch_unicef_sdmx, parse_unicef_sdmx_csv
from scrapers.indicators.unicef_json import parse_sdmx_json
from scrapers.indicators.worldbank import fetch_worldbank, parse_worldbank_csv

# Age bands and MODA groups of TAXONOMY.md, used only when kb.taxonomy (kb/data/taxonomy.yml,
# a colleague's module) cannot be imported. AG_PRE has no month interval: it comes from the
# catalogue's `pregnancy` flag.
LOCAL_BANDS = (
    ("AG_INF", 0, 11), ("AG_TOD", 12, 35), ("AG_PSC", 36, 71), ("AG_PRI", 72, 131),
    ("AG_MID", 132, 167), ("AG_AD1", 168, 191), ("AG_AD2", 192, 215), ("AG_TRN", 216, 287),
)
LOCAL_MODA = (("MODA_0_23M", 0, 23), ("MODA_24_59M", 24, 59), ("MODA_5_11Y", 60, 143),
              ("MODA_12_17Y", 144, 215))

# Prefix of a UNICEF indicator code → SDMX dataflow (for the live fetcher).
UNICEF_FLOWS = {"CME": "CME", "IM": "IMMUNISATION", "ECD": "ECD", "ED": "EDUCATION",
                "NT": "NUTRITION", "PT": "PT", "MNCH": "MNCH", "WS": "WASH_HOUSEHOLDS"}


def _overlap(groups, lo, hi) -> list[str]:
    return [c for c, a, b in groups if lo <= b and hi >= a]


def age_groups_for(lo: int, hi: int, *, pregnancy: bool = False) -> tuple[list[str], list[str], str]:
    """(band codes, MODA codes, provider) for an indicator interval.

    Uses kb.taxonomy (age_groups_for / moda_groups_for over kb/data/taxonomy.yml) when it can
    be imported, else the local copy of the TAXONOMY.md bands above.
    """
    try:
        from kb import taxonomy
        bands = taxonomy.age_groups_for(lo, hi, pregnancy=pregnancy)
        moda = taxonomy.moda_groups_for(lo, hi)
        return list(bands), list(moda), "kb.taxonomy"
    except ImportError:
        bands = (["AG_PRE"] if pregnancy else []) + _overlap(LOCAL_BANDS, lo, hi)
        return bands, _overlap(LOCAL_MODA, lo, hi), "local fallback (db/indicators.py LOCAL_BANDS)"


@dataclass
class FileReport:
    path: str
    importer: str | None
    status: str                      # loaded | failed | skipped | unlisted | availability
    observations: int = 0
    skipped_cells: int = 0
    duplicates: int = 0
    reason: str | None = None


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)   # (item, reason) for build_failures
    duplicates: list[dict] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    availability: dict[str, list[dict]] = field(default_factory=dict)  # flow → KAZ series keys
    catalogue_availability: dict[str, int] = field(default_factory=dict)  # indicator → n series
    observations_by_source: Counter = field(default_factory=Counter)
    indicators: int = 0
    areas: int = 0
    age_groups_from: str = ""

    @property
    def observations(self) -> int:
        return sum(self.observations_by_source.values())

    def summary(self) -> str:
        lines = [f"indicators {self.indicators}, areas {self.areas}, observations {self.observations} "
                 f"({', '.join(f'{k} {v}' for k, v in sorted(self.observations_by_source.items()))})",
                 f"duplicates {len(self.duplicates)}, cells not imported {len(self.skipped)}, "
                 f"failed files {sum(f.status == 'failed' for f in self.files)}"]
        for f in self.files:
            if f.status in ("failed", "skipped", "unlisted"):
                lines.append(f"  {f.status}: {f.path}: {f.reason}")
        return "\n".join(lines)


def _indicators_dir(corpus_dir: Path) -> Path:
    corpus_dir = Path(corpus_dir)
    return corpus_dir / "indicators" if (corpus_dir / "indicators").is_dir() else corpus_dir


def _parse_file(entry: dict, data: bytes, meta: SourceMeta, cat: Catalogue, areas) -> ParseResult:
    importer = entry["importer"]
    codemap = lambda source: {k: v[0] for k, v in cat.by_source_code(source).items()}  # noqa: E731
    if importer == "unicef_sdmx_csv":
        return parse_unicef_sdmx_csv(data, meta, codemap=codemap("unicef_sdmx"), area_resolver=areas.resolve)
    if importer == "unicef_sdmx_json":
        return parse_sdmx_json(data, meta, codemap=codemap("unicef_sdmx_json"), area_resolver=areas.resolve,
                               data_source=entry.get("note"))
    if importer == "sowc2023_xlsx":
        return parse_sowc2023(data, meta, cat.sowc_specs())
    if importer == "worldbank_csv":
        return parse_worldbank_csv(data, meta, codemap=cat.by_source_code("worldbank"), area_resolver=areas.resolve)
    if importer == "kz_stat_schools_xlsx":
        return parse_stat_schools_xlsx(data, meta, area_resolver=areas.resolve)
    if importer == "kz_stat_schools_csv":
        return parse_stat_schools_csv(data, meta, area_resolver=areas.resolve)
    if importer == "kz_egov_population":
        (code, opts), = [(c, i.map["kz_egov"]) for c, i in cat.indicators.items() if i.map.get("kz_egov")]
        return parse_egov_population(data, meta, area_resolver=areas.resolve, indicator=code,
                                     columns=opts["columns"], age=opts.get("age", "_T"))
    if importer == "kz_qamqor_sentencing":
        mappings = [{**i.map["kz_qamqor"], "indicator": c} for c, i in cat.indicators.items() if i.map.get("kz_qamqor")]
        return parse_qamqor_sentencing(data, meta, mappings=mappings)
    raise ImportError_(entry["path"], None, f"unknown importer {importer!r} in the catalogue manifest")


def load_indicators(db: sqlite_utils.Database, corpus_dir: Path | None, *, live: bool = False,
                    client=None, retrieved_at: str | None = None,
                    catalogue_path: Path | None = None, areas_path: Path | None = None,
                    raw_store=None) -> ImportReport:
    """Fill ``areas``, ``indicators`` and ``observations``; return what happened.

    ``corpus_dir`` is the shared corpus (its ``indicators/`` folder is read) or that folder
    itself; None reads no files. ``retrieved_at`` is stamped on live responses (default: now)
    and on corpus files whose manifest entry gives none.
    """
    cat = load_catalogue(catalogue_path)
    areas = load_areas(areas_path)
    report = ImportReport()
    now = retrieved_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
    parsed: list[tuple[FileReport, ParseResult]] = []

    # 1. parse everything first (nothing is written for a file that fails)
    root = _indicators_dir(corpus_dir) if corpus_dir is not None else None
    if root is not None and not any((root / e["path"]).is_file() for e in cat.files if not e.get("skip")):
        report.failures.append((str(root), "no indicator files of the manifest in this folder"))
        root = None
    if root is not None:
        listed = set()
        for entry in cat.files:
            rel = entry["path"]
            listed.add(rel)
            path = root / rel
            if entry.get("skip"):
                report.files.append(FileReport(rel, None, "skipped", reason=entry["skip"]))
                continue
            if not path.is_file():
                report.files.append(FileReport(rel, entry["importer"], "failed", reason="file not found"))
                report.failures.append((rel, "file not found"))
                continue
            data = path.read_bytes()
            meta = SourceMeta.for_bytes(data, source=entry["source"], source_url=entry["source_url"],
                                        retrieved_at=entry.get("retrieved_at") or now, source_file=rel)
            try:
                if entry["importer"] == "sdmx_serieskeys":
                    keys = read_series_keys(data, rel)
                    m = re.search(r"/data/[^,/]+,([^,/]+),", entry["source_url"])
                    flow = m.group(1) if m else Path(rel).stem
                    report.availability.setdefault(flow, []).extend(keys)
                    report.files.append(FileReport(rel, entry["importer"], "availability",
                                                   reason=f"{len(keys)} series keys, no observations"))
                    continue
                result = _parse_file(entry, data, meta, cat, areas)
            except ImportError_ as e:
                report.files.append(FileReport(rel, entry["importer"], "failed", reason=str(e)))
                report.failures.append((rel, str(e)))
                continue
            fr = FileReport(rel, entry["importer"], "parsed")
            report.files.append(fr)
            parsed.append((fr, result))
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            if rel not in listed and not rel.startswith("unicef_sowc/kaz_extract/") and rel != "SOURCES.md":
                report.files.append(FileReport(rel, None, "unlisted", reason="not in the manifest of kb/data/indicators.yml"))

    # 2. live fetches
    if live:
        if client is None:
            raise ValueError("live=True needs an httpx client")
        parsed.extend(_fetch_live(cat, areas, client, now, report, raw_store))

    # 3. availability of catalogue indicators in the UNICEF series keys
    series_codes = Counter(k.get("INDICATOR") for keys in report.availability.values() for k in keys)
    for code, ind in cat.indicators.items():
        for src in ind.map.get("unicef_sdmx") or []:
            report.catalogue_availability[code] = report.catalogue_availability.get(code, 0) + series_codes.get(src, 0)

    _write(db, cat, areas, parsed, report)
    return report


def _fetch_live(cat: Catalogue, areas, client, now: str, report: ImportReport, raw_store=None):
    from scrapers.indicators.stored import KeepingClient, ReplayClient

    keeping = KeepingClient(client, raw_store) if raw_store is not None else None
    replay = ReplayClient(raw_store) if raw_store is not None else None
    out = []

    def run(item: str, importer: str, fetch) -> None:
        """``fetch(client, retrieved_at)`` → ParseResult, live; else from the stored copy."""
        try:
            result = fetch(keeping or client, now)
        except Exception as e:  # ImportError_, FetchFailed, httpx errors: reported, not fatal
            if keeping is not None:
                keeping.settle(str(e) or type(e).__name__)
            result = _replayed(replay, fetch) if replay is not None else None
            if result is None:
                report.files.append(FileReport(item, importer, "failed", reason=str(e)))
                report.failures.append((item, str(e)))
                return
            stamp = result.observations[0].retrieved_at if result.observations else "?"
            note = f"live fetch failed ({e}); reused the response stored {stamp}"
            report.files.append(fr := FileReport(item, importer, "parsed", reason=note))
            report.failures.append((item, note))
            out.append((fr, result))
            return
        if keeping is not None:
            keeping.settle(None)
        report.files.append(fr := FileReport(item, importer, "parsed"))
        out.append((fr, result))

    wb = cat.by_source_code("worldbank")
    for code in sorted(wb):
        run(f"worldbank API {code}", "worldbank_api",
            lambda c, at, code=code: fetch_worldbank(code, client=c, retrieved_at=at, codemap=wb,
                                                     area_resolver=areas.resolve))
    sdmx = {k: v[0] for k, v in cat.by_source_code("unicef_sdmx").items()}
    for code in sorted(sdmx):
        flow = UNICEF_FLOWS.get(code.split("_")[0])
        item = f"unicef_sdmx {flow} {code}"
        if not flow:
            report.files.append(FileReport(item, "unicef_sdmx_api", "skipped", reason="no dataflow known for the prefix"))
            continue
        key = _sdmx_key(flow, code, report)
        run(item, "unicef_sdmx_api",
            lambda c, at, flow=flow, key=key: fetch_unicef_sdmx(
                flow, key, client=c, retrieved_at=at, codemap=sdmx, area_resolver=areas.resolve))
    return out


def _replayed(replay, fetch):
    """The source parsed again from its newest good stored responses, or None if it cannot be.

    Observations keep the retrieval time of the stored response, not this build's.
    """
    replay.used.clear()
    try:
        result = fetch(replay, None)
    except Exception:  # nothing stored, or a stored copy that no longer loads
        return None
    if not replay.used:
        return None
    stamp = min(rec["retrieved_at"] for rec in replay.used)      # raw store: ...Z
    stamp = datetime.fromisoformat(stamp.replace("Z", "+00:00")).isoformat(timespec="seconds")
    for o in result.observations:
        o.retrieved_at = stamp
    return result


def _sdmx_key(flow: str, code: str, report: ImportReport) -> str:
    """KAZ + indicator in the dimension order of the flow's series keys (when known)."""
    keys = report.availability.get(flow)
    if keys:
        return ".".join("KAZ" if d == "REF_AREA" else code if d == "INDICATOR" else "" for d in keys[0])
    return f"KAZ.{code}."


def _write(db: sqlite_utils.Database, cat: Catalogue, areas, parsed, report: ImportReport) -> None:
    conn = db.conn
    conn.execute("SAVEPOINT load_indicators")
    try:
        provider = ""
        for a in areas.rows:
            row = {**a, "aliases": json.dumps(a["aliases"], ensure_ascii=False)}
            conn.execute(
                "INSERT INTO areas (code, kato, iso3, level, name_en, name_ru, name_kk, aliases) "
                "VALUES (:code, :kato, :iso3, :level, :name_en, :name_ru, :name_kk, :aliases) "
                "ON CONFLICT(code) DO UPDATE SET kato=excluded.kato, iso3=excluded.iso3, level=excluded.level, "
                "name_en=excluded.name_en, name_ru=excluded.name_ru, name_kk=excluded.name_kk, aliases=excluded.aliases",
                row)
        for ind in cat.indicators.values():
            groups, moda, provider = age_groups_for(ind.age_min_months, ind.age_max_months,
                                                    pregnancy=ind.pregnancy)
            row = {**ind.row(), "age_group_codes": json.dumps(groups),
                   "moda_group": ",".join(moda) or None}
            cols = ", ".join(row)
            conn.execute(
                f"INSERT INTO indicators ({cols}) VALUES ({', '.join(':' + c for c in row)}) "
                f"ON CONFLICT(code) DO UPDATE SET {', '.join(f'{c}=excluded.{c}' for c in row if c != 'code')}",
                row)
        report.age_groups_from = provider
        report.areas, report.indicators = len(areas.rows), len(cat.indicators)
        key_cols = "indicator_code, area_code, sex, residence, wealth_quintile, age, period, source"
        seen = {tuple(r[:8]): (r[8], r[9], "database") for r in conn.execute(
            f"SELECT {key_cols}, value_raw, source_file FROM observations")}
        area_codes = {a["code"] for a in areas.rows}
        insert = (f"INSERT INTO observations ({', '.join(OBSERVATION_COLUMNS)}) "
                  f"VALUES ({', '.join('?' for _ in OBSERVATION_COLUMNS)})")
        for file_report, result in parsed:
            item = file_report.path
            report.skipped.extend(result.skipped)
            file_report.skipped_cells = len(result.skipped)
            rows, pending = [], {}
            for o in result.observations:
                ind = cat.indicators.get(o.indicator_code)
                if ind is None or o.area_code not in area_codes:
                    report.skipped.append(Skip(item, o.row, None, o.value_raw,
                                               f"indicator {o.indicator_code} or area {o.area_code} not in the data files"))
                    continue
                if o.unit is None:
                    o.unit = ind.unit
                k = o.key()
                if k in seen:
                    first_raw, first_file, where = seen[k][0], seen[k][1], seen[k][2]
                    report.duplicates.append({
                        "key": dict(zip(key_cols.split(", "), k)), "file": item, "row": o.row,
                        "value_raw": o.value_raw, "kept_value_raw": first_raw,
                        "kept_from": first_file if where == "database" else where,
                        "same_value": float(first_raw) == o.value})
                    file_report.duplicates += 1
                    continue
                pending[k] = (o.value_raw, o.source_file, item)
                rows.append(tuple(o.to_row()[c] for c in OBSERVATION_COLUMNS))
            conn.execute("SAVEPOINT load_file")
            try:
                conn.executemany(insert, rows)
            except sqlite3.Error as e:
                conn.execute("ROLLBACK TO load_file")
                conn.execute("RELEASE load_file")
                file_report.status, file_report.reason = "failed", f"database error: {e}"
                report.failures.append((item, f"database error: {e}"))
                continue
            conn.execute("RELEASE load_file")
            seen.update(pending)
            file_report.status, file_report.observations = "loaded", len(rows)
            for r in rows:
                report.observations_by_source[r[OBSERVATION_COLUMNS.index("source")]] += 1
    except BaseException:
        conn.execute("ROLLBACK TO load_indicators")
        conn.execute("RELEASE load_indicators")
        raise
    conn.execute("RELEASE load_indicators")
