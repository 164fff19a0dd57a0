"""A lawyer's tasks in Chromium on the pages of kb/web (issue 12), against a real `datasette`
server on the fixture database (the `server`, `browser` and `page` fixtures of
test_browser.py). Screenshots of every page go to test-artifacts/web-*.png; docs/img holds
copies for docs/interface.md.
"""
import re
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_browser import (ARTIFACTS, browser, page, server)  # noqa: E402,F401  (fixtures)

from datasette_fixture import A1  # noqa: E402

pytestmark = pytest.mark.browser


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def test_search_prefix_then_narrow_by_a_facet(server, page):
    page.goto(server + "/")
    shot(page, "home")
    page.fill("#kb-q", "опек*")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=*")
    hit = page.locator(".kb-hit").first
    assert "опекун" in hit.locator("mark").first.inner_text()
    assert hit.locator("a").first.get_attribute("href") == f"/acts/{A1}/art1/p2"

    page.goto(server + "/search?q=детей")
    total = int(re.search(r"\d+", page.locator("#kb-total strong").inner_text()).group())
    facet = page.locator(".kb-facet[data-facet=dimension] a", has_text="Образование")
    expected = int(facet.locator("xpath=following-sibling::span[1]").inner_text())
    facet.click()
    page.wait_for_url("**dimension=EDU**")
    narrowed = int(page.locator("#kb-total strong").inner_text())
    assert narrowed == expected < total
    assert page.locator(".kb-hit").count() == narrowed
    shot(page, "search")


def test_empty_search_explains_itself(server, page):
    page.goto(server + "/search?q=опекунство")
    assert page.locator("#kb-empty").is_visible()
    page.locator("#kb-suggestions a", has_text="опекун").first.click()
    page.wait_for_selector(".kb-hit")
    shot(page, "search-empty-then-suggestion")


def test_act_contents_then_article(server, page):
    page.goto(server + f"/acts/{A1}")
    assert page.locator("#kb-act-title").inner_text().startswith("О правах ребенка")
    shot(page, "act")
    page.locator("#kb-toc a", has_text="Статья 16-1").click()
    page.wait_for_url(f"**/acts/{A1}/art16-1")
    assert page.locator("h1").inner_text().startswith("ст. 16-1")


def test_provision_at_readable_url_copy_citation_keyboard_and_print(server, page):
    page.goto(server + f"/acts/{A1}/art16-1/p1")
    citation = page.locator("#kb-citation")
    assert "ст. 16-1, п. 1" in citation.inner_text()
    # Russian and Kazakh side by side
    ru, kk = page.locator("#kb-text").bounding_box(), page.locator("#kb-text-kaz").bounding_box()
    assert kk["x"] > ru["x"] + ru["width"] - 1 and abs(kk["y"] - ru["y"]) < 5
    evidence = page.locator("#kb-text mark.kb-evidence").first
    assert evidence.inner_text() == "травли (буллинга)"
    page.click("#kb-copy")
    # no wait_for_function: it evaluates a string, which the CSP (no 'unsafe-eval') refuses
    expect(page.locator("#kb-copy")).to_have_text("Скопировано")
    shot(page, "provision")

    # keyboard: the first Tab reaches the skip link; "/" focuses search; "]" goes to the next
    page.reload()
    page.keyboard.press("Tab")
    expect(page.locator(".kb-skip")).to_be_focused()
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("/")
    expect(page.locator("#kb-q-top")).to_be_focused()
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("]")
    page.wait_for_url(f"**/acts/{A1}/art16-1/p2")

    # print: no navigation or buttons, the text and citation stay
    page.emulate_media(media="print")
    assert not page.locator(".kb-header").is_visible()
    assert not page.locator("#kb-copy").is_visible()
    assert page.locator("#kb-text").is_visible() and page.locator("#kb-citation").is_visible()
    shot(page, "provision-print")
    page.emulate_media(media="screen")


def test_old_link_lands_on_the_readable_page(server, page):
    page.goto(server + f"/kb/provisions/{A1}-z123")
    assert page.url == server + f"/acts/{A1}/art16-1/p2"
    assert page.locator("#kb-citation").inner_text().count("п. 2") == 1


def test_heatmap_cell_leads_to_its_provisions(server, page):
    page.goto(server + "/coverage")
    cell = page.locator('#kb-heatmap a[href="/search?dimension=PRO&age=AG_AD1&status=in_force"]')
    count = int(cell.inner_text())
    shot(page, "coverage")
    cell.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**dimension=PRO&age=AG_AD1**")
    assert page.locator(".kb-hit").count() == count == 4


def test_what_applies_at_15(server, page):
    page.goto(server + "/age/14")
    page.locator(".kb-agebar a", has_text=re.compile(r"^15$")).click()
    page.wait_for_url("**/age/15")
    item = page.locator(".kb-age-list li", has_text="ст. 16-1 п. 2").first
    assert item.locator(".kb-threshold").inner_text() == "с 14 лет до 18 лет"
    assert not page.locator(".kb-age-list li", has_text="Дошкольное воспитание").count()
    shot(page, "age")


def test_not_found_page(server, page):
    response = page.goto(server + f"/acts/{A1}/art99")
    assert response.status == 404
    assert "нет положения" in page.locator("#kb-not-found").inner_text()
    shot(page, "404")
