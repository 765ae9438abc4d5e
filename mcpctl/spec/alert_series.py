"""Synthetic series in promtool's expanding notation, for unit tests of alert rules.

A series is values separated by spaces; value N is measured at N * the evaluation interval::

    100          one value
    100x3        100, then 3 more: 100 100 100 100 (promtool's ``axN`` is ``a+0xN``: N+1 values)
    100+50x3     a ramp of 3 steps: 100 150 200 250
    900-100x2    900 800 700
    _            no measurement at this step
    _x3          no measurement at 3 steps: _ _ _ (N values, as in promtool)

Numbers are in the measurement's own unit (milliseconds for p50/p90/p99, a fraction for error_rate, calls
per second for throughput). ``health`` takes words instead: ``online offlinex3 _``. After its last value a
series has no measurements (the rule goes to ``nodata``).
"""

from __future__ import annotations

import re

from mcpctl.spec.alert_rules import Value

MAX_VALUES = 100_000
"""A series expands to at most this many values (a typo such as ``1x1000000000`` is an error, not a hang)."""

_NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)(?:([+-])(\d+(?:\.\d+)?))?(?:x(\d+))?")
_WORD = re.compile(r"([a-z][a-z_-]*?)(?:x(\d+))?")
_MISSING = re.compile(r"_(?:x(\d+))?")
_NUMBERS_HINT = "write a number, axN, a+bxN, a-bxN, _ or _xN (e.g. 100 100+50x4 _x2)"
_WORDS_HINT = "write a word, wordxN, _ or _xN (e.g. online offlinex3 _)"


def parse_series(text: str, *, words: bool = False) -> tuple[Value, ...]:
    """Expand ``text`` into one value per evaluation step (``None`` for no data).

    ``words=True`` reads a ``health`` series (words); otherwise values are numbers. Raises
    :class:`ValueError` naming the token at fault.
    """
    values: list[Value] = []
    for token in text.split():
        values.extend(_token(token, words))
        if len(values) > MAX_VALUES:
            raise ValueError(f"the series expands to more than {MAX_VALUES} values")
    if not values:
        raise ValueError(f"a series needs at least one value: {_WORDS_HINT if words else _NUMBERS_HINT}")
    return tuple(values)


def _token(token: str, words: bool) -> list[Value]:
    missing = _MISSING.fullmatch(token)
    if missing is not None:
        count = missing.group(1)
        return [None] * (1 if count is None else _count(token, count))
    if words:
        word = _WORD.fullmatch(token)
        if word is None:
            raise ValueError(f"{token!r} is not a health value: {_WORDS_HINT}")
        return [word.group(1)] * (1 + (0 if word.group(2) is None else _count(token, word.group(2))))
    number = _NUMBER.fullmatch(token)
    if number is None:
        raise ValueError(f"{token!r} is not a value: {_NUMBERS_HINT}")
    start, sign, step, count = number.groups()
    if sign is not None and count is None:
        raise ValueError(f"{token!r}: a ramp needs a count of steps ({token}x4)")
    first = float(start)
    delta = 0.0 if step is None else float(step) * (1 if sign == "+" else -1)
    steps = 0 if count is None else _count(token, count)
    return [first + index * delta for index in range(steps + 1)]


def _count(token: str, written: str) -> int:
    count = int(written)
    if count > MAX_VALUES:
        raise ValueError(f"{token!r}: the series expands to more than {MAX_VALUES} values")
    return count
