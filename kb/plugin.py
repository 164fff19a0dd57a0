"""The knowledge base's Datasette plugin (entry point `kb = "kb.plugin"`).

What Datasette and its maintained plugins do not provide, and nothing more:

* SQL functions on the `kb` database: `kb_fts_query(q)` (morphology-aware FTS5 query, see
  kb/search.py), `kb_snippet(text, q)` (a window of text with every inflected hit in <mark>),
  `kb_lemmas(text)`; and `escape_fts` is replaced on this database by `kb_fts_query`, so the
  table search box (`?_search=`) of provisions and provision_texts is morphology-aware too.
* `<mark>`-only HTML in `snippet` columns; links from `provision_id` / `indicator_code` columns of
  query results to the provision page / indicator chart.
* The pages lawyers use (`/`, `/search`, `/acts/{id}/{path}`, `/coverage`, `/age/{years}`) are
  the package kb/web: its routes are registered here, its templates added to the loader. The
  HTML row page `/kb/provisions/{id}` redirects to the provision's readable page there;
  `/kb/provision/{id}` redirects to `/kb/provisions/{id}`.
* Output renderers `.bib`, `.ris`, `.csljson` for the provisions table and row pages and any
  query with a `provision_id` column.
* `/kb/indicator/{code}`: observations as a server-side SVG time series by area and sex, with a
  data table and source citation (no JavaScript, works offline).
"""
from __future__ import annotations

import math
import re
import urllib.parse
from pathlib import Path

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import NotFound, Response
from jinja2 import ChoiceLoader, FileSystemLoader
from markupsafe import Markup, escape

from kb import citations, morph, search
from kb.security import asgi_wrapper  # noqa: F401  (hook: CSP, query slots; kb/security.py)
from kb import web
from kb.web import pages
from kb.web.format import highlight, marks_only  # noqa: F401  (cells; kept importable here)

DATABASE = "kb"
TEMPLATES = Path(__file__).parent / "templates"

SEX_RU = {"_T": "оба пола", "F": "девочки/женщины", "M": "мальчики/мужчины"}
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22")


# --- SQL functions ---------------------------------------------------------------------------


def _kb_snippet(text, q):
    return search.snippet(text, q)


@hookimpl(trylast=True)
def prepare_connection(conn, database):
    """trylast: runs after Datasette's own sql_functions plugin, so escape_fts is ours on kb."""
    if database != DATABASE:
        return
    conn.create_function("kb_fts_query", 1, search.build_fts_query, deterministic=True)
    conn.create_function("kb_snippet", 2, _kb_snippet, deterministic=True)
    conn.create_function("kb_lemmas", 1, lambda t: morph.lemmatize_text(t or ""),
                         deterministic=True)
    conn.create_function("escape_fts", 1, search.build_fts_query, deterministic=True)
    conn.create_function("kb_safe_url", 1, citations.safe_url, deterministic=True)


@hookimpl
def prepare_jinja2_environment(env):
    # kb.plugin is a module, not a package, so Datasette does not find kb/templates by itself.
    env.loader = ChoiceLoader([env.loader, FileSystemLoader([str(TEMPLATES),
                                                             str(web.TEMPLATES)])])


# --- cells -----------------------------------------------------------------------------------


def provision_url(datasette, provision_id, format=None):
    return datasette.urls.row(DATABASE, "provisions", tilde_encode(str(provision_id)),
                              format=format)


def indicator_url(datasette, code):
    return datasette.urls.path(f"/{DATABASE}/indicator/{tilde_encode(str(code))}")


@hookimpl
def render_cell(value, column, table, database, datasette):
    if database != DATABASE or table is not None or value in (None, ""):
        return None
    if column in ("snippet", "snippet_kk"):
        return marks_only(value)
    if column == "provision_id":
        return Markup('<a href="{}">{}</a>').format(provision_url(datasette, value), value)
    if column == "indicator_code":
        return Markup('<a href="{}">{}</a>').format(indicator_url(datasette, value), value)
    return None


async def _rows(db, sql, params=None):
    return [dict(r) for r in (await db.execute(sql, params or {})).rows]


