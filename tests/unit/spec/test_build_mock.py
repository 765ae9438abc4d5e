"""MockServer documents and ``mock:`` servers: every record field built from YAML, defaults applied,
meaning checked (one exact error per problem)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from mcpctl.errors import InvalidSpecs
from mcpctl.spec.build import load_specs
from mcpctl.spec.mock_model import (
    ArgMatcher,
    Ask,
    Behaviour,
    Completion,
    ErrorAnswer,
    Latency,
    LogMessage,
    MockPrompt,
    MockResource,
    MockResourceTemplate,
    MockServerSpec,
    MockTool,
    Progress,
    PromptArgument,
    PromptMessage,
    Response,
    Rule,
    ScenarioSwitch,
    SseOptions,
)
from mcpctl.spec.model import Expected, Metadata, MockServerRef, ServersSpec, Source, TestSuiteSpec
from mcpctl.spec.units import Duration, Percent
from tests.unit.spec_files import expected_spec_hash

MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: weather, labels: {team: core}, description: A weather mock.}
server: {name: weather-mock, version: 2.1.0, title: Weather, instructions: Ask about the weather.}
behaviour:
  latency: 20ms
  errorRate: 1%
  error: {code: -32603, message: boom, data: {why: test}}
  progress: {steps: 3, interval: 10ms}
seed: 42
pageSize: 10
scenario: normal
switches: [{after: 100, to: outage}]
tools:
  - name: get_weather
    title: Weather
    description: The weather in a city.
    inputSchema:
      type: object
      properties: {city: {type: string}, days: {type: integer}, q: {type: string}}
    outputSchema:
      type: object
      properties: {temp: {type: number}, city: {type: string}}
      required: [temp]
    annotations: {readOnlyHint: true, openWorldHint: false, title: Weather}
    scenarios: [normal, outage]
    behaviour:
      latency: {distribution: uniform, min: 10ms, max: 30ms}
      errorRate: 0.5%
    responses:
      - when:
          args: {city: Paris, days: {schema: {maximum: 7}}, q: {matches: "^a", exists: true}}
          schema: {type: object, required: [city]}
        respond: {structuredContent: {temp: 21.5, city: Paris}, text: "Sunny in {{ args.city }}"}
      - when: {args: {city: [a, b]}}
        scenario: outage
        respond:
          - {error: {code: -32000, message: down}}
          - content: [{type: text, text: "retry {{ call.count }}"}]
            structuredContent: {temp: "{{ 1 + 1 }}"}
            isError: true
            latency: {distribution: normal, mean: 50ms, stddev: 10ms}
            switchTo: normal
        cycle: true
    default: {structuredContent: {temp: 0}, latency: {distribution: lognormal, median: 40ms, sigma: 0.5}}
  - name: echo
    responses:
      - respond: "you said {{ args.text }}"
resources:
  - {uri: "file:///readme", name: readme, title: Readme, description: The readme., mimeType: text/plain, text: "hi {{ uuid() }}"}
  - {uri: "file:///logo", name: logo, mimeType: image/png, blob: aGVsbG8=}
resourceTemplates:
  - {uriTemplate: "repo://{owner}/{name}", name: repo, title: Repo, description: A repo., mimeType: text/plain, text: "{{ params.owner }}/{{ params.name }}"}
prompts:
  - name: greet
    title: Greet
    description: Say hello.
    arguments: [{name: who, description: Whom to greet, required: true}, {name: tone}]
    messages:
      - {role: user, text: "Greet {{ args.who }}"}
      - {role: assistant, content: {type: image, data: aGVsbG8=, mimeType: image/png}}
completions:
  - {prompt: greet, argument: who, values: [ada, alan]}
  - {resource: "repo://{owner}/{name}", argument: owner, values: [octo]}
"""

MINIMAL = "apiVersion: mcpctl/v1\nkind: MockServer\nmetadata: {name: tiny}\n"


def ms(milliseconds: int) -> Duration:
    return Duration(seconds=milliseconds / 1000)


def load_mock(tmp_path: Path, text: str) -> MockServerSpec:
    path = tmp_path / "mock.yaml"
    path.write_text(text, encoding="utf-8")
    (mock,) = load_specs([str(path)], environ={}).mocks
    return mock


