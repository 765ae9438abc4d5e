"""What the LoadTest schema cannot say: thresholds parsed, and checks on meaning made before anything runs.

A threshold is ``METRIC OP VALUE``: a latency metric compared with a duration, ``error_rate`` with a
percentage, ``rate`` with a rate. Scenario entries are named once; the data file exists in a format
it can be read in; templates compile and read only ``data`` (when there is a data file), ``vu``,
``iteration`` and ``vars``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import get_args

from mcpctl.spec.load_model import LATENCY_METRICS, METRICS, Comparison, Metric
from mcpctl.spec.semantics import Scope, check_templates, stray_reference, template_strings
from mcpctl.spec.units import parse_duration, parse_percent, parse_rate
from mcpctl.spec.validate import Cursor

_THRESHOLD = re.compile(r"\s*([A-Za-z_][\w.]*)\s*([<>=!]+)\s*(\S+)\s*")
_ZERO_RATE = re.compile(r"0+(?:\.0+)?/[smh]")
_EXAMPLES = "(p99 < 250ms, error_rate < 1%, rate > 500/s)"
_KINDS = {  # what a metric is compared with → how to say so, and an example
    "duration": ("a latency", "a duration such as 250ms"),
    "percentage": ("a share of requests", "a percentage such as 1%"),
    "rate": ("requests per second", "a rate such as 500/s"),
}


def parse_threshold(text: str) -> tuple[Metric, Comparison, float]:
    """``p99 < 250ms`` → ``("p99", "<", 250.0)``: the value in milliseconds for latency metrics, a
    fraction for ``error_rate``, per second for ``rate``. Raises :class:`ValueError` saying what is wrong."""
    match = _THRESHOLD.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a threshold: write a metric, a comparison and a value {_EXAMPLES}")
    name, op, value = match.groups()
    metric = next((known for known in METRICS if known == name), None)
    if metric is None:
        close = difflib.get_close_matches(name, METRICS, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"metrics: {', '.join(METRICS)}"
        raise ValueError(f"unknown metric {name!r} ({hint})")
    comparison = next((known for known in get_args(Comparison) if known == op), None)
    if comparison is None:
        raise ValueError(f"unknown comparison {op!r} (use <, <=, > or >=)")
    return metric, comparison, _threshold_value(metric, value)


def _threshold_value(metric: Metric, text: str) -> float:
    expected = "duration" if metric in LATENCY_METRICS else "percentage" if metric == "error_rate" else "rate"
    written = _value_kind(text) or expected
    if written != expected:
        what, example = _KINDS[expected]
        raise ValueError(f"{metric} is {what}: compare it with {example}, not a {written} ({text!r})")
    if expected == "duration":
        return parse_duration(text).ms
    if expected == "percentage":
        return parse_percent(text).fraction
    return parse_target_rate(text)


def _value_kind(text: str) -> str | None:
    """What ``text`` evidently is (``None``: nothing recognizable, so the expected kind's parser says why)."""
    if text.endswith("%"):
        return "percentage"
    if "/" in text:
        return "rate"
    try:
        parse_duration(text)
    except ValueError:
        return None
    return "duration"


def parse_target_rate(text: str) -> float:
    """Requests per second of a rate (``500/s``, ``30/m``), zero included (``0/s``, to ramp down)."""
    if _ZERO_RATE.fullmatch(text):
        return 0.0
    return parse_rate(text).per_second


def check_entry_names(entries: list[tuple[str, Cursor, bool]]) -> None:
    """Scenario entry names (name, the entry, whether ``name:`` is written) are unique; a repeat is
    reported at its ``name:``, or at the entry when the name is the default."""
    first: dict[str, Cursor] = {}
    for name, entry, written in entries:
        if name not in first:
            first[name] = entry
            continue
        line = first[name].node.line
        if written:
            named = entry.get("name")
            assert named is not None
            named.error(f"duplicate scenario entry name {name!r} (first at line {line})")
        else:
            entry.error(
                f"duplicate scenario entry name {name!r} (first at line {line}): tell them apart with name:"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Readable:
    """What a load test's templates may read besides ``vu`` and ``iteration``."""

    data: bool
    """Whether the test has a data file (then ``data`` is readable)."""
    vars: Collection[str]


def check_load_templates(cursor: Cursor | None, readable: Readable) -> None:
    """Check the templates inside the value at ``cursor``: they compile, and read only ``data`` (with a
    data file), ``vu``, ``iteration`` and the test's ``vars`` (and call the template functions)."""
    names = (*(("data",) if readable.data else ()), "vu", "iteration", *(("vars",) if readable.vars else ()))
    scope = Scope(vars=readable.vars, steps={})
    for field in template_strings(cursor):
        stray = stray_reference(str(field.plain()), names)
        if stray is None:
            check_templates(field, scope)
        elif stray.split(".")[0] == "data":
            field.error(f"{stray} needs a data file: add data: {{file: FILE}} to the load test")
        elif stray.split(".")[0] == "vars":
            field.error(f"{stray} is not defined (the load test has no vars)")
        else:
            listed = ", ".join(names[:-1]) + f" and {names[-1]}"
            field.error(f"{stray} is not defined (load test templates read {listed})")
