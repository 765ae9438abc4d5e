"""A mock that requires auth, served over HTTP on 127.0.0.1 in this test's trio run, against
mcpctl's own OAuth client end to end (authorization code + PKCE with dynamic registration, a
pre-registered client, client ID metadata documents, client credentials, step-up, refresh), and
the 401/403 answers a resource server owes, with each misbehave mode letting its bad token in."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import orjson
import pytest
import trio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from mcpctl.engine.targets import target_for
from mcpctl.errors import AuthError
from mcpctl.mcp.auth import ClientCredentials, ClientMetadata, HeadlessAuthorizer, OAuthConfig, OAuthProvider
from mcpctl.mcp.auth.authorizer import Redirect
from mcpctl.mcp.client import HttpTarget, open_client
from mcpctl.mock.app import ServedMock
from mcpctl.mock.http import serve_http
from mcpctl.mock.oauth import AuthorizationServer, SigningKey, TokenMinter
from mcpctl.spec.build import load_specs
from mcpctl.spec.model import ClientCredentialsAuth, HttpServer, Source
from tests.integration.conftest import free_port, start_server

SIGNER = ec.generate_private_key(ec.SECP256R1())
SIGNER_PEM = SIGNER.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
SIGNER_JWKS = orjson.dumps({"keys": [ECAlgorithm.to_jwk(SIGNER.public_key(), as_dict=True)]}).decode()
MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: issues}
tools:
  - {name: list_issues, default: "#1 login fails"}
  - {name: create_issue, default: "created"}
auth:
  oauth:
    scopes: [mcp:read, mcp:write]
    requiredScopes: [mcp:read]
    toolScopes: {create_issue: [mcp:write]}
    clients:
      - {clientId: ci, clientSecret: "${env:CI_SECRET}", grants: [client_credentials]}
      - {clientId: poster, clientSecret: p0st, authMethod: client_secret_post, grants: [client_credentials]}
      - {clientId: app, redirectUris: ["http://127.0.0.1/callback"], grants: [authorization_code, refresh_token]}
      - {clientId: signer, grants: [client_credentials], jwks: SIGNER_JWKS}
""".replace("SIGNER_JWKS", SIGNER_JWKS)
INIT = orjson.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
)
CALL = orjson.dumps(
    {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "create_issue", "arguments": {}}}
)
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


@dataclass
class Served:
    auth: AuthorizationServer
    url: str

    @property
    def origin(self) -> str:
        return self.url.removesuffix("/mcp")

    @property
    def prm(self) -> str:
        return f"{self.origin}/.well-known/oauth-protected-resource/mcp"

    def token(self, scope: tuple[str, ...] = ("mcp:read",), **overrides: object) -> str:
        options: dict[str, object] = {"subject": "u", "client_id": "c", "scope": scope, "resource": self.url}
        return self.auth.minter.issue(**(options | overrides))  # type: ignore[arg-type]

    async def stats(self) -> dict[str, int]:
        async with httpx.AsyncClient() as http:
            return (await http.get(f"{self.origin}/mcpctl/oauth/stats")).json()


async def serve(
    nursery: trio.Nursery, tmp_path: Path, extra: str = "", *, legacy_sse: bool = False
) -> Served:
    path = tmp_path / "mock.yaml"
    path.write_text(MOCK + extra, encoding="utf-8")
    [spec] = load_specs([str(path)], environ={"CI_SECRET": "ci-s3cret"}).mocks
    assert spec.auth is not None
    auth = AuthorizationServer(spec.auth.oauth)
    url = await nursery.start(partial(serve_http, ServedMock(spec), auth=auth, legacy_sse=legacy_sse))
    return Served(auth=auth, url=url)


async def post(url: str, token: str | None = None, body: bytes = INIT, query: str = "") -> httpx.Response:
    headers = MCP_HEADERS | ({"authorization": f"Bearer {token}"} if token else {})
    async with httpx.AsyncClient() as http:
        return await http.post(url + query, content=body, headers=headers)


