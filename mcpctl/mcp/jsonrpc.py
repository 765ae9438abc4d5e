"""JSON-RPC 2.0 frames, sans-IO: bytes in, classified messages out; messages in, bytes out.

Nothing here does I/O or knows about trio, so transports, the mock server and fault proxies
share one parser. Messages stay plain ``dict`` objects (the cheapest shape to build and to
serialise on a hot loop); :func:`classify` tells what a decoded message is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

import orjson

JSONValue = Any
"""A decoded JSON value (the one ``Any`` at the wire boundary)."""

Message = dict[str, Any]
RequestId = int | str

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603
REQUEST_TIMEOUT: Final = -32001
URL_ELICITATION_REQUIRED: Final = -32042
UNSUPPORTED_PROTOCOL_VERSION: Final = -32022

Kind = Literal["request", "notification", "response", "error", "invalid"]


@dataclass(frozen=True, slots=True)
class Malformed:
    """A frame that is not a valid JSON-RPC message; ``raw`` is the exact bytes."""

    raw: bytes
    reason: str


def encode(message: Message) -> bytes:
    """Serialise one message (or a batch, given a list) to compact JSON bytes."""
    return orjson.dumps(message)


def request(request_id: RequestId, method: str, params: Message | None = None) -> Message:
    msg: Message = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        msg["params"] = params
    return msg


def notification(method: str, params: Message | None = None) -> Message:
    msg: Message = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        msg["params"] = params
    return msg


def result(request_id: RequestId | None, value: Message) -> Message:
    return {"jsonrpc": "2.0", "id": request_id, "result": value}


def error(request_id: RequestId | None, code: int, message: str, data: JSONValue = None) -> Message:
    err: Message = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": err}


def classify(msg: Message) -> Kind:
    """What ``msg`` is. Anything not matching JSON-RPC 2.0's shapes is ``"invalid"``."""
    method = msg.get("method")
    if method is not None:
        if not isinstance(method, str):
            return "invalid"
        if "id" in msg:
            return "request" if _valid_id(msg["id"]) else "invalid"
        return "notification"
    if "id" not in msg:
        return "invalid"
    if "result" in msg:
        return "response" if _valid_id(msg["id"]) else "invalid"
    err = msg.get("error")
    if isinstance(err, dict) and isinstance(err.get("code"), int):
        return "error"
    return "invalid"


def json_equal(left: object, right: object) -> bool:
    """Equality of decoded JSON values as JSON sees it: ``1 == 1.0``, but ``true`` is not ``1``."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
    return left == right


def _valid_id(value: object) -> bool:
    return (isinstance(value, str | int) and not isinstance(value, bool)) or value is None


def decode(frame: bytes) -> list[Message | Malformed]:
    """Decode one frame: a message, or a batch (JSON array) of messages.

    Never raises: anything unparseable comes back as :class:`Malformed` so the caller can
    report it without losing the connection.
    """
    try:
        value = orjson.loads(frame)
    except orjson.JSONDecodeError as exc:
        return [Malformed(frame, f"invalid JSON: {exc}")]
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and value:
        return [
            item if isinstance(item, dict) else Malformed(frame, "batch item is not an object")
            for item in value
        ]
    return [Malformed(frame, "a JSON-RPC frame must be an object or a non-empty array")]
