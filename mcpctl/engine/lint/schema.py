"""Rules over ``inputSchema``: what a model needs to fill arguments in, and what clients refuse.

Client limits (docs/lint/MCP018.md, MCP019.md, MCP020.md): the Claude API answers "input_schema does
not support oneOf, allOf, or anyOf at the top level"; OpenAI function calling requires a top-level
``type: object`` without ``oneOf``/``anyOf``/``allOf``/``enum``/``not``; no client fetches a ``$ref`` to a
URL; Gemini function declarations accept only ``enum`` and ``date-time`` as a string ``format``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mcpctl.engine.lint.text import Problem

_COMBINATORS = ("oneOf", "anyOf", "allOf", "not", "enum")
_TYPED_BY = ("type", "enum", "const", "$ref", "oneOf", "anyOf", "allOf")
_GEMINI_FORMATS = frozenset({"date-time", "enum"})
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SUBSCHEMA_LISTS = ("oneOf", "anyOf", "allOf", "prefixItems")
_SUBSCHEMA_ONE = ("not", "if", "then", "else", "contains", "propertyNames", "additionalProperties", "items")


@dataclass(frozen=True, slots=True)
class Node:
    """A subschema, where it sits (``inputSchema.properties.path``) and whether it is a named property."""

    path: str
    schema: Mapping[str, Any]
    property: str | None


def walk(schema: Mapping[str, Any], path: str = "inputSchema") -> Iterator[Node]:
    """Every subschema of ``schema`` (itself first), depth first."""
    stack = [Node(path, schema, None)]
    while stack:
        node = stack.pop()
        yield node
        found = node.schema
        for key in _SUBSCHEMA_MAPS:
            children = found.get(key)
            if isinstance(children, Mapping):
                for name, child in children.items():
                    if isinstance(child, Mapping):
                        named = str(name) if key == "properties" else None
                        stack.append(Node(f"{node.path}.{key}.{name}", child, named))
        for key in _SUBSCHEMA_LISTS:
            children = found.get(key)
            if isinstance(children, list):
                stack.extend(
                    Node(f"{node.path}.{key}[{i}]", c, None)
                    for i, c in enumerate(children)
                    if isinstance(c, Mapping)
                )
        for key in _SUBSCHEMA_ONE:
            child = found.get(key)
            if isinstance(child, Mapping):
                stack.append(Node(f"{node.path}.{key}", child, None))


def root_problems(schema: object) -> Iterator[Problem]:
    """The top level: an object schema, no combinators clients reject, a required list."""
    if not isinstance(schema, Mapping) or schema.get("type") != "object":
        shown = schema.get("type") if isinstance(schema, Mapping) else type(schema).__name__
        yield "MCP010", f"inputSchema: expected type 'object', got {shown!r}"
        if not isinstance(schema, Mapping):
            return
    used = [key for key in _COMBINATORS if key in schema]
    if used:
        yield "MCP018", f"inputSchema: top-level {', '.join(used)}"
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and properties and "required" not in schema:
        count = f"{len(properties)} propert{'y' if len(properties) == 1 else 'ies'}"
        yield "MCP014", f"inputSchema: {count} and no required list"


def node_problems(node: Node) -> Iterator[Problem]:
    """Checks on one subschema: types, open objects, required, descriptions, $ref and format."""
    schema, where = node.schema, node.path
    if node.property is not None:
        if not any(key in schema for key in _TYPED_BY):
            yield "MCP011", f"{where}: no type"
        if not isinstance(schema.get("description"), str) or not schema["description"].strip():
            yield "MCP016", f"{where}: no description"
        if _open_object(schema):
            yield "MCP012", f"{where}: an object that accepts any keys"
    ref = schema.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        yield "MCP019", f"{where}: $ref {ref!r}"
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt not in _GEMINI_FORMATS and _may_be_string(schema):
        yield "MCP020", f"{where}: format {fmt!r}"
    required, properties = schema.get("required"), schema.get("properties")
    if isinstance(required, list):
        defined = properties if isinstance(properties, Mapping) else {}
        missing = [str(name) for name in required if name not in defined]
        if missing:
            yield "MCP013", f"{where}: required {', '.join(map(repr, missing))} not under properties"


def texts(node: Node) -> Iterator[tuple[str, str]]:
    """The human-readable strings of a subschema: its description, title, property name, string enums."""
    if node.property is not None:
        yield f"{node.path} (name)", node.property
    for key in ("description", "title"):
        value = node.schema.get(key)
        if isinstance(value, str):
            yield f"{node.path}.{key}", value
    for key in ("enum", "examples"):
        values = node.schema.get(key)
        if isinstance(values, list):
            yield from ((f"{node.path}.{key}", v) for v in values if isinstance(v, str))
    for key in ("default", "const"):
        value = node.schema.get(key)
        if isinstance(value, str):
            yield f"{node.path}.{key}", value


def _open_object(schema: Mapping[str, Any]) -> bool:
    if schema.get("type") != "object":
        return False
    extra = schema.get("additionalProperties", True)
    return not schema.get("properties") and not schema.get("patternProperties") and extra is True


def _may_be_string(schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    return kind is None or kind == "string" or (isinstance(kind, list) and "string" in kind)
