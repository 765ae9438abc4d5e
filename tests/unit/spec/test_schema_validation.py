"""Schema errors in plain words: one valid spec per kind, one field broken per test (tavern style)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from mcpctl.errors import InvalidSpecs
from mcpctl.spec.build import load_specs
from mcpctl.spec.schemas import KINDS, schema_for
from mcpctl.spec.units import parse_duration
from mcpctl.spec.validate import (
    DURATION_PATTERN,
    NAME_PATTERN,
    PERCENT_PATTERN,
    POINTER_PATTERN,
    SAVE_POINTER_PATTERN,
    URL_PATTERN,
)

SUITE = """\
apiVersion: mcpctl/v1
kind: TestSuite
metadata:
  name: smoke
  labels: {team: core}
server:
  command: python
  args: [-m, echo]
concurrency: 2
vars: {greeting: hi}
defaults:
  timeout: 5s
  retries: 1
tests:
  - name: echo
    call: echo
    with: {text: "{{ vars.greeting }}"}
    timeout: 2s
    repeat: 3
    expect:
      isError: false
      text: {contains: hi}
      structuredContent: {pointer: /text, equals: hi}
      latency: {p50: 100ms}
  - name: flow
    steps:
      - name: create
        call: echo
        save: {id: /structuredContent/id}
      - name: read
        read: "res://{{ steps.create.id }}"
        expect: {mimeType: text/plain}
  - name: list
    expect:
      tools: {include: [echo], uniqueNames: true, count: 3}
"""

SERVERS = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: local}
servers:
  echo:
    command: python
    env: {DEBUG: "1"}
  remote:
    url: https://example.com/mcp
    transport: sse
    auth: {type: bearer, token: abc}
"""


MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: weather}
server: {name: weather-mock, version: 2.1.0}
behaviour:
  latency: 20ms
  errorRate: 1%
  progress: {steps: 3, interval: 10ms}
pageSize: 10
switches: [{after: 100, to: outage}]
tools:
  - name: get_weather
    inputSchema: {type: object, properties: {city: {type: string}}}
    annotations: {readOnlyHint: true}
    behaviour:
      latency: {distribution: uniform, min: 10ms, max: 30ms}
    responses:
      - when: {args: {city: {matches: "^P"}}}
        respond: {text: sunny}
      - respond:
          - {error: {code: -32000, message: down}}
          - {content: [{type: text, text: rainy}], isError: true}
    default: cloudy
resources:
  - {uri: "file:///readme", name: readme, text: hello}
resourceTemplates:
  - {uriTemplate: "repo://{owner}", name: repo, text: "{{ params.owner }}"}
prompts:
  - name: greet
    arguments: [{name: who, required: true}]
    messages:
      - {role: user, text: "Hi {{ args.who }}"}
      - {role: assistant, content: {type: resource, resource: {uri: "file:///a", text: a}}}
completions:
  - {prompt: greet, argument: who, values: [ada]}
