"""What a session learns from a server: the negotiated state and typed answers."""

from __future__ import annotations

from dataclasses import dataclass, field

from mcpctl.mcp.jsonrpc import JSONValue, Message
from mcpctl.mcp.transports.base import Era


@dataclass(frozen=True, slots=True, kw_only=True)
class Negotiated:
    """The outcome of connecting: which revision, in which era, with what the server offers."""

    protocol_version: str
    era: Era
    server_info: Message
    capabilities: Message
    instructions: str | None = None
    probe: str = ""
    """How the era was settled, e.g. ``"server/discover"`` or ``"discover -32601 → initialize"``."""

    @property
    def server_name(self) -> str:
        name = self.server_info.get("name")
        return name if isinstance(name, str) else "?"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallResult:
    """The answer to ``tools/call``: content blocks, structured content and the error flag."""

    content: list[Message]
    structured_content: JSONValue = None
    is_error: bool = False
    elapsed_ms: float = 0.0
    raw: Message = field(default_factory=dict)

    @property
    def text(self) -> str:
        """All text content blocks joined with newlines."""
        return "\n".join(str(b.get("text", "")) for b in self.content if b.get("type") == "text")

    @classmethod
    def from_result(cls, result: Message, *, elapsed_ms: float) -> CallResult:
        content = result.get("content")
        return cls(
            content=[b for b in content if isinstance(b, dict)] if isinstance(content, list) else [],
            structured_content=result.get("structuredContent"),
            is_error=result.get("isError") is True,
            elapsed_ms=elapsed_ms,
            raw=result,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """One ``notifications/progress`` for a request of ours."""

    progress: float
    total: float | None = None
    message: str | None = None
