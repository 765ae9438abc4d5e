"""``mcpctl report --monitor NAME``: a monitor's window from the state store, through the CLI."""

from __future__ import annotations

from pathlib import Path

from testing.cli import mcpctl
from tests.unit.report.test_monitor_report import MARKDOWN, prepare


def test_the_monitor_window_as_markdown(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    prepare(project / ".mcpctl")
    done = mcpctl(
        "report", "--monitor", "prod", "--since", "2027-01-15T09:00Z", "--format", "markdown", cwd=project
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == MARKDOWN


def test_a_monitor_report_takes_no_run_and_no_junit(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    prepare(project / ".mcpctl")
    done = mcpctl("report", "last", "--monitor", "prod", cwd=project)
    assert (done.returncode, done.stdout) == (2, "")
    assert "--monitor prod: give no RUN (got last); it reports the monitor" in done.stderr
    done = mcpctl("report", "--monitor", "prod", "--format", "junit", cwd=project)
    assert done.returncode == 2
    assert "--monitor: --format 'junit': expected one of json, markdown, html, pdf, csv" in done.stderr
    done = mcpctl("report", "--since", "2027-01-15", cwd=project)
    assert done.returncode == 2
    assert "--since and --until: only with --monitor NAME (a run report takes RUN ids)" in done.stderr
    done = mcpctl("report", "--monitor", "prod", "--until", "yesterday", cwd=project)
    assert done.returncode == 2
    assert "--until 'yesterday': expected an ISO 8601 date or time" in done.stderr
