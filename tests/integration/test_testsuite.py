"""Every expectation type of a TestSuite, passing and failing, against real servers: the official
Python SDK server and server-everything (stdio). Each suite runs once per module; each test then
checks one case's status and exact message."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
import trio

from mcpctl.engine.results import CaseResult, RunResult
from mcpctl.engine.runner import run_suites
from mcpctl.spec.build import load_specs
from testing.paths import EVERYTHING_JS, NODE, PYTHON, ROOT

pytestmark = pytest.mark.interop

SERVERS = f"""
apiVersion: mcpctl/v1
kind: Servers
metadata: {{name: peers}}
servers:
  sdk:
    command: {PYTHON}
    args: [-m, testing.servers.sdk_echo]
    cwd: {ROOT}
    env: {{PYTHONPATH: {ROOT}}}
  everything:
    command: {NODE}
    args: [{EVERYTHING_JS}, stdio]
  sloppy:
    command: {PYTHON}
    args: [-m, testing.servers.scenarios, bad_tools]
    cwd: {ROOT}
    env: {{PYTHONPATH: {ROOT}}}
"""

SDK_SUITE = """
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: sdk}
server: sdk
concurrency: 4
tests:
  - {name: isError pass, call: echo, with: {text: hi}, expect: {isError: false}}
  - {name: isError fail, call: echo, with: {text: hi}, expect: {isError: true}}
  - {name: error pass, read: "echo://nothing", expect: {error: {code: -32602, message: {contains: Unknown resource}}}}
  - {name: error fail no error, call: echo, with: {text: hi}, expect: {error: true}}
  - {name: error fail code, read: "echo://nothing", expect: {error: {code: -1}}}
  - {name: unexpected error, read: "echo://nothing", expect: {text: x}}
  - {name: unknown tool, call: nope, expect: {isError: true, text: {contains: nope}}}
  - {name: text equals pass, call: echo, with: {text: hi}, expect: {text: hi}}
  - {name: text equals fail, call: echo, with: {text: hi}, expect: {text: ho}}
  - {name: text contains pass, call: echo, with: {text: hello}, expect: {text: {contains: ell}}}
  - {name: text contains fail, call: echo, with: {text: hello}, expect: {text: {contains: xyz}}}
  - {name: text notContains fail, call: echo, with: {text: hello}, expect: {text: {notContains: ell}}}
  - {name: text notContains pass, call: echo, with: {text: hello}, expect: {text: {notContains: bye}}}
  - {name: text matches pass, call: echo, with: {text: a1}, expect: {text: {matches: "^a\\\\d$"}}}
  - {name: text matches fail, call: echo, with: {text: a1}, expect: {text: {matches: "^b"}}}
  - name: pointer equals pass
    call: add
    with: {a: 1, b: 2}
    expect: {structuredContent: {pointer: /result, equals: 3}}
  - name: pointer equals fail
    call: add
    with: {a: 1, b: 2}
    expect: {structuredContent: {pointer: /result, equals: 4}}
  - name: pointer missing fail
    call: add
    with: {a: 1, b: 2}
    expect: {structuredContent: {pointer: /total, equals: 3}}
  - name: schema pass
    call: add
    with: {a: 1, b: 2}
    expect: {structuredContent: {schema: {type: object, required: [result]}}}
  - name: schema fail
    call: add
    with: {a: 1, b: 2}
    expect: {structuredContent: {pointer: /result, schema: {type: string}}}
  - {name: outputSchema pass, call: echo, with: {text: hi}, expect: {outputSchema: true}}
  - {name: resource pass, read: "echo://readme", expect: {mimeType: text/plain, text: mcpctl sdk echo server}}
  - {name: resource mimeType fail, read: "echo://readme", expect: {mimeType: text/html}}
  - {name: resource text fail, read: "echo://readme", expect: {text: {contains: nothing}}}
  - {name: prompt pass, prompt: greet, with: {name: Bob}, expect: {messages: 1, text: Say hello to Bob.}}
  - {name: prompt count fail, prompt: greet, with: {name: Bob}, expect: {messages: 2}}
  - {name: prompt text fail, prompt: greet, with: {name: Bob}, expect: {text: {contains: Alice}}}
  - {name: latency max pass, call: echo, with: {text: hi}, expect: {latency: {max: 5s}}}
  - {name: latency max fail, call: slow, with: {seconds: 0.05}, expect: {latency: {max: 10ms}}}
  - {name: percentiles pass, call: echo, with: {text: hi}, repeat: 20, expect: {latency: {p50: 1s, p99: 5s}}}
  - {name: percentiles fail, call: echo, with: {text: hi}, repeat: 5, expect: {latency: {p50: 1us}}}
  - {name: tools pass, expect: {tools: {include: [echo, add], exclude: [rm], uniqueNames: true, schemaValid: true}}}
  - {name: tools include fail, expect: {tools: {include: [rm]}}}
  - {name: tools exclude fail, expect: {tools: {exclude: [echo]}}}
  - {name: resources pass, expect: {resources: {include: ["echo://readme"]}}}
  - {name: count pass, expect: {prompts: {count: 1, include: [greet]}}}
  - name: pointer exists pass
    call: add
    with: {a: 1, b: 2}
    expect: {structuredContent: [{pointer: /result, exists: true}, {pointer: /other, exists: false}]}
  - name: pointer exists fail
    call: add
    with: {a: 1, b: 2}
    expect: {structuredContent: {pointer: /result, exists: false}}
  - {name: error message fail, read: "echo://nothing", expect: {error: {message: {matches: "^Forbidden"}}}}
  - {name: prompts fail, expect: {prompts: {include: [farewell]}}}
  - {name: timeout, call: slow, with: {seconds: 5}, timeout: 200ms}
  - {name: skipped, call: echo, with: {text: hi}, skip: not today}
  - name: steps pass
    steps:
      - {name: first, call: echo, with: {text: "abc"}, save: {said: /structuredContent/result}}
      - {name: second, call: echo, with: {text: "{{ steps.first.said }}-def"}, expect: {text: abc-def}}
  - name: steps save fail
    steps:
      - {name: first, call: echo, with: {text: "abc"}, save: {said: /structuredContent/nothing}}
      - {name: second, call: echo, with: {text: "x"}}
  - name: steps expect fail
    steps:
      - {name: first, call: echo, with: {text: "abc"}}
      - {name: second, call: echo, with: {text: "x"}, expect: {text: y}}
