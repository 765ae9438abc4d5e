"""Probing a server's authorization: does it refuse what it must refuse, the way the spec says?

:func:`probe_auth` sends an ``initialize`` POST with each credential a protected MCP server must turn
away, and checks the answer is a 401 (or a 403 for too few scopes) with a ``WWW-Authenticate: Bearer``
challenge; it also checks the metadata documents. Each check is an :class:`AuthCheck`: passed,
failed (a finding: what was accepted, or how the refusal is not spec-shaped) or skipped (why).

Checks, in order:

- ``no_token``: no ``Authorization`` header → 401 with a Bearer challenge naming ``resource_metadata``.
- ``metadata``: the protected-resource metadata (RFC 9728) names this server and an authorization
  server; that server's metadata (RFC 8414) has its ``issuer``, both endpoints and PKCE S256.
- ``valid_token``: a token from the client credentials grant is accepted (the baseline the rest need).
- ``token_in_query``: the valid token as ``?access_token=`` instead of the header → refused (RFC 6750
  §2.3 is forbidden by the MCP spec).
- ``wrong_audience``: a token the authorization server issued for another resource → refused.
- ``insufficient_scope``: a token without the scope the challenge asks for → 403 ``insufficient_scope``
  (or 401).
- ``other_issuer``: a JWT for this resource signed by a key of another issuer → refused.
- ``tampered``: the valid token (a JWT) with its claims rewritten, its signature kept → refused.
- ``expired``: the valid token once it expired → refused (when it lives at most :data:`MAX_WAIT`,
  as a test authorization server's tokens can; otherwise skipped).

Tokens never appear in a check's text; reproducers name the check to run again.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import urlencode

import jwt
import orjson
import trio
from cryptography.hazmat.primitives.asymmetric import ec

from mcpctl.errors import AuthError
from mcpctl.mcp.auth.challenge import Challenge, parse_challenge
from mcpctl.mcp.auth.discovery import Discovery, discover, origin
from mcpctl.mcp.auth.flow import OAuthProvider
from mcpctl.mcp.auth.grants import client_credentials
from mcpctl.mcp.auth.http import OAuthHttp, Reply, open_oauth_http
from mcpctl.mcp.auth.login import ScopedProvider
from mcpctl.mcp.auth.registration import ClientCredentials, with_method
from mcpctl.mcp.auth.tokens import Token

CHECKS: Final = (
    "no_token",
    "metadata",
    "valid_token",
    "token_in_query",
    "wrong_audience",
    "insufficient_scope",
    "other_issuer",
    "tampered",
    "expired",
)
OTHER_ISSUER: Final = "https://other-issuer.mcpctl.invalid"
OTHER_RESOURCE_PATH: Final = "/mcpctl-other-resource"
MAX_WAIT: Final = 15.0
"""The longest token lifetime the ``expired`` check waits out."""
_INITIALIZE: Final = orjson.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "mcpctl-auth-probe", "version": "1"},
        },
    }
)
Outcome = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthCheck:
    """One check's outcome: ``detail`` says what was seen (why it failed, or why it was skipped)."""

    name: str
    outcome: Outcome
    detail: str


@dataclass(slots=True)
class _Probe:
    http: OAuthHttp
    url: str
    client: ClientCredentials | None
    scope: tuple[str, ...]
    results: list[AuthCheck]
    challenge: Challenge = field(default_factory=Challenge)
    discovery: Discovery | None = None
    token: Token | None = None

    def add(self, name: str, outcome: Outcome, detail: str) -> None:
        self.results.append(AuthCheck(name=name, outcome=outcome, detail=detail))


def configured_client(provider: object) -> tuple[ClientCredentials | None, tuple[str, ...]]:
    """The client credentials and scopes a server's auth provider was configured with (its Servers
    entry's ``auth``), for the probe's valid token; ``(None, ())`` when it has none."""
    scopes: tuple[str, ...] = ()
    if isinstance(provider, ScopedProvider):
        scopes = provider.scopes
        provider = provider.inner
    if isinstance(provider, OAuthProvider) and provider.config.grant == "client_credentials":
        return provider.config.client, scopes
    return None, scopes


async def probe_auth(
    server_url: str, *, client: ClientCredentials | None = None, scope: Sequence[str] = ()
) -> list[AuthCheck]:
    """Every check of :data:`CHECKS` against the MCP endpoint ``server_url``, in order.

    ``client`` (a confidential client allowed the client credentials grant) gives the valid token
    the token checks start from; without it they are skipped. Raises :class:`AuthError` only when
    the server cannot be reached at all."""
    async with open_oauth_http() as http:
        probe = _Probe(http=http, url=server_url, client=client, scope=tuple(scope), results=[])
        if not await _no_token(probe):
            return probe.results
        await _metadata(probe)
        await _valid_token(probe)
        for check in (
            _token_in_query,
            _wrong_audience,
            _insufficient_scope,
            _other_issuer,
            _tampered,
            _expired,
        ):
            await check(probe)
    return probe.results


