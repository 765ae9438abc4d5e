"""``mcpctl mock record`` against a fake server: what is listed, called, refused, escaped, and that
the document written validates and replays the recorded answers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from mcpctl.errors import InvalidSpecs, RpcError
from mcpctl.mcp.jsonrpc import JSONValue, Message
from mcpctl.mcp.results import CallResult
from mcpctl.mock.app import ServedMock
from mcpctl.mock.export import check_text, dump_yaml
from mcpctl.mock.probes import Probe, read_calls, suite_probes
from mcpctl.mock.record import record_server, refusal
from mcpctl.mock.tape import ServerFacts, document_name, literal
from mcpctl.spec.build import load_specs
from mcpctl.spec.templating import render_value

READ_ONLY = {"readOnlyHint": True}
TOOLS: list[Message] = [
    {
        "name": "add",
        "description": "Adds.",
        "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}},
        "annotations": {"readOnlyHint": True, "vendorHint": 1},
    },
    {
        "name": "weather",
        "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}},
        "outputSchema": {"type": "object", "properties": {"sky": {"type": "string"}}, "required": ["sky"]},
        "annotations": READ_ONLY,
    },
    {"name": "touch", "inputSchema": {"type": "object"}},
    {"name": "wipe", "inputSchema": {"type": "object"}, "annotations": {"destructiveHint": True}},
]


class FakeServer:
    """Answers like a small real server; remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.counter = 0

    async def list_tools(self) -> list[Message]:
        return TOOLS

    async def list_resources(self) -> list[Message]:
        return [
            {"uri": "file:///a.md", "name": "a.md", "mimeType": "text/markdown"},
            {"uri": "file:///logo.png", "name": "logo"},
            {"uri": "file:///gone", "name": "gone"},
        ]

    async def list_resource_templates(self) -> list[Message]:
        return [
            {"uriTemplate": "item://{id}", "name": "item", "mimeType": "text/plain"},
            {"uriTemplate": "search://x{?q}", "name": "search"},
        ]

    async def list_prompts(self) -> list[Message]:
        return [
            {"name": "hello", "description": "Says hello."},
            {"name": "greet", "arguments": [{"name": "who", "required": True}]},
        ]

    async def call_tool(self, name: str, arguments: Mapping[str, JSONValue] | None = None) -> CallResult:
        self.asked.append(f"call {name} {dict(arguments or {})}")
        args = dict(arguments or {})
        if name == "add" and not isinstance(args.get("a"), int):
            raise RpcError(code=-32602, message="a must be a number", data={"field": "a"})
        if name == "add":
            self.counter += 1
            total = args["a"] + args.get("b", 0)
            return CallResult.from_result(
                {"content": [{"type": "text", "text": f"{total} (call {self.counter})", "extra": 1}]},
                elapsed_ms=1,
            )
        return CallResult.from_result(
            {
                "content": [{"type": "text", "text": "{{ not a template }} costs ${env:HOME}"}],
                "structuredContent": {"sky": "{% if %}"},
            },
            elapsed_ms=1,
        )

    async def read_resource(self, uri: str) -> Message:
        self.asked.append(f"read {uri}")
        if uri == "file:///gone":
            raise RpcError(code=-32002, message="Resource not found")
        if uri == "file:///logo.png":
            return {"contents": [{"uri": uri, "mimeType": "image/png", "blob": "iVBORw0K"}]}
        return {"contents": [{"uri": uri, "mimeType": "text/markdown", "text": f"# {uri}\n"}]}

    async def get_prompt(self, name: str, arguments: Mapping[str, str] | None = None) -> Message:
        self.asked.append(f"prompt {name} {dict(arguments or {})}")
        text = f"Hello {dict(arguments or {}).get('who', 'world')}!"
        return {"messages": [{"role": "user", "content": {"type": "text", "text": text}}]}


FACTS = ServerFacts(
    info={"name": "acme/demo server", "version": "1.2.3", "title": "Demo"},
    capabilities={"tools": {}, "resources": {}, "prompts": {}},
    instructions="Be nice.",
    protocol="2025-11-25",
    source="https://example.test/mcp",
)


