"""Label matchers, as in Alertmanager: ``name=value``, ``name!=value``, ``name=~regex``, ``name!~regex``.

Regexes are anchored (they must match the whole value) and a missing label reads as the empty string, so
``team!=db`` matches an alert with no ``team`` label. Silences (observe/alerts/silence.py) and inhibition
rules (AlertRules ``inhibit``) are made of them; they are spec records so that a spec can be checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

from mcpctl.errors import UsageError
from mcpctl.spec.units import parse_duration

MatchOp = Literal["=", "!=", "=~", "!~"]
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*')


@dataclass(frozen=True, slots=True, kw_only=True)
class Matcher:
    """One condition on one label."""

    name: str
    op: MatchOp
    value: str
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.op in ("=~", "!~"):
            try:
                pattern = re.compile(self.value)
            except re.error as error:
                raise ValueError(
                    f"{self.name}{self.op}{self.value!r}: not a regular expression: {error}"
                ) from None
            object.__setattr__(self, "_regex", pattern)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether the alert's labels meet this matcher."""
        actual = labels.get(self.name, "")
        if self._regex is not None:
            return (self._regex.fullmatch(actual) is not None) == (self.op == "=~")
        return (actual == self.value) == (self.op == "=")

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


def parse_matcher(text: str) -> Matcher:
    """Parse ``severity=critical``, ``server!="a"``, ``alertname=~"High.*"`` or ``team!~db|cache``."""
    match = _MATCHER.fullmatch(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not a matcher: write a label, one of = != =~ !~, and a value (server=a)"
        )
    name, op, quoted, bare = match.groups()
    value = bare if quoted is None else re.sub(r"\\(.)", r"\1", quoted)
    return Matcher(name=name, op=cast(MatchOp, op), value=value)


def matches_all(matchers: Sequence[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether every matcher matches (an empty list matches everything)."""
    return all(matcher.matches(labels) for matcher in matchers)


def silence_length(matchers: Sequence[str], duration: str) -> float:
    """Check a silence's ``matchers`` and return its ``duration`` in seconds, or raise the
    :class:`~mcpctl.errors.UsageError` that ``mcpctl alerts silence`` (and the dashboard) shows."""
    if not matchers:
        raise UsageError("a silence needs at least one matcher (server=a)")
    for text in matchers:
        try:
            parse_matcher(text)
        except ValueError as error:
            raise UsageError(str(error)) from None
    try:
        length = parse_duration(duration).seconds
    except ValueError as error:
        raise UsageError(f"--duration: {error}") from None
    if length <= 0:
        raise UsageError("--duration must be longer than 0s")
    return length
