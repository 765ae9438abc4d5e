"""Who may ask the dashboard what: Host and Origin against DNS rebinding and cross-site pages, the token for
changes (and for reads when bound beyond loopback), and the headers every answer carries.

The token travels in the ``X-Mcpctl-Token`` header for changes, never in a cookie alone, so a foreign page
cannot forge one (CSRF); a request without ``Origin`` (curl, a same-origin navigation) is judged by its
``Host`` and token only. Reads on a non-loopback bind also take ``?token=`` on GET, the link printed at start.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from typing import Final

from mcpctl.mock.http_guard import is_loopback
from mcpctl.web.routing import HttpError

TOKEN_HEADER: Final = b"x-mcpctl-token"
LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "[::1]")
CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEAD: Final = (
    b"x-content-type-options: nosniff\r\n"
    b"x-frame-options: DENY\r\n"
    b"referrer-policy: no-referrer\r\n"
    b"cache-control: no-store\r\n"
)
"""On every answer; ``no-referrer`` keeps a ``?token=`` in the address bar from leaving in a Referer."""
CSP_HEAD: Final = f"content-security-policy: {CSP}\r\n".encode()
_HOST: Final = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::(\d{1,5}))?")


class Security:
    """The checks of one dashboard bound to ``host:port`` with ``token``."""

    def __init__(self, *, host: str, port: int, token: str) -> None:
        self.loopback = is_loopback(host)
        self.token = token
        shown = f"[{host}]" if ":" in host else host
        wildcard = host in ("0.0.0.0", "::", "")
        self._names = frozenset(LOOPBACK_NAMES if self.loopback else (*LOOPBACK_NAMES, shown.lower()))
        self._any_host = wildcard
        self._origins: frozenset[str] = frozenset()
        self.bind(port)

    def bind(self, port: int) -> None:
        """The port actually bound (with ``--listen HOST:0`` it is known only once listening)."""
        self.port = port
        self._origins = frozenset(f"http://{name}:{port}" for name in self._names)

    @property
    def reads_need_token(self) -> bool:
        """Beyond loopback anyone on the network could read: the token is needed for everything."""
        return not self.loopback

    def check(
        self,
        *,
        method: str,
        headers: Mapping[bytes, bytes],
        query: Mapping[str, str],
        changes: bool,
    ) -> None:
        """Raise :class:`HttpError` 403 (foreign Host or Origin) or 401 (no or wrong token), else return."""
        self.check_host_and_origin(headers)
        if changes:
            if not self.token_ok(headers.get(TOKEN_HEADER, b"").decode("latin-1")):
                raise HttpError(
                    401, "token required: send the dashboard's token in the X-Mcpctl-Token header"
                )
            return
        if self.reads_need_token:
            given = headers.get(TOKEN_HEADER, b"").decode("latin-1")
            if method in ("GET", "HEAD") and not given:
                given = query.get("token", "")
            if not self.token_ok(given):
                raise HttpError(401, "token required: open the link with ?token= printed at start")

    def check_host_and_origin(self, headers: Mapping[bytes, bytes]) -> None:
        """Raise 403 for a Host that does not name this dashboard or an Origin of another site."""
        host = headers.get(b"host")
        if not self._any_host and not self._host_ok(host):
            raise HttpError(403, "forbidden: the Host header does not name this dashboard")
        origin = headers.get(b"origin")
        if origin is not None and not self.origin_ok(origin.decode("latin-1")):
            raise HttpError(403, "forbidden: requests from other sites (Origin) are refused")

    def _host_ok(self, host: bytes | None) -> bool:
        match = _HOST.fullmatch(host.decode("latin-1")) if host else None
        if match is None or match.group(1).lower() not in self._names:
            return False
        return match.group(2) is None or int(match.group(2)) == self.port

    def origin_ok(self, origin: str) -> bool:
        """Only the dashboard's own origin(s): ``http://<loopback name or bound host>:<port>``."""
        if self._any_host:
            match = re.fullmatch(r"http://(\[[0-9A-Fa-f:.]+\]|[^:/\[\]]+):(\d{1,5})", origin)
            return match is not None and int(match.group(2)) == self.port
        return origin.lower() in self._origins

    def token_ok(self, given: str) -> bool:
        """Whether ``given`` is the token, compared in constant time."""
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())
