"""Choosing and rendering a mock tool's answer: rules matched against the arguments, sequences,
templates, and a default made from the tool's ``outputSchema`` when nothing matches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema

from mcpctl.mcp.jsonrpc import JSONValue, Message, json_equal
from mcpctl.spec.mock_model import ArgMatcher, MockTool, Response, Rule
from mcpctl.spec.templating import render_value

_MISSING = object()


_VALIDATORS: dict[int, tuple[Mapping[str, Any], Any]] = {}


def validator(schema: Mapping[str, Any]) -> Any:
    """The validator of ``schema``, built once: schemas live in the frozen spec for the whole serve,
    so their identity is the key (and the entry keeps the schema alive)."""
    found = _VALIDATORS.get(id(schema))
    if found is not None and found[0] is schema:
        return found[1]
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    checker = cls(schema)
    _VALIDATORS[id(schema)] = (schema, checker)
    return checker


def _matches(matcher: ArgMatcher, value: object) -> bool:
    if matcher.exists is not None and (value is not _MISSING) != matcher.exists:
        return False
    if value is _MISSING:
        return matcher.exists is False or (
            matcher.equals is None and matcher.matches is None and matcher.schema is None
        )
    if matcher.equals is not None and not json_equal(value, matcher.equals.value):
        return False
    if matcher.matches is not None and not (isinstance(value, str) and matcher.matches.search(value)):
        return False
    return matcher.schema is None or validator(matcher.schema).is_valid(value)


def rule_applies(rule: Rule, arguments: Mapping[str, JSONValue], scenario: str) -> bool:
    """Whether ``rule`` answers a call with ``arguments`` while the mock is in ``scenario``."""
    if rule.scenario is not None and rule.scenario != scenario:
        return False
    if any(not _matches(m, arguments.get(name, _MISSING)) for name, m in rule.args.items()):
        return False
    return rule.schema is None or validator(rule.schema).is_valid(dict(arguments))


def pick(rule: Rule, nth: int) -> Response:
    """The response of ``rule`` for its ``nth`` match (from 0): sequences advance, then stay or cycle."""
    if nth < len(rule.respond):
        return rule.respond[nth]
    return rule.respond[nth % len(rule.respond)] if rule.cycle else rule.respond[-1]


def render(response: Response, context: Mapping[str, object]) -> Message:
    """The ``tools/call`` result of ``response`` (not for error responses), templates rendered."""
    result: Message = {"content": [render_value(dict(block), context) for block in response.content]}
    if response.structured_content is not None:
        result["structuredContent"] = render_value(response.structured_content.value, context)
    if response.is_error:
        result["isError"] = True
    return result


def default_result(tool: MockTool) -> Message:
    """What a tool answers when no rule matches: an instance of its ``outputSchema`` (text ``ok``
    without one), so clients that validate structured output accept it."""
    if tool.output_schema is None:
        return {"content": [{"type": "text", "text": "ok"}]}
    value = example(tool.output_schema)
    import json

    return {"content": [{"type": "text", "text": json.dumps(value)}], "structuredContent": value}


def example(schema: Mapping[str, Any] | bool, depth: int = 0) -> JSONValue:
    """A small value valid for common JSON Schemas: ``const``, ``default``, ``examples``, ``enum``,
    then by ``type`` (required properties only; ``minItems`` items; bounds respected)."""
    if not isinstance(schema, Mapping) or depth > 20:
        return None
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return example(options[0], depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    return _typed_example(kind, schema, depth)


def _typed_example(kind: str, schema: Mapping[str, Any], depth: int) -> JSONValue:
    if kind == "object":
        found = schema.get("properties")
        props: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        required = [name for name in schema.get("required", []) if isinstance(name, str)]
        return {name: example(props.get(name, {}), depth + 1) for name in required}
    if kind == "array":
        count = schema.get("minItems", 0) if isinstance(schema.get("minItems"), int) else 0
        return [example(schema.get("items", {}), depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = low if isinstance(low, int | float) and not isinstance(low, bool) else 0
        if "exclusiveMinimum" in schema and value == schema["exclusiveMinimum"]:
            value += 1
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    length = schema.get("minLength", 0) if isinstance(schema.get("minLength"), int) else 0
    return "x" * length
