"""The route table: patterns with {name} segments, 404 and 405, HEAD as GET, JSON bodies."""

from __future__ import annotations

import pytest

from mcpctl.errors import UsageError
from mcpctl.web.routing import HttpError, Request, Response, Route, find, json_response, usage_error


async def _ok(_: Request) -> Response:
    return json_response({"ok": True})


ROUTES = [
    Route(method="GET", pattern="/", handler=_ok),
    Route(method="GET", pattern="/servers/{name}", handler=_ok),
    Route(method="POST", pattern="/api/v1/plans/{name}/apply", handler=_ok, changes=True),
    Route(method="GET", pattern="/api/v1/plans/{name}", handler=_ok),
]


def test_a_pattern_matches_whole_segments_and_decodes_them() -> None:
    route, params = find(ROUTES, "GET", "/servers/a%20b")
    assert (route.pattern, params) == ("/servers/{name}", {"name": "a b"})
    assert ROUTES[1].match("/servers/a/b") is None
    assert ROUTES[1].match("/servers/") is None
    assert ROUTES[0].match("/x") is None


def test_the_method_picks_among_routes_of_one_path() -> None:
    route, params = find(ROUTES, "POST", "/api/v1/plans/deploy/apply")
    assert (route.changes, params) == (True, {"name": "deploy"})
    route, _ = find(ROUTES, "HEAD", "/servers/x")
    assert route.method == "GET"


def test_unknown_paths_are_404_and_wrong_methods_405() -> None:
    with pytest.raises(HttpError) as missing:
        find(ROUTES, "GET", "/nowhere")
    assert (missing.value.status, missing.value.message) == (404, "no such page or endpoint: /nowhere")
    with pytest.raises(HttpError) as wrong:
        find(ROUTES, "DELETE", "/api/v1/plans/x/apply")
    assert (wrong.value.status, wrong.value.message) == (405, "DELETE /api/v1/plans/x/apply: use POST")


def test_request_bodies_must_be_json_objects() -> None:
    assert Request(method="POST", path="/", body=b"  ").json() == {}
    assert Request(method="POST", path="/", body=b'{"a": 1}').json() == {"a": 1}
    with pytest.raises(HttpError) as listed:
        Request(method="POST", path="/", body=b"[1]").json()
    assert (listed.value.status, listed.value.message) == (400, "the request body must be a JSON object")
    with pytest.raises(HttpError) as broken:
        Request(method="POST", path="/", body=b"{").json()
    assert broken.value.message.startswith("the request body is not JSON: ")


def test_a_usage_error_is_a_400() -> None:
    error = usage_error(UsageError("no plan named x"))
    assert (error.status, error.message) == (400, "no plan named x")
