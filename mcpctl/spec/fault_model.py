"""Typed, frozen records of ``kind: FaultScenario``: faults between a client and an MCP server.

A fault scenario lists ``faults`` that ``mcpctl proxy`` injects into the frames it relays (each
fault is one of :data:`FAULT_KINDS`, with when and how often it strikes), and may ``run:`` a
TestSuite or LoadTest through them and ``expect:`` things of the outcome. The same document,
without ``run:``, is what ``mcpctl proxy --faults FILE`` reads.

Field docstrings double as the JSON Schema ``description`` of the same field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mcpctl.spec.mock_model import Latency
from mcpctl.spec.model import Metadata, Source
from mcpctl.spec.units import Duration, Rate

FaultKind = Literal["latency", "reset", "hang", "rate_limit", "malformed", "crash", "slow_start"]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "latency",
    "reset",
    "hang",
    "rate_limit",
    "malformed",
    "crash",
    "slow_start",
)
"""Every fault kind, in the order a request meets them (delays first, then what ends the call)."""
MalformedKind = Literal["invalid_json", "wrong_id", "duplicate", "truncated", "schema_violation", "oversize"]
MALFORMED_KINDS: tuple[MalformedKind, ...] = (
    "invalid_json",
    "wrong_id",
    "duplicate",
    "truncated",
    "schema_violation",
    "oversize",
)
DEFAULT_OVERSIZE = 8 * 1024 * 1024
"""Bytes an ``oversize`` answer is padded to by default: past the 4 MiB frame limit of many clients."""
Comparison = Literal["<", "<=", ">", ">="]
NO_DELAY = Duration(seconds=0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyFault:
    """``latency``: the request waits before it is passed on (``200ms``, ``{delay, jitter}`` or a distribution)."""

    latency: Latency
    """What the wait is drawn from (``{delay: 200ms, jitter: 20ms}`` is uniform between 180 ms and 220 ms)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetFault:
    """``reset``: the connection is dropped while the call is in flight (stdio: the proxy closes its pipes)."""

    when: Literal["before", "after"] = "after"
    """``after``: the server got the request and its answer is lost (side effects happened); ``before``:
    the request never reaches the server."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HangFault:
    """``hang``: no answer ever comes; the client waits until its own timeout."""

    forward: bool = True
    """Pass the request on (the server does the work, its answer is dropped) or swallow it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimitFault:
    """``rate_limit``: a token bucket; a request finding it empty is refused (HTTP 429 with Retry-After,
    on stdio a JSON-RPC error with ``retryAfter`` in its data)."""

    rate: Rate
    """Tokens added per unit of time (``10/s``)."""
    burst: int
    """Tokens the bucket holds, full at the start (default: one second of ``rate``, at least 1)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MalformedFault:
    """``malformed``: the answer is spoiled on its way back."""

    kind: MalformedKind
    """``invalid_json`` (not JSON), ``wrong_id`` (answers another id), ``duplicate`` (sent twice),
    ``truncated`` (cut short), ``schema_violation`` (structuredContent breaking the tool's
    outputSchema), ``oversize`` (padded to ``size``)."""
    size: int = DEFAULT_OVERSIZE
    """``oversize``: the answer's size in bytes (``16MiB``...)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CrashFault:
    """``crash``: the server process is killed after ``afterCalls`` calls or ``after`` a time, optionally
    restarted (over HTTP the proxy acts it out: connections dropped, then refused or a new server)."""

    after_calls: int | None = None
    """Kill it while the N-th matching request is in flight."""
    after: Duration | None = None
    """Kill it this long after it started."""
    restart: bool = False
    """Start it again (and initialize it as the client did) instead of ending the connection."""
    restart_delay: Duration = NO_DELAY
    """How long the server stays down before it is restarted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SlowStartFault:
    """``slow_start``: the server answers nothing until this long after it started (and after every restart)."""

    delay: Duration


FaultParams = (
    LatencyFault | ResetFault | HangFault | RateLimitFault | MalformedFault | CrashFault | SlowStartFault
)
_KINDS: dict[type, FaultKind] = {
    LatencyFault: "latency",
    ResetFault: "reset",
    HangFault: "hang",
    RateLimitFault: "rate_limit",
    MalformedFault: "malformed",
    CrashFault: "crash",
    SlowStartFault: "slow_start",
}


def kind_of(params: FaultParams) -> FaultKind:
    """The kind of fault ``params`` describe (``ResetFault`` → ``reset``)."""
    return _KINDS[type(params)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """One fault: what it does (exactly one of the kinds) and when it strikes."""

    name: str
    """Unique in the scenario; the control endpoint and the fault log use it (default ``KIND-N``)."""
    kind: FaultKind
    params: FaultParams
    probability: float = 1.0
    """Share of matching requests it strikes (``0.2`` or ``20%``)."""
    methods: tuple[str, ...] = ()
    """Request methods it applies to (shell patterns: ``tools/*``); every request when empty."""
    tools: tuple[str, ...] = ()
    """Tool names it applies to (shell patterns; implies ``tools/call``)."""
    start: Duration | None = None
    """``window.start``: active from this long after the proxy started."""
    end: Duration | None = None
    """``window.end``: active until this long after the proxy started."""
    times: int | None = None
    """Strike at most this many times."""
    seed: int | None = None
    """Seed of this fault's draws (default: derived from the scenario's seed and the fault's name)."""
    enabled: bool = True
    """Off faults stay listed and can be turned on at run time (the control endpoint)."""
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRef:
    """``run:``: the TestSuite or LoadTest (by name, in the same set of specs) run through the faults."""

    kind: Literal["TestSuite", "LoadTest"]
    name: str
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class Bound:
    """A comparison written ``< 10%`` or ``<= 3``."""

    op: Comparison
    value: float
    text: str
    """As written, for messages."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultExpect:
    """``expect:``: what must hold of the run under faults."""

    completes: bool | None = None
    """The run ends by itself (no hang, no abort) within its own timeouts."""
    error_rate: Bound | None = None
    """Failed calls over all calls (``< 10%``)."""
    retries: Bound | None = None
    """Retries the run made (``<= 5``)."""
    no_duplicate_side_effects: bool = False
    """No call to a tool that is not read-only or idempotent reached the server twice because a fault
    lost the first answer."""
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultScenarioSpec:
    """A validated ``kind: FaultScenario`` document."""

    metadata: Metadata
    faults: tuple[Fault, ...]
    seed: int | None = None
    """Seed of every fault's draws: the same seed and the same requests give the same faults."""
    run: RunRef | None = None
    expect: FaultExpect | None = None
    spec_hash: str
    source: Source
