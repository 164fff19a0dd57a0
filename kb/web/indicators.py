"""Indicator pages (issue 13): `/indicators` (by dimension, with the latest value) and
`/indicators/{code}` (series, map, law events, linked provisions), `.json` and `.csv` with every
observation at full precision, and the redirect from the old `/kb/indicator/{code}`.

What is drawn is server-side SVG (no script: the pages run under a strict CSP). Values are
rounded for display only; each value on the page names its source and retrieval date.

Law events are the dates on which provisions linked to the indicator (table or view
`provision_indicator_links`: provision_id, act_id, indicator_code and, when present, relevance
and reason) were amended (table `amendments`, the provision or its article) or their act was
adopted. They are shown as dates of legal events, never as causes of the series' movements.
"""
from __future__ import annotations

import asyncio
import csv
import functools
import io
import math
import re
import urllib.parse
from pathlib import Path

import yaml
from datasette.utils import tilde_decode
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from kb import citations, geo
from kb.web import data, format as fmt

REGIONAL = Path(__file__).resolve().parents[1] / "data" / "regional.yml"
SEX_RU = {"_T": "оба пола", "F": "девочки", "M": "мальчики"}
RESIDENCE_RU = {"_T": "всё население", "U": "город", "R": "село"}
SOURCE_RU = {"worldbank": "Всемирный банк", "sowc2023": "ЮНИСЕФ SOWC 2023",
             "unicef_sdmx": "ЮНИСЕФ SDMX", "kz_stat": "БНС АСПиР РК", "kz_egov": "data.egov.kz",
             "kz_qamqor": "qamqor.gov.kz"}
PALETTE = ("#1f5fa8", "#c0392b", "#2e8b57", "#e67e22", "#7d3c98", "#8c564b", "#d63384",
           "#17a2b8", "#6c757d", "#b5a300")
LINKS_SHOWN = 60
EVENTS_SHOWN = 200      # the page lists the latest; the chart and JSON have every event
CITIES = ("71", "75", "79")


@functools.lru_cache(maxsize=1)
def regional_config() -> dict:
    return yaml.safe_load(REGIONAL.read_text(encoding="utf-8"))


def indicator_url(code: str) -> str:
    return "/indicators/" + urllib.parse.quote(code, safe="")


# --- numbers ---------------------------------------------------------------------------------


def display_number(value) -> str:
    """Rounded for reading, Russian style: 93.3115698 → «93,3», 2901294 → «2 901 294»,
    0.0123 → «0,012». Full precision stays in JSON and CSV."""
    if value is None:
        return "—"
    v = float(value)
    if v == int(v) and abs(v) < 1e15:
        decimals = 0
    elif abs(v) >= 100:
        decimals = 0 if abs(v) >= 1000 else 1
    elif abs(v) >= 1:
        decimals = 1
    elif v == 0:
        decimals = 0
    else:
        decimals = max(2, 1 - int(math.floor(math.log10(abs(v)))))
    text = f"{v:,.{decimals}f}"
    if decimals:
        text = text.rstrip("0").rstrip(".") if "." in text else text
    return text.replace(",", "\u202f").replace(".", ",")


def plot_year(row) -> tuple[int | None, bool]:
    """(year on the chart, whether the period is a range): `year`, else a range's last year
    (SOWC «2013-2021»: the most recent year available in the range)."""
    if row.get("year") is not None:
        return int(row["year"]), False
    m = re.fullmatch(r"(\d{4})-(\d{4})", row.get("period") or "")
    if m:
        return int(m.group(2)), True
    return None, False


def _source_label(row) -> str:
    return SOURCE_RU.get(row["source"], row["source"])


# --- reading ---------------------------------------------------------------------------------


async def _indicator(datasette, code):
    found = await data.rows(data.db_of(datasette), """
        select i.*, d.name_ru as dimension_name_ru, d.name_en as dimension_name_en
        from indicators i left join dimensions d on d.code = i.dimension_code
        where i.code = :c""", {"c": code})
    return found[0] if found else None


