"""The embedded authorization server in process: metadata shapes, PKCE, redirect URI matching,
/authorize and /token answers for each grant and each refusal, dynamic registration."""

from __future__ import annotations

import base64
from dataclasses import replace
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson
import pytest

from mcpctl.mock.http_wire import HttpRequest
from mcpctl.mock.oauth.clients import redirect_allowed
from mcpctl.mock.oauth.replies import Reply, encode
from mcpctl.mock.oauth.server import AuthorizationServer
from mcpctl.mock.oauth.token_endpoint import s256
from mcpctl.spec.mock_model import Misbehaviour, MockOAuth, OAuthClient
from mcpctl.spec.model import Source

AT = Source(path="mock.yaml", line=1, column=1)
ORIGIN = "http://127.0.0.1:8765"
RESOURCE = f"{ORIGIN}/mcp"
CALLBACK = "http://127.0.0.1:40000/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B
OAUTH = MockOAuth(
    scopes=("mcp:read", "mcp:write"),
    clients=(
        OAuthClient(
            client_id="app",
            redirect_uris=("http://127.0.0.1/callback",),
            grants=("authorization_code", "refresh_token"),
            source=AT,
        ),
        OAuthClient(
            client_id="ci",
            client_secret="s3cret",
            grants=("client_credentials",),
            auth_method="client_secret_basic",
            source=AT,
        ),
        OAuthClient(
            client_id="poster",
            client_secret="p0st",
            grants=("client_credentials",),
            auth_method="client_secret_post",
            source=AT,
        ),
    ),
    source=AT,
)


def served(*misbehave: Misbehaviour, **changes: object) -> AuthorizationServer:
    server = AuthorizationServer(replace(OAUTH, misbehave=misbehave, **changes))  # type: ignore[arg-type]
    server.bind(ORIGIN, "/mcp")
    return server


def query(**params: str) -> bytes:
    base = {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": CALLBACK,
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
        "state": "xyz",
        "resource": RESOURCE,
    }
    return urlencode({k: v for k, v in (base | params).items() if v}).encode()


def location(reply: Reply) -> dict[str, str]:
    assert reply.status == 302, reply.body
    where = dict(reply.headers)["location"]
    assert where.startswith(CALLBACK + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(where).query).items()}


def form(headers: dict[bytes, bytes] | None = None, **params: str) -> HttpRequest:
    head = {b"content-type": b"application/x-www-form-urlencoded", **(headers or {})}
    return HttpRequest(b"POST", b"/token", head, urlencode(params).encode(), True, True)


def body(reply: Reply) -> dict[str, object]:
    value = orjson.loads(reply.body)
    assert isinstance(value, dict)
    return value


def basic(client_id: str, secret: str) -> dict[bytes, bytes]:
    return {b"authorization": b"Basic " + base64.b64encode(f"{client_id}:{secret}".encode())}


def test_pkce_s256_matches_rfc_7636_appendix_b() -> None:
    assert s256(VERIFIER) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_metadata_documents() -> None:
    server = served()
    assert server.resource_metadata() == {
        "resource": RESOURCE,
        "authorization_servers": [ORIGIN],
        "scopes_supported": ["mcp:read", "mcp:write"],
        "bearer_methods_supported": ["header"],
    }
    assert server.server_metadata() == {
        "issuer": ORIGIN,
        "authorization_endpoint": f"{ORIGIN}/authorize",
        "token_endpoint": f"{ORIGIN}/token",
        "registration_endpoint": f"{ORIGIN}/register",
        "jwks_uri": f"{ORIGIN}/jwks",
        "scopes_supported": ["mcp:read", "mcp:write"],
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": [
            "none",
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256"],
        "code_challenge_methods_supported": ["S256"],
        "client_id_metadata_document_supported": True,
        "authorization_response_iss_parameter_supported": True,
    }
    assert server.site.resource_metadata == f"{ORIGIN}/.well-known/oauth-protected-resource/mcp"
    bare = served("skip_pkce", registration=False, client_id_metadata_documents=False).server_metadata()
    assert "code_challenge_methods_supported" not in bare
    assert "registration_endpoint" not in bare
    assert bare["client_id_metadata_document_supported"] is False


