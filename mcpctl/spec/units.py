"""Durations, rates and percentages: parsed once from spec text into typed values.

``250ms``, ``2s``, ``5m``, ``1h``, ``1m30s`` are durations; ``50/s``, ``3000/m``, ``10/h`` are rates;
``1%``, ``0.5%``, ``100%`` are percentages. Each parser raises :class:`ValueError` with a message that
says what is wrong and shows valid examples; ``str()`` of a value gives canonical spec text back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_NUMBER = r"\d+(?:\.\d+)?"
_DURATION_PART = re.compile(rf"({_NUMBER})(us|ms|s|m|h)")
_DURATION = re.compile(rf"(?:{_NUMBER}(?:us|ms|s|m|h))+")
_RATE = re.compile(rf"({_NUMBER})/(s|m|h)")
_PERCENT = re.compile(rf"({_NUMBER})%")
_BARE_NUMBER = re.compile(_NUMBER)

# Units in decreasing order of size; a compound duration must follow this order.
_DURATION_UNITS: dict[str, Decimal] = {
    "h": Decimal(3600),
    "m": Decimal(60),
    "s": Decimal(1),
    "ms": Decimal("0.001"),
    "us": Decimal("0.000001"),
}
_RATE_UNITS: dict[str, int] = {"s": 1, "m": 60, "h": 3600}

_DURATION_EXAMPLES = "(250ms, 2s, 5m, 1h)"
_RATE_EXAMPLES = "(50/s, 3000/m, 10/h)"
_PERCENT_EXAMPLES = "(1%, 0.5%, 100%)"


def _decimal_text(number: float) -> str:
    """``1.5`` → ``"1.5"``, ``2.0`` → ``"2"``: at most six decimals, no exponent."""
    return f"{number:.6f}".rstrip("0").rstrip(".")


@dataclass(frozen=True, slots=True, kw_only=True)
class Duration:
    """A non-negative span of time, written ``250ms``, ``2s``, ``5m``, ``1h`` or ``1m30s``."""

    seconds: float
    """The length in seconds."""

    def __post_init__(self) -> None:
        if self.seconds < 0:
            raise ValueError(f"a duration cannot be negative: {self.seconds}s")

    @property
    def ms(self) -> float:
        """The length in milliseconds."""
        return self.seconds * 1000

    def __str__(self) -> str:
        micros = round(self.seconds * 1_000_000)
        hours, rest = divmod(micros, 3_600_000_000)
        minutes, rest = divmod(rest, 60_000_000)
        text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
        if rest == 0:
            return text or "0s"
        if text or rest >= 1_000_000:
            return f"{text}{_decimal_text(rest / 1_000_000)}s"
        if rest % 1000 == 0:
            return f"{rest // 1000}ms"
        return f"{rest}us"


@dataclass(frozen=True, slots=True, kw_only=True)
class Rate:
    """A positive number of events per unit of time, written ``50/s``, ``3000/m`` or ``10/h``."""

    per_second: float
    """Events per second."""

    def __post_init__(self) -> None:
        if self.per_second <= 0:
            raise ValueError(f"a rate must be greater than zero: {self.per_second}/s")

    def __str__(self) -> str:
        for unit, seconds in _RATE_UNITS.items():
            per_unit = self.per_second * seconds
            if per_unit >= 1 or unit == "h":
                return f"{_decimal_text(per_unit)}/{unit}"
        raise AssertionError("unreachable: the last unit always matches")


@dataclass(frozen=True, slots=True, kw_only=True)
class Percent:
    """A share between 0% and 100%, written ``1%``, ``0.5%`` or ``100%``."""

    fraction: float
    """The share as a fraction: ``1%`` is ``0.01``."""

    def __post_init__(self) -> None:
        if not 0 <= self.fraction <= 1:
            raise ValueError(f"a percentage must be between 0% and 100%: {self.fraction * 100}%")

    def __str__(self) -> str:
        return f"{_decimal_text(self.fraction * 100)}%"


def parse_duration(text: str) -> Duration:
    """Parse ``250ms``, ``2s``, ``5m``, ``1h``, ``1.5s`` or ``1m30s`` (units ``us ms s m h``)."""
    if not _DURATION.fullmatch(text):
        raise ValueError(f"{text!r} is not a duration: {_duration_problem(text)} {_DURATION_EXAMPLES}")
    parts = _DURATION_PART.findall(text)
    order = [list(_DURATION_UNITS).index(unit) for _, unit in parts]
    if order != sorted(set(order)):
        raise ValueError(f"{text!r} is not a duration: put larger units first, each once (1m30s, 1h5m)")
    total = sum((Decimal(number) * _DURATION_UNITS[unit] for number, unit in parts), Decimal(0))
    return Duration(seconds=float(total))


def _duration_problem(text: str) -> str:
    if text.startswith("-") and _DURATION.fullmatch(text[1:]):
        return "it must not be negative"
    if _BARE_NUMBER.fullmatch(text):
        return "add a unit"
    return "use a number and a unit"


def parse_rate(text: str) -> Rate:
    """Parse ``50/s``, ``3000/m``, ``10/h`` or ``2.5/s``; the rate must be greater than zero."""
    match = _RATE.fullmatch(text)
    if match is None:
        negative = text.startswith("-") and _RATE.fullmatch(text[1:])
        problem = "it must be greater than zero" if negative else "use a number, a slash and a unit"
        raise ValueError(f"{text!r} is not a rate: {problem} {_RATE_EXAMPLES}")
    number, unit = match.groups()
    per_second = float(Decimal(number) / _RATE_UNITS[unit])
    if per_second <= 0:
        raise ValueError(f"{text!r} is not a rate: it must be greater than zero {_RATE_EXAMPLES}")
    return Rate(per_second=per_second)


def parse_percent(text: str) -> Percent:
    """Parse ``1%``, ``0.5%`` or ``100%``; the value must be between 0% and 100%."""
    match = _PERCENT.fullmatch(text)
    if match is None:
        negative = text.startswith("-") and _PERCENT.fullmatch(text[1:])
        problem = "it must be between 0% and 100%" if negative else "use a number and a percent sign"
        raise ValueError(f"{text!r} is not a percentage: {problem} {_PERCENT_EXAMPLES}")
    value = Decimal(match.group(1))
    if value > 100:
        raise ValueError(f"{text!r} is not a percentage: it must be between 0% and 100% {_PERCENT_EXAMPLES}")
    return Percent(fraction=float(value / 100))
