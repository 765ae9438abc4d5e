"""Mock call history in the state store: the flusher's slices, the store's queries, and
``mcpctl mock history`` after a real ``mcpctl mock serve`` subprocess answered calls."""

from __future__ import annotations

import csv
import functools
import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

import pytest
import trio

from mcpctl.cli.app import main
from mcpctl.mcp.client import StdioTarget, open_client
from mcpctl.mock.app import ServedMock
from mcpctl.mock.history import CallRecord
from mcpctl.mock.history_store import HistoryFlusher
from mcpctl.spec.build import load_specs
from mcpctl.store import open_store
from mcpctl.store.mock_calls import MockServe, list_calls, resolve_serve, save_calls
from testing.paths import PYTHON, ROOT

DEMO = str(ROOT / "tests" / "data" / "mocks" / "demo.yaml")


def mcpctl(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.object(sys, "argv", ["mcpctl", *args]), redirect_stdout(out), redirect_stderr(err):
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def call(tool: str, at: float, **arguments: object) -> CallRecord:
    return CallRecord(
        at=at,
        session=1,
        tool=tool,
        arguments=arguments,
        rule="responses[0]",
        scenario="default",
        latency_ms=1.5,
        is_error=False,
    )


def serve(serve_id: str, mock_name: str = "demo", started: float = 1000.0) -> MockServe:
    return MockServe(id=serve_id, mock=mock_name, spec_path="demo.yaml", started_at=started)


def test_the_store_keeps_calls_by_serve_and_filters_them(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        save_calls(store, serve("s1"), [call("a", 1).as_json(), call("b", 2).as_json()], first=0)
        save_calls(store, serve("s1"), [call("a", 3).as_json()], first=2)
        save_calls(store, serve("s2", "other", 2000), [call("a", 4).as_json()], first=0)
        assert [(c.serve_id, c.record["tool"], c.record["at"]) for c in list_calls(store)] == [
            ("s1", "a", 1),
            ("s1", "b", 2),
            ("s1", "a", 3),
            ("s2", "a", 4),
        ]
        assert [c.record["at"] for c in list_calls(store, tool="a", limit=2)] == [3, 4]
        assert [c.record["at"] for c in list_calls(store, mock="demo", tool="a")] == [1, 3]
        assert resolve_serve(store, "last") == "s2"
        assert resolve_serve(store, "last", mock="demo") == "s1"
        assert resolve_serve(store, "s1") == "s1"


def test_the_flusher_takes_only_what_is_new_even_after_a_clear(tmp_path: Path) -> None:
    (spec,) = load_specs([DEMO]).mocks
    app = ServedMock(spec)
    flusher = HistoryFlusher(app, directory=tmp_path / "state", serve=serve("s1"))
    assert flusher.take() == (0, [])
    app.history += [call("weather", 1), call("weather", 2)]
    assert flusher.take() == (0, app.history[:2])
    app.history.append(call("weather", 3))
    assert flusher.take() == (2, [app.history[2]])
    app.history.clear()  # an mcpctl/history request with clear: true
    app.history.append(call("weather", 4))
    assert flusher.take() == (3, [app.history[0]])
    assert not (tmp_path / "state").exists()  # taking writes nothing


async def test_the_flusher_writes_every_interval(tmp_path: Path) -> None:
    (spec,) = load_specs([DEMO]).mocks
    app = ServedMock(spec)
    flusher = HistoryFlusher(app, directory=tmp_path, serve=serve("s1"))
    async with trio.open_nursery() as nursery:
        nursery.start_soon(functools.partial(flusher.run, interval=0.01))
        app.history.append(call("weather", 1))
        for _ in range(500):  # written counts what was taken; the write is in a thread
            if flusher.written:
                break
            await trio.sleep(0.01)
        nursery.cancel_scope.cancel()  # waits for a write in progress: threads are not abandoned
    with open_store(tmp_path) as store:
        assert [c.record["at"] for c in list_calls(store)] == [1]
    app.history.append(call("weather", 2))
    flusher.flush()
    with open_store(tmp_path) as store:
        assert [c.record["at"] for c in list_calls(store)] == [1, 2]


async def test_history_of_a_served_mock(tmp_path: Path) -> None:
    state = tmp_path / "state"
    command = (PYTHON, "-m", "mcpctl", "mock", "serve", DEMO, "--state-dir", str(state))
    async with open_client(StdioTarget(command=command)) as client:
        await client.call_tool("weather", {"city": "Paris"})
        await client.call_tool("weather", {"city": "Rome"})
    code, out, err = mcpctl("mock", "history", "--state-dir", str(state), "--output", "json")
    assert (code, err) == (0, "")
    calls = json.loads(out)
    assert [(c["mock"], c["tool"], c["arguments"], c["rule"], c["isError"]) for c in calls] == [
        ("demo", "weather", {"city": "Paris"}, "responses[0]", False),
        ("demo", "weather", {"city": "Rome"}, "default", False),
    ]
    code, out, err = mcpctl(
        "mock", "history", "--state-dir", str(state), "-o", "csv", "--serve", "last", "-n", "1"
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert (code, err, len(rows)) == (0, "", 1)
    assert {k: rows[0][k] for k in ("mock", "tool", "rule", "result", "arguments")} == {
        "mock": "demo",
        "tool": "weather",
        "rule": "default",
        "result": "ok",
        "arguments": '{"city":"Rome"}',
    }
    assert rows[0]["serve"] == calls[0]["serve"]
    code, out, err = mcpctl(
        "mock", "history", "--state-dir", str(state), "--tool", "weather", "--mock", "demo"
    )
    lines = out.splitlines()
    assert lines[0].split() == ["serve", "at", "mock", "tool", "rule", "latency_ms", "result", "arguments"]
    assert len(lines) == 4


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), (0, "no mock calls recorded\n", "")),
        (("--tool", "x"), (0, "no mock calls recorded that match\n", "")),
        (("-o", "xml"), (2, "", "mcpctl: error: --output 'xml': expected text, json or csv\n")),
    ],
)
def test_history_without_calls(tmp_path: Path, args: tuple[str, ...], expected: tuple[int, str, str]) -> None:
    assert mcpctl("mock", "history", "--state-dir", str(tmp_path / "none"), *args) == expected
    assert not (tmp_path / "none").exists()


def test_history_of_an_unknown_serve(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        save_calls(store, serve("20261125T170000-aaaaaa"), [call("a", 1).as_json()], first=0)
    assert mcpctl("mock", "history", "--state-dir", str(tmp_path), "--serve", "2027") == (
        2,
        "",
        f"mcpctl: error: no mock serve '2027' in {tmp_path} (mcpctl mock history lists them)\n",
    )