def code_flow(url: str, **config: object) -> OAuthProvider:
    return OAuthProvider(url, OAuthConfig(authorizer=HeadlessAuthorizer(), **config))  # type: ignore[arg-type]


async def tool_text(provider: OAuthProvider, url: str, tool: str = "list_issues") -> str:
    async with open_client(HttpTarget(url=url, auth=provider)) as client:
        return (await client.call_tool(tool, {})).text


# -- mcpctl's own client, end to end ----------------------------------------------------------------


async def test_authorization_code_with_pkce_after_dynamic_registration(
    nursery: trio.Nursery, tmp_path: Path
) -> None:
    served = await serve(nursery, tmp_path)
    assert await tool_text(code_flow(served.url), served.url) == "#1 login fails"
    assert await served.stats() == {
        "authorizations": 1,
        "tokensIssued": 1,
        "refreshes": 0,
        "registrations": 1,
        "metadataDocuments": 0,
        "refused": 1,
    }


async def test_step_up_on_insufficient_scope(nursery: trio.Nursery, tmp_path: Path) -> None:
    served = await serve(nursery, tmp_path)
    provider = code_flow(served.url)
    assert await tool_text(provider, served.url, "create_issue") == "created"
    token = provider.store.get(served.url)
    assert token is not None
    assert token.scope == ("mcp:read", "mcp:write")
    stats = await served.stats()
    assert (stats["authorizations"], stats["refused"]) == (2, 2)  # the 401, then the 403 of the call


async def test_a_preregistered_public_client_redirects_to_any_loopback_port(
    nursery: trio.Nursery, tmp_path: Path
) -> None:
    served = await serve(nursery, tmp_path)
    provider = OAuthProvider(
        served.url,
        OAuthConfig(
            authorizer=HeadlessAuthorizer(redirect_uri="http://127.0.0.1:5555/callback"),
            client=ClientCredentials(client_id="app"),
        ),
    )
    assert await tool_text(provider, served.url) == "#1 login fails"
    assert (await served.stats())["registrations"] == 0


@pytest.mark.parametrize(
    "client",
    [
        ClientCredentials(client_id="poster", client_secret="p0st", auth_method="client_secret_post"),
        ClientCredentials(client_id="signer", private_key_pem=SIGNER_PEM),
    ],
    ids=["client_secret_post", "private_key_jwt"],
)
async def test_client_credentials_with_each_client_authentication(
    nursery: trio.Nursery, tmp_path: Path, client: ClientCredentials
) -> None:
    served = await serve(nursery, tmp_path)
    provider = OAuthProvider(served.url, OAuthConfig(grant="client_credentials", client=client))
    assert await tool_text(provider, served.url, "create_issue") == "created"  # step-up included


async def test_client_credentials_as_a_servers_spec_wires_them(nursery: trio.Nursery, tmp_path: Path) -> None:
    served = await serve(nursery, tmp_path)
    server = HttpServer(
        name="issues",
        url=served.url,
        auth=ClientCredentialsAuth(client_id="ci", client_secret="ci-s3cret"),
        source=Source(path="servers.yaml", line=1, column=1),
    )
    async with open_client(target_for(server)) as client:
        assert (await client.call_tool("list_issues", {})).text == "#1 login fails"
    wrong = HttpServer(
        name="issues",
        url=served.url,
        auth=ClientCredentialsAuth(client_id="ci", client_secret="nope"),
        source=Source(path="servers.yaml", line=1, column=1),
    )
    with pytest.raises(AuthError, match="HTTP 401 invalid_client: wrong client_secret for client 'ci'"):
        async with open_client(target_for(wrong)):
            pass


