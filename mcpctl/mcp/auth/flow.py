"""The OAuth 2.1 client of MCP authorization (revisions 2025-03-26 to 2025-11-25).

:class:`OAuthProvider` is an :class:`~mcpctl.mcp.auth.provider.AuthProvider` for one server.
On a 401 it discovers the authorization server, identifies the client (pre-registered,
metadata document or dynamic registration) and obtains a token with the configured grant:

- ``authorization_code``: PKCE S256, ``state`` and ``resource`` via an
  :class:`~mcpctl.mcp.auth.authorizer.Authorizer`, then the code exchange;
- ``client_credentials``: the configured client's secret or ``private_key_jwt``;
- ``identity_assertion``: cross-app access (SEP-990), an ID-JAG from the enterprise IdP.

On a 403 ``insufficient_scope`` it authorizes again with the challenged scopes added (step-up);
the transport bounds how often one request may do so. Tokens go to a
:class:`~mcpctl.mcp.auth.tokens.TokenStore` keyed by the server URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode

import trio

from mcpctl.errors import AuthError
from mcpctl.mcp.auth import grants
from mcpctl.mcp.auth.authorizer import Authorizer, LoopbackAuthorizer
from mcpctl.mcp.auth.challenge import Challenge, parse_challenge
from mcpctl.mcp.auth.discovery import Discovery, ResourceMetadata, ServerMetadata, discover
from mcpctl.mcp.auth.grants import IdentityAssertion
from mcpctl.mcp.auth.http import OAuthHttp, open_oauth_http
from mcpctl.mcp.auth.pkce import Pkce, new_state
from mcpctl.mcp.auth.registration import ClientCredentials, ClientMetadata, obtain_client, with_method
from mcpctl.mcp.auth.tokens import MemoryTokenStore, Token, TokenStore

Grant = Literal["authorization_code", "client_credentials", "identity_assertion"]
OFFLINE_ACCESS = "offline_access"


@dataclass(frozen=True, slots=True, kw_only=True)
class OAuthConfig:
    """How mcpctl authorizes with one server."""

    grant: Grant = "authorization_code"
    authorizer: Authorizer = field(default_factory=LoopbackAuthorizer)
    """Obtains the code for ``authorization_code``."""
    client: ClientCredentials | None = None
    """Pre-registered credentials; required for ``client_credentials`` and ``identity_assertion``."""
    metadata: ClientMetadata = field(default_factory=ClientMetadata)
    """Used for dynamic registration, and its ``metadata_url`` as a client-ID metadata document."""
    identity: IdentityAssertion | None = None
    """The ID token and IdP for ``identity_assertion``."""


def select_scope(
    challenge: Challenge,
    resource: ResourceMetadata | None,
    server: ServerMetadata,
    previous: Sequence[str] = (),
) -> tuple[str, ...]:
    """The scopes to request (MCP 2025-11-25 scope selection strategy).

    The challenge's ``scope``, else the resource's ``scopes_supported``, else none (the
    ``scope`` parameter is then omitted). ``previous`` scopes are kept on step-up;
    ``offline_access`` is added only when the authorization server lists it.
    """
    if challenge.scope:
        wanted: Sequence[str] = challenge.scope
    elif resource is not None and resource.scopes_supported:
        wanted = resource.scopes_supported
    else:
        wanted = ()
    scopes = list(dict.fromkeys([*previous, *wanted]))
    if scopes and OFFLINE_ACCESS in (server.scopes_supported or ()) and OFFLINE_ACCESS not in scopes:
        scopes.append(OFFLINE_ACCESS)
    return tuple(scopes)


def authorization_url(
    server: ServerMetadata,
    client: ClientCredentials,
    *,
    redirect_uri: str,
    pkce: Pkce,
    state: str,
    scope: Sequence[str],
    resource: str,
) -> str:
    """The authorization request (RFC 6749 §4.1.1 + PKCE + RFC 8707 ``resource``)."""
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": pkce.challenge,
        "code_challenge_method": pkce.method,
        "state": state,
        "resource": resource,
    }
    if scope:
        params["scope"] = " ".join(scope)
    endpoint = server.authorization_endpoint
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"


class OAuthProvider:
    """Tokens for the MCP server at ``server_url``, obtained and renewed as challenges demand."""

    def __init__(self, server_url: str, config: OAuthConfig, *, store: TokenStore | None = None) -> None:
        self.server_url = server_url
        self.config = config
        self.store: TokenStore = store if store is not None else MemoryTokenStore()
        self._lock = trio.Lock()
        self._discovery: Discovery | None = None
        self._clients: dict[str, ClientCredentials] = {}
        self._scope: tuple[str, ...] = ()

    async def authorization(self) -> str | None:
        token = self.store.get(self.server_url)
        if token is not None and token.expired():
            async with self._lock:
                # another request may have refreshed it while this one waited for the lock: refreshing
                # again would spend a rotating refresh token twice (the second attempt fails)
                token = self.store.get(self.server_url)
                if token is not None and token.expired():
                    token = await self._refreshed(token)
        return token.header if token is not None else None

    async def challenge(self, *, status: int, www_authenticate: str | None, credential: str | None) -> bool:
        parsed = parse_challenge(www_authenticate)
        if status == 403 and not parsed.insufficient_scope:
            return False
        async with self._lock:
            current = self.store.get(self.server_url)
            if current is not None and current.header != credential:
                return True  # another request renewed the token meanwhile
            if status == 401 and current is not None and (fresh := await self._refreshed(current)):
                return fresh.header != credential
            await self._authorize(parsed, step_up=status == 403)
        return True

    async def _refreshed(self, token: Token) -> Token | None:
        """``token`` renewed with its refresh token; ``None`` (and forgotten) if that is impossible."""
        discovery = self._discovery
        client = self._clients.get(discovery.server.issuer) if discovery is not None else None
        if discovery is None or client is None or token.refresh_token is None:
            self.store.forget(self.server_url)
            return None
        try:
            async with open_oauth_http() as http:
                fresh = await grants.refresh(
                    http, discovery.server, client, token=token, resource=discovery.resource
                )
        except AuthError:
            self.store.forget(self.server_url)
            return None
        self.store.put(self.server_url, fresh)
        return fresh

    async def _authorize(self, challenge: Challenge, *, step_up: bool) -> None:
        async with open_oauth_http() as http:
            if self._discovery is None or not step_up:
                self._discovery = await discover(http, self.server_url, challenge)
            discovery = self._discovery
            scope = select_scope(
                challenge, discovery.resource_metadata, discovery.server, self._scope if step_up else ()
            )
            token = await self._obtain(http, discovery, scope)
        self._scope = scope
        self.store.put(self.server_url, token)

    async def _obtain(self, http: OAuthHttp, discovery: Discovery, scope: tuple[str, ...]) -> Token:
        grant = self.config.grant
        if grant == "authorization_code":
            return await self._authorization_code(http, discovery, scope)
        client = self._configured_client(grant)
        if grant == "client_credentials":
            return await grants.client_credentials(
                http, discovery.server, client, resource=discovery.resource, scope=scope
            )
        identity = self.config.identity
        if identity is None:
            raise AuthError("identity_assertion needs an ID token and the IdP's token endpoint")
        assertion = await grants.exchange_identity(
            http, identity, audience=discovery.server.issuer, resource=discovery.resource
        )
        return await grants.jwt_bearer(
            http, discovery.server, client, assertion=assertion, resource=discovery.resource, scope=scope
        )

    def _configured_client(self, grant: Grant) -> ClientCredentials:
        if self.config.client is None:
            raise AuthError(f"the {grant} grant needs a configured client_id and secret or key")
        return self.config.client

    async def _client(self, http: OAuthHttp, server: ServerMetadata) -> ClientCredentials:
        client = self._clients.get(server.issuer)
        if client is None:
            client = await obtain_client(
                http,
                server,
                configured=self.config.client,
                metadata=self.config.metadata,
                redirect_uri=self.config.authorizer.redirect_uri,
            )
            client = self._clients[server.issuer] = with_method(client, server)
        return client

    async def _authorization_code(
        self, http: OAuthHttp, discovery: Discovery, scope: tuple[str, ...]
    ) -> Token:
        server = discovery.server
        if server.found and server.code_challenge_methods_supported is None:
            # MCP 2025-11-25: no code_challenge_methods_supported means no PKCE, and the client must refuse
            raise AuthError(
                f"{server.issuer}: the authorization server's metadata lists no code_challenge_methods_supported "
                "(no PKCE): refusing the authorization code flow"
            )
        client = await self._client(http, server)
        authorizer = self.config.authorizer
        pkce, state = Pkce(), new_state()
        url = authorization_url(
            discovery.server,
            client,
            redirect_uri=authorizer.redirect_uri,
            pkce=pkce,
            state=state,
            scope=scope,
            resource=discovery.resource,
        )
        redirect = await authorizer.authorize(url)
        if redirect.state != state:
            raise AuthError("the authorization redirect's state does not match the request (possible CSRF)")
        return await grants.exchange_code(
            http,
            discovery.server,
            client,
            code=redirect.code,
            redirect_uri=authorizer.redirect_uri,
            verifier=pkce.verifier,
            resource=discovery.resource,
        )