def probe(kind: str, name: str, **arguments: JSONValue) -> Probe:
    return Probe(kind=kind, name=name, arguments=arguments, origin="calls.yaml:1:3")  # type: ignore[arg-type]


async def test_a_recording_lists_everything_and_replays_the_answers(tmp_path: Path) -> None:
    server = FakeServer()
    probes = [
        probe("call", "add", a=1, b=2),
        probe("call", "add", a=1, b=2),
        probe("call", "add", a="x"),
        probe("call", "weather", city="Oslo"),
        probe("read", "item://7"),
        probe("prompt", "greet", who="Ann"),
    ]
    recording = await record_server(server, facts=FACTS, probes=probes)
    doc = recording.document
    assert doc["metadata"] == {
        "name": "acme-demo-server",
        "description": "Recorded from https://example.test/mcp by mcpctl mock record.",
    }
    assert doc["server"] == {
        "name": "acme/demo server",
        "version": "1.2.3",
        "title": "Demo",
        "instructions": "Be nice.",
    }
    add = doc["tools"][0]
    assert add["annotations"] == {"readOnlyHint": True}
    assert add["responses"] == [
        {
            "when": {"args": {"a": {"equals": 1}, "b": {"equals": 2}}},
            "respond": [
                {"content": [{"type": "text", "text": "3 (call 1)"}]},
                {"content": [{"type": "text", "text": "3 (call 2)"}]},
            ],
        },
        {
            "when": {"args": {"a": {"equals": "x"}, "b": {"exists": False}}},
            "respond": {"error": {"code": -32602, "message": "a must be a number", "data": {"field": "a"}}},
        },
    ]
    weather = doc["tools"][1]["responses"][0]["respond"]
    assert weather == {
        "content": [{"type": "text", "text": "{% raw %}{{ not a template }} costs $${env:HOME}{% endraw %}"}],
        "structuredContent": {"sky": "{% raw %}{% if %}{% endraw %}"},
    }
    assert [(r["uri"], r.get("text"), r.get("blob")) for r in doc["resources"]] == [
        ("file:///a.md", "# file:///a.md\n", None),
        ("file:///logo.png", None, "iVBORw0K"),
        ("file:///gone", "(not recorded by mcpctl mock record: file:///gone)", None),
        ("item://7", "# item://7\n", None),
    ]
    assert doc["resourceTemplates"] == [
        {
            "uriTemplate": "item://{id}",
            "name": "item",
            "mimeType": "text/plain",
            "text": "(no answer recorded for {{ uri }})",
        }
    ]
    assert [p["messages"] for p in doc["prompts"]] == [
        [{"role": "user", "text": "Hello world!"}],
        [{"role": "user", "text": "Hello Ann!"}],
    ]
    assert recording.notes == (
        "calls.yaml:1:3: prompt greet: recorded for these arguments only (prompts have no rules)",
        "read file:///gone: the server answered error -32002: Resource not found",
        "resource template search://x{?q}: only {name} variables are supported; left out",
    )
    assert recording.summary == (
        "4 tools (4 calls recorded as 3 responses), 4 resources, 1 resource templates, 2 prompts (2 recorded)"
    )
    text = dump_yaml(doc, header=recording.header(at=0))
    assert text.startswith(
        "# Recorded by mcpctl mock record at 1970-01-01T00:00:00Z\n"
        "# from https://example.test/mcp (acme/demo server 1.2.3, protocol 2025-11-25)\n"
    )
    path = tmp_path / "mock.yaml"
    path.write_text(text)
    mock = load_specs([str(path)]).mocks[0]
    served = ServedMock(mock)
    assert served.spec.tools[1].rules[0].respond[0].content[0]["text"].startswith("{% raw %}")
    rendered = render_value(dict(mock.tools[1].rules[0].respond[0].content[0]), {})
    assert rendered == {"type": "text", "text": "{{ not a template }} costs ${env:HOME}"}


