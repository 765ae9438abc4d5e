"""Invalid inputs by mutating a valid base: a wrong type for each field, null, each required field
missing, an unknown field where ``additionalProperties`` is false, an array or null instead of the
arguments object. Only mutations the schema really rejects are kept."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from mcpctl.engine.fuzz.inputs import Case, Path, checker, properties, required, set_at, type_of, without
from mcpctl.mcp.jsonrpc import JSONValue

WRONG_TYPE: dict[str, JSONValue] = {
    "string": 12345,
    "integer": "7",
    "number": "3.5",
    "boolean": "true",
    "array": {"0": "a"},
    "object": ["a"],
    "null": 0,
    "any": None,
}
EXTRA_FIELD = "mcpctl_fuzz_unexpected"


def mutations(schema: Mapping[str, Any], base: JSONValue) -> list[Case]:
    """The invalid cases derived from valid ``base``, in a fixed order; each checked to be invalid."""
    validator = checker(schema)
    cases: list[Case] = []
    seen: set[bytes] = set()
    for label, arguments in _candidates(schema, base):
        key = orjson.dumps(arguments)
        if key in seen or validator.is_valid(arguments):
            continue
        seen.add(key)
        cases.append(Case(label=label, arguments=arguments, valid=False, origin="mutation"))
    return cases


def _candidates(schema: Mapping[str, Any], base: JSONValue) -> Iterator[tuple[str, JSONValue]]:
    yield from _fields(schema, base, ())
    yield "arguments: an array instead of an object", [base]
    yield "arguments: null", None
    yield "arguments: a string", "{}"


def _fields(schema: Mapping[str, Any], base: JSONValue, path: Path) -> Iterator[tuple[str, JSONValue]]:
    where = "/".join(path) or "arguments"
    for name in required(schema):
        yield f"{where}: required {name!r} missing", without(base, (*path, name))
    if schema.get("additionalProperties") is False:
        yield f"{where}: unknown field {EXTRA_FIELD!r}", set_at(base, (*path, EXTRA_FIELD), "x")
    for name, sub in properties(schema).items():
        here = (*path, name)
        kind = type_of(sub) if isinstance(sub, Mapping) else "any"
        yield f"{'/'.join(here)}: wrong type ({kind} expected)", set_at(base, here, WRONG_TYPE[_known(kind)])
        yield f"{'/'.join(here)}: null", set_at(base, here, None)
        if isinstance(sub, Mapping) and kind == "object" and len(here) < 3:
            yield from _fields(sub, base, here)


def _known(kind: str) -> str:
    return kind if kind in WRONG_TYPE else "any"
