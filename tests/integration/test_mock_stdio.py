"""`mcpctl mock serve` over stdio as a client's child process: malformed frames get the JSON-RPC
error a server owes and serving goes on (issue 5, acceptance 6); batches; exit at end of input."""

from __future__ import annotations

import json
import subprocess

from testing.paths import PYTHON, ROOT

DEMO = str(ROOT / "tests" / "data" / "mocks" / "demo.yaml")


def converse(lines: list[bytes]) -> list[dict | list]:
    done = subprocess.run(
        [PYTHON, "-m", "mcpctl", "mock", "serve", DEMO],
        input=b"\n".join(lines) + b"\n",
        capture_output=True,
        timeout=30,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def call(request_id: int, city: str) -> bytes:
    params = {"name": "weather", "arguments": {"city": city}}
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}).encode()


def test_garbage_is_answered_and_serving_goes_on() -> None:
    answers = converse(
        [
            b"{not json",
            b"[]",
            b"42",
            b'{"jsonrpc": "2.0", "id": 1, "method": 7}',
            b"\xff\xfe binary",
            b'{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": "nope"}',
            call(3, "Paris"),
        ]
    )
    errors = [a["error"]["code"] for a in answers if isinstance(a, dict) and "error" in a]
    assert errors == [-32700, -32600, -32600, -32600, -32700, -32602]
    last = answers[-1]
    assert isinstance(last, dict)
    assert last["id"] == 3
    assert last["result"]["content"][0]["text"] == "Sunny in Paris"


def test_a_batch_is_answered_as_one_array() -> None:
    batch = (
        b"["
        + call(1, "Paris")
        + b","
        + call(2, "Rome")
        + b', {"jsonrpc": "2.0", "method": "notifications/initialized"}]'
    )
    (answer,) = converse([batch])
    assert isinstance(answer, list)
    assert [a["id"] for a in answer] == [1, 2]
    assert answer[1]["result"]["structuredContent"] == {"temp": 12, "sky": "cloudy"}
