"""Findings as SARIF 2.1.0 (OASIS): one run, the rule catalogue as ``tool.driver.rules``.

A finding of a server written in a spec (or client config) points at that file and line (GitHub code
scanning shows it on the diff); one read from a running server only has a logical location,
``server/tool``. ``helpUri`` is the rule's doc page relative to the repository root.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcpctl import __version__
from mcpctl.engine.lint.model import Finding
from mcpctl.engine.lint.rules import RULES

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def to_sarif(findings: Sequence[Finding], *, base: str | None = None) -> dict[str, Any]:
    """The SARIF log of ``findings``; file paths under ``base`` (default: the working directory) are
    written relative to it, others as ``file://`` URIs."""
    index = {rule_id: i for i, rule_id in enumerate(RULES)}
    rules = [
        {
            "id": rule.id,
            "name": rule.name,
            "shortDescription": {"text": rule.title},
            "help": {"text": rule.fix},
            "helpUri": rule.doc,
            "defaultConfiguration": {"level": rule.severity},
        }
        for rule in RULES.values()
    ]
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": f.severity,
            "message": {"text": f.message},
            "locations": [_location(f, base or os.getcwd())],
        }
        for f in findings
    ]
    driver = {"name": "mcpctl lint", "version": __version__, "rules": rules}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }


def _location(finding: Finding, base: str) -> dict[str, Any]:
    name = f"{finding.server}/{finding.tool}" if finding.tool is not None else finding.server
    logical = {"name": finding.tool or finding.server, "fullyQualifiedName": name, "kind": "function"}
    if finding.tool is None:
        logical["kind"] = "module"
    location: dict[str, Any] = {"logicalLocations": [logical]}
    if finding.source is not None:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": _uri(finding.source.path, base)},
            "region": {
                "startLine": max(1, finding.source.line),
                "startColumn": max(1, finding.source.column),
            },
        }
    return location


def _uri(path: str, base: str) -> str:
    absolute = Path(path).absolute()
    try:
        return absolute.relative_to(Path(base).absolute()).as_posix()
    except ValueError:
        return absolute.as_uri()
