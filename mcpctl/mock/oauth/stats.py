"""Counters of the mock's authorization server, served at ``GET /mcpctl/oauth/stats`` (loopback only)."""

from __future__ import annotations

from mcpctl.mcp.jsonrpc import JSONValue


class OAuthStats:
    """What the authorization server and the guard have done since the mock started."""

    __slots__ = (
        "authorizations",
        "metadata_documents",
        "refreshes",
        "refused",
        "registrations",
        "tokens_issued",
    )

    def __init__(self) -> None:
        self.authorizations = 0
        """Authorization codes issued by /authorize."""
        self.tokens_issued = 0
        """Access tokens issued by /token (any grant)."""
        self.refreshes = 0
        """refresh_token grants honoured."""
        self.registrations = 0
        """Clients registered at /register."""
        self.metadata_documents = 0
        """Client ID metadata documents fetched."""
        self.refused = 0
        """MCP requests the guard answered 401 or 403."""

    def as_json(self) -> dict[str, JSONValue]:
        """The counters by their JSON names (camelCase)."""
        return {
            "authorizations": self.authorizations,
            "tokensIssued": self.tokens_issued,
            "refreshes": self.refreshes,
            "registrations": self.registrations,
            "metadataDocuments": self.metadata_documents,
            "refused": self.refused,
        }
