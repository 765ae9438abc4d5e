"""Spoiled answers for ``malformed`` faults, as bytes: what each proxy writes instead of the real answer.

:func:`spoil` turns the real answer into the frames to send: one frame for most kinds, two for
``duplicate``. A ``truncated`` frame is the first half of the answer's bytes; the transport decides
how to cut it short on the wire (stdio: a line that ends early; HTTP: a body shorter than its
``Content-Length`` and a closed connection).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from mcpctl.mcp.jsonrpc import JSONValue, Message
from mcpctl.spec.fault_model import MalformedKind

NOT_JSON = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
"""An ``invalid_json`` answer: what a misconfigured gateway sends instead of JSON-RPC."""
NOT_AN_OBJECT = "not an object"
WRONG_TYPES: dict[str, JSONValue] = {
    "string": 12345,
    "integer": "not an integer",
    "number": "not a number",
    "boolean": "not a boolean",
    "array": {"not": "an array"},
    "object": ["not", "an", "object"],
    "null": "not null",
}


@dataclass(frozen=True, slots=True)
class Spoiled:
    """The frames that replace an answer; ``truncated`` frames must be cut short on the wire."""

    frames: tuple[bytes, ...]
    truncated: bool = False


def spoil(answer: Message, kind: MalformedKind, *, size: int, output_schema: JSONValue) -> Spoiled:
    """The frames a ``malformed`` fault of ``kind`` sends in place of ``answer``."""
    if kind == "invalid_json":
        return Spoiled((NOT_JSON,))
    if kind == "duplicate":
        frame = orjson.dumps(answer)
        return Spoiled((frame, frame))
    if kind == "truncated":
        frame = orjson.dumps(answer)
        return Spoiled((frame[: max(1, len(frame) // 2)],), truncated=True)
    if kind == "wrong_id":
        return Spoiled((orjson.dumps({**answer, "id": _other_id(answer.get("id"))}),))
    if kind == "schema_violation":
        return Spoiled((orjson.dumps(_violating(answer, output_schema)),))
    return Spoiled((_oversize(answer, size),))


def _other_id(request_id: JSONValue) -> JSONValue:
    if isinstance(request_id, int):
        return request_id + 1_000_000
    return "not-yours" if request_id is None else f"{request_id}-not-yours"


def _violating(answer: Message, schema: JSONValue) -> Message:
    """``answer`` as a result whose structuredContent breaks ``schema``: each declared property of the
    wrong type, or (when that would still be valid, or there is no schema) not an object at all, which
    also breaks the protocol's rule for structuredContent."""
    result = answer.get("result")
    kept = {key: value for key, value in answer.items() if key != "error"}
    base = result if isinstance(result, dict) else {"content": []}
    content: JSONValue = NOT_AN_OBJECT
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        candidate = {name: _wrong_value(sub) for name, sub in schema["properties"].items()}
        if _breaks(candidate, schema):
            content = candidate
    return {**kept, "result": {**base, "structuredContent": content}}


def _wrong_value(schema: JSONValue) -> JSONValue:
    """A value of a JSON type ``schema`` does not allow (``None`` when it allows every type)."""
    declared = schema.get("type") if isinstance(schema, dict) else None
    allowed = (
        set(declared) if isinstance(declared, list) else {declared} if isinstance(declared, str) else set()
    )
    if allowed:
        if "number" in allowed:
            allowed.add("integer")  # an integer is a number
        written = declared if isinstance(declared, list) else [declared]
        preferred = [WRONG_TYPES[kind] for kind in written if kind in WRONG_TYPES]
        for value in (*preferred, *WRONG_TYPES.values()):
            if _json_type(value) not in allowed:
                return value
    if isinstance(schema, dict) and "enum" in schema:
        return "not one of the allowed values"
    return None


def _json_type(value: JSONValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _breaks(content: JSONValue, schema: Message) -> bool:
    try:
        validator = Draft202012Validator(schema)
        return not validator.is_valid(content)
    except (SchemaError, TypeError, ValueError):  # a schema jsonschema cannot use: assume it breaks
        return True


def _oversize(answer: Message, size: int) -> bytes:
    """``answer`` with a text block that pads it to ``size`` bytes (or a padded error)."""
    result = answer.get("result")
    if isinstance(result, dict):
        blocks = result.get("content")
        kept = list(blocks) if isinstance(blocks, list) else []
        empty = {**answer, "result": {**result, "content": [*kept, {"type": "text", "text": ""}]}}
        pad = "x" * max(0, size - len(orjson.dumps(empty)))
        return orjson.dumps(
            {**answer, "result": {**result, "content": [*kept, {"type": "text", "text": pad}]}}
        )
    error = answer.get("error")
    fields = dict(error) if isinstance(error, dict) else {}
    pad = "x" * max(0, size - len(orjson.dumps({**answer, "error": {**fields, "data": ""}})))
    return orjson.dumps({**answer, "error": {**fields, "data": pad}})
