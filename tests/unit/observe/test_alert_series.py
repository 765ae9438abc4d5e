"""The promtool expanding notation of synthetic series, and replaying series through the evaluator."""

from __future__ import annotations

import pytest

from mcpctl.observe.alerts.replay import ScopedRule, Snapshot, replay
from mcpctl.spec.alert_rules import Rule, parse_condition
from mcpctl.spec.alert_series import MAX_VALUES, parse_series


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("100", (100.0,)),
        ("1 2  3", (1.0, 2.0, 3.0)),
        ("100x3", (100.0, 100.0, 100.0, 100.0)),
        ("100+50x3", (100.0, 150.0, 200.0, 250.0)),
        ("900-100x2", (900.0, 800.0, 700.0)),
        ("-1+0.5x2", (-1.0, -0.5, 0.0)),
        ("0.05x0", (0.05,)),
        ("_", (None,)),
        ("1 _x3 2", (1.0, None, None, None, 2.0)),
    ],
)
def test_numbers_expand_as_in_promtool(text: str, values: tuple[float | None, ...]) -> None:
    assert parse_series(text) == values


def test_health_series_are_words() -> None:
    assert parse_series("online offlinex2 _ degraded", words=True) == (
        "online",
        "offline",
        "offline",
        "offline",
        None,
        "degraded",
    )


@pytest.mark.parametrize(
    ("text", "words", "message"),
    [
        (
            "",
            False,
            "a series needs at least one value: write a number, axN, a+bxN, a-bxN, _ or _xN "
            "(e.g. 100 100+50x4 _x2)",
        ),
        (
            "100 1OO",
            False,
            "'1OO' is not a value: write a number, axN, a+bxN, a-bxN, _ or _xN (e.g. 100 100+50x4 _x2)",
        ),
        ("1+2", False, "'1+2': a ramp needs a count of steps (1+2x4)"),
        (
            "online",
            False,
            "'online' is not a value: write a number, axN, a+bxN, a-bxN, _ or _xN (e.g. 100 100+50x4 _x2)",
        ),
        (
            "online 3",
            True,
            "'3' is not a health value: write a word, wordxN, _ or _xN (e.g. online offlinex3 _)",
        ),
        ("1x100001", False, f"'1x100001': the series expands to more than {MAX_VALUES} values"),
        ("1x60000 1x60000", False, f"the series expands to more than {MAX_VALUES} values"),
    ],
)
def test_bad_series_name_the_token(text: str, words: bool, message: str) -> None:
    with pytest.raises(ValueError, match=r"\S") as caught:
        parse_series(text, words=words)
    assert str(caught.value) == message


def _rule(name: str, expr: str, *, for_: float = 0.0, keep: float = 0.0) -> Rule:
    return Rule(name=name, condition=parse_condition(expr), for_=for_, keep_firing_for=keep)


def test_replay_reports_pending_and_firing_on_a_fake_clock() -> None:
    rules = [
        ScopedRule(rule=_rule("Slow", "p99 > 500ms", for_=60.0, keep=120.0), servers=("a",)),
        ScopedRule(rule=_rule("Down", "health == offline")),
    ]
    series = {
        "a": {"p99": parse_series("100 600x5 100x3"), "health": parse_series("online offline", words=True)},
        "b": {"p99": parse_series("900x9")},
    }
    got = replay(rules, series, interval=60.0, steps={1, 2, 7, 8, 9})
    assert got == {
        1: Snapshot(firing=frozenset({("Down", "a")}), pending=frozenset({("Slow", "a")})),
        2: Snapshot(firing=frozenset({("Slow", "a")}), pending=frozenset()),
        7: Snapshot(firing=frozenset({("Slow", "a")}), pending=frozenset()),
        8: Snapshot(firing=frozenset({("Slow", "a")}), pending=frozenset()),  # kept firing for 2m
        9: Snapshot(firing=frozenset(), pending=frozenset()),
    }
