"""OAuth 2.1 authorization for MCP servers over HTTP.

::

    provider = OAuthProvider(url, OAuthConfig(authorizer=LoopbackAuthorizer()))
    async with open_client(HttpTarget(url=url, auth=provider)) as client:
        ...

Modules: :mod:`.challenge` (``WWW-Authenticate``), :mod:`.discovery` (RFC 9728 / RFC 8414 /
OIDC with the 2025-03-26 fallbacks), :mod:`.registration` (pre-registered, client-ID metadata
documents, RFC 7591), :mod:`.pkce`, :mod:`.authorizer` (headless and loopback),
:mod:`.grants` (token endpoint requests, client authentication), :mod:`.assertion`
(``private_key_jwt``), :mod:`.tokens` (tokens, the in-memory store), :mod:`.flow` (the provider),
:mod:`.store` (the persistent store: the OS keyring, else a 0600 file), :mod:`.login` (``mcpctl auth
login`` and the provider of a stored login), :mod:`.probe` (probing a server's authorization:
``mcpctl fuzz --auth``, ``expect: {auth: ...}``), :mod:`.http` (the only module here that imports httpx).
"""

from __future__ import annotations

from mcpctl.mcp.auth.authorizer import Authorizer, HeadlessAuthorizer, LoopbackAuthorizer
from mcpctl.mcp.auth.flow import OAuthConfig, OAuthProvider
from mcpctl.mcp.auth.grants import IdentityAssertion
from mcpctl.mcp.auth.provider import AuthProvider
from mcpctl.mcp.auth.registration import ClientCredentials, ClientMetadata
from mcpctl.mcp.auth.tokens import MemoryTokenStore, Token, TokenStore

__all__ = [
    "AuthProvider",
    "Authorizer",
    "ClientCredentials",
    "ClientMetadata",
    "HeadlessAuthorizer",
    "IdentityAssertion",
    "LoopbackAuthorizer",
    "MemoryTokenStore",
    "OAuthConfig",
    "OAuthProvider",
    "Token",
    "TokenStore",
]