def errors_of(tmp_path: Path, text: str, *, name: str = "mock.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(path)], environ={})
    return [str(error).removeprefix(f"{path}:") for error in caught.value.errors]


def broken(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_a_complete_mock_builds_every_field(tmp_path: Path) -> None:
    mock = load_mock(tmp_path, MOCK)

    def at(line: int, column: int) -> Source:
        return Source(path=str(tmp_path / "mock.yaml"), line=line, column=column)

    weather = MockTool(
        name="get_weather",
        title="Weather",
        description="The weather in a city.",
        input_schema={
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}, "q": {"type": "string"}},
        },
        output_schema={
            "type": "object",
            "properties": {"temp": {"type": "number"}, "city": {"type": "string"}},
            "required": ["temp"],
        },
        annotations={"readOnlyHint": True, "openWorldHint": False, "title": "Weather"},
        rules=(
            Rule(
                args={
                    "city": ArgMatcher(equals=Expected(value="Paris")),
                    "days": ArgMatcher(schema={"maximum": 7}),
                    "q": ArgMatcher(matches=re.compile("^a"), exists=True),
                },
                schema={"type": "object", "required": ["city"]},
                respond=(
                    Response(
                        content=({"type": "text", "text": "Sunny in {{ args.city }}"},),
                        structured_content=Expected(value={"temp": 21.5, "city": "Paris"}),
                    ),
                ),
                source=at(31, 9),
            ),
            Rule(
                args={"city": ArgMatcher(equals=Expected(value=["a", "b"]))},
                scenario="outage",
                respond=(
                    Response(error=ErrorAnswer(code=-32000, message="down")),
                    Response(
                        content=({"type": "text", "text": "retry {{ call.count }}"},),
                        structured_content=Expected(value={"temp": "{{ 1 + 1 }}"}),
                        is_error=True,
                        latency=Latency(distribution="normal", mean=ms(50), stddev=ms(10)),
                        switch_to="normal",
                    ),
                ),
                cycle=True,
                source=at(35, 9),
            ),
        ),
        default=Response(
            structured_content=Expected(value={"temp": 0}),
            latency=Latency(distribution="lognormal", median=ms(40), sigma=0.5),
        ),
        behaviour=Behaviour(
            latency=Latency(distribution="uniform", min=ms(10), max=ms(30)),
            error_rate=Percent(fraction=0.005),
        ),
        scenarios=("normal", "outage"),
        source=at(15, 5),
    )
    echo = MockTool(
        name="echo",
        rules=(
            Rule(
                respond=(Response(content=({"type": "text", "text": "you said {{ args.text }}"},)),),
                source=at(48, 9),
            ),
        ),
        source=at(46, 5),
    )
    assert mock == MockServerSpec(
        metadata=Metadata(name="weather", labels={"team": "core"}, description="A weather mock."),
        server_name="weather-mock",
        server_version="2.1.0",
        server_title="Weather",
        instructions="Ask about the weather.",
        behaviour=Behaviour(
            latency=Latency(value=ms(20)),
            error_rate=Percent(fraction=0.01),
            error=ErrorAnswer(code=-32603, message="boom", data={"why": "test"}),
            progress=Progress(steps=3, interval=ms(10)),
        ),
        seed=42,
        page_size=10,
        scenario="normal",
        switches=(ScenarioSwitch(after=100, to="outage"),),
        tools=(weather, echo),
        resources=(
            MockResource(
                uri="file:///readme",
                name="readme",
                title="Readme",
                description="The readme.",
                mime_type="text/plain",
                text="hi {{ uuid() }}",
                source=at(50, 5),
            ),
            MockResource(
                uri="file:///logo", name="logo", mime_type="image/png", blob="aGVsbG8=", source=at(51, 5)
            ),
        ),
        resource_templates=(
            MockResourceTemplate(
                uri_template="repo://{owner}/{name}",
                name="repo",
                title="Repo",
                description="A repo.",
                mime_type="text/plain",
                text="{{ params.owner }}/{{ params.name }}",
                source=at(53, 5),
            ),
        ),
        prompts=(
            MockPrompt(
                name="greet",
                title="Greet",
                description="Say hello.",
                arguments=(
                    PromptArgument(name="who", description="Whom to greet", required=True),
                    PromptArgument(name="tone"),
                ),
                messages=(
                    PromptMessage(role="user", content={"type": "text", "text": "Greet {{ args.who }}"}),
                    PromptMessage(
                        role="assistant",
                        content={"type": "image", "data": "aGVsbG8=", "mimeType": "image/png"},
                    ),
                ),
                source=at(55, 5),
            ),
        ),
        completions=(
            Completion(ref_type="prompt", ref="greet", argument="who", values=("ada", "alan")),
            Completion(ref_type="resource", ref="repo://{owner}/{name}", argument="owner", values=("octo",)),
        ),
        source=at(1, 1),
        spec_hash=expected_spec_hash(MOCK),
    )


