"""FaultScenario runs end to end (``mcpctl apply``): a TestSuite or LoadTest through ``mcpctl proxy``
(stdio: a proxy process per session) or the in-process HTTP proxy, its expectations as cases.

What is proven: mcpctl's own retries carry a suite through 20 % resets and fail it with a clear
report at 100 %; a retried call of a tool with side effects is caught as a duplicate; a LoadTest
whose server crashes and restarts mid-load completes and shows the crash."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpctl.store import open_store
from testing.cli import invoke as mcpctl
from testing.paths import PYTHON, ROOT
from tests.integration.conftest import free_port, start_server

WEATHER = ROOT / "examples" / "weather.yaml"

SIDE_EFFECTS_MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: orders}
tools:
  - name: place_order
    description: Places an order (not idempotent).
    inputSchema: {type: object, properties: {item: {type: string}}}
    default: {text: "ordered {{ args.item }}"}
  - name: list_orders
    description: Lists orders.
    inputSchema: {type: object}
    annotations: {readOnlyHint: true}
    default: {text: "none"}
"""


def _suite(
    server: str, *, tests: int, retries: int, tool: str = "forecast", args: str = "{city: Paris}"
) -> str:
    cases = "".join(f"  - {{name: call {n}, call: {tool}, with: {args}}}\n" for n in range(tests))
    return f"""\
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {{name: suite}}
server: {server}
concurrency: 1
defaults: {{retries: {retries}, timeout: 5s}}
tests:
{cases}"""


def _scenario(faults: str, *, run: str = "{testSuite: suite}", expect: str = "") -> str:
    return f"""\
apiVersion: mcpctl/v1
kind: FaultScenario
metadata: {{name: chaos}}
seed: 3
faults:
{faults}run: {run}
{expect}"""


def _write(tmp_path: Path, *documents: str) -> str:
    path = tmp_path / "specs.yaml"
    path.write_text("---\n".join(documents), encoding="utf-8")
    return str(path)


def _apply(tmp_path: Path, path: str) -> tuple[int, str, str]:
    return mcpctl("apply", path, "--state-dir", str(tmp_path / "state"))


def _attachment(tmp_path: Path) -> dict[str, object]:
    """The FaultScenario result's attachment of the last run."""
    with open_store(tmp_path / "state") as store:
        (suite,) = store.get_run("last").suites
    assert suite.kind == "FaultScenario"
    document = json.loads(suite.attachment)
    assert isinstance(document, dict)
    return document


def test_retries_carry_a_suite_through_one_reset_in_five(tmp_path: Path) -> None:
    faults = "  - {name: drop, reset: {when: after}, tools: [forecast], probability: 20%}\n"
    expect = 'expect: {completes: true, error_rate: "< 10%", retries: ">= 1"}\n'
    path = _write(
        tmp_path, _suite(f"{{mock: {WEATHER}}}", tests=10, retries=4), _scenario(faults, expect=expect)
    )
    code, out, err = _apply(tmp_path, path)
    assert code == 0, out + err
    assert "FaultScenario/chaos  completes         passed" in out
    assert "FaultScenario/chaos  retries >= 1      passed" in out
    document = _attachment(tmp_path)
    ((fault,),) = ([f for f in document["faults"] if f["name"] == "drop"],)  # type: ignore[index, union-attr]
    assert fault["injected"] >= 1
    run = document["run"]
    assert isinstance(run, dict)
    assert run["status"] == "passed"
    # each reset ended the proxy process: the retry launched another one
    assert document["launches"] == 1 + fault["injected"]


def test_every_call_reset_fails_the_suite_with_a_clear_report(tmp_path: Path) -> None:
    faults = "  - {name: drop, reset: {}, tools: [forecast]}\n"
    path = _write(tmp_path, _suite(f"{{mock: {WEATHER}}}", tests=2, retries=2), _scenario(faults))
    code, out, _ = _apply(tmp_path, path)
    assert code == 1
    assert "FaultScenario/chaos  TestSuite passes under the faults  failed" in out
    assert "    2 of 2 tests failed\n    faults injected: drop 6x\n" in out
    assert "    call 0: ServerExited: server closed its stdout (exit code 0) (after 3 attempts)\n" in out
    assert "drop     reset            6" in out


