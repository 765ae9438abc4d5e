"""load_specs: every model field built from YAML, defaults applied, paths resolved, meaning checked."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

from mcpctl.errors import InvalidSpecs
from mcpctl.spec.build import SpecSet, load_specs
from mcpctl.spec.lockfile import make_lock
from mcpctl.spec.model import (
    BearerAuth,
    CallTool,
    ClientCredentialsAuth,
    ErrorExpect,
    Expected,
    GetPrompt,
    HttpServer,
    LatencyExpect,
    ListExpect,
    Metadata,
    ReadResource,
    ServersSpec,
    Source,
    StdioServer,
    StructuredCheck,
    TestSuiteSpec,
    TextMatch,
)
from mcpctl.spec.templating import TemplateError, references
from mcpctl.spec.units import Duration

SERVERS = """\
apiVersion: mcpctl/v1
kind: Servers
metadata:
  name: local
  labels: {team: core}
  description: Local servers.
servers:
  echo:
    command: python
    args: [-m, echo, 3, 1.5]
    env: {DEBUG: true, PORT: 8080, NAME: x}
    cwd: work
    pin: tools.lock.json
  remote:
    url: https://example.com/mcp
    headers: {X-Team: core}
    transport: sse
    auth: {type: bearer, token: "${env:TOKEN}"}
  machine:
    url: http://localhost:3000/mcp
    auth: {type: client_credentials, client_id: id, client_secret: secret, scope: "read write"}
"""

SUITE = """\
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: smoke}
server: echo
concurrency: 4
vars: {greeting: hi, n: 2}
defaults: {timeout: 5s, retries: 2}
tests:
  - name: call
    call: echo
    with: {text: "{{ vars.greeting }}", n: 1}
    timeout: 1m30s
    retries: 0
    repeat: 10
    expect:
      isError: false
      text: {equals: hi, contains: h, notContains: [x, y], matches: "^h"}
      structuredContent:
        - {pointer: /text, equals: null}
        - {matches: "\\\\d+", exists: true, schema: {type: object}}
      outputSchema: true
      latency: {max: 2s, p50: 100ms, p90: 200ms, p95: 250ms, p99: 500ms}
  - name: failing
    call: echo
    expect: {error: {code: -32602, message: {contains: invalid}}}
  - name: any-error
    prompt: greet
    with: {name: ada}
    skip: true
    expect: {error: true}
  - name: read
    read: res://x
    skip: not today
    expect: {mimeType: text/plain, text: hello}
  - name: prompt
    prompt: greet
    expect: {messages: 2}
  - name: lists
    expect:
      tools: {include: [echo], exclude: [rm], uniqueNames: true, schemaValid: true, pinned: tools.lock.json, count: 1}
      resources: {include: ["res://x"], count: 0}
      prompts: {uniqueNames: true}
  - name: flow
    steps:
      - name: create
        call: echo
        save: {id: /structuredContent/id}
      - name: read
        read: "res://{{ steps.create.id }}"
        expect: {text: x}
