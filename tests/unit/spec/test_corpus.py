"""The corpus of broken specs (acceptance 2 of issue 4): each file gives exit 2 and exactly these lines.

Lines holding ``{root}`` name absolute paths (lock files and imports resolve against the spec's
directory); everything else is printed as given on the command line, relative to the repository.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mcpctl.errors import InvalidSpecs, SpecError
from mcpctl.spec.build import load_specs
from mcpctl.spec.loader import MAX_SPEC_BYTES
from testing.cli import invoke
from testing.paths import ROOT

CORPUS = Path(__file__).parent / "corpus"
RELATIVE = CORPUS.relative_to(ROOT)

EXPECTED: dict[str, list[str]] = {
    "alias.yaml": [
        "tests/unit/spec/corpus/alias.yaml:7:11: aliases are not allowed in specs",
    ],
    "bad-auth-type.yaml": [
        "tests/unit/spec/corpus/bad-auth-type.yaml:7:18: Servers/broken: servers.remote.auth.type: expected one of: bearer, client_credentials (got 'basic')",
    ],
    "bad-duration-negative.yaml": [
        "tests/unit/spec/corpus/bad-duration-negative.yaml:8:14: TestSuite/broken: tests[0].timeout: '-5s' is not a duration: it must not be negative (250ms, 2s, 5m, 1h)",
    ],
    "bad-duration-number.yaml": [
        "tests/unit/spec/corpus/bad-duration-number.yaml:5:21: TestSuite/broken: defaults.timeout: '30' is not a duration: add a unit (250ms, 2s, 5m, 1h)",
    ],
    "bad-duration-order.yaml": [
        "tests/unit/spec/corpus/bad-duration-order.yaml:9:22: TestSuite/broken: tests[0].expect.latency.max: '1s2m' is not a duration: put larger units first, each once (1m30s, 1h5m)",
    ],
    "bad-duration-unit.yaml": [
        "tests/unit/spec/corpus/bad-duration-unit.yaml:8:14: TestSuite/broken: tests[0].timeout: '5 sec' is not a duration: use a number and a unit (250ms, 2s, 5m, 1h)",
    ],
    "bad-name.yaml": [
        "tests/unit/spec/corpus/bad-name.yaml:3:18: Servers/-dash-first: metadata.name: '-dash-first' is not a valid name: use letters, digits, '_', '.' and '-', starting with a letter or digit, at most 63 characters",
    ],
    "bad-pointer.yaml": [
        "tests/unit/spec/corpus/bad-pointer.yaml:9:36: TestSuite/broken: tests[0].expect.structuredContent.pointer: 'id' is not a JSON pointer: use '' for the whole value or '/key/0' (RFC 6901)",
    ],
    "bad-regex-structured.yaml": [
        "tests/unit/spec/corpus/bad-regex-structured.yaml:9:50: TestSuite/broken: tests[0].expect.structuredContent.matches: invalid regular expression: missing >, unterminated name at position 4",
    ],
    "bad-regex.yaml": [
        "tests/unit/spec/corpus/bad-regex.yaml:9:23: TestSuite/broken: tests[0].expect.text.matches: invalid regular expression: unterminated character set at position 0",
    ],
    "bad-save-pointer.yaml": [
        "tests/unit/spec/corpus/bad-save-pointer.yaml:10:20: TestSuite/broken: tests[0].steps[0].save.id: 'structuredContent.id' is not a JSON pointer: it must start with '/' (e.g. /structuredContent/id)",
    ],
    "bad-template-syntax.yaml": [
        "tests/unit/spec/corpus/bad-template-syntax.yaml:8:18: TestSuite/broken: tests[0].with.text: template syntax error on line 1: unexpected 'end of print statement'",
    ],
    "bad-template-unclosed.yaml": [
        "tests/unit/spec/corpus/bad-template-unclosed.yaml:7:11: TestSuite/broken: tests[0].read: template syntax error on line 1: unexpected end of template, expected 'end of print statement'.",
    ],
    "bad-transport.yaml": [
        "tests/unit/spec/corpus/bad-transport.yaml:5:55: Servers/broken: servers.remote.transport: expected one of: streamable, sse (got 'websocket')",
    ],
    "bad-url.yaml": [
        "tests/unit/spec/corpus/bad-url.yaml:4:15: TestSuite/broken: server.url: expected an http:// or https:// URL (got 'ws://example.com/mcp')",
    ],
    "comments-only.yaml": [
        "tests/unit/spec/corpus/comments-only.yaml:1:1: file is empty (no YAML documents)",
    ],
    "control-character.yaml": [
        "tests/unit/spec/corpus/control-character.yaml:6:12: character U+0007 is not allowed in YAML",
    ],
    "deep-nesting.yaml": [
        "tests/unit/spec/corpus/deep-nesting.yaml:6:104: nested deeper than 100 levels",
    ],
    "duplicate-flow-key.yaml": [
        "tests/unit/spec/corpus/duplicate-flow-key.yaml:6:27: duplicate key 'name' (first at line 6)",
    ],
    "duplicate-key.yaml": [
        "tests/unit/spec/corpus/duplicate-key.yaml:8:5: duplicate key 'call' (first at line 7)",
    ],
    "duplicate-server-names.yaml": [
        "tests/unit/spec/corpus/duplicate-server-names.yaml:11:3: Servers/two: servers.echo: server 'echo' is already defined in Servers/one (tests/unit/spec/corpus/duplicate-server-names.yaml:5:9)",
    ],
    "duplicate-step-names.yaml": [
        "tests/unit/spec/corpus/duplicate-step-names.yaml:10:15: TestSuite/broken: tests[0].steps[1].name: duplicate step name 's' (first at line 8)",
    ],
    "duplicate-suite-names.yaml": [
        "tests/unit/spec/corpus/duplicate-suite-names.yaml:11:18: TestSuite/broken: metadata.name: duplicate TestSuite name 'broken' (first at tests/unit/spec/corpus/duplicate-suite-names.yaml:3:18)",
    ],
    "duplicate-test-names.yaml": [
        "tests/unit/spec/corpus/duplicate-test-names.yaml:8:11: TestSuite/broken: tests[1].name: duplicate test name 'a' (first at line 6)",
    ],
    "empty-document.yaml": [
        "tests/unit/spec/corpus/empty-document.yaml:8:1: document 2 is empty",
    ],
    "empty-tests.yaml": [
        "tests/unit/spec/corpus/empty-tests.yaml:5:8: TestSuite/broken: tests: must not be empty",
    ],
    "empty.yaml": [
        "tests/unit/spec/corpus/empty.yaml:1:1: file is empty (no YAML documents)",
    ],
    "env-unset.yaml": [
        "tests/unit/spec/corpus/env-unset.yaml:7:30: environment variable MCPCTL_CORPUS_UNSET_TOKEN is not set",
    ],
    "error-with-text.yaml": [
        "tests/unit/spec/corpus/error-with-text.yaml:9:14: TestSuite/broken: tests[0].expect.error: error cannot be combined with text (a request that fails has no result)",
    ],
    "expect-mismatch.yaml": [
        "tests/unit/spec/corpus/expect-mismatch.yaml:9:16: TestSuite/broken: tests[0].expect.isError: isError applies only to call (this test uses read)",
        "tests/unit/spec/corpus/expect-mismatch.yaml:10:17: TestSuite/broken: tests[0].expect.messages: messages applies only to prompt (this test uses read)",
    ],
    "import-missing-file.yaml": [
        "tests/unit/spec/corpus/import-missing-file.yaml:4:9: Servers/broken: import: {root}/tests/unit/spec/corpus/no-such-config.json: no such file",
    ],
    "int-key.yaml": [
        'tests/unit/spec/corpus/int-key.yaml:8:12: key 1 is read as int, not a string; quote it: "1"',
    ],
    "invalid-json-schema.yaml": [
        "tests/unit/spec/corpus/invalid-json-schema.yaml:9:35: TestSuite/broken: tests[0].expect.structuredContent.schema: not a valid JSON Schema: /type: 5 is not valid under any of the given schemas",
    ],
    "kind-case.yaml": [
        "tests/unit/spec/corpus/kind-case.yaml:2:7: kind: unknown kind 'testsuite' (did you mean 'TestSuite'?)",
    ],
    "kind-not-string.yaml": [
        "tests/unit/spec/corpus/kind-not-string.yaml:2:7: kind: expected a kind name, got a list (known: Servers, TestSuite, MockServer, BatchPlan, LoadTest, FaultScenario, Monitor, AlertRules, AlertTest, Schedule)",
    ],
    "list-check-with-action.yaml": [
        "tests/unit/spec/corpus/list-check-with-action.yaml:9:14: TestSuite/broken: tests[0].expect.tools: tools list checks apply only to a test with no action and no steps (this test uses call)",
    ],
    "merge-key.yaml": [
        "tests/unit/spec/corpus/merge-key.yaml:6:5: merge keys (<<) are not allowed in specs",
    ],
    "missing-api-version.yaml": [
        "tests/unit/spec/corpus/missing-api-version.yaml:1:1: TestSuite/broken: missing required field 'apiVersion'",
    ],
    "missing-kind.yaml": [
        "tests/unit/spec/corpus/missing-kind.yaml:1:1: missing required field 'apiVersion'",
        "tests/unit/spec/corpus/missing-kind.yaml:1:1: missing required field 'kind'",
    ],
    "missing-tests.yaml": [
        "tests/unit/spec/corpus/missing-tests.yaml:1:1: TestSuite/broken: missing required field 'tests'",
    ],
    "mock-bad-content-type.yaml": [
        "tests/unit/spec/corpus/mock-bad-content-type.yaml:6:32: MockServer/broken: tools[0].default.content[0].type: expected one of: text, image, audio, resource_link, resource (got 'video')",
    ],
    "mock-bad-percent.yaml": [
        "tests/unit/spec/corpus/mock-bad-percent.yaml:5:14: MockServer/broken: behaviour.errorRate: '0.5' is not a percentage: use a number and a percent sign (1%, 0.5%, 100%)",
    ],
    "mock-bad-regex.yaml": [
        "tests/unit/spec/corpus/mock-bad-regex.yaml:7:39: MockServer/broken: tools[0].responses[0].when.args.text.matches: invalid regular expression: unterminated character set at position 0",
    ],
    "mock-bad-template.yaml": [
        "tests/unit/spec/corpus/mock-bad-template.yaml:7:18: MockServer/broken: tools[0].responses[0].respond: template syntax error on line 1: unexpected end of template, expected 'end of print statement'.",
    ],
    "mock-completion-unknown-prompt.yaml": [
        "tests/unit/spec/corpus/mock-completion-unknown-prompt.yaml:9:14: MockServer/broken: completions[0].prompt: unknown prompt 'greeting' (prompts: greet)",
    ],
    "mock-duplicate-tool.yaml": [
        "tests/unit/spec/corpus/mock-duplicate-tool.yaml:7:11: MockServer/broken: tools[2].name: duplicate tool name 'echo' (first at line 5)",
    ],
    "mock-input-schema-not-object.yaml": [
        "tests/unit/spec/corpus/mock-input-schema-not-object.yaml:6:25: MockServer/broken: tools[0].inputSchema.type: inputSchema must have type: object (got 'array')",
    ],
    "mock-latency-fields.yaml": [
        "tests/unit/spec/corpus/mock-latency-fields.yaml:5:12: MockServer/broken: behaviour.latency: a normal latency needs stddev",
        "tests/unit/spec/corpus/mock-latency-fields.yaml:5:47: MockServer/broken: behaviour.latency.value: value does not apply to a normal latency (it takes mean and stddev)",
    ],
    "mock-needs-structured.yaml": [
        "tests/unit/spec/corpus/mock-needs-structured.yaml:7:14: MockServer/broken: tools[0].default: a tool with an outputSchema must answer with structuredContent",
    ],
    "mock-prompt-unknown-arg.yaml": [
        "tests/unit/spec/corpus/mock-prompt-unknown-arg.yaml:8:28: MockServer/broken: prompts[0].messages[0].text: args.name is not an argument of prompt 'greet' (arguments: who)",
    ],
    "mock-structured-mismatch.yaml": [
        "tests/unit/spec/corpus/mock-structured-mismatch.yaml:7:34: MockServer/broken: tools[0].default.structuredContent: structuredContent does not match the tool's outputSchema: /: 'sum' is a required property",
    ],
    "mock-template-no-variable.yaml": [
        "tests/unit/spec/corpus/mock-template-no-variable.yaml:5:19: MockServer/broken: resourceTemplates[0].uriTemplate: 'repo://octo/hello' has no {variable}: a resource template needs at least one (repo://{owner}/{name}); use resources for a fixed URI",
    ],
    "mock-text-and-content.yaml": [
        "tests/unit/spec/corpus/mock-text-and-content.yaml:6:34: MockServer/broken: tools[0].default.content: give only one of text, content (this response already has text)",
    ],
    "mock-unknown-argument.yaml": [
        "tests/unit/spec/corpus/mock-unknown-argument.yaml:8:23: MockServer/broken: tools[0].responses[0].when.args.citty: unknown argument 'citty' (inputSchema has: city, days)",
    ],
    "no-action.yaml": [
        "tests/unit/spec/corpus/no-action.yaml:6:5: TestSuite/broken: tests[0]: a test needs call, read, prompt or steps (or tools, resources, prompts, mockCalls or auth under expect)",
    ],
    "non-utf8.yaml": [
        "tests/unit/spec/corpus/non-utf8.yaml:6:14: not UTF-8: byte 0xe9 (invalid continuation byte); save the file as UTF-8",
    ],
    "not-a-mapping.yaml": [
        "tests/unit/spec/corpus/not-a-mapping.yaml:1:1: a spec document must be a mapping with apiVersion, kind and metadata (got a list)",
    ],
    "null-document.yaml": [
        "tests/unit/spec/corpus/null-document.yaml:1:1: document 1 is empty",
    ],
    "pin-missing-lock.yaml": [
        "tests/unit/spec/corpus/pin-missing-lock.yaml:4:32: TestSuite/broken: server.pin: {root}/tests/unit/spec/corpus/missing.lock.json: no such lock file (create it with: mcpctl pin SERVER > {root}/tests/unit/spec/corpus/missing.lock.json)",
    ],
    "pinned-invalid-lock.yaml": [
        "tests/unit/spec/corpus/pinned-invalid-lock.yaml:8:23: TestSuite/broken: tests[0].expect.tools.pinned: {root}/tests/unit/spec/corpus/not-a-lock.json: unsupported lock version 2 (this mcpctl reads version 1)",
    ],
    "pinned-unknown-tool.yaml": [
        "tests/unit/spec/corpus/pinned-unknown-tool.yaml:7:11: TestSuite/broken: tests[0].call: unknown tool 'ecoh': not in the pinned tool list of server 'broken' (tools.lock.json: echo)",
    ],
    "python-tag.yaml": [
        "tests/unit/spec/corpus/python-tag.yaml:7:11: unsupported tag '!!python/name:os.system'",
    ],
    "repeat-too-big.yaml": [
        "tests/unit/spec/corpus/repeat-too-big.yaml:8:13: TestSuite/broken: tests[0].repeat: must be at most 100000 (got 1000001)",
    ],
    "save-missing-key.yaml": [
        "tests/unit/spec/corpus/save-missing-key.yaml:12:15: TestSuite/broken: tests[0].steps[1].read: step 'create' saves no 'uri' (it saves: id)",
    ],
    "save-used-before-defined.yaml": [
        "tests/unit/spec/corpus/save-used-before-defined.yaml:9:15: TestSuite/broken: tests[0].steps[0].read: steps.create.id is used before step 'create' is defined",
    ],
    "scalar-document.yaml": [
        "tests/unit/spec/corpus/scalar-document.yaml:1:1: a spec document must be a mapping with apiVersion, kind and metadata (got a string)",
    ],
    "servers-mock-missing-file.yaml": [
        "tests/unit/spec/corpus/servers-mock-missing-file.yaml:5:19: Servers/broken: servers.weather.mock: {root}/tests/unit/spec/corpus/no-such-mock.yaml: no such file",
    ],
    "servers-mock-not-a-mock.yaml": [
        "tests/unit/spec/corpus/servers-mock-not-a-mock.yaml:5:19: Servers/broken: servers.weather.mock: {root}/tests/unit/spec/corpus/bad-url.yaml: holds no MockServer document (found: TestSuite)",
    ],
    "servers-nothing.yaml": [
        "tests/unit/spec/corpus/servers-nothing.yaml:1:1: Servers/broken: needs at least one of: servers, import",
    ],
    "several-errors.yaml": [
        "tests/unit/spec/corpus/several-errors.yaml:5:14: TestSuite/first: concurrency: must be at least 1 (got 0)",
        "tests/unit/spec/corpus/several-errors.yaml:9:14: TestSuite/first: tests[0].timeout: 'soon' is not a duration: use a number and a unit (250ms, 2s, 5m, 1h)",
        "tests/unit/spec/corpus/several-errors.yaml:14:9: TestSuite/second: server: unknown server 'nowhere' (no servers are defined: add a Servers document or pass --servers)",
        "tests/unit/spec/corpus/several-errors.yaml:18:11: TestSuite/second: tests[1].name: duplicate test name 'a' (first at line 16)",
        "tests/unit/spec/corpus/several-errors.yaml:20:30: TestSuite/second: tests[1].expect.text.matches: invalid regular expression: nothing to repeat at position 0",
        "tests/unit/spec/corpus/several-errors.yaml:26:27: Servers/local: servers.echo.transport: unknown field 'transport'",
    ],
    "skip-empty.yaml": [
        "tests/unit/spec/corpus/skip-empty.yaml:8:11: TestSuite/broken: tests[0].skip: must not be empty",
    ],
    "step-without-action.yaml": [
        "tests/unit/spec/corpus/step-without-action.yaml:8:9: TestSuite/broken: tests[0].steps[0]: a step needs one of: call, read, prompt",
        "tests/unit/spec/corpus/step-without-action.yaml:9:24: TestSuite/broken: tests[0].steps[0].expect.text: text needs an action: call, read or prompt (this step has no action)",
    ],
    "steps-and-action.yaml": [
        "tests/unit/spec/corpus/steps-and-action.yaml:9:7: TestSuite/broken: tests[0].steps: steps cannot be combined with call (a test is one action or a sequence of steps)",
    ],
    "steps-outside-workflow.yaml": [
        "tests/unit/spec/corpus/steps-outside-workflow.yaml:8:15: TestSuite/broken: tests[0].with.x: steps.a.id is used before step 'a' is defined",
    ],
    "tab-after-dash.yaml": [
        "tests/unit/spec/corpus/tab-after-dash.yaml:6:4: tabs are not allowed here; use spaces",
    ],
    "tab-indent.yaml": [
        "tests/unit/spec/corpus/tab-indent.yaml:7:1: tabs are not allowed for indentation; use spaces",
    ],
    "template-getitem-dunder.yaml": [
        "tests/unit/spec/corpus/template-getitem-dunder.yaml:8:15: TestSuite/broken: tests[0].with.x: template tried to reach Python internals: '__class__' is private (line 1 of the template)",
    ],
    "template-globals.yaml": [
        "tests/unit/spec/corpus/template-globals.yaml:9:13: TestSuite/broken: tests[0].with.text: template tried to reach Python internals: '__globals__' is private (line 1 of the template)",
    ],
    "template-import.yaml": [
        "tests/unit/spec/corpus/template-import.yaml:8:15: TestSuite/broken: tests[0].with.x: templates cannot import, include or extend other templates (line 1 of the template)",
    ],
    "template-in-vars.yaml": [
        "tests/unit/spec/corpus/template-in-vars.yaml:6:10: TestSuite/broken: vars.token: template tried to reach Python internals: '__globals__' is private (line 1 of the template)",
    ],
    "template-macro.yaml": [
        "tests/unit/spec/corpus/template-macro.yaml:8:15: TestSuite/broken: tests[0].with.x: macros are not allowed in templates (line 1 of the template)",
    ],
    "template-nested-loop.yaml": [
        "tests/unit/spec/corpus/template-nested-loop.yaml:8:15: TestSuite/broken: tests[0].with.x: nested and recursive loops are not allowed in templates (line 1 of the template)",
    ],
    "template-self-context.yaml": [
        "tests/unit/spec/corpus/template-self-context.yaml:8:15: TestSuite/broken: tests[0].with.x: template tried to reach Python internals: '_TemplateReference__context' is private (line 1 of the template)",
    ],
    "template-subclasses.yaml": [
        "tests/unit/spec/corpus/template-subclasses.yaml:8:18: TestSuite/broken: tests[0].with.text: template tried to reach Python internals: '__subclasses__' is private (line 1 of the template)",
    ],
    "two-actions.yaml": [
        "tests/unit/spec/corpus/two-actions.yaml:8:11: TestSuite/broken: tests[0].read: give only one of call, read, prompt (this test already has call)",
    ],
    "unknown-field-root.yaml": [
        "tests/unit/spec/corpus/unknown-field-root.yaml:5:1: TestSuite/broken: test: unknown field 'test' (did you mean 'tests'?)",
    ],
    "unknown-field-server.yaml": [
        "tests/unit/spec/corpus/unknown-field-server.yaml:4:27: TestSuite/broken: server.argv: unknown field 'argv' (did you mean 'args'?)",
    ],
    "unknown-field-test.yaml": [
        "tests/unit/spec/corpus/unknown-field-test.yaml:8:5: TestSuite/broken: tests[0].expcet: unknown field 'expcet' (did you mean 'expect'?)",
    ],
    "unknown-kind.yaml": [
        "tests/unit/spec/corpus/unknown-kind.yaml:2:7: kind: unknown kind 'Deployment' (known: Servers, TestSuite, MockServer, BatchPlan, LoadTest, FaultScenario, Monitor, AlertRules, AlertTest, Schedule)",
    ],
    "unknown-server.yaml": [
        "tests/unit/spec/corpus/unknown-server.yaml:4:9: TestSuite/broken: server: unknown server 'github' (no servers are defined: add a Servers document or pass --servers)",
    ],
    "unknown-var.yaml": [
        "tests/unit/spec/corpus/unknown-var.yaml:9:15: TestSuite/broken: tests[0].with.x: vars.usr is not defined (vars: user)",
    ],
    "utf16.yaml": [
        "tests/unit/spec/corpus/utf16.yaml:1:1: not UTF-8: byte 0xff (invalid start byte); save the file as UTF-8",
    ],
    "with-on-read.yaml": [
        "tests/unit/spec/corpus/with-on-read.yaml:8:11: TestSuite/broken: tests[0].with: with applies only to call and prompt (this test uses read)",
    ],
    "wrong-api-version.yaml": [
        "tests/unit/spec/corpus/wrong-api-version.yaml:1:13: Servers/broken: apiVersion: expected 'mcpctl/v1' (got 'v1')",
    ],
    "wrong-type-concurrency.yaml": [
        "tests/unit/spec/corpus/wrong-type-concurrency.yaml:5:14: TestSuite/broken: concurrency: expected an integer, got a string",
    ],
    "wrong-type-tests.yaml": [
        "tests/unit/spec/corpus/wrong-type-tests.yaml:6:3: TestSuite/broken: tests: expected a list, got a mapping",
    ],
    "wrong-type-with.yaml": [
        "tests/unit/spec/corpus/wrong-type-with.yaml:8:11: TestSuite/broken: tests[0].with: expected a mapping, got a list",
    ],
    "yaml-bomb.yaml": [
        "tests/unit/spec/corpus/yaml-bomb.yaml:1:4: anchors are not allowed in specs",
    ],
}


def expected(name: str) -> list[str]:
    return [line.replace("{root}", str(ROOT)) for line in EXPECTED[name]]


def validate(*args: str) -> tuple[int, str, str]:
    """``mcpctl validate ARGS`` in-process, with the console script's error handling."""
    return invoke("validate", *args)


