"""The pure checks behind ``expect``: JSON pointers, JSON equality, percentiles, text matches."""

from __future__ import annotations

import re

import pytest

from mcpctl.engine.expect import (
    Answer,
    check_answer,
    check_latency,
    check_structured,
    check_text,
    percentile,
    pointer_value,
)
from mcpctl.spec.model import Expect, Expected, LatencyExpect, StructuredCheck, TextMatch
from mcpctl.spec.units import parse_duration


@pytest.mark.parametrize(
    ("pointer", "found"),
    [
        ("", (True, {"a/b": [1, {"~k": 2}], "0": "zero"})),
        ("/a~1b/0", (True, 1)),
        ("/a~1b/1/~0k", (True, 2)),
        ("/a~1b/2", (False, None)),
        ("/a~1b/01", (False, None)),  # no leading zeros in array indexes (RFC 6901)
        ("/a~1b/-", (False, None)),
        ("/0", (True, "zero")),
        ("/missing/deeper", (False, None)),
    ],
)
def test_json_pointers(pointer: str, found: tuple[bool, object]) -> None:
    assert pointer_value({"a/b": [1, {"~k": 2}], "0": "zero"}, pointer) == found


def test_equality_is_json_equality() -> None:
    def equals(expected: object, got: object) -> bool:
        check = StructuredCheck(pointer="/v", equals=Expected(value=expected))  # type: ignore[arg-type]
        return not check_structured(check, {"v": got}, present=True)

    assert equals(1, 1.0)
    assert not equals(1, True)
    assert not equals(True, 1)
    assert equals(None, None)
    assert not equals({"a": 1}, {"a": 1, "b": 2})
    assert equals([1, {"x": [True]}], [1.0, {"x": [True]}])


def test_an_expected_null_differs_from_a_missing_value() -> None:
    check = StructuredCheck(pointer="/v", equals=Expected(value=None))
    assert [f.message for f in check_structured(check, {}, present=True)] == [
        "structuredContent/v: no such value"
    ]


def test_nearest_rank_percentiles() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert [percentile(samples, p) for p in (50, 90, 99, 100)] == [50.0, 90.0, 99.0, 100.0]
    assert percentile([7.0], 99) == 7.0


def test_latency_bounds_name_the_count() -> None:
    latency = LatencyExpect(p99=parse_duration("5ms"), max=parse_duration("20ms"))
    messages = [f.message for f in check_latency(latency, [1.0] * 98 + [6.0, 30.0])]
    assert messages == [
        "latency max: 30.0ms over 100 calls exceeds 20ms",
        "latency p99: 6.0ms over 100 calls exceeds 5ms",
    ]


def test_text_conditions_all_apply() -> None:
    match = TextMatch(equals="abc", contains=("b", "z"), not_contains=("c",), matches=re.compile("^x"))
    assert [f.message for f in check_text(match, "abc", what="text")] == [
        'text: expected to contain "z", got "abc"',
        'text: expected not to contain "c", got "abc"',
        'text: expected to match /^x/, got "abc"',
    ]


def test_long_values_are_cut_in_messages() -> None:
    (failure,) = check_text(TextMatch(equals="short"), "x" * 1000, what="text")
    assert failure.message.endswith("… (1002 characters)")


def test_an_unexpected_tool_error_fails_even_without_isError_expectation() -> None:
    answer = Answer(kind="tool", result={"content": [{"type": "text", "text": "boom"}], "isError": True})
    assert [f.message for f in check_answer(Expect(), answer)] == ['the tool returned isError: true: "boom"']
