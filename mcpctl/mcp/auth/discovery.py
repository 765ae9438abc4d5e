"""Finding a server's authorization server and its endpoints.

1. Protected-resource metadata (RFC 9728): the URL in the challenge's ``resource_metadata``,
   else the path-aware ``/.well-known/oauth-protected-resource/<path>``, else the root one.
   Its ``resource`` must cover the server URL (else :class:`~mcpctl.errors.ResourceMismatch`).
2. Authorization-server metadata (RFC 8414, OpenID Connect Discovery): for an issuer with a
   path ``/p``: ``/.well-known/oauth-authorization-server/p``, ``/.well-known/openid-configuration/p``,
   ``/p/.well-known/openid-configuration``; without a path the first two at the root.
3. 2025-03-26 fallbacks: no protected-resource metadata makes the server's origin the
   authorization server; no authorization-server metadata means the default endpoints
   ``/authorize``, ``/token`` and ``/register`` on that origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from mcpctl.errors import AuthError, ResourceMismatch
from mcpctl.mcp.auth.challenge import Challenge
from mcpctl.mcp.auth.http import JsonObject, OAuthHttp
from mcpctl.mcp.jsonrpc import JSONValue

PRM_WELL_KNOWN = "/.well-known/oauth-protected-resource"
OAUTH_WELL_KNOWN = "/.well-known/oauth-authorization-server"
OIDC_WELL_KNOWN = "/.well-known/openid-configuration"


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceMetadata:
    """The fields of RFC 9728 metadata that the client uses."""

    resource: str
    authorization_servers: tuple[str, ...]
    scopes_supported: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerMetadata:
    """The fields of RFC 8414 metadata that the client uses; ``found`` is False for the fallback."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    registration_endpoint: str | None = None
    scopes_supported: tuple[str, ...] | None = None
    grant_types_supported: tuple[str, ...] | None = None
    token_endpoint_auth_methods_supported: tuple[str, ...] | None = None
    code_challenge_methods_supported: tuple[str, ...] | None = None
    client_id_metadata_document_supported: bool = False
    found: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Discovery:
    """Everything discovery learned about one protected server."""

    resource: str
    """The RFC 8707 ``resource`` to ask tokens for."""
    resource_metadata: ResourceMetadata | None
    server: ServerMetadata


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def canonical_resource(url: str) -> str:
    """``url`` as an RFC 8707 resource: lower-case scheme and host, no fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))


def prm_urls(server_url: str, header_url: str = "") -> list[str]:
    """Where to look for protected-resource metadata, in order (RFC 9728 §3, MCP 2025-11-25)."""
    base, path = origin(server_url), _path(server_url)
    urls = [header_url] if header_url else []
    if path:
        urls.append(f"{base}{PRM_WELL_KNOWN}{path}")
    urls.append(f"{base}{PRM_WELL_KNOWN}")
    return list(dict.fromkeys(urls))


def as_metadata_urls(issuer: str) -> list[str]:
    """Where to look for authorization-server metadata, in order (RFC 8414 §3.1, OIDC)."""
    base, path = origin(issuer), _path(issuer)
    if not path:
        return [f"{base}{OAUTH_WELL_KNOWN}", f"{base}{OIDC_WELL_KNOWN}"]
    return [
        f"{base}{OAUTH_WELL_KNOWN}{path}",
        f"{base}{OIDC_WELL_KNOWN}{path}",
        f"{base}{path}{OIDC_WELL_KNOWN}",
    ]


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme)


def resource_matches(resource: str, server_url: str) -> bool:
    """True when ``resource`` names ``server_url`` or a prefix of it (same origin, path segments)."""
    want, have = urlsplit(resource), urlsplit(server_url)
    if want.scheme.lower() != have.scheme.lower() or (want.hostname or "") != (have.hostname or ""):
        return False
    if (want.port or _default_port(want.scheme.lower())) != (have.port or _default_port(have.scheme.lower())):
        return False
    prefix, path = want.path.rstrip("/"), have.path.rstrip("/")
    return path == prefix or path.startswith(prefix + "/")


def _strings(value: JSONValue | None) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    return tuple(item for item in value if isinstance(item, str))


def parse_resource_metadata(body: JsonObject, *, where: str) -> ResourceMetadata:
    """Check and keep the RFC 9728 fields of ``body``."""
    resource = body.get("resource")
    servers = _strings(body.get("authorization_servers"))
    if not isinstance(resource, str) or not resource:
        raise AuthError(f"{where}: protected-resource metadata has no 'resource'")
    if not servers:
        raise AuthError(f"{where}: protected-resource metadata names no authorization_servers")
    return ResourceMetadata(
        resource=resource,
        authorization_servers=servers,
        scopes_supported=_strings(body.get("scopes_supported")),
    )


def parse_server_metadata(body: JsonObject, *, where: str) -> ServerMetadata:
    """Check and keep the RFC 8414 fields of ``body``."""
    fields = {key: body.get(key) for key in ("issuer", "authorization_endpoint", "token_endpoint")}
    missing = [key for key, value in fields.items() if not isinstance(value, str) or not value]
    if missing:
        raise AuthError(f"{where}: authorization-server metadata lacks {', '.join(missing)}")
    registration = body.get("registration_endpoint")
    return ServerMetadata(
        issuer=str(fields["issuer"]),
        authorization_endpoint=str(fields["authorization_endpoint"]),
        token_endpoint=str(fields["token_endpoint"]),
        registration_endpoint=registration if isinstance(registration, str) and registration else None,
        scopes_supported=_strings(body.get("scopes_supported")),
        grant_types_supported=_strings(body.get("grant_types_supported")),
        token_endpoint_auth_methods_supported=_strings(body.get("token_endpoint_auth_methods_supported")),
        code_challenge_methods_supported=_strings(body.get("code_challenge_methods_supported")),
        client_id_metadata_document_supported=body.get("client_id_metadata_document_supported") is True,
    )


def default_endpoints(issuer: str) -> ServerMetadata:
    """The 2025-03-26 fallback when an authorization server publishes no metadata."""
    base = origin(issuer)
    return ServerMetadata(
        issuer=base,
        authorization_endpoint=f"{base}/authorize",
        token_endpoint=f"{base}/token",
        registration_endpoint=f"{base}/register",
        found=False,
    )


async def discover_resource(
    http: OAuthHttp, server_url: str, challenge: Challenge
) -> ResourceMetadata | None:
    """The server's protected-resource metadata, or ``None`` if it publishes none."""
    for url in prm_urls(server_url, challenge.resource_metadata):
        body = await http.get_json(url)
        if body is not None:
            metadata = parse_resource_metadata(body, where=url)
            if not resource_matches(metadata.resource, server_url):
                raise ResourceMismatch(resource=metadata.resource, server_url=server_url)
            return metadata
    return None


async def discover_server(http: OAuthHttp, issuer: str) -> ServerMetadata:
    """The authorization server's metadata, or the default endpoints if it publishes none."""
    for url in as_metadata_urls(issuer):
        body = await http.get_json(url)
        if body is not None:
            return parse_server_metadata(body, where=url)
    return default_endpoints(issuer)


async def discover(http: OAuthHttp, server_url: str, challenge: Challenge) -> Discovery:
    """Resource metadata, then the first authorization server's metadata, with the fallbacks."""
    prm = await discover_resource(http, server_url, challenge)
    issuer = prm.authorization_servers[0] if prm is not None else origin(server_url)
    server = await discover_server(http, issuer)
    methods = server.code_challenge_methods_supported
    if methods is not None and "S256" not in methods:
        raise AuthError(
            f"{issuer}: the authorization server does not offer PKCE with S256 (offers {', '.join(methods) or 'none'})"
        )
    resource = prm.resource if prm is not None else server_url
    return Discovery(resource=canonical_resource(resource), resource_metadata=prm, server=server)
