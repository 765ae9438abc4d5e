"""Tool inputs walked from an ``inputSchema``: a minimal valid base, then targeted edge cases per
property (boundaries, empty, whitespace, unicode, huge values, every enum value, optional fields
absent and present). Deterministic: the same schema always gives the same cases in the same order.

Every case is judged against the schema itself (:func:`judged`), so a boundary just outside a
bound is an *invalid* case and a huge string under no ``maxLength`` a valid one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
import orjson

from mcpctl.mcp.jsonrpc import JSONValue

Path = tuple[str, ...]
MAX_DEPTH = 3
HUGE_STRING = 1024 * 1024
BIG_INT = 2**63
UNICODE = (
    ("rtl", "\u202e\u0645\u0631\u062d\u0628\u0627 \u05e2\u05d5\u05dc\u05dd"),
    ("emoji", "\U0001f44d\U0001f3fd\U0001f9d1\u200d\U0001f680\U0001f1eb\U0001f1f7"),
    ("combining", "e\u0301\u0301\u0301"),
    ("nul", "a\x00b"),
    ("astral", "\U0001d11e\U0002070e"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One input for one tool: ``label`` says how it was made; ``valid`` is the schema's verdict."""

    label: str
    arguments: JSONValue
    valid: bool
    origin: str = "edge"
    """``edge`` (walked from the schema), ``mutation`` (made invalid on purpose) or ``random``."""


def checker(schema: Mapping[str, Any]) -> Any:
    """A validator for ``schema`` (its ``$schema`` dialect, else draft 2020-12; ``format`` not asserted,
    as servers' own validators do by default)."""
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def encodable(value: JSONValue) -> bool:
    """Whether ``value`` can go on the wire (orjson refuses integers beyond 64 bits, lone surrogates)."""
    try:
        orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return False
    return True


def judged(validator: Any, label: str, arguments: JSONValue, origin: str) -> Case:
    """``arguments`` as a :class:`Case`, valid or not as ``validator`` says."""
    return Case(label=label, arguments=arguments, valid=bool(validator.is_valid(arguments)), origin=origin)


