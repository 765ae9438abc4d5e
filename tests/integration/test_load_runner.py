"""Issue 7: the load runner against real servers over stdio: ``mcpctl mock serve`` and, for the stall of
acceptance 3, testing/servers/stall.py (the mock answers concurrently, so it cannot stall as a whole).

The specs are loaded from YAML as ``mcpctl load`` will load them. Entry picks are replayed here from
``random.Random(seed)`` (one ``randrange(total weight)`` per request, entries owning consecutive ranges),
independently of the runner.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import trio

from mcpctl.engine.load.runner import run_load
from mcpctl.errors import ServerError
from mcpctl.observe.histogram import LatencyHistogram
from mcpctl.spec.build import load_specs
from mcpctl.spec.load_model import LoadTestSpec
from testing.paths import PYTHON

MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: load-mock}
tools:
  - name: echo
    inputSchema: {type: object, properties: {message: {type: string}}}
    default: {text: "{{ args.message }}"}
  - name: refuse
    default: {text: "no", isError: true}
  - name: broken
    default: {error: {code: -32001, message: "not here"}}
"""


def write_load(tmp_path: Path, body: str, *, command: str | None = None) -> LoadTestSpec:
    """A LoadTest whose server is the mock above (or ``command``), from YAML ``body``."""
    mock = tmp_path / "mock.yaml"
    mock.write_text(MOCK, encoding="utf-8")
    server = command or f"{{command: {PYTHON}, args: [-m, mcpctl, mock, serve, {mock}]}}"
    (tmp_path / "words.jsonl").write_text('{"word": "a"}\n{"word": "b"}\n', encoding="utf-8")
    spec = tmp_path / "specs" / "load.yaml"
    spec.parent.mkdir(exist_ok=True)
    spec.write_text(
        f"apiVersion: mcpctl/v1\nkind: LoadTest\nmetadata: {{name: t}}\nserver: {server}\n{body}",
        encoding="utf-8",
    )
    specs = load_specs([str(spec.parent)], environ={})
    return specs.loads[0]


async def test_closed_model_four_users_for_two_seconds(tmp_path: Path) -> None:
    spec = write_load(
        tmp_path,
        """\
sessions: per-vu
thinkTime: 50ms
data: {file: ../words.jsonl}
scenario:
  - {call: echo, with: {message: "{{ data.word }} {{ vu }}-{{ iteration }}"}}
profile: {model: vus, startTarget: 4, stages: [{duration: 2s, target: 4}]}
""",
    )
    result = await run_load(spec)
    # each user: 2 s of (answer + 50 ms think) iterations, about 38 of them
    assert 4 * 30 <= result.overall.count <= 4 * 41
    assert dict(result.overall.outcomes) == {"ok": result.overall.count}
    assert [c.name for c in result.calls] == ["echo"]
    assert result.calls[0].count == result.overall.count
    assert result.initialize is not None
    assert result.initialize.count == 4  # one session per virtual user
    assert result.overall.latency.p99 < 50
    assert result.dropped == 0
    assert result.lag.count == 0
    assert result.overall.first_byte is None  # stdio cannot tell
    assert (result.model, result.exit_code, result.aborted) == ("vus", 0, False)
    assert 2.0 <= result.duration < 3.0
    assert sum(sum(b.outcomes.values()) for b in result.series.buckets) == result.overall.count


async def test_open_model_fifty_per_second_sends_exactly_one_hundred(tmp_path: Path) -> None:
    spec = write_load(
        tmp_path,
        """\
sessions: shared
scenario: [{call: echo, with: {message: hi}}]
profile: {model: arrival-rate, startTarget: 50, stages: [{duration: 2s, target: 50}]}
thresholds: ["p99 < 500ms", "rate > 40/s"]
""",
    )
    result = await run_load(spec)
    assert dict(result.overall.outcomes) == {"ok": 100}
    assert result.lag.count == 100
    assert result.lag.p99 < 20
    assert result.dropped == 0
    assert [(t.text, t.passed, t.broke_at) for t in result.thresholds] == [
        ("p99 < 500ms", True, None),
        ("rate > 40/s", True, None),
    ]
    assert result.exit_code == 0
    assert LatencyHistogram.decode(result.overall.histogram).count == 100


async def test_weights_and_outcomes_follow_the_seeded_picks(tmp_path: Path) -> None:
    spec = write_load(
        tmp_path,
        """\
sessions: per-vu
scenario:
  - {call: echo, weight: 3, with: {message: "n{{ iteration }}"}}
  - {call: refuse, weight: 1}
  - {name: rpc, call: broken, weight: 2}
profile: {model: arrival-rate, startTarget: 120, stages: [{duration: 1s, target: 120}]}
""",
    )
    draws = random.Random(7)
    picks = [draws.randrange(6) for _ in range(120)]
    expected = {
        "echo": sum(p < 3 for p in picks),
        "refuse": sum(p == 3 for p in picks),
        "rpc": sum(p >= 4 for p in picks),
    }
    result = await run_load(spec, seed=7)
    assert {c.name: dict(c.outcomes) for c in result.calls} == {
        "echo": {"ok": expected["echo"]},
        "refuse": {"is_error": expected["refuse"]},
        "rpc": {"rpc_error:-32001": expected["rpc"]},
    }
    assert dict(result.overall.outcomes) == {
        "is_error": expected["refuse"],
        "ok": expected["echo"],
        "rpc_error:-32001": expected["rpc"],
    }
    assert result.overall.error_rate == (expected["refuse"] + expected["rpc"]) / 120
    assert result.seed == 7


