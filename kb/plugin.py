"""The knowledge base's Datasette plugin (entry point `kb = "kb.plugin"`).

What Datasette and its maintained plugins do not provide, and nothing more:

* SQL functions on the `kb` database: `kb_fts_query(q)` (morphology-aware FTS5 query, see
  kb/search.py), `kb_snippet(text, q)` (a window of text with every inflected hit in <mark>),
  `kb_lemmas(text)`; and `escape_fts` is replaced on this database by `kb_fts_query`, so the
  table search box (`?_search=`) of provisions and provision_texts is morphology-aware too.
* `<mark>`-only HTML in `snippet` columns; links from `provision_id` / `indicator_code` columns of
  query results to the provision page / indicator page.
* The pages lawyers use (`/`, `/search`, `/acts/{id}/{path}`, `/coverage`, `/age/{years}`) are
  the package kb/web: its routes are registered here, its templates added to the loader. The
  HTML row page `/kb/provisions/{id}` redirects to the provision's readable page there;
  `/kb/provision/{id}` redirects to `/kb/provisions/{id}`.
* Output renderers `.bib`, `.ris`, `.csljson` for the provisions table and row pages and any
  query with a `provision_id` column.
* `/kb/indicator/{code}` redirects to the indicator page `/indicators/{code}` (kb/web/indicators.py).
"""
from __future__ import annotations

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import Response
from jinja2 import ChoiceLoader, FileSystemLoader
from markupsafe import Markup

from kb import citations, morph, search
from kb.security import asgi_wrapper  # noqa: F401  (hook: CSP, query slots; kb/security.py)
from kb import web
from kb.web import indicators, pages, searching
from kb.web.format import highlight, marks_only  # noqa: F401  (cells; kept importable here)

DATABASE = "kb"



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
    # kb.plugin is a module, not a package, so Datasette does not find kb/web's templates itself.
    env.loader = ChoiceLoader([env.loader, FileSystemLoader([str(web.TEMPLATES)])])


# --- cells -----------------------------------------------------------------------------------


def provision_url(datasette, provision_id, format=None):
    return datasette.urls.row(DATABASE, "provisions", tilde_encode(str(provision_id)),
                              format=format)


def indicator_url(datasette, code):
    return datasette.urls.path(indicators.indicator_url(str(code)))


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


# --- routes: provision and indicator redirects ------------------------------------------------


async def provision_redirect(request, datasette):
    provision_id = tilde_decode(request.url_vars["id"])
    return Response.redirect(provision_url(datasette, provision_id))


@hookimpl
def startup(datasette):
    """Before the first request, what every visitor of an immutable build shares and would be
    costly per request: the age pages' ranking and answers (kb/web/pages.py), the columns a
    search filters and counts by (kb/web/search_columns.py), every indicator's page
    (kb/web/indicators.py, issue 11)."""
    async def inner():
        for warm in (pages.warm_age_rankings, searching.columns,
                     indicators.warm_indicator_pages):
            try:
                await warm(datasette)
            except Exception:   # an incomplete database: the pages are made (or fail) per request
                pass

    return inner


@hookimpl
def register_routes():
    return [
        (rf"^/{DATABASE}/provision/(?P<id>[^/]+)$", provision_redirect),
        # the indicator page is kb/web's /indicators/{code} now (issue 13)
        (rf"^/{DATABASE}/indicator/(?P<code>[^/]+)$", indicators.old_indicator_link),
    ] + pages.ROUTES  # the lawyer-facing pages (kb/web): /, /search, /acts/…, /coverage, /age/…
