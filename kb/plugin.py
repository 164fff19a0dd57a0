"""The knowledge base's Datasette plugin (entry point `kb = "kb.plugin"`).

What Datasette and its maintained plugins do not provide, and nothing more:

* SQL functions on the `kb` database: `kb_fts_query(q)` (morphology-aware FTS5 query, see
  kb/search.py), `kb_snippet(text, q)` (a window of text with every inflected hit in <mark>),
  `kb_lemmas(text)`; and `escape_fts` is replaced on this database by `kb_fts_query`, so the
  table search box (`?_search=`) of provisions and provision_texts is morphology-aware too.
* `<mark>`-only HTML in `snippet` columns; links from `provision_id` / `indicator_code` columns of
  query results to the provision page / indicator chart.
* The provision page: Datasette's own row page `/kb/provisions/{id}` with the template
  `row-kb-provisions.html` and its variables from `extra_template_vars`.
  `/kb/provision/{id}` redirects there.
* Output renderers `.bib`, `.ris`, `.csljson` for the provisions table and row pages and any
  query with a `provision_id` column.
* `/kb/indicator/{code}`: observations as a server-side SVG time series by area and sex, with a
  data table and source citation (no JavaScript, works offline).
"""
from __future__ import annotations

import json
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

DATABASE = "kb"
TEMPLATES = Path(__file__).parent / "templates"

KIND_RU = {"section": "Раздел", "chapter": "Глава", "article": "Статья", "part": "п.",
           "subpart": "пп.", "paragraph": "абз."}
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