"""


def write_lock(path: Path, *names: str) -> None:
    tools = [{"name": name, "description": f"the {name} tool"} for name in names]
    lock = make_lock(
        tools, server="echo", server_info={"name": "echo", "version": "1"}, protocol="2025-06-18"
    )
    path.write_text(json.dumps(lock), encoding="utf-8")


@pytest.fixture
def specs(tmp_path: Path) -> SpecSet:
    write_lock(tmp_path / "tools.lock.json", "echo")
    (tmp_path / "servers.yaml").write_text(SERVERS, encoding="utf-8")
    (tmp_path / "suite.yaml").write_text(SUITE, encoding="utf-8")
    return load_specs(
        [str(tmp_path / "suite.yaml")],
        servers_files=[str(tmp_path / "servers.yaml")],
        environ={"TOKEN": "s3cret"},
    )


def errors_of(tmp_path: Path, text: str, *, name: str = "spec.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(path)], environ={})
    return [str(error).removeprefix(f"{path}:") for error in caught.value.errors]


def test_servers_files_give_servers_but_not_documents(specs: SpecSet, tmp_path: Path) -> None:
    assert [type(d) for d in specs.documents] == [TestSuiteSpec]
    assert list(specs.servers) == ["echo", "remote", "machine"]
    assert specs.suites == specs.documents
    assert specs.secrets.redact("Bearer s3cret") == "Bearer ***"


def test_stdio_server(specs: SpecSet, tmp_path: Path) -> None:
    assert specs.servers["echo"] == StdioServer(
        name="echo",
        command=("python", "-m", "echo", "3", "1.5"),
        env={"DEBUG": "true", "PORT": "8080", "NAME": "x"},
        cwd=str(tmp_path / "work"),
        pin=str(tmp_path / "tools.lock.json"),
        source=Source(path=str(tmp_path / "servers.yaml"), line=9, column=5),
    )


def test_http_servers(specs: SpecSet, tmp_path: Path) -> None:
    assert specs.servers["remote"] == HttpServer(
        name="remote",
        url="https://example.com/mcp",
        headers={"X-Team": "core"},
        transport="sse",
        auth=BearerAuth(token="s3cret"),
        source=Source(path=str(tmp_path / "servers.yaml"), line=15, column=5),
    )
    machine = specs.servers["machine"]
    assert isinstance(machine, HttpServer)
    assert machine.transport == "streamable"
    assert machine.auth == ClientCredentialsAuth(
        client_id="id", client_secret="secret", scope=("read", "write")
    )


def test_servers_document(tmp_path: Path) -> None:
    write_lock(tmp_path / "tools.lock.json", "echo")
    (tmp_path / "servers.yaml").write_text(SERVERS, encoding="utf-8")
    (spec,) = load_specs([str(tmp_path)], environ={"TOKEN": "t"}).documents
    assert isinstance(spec, ServersSpec)
    assert spec.metadata == Metadata(name="local", labels={"team": "core"}, description="Local servers.")
    assert spec.source == Source(path=str(tmp_path / "servers.yaml"), line=1, column=1)


def test_suite_fields_and_defaults(specs: SpecSet, tmp_path: Path) -> None:
    (suite,) = specs.suites
    assert suite.metadata == Metadata(name="smoke")
    assert suite.server == "echo"
    assert suite.concurrency == 4
    assert suite.vars == {"greeting": "hi", "n": 2}
    assert suite.source == Source(path=str(tmp_path / "suite.yaml"), line=1, column=1)
    data = yaml.safe_load(SUITE)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert suite.spec_hash == hashlib.sha256(canonical.encode()).hexdigest()
    call, failing, any_error, read, *_ = suite.tests
    assert (call.timeout, call.retries, call.repeat, call.skip) == (Duration(seconds=90), 0, 10, None)
    assert (failing.timeout, failing.retries, failing.repeat) == (Duration(seconds=5), 2, 1)
    assert (any_error.skip, read.skip) == ("skipped", "not today")
    assert call.source == Source(path=str(tmp_path / "suite.yaml"), line=9, column=5)


def test_actions(specs: SpecSet) -> None:
    call, _, any_error, read, prompt, lists, flow = specs.suites[0].tests
    assert call.action == CallTool(tool="echo", arguments={"text": "{{ vars.greeting }}", "n": 1})
    assert any_error.action == GetPrompt(name="greet", arguments={"name": "ada"})
    assert read.action == ReadResource(uri="res://x")
    assert prompt.action == GetPrompt(name="greet")
    assert lists.action is None
    assert flow.action is None


def test_expectations(specs: SpecSet, tmp_path: Path) -> None:
    call, failing, any_error, read, prompt, lists, _ = specs.suites[0].tests
    expect = call.expect
    assert expect.is_error is False
    assert expect.text == TextMatch(
        equals="hi", contains=("h",), not_contains=("x", "y"), matches=re.compile("^h")
    )
    assert expect.structured == (
        StructuredCheck(pointer="/text", equals=Expected(value=None)),
        StructuredCheck(matches=re.compile(r"\d+"), exists=True, schema={"type": "object"}),
    )
    assert expect.output_schema is True
    assert expect.latency == LatencyExpect(
        max=Duration(seconds=2),
        p50=Duration(seconds=0.1),
        p90=Duration(seconds=0.2),
        p95=Duration(seconds=0.25),
        p99=Duration(seconds=0.5),
    )
    assert failing.expect.error == ErrorExpect(code=-32602, message=TextMatch(contains=("invalid",)))
    assert any_error.expect.error == ErrorExpect()
    assert (read.expect.mime_type, read.expect.text) == ("text/plain", TextMatch(equals="hello"))
    assert prompt.expect.messages == 2
    assert lists.expect.tools == ListExpect(
        include=("echo",),
        exclude=("rm",),
        unique_names=True,
        schema_valid=True,
        pinned=str(tmp_path / "tools.lock.json"),
        count=1,
    )
    assert lists.expect.resources == ListExpect(include=("res://x",), count=0)
    assert lists.expect.prompts == ListExpect(unique_names=True)
    assert call.expect.tools is None


def test_steps(specs: SpecSet, tmp_path: Path) -> None:
    flow = specs.suites[0].tests[-1]
    create, read = flow.steps
    assert create.name == "create"
    assert create.action == CallTool(tool="echo")
    assert create.save == {"id": "/structuredContent/id"}
    assert read.action == ReadResource(uri="res://{{ steps.create.id }}")
    assert read.expect.text == TextMatch(equals="x")
    assert read.source == Source(path=str(tmp_path / "suite.yaml"), line=48, column=9)


def test_an_inline_server_is_named_after_the_suite(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: solo}\n"
        "server: {url: 'https://x.test/mcp', headers: {A: b}}\ntests: [{name: t, call: echo}]\n",
        encoding="utf-8",
    )
    (suite,) = load_specs([str(path)], environ={}).suites
    assert suite.server == HttpServer(
        name="solo",
        url="https://x.test/mcp",
        headers={"A": "b"},
        source=Source(path=str(path), line=4, column=9),
    )
    assert suite.tests[0].timeout == Duration(seconds=30)
    assert suite.concurrency == 1


def test_written_servers_win_over_imported_ones(tmp_path: Path) -> None:
    pytest.importorskip("mcpctl.spec.imports")
    (tmp_path / "client.json").write_text(
        json.dumps({"mcpServers": {"echo": {"command": "node"}, "other": {"command": "deno"}}}),
        encoding="utf-8",
    )
    path = tmp_path / "servers.yaml"
    path.write_text(
        "apiVersion: mcpctl/v1\nkind: Servers\nmetadata: {name: mixed}\nimport: client.json\n"
        "servers:\n  echo: {command: python}\n",
        encoding="utf-8",
    )
    servers = load_specs([str(path)], environ={"HOME": str(tmp_path)}).servers
    assert sorted(servers) == ["echo", "other"]
    echo = servers["echo"]
    assert isinstance(echo, StdioServer)
    assert echo.command == ("python",)


HEAD = "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: s}\nserver: {command: python}\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "tests:\n  - name: a\n    prompt: p\n    expect: {isError: true, structuredContent: {exists: true}, outputSchema: true}\n",
            [
                "8:23: TestSuite/s: tests[0].expect.isError: isError applies only to call (this test uses prompt)",
                "8:48: TestSuite/s: tests[0].expect.structuredContent: structuredContent applies only to call (this test uses prompt)",
                "8:78: TestSuite/s: tests[0].expect.outputSchema: outputSchema applies only to call (this test uses prompt)",
            ],
            id="call-only",
        ),
        pytest.param(
            "tests:\n  - name: a\n    call: x\n    expect: {mimeType: a/b}\n",
            [
                "8:24: TestSuite/s: tests[0].expect.mimeType: mimeType applies only to read (this test uses call)"
            ],
            id="read-only",
        ),
        pytest.param(
            "tests:\n  - name: a\n    steps: [{name: s, call: x}]\n    expect: {text: hi}\n",
            [
                "8:20: TestSuite/s: tests[0].expect.text: text needs an action: call, read or prompt (this test has steps; put it on a step)"
            ],
            id="text-on-steps",
        ),
        pytest.param(
            "tests:\n  - name: a\n    steps: [{name: s, call: x, expect: {prompts: {count: 1}}}]\n",
            [
                "7:50: TestSuite/s: tests[0].steps[0].expect.prompts: prompts list checks apply only to a test with no action and no steps (this step uses call)"
            ],
            id="list-on-step",
        ),
        pytest.param(
            "tests:\n  - name: a\n    call: x\n    expect: {error: true, isError: false, structuredContent: {exists: true}}\n",
            [
                "8:21: TestSuite/s: tests[0].expect.error: error cannot be combined with isError, structuredContent (a request that fails has no result)"
            ],
            id="error-and-result",
        ),
        pytest.param(
            "vars: {a: 1}\ntests:\n  - name: a\n    call: x\n    with: {v: '{{ vars.b }}', w: ['{{ vars.a }}', {deep: '{{ vars.c }}'}]}\n",
            [
                "9:15: TestSuite/s: tests[0].with.v: vars.b is not defined (vars: a)",
                "9:58: TestSuite/s: tests[0].with.w[1].deep: vars.c is not defined (vars: a)",
            ],
            id="vars-everywhere",
        ),
        pytest.param(
            "tests:\n  - name: a\n    read: '{{ vars.x }}'\n",
            ["7:11: TestSuite/s: tests[0].read: vars.x is not defined (the suite has no vars)"],
            id="no-vars",
        ),
        pytest.param(
            "tests:\n  - name: a\n    steps:\n      - {name: one, call: x}\n      - {name: two, prompt: p, with: {a: '{{ steps.one.id }}', b: \"{{ steps['two']['id'] }}\"}}\n",
            [
                "9:42: TestSuite/s: tests[0].steps[1].with.a: step 'one' saves no 'id' (it saves nothing)",
                "9:67: TestSuite/s: tests[0].steps[1].with.b: steps.two.id is used before step 'two' is defined",
            ],
            id="step-saves",
        ),
        pytest.param(
            "tests:\n  - name: a\n    call: x\n    expect: {structuredContent: {schema: {type: stringy}}}\n",
            [
                "8:42: TestSuite/s: tests[0].expect.structuredContent.schema: not a valid JSON Schema: /type: 'stringy' is not valid under any of the given schemas"
            ],
            id="bad-check-schema",
        ),
    ],
)
def test_semantic_errors(tmp_path: Path, body: str, expected: list[str]) -> None:
    assert errors_of(tmp_path, HEAD + body) == expected


def test_pinned_server_names_only_pinned_tools(tmp_path: Path) -> None:
    write_lock(tmp_path / "tools.lock.json", "echo", "add")
    (tmp_path / "servers.yaml").write_text(
        "apiVersion: mcpctl/v1\nkind: Servers\nmetadata: {name: local}\nservers:\n  echo: {command: python, pin: tools.lock.json}\n",
        encoding="utf-8",
    )
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: s}\nserver: echo\ntests:\n"
        "  - {name: a, call: add}\n  - {name: b, call: sub}\n  - name: c\n    steps: [{name: s, call: mul}]\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(tmp_path)], environ={})
    assert [str(e) for e in caught.value.errors] == [
        f"{suite}:7:21: TestSuite/s: tests[1].call: unknown tool 'sub': not in the pinned tool list of server 'echo' (tools.lock.json: add, echo)",
        f"{suite}:9:29: TestSuite/s: tests[2].steps[0].call: unknown tool 'mul': not in the pinned tool list of server 'echo' (tools.lock.json: add, echo)",
    ]


def test_a_bad_pin_is_reported_where_the_server_is_written(tmp_path: Path) -> None:
    (tmp_path / "tools.lock.json").write_text("{not json", encoding="utf-8")
    path = tmp_path / "servers.yaml"
    path.write_text(
        "apiVersion: mcpctl/v1\nkind: Servers\nmetadata: {name: local}\nservers:\n  echo: {command: python, pin: tools.lock.json}\n",
        encoding="utf-8",
    )
    lock = tmp_path / "tools.lock.json"
    assert errors_of(tmp_path, path.read_text(), name="servers.yaml") == [
        f"5:32: Servers/local: servers.echo.pin: {lock}:1:2: invalid JSON: Expecting property name enclosed in double quotes"
    ]


def test_unknown_server_lists_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SERVERS.replace("    pin: tools.lock.json\n", ""), encoding="utf-8")
    path = tmp_path / "b.yaml"
    path.write_text(
        "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: s}\nserver: ech\ntests: [{name: a, call: x}]\n"
    )
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(tmp_path)], environ={"TOKEN": "t"})
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:4:9: TestSuite/s: server: unknown server 'ech' (known: echo, machine, remote)"
    ]


def test_a_server_defined_twice_and_a_servers_file_with_a_suite(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text(
        "apiVersion: mcpctl/v1\nkind: Servers\nmetadata: {name: one}\nservers: {x: {command: a}}\n"
    )
    two = tmp_path / "two.yaml"
    two.write_text(HEAD.replace("{name: s}", "{name: t}") + "tests: [{name: a, call: x}]\n")
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(one)], servers_files=[str(one), str(two)], environ={})
    assert [str(e) for e in caught.value.errors] == [
        f"{one}:3:18: Servers/one: metadata.name: duplicate Servers name 'one' (first at {one}:3:18)",
        f"{one}:4:11: Servers/one: servers.x: server 'x' is already defined in Servers/one ({one}:4:14)",
        f"{two}:2:7: TestSuite/t: kind: a --servers file holds only Servers documents (this one is TestSuite)",
    ]


def test_a_missing_path_and_an_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(tmp_path / "nope.yaml"), str(tmp_path / "empty")], environ={})
    assert [str(e) for e in caught.value.errors] == [
        f"{tmp_path / 'nope.yaml'}: cannot read: No such file or directory",
        f"{tmp_path / 'empty'}: directory holds no *.yaml or *.yml files",
    ]


def test_references_lists_constant_chains() -> None:
    assert references(
        "{{ steps.a.id }} {{ vars['x'] ~ steps[i].b }}{% for k in range(vars.n) %}{{ k }}{% endfor %}"
    ) == {
        ("steps", "a", "id"),
        ("vars", "x"),
        ("steps",),
        ("i",),
        ("range",),
        ("vars", "n"),
        ("k",),
    }
    assert references("plain text") == set()
    with pytest.raises(TemplateError, match="template syntax error on line 1"):
        references("{{ x")
