"""Route handlers: `/`, `/search`, `/acts`, `/acts/{id}`, `/acts/{id}/{path}`, `/coverage`,
`/age/{years}`, the old `/kb/provisions/{id}` redirect and the static files.

Every handler answers its page, or a 404 page that says what was not found and where to go;
a URL is never read as something else.
"""
from __future__ import annotations

import asyncio
import csv
import functools
import inspect
import io
import json
import mimetypes
import urllib.parse

from datasette.database import QueryInterrupted
from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import Response

from kb import citations, contents, search
from kb.web import STATIC, data, format as fmt, indicators as indicator_pages, searching, slugs
from kb.web import policies as policy_pages

STATIC_PREFIX = "/-/kb-web/"
LANGS = {"rus": "русский", "kaz": "қазақша", "eng": "English"}
AGE_LINKS = (0, 1, 3, 6, 7, 10, 12, 14, 15, 16, 17, 18)
MAX_AGE = 30
AGE_GROUP_LIMIT = 20
# /age/N.json lists at most this many provisions per dimension (each group has its `total`
# and `truncated`): at a million provisions one age holds tens of thousands (issue 11)
AGE_JSON_LIMIT = 200


def static_url(name: str) -> str:
    return STATIC_PREFIX + name


def safe_url(url):
    """citations.safe_url (issue 10) when it exists: only http(s) links to official sites."""
    check = getattr(citations, "safe_url", None)
    return check(url) if check and url else url


async def render_html(datasette, request_path: str, template, context, request=None) -> str:
    """The page's HTML. The templates read nothing of the request but its path (kb_web_base's
    navigation), so a page kept per served build is made once for every visitor."""
    context = {"css_url": static_url("kb.css"), "js_url": static_url("kb.js"),
               "request_path": request_path, **context}
    return await datasette.render_template(template, context, request=request)


def html_response(html: str, status=200):
    response = Response.html(html, status=status)
    response.headers["Cache-Control"] = "max-age=3600" if status == 200 else "no-store"
    return response


async def render(datasette, request, template, context, status=200):
    return html_response(await render_html(datasette, request.path, template, context,
                                           request=request), status=status)


async def not_found(datasette, request, message, hint=None):
    return await render(datasette, request, "kb_web_404.html",
                        {"title": "Не найдено", "message": message, "hint": hint}, status=404)


def json_response(payload, status=200):
    response = Response(json.dumps(payload, ensure_ascii=False), status=status,
                        content_type="application/json; charset=utf-8")
    # the same for every visitor of one build, like the HTML pages (a cache in front keeps it)
    response.headers["Cache-Control"] = "max-age=3600" if status == 200 else "no-store"
    return response


# --- static ----------------------------------------------------------------------------------


async def static(request, datasette):
    name = request.url_vars["name"]
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        return Response.text("Not found", status=404)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type.endswith("javascript"):
        content_type += "; charset=utf-8"
    response = Response(path.read_bytes(), content_type=content_type)
    response.headers["Cache-Control"] = "max-age=3600"
    return response


# --- home ------------------------------------------------------------------------------------


async def home(request, datasette):
    acts = await data.acts(datasette)
    stats, langs, dims = await data.home_figures(datasette)
    # the date each text is current to: the build's edition date, else the consolidated as-of
    editions = [a.get("edition_date") or a.get("as_of") for a in acts]
    editions = [e for e in editions if e]
    context = {
        "title": "База знаний: законодательство Казахстана о детях",
        "acts": [dict(a, url=data.act_url(a["id"])) for a in acts],
        "in_force": sum(a["status"] == "in_force" for a in acts),
        "repealed": sum(a["status"] == "repealed" for a in acts),
        "stats": stats,
        "langs": [dict(l, name=LANGS.get(l["lang"], l["lang"])) for l in langs],
        "edition_range": (fmt.ru_date(min(editions)), fmt.ru_date(max(editions)))
        if editions else None,
        "dimensions": dims,
        "ages": AGE_LINKS,
        "ru_date": fmt.ru_date,
    }
    return await render(datasette, request, "kb_web_home.html", context)


# --- search ----------------------------------------------------------------------------------


def _filters(request) -> dict:
    return {k: (request.args.get(k) or "").strip() for k in searching.FILTERS}


def _page_number(request) -> int:
    try:
        return max(1, int(request.args.get("page") or 1))
    except ValueError:
        return 1


