"""Issue 13, acceptance 1 (alerts) in headless Chromium: a dashboard running a Monitor in its own process
over a mock served on loopback; the mock is switched to failure, the alert appears on the open Alerts page
without a reload, is acked from the page, and ``mcpctl alerts history`` shows the ack. The console shows
no errors; the page is kept as artifacts/screenshots/alerts.png."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trio
from selenium import webdriver
from selenium.webdriver.common.by import By

from mcpctl.cli.dashboard import Running, serve
from mcpctl.spec.alert_matchers import parse_matcher
from mcpctl.store import alerts as stored
from mcpctl.store import open_store
from testing.cli import mcpctl
from tests.integration.browser import chrome, dashboard_config, needs_chromium, screenshots, severe, text_of
from tests.integration.conftest import free_port
from tests.integration.monitor_mocks import ERROR_RULES, set_switch, switch_server
from tests.unit.report.test_html import CORPUS

TOKEN = "alerts-browser-token"
SPECS = (
    """\
apiVersion: mcpctl/v1
kind: Monitor
metadata: {name: prod}
defaults: {interval: 200ms, timeout: 150ms}
health: {window: 2s, unhealthy: ["error_rate > 50%"]}
servers:
  - {name: switch, server: {url: "SWITCH_URL"}, probe: {call: work}, session: per-probe}
