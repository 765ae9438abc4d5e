"""The interface between an HTTP transport and whatever supplies its credentials."""

from __future__ import annotations

from typing import Protocol


class AuthProvider(Protocol):
    """Supplies the ``Authorization`` header and reacts to 401/403 challenges.

    The transport stamps :meth:`authorization` on every request. On a 401, or a 403, it calls
    :meth:`challenge` with the ``WWW-Authenticate`` header and the credential the failed request
    carried, and retries the request if that returns True (a bounded number of times).
    """

    async def authorization(self) -> str | None:
        """The ``Authorization`` header value for the next request, or ``None`` to send none."""
        ...

    async def challenge(self, *, status: int, www_authenticate: str | None, credential: str | None) -> bool:
        """Obtain new credentials for a 401/403 answer; True when the request should be retried.

        False means the answer stands (e.g. a 403 that more scopes cannot cure). Raises
        :class:`~mcpctl.errors.AuthError` when authorizing failed.
        """
        ...