@dataclass
class Documents:
    """A tiny HTTP server of client ID metadata documents: path → JSON."""

    docs: dict[str, dict[str, object]] = field(default_factory=dict)
    base: str = ""

    async def handle(self, stream: trio.SocketStream) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = await stream.receive_some(4096)
            if not chunk:
                return
            data += chunk
        path = data.split(b" ", 2)[1].decode()
        found = self.docs.get(path)
        body = orjson.dumps(found) if found is not None else b""
        status = b"200 OK" if found is not None else b"404 Not Found"
        head = b"HTTP/1.1 %b\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
        await stream.send_all(head % (status, len(body)) + body)
        await stream.aclose()


async def test_client_id_metadata_documents(nursery: trio.Nursery, tmp_path: Path) -> None:
    served = await serve(nursery, tmp_path, "    registration: false\n")
    documents = Documents()
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    documents.base = f"http://127.0.0.1:{listeners[0].socket.getsockname()[1]}"
    nursery.start_soon(trio.serve_listeners, documents.handle, listeners)
    good, liar = f"{documents.base}/mcpctl.json", f"{documents.base}/liar.json"
    shape = {
        "client_name": "mcpctl tests",
        "redirect_uris": [HeadlessAuthorizer().redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "none",
    }
    documents.docs = {
        "/mcpctl.json": {"client_id": good, **shape},
        "/liar.json": {"client_id": good, **shape},
    }
    provider = code_flow(served.url, metadata=ClientMetadata(metadata_url=good))
    assert await tool_text(provider, served.url) == "#1 login fails"
    stats = await served.stats()
    assert (stats["metadataDocuments"], stats["registrations"]) == (1, 0)
    with pytest.raises(AuthError, match="expected a redirect with the code, got HTTP 400"):
        await tool_text(code_flow(served.url, metadata=ClientMetadata(metadata_url=liar)), served.url)


async def test_refresh_after_expiry_rotates_the_refresh_token(nursery: trio.Nursery, tmp_path: Path) -> None:
    served = await serve(nursery, tmp_path, "    tokenLifetime: 2s\n")
    provider = code_flow(served.url)
    assert await tool_text(provider, served.url) == "#1 login fails"
    first = provider.store.get(served.url)
    assert first is not None
    assert first.refresh_token is not None
    await trio.sleep(2.2)  # the token's exp is wall-clock seconds
    stale = await post(served.url, first.access_token)
    assert stale.status_code == 401
    assert 'error_description="the access token expired"' in stale.headers["www-authenticate"]
    assert await tool_text(provider, served.url) == "#1 login fails"
    assert (await served.stats())["refreshes"] >= 1
    client_id = jwt.decode(first.access_token, options={"verify_signature": False})["client_id"]
    async with httpx.AsyncClient() as http:
        reused = await http.post(
            f"{served.origin}/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": first.refresh_token,
                "client_id": client_id,
            },
        )
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")


@dataclass(frozen=True)
class TamperingAuthorizer:
    """Returns the redirect with a forged ``state``, as a CSRF attempt would."""

    inner: HeadlessAuthorizer = field(default_factory=HeadlessAuthorizer)

    @property
    def redirect_uri(self) -> str:
        return self.inner.redirect_uri

    async def authorize(self, url: str) -> Redirect:
        redirect = await self.inner.authorize(url)
        return Redirect(code=redirect.code, state=redirect.state + "-forged")


async def test_a_tampered_state_is_refused_by_the_client(nursery: trio.Nursery, tmp_path: Path) -> None:
    served = await serve(nursery, tmp_path)
    provider = OAuthProvider(served.url, OAuthConfig(authorizer=TamperingAuthorizer()))
    with pytest.raises(AuthError, match=r"state does not match the request \(possible CSRF\)"):
        await tool_text(provider, served.url)
    assert (await served.stats())["tokensIssued"] == 0


async def test_a_denying_mock_is_reported_by_the_client(nursery: trio.Nursery, tmp_path: Path) -> None:
    served = await serve(nursery, tmp_path, "    approve: deny\n")
    with pytest.raises(AuthError, match="the authorization server refused: access_denied: the mock denies"):
        await tool_text(code_flow(served.url), served.url)