async def _observations(datasette, code):
    return await data.rows(data.db_of(datasette), """
        select o.id, o.indicator_code, o.area_code, a.name_ru as area_name_ru,
               a.name_en as area_name_en, a.level as area_level, o.sex, o.residence,
               o.wealth_quintile, o.age, o.period, o.year, o.value, o.value_raw, o.lower_bound,
               o.upper_bound, o.unit, o.obs_status, o.data_source, o.source, o.source_file,
               o.source_url, o.retrieved_at, o.content_sha256
        from observations o left join areas a on a.code = o.area_code
        where o.indicator_code = :c
        order by o.area_code = 'KAZ' desc, o.area_code, o.sex, o.residence, o.source, o.year,
                 o.period""", {"c": code})


def _totals(o) -> bool:
    """A total over wealth and age: age `_T`, or the one age group an indicator is given for
    (KZ_POP_0_15 is all `Y0T15`), marked by _payload as `_base_age`."""
    return o["wealth_quintile"] == "_T" and o["age"] == o.get("_base_age", "_T")


def latest_by_sex(observations) -> list[dict]:
    """The latest national value (residence, wealth and age totals) for each sex measured:
    both sexes, girls, boys — an indicator measured for girls only still has its latest value.
    Latest by year (a range by its last year); ties by source name."""
    best = {}
    for o in observations:
        if o["area_code"] != "KAZ" or o["residence"] != "_T" or not _totals(o):
            continue
        year, _ = plot_year(o)
        if year is None:
            continue
        key = (year, _neg(o["source"]))
        if o["sex"] not in best or key > best[o["sex"]][0]:
            best[o["sex"]] = (key, o)
    return [dict(best[s][1], sex_ru=SEX_RU.get(s, s)) for s in ("_T", "F", "M") if s in best]


def _neg(text: str) -> tuple:
    # sort key: an earlier source name wins a tie (as indicator_latest orders by source)
    return tuple(-ord(c) for c in text)


async def _sources(datasette, code):
    rows = await data.rows(data.db_of(datasette), """
        select source, data_source, source_url, max(retrieved_at) as retrieved_at,
               count(*) as n, min(period) as first, max(period) as last
        from observations where indicator_code = :c
        group by source, source_url order by source""", {"c": code})
    for r in rows:
        r["retrieved"] = citations.ru_short_date(r["retrieved_at"]) or r["retrieved_at"]
        r["label"] = _source_label(r)
        r["url"] = r["source_url"]
    return rows


async def _links(datasette, code, limit: int | None = None):
    """Linked provisions, most relevant first, with the reason when the links have one; with
    `limit`, (the first `limit` links, how many there are in all)."""
    if not await data.has_table(datasette, "provision_indicator_links"):
        return ([], 0, False) if limit else ([], False)
    cols = await data.columns(datasette, "provision_indicator_links")
    extra = ", ".join(f"l.{c}" for c in ("relevance", "reason") if c in cols)
    order = "l.relevance desc, " if "relevance" in cols else ""
    db = data.db_of(datasette)
    # ranked on the links' own columns first, the provisions' texts read for the rows kept
    # (at a million provisions an indicator has thousands of links; issue 11)
    found = await data.rows(db, f"""
        select l.*, p.path, p.kind, p.number, p.heading, substr(p.text, 1, 200) as excerpt,
               a.title as act_title
        from (select distinct l.provision_id, l.act_id{', ' + extra if extra else ''},
                     p.position, a.status as act_status
              from provision_indicator_links l
              join provisions p on p.id = l.provision_id
              join acts a on a.id = l.act_id
              where l.indicator_code = :c
              order by {order}a.status = 'repealed', l.act_id, p.position
              {"limit :n" if limit else ""}) l
        join provisions p on p.id = l.provision_id
        join acts a on a.id = l.act_id
        order by {order}l.act_status = 'repealed', l.act_id, l.position""",
        {"c": code, "n": 4 * limit} if limit else {"c": code})
    seen, links = set(), []
    for r in found:  # a view may repeat a provision once per shared dimension
        if r["provision_id"] in seen:
            continue
        seen.add(r["provision_id"])
        links.append(r)
    urls = await data.provision_urls(datasette, [(r["provision_id"], r["act_id"])
                                                 for r in links[:LINKS_SHOWN]])
    for r in links:
        r["url"] = urls.get(r["provision_id"])
        r["label"] = r["path"] or fmt.provision_label(r)
        if isinstance(r.get("relevance"), float):
            r["relevance_text"] = display_number(r["relevance"])
    if not limit:
        return links, "reason" in cols
    total = len(links)
    if len(found) == 4 * limit:     # more than were read (a view may repeat a provision)
        total = (await data.rows(db, """select count(distinct provision_id) as n
            from provision_indicator_links where indicator_code = :c""", {"c": code}))[0]["n"]
    return links[:limit], total, "reason" in cols


