"""The dashboard in headless Chromium over a Monitor of real mocks: the overview lists the servers, a mock
switched to failure turns its tile unhealthy without a reload (and how long the change took to show), the
mock's hostile error texts stay text, the console stays clean; a screenshot of each page."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from testing.paths import ROOT
from tests.integration.browser import chrome, dashboard_process, needs_chromium, no_alert, screenshots, severe
from tests.integration.monitor_mocks import set_switch
from tests.integration.test_dashboard import INJECTIONS, failing, monitored

pytestmark = needs_chromium
TOKEN = "browser-token-0123456789"
SHOW_WITHIN = 1.0
"""Seconds from a health change (its event's ts) to the tile showing it."""


@dataclass(frozen=True, slots=True)
class Site:
    url: str
    switch: Path
    driver: webdriver.Chrome
    shots: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("dashboard")
    with (
        monitored(tmp) as (switch, spec, _),
        dashboard_process(tmp, TOKEN, "--monitor", str(spec)) as url,
        chrome(tmp / "profile", height=900) as driver,
    ):
        yield Site(url, switch, driver, screenshots())


def _wait(driver: webdriver.Chrome, script: str, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what} did not happen within {timeout}s")


def _tile_health(name: str) -> str:
    """A JavaScript expression: the health word shown on the tile of ``name``."""
    return (
        "(function () { for (const t of document.querySelectorAll('#tiles .tile')) {"
        f" if (t.dataset.server === {name!r}) return t.querySelector('.health-word').textContent; }}"
        " return null; })()"
    )


def test_the_overview_lists_the_servers_live(site: Site) -> None:
    driver = site.driver
    driver.get(f"{site.url}/?token={TOKEN}")
    names = [
        tile.get_attribute("data-server") for tile in driver.find_elements(By.CSS_SELECTOR, "#tiles .tile")
    ]
    assert names == ["switch", "weather"]
    _wait(driver, "return document.getElementById('live-state').textContent === 'live'", 5, "the live stream")
    for name in names:
        _wait(driver, f"return {_tile_health(name)} === 'healthy'", 20, f"{name} healthy")
    sparklines_full = (
        "return Array.from(document.querySelectorAll('.spark-line'))"
        ".every(l => l.getAttribute('points').split(' ').length >= 8)"
    )
    _wait(driver, sparklines_full, 10, "the sparklines drawn")
    assert driver.find_element(By.CSS_SELECTOR, ".depmap").is_displayed()
    assert severe(driver) == []
    assert driver.save_screenshot(str(site.shots / "dashboard-overview.png"))
    if os.environ.get("MCPCTL_UPDATE_DOCS") == "1":  # the README's picture, from this run
        assert driver.save_screenshot(str(ROOT / "docs" / "img" / "dashboard-overview.png"))


def test_a_failing_mock_turns_its_tile_unhealthy_without_a_reload(site: Site) -> None:
    driver = site.driver
    driver.execute_script("window.stillThisPage = true;")
    assert driver.execute_script(f"return {_tile_health('switch')}") == "healthy"
    flipped = time.monotonic()
    set_switch(site.switch, default=failing(" ".join(INJECTIONS)))
    _wait(driver, f"return {_tile_health('switch')} === 'unhealthy'", 5, "switch unhealthy")
    assert time.monotonic() - flipped < 2.0
    assert driver.execute_script("return window.stillThisPage") is True  # no reload
    shown = _wait(
        driver,
        "const s = window.mcpctlHealthShown.filter(e => e.server === 'switch' && e.to === 'unhealthy' && e.shown);"
        " return s.length ? s[0].shown - s[0].ts : null;",
        2,
        "the change painted",
    )
    print(f"health change to tile: {float(str(shown)) * 1000:.0f} ms")  # the figure for the record
    assert float(str(shown)) < SHOW_WITHIN
    _wait(
        driver,
        "return document.querySelector('.tile .last-message').textContent !== ''",
        3,
        "the error shown",
    )
    message = driver.find_element(By.CSS_SELECTOR, "#tiles .tile .last-message").text
    # as text, whole (the probe quotes the tool's answer as JSON)
    assert message == "the tool returned isError: true: " + json.dumps(
        " ".join(INJECTIONS), ensure_ascii=False
    )
    node = driver.find_element(By.CSS_SELECTOR, ".depmap .node .node-health")
    assert node.text == "unhealthy"
    assert no_alert(driver)
    assert driver.execute_script("return window.pwned") is None
    assert driver.find_elements(By.CSS_SELECTOR, "main img, main iframe, main script") == []
    assert severe(driver) == []
    assert driver.save_screenshot(str(site.shots / "dashboard-overview-unhealthy.png"))


def test_the_server_page_and_every_other_page_render_inert(site: Site) -> None:
    driver = site.driver
    driver.find_element(By.LINK_TEXT, "switch").click()
    assert driver.current_url == f"{site.url}/servers/switch"
    failures = driver.find_element(By.ID, "failures").text
    assert "the tool returned isError: true:" in failures
    assert INJECTIONS[1] in failures
    assert driver.execute_script("return window.pwned") is None
    assert no_alert(driver)
    assert severe(driver) == []
    assert driver.save_screenshot(str(site.shots / "dashboard-server.png"))
    set_switch(site.switch)
    for page in ("alerts", "runs", "batch"):
        driver.get(f"{site.url}/{page}")
        if "no such page" in driver.page_source:
            continue  # that page's module has not landed
        assert driver.execute_script("return window.pwned") is None
        assert no_alert(driver)
        assert severe(driver) == [], page
        assert driver.save_screenshot(str(site.shots / f"dashboard-{page}.png"))
