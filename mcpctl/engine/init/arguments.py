"""Arguments for the first call ``mcpctl init`` makes to a tool, from its ``inputSchema``.

Deterministic and small, in this order for each value: the schema's ``examples`` (an author's own
example is the call most likely to mean something), its ``default``, ``const``, the first ``enum``
value, then a minimal valid value: required properties only, ``minItems`` items, numbers at their
lower bound, strings that fit ``format`` and ``minLength``/``maxLength``. A string property named
like a path gets ``.``: servers that confine paths (server-filesystem) resolve it to their root.
The result is checked against the schema; when it does not fit (a ``pattern``, an ``allOf``), a
seeded random instance (:mod:`mcpctl.engine.fuzz.instances`) is tried before giving up.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any, Final

from mcpctl.engine.fuzz.inputs import MAX_DEPTH, checker, inline_refs, minimal, properties, required, type_of
from mcpctl.mcp.jsonrpc import JSONValue

WORD: Final = "example"
"""A string nothing else constrains: a word, not ``""`` (servers often treat empty as missing)."""
FORMATS: Final[Mapping[str, str]] = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "uri": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "regex": ".*",
    "json-pointer": "",
}
PATH_NAMES: Final = frozenset({"path", "dir", "directory", "folder", "root", "cwd"})
RANDOM_TRIES: Final = 5
TEMPLATE_MARKS: Final = ("{{", "{%", "${")
"""Text a spec would render as a template or an environment reference, so never written as a value."""


def tool_arguments(schema: object, *, name: str = "") -> dict[str, JSONValue] | None:
    """Arguments valid for ``schema`` (an ``inputSchema``), or ``None`` if none were found."""
    resolved: dict[str, Any] = inline_refs(schema) if isinstance(schema, Mapping) else {"type": "object"}
    candidate = _value(resolved, 0, "")
    arguments = candidate if isinstance(candidate, dict) else {}
    validator = checker(resolved)
    if validator.is_valid(arguments) and writable(arguments):
        return arguments
    from mcpctl.engine.fuzz.instances import random_cases  # hypothesis: imported only when needed

    seed = zlib.crc32(name.encode())
    for case in random_cases(resolved, count=RANDOM_TRIES, seed=seed).cases:
        if case.valid and isinstance(case.arguments, dict) and writable(case.arguments):
            return case.arguments
    return None


def prompt_arguments(prompt: Mapping[str, object]) -> dict[str, str]:
    """A word for each required argument of a listed prompt (prompt arguments are strings)."""
    listed = prompt.get("arguments")
    if not isinstance(listed, list):
        return {}
    return {
        str(arg["name"]): WORD
        for arg in listed
        if isinstance(arg, Mapping) and arg.get("required") is True and "name" in arg
    }


def writable(value: JSONValue) -> bool:
    """Whether ``value`` can be written into a spec as it is: no text a spec would template."""
    if isinstance(value, str):
        return not any(mark in value for mark in TEMPLATE_MARKS)
    if isinstance(value, dict):
        return all(writable(k) and writable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(writable(item) for item in value)
    return True


def _value(schema: object, depth: int, key: str) -> JSONValue:
    if not isinstance(schema, Mapping) or depth > 2 * MAX_DEPTH:
        return None
    given = _given(schema)
    if given is not None:
        return given[0]
    for word in ("anyOf", "oneOf"):
        options = schema.get(word)
        if isinstance(options, list) and options:
            usable = [o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")]
            return _value((usable or options)[0], depth + 1, key)
    kind = type_of(schema)
    if kind == "object":
        props = properties(schema)
        return {name: _value(props.get(name, {}), depth + 1, name) for name in required(schema)}
    if kind == "array":
        count = schema.get("minItems")
        items = schema.get("items", {})
        return [_value(items, depth + 1, key) for _ in range(count if isinstance(count, int) else 0)]
    if kind == "string":
        return _string(schema, key)
    return minimal(schema, depth)


def _given(schema: Mapping[str, object]) -> tuple[JSONValue] | None:
    """The value the schema itself offers, if any (wrapped: ``null`` may be offered)."""
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return (examples[0],)
    for word in ("example", "default", "const"):
        if word in schema:
            return (schema[word],)
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return (enum[0],)
    return None


def _string(schema: Mapping[str, object], key: str) -> str:
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in FORMATS:
        return FORMATS[fmt]
    text = "." if key.lower() in PATH_NAMES else WORD
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(high, int) and not isinstance(high, bool):
        text = text[: max(high, 0)]
    if isinstance(low, int) and not isinstance(low, bool) and len(text) < low:
        text += "a" * (low - len(text))
    return text
