"""The Batch page in headless Chromium (issue 13, acceptance 1): a BatchPlan started from the page completes
with its progress visible, and a rollback from the page restores the files byte-identical; the console
shows no errors; a screenshot goes to artifacts/screenshots/batch.png.

The dashboard is ``mcpctl dashboard --specs plan.yaml`` in a subprocess, as a user starts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.integration.browser import chrome, dashboard_process, needs_chromium, screenshots, severe, text_of

TOKEN = "batch-browser-token"
CONFIGS = 6
CONFIG = '{\n  "mcpServers": {\n    "linear": {"url": "https://mcp.linear.app/sse"}\n  }\n}\n'
PLAN = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {{name: local}}
servers:
  remote: {{url: "https://mcp.example.com/mcp"}}
---
apiVersion: mcpctl/v1
kind: BatchPlan
metadata: {{name: rollout, description: "deploy <b>remote</b> everywhere"}}
concurrency: 2
operations:
  - deploy:
      servers: [remote]
      to:
{targets}
"""

pytestmark = needs_chromium


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "project"
    (project / "cfg").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(project)
    targets = []
    for index in range(CONFIGS):
        path = project / "cfg" / f"{index}.json"
        path.write_text(CONFIG.replace("linear", f"linear{index}"), encoding="utf-8")
        targets.append(f"        - {{client: cursor, file: {path}}}")
    (project / "plan.yaml").write_text(PLAN.format(targets="\n".join(targets)), encoding="utf-8")
    return project


@pytest.fixture
def dashboard(project: Path) -> Iterator[str]:
    """``mcpctl dashboard --specs plan.yaml`` (no monitor: store-only), as a user starts it; its base URL."""
    with dashboard_process(
        project, TOKEN, "--specs", str(project / "plan.yaml"), env={"HOME": str(project.parent)}
    ) as url:
        yield url


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    with chrome(tmp_path / "profile") as driver:
        yield driver


def test_apply_and_rollback_from_the_page(browser: webdriver.Chrome, dashboard: str, project: Path) -> None:
    before = {path.name: path.read_bytes() for path in (project / "cfg").iterdir()}
    browser.get(f"{dashboard}/batch?token={TOKEN}")
    wait = WebDriverWait(browser, 15)
    wait.until(lambda b: text_of(b, "live-state") == "live")
    # the plan's description is shown as text, never as markup
    assert browser.find_elements(By.CSS_SELECTOR, "#plans b") == []
    assert "deploy <b>remote</b> everywhere" in text_of(browser, "plans")

    browser.find_element(By.CSS_SELECTOR, ".plan-button[data-plan='rollout']").click()
    wait.until(lambda b: text_of(b, "diff-summary") != "")
    assert text_of(browser, "diff-summary") == f"{CONFIGS} change(s) ({project / 'plan.yaml'}:7)"
    assert '+    "remote": {' in text_of(browser, "diff")
    assert {path.name: path.read_bytes() for path in (project / "cfg").iterdir()} == before

    browser.find_element(By.CSS_SELECTOR, ".apply-button[data-plan='rollout']").click()
    wait.until(lambda b: text_of(b, "progress-state") == "done")
    assert text_of(browser, "progress-text").startswith(f"done {CONFIGS} of {CONFIGS}, 0 failed, ")
    assert browser.find_element(By.ID, "progress-bar").get_attribute("value") == str(CONFIGS)
    assert text_of(browser, "batch-message").startswith("Applying rollout as run ")
    for path in (project / "cfg").iterdir():
        assert '"remote"' in path.read_text(encoding="utf-8")
    run = text_of(browser, "progress-run")
    assert browser.find_element(By.ID, "progress-run").get_attribute("href") == f"{dashboard}/runs/{run}"
    # the plan's "Last run" cell follows without a reload
    last = browser.find_element(By.CSS_SELECTOR, "#plans tr[data-plan='rollout'] td.last-run")
    assert last.text == f"{run} done"
    assert last.find_element(By.TAG_NAME, "a").get_attribute("href") == f"{dashboard}/runs/{run}"

    browser.save_screenshot(str(screenshots() / "batch.png"))

    browser.find_element(By.ID, "rollback-button").click()
    wait.until(lambda b: text_of(b, "batch-message").startswith("Rollback of "))
    assert text_of(browser, "batch-message") == f"Rollback of {run}: {CONFIGS} file(s), 0 failed."
    assert len(browser.find_elements(By.CSS_SELECTOR, "#rollback-files li")) == CONFIGS
    assert {path.name: path.read_bytes() for path in (project / "cfg").iterdir()} == before

    assert severe(browser) == []
