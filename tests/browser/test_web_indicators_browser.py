"""Indicator pages in Chromium (issue 13): a series with law-event markers and a regional
indicator's map, on a real `datasette` server over the session's corpus build (real
observations, amendments and links). Screenshots: test-artifacts/web-indicator-*.png.
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_browser import ARTIFACTS, browser, free_port, page, running_server  # noqa: E402,F401

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def corpus_server(corpus_build, tmp_path_factory):
    port = free_port()
    yield from running_server(
        [sys.executable, "-c", "import sys; from kb.serve import serve; "
         f"serve({str(corpus_build[0])!r}, '127.0.0.1', {port}, 3000)"],
        port, tmp_path_factory.mktemp("log") / "kb-serve.log", "kb serve", timeout=60, poll=0.3)


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"web-indicator-{name}.png"), full_page=True)


def test_series_with_law_events(corpus_server, page):
    page.goto(corpus_server + "/kb/indicator/SP_DYN_ADKL")  # the old URL
    page.wait_for_url("**/indicators/SP_DYN_ADKL")
    series = page.locator("#kb-chart svg.kb-chart path.kb-series")
    assert series.count() >= 1
    box = series.first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 30
    events = page.locator("#kb-chart g.kb-law-event")
    assert events.count() > 0 and events.first.is_visible()
    assert page.locator("#kb-law-caption").is_visible()
    # girls only: the latest value is the girls' one
    assert page.locator("#kb-latest li[data-sex=F] .kb-value").inner_text() == "24,6"
    page.locator("#kb-events summary").click()
    assert page.locator("#kb-events li").first.is_visible()
    page.locator("#kb-chart").screenshot(path=str(ARTIFACTS / "web-indicator-chart.png"))
    shot(page, "series")


def test_regional_map(corpus_server, page):
    page.goto(corpus_server + "/indicators/KZ_SCHOOLS_GENERAL")
    areas = page.locator("#kb-map svg.kb-map path.kb-area")
    assert areas.count() == 20
    box = page.locator("#kb-map svg.kb-map").bounding_box()
    assert box and box["width"] > 500 and box["height"] > 300
    assert page.locator("#kb-map svg rect.kb-legend-box").count() >= 3
    # a city is a dot on top of its oblast, with its value in the tooltip
    assert page.locator("#kb-map circle.kb-city[data-code='75'] title").text_content() \
        .startswith("город Алматы: ")
    assert page.locator("#kb-map-per-child svg.kb-map").is_visible()
    page.locator("#kb-map").screenshot(path=str(ARTIFACTS / "web-indicator-map.png"))
    page.select_option("#kb-area", "75")
    page.locator(".kb-area-form button").click()
    page.wait_for_url("**area=75")
    assert page.locator("#kb-chart path.kb-series").count() >= 4
    shot(page, "regional")


def test_index(corpus_server, page):
    page.goto(corpus_server + "/indicators")
    page.locator("#ind-KZ_SCHOOLS_GENERAL a").first.click()
    page.wait_for_url("**/indicators/KZ_SCHOOLS_GENERAL")
    page.goto(corpus_server + "/indicators")
    shot(page, "index")
