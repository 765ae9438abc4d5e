"""Who the client is at an authorization server: pre-registered, a metadata-document URL, or registered now.

In order of preference: credentials the user configured; a client-ID metadata document
(an HTTPS URL as ``client_id``, when the server says ``client_id_metadata_document_supported``);
dynamic client registration (RFC 7591) at the ``registration_endpoint``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, get_args

from mcpctl.errors import AuthError
from mcpctl.mcp.auth.discovery import ServerMetadata
from mcpctl.mcp.auth.http import OAuthHttp
from mcpctl.mcp.jsonrpc import JSONValue

TokenAuthMethod = Literal["none", "client_secret_basic", "client_secret_post", "private_key_jwt"]
GRANT_TYPES: tuple[str, ...] = ("authorization_code", "refresh_token")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientCredentials:
    """A client identity at one authorization server, and how it authenticates at the token endpoint."""

    client_id: str
    client_secret: str | None = None
    auth_method: TokenAuthMethod | None = None
    """``None``: chosen from what the secret/key and the server's metadata allow."""
    private_key_pem: str | None = None
    """PKCS#8 PEM key for ``private_key_jwt``."""
    signing_algorithm: str = "ES256"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientMetadata:
    """What the client says about itself when it registers (RFC 7591 §2)."""

    client_name: str = "mcpctl"
    metadata_url: str | None = None
    """A client-ID metadata document URL to use as ``client_id`` where the server supports it."""


def choose_auth_method(client: ClientCredentials, server: ServerMetadata) -> TokenAuthMethod:
    """The token endpoint authentication method for ``client`` at ``server``."""
    if client.auth_method is not None:
        return client.auth_method
    if client.private_key_pem:
        return "private_key_jwt"
    if not client.client_secret:
        return "none"
    supported = server.token_endpoint_auth_methods_supported or ("client_secret_basic",)
    if "client_secret_basic" not in supported and "client_secret_post" in supported:
        return "client_secret_post"
    return "client_secret_basic"


def _requested_method(server: ServerMetadata) -> TokenAuthMethod:
    supported = server.token_endpoint_auth_methods_supported
    if not supported or "none" in supported:
        return "none"  # a CLI is a public client
    for method in ("client_secret_basic", "client_secret_post"):
        if method in supported:
            return method
    return "none"


def registration_body(metadata: ClientMetadata, server: ServerMetadata, redirect_uri: str) -> JSONValue:
    """The RFC 7591 registration request; ``grant_types`` includes ``refresh_token`` (SEP-2207)."""
    return {
        "client_name": metadata.client_name,
        "redirect_uris": [redirect_uri],
        "grant_types": list(GRANT_TYPES),
        "response_types": ["code"],
        "token_endpoint_auth_method": _requested_method(server),
    }


async def register(
    http: OAuthHttp, server: ServerMetadata, metadata: ClientMetadata, redirect_uri: str
) -> ClientCredentials:
    """Dynamic client registration at ``server.registration_endpoint``."""
    endpoint = server.registration_endpoint
    if endpoint is None:
        raise AuthError(
            f"{server.issuer}: the authorization server offers no dynamic client registration",
            hint="configure a pre-registered client_id (and client_secret)",
        )
    reply = await http.post_json(endpoint, registration_body(metadata, server, redirect_uri))
    body = reply.json_object()
    if not 200 <= reply.status < 300 or body is None:
        raise AuthError(
            f"POST {endpoint}: client registration failed: HTTP {reply.status}{_excerpt(reply.body)}"
        )
    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise AuthError(f"POST {endpoint}: the registration response has no client_id")
    secret = body.get("client_secret")
    method = body.get("token_endpoint_auth_method")
    return ClientCredentials(
        client_id=client_id,
        client_secret=secret if isinstance(secret, str) and secret else None,
        auth_method=method if method in get_args(TokenAuthMethod) else None,
    )


async def obtain_client(
    http: OAuthHttp,
    server: ServerMetadata,
    *,
    configured: ClientCredentials | None,
    metadata: ClientMetadata,
    redirect_uri: str,
) -> ClientCredentials:
    """The client identity to use at ``server`` (see the module docstring for the order)."""
    if configured is not None:
        return configured
    if metadata.metadata_url and server.client_id_metadata_document_supported:
        return ClientCredentials(client_id=metadata.metadata_url, auth_method="none")
    return await register(http, server, metadata, redirect_uri)


def with_method(client: ClientCredentials, server: ServerMetadata) -> ClientCredentials:
    """``client`` with its token endpoint authentication method settled."""
    return replace(client, auth_method=choose_auth_method(client, server))


def _excerpt(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    return f": {text[:200]}" if text else ""