# -- what the resource server answers ---------------------------------------------------------------


def www(error: str, description: str, prm: str, scope: str = "mcp:read") -> str:
    return f'Bearer error="{error}", scope="{scope}", resource_metadata="{prm}", error_description="{description}"'


OTHER = TokenMinter(issuer="https://other.example", key=SigningKey(), lifetime=3600)
BAD_TOKENS = {
    "expired": lambda s: s.token(now=time.time() - 7200),
    "wrong_audience": lambda s: s.token(resource=s.origin + "/elsewhere"),
    "other_issuer": lambda s: OTHER.issue(subject="u", client_id="c", scope=["mcp:read"], resource=s.url),
    "too_few_scopes": lambda s: s.token(scope=()),
}


@pytest.mark.parametrize(
    ("case", "status", "challenge"),
    [
        ("no_token", 401, lambda s: f'Bearer resource_metadata="{s.prm}", scope="mcp:read"'),
        ("expired", 401, lambda s: www("invalid_token", "the access token expired", s.prm)),
        (
            "wrong_audience",
            401,
            lambda s: www(
                "invalid_token", f"the access token is for another resource (aud is not {s.url})", s.prm
            ),
        ),
        (
            "other_issuer",
            401,
            lambda s: www(
                "invalid_token",
                f"the access token was issued by another authorization server (https://other.example, not {s.origin})",
                s.prm,
            ),
        ),
        (
            "too_few_scopes",
            403,
            lambda s: www("insufficient_scope", "this request needs the scopes mcp:read", s.prm),
        ),
        (
            "tool_scope",
            403,
            lambda s: www(
                "insufficient_scope",
                "this request needs the scopes mcp:write",
                s.prm,
                scope="mcp:read mcp:write",
            ),
        ),
        (
            "token_in_query",
            401,
            lambda s: www(
                "invalid_request",
                "access tokens in the query string are refused: send Authorization: Bearer",
                s.prm,
            ),
        ),
    ],
)
async def test_refusals_carry_a_spec_shaped_challenge(
    nursery: trio.Nursery, tmp_path: Path, case: str, status: int, challenge: object
) -> None:
    served = await serve(nursery, tmp_path)
    if case == "no_token":
        answer = await post(served.url)
    elif case == "tool_scope":
        answer = await post(served.url, served.token(), body=CALL)
    elif case == "token_in_query":
        answer = await post(served.url, query=f"?access_token={served.token()}")
    else:
        answer = await post(served.url, BAD_TOKENS[case](served))
    assert (answer.status_code, answer.headers["www-authenticate"]) == (status, challenge(served))  # type: ignore[operator]
    assert (await post(served.url, served.token())).status_code == 200


@pytest.mark.parametrize(
    ("mode", "case"),
    [
        ("accept_expired", "expired"),
        ("accept_wrong_audience", "wrong_audience"),
        ("accept_any_issuer", "other_issuer"),
        ("accept_insufficient_scope", "too_few_scopes"),
        ("token_in_query", "token_in_query"),
    ],
)
async def test_each_misbehave_mode_lets_its_bad_token_through(
    nursery: trio.Nursery, tmp_path: Path, mode: str, case: str
) -> None:
    served = await serve(nursery, tmp_path, f"    misbehave: [{mode}]\n")
    if case == "token_in_query":
        answer = await post(served.url, query=f"?access_token={served.token()}")
    else:
        answer = await post(served.url, BAD_TOKENS[case](served))
    assert answer.status_code == 200, answer.text
    if case != "other_issuer":
        assert (await post(served.url, BAD_TOKENS["other_issuer"](served))).status_code == 401