async def _optional_rows(db, sql, params=None):
    """Rows from a view other people own (provision_indicator_links); none if it is missing."""
    try:
        return await _rows(db, sql, params)
    except Exception:
        return []


# --- citation output renderers -----------------------------------------------------------------


def _cell(value):
    return value.get("value") if isinstance(value, dict) else value


def _provision_ids(columns, rows, table) -> list[str]:
    column = "id" if table == "provisions" and "id" in columns else "provision_id"
    if column not in columns:
        return []
    index = columns.index(column)
    ids = []
    for row in rows:
        value = _cell(list(row)[index] if not isinstance(row, dict) else row[column])
        if value is not None and value not in ids:
            ids.append(str(value))
    return ids


async def _pairs(datasette, ids):
    db = datasette.get_database(DATABASE)
    pairs = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        provisions = {r["id"]: dict(r) for r in (await db.execute(
            f"select * from provisions where id in ({marks})", chunk)).rows}
        act_ids = sorted({p["act_id"] for p in provisions.values()})
        acts = {r["id"]: dict(r) for r in (await db.execute(
            f"select * from acts where id in ({','.join('?' * len(act_ids))})", act_ids)).rows}
        pairs += [(provisions[i], acts[provisions[i]["act_id"]]) for i in chunk if i in provisions]
    return pairs


def _can_render(columns, table, database):
    return database == DATABASE and bool(
        (table == "provisions" and "id" in columns) or "provision_id" in columns)


def _renderer(extension, function, content_type):
    async def render(datasette, columns, rows, table, database):
        if database != DATABASE:
            return Response.text("Citations are only available for the kb database", status=400)
        ids = _provision_ids(columns, rows, table)
        if not ids:
            return Response.text("No provision ids in this result: add a provision_id column",
                                 status=400)
        body = function(await _pairs(datasette, ids))
        return Response(body, content_type=content_type)

    return {"extension": extension, "render": render, "can_render": _can_render}


@hookimpl
def register_output_renderer(datasette):
    return [
        _renderer("bib", citations.to_bibtex, "application/x-bibtex; charset=utf-8"),
        _renderer("ris", citations.to_ris, "application/x-research-info-systems; charset=utf-8"),
        _renderer("csljson", citations.to_csljson,
                  "application/vnd.citationstyles.csl+json; charset=utf-8"),
    ]


# --- routes: provision redirect, indicator chart -----------------------------------------------


async def provision_redirect(request, datasette):
    provision_id = tilde_decode(request.url_vars["id"])
    return Response.redirect(provision_url(datasette, provision_id))


def _year(row):
    if row["year"] is not None:
        return int(row["year"])
    m = re.match(r"(\d{4})", row["period"] or "")
    return int(m.group(1)) if m else None


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


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"