@pytest.mark.parametrize(
    ("uri", "allowed"),
    [
        ("http://127.0.0.1/callback", True),
        ("http://127.0.0.1:5555/callback", True),
        ("http://127.0.0.1:5555/other", False),
        ("http://localhost:5555/callback", False),
        ("https://127.0.0.1:5555/callback", False),
        ("http://127.0.0.1:5555/callback?x=1", False),
    ],
)
def test_loopback_redirect_uris_match_on_any_port(uri: str, allowed: bool) -> None:
    assert redirect_allowed(("http://127.0.0.1/callback",), uri) is allowed
    assert redirect_allowed(("https://app.example/cb",), "https://app.example:444/cb") is False


async def test_the_code_flow_with_pkce_then_a_rotating_refresh() -> None:
    server = served()
    redirect = location(await server.authorize(query(scope="mcp:read")))
    assert (redirect["state"], redirect["iss"]) == ("xyz", ORIGIN)
    exchange = dict(client_id="app", redirect_uri=CALLBACK, code_verifier=VERIFIER, resource=RESOURCE)
    reply = await server.token_endpoint.handle(
        form(grant_type="authorization_code", code=redirect["code"], **exchange)
    )
    issued = body(reply)
    assert (reply.status, issued["token_type"], issued["expires_in"], issued["scope"]) == (
        200,
        "Bearer",
        3600,
        "mcp:read",
    )
    assert ("cache-control", "no-store") in reply.headers
    again = await server.token_endpoint.handle(
        form(grant_type="authorization_code", code=redirect["code"], **exchange)
    )
    assert body(again) == {
        "error": "invalid_grant",
        "error_description": "unknown, expired or already used authorization code",
    }
    old = str(issued["refresh_token"])
    refreshed = await server.token_endpoint.handle(
        form(grant_type="refresh_token", refresh_token=old, client_id="app")
    )
    assert refreshed.status == 200
    assert body(refreshed)["refresh_token"] != old
    reused = await server.token_endpoint.handle(
        form(grant_type="refresh_token", refresh_token=old, client_id="app")
    )
    assert (
        body(reused)["error_description"] == "unknown or already used refresh token (refresh tokens rotate)"
    )
    assert server.stats.as_json() == {
        "authorizations": 1,
        "tokensIssued": 2,
        "refreshes": 1,
        "registrations": 0,
        "metadataDocuments": 0,
        "refused": 0,
    }


@pytest.mark.parametrize(
    ("params", "error", "description"),
    [
        ({"response_type": "token"}, "unsupported_response_type", "response_type must be code"),
        ({"code_challenge": ""}, "invalid_request", "code_challenge is required (PKCE with S256)"),
        ({"code_challenge_method": "plain"}, "invalid_request", "code_challenge_method must be S256"),
        ({"resource": ""}, "invalid_target", f"the resource parameter is required (RFC 8707): {RESOURCE}"),
        (
            {"resource": "http://127.0.0.1:8765/other"},
            "invalid_target",
            f"unknown resource http://127.0.0.1:8765/other (this server protects {RESOURCE})",
        ),
        ({"scope": "mcp:read mcp:admin"}, "invalid_scope", "scopes not offered: mcp:admin"),
    ],
)
async def test_authorize_refusals_go_back_by_redirect_with_the_state(
    params: dict[str, str], error: str, description: str
) -> None:
    assert location(await served().authorize(query(**params))) == {
        "error": error,
        "error_description": description,
        "state": "xyz",
        "iss": ORIGIN,
    }


async def test_authorize_answers_400_when_it_cannot_redirect_safely() -> None:
    unknown = await served().authorize(query(client_id="nobody"))
    assert (unknown.status, body(unknown)["error_description"]) == (400, "unknown client_id 'nobody'")
    elsewhere = await served().authorize(query(redirect_uri="https://evil.example/cb"))
    assert body(elsewhere)["error_description"] == (
        "redirect_uri 'https://evil.example/cb' is not registered for this client"
    )
    twice = await served().authorize(query() + b"&scope=a&scope=b")
    assert body(twice) == {
        "error": "invalid_request",
        "error_description": "parameters given more than once: scope",
    }


async def test_deny_and_skip_pkce() -> None:
    assert location(await served(approve="deny").authorize(query()))["error"] == "access_denied"
    lax = served("skip_pkce")
    redirect = location(await lax.authorize(query(code_challenge="", code_challenge_method="")))
    reply = await lax.token_endpoint.handle(
        form(grant_type="authorization_code", code=redirect["code"], client_id="app", redirect_uri=CALLBACK)
    )
    assert reply.status == 200