def test_a_retried_call_with_side_effects_is_a_duplicate(tmp_path: Path) -> None:
    mock = tmp_path / "orders.yaml"
    mock.write_text(SIDE_EFFECTS_MOCK, encoding="utf-8")
    # the first answer of each tool is lost after the server did the work; the retry sends it again
    faults = "  - {name: lose, reset: {when: after}, methods: [tools/call], times: 2}\n"
    suite = _suite(f"{{mock: {mock}}}", tests=1, retries=1, tool="place_order", args="{item: book}")
    suite += "  - {name: read, call: list_orders}\n"
    expect = "expect: {no_duplicate_side_effects: true}\n"
    code, out, _ = _apply(tmp_path, _write(tmp_path, suite, _scenario(faults, expect=expect)))
    assert code == 1
    assert (
        "    1 call with side effects reached the server again after a fault lost the answer: "
        "place_order (answer lost to lose, sent again 1x)\n" in out
    )
    duplicates = _attachment(tmp_path)["duplicates"]
    assert isinstance(duplicates, list)
    assert [(d["tool"], d["fault"], d["repeats"]) for d in duplicates] == [("place_order", "lose", 1)]


@pytest.fixture
def weather_http() -> Iterator[str]:
    port = free_port()
    argv = [PYTHON, "-m", "mcpctl", "mock", "serve", str(WEATHER), "--http", f"127.0.0.1:{port}"]
    with start_server(argv, port=port, path="/mcp") as server:
        yield server.url


def test_an_http_server_runs_through_the_in_process_proxy(tmp_path: Path, weather_http: str) -> None:
    faults = (
        "  - {name: drop, reset: {}, tools: [forecast], probability: 30%}\n"
        "  - {name: slow, latency: 20ms, tools: [forecast]}\n"
    )
    expect = 'expect: {completes: true, error_rate: "<= 0%"}\n'
    path = _write(
        tmp_path, _suite(f"{{url: {weather_http}}}", tests=8, retries=5), _scenario(faults, expect=expect)
    )
    code, out, err = _apply(tmp_path, path)
    assert code == 0, out + err
    counts = {f["name"]: f["injected"] for f in _attachment(tmp_path)["faults"]}  # type: ignore[union-attr]
    assert counts["drop"] >= 1
    assert counts["slow"] == 8 + counts["drop"]  # every attempt waited


def test_a_load_test_completes_through_a_crash_and_restart(tmp_path: Path) -> None:
    load = f"""\
apiVersion: mcpctl/v1
kind: LoadTest
metadata: {{name: steady}}
server: {{mock: {WEATHER}}}
sessions: shared
timeout: 5s
scenario: [{{call: forecast, with: {{city: Oslo}}}}]
profile: {{model: vus, stages: [{{duration: 3s, target: 4}}]}}
"""
    faults = "  - {name: boom, crash: {afterCalls: 200, restart: true, restartDelay: 200ms}}\n"
    expect = 'expect: {completes: true, error_rate: "< 5%"}\n'
    code, out, err = _apply(
        tmp_path, _write(tmp_path, load, _scenario(faults, run="{loadTest: steady}", expect=expect))
    )
    assert code == 0, out + err
    document = _attachment(tmp_path)
    counts = {f["name"]: f["injected"] for f in document["faults"]}  # type: ignore[union-attr]
    assert counts["boom"] >= 1
    run = document["run"]
    assert isinstance(run, dict)
    overall = run["attachment"]["overall"]
    outcomes = overall["outcomes"]
    # the calls in flight when the server died failed; the rest went on against the restarted server
    assert 1 <= overall["count"] - outcomes["ok"] <= 4 * counts["boom"]
    assert outcomes["ok"] > 200
    assert document["launches"] == 1


@pytest.fixture
def oauth_mock() -> Iterator[str]:
    port = free_port()
    spec = ROOT / "examples" / "auth" / "oauth-mock.yaml"
    argv = [PYTHON, "-m", "mcpctl", "mock", "serve", str(spec), "--http", f"127.0.0.1:{port}"]
    with start_server(argv, port=port, path="/mcp") as server:
        yield server.url


def test_an_oauth_server_runs_through_the_proxy_with_its_own_tokens(
    tmp_path: Path, oauth_mock: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the client asks the server's authorization server for tokens for the server itself (its
    # resource metadata names it, not the proxy's URL), and the proxy relays them
    monkeypatch.setenv("CI_SECRET", "ci-secret")
    server = f'{{url: "{oauth_mock}", auth: {{oauth: {{client_id: ci, client_secret: "${{env:CI_SECRET}}", grant: client_credentials}}}}}}'
    faults = "  - {name: drop, reset: {}, tools: [list_issues], probability: 30%}\n"
    expect = 'expect: {completes: true, error_rate: "<= 0%"}\n'
    suite = _suite(server, tests=6, retries=5, tool="list_issues", args="{}")
    code, out, err = _apply(tmp_path, _write(tmp_path, suite, _scenario(faults, expect=expect)))
    assert code == 0, out + err
    counts = {f["name"]: f["injected"] for f in _attachment(tmp_path)["faults"]}  # type: ignore[union-attr]
    assert counts["drop"] >= 1