def test_defaults_of_a_minimal_mock(tmp_path: Path) -> None:
    mock = load_mock(tmp_path, MINIMAL)
    assert mock == MockServerSpec(
        metadata=Metadata(name="tiny"),
        server_name="tiny",
        source=Source(path=str(tmp_path / "mock.yaml"), line=1, column=1),
        spec_hash=mock.spec_hash,
    )
    assert (mock.server_version, mock.scenario, mock.behaviour, mock.seed, mock.page_size) == (
        "1.0.0",
        "default",
        Behaviour(),
        None,
        None,
    )


def test_tool_defaults_and_shorthands(tmp_path: Path) -> None:
    mock = load_mock(
        tmp_path,
        MINIMAL
        + "server: {version: 2}\n"
        + "tools:\n"
        + "  - name: t\n"
        + "    responses:\n"
        + "      - when: {args: {a: {}, b: {equals: 1, other: 2}, c: {exists: false}, d: null}}\n"
        + "        respond: [one, {text: two}, {content: []}]\n"
        + "    default: {isError: true, text: nope}\n",
    )
    assert mock.server_version == "2"
    (tool,) = mock.tools
    assert (tool.input_schema, tool.output_schema, tool.annotations, tool.description) == (
        {"type": "object"},
        None,
        None,
        "",
    )
    (rule,) = tool.rules
    assert rule.args == {
        "a": ArgMatcher(equals=Expected(value={})),
        "b": ArgMatcher(equals=Expected(value={"equals": 1, "other": 2})),
        "c": ArgMatcher(exists=False),
        "d": ArgMatcher(equals=Expected(value=None)),
    }
    assert rule.respond == (
        Response(content=({"type": "text", "text": "one"},)),
        Response(content=({"type": "text", "text": "two"},)),
        Response(),
    )
    assert (rule.scenario, rule.cycle, rule.schema) == (None, False, None)
    assert tool.default == Response(content=({"type": "text", "text": "nope"},), is_error=True)


def test_json_schemas_are_checked_with_the_draft_they_declare(tmp_path: Path) -> None:
    draft4 = (
        '{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", '
        '"properties": {"n": {"type": "number", "minimum": 0, "exclusiveMinimum": true}}}'
    )
    mock = load_mock(tmp_path, MINIMAL + f"tools:\n  - name: t\n    inputSchema: {draft4}\n")
    assert mock.tools[0].input_schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    draft2020 = draft4.replace(
        "http://json-schema.org/draft-04/schema#", "https://json-schema.org/draft/2020-12/schema"
    )
    assert errors_of(tmp_path, MINIMAL + f"tools:\n  - name: t\n    inputSchema: {draft2020}\n") == [
        "6:18: MockServer/tiny: tools[0].inputSchema: not a valid JSON Schema: /properties/n/exclusiveMinimum: True is not of type 'number'",
    ]


def test_documents_keep_their_order_and_mocks_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "all.yaml"
    path.write_text(
        MINIMAL.replace("tiny", "first")
        + "---\napiVersion: mcpctl/v1\nkind: Servers\nmetadata: {name: local}\n"
        + "servers: {m: {mock: all.yaml}}\n"
        + "---\n"
        + MINIMAL.replace("tiny", "second")
        + "---\napiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: s}\nserver: m\n"
        + "tests: [{name: a, call: echo}]\n",
        encoding="utf-8",
    )
    specs = load_specs([str(path)], environ={})
    assert [type(spec) for spec in specs.documents] == [
        MockServerSpec,
        ServersSpec,
        MockServerSpec,
        TestSuiteSpec,
    ]
    assert [mock.metadata.name for mock in specs.mocks] == ["first", "second"]
    assert specs.servers["m"] == MockServerRef(
        name="m", spec=str(path), source=Source(path=str(path), line=8, column=14)
    )


