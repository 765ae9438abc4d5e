"""``mcpctl validate`` and ``mcpctl schema`` as a user runs them (in-process through typer's CliRunner,
with the console script's error handling)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpctl.spec.schemas import schema_for
from testing.cli import invoke as mcpctl
from testing.paths import ROOT

SERVERS = (
    "apiVersion: mcpctl/v1\nkind: Servers\nmetadata: {name: local}\nservers:\n  echo: {command: python}\n"
)
SUITES = (
    "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: smoke}\nserver: echo\n"
    "tests: [{name: a, call: echo}]\n---\n"
    "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: tools}\nserver: echo\n"
    "tests: [{name: list, expect: {tools: {include: [echo]}}}]\n"
)
BROKEN = (
    "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: bad}\nserver: nope\n"
    "tests: [{name: a, call: echo, timeout: 5}]\n"
)


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    (tmp_path / "servers.yaml").write_text(SERVERS, encoding="utf-8")
    (tmp_path / "suites.yml").write_text(SUITES, encoding="utf-8")
    return tmp_path


def test_valid_specs(specs: Path) -> None:
    assert mcpctl("validate", str(specs)) == (
        0,
        "ok: 3 documents in 2 files (Servers/local, TestSuite/smoke, TestSuite/tools)\n",
        "",
    )


def test_servers_from_another_file(specs: Path) -> None:
    code, out, _ = mcpctl("validate", str(specs / "suites.yml"), "--servers", str(specs / "servers.yaml"))
    assert (code, out) == (0, "ok: 2 documents in 1 file (TestSuite/smoke, TestSuite/tools)\n")


def test_invalid_specs_print_every_error(specs: Path) -> None:
    bad = specs / "bad.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    code, out, err = mcpctl("validate", str(bad))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"mcpctl: error: {bad}:5:40: TestSuite/bad: tests[0].timeout: '5' is not a duration: add a unit (250ms, 2s, 5m, 1h)",
    ]
    (specs / "bad.yaml").write_text(BROKEN.replace("timeout: 5", "timeout: 5s"), encoding="utf-8")
    code, _, err = mcpctl("validate", str(specs / "bad.yaml"))
    assert (code, err) == (
        2,
        f"mcpctl: error: {bad}:4:9: TestSuite/bad: server: unknown server 'nope' (no servers are defined: add a Servers document or pass --servers)\n",
    )


def test_json_output(specs: Path) -> None:
    code, out, err = mcpctl("validate", str(specs), "--output", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "valid": True,
        "documents": [
            {"kind": "Servers", "name": "local", "path": str(specs / "servers.yaml")},
            {"kind": "TestSuite", "name": "smoke", "path": str(specs / "suites.yml")},
            {"kind": "TestSuite", "name": "tools", "path": str(specs / "suites.yml")},
        ],
        "errors": [],
    }
    bad = specs / "bad.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    code, out, err = mcpctl("validate", str(bad), "-o", "json")
    assert (code, err) == (2, "")
    assert json.loads(out) == {
        "valid": False,
        "documents": [],
        "errors": [
            {
                "path": str(bad),
                "line": 5,
                "column": 40,
                "subject": "TestSuite/bad",
                "field": "tests[0].timeout",
                "message": "'5' is not a duration: add a unit (250ms, 2s, 5m, 1h)",
            }
        ],
    }


MOCK = (
    "apiVersion: mcpctl/v1\nkind: MockServer\nmetadata: {name: weather}\n"
    "tools:\n  - name: get_weather\n    responses:\n      - respond: sunny\n"
)


def test_a_mock_server_and_a_server_it_backs(tmp_path: Path) -> None:
    (tmp_path / "mock.yaml").write_text(MOCK, encoding="utf-8")
    (tmp_path / "servers.yaml").write_text(
        "apiVersion: mcpctl/v1\nkind: Servers\nmetadata: {name: mocked}\nservers:\n  weather: {mock: mock.yaml}\n",
        encoding="utf-8",
    )
    assert mcpctl("validate", str(tmp_path / "mock.yaml")) == (
        0,
        "ok: 1 document in 1 file (MockServer/weather)\n",
        "",
    )
    code, out, err = mcpctl("validate", str(tmp_path), "-o", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["documents"] == [
        {"kind": "MockServer", "name": "weather", "path": str(tmp_path / "mock.yaml")},
        {"kind": "Servers", "name": "mocked", "path": str(tmp_path / "servers.yaml")},
    ]


def test_a_broken_mock_server(tmp_path: Path) -> None:
    bad = tmp_path / "mock.yaml"
    bad.write_text(
        MOCK.replace("respond: sunny", "respond: sunny\n        cycle: sometimes"), encoding="utf-8"
    )
    assert mcpctl("validate", str(bad)) == (
        2,
        "",
        f"mcpctl: error: {bad}:8:16: MockServer/weather: tools[0].responses[0].cycle: expected a boolean, got a string\n",
    )


def test_bad_output_option(specs: Path) -> None:
    assert mcpctl("validate", str(specs), "--output", "xml") == (
        2,
        "",
        "mcpctl: error: --output 'xml': expected text or json\n",
    )


def test_schema_lists_the_kinds_with_the_editor_hint() -> None:
    code, out, err = mcpctl("schema")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Servers        Named MCP servers, written out or imported from existing client configs.",
        "TestSuite      Tests run against one server: calls, reads and prompts with expectations, or workflows of steps.",
        "MockServer     A fake MCP server served by mcpctl mock serve: tools with responses, resources, prompts and completions.",
        "BatchPlan      Operations (validate, test, deploy, update, execute) over many servers and inputs: concurrent, retried, journaled.",
        "LoadTest       Staged load against one server: weighted calls under virtual users or an arrival rate, with thresholds.",
        "FaultScenario  Faults injected between a client and a server (mcpctl proxy), and a TestSuite or LoadTest run through them with expectations.",
        "Monitor        Servers probed on a schedule (ping, list, call or read), measured, and judged healthy, degraded, unhealthy or offline.",
        "AlertRules     Alerting rules over a Monitor's measurements (p50, p90, p99, error_rate, throughput, health), with for, keepFiringFor, labels, annotations; receivers, how alerts are grouped, repeated and escalated, and which alerts inhibit others.",
        "AlertTest      A unit test of AlertRules, as promtool test rules: synthetic series per server in expanding notation, and the alerts expected firing at given times.",
        "Schedule       Spec runs on cron schedules (with time zones), with Healthchecks-style pings, notifications, jitter and a missed-run policy.",
        "",
        "Editor completion (yaml-language-server): start a spec file with the line for its kind:",
        f"  Servers        # yaml-language-server: $schema={ROOT}/schemas/servers.schema.json",
        f"  TestSuite      # yaml-language-server: $schema={ROOT}/schemas/testsuite.schema.json",
        f"  MockServer     # yaml-language-server: $schema={ROOT}/schemas/mockserver.schema.json",
        f"  BatchPlan      # yaml-language-server: $schema={ROOT}/schemas/batchplan.schema.json",
        f"  LoadTest       # yaml-language-server: $schema={ROOT}/schemas/loadtest.schema.json",
        f"  FaultScenario  # yaml-language-server: $schema={ROOT}/schemas/faultscenario.schema.json",
        f"  Monitor        # yaml-language-server: $schema={ROOT}/schemas/monitor.schema.json",
        f"  AlertRules     # yaml-language-server: $schema={ROOT}/schemas/alertrules.schema.json",
        f"  AlertTest      # yaml-language-server: $schema={ROOT}/schemas/alerttest.schema.json",
        f"  Schedule       # yaml-language-server: $schema={ROOT}/schemas/schedule.schema.json",
        "or save one beside your specs (mcpctl schema TestSuite > testsuite.schema.json) and name it.",
    ]


@pytest.mark.parametrize("kind", ["TestSuite", "testsuite", "Servers"])
def test_schema_of_a_kind(kind: str) -> None:
    code, out, err = mcpctl("schema", kind)
    assert (code, err) == (0, "")
    assert json.loads(out) == schema_for(kind)
    assert out.startswith('{\n  "$schema"')


def test_schema_of_an_unknown_kind() -> None:
    assert mcpctl("schema", "Deployment") == (
        2,
        "",
        "mcpctl: error: unknown kind 'Deployment' (known: Servers, TestSuite, MockServer, BatchPlan, LoadTest, FaultScenario, Monitor, AlertRules, AlertTest, Schedule)\n",
    )
