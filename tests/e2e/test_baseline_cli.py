"""``mcpctl baseline`` and ``--baseline`` as a user runs them: a load against a mock, made the baseline; the
same load against the mock made slower fails with the regression and its evidence; an unchanged rerun
passes; a suite whose passing case now fails regresses against last-pass; ``mcpctl trends`` shows them."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.cli import mcpctl

MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {{name: lat}}
tools:
  - name: work
    inputSchema: {{type: object}}
    behaviour: {{latency: {{distribution: lognormal, median: {median}ms, sigma: 0.3}}}}
    default: {{text: done}}
"""
LOAD = """\
apiVersion: mcpctl/v1
kind: LoadTest
metadata: {name: lat}
server: {mock: mock.yaml}
sessions: shared
scenario: [{call: work}]
profile: {model: vus, stages: [{duration: 1500ms, target: 8}]}
regression: {p50: +10%, p99: "off"}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "load.yaml").write_text(LOAD, encoding="utf-8")
    return root


def _mock(project: Path, median: float) -> None:
    (project / "mock.yaml").write_text(MOCK.format(median=median), encoding="utf-8")


def test_a_slower_server_fails_against_its_baseline_and_an_unchanged_one_passes(project: Path) -> None:
    _mock(project, 5.0)
    first = mcpctl("load", "load.yaml", cwd=project)
    assert first.returncode == 0, first.stderr
    assert mcpctl("baseline", "set", "last", "--name", "main", cwd=project).stdout.startswith(
        "baseline main is run "
    )
    assert mcpctl("baseline", "list", cwd=project).stdout.splitlines()[1].split()[0] == "main"
    _mock(project, 10.0)
    slower = mcpctl("load", "load.yaml", "--baseline", "main", cwd=project)
    assert slower.returncode == 1, slower.stdout
    lines = slower.stdout.splitlines()
    p50 = next(line for line in lines if line.startswith("LoadTest/lat  p50"))
    assert p50.split()[5:7] == ["+10%", "REGRESSED"]
    assert any(line.startswith("1 regression(s): LoadTest/lat p50 +") for line in lines)
    assert not any(line.startswith("LoadTest/lat  p99") for line in lines)  # regression: {p99: off}
    _mock(project, 5.0)
    same = mcpctl("load", "load.yaml", "--baseline", "main", cwd=project)
    assert same.returncode == 0, same.stdout
    assert "no regression" in same.stdout.splitlines()
    trends = mcpctl("trends", "LoadTest/lat", cwd=project)
    assert trends.returncode == 0, trends.stderr
    row = trends.stdout.splitlines()[1].split()
    assert row[:4] == ["LoadTest/lat", "vus", "load", "3"]
    unknown = mcpctl("load", "load.yaml", "--baseline", "nope", cwd=project)
    assert unknown.returncode == 2
    assert "no baseline named 'nope'" in unknown.stderr


SUITE = """\
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: smoke}
server: {mock: "builtin:github"}
tests:
  - name: me
    call: get_me
    expect: {isError: false, text: {contains: TEXT}}
"""


def test_a_case_that_passed_before_regresses_against_last_pass(project: Path) -> None:
    (project / "suite.yaml").write_text(SUITE.replace("TEXT", '"octocat"'), encoding="utf-8")
    assert mcpctl("test", "suite.yaml", cwd=project).returncode == 0
    (project / "suite.yaml").write_text(SUITE.replace("TEXT", '"no such text"'), encoding="utf-8")
    done = mcpctl("test", "suite.yaml", "--baseline", "last-pass", cwd=project)
    assert done.returncode == 1
    row = next(line for line in done.stdout.splitlines() if line.startswith("TestSuite/smoke  case me"))
    assert row.split()[3:10] == ["passed", "failed", "passed", "->", "failed", "none", "REGRESSED"]
    assert done.stdout.splitlines()[-1] == "1 regression(s): TestSuite/smoke case me passed -> failed"
