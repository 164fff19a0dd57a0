"""`/policies`, `/policies.json`, `/policies.csv`: the catalogue of child policy measures
(table `policy_measures`, built from the law by db/policies.py and kb/policies.py; issue 13).

Filters, the same on the page and in both exports:

* `age` (whole years, 0–30): the measures whose age range covers the child's age, as on
  `/age/{years}`: the lower bound (none: from birth) at or below 12 × age months and the upper
  bound (none: open) at or above it. A measure whose law states no age at all is not matched by
  an age (the page says how many there are);
* `kind`: cash, in_kind, service, leave, protection.

The page shows PAGE_SIZE measures at a time (`page`, from 1; issue 11: at a million provisions
the catalogue has about 900 measures and the page of all of them was 1 MB of HTML, 150-190 ms
of the server's CPU per request); the counts are of every measure matching, and JSON and CSV
carry them all.

Each row shows the amount as the law states it, in МРП and in tenge for the index year the
build used (`amount_tenge_year`, from kb/data/mrp.yml), the frequency, who is eligible and the
legal basis: a link to the provision's page with its citation (kb/citations.py). The page
rounds tenge for reading; JSON and CSV carry every column at full precision.
"""
from __future__ import annotations

import asyncio
import csv
import io
import urllib.parse

from datasette.utils.asgi import Response

from kb import citations
from kb.web import data, format as fmt

KINDS = {"cash": "денежная выплата", "in_kind": "в натуральной форме", "service": "услуга",
         "leave": "отпуск", "protection": "защита прав"}
FREQUENCY_RU = {"monthly": "ежемесячно", "one_off": "единовременно",
                "per_event": "при наступлении случая", "ongoing": "постоянно"}
UNIT_RU = {"mrp": "МРП", "subsistence_minimum": "прожиточного минимума",
           "income_share": "дохода (доля)"}
MAX_AGE = 30
PAGE_SIZE = 100
AGE_LINKS = (0, 1, 2, 3, 5, 6, 7, 10, 14, 15, 16, 17, 18)
PROVISION_COLUMNS = ("id", "act_id", "slug", "kind", "number", "heading", "path", "url",
                     "retrieved_at", "anchor")
EXTRA_COLUMNS = ("provision_url", "provision_path", "citation", "act_title", "kind_ru",
                 "frequency_ru")


class BadFilter(ValueError):
    """A filter value that is not one the catalogue knows (answered 400, never guessed)."""


def filters(request) -> dict:
    """{"age": int | None, "kind": str | None} from the query string, or BadFilter."""
    raw_age = (request.args.get("age") or "").strip()
    raw_kind = (request.args.get("kind") or "").strip()
    age = None
    if raw_age:
        try:
            age = int(raw_age)
        except ValueError:
            raise BadFilter(f"«{raw_age}» — не возраст: укажите целое число лет, например ?age=15.")
        if not 0 <= age <= MAX_AGE:
            raise BadFilter(f"Возраст {age}: каталог мер описывает возраст от 0 до {MAX_AGE} лет.")
    if raw_kind and raw_kind not in KINDS:
        raise BadFilter(f"Вид меры «{raw_kind}» неизвестен: "
                        + ", ".join(f"{k} ({v})" for k, v in KINDS.items()) + ".")
    return {"age": age, "kind": raw_kind or None}


def page_number(request) -> int:
    """The page of the list (from 1), or BadFilter."""
    raw = (request.args.get("page") or "").strip()
    if not raw:
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise BadFilter(f"«{raw}» — не номер страницы: укажите целое число от 1, например ?page=2.")
    return int(raw)


def _where(f: dict, *, with_kind: bool = True) -> tuple[str, dict]:
    where, params = [], {}
    if f["age"] is not None:
        params["m"] = f["age"] * 12
        where.append("(age_min_months is not null or age_max_months is not null)"
                     " and coalesce(age_min_months, 0) <= :m"
                     " and (age_max_months is null or age_max_months >= :m)")
    if with_kind and f["kind"]:
        params["kind"] = f["kind"]
        where.append("kind = :kind")
    return (" where " + " and ".join(where)) if where else "", params


