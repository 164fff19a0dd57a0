"""Discovery (search + links) and the seed list, against httpx.MockTransport only."""
from urllib.parse import quote

import httpx
import pytest

from scrapers.adilet.discover import discover, links_in_body
from scrapers.adilet.fetch import AdiletFetcher
from scrapers.adilet.ids import InvalidActId
from scrapers.adilet.seeds import (SearchTarget, SeedListError, load_discovery_config,
                                   load_seed_acts)

SEED = "Z020000345_"


class Site:
    def __init__(self):
        self.routes = {}
        self.requests = []

    def add(self, path, body, status=200, host="old.adilet.zan.kz"):
        self.routes[(host, path)] = (status, body)

    def paths(self):
        return [r.url.raw_path.decode() for r in self.requests]

    def __call__(self, request):
        self.requests.append(request)
        path = request.url.raw_path.decode()
        if path == "/robots.txt":
            return httpx.Response(200, content=b"User-agent: *\nAllow: /\n")
        status, body = self.routes.get((request.url.host, path), (404, b"not found"))
        return httpx.Response(status, content=body,
                              headers={"Content-Type": "text/html; charset=utf-8"})


def search_path(query, form, page=1):
    path = f"/rus/search/docs/fulltext={quote(query, safe='')}&page={page}&pagesize=100"
    return path + (f"&va={quote(form, safe='')}" if form else "")


def search_page(hits, total, next_path=None, current=1):
    """A results page in the markup SOURCES.md documents (no real one is saved yet)."""
    holders = "".join(
        f'<div class="post_holder"><h4 class="post_header"><a href="/rus/docs/{act}">{title}</a>'
        f'</h4><span class="status status_upd">Обновленный</span>'
        f"<p>Закон Республики Казахстан от 1 января 2020 года № 1-VI.</p>"
        f"<blockquote>… детей …</blockquote></div>"
        for act, title in hits)
    nav = f'<div class="wp-pagenavi"><span class="current">{current}</span>'
    if next_path:
        nav += f'<a class="nextpostslink" href="{next_path}">»</a>'
    nav += "</div>"
    return (f'<html><body><div class="search_info">Найдено: <strong>{total}</strong></div>'
            f"{holders}{nav}</body></html>").encode("utf-8")


def law_page(act_id, body_links=(), sidebar_links=()):
    links = "".join(f'<p id="z{i + 5}">см. <a href="/rus/docs/{a}#z1">акт</a></p>'
                    for i, a in enumerate(body_links))
    side = "".join(f'<li><a href="/rus/docs/{a}">кодекс</a></li>' for a in sidebar_links)
    return (f'<html><body><div class="container_alpha slogan"><h1>Акт {act_id}</h1></div>'
            f'<div class="container_gamma text"><article>'
            f'<p><b><a name="z1"></a>Статья 1. Понятия</b></p><p id="z2">1. Текст.</p>{links}'
            f'</article></div><ul class="sidebar">{side}</ul></body></html>').encode("utf-8")


@pytest.fixture
def site():
    return Site()


@pytest.fixture
def fetcher(tmp_path, site, clock):
    with AdiletFetcher(tmp_path / "raw", transport=httpx.MockTransport(site),
                       sleep=clock.sleep, clock=clock.clock) as f:
        yield f


def test_search_follows_next_pages_and_says_why_each_act_was_found(fetcher, site):
    site.add(search_path("права ребенка", "ЗАК"),
             search_page([("Z1800000169", "О защите детей от информации"), (SEED, "О правах ребенка")],
                         total=3, next_path=search_path("права ребенка", "ЗАК", 2)))
    site.add(search_path("права ребенка", "ЗАК", 2),
             search_page([("Z090000214_", "О профилактике бытового насилия")], total=3, current=2))

    result = discover(fetcher, queries=["права ребенка"], forms=["ЗАК"], known=[SEED],
                      follow_links=False)

    assert result.act_ids == ["Z1800000169", "Z090000214_"]  # the known seed is not "new"
    assert result.found["Z1800000169"].reasons == ["search «права ребенка» va=ЗАК"]
    assert result.found["Z1800000169"].title == "О защите детей от информации"
    assert [r.kind for r in result.fetched] == ["search", "search"] and not result.failures
    logged = [r for r in fetcher.store.records() if r["kind"] == "search"]
    assert len(logged) == 2 and all(r["ok"] and r["sha256"] for r in logged)


