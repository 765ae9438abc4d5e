"""A ``FaultScenario`` document, from validated YAML to :mod:`mcpctl.spec.fault_model` records.

YAML → record rules the schema leaves open: a fault has exactly one kind key; its name defaults
to ``KIND-N`` (N counting faults of that kind from 1); ``latency: 200ms`` is a fixed wait and
``{delay, jitter}`` a uniform one within ``delay ± jitter``; ``malformed: truncated`` is
``{kind: truncated}``; ``rate_limit.burst`` defaults to one second of the rate (at least 1); a
crash needs exactly one of ``afterCalls`` and ``after``; ``run:`` names a TestSuite or LoadTest
loaded with the scenario; ``expect:`` needs ``run:``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass

from mcpctl.spec.batch_checks import check_known
from mcpctl.spec.build_batch import parse_size
from mcpctl.spec.build_mock import latency as distribution
from mcpctl.spec.build_suite import duration, parsed
from mcpctl.spec.fault_model import (
    DEFAULT_OVERSIZE,
    FAULT_KINDS,
    MALFORMED_KINDS,
    Bound,
    Comparison,
    CrashFault,
    Fault,
    FaultExpect,
    FaultKind,
    FaultParams,
    FaultScenarioSpec,
    HangFault,
    LatencyFault,
    MalformedFault,
    RateLimitFault,
    ResetFault,
    RunRef,
    SlowStartFault,
    kind_of,
)
from mcpctl.spec.mock_model import Latency
from mcpctl.spec.model import Metadata
from mcpctl.spec.semantics import check_exclusive, check_unique, one_of
from mcpctl.spec.units import Duration, parse_percent, parse_rate
from mcpctl.spec.validate import Cursor

_BOUND = re.compile(r"\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)(%?)\s*")
_ZERO = Duration(seconds=0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioContext:
    """The names a scenario's ``run:`` may use: the TestSuites and LoadTests loaded with it."""

    suites: Collection[str]
    loads: Collection[str]


def build_faults(
    doc: Cursor, *, metadata: Metadata, spec_hash: str, ctx: ScenarioContext
) -> FaultScenarioSpec:
    """The FaultScenario document at ``doc`` (schema-valid) as a record, reporting what it means wrong."""
    faults = _faults(doc.required("faults"))
    run = _run(doc.get("run"), ctx)
    expect = doc.get("expect")
    if expect is not None and doc.get("run") is None:
        expect.error("expect needs run: a TestSuite or LoadTest whose outcome it checks", key=True)
    retries = expect.get("retries") if expect is not None else None
    if retries is not None and run is not None and run.kind == "LoadTest":
        retries.error("retries applies to a TestSuite run: a LoadTest does not retry its calls", key=True)
    return FaultScenarioSpec(
        metadata=metadata,
        faults=faults,
        seed=doc.integer("seed"),
        run=run,
        expect=_expect(expect) if expect is not None else None,
        spec_hash=spec_hash,
        source=doc.source(),
    )


def _faults(field: Cursor) -> tuple[Fault, ...]:
    counts: dict[str, int] = {}
    built: list[Fault] = []
    names: list[tuple[str, Cursor]] = []
    for item in field.elements():
        kind = check_exclusive(item, FAULT_KINDS, "fault")
        if kind is None:
            item.error(f"a fault needs one of: {', '.join(FAULT_KINDS)}")
            continue
        counts[kind] = counts.get(kind, 0) + 1
        name = item.text("name") or f"{kind}-{counts[kind]}"
        names.append((name, item.get("name") or item))
        window = _window(item.get("window"))
        params = _params(one_of(kind, FAULT_KINDS, "latency"), item.required(kind))
        if params is not None:
            built.append(_fault(item, name, params, window))
    check_unique(names, "fault")
    return tuple(built)


def _window(window: Cursor | None) -> tuple[Duration | None, Duration | None]:
    if window is None:
        return None, None
    start, end = duration(window.get("start")), duration(window.get("end"))
    if start is not None and end is not None and end.seconds <= start.seconds:
        window.error(f"window.end ({end}) must come after window.start ({start})")
    return start, end


def _fault(
    item: Cursor, name: str, params: FaultParams, window: tuple[Duration | None, Duration | None]
) -> Fault:
    start, end = window
    return Fault(
        name=name,
        kind=kind_of(params),
        params=params,
        probability=_probability(item.get("probability")),
        methods=_strings(item.get("methods")),
        tools=_strings(item.get("tools")),
        start=start,
        end=end,
        times=item.integer("times"),
        seed=item.integer("seed"),
        enabled=item.flag("enabled") is not False,
        source=item.source(),
    )


