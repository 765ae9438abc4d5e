"""Which HTTP backend a load test sends through."""

from __future__ import annotations

from mcpctl.engine.targets import fast_target_for
from mcpctl.mcp.client import HttpTarget, StdioTarget
from mcpctl.spec.model import HttpServer, Source, StdioServer

SOURCE = Source(path="servers.yaml", line=1, column=1)


def test_plain_http_goes_through_the_lean_backend() -> None:
    target = fast_target_for(HttpServer(name="s", url="http://127.0.0.1:9/mcp", source=SOURCE))
    assert isinstance(target, HttpTarget)
    assert target.backend == "lean"


def test_https_stays_on_httpx() -> None:
    target = fast_target_for(HttpServer(name="s", url="https://example.test/mcp", source=SOURCE))
    assert isinstance(target, HttpTarget)
    assert target.backend == "httpx"


def test_a_stdio_server_is_spawned_as_for_any_other_command() -> None:
    target = fast_target_for(StdioServer(name="s", command=("srv", "--x"), source=SOURCE))
    assert isinstance(target, StdioTarget)
    assert target.command == ("srv", "--x")
