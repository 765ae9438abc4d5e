"""The records lint passes around: a rule, a finding, a server as listed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mcpctl.spec.model import Source

Severity = Literal["error", "warning", "note"]
SEVERITY_RANK: Mapping[Severity, int] = {"error": 2, "warning": 1, "note": 0}

Tool = Mapping[str, Any]
"""A tool definition as a server lists it (``name``, ``description``, ``inputSchema``, ``annotations``…)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One lint rule: its ID (``MCP001``), default severity, a one-line title and how to fix it."""

    id: str
    name: str
    severity: Severity
    title: str
    fix: str

    @property
    def doc(self) -> str:
        """The rule's doc page, relative to the repository root."""
        return f"docs/lint/{self.id}.md"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem: which rule, where (server, tool, a path inside the tool), and what."""

    rule: str
    severity: Severity
    server: str
    tool: str | None
    message: str
    source: Source | None = None
    """The spec (or client config) line the server was written at, when it came from one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpFacts:
    """What lint needs to know of an HTTP server: its URL and whether credentials were configured."""

    url: str
    authenticated: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ListedServer:
    """A server's tools as listed (or read from a tools.json file), with where it was configured."""

    name: str
    tools: Sequence[Tool]
    source: Source | None = None
    tool_sources: Mapping[str, Source] = field(default_factory=dict)
    """Where each tool was written (a MockServer spec), for findings that point at the tool's line."""
    http: HttpFacts | None = None