def test_max_pages_bounds_the_search(fetcher, site):
    site.add(search_path("дети", None),
             search_page([("Z1800000169", "a")], total=200, next_path=search_path("дети", None, 2)))
    site.add(search_path("дети", None, 2),
             search_page([("Z090000214_", "b")], total=200, next_path=search_path("дети", None, 3)))
    result = discover(fetcher, queries=["дети"], max_pages=1, follow_links=False)
    assert result.act_ids == ["Z1800000169"]
    assert search_path("дети", None, 2) not in site.paths()


def test_each_keyword_is_searched_per_form_and_targets_with_their_own_form(fetcher, site):
    discover(fetcher, queries=["дети", SearchTarget("Дети Казахстана", "ПОСТ")],
             forms=["ЗАК", "УКАЗ"], follow_links=False)
    searched = [p for p in site.paths() if p.startswith("/rus/search/")]
    assert searched == [search_path("дети", "ЗАК"), search_path("дети", "УКАЗ"),
                        search_path("Дети Казахстана", "ПОСТ")]


def test_a_failed_search_page_is_logged_and_the_run_goes_on(fetcher, site):
    site.add(search_path("дети", "ЗАК"), b"maintenance", status=503)
    site.add(search_path("дети", "КОД"), search_page([("K1100000518", "О браке")], total=1))
    result = discover(fetcher, queries=["дети"], forms=["ЗАК", "КОД"], follow_links=False)
    assert result.act_ids == ["K1100000518"]
    assert len(result.failures) == 1 and "503" in result.failures[0].error
    assert any(r["ok"] is False and r["kind"] == "search" for r in fetcher.store.records())


def test_next_page_on_another_host_is_not_followed(fetcher, site):
    site.add(search_path("дети", None),
             search_page([("Z1800000169", "a")], total=9,
                         next_path="https://evil.example/rus/search/docs/page=2"))
    result = discover(fetcher, queries=["дети"], follow_links=False)
    assert result.act_ids == ["Z1800000169"]
    assert all(r.url.host == "old.adilet.zan.kz" for r in site.requests)
    assert "not followed" in result.problems[0]


def test_links_in_the_body_are_followed_breadth_first(fetcher, site):
    site.add(f"/rus/docs/{SEED}", law_page(SEED, body_links=["Z1800000169", "K1100000518"],
                                           sidebar_links=["K1400000226"]))
    site.add("/rus/docs/Z1800000169", law_page("Z1800000169", body_links=["V2200031180"]))
    site.add("/rus/docs/K1100000518", law_page("K1100000518", body_links=[SEED]))

    one = discover(fetcher, start=[SEED], max_depth=1)
    assert one.act_ids == ["Z1800000169", "K1100000518"]  # not the sidebar's K1400000226
    assert one.found["K1100000518"].reasons == [f"linked from {SEED}"]
    assert one.found["K1100000518"].depth == 1
    assert [r.act_id for r in one.fetched] == [SEED]

    two = discover(fetcher, start=[SEED], max_depth=2)
    assert two.act_ids == ["Z1800000169", "K1100000518", "V2200031180"]
    assert two.found["V2200031180"].reasons == ["linked from Z1800000169"]
    # the seed's stored good copy was reused, not fetched again
    assert site.paths().count(f"/rus/docs/{SEED}") == 1


def test_search_hits_are_read_for_links_too(fetcher, site):
    site.add(search_path("дети", None), search_page([("Z1800000169", "a")], total=1))
    site.add("/rus/docs/Z1800000169", law_page("Z1800000169", body_links=["V2200031180"]))
    result = discover(fetcher, queries=["дети"], max_depth=1)
    assert result.act_ids == ["Z1800000169", "V2200031180"]
    assert result.found["V2200031180"].reasons == ["linked from Z1800000169"]


