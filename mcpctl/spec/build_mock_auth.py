"""The ``auth:`` of a ``MockServer`` document: the embedded OAuth authorization server's settings, from
validated YAML to :mod:`mcpctl.spec.mock_model` records, with the checks the schema cannot make
(scopes and tools that exist, clients that can authenticate the way they say)."""

from __future__ import annotations

from mcpctl.spec.build_suite import duration
from mcpctl.spec.mock_model import (
    CLIENT_AUTH_METHODS,
    MISBEHAVIOURS,
    OAUTH_GRANTS,
    TOKEN_LIFETIME,
    ClientAuthMethod,
    MockAuth,
    MockOAuth,
    OAuthClient,
)
from mcpctl.spec.semantics import check_unique
from mcpctl.spec.validate import Cursor


def build_mock_auth(cursor: Cursor | None, *, tools: list[str]) -> MockAuth | None:
    """``auth: {oauth: ...}``: scopes that exist, tools that exist, clients that can authenticate."""
    oauth = cursor.get("oauth") if cursor is not None else None
    if oauth is None:
        return None
    scopes = _texts(oauth.get("scopes"))
    _known_scopes(oauth.get("requiredScopes"), scopes)
    tool_scopes: dict[str, tuple[str, ...]] = {}
    for name, needed in found.items() if (found := oauth.get("toolScopes")) else []:
        if name not in tools:
            needed.error(f"unknown tool {name!r} (tools: {', '.join(tools) or 'none'})", key=True)
        tool_scopes[name] = _known_scopes(needed, scopes)
    clients = oauth.get("clients")
    items = clients.elements() if clients is not None else []
    check_unique(
        [(str(f.plain()), f) for item in items if (f := item.get("clientId")) is not None],
        "client",
        noun="clientId",
    )
    return MockAuth(
        oauth=MockOAuth(
            scopes=scopes,
            required_scopes=_texts(oauth.get("requiredScopes")),
            tool_scopes=tool_scopes,
            token_lifetime=duration(oauth.get("tokenLifetime")) or TOKEN_LIFETIME,
            clients=tuple(_client(item) for item in items),
            registration=oauth.flag("registration") is not False,
            client_id_metadata_documents=oauth.flag("clientIdMetadataDocuments") is not False,
            approve="deny" if oauth.text("approve") == "deny" else "auto",
            misbehave=tuple(m for m in MISBEHAVIOURS if m in _texts(oauth.get("misbehave"))),
            source=oauth.source(),
        )
    )


def _texts(cursor: Cursor | None) -> tuple[str, ...]:
    return tuple(str(item.plain()) for item in cursor.elements()) if cursor is not None else ()


def _known_scopes(cursor: Cursor | None, scopes: tuple[str, ...]) -> tuple[str, ...]:
    for item in cursor.elements() if cursor is not None else []:
        if item.plain() not in scopes:
            item.error(f"scope {item.plain()!r} is not among scopes ({', '.join(scopes) or 'none'})")
    return _texts(cursor)


def _client(cursor: Cursor) -> OAuthClient:
    """A pre-registered client whose authentication method has what it needs."""
    secret, keys = cursor.text("clientSecret"), cursor.get("jwks") or cursor.get("jwksUri")
    default: ClientAuthMethod = "client_secret_basic" if secret else "private_key_jwt" if keys else "none"
    method = next((m for m in CLIENT_AUTH_METHODS if m == cursor.text("authMethod")), default)
    grants = tuple(g for g in OAUTH_GRANTS if g in _texts(cursor.get("grants"))) or (
        "authorization_code",
        "refresh_token",
    )
    where = cursor.get("authMethod") or cursor
    if method.startswith("client_secret") and not secret:
        where.error(f"authMethod {method} needs a clientSecret")
    elif method == "private_key_jwt" and keys is None:
        where.error("authMethod private_key_jwt needs jwks or jwksUri (the client's public keys)")
    elif method == "none" and "client_credentials" in grants:
        where.error("client_credentials needs a confidential client: give a clientSecret, jwks or jwksUri")
    if "authorization_code" in grants and cursor.get("redirectUris") is None:
        cursor.error("a client with the authorization_code grant needs redirectUris")
    jwks = cursor.get("jwks")
    jwks_value = jwks.plain() if jwks is not None else None
    return OAuthClient(
        client_id=cursor.text("clientId") or "",
        client_secret=secret,
        redirect_uris=_texts(cursor.get("redirectUris")),
        grants=grants,
        auth_method=method,
        jwks=jwks_value if isinstance(jwks_value, dict) else None,
        jwks_uri=cursor.text("jwksUri"),
        source=cursor.source(),
    )
