"""The embedded authorization server: its endpoints on the mock's own host and port.

The mock's base URL is the issuer. Routes (see the package docstring for what each answers):
``GET /.well-known/oauth-protected-resource[<mcp path>]``, ``GET
/.well-known/oauth-authorization-server``, ``GET /authorize``, ``POST /token``, ``POST /register``,
``GET /jwks`` and ``GET /mcpctl/oauth/stats`` (loopback clients only).
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.mock.http_wire import HttpConnection, HttpRequest
from mcpctl.mock.oauth.client_auth import Authenticator
from mcpctl.mock.oauth.clients import ClientRefused, Clients, redirect_allowed
from mcpctl.mock.oauth.guard import ResourceGuard
from mcpctl.mock.oauth.replies import Reply, json_reply, oauth_error, redirect, send
from mcpctl.mock.oauth.stats import OAuthStats
from mcpctl.mock.oauth.token_endpoint import (
    CODE_LIFETIME,
    USER,
    Grant,
    PendingCode,
    Refused,
    TokenEndpoint,
    check_resource,
    check_scope,
    form_params,
)
from mcpctl.mock.oauth.tokens import ALGORITHM, SigningKey, TokenMinter
from mcpctl.spec.mock_model import CLIENT_AUTH_METHODS, OAUTH_GRANTS, MockOAuth

PRM_PATH: Final = "/.well-known/oauth-protected-resource"
AS_METADATA_PATH: Final = "/.well-known/oauth-authorization-server"
STATS_PATH: Final = "/mcpctl/oauth/stats"


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """Where the authorization server and the resource it protects live."""

    issuer: str
    """The mock's base URL (``http://127.0.0.1:PORT``)."""
    resource: str
    """The MCP endpoint's URL."""
    path: str
    """The MCP endpoint's path."""

    @property
    def resource_metadata(self) -> str:
        """The path-aware protected-resource metadata URL (RFC 9728 §3.1)."""
        return f"{self.issuer}{PRM_PATH}{self.path.rstrip('/')}"


