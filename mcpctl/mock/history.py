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
    answer: JSONValue = None
    """The result sent (or ``{"error": {code, message}}``), as the client got it."""

    def as_json(self) -> dict[str, JSONValue]:
        """The record as JSON (camelCase keys, as on the wire and in exports)."""
        return {
            "at": self.at,
            "session": self.session,
            "tool": self.tool,
            "arguments": self.arguments,
            "rule": self.rule,
            "scenario": self.scenario,
            "latencyMs": round(self.latency_ms, 3),
            "isError": self.is_error,
            "errorCode": self.error_code,
            "answer": self.answer,
        }