def _params(kind: FaultKind, body: Cursor) -> FaultParams | None:
    if kind == "latency":
        wait = _latency(body)
        return LatencyFault(latency=wait) if wait is not None else None
    if kind == "reset":
        return ResetFault(when="before" if body.text("when") == "before" else "after")
    if kind == "hang":
        return HangFault(forward=body.flag("forward") is not False)
    if kind == "rate_limit":
        rate = parsed(body.required("rate"), parse_rate)
        if rate is None:
            return None
        burst = body.integer("burst") or max(1, math.floor(rate.per_second))
        return RateLimitFault(rate=rate, burst=burst)
    if kind == "malformed":
        return _malformed(body)
    if kind == "crash":
        return _crash(body)
    delay = duration(body)
    return SlowStartFault(delay=delay) if delay is not None else None


def _latency(body: Cursor) -> Latency | None:
    if body.get("delay") is None:
        return distribution(body)
    delay = duration(body.get("delay"))
    jitter = duration(body.get("jitter")) or _ZERO
    if delay is None:
        return None
    if jitter.seconds > delay.seconds:
        body.required("jitter").error(f"jitter ({jitter}) cannot be larger than delay ({delay})")
        return None
    if jitter.seconds == 0:
        return Latency(value=delay)
    # rounded to the microsecond durations are written in: 200ms - 20ms is 180ms, not 180.00000000000003ms
    low = Duration(seconds=round(delay.seconds - jitter.seconds, 6))
    high = Duration(seconds=round(delay.seconds + jitter.seconds, 6))
    return Latency(distribution="uniform", min=low, max=high)


def _malformed(body: Cursor) -> MalformedFault:
    if isinstance(body.node.value, str):
        return MalformedFault(kind=one_of(body.node.value, MALFORMED_KINDS, "invalid_json"))
    size_field = body.get("size")
    size = DEFAULT_OVERSIZE
    if size_field is not None:
        value = size_field.node.value
        size = value if isinstance(value, int) else parsed(size_field, parse_size) or DEFAULT_OVERSIZE
    kind = one_of(body.text("kind"), MALFORMED_KINDS, "invalid_json")
    if size_field is not None and kind != "oversize":
        size_field.error(f"size applies to an oversize answer only (this one is {kind})", key=True)
    return MalformedFault(kind=kind, size=size)


def _crash(body: Cursor) -> CrashFault | None:
    trigger = check_exclusive(body, ("afterCalls", "after"), "crash")
    if trigger is None:
        body.error("a crash needs afterCalls (a number of calls) or after (a duration)")
        return None
    restart = body.flag("restart") or False
    delay = body.get("restartDelay")
    if delay is not None and not restart:
        delay.error("restartDelay applies only with restart: true", key=True)
    return CrashFault(
        after_calls=body.integer("afterCalls") if trigger == "afterCalls" else None,
        after=duration(body.get("after")) if trigger == "after" else None,
        restart=restart,
        restart_delay=duration(delay) or _ZERO,
    )


def _probability(cursor: Cursor | None) -> float:
    if cursor is None:
        return 1.0
    value = cursor.node.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    percent = parsed(cursor, parse_percent)
    return percent.fraction if percent is not None else 1.0


def _strings(cursor: Cursor | None) -> tuple[str, ...]:
    return tuple(str(item.plain()) for item in cursor.elements()) if cursor is not None else ()


def _run(cursor: Cursor | None, ctx: ScenarioContext) -> RunRef | None:
    if cursor is None:
        return None
    which = check_exclusive(cursor, ("testSuite", "loadTest"), "run")
    if which is None:
        cursor.error("run needs testSuite or loadTest: the name of the spec to run through the faults")
        return None
    field = cursor.required(which)
    name = str(field.plain())
    if which == "testSuite":
        check_known(field, name, noun="TestSuite", known=ctx.suites, none="no TestSuite is loaded with it")
        return RunRef(kind="TestSuite", name=name, source=cursor.source())
    check_known(field, name, noun="LoadTest", known=ctx.loads, none="no LoadTest is loaded with it")
    return RunRef(kind="LoadTest", name=name, source=cursor.source())


def _expect(cursor: Cursor) -> FaultExpect:
    return FaultExpect(
        completes=cursor.flag("completes"),
        error_rate=_bound(cursor.get("error_rate"), percent=True),
        retries=_bound(cursor.get("retries"), percent=False),
        no_duplicate_side_effects=cursor.flag("no_duplicate_side_effects") or False,
        source=cursor.source(),
    )


def _bound(cursor: Cursor | None, *, percent: bool) -> Bound | None:
    if cursor is None:
        return None
    text = str(cursor.plain())
    match = _BOUND.fullmatch(text)
    example = "'< 10%'" if percent else "'<= 3'"
    if match is None or (match.group(3) == "%" and not percent):
        cursor.error(
            f"{text!r} is not a bound: write a comparison (<, <=, >, >=) and a number, e.g. {example}"
        )
        return None
    op: Comparison = one_of(match.group(1), ("<", "<=", ">", ">="), "<")
    value = float(match.group(2))
    if percent and match.group(3) == "%":
        value /= 100
    if percent and value > 1:
        cursor.error(f"{text!r}: an error rate is at most 100% (write a percentage, e.g. {example})")
        return None
    return Bound(op=op, value=value, text=text.strip())
