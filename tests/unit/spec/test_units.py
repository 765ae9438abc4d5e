"""Durations, rates and percentages: valid text, canonical text back, exact errors."""

from __future__ import annotations

import re

import pytest

from mcpctl.spec.units import Duration, Percent, Rate, parse_duration, parse_percent, parse_rate

DURATION_HINT = "(250ms, 2s, 5m, 1h)"
RATE_HINT = "(50/s, 3000/m, 10/h)"
PERCENT_HINT = "(1%, 0.5%, 100%)"


def raises_exactly(message: str):
    return pytest.raises(ValueError, match=f"^{re.escape(message)}$")


@pytest.mark.parametrize(
    ("text", "seconds", "canonical"),
    [
        ("250ms", 0.25, "250ms"),
        ("2s", 2.0, "2s"),
        ("5m", 300.0, "5m"),
        ("1h", 3600.0, "1h"),
        ("100us", 0.0001, "100us"),
        ("1.5s", 1.5, "1.5s"),
        ("0s", 0.0, "0s"),
        ("1m30s", 90.0, "1m30s"),
        ("90m", 5400.0, "1h30m"),
        ("1h0m5s", 3605.0, "1h5s"),
        ("2s500ms", 2.5, "2.5s"),
        ("1500ms", 1.5, "1.5s"),
    ],
)
def test_valid_durations(text: str, seconds: float, canonical: str) -> None:
    duration = parse_duration(text)
    assert duration == Duration(seconds=seconds)
    assert duration.ms == pytest.approx(seconds * 1000)
    assert str(duration) == canonical
    assert parse_duration(str(duration)) == duration


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("5 mins", "use a number and a unit"),
        ("", "use a number and a unit"),
        ("2S", "use a number and a unit"),
        ("2 s", "use a number and a unit"),
        (".5s", "use a number and a unit"),
        ("1d", "use a number and a unit"),
        ("5", "add a unit"),
        ("2.5", "add a unit"),
        ("-2s", "it must not be negative"),
    ],
)
def test_invalid_durations(text: str, problem: str) -> None:
    with raises_exactly(f"{text!r} is not a duration: {problem} {DURATION_HINT}"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["1s1m", "1s1s", "30s1m"])
def test_compound_durations_put_larger_units_first(text: str) -> None:
    with raises_exactly(f"{text!r} is not a duration: put larger units first, each once (1m30s, 1h5m)"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "per_second", "canonical"),
    [
        ("50/s", 50.0, "50/s"),
        ("3000/m", 50.0, "50/s"),
        ("10/h", 10 / 3600, "10/h"),
        ("2.5/s", 2.5, "2.5/s"),
        ("1/m", 1 / 60, "1/m"),
        ("90/h", 90 / 3600, "1.5/m"),
    ],
)
def test_valid_rates(text: str, per_second: float, canonical: str) -> None:
    rate = parse_rate(text)
    assert rate.per_second == pytest.approx(per_second)
    assert str(rate) == canonical
    assert parse_rate(str(rate)).per_second == pytest.approx(per_second)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("50", "use a number, a slash and a unit"),
        ("50 /s", "use a number, a slash and a unit"),
        ("5/d", "use a number, a slash and a unit"),
        ("fast", "use a number, a slash and a unit"),
        ("0/s", "it must be greater than zero"),
        ("0.0/m", "it must be greater than zero"),
        ("-5/s", "it must be greater than zero"),
    ],
)
def test_invalid_rates(text: str, problem: str) -> None:
    with raises_exactly(f"{text!r} is not a rate: {problem} {RATE_HINT}"):
        parse_rate(text)


@pytest.mark.parametrize(
    ("text", "fraction", "canonical"),
    [
        ("1%", 0.01, "1%"),
        ("0.5%", 0.005, "0.5%"),
        ("100%", 1.0, "100%"),
        ("0%", 0.0, "0%"),
        ("12.50%", 0.125, "12.5%"),
    ],
)
def test_valid_percentages(text: str, fraction: float, canonical: str) -> None:
    percent = parse_percent(text)
    assert percent == Percent(fraction=fraction)
    assert str(percent) == canonical


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("5", "use a number and a percent sign"),
        ("0.05", "use a number and a percent sign"),
        ("5 %", "use a number and a percent sign"),
        ("150%", "it must be between 0% and 100%"),
        ("100.1%", "it must be between 0% and 100%"),
        ("-1%", "it must be between 0% and 100%"),
    ],
)
def test_invalid_percentages(text: str, problem: str) -> None:
    with raises_exactly(f"{text!r} is not a percentage: {problem} {PERCENT_HINT}"):
        parse_percent(text)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Duration(seconds=-1), "a duration cannot be negative: -1s"),
        (lambda: Rate(per_second=0), "a rate must be greater than zero: 0/s"),
        (lambda: Percent(fraction=1.5), "a percentage must be between 0% and 100%: 150.0%"),
    ],
)
def test_values_are_checked_when_built_directly(build, message: str) -> None:
    with raises_exactly(message):
        build()
