"""Property tests: however a valid spec is mangled, load_specs builds it or reports SpecErrors, never
raises anything else (acceptance 2 of issue 4: "never see a traceback")."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcpctl.errors import InvalidSpecs, SpecError
from mcpctl.spec.build import SpecSet, load_specs
from mcpctl.spec.lockfile import make_lock

SUITE = {
    "apiVersion": "mcpctl/v1",
    "kind": "TestSuite",
    "metadata": {"name": "fuzz", "labels": {"team": "core"}},
    "server": {"command": "python", "args": ["-m", "echo"], "env": {"A": "1"}, "pin": "tools.lock.json"},
    "concurrency": 2,
    "vars": {"greeting": "hi"},
    "defaults": {"timeout": "5s", "retries": 1},
    "tests": [
        {
            "name": "call",
            "call": "echo",
            "with": {"text": "{{ vars.greeting }}"},
            "repeat": 2,
            "expect": {
                "text": {"contains": "hi", "matches": "^h"},
                "structuredContent": [{"pointer": "/a", "equals": 1}],
                "latency": {"p50": "100ms"},
            },
        },
        {"name": "read", "read": "res://x", "expect": {"mimeType": "text/plain", "text": "x"}},
        {"name": "lists", "expect": {"tools": {"include": ["echo"], "pinned": "tools.lock.json"}}},
        {
            "name": "flow",
            "steps": [
                {"name": "a", "call": "echo", "save": {"id": "/structuredContent/id"}},
                {"name": "b", "prompt": "p", "with": {"id": "{{ steps.a.id }}"}, "expect": {"messages": 1}},
            ],
        },
    ],
}
SERVERS = {
    "apiVersion": "mcpctl/v1",
    "kind": "Servers",
    "metadata": {"name": "local"},
    "servers": {
        "echo": {"command": "python", "cwd": "..", "env": {"B": True}},
        "remote": {"url": "https://x.test/mcp", "transport": "sse", "auth": {"type": "bearer", "token": "t"}},
        "mocked": {"mock": "mock.yaml", "pin": "tools.lock.json"},
    },
}
MOCK = {
    "apiVersion": "mcpctl/v1",
    "kind": "MockServer",
    "metadata": {"name": "fuzz"},
    "server": {"name": "m", "version": "1.2.3", "instructions": "hi"},
    "behaviour": {"latency": "5ms", "errorRate": "1%", "error": {"code": -1, "message": "x"}},
    "seed": 1,
    "pageSize": 2,
    "switches": [{"after": 3, "to": "down"}],
    "tools": [
        {
            "name": "add",
            "inputSchema": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
            },
            "outputSchema": {"type": "object", "properties": {"sum": {"type": "integer"}}},
            "annotations": {"readOnlyHint": True},
            "scenarios": ["default", "down"],
            "behaviour": {"latency": {"distribution": "uniform", "min": "1ms", "max": "2ms"}},
            "responses": [
                {
                    "when": {"args": {"a": 1, "b": {"matches": "^x", "schema": {"type": "string"}}}},
                    "respond": {"structuredContent": {"sum": 2}, "text": "{{ args.a + 1 }}"},
                },
                {
                    "scenario": "down",
                    "respond": [
                        {"error": {"code": -32000, "message": "down"}},
                        {"isError": True, "text": "no"},
                    ],
                    "cycle": True,
                },
            ],
            "default": {
                "structuredContent": {"sum": 0},
                "latency": {"distribution": "lognormal", "median": "1ms", "sigma": 0.5},
            },
        },
        {"name": "echo", "default": "{{ args.text }}"},
    ],
    "resources": [
        {"uri": "file:///a", "name": "a", "text": "x"},
        {"uri": "file:///b", "name": "b", "blob": "eA=="},
    ],
    "resourceTemplates": [{"uriTemplate": "repo://{owner}", "name": "repo", "text": "{{ params.owner }}"}],
    "prompts": [
        {
            "name": "greet",
            "arguments": [{"name": "who", "required": True}],
            "messages": [
                {"role": "user", "text": "Hi {{ args.who }}"},
                {
                    "role": "assistant",
                    "content": {"type": "resource", "resource": {"uri": "file:///a", "text": "a"}},
                },
            ],
        }
    ],
    "completions": [
        {"prompt": "greet", "argument": "who", "values": ["ada"]},
        {"resource": "repo://{owner}", "argument": "owner", "values": ["octo"]},
    ],
}
BASES = [SUITE, SERVERS, MOCK]
LOCK = make_lock([{"name": "echo"}], server="echo", server_info={}, protocol="2025-06-18")
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def containers(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every path to a mapping or list inside ``value``."""
    found: list[tuple[object, ...]] = []
    if isinstance(value, dict):
        found.append(path)
        for key, child in value.items():
            found.extend(containers(child, (*path, key)))
    elif isinstance(value, list):
        found.append(path)
        for index, child in enumerate(value):
            found.extend(containers(child, (*path, index)))
    return found


