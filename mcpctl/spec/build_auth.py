"""The ``auth`` of an HTTP server in a Servers spec, as a :data:`~mcpctl.spec.model.ServerAuth` record.

Two families of shapes: the typed ones (``{type: bearer, token}``, ``{type: client_credentials,
client_id, client_secret, scope}``) and the keyed ones (``{bearer: TOKEN}``, ``{oauth: {client_id,
client_secret, scopes, grant}}``, ``{headers: {Name: value}}``). The schema tells them apart by
``type``; what it cannot say (one key only, what a grant needs) is checked here.
"""

from __future__ import annotations

import json
from typing import Literal

from mcpctl.spec.env import Secrets
from mcpctl.spec.model import BearerAuth, ClientCredentialsAuth, HeadersAuth, OAuthAuth, ServerAuth
from mcpctl.spec.validate import Cursor


def _word(value: object) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def build_auth(auth: Cursor | None, secrets: Secrets) -> ServerAuth | None:
    """The ``auth`` of an HTTP server; its credentials are added to ``secrets`` (redacted everywhere)."""
    if auth is None:
        return None
    given = [key for key in ("bearer", "oauth", "headers") if auth.get(key) is not None]
    if len(given) > 1:
        auth.error(f"give one of bearer, oauth or headers, not {' and '.join(given)}")
        return None
    built = _keyed_auth(auth, given[0]) if given else _typed_auth(auth)
    for credential in _credentials(built):
        secrets.add(credential)  # written in the spec, not via ${env:...}: still a credential
    return built


def _typed_auth(auth: Cursor) -> ServerAuth:
    if auth.text("type") == "bearer":
        return BearerAuth(token=auth.text("token") or "")
    return ClientCredentialsAuth(
        client_id=auth.text("client_id") or "",
        client_secret=auth.text("client_secret") or "",
        scope=_scopes(auth.get("scope")),
    )


def _keyed_auth(auth: Cursor, key: str) -> ServerAuth | None:
    value = auth.required(key)
    if key == "bearer":
        return BearerAuth(token=_word(value.plain()))
    if key == "headers":
        if not value.items():
            value.error("expected at least one header: Name: value")
            return None
        return HeadersAuth(headers={name: _word(item.plain()) for name, item in value.items()})
    grant: Literal["authorization_code", "client_credentials"] = (
        "client_credentials" if value.text("grant") == "client_credentials" else "authorization_code"
    )
    if grant == "client_credentials":
        missing = [name for name in ("client_id", "client_secret") if value.get(name) is None]
        if missing:
            value.error(f"grant client_credentials needs {' and '.join(missing)}")
            return None
    return OAuthAuth(
        grant=grant,
        client_id=value.text("client_id"),
        client_secret=value.text("client_secret"),
        scopes=_scopes(value.get("scopes")),
    )


def _scopes(scope: Cursor | None) -> tuple[str, ...]:
    value = scope.plain() if scope is not None else []
    return tuple(str(s) for s in value) if isinstance(value, list) else tuple(str(value).split())


def _credentials(auth: ServerAuth | None) -> list[str]:
    if isinstance(auth, BearerAuth):
        return [auth.token]
    if isinstance(auth, HeadersAuth):
        return list(auth.headers.values())
    if isinstance(auth, ClientCredentialsAuth | OAuthAuth):
        return [auth.client_secret or ""]
    return []