def test_the_corpus_is_big_enough_and_listed_exactly() -> None:
    files = sorted(path.name for path in CORPUS.glob("*.yaml"))
    assert len(files) >= 45
    assert files == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_broken_spec_reports_exactly(name: str) -> None:
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(RELATIVE / name)], environ={})
    assert [str(error) for error in caught.value.errors] == expected(name)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate_exits_2_with_one_line_per_error(name: str) -> None:
    code, stdout, stderr = validate(str(RELATIVE / name))
    assert code == 2
    assert stdout == ""
    assert stderr.splitlines() == [f"mcpctl: error: {line}" for line in expected(name)]


def test_the_whole_directory_reports_every_file_in_order() -> None:
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(RELATIVE)], environ={})
    errors = caught.value.errors
    order = {str(RELATIVE / name): index for index, name in enumerate(sorted(EXPECTED))}
    keys = [(order[error.path], error.line, error.column) for error in errors]
    assert keys == sorted(keys)
    assert {error.path for error in errors} == set(order)
    # names now clash across files (every suite here is called 'broken'): reported, not hidden
    assert "tests/unit/spec/corpus/alias.yaml:7:11: aliases are not allowed in specs" in map(str, errors)


@pytest.mark.parametrize("name", ["yaml-bomb.yaml", "non-utf8.yaml", "template-subclasses.yaml"])
def test_the_console_script_exits_2(name: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mcpctl", "validate", str(RELATIVE / name)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"mcpctl: error: {line}" for line in expected(name)]


def test_a_10_mb_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    line = "# " + "x" * 1000 + "\n"
    path.write_text("apiVersion: mcpctl/v1\n" + line * (10 * 1024 * 1024 // len(line)), encoding="utf-8")
    assert path.stat().st_size > 10_000_000
    message = (
        f"{path}:1:1: file is larger than the {MAX_SPEC_BYTES} byte limit for spec files (MAX_SPEC_BYTES)"
    )
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(path)], environ={})
    assert [str(error) for error in caught.value.errors] == [message]
    code, _, stderr = validate(str(path))
    assert (code, stderr) == (2, f"mcpctl: error: {message}\n")


def test_a_broken_file_does_not_hide_the_others(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: ok}\nserver: nope\n"
        "tests: [{name: a, call: echo}]\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidSpecs) as caught:
        load_specs([str(RELATIVE / "tab-indent.yaml"), str(good)], environ={})
    assert [str(e) for e in caught.value.errors] == [
        *expected("tab-indent.yaml"),
        f"{good}:4:9: TestSuite/ok: server: unknown server 'nope' (no servers are defined: add a Servers document or pass --servers)",
    ]
    assert all(isinstance(e, SpecError) for e in caught.value.errors)
