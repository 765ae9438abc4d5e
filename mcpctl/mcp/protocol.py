"""Protocol revisions and the constants of each era.

Two eras: the *handshake* revisions (``initialize`` then ``notifications/initialized``) and
the *modern* stateless revisions, where a ``server/discover`` probe replaces the handshake and
every request carries the client's identity in ``params._meta``.
"""

from __future__ import annotations

from typing import Final

from mcpctl.mcp.transports.base import Era

HANDSHAKE_VERSIONS: Final = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
"""Revisions negotiated with ``initialize``, oldest first."""

MODERN_VERSIONS: Final = ("2026-07-28",)
"""Revisions using ``server/discover`` and the per-request envelope, oldest first."""

KNOWN_VERSIONS: Final = (*HANDSHAKE_VERSIONS, *MODERN_VERSIONS)
LATEST_VERSION: Final = KNOWN_VERSIONS[-1]
LATEST_HANDSHAKE_VERSION: Final = HANDSHAKE_VERSIONS[-1]
LATEST_MODERN_VERSION: Final = MODERN_VERSIONS[-1]

PROTOCOL_VERSION_META: Final = "io.modelcontextprotocol/protocolVersion"
CLIENT_INFO_META: Final = "io.modelcontextprotocol/clientInfo"
CLIENT_CAPABILITIES_META: Final = "io.modelcontextprotocol/clientCapabilities"
LOG_LEVEL_META: Final = "io.modelcontextprotocol/logLevel"
SERVER_INFO_META: Final = "io.modelcontextprotocol/serverInfo"

DISCOVER_TIMEOUT: Final = 10.0
"""How long the ``server/discover`` probe waits before falling back to the handshake."""

BATCH_VERSION: Final = "2025-03-26"
"""The one revision with JSON-RPC batches (added in 2025-03-26, removed in 2025-06-18)."""

NEVER_CANCELLED: Final = frozenset({"initialize", "server/discover"})
"""Requests the specification forbids cancelling."""


def era_of(version: str) -> Era:
    """The era a known revision belongs to."""
    return "modern" if version in MODERN_VERSIONS else "handshake"


SCENARIO_METHOD = "mcpctl/setScenario"
"""mcpctl's own request, answered by ``mcpctl mock``: switch the mock's scenario (``{"scenario": NAME}``)."""
HISTORY_METHOD = "mcpctl/history"
"""mcpctl's own request, answered by ``mcpctl mock``: the calls it answered so far (``{"tool": NAME}``
narrows; ``{"clear": true}`` empties the list after answering); what ``expect: mockCalls`` reads."""
