"""``mcpctl lint -o sarif`` output validates against the official SARIF 2.1.0 JSON Schema.

tests/data/sarif-schema-2.1.0.json is the OASIS SARIF 2.1.0 schema (the "rtm.5" final text, draft-04)
as shipped in the npm package @microsoft/jest-sarif 1.0.0-beta.0 (lib/schemas/sarif-2.1.0-rtm.5.json,
sha256 2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8), obtained with
`npm pack @microsoft/jest-sarif`; vendored so the test runs offline.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from mcpctl.engine.lint.model import Finding, HttpFacts, ListedServer
from mcpctl.engine.lint.rules import RULES
from mcpctl.engine.lint.run import lint
from mcpctl.engine.lint.sarif import to_sarif
from mcpctl.engine.lint.sources import mock_listing
from mcpctl.spec.model import Source
from testing.paths import ROOT

SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def _findings(tmp_path: Path) -> list[Finding]:
    spec = tmp_path / "servers.yaml"
    spec.write_text("servers:\n  weather:\n    mock: builtin:poisoned\n", encoding="utf-8")
    servers = [
        ListedServer(
            name="weather",
            tools=mock_listing("weather", "builtin:poisoned", source=None).tools,
            source=Source(path=str(spec), line=3, column=5),
        ),
        ListedServer(
            name="crm",
            tools=[{"name": "drop table", "inputSchema": {"type": "object"}}],
            http=HttpFacts(url="http://crm.example.com/mcp", authenticated=False),
        ),
    ]
    return lint(servers)


def test_the_sarif_log_validates_against_the_sarif_2_1_0_schema(tmp_path: Path) -> None:
    log = to_sarif(_findings(tmp_path), base=str(tmp_path))
    validator = jsonschema.validators.validator_for(SCHEMA)
    validator.check_schema(SCHEMA)
    errors = sorted(validator(SCHEMA).iter_errors(log), key=str)
    assert errors == []
    # serialised as the CLI prints it, too
    assert list(validator(SCHEMA).iter_errors(json.loads(json.dumps(log)))) == []


def test_rules_results_and_locations(tmp_path: Path) -> None:
    log = to_sarif(_findings(tmp_path), base=str(tmp_path))
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    assert rules[2] == {
        "id": "MCP003",
        "name": "invisible-unicode",
        "shortDescription": {
            "text": "Invisible or bidirectional Unicode in a name, description or schema text"
        },
        "help": {
            "text": "Delete the zero-width, bidi-control or tag characters; they hide text from human reviewers."
        },
        "helpUri": "docs/lint/MCP003.md",
        "defaultConfiguration": {"level": "error"},
    }
    by_rule = {
        (r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]): r
        for r in run["results"]
    }
    spec_result = by_rule[("MCP003", "weather/get_forecast")]
    assert spec_result["level"] == "error"
    assert spec_result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "servers.yaml"},
        "region": {"startLine": 3, "startColumn": 5},
    }
    # a server that came from no file has a logical location only
    plain = by_rule[("MCP024", "crm")]
    assert plain["locations"] == [
        {"logicalLocations": [{"name": "crm", "fullyQualifiedName": "crm", "kind": "module"}]}
    ]
    assert plain["ruleIndex"] == list(RULES).index("MCP024")