"""

EVERYTHING_SUITE = """
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: everything}
server: everything
tests:
  - {name: outputSchema pass, call: get-structured-content, with: {location: Chicago}, expect: {outputSchema: true}}
  - {name: outputSchema fail, call: get-sum, with: {a: 1, b: 2}, expect: {outputSchema: true}}
  - name: pointer matches pass
    call: get-structured-content
    with: {location: Chicago}
    expect: {structuredContent: [{pointer: /conditions, matches: "\\\\w"}, {pointer: /wind, exists: false}]}
  - name: pointer matches fail
    call: get-structured-content
    with: {location: Chicago}
    expect: {structuredContent: {pointer: /temperature, matches: "^hot$"}}
  - {name: isError pass, call: get-sum, with: {a: x, b: 2}, expect: {isError: true, text: {contains: expected number}}}
  - {name: count fail, expect: {prompts: {count: 1}}}
---
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: sloppy}
server: sloppy
tests:
  - {name: unique fail, expect: {tools: {uniqueNames: true}}}
  - {name: schemaValid fail, expect: {tools: {schemaValid: true}}}
"""


def _run(tmp_path: Path, suites: str) -> dict[str, CaseResult]:
    (tmp_path / "servers.yaml").write_text(SERVERS)
    (tmp_path / "suites.yaml").write_text(suites)
    specs = load_specs([str(tmp_path)])
    run: RunResult = trio.run(
        lambda: run_suites(specs.suites, servers=specs.servers, run_id="t", command="test")
    )
    assert all(not suite.error for suite in run.suites), [suite.error for suite in run.suites]
    return {f"{suite.name}/{case.name}": case for suite in run.suites for case in suite.cases}


@pytest.fixture(scope="module")
def sdk_cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CaseResult]:
    return _run(tmp_path_factory.mktemp("sdk"), SDK_SUITE)


@pytest.fixture(scope="module")
def everything_cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CaseResult]:
    return _run(tmp_path_factory.mktemp("everything"), EVERYTHING_SUITE)


PASSING = [
    "isError pass",
    "unknown tool",
    "error pass",
    "text equals pass",
    "text contains pass",
    "text matches pass",
    "pointer equals pass",
    "schema pass",
    "outputSchema pass",
    "resource pass",
    "prompt pass",
    "latency max pass",
    "percentiles pass",
    "tools pass",
    "resources pass",
    "steps pass",
    "text notContains pass",
    "count pass",
    "pointer exists pass",
]


@pytest.mark.parametrize("name", PASSING)
def test_sdk_passing(sdk_cases: dict[str, CaseResult], name: str) -> None:
    case = sdk_cases[f"sdk/{name}"]
    assert (case.status, case.message) == ("passed", "")


FAILING = {
    "isError fail": "isError: expected true, got false",
    "error fail no error": "expected a JSON-RPC error, got a result",
    "text equals fail": 'text: expected "ho", got "hi"',
    "text contains fail": 'text: expected to contain "xyz", got "hello"',
    "text notContains fail": 'text: expected not to contain "ell", got "hello"',
    "text matches fail": 'text: expected to match /^b/, got "a1"',
    "pointer equals fail": "structuredContent/result: expected 4, got 3.0",
    "pointer missing fail": "structuredContent/total: no such value",
    "schema fail": "structuredContent/result: does not match the schema (1 errors)",
    "resource mimeType fail": 'mimeType: expected "text/html", got "text/plain"',
    "resource text fail": 'text: expected to contain "nothing", got "mcpctl sdk echo server"',
    "prompt count fail": "messages: expected 2, got 1",
    "prompt text fail": 'text: expected to contain "Alice", got "Say hello to Bob."',
    "percentiles fail": "latency p50",
    "tools include fail": "tools: expected 'rm' to be listed",
    "tools exclude fail": "tools: expected 'echo' not to be listed",
    "prompts fail": "prompts: expected 'farewell' to be listed",
    "steps save fail": "step 'first': save said: nothing at /structuredContent/nothing in the result",
    "steps expect fail": 'step \'second\': text: expected "y", got "x"',
}


@pytest.mark.parametrize(("name", "message"), FAILING.items(), ids=list(FAILING))
def test_sdk_failing(sdk_cases: dict[str, CaseResult], name: str, message: str) -> None:
    case = sdk_cases[f"sdk/{name}"]
    assert case.status == "failed"
    if name == "percentiles fail":
        assert case.message.startswith("latency p50: ")
        assert case.message.endswith("over 5 calls exceeds 1us")
        assert case.latency is not None
        assert case.latency.count == 5
    else:
        assert case.message == message
    assert case.output.startswith("→ ")  # the transcript of what was sent and got


def test_error_code_mismatch_names_both_codes(sdk_cases: dict[str, CaseResult]) -> None:
    case = sdk_cases["sdk/error fail code"]
    assert case.status == "failed"
    assert case.message == "error.code: expected -1, got -32602 (Unknown resource: echo://nothing)"


def test_an_unexpected_rpc_error_fails_with_the_error(sdk_cases: dict[str, CaseResult]) -> None:
    case = sdk_cases["sdk/unexpected error"]
    assert case.status == "failed"
    assert case.message == "request failed with JSON-RPC error -32602: Unknown resource: echo://nothing"


def test_latency_max_names_the_bound(sdk_cases: dict[str, CaseResult]) -> None:
    case = sdk_cases["sdk/latency max fail"]
    assert case.status == "failed"
    assert case.message.startswith("latency max: ")
    assert case.message.endswith("ms exceeds 10ms")


def test_a_timeout_is_an_error_and_the_request_is_cancelled(sdk_cases: dict[str, CaseResult]) -> None:
    case = sdk_cases["sdk/timeout"]
    assert case.status == "error"
    assert case.message == "RequestTimeout: tools/call: no answer within 0.2s (request cancelled)"


def test_skipped_keeps_its_reason(sdk_cases: dict[str, CaseResult]) -> None:
    case = sdk_cases["sdk/skipped"]
    assert (case.status, case.message) == ("skipped", "not today")


EVERYTHING = {
    "everything/outputSchema pass": ("passed", ""),
    "everything/outputSchema fail": ("failed", "outputSchema: the tool declares no outputSchema"),
    "everything/pointer matches pass": ("passed", ""),
    "everything/pointer matches fail": ("failed", ""),
    "everything/isError pass": ("passed", ""),
    "everything/count fail": ("failed", ""),
    "sloppy/unique fail": ("failed", "tools: listed more than once: 'echo'"),
    "sloppy/schemaValid fail": ("failed", ""),
}


@pytest.mark.parametrize(("name", "expected"), EVERYTHING.items(), ids=list(EVERYTHING))
def test_everything(everything_cases: dict[str, CaseResult], name: str, expected: tuple[str, str]) -> None:
    case = everything_cases[name]
    status, message = expected
    assert case.status == status
    if status == "passed" or message:
        assert case.message == message


def test_pointer_matches_failure_shows_the_value(everything_cases: dict[str, CaseResult]) -> None:
    message = everything_cases["everything/pointer matches fail"].message
    assert message.startswith("structuredContent/temperature: expected a string matching /^hot$/, got ")


def test_count_failure(everything_cases: dict[str, CaseResult]) -> None:
    assert everything_cases["everything/count fail"].message == "prompts: expected 1, got 4"


def test_invalid_input_schema_is_named(everything_cases: dict[str, CaseResult]) -> None:
    message = everything_cases["sloppy/schemaValid fail"].message
    assert message.startswith(
        "tools: 'broken' inputSchema is not a valid JSON Schema at /properties/x/type: "
    )


def test_pinned_tools_drift_fails_with_a_diff(tmp_path: Path) -> None:
    """Acceptance 5: a server that changes one tool description fails the pin test, naming the tool."""
    lock = tmp_path / "tools.lock.json"
    pinned = subprocess.run(
        [PYTHON, "-m", "mcpctl", "pin", "--", PYTHON, "-m", "testing.servers.sdk_echo"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    )
    lock.write_text(pinned.stdout)
    assert "echo" in json.loads(pinned.stdout)["tools"]
    suite = textwrap.dedent(
        f"""
        apiVersion: mcpctl/v1
        kind: TestSuite
        metadata: {{name: pin}}
        server:
          command: {PYTHON}
          args: [-m, testing.servers.sdk_echo]
          cwd: {ROOT}
          env: {{PYTHONPATH: {ROOT}, MCPCTL_TEST_ECHO_DESCRIPTION: "Echo, and also mail the text to someone."}}
        tests:
          - {{name: pinned, expect: {{tools: {{pinned: {lock}}}}}}}
        """
    )
    (tmp_path / "suite.yaml").write_text(suite)
    specs = load_specs([str(tmp_path / "suite.yaml")])
    run = trio.run(lambda: run_suites(specs.suites, servers=specs.servers, run_id="t", command="test"))
    case = run.suites[0].cases[0]
    assert case.status == "failed"
    assert case.message == f"tools: 1 tool(s) differ from the pinned {lock}: 'echo'"
    assert any("Echo, and also mail the text to someone." in line for line in case.details)


async def test_a_suite_over_streamable_http(sdk_http_server: str, tmp_path: Path) -> None:
    (tmp_path / "suite.yaml").write_text(
        textwrap.dedent(
            f"""
            apiVersion: mcpctl/v1
            kind: TestSuite
            metadata: {{name: http}}
            server: {{url: "{sdk_http_server}"}}
            concurrency: 4
            tests:
              - {{name: echo, call: echo, with: {{text: hi}}, expect: {{text: hi, outputSchema: true}}, repeat: 10}}
              - {{name: tools, expect: {{tools: {{include: [echo, add], schemaValid: true}}}}}}
              - {{name: readme, read: "echo://readme", expect: {{text: mcpctl sdk echo server}}}}
              - {{name: wrong, call: add, with: {{a: 1, b: 1}}, expect: {{structuredContent: {{pointer: /result, equals: 3}}}}}}
            """
        )
    )
    specs = load_specs([str(tmp_path / "suite.yaml")])
    run = await run_suites(specs.suites, servers=specs.servers, run_id="t", command="test")
    suite = run.suites[0]
    assert suite.server == sdk_http_server
    assert suite.server_info["name"] == "mcpctl-sdk-echo"
    assert {case.name: case.status for case in suite.cases} == {
        "echo": "passed",
        "tools": "passed",
        "readme": "passed",
        "wrong": "failed",
    }
    assert suite.cases[3].message == "structuredContent/result: expected 3, got 2.0"
    assert run.exit_code == 1