async def _search_payload(request, datasette) -> dict:
    """The search's answer, kept per served build by its words, filters, language and page
    (data.remembered: an immutable file gives each the same answer; bounded LRU)."""
    q = (request.args.get("q") or "").strip()[:500]
    f = _filters(request)
    kazakh = searching.wants_kazakh(q, request.args.get("lang"))
    page = _page_number(request)
    return await data.remembered(
        datasette, ("search", q, tuple(sorted(f.items())), kazakh, page, searching.PAGE_SIZE),
        lambda: _compute_search_payload(datasette, q, f, kazakh, page))


async def _compute_search_payload(datasette, q: str, f: dict, kazakh: bool,
                                  page: int) -> dict:
    total, facets, shown = await searching.answer(datasette, q, f, kazakh, page)
    if all("slug" in r for r in shown):
        urls = {r["id"]: data.provision_url(r["act_id"], r["slug"]) for r in shown}
    else:   # an older build without the slug column
        urls = await data.provision_urls(datasette, [(r["id"], r["act_id"]) for r in shown])
    acts = {a["id"]: a for a in await data.acts(datasette)}
    results = []
    for r in shown:
        body = " ".join(x for x in ((r.get("heading_kk"), r.get("text_kk")) if kazakh
                                    else (r["heading"], r["text"])) if x)
        act = acts.get(r["act_id"], {})
        results.append({
            "id": r["id"], "url": urls[r["id"]], "act_id": r["act_id"],
            "act_title": act.get("title"), "act_form": r["act_form"],
            "status": r["act_status"], "path": r["path"],
            "label": fmt.provision_label(r), "heading": r["heading"],
            "snippet": search.snippet(body, q) if q else body[:300],
            "dimensions": searching.data_json(r["dimension_codes"]),
            "age_groups": searching.data_json(r["age_group_codes"]),
        })
    payload = {"q": q, "lang": "kk" if kazakh else "ru", "filters": f, "total": total,
               "page": page, "page_size": searching.PAGE_SIZE, "results": results,
               "facets": facets}
    if not total and (q or any(f.values())):
        payload["explanation"] = await searching.explain_empty(datasette, q, f, kazakh)
    return payload


async def search_json(request, datasette):
    return json_response(await _search_payload(request, datasette))


def _query_string(args: dict, **changes) -> str:
    merged = {k: v for k, v in {**args, **changes}.items() if v not in (None, "")}
    return "?" + urllib.parse.urlencode(merged) if merged else ""


