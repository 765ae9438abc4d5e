"""Run every rule over a set of listed servers; drop what the spec's comments ignore."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from mcpctl.engine.lint import servers as server_rules
from mcpctl.engine.lint.ignores import ALL, Ignores
from mcpctl.engine.lint.model import SEVERITY_RANK, Finding, ListedServer, Severity
from mcpctl.engine.lint.rules import RULES
from mcpctl.engine.lint.tool import check_tool

DEFAULT_BUDGET = 1000

Raw = tuple[ListedServer, str | None, str, str]
"""(server, tool name, rule ID, message) before ignores and severities apply."""


def lint(servers: Sequence[ListedServer], *, budget: int = DEFAULT_BUDGET) -> list[Finding]:
    """Every finding over ``servers`` (checked together: collisions and shadowing across them), ordered
    by severity, server, tool and rule; findings a ``# mcpctl-lint: ignore`` comment names are dropped."""
    ignores = Ignores()
    findings: list[Finding] = []
    for server, tool, rule, message in _raw(servers, budget):
        skip = ignores.ignored(server.source, server.name)
        if rule in skip or ALL in skip:
            continue
        source = server.tool_sources.get(tool, server.source) if tool is not None else server.source
        findings.append(
            Finding(
                rule=rule,
                severity=RULES[rule].severity,
                server=server.name,
                tool=tool,
                message=message,
                source=source,
            )
        )
    findings.sort(key=lambda f: (-SEVERITY_RANK[f.severity], f.server, f.tool or "", f.rule, f.message))
    return findings


def _raw(servers: Sequence[ListedServer], budget: int) -> Iterator[Raw]:
    for server in servers:
        for rule, message in server_rules.transport_problems(server):
            yield server, None, rule, message
        for tool in server.tools:
            name = tool.get("name")
            for rule, message in check_tool(tool, budget=budget):
                yield server, str(name) if name is not None else None, rule, message
    by_name = {server.name: server for server in servers}
    for owner, tool_name, message in server_rules.collisions(servers):
        yield by_name[owner], tool_name, "MCP008", message
    for owner, tool_name, message in server_rules.shadowing(servers):
        yield by_name[owner], tool_name, "MCP009", message


def failing(findings: Sequence[Finding], fail_on: Severity) -> bool:
    """Whether any finding is at or above ``fail_on``."""
    return any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[fail_on] for f in findings)
