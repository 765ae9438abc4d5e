"""The checks of a test's ``expect``: pure functions from an answer to a list of failures.

Each failure is one :class:`Failure` whose ``message`` reads on its own ("text: expected to contain
'hi', got 'Echo: ho'") and whose ``details`` carry what a reader needs to see why (a diff, the
value found). An empty list means the expectation holds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import jsonschema
from jsonschema.exceptions import SchemaError

from mcpctl.mcp.jsonrpc import JSONValue, Message, json_equal
from mcpctl.spec.model import ErrorExpect, Expect, LatencyExpect, PassRate, StructuredCheck, TextMatch

AnswerKind = Literal["tool", "resource", "prompt"]
MAX_SHOWN = 300
MAX_RUNS_SHOWN = 10
"""Failing runs listed under a missed pass rate."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """One expectation that did not hold."""

    message: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RpcFailure:
    """The JSON-RPC error a request was answered with."""

    code: int
    message: str
    data: object = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """What one action got back: a result, or a JSON-RPC error."""

    kind: AnswerKind
    result: Message = field(default_factory=dict)
    error: RpcFailure | None = None
    elapsed_ms: float = 0.0


def shown(value: object) -> str:
    """A value as a reader sees it in a message: JSON, cut at :data:`MAX_SHOWN` characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = json.dumps(text, ensure_ascii=False) if isinstance(value, str) else text
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + f"… ({len(text)} characters)"


