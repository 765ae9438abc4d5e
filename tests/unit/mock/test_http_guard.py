"""The header checks, without a server."""

from __future__ import annotations

import pytest

from mcpctl.mock.http_guard import AcceptCache, Guard, is_loopback


def test_guard_without_host_checks_still_checks_origin() -> None:
    guard = Guard(check_host=False, allowed_origins=())
    assert guard.check(b"mock.internal:8080", None) is None
    assert guard.check(None, b"http://localhost:3000") is None
    assert guard.check(None, b"http://evil.example") == (403, "Forbidden: Origin not allowed")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("::", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("accept", "verdict"),
    [
        (None, (True, True)),
        (b"", (False, False)),
        (b"application/json;q=0.9, TEXT/Event-Stream", (True, True)),
        (b"text/*", (False, True)),
        (b"application/*", (True, False)),
        (b"*/*", (True, True)),
        (b"text/html", (False, False)),
    ],
)
def test_accept(accept: bytes | None, verdict: tuple[bool, bool]) -> None:
    accepts = AcceptCache()
    assert accepts(accept) == verdict
    assert accepts(accept) == verdict  # cached
