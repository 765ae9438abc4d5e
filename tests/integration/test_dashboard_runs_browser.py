"""The Runs pages in headless Chromium (issue 13): the list and a run's page render from a real store, their
links work (run page, full HTML report, filters), injected markup never runs, the console shows no errors;
screenshots go to artifacts/screenshots/runs.png and run.png.

The dashboard is A's server (:class:`~mcpctl.web.server.Dashboard`, its security and live log) with the runs
routes mounted, served by trio in a thread of its own while the browser drives the pages.
"""

from __future__ import annotations

import queue
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from mcpctl.report.html import page_assets
from mcpctl.store import open_store
from mcpctl.web.live import Live
from mcpctl.web.pages import make_render
from mcpctl.web.runs import run_routes
from mcpctl.web.security import Security
from mcpctl.web.server import Dashboard, serve_dashboard
from tests.integration.browser import chrome, needs_chromium, no_alert, screenshots, severe
from tests.unit.report.test_html import CORPUS, INJECTIONS, rich_run
from tests.unit.web.test_runs import LOAD, OLD, RICH, earlier, load_only

TOKEN = "runs-browser-token"

pytestmark = needs_chromium


@pytest.fixture
def state(tmp_path: Path) -> Path:
    directory = tmp_path / "state"
    with open_store(directory) as store:
        for n, run_id in enumerate(OLD):
            store.save_run(earlier(run_id, n))
        store.save_run(load_only())
        store.save_run(rich_run(CORPUS))
    return directory


@pytest.fixture
def dashboard(state: Path) -> Iterator[str]:
    """The dashboard's base URL, served from a thread until the test ends."""
    ready: queue.Queue[tuple[int, trio.lowlevel.TrioToken, trio.CancelScope] | BaseException] = queue.Queue()

    async def serve() -> None:
        async with trio.open_nursery() as nursery:
            security = Security(host="127.0.0.1", port=0, token=TOKEN)
            routes = run_routes(state_dir=state, render=make_render())
            board = Dashboard(routes=routes, security=security, live=Live())
            port = await nursery.start(serve_dashboard, board, "127.0.0.1", 0)
            ready.put((port, trio.lowlevel.current_trio_token(), nursery.cancel_scope))

    def main() -> None:
        try:
            trio.run(serve)
        except BaseException as exc:  # the test reads it instead of waiting forever
            ready.put(exc)

    thread = threading.Thread(target=main, name="dashboard", daemon=True)
    thread.start()
    started = ready.get(timeout=20)
    if isinstance(started, BaseException):
        raise started
    port, token, scope = started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        trio.from_thread.run_sync(scope.cancel, trio_token=token)
        thread.join(timeout=20)
        assert not thread.is_alive()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    with chrome(tmp_path / "profile") as driver:
        yield driver


def inert(browser: webdriver.Chrome) -> None:
    """Nothing injected ran: no alert, no ``window.pwned``, no console error."""
    if not no_alert(browser):
        pytest.fail("an alert opened: injected markup ran")
    assert browser.execute_script("return window.pwned") is None
    assert severe(browser) == []


def fits(browser: webdriver.Chrome) -> bool:
    """The page does not scroll sideways (a long hostile line stays in its own scrolling box)."""
    width = "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    return bool(browser.execute_script(width) <= 0)


def body(browser: webdriver.Chrome) -> str:
    return str(browser.find_element(By.TAG_NAME, "body").text)


def test_the_runs_pages_render_link_and_stay_inert(browser: webdriver.Chrome, dashboard: str) -> None:
    wait = WebDriverWait(browser, 15)
    browser.get(f"{dashboard}/runs")
    wait.until(lambda b: b.find_element(By.ID, "live-state").text == "live")
    assert browser.title == "Runs · mcpctl dashboard"
    rows = browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr")
    assert [row.find_elements(By.TAG_NAME, "td")[0].text for row in rows] == [RICH, LOAD, *reversed(OLD)]
    assert [row.find_elements(By.TAG_NAME, "td")[5].text for row in rows] == [
        "error",
        "passed",
        "error",
        "error",
        "error",
    ]
    assert all(injection in body(browser) for injection in INJECTIONS)
    inert(browser)
    assert fits(browser)
    browser.save_screenshot(str(screenshots() / "runs.png"))

    # the filter form, from the keyboard's controls: a GET with the chosen values
    Select(browser.find_element(By.ID, "runs-kind")).select_by_value("LoadTest")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait.until(lambda b: "kind=LoadTest" in b.current_url)
    rows = browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr")
    assert [row.find_elements(By.TAG_NAME, "td")[0].text for row in rows] == [RICH, LOAD]

    # the run's link leads to its page: failures with the spec's file:line, charts, hostile text as text
    browser.find_element(By.CSS_SELECTOR, f"a.run-link[href='/runs/{RICH}']").click()
    wait.until(lambda b: b.current_url == f"{dashboard}/runs/{RICH}")
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Run {RICH}: error"
    failures = browser.find_element(By.ID, "failures").text
    assert f"specs/{CORPUS}.yaml:3" in failures
    assert f"bad answer {CORPUS}" in failures
    assert "specs/basic.yaml:14" in failures
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart")) >= 4
    assert all(injection in body(browser) for injection in INJECTIONS)
    assert browser.find_elements(By.CSS_SELECTOR, "main img, main iframe, main object, main embed") == []
    inert(browser)
    assert fits(browser)
    browser.save_screenshot(str(screenshots() / "run.png"))

    # and the full HTML report, under its own policy: its script (sorting) runs, nothing injected does
    browser.find_element(By.ID, "report-link").click()
    wait.until(lambda b: b.current_url == f"{dashboard}/runs/{RICH}/report")
    summary = browser.find_element(By.ID, "summary").text
    assert "11 total: 5 passed (1 flaky), 3 failed, 1 error, 2 skipped" in summary
    assert all(injection in body(browser) for injection in INJECTIONS)
    inert(browser)


def test_a_run_page_charts_its_trends(browser: webdriver.Chrome, dashboard: str) -> None:
    browser.get(f"{dashboard}/runs/{OLD[2][:20]}")
    WebDriverWait(browser, 15).until(lambda b: b.find_element(By.ID, "live-state").text == "live")
    trends = browser.find_element(By.ID, "trends")
    assert "Each case of this run across the last 3 runs of its suite" in trends.text
    labels = [svg.get_attribute("aria-label") for svg in trends.find_elements(By.CSS_SELECTOR, "svg.chart")]
    assert labels == [
        "TestSuite/basic lists tools",
        "TestSuite/basic adds numbers",
        "TestSuite/basic retried",
    ]
    assert fits(browser)
    inert(browser)


def test_the_server_keeps_the_report_s_own_policy_and_its_own_for_the_pages(dashboard: str) -> None:
    with urllib.request.urlopen(f"{dashboard}/runs/{RICH[:12]}/report") as answer:
        report_policy = answer.headers.get_all("content-security-policy")
    assert report_policy == [page_assets(printable=False)[2]]
    with urllib.request.urlopen(f"{dashboard}/runs/{RICH}") as answer:
        page_policy = answer.headers.get_all("content-security-policy")
    assert len(page_policy) == 1
    assert page_policy != report_policy
