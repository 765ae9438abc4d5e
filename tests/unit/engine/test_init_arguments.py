"""The arguments ``mcpctl init`` calls a tool with: examples, then default, const, enum, then minimal
valid values (required properties only, bounds and formats respected), checked against the schema."""

from __future__ import annotations

import re

import pytest

from mcpctl.engine.init.arguments import prompt_arguments, tool_arguments, writable


def obj(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties)}


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ({"type": "string", "examples": ["octocat"], "default": "d", "enum": ["d", "octocat"]}, "octocat"),
        ({"type": "string", "default": "d", "enum": ["e", "d"]}, "d"),
        ({"type": "string", "enum": ["issue", "pr"]}, "issue"),
        ({"const": 7}, 7),
        ({"type": "string"}, "example"),
        ({"type": "string", "minLength": 10}, "exampleaaa"),
        ({"type": "string", "maxLength": 3}, "exa"),
        ({"type": "string", "format": "date-time"}, "2026-01-01T00:00:00Z"),
        ({"type": "string", "format": "email"}, "user@example.com"),
        ({"type": "string", "format": "uri"}, "https://example.com/"),
        ({"type": "string", "format": "uuid"}, "00000000-0000-4000-8000-000000000000"),
        ({"type": "integer"}, 0),
        ({"type": "integer", "minimum": 1}, 1),
        ({"type": "integer", "exclusiveMinimum": 5}, 6),
        ({"type": "number", "minimum": 0.5}, 0.5),
        ({"type": "boolean"}, False),
        ({"type": "array", "items": {"type": "string"}}, []),
        ({"type": "array", "items": {"type": "integer", "minimum": 3}, "minItems": 2}, [3, 3]),
        ({"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 2}]}, 2),
        ({"type": ["null", "string"]}, "example"),
    ],
)
def test_each_value_comes_from_the_schema_in_order(prop: dict, value: object) -> None:
    assert tool_arguments(obj({"v": prop})) == {"v": value}


def test_only_required_properties_are_given() -> None:
    schema = obj({"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": "boolean"}}, ["b"])
    assert tool_arguments(schema) == {"b": 0}


def test_nested_objects_and_refs() -> None:
    schema = {
        "type": "object",
        "$defs": {"Page": obj({"size": {"type": "integer", "minimum": 10}})},
        "properties": {"page": {"$ref": "#/$defs/Page"}},
        "required": ["page"],
    }
    assert tool_arguments(schema) == {"page": {"size": 10}}


def test_path_named_strings_get_the_current_directory() -> None:
    schema = obj({"path": {"type": "string"}, "Directory": {"type": "string"}, "name": {"type": "string"}})
    assert tool_arguments(schema) == {"path": ".", "Directory": ".", "name": "example"}


def test_no_schema_or_no_properties_means_no_arguments() -> None:
    assert tool_arguments(None) == {}
    assert tool_arguments({"type": "object"}) == {}


def test_a_pattern_falls_back_to_a_seeded_instance_that_fits() -> None:
    schema = obj({"tag": {"type": "string", "pattern": "^#[a-z]{3,}$"}})
    first = tool_arguments(schema, name="lookup")
    assert first is not None
    assert first == tool_arguments(schema, name="lookup")  # deterministic

    assert re.fullmatch(r"#[a-z]{3,}", str(first["tag"]))


def test_an_unsatisfiable_schema_gives_none() -> None:
    schema = obj({"n": {"type": "integer", "minimum": 5, "maximum": 1}})
    assert tool_arguments(schema, name="never") is None


def test_template_text_is_never_written() -> None:
    assert writable({"a": ["x", {"b": "plain"}]})
    assert not writable({"a": "{{ vars.x }}"})
    assert not writable(["${env:HOME}"])
    assert not writable({"{% if %}": 1})
    schema = obj({"t": {"type": "string", "examples": ["{{ x }}"], "pattern": "^[{][{]"}})
    found = tool_arguments(schema, name="t")
    assert found is None or writable(found)


def test_prompt_arguments_are_words_for_the_required_ones() -> None:
    prompt = {
        "name": "p",
        "arguments": [
            {"name": "city", "required": True},
            {"name": "state"},
            {"name": "zip", "required": False},
            "junk",
        ],
    }
    assert prompt_arguments(prompt) == {"city": "example"}
    assert prompt_arguments({"name": "q"}) == {}
