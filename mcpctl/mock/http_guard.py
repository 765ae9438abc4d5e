"""Header checks of the Streamable HTTP server: DNS-rebinding protection, Accept, protocol version.

The MCP spec (2025-11-25, transports) asks a server to validate ``Origin`` on every request and
answer 403 to one it does not trust, and a server bound to loopback to refuse other ``Host``
names: that is what keeps a web page on ``evil.example`` that rebinds its name to 127.0.0.1 from
driving the mock. A bad ``Host`` is a 421 (Misdirected Request), as the official SDK answers.
Verdicts are cached per distinct header value, since a client sends the same ones every time.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Final

from mcpctl.mcp import protocol

KNOWN_VERSIONS: Final = frozenset(protocol.KNOWN_VERSIONS)
"""Revisions accepted in ``MCP-Protocol-Version``; any other value is a 400."""
MODERN_VERSIONS: Final = frozenset(protocol.MODERN_VERSIONS)
"""Revisions without sessions: their requests are served without ``Mcp-Session-Id``."""

_LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "[::1]"})
_DEFAULT_ORIGIN: Final = re.compile(r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?")
_HOST: Final = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(:\d{1,5})?")
_CACHE_SIZE: Final = 256


def is_loopback(host: str) -> bool:
    """Whether a bind address only listens on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Guard:
    """Decides whether a request's ``Host`` and ``Origin`` may reach the mock."""

    def __init__(self, *, check_host: bool, allowed_origins: Sequence[str]) -> None:
        self._check_host = check_host
        self._origins = frozenset(o for o in allowed_origins if not o.endswith(":*"))
        self._origin_prefixes = tuple(o[:-1] for o in allowed_origins if o.endswith(":*"))
        self._custom = bool(allowed_origins)
        self._verdicts: dict[tuple[bytes | None, bytes | None], tuple[int, str] | None] = {}

    def check(self, host: bytes | None, origin: bytes | None) -> tuple[int, str] | None:
        """``None`` if allowed, else the HTTP status and the reason."""
        key = (host, origin)
        try:
            return self._verdicts[key]
        except KeyError:
            pass
        verdict = self._judge(host, origin)
        if len(self._verdicts) >= _CACHE_SIZE:
            self._verdicts.clear()
        self._verdicts[key] = verdict
        return verdict

    def _judge(self, host: bytes | None, origin: bytes | None) -> tuple[int, str] | None:
        if self._check_host:
            match = _HOST.fullmatch(host.decode("latin-1")) if host else None
            if match is None or match.group(1).lower() not in _LOOPBACK_NAMES:
                return 421, "Invalid Host header"
        if origin is not None and not self._origin_allowed(origin.decode("latin-1")):
            return 403, "Forbidden: Origin not allowed"
        return None

    def _origin_allowed(self, origin: str) -> bool:
        if not self._custom:
            return _DEFAULT_ORIGIN.fullmatch(origin) is not None
        if origin in self._origins:
            return True
        return any(
            origin.startswith(prefix) and origin[len(prefix) :].isdigit() for prefix in self._origin_prefixes
        )


class AcceptCache:
    """``(json, sse)``: whether an ``Accept`` value takes ``application/json`` / ``text/event-stream``.

    Wildcards count (``*/*``, ``application/*``, ``text/*``) as the SDK counts them; a missing
    header accepts anything (RFC 9110).
    """

    def __init__(self) -> None:
        self._known: dict[bytes | None, tuple[bool, bool]] = {}

    def __call__(self, accept: bytes | None) -> tuple[bool, bool]:
        try:
            return self._known[accept]
        except KeyError:
            pass
        if accept is None:
            verdict = (True, True)
        else:
            types = {part.split(b";")[0].strip().lower() for part in accept.split(b",")}
            wild = b"*/*" in types
            verdict = (
                wild or b"application/json" in types or b"application/*" in types,
                wild or b"text/event-stream" in types or b"text/*" in types,
            )
        if len(self._known) >= _CACHE_SIZE:
            self._known.clear()
        self._known[accept] = verdict
        return verdict
