"""The HTML report in a real browser (headless Chromium): nothing injected runs, the page reads, it sorts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from mcpctl.report.html import render_html
from tests.integration.browser import chrome, needs_chromium, no_alert, severe
from tests.unit.report.test_html import CORPUS, INJECTIONS, rich_run

pytestmark = needs_chromium


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    with chrome(tmp_path / "profile", height=2000) as driver:
        yield driver


def test_injected_markup_never_runs_and_the_summary_reads(browser: webdriver.Chrome, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(rich_run(CORPUS), redact=str), encoding="utf-8")
    browser.get(page.as_uri())
    assert no_alert(browser)
    assert browser.execute_script("return window.pwned") is None
    assert severe(browser) == []
    summary = browser.find_element(By.ID, "summary")
    assert summary.is_displayed()
    assert "11 total: 5 passed (1 flaky), 3 failed, 1 error, 2 skipped" in summary.text
    assert "20261125T161203-3fa2c1" in summary.text
    body = browser.find_element(By.TAG_NAME, "body").text
    assert f"tool {CORPUS}" in body  # shown as text, whole
    assert all(injection in body for injection in INJECTIONS)
    assert browser.find_elements(By.CSS_SELECTOR, "img, iframe, object, embed") == []
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_headers_sort_the_cases(browser: webdriver.Chrome, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(rich_run(), redact=str), encoding="utf-8")
    browser.get(page.as_uri())
    table = browser.find_elements(By.CSS_SELECTOR, "table.cases")[0]

    def names() -> list[str]:
        rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
        return [row.find_elements(By.TAG_NAME, "td")[1].text for row in rows]

    assert names() == ["lists tools", "adds numbers", "later", "retried", "tool"]
    time_header = table.find_elements(By.TAG_NAME, "th")[3]
    time_header.click()
    assert names() == ["later", "adds numbers", "tool", "lists tools", "retried"]
    assert time_header.get_attribute("aria-sort") == "ascending"
    time_header.click()
    assert names() == ["retried", "lists tools", "tool", "adds numbers", "later"]
    assert browser.get_log("browser") == []