async def test_the_code_exchange_checks_the_verifier_and_the_redirect_uri() -> None:
    server = served()
    for change, description in [
        ({"code_verifier": "x" * 43}, "code_verifier does not match the code_challenge (PKCE S256)"),
        ({"code_verifier": "short"}, "code_verifier must be 43 to 128 characters [A-Za-z0-9-._~] (PKCE)"),
        (
            {"redirect_uri": "http://127.0.0.1:1/callback"},
            "redirect_uri is not the one of the authorization request",
        ),
    ]:
        code = location(await server.authorize(query()))["code"]
        params = dict(client_id="app", redirect_uri=CALLBACK, code_verifier=VERIFIER, code=code) | change
        assert body(await server.token_endpoint.handle(form(grant_type="authorization_code", **params))) == {
            "error": "invalid_grant",
            "error_description": description,
        }


async def test_client_credentials_and_client_authentication() -> None:
    server = served()
    handle = server.token_endpoint.handle
    cc = dict(grant_type="client_credentials", resource=RESOURCE)
    ok = await handle(form(basic("ci", "s3cret"), **cc, scope="mcp:write"))
    assert (ok.status, body(ok)["scope"], "refresh_token" in body(ok)) == (200, "mcp:write", False)
    assert (
        body(await handle(form(**cc, client_id="poster", client_secret="p0st")))["scope"]
        == "mcp:read mcp:write"
    )
    wrong = await handle(form(basic("ci", "nope"), **cc))
    assert (wrong.status, body(wrong)["error"]) == (401, "invalid_client")
    assert ("www-authenticate", 'Basic realm="mcpctl-mock"') in wrong.headers
    posted_as_basic = await handle(form(basic("poster", "p0st"), **cc))
    assert body(posted_as_basic)["error_description"] == (
        "client 'poster' must authenticate with client_secret_post, not client_secret_basic"
    )
    public = await handle(form(**cc, client_id="app"))
    assert body(public) == {
        "error": "unauthorized_client",
        "error_description": "client 'app' may not use client_credentials",
    }
    assert (
        body(await handle(form(basic("ci", "s3cret"), grant_type="password")))["error"]
        == "unsupported_grant_type"
    )
    no_resource = await handle(form(basic("ci", "s3cret"), grant_type="client_credentials"))
    assert body(no_resource)["error"] == "invalid_target"
    json_body = HttpRequest(b"POST", b"/token", {b"content-type": b"application/json"}, b"{}", True, True)
    assert body(await handle(json_body))["error"] == "invalid_request"


def test_dynamic_registration() -> None:
    server = served()
    reply = server.clients.register(orjson.dumps({"client_name": "t", "redirect_uris": [CALLBACK]}))
    registered = body(reply)
    assert reply.status == 201
    assert registered["token_endpoint_auth_method"] == "client_secret_basic"  # RFC 7591 §2 default
    assert isinstance(registered["client_secret"], str)
    assert registered["client_secret_expires_at"] == 0
    public = body(
        server.clients.register(
            orjson.dumps(
                {
                    "redirect_uris": [CALLBACK],
                    "grant_types": ["authorization_code", "refresh_token"],
                    "token_endpoint_auth_method": "none",
                }
            )
        )
    )
    assert "client_secret" not in public
    assert server.stats.registrations == 2
    for bad, error in [
        ({"redirect_uris": []}, "authorization_code needs redirect_uris"),
        ({"redirect_uris": ["x"]}, "redirect_uris must be absolute URIs"),
        (
            {"redirect_uris": [CALLBACK], "grant_types": ["password"]},
            "grant_types must be among authorization_code, refresh_token, client_credentials",
        ),
        (
            {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"},
            "client_credentials needs a confidential client (not auth method none)",
        ),
    ]:
        assert body(server.clients.register(orjson.dumps(bad)))["error_description"] == error
    assert body(server.clients.register(b"[]"))["error"] == "invalid_client_metadata"


def test_replies_are_framed_with_their_status_line() -> None:
    data = encode(Reply(status=302, headers=(("location", "/x"),)), keep_alive=False)
    assert data.startswith(b"HTTP/1.1 302 Found\r\ndate: ")
    assert data.endswith(b"location: /x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