def answer_text(answer: Answer) -> str:
    """The text of an answer: tool text blocks, resource text contents, prompt message texts."""
    result = answer.result
    if answer.kind == "tool":
        blocks = result.get("content")
    elif answer.kind == "resource":
        blocks = result.get("contents")
    else:
        messages = result.get("messages")
        blocks = (
            [m.get("content") for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []
        )
        blocks = [b for item in blocks for b in (item if isinstance(item, list) else [item])]
    if not isinstance(blocks, list):
        return ""
    return "\n".join(str(b["text"]) for b in blocks if isinstance(b, dict) and isinstance(b.get("text"), str))


def check_text(match: TextMatch, text: str, *, what: str) -> list[Failure]:
    """Every condition of ``match`` against ``text``."""
    failures = []
    got = f"got {shown(text)}"
    if match.equals is not None and text != match.equals:
        failures.append(Failure(message=f"{what}: expected {shown(match.equals)}, {got}"))
    failures.extend(
        Failure(message=f"{what}: expected to contain {shown(part)}, {got}")
        for part in match.contains
        if part not in text
    )
    failures.extend(
        Failure(message=f"{what}: expected not to contain {shown(part)}, {got}")
        for part in match.not_contains
        if part in text
    )
    if match.matches is not None and match.matches.search(text) is None:
        failures.append(Failure(message=f"{what}: expected to match /{match.matches.pattern}/, {got}"))
    return failures


def check_answer(expect: Expect, answer: Answer, *, output_schema: JSONValue = None) -> list[Failure]:
    """Every expectation about one answer (list and latency checks are separate)."""
    if answer.error is not None:
        if expect.error is None:
            return [
                Failure(
                    message=f"request failed with JSON-RPC error {answer.error.code}: {answer.error.message}",
                    details=_data_details(answer.error.data),
                )
            ]
        return check_error(expect.error, answer.error)
    if expect.error is not None:
        return [Failure(message="expected a JSON-RPC error, got a result", details=(shown(answer.result),))]
    failures: list[Failure] = []
    is_error = answer.result.get("isError") is True
    if expect.is_error is not None and is_error != expect.is_error:
        text = answer_text(answer)
        failures.append(
            Failure(
                message=f"isError: expected {str(expect.is_error).lower()}, got {str(is_error).lower()}",
                details=(f"text: {shown(text)}",) if text else (),
            )
        )
    elif expect.is_error is None and is_error and answer.kind == "tool":
        # a tool error nobody expected is a failure even when only other fields are checked
        failures.append(Failure(message=f"the tool returned isError: true: {shown(answer_text(answer))}"))
    if expect.text is not None:
        failures.extend(check_text(expect.text, answer_text(answer), what="text"))
    structured = answer.result.get("structuredContent")
    for check in expect.structured:
        failures.extend(check_structured(check, structured, present="structuredContent" in answer.result))
    if expect.output_schema:
        failures.extend(check_output_schema(output_schema, answer.result))
    if expect.mime_type is not None:
        failures.extend(_check_mime_type(expect.mime_type, answer.result))
    if expect.messages is not None:
        messages = answer.result.get("messages")
        count = len(messages) if isinstance(messages, list) else 0
        if count != expect.messages:
            failures.append(Failure(message=f"messages: expected {expect.messages}, got {count}"))
    return failures


def _data_details(data: object) -> tuple[str, ...]:
    return () if data is None else (f"data: {shown(data)}",)


def check_error(expect: ErrorExpect, error: RpcFailure) -> list[Failure]:
    """The JSON-RPC error's code and message."""
    failures = []
    if expect.code is not None and error.code != expect.code:
        failures.append(
            Failure(message=f"error.code: expected {expect.code}, got {error.code} ({error.message})")
        )
    if expect.message is not None:
        failures.extend(check_text(expect.message, error.message, what="error.message"))
    return failures


_MISSING = object()


def resolve_pointer(document: object, pointer: str) -> object:
    """The value at RFC 6901 ``pointer`` in ``document``, or a private sentinel when absent."""
    if pointer == "":
        return document
    node = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and (token == "0" or not token.startswith("0")):
            index = int(token)
            if index >= len(node):
                return _MISSING
            node = node[index]
        else:
            return _MISSING
    return node


def pointer_value(document: object, pointer: str) -> tuple[bool, object]:
    """``(found, value)`` at ``pointer`` (for ``save:``)."""
    value = resolve_pointer(document, pointer)
    return (False, None) if value is _MISSING else (True, value)


def check_structured(check: StructuredCheck, structured: object, *, present: bool) -> list[Failure]:
    """One check on ``structuredContent`` at a JSON pointer."""
    where = f"structuredContent{check.pointer}"
    if not present:
        return [Failure(message=f"{where}: the result has no structuredContent")]
    value = resolve_pointer(structured, check.pointer)
    if value is _MISSING:
        if check.exists is False:
            return []
        return [
            Failure(message=f"{where}: no such value", details=(f"structuredContent: {shown(structured)}",))
        ]
    if check.exists is False:
        return [Failure(message=f"{where}: expected no value, got {shown(value)}")]
    failures = []
    if check.equals is not None and not json_equal(value, check.equals.value):
        failures.append(Failure(message=f"{where}: expected {shown(check.equals.value)}, got {shown(value)}"))
    if check.matches is not None and not (isinstance(value, str) and check.matches.search(value)):
        failures.append(
            Failure(
                message=f"{where}: expected a string matching /{check.matches.pattern}/, got {shown(value)}"
            )
        )
    if check.schema is not None:
        failures.extend(_schema_failures(dict(check.schema), value, what=where))
    return failures


def _schema_failures(schema: dict[str, Any], value: Any, *, what: str) -> list[Failure]:
    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        validator_class.check_schema(schema)
    except SchemaError as exc:
        return [Failure(message=f"{what}: the schema itself is invalid: {exc.message}")]
    errors = sorted(validator_class(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    if not errors:
        return []
    lines = tuple(f"at {_json_path(e.absolute_path)}: {e.message}" for e in errors[:10])
    more = (f"… and {len(errors) - 10} more",) if len(errors) > 10 else ()
    return [
        Failure(message=f"{what}: does not match the schema ({len(errors)} errors)", details=lines + more)
    ]


def _json_path(path: Sequence[object]) -> str:
    return "/" + "/".join(str(p) for p in path) if path else "(root)"


def check_output_schema(schema: JSONValue, result: Message) -> list[Failure]:
    """``structuredContent`` against the tool's own ``outputSchema``."""
    if not isinstance(schema, dict):
        return [Failure(message="outputSchema: the tool declares no outputSchema")]
    if "structuredContent" not in result:
        return [
            Failure(message="outputSchema: the tool declares one, but the result has no structuredContent")
        ]
    return _schema_failures(schema, result["structuredContent"], what="outputSchema")


def _check_mime_type(expected: str, result: Message) -> list[Failure]:
    contents = result.get("contents")
    first = contents[0] if isinstance(contents, list) and contents and isinstance(contents[0], dict) else {}
    got = first.get("mimeType")
    if got != expected:
        return [Failure(message=f"mimeType: expected {shown(expected)}, got {shown(got)}")]
    return []


def check_latency(expect: LatencyExpect, samples_ms: Sequence[float]) -> list[Failure]:
    """``max`` against the slowest call and each percentile against ``samples_ms``."""
    if not samples_ms:
        return []
    ordered = sorted(samples_ms)
    failures = []
    bounds = (
        ("max", expect.max, 100.0),
        ("p50", expect.p50, 50.0),
        ("p90", expect.p90, 90.0),
        ("p95", expect.p95, 95.0),
        ("p99", expect.p99, 99.0),
    )
    for label, limit, rank in bounds:
        if limit is None:
            continue
        got = percentile(ordered, rank)
        if got > limit.ms:
            over = f" over {len(ordered)} calls" if len(ordered) > 1 else ""
            failures.append(Failure(message=f"latency {label}: {got:.1f}ms{over} exceeds {limit}"))
    return failures


def percentile(ordered: Sequence[float], rank: float) -> float:
    """Nearest-rank percentile of sorted ``ordered`` (the value at or above ``rank`` % of samples)."""
    index = max(0, min(len(ordered) - 1, -(-len(ordered) * rank // 100) - 1))
    return ordered[int(index)]


def check_runs(
    pass_rate: PassRate | None, passes: Sequence[bool], run_failures: Sequence[str], first: Sequence[Failure]
) -> list[Failure]:
    """The verdict on the runs of a repeated test. With ``pass_rate``: one failure if the rate is missed,
    listing failing runs. Without: every run must pass; ``first`` (the first failing run's failures) and
    how many runs failed."""
    runs, passed = len(passes), sum(passes)
    if pass_rate is None:
        return [] if passed == runs else [*first, Failure(message=f"{runs - passed} of {runs} runs failed")]
    if pass_rate.holds(passed, runs):
        return []
    more = len(run_failures) - MAX_RUNS_SHOWN
    details = (*run_failures[:MAX_RUNS_SHOWN], *([f"… and {more} more failing runs"] if more > 0 else []))
    message = f"pass rate {passed / runs:.1%} ({passed} of {runs} runs passed) is not {pass_rate.text}"
    return [Failure(message=message, details=details)]