async def law_events(datasette, code) -> list[dict]:
    """Amendments of the linked provisions (or of the article holding them) and the adoption
    of their acts, one row per (date, amending act, action) with the provisions it touched."""
    if not await data.has_table(datasette, "provision_indicator_links"):
        return []
    db = data.db_of(datasette)
    if await data.has_table(datasette, "indicator_law_events"):
        # computed by the build (db/law_events.py): an index look-up, not a walk per request
        found = await data.rows(db, """
            select date, form, number, action, entry_into_force, act_id, act_title,
                   provisions, paths
            from indicator_law_events where indicator_code = :c
            order by action = 'adopted', date, act_id, form, number, action""", {"c": code})
        return _events(found)
    # a database built before that table: the same walk per request, for this indicator
    from db.law_events import adopted_sql, amended_sql

    columns = "date, form, number, action, entry_into_force, act_id, act_title, provisions, paths"
    amended = await data.rows(db, f"select {columns} from ({amended_sql(':c')})", {"c": code})
    adopted = await data.rows(db, f"select {columns} from ({adopted_sql(':c')})", {"c": code})
    return _events(amended + adopted)


def _events(found: list[dict]) -> list[dict]:
    """Amendments then adoptions, ordered by date and act (a stable sort keeps that order on
    a tie), with what the page shows of each."""
    events = []
    for e in sorted(found, key=lambda e: (e["date"], e["act_id"])):
        e["date_ru"] = fmt.ru_date(e["date"])
        e["year"] = int(e["date"][:4]) if re.match(r"\d{4}", e["date"] or "") else None
        e["action_ru"] = "принят акт" if e["action"] == "adopted" else \
            fmt.ACTION_RU.get(e["action"], e["action"])
        paths = [p for p in (e.get("paths") or "").split(",") if p]
        e["paths_list"] = paths[:8]
        e["paths_more"] = max(0, len(paths) - 8)
        e["act_url"] = data.act_url(e["act_id"])
        if e["action"] != "adopted":
            e["by"] = " ".join(x for x in (e["form"], "от " + e["date_ru"],
                                           f"№ {e['number']}" if e["number"] else "") if x)
        events.append(e)
    return events


# --- series and chart ------------------------------------------------------------------------


def build_series(observations, area: str = "KAZ") -> list[dict]:
    """One series per (sex, residence, source) of an area (wealth and age totals)."""
    groups: dict = {}
    for o in observations:
        if o["area_code"] != area or not _totals(o):
            continue
        year, is_range = plot_year(o)
        if year is None:
            continue
        key = (o["sex"], o["residence"], o["source"])
        g = groups.setdefault(key, {"sex": o["sex"], "residence": o["residence"],
                                    "source": o["source"], "points": {},
                                    "area": o["area_name_ru"] or o["area_code"]})
        g["points"].setdefault(year, (o["value"], o["period"], is_range))
    sources = {k[2] for k in groups}
    series = []
    for key in sorted(groups, key=lambda k: (k[1] != "_T", k[0] != "_T", k[0], k[1], k[2])):
        g = groups[key]
        parts = [g["area"]] if area != "KAZ" else []
        if g["sex"] != "_T" or g["residence"] == "_T":
            parts.append(SEX_RU.get(g["sex"], g["sex"]))
        if g["residence"] != "_T":
            parts.append(RESIDENCE_RU.get(g["residence"], g["residence"]))
        label = ", ".join(parts)
        if len(sources) > 1:
            label += f" ({SOURCE_RU.get(g['source'], g['source'])})"
        series.append({**g, "label": label, "points": sorted(g["points"].items())})
    return series