async def _post(probe: _Probe, *, bearer: str | None = None, url: str | None = None) -> Reply:
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    if bearer is not None:
        headers["authorization"] = f"Bearer {bearer}"
    return await probe.http.post(url or probe.url, _INITIALIZE, headers=headers)


def _refusal(reply: Reply, *, statuses: tuple[int, ...] = (401,)) -> str:
    """Why ``reply`` is not a spec-shaped refusal ("" when it is one)."""
    if 200 <= reply.status < 300:
        return f"accepted (HTTP {reply.status}): the server served MCP with it"
    if reply.status not in statuses:
        return f"refused with HTTP {reply.status}, expected {' or '.join(map(str, statuses))}"
    header = reply.headers.get("www-authenticate", "")
    if "bearer" not in header.lower():
        return f"HTTP {reply.status} without a WWW-Authenticate: Bearer challenge"
    return ""


async def _no_token(probe: _Probe) -> bool:
    """The unauthenticated request; ``False`` when the server needs no token (nothing else to check)."""
    reply = await _post(probe)
    if 200 <= reply.status < 300:
        probe.add(
            "no_token", "skipped", f"HTTP {reply.status} without a token: the server does not require one"
        )
        return False
    problem = _refusal(reply)
    probe.challenge = parse_challenge(reply.headers.get("www-authenticate"))
    if not problem and not probe.challenge.resource_metadata:
        problem = "the 401's Bearer challenge has no resource_metadata (required since 2025-06-18)"
    probe.add(
        "no_token",
        "failed" if problem else "passed",
        problem or f"HTTP {reply.status} with a Bearer challenge",
    )
    return True


async def _metadata(probe: _Probe) -> None:
    try:
        probe.discovery = await discover(probe.http, probe.url, probe.challenge)
    except AuthError as exc:
        probe.add("metadata", "failed", str(exc))
        return
    problems = []
    prm, server = probe.discovery.resource_metadata, probe.discovery.server
    if prm is None:
        problems.append(
            "no protected-resource metadata (RFC 9728) at the challenge's URL or the well-known ones"
        )
    elif not prm.authorization_servers:
        problems.append("the protected-resource metadata lists no authorization_servers")
    if not server.found:
        problems.append(f"no authorization server metadata (RFC 8414 / OpenID) for {server.issuer}")
    elif (
        prm is not None
        and prm.authorization_servers
        and server.issuer.rstrip("/") != prm.authorization_servers[0].rstrip("/")
    ):
        problems.append(
            f"the metadata's issuer {server.issuer} is not the authorization server {prm.authorization_servers[0]}"
        )
    if server.found and "S256" not in (server.code_challenge_methods_supported or ()):
        problems.append("code_challenge_methods_supported does not list S256")
    detail = "; ".join(problems) or f"resource {probe.discovery.resource}, issuer {server.issuer}"
    probe.add("metadata", "failed" if problems else "passed", detail)


async def _issue(probe: _Probe, *, resource: str, scope: Sequence[str]) -> Token:
    assert probe.client is not None
    assert probe.discovery is not None
    server = probe.discovery.server
    client = with_method(probe.client, server)
    return await client_credentials(probe.http, server, client, resource=resource, scope=scope)


async def _valid_token(probe: _Probe) -> None:
    if probe.client is None or probe.discovery is None:
        why = "no client credentials to get a token with" if probe.client is None else "no metadata"
        probe.add("valid_token", "skipped", why)
        return
    scope = probe.scope or probe.challenge.scope
    try:
        probe.token = await _issue(probe, resource=probe.discovery.resource, scope=scope)
    except AuthError as exc:
        probe.add("valid_token", "skipped", f"the client credentials grant failed: {exc}")
        return
    reply = await _post(probe, bearer=probe.token.access_token)
    if 200 <= reply.status < 300:
        probe.add("valid_token", "passed", f"accepted (HTTP {reply.status})")
    else:
        probe.add(
            "valid_token",
            "failed",
            f"a token the server's own authorization server issued got HTTP {reply.status}",
        )
        probe.token = None


def _needs_token(probe: _Probe, name: str) -> bool:
    if probe.token is None:
        probe.add(name, "skipped", "needs a valid token (see valid_token)")
        return False
    return True