"""


def errors_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(path)], environ={})
    prefix = f"{path}:"
    return [str(error).removeprefix(prefix) for error in caught.value.errors]


def broken(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_the_valid_specs_are_valid(tmp_path: Path) -> None:
    (tmp_path / "suite.yaml").write_text(SUITE, encoding="utf-8")
    (tmp_path / "servers.yaml").write_text(SERVERS, encoding="utf-8")
    (tmp_path / "weather.yaml").write_text(MOCK, encoding="utf-8")
    specs = load_specs([str(tmp_path)], environ={})
    assert [spec.metadata.name for spec in specs.documents] == ["local", "smoke", "weather"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "    expect:\n      isError",
            "    expcet:\n      isError",
            [
                "20:5: TestSuite/smoke: tests[0].expcet: unknown field 'expcet' (did you mean 'expect'?)",
            ],
            id="unknown-field",
        ),
        pytest.param(
            "  - name: echo\n",
            "  - nme: echo\n",
            [
                "15:5: TestSuite/smoke: tests[0].nme: unknown field 'nme' (did you mean 'name'?)",
            ],
            id="name-typo",
        ),
        pytest.param(
            "  - name: echo\n",
            "  - echo: 1\n",
            [
                "15:5: TestSuite/smoke: tests[0]: missing required field 'name'",
                "15:5: TestSuite/smoke: tests[0].echo: unknown field 'echo'",
            ],
            id="missing-name",
        ),
        pytest.param(
            "concurrency: 2",
            "concurrency: two",
            [
                "9:14: TestSuite/smoke: concurrency: expected an integer, got a string",
            ],
            id="wrong-type",
        ),
        pytest.param(
            "concurrency: 2",
            "concurrency: 0",
            [
                "9:14: TestSuite/smoke: concurrency: must be at least 1 (got 0)",
            ],
            id="minimum",
        ),
        pytest.param(
            "    repeat: 3",
            "    repeat: 1000000",
            [
                "19:13: TestSuite/smoke: tests[0].repeat: must be at most 100000 (got 1000000)",
            ],
            id="maximum",
        ),
        pytest.param(
            "  timeout: 5s",
            "  timeout: 5 s",
            [
                "12:12: TestSuite/smoke: defaults.timeout: '5 s' is not a duration: use a number and a unit (250ms, 2s, 5m, 1h)",
            ],
            id="bad-duration",
        ),
        pytest.param(
            "  timeout: 5s",
            "  timeout: 5",
            [
                "12:12: TestSuite/smoke: defaults.timeout: '5' is not a duration: add a unit (250ms, 2s, 5m, 1h)",
            ],
            id="duration-without-unit",
        ),
        pytest.param(
            "    timeout: 2s",
            "    timeout: 2s1m",
            [
                "18:14: TestSuite/smoke: tests[0].timeout: '2s1m' is not a duration: put larger units first, each once (1m30s, 1h5m)",
            ],
            id="duration-order",
        ),
        pytest.param(
            "{p50: 100ms}",
            "{p50: -1s}",
            [
                "24:22: TestSuite/smoke: tests[0].expect.latency.p50: '-1s' is not a duration: it must not be negative (250ms, 2s, 5m, 1h)",
            ],
            id="negative-duration",
        ),
        pytest.param(
            "{p50: 100ms}",
            "{}",
            [
                "24:16: TestSuite/smoke: tests[0].expect.latency: needs at least one of: max, p50, p90, p95, p99",
            ],
            id="empty-latency",
        ),
        pytest.param(
            "  name: smoke",
            "  name: my suite",
            [
                "4:9: TestSuite/my suite: metadata.name: 'my suite' is not a valid name: use letters, digits, '_', '.' and '-', starting with a letter or digit, at most 63 characters",
            ],
            id="bad-name",
        ),
        pytest.param(
            "{team: core}",
            "{team: 1}",
            [
                "5:18: TestSuite/smoke: metadata.labels.team: expected a string, got an integer",
            ],
            id="label-type",
        ),
        pytest.param(
            "kind: TestSuite",
            "kind: Testsuite",
            [
                "2:7: kind: unknown kind 'Testsuite' (did you mean 'TestSuite'?)",
            ],
            id="kind-case",
        ),
        pytest.param(
            "kind: TestSuite",
            "kind: Deployment",
            [
                "2:7: kind: unknown kind 'Deployment' (known: Servers, TestSuite, MockServer, BatchPlan, LoadTest, FaultScenario, Monitor, AlertRules, AlertTest, Schedule)",
            ],
            id="unknown-kind",
        ),
        pytest.param(
            "apiVersion: mcpctl/v1",
            "apiVersion: mcpctl/v2",
            [
                "1:13: TestSuite/smoke: apiVersion: expected 'mcpctl/v1' (got 'mcpctl/v2')",
            ],
            id="api-version",
        ),
        pytest.param(
            "apiVersion: mcpctl/v1\n",
            "",
            [
                "1:1: TestSuite/smoke: missing required field 'apiVersion'",
            ],
            id="missing-api-version",
        ),
        pytest.param(
            "text: {contains: hi}",
            "text: {contain: hi}",
            [
                "22:14: TestSuite/smoke: tests[0].expect.text.contain: unknown field 'contain' (did you mean 'contains'?)",
            ],
            id="text-match-typo",
        ),
        pytest.param(
            "text: {contains: hi}",
            "text: 5",
            [
                "22:13: TestSuite/smoke: tests[0].expect.text: expected a string or a mapping, got an integer",
            ],
            id="text-match-type",
        ),
        pytest.param(
            "{pointer: /text, equals: hi}",
            "{pointer: text, equals: hi}",
            [
                "23:36: TestSuite/smoke: tests[0].expect.structuredContent.pointer: 'text' is not a JSON pointer: use '' for the whole value or '/key/0' (RFC 6901)",
            ],
            id="pointer",
        ),
        pytest.param(
            "{pointer: /text, equals: hi}",
            "{pointer: /text}",
            [
                "23:26: TestSuite/smoke: tests[0].expect.structuredContent: needs at least one of: equals, matches, schema, exists",
            ],
            id="check-needs-something",
        ),
        pytest.param(
            "{pointer: /text, equals: hi}",
            "[{equals: hi}, 3]",
            [
                "23:41: TestSuite/smoke: tests[0].expect.structuredContent[1]: expected a mapping, got an integer",
            ],
            id="check-list-item",
        ),
        pytest.param(
            "isError: false",
            "isError: nope",
            [
                "21:16: TestSuite/smoke: tests[0].expect.isError: expected a boolean, got a string",
            ],
            id="boolean",
        ),
        pytest.param(
            "isError: false",
            "error: false",
            [
                "21:14: TestSuite/smoke: tests[0].expect.error: expected true or a mapping, got false",
            ],
            id="error-false",
        ),
        pytest.param(
            "{id: /structuredContent/id}",
            "{id: structuredContent/id}",
            [
                "29:20: TestSuite/smoke: tests[1].steps[0].save.id: 'structuredContent/id' is not a JSON pointer: it must start with '/' (e.g. /structuredContent/id)",
            ],
            id="save-pointer",
        ),
        pytest.param(
            "  - name: list\n",
            "  - name: list\n    skip: ''\n",
            [
                "34:11: TestSuite/smoke: tests[2].skip: must not be empty",
            ],
            id="empty-skip",
        ),
        pytest.param(
            "  - name: list\n",
            "  - name: list\n    steps: []\n",
            [
                "34:12: TestSuite/smoke: tests[2].steps: must not be empty",
            ],
            id="empty-steps",
        ),
        pytest.param(
            "  args: [-m, echo]",
            "  args: -m echo",
            [
                "8:9: TestSuite/smoke: server.args: expected a list, got a string",
            ],
            id="inline-server-args",
        ),
        pytest.param(
            "  command: python",
            "  url: ftp://x",
            [
                "7:8: TestSuite/smoke: server.url: expected an http:// or https:// URL (got 'ftp://x')",
                "8:3: TestSuite/smoke: server.args: unknown field 'args'",
            ],
            id="inline-server-url",
        ),
        pytest.param(
            "{include: [echo], uniqueNames: true, count: 3}",
            "{include: echo}",
            [
                "35:24: TestSuite/smoke: tests[2].expect.tools.include: expected a list, got a string",
            ],
            id="list-include",
        ),
        pytest.param(
            "{include: [echo], uniqueNames: true, count: 3}",
            "{count: -1}",
            [
                "35:22: TestSuite/smoke: tests[2].expect.tools.count: must be at least 0 (got -1)",
            ],
            id="list-count",
        ),
        pytest.param(
            "concurrency: 2\n",
            "concurrency: 2\nconcurency: 3\n",
            [
                "10:1: TestSuite/smoke: concurency: unknown field 'concurency' (did you mean 'concurrency'?)",
            ],
            id="root-unknown",
        ),
        pytest.param(
            "tests:\n",
            "tests: []\nx:\n",
            [
                "14:8: TestSuite/smoke: tests: must not be empty",
                "15:1: TestSuite/smoke: x: unknown field 'x'",
            ],
            id="empty-tests",
        ),
    ],
)
def test_one_broken_field_in_a_suite(tmp_path: Path, old: str, new: str, expected: list[str]) -> None:
    assert errors_of(tmp_path, broken(SUITE, old, new)) == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "transport: sse",
            "transport: grpc",
            [
                "10:16: Servers/local: servers.remote.transport: expected one of: streamable, sse (got 'grpc')",
            ],
            id="enum",
        ),
        pytest.param(
            "{type: bearer, token: abc}",
            "{type: basic, token: abc}",
            [
                "11:18: Servers/local: servers.remote.auth.type: expected one of: bearer, client_credentials (got 'basic')",
            ],
            id="auth-type",
        ),
        pytest.param(
            "{type: bearer, token: abc}",
            "{type: bearer, tokn: abc}",
            [
                "11:26: Servers/local: servers.remote.auth.tokn: unknown field 'tokn' (did you mean 'token'?)",
            ],
            id="auth-field",
        ),
        pytest.param(
            '{DEBUG: "1"}',
            "{DEBUG: [1]}",
            [
                "7:18: Servers/local: servers.echo.env.DEBUG: expected a string, a number or a boolean, got a list",
            ],
            id="env-value",
        ),
        pytest.param(
            "    command: python\n",
            "    comand: python\n",
            [
                "6:5: Servers/local: servers.echo.comand: unknown field 'comand' (did you mean 'command'?)",
            ],
            id="server-typo",
        ),
        pytest.param(
            "    transport: sse\n",
            "    transport: sse\n    command: x\n",
            [
                "11:5: Servers/local: servers.remote.command: unknown field 'command'",
            ],
            id="stdio-and-http",
        ),
        pytest.param(
            "servers:\n",
            "servrs:\n",
            [
                "4:1: Servers/local: servrs: unknown field 'servrs' (did you mean 'servers'?)",
            ],
            id="servers-typo",
        ),
        pytest.param(
            "metadata: {name: local}",
            "metadata: {}",
            [
                "3:11: Servers: metadata: missing required field 'name'",
            ],
            id="missing-metadata-name",
        ),
        pytest.param(
            "servers:\n",
            "hosts:\n",
            [
                "1:1: Servers/local: needs at least one of: servers, import",
                "4:1: Servers/local: hosts: unknown field 'hosts'",
            ],
            id="no-servers",
        ),
    ],
)
def test_one_broken_field_in_servers(tmp_path: Path, old: str, new: str, expected: list[str]) -> None:
    assert errors_of(tmp_path, broken(SERVERS, old, new)) == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "  - name: get_weather\n",
            "  - nmae: get_weather\n",
            [
                "12:5: MockServer/weather: tools[0].nmae: unknown field 'nmae' (did you mean 'name'?)",
            ],
            id="tool-name-typo",
        ),
        pytest.param(
            "    default: cloudy",
            "    default: cloudy\n    defualt: x",
            [
                "24:5: MockServer/weather: tools[0].defualt: unknown field 'defualt' (did you mean 'default'?)",
            ],
            id="tool-unknown-field",
        ),
        pytest.param(
            "  latency: 20ms",
            "  latency: 20",
            [
                "6:12: MockServer/weather: behaviour.latency: '20' is not a duration: add a unit (250ms, 2s, 5m, 1h)",
            ],
            id="latency-number",
        ),
        pytest.param(
            "{distribution: uniform,",
            "{distribution: gamma,",
            [
                "16:31: MockServer/weather: tools[0].behaviour.latency.distribution: expected one of: fixed, uniform, normal, lognormal (got 'gamma')",
            ],
            id="latency-distribution",
        ),
        pytest.param(
            "errorRate: 1%",
            "errorRate: 1",
            [
                "7:14: MockServer/weather: behaviour.errorRate: '1' is not a percentage: use a number and a percent sign (1%, 0.5%, 100%)",
            ],
            id="percent-number",
        ),
        pytest.param(
            "errorRate: 1%",
            "errorRate: one percent",
            [
                "7:14: MockServer/weather: behaviour.errorRate: 'one percent' is not a percentage: use a number and a percent sign (1%, 0.5%, 100%)",
            ],
            id="percent-text",
        ),
        pytest.param(
            "{steps: 3, interval: 10ms}",
            "{steps: 3}",
            [
                "8:13: MockServer/weather: behaviour.progress: missing required field 'interval'",
            ],
            id="progress-interval",
        ),
        pytest.param(
            "pageSize: 10",
            "pageSize: 0",
            [
                "9:11: MockServer/weather: pageSize: must be at least 1 (got 0)",
            ],
            id="page-size",
        ),
        pytest.param(
            "{after: 100, to: outage}",
            "{after: 0, to: outage}",
            [
                "10:20: MockServer/weather: switches[0].after: must be at least 1 (got 0)",
            ],
            id="switch-after",
        ),
        pytest.param(
            "{readOnlyHint: true}",
            "{readOnly: true}",
            [
                "14:19: MockServer/weather: tools[0].annotations.readOnly: unknown field 'readOnly' (did you mean 'readOnlyHint'?)",
            ],
            id="annotation-typo",
        ),
        pytest.param(
            "inputSchema: {type: object, properties: {city: {type: string}}}",
            "inputSchema: object",
            [
                "13:18: MockServer/weather: tools[0].inputSchema: expected a mapping, got a string",
            ],
            id="input-schema-type",
        ),
        pytest.param(
            '{args: {city: {matches: "^P"}}}',
            "{args: {city: {matches: 5}}}",
            [
                "18:39: MockServer/weather: tools[0].responses[0].when.args.city.matches: expected a string, got an integer",
            ],
            id="matcher-type",
        ),
        pytest.param(
            '{args: {city: {matches: "^P"}}}',
            '{arg: {city: {matches: "^P"}}}',
            [
                "18:16: MockServer/weather: tools[0].responses[0].when.arg: unknown field 'arg' (did you mean 'args'?)",
            ],
            id="when-typo",
        ),
        pytest.param(
            "        respond: {text: sunny}",
            "        reply: {text: sunny}",
            [
                "18:9: MockServer/weather: tools[0].responses[0]: missing required field 'respond'",
                "19:9: MockServer/weather: tools[0].responses[0].reply: unknown field 'reply'",
            ],
            id="respond-missing",
        ),
        pytest.param(
            "        respond: {text: sunny}",
            "        respond: 5",
            [
                "19:18: MockServer/weather: tools[0].responses[0].respond: expected a string, a mapping or a list, got an integer",
            ],
            id="respond-type",
        ),
        pytest.param(
            "        respond: {text: sunny}",
            "        respond: []",
            [
                "19:18: MockServer/weather: tools[0].responses[0].respond: must not be empty",
            ],
            id="respond-empty",
        ),
        pytest.param(
            "        respond: {text: sunny}",
            "        respond: {txt: sunny}",
            [
                "19:19: MockServer/weather: tools[0].responses[0].respond.txt: unknown field 'txt' (did you mean 'text'?)",
            ],
            id="response-typo",
        ),
        pytest.param(
            "{code: -32000, message: down}",
            "{code: x, message: down}",
            [
                "21:28: MockServer/weather: tools[0].responses[1].respond[0].error.code: expected an integer, got a string",
            ],
            id="error-code",
        ),
        pytest.param(
            "[{type: text, text: rainy}]",
            "[{type: video, text: rainy}]",
            [
                "22:31: MockServer/weather: tools[0].responses[1].respond[1].content[0].type: expected one of: text, image, audio, resource_link, resource (got 'video')",
            ],
            id="content-type",
        ),
        pytest.param(
            "[{type: text, text: rainy}]",
            "[{type: image, data: aGk=}]",
            [
                "22:24: MockServer/weather: tools[0].responses[1].respond[1].content[0]: missing required field 'mimeType'",
            ],
            id="content-image-mime",
        ),
        pytest.param(
            "    default: cloudy",
            "    default: [cloudy]",
            [
                "23:14: MockServer/weather: tools[0].default: expected a string or a mapping, got a list",
            ],
            id="default-type",
        ),
        pytest.param(
            '{uri: "file:///readme", name: readme, text: hello}',
            '{uri: "file:///readme", name: readme}',
            [
                "25:5: MockServer/weather: resources[0]: needs at least one of: text, blob",
            ],
            id="resource-contents",
        ),
        pytest.param(
            '{uriTemplate: "repo://{owner}", name: repo, text: "{{ params.owner }}"}',
            '{uriTemplate: "repo://{owner}", name: repo}',
            [
                "27:5: MockServer/weather: resourceTemplates[0]: missing required field 'text'",
            ],
            id="template-text",
        ),
        pytest.param(
            '{role: user, text: "Hi {{ args.who }}"}',
            "{role: system, text: hi}",
            [
                "32:16: MockServer/weather: prompts[0].messages[0].role: expected one of: user, assistant (got 'system')",
            ],
            id="message-role",
        ),
        pytest.param(
            '{role: user, text: "Hi {{ args.who }}"}',
            "{role: user}",
            [
                "32:9: MockServer/weather: prompts[0].messages[0]: needs at least one of: text, content",
            ],
            id="message-contents",
        ),
        pytest.param(
            'resource: {uri: "file:///a", text: a}',
            'resource: {uri: "file:///a"}',
            [
                "33:63: MockServer/weather: prompts[0].messages[1].content.resource: needs at least one of: text, blob",
            ],
            id="embedded-resource",
        ),
        pytest.param(
            "    messages:\n",
            "    messages: []\n    x:\n",
            [
                "31:15: MockServer/weather: prompts[0].messages: must not be empty",
                "32:5: MockServer/weather: prompts[0].x: unknown field 'x'",
            ],
            id="messages-empty",
        ),
        pytest.param(
            "[{name: who, required: true}]",
            "[{name: who, required: maybe}]",
            [
                "30:39: MockServer/weather: prompts[0].arguments[0].required: expected a boolean, got a string",
            ],
            id="argument-required",
        ),
        pytest.param(
            "{prompt: greet, argument: who, values: [ada]}",
            "{argument: who, values: [ada]}",
            [
                "35:5: MockServer/weather: completions[0]: needs at least one of: prompt, resource",
            ],
            id="completion-ref",
        ),
        pytest.param(
            "{prompt: greet, argument: who, values: [ada]}",
            "{prompt: greet, argument: who, values: ada}",
            [
                "35:44: MockServer/weather: completions[0].values: expected a list, got a string",
            ],
            id="completion-values",
        ),
        pytest.param(
            "pageSize: 10\n",
            "pageSize: 10\nscenarios: [a]\n",
            [
                "10:1: MockServer/weather: scenarios: unknown field 'scenarios' (did you mean 'scenario'?)",
            ],
            id="root-typo",
        ),
    ],
)
def test_one_broken_field_in_a_mock(tmp_path: Path, old: str, new: str, expected: list[str]) -> None:
    assert errors_of(tmp_path, broken(MOCK, old, new)) == expected


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        pytest.param(
            '{mock: ""}',
            ["5:13: Servers/local: servers.m.mock: must not be empty"],
            id="empty",
        ),
        pytest.param(
            "{mock: [a]}",
            ["5:13: Servers/local: servers.m.mock: expected a string, got a list"],
            id="type",
        ),
        pytest.param(
            "{mock: m.yaml, args: [x]}",
            ["5:21: Servers/local: servers.m.args: unknown field 'args'"],
            id="mock-with-args",
        ),
    ],
)
def test_a_broken_mock_server_entry(tmp_path: Path, entry: str, expected: list[str]) -> None:
    text = f"apiVersion: mcpctl/v1\nkind: Servers\nmetadata: {{name: local}}\nservers:\n  m: {entry}\n"
    assert errors_of(tmp_path, text) == expected


# -- the schema files themselves -----------------------------------------------------------------


def walk(schema: object, where: str = "#"):
    if isinstance(schema, dict):
        yield where, schema
        for key, value in schema.items():
            if key not in ("const", "default", "enum"):
                yield from walk(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from walk(value, f"{where}/{index}")


@pytest.mark.parametrize("kind", list(KINDS))
def test_schemas_are_valid_draft_2020_12_with_ids(kind: str) -> None:
    schema = schema_for(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://mcpctl.dev/schemas/v1/{kind.lower()}.schema.json"
    assert schema["title"] == f"mcpctl {kind}"


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_property_has_a_description_and_no_extra_fields(kind: str) -> None:
    for where, node in walk(schema_for(kind)):
        if "properties" in node:
            assert node.get("additionalProperties") is False, where
            for name, prop in node["properties"].items():
                assert prop.get("description"), f"{where}/properties/{name}"


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_reference_resolves_inside_its_own_file(kind: str) -> None:
    schema = schema_for(kind)
    refs = {node["$ref"] for _, node in walk(schema) if "$ref" in node}
    assert refs
    for ref in refs:
        assert ref.startswith("#/$defs/")
        assert ref.removeprefix("#/$defs/") in schema["$defs"]


@pytest.mark.parametrize("kind", ["TestSuite", "LoadTest", "Monitor"])
def test_the_inline_server_repeats_the_servers_definitions(kind: str) -> None:
    servers, inline = schema_for("Servers")["$defs"], schema_for(kind)["$defs"]
    for name in (
        "server",
        "stdioServer",
        "httpServer",
        "mockServer",
        "auth",
        "bearerAuth",
        "clientCredentialsAuth",
        "metadata",
    ):
        assert inline[name] == servers[name], name


def test_kinds_are_case_insensitive_and_cached() -> None:
    assert schema_for("testsuite") is schema_for("TestSuite")
    with pytest.raises(KeyError, match="unknown kind 'Nope'"):
        schema_for("Nope")


def test_the_patterns_in_the_files_are_the_ones_messages_are_keyed_on() -> None:
    text = json.dumps([schema_for(kind) for kind in KINDS])
    for pattern in (
        DURATION_PATTERN,
        NAME_PATTERN,
        PERCENT_PATTERN,
        POINTER_PATTERN,
        SAVE_POINTER_PATTERN,
        URL_PATTERN,
    ):
        assert json.dumps(pattern) in text


@pytest.mark.parametrize(
    "text",
    [
        "0s",
        "2s",
        "250ms",
        "5m",
        "1h",
        "1m30s",
        "1h5m",
        "1.5s",
        "5us",
        "1h2m3s4ms5us",
        "5m250ms",
        "",
        "2",
        "s",
        "1s1m",
        "1m1m",
        "ms",
        "-1s",
        "1.s",
        ".5s",
        "1 s",
        "2S",
        "1ms1s",
        "10x",
    ],
)
def test_the_duration_pattern_accepts_exactly_what_parse_duration_accepts(text: str) -> None:
    try:
        parse_duration(text)
        parsed = True
    except ValueError:
        parsed = False
    assert bool(re.search(DURATION_PATTERN, text)) is parsed