def test_duplicate_mock_names(tmp_path: Path) -> None:
    assert errors_of(tmp_path, MINIMAL + "---\n" + MINIMAL) == [
        "7:18: MockServer/tiny: metadata.name: duplicate MockServer name 'tiny' (first at "
        f"{tmp_path / 'mock.yaml'}:3:18)",
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "  - name: echo\n",
            "  - name: get_weather\n",
            [
                "46:11: MockServer/weather: tools[1].name: duplicate tool name 'get_weather' (first at line 15)"
            ],
            id="duplicate-tool",
        ),
        pytest.param(
            '{uri: "file:///logo",',
            '{uri: "file:///readme",',
            [
                "51:11: MockServer/weather: resources[1].uri: duplicate resource URI 'file:///readme' (first at line 50)"
            ],
            id="duplicate-resource",
        ),
        pytest.param(
            "resourceTemplates:\n",
            'resourceTemplates:\n  - {uriTemplate: "repo://{owner}/{name}", name: again, text: x}\n',
            [
                "54:19: MockServer/weather: resourceTemplates[1].uriTemplate: duplicate resource template uriTemplate 'repo://{owner}/{name}' (first at line 53)"
            ],
            id="duplicate-template",
        ),
        pytest.param(
            "completions:\n",
            "  - {name: greet, messages: [{role: user, text: hi}]}\ncompletions:\n",
            ["62:12: MockServer/weather: prompts[1].name: duplicate prompt name 'greet' (first at line 55)"],
            id="duplicate-prompt",
        ),
        pytest.param(
            "{name: tone}]",
            "{name: who}]",
            [
                "58:81: MockServer/weather: prompts[0].arguments[1].name: duplicate argument name 'who' (first at line 58)"
            ],
            id="duplicate-argument",
        ),
        pytest.param(
            'respond: "you said {{ args.text }}"',
            'respond: "you said {{ args.text }"',
            [
                "48:18: MockServer/weather: tools[1].responses[0].respond: template syntax error on line 1: unexpected '}'"
            ],
            id="template-bare-response",
        ),
        pytest.param(
            '[{type: text, text: "retry {{ call.count }}"}]',
            '[{type: text, text: "retry {{ call.count"}]',
            [
                "39:42: MockServer/weather: tools[0].responses[1].respond[1].content[0].text: template syntax error on line 1: unexpected end of template, expected 'end of print statement'."
            ],
            id="template-content",
        ),
        pytest.param(
            '{temp: "{{ 1 + 1 }}"}',
            "{temp: \"{{ ''.__class__ }}\"}",
            [
                "40:39: MockServer/weather: tools[0].responses[1].respond[1].structuredContent.temp: template tried to reach Python internals: '__class__' is private (line 1 of the template)"
            ],
            id="template-structured",
        ),
        pytest.param(
            '"hi {{ uuid() }}"',
            '"hi {{ uuid( }}"',
            [
                "50:112: MockServer/weather: resources[0].text: template syntax error on line 1: unexpected '}', expected ')'"
            ],
            id="template-resource",
        ),
        pytest.param(
            "{{ params.name }}",
            "{{ params.nme }}",
            [
                "53:119: MockServer/weather: resourceTemplates[0].text: params.nme is not a variable of template 'repo://{owner}/{name}' (variables: owner, name)"
            ],
            id="template-params",
        ),
        pytest.param(
            "Greet {{ args.who }}",
            "Greet {{ args.whom }}",
            [
                "60:28: MockServer/weather: prompts[0].messages[0].text: args.whom is not an argument of prompt 'greet' (arguments: who, tone)"
            ],
            id="template-prompt-args",
        ),
        pytest.param(
            'q: {matches: "^a", exists: true}',
            'q: {matches: "(", exists: true}',
            [
                "32:74: MockServer/weather: tools[0].responses[0].when.args.q.matches: invalid regular expression: missing ), unterminated subpattern at position 0"
            ],
            id="bad-regex",
        ),
        pytest.param(
            "{schema: {maximum: 7}}",
            "{schema: {maximum: seven}}",
            [
                "32:46: MockServer/weather: tools[0].responses[0].when.args.days.schema: not a valid JSON Schema: /maximum: 'seven' is not of type 'number'"
            ],
            id="bad-matcher-schema",
        ),
        pytest.param(
            "required: [city]}",
            "required: city}",
            [
                "33:19: MockServer/weather: tools[0].responses[0].when.schema: not a valid JSON Schema: /required: 'city' is not of type 'array'"
            ],
            id="bad-when-schema",
        ),
        pytest.param(
            "{temp: {type: number}, city",
            "{temp: {type: numbr}, city",
            [
                "22:7: MockServer/weather: tools[0].outputSchema: not a valid JSON Schema: /properties/temp/type: 'numbr' is not valid under any of the given schemas"
            ],
            id="bad-output-schema",
        ),
        pytest.param(
            "      type: object\n      properties: {city",
            "      type: array\n      properties: {city",
            [
                "19:13: MockServer/weather: tools[0].inputSchema.type: inputSchema must have type: object (got 'array')"
            ],
            id="input-schema-not-object",
        ),
        pytest.param(
            "      type: object\n      properties: {temp",
            "      properties: {temp",
            [
                "22:7: MockServer/weather: tools[0].outputSchema: outputSchema must have type: object (it has no type)"
            ],
            id="output-schema-without-type",
        ),
        pytest.param(
            "{temp: 21.5, city: Paris}",
            "{temp: warm, city: Paris}",
            [
                "34:38: MockServer/weather: tools[0].responses[0].respond.structuredContent: structuredContent does not match the tool's outputSchema: /temp: 'warm' is not of type 'number'"
            ],
            id="structured-mismatch",
        ),
        pytest.param(
            "default: {structuredContent: {temp: 0},",
            "default: {text: zero,",
            [
                "45:14: MockServer/weather: tools[0].default: a tool with an outputSchema must answer with structuredContent"
            ],
            id="output-schema-needs-structured",
        ),
        pytest.param(
            "args: {city: Paris, days",
            "args: {citty: Paris, days",
            [
                "32:18: MockServer/weather: tools[0].responses[0].when.args.citty: unknown argument 'citty' (inputSchema has: city, days, q)"
            ],
            id="unknown-argument",
        ),
        pytest.param(
            "{prompt: greet, argument: who",
            "{prompt: great, argument: who",
            ["63:14: MockServer/weather: completions[0].prompt: unknown prompt 'great' (prompts: greet)"],
            id="completion-prompt",
        ),
        pytest.param(
            "{prompt: greet, argument: who",
            "{prompt: greet, argument: whom",
            [
                "63:31: MockServer/weather: completions[0].argument: prompt 'greet' has no argument 'whom' (arguments: who, tone)"
            ],
            id="completion-argument",
        ),
        pytest.param(
            '{resource: "repo://{owner}/{name}", argument: owner',
            '{resource: "repo://{owner}", argument: owner',
            [
                "64:16: MockServer/weather: completions[1].resource: unknown resource template 'repo://{owner}' (resourceTemplates: repo://{owner}/{name})"
            ],
            id="completion-template",
        ),
        pytest.param(
            '{resource: "repo://{owner}/{name}", argument: owner',
            '{resource: "repo://{owner}/{name}", argument: repo',
            [
                "64:51: MockServer/weather: completions[1].argument: resource template 'repo://{owner}/{name}' has no variable 'repo' (variables: owner, name)"
            ],
            id="completion-variable",
        ),
        pytest.param(
            "{prompt: greet, argument: who",
            "{prompt: greet, resource: x, argument: who",
            [
                "63:31: MockServer/weather: completions[0].resource: give only one of prompt, resource (this completion already has prompt)"
            ],
            id="completion-both",
        ),
        pytest.param(
            "  latency: 20ms",
            "  latency: {distribution: fixed}",
            ["6:12: MockServer/weather: behaviour.latency: a fixed latency needs value"],
            id="fixed-needs-value",
        ),
        pytest.param(
            "  latency: 20ms",
            "  latency: {value: 1s, mean: 2s}",
            [
                "6:24: MockServer/weather: behaviour.latency.mean: mean does not apply to a fixed latency (it takes value)"
            ],
            id="foreign-latency-field",
        ),
        pytest.param(
            "min: 10ms, max: 30ms",
            "min: 30ms, max: 10ms",
            [
                "28:56: MockServer/weather: tools[0].behaviour.latency.max: max must not be below min (10ms < 30ms)"
            ],
            id="uniform-order",
        ),
        pytest.param(
            "{distribution: normal, mean: 50ms, stddev: 10ms}",
            "{distribution: normal, mean: 50ms}",
            [
                "42:22: MockServer/weather: tools[0].responses[1].respond[1].latency: a normal latency needs stddev"
            ],
            id="normal-needs-stddev",
        ),
        pytest.param(
            "sigma: 0.5",
            "sigma: 0",
            [
                "45:101: MockServer/weather: tools[0].default.latency.sigma: sigma must be greater than 0 (got 0)"
            ],
            id="lognormal-sigma",
        ),
        pytest.param(
            "{distribution: lognormal, median: 40ms, sigma: 0.5}",
            "{distribution: lognormal, sigma: 0.5, min: 1ms}",
            [
                "45:54: MockServer/weather: tools[0].default.latency: a lognormal latency needs median",
                "45:92: MockServer/weather: tools[0].default.latency.min: min does not apply to a lognormal latency (it takes median and sigma)",
            ],
            id="lognormal-fields",
        ),
        pytest.param(
            "errorRate: 1%",
            "errorRate: 150%",
            [
                "7:14: MockServer/weather: behaviour.errorRate: '150%' is not a percentage: it must be between 0% and 100% (1%, 0.5%, 100%)"
            ],
            id="percent-over-100",
        ),
        pytest.param(
            "structuredContent: {temp: 21.5, city: Paris}, text",
            "structuredContent: {temp: 21.5, city: Paris}, content: [], text",
            [
                "34:84: MockServer/weather: tools[0].responses[0].respond.text: give only one of text, content (this response already has content)"
            ],
            id="text-and-content",
        ),
        pytest.param(
            "{error: {code: -32000, message: down}}",
            "{error: {code: -32000, message: down}, text: x, isError: false}",
            [
                "38:21: MockServer/weather: tools[0].responses[1].respond[0].error: error cannot be combined with text, isError (a response that fails has no result)"
            ],
            id="error-with-result",
        ),
        pytest.param(
            "mimeType: image/png, blob: aGVsbG8=}",
            "mimeType: image/png, blob: aGVsbG8=, text: x}",
            [
                "51:82: MockServer/weather: resources[1].text: give only one of text, blob (this resource already has blob)"
            ],
            id="text-and-blob",
        ),
        pytest.param(
            '{role: user, text: "Greet {{ args.who }}"}',
            '{role: user, text: "Greet", content: {type: text, text: x}}',
            [
                "60:46: MockServer/weather: prompts[0].messages[0].content: give only one of text, content (this message already has text)"
            ],
            id="message-text-and-content",
        ),
        pytest.param(
            'uriTemplate: "repo://{owner}/{name}", name: repo',
            'uriTemplate: "repo://x", name: repo',
            [
                "53:19: MockServer/weather: resourceTemplates[0].uriTemplate: 'repo://x' has no {variable}: a resource template needs at least one (repo://{owner}/{name}); use resources for a fixed URI",
                "64:16: MockServer/weather: completions[1].resource: unknown resource template 'repo://{owner}/{name}' (resourceTemplates: repo://x)",
            ],
            id="template-without-variable",
        ),
    ],
)
def test_semantic_errors(tmp_path: Path, old: str, new: str, expected: list[str]) -> None:
    assert errors_of(tmp_path, broken(MOCK, old, new)) == expected