def at(value: object, path: tuple[object, ...]) -> object:
    for part in path:
        value = value[part]  # type: ignore[index]
    return value


def check(directory: Path, content: str | bytes) -> None:
    path = directory / "spec.yaml"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    result = outcome(path, directory)
    if isinstance(result, SpecSet):
        return
    assert str(result)
    errors = result.errors if isinstance(result, InvalidSpecs) else [result]
    assert all(isinstance(error, SpecError) and error.path == str(path) for error in errors)


def outcome(path: Path, directory: Path) -> SpecSet | InvalidSpecs | SpecError:
    try:
        return load_specs([str(path)], environ={"HOME": str(directory)})
    except (InvalidSpecs, SpecError) as exc:  # anything else fails the test with its traceback
        return exc


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("fuzz")
    (directory / "tools.lock.json").write_text(json.dumps(LOCK), encoding="utf-8")
    (directory / "mock.yaml").write_text(dump(MOCK), encoding="utf-8")
    return directory


def dump(*documents: object) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True)


def test_the_base_specs_are_valid(workdir: Path) -> None:
    (workdir / "spec.yaml").write_text(dump(SERVERS, SUITE, MOCK), encoding="utf-8")
    specs = load_specs([str(workdir / "spec.yaml")], environ={})
    assert len(specs.documents) == 3
    assert len(specs.mocks) == 1


@FUZZ
@given(base=st.sampled_from(BASES), data=st.data())
def test_dropping_a_key(workdir: Path, base: dict[str, object], data: st.DataObject) -> None:
    spec = copy.deepcopy(base)
    path = data.draw(st.sampled_from([p for p in containers(spec) if at(spec, p)]))
    target = at(spec, path)
    if isinstance(target, dict):
        del target[data.draw(st.sampled_from(sorted(target)))]
    else:
        assert isinstance(target, list)
        del target[data.draw(st.integers(0, len(target) - 1))]
    check(workdir, dump(spec))


@FUZZ
@given(base=st.sampled_from(BASES), data=st.data(), value=json_values)
def test_replacing_a_value(
    workdir: Path, base: dict[str, object], data: st.DataObject, value: object
) -> None:
    spec = copy.deepcopy(base)
    path = data.draw(st.sampled_from([p for p in containers(spec) if at(spec, p)]))
    target = at(spec, path)
    if isinstance(target, dict):
        target[data.draw(st.sampled_from(sorted(target)))] = value
    else:
        assert isinstance(target, list)
        target[data.draw(st.integers(0, len(target) - 1))] = value
    check(workdir, dump(spec))


@FUZZ
@given(base=st.sampled_from(BASES), data=st.data(), key=st.text(max_size=12), value=json_values)
def test_inserting_a_key(
    workdir: Path, base: dict[str, object], data: st.DataObject, key: str, value: object
) -> None:
    spec = copy.deepcopy(base)
    dicts = [p for p in containers(spec) if isinstance(at(spec, p), dict)]
    target = at(spec, data.draw(st.sampled_from(dicts)))
    assert isinstance(target, dict)
    target[key] = value
    check(workdir, dump(spec))


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(dump(SERVERS, SUITE, MOCK))))
def test_truncating_the_text(workdir: Path, cut: int) -> None:
    check(workdir, dump(SERVERS, SUITE, MOCK)[:cut])


@FUZZ
@given(text=st.text(max_size=300))
def test_random_text(workdir: Path, text: str) -> None:
    check(workdir, text)


@FUZZ
@given(data=st.binary(max_size=300), cut=st.integers(min_value=0, max_value=2000))
def test_random_bytes_inside_a_valid_spec(workdir: Path, data: bytes, cut: int) -> None:
    text = dump(SUITE).encode("utf-8")
    check(workdir, text[:cut] + data + text[cut:])


@FUZZ
@given(data=st.binary(max_size=300), cut=st.integers(min_value=0, max_value=3000))
def test_random_bytes_inside_a_valid_mock(workdir: Path, data: bytes, cut: int) -> None:
    text = dump(MOCK).encode("utf-8")
    check(workdir, text[:cut] + data + text[cut:])


@FUZZ
@given(template=st.text(alphabet="{}%#_.'\"()[]|~ abcsteps_varsx0123", max_size=40))
def test_random_templates(workdir: Path, template: str) -> None:
    spec = copy.deepcopy(SUITE)
    spec["tests"][0]["with"] = {"text": "{{" + template}  # type: ignore[index]
    check(workdir, dump(spec))
