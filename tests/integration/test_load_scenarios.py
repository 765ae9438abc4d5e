"""Issue 7: the load runner's scenario entries and options that tests/integration/test_load_runner.py does
not cover: ``after`` on an aborting threshold, the ``data`` order, ``read``/``prompt``/``list`` entries and
``timeout``.

The target is a MockServer spec served over Streamable HTTP in this test's own trio run (``serve_http``),
so that the test reads the mock's call history (the arguments of every ``tools/call``, in order) after
the load; the timeout test serves it over stdio instead (``mcpctl mock serve``). Entry picks and random data draws are replayed from ``random.Random(seed)`` and
``random.Random(seed + 1)`` as the runner documents them.
"""

from __future__ import annotations

import random
import string
from functools import partial
from pathlib import Path

import pytest
import trio

from mcpctl.engine.load.metrics import LoadResult
from mcpctl.engine.load.runner import run_load
from mcpctl.mock.app import ServedMock
from mcpctl.mock.http import serve_http
from mcpctl.spec.build import load_specs
from testing.paths import PYTHON

MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: scenarios}
tools:
  - name: echo
    inputSchema: {type: object, properties: {message: {type: string}}}
    default: {text: "{{ args.message }}"}
  - name: broken
    default: {error: {code: -32001, message: "not here"}}
  - name: slow
    behaviour: {latency: 400ms}
    default: {text: "late"}
resources:
  - {uri: "res://readme", name: readme, mimeType: text/plain, text: "read me"}
prompts:
  - name: triage
    arguments: [{name: label, required: true}]
    messages: [{role: user, text: "Triage {{ args.label }}."}]
"""
WORDS = ["w0", "w1", "w2", "w3", "w4"]


@pytest.fixture
async def mock(tmp_path: Path, nursery: trio.Nursery) -> tuple[ServedMock, str]:
    """The mock above served over HTTP until the test ends, and the inline server that reaches it."""
    path = tmp_path / "mock.yaml"
    path.write_text(MOCK, encoding="utf-8")
    [spec] = load_specs([str(path)], environ={}).mocks
    app = ServedMock(spec)
    url = await nursery.start(partial(serve_http, app))
    return app, f"{{url: {url}}}"


async def run(tmp_path: Path, server: str, body: str, *, seed: int = 7) -> LoadResult:
    """Run the LoadTest of YAML ``body`` against ``server`` (written inline), the data file beside it."""
    (tmp_path / "words.jsonl").write_text("".join(f'{{"word": "{w}"}}\n' for w in WORDS), encoding="utf-8")
    spec = tmp_path / "load.yaml"
    spec.write_text(
        f"apiVersion: mcpctl/v1\nkind: LoadTest\nmetadata: {{name: t}}\nserver: {server}\n{body}",
        encoding="utf-8",
    )
    [load] = load_specs([str(spec)], environ={}).loads
    return await run_load(load, seed=seed)


def messages(app: ServedMock) -> list[object]:
    """The ``message`` argument of every call the mock answered so far, in order; the history cleared."""
    sent = [record.arguments["message"] for record in app.history if isinstance(record.arguments, dict)]
    app.history.clear()
    return sent


def picks(count: int, weights: list[int], seed: int = 7) -> list[int]:
    """The scenario entry of each of ``count`` requests: one ``randrange(total)`` each, in ranges."""
    draws = random.Random(seed)
    bounds = [sum(weights[: i + 1]) for i in range(len(weights))]
    chosen = []
    for _ in range(count):
        draw = draws.randrange(bounds[-1])
        chosen.append(next(i for i, bound in enumerate(bounds) if draw < bound))
    return chosen


async def test_an_abort_threshold_with_after_is_not_checked_before_its_time(
    tmp_path: Path, mock: tuple[ServedMock, str]
) -> None:
    # every call fails from the first second on; the aborting threshold may only break at 2 s
    result = await run(
        tmp_path,
        mock[1],
        """\
sessions: shared
thinkTime: 50ms
scenario: [{call: broken}]
profile: {model: vus, startTarget: 1, stages: [{duration: 5s, target: 1}]}
thresholds:
  - {threshold: "error_rate < 1%", abort: true, after: 2s}
  - "error_rate < 50%"