async def test_tools_are_called_only_as_far_as_allowed() -> None:
    probes = [probe("call", "touch"), probe("call", "wipe"), probe("call", "nope")]
    server = FakeServer()
    recording = await record_server(server, facts=FACTS, probes=probes)
    assert server.asked[:1] == ["read file:///a.md"]
    assert recording.notes[:3] == (
        "calls.yaml:1:3: call touch: not called: not annotated readOnlyHint: true (call it with --allow-destructive)",
        "calls.yaml:1:3: call wipe: not called: annotated destructiveHint: true (call it with --allow-destructive=all)",
        "calls.yaml:1:3: call nope: not called: the server does not list it",
    )
    server = FakeServer()
    await record_server(server, facts=FACTS, probes=probes, allow="non-destructive")
    assert server.asked[0] == "call touch {}"
    assert not any("wipe" in asked for asked in server.asked)
    server = FakeServer()
    await record_server(server, facts=FACTS, probes=probes, allow="all")
    assert server.asked[:2] == ["call touch {}", "call wipe {}"]


def test_refusal_follows_the_annotations() -> None:
    assert refusal({"annotations": {"readOnlyHint": True}}, "read-only") is None
    assert refusal({"annotations": {"readOnlyHint": True, "destructiveHint": True}}, "non-destructive") == (
        "annotated destructiveHint: true (call it with --allow-destructive=all)"
    )
    assert refusal({}, "non-destructive") is None


def test_literal_text_survives_templating() -> None:
    for text in ["plain", "{{ x }}", "a {% endraw %} b {{ y }}", "{%- endraw -%}{#"]:
        assert render_value(literal(text), {}) == text
    assert document_name("///") == "recorded"
    assert document_name("mcp-servers/everything") == "mcp-servers-everything"


async def test_undeclared_arguments_match_the_whole_call(tmp_path: Path) -> None:
    recording = await record_server(
        FakeServer(), facts=FACTS, probes=[probe("call", "weather", city="Oslo", unit="C")]
    )
    assert recording.document["tools"][1]["responses"][0]["when"] == {
        "schema": {"const": {"city": "Oslo", "unit": "C"}}
    }
    check_text(dump_yaml(recording.document), path=str(tmp_path / "mock.yaml"))


def test_calls_files_are_read_with_positions(tmp_path: Path) -> None:
    calls = tmp_path / "calls.yaml"
    calls.write_text(
        "- {tool: add, arguments: {a: 1}}\n- read: file:///a.md\n- {prompt: greet, arguments: {who: Ann}}\n"
    )
    assert read_calls(str(calls)) == [
        Probe(kind="call", name="add", arguments={"a": 1}, origin=f"{calls}:1:3"),
        Probe(kind="read", name="file:///a.md", origin=f"{calls}:2:3"),
        Probe(kind="prompt", name="greet", arguments={"who": "Ann"}, origin=f"{calls}:3:3"),
    ]
    calls.write_text(
        "- {tool: add, read: x}\n- {read: x, arguments: {}}\n- {tool: add, arguments: [1]}\n- 3\n"
    )
    with pytest.raises(InvalidSpecs) as caught:
        read_calls(str(calls))
    assert str(caught.value).splitlines() == [
        f"{calls}:1:3: [0]: give exactly one of tool, read, prompt",
        f"{calls}:2:3: [1]: unknown field(s) arguments for a read item",
        f"{calls}:3:26: [2].arguments: expected a mapping of argument values",
        f"{calls}:4:3: [3]: expected a mapping: {{tool: NAME}}, {{read: URI}} or {{prompt: NAME}}",
    ]


def test_suite_actions_become_probes_except_templated_ones(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: s}\nvars: {x: 1}\nserver: {url: 'http://127.0.0.1:1/mcp'}\n"
        "tests:\n"
        "  - {name: one, call: add, with: {a: 1}}\n"
        "  - {name: two, read: 'file:///a.md'}\n"
        "  - {name: three, call: add, with: {a: '{{ vars.x }}'}}\n"
        "  - name: four\n"
        "    steps:\n"
        "      - {name: s1, prompt: greet, with: {who: Ann}}\n"
        "  - {name: five, expect: {tools: {include: [add]}}}\n"
    )
    probes, skipped = suite_probes(load_specs([str(suite)]).suites)
    assert [(p.kind, p.name, dict(p.arguments)) for p in probes] == [
        ("call", "add", {"a": 1}),
        ("read", "file:///a.md", {}),
        ("prompt", "greet", {"who": "Ann"}),
    ]
    assert skipped == [f"{suite}:9:5: s/three: call add uses templates (not rendered when recording)"]
