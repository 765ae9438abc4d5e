"""Coverage without servers: what the specs use (every kind that calls tools), and how it is counted
against a listing (array enums, run-time values, URI templates, the total's definition)."""

from __future__ import annotations

from pathlib import Path

from mcpctl.engine.compare.contract import Contract, diff_contracts
from mcpctl.engine.coverage.measure import CoverageReport, measure, template_pattern
from mcpctl.engine.coverage.usage import collect_usage
from mcpctl.spec.build import load_specs

SPECS = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: servers}
servers:
  notes: {command: notes-server}
---
apiVersion: mcpctl/v1
kind: LoadTest
metadata: {name: load}
server: notes
scenario:
  - {call: search, with: {tags: [work, home], sort: "{{ vars.sort }}"}}
  - {read: "notes://note/7"}
  - {prompt: summarize, with: {id: "7"}}
  - {list: tools}
vars: {sort: new}
profile: {model: vus, stages: [{duration: 1s, target: 1}]}
---
apiVersion: mcpctl/v1
kind: BatchPlan
metadata: {name: plan}
operations:
  - execute: {server: notes, tool: archive, input: ids.jsonl, output: out.jsonl}
"""

SEARCH = {
    "name": "search",
    "inputSchema": {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"enum": ["work", "home", "travel"]}},
            "sort": {"enum": ["new", "old"]},
            "limit": {"type": "integer"},
        },
    },
}
ARCHIVE = {"name": "archive", "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}}}


def test_load_tests_and_batch_executes_are_counted(tmp_path: Path) -> None:
    (tmp_path / "ids.jsonl").write_text('{"id": "1"}\n', encoding="utf-8")
    path = tmp_path / "specs.yaml"
    path.write_text(SPECS, encoding="utf-8")
    usage = collect_usage(load_specs([str(path)]))["notes"]
    contract = Contract(
        protocol="2025-06-18",
        server_info={},
        capabilities={},
        tools=(SEARCH, ARCHIVE),
        templates=({"uriTemplate": "notes://note/{id}", "name": "note"},),
        prompts=({"name": "summarize"}, {"name": "draft"}),
    )
    server = measure(usage, contract)
    search, archive = server.tools
    assert [(e.field, e.used) for e in search.enums] == [("tags", ("work", "home")), ("sort", ())]
    assert (search.given, search.unknown, search.hit, search.total) == (("tags", "sort"), 1, 5, 10)
    assert (archive.calls, archive.given, archive.unknown, archive.hit, archive.total) == (1, (), 1, 1, 3)
    assert (server.matched, server.fetched, server.hit, server.total) == (
        ("notes://note/{id}",),
        ("summarize",),
        8,
        16,
    )
    assert CoverageReport(servers=(server,)).percent == 50.0


def test_uri_templates_match_one_segment_per_simple_expression() -> None:
    assert template_pattern("file:///{dir}/{name}.txt").fullmatch("file:///a/b.txt")
    assert not template_pattern("file:///{name}.txt").fullmatch("file:///a/b.txt")
    assert template_pattern("file:///{+path}").fullmatch("file:///a/b/c")
    assert template_pattern("search{?q,page}").fullmatch("search?q=x&page=2")


def test_capabilities_are_compared_leaf_by_leaf() -> None:
    a = Contract(
        protocol="2025-06-18", server_info={}, capabilities={"tools": {"listChanged": True}, "logging": {}}
    )
    b = Contract(protocol="2025-11-25", server_info={}, capabilities={"tools": {}, "prompts": {}})
    assert [line for d in diff_contracts(a, b) for line in d.lines] == [
        "protocol revision: 2025-06-18 -> 2025-11-25",
        "capabilities.logging: {} -> (unset)",
        "capabilities.prompts: (unset) -> {}",
        "capabilities.tools: (unset) -> {}",
        "capabilities.tools.listChanged: true -> (unset)",
    ]