""",
    )
    assert result.aborted
    assert result.abort_reason == "threshold 'error_rate < 1%' broke at 2s (observed 1)"
    assert 2.0 <= result.duration < 2.5
    assert [(t.text, t.passed, t.value, t.broke_at, t.aborted) for t in result.thresholds] == [
        ("error_rate < 1%", False, 1.0, 2.0, True),
        ("error_rate < 50%", False, 1.0, 1.0, False),  # without after: checked, and broken, at 1 s
    ]
    assert dict(result.overall.outcomes) == {"rpc_error:-32001": result.overall.count}
    assert 2 * 15 <= result.overall.count <= 2 * 21  # about 20 calls a second (50 ms think time)
    assert result.exit_code == 1


SEQUENCE = """\
sessions: shared
data: {file: words.jsonl, order: ORDER}
scenario: [{call: echo, with: {message: "{{ data.word }}"}}]
profile: {model: arrival-rate, startTarget: 12, stages: [{duration: 1s, target: 12}]}
"""


async def test_sequential_data_cycles_through_the_records_in_file_order(
    tmp_path: Path, mock: tuple[ServedMock, str]
) -> None:
    app, server = mock
    result = await run(tmp_path, server, SEQUENCE.replace("ORDER", "sequential"))
    assert dict(result.overall.outcomes) == {"ok": 12}
    assert messages(app) == [WORDS[i % 5] for i in range(12)]


async def test_random_data_draws_records_in_a_seeded_order(
    tmp_path: Path, mock: tuple[ServedMock, str]
) -> None:
    app, server = mock
    draws = random.Random(7 + 1)
    expected = [WORDS[draws.randrange(5)] for _ in range(12)]
    assert expected != [WORDS[i % 5] for i in range(12)]  # the draw is not the file's order

    first = await run(tmp_path, server, SEQUENCE.replace("ORDER", "random"), seed=7)
    assert messages(app) == expected
    again = await run(tmp_path, server, SEQUENCE.replace("ORDER", "random"), seed=7)
    assert messages(app) == expected  # the same seed, the same records in the same order
    assert [dict(r.overall.outcomes) for r in (first, again)] == [{"ok": 12}, {"ok": 12}]
    await run(tmp_path, server, SEQUENCE.replace("ORDER", "random"), seed=8)
    other = messages(app)
    assert other != expected
    assert set(other) <= set(WORDS)


async def test_read_prompt_and_list_entries_are_sent_and_counted(
    tmp_path: Path, mock: tuple[ServedMock, str]
) -> None:
    result = await run(
        tmp_path,
        mock[1],
        """\
sessions: per-vu
vars: {label: bug}
scenario:
  - {read: "res://readme"}
  - {prompt: triage, with: {label: "{{ vars.label }}"}}
  - {list: tools}
  - {list: resources}
  - {list: prompts}
  - {name: missing, read: "res://nope"}
profile: {model: arrival-rate, startTarget: 60, stages: [{duration: 1s, target: 60}]}
""",
    )
    names = ["res://readme", "triage", "tools", "resources", "prompts", "missing"]
    counts = [picks(60, [1] * 6).count(i) for i in range(6)]
    assert [(c.name, c.count) for c in result.calls] == list(zip(names, counts, strict=True))
    assert {c.name: dict(c.outcomes) for c in result.calls} == {
        **{name: {"ok": n} for name, n in zip(names[:5], counts, strict=False)},
        "missing": {"rpc_error:-32002": counts[5]},  # the mock's "Resource not found"
    }
    assert result.overall.count == 60
    assert mock[0].history == []  # none of them is a tools/call


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_a_timeout_shorter_than_the_answer_counts_timeouts_and_the_session_goes_on(
    tmp_path: Path, nursery: trio.Nursery, transport: str
) -> None:
    # over HTTP each request travels in its own task (inline): the timeout cancels its POST there
    (tmp_path / "mock.yaml").write_text(MOCK, encoding="utf-8")
    if transport == "stdio":
        server = f"{{command: {PYTHON}, args: [-m, mcpctl, mock, serve, {tmp_path / 'mock.yaml'}]}}"
    else:
        [spec] = load_specs([str(tmp_path / "mock.yaml")], environ={}).mocks
        server = f"{{url: {await nursery.start(partial(serve_http, ServedMock(spec)))}}}"
    result = await run(
        tmp_path,
        server,
        """\
sessions: shared
timeout: 100ms
scenario:
  - {call: slow}
  - {call: echo, with: {message: "n{{ iteration }}"}}
profile: {model: arrival-rate, startTarget: 10, stages: [{duration: 1s, target: 10}]}
thresholds: ["error_rate < 1%"]
""",
    )
    chosen = picks(10, [1, 1])
    slow, echo = chosen.count(0), chosen.count(1)
    assert (slow, echo) == (7, 3)  # both kinds are sent (seed 7)
    assert {c.name: dict(c.outcomes) for c in result.calls} == {
        "slow": {"timeout": slow},
        "echo": {"ok": echo},
    }
    timed_out = result.calls[0].latency
    assert timed_out.min >= 100  # given up at the deadline...
    assert timed_out.max < 400  # ...not at the answer
    assert result.overall.error_rate == slow / 10
    assert [(t.text, t.passed) for t in result.thresholds] == [("error_rate < 1%", False)]
    assert result.exit_code == 1


async def test_generators_draw_from_the_seed(tmp_path: Path, mock: tuple[ServedMock, str]) -> None:
    app, server = mock
    body = """\
sessions: shared
scenario: [{call: echo, with: {message: "{{ random_int(1, 1000000) }}-{{ random_string(6) }}"}}]
profile: {model: arrival-rate, startTarget: 10, stages: [{duration: 1s, target: 10}]}
"""
    await run(tmp_path, server, body, seed=11)
    first = messages(app)
    draws = random.Random(11 + 3)  # the runner's generator source: seed + 3
    alphabet = string.ascii_letters + string.digits
    expected = []
    for _ in range(10):
        number = draws.randint(1, 1000000)
        expected.append(f"{number}-{''.join(draws.choices(alphabet, k=6))}")
    assert first == expected
    await run(tmp_path, server, body, seed=11)
    assert messages(app) == first