def marks_only(value) -> Markup:
    """Escape everything, then let <mark> and </mark> through."""
    escaped = str(escape(value))
    return Markup(escaped.replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>"))


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


# --- highlighting evidence -------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case with ё→е, one character for one, so offsets map back to the original.

    str.lower() may lengthen a character («İ» → «i̇»): such characters are left as they are.
    """
    folded = text.lower()
    if len(folded) != len(text):
        folded = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return folded.replace("ё", "е")


def highlight(text: str | None, phrases) -> Markup:
    """HTML of text with every occurrence of each phrase (case- and ё-insensitive) in <mark>."""
    if not text:
        return Markup("")
    folded = _fold(text)
    spans = []
    for phrase in {p.strip() for p in phrases if p and p.strip()}:
        needle = _fold(phrase)
        if len(needle) != len(phrase):
            continue
        start = folded.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + len(needle))
    spans.sort()
    merged = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    out, pos = [], 0
    for s, e in merged:
        out.append(str(escape(text[pos:s])))
        out.append(f'<mark class="kb-evidence">{escape(text[s:e])}</mark>')
        pos = e
    out.append(str(escape(text[pos:])))
    return Markup("".join(out).replace("\n", "<br>\n"))


def _json_list(value) -> list:
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return []
    return parsed if isinstance(parsed, list) else []


def _phrases(evidence) -> list[str]:
    """Evidence items are strings, or dicts with a text/phrase field."""
    out = []
    for item in evidence:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            for key in ("text", "phrase", "evidence", "match"):
                if isinstance(item.get(key), str):
                    out.append(item[key])
                    break
    return out


def age_text(min_months, max_months) -> str:
    """0, 215 → «0–17 лет (0–215 мес.)»; 216, None → «от 18 лет (216+ мес.)»."""
    if min_months is None and max_months is None:
        return ""
    lo = min_months or 0
    if max_months is None:
        low = f"{lo // 12} лет" if lo % 12 == 0 else f"{lo} мес."
        return f"от {low} ({lo}+ мес.)"
    if lo % 12 == 0 and (max_months + 1) % 12 == 0 and max_months >= 24:
        return f"{lo // 12}–{(max_months + 1) // 12 - 1} лет ({lo}–{max_months} мес.)"
    return f"{lo}–{max_months} мес."


def provision_label(row) -> str:
    kind, number, heading = row["kind"], row["number"], row["heading"]
    label = KIND_RU.get(kind, kind)
    if number:
        label += f" {number}"
    if heading and kind in ("section", "chapter", "article"):
        label += f". {heading}"
    return label


# --- provision page --------------------------------------------------------------------------


async def _rows(db, sql, params=None):
    return [dict(r) for r in (await db.execute(sql, params or {})).rows]


async def _optional_rows(db, sql, params=None):
    """Rows from a view other people own (provision_indicator_links); none if it is missing."""
    try:
        return await _rows(db, sql, params)
    except Exception:
        return []


async def provision_context(datasette, provision_id: str) -> dict | None:
    db = datasette.get_database(DATABASE)
    rows = await _rows(db, "select * from provisions where id = :id", {"id": provision_id})
    if not rows:
        return None
    provision = rows[0]
    act = (await _rows(db, "select * from acts where id = :id", {"id": provision["act_id"]}))[0]
    ancestors = await _rows(db, """
        with recursive anc(id, parent_id, lvl) as (
            select id, parent_id, 0 from provisions where id = :id
            union all
            select p.id, p.parent_id, anc.lvl + 1 from provisions p join anc on p.id = anc.parent_id
            where anc.lvl < 20
        )
        select provisions.id, kind, number, heading from anc join provisions using (id)
        where anc.lvl > 0 order by anc.lvl desc""", {"id": provision_id})
    children = await _rows(db, """
        select id, kind, number, heading, substr(text, 1, 240) as text, excluded
        from provisions where parent_id = :id order by position""", {"id": provision_id})
    dimensions = await _rows(db, """
        select pd.dimension_code, pd.score, pd.is_primary, pd.evidence, pd.method,
               d.name_en, d.name_ru
        from provision_dimensions pd join dimensions d on d.code = pd.dimension_code
        where pd.provision_id = :id order by pd.is_primary desc, pd.score desc""",
                             {"id": provision_id})
    for d in dimensions:
        d["evidence_list"] = _phrases(_json_list(d["evidence"]))
    flag_codes = _json_list(provision["flag_codes"])
    flags = []
    if flag_codes:
        known = {r["code"]: r for r in await _rows(db, "select * from flags")}
        flags = [known.get(c, {"code": c, "name_en": c, "name_ru": None}) for c in flag_codes]
    age_groups = await _rows(db, """
        select g.code, g.name_en, g.name_ru, g.min_months, g.max_months, g.kind
        from provision_age_groups pag join age_groups g on g.code = pag.age_group_code
        where pag.provision_id = :id order by g.position""", {"id": provision_id})
    age_evidence = _phrases(_json_list(provision["age_evidence"]))
    translations = await _rows(db, """
        select lang, heading, text, url, excluded from provision_texts
        where provision_id = :id order by case lang when 'kaz' then 0 else 1 end""",
                               {"id": provision_id})
    amendments = await _rows(db, """
        select * from amendments where provision_id = :id
        order by amending_date, id""", {"id": provision_id})
    indicators = await _optional_rows(
        db, "select * from provision_indicator_links where provision_id = :id limit 50",
        {"id": provision_id})
    evidence_phrases = [p for d in dimensions for p in d["evidence_list"]] + age_evidence
    pid = tilde_encode(provision_id)
    return {
        "provision": provision,
        "act": act,
        "act_url": datasette.urls.row(DATABASE, "acts", tilde_encode(act["id"])),
        "ancestors": [dict(a, label=provision_label(a),
                           link=provision_url(datasette, a["id"])) for a in ancestors],
        "label": provision_label(provision),
        "children": [dict(c, label=provision_label(c), link=provision_url(datasette, c["id"]))
                     for c in children],
        "text_html": highlight(provision["text"], evidence_phrases),
        "heading_html": highlight(provision["heading"], evidence_phrases),
        "dimensions": dimensions,
        "flags": flags,
        "age_text": age_text(provision["age_min_months"], provision["age_max_months"]),
        "age_groups": age_groups,
        "age_evidence": age_evidence,
        "translations": [dict(t, url=citations.safe_url(t["url"])) for t in translations],
        # only an http(s) link is ever rendered (a corpus JSON may say `javascript:…`)
        "official_url": citations.safe_url(provision["url"]) or citations.safe_url(act["url"]),
        "amendments": amendments,
        "indicators": [dict(i, link=indicator_url(datasette, i["indicator_code"]))
                       if i.get("indicator_code") else i for i in indicators],
        "citation": citations.citation_string(provision, act),
        "exports": {fmt: datasette.urls.row(DATABASE, "provisions", pid, format=fmt)
                    for fmt in ("bib", "ris", "csljson", "json")},
    }


@hookimpl
def extra_template_vars(view_name, database, table, request, datasette):
    if view_name != "row" or database != DATABASE or table != "provisions" or request is None:
        return {}

    async def inner():
        pks = request.url_vars.get("pks", "")
        context = await provision_context(datasette, tilde_decode(pks.split(",")[0]))
        return {"kb": context}

    return inner


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