---
"""
    + ERROR_RULES
)

pytestmark = needs_chromium


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    with chrome(tmp_path / "profile", height=1600) as driver:
        yield driver


async def eventually(check: Callable[[], object], *, timeout: float, what: str) -> None:
    """Poll ``check`` (blocking: a browser or a store) in a thread until it holds."""
    with trio.move_on_after(timeout):
        # polling: a browser and another process's store cannot set a trio.Event
        while not await trio.to_thread.run_sync(check):  # noqa: ASYNC110
            await trio.sleep(0.1)
        return
    raise AssertionError(f"{what} did not happen within {timeout}s")


def acked_in_store(state_dir: Path) -> bool:
    with open_store(state_dir, create=False) as store:
        return any(row.event == "acked" for row in stored.history(store, limit=1000))


async def test_an_alert_appears_live_and_is_acked_from_the_page(
    browser: webdriver.Chrome, tmp_path: Path
) -> None:
    switch, port = tmp_path / "switch.yaml", free_port()
    set_switch(switch, "{}")
    (tmp_path / "monitor.yaml").write_text(SPECS.replace("SWITCH_URL", f"http://127.0.0.1:{port}/mcp"))
    (tmp_path / "token").write_text(TOKEN)
    state_dir = tmp_path / "state"
    config = dashboard_config(state_dir, monitor=tmp_path / "monitor.yaml", token_file=tmp_path / "token")
    with switch_server(switch, port):
        async with trio.open_nursery() as nursery:
            running: Running = await nursery.start(serve, config)
            url = f"http://127.0.0.1:{running.port}/alerts?token={TOKEN}"
            await trio.to_thread.run_sync(browser.get, url)
            assert "No alerts pending or firing." in await trio.to_thread.run_sync(text_of, browser, "main")
            await trio.to_thread.run_sync(browser.execute_script, "window.notReloaded = true;")
            set_switch(switch, "{errorRate: 100%}")
            started = time.monotonic()
            firing = "#alerts-list article form[data-kind=ack]:not([hidden])"
            await eventually(
                lambda: browser.find_elements(By.CSS_SELECTOR, firing),
                timeout=20,
                what="firing alert on page",
            )
            appeared = time.monotonic() - started
            item = browser.find_element(By.CSS_SELECTOR, "#alerts-list article")
            assert "Errors on switch" in item.text
            assert "firing" in item.text
            assert "switch fails" in item.text
            comment = item.find_element(By.CSS_SELECTOR, "form[data-kind=ack] input[name=comment]")
            await trio.to_thread.run_sync(comment.send_keys, "from the browser")
            button = item.find_element(By.CSS_SELECTOR, "form[data-kind=ack] button")
            await trio.to_thread.run_sync(button.click)
            await eventually(
                lambda: "acknowledged Errors on switch" in text_of(browser, "alerts-message"),
                timeout=5,
                what="ack answered",
            )
            await eventually(lambda: acked_in_store(state_dir), timeout=5, what="monitor applied the ack")
            await eventually(
                lambda: (
                    "acked" in browser.find_element(By.CSS_SELECTOR, "#alerts-list [data-field=marks]").text
                ),
                timeout=5,
                what="acked mark on the page",
            )
            assert await trio.to_thread.run_sync(browser.execute_script, "return window.notReloaded") is True
            history = await trio.to_thread.run_sync(text_of, browser, "history-body")
            shot = str(screenshots() / "alerts.png")
            assert await trio.to_thread.run_sync(browser.save_screenshot, shot)
            errors = await trio.to_thread.run_sync(severe, browser)
            nursery.cancel_scope.cancel()
    assert appeared < 20
    assert "by ann" not in history  # the page's default author is the user running the dashboard
    assert "acked" in history
    assert errors == []
    result = await trio.to_thread.run_sync(
        lambda: mcpctl("alerts", "history", "--state-dir", str(state_dir), cwd=tmp_path)
    )
    assert (result.returncode, result.stderr) == (0, "")
    acked = [line.split(None, 5)[1:] for line in result.stdout.splitlines() if " acked " in line]
    assert len(acked) == 1
    assert acked[0][:3] == ["acked", "Errors", "switch"]
    assert acked[0][4].endswith(": from the browser")


def hostile_store(state_dir: Path) -> str:
    """A firing alert whose labels and annotations carry the injection corpus, as a monitor stores it."""
    fingerprint = "c0ffee00d00dfeed"
    labels = {"alertname": "Errors", "server": CORPUS, "severity": "critical", "team": CORPUS}
    record: dict[str, object] = {
        "severity": "critical",
        "labels": labels,
        "annotations": {"summary": CORPUS},
        "muted": None,
    }
    alert = stored.ActiveAlert(
        monitor="prod",
        alertname="Errors",
        server=CORPUS,
        state="firing",
        since=time.time() - 60,
        fingerprint=fingerprint,
        record=record,
    )
    with open_store(state_dir) as store:
        stored.set_active(store, "prod", [alert])
        stored.record_history(
            store, [("prod", time.time(), "fired", fingerprint, "Errors", CORPUS, {"reason": CORPUS})]
        )
    return fingerprint


def submit(browser: webdriver.Chrome, css: str, **fields: str) -> None:
    form = browser.find_element(By.CSS_SELECTOR, css)
    for name, value in fields.items():
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    form.find_element(By.TAG_NAME, "button").click()


def injected(browser: webdriver.Chrome) -> object:
    return browser.execute_script("return window.pwned")


async def test_silence_and_expire_from_a_store_only_page_with_hostile_labels(
    browser: webdriver.Chrome, tmp_path: Path
) -> None:
    state_dir = tmp_path / "state"
    hostile_store(state_dir)
    (tmp_path / "token").write_text(TOKEN)
    config = dashboard_config(state_dir, token_file=tmp_path / "token")
    message = "#alerts-message"

    def says(text: str) -> Callable[[], bool]:
        return lambda: text in browser.find_element(By.CSS_SELECTOR, message).text

    async with trio.open_nursery() as nursery:
        running: Running = await nursery.start(serve, config)
        base = f"http://127.0.0.1:{running.port}/alerts"
        # without the token an action is refused, and the page says why
        await trio.to_thread.run_sync(browser.get, base)
        await trio.to_thread.run_sync(
            lambda: submit(browser, "#alerts-list form[data-kind=ack]", comment="no token")
        )
        await eventually(says("token required"), timeout=5, what="token required")
        await trio.to_thread.run_sync(browser.get, f"{base}?token={TOKEN}")
        item = browser.find_element(By.CSS_SELECTOR, "#alerts-list article")
        assert CORPUS in item.text  # shown whole, as text
        await trio.to_thread.run_sync(lambda: item.find_element(By.TAG_NAME, "summary").click())
        await trio.to_thread.run_sync(
            lambda: submit(browser, "#alerts-list form[data-kind=silence]", duration="30m", comment="hostile")
        )
        await eventually(says("silence "), timeout=5, what="silence answered")
        rows = "#silences-body tr"
        await eventually(lambda: browser.find_elements(By.CSS_SELECTOR, rows), timeout=5, what="silence row")
        row_text = browser.find_element(By.CSS_SELECTOR, rows).text
        listed = await trio.to_thread.run_sync(
            lambda: mcpctl(
                "alerts", "list", "--silences", "-o", "json", "--state-dir", str(state_dir), cwd=tmp_path
            )
        )
        (silence,) = json.loads(listed.stdout)
        assert silence["comment"] == "hostile"
        assert [parse_matcher(m).value for m in silence["matchers"]] == ["Errors", CORPUS, "critical", CORPUS]
        await trio.to_thread.run_sync(lambda: submit(browser, "#silences-body form[data-kind=expire]"))
        await eventually(says(f"silence {silence['id']} ended"), timeout=5, what="expired")
        await eventually(
            lambda: not browser.find_elements(By.CSS_SELECTOR, rows), timeout=5, what="silence row gone"
        )
        pwned = await trio.to_thread.run_sync(injected, browser)
        errors = await trio.to_thread.run_sync(severe, browser)
        nursery.cancel_scope.cancel()
    assert silence["id"] in row_text
    assert "hostile" in row_text
    assert pwned is None
    # the 401 of the first attempt is the only console error (Chromium logs failed fetches)
    assert [e["message"] for e in errors if "401" not in str(e["message"])] == []
    ended = mcpctl("alerts", "list", "--silences", "--state-dir", str(state_dir), cwd=tmp_path)
    assert ended.stdout == "no silences in force\n"


async def test_the_alert_deep_link_acks_and_shows_the_ack(browser: webdriver.Chrome, tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    fingerprint = hostile_store(state_dir)
    (tmp_path / "token").write_text(TOKEN)
    config = dashboard_config(state_dir, token_file=tmp_path / "token")
    async with trio.open_nursery() as nursery:
        running: Running = await nursery.start(serve, config)
        url = f"http://127.0.0.1:{running.port}/alerts/{fingerprint[:6]}?token={TOKEN}"
        await trio.to_thread.run_sync(browser.get, url)
        labels = await trio.to_thread.run_sync(
            lambda: browser.find_element(By.CSS_SELECTOR, "table.labels").text
        )
        await trio.to_thread.run_sync(lambda: submit(browser, "form[data-kind=ack]", comment="seen it"))
        await eventually(
            lambda: "seen it" in browser.find_element(By.ID, "acks-list").text, timeout=5, what="ack listed"
        )
        status = await trio.to_thread.run_sync(text_of, browser, "alerts-message")
        pwned = await trio.to_thread.run_sync(injected, browser)
        errors = await trio.to_thread.run_sync(severe, browser)
        nursery.cancel_scope.cancel()
    assert f"team {CORPUS}" in labels
    assert status == f"acknowledged Errors on {CORPUS} ({fingerprint})"
    assert pwned is None
    assert errors == []
    with open_store(state_dir) as store:
        assert [ack.comment for ack in stored.acks(store, fingerprint)] == ["seen it"]
