"""``mcpctl test`` and ``mcpctl apply`` as a user runs them: a subprocess, real servers over stdio,
exit codes, the summary, the state store, JSON and JUnit reports, secrets kept out of all of them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import pytest
import xmlschema

from testing.paths import PYTHON, ROOT

JUNIT_XSD = ROOT / "tests" / "data" / "junit-10.xsd"
SECRET = "s3cr3t-value-42"


def servers(behaviour: str = "echo") -> str:
    return textwrap.dedent(
        f"""
        apiVersion: mcpctl/v1
        kind: Servers
        metadata: {{name: local}}
        servers:
          echo:
            command: {PYTHON}
            args: [-m, testing.servers.scenarios, {behaviour}]
            cwd: {ROOT}
            env: {{PYTHONPATH: {ROOT}}}
        """
    )


SUITE = """
---
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: demo}
server: echo
concurrency: 2
tests:
  - {name: echo passes, call: echo, with: {message: hi}, expect: {text: hi}}
  - {name: echo fails, call: echo, with: {message: hi}, expect: {text: {contains: bye}}}
  - {name: tools listed, expect: {tools: {include: [echo, add]}}}
  - {name: later, call: echo, with: {message: x}, skip: not yet}
"""


def mcpctl(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "mcpctl", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", **(env or {})},
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "suite.yaml").write_text(servers() + SUITE)
    return tmp_path


def test_a_failing_suite_exits_1_with_summary_store_and_reports(project: Path) -> None:
    done = mcpctl(
        "test", "specs", "--report", "junit:out/junit.xml", "--report", "json:out/run.json", cwd=project
    )
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert "1 failed, 2 passed, 1 skipped in" in done.stdout
    assert any(
        line.startswith("TestSuite/demo") and "echo fails" in line and "failed" in line for line in lines
    )
    assert 'text: expected to contain "bye", got "hi"' in done.stdout
    # without a terminal: one plain line per suite on stderr, no progress bar
    assert done.stderr.startswith("TestSuite/demo: 2 passed, 1 failed, 1 skipped in ")

    junit = (project / "out" / "junit.xml").read_text()
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(junit)
    assert 'message="text: expected to contain &quot;bye&quot;, got &quot;hi&quot;"' in junit
    run = json.loads((project / "out" / "run.json").read_text())
    assert run["run"]["summary"] == {"passed": 2, "failed": 1, "error": 0, "skipped": 1, "total": 4}
    assert run["suites"][0]["serverInfo"]["name"] == "scenario-echo"

    listed = mcpctl("runs", cwd=project)
    assert listed.returncode == 0
    assert run["run"]["id"] in listed.stdout
    shown = mcpctl("show", "last", "--output", "json", cwd=project)
    assert json.loads(shown.stdout)["run"]["id"] == run["run"]["id"]


def test_a_passing_suite_exits_0_and_json_output_is_the_run(project: Path) -> None:
    done = mcpctl("test", "specs", "--select", "passes", "--output", "json", cwd=project)
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert [case["name"] for case in run["suites"][0]["cases"]] == ["echo passes"]
    assert run["run"]["exitCode"] == 0


def test_a_bad_spec_exits_2_and_runs_nothing(project: Path) -> None:
    (project / "specs" / "broken.yaml").write_text(
        "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: b}\nserver: echo\ntests:\n  - {name: t, call: echo, expcet: {}}\n"
    )
    (project / "specs" / "elsewhere.yaml").write_text(
        "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: e}\nserver: nowhere\ntests:\n  - {name: t, call: echo}\n"
    )
    done = mcpctl("apply", "specs", "--report", "junit:junit.xml", cwd=project)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "mcpctl: error: specs/broken.yaml:6:27: TestSuite/b: tests[0].expcet: unknown field 'expcet' (did you mean 'expect'?)",
        "mcpctl: error: specs/elsewhere.yaml:4:9: TestSuite/e: server: unknown server 'nowhere' (known: echo)",
    ]
    assert not (project / ".mcpctl").exists()
    assert not (project / "junit.xml").exists()


def test_a_server_that_cannot_start_exits_3_and_reports_a_setup_error(tmp_path: Path) -> None:
    (tmp_path / "suite.yaml").write_text(
        textwrap.dedent(
            """
            apiVersion: mcpctl/v1
            kind: TestSuite
            metadata: {name: gone}
            server: {command: /nonexistent/mcp-server}
            tests:
              - {name: t, call: echo}
            """
        )
    )
    done = mcpctl("test", "suite.yaml", "--report", "junit:junit.xml", cwd=tmp_path)
    assert done.returncode == 3
    assert "TestSuite/gone: could not run: ServerStartError: " in done.stderr
    junit = (tmp_path / "junit.xml").read_text()
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(junit)
    assert 'name="&lt;setup&gt;"' in junit


def test_a_flaky_test_passes_on_retry_and_is_marked(tmp_path: Path) -> None:
    (tmp_path / "suite.yaml").write_text(
        servers("flaky")
        + "---\napiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: f}\nserver: echo\n"
        + "tests:\n  - {name: retried, call: echo, with: {message: hi}, retries: 2, expect: {text: hi}}\n"
    )
    done = mcpctl("test", "suite.yaml", "--output", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    case = json.loads(done.stdout)["suites"][0]["cases"][0]
    assert (case["status"], case["attempts"], case["flaky"]) == ("passed", 2, True)


def test_secrets_never_reach_any_output(project: Path) -> None:
    (project / "specs" / "suite.yaml").write_text(
        servers()
        + "---\napiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: s}\nserver: echo\ntests:\n"
        + "  - {name: leaks, call: echo, with: {message: '${env:API_TOKEN}'}, expect: {text: nope}}\n"
    )
    done = mcpctl(
        "test",
        "specs",
        "--report",
        "junit:j.xml",
        "--report",
        "json:r.json",
        "--state-dir",
        str(project / ".mcpctl"),
        cwd=project,
        env={"API_TOKEN": SECRET},
    )
    assert done.returncode == 1
    assert 'got "***"' in done.stdout
    for text in (done.stdout, done.stderr, (project / "j.xml").read_text(), (project / "r.json").read_text()):
        assert SECRET not in text
    with sqlite3.connect(project / ".mcpctl" / "state.db") as db:
        dump = "\n".join(db.iterdump())
    assert SECRET not in dump
    assert "***" in dump


def test_apply_of_servers_only_has_nothing_to_run(tmp_path: Path) -> None:
    (tmp_path / "servers.yaml").write_text(servers())
    done = mcpctl("apply", "servers.yaml", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "nothing to run: 1 documents define 1 servers\n")
    done = mcpctl("test", "servers.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "mcpctl: error: no TestSuite documents in servers.yaml\n"


def test_apply_of_a_mock_server_only_defines_it(tmp_path: Path) -> None:
    (tmp_path / "mock.yaml").write_text(
        "apiVersion: mcpctl/v1\nkind: MockServer\nmetadata: {name: weather}\n"
        "---\napiVersion: mcpctl/v1\nkind: Servers\nmetadata: {name: local}\n"
        "servers: {weather: {mock: mock.yaml}}\n"
    )
    done = mcpctl("apply", "mock.yaml", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "nothing to run: 2 documents define 1 servers and 1 mock servers\n",
        "",
    )


def test_the_examples_validate_and_pass(tmp_path: Path) -> None:
    assert mcpctl("validate", "examples/", cwd=ROOT).returncode == 0
    done = mcpctl("test", "examples/", "--state-dir", str(tmp_path), "--output", "json", cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["run"]["summary"]["failed"] == 0
