"""Credentials on HTTP transport requests: stamping the ``Authorization`` header, answering challenges."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from mcpctl.errors import AuthError
from mcpctl.mcp.transports.http_backend import Headers

if TYPE_CHECKING:
    from mcpctl.mcp.auth.provider import AuthProvider

AUTH_ROUNDS: Final = 3
"""How many times one request may send the provider back to authorize (401, or 403 step-up)."""


class RequestAuth:
    """An optional :class:`~mcpctl.mcp.auth.provider.AuthProvider` as the transports use it."""

    def __init__(self, provider: AuthProvider | None) -> None:
        self.provider = provider

    async def stamp(self, headers: Headers) -> tuple[Headers, str | None]:
        """``headers`` with the provider's current ``Authorization`` (replacing any static one)."""
        if self.provider is None:
            return headers, None
        credential = await self.provider.authorization()
        if credential is None:
            return headers, None
        return [
            *((k, v) for k, v in headers if k != "authorization"),
            ("authorization", credential),
        ], credential

    async def retry(
        self, status: int, headers: Mapping[str, str], credential: str | None, *, rounds: int, where: str
    ) -> bool:
        """Whether to resend a request answered with ``status`` after the provider re-authorized."""
        if self.provider is None or status not in (401, 403):
            return False
        if rounds >= AUTH_ROUNDS:
            raise AuthError(
                f"{where}: still HTTP {status} after {AUTH_ROUNDS} authorizations",
                hint="the token the authorization server grants is not enough for this server",
            )
        return await self.provider.challenge(
            status=status, www_authenticate=headers.get("www-authenticate"), credential=credential
        )
