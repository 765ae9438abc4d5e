"""The resource guard of a mock that requires auth: each refusal's status, challenge and body."""

from __future__ import annotations

import time
from dataclasses import replace

import orjson
import pytest

from mcpctl.mcp.auth.challenge import parse_challenge
from mcpctl.mock.http_wire import HttpRequest
from mcpctl.mock.oauth.guard import ResourceGuard, challenge
from mcpctl.mock.oauth.tokens import SigningKey, TokenMinter
from mcpctl.spec.mock_model import Misbehaviour, MockOAuth
from mcpctl.spec.model import Source

ISSUER = "http://127.0.0.1:8765"
RESOURCE = f"{ISSUER}/mcp"
PRM = f"{ISSUER}/.well-known/oauth-protected-resource/mcp"
KEY = SigningKey()
MINTER = TokenMinter(issuer=ISSUER, key=KEY, lifetime=3600.0)
OAUTH = MockOAuth(
    scopes=("mcp:read", "mcp:write"),
    required_scopes=("mcp:read",),
    tool_scopes={"create_issue": ("mcp:write",)},
    source=Source(path="mock.yaml", line=1, column=1),
)
CALL = orjson.dumps(
    {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "create_issue", "arguments": {}}}
)


def guard(*misbehave: Misbehaviour) -> ResourceGuard:
    hidden = "no_resource_metadata" in misbehave
    return ResourceGuard(
        oauth=replace(OAUTH, misbehave=misbehave),
        key=KEY,
        issuer=ISSUER,
        resource=RESOURCE,
        resource_metadata="" if hidden else PRM,
    )


def request(token: str | None = None, body: bytes = b"{}", method: bytes = b"POST") -> HttpRequest:
    headers = {b"authorization": f"Bearer {token}".encode()} if token else {}
    return HttpRequest(method, b"/mcp", headers, body, True, True)


def token(scope: tuple[str, ...] = ("mcp:read",), **overrides: object) -> str:
    options: dict[str, object] = {"subject": "u", "client_id": "c", "scope": scope, "resource": RESOURCE}
    return MINTER.issue(**(options | overrides))  # type: ignore[arg-type]


def refusal(g: ResourceGuard, req: HttpRequest, query: bytes = b"") -> tuple[int, str, dict[str, str]]:
    reply = g.check(req, query)
    assert reply is not None
    headers = dict(reply.headers)
    return reply.status, headers["www-authenticate"], orjson.loads(reply.body)


def test_the_challenge_follows_the_spec_examples_and_mcpctls_parser_reads_it() -> None:
    assert challenge(resource_metadata=PRM, scope=["mcp:read"]) == (
        f'Bearer resource_metadata="{PRM}", scope="mcp:read"'
    )
    step_up = challenge(
        error="insufficient_scope", scope=["a", "b"], resource_metadata=PRM, description="more needed"
    )
    assert (
        step_up
        == f'Bearer error="insufficient_scope", scope="a b", resource_metadata="{PRM}", error_description="more needed"'
    )
    parsed = parse_challenge(step_up)
    assert (parsed.error, parsed.scope, parsed.resource_metadata) == ("insufficient_scope", ("a", "b"), PRM)


def test_no_token_is_a_401_without_error_details() -> None:
    assert refusal(guard(), request()) == (
        401,
        f'Bearer resource_metadata="{PRM}", scope="mcp:read"',
        {"error_description": "this MCP endpoint needs an access token (Authorization: Bearer)"},
    )
    basic = HttpRequest(b"POST", b"/mcp", {b"authorization": b"Basic eDp5"}, b"{}", True, True)
    assert refusal(guard(), basic)[0] == 401
    assert refusal(guard("no_resource_metadata"), request())[1] == 'Bearer scope="mcp:read"'


def test_a_bad_token_is_a_401_invalid_token() -> None:
    status, www, body = refusal(guard(), request(token(now=time.time() - 7200)))
    assert (status, body) == (
        401,
        {"error": "invalid_token", "error_description": "the access token expired"},
    )
    assert www == (
        f'Bearer error="invalid_token", scope="mcp:read", resource_metadata="{PRM}", '
        'error_description="the access token expired"'
    )


def test_too_few_scopes_is_a_403_naming_every_scope_the_request_needs() -> None:
    assert refusal(guard(), request(token(scope=()))) == (
        403,
        f'Bearer error="insufficient_scope", scope="mcp:read", resource_metadata="{PRM}", '
        'error_description="this request needs the scopes mcp:read"',
        {"error": "insufficient_scope", "error_description": "this request needs the scopes mcp:read"},
    )
    status, www, _ = refusal(guard(), request(token(), body=CALL))
    assert status == 403
    assert parse_challenge(www).scope == ("mcp:read", "mcp:write")
    batch = b"[" + CALL + b"]"
    assert refusal(guard(), request(token(), body=batch))[0] == 403
    assert guard().check(request(token(("mcp:read", "mcp:write")), body=CALL), b"") is None
    assert (
        guard().check(request(token(), body=b"{broken"), b"") is None
    )  # the endpoint answers the parse error


def test_a_token_in_the_query_string_is_refused_unless_misbehaving() -> None:
    query = f"access_token={token()}".encode()
    status, www, body = refusal(guard(), request(), query)
    assert (status, body["error"]) == (401, "invalid_request")
    assert www.startswith('Bearer error="invalid_request", scope="mcp:read"')
    assert guard("token_in_query").check(request(), query) is None


@pytest.mark.parametrize(
    ("mode", "bad"),
    [
        ("accept_expired", {"now": time.time() - 7200}),
        ("accept_wrong_audience", {"resource": f"{ISSUER}/elsewhere"}),
        ("accept_insufficient_scope", {"scope": ()}),
    ],
)
def test_each_misbehave_mode_lets_its_bad_token_through(mode: Misbehaviour, bad: dict[str, object]) -> None:
    req = request(token(**bad))
    assert guard().check(req, b"") is not None
    assert guard(mode).check(req, b"") is None


def test_any_issuer_lets_a_foreign_token_through() -> None:
    foreign = TokenMinter(issuer="https://other.example", key=SigningKey(), lifetime=60)
    req = request(foreign.issue(subject="u", client_id="c", scope=["mcp:read"], resource=RESOURCE))
    assert refusal(guard(), req)[2]["error_description"] == (
        f"the access token was issued by another authorization server (https://other.example, not {ISSUER})"
    )
    assert guard("accept_any_issuer").check(req, b"") is None