def svg_chart(series: list[dict], unit: str | None, width=900, height=380) -> Markup:
    """Inline SVG line chart: one polyline + points per series, axes, legend."""
    points = [(x, y) for s in series for x, y in s["points"]]
    if not points:
        return Markup("")
    left, right, top, bottom = 64, 330, 20, 40
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
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
           f'aria-label="{escape(unit or "")} time series">']
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" '
                   f'stroke="#ddd"/><text x="{left - 6}" y="{sy(t) + 4:.1f}" font-size="11" '
                   f'text-anchor="end">{t:g}</text>')
    years = sorted(set(xs))
    step = max(1, len(years) // 10)
    for x in years[::step]:
        out.append(f'<text x="{sx(x):.1f}" y="{top + plot_h + 18}" font-size="11" '
                   f'text-anchor="middle">{x}</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#333"/>'
               f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" '
               f'y2="{top + plot_h}" stroke="#333"/>')
    if unit:
        out.append(f'<text x="12" y="{top + plot_h / 2:.0f}" font-size="11" '
                   f'transform="rotate(-90 12 {top + plot_h / 2:.0f})" text-anchor="middle">'
                   f'{escape(unit)}</text>')
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        pts = sorted(s["points"])
        d = " ".join(f"{'M' if j == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}"
                     for j, (x, y) in enumerate(pts))
        out.append(f'<path class="kb-series" data-series="{escape(s["label"])}" d="{d}" '
                   f'fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in pts:
            out.append(f'<circle class="kb-point" cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" '
                       f'fill="{colour}"><title>{escape(s["label"])}, {x}: {y:g}</title></circle>')
        ly = top + 14 + i * 18
        out.append(f'<rect x="{left + plot_w + 14}" y="{ly - 9}" width="12" height="12" '
                   f'fill="{colour}"/><text x="{left + plot_w + 32}" y="{ly + 1}" '
                   f'font-size="12">{escape(_short(s["label"], 48))}<title>{escape(s["label"])}</title></text>')
    out.append("</svg>")
    return Markup("".join(out))


async def indicator_page(request, datasette):
    code = tilde_decode(request.url_vars["code"])
    db = datasette.get_database(DATABASE)
    found = await _rows(db, """
        select i.*, d.name_en as dimension_name_en, d.name_ru as dimension_name_ru
        from indicators i left join dimensions d on d.code = i.dimension_code
        where i.code = :code""", {"code": code})
    if not found:
        raise NotFound(f"Indicator not found: {code}")
    indicator = found[0]
    where = ["o.indicator_code = :code", "o.residence = '_T'", "o.wealth_quintile = '_T'",
             "o.age = '_T'"]
    params = {"code": code}
    for arg, column in (("area", "o.area_code"), ("sex", "o.sex"), ("source", "o.source")):
        if request.args.get(arg):
            where.append(f"{column} = :{arg}")
            params[arg] = request.args[arg]
    observations = await _rows(db, f"""
        select o.*, a.name_en as area_name_en, a.name_ru as area_name_ru
        from observations o left join areas a on a.code = o.area_code
        where {' and '.join(where)}
        order by o.area_code, o.sex, o.source, o.year, o.period""", params)
    grouped: dict = {}
    for o in observations:
        year = _year(o)
        if year is None:
            continue
        key = (o["area_code"], o["sex"], o["source"])
        grouped.setdefault(key, {"points": {}, "area": o["area_name_ru"] or o["area_code"],
                                 "sex": o["sex"], "source": o["source"]})
        grouped[key]["points"].setdefault(year, o["value"])  # first period of a year
    multiple_sources = len({k[2] for k in grouped}) > 1
    series = []
    for key, g in grouped.items():
        label = f"{g['area']}, {SEX_RU.get(g['sex'], g['sex'])}"
        if multiple_sources:
            label += f" ({g['source']})"
        series.append({"label": label, "points": sorted(g["points"].items())})
    sources = await _rows(db, """
        select source, data_source, source_url, max(retrieved_at) as retrieved_at
        from observations where indicator_code = :code
        group by source, data_source, source_url order by source""", {"code": code})
    for s in sources:
        s["retrieved"] = citations.ru_short_date(s["retrieved_at"])
    links = await _optional_rows(
        db, "select * from provision_indicator_links where indicator_code = :code limit 100",
        {"code": code})
    context = {
        "database": DATABASE,
        "indicator": indicator,
        "observations": observations,
        "series": series,
        "chart": svg_chart(series, indicator["unit"]),
        "sources": sources,
        "links": [dict(l, link=provision_url(datasette, l["provision_id"]))
                  if l.get("provision_id") else l for l in links],
        "csv_url": datasette.urls.table(DATABASE, "observations", format="csv")
        + "?" + urllib.parse.urlencode({"indicator_code": code, "_size": "max"}),
        "table_url": datasette.urls.table(DATABASE, "observations")
        + "?" + urllib.parse.urlencode({"indicator_code": code}),
    }
    return Response.html(await datasette.render_template("kb-indicator.html", context,
                                                         request=request))


@hookimpl
def register_routes():
    return [
        (rf"^/{DATABASE}/provision/(?P<id>[^/]+)$", provision_redirect),
        (rf"^/{DATABASE}/indicator/(?P<code>[^/]+)$", indicator_page),
    ] + pages.ROUTES  # the lawyer-facing pages (kb/web): /, /search, /acts/…, /coverage, /age/…