class AuthorizationServer:
    """One served mock's authorization server and the guard of its MCP endpoint.

    Made from the spec, then :meth:`bind`-ed by the HTTP server once its port is known.
    """

    def __init__(self, oauth: MockOAuth, *, key: SigningKey | None = None) -> None:
        self.oauth = oauth
        self.key = key if key is not None else SigningKey()
        self.stats = OAuthStats()
        self.clients = Clients(oauth, self.stats)
        self.site: Site
        self.minter: TokenMinter
        self._guard: ResourceGuard
        self.token_endpoint: TokenEndpoint

    def bind(self, origin: str, path: str) -> None:
        """Serve as the authorization server at ``origin`` for the MCP endpoint at ``path``."""
        site = self.site = Site(issuer=origin, resource=f"{origin}{path}", path=path)
        self.minter = TokenMinter(issuer=origin, key=self.key, lifetime=self.oauth.token_lifetime.seconds)
        hidden = "no_resource_metadata" in self.oauth.misbehave
        self._guard = ResourceGuard(
            oauth=self.oauth,
            key=self.key,
            issuer=origin,
            resource=site.resource,
            resource_metadata="" if hidden else site.resource_metadata,
        )
        authenticator = Authenticator(self.clients, audiences=(origin, f"{origin}/token"))
        self.token_endpoint = TokenEndpoint(
            self.oauth,
            minter=self.minter,
            authenticator=authenticator,
            resource=site.resource,
            stats=self.stats,
        )

    async def guard(self, conn: HttpConnection, req: HttpRequest, query: bytes) -> bool | None:
        """``None`` if ``req`` may reach the MCP endpoint; else the refusal is sent and the
        connection's keep-alive verdict returned."""
        refusal = self._guard.check(req, query)
        if refusal is None:
            return None
        self.stats.refused += 1
        return await send(conn, refusal, keep_alive=req.keep_alive)

    async def route(self, conn: HttpConnection, req: HttpRequest, path: bytes, query: bytes) -> bool | None:
        """Serve ``req`` if ``path`` is one of this server's; ``None`` if it is not."""
        reply = await self._answer(conn, req, path.decode("latin-1"), query)
        return None if reply is None else await send(conn, reply, keep_alive=req.keep_alive)

    async def _answer(self, conn: HttpConnection, req: HttpRequest, path: str, query: bytes) -> Reply | None:
        gets = {
            AS_METADATA_PATH: self.server_metadata,
            "/jwks": self.key.jwks,
            STATS_PATH: self.stats.as_json,
        }
        if path in (PRM_PATH, self.site.resource_metadata.removeprefix(self.site.issuer)):
            if "no_resource_metadata" in self.oauth.misbehave:
                return None
            gets[path] = self.resource_metadata
        posts = {"/token", "/register"} if self.oauth.registration else {"/token"}
        if path not in gets and path not in posts and path != "/authorize":
            return None
        method = b"POST" if path in posts else b"GET"
        if req.method != method:
            allow = (("allow", method.decode()),)
            return json_reply(405, {"error": "method_not_allowed"}, headers=allow)
        if path == STATS_PATH and not _loopback_peer(conn):
            return json_reply(
                403, {"error": "forbidden", "error_description": "stats are for loopback clients"}
            )
        if path == "/token":
            return await self.token_endpoint.handle(req)
        if path == "/register":
            return self.clients.register(req.body)
        if path == "/authorize":
            return await self.authorize(query)
        return json_reply(200, gets[path]())

    def resource_metadata(self) -> dict[str, JSONValue]:
        """RFC 9728 protected-resource metadata of the MCP endpoint."""
        return {
            "resource": self.site.resource,
            "authorization_servers": [self.site.issuer],
            "scopes_supported": list(self.oauth.scopes),
            "bearer_methods_supported": ["header"],
        }

    def server_metadata(self) -> dict[str, JSONValue]:
        """RFC 8414 authorization-server metadata."""
        issuer = self.site.issuer
        body: dict[str, JSONValue] = {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "scopes_supported": list(self.oauth.scopes),
            "response_types_supported": ["code"],
            "grant_types_supported": list(OAUTH_GRANTS),
            "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
            "token_endpoint_auth_signing_alg_values_supported": [ALGORITHM, "RS256"],
            "code_challenge_methods_supported": ["S256"],
            "client_id_metadata_document_supported": self.oauth.client_id_metadata_documents,
            "authorization_response_iss_parameter_supported": True,
        }
        if self.oauth.registration:
            body["registration_endpoint"] = f"{issuer}/register"
        if "skip_pkce" in self.oauth.misbehave:
            del body["code_challenge_methods_supported"]  # what an AS without PKCE publishes
        return body

    async def authorize(self, query: bytes) -> Reply:
        """``GET /authorize``: a redirect with a code (or an error); a 400 when there is nowhere
        safe to redirect to (unknown client, unregistered ``redirect_uri``: RFC 6749 §4.1.2.1)."""
        try:
            params = form_params(query)
            client = await self.clients.find(params.get("client_id", ""))
        except (Refused, ClientRefused) as exc:
            return oauth_error(exc.error, exc.description)
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_allowed(client.redirect_uris, redirect_uri):
            return oauth_error(
                "invalid_request", f"redirect_uri {redirect_uri!r} is not registered for this client"
            )
        state = {"state": params["state"]} if "state" in params else {}
        try:
            grant = self._authorization(params, client.client_id, client.grants)
        except Refused as exc:
            answer = {"error": exc.error, "error_description": exc.description, **state}
            return redirect(_with_query(redirect_uri, answer | {"iss": self.site.issuer}))
        pending = PendingCode(
            grant=grant,
            redirect_uri=redirect_uri,
            challenge=params.get("code_challenge"),
            expires_at=time.monotonic() + CODE_LIFETIME,
        )
        self.stats.authorizations += 1
        code = self.token_endpoint.new_code(pending)
        return redirect(_with_query(redirect_uri, {"code": code, **state, "iss": self.site.issuer}))

    def _authorization(self, params: dict[str, str], client_id: str, grants: frozenset[str]) -> Grant:
        """What an authorization request asks for, checked; :class:`Refused` goes back by redirect."""
        if params.get("response_type") != "code":
            raise Refused("unsupported_response_type", "response_type must be code")
        if "authorization_code" not in grants:
            raise Refused("unauthorized_client", f"client {client_id!r} may not use authorization_code")
        if "skip_pkce" not in self.oauth.misbehave:
            if not params.get("code_challenge"):
                raise Refused("invalid_request", "code_challenge is required (PKCE with S256)")
            if params.get("code_challenge_method") != "S256":
                raise Refused("invalid_request", "code_challenge_method must be S256")
        resource = check_resource(params.get("resource"), self.site.resource)
        scope = check_scope(params.get("scope"), self.oauth.scopes, default=self.oauth.scopes)
        if self.oauth.approve == "deny":
            raise Refused("access_denied", "the mock denies every authorization (approve: deny)")
        return Grant(client_id=client_id, subject=USER, scope=scope, resource=resource)


def _with_query(uri: str, params: dict[str, str]) -> str:
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}"


def _loopback_peer(conn: HttpConnection) -> bool:
    try:
        host = conn.stream.socket.getpeername()[0]
        return ipaddress.ip_address(host).is_loopback
    except (OSError, ValueError, IndexError):
        return False
