"""The calls a mock answered, in order: for ``mcpctl mock history`` and ``expect: mock_calls``."""

from __future__ import annotations

from dataclasses import dataclass

from mcpctl.mcp.jsonrpc import JSONValue


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """One ``tools/call`` the mock answered, for ``mcpctl mock history`` and ``expect: mock_calls``."""

    at: float
    session: int
    tool: str
    arguments: JSONValue
    rule: str
    """``responses[N]``, ``default``, ``generated``, ``error-rate`` or ``invalid-arguments``."""
    scenario: str
    latency_ms: float
    is_error: bool
    error_code: int | None = None
