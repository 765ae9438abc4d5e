from __future__ import annotations

import orjson

from mcpctl.engine.monitor.http import route
from mcpctl.engine.monitor.loop import MonitorState
from mcpctl.mock.http_guard import Guard
from mcpctl.mock.http_wire import HttpRequest
from mcpctl.spec.model import Metadata, Source
from mcpctl.spec.monitor_model import MonitorSpec

SPEC = MonitorSpec(
    metadata=Metadata(name="prod"), servers=(), spec_hash="x", source=Source(path="m.yaml", line=1, column=1)
)
GUARD = Guard(check_host=True, allowed_origins=())


def _ask(method: str, path: str, **headers: str) -> tuple[int, bytes, object]:
    head = {b"host": b"127.0.0.1:9"} | {k.encode(): v.encode() for k, v in headers.items()}
    req = HttpRequest(method.encode(), path.encode(), head, b"", True, True)
    status, content_type, body = route(MonitorState(SPEC, wall=lambda: 1000.0), req, GUARD)
    return (
        status,
        content_type,
        body if not content_type.startswith(b"content-type: application/json") else orjson.loads(body),
    )


def test_status_json_of_an_empty_monitor() -> None:
    assert _ask("GET", "/api/v1/status")[::2] == (
        200,
        {"monitor": "prod", "ts": 1000.0, "window_seconds": 300.0, "servers": []},
    )


def test_refusals_say_why() -> None:
    assert _ask("GET", "/api/v1/status", origin="https://evil.example")[::2] == (
        403,
        {"error": "Forbidden: Origin not allowed"},
    )
    assert _ask("GET", "/metrics", host="evil.example")[::2] == (421, {"error": "Invalid Host header"})
    assert _ask("POST", "/metrics")[::2] == (405, {"error": "POST /metrics: use GET"})
    assert _ask("GET", "/nope")[::2] == (
        404,
        {"error": "no such endpoint: /nope (try GET /metrics or GET /api/v1/status)"},
    )


def test_metrics_negotiated() -> None:
    status, head, body = _ask("GET", "/metrics", accept="application/openmetrics-text")
    assert (status, head) == (
        200,
        b"content-type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\n",
    )
    assert isinstance(body, bytes)
    assert body.endswith(b"# EOF\n")
