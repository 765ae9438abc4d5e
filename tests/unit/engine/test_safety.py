"""The safety rule for tools the user did not name (DESIGN.md §4): every combination of annotations at
every level, missing and malformed annotations, and the selection of a tool list."""

from __future__ import annotations

import itertools

import pytest

from mcpctl.engine.safety import (
    DESTRUCTIVE,
    LEVELS,
    NOT_READ_ONLY,
    Skipped,
    allowed,
    level_of,
    refusal,
    select,
)
from mcpctl.errors import UsageError

ABSENT = object()
"""The hint is not in the annotations at all."""
HINT_VALUES = (ABSENT, True, False, None, "true", "false", 1, 0, [], {})


def tool(read_only: object = ABSENT, destructive: object = ABSENT) -> dict[str, object]:
    hints = {}
    if read_only is not ABSENT:
        hints["readOnlyHint"] = read_only
    if destructive is not ABSENT:
        hints["destructiveHint"] = destructive
    return {"name": "t", "annotations": hints}


# -- the plain cases, with the exact text users read ------------------------------------------------------
@pytest.mark.parametrize(
    ("read_only", "destructive", "expected"),
    [
        # read-only: only readOnlyHint: true, and never a destructive one
        (True, ABSENT, {"read-only": None, "non-destructive": None, "all": None}),
        (True, False, {"read-only": None, "non-destructive": None, "all": None}),
        (True, True, {"read-only": DESTRUCTIVE, "non-destructive": DESTRUCTIVE, "all": None}),
        (False, ABSENT, {"read-only": NOT_READ_ONLY, "non-destructive": None, "all": None}),
        (False, False, {"read-only": NOT_READ_ONLY, "non-destructive": None, "all": None}),
        (False, True, {"read-only": DESTRUCTIVE, "non-destructive": DESTRUCTIVE, "all": None}),
        (ABSENT, ABSENT, {"read-only": NOT_READ_ONLY, "non-destructive": None, "all": None}),
        (ABSENT, False, {"read-only": NOT_READ_ONLY, "non-destructive": None, "all": None}),
        (ABSENT, True, {"read-only": DESTRUCTIVE, "non-destructive": DESTRUCTIVE, "all": None}),
    ],
)
def test_each_annotation_combination_at_each_level(
    read_only: object, destructive: object, expected: dict[str, str | None]
) -> None:
    assert {level: refusal(tool(read_only, destructive), level) for level in LEVELS} == expected


def test_the_reasons_name_the_option_that_allows_the_call() -> None:
    assert NOT_READ_ONLY == "not annotated readOnlyHint: true (call it with --allow-destructive)"
    assert DESTRUCTIVE == "annotated destructiveHint: true (call it with --allow-destructive=all)"


@pytest.mark.parametrize(
    "unannotated",
    [
        {"name": "t"},
        {"name": "t", "annotations": None},
        {"name": "t", "annotations": "readOnlyHint"},
        {"name": "t", "annotations": [{"readOnlyHint": True}]},
        {"name": "t", "readOnlyHint": True},  # a hint outside annotations is no annotation
        None,  # a tool the server does not list
    ],
)
def test_missing_or_malformed_annotations_are_no_hints(unannotated: dict[str, object] | None) -> None:
    assert [refusal(unannotated, level) for level in LEVELS] == [NOT_READ_ONLY, None, None]


@pytest.mark.parametrize("value", ["true", "True", 1, 1.0, "yes"])
def test_read_only_must_be_the_json_true(value: object) -> None:
    assert refusal(tool(value), "read-only") == NOT_READ_ONLY
    assert refusal(tool(value), "non-destructive") is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [("true", '"true"'), ("false", '"false"'), (1, "1"), (0, "0"), ([], "[]"), ({"x": 1}, '{"x": 1}')],
)
def test_a_destructive_hint_that_is_not_a_boolean_counts_as_destructive(value: object, shown: str) -> None:
    reason = (
        f"annotated destructiveHint: {shown}, not a boolean: taken as destructive "
        "(call it with --allow-destructive=all)"
    )
    assert refusal(tool(True, value), "read-only") == reason
    assert refusal(tool(ABSENT, value), "non-destructive") == reason
    assert refusal(tool(True, value), "all") is None


def test_a_null_destructive_hint_is_no_hint() -> None:
    assert [refusal(tool(True, None), level) for level in LEVELS] == [None, None, None]
    assert [refusal(tool(None, None), level) for level in LEVELS] == [NOT_READ_ONLY, None, None]


@pytest.mark.parametrize(("read_only", "destructive"), list(itertools.product(HINT_VALUES, HINT_VALUES)))
def test_levels_only_ever_widen(read_only: object, destructive: object) -> None:
    """Over every pair of hint values: ``all`` calls everything; whatever read-only calls,
    non-destructive calls too; read-only calls only a tool annotated ``readOnlyHint: true``;
    non-destructive never calls one whose destructiveHint is set to anything but false."""
    subject = tool(read_only, destructive)
    by_level = [allowed(subject, level) for level in LEVELS]
    assert by_level[2] is True
    assert by_level[0] <= by_level[1] <= by_level[2]
    if by_level[0]:
        assert read_only is True
    if by_level[1]:
        assert destructive in (ABSENT, False, None)


def test_select_keeps_the_listed_order_and_says_why_for_each_skipped_tool() -> None:
    tools = [
        {"name": "read", "annotations": {"readOnlyHint": True}},
        {"name": "plain"},
        {"name": "delete", "annotations": {"destructiveHint": True}},
        {"name": "look", "annotations": {"readOnlyHint": True, "destructiveHint": False}},
    ]
    picked = select(tools, "read-only")
    assert [t["name"] for t in picked.chosen] == ["read", "look"]
    assert picked.skipped == (
        Skipped(tool="plain", reason=NOT_READ_ONLY),
        Skipped(tool="delete", reason=DESTRUCTIVE),
    )
    wider = select(tools, "non-destructive")
    assert [t["name"] for t in wider.chosen] == ["read", "plain", "look"]
    assert wider.skipped == (Skipped(tool="delete", reason=DESTRUCTIVE),)
    everything = select(tools, "all")
    assert (len(everything.chosen), everything.skipped) == (4, ())
    assert select([], "read-only").chosen == ()


@pytest.mark.parametrize("level", LEVELS)
def test_levels_are_parsed_exactly(level: str) -> None:
    assert level_of(level) == level


@pytest.mark.parametrize("text", ["yes", "no", "READ-ONLY", "", "all "])
def test_an_unknown_level_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        level_of(text)
    assert str(caught.value) == f"safety level {text!r}: expected read-only, non-destructive, all"