async def payload(datasette, f: dict, page: int | None = None) -> dict:
    """The measures matching the filters, each with its provision's URL and citation; with
    `page`, only that page's PAGE_SIZE measures are read further and returned (`total` still
    counts them all). Answered once per served build and filters (data.remembered): the
    measures of a million-provision build took 250-540 ms a request under load (issue 11).
    Callers read the answer and never change it."""
    key = ("policies", tuple(sorted(f.items())), page, PAGE_SIZE if page is not None else None)
    return await data.remembered(datasette, key, lambda: _payload(datasette, f, page))


async def _payload(datasette, f: dict, page: int | None) -> dict:
    db = data.db_of(datasette)
    if not await data.has_table(datasette, "policy_measures"):
        return {"filters": f, "built": False, "total": 0, "all": 0, "no_age_stated": 0,
                "kinds": {}, "indices": [], "measures": []}
    where, params = _where(f)
    kind_where, kind_params = _where(f, with_kind=False)
    has_indices = await data.has_table(datasette, "monthly_indices")

    async def none():
        return []

    # independent reads asked for together: under load each would wait its turn in the SQL
    # threads' queue after the one before (issue 11)
    measures, kind_rows, count_rows, indices = await asyncio.gather(
        data.rows(db, f"""select * from policy_measures{where}
        order by case kind when 'cash' then 0 when 'in_kind' then 1 when 'service' then 2
                  when 'leave' then 3 else 4 end, act_id, provision_id, id""", params),
        data.rows(db, f"select kind, count(*) as n from policy_measures{kind_where} group by kind",
                  kind_params),
        data.rows(db, """select count(*) as total,
        sum(age_min_months is null and age_max_months is null) as no_age from policy_measures"""),
        data.rows(db, "select * from monthly_indices order by year, unit") if has_indices
        else none())
    kinds = {r["kind"]: r["n"] for r in kind_rows}
    counts = count_rows[0]
    total = len(measures)
    if page is not None:
        measures = measures[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    ids = sorted({m["provision_id"] for m in measures})
    chunks = [ids[i:i + 500] for i in range(0, len(ids), 500)]
    provisions = {}
    for found in await asyncio.gather(*(data.rows(
            db, f"select {', '.join(PROVISION_COLUMNS)} from provisions where id in ("
            + ", ".join(f":p{j}" for j in range(len(chunk))) + ")",
            {f"p{j}": v for j, v in enumerate(chunk)}) for chunk in chunks)):
        for r in found:
            provisions[r["id"]] = r
    # the readable URL from the provision's own slug (read above), as data.provision_urls does
    urls = {pid: data.provision_url(r["act_id"], r["slug"]) for pid, r in provisions.items()}
    acts = {a["id"]: a for a in await data.acts(datasette)}
    for m in measures:
        act = acts.get(m["act_id"]) or {"id": m["act_id"], "title": m["act_id"]}
        prov = provisions.get(m["provision_id"])
        m["provision_url"] = urls.get(m["provision_id"]) or data.act_url(m["act_id"])
        m["provision_path"] = prov["path"] if prov else None
        m["citation"] = citations.citation_string(prov, act) if prov else None
        m["act_title"] = act.get("title")
        m["kind_ru"] = KINDS.get(m["kind"], m["kind"])
        m["frequency_ru"] = FREQUENCY_RU.get(m["frequency"], m["frequency"])
    return {"filters": f, "built": True, "total": total, "all": counts["total"],
            "no_age_stated": counts["no_age"] or 0, "kinds": kinds, "indices": indices,
            "measures": measures}


# --- display ---------------------------------------------------------------------------------


def number_text(value, decimals: int = 2) -> str:
    """5.76 → «5,76», 24912.0 → «24 912», for reading (JSON and CSV keep the stored value)."""
    if value is None:
        return ""
    v = round(float(value), decimals)
    if v == int(v):
        text = f"{int(v):,}".replace(",", "\u00a0")
    else:
        whole, _, frac = f"{v:,.{decimals}f}".partition(".")
        text = whole.replace(",", "\u00a0") + "," + frac.rstrip("0")
    return text


def _display(m: dict) -> dict:
    unit = UNIT_RU.get(m["amount_unit"], m["amount_unit"] or "")
    return dict(
        m,
        age_range=fmt.age_text(m["age_min_months"], m["age_max_months"]),
        amount_value_text=(f"{number_text(m['amount_value'], 4)} {unit}".strip()
                           if m["amount_value"] is not None else ""),
        amount_mrp_text=number_text(m["amount_mrp"], 4),
        amount_tenge_text=number_text(m["amount_tenge"], 0),
        basis_label=m["provision_path"] or m["provision_id"],
    )


def _query(f: dict, **changes) -> str:
    merged = {k: v for k, v in {**f, **changes}.items() if v not in (None, "")}
    return "?" + urllib.parse.urlencode(merged) if merged else ""


async def policies_page(request, datasette):
    from kb.web import pages

    try:
        f = filters(request)
        page = page_number(request)
    except BadFilter as exc:
        return await pages.render(datasette, request, "kb_web_policies.html", {
            "title": "Меры политики: неверный фильтр", "error": str(exc)}, status=400)
    p = await payload(datasette, f, page)
    pages_total = max(1, -(-p["total"] // PAGE_SIZE))
    if page > pages_total:
        return await pages.render(datasette, request, "kb_web_policies.html", {
            "title": "Меры политики: неверный фильтр",
            "error": f"Страницы {page} нет: мер на {pages_total} стр."}, status=400)

    kinds = [{"value": k, "label": v, "count": p["kinds"].get(k, 0), "selected": f["kind"] == k,
              "url": "/policies" + _query(f, kind=None if f["kind"] == k else k)}
             for k, v in KINDS.items()]
    ages = [{"value": a, "selected": f["age"] == a,
             "url": "/policies" + _query(f, age=None if f["age"] == a else a)} for a in AGE_LINKS]
    mrp = [i for i in p["indices"] if i["unit"] == "mrp"]
    return await pages.render(datasette, request, "kb_web_policies.html", {
        "title": "Меры политики в отношении детей",
        "p": p, "f": f, "kinds": kinds, "ages": ages, "kinds_ru": KINDS,
        "measures": [_display(m) for m in p["measures"]],
        "mrp": mrp, "confirmed": all(i["confirmed"] for i in p["indices"]) if p["indices"] else True,
        "clear_url": "/policies", "max_age": MAX_AGE,
        "json_url": "/policies.json" + _query(f), "csv_url": "/policies.csv" + _query(f),
        "age_remove": "/policies" + _query(f, age=None),
        "kind_remove": "/policies" + _query(f, kind=None),
        "years_text": fmt.years_text,
        "page": page, "pages_total": pages_total, "first_index": (page - 1) * PAGE_SIZE,
        "prev_url": "/policies" + _query(f, page=page - 1 if page > 2 else None)
        if page > 1 else None,
        "next_url": "/policies" + _query(f, page=page + 1) if page < pages_total else None,
    })


async def policies_json(request, datasette):
    from kb.web import pages

    try:
        f = filters(request)
    except BadFilter as exc:
        return pages.json_response({"error": str(exc)}, status=400)
    p = await payload(datasette, f)
    return pages.json_response({
        "filters": p["filters"], "total": p["total"], "all_measures": p["all"],
        "no_age_stated": p["no_age_stated"], "kinds": p["kinds"],
        "monthly_indices": p["indices"], "measures": p["measures"],
    })


async def policies_csv(request, datasette):
    try:
        f = filters(request)
    except BadFilter as exc:
        return Response.text(str(exc), status=400)
    p = await payload(datasette, f)
    out = io.StringIO()
    columns = list(await data.columns(datasette, "policy_measures")) if p["built"] else []
    ordered = [c for c in _TABLE_ORDER if c in columns] + sorted(set(columns) - set(_TABLE_ORDER))
    writer = csv.DictWriter(out, fieldnames=ordered + list(EXTRA_COLUMNS), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for m in p["measures"]:
        writer.writerow(m)          # floats as stored: str() of a float keeps every digit
    response = Response(out.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="policies.csv"'
    response.headers["Cache-Control"] = "max-age=3600"
    return response


_TABLE_ORDER = ("id", "name", "tier", "kind", "eligible", "age_min_months", "age_max_months",
                "age_text", "amount_text", "amount_value", "amount_unit", "amount_mrp",
                "amount_tenge", "amount_tenge_year", "frequency", "act_id", "provision_id",
                "provision_page", "article_id", "eligibility_provision_id", "age_provision_id",
                "rule", "source_url", "text_sha256", "retrieved_at")

ROUTES = [
    (r"^/policies$", policies_page),
    (r"^/policies\.json$", policies_json),
    (r"^/policies\.csv$", policies_csv),
]
