"""Browser tests: a real `datasette` server on the fixture DB, driven with Debian's Chromium.

Skipped (with a message) only when /usr/bin/chromium is missing outside CI; in CI (CI set)
a missing browser is a failure. Screenshots go to test-artifacts/.
"""
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from datasette_fixture import A1, build_fixture_db  # noqa: E402

CHROMIUM = Path(os.environ.get("KB_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing in CI: install Debian's chromium package")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); browser tests skipped "
                "outside CI", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def running_server(cmd: list[str], port: int, log_path: Path, name: str, timeout: float,
                   poll: float = 0.2):
    """Start `cmd` (a server on 127.0.0.1:port), wait for /-/versions.json, yield its base URL,
    stop it (a generator for module fixtures)."""
    log = open(log_path, "w+")
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"{name} did not start:\n" + log.read())
                time.sleep(poll)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = build_fixture_db(tmp_path_factory.mktemp("browserdb") / "kb.db")
    port = free_port()
    datasette = Path(sys.executable).parent / "datasette"
    yield from running_server(
        [str(datasette), "serve", "-i", str(db), "--metadata", str(REPO / "metadata.yml"),
         "-h", "127.0.0.1", "-p", str(port), "--setting", "sql_time_limit_ms", "3000"],
        port, tmp_path_factory.mktemp("log") / "datasette.log", "datasette", timeout=30)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def test_search_then_open_provision_with_citation(server, page):
    page.goto(server + "/kb/search")
    page.fill("input[name=q]", "детей")
    page.click("form.sql input[type=submit], form.sql button[type=submit]")
    page.wait_for_selector("td.col-snippet mark")
    marks = page.locator("td.col-snippet mark")
    assert marks.count() >= 3
    assert any(m.lower() in ("дети", "ребёнок", "детей") for m in marks.all_inner_texts())
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)

    page.click(f'td.col-provision_id a[href="/kb/provisions/{A1}-z13"]')
    page.wait_for_selector("#kb-citation")
    citation = page.locator("#kb-citation")
    assert citation.is_visible()
    assert "ст. 16-1, п. 1" in citation.inner_text()
    evidence = page.locator("#kb-text mark.kb-evidence").first
    assert evidence.is_visible() and evidence.inner_text() == "травли (буллинга)"
    background = evidence.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    assert page.locator("#kb-text-kaz").is_visible()
    page.click("#kb-copy")
    # expect() polls without eval: the Content-Security-Policy forbids eval on these pages.
    # (/kb/provisions/… now redirects to the kb/web page, whose button says «Скопировано».)
    expect(page.locator("#kb-copy")).to_contain_text(re.compile("copied|Скопировано"))
    page.screenshot(path=str(ARTIFACTS / "provision.png"), full_page=True)


def test_dimension_facet(server, page):
    # array facets are not among the defaults (they scan JSON at national scale): asked for
    page.goto(server + "/kb/provisions?_facet_array=dimension_codes")
    facet = page.locator(".facet-info[data-column=dimension_codes] a", has_text="PRO")
    facet.first.click()
    page.wait_for_url(re.compile(r".*(dimension_codes__arraycontains=PRO|_through=).*"))
    ids = page.locator("table.rows-and-columns td.col-id a").all_inner_texts()
    assert sorted(ids) == sorted(f"{A1}-{z}" for z in ("z12", "z13", "z123", "z124"))
    page.screenshot(path=str(ARTIFACTS / "facet.png"), full_page=True)


def test_indicator_chart_draws(server, page):
    page.goto(server + "/kb/indicator/CME_MRY0T4")  # redirects to /indicators/CME_MRY0T4
    page.wait_for_url("**/indicators/CME_MRY0T4")
    series = page.locator("svg.kb-chart path.kb-series")
    assert series.count() == 3
    box = series.first.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 20
    assert series.first.is_visible()
    points = page.locator("svg.kb-chart circle.kb-point")
    assert points.count() == 14 and points.first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "indicator.png"), full_page=True)