def test_limit_bounds_the_number_of_new_acts(fetcher, site):
    site.add(f"/rus/docs/{SEED}",
             law_page(SEED, body_links=["Z1800000169", "K1100000518", "V2200031180"]))
    result = discover(fetcher, start=[SEED], max_depth=3, limit=2)
    assert result.act_ids == ["Z1800000169", "K1100000518"]


def test_a_js_shell_start_page_yields_nothing_and_is_logged(fetcher, site, corpus_dir):
    shell = (corpus_dir / "adilet" / "new-site" / "Z1300000094.spa-stub.html").read_bytes()
    site.add(f"/rus/docs/{SEED}", shell)
    result = discover(fetcher, start=[SEED])
    assert result.act_ids == [] and len(result.failures) == 1


def test_invalid_start_id_is_refused_before_any_request(fetcher, site):
    with pytest.raises(InvalidActId):
        discover(fetcher, start=["../etc"])
    assert site.requests == []


def test_links_in_body_of_the_real_saved_page(corpus_dir):
    html = (corpus_dir / "adilet" / "rus" / "V1600014592.html").read_bytes()
    # the body links to the Budget Code and to the amending order; the sidebar's popular
    # codes (K1400000226 …) are page chrome
    assert links_in_body(html) == ["K080000095_", "V1600014592", "V1700015567"]


# --- the seed list ----------------------------------------------------------------------------


def test_the_seed_list_loads_with_every_id_valid():
    acts = load_seed_acts()
    ids = [a.id for a in acts]
    assert len(ids) == len(set(ids)) == 22
    assert {"Z020000345_", "K1100000518", "V2200031180", "K1500000377"} <= set(ids)
    repealed = [a.id for a in acts if a.repealed]
    assert repealed == ["Z050000063_"]
    rights = acts[0]
    assert (rights.date, rights.number, rights.form) == ("2002-08-08", "345-II", "law")


def test_the_discovery_section_loads():
    config = load_discovery_config()
    assert config.forms == ("ЗАК", "КОД", "ПОСТ", "ПРИК", "УКАЗ")
    assert "права ребенка" in config.keywords
    assert len(config.targets) == 3 and all(t.query and t.form for t in config.targets)
    assert config.start == tuple(a.id for a in load_seed_acts())


def test_the_configured_crawl_runs_as_discover_keyword_arguments(fetcher, site, tmp_path):
    path = tmp_path / "seeds.yml"
    path.write_text(f"""acts:
  - {{id: {SEED}, title_ru: О правах ребенка}}
discovery:
  forms: [ЗАК]
  keywords: [дети]
  targets:
    - {{query: Дети Казахстана, form: ПОСТ}}
  max_pages: 2
  max_depth: 1
  limit: 10
""", encoding="utf-8")
    site.add(search_path("дети", "ЗАК"), search_page([("Z1800000169", "a")], total=1))
    site.add(search_path("Дети Казахстана", "ПОСТ"), search_page([("P2600000001", "b")], total=1))
    site.add(f"/rus/docs/{SEED}", law_page(SEED, body_links=["K1100000518"]))

    result = discover(fetcher, **load_discovery_config(path))
    assert result.act_ids == ["Z1800000169", "P2600000001", "K1100000518"]
    assert result.found["P2600000001"].reasons == ["search «Дети Казахстана» va=ПОСТ"]
    assert result.found["K1100000518"].reasons == [f"linked from {SEED}"]


@pytest.mark.parametrize("entry, message", [
    ("- {id: '../../etc', title_ru: x}", "not an Adilet act ID"),
    ("- {id: Z020000345_, title_ru: x}\n  - {id: Z020000345_, title_ru: y}", "duplicate"),
    ("- {id: Z020000345_}", "title_ru"),
    ("- {id: Z020000345_, title_ru: x, date: 08.08.2002}", "YYYY-MM-DD"),
    ("- {id: Z020000345_, title_ru: x, colour: red}", "unknown field"),
])
def test_a_bad_seed_file_gives_a_clear_error(tmp_path, entry, message):
    path = tmp_path / "seeds.yml"
    path.write_text("acts:\n  " + entry + "\n", encoding="utf-8")
    with pytest.raises(SeedListError, match=message) as info:
        load_seed_acts(path)
    assert str(path) in str(info.value)
