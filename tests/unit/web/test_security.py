"""The dashboard's checks on every request: Host and Origin (403), the token for changes (401, nothing done),
the token for reads beyond loopback, static files without traversal, errors as JSON, headers on every page."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from mcpctl.errors import UsageError
from mcpctl.mock.http_wire import HttpRequest
from mcpctl.web.live import Live
from mcpctl.web.routing import HttpError, Request, Response, Route, json_response
from mcpctl.web.security import CSP, Security
from mcpctl.web.server import STATIC, Dashboard, static_file

TOKEN = "s3cret-token"
PORT = 8081


class Desk:
    """Routes that record what they did."""

    def __init__(self) -> None:
        self.done: list[str] = []

    def routes(self) -> list[Route]:
        async def read(_: Request) -> Response:
            return json_response({"ok": True})

        async def change(req: Request) -> Response:
            self.done.append(req.params["name"])
            return json_response({"done": req.params["name"]})

        async def broken(_: Request) -> Response:
            raise RuntimeError("a bug")

        async def busy(_: Request) -> Response:
            raise HttpError(409, "a batch is running")

        async def bad(_: Request) -> Response:
            raise UsageError("no plan named nope")

        return [
            Route(method="GET", pattern="/api/v1/thing", handler=read),
            Route(method="POST", pattern="/api/v1/things/{name}/ack", handler=change, changes=True),
            Route(method="GET", pattern="/broken", handler=broken),
            Route(method="GET", pattern="/busy", handler=busy),
            Route(method="GET", pattern="/bad", handler=bad),
        ]


def _dashboard(desk: Desk, host: str = "127.0.0.1") -> Dashboard:
    return Dashboard(routes=desk.routes(), security=Security(host=host, port=PORT, token=TOKEN), live=Live())


def _request(method: str, target: str, **headers: str) -> HttpRequest:
    head = {b"host": f"127.0.0.1:{PORT}".encode()}
    head.update({k.replace("_", "-").encode(): v.encode() for k, v in headers.items()})
    return HttpRequest(method.encode(), target.encode(), head, b"{}", True, True)


async def _answer(dashboard: Dashboard, req: HttpRequest) -> tuple[int, dict[bytes, bytes], object]:
    status, head, body = await dashboard.answer(req)
    lines = [line.split(b": ", 1) for line in head.split(b"\r\n") if line]
    return (
        status,
        {k: v for k, v in lines},
        orjson.loads(body) if head.startswith(b"content-type: application/json") else body,
    )


async def test_a_change_without_the_token_is_401_and_nothing_is_done() -> None:
    desk = Desk()
    dashboard = _dashboard(desk)
    for headers in ({}, {"x_mcpctl_token": "wrong"}, {"x_mcpctl_token": ""}):
        status, _, body = await _answer(dashboard, _request("POST", "/api/v1/things/a/ack", **headers))
        assert (status, body) == (
            401,
            {"error": "token required: send the dashboard's token in the X-Mcpctl-Token header"},
        )
    # the token in the query does not count for a change: only the header (a link cannot carry a change)
    status, _, _ = await _answer(dashboard, _request("POST", f"/api/v1/things/a/ack?token={TOKEN}"))
    assert status == 401
    assert desk.done == []
    status, _, body = await _answer(dashboard, _request("POST", "/api/v1/things/a/ack", x_mcpctl_token=TOKEN))
    assert (status, body, desk.done) == (200, {"done": "a"}, ["a"])


async def test_a_foreign_origin_is_403_even_with_the_token() -> None:
    desk = Desk()
    dashboard = _dashboard(desk)
    for origin in (
        "https://evil.example",
        "http://127.0.0.1:9999",
        "null",
        "http://localhost.evil.example:8081",
    ):
        req = _request("POST", "/api/v1/things/a/ack", origin=origin, x_mcpctl_token=TOKEN)
        status, _, body = await _answer(dashboard, req)
        assert (status, body) == (403, {"error": "forbidden: requests from other sites (Origin) are refused"})
    assert desk.done == []
    for own in (f"http://127.0.0.1:{PORT}", f"http://localhost:{PORT}", f"http://[::1]:{PORT}"):
        status, _, _ = await _answer(dashboard, _request("GET", "/api/v1/thing", origin=own))
        assert status == 200


async def test_a_foreign_host_is_403() -> None:
    dashboard = _dashboard(Desk())
    for host in ("evil.example", f"evil.example:{PORT}", "127.0.0.1:9999", ""):
        status, _, body = await _answer(dashboard, _request("GET", "/api/v1/thing", host=host))
        assert (status, body) == (403, {"error": "forbidden: the Host header does not name this dashboard"})
    for host in (f"localhost:{PORT}", "127.0.0.1", f"[::1]:{PORT}"):
        status, _, _ = await _answer(dashboard, _request("GET", "/api/v1/thing", host=host))
        assert status == 200


async def test_beyond_loopback_reads_need_the_token_too() -> None:
    dashboard = _dashboard(Desk(), host="10.1.2.3")
    assert dashboard.security.reads_need_token
    status, _, body = await _answer(dashboard, _request("GET", "/api/v1/thing", host=f"10.1.2.3:{PORT}"))
    assert (status, body) == (401, {"error": "token required: open the link with ?token= printed at start"})
    ok, _, _ = await _answer(
        dashboard, _request("GET", f"/api/v1/thing?token={TOKEN}", host=f"10.1.2.3:{PORT}")
    )
    header, _, _ = await _answer(
        dashboard, _request("GET", "/api/v1/thing", host="10.1.2.3", x_mcpctl_token=TOKEN)
    )
    static, _, _ = await _answer(dashboard, _request("GET", "/static/dashboard.css", host="10.1.2.3"))
    assert (ok, header, static) == (200, 200, 401)


def test_tokens_are_compared_whole() -> None:
    security = Security(host="127.0.0.1", port=PORT, token=TOKEN)
    assert security.token_ok(TOKEN)
    assert not security.token_ok("")
    assert not security.token_ok(TOKEN[:-1])
    assert not security.token_ok(TOKEN + "x")
    assert not security.token_ok(TOKEN.upper())


async def test_errors_are_json_and_a_bug_is_a_500_that_keeps_serving(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dashboard = _dashboard(Desk())
    assert (await _answer(dashboard, _request("GET", "/busy")))[::2] == (409, {"error": "a batch is running"})
    assert (await _answer(dashboard, _request("GET", "/bad")))[::2] == (400, {"error": "no plan named nope"})
    assert (await _answer(dashboard, _request("GET", "/nope")))[::2] == (
        404,
        {"error": "no such page or endpoint: /nope"},
    )
    assert (await _answer(dashboard, _request("DELETE", "/api/v1/thing")))[::2] == (
        405,
        {"error": "DELETE /api/v1/thing: use GET"},
    )
    with caplog.at_level("ERROR"):
        status, _, body = await _answer(dashboard, _request("GET", "/broken"))
    assert (status, body) == (500, {"error": "internal error (logged by the dashboard)"})
    assert "dashboard: GET b'/broken' failed" in caplog.text
    assert (await _answer(dashboard, _request("GET", "/api/v1/thing")))[0] == 200


async def test_every_answer_carries_the_security_headers() -> None:
    dashboard = _dashboard(Desk())
    for target in ("/api/v1/thing", "/nope", "/static/dashboard.js"):
        _, head, _ = await _answer(dashboard, _request("GET", target))
        assert head[b"content-security-policy"] == CSP.encode()
        assert head[b"x-content-type-options"] == b"nosniff"
        assert head[b"referrer-policy"] == b"no-referrer"
    assert "frame-ancestors 'none'" in CSP
    assert "script-src 'self';" in CSP


async def test_static_files_have_their_types_and_no_way_out() -> None:
    dashboard = _dashboard(Desk())
    for name, kind in (
        ("dashboard.css", b"text/css; charset=utf-8"),
        ("dashboard.js", b"text/javascript; charset=utf-8"),
    ):
        status, head, body = await _answer(dashboard, _request("GET", f"/static/{name}"))
        assert (status, head[b"content-type"]) == (200, kind)
        assert body == (STATIC / name).read_bytes()
    for target in (
        "/static/../server.py",
        "/static/..%2Fserver.py",
        "/static/%2E%2E%2Fpages.py",
        "/static/..%5Cserver.py",
        "/static//etc/passwd",
        "/static/",
        "/static/.hidden.css",
        "/static/nothing.css",
        "/static/%00dashboard.css",
    ):
        status, _, body = await _answer(dashboard, _request("GET", target))
        assert status == 404, target
        assert str(body).startswith("{'error': 'no such static file: ")


def test_static_file_refuses_paths_outside_its_directory(tmp_path: Path) -> None:
    (tmp_path / "inside").mkdir()
    (tmp_path / "secret.css").write_text("x")
    with pytest.raises(HttpError) as refused:
        static_file("../secret.css", tmp_path / "inside")
    assert (refused.value.status, refused.value.message) == (404, "no such static file: ../secret.css")
