"""What the Monitor schema cannot say: health conditions and retention parsed, and checks on meaning.

A health condition is ``METRIC OP VALUE``: ``p50``, ``p90`` or ``p99`` compared with a duration,
``error_rate`` with a percentage. A probe's ``expect`` holds only the checks its kind can answer;
server names are unique; ``dependsOn`` names other monitored servers, without a cycle.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from typing import get_args

from mcpctl.spec.batch_checks import check_known
from mcpctl.spec.monitor_model import Comparison, HealthMetric, ProbeKind
from mcpctl.spec.semantics import check_expect
from mcpctl.spec.units import Duration, parse_duration, parse_percent
from mcpctl.spec.validate import Cursor

_CONDITION = re.compile(r"\s*([A-Za-z_][\w.]*)\s*([<>=!]+)\s*(\S+)\s*")
_DAYS = re.compile(r"(\d+(?:\.\d+)?)d")
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXAMPLES = "(p99 > 500ms, error_rate > 1%)"
_LATENCY: tuple[HealthMetric, ...] = ("p50", "p90", "p99")
_CHECKS: dict[str, tuple[str, ...]] = {  # the expect fields each probe kind can answer (list: its own list)
    "ping": ("latency",),
    "call": ("isError", "error", "text", "structuredContent", "outputSchema", "latency"),
    "read": ("error", "text", "mimeType", "latency"),
}


def parse_condition(text: str) -> tuple[HealthMetric, Comparison, float]:
    """``p99 > 500ms`` → ``("p99", ">", 500.0)``: milliseconds for a latency, a fraction for ``error_rate``.
    Raises :class:`ValueError` saying what is wrong."""
    match = _CONDITION.fullmatch(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not a health condition: write a metric, a comparison and a value {_EXAMPLES}"
        )
    name, op, value = match.groups()
    metrics: tuple[HealthMetric, ...] = get_args(HealthMetric)
    metric = next((known for known in metrics if known == name), None)
    if metric is None:
        close = difflib.get_close_matches(name, metrics, n=1, cutoff=0.7)
        hint = f"did you mean {close[0]!r}?" if close else f"metrics: {', '.join(metrics)}"
        raise ValueError(f"unknown metric {name!r} ({hint})")
    comparison = next((known for known in get_args(Comparison) if known == op), None)
    if comparison is None:
        raise ValueError(f"unknown comparison {op!r} (use <, <=, > or >=)")
    if metric in _LATENCY:
        if value.endswith("%"):
            raise ValueError(
                f"{metric} is a latency: compare it with a duration such as 500ms, not {value!r}"
            )
        return metric, comparison, parse_duration(value).ms
    if not value.endswith("%"):
        raise ValueError(
            f"error_rate is a share of probes: compare it with a percentage such as 1%, not {value!r}"
        )
    return metric, comparison, parse_percent(value).fraction


def parse_retention(text: str) -> Duration:
    """Days (``7d``, ``1.5d``) or a duration (``12h``). Raises :class:`ValueError` saying what is wrong."""
    days = _DAYS.fullmatch(text)
    if days is not None:
        return Duration(seconds=float(days.group(1)) * 86400)
    try:
        return parse_duration(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a retention: use days (7d, 30d) or a duration (12h, 90m)"
        ) from None


def check_probe_expect(probe: Cursor, kind: ProbeKind, listing: str | None) -> None:
    """Report the fields of the probe's ``expect`` its kind cannot answer (and, for call and read, what a
    TestSuite step's expect could not combine)."""
    expect = probe.get("expect")
    if expect is None:
        return
    allowed = (listing or "tools", "latency") if kind == "list" else _CHECKS[kind]
    what = f"a list: {listing} probe" if kind == "list" else f"a {kind} probe"
    before = len(probe.problems.errors)
    for name, field in expect.items():
        if name not in allowed:
            field.error(f"{name} does not apply to {what} (it checks {', '.join(allowed)})")
    if kind in ("call", "read") and len(probe.problems.errors) == before:
        # what is left is what a step with this action may expect: check_expect adds what cannot combine
        check_expect(probe, action=kind, steps=False, step=True)


def check_server_names(entries: Sequence[tuple[str, Cursor, Cursor | None]]) -> None:
    """Monitored server names (the name, the entry's ``server:``, its ``name:`` if written) are unique;
    a repeat is reported at its ``name:``, or at ``server:`` when the name is the default."""
    first: dict[str, Cursor] = {}
    for name, server, written in entries:
        if not name:  # an inline server without name: reported where it is built
            continue
        if name not in first:
            first[name] = written or server
            continue
        line = first[name].node.line
        if written is not None:
            written.error(f"duplicate server name {name!r} (first at line {line})")
        else:
            server.error(f"duplicate server name {name!r} (first at line {line}): tell them apart with name:")


def check_labels(labels: Cursor | None) -> None:
    """Label names are metric label names, and not ``server`` (which mcpctl sets)."""
    for name, value in labels.items() if labels is not None else []:
        if name == "server":
            value.error("label 'server' is set by mcpctl (to the monitored server's name)", key=True)
        elif _LABEL.fullmatch(name) is None or name.startswith("__"):
            value.error(
                f"label {name!r} is not a metric label name: use letters, digits and '_', not starting "
                "with a digit or '__'",
                key=True,
            )


def check_dependencies(servers: Sequence[tuple[str, Cursor | None]]) -> None:
    """``dependsOn`` (the server's name, its ``dependsOn:``) names other monitored servers, with no cycle."""
    known = [name for name, _ in servers if name]
    graph: dict[str, list[tuple[str, Cursor]]] = {}
    for name, field in servers:
        edges = []
        for item in field.elements() if field is not None else []:
            target = str(item.plain())
            if target == name:
                item.error(f"server {name!r} depends on itself")
            elif target in known:
                edges.append((target, item))
            else:
                check_known(item, target, noun="monitored server", known=known, none="the monitor has none")
        graph.setdefault(name, edges)  # a repeated name was reported: its first entry stands
    for cycle, item in _cycles(graph):
        item.error(f"dependency cycle: {' -> '.join(cycle)}")


def _cycles(graph: dict[str, list[tuple[str, Cursor]]]) -> Iterator[tuple[list[str], Cursor]]:
    """Each cycle once, with the ``dependsOn`` item that closes it (depth first, without recursion: a
    monitor may list thousands of servers)."""
    state: dict[str, bool] = {}  # True: on the current path; False: done
    for start in graph:
        if start in state:
            continue
        path, pending = [start], [iter(graph[start])]
        state[start] = True
        while pending:
            edge = next(pending[-1], None)
            if edge is None:
                state[path.pop()] = False
                pending.pop()
                continue
            target, item = edge
            if state.get(target) is True:
                yield [*path[path.index(target) :], target], item
            elif target not in state:
                state[target] = True
                path.append(target)
                pending.append(iter(graph[target]))
