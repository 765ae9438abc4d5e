"""Access tokens as the token endpoint issues them, and where they are kept between requests."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final, Protocol

from mcpctl.errors import AuthError
from mcpctl.mcp.jsonrpc import JSONValue

EXPIRY_MARGIN: Final = 30.0
"""Seconds before ``expires_in`` runs out when a token already counts as expired."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    """An access token for one resource (RFC 6749 §5.1)."""

    access_token: str
    token_type: str = "Bearer"
    expires_at: float | None = None
    """``time.time()`` when it expires; ``None`` if the server did not say."""
    refresh_token: str | None = None
    scope: tuple[str, ...] = ()
    """The granted scopes, when the server listed them."""
    lifetime: float | None = None
    """``expires_in`` as the server said it (seconds), to scale the expiry margin of short-lived tokens."""

    def expired(self, now: float | None = None) -> bool:
        """True once the token is within :data:`EXPIRY_MARGIN` of its expiry (within half its lifetime
        for a token that lives less than a minute: a 20 s token is not expired at once)."""
        if self.expires_at is None:
            return False
        margin = min(EXPIRY_MARGIN, self.lifetime / 2) if self.lifetime is not None else EXPIRY_MARGIN
        return (time.time() if now is None else now) >= self.expires_at - margin

    @property
    def header(self) -> str:
        """The ``Authorization`` header value."""
        return f"Bearer {self.access_token}"


def token_from_response(body: dict[str, JSONValue], *, where: str, now: float | None = None) -> Token:
    """A :class:`Token` from a successful token response, checked for the required fields."""
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise AuthError(f"{where}: the token response has no access_token")
    kind = body.get("token_type", "Bearer")
    if not isinstance(kind, str) or kind.lower() not in ("bearer", "n_a"):
        raise AuthError(f"{where}: unsupported token_type {kind!r} (mcpctl sends Bearer tokens)")
    expires_in = body.get("expires_in")
    expires_at = lifetime = None
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        lifetime = float(expires_in)
        expires_at = (time.time() if now is None else now) + lifetime
    refresh = body.get("refresh_token")
    scope = body.get("scope")
    return Token(
        access_token=access,
        expires_at=expires_at,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        scope=tuple(scope.split()) if isinstance(scope, str) else (),
        lifetime=lifetime,
    )


class TokenStore(Protocol):
    """Keeps tokens keyed by the resource (the MCP server URL) they are for."""

    def get(self, resource: str) -> Token | None:
        """The token for ``resource``, if any."""
        ...

    def put(self, resource: str, token: Token) -> None:
        """Keep ``token`` for ``resource``, replacing any earlier one."""
        ...

    def forget(self, resource: str) -> None:
        """Drop the token for ``resource``."""
        ...


class MemoryTokenStore:
    """A :class:`TokenStore` that lives as long as the process."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}

    def get(self, resource: str) -> Token | None:
        return self._tokens.get(resource)

    def put(self, resource: str, token: Token) -> None:
        self._tokens[resource] = token

    def forget(self, resource: str) -> None:
        self._tokens.pop(resource, None)