def test_an_error_result_and_templated_structured_content_are_not_checked_against_the_schema(
    tmp_path: Path,
) -> None:
    text = broken(MOCK, "default: {structuredContent: {temp: 0},", "default: {isError: true,")
    text = broken(text, "{temp: 21.5, city: Paris}", '{temp: "{{ args.days }}", city: Paris}')
    assert load_mock(tmp_path, text).tools[0].default == Response(
        is_error=True, latency=Latency(distribution="lognormal", median=Duration(seconds=0.04), sigma=0.5)
    )


def test_an_unresolvable_ref_in_the_output_schema(tmp_path: Path) -> None:
    text = MINIMAL + (
        'tools:\n  - name: t\n    outputSchema: {type: object, properties: {a: {$ref: "#/nope"}}}\n'
        "    default: {structuredContent: {a: 1}}\n"
    )
    assert errors_of(tmp_path, text) == [
        "7:34: MockServer/tiny: tools[0].default.structuredContent: cannot check structuredContent: a $ref of the tool's outputSchema: PointerToNowhere: '/nope' does not exist within {'type': 'object', 'properties': {'a': {'$ref': '#/nope'}}}",
    ]


# -- mock: servers ----------------------------------------------------------------------------------

SERVERS = "apiVersion: mcpctl/v1\nkind: Servers\nmetadata: {name: local}\nservers:\n"