def _nice_ticks(lo, hi, count=5):
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    value = math.floor(lo / step) * step
    ticks = [value]
    while ticks[-1] < hi - step * 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def chart_svg(series, unit, events, width=860, height=400) -> Markup:
    """Lines and points per series; a range period (SOWC «2013-2021») is a hollow point at its
    last year; law events are dashed vertical lines, one per year, with what happened."""
    points = [(x, p[0]) for s in series for x, p in s["points"]]
    if not points:
        return Markup("")
    rows_legend = -(-len(series) // 2)
    left, right, top = 70, 20, 28
    bottom = 44 + 20 * rows_legend
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    event_years = sorted({e["year"] for e in events if e["year"] is not None})
    shown_events = [y for y in event_years if x0 - 1 <= y <= x1 + 1]
    if shown_events:
        x0, x1 = min(x0, min(shown_events)), max(x1, max(shown_events))
    if x0 == x1:
        x0, x1 = x0 - 1, x1 + 1
    y_lo = 0 if min(ys) >= 0 else min(ys)
    ticks = _nice_ticks(y_lo, max(ys))
    y0, y1 = ticks[0], ticks[-1] if ticks[-1] > ticks[0] else ticks[0] + 1
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(x):
        return left + (x - x0) / (x1 - x0) * plot_w

    def sy(y):
        return top + plot_h - (y - y0) / (y1 - y0) * plot_h

    out = [f'<svg class="kb-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="Динамика, {escape(unit or "")}">']
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" '
                   f'stroke="#e3e3e3"/><text x="{left - 6}" y="{sy(t) + 4:.1f}" font-size="11" '
                   f'text-anchor="end">{escape(display_number(t))}</text>')
    span = x1 - x0
    step = next(s for s in (1, 2, 5, 10, 20) if span / s <= 12)
    for x in range(int(math.ceil(x0 / step) * step), x1 + 1, step):
        out.append(f'<text x="{sx(x):.1f}" y="{top + plot_h + 16}" font-size="11" '
                   f'text-anchor="middle">{x}</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#333"/>'
               f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" '
               f'y2="{top + plot_h}" stroke="#333"/>')
    if unit:
        out.append(f'<text x="14" y="{top + plot_h / 2:.0f}" font-size="11" '
                   f'transform="rotate(-90 14 {top + plot_h / 2:.0f})" text-anchor="middle">'
                   f'{escape(unit)}</text>')
    by_year: dict = {}
    for e in events:
        if e["year"] in shown_events:
            by_year.setdefault(e["year"], []).append(e)
    for year in shown_events:
        items = by_year[year]
        x = sx(year)
        text = "; ".join(f"{e['date_ru']}: {e['action_ru']} — "
                         + (e.get("by") + ", " if e.get("by") else "")
                         + f"{e['act_title']} ({e['provisions']} пол.)" for e in items[:6])
        if len(items) > 6:
            text += f"; ещё {len(items) - 6}"
        out.append(f'<g class="kb-law-event" data-year="{year}"><line x1="{x:.1f}" '
                   f'x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" stroke="#9a6700" '
                   f'stroke-width="1" stroke-dasharray="4 3"/><path d="M{x - 5:.1f},{top - 10} '
                   f'L{x + 5:.1f},{top - 10} L{x:.1f},{top - 2} Z" fill="#9a6700"/>'
                   f'<title>{escape(f"{year}: {text}")}</title></g>')
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        pts = s["points"]
        dash = ' stroke-dasharray="6 3"' if s["residence"] == "R" else (
            ' stroke-dasharray="2 2"' if s["residence"] == "U" else "")
        if len(pts) > 1:
            d = " ".join(f"{'M' if j == 0 else 'L'}{sx(x):.1f},{sy(p[0]):.1f}"
                         for j, (x, p) in enumerate(pts))
            out.append(f'<path class="kb-series" data-series="{escape(s["label"])}" d="{d}" '
                       f'fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for x, (y, period, is_range) in pts:
            fill = "#fff" if is_range else colour
            out.append(f'<circle class="kb-point" cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" '
                       f'fill="{fill}" stroke="{colour}" stroke-width="1.5"><title>'
                       f'{escape(s["label"])}, {escape(period)}: {escape(display_number(y))}'
                       f'</title></circle>')
        col, row = i % 2, i // 2
        lx, ly = left + col * (plot_w / 2), top + plot_h + 36 + row * 20
        out.append(f'<line x1="{lx:.0f}" x2="{lx + 22:.0f}" y1="{ly - 4}" y2="{ly - 4}" '
                   f'stroke="{colour}" stroke-width="2.5"{dash}/><text x="{lx + 28:.0f}" '
                   f'y="{ly}" font-size="12">{escape(s["label"][:70])}</text>')
    if shown_events:
        out.append(f'<text x="{left + plot_w}" y="{top - 14}" font-size="11" text-anchor="end" '
                   f'fill="#9a6700">▼ правовые события (даты, не причины)</text>')
    out.append("</svg>")
    return Markup("".join(out))


# --- regions ---------------------------------------------------------------------------------


def _regional_values(observations, period, unit):
    """{area: (value, row)} of one period: both sexes, or girls + boys of a count."""
    by_area: dict = {}
    for o in observations:
        if o["area_code"] == "KAZ" or o["period"] != period or o["residence"] != "_T" \
                or not _totals(o):
            continue
        by_area.setdefault(o["area_code"], {})[o["sex"]] = o
    values = {}
    counts = unit in regional_config()["count_units"]
    for area, by_sex in by_area.items():
        if "_T" in by_sex:
            values[area] = (by_sex["_T"]["value"], by_sex["_T"], "оба пола")
        elif counts and "F" in by_sex and "M" in by_sex:
            values[area] = (by_sex["F"]["value"] + by_sex["M"]["value"], by_sex["F"],
                            "девочки + мальчики")
    return values


def _period_key(o):
    year, _ = plot_year(o)
    return (year if year is not None else -1, o["period"])


def _part_of(values: dict, splits: dict) -> dict:
    """{oblast created in 2022: the oblast it was taken from} when the values are of the old
    territories (no value for any new oblast, one for its parent)."""
    if any(c in values for c in splits):
        return {}
    return {new: old for new, old in splits.items() if old in values}


async def regional(datasette, indicator, observations) -> dict | None:
    """The latest regional period: values by area (urban and rural beside them where the
    source has them), the map, and per-child rates where the indicator is a count."""
    regional_rows = [o for o in observations if o["area_code"] != "KAZ"]
    if not regional_rows:
        return None
    cfg = regional_config()
    unit = indicator["unit"] or ""
    latest = max(regional_rows, key=_period_key)
    period = latest["period"]
    values = _regional_values(observations, period, unit)
    areas = {a["code"]: a for a in await data.rows(data.db_of(datasette), "select * from areas")}
    splits = cfg["split"]["new_from"]
    by_residence = {}
    for o in regional_rows:
        if o["period"] == period and o["residence"] != "_T" and o["sex"] == "_T" and _totals(o):
            by_residence.setdefault(o["area_code"], {})[o["residence"]] = o["value"]
    rows = []
    for code, (value, row, sexes) in sorted(values.items(), key=lambda kv: -kv[1][0]):
        rows.append({"code": code, "name": (areas.get(code) or {}).get("name_ru", code),
                     "value": value, "value_text": display_number(value), "sexes": sexes,
                     "urban": display_number(by_residence.get(code, {}).get("U"))
                     if "U" in by_residence.get(code, {}) else "",
                     "rural": display_number(by_residence.get(code, {}).get("R"))
                     if "R" in by_residence.get(code, {}) else "",
                     "source": _source_label(row), "source_url": row["source_url"],
                     "retrieved": citations.ru_short_date(row["retrieved_at"])
                     or row["retrieved_at"],
                     "drawn": code in {f["properties"]["code"]
                                       for f in geo.boundaries()["features"]}})
    plain = {c: v for c, (v, _, _) in values.items()}
    title = f"{indicator['name_ru'] or indicator['name_en']}, {period}"
    result = {
        "period": "дата не указана" if period == "undated" else period, "unit": unit,
        "rows": rows,
        "has_residence": bool(by_residence),
        "not_drawn": [r for r in rows if not r["drawn"]],
        "map": geo.choropleth_svg(plain, {c: f"{display_number(v)} {unit}" for c, v in
                                          plain.items()}, display_number, unit, title,
                                  part_of=_part_of(plain, splits)),
        "merged": [(areas.get(c) or {}).get("name_ru", c) for c in _part_of(plain, splits)],
        "per_child": None,
    }
    per_label = cfg["per_child"].get(indicator["code"])
    if per_label:
        result["per_child"] = await _per_child(datasette, observations, unit, cfg, per_label,
                                               areas, splits)
    return result


async def _per_child(datasette, observations, unit, cfg, label, areas, splits):
    den = cfg["denominator"]
    rows = await data.rows(data.db_of(datasette), """
        select area_code, sex, value, period, source_url, retrieved_at, data_source
        from observations where indicator_code = :c and area_code <> 'KAZ'
          and residence = '_T' and wealth_quintile = '_T'""",
                           {"c": den["indicator"]})
    children: dict = {}
    for r in rows:
        if r["sex"] in den["sexes"]:
            children.setdefault(r["area_code"], {})[r["sex"]] = r["value"]
    children = {a: sum(v.values()) for a, v in children.items() if len(v) == len(den["sexes"])}
    if not children:
        return None
    # the latest period whose areas all lie in the denominator's (older) territories
    periods = sorted({(_period_key(o), o["period"]) for o in observations
                      if o["area_code"] != "KAZ"}, reverse=True)
    for _, period in periods:
        values = _regional_values(observations, period, unit)
        if values and not any(code in splits for code in values):
            break
    else:
        return None
    per = den["per"]
    rates = {c: v[0] / children[c] * per for c, v in values.items() if children.get(c)}
    table = [{"code": c, "name": (areas.get(c) or {}).get("name_ru", c),
              "value_text": display_number(values[c][0]),
              "children_text": display_number(children[c]), "rate": rates[c],
              "rate_text": display_number(rates[c])}
             for c in sorted(rates, key=lambda c: -rates[c])]
    return {"period": period, "label": label, "rows": table, "note": den["note_ru"],
            "source_url": rows[0]["source_url"], "retrieved": citations.ru_short_date(
                rows[0]["retrieved_at"]) or rows[0]["retrieved_at"],
            "map": geo.choropleth_svg(rates, {c: f"{display_number(r)} ({label})"
                                              for c, r in rates.items()},
                                      display_number, label, f"{label}, {period}",
                                      part_of=_part_of(rates, splits)),
            "merged": [(areas.get(c) or {}).get("name_ru", c) for c in _part_of(rates, splits)]}


# --- payloads --------------------------------------------------------------------------------


async def _payload(datasette, code):
    indicator, observations = await asyncio.gather(_indicator(datasette, code),
                                                   _observations(datasette, code))
    if indicator is None:
        return None
    ages = {o["age"] for o in observations}
    if "_T" not in ages and len(ages) == 1:
        for o in observations:
            o["_base_age"] = o["age"]
    return indicator, observations


def _json_safe(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


async def indicator_json(request, datasette):
    from kb.web.pages import json_response
    code = urllib.parse.unquote(request.url_vars["code"])
    found = await _payload(datasette, code)
    if found is None:
        return json_response({"error": f"Индикатора {code} нет в базе знаний."}, status=404)
    indicator, observations = found
    links, _ = await _links(datasette, code)
    return json_response({
        "indicator": indicator,
        "sources": await _sources(datasette, code),
        "latest_by_sex": [{k: o[k] for k in ("sex", "period", "year", "value", "value_raw",
                                             "unit", "source", "source_url", "retrieved_at")}
                          for o in latest_by_sex(observations)],
        "observations": [_json_safe(o) for o in observations],  # full precision: `value` as stored, `value_raw` as read
        "law_events": [{k: e[k] for k in ("date", "action", "form", "number", "act_id",
                                          "act_title", "provisions", "entry_into_force")}
                       for e in await law_events(datasette, code)],
        "law_events_note": "dates of legal events concerning linked provisions; described, "
                           "not claimed as causes of changes in the indicator",
        "provisions": [{k: l.get(k) for k in ("provision_id", "act_id", "path", "relevance",
                                              "reason", "url") if k in l} for l in links],
    })


async def indicator_csv(request, datasette):
    code = urllib.parse.unquote(request.url_vars["code"])
    found = await _payload(datasette, code)
    if found is None:
        return Response.text(f"Индикатора {code} нет в базе знаний.", status=404)
    _, observations = found
    out = io.StringIO()
    observations = [_json_safe(o) for o in observations]
    fields = list(observations[0]) if observations else ["indicator_code"]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for o in observations:
        writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in o.items()})
    response = Response(out.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{code}.csv"'
    response.headers["Cache-Control"] = "max-age=3600"
    return response


async def indicator_page(request, datasette):
    from kb.web.pages import html_response, not_found
    code = urllib.parse.unquote(request.url_vars["code"])
    area = (request.args.get("area") or "").strip()
    html = await indicator_html(datasette, code, area)
    if html is None:
        return await not_found(datasette, request, f"Индикатора {code} нет в базе знаний.",
                               {"text": "Все индикаторы", "url": "/indicators"})
    return html_response(html)


async def indicator_html(datasette, code: str, area: str = "") -> str | None:
    """The indicator's page (None for an unknown code), kept per served build for a known
    indicator and area or none (data.remembered): the same for every visitor of an immutable
    file, and 10-50 ms of the server's CPU to make at a million provisions (its law events,
    links, chart and maps; issue 11). What every indicator's page shows is read and made at
    start (warm_indicator_pages), its HTML on its first request; an area that is not a
    region's code is answered, not kept."""
    from kb.web.pages import render_html

    async def page(context):
        return await render_html(datasette, "/indicators/" + code, "kb_web_indicator.html",
                                 context)

    db = data.db_of(datasette)
    if db.is_mutable:
        context = await _page_context(datasette, code, area)
        return None if context is None else await page(context)
    if code not in await _known_codes(datasette):
        return None
    if area and area not in {r["area_code"] for r in await data.cached(
            datasette, "observation_areas",
            "select distinct area_code from observations where area_code <> 'KAZ'")}:
        return await page(await _page_context(datasette, code, area))

    async def compute():
        return await page(await _kept_context(datasette, code, area))

    return await data.remembered(datasette, ("indicator", code, area), compute, size=len)


async def _known_codes(datasette) -> set[str]:
    return {r["code"] for r in await data.cached(datasette, "indicator_codes",
                                                 "select code from indicators")}


async def _kept_context(datasette, code: str, area: str) -> dict:
    return await data.remembered(datasette, ("indicator context", code, area),
                                 lambda: _page_context(datasette, code, area),
                                 size=lambda context: len(repr(context)))


async def warm_indicator_pages(datasette) -> None:
    """Read and make what every indicator's page shows before the first request (startup
    hook of kb/plugin.py, an immutable kb database; Datasette renders templates only once
    started): 48 indicators, about a second at a million provisions."""
    db = data.db_of(datasette)
    if db.is_mutable or not await data.has_table(datasette, "indicators"):
        return
    for code in sorted(await _known_codes(datasette)):
        await _kept_context(datasette, code, "")


async def _page_context(datasette, code: str, area: str) -> dict | None:
    found = await _payload(datasette, code)
    if found is None:
        return None
    indicator, observations = found
    # independent reads asked for together: under load each would wait its turn in the SQL
    # threads' queue after the one before (issue 11)
    events, (links, links_total, has_reason), area_rows, sources, regional_map = \
        await asyncio.gather(
            law_events(datasette, code), _links(datasette, code, LINKS_SHOWN),
            data.rows(data.db_of(datasette), "select code, name_ru from areas"),
            _sources(datasette, code), regional(datasette, indicator, observations))
    region_codes = sorted({o["area_code"] for o in observations if o["area_code"] != "KAZ"})
    series = build_series(observations)
    if area in region_codes:
        series += build_series(observations, area)
    elif area:
        area = ""
    areas = {a["code"]: a for a in area_rows}
    national = [dict(o, value_text=display_number(o["value"]),
                     bounds_text=f"{display_number(o['lower_bound'])}–"
                                 f"{display_number(o['upper_bound'])}"
                     if o["lower_bound"] is not None else "",
                     sex_ru=SEX_RU.get(o["sex"], o["sex"]),
                     residence_ru=RESIDENCE_RU.get(o["residence"], o["residence"]),
                     source_label=_source_label(o),
                     retrieved=citations.ru_short_date(o["retrieved_at"]) or o["retrieved_at"])
                for o in observations if o["area_code"] == "KAZ"]
    latest = [dict(o, value_text=display_number(o["value"]), source_label=_source_label(o),
                   retrieved=citations.ru_short_date(o["retrieved_at"]) or o["retrieved_at"])
              for o in latest_by_sex(observations)]
    shown_years = {x for s in series for x, _ in s["points"]}
    return {
        "title": indicator["name_ru"] or indicator["name_en"],
        "i": indicator, "code": code,
        "ages": fmt.age_text(indicator["age_min_months"], indicator["age_max_months"]),
        "sources": sources,
        "latest": latest,
        "chart": chart_svg(series, indicator["unit"], events),
        "series": series,
        "events": events[-EVENTS_SHOWN:], "events_total": len(events),
        "events_first": events[0] if events else None,
        "events_in_chart": bool(shown_years) and any(
            e["year"] is not None and min(shown_years) - 1 <= e["year"] <= max(shown_years) + 1
            for e in events),
        "regional": regional_map,
        "region_options": [{"code": c, "name": (areas.get(c) or {}).get("name_ru", c)}
                           for c in region_codes],
        "area": area,
        "links": links, "links_total": links_total, "has_reason": has_reason,
        "national": national,
        "json_url": indicator_url(code) + ".json", "csv_url": indicator_url(code) + ".csv",
        "table_url": "/kb/observations?" + urllib.parse.urlencode({"indicator_code": code}),
        "map_source": geo.source_note(),
        "search_url": "/search?" + urllib.parse.urlencode({"dimension": indicator[
            "dimension_code"]}),
    }


# --- index -----------------------------------------------------------------------------------


async def _index_payload(datasette):
    db = data.db_of(datasette)
    indicators = await data.rows(db, """select i.code, i.name_ru, i.name_en, i.unit,
        i.dimension_code, i.age_min_months, i.age_max_months,
        (select count(*) from observations o where o.indicator_code = i.code) as observations,
        exists(select 1 from observations o where o.indicator_code = i.code
               and o.area_code <> 'KAZ') as regional
        from indicators i order by i.code""")
    national = await data.rows(db, """select indicator_code, area_code, sex, residence,
        wealth_quintile, age, period, year, value, source, source_url, retrieved_at
        from observations where area_code = 'KAZ' and residence = '_T'
        and wealth_quintile = '_T' and age = '_T'""")
    by_code: dict = {}
    for o in national:
        by_code.setdefault(o["indicator_code"], []).append(o)
    dims = await data.dimensions(datasette)
    groups = []
    for d in dims:
        items = []
        for i in indicators:
            if i["dimension_code"] != d["code"]:
                continue
            latest = latest_by_sex(by_code.get(i["code"], []))
            items.append(dict(i, url=indicator_url(i["code"]),
                              ages=fmt.age_text(i["age_min_months"], i["age_max_months"]),
                              latest=[{"sex": o["sex"], "sex_ru": o["sex_ru"],
                                       "period": o["period"], "value": o["value"],
                                       "value_text": display_number(o["value"]),
                                       "source": o["source"], "source_label": _source_label(o),
                                       "retrieved_at": o["retrieved_at"]} for o in latest]))
        if items:
            groups.append({"code": d["code"], "name_ru": d["name_ru"], "indicators": items})
    return {"total": len(indicators), "groups": groups}


async def index_page(request, datasette):
    from kb.web.pages import render
    payload = await _index_payload(datasette)
    return await render(datasette, request, "kb_web_indicators.html", {
        "title": "Индикаторы", "p": payload})


async def index_json(request, datasette):
    from kb.web.pages import json_response
    return json_response(await _index_payload(datasette))


async def old_indicator_link(request, datasette):
    """The old Datasette-plugin page `/kb/indicator/{code}` lives at `/indicators/{code}`."""
    code = tilde_decode(request.url_vars["code"])
    return Response.redirect(indicator_url(code), status=301)


ROUTES = [
    (r"^/indicators$", index_page),
    (r"^/indicators\.json$", index_json),
    (r"^/indicators/(?P<code>[^/]+?)\.json$", indicator_json),
    (r"^/indicators/(?P<code>[^/]+?)\.csv$", indicator_csv),
    (r"^/indicators/(?P<code>[^/]+)$", indicator_page),
]
