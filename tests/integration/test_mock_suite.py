"""A TestSuite against a mock (`server: {mock: FILE}`), asserting on the calls the mock answered."""

from __future__ import annotations

import textwrap
from pathlib import Path

import trio

from mcpctl.engine.runner import run_suites
from mcpctl.spec.build import load_specs
from testing.paths import PYTHON, ROOT

DEMO = ROOT / "tests" / "data" / "mocks" / "demo.yaml"


def run(tmp_path: Path, body: str, server: str = f"{{mock: {DEMO}}}") -> dict[str, tuple[str, str]]:
    suite = (
        f"apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {{name: m}}\nserver: {server}\nconcurrency: 1\n"
    )
    (tmp_path / "suite.yaml").write_text(suite + textwrap.dedent(body))
    specs = load_specs([str(tmp_path / "suite.yaml")])
    result = trio.run(lambda: run_suites(specs.suites, servers=specs.servers, run_id="t", command="test"))
    assert not result.suites[0].error, result.suites[0].error
    return {case.name: (case.status, case.message) for case in result.suites[0].cases}


def test_mock_calls_count_what_the_mock_answered(tmp_path: Path) -> None:
    cases = run(
        tmp_path,
        """
        tests:
          - {name: paris twice, call: weather, with: {city: Paris}, repeat: 2, expect: {text: Sunny in Paris}}
          - {name: rome, call: weather, with: {city: Rome}, expect: {structuredContent: {pointer: /sky, equals: cloudy}}}
          - name: counted
            expect:
              mockCalls:
                - {tool: weather, args: {city: Paris}, count: 2}
                - {tool: weather, min: 3}
                - {tool: weather, args: {city: Oslo}, max: 0}
          - name: miscounted
            expect: {mockCalls: [{tool: weather, args: {city: Paris}, count: 5}]}
          - name: after a step
            steps:
              - {name: lyon, call: weather, with: {city: Lyon}, expect: {mockCalls: [{tool: weather, args: {city: Lyon}}]}}
        """,
    )
    assert cases["paris twice"] == ("passed", "")
    assert cases["counted"] == ("passed", "")
    assert cases["after a step"] == ("passed", "")
    assert cases["miscounted"] == (
        "failed",
        'mockCalls: expected exactly 5 call(s) of \'weather\' with {"city": "Paris"}, got 2',
    )


def test_mock_calls_on_a_server_that_is_not_a_mock(tmp_path: Path) -> None:
    server = f"{{command: {PYTHON}, args: [-m, testing.servers.sdk_echo], cwd: {ROOT}, env: {{PYTHONPATH: {ROOT}}}}}"
    cases = run(tmp_path, "tests:\n  - {name: history, expect: {mockCalls: [{tool: echo}]}}\n", server=server)
    status, message = cases["history"]
    assert status == "failed"
    assert message.startswith("mockCalls: the server keeps no call history (mcpctl/history: ")
