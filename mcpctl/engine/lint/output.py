"""Findings and the rule list as a table or JSON (SARIF: :mod:`sarif`; annotations: the CLI)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from mcpctl.engine.lint.model import Finding
from mcpctl.engine.lint.rules import RULES


def summary(findings: Sequence[Finding], *, servers: int, tools: int) -> str:
    """``3 errors, 1 warning, 0 notes in 12 tools of 2 servers``."""
    counts = Counter(f.severity for f in findings)
    parts = [_plural(counts[s], s) for s in ("error", "warning", "note")]
    return f"{', '.join(parts)} in {_plural(tools, 'tool')} of {_plural(servers, 'server')}"


def table(findings: Sequence[Finding]) -> str:
    """One row per finding: severity, rule, server, tool, message."""
    from tabulate import tabulate

    rows = [[f.severity, f.rule, f.server, f.tool or "-", f.message] for f in findings]
    return tabulate(
        rows,
        headers=["severity", "rule", "server", "tool", "message"],
        tablefmt="plain",
        disable_numparse=True,
    )


def rules_table() -> str:
    """The rule catalogue: ID, severity, name, title and doc page."""
    from tabulate import tabulate

    rows = [[r.id, r.severity, r.name, r.title, r.doc] for r in RULES.values()]
    return tabulate(rows, headers=["rule", "severity", "name", "title", "doc"], tablefmt="plain")


def to_json(findings: Sequence[Finding], *, servers: int, tools: int) -> dict[str, Any]:
    """Findings with their source location, and counts by severity."""
    counts = Counter(f.severity for f in findings)
    return {
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "server": f.server,
                "tool": f.tool,
                "message": f.message,
                "fix": RULES[f.rule].fix,
                "file": f.source.path if f.source else None,
                "line": f.source.line if f.source else None,
            }
            for f in findings
        ],
        "summary": {
            "servers": servers,
            "tools": tools,
            "error": counts["error"],
            "warning": counts["warning"],
            "note": counts["note"],
        },
    }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
