"""What the headless-Chromium tests share: the browser itself, where screenshots go, the checks that
nothing injected ran, and the dashboards they drive (in-process or as ``mcpctl dashboard`` runs)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from mcpctl.cli.dashboard import DashboardConfig, configure
from testing.paths import ROOT
from tests.integration.conftest import free_port, start_server

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

needs_chromium = pytest.mark.skipif(
    not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)), reason="needs chromium and chromium-driver"
)
"""Mark for a module (``pytestmark = needs_chromium``) or a test that drives the browser."""


@contextmanager
def chrome(profile: Path, *, height: int = 1400) -> Iterator[webdriver.Chrome]:
    """Headless Chromium, 1280 by ``height``, its profile in ``profile`` and its console log kept."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size=1280,{height}"):
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def screenshots() -> Path:
    """The folder screenshots are kept in (``$MCPCTL_ARTIFACTS`` or artifacts/screenshots), created."""
    directory = Path(os.environ.get("MCPCTL_ARTIFACTS") or ROOT / "artifacts" / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def no_alert(driver: webdriver.Chrome) -> bool:
    """No JavaScript alert is open (injected markup that ran would have opened one)."""
    try:
        driver.switch_to.alert  # noqa: B018 (the property raises when there is none)
    except NoAlertPresentException:
        return True
    return False


def severe(driver: webdriver.Chrome) -> list[dict[str, object]]:
    """The console's SEVERE entries since the last read (reading the log empties it)."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def text_of(driver: webdriver.Chrome, element_id: str) -> str:
    """The shown text of the element with id ``element_id``."""
    return str(driver.find_element(By.ID, element_id).text)


def dashboard_config(
    state_dir: Path,
    *,
    monitor: Path | None = None,
    token_file: Path | None = None,
    connect: str | None = None,
) -> DashboardConfig:
    """An in-process dashboard's configuration, as ``mcpctl dashboard`` builds it from these flags, on a free
    loopback port."""
    return configure(
        monitor_paths=[] if monitor is None else [str(monitor)],
        specs=[],
        connect=connect,
        name=None,
        listen="127.0.0.1:0",
        token_file=None if token_file is None else str(token_file),
        servers_files=[],
        state_dir=state_dir,
    )


@contextmanager
def dashboard_process(
    directory: Path, token: str, *flags: str, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``mcpctl dashboard FLAGS`` in a subprocess, as a user starts it, with ``token`` in directory/token and
    its store in directory/state; its base URL."""
    (directory / "token").write_text(token, encoding="utf-8")
    port = free_port()
    argv = [sys.executable, "-m", "mcpctl", "dashboard", *flags, "--listen", f"127.0.0.1:{port}",
            "--token-file", str(directory / "token"), "--state-dir", str(directory / "state")]  # fmt: skip
    with start_server(argv, port=port, path="", env=env) as server:
        yield server.url