async def search_page(request, datasette):
    payload = await _search_payload(request, datasette)
    dims = {d["code"]: d for d in await data.dimensions(datasette)}
    bands = {b["code"]: b for b in await data.age_bands(datasette)}
    acts = {a["id"]: a for a in await data.acts(datasette)}
    args = {"q": payload["q"], **payload["filters"]}
    if request.args.get("lang"):
        args["lang"] = request.args.get("lang")
    names = {
        "dimension": lambda c: f"{dims[c]['name_ru']} ({c})" if c in dims else c,
        "age": lambda c: (bands[c]["name_ru"] or bands[c]["name_en"]) if c in bands else c,
        "act": lambda c: acts[c]["title"] if c in acts else c,
        "form": lambda c: c,
        "status": lambda c: fmt.STATUS_RU.get(c, c),
    }
    order = {"dimension": list(dims), "age": list(bands)}
    facets = []
    for key, title in (("dimension", "Измерение благополучия"), ("age", "Возраст"),
                       ("status", "Статус акта"), ("form", "Форма акта"), ("act", "Акт")):
        counts = payload["facets"][key]
        chosen = payload["filters"][key]
        values = sorted(counts, key=lambda c: (order[key].index(c) if c in order.get(key, [])
                                               else 999, -counts[c], str(c)))
        items = [{"value": v, "label": names[key](v), "count": counts[v],
                  "selected": v == chosen,
                  "url": _query_string(args, **{key: "" if v == chosen else v, "page": ""})}
                 for v in values]
        if chosen and chosen not in counts:
            items.insert(0, {"value": chosen, "label": names[key](chosen), "count": 0,
                             "selected": True, "url": _query_string(args, **{key: ""})})
        facets.append({"key": key, "title": title, "items": items})
    active = [{"key": k, "label": names[k](v), "remove": _query_string(args, **{k: "", "page": ""})}
              for k, v in payload["filters"].items() if v]
    pages = -(-payload["total"] // searching.PAGE_SIZE)
    context = {
        "title": f"«{payload['q']}» — поиск" if payload["q"] else "Поиск",
        "p": payload, "facets": facets, "active": active, "dims": dims, "bands": bands,
        "prev_url": _query_string(args, page=payload["page"] - 1)
        if payload["page"] > 1 else None,
        "next_url": _query_string(args, page=payload["page"] + 1)
        if payload["page"] < pages else None,
        "pages": pages,
        "json_url": "/search.json" + _query_string(args),
        "marks": fmt.marks_only,
    }
    return await render(datasette, request, "kb_web_search.html", context)


# --- acts ------------------------------------------------------------------------------------

TREE_KINDS = contents.TREE_KINDS


async def acts_page(request, datasette):
    acts = await data.acts(datasette)
    return await render(datasette, request, "kb_web_acts.html", {
        "title": "Акты", "acts": [dict(a, url=data.act_url(a["id"])) for a in acts],
        "ru_date": fmt.ru_date})


def _contents(provisions: list[dict], slug_map: dict) -> list[dict]:
    """The act's tree of sections, chapters and articles (kb/contents.py), labelled."""
    return _labelled(contents.contents_tree(provisions, slug_map))


def _labelled(tree: list[dict]) -> list[dict]:
    stack = list(tree)
    while stack:
        node = stack.pop()
        node["label"] = fmt.provision_label(node)
        stack.extend(node["children"])
    return tree


def _child_dimensions(value) -> list[str]:
    """acts.child_dimensions: JSON {code: provisions} (most first) or a JSON list of codes."""
    try:
        parsed = json.loads(value) if value else None
    except ValueError:
        return []
    if isinstance(parsed, dict):
        return sorted(parsed, key=lambda c: (-(parsed[c] or 0), c))
    return [c for c in parsed if isinstance(c, str)] if isinstance(parsed, list) else []


async def act_page(request, datasette):
    act_id = urllib.parse.unquote(request.url_vars["act_id"])
    act = await data.act(datasette, act_id)
    if act is None:
        return await not_found(datasette, request, f"Акта {act_id} нет в базе знаний.",
                               "Список актов — на странице «Акты».")
    db = data.db_of(datasette)
    # independent reads asked for together: under load each waits its turn in the SQL
    # threads' queue once, not once after another (issue 11)
    texts, versions, notes = await asyncio.gather(
        data.rows(db, "select * from act_texts where act_id = :a", {"a": act_id}),
        data.rows(db, """select * from act_versions where act_id = :a
            order by date desc limit 20""", {"a": act_id}),
        data.rows(db, """select * from amendments where act_id = :a
            and provision_id is null order by amending_date desc, id limit 50""", {"a": act_id}))
    if await data.has_table(datasette, "act_contents"):
        # the contents computed by the build (db/contents.py): the act's nodes by index, not
        # every provision of the act read and walked per request (issue 11)
        nodes, counted = await asyncio.gather(
            data.rows(db, f"""select {", ".join(contents.NODE_FIELDS)} from act_contents
                where act_id = :a order by seq""", {"a": act_id}),
            data.rows(db, "select count(*) as n from provisions where act_id = :a",
                      {"a": act_id}))
        tree = _labelled(contents.unflatten(nodes))
        provision_count = counted[0]["n"]
        tagged, child_dims = act.get("child_provisions"), _child_dimensions(
            act.get("child_dimensions"))
    else:   # an older build: from the act's provisions
        provisions, slug_map = await asyncio.gather(
            data.rows(db, """select id, parent_id, kind, number, heading, excluded,
                dimension_codes, position from provisions where act_id = :a order by position""",
                      {"a": act_id}),
            data.act_slugs(datasette, act_id))
        tree = _contents(provisions, slug_map)
        provision_count = len(provisions)
        tagged = act.get("child_provisions", sum(
            1 for p in provisions if not p["excluded"]
            and searching.data_json(p["dimension_codes"])))
        child_dims = _child_dimensions(act.get("child_dimensions")) or sorted(
            {c for p in provisions if not p["excluded"]
             for c in searching.data_json(p["dimension_codes"])})
    kaz = next((t for t in texts if t["lang"] == "kaz"), None)
    dims = {d["code"]: d for d in await data.dimensions(datasette)}
    return await render(datasette, request, "kb_web_act.html", {
        "title": act["title"],
        "act": act, "tree": tree, "kaz": kaz, "texts": texts, "versions": versions,
        "notes": notes, "dims": dims, "langs": LANGS,
        "official_url": safe_url(act["url"]),
        "kaz_url": safe_url(kaz["url"]) if kaz else None,
        "citation": citations.citation_string(None, act),
        "tagged": tagged, "child_dims": child_dims, "provision_count": provision_count,
        "act_url": data.act_url(act_id),
        "provision_url": lambda slug: data.provision_url(act_id, slug),
        "edition": act.get("edition_date") or act.get("as_of"),
        "pdf_summary": fmt.pdf_summary(act.get("pdf_check")),
        "ru_date": fmt.ru_date, "status_ru": fmt.STATUS_RU,
        "table_url": datasette.urls.row("kb", "acts", tilde_encode(act_id)),
    })


# --- provisions --------------------------------------------------------------------------------


async def provision_page(request, datasette):
    act_id = urllib.parse.unquote(request.url_vars["act_id"])
    act = await data.act(datasette, act_id)
    if act is None:
        return await not_found(datasette, request, f"Акта {act_id} нет в базе знаний.")
    slug = slugs.path_to_slug(request.url_vars["path"])
    provision = await data.provision_by_slug(datasette, act_id, slug) if slug else None
    if provision is None:
        return await not_found(
            datasette, request,
            f"В акте {act_id} нет положения по адресу «{request.url_vars['path']}».",
            {"text": "Оглавление акта", "url": data.act_url(act_id)})
    return await render(datasette, request, "kb_web_provision.html",
                        await provision_context(datasette, act, provision))


async def provision_context(datasette, act: dict, provision: dict) -> dict:
    db = data.db_of(datasette)
    pid = provision["id"]
    flag_codes = fmt.json_list(provision["flag_codes"])
    links = await data.has_table(datasette, "provision_indicator_links")

    # the page's reads in one turn of the SQL threads (data.read_together): under load each
    # turn waits behind the other pages' queries, and this page had eleven (issue 11). Each
    # row shown as a link carries its own slug: the act's whole slug map (5,000 rows for a
    # code, each read past its text) is not read for the five or ten links of a page.
    slug = ", slug" if await data.has_slug(datasette) else ""
    # each dimension's check on new acts (schema 8); a database built before shows «—»
    heldout = (", d.heldout_support, d.heldout_right, d.heldout_wrong"
               if "heldout_support" in await data.columns(datasette, "dimensions") else "")
    act_id = act["id"]

    def reads(read):
        ancestors = read(f"""
            with recursive anc(id, lvl) as (
                select parent_id, 1 from provisions where id = :id and parent_id is not null
                union all
                select p.parent_id, anc.lvl + 1 from provisions p join anc on p.id = anc.id
                where p.parent_id is not null and anc.lvl < 20)
            select provisions.id, kind, number, heading, text, excluded{slug} from anc
            join provisions using (id) order by anc.lvl desc""", {"id": pid})
        # the parts of the nearest article above this provision
        article = next((a for a in reversed(ancestors) if a["kind"] == "article"), None)
        parts = read(f"""select id, kind, number, heading, text, excluded{slug}
            from provisions where parent_id = :id order by position""",
                     {"id": article["id"]}) if article else []
        return (ancestors, parts, read(f"""select id, kind, number, heading, text, excluded{slug}
            from provisions where parent_id = :id order by position""", {"id": pid}),
            read(f"""
            select * from (select id, kind, number, heading, path, 'prev' as side{slug}
                           from provisions
                           where act_id = :a and position < :pos order by position desc limit 1)
            union all
            select * from (select id, kind, number, heading, path, 'next' as side{slug}
                           from provisions
                           where act_id = :a and position > :pos order by position limit 1)""",
                 {"a": act_id, "pos": provision["position"]}),
            read(f"""
            select pd.dimension_code, pd.score, pd.is_primary, pd.evidence, pd.method,
                   d.name_en, d.name_ru, d.name_kk{heldout}
            from provision_dimensions pd join dimensions d on d.code = pd.dimension_code
            where pd.provision_id = :id order by pd.is_primary desc, pd.score desc""",
                 {"id": pid}),
            read("""
            select g.code, g.name_en, g.name_ru from provision_age_groups pag
            join age_groups g on g.code = pag.age_group_code
            where pag.provision_id = :id order by g.position""", {"id": pid}),
            read("select * from flags") if flag_codes else [],
            read("""select lang, heading, text, url, excluded
            from provision_texts where provision_id = :id
            order by case lang when 'kaz' then 0 else 1 end""", {"id": pid}),
            read("""select * from amendments where provision_id = :id
            order by amending_date, id""", {"id": pid}),
            # a table with a reason per link (db/links.py), most relevant first
            read("""select l.indicator_code, l.reason, l.relevance,
            coalesce(i.name_ru, i.name_en, l.indicator_code) as name
            from provision_indicator_links l left join indicators i on i.code = l.indicator_code
            where l.provision_id = :id order by l.relevance desc limit 50""", {"id": pid})
            if links else [])

    (ancestors, article_parts, children, neighbours, dimensions, age_groups, known_flags,
     translations, amendments, indicators) = await data.read_together(db, reads)
    if slug:
        slug_map = {r["id"]: r["slug"] for rs in (ancestors, children, neighbours, article_parts)
                    for r in rs}
    else:   # an older build without the slug column: derived from the act's tree
        slug_map = await data.act_slugs(datasette, act["id"])

    def url_of(row_id):
        return data.provision_url(act["id"], slug_map.get(row_id))

    article = next((a for a in reversed(ancestors) if a["kind"] == "article"), None)
    # tags taken from the lead-in or the article heading (kb/tagging/context.py), not the text
    source = next((a for a in ancestors if a["id"] == provision.get("tags_from")), None)
    for d in dimensions:
        d["evidence_list"] = fmt.evidence_phrases(fmt.json_list(d["evidence"]))
    flags = []
    if flag_codes:
        known = {r["code"]: r for r in known_flags}
        flags = [known.get(c, {"code": c, "name_en": c, "name_ru": None}) for c in flag_codes]
    age_evidence = fmt.evidence_phrases(fmt.json_list(provision["age_evidence"]))
    evidence = [p for d in dimensions for p in d["evidence_list"]] + age_evidence
    kaz = next((t for t in translations if t["lang"] == "kaz"), None)
    eng = next((t for t in translations if t["lang"] == "eng"), None)
    encoded = tilde_encode(pid)
    label = fmt.provision_label(provision)
    pdf_check = provision.get("pdf_check")
    return {
        "title": f"{provision['path'] or label} — {act['title']}",
        "act": act, "provision": provision, "label": label, "act_name": fmt.act_label(act),
        "act_url": data.act_url(act["id"]),
        "ancestors": [dict(a, label=fmt.provision_label(a), url=url_of(a["id"]))
                      for a in ancestors],
        "children": [dict(c, label=fmt.provision_label(c), url=url_of(c["id"]))
                     for c in children],
        "prev": next((dict(n, label=n["path"] or fmt.provision_label(n), url=url_of(n["id"]))
                      for n in neighbours if n["side"] == "prev"), None),
        "next": next((dict(n, label=n["path"] or fmt.provision_label(n), url=url_of(n["id"]))
                      for n in neighbours if n["side"] == "next"), None),
        "article": dict(article, label=fmt.provision_label(article), url=url_of(article["id"]))
        if article else None,
        "article_parts": [dict(c, label=fmt.provision_label(c), url=url_of(c["id"]),
                               current=c["id"] == pid or any(a["id"] == c["id"]
                                                             for a in ancestors))
                          for c in article_parts],
        "text_html": fmt.highlight(provision["text"], evidence),
        "heading_html": fmt.highlight(provision["heading"], evidence),
        "dimensions": dimensions, "flags": flags, "age_groups": age_groups,
        "tags_from": dict(source, label=fmt.provision_label(source), url=url_of(source["id"]),
                          is_article=source["kind"] == "article") if source else None,
        "age_text": fmt.age_text(provision["age_min_months"], provision["age_max_months"]),
        "threshold": fmt.threshold_text(provision["age_min_months"], provision["age_max_months"])
        if provision["age_min_months"] is not None or provision["age_max_months"] is not None
        else None,
        "age_evidence": age_evidence, "kaz": kaz, "eng": eng,
        "amendments": [dict(a, action_ru=fmt.ACTION_RU.get(a["action"], a["action"]),
                            date_ru=fmt.ru_date(a["amending_date"])) for a in amendments],
        "indicators": [dict(i, url=indicator_pages.indicator_url(i['indicator_code']))
                       for i in indicators],
        "citation": citations.citation_string(provision, act),
        "official_url": safe_url(provision["url"]),
        "kaz_url": safe_url(kaz["url"]) if kaz and kaz.get("url") else None,
        "exports": {f: f"/kb/provisions/{encoded}.{f}" for f in ("bib", "ris", "csljson",
                                                                 "json")},
        "edition": fmt.ru_date(act.get("edition_date") or act.get("as_of")),
        "pdf_check": pdf_check,
        "pdf_check_text": fmt.PDF_CHECK_RU.get(pdf_check) if pdf_check else None,
        "pdf_edition": fmt.ru_date(act.get("pdf_edition")),
        "status_ru": fmt.STATUS_RU,
    }


async def old_provision_link(request, datasette):
    """`/kb/provisions/{id}` (also old ids, `art27.2` whose dot Datasette took for a format)
    redirects to the readable URL; formats (.json, .bib …) stay Datasette's."""
    raw = request.url_vars["id"]
    provision_id = tilde_decode(raw)
    url = await data.resolve_old_id(datasette, provision_id)
    if url is None:
        return await not_found(
            datasette, request, f"Положения {provision_id} нет в базе знаний.",
            {"text": "Поиск", "url": "/search?" + urllib.parse.urlencode(
                {"q": provision_id.partition("-")[2] or provision_id})})
    return Response.redirect(url, status=301)


# --- coverage --------------------------------------------------------------------------------


async def _coverage_rows(datasette) -> list[dict]:
    return await data.cached(datasette, "coverage", "select * from coverage")


async def coverage_page(request, datasette):
    cells = await _coverage_rows(datasette)
    dims = await data.dimensions(datasette)
    bands = await data.age_bands(datasette)
    indicators = {i["code"]: i for i in await data.rows(
        data.db_of(datasette), "select code, name_ru, name_en, dimension_code from indicators")}
    by_key = {(c["dimension_code"], c["age_group_code"]): c for c in cells}
    peak = max([c["provisions_in_force"] or 0 for c in cells] + [1])
    grid = []
    for d in dims:
        row = []
        for b in bands:
            c = by_key.get((d["code"], b["code"]), {})
            n = c.get("provisions_in_force") or 0
            codes = [x.strip() for x in (c.get("indicator_codes") or "").split(",") if x.strip()]
            level = 0 if n == 0 else min(5, 1 + int(5 * n / (peak + 1)))
            row.append({
                "n": n, "acts": c.get("acts_in_force") or 0, "level": level,
                "gap": bool(c.get("gap")), "data_gap": bool(c.get("data_gap")),
                "indicators": [{"code": x, "name": (indicators.get(x) or {}).get("name_ru")
                                or (indicators.get(x) or {}).get("name_en") or x,
                                "url": indicator_pages.indicator_url(x)} for x in codes],
                "url": "/search?" + urllib.parse.urlencode(
                    {"dimension": d["code"], "age": b["code"], "status": "in_force"}),
            })
        grid.append({"dimension": d, "cells": row})
    return await render(datasette, request, "kb_web_coverage.html", {
        "title": "Покрытие: измерения × возраст", "grid": grid, "bands": bands,
        "gaps": sum(c["gap"] for r in grid for c in r["cells"]),
        "data_gaps": sum(c["data_gap"] for r in grid for c in r["cells"]),
    })


async def coverage_csv(request, datasette):
    cells = await _coverage_rows(datasette)
    dims = {d["code"]: d for d in await data.dimensions(datasette)}
    bands = {b["code"]: b for b in await data.age_bands(datasette)}
    out = io.StringIO()
    fields = ["dimension_code", "dimension_ru", "age_group_code", "age_group_ru",
              "acts_in_force", "provisions_in_force", "indicator_count", "indicator_codes",
              "gap", "data_gap"]
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for c in cells:
        writer.writerow({**c, "dimension_ru": (dims.get(c["dimension_code"]) or {}).get("name_ru"),
                         "age_group_ru": (bands.get(c["age_group_code"]) or {}).get("name_ru")})
    response = Response(out.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="coverage.csv"'
    response.headers["Cache-Control"] = "max-age=3600"
    return response


# --- age -------------------------------------------------------------------------------------


def _age(request):
    raw = request.url_vars["years"]
    try:
        years = int(raw)
    except ValueError:
        return None, f"«{raw}» — не возраст: укажите целое число лет, например /age/15."
    if not 0 <= years <= MAX_AGE:
        return None, f"Возраст {years}: база знаний описывает возраст от 0 до {MAX_AGE} лет."
    return years, None


async def _age_ranked(datasette, months: int, dimension: str | None) -> list[dict]:
    """The provisions that apply at `months`: the first AGE_JSON_LIMIT of each dimension by
    rank (rn) with each dimension's total, from the age index alone (no provision row read).

    Ranked once per served build for a known dimension or none (the file is immutable, so it
    is the same for every visitor: issue 11, 120 ms at a million provisions, 44,000 matches at
    each age); the ages the pages link to are ranked at start (warm_age_rankings)."""
    params = {"m": months, "limit": AGE_JSON_LIMIT}
    where = ""
    if dimension:
        where = " and p.primary_dimension = :dim"
        params["dim"] = dimension
    keys = """p.rowid as rid, p.primary_dimension, p.act_id, p.position, p.age_min_months,
              p.age_max_months"""
    # two branches (a lower bound at or below the age; none but an upper bound) so that both
    # use the (age_min_months, age_max_months) index instead of reading every provision;
    # unary + keeps the planner on the age index (else it reads every provision of acts in force)
    in_force = "+p.act_id in (select id from acts where status = 'in_force')"
    matching = f"""
          select {keys} from provisions p
          where p.age_min_months >= 0 and p.age_min_months <= :m
            and (p.age_max_months is null or p.age_max_months >= :m)
            and p.excluded = 0 and {in_force} {where}
          union all
          select {keys} from provisions p
          where p.age_min_months is null and p.age_max_months >= :m
            and p.excluded = 0 and {in_force} {where}"""
    order = "coalesce(age_max_months, 1000000) - coalesce(age_min_months, 0), act_id, position"
    ranking = f"""
        select * from (
          select rid, primary_dimension, {order.replace(", act_id, position", "")} as width,
                 act_id, position,
                 row_number() over (partition by primary_dimension order by {order}) as rn,
                 count(*) over (partition by primary_dimension) as group_total
          from ({matching}))
        where rn <= :limit"""
    db = data.db_of(datasette)
    if not db.is_mutable and (dimension is None or dimension in {
            d["code"] for d in await data.dimensions(datasette)}):
        return await data.cached(datasette, ("age", months, dimension), ranking, params)
    return await data.rows(db, ranking, params)


async def warm_age_rankings(datasette) -> None:
    """Rank the ages the pages link to (0 to 18 years), and make their pages' answers, before
    the first request: startup hook of kb/plugin.py, for an immutable kb database (a mutable
    one is ranked per request)."""
    try:
        db = data.db_of(datasette)
    except KeyError:
        return
    if db.is_mutable or "age_min_months" not in await data.columns(datasette, "provisions"):
        return
    for years in range(0, 19):
        await _age_ranked(datasette, years * 12, None)
    # and their answers, kept like any other (data.remembered): /age/N.json is 2,600 rows,
    # 2 MB of JSON at a million provisions (90 ms of the server's CPU to make, issue 11)
    for years in range(0, 19):
        await _age_answer(datasette, years, None, None, as_json=True)
        await _age_answer(datasette, years, None, AGE_GROUP_LIMIT)


async def _age_payload(datasette, years: int, dimension: str | None, limit: int | None):
    months = years * 12
    cols = """p.id, p.act_id, p.kind, p.number, p.heading, p.path, substr(p.text, 1, 240) as text,
              p.age_min_months, p.age_max_months, p.primary_dimension, p.position,
              a.title as act_title"""
    # 1. the matches' keys ranked and counted per dimension (_age_ranked); 2. the rows shown,
    #    by rowid. At a million provisions tens of thousands apply at one age (issue 11): only
    #    `limit` per dimension are read in full.
    limit = min(limit or AGE_JSON_LIMIT, AGE_JSON_LIMIT)
    db = data.db_of(datasette)
    ranked = await _age_ranked(datasette, months, dimension or None)
    ranked = [r for r in ranked if r["rn"] <= limit]
    totals = {r["primary_dimension"]: r["group_total"] for r in ranked}
    details = {}
    rids = [r["rid"] for r in ranked]
    # the slug beside the row: readable URLs without another look-up per 500 rows
    slug = ", p.slug as _slug" if "slug" in await data.columns(datasette, "provisions") else ""
    chunks = [rids[i:i + 500] for i in range(0, len(rids), 500)]
    # asked for together: under load each would wait its turn in the SQL threads' queue
    for found_rows in await asyncio.gather(*(data.rows(db, f"""select p.rowid as rid,
            {cols}{slug} from provisions p join acts a on a.id = p.act_id
            where p.rowid in ({", ".join(f":r{j}" for j in range(len(chunk)))})""",
            {f"r{j}": v for j, v in enumerate(chunk)}) for chunk in chunks)):
        for r in found_rows:
            details[r.pop("rid")] = r
    found = [details[r["rid"]] for r in
             sorted(ranked, key=lambda r: (r["width"], r["act_id"], r["position"]))
             if r["rid"] in details]
    if slug:
        urls = {r["id"]: data.provision_url(r["act_id"], r.pop("_slug")) for r in found}
    else:
        urls = await data.provision_urls(datasette, [(r["id"], r["act_id"]) for r in found])
    dims = await data.dimensions(datasette)
    groups = []
    for d in dims + [{"code": None, "name_ru": "Без измерения", "name_kk": None,
                      "name_en": "No dimension"}]:
        items = [r for r in found if r["primary_dimension"] == d["code"]]
        if not items:
            continue
        groups.append({
            "code": d["code"], "name_ru": d["name_ru"], "name_kk": d.get("name_kk"),
            "total": totals.get(d["code"], len(items)),
            "results": [dict(r, url=urls[r["id"]], label=fmt.provision_label(r),
                             threshold=fmt.threshold_text(r["age_min_months"],
                                                          r["age_max_months"]))
                        for r in items],
            "truncated": len(items) < totals.get(d["code"], len(items)),
        })
    return {"age": years, "months": months, "dimension": dimension or None,
            "total": sum(g["total"] for g in groups), "groups": groups}


async def _age_answer(datasette, years: int, dimension: str | None, limit: int | None,
                      as_json: bool = False):
    """_age_payload (or its JSON text), kept per served build for an age and a known
    dimension or none (data.remembered); an unknown dimension is answered, not kept."""
    async def compute():
        payload = await _age_payload(datasette, years, dimension, limit)
        return json.dumps(payload, ensure_ascii=False) if as_json else payload

    if dimension and dimension not in {d["code"] for d in await data.dimensions(datasette)}:
        return await compute()
    return await data.remembered(datasette, ("age", years, dimension or None, limit, as_json,
                                             AGE_JSON_LIMIT),
                                 compute, size=len if as_json else None)


async def age_json(request, datasette):
    years, error = _age(request)
    if error:
        return json_response({"error": error}, status=404)
    body = await _age_answer(datasette, years, request.args.get("dimension"), None,
                             as_json=True)
    response = Response(body, status=200, content_type="application/json; charset=utf-8")
    response.headers["Cache-Control"] = "max-age=3600"
    return response


async def age_page(request, datasette):
    years, error = _age(request)
    if error:
        return await not_found(datasette, request, error)
    dimension = request.args.get("dimension") or None
    payload = await _age_answer(datasette, years, dimension,
                                None if dimension else AGE_GROUP_LIMIT)
    return await render(datasette, request, "kb_web_age.html", {
        "title": f"Что действует в {years} лет", "p": payload, "ages": range(0, 19),
        "limit": AGE_GROUP_LIMIT, "years_text": fmt.years_text})


# --- a query that reached the SQL time limit --------------------------------------------------

TOO_LONG = ("Страница собирается слишком долго: сервер сейчас занят. "
            "Повторите запрос через несколько секунд.")
RETRY_AFTER = "5"


async def too_long(datasette, request):
    """503 with Retry-After, never 500: a query of the page was interrupted by the SQL time
    limit (under load, issue 11). HTML for a page, JSON or text for its exports."""
    path = request.path if request is not None else ""
    if path.endswith(".json"):
        response = json_response({"error": TOO_LONG, "too_long": True}, status=503)
    elif path.endswith(".csv") or datasette is None:
        response = Response.text(TOO_LONG + "\n", status=503)
        response.headers["Cache-Control"] = "no-store"
    else:
        response = await render(datasette, request, "kb_web_too_long.html",
                                {"title": "Слишком долго", "message": TOO_LONG}, status=503)
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def answer_interrupted(handler):
    """`handler` answering too_long() instead of failing when a query is interrupted.

    Datasette calls a route's handler with the arguments its parameters name, in their order;
    the wrapper keeps the handler's signature (functools.wraps) and finds them by name."""
    names = list(inspect.signature(handler).parameters)

    @functools.wraps(handler)
    async def wrapped(*args, **kwargs):
        try:
            return await handler(*args, **kwargs)
        except QueryInterrupted:
            given = {**dict(zip(names, args)), **kwargs}
            return await too_long(given.get("datasette"), given.get("request"))

    return wrapped


# --- the routes ------------------------------------------------------------------------------

_ID = r"[^/]+"
_FORMATS = r"(?:json|csv|tsv|bib|ris|csljson|atom|blob)"

_ROUTES = [
    (r"^/$", home),
    (r"^/search$", search_page),
    (r"^/search\.json$", search_json),
    (r"^/acts$", acts_page),
    (r"^/acts/(?P<act_id>[^/]+?)/?$", act_page),
    (r"^/acts/(?P<act_id>[^/]+)/(?P<path>.+?)/?$", provision_page),
    (r"^/coverage$", coverage_page),
    (r"^/coverage\.csv$", coverage_csv),
    (r"^/age/(?P<years>[^/]+?)\.json$", age_json),
    (r"^/age/(?P<years>[^/.]+)$", age_page),
    (rf"^/kb/provisions/(?P<id>(?![^/]*\.{_FORMATS}$){_ID})$", old_provision_link),
    *indicator_pages.ROUTES,  # /indicators, /indicators/{code}(.json|.csv) (issue 13)
    *policy_pages.ROUTES,  # /policies(.json|.csv): child policy measures (issue 13)
    (r"^/-/kb-web/(?P<name>[A-Za-z0-9_.-]+)$", static),
]
# every kb/web page answers 503 «слишком долго», not 500, when a query reaches the time limit
ROUTES = [(pattern, answer_interrupted(handler)) for pattern, handler in _ROUTES]