async def test_an_aborting_threshold_stops_the_test_early(tmp_path: Path) -> None:
    spec = write_load(
        tmp_path,
        """\
sessions: shared
scenario: [{call: broken}]
profile: {model: vus, startTarget: 2, stages: [{duration: 10s, target: 2}]}
thresholds:
  - {threshold: "error_rate < 1%", abort: true}
  - "p99 < 1s"
""",
    )
    result = await run_load(spec)
    assert result.aborted
    assert result.abort_reason == "threshold 'error_rate < 1%' broke at 1s (observed 1)"
    assert result.duration < 2.0
    assert [(t.text, t.passed, t.value, t.broke_at, t.aborted) for t in result.thresholds] == [
        ("error_rate < 1%", False, 1.0, 1.0, True),
        ("p99 < 1s", True, result.overall.latency.p99, None, False),
    ]
    assert result.exit_code == 1


async def test_per_iteration_sessions_measure_initialize(tmp_path: Path) -> None:
    spec = write_load(
        tmp_path,
        """\
sessions: per-iteration
scenario: [{list: tools}]
profile: {model: arrival-rate, startTarget: 3, stages: [{duration: 1s, target: 3}]}
""",
    )
    result = await run_load(spec)
    assert dict(result.overall.outcomes) == {"ok": 3}
    assert result.calls[0].name == "tools"
    assert result.initialize is not None
    assert result.initialize.count == 3
    # measured from the intended start, a request's latency includes opening its session
    assert result.overall.latency.min >= result.initialize.min


async def test_a_one_second_stall_shows_in_the_open_model_p99(tmp_path: Path) -> None:
    """Acceptance 3: the whole server stalls 1 s at its 300th call of 1000 (100/s for 10 s)."""
    spec = write_load(
        tmp_path,
        """\
sessions: shared
timeout: 5s
scenario: [{call: echo, with: {message: hi}}]
profile: {model: arrival-rate, startTarget: 100, stages: [{duration: 10s, target: 100}]}
""",
        command=f"{{command: {PYTHON}, args: [-m, testing.servers.stall, '300', '1']}}",
    )
    result = await run_load(spec)
    assert dict(result.overall.outcomes) == {"ok": 1000}
    assert result.overall.latency.p99 >= 900
    assert result.overall.latency.max >= 1000
    assert result.lag.p99 < 20


async def test_a_shared_session_that_cannot_open_fails_the_run(tmp_path: Path) -> None:
    spec = write_load(
        tmp_path,
        """\
sessions: shared
scenario: [{list: tools}]
profile: {model: vus, startTarget: 1, stages: [{duration: 1s, target: 1}]}
""",
        command=f"{{command: {PYTHON}, args: [-c, 'import sys; sys.exit(4)']}}",
    )
    with pytest.raises(ServerError) as caught:
        await run_load(spec)
    assert "exit code 4" in str(caught.value)


async def test_over_http_the_time_to_first_byte_is_measured(tmp_path: Path, sdk_http_server: str) -> None:
    spec = write_load(
        tmp_path,
        """\
sessions: shared
scenario: [{call: echo, with: {text: hi}}, {list: tools}]
profile: {model: vus, startTarget: 2, stages: [{duration: 1s, target: 2}]}
""",
        command=f"{{url: '{sdk_http_server}'}}",
    )
    result = await run_load(spec)
    assert result.overall.count > 20
    assert dict(result.overall.outcomes) == {"ok": result.overall.count}
    for call in (*result.calls, result.overall):
        assert call.first_byte is not None
        assert call.first_byte.count == call.count
        assert 0 < call.first_byte.p50 <= call.latency.p50


@pytest.mark.parametrize("model", ["vus", "arrival-rate"])
async def test_a_shared_session_whose_server_dies_is_opened_again(tmp_path: Path, model: str) -> None:
    # the server exits at its 20th call (each new one too): the run must neither spin nor hang, it
    # counts the failures and carries on with a new session
    target = "2" if model == "vus" else "50"
    spec = write_load(
        tmp_path,
        f"""\
sessions: shared
timeout: 2s
scenario: [{{call: echo, with: {{message: hi}}}}]
profile: {{model: {model}, startTarget: {target}, stages: [{{duration: 2s, target: {target}}}]}}
""",
        command=f"{{command: {PYTHON}, args: [-m, testing.servers.stall, '20', exit]}}",
    )
    with trio.fail_after(15):
        result = await run_load(spec)
    outcomes = dict(result.overall.outcomes)
    assert outcomes["ok"] >= 38  # 19 answered by the first server, 19 by the next at least
    assert outcomes["transport"] >= 1
    assert set(outcomes) == {"ok", "transport"}
    assert result.initialize is not None
    assert result.initialize.count >= 2  # the shared session was opened again
    assert result.duration < 4
