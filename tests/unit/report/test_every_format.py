"""Issue 12, acceptance 1: every report format renders a run holding every run kind (TestSuite, LoadTest,
FaultScenario, BatchPlan), and each kind's suite appears in it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mcpctl.report import BINARY, FORMATS
from tests.unit.report.test_html import rich_run


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_renders_every_run_kind(name: str, tmp_path: Path) -> None:
    run = rich_run()
    assert {suite.kind for suite in run.suites} == {"TestSuite", "LoadTest", "FaultScenario", "BatchPlan"}
    data = FORMATS[name](run, redact=str)
    if name in BINARY:
        path = tmp_path / "report.pdf"
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    else:
        assert isinstance(data, str)
        text = data
    for suite in run.suites:
        assert suite.name in text, f"{name}: {suite.kind}/{suite.name} missing"