def test_mock_servers_resolve_their_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mcpctl.mock.builtin.names", lambda: ["github", "slack"])
    (tmp_path / "mocks").mkdir()
    (tmp_path / "mocks" / "weather.yaml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "lock.json").write_text("{}", encoding="utf-8")
    path = tmp_path / "servers.yaml"
    path.write_text(
        SERVERS + "  w: {mock: mocks/weather.yaml}\n  gh: {mock: 'builtin:github', pin: lock.json}\n",
        encoding="utf-8",
    )
    servers = load_specs([str(path)], environ={}, check_locks=False).servers
    assert servers == {
        "w": MockServerRef(
            name="w",
            spec=str(tmp_path / "mocks" / "weather.yaml"),
            source=Source(path=str(path), line=5, column=6),
        ),
        "gh": MockServerRef(
            name="gh",
            spec="builtin:github",
            pin=str(tmp_path / "lock.json"),
            source=Source(path=str(path), line=6, column=7),
        ),
    }


def test_an_inline_mock_server_in_a_suite(tmp_path: Path) -> None:
    (tmp_path / "mock.yaml").write_text(MINIMAL, encoding="utf-8")
    path = tmp_path / "suite.yaml"
    path.write_text(
        "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: s}\nserver: {mock: mock.yaml}\n"
        "tests: [{name: a, call: echo}]\n",
        encoding="utf-8",
    )
    (suite,) = load_specs([str(path)], environ={}).suites
    assert suite.server == MockServerRef(
        name="s", spec=str(tmp_path / "mock.yaml"), source=Source(path=str(path), line=4, column=9)
    )


def test_mock_server_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mcpctl.mock.builtin.names", lambda: ["github", "slack"])
    (tmp_path / "bad.yaml").write_text("a: [\n", encoding="utf-8")
    (tmp_path / "servers-only.yaml").write_text(SERVERS + "  x: {command: x}\n", encoding="utf-8")
    text = SERVERS + (
        "  missing: {mock: nope.yaml}\n"
        "  broken: {mock: bad.yaml}\n"
        "  other: {mock: servers-only.yaml}\n"
        "  unknown: {mock: 'builtin:gitlab'}\n"
        "  malformed: {mock: 'builtin:Git Hub'}\n"
    )
    assert errors_of(tmp_path, text, name="servers.yaml") == [
        f"5:19: Servers/local: servers.missing.mock: {tmp_path / 'nope.yaml'}: no such file",
        f"6:18: Servers/local: servers.broken.mock: cannot load the MockServer spec: {tmp_path / 'bad.yaml'}:2:1: invalid YAML: expected the node content, but found '<stream end>'",
        f"7:17: Servers/local: servers.other.mock: {tmp_path / 'servers-only.yaml'}: holds no MockServer document (found: Servers)",
        "8:19: Servers/local: servers.unknown.mock: no bundled mock named 'gitlab' (bundled: github, slack; see mcpctl mock list)",
        "9:21: Servers/local: servers.malformed.mock: 'builtin:Git Hub' is not a bundled mock name: use lowercase letters, digits and '-' after builtin: (builtin:github)",
    ]


def test_any_builtin_name_goes_without_the_bundled_mocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mcpctl.mock.builtin", None)  # as if not shipped: import fails
    path = tmp_path / "servers.yaml"
    path.write_text(SERVERS + "  gh: {mock: 'builtin:anything'}\n", encoding="utf-8")
    assert load_specs([str(path)], environ={}).servers["gh"] == MockServerRef(
        name="gh", spec="builtin:anything", source=Source(path=str(path), line=5, column=7)
    )


TALKING = (
    MINIMAL
    + "subscriptions: true\n"
    + "sse: {resumable: true, retry: 250ms}\n"
    + "tools:\n"
    + "  - name: t\n"
    + "    default:\n"
    + "      log:\n"
    + "        - {data: started}\n"
    + "        - {level: warning, data: {n: '{{ args.n }}'}, logger: db, delay: 50ms}\n"
    + "      ask:\n"
    + "        method: elicitation/create\n"
    + "        params: {message: 'Name for {{ args.n }}?', requestedSchema: {type: object}}\n"
    + "        timeout: 5s\n"
    + "      disconnect: true\n"
    + "      text: 'Hello {{ answer.content.name }}'\n"
)


def test_log_ask_disconnect_subscriptions_and_sse_build(tmp_path: Path) -> None:
    mock = load_mock(tmp_path, TALKING)
    assert (mock.subscriptions, mock.sse) == (True, SseOptions(resumable=True, retry=ms(250)))
    assert mock.tools[0].default == Response(
        content=({"type": "text", "text": "Hello {{ answer.content.name }}"},),
        log=(
            LogMessage(level="info", data="started"),
            LogMessage(level="warning", data={"n": "{{ args.n }}"}, logger="db", delay=ms(50)),
        ),
        ask=Ask(
            method="elicitation/create",
            params={"message": "Name for {{ args.n }}?", "requestedSchema": {"type": "object"}},
            timeout=ms(5000),
        ),
        disconnect=True,
    )
    defaults = load_mock(tmp_path, MINIMAL + "tools: [{name: t, default: {ask: {method: ping}}}]\n")
    assert (defaults.subscriptions, defaults.sse) == (False, SseOptions(resumable=False, retry=ms(1000)))
    assert defaults.tools[0].default == Response(ask=Ask(method="ping", timeout=ms(60_000)))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "sse: {resumable: true, retry: 250ms}\n",
            "",
            [
                "15:19: MockServer/tiny: tools[0].default.disconnect: disconnect needs resumable event "
                "streams (sse: {resumable: true}): a client could never get this answer"
            ],
        ),
        (
            "      ask:\n        method: elicitation/create\n",
            "      ask2:\n        method: elicitation/create\n",
            [
                "12:7: MockServer/tiny: tools[0].default.ask2: unknown field 'ask2' (did you mean 'ask'?)",
            ],
        ),
        (
            "'Name for {{ args.n }}?'",
            "'{{ answer.x }}'",
            [
                "14:27: MockServer/tiny: tools[0].default.ask.params.message: answer is only set in a "
                "response with an ask (the client's result of that request)"
            ],
        ),
        (
            "{level: warning,",
            "{level: loud,",
            [
                "11:19: MockServer/tiny: tools[0].default.log[1].level: expected one of: debug, info, "
                "notice, warning, error, critical, alert, emergency (got 'loud')"
            ],
        ),
        (
            "method: elicitation/create",
            "method: tools/call",
            [
                "13:17: MockServer/tiny: tools[0].default.ask.method: expected one of: "
                "sampling/createMessage, elicitation/create, roots/list, ping (got 'tools/call')"
            ],
        ),
    ],
)
def test_talking_back_errors(tmp_path: Path, old: str, new: str, expected: list[str]) -> None:
    assert errors_of(tmp_path, broken(TALKING, old, new)) == expected


def test_a_response_without_ask_cannot_read_answer(tmp_path: Path) -> None:
    text = MINIMAL + "tools:\n  - name: t\n    default: 'Hi {{ answer.name }}'\n"
    assert errors_of(tmp_path, text) == [
        "6:14: MockServer/tiny: tools[0].default: answer is only set in a response with an ask "
        "(the client's result of that request)"
    ]
