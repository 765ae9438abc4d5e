"""Spoiled answers: each ``malformed`` kind, checked against what a client would see."""

from __future__ import annotations

import json

import jsonschema
import orjson
import pytest

from mcpctl.engine.faults.spoil import NOT_JSON, Spoiled, spoil
from mcpctl.spec.fault_model import DEFAULT_OVERSIZE

RESULT = {
    "jsonrpc": "2.0",
    "id": 7,
    "result": {"content": [{"type": "text", "text": "sunny"}], "structuredContent": {"temp": 21}},
}
ERROR = {"jsonrpc": "2.0", "id": "req-1", "error": {"code": -32602, "message": "Unknown tool: nope"}}
SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "temp": {"type": "number"},
        "count": {"type": "integer"},
        "ok": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "where": {"type": "object"},
        "unit": {"enum": ["C", "F"]},
        "maybe": {"type": ["string", "null"]},
    },
    "required": ["city"],
}


def only(spoiled: Spoiled) -> dict[str, object]:
    (frame,) = spoiled.frames
    answer = json.loads(frame)
    assert isinstance(answer, dict)
    return answer


def test_invalid_json_is_not_json() -> None:
    spoiled = spoil(RESULT, "invalid_json", size=0, output_schema=None)
    assert spoiled == Spoiled((NOT_JSON,))
    with pytest.raises(json.JSONDecodeError):
        json.loads(spoiled.frames[0])


def test_duplicate_is_the_answer_twice() -> None:
    spoiled = spoil(RESULT, "duplicate", size=0, output_schema=None)
    assert spoiled.frames == (orjson.dumps(RESULT), orjson.dumps(RESULT))
    assert not spoiled.truncated
    assert json.loads(spoiled.frames[1]) == RESULT


def test_truncated_is_the_first_half_and_flagged() -> None:
    whole = orjson.dumps(RESULT)
    spoiled = spoil(RESULT, "truncated", size=0, output_schema=None)
    assert spoiled == Spoiled((whole[: len(whole) // 2],), truncated=True)
    with pytest.raises(json.JSONDecodeError):
        json.loads(spoiled.frames[0])


def test_truncated_keeps_at_least_one_byte() -> None:
    assert spoil({}, "truncated", size=0, output_schema=None) == Spoiled((b"{",), truncated=True)


@pytest.mark.parametrize(
    ("answer", "other"),
    [(RESULT, 1_000_007), (ERROR, "req-1-not-yours"), ({**RESULT, "id": 0}, 1_000_000)],
)
def test_wrong_id_answers_another_id(answer: dict[str, object], other: object) -> None:
    spoiled = only(spoil(answer, "wrong_id", size=0, output_schema=None))
    assert spoiled == {**answer, "id": other}
    assert spoiled["id"] != answer["id"]


def test_schema_violation_breaks_the_output_schema() -> None:
    jsonschema.validate(RESULT["result"]["structuredContent"] | {"city": "Oslo"}, SCHEMA)
    answer = only(spoil(RESULT, "schema_violation", size=0, output_schema=SCHEMA))
    content = answer["result"]["structuredContent"]  # type: ignore[index]
    assert content == {
        "city": 12345,
        "temp": "not a number",
        "count": "not an integer",
        "ok": "not a boolean",
        "tags": {"not": "an array"},
        "where": ["not", "an", "object"],
        "unit": "not one of the allowed values",
        "maybe": 12345,
    }
    validator = jsonschema.Draft202012Validator(SCHEMA)
    # every property is broken, not just one
    assert sorted(error.path[0] for error in validator.iter_errors(content)) == sorted(SCHEMA["properties"])
    # the rest of the answer is kept
    assert answer["id"] == 7
    assert answer["result"]["content"] == RESULT["result"]["content"]  # type: ignore[index]


@pytest.mark.parametrize("schema", [None, {"type": "object"}, {"type": "object", "properties": "odd"}, "odd"])
def test_schema_violation_without_properties_breaks_the_object_rule(schema: object) -> None:
    answer = only(spoil(RESULT, "schema_violation", size=0, output_schema=schema))
    assert answer["result"]["structuredContent"] == "not an object"  # type: ignore[index]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(answer["result"]["structuredContent"], {"type": "object"})  # type: ignore[index]


def test_schema_violation_of_an_error_answer_becomes_a_violating_result() -> None:
    answer = only(spoil(ERROR, "schema_violation", size=0, output_schema=SCHEMA))
    assert "error" not in answer
    assert answer["result"]["content"] == []  # type: ignore[index]
    assert not jsonschema.Draft202012Validator(SCHEMA).is_valid(answer["result"]["structuredContent"])  # type: ignore[index]


@pytest.mark.parametrize("types", [["null", "string"], ["string", "integer"]])
def test_schema_violation_breaks_a_property_with_a_type_list(types: list[str]) -> None:
    schema = {"type": "object", "properties": {"note": {"type": types}}}
    answer = only(spoil(RESULT, "schema_violation", size=0, output_schema=schema))
    assert not jsonschema.Draft202012Validator(schema).is_valid(answer["result"]["structuredContent"])  # type: ignore[index]


@pytest.mark.parametrize(
    "schema", [{"type": "object", "properties": {}}, {"type": "object", "properties": {"anything": {}}}]
)
def test_schema_violation_breaks_a_schema_without_typed_properties(schema: dict[str, object]) -> None:
    answer = only(spoil(RESULT, "schema_violation", size=0, output_schema=schema))
    assert not jsonschema.Draft202012Validator(schema).is_valid(answer["result"]["structuredContent"])  # type: ignore[index]


@pytest.mark.parametrize(
    "answer",
    [
        RESULT,
        ERROR,
        {"jsonrpc": "2.0", "id": 1, "result": {}},
        {"jsonrpc": "2.0", "id": 1, "result": {"content": "x"}},
    ],
)
@pytest.mark.parametrize("size", [10_000, 100_000])
def test_oversize_pads_to_about_size(answer: dict[str, object], size: int) -> None:
    spoiled = spoil(answer, "oversize", size=size, output_schema=None)
    (frame,) = spoiled.frames
    assert size - 100 <= len(frame) <= size
    padded = json.loads(frame)
    assert padded["id"] == answer["id"]
    if "result" in answer:
        *kept, pad = padded["result"]["content"]
        assert pad == {"type": "text", "text": "x" * len(pad["text"])}
        assert kept == (answer["result"]["content"] if answer is RESULT else [])  # type: ignore[index]
    else:
        assert padded["error"]["code"] == -32602
        assert padded["error"]["message"] == "Unknown tool: nope"
        assert set(padded["error"]["data"]) == {"x"}


def test_oversize_by_default_passes_the_usual_frame_limit() -> None:
    (frame,) = spoil(RESULT, "oversize", size=DEFAULT_OVERSIZE, output_schema=None).frames
    assert len(frame) > 4 * 1024 * 1024
    assert DEFAULT_OVERSIZE - 100 <= len(frame) <= DEFAULT_OVERSIZE


def test_oversize_smaller_than_the_answer_leaves_it_whole() -> None:
    (frame,) = spoil(RESULT, "oversize", size=10, output_schema=None).frames
    assert json.loads(frame)["result"]["content"][0] == {"type": "text", "text": "sunny"}


def test_oversize_pads_an_error_that_has_data() -> None:
    answer = {**ERROR, "error": {**ERROR["error"], "data": "y" * 5000}}  # type: ignore[dict-item]
    (frame,) = spoil(answer, "oversize", size=100_000, output_schema=None).frames
    assert 100_000 - 100 <= len(frame) <= 100_000