def inline_refs(schema: Any, root: Any = None, depth: int = 0) -> Any:
    """``schema`` with local ``$ref`` s (``#/$defs/X``, ``#/definitions/X``) replaced by what they point
    to, so that each property can be walked on its own; recursion stops (``{}``) after a few levels."""
    root = schema if root is None else root
    if isinstance(schema, list):
        return [inline_refs(item, root, depth) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        if depth >= 2 * MAX_DEPTH:
            return {}
        target = _pointer(root, ref)
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        merged = {**target, **rest} if isinstance(target, Mapping) else rest
        return inline_refs(merged, root, depth + 1)
    return {
        k: inline_refs(v, root, depth) if k not in ("$defs", "definitions") else v for k, v in schema.items()
    }


def _pointer(root: Any, ref: str) -> Any:
    node = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


# -- a minimal valid value ---------------------------------------------------------------------------
def minimal(schema: Any, depth: int = 0) -> JSONValue:
    """A small value that fits common schemas: const, default, examples, enum, then by type (required
    properties only, ``minItems`` items, bounds respected)."""
    if not isinstance(schema, Mapping) or depth > 2 * MAX_DEPTH:
        return None
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    for key in ("examples", "enum"):
        if isinstance(schema.get(key), list) and schema[key]:
            return schema[key][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return minimal(schema[key][0], depth + 1)
    kind = type_of(schema)
    if kind == "object":
        props = properties(schema)
        return {name: minimal(props.get(name, {}), depth + 1) for name in required(schema)}
    if kind == "array":
        count = _int(schema.get("minItems")) or 0
        return [minimal(schema.get("items", {}), depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        return _least_number(schema, kind)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return "a" * (_int(schema.get("minLength")) or 0)


def _least_number(schema: Mapping[str, Any], kind: str) -> JSONValue:
    low = _num(schema.get("minimum"))
    above = _num(schema.get("exclusiveMinimum"))
    high = _num(schema.get("maximum"))
    value: float = 0 if low is None else low
    if above is not None and value <= above:
        value = above + 1 if kind == "integer" else above + max(abs(above) * 1e-9, 1e-9)
    if low is None and above is None and high is not None and high < 0:
        value = high
    return math.ceil(value) if kind == "integer" else value


def type_of(schema: Mapping[str, Any]) -> str:
    """The schema's first non-null ``type`` (``object`` when it has properties, else ``string``)."""
    kind = schema.get("type", "object" if "properties" in schema else None)
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    return kind if isinstance(kind, str) else "any"


def properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    found = schema.get("properties")
    return found if isinstance(found, Mapping) else {}


def required(schema: Mapping[str, Any]) -> list[str]:
    found = schema.get("required")
    return [name for name in found if isinstance(name, str)] if isinstance(found, list) else []


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: object) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


# -- edge values per schema --------------------------------------------------------------------------
def edge_values(schema: Any) -> Iterator[tuple[str, JSONValue]]:
    """Targeted values for one property's schema, each with a short label."""
    if not isinstance(schema, Mapping):
        return
    choices = list(schema["enum"]) if isinstance(schema.get("enum"), list) else []
    if "const" in schema:
        choices.append(schema["const"])
    if choices:  # a closed set: each member and one outsider say more than every generic edge
        yield from ((f"enum {_short(value)}", value) for value in choices)
        yield "not in enum", "mcpctl-fuzz-not-a-member" if isinstance(choices[0], str) else -1
        return
    branches = [b for key in ("anyOf", "oneOf") for b in schema.get(key) or [] if isinstance(b, Mapping)]
    if branches and "type" not in schema:  # e.g. an optional field: anyOf [{type: string}, {type: null}]
        for branch in branches:
            yield from edge_values(branch)
        return
    kind = type_of(schema)
    if kind in ("integer", "number"):
        yield from _number_edges(schema, kind)
    elif kind == "string":
        yield from _string_edges(schema)
    elif kind == "array":
        yield from _array_edges(schema)
    elif kind == "boolean":
        yield from (("true", True), ("false", False))
    elif kind == "null":
        yield "null", None
    if isinstance(schema.get("type"), list) and "null" in schema["type"]:
        yield "null", None


def _number_edges(schema: Mapping[str, Any], kind: str) -> Iterator[tuple[str, JSONValue]]:
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = _num(schema.get(key))
        if bound is None:
            continue
        step: float = 1 if kind == "integer" else max(abs(bound) * 1e-9, 1e-9)
        yield from ((f"{key}", bound), (f"{key}-step", bound - step), (f"{key}+step", bound + step))
    yield from (("0", 0), ("-1", -1), ("1", 1))
    if kind == "number":
        yield from (("0.5", 0.5), ("1e308", 1e308), ("-1e308", -1e308), ("epsilon", 5e-324))
    else:
        yield from (("2**63", BIG_INT), ("-2**63", -BIG_INT))


def _string_edges(schema: Mapping[str, Any]) -> Iterator[tuple[str, JSONValue]]:
    yield from (("empty", ""), ("space", " "), ("whitespace", " \t\r\n"))
    for key in ("minLength", "maxLength"):
        bound = _int(schema.get(key))
        if bound is not None:
            yield f"{key}", "a" * bound
            yield f"{key}+1", "a" * (bound + 1)
            if bound > 0:
                yield f"{key}-1", "a" * (bound - 1)
    yield from UNICODE
    yield "1 MB", "x" * HUGE_STRING


def _array_edges(schema: Mapping[str, Any]) -> Iterator[tuple[str, JSONValue]]:
    item = minimal(schema.get("items", {}))
    yield "empty array", []
    for key in ("minItems", "maxItems"):
        bound = _int(schema.get(key))
        if bound is not None:
            yield f"{key}", [item] * bound
            yield f"{key}+1", [item] * (bound + 1)
            if bound > 0:
                yield f"{key}-1", [item] * (bound - 1)
    yield "10000 items", [item] * 10000


def _short(value: JSONValue) -> str:
    text = orjson.dumps(value).decode() if encodable(value) else repr(value)
    return text if len(text) <= 30 else text[:29] + "…"


# -- whole-argument edge cases -------------------------------------------------------------------------
def edge_cases(schema: Mapping[str, Any], *, fallback: JSONValue = None) -> list[Case]:
    """Deterministic cases for a tool: the base, all optional fields present, then each property's
    edge values set into the base (nested objects walked to ``MAX_DEPTH``), each judged by the schema.

    The base is :func:`minimal`, or ``fallback`` (a valid instance found otherwise) when the minimal
    value breaks the schema (a ``pattern``, a ``format``): edges of a valid base test one thing each."""
    validator = checker(schema)
    found = minimal(schema)
    base = found if isinstance(found, dict) else {}  # arguments are an object, whatever the schema says
    label = "minimal (required fields only)"
    if not validator.is_valid(base) and isinstance(fallback, dict):
        cases = [judged(validator, label, base, "edge")]
        base, label = fallback, "a valid instance (the base of the edge cases)"
    else:
        cases = []
    cases.append(judged(validator, label, base, "edge"))
    full = {**base, **{k: minimal(v) for k, v in properties(schema).items() if k not in base}}
    if full != base:
        cases.append(judged(validator, "every optional field present", full, "edge"))
    seen = {orjson.dumps(case.arguments) for case in cases}
    for path, label, value in _walk(schema, ()):
        arguments = set_at(base, path, value)
        if not encodable(arguments):
            continue
        key = orjson.dumps(arguments)
        if key in seen:
            continue
        seen.add(key)
        cases.append(judged(validator, f"{'/'.join(path)}: {label}", arguments, "edge"))
    return cases


def _walk(schema: Mapping[str, Any], path: Path) -> Iterator[tuple[Path, str, JSONValue]]:
    for name, sub in properties(schema).items():
        here = (*path, name)
        if isinstance(sub, Mapping) and type_of(sub) == "object" and len(here) < MAX_DEPTH:
            yield from _walk(sub, here)
        yield from ((here, label, value) for label, value in edge_values(sub))


def set_at(base: JSONValue, path: Path, value: JSONValue) -> JSONValue:
    """A copy of ``base`` with ``value`` at ``path`` (intermediate objects made as needed)."""
    if not path:
        return value
    node = dict(base) if isinstance(base, dict) else {}
    node[path[0]] = set_at(node.get(path[0]), path[1:], value)
    return node


def without(base: JSONValue, path: Path) -> JSONValue:
    """A copy of ``base`` without the key at ``path``."""
    if not isinstance(base, dict) or not path:
        return base
    node = dict(base)
    if len(path) == 1:
        node.pop(path[0], None)
    elif path[0] in node:
        node[path[0]] = without(node[path[0]], path[1:])
    return node