async def test_skip_pkce_issues_tokens_without_a_verifier(nursery: trio.Nursery, tmp_path: Path) -> None:
    served = await serve(nursery, tmp_path, "    misbehave: [skip_pkce]\n")
    callback = "http://127.0.0.1:7000/callback"
    params = {"response_type": "code", "client_id": "app", "redirect_uri": callback, "resource": served.url}
    async with httpx.AsyncClient() as http:
        metadata = (await http.get(f"{served.origin}/.well-known/oauth-authorization-server")).json()
        redirect = await http.get(f"{served.origin}/authorize?{urlencode(params)}")
        code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
        token = await http.post(
            f"{served.origin}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": "app",
                "redirect_uri": callback,
            },
        )
    assert "code_challenge_methods_supported" not in metadata
    assert (redirect.status_code, token.status_code) == (302, 200)


async def test_the_client_refuses_an_authorization_server_without_pkce(
    nursery: trio.Nursery, tmp_path: Path
) -> None:
    served = await serve(nursery, tmp_path, "    misbehave: [skip_pkce]\n")
    with pytest.raises(AuthError):
        await tool_text(code_flow(served.url), served.url)


async def test_no_resource_metadata_falls_back_to_the_origin(nursery: trio.Nursery, tmp_path: Path) -> None:
    served = await serve(nursery, tmp_path, "    misbehave: [no_resource_metadata]\n")
    async with httpx.AsyncClient() as http:
        assert (await http.get(served.prm)).status_code == 404
    assert (await post(served.url)).headers["www-authenticate"] == 'Bearer scope="mcp:read"'
    assert await tool_text(code_flow(served.url), served.url) == "#1 login fails"  # 2025-03-26 fallback


async def test_the_endpoints_over_http(nursery: trio.Nursery, tmp_path: Path) -> None:
    served = await serve(nursery, tmp_path, legacy_sse=True)
    async with httpx.AsyncClient() as http:
        legacy = await http.get(f"{served.origin}/sse")
        assert (legacy.status_code, legacy.headers["www-authenticate"]) == (
            401,
            f'Bearer resource_metadata="{served.prm}", scope="mcp:read"',
        )
        root = (await http.get(f"{served.origin}/.well-known/oauth-protected-resource")).json()
        path = (await http.get(served.prm)).json()
        jwks = (await http.get(f"{served.origin}/jwks")).json()
        wrong_method = await http.get(f"{served.origin}/token")
        unknown = await http.get(f"{served.origin}/.well-known/openid-configuration")
    assert root == path == served.auth.resource_metadata()
    [key] = jwt.PyJWKSet.from_dict(jwks).keys
    claims = jwt.decode(served.token(), key, algorithms=["ES256"], audience=served.url, issuer=served.origin)
    assert claims["scope"] == "mcp:read"
    assert (wrong_method.status_code, wrong_method.headers["allow"]) == (405, "POST")
    assert unknown.status_code == 404


def test_mcpctl_mock_serve_prints_the_issuer_and_guards_the_endpoint() -> None:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "mcpctl",
        "mock",
        "serve",
        "examples/auth/oauth-mock.yaml",
        "--http",
        f"127.0.0.1:{port}",
    ]
    with start_server(argv, port=port, path="/mcp") as server:
        origin = f"http://127.0.0.1:{port}"
        refused = httpx.post(server.url, content=INIT, headers=MCP_HEADERS)
        issued = httpx.post(
            f"{origin}/token",
            auth=("ci", "ci-secret"),
            data={"grant_type": "client_credentials", "resource": server.url},
        )
        accepted = httpx.post(
            server.url,
            content=INIT,
            headers=MCP_HEADERS | {"authorization": f"Bearer {issued.json()['access_token']}"},
        )
        stderr = Path(server.stderr_path).read_text(encoding="utf-8")
    assert refused.status_code == 401
    assert (issued.status_code, accepted.status_code) == (200, 200)
    assert (
        f"mcpctl: OAuth authorization server (issuer) at {origin}, protected resource metadata at "
        f"{origin}/.well-known/oauth-protected-resource/mcp"
    ) in stderr
    assert "ci-secret" not in stderr
    assert issued.json()["access_token"] not in stderr