async def _token_in_query(probe: _Probe) -> None:
    if not _needs_token(probe, "token_in_query"):
        return
    assert probe.token is not None
    separator = "&" if "?" in probe.url else "?"
    url = probe.url + separator + urlencode({"access_token": probe.token.access_token})
    problem = _refusal(await _post(probe, url=url))
    probe.add("token_in_query", "failed" if problem else "passed", problem or "refused")


async def _wrong_audience(probe: _Probe) -> None:
    if not _needs_token(probe, "wrong_audience"):
        return
    other = origin(probe.url) + OTHER_RESOURCE_PATH
    try:
        token = await _issue(probe, resource=other, scope=probe.scope or probe.challenge.scope)
    except AuthError as exc:
        probe.add("wrong_audience", "skipped", f"the authorization server issues no token for {other}: {exc}")
        return
    problem = _refusal(await _post(probe, bearer=token.access_token))
    detail = problem and f"a token for {other}: {problem}"
    probe.add("wrong_audience", "failed" if problem else "passed", detail or f"a token for {other} refused")


async def _insufficient_scope(probe: _Probe) -> None:
    if not _needs_token(probe, "insufficient_scope"):
        return
    assert probe.discovery is not None
    needed = set(probe.challenge.scope)
    supported = (
        probe.discovery.resource_metadata.scopes_supported if probe.discovery.resource_metadata else None
    ) or ()
    fewer = [scope for scope in supported if scope not in needed]
    if not needed or not fewer:
        probe.add(
            "insufficient_scope", "skipped", "no scope to leave out (the challenge names none, or only those)"
        )
        return
    try:
        token = await _issue(probe, resource=probe.discovery.resource, scope=fewer[:1])
    except AuthError as exc:
        probe.add("insufficient_scope", "skipped", f"no token with scope {fewer[0]} alone: {exc}")
        return
    reply = await _post(probe, bearer=token.access_token)
    problem = _refusal(reply, statuses=(403, 401))
    if (
        not problem
        and reply.status == 403
        and parse_challenge(reply.headers.get("www-authenticate")).error != "insufficient_scope"
    ):
        problem = 'HTTP 403 without error="insufficient_scope" in its challenge'
    detail = f"a token with scope {fewer[0]} (needs {' '.join(sorted(needed))}): {problem or 'refused'}"
    probe.add("insufficient_scope", "failed" if problem else "passed", detail)


async def _other_issuer(probe: _Probe) -> None:
    if probe.discovery is None:
        probe.add("other_issuer", "skipped", "no metadata")
        return
    key = ec.generate_private_key(ec.SECP256R1())
    now = int(time.time())
    claims = {
        "iss": OTHER_ISSUER,
        "aud": probe.discovery.resource,
        "sub": "mcpctl-auth-probe",
        "client_id": "mcpctl-auth-probe",
        "scope": " ".join(probe.challenge.scope or probe.scope),
        "iat": now,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
    }
    forged = jwt.encode(claims, key, algorithm="ES256", headers={"kid": "mcpctl-other"})
    problem = _refusal(await _post(probe, bearer=forged))
    probe.add(
        "other_issuer",
        "failed" if problem else "passed",
        problem or f"a token signed for {OTHER_ISSUER} refused",
    )


async def _tampered(probe: _Probe) -> None:
    if not _needs_token(probe, "tampered"):
        return
    assert probe.token is not None
    parts = probe.token.access_token.split(".")
    if len(parts) != 3:
        probe.add("tampered", "skipped", "the access token is not a JWT: nothing to tamper with")
        return
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        probe.add("tampered", "skipped", "the access token's claims are not JSON")
        return
    claims["scope"] = " ".join((*probe.challenge.scope, "mcpctl:tampered"))
    claims["exp"] = int(time.time()) + 86400
    payload = base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=").decode()
    problem = _refusal(await _post(probe, bearer=f"{parts[0]}.{payload}.{parts[2]}"))
    detail = problem or "the token with its claims rewritten (signature no longer matching) refused"
    probe.add("tampered", "failed" if problem else "passed", detail)


async def _expired(probe: _Probe) -> None:
    if not _needs_token(probe, "expired"):
        return
    assert probe.token is not None
    lifetime, expires_at = probe.token.lifetime, probe.token.expires_at
    if lifetime is None or expires_at is None or lifetime > MAX_WAIT:
        lives = f"lives {lifetime:.0f}s" if lifetime is not None else "has no expires_in"
        probe.add(
            "expired",
            "skipped",
            f"the token {lives}: give the test authorization server a token lifetime <= {MAX_WAIT:.0f}s",
        )
        return
    await trio.sleep(max(0.0, expires_at - time.time()) + 1.0)
    problem = _refusal(await _post(probe, bearer=probe.token.access_token))
    probe.add(
        "expired",
        "failed" if problem else "passed",
        problem or f"the token refused once its {lifetime:.0f}s were over",
    )
