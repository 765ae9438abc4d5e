"""Which faults strike which request: the decisions both proxies share, seeded and transport-free.

A proxy asks :meth:`Injector.decide` once per client request (method, id, tool) and acts the
:class:`Decision` out on its own transport: wait ``delay``, then end the call as ``action`` says
(or pass it on, and spoil the answer for ``malformed``). The injector also watches what the proxy
relays: ``tools/list`` answers (for ``schema_violation`` and for which tools have side effects)
and the calls it forwarded (for ``no_duplicate_side_effects``), and keeps the fault log.

Draws come from one ``random.Random`` per fault, seeded from the fault's own seed or from the
scenario's seed and the fault's name: the same seed and the same requests give the same faults,
and adding a fault does not change the draws of the others.
"""

from __future__ import annotations

import collections
import fnmatch
import hashlib
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import orjson

from mcpctl.mcp.jsonrpc import JSONValue, Message
from mcpctl.mock.behaviour import Dice
from mcpctl.spec.fault_model import (
    CrashFault,
    Fault,
    HangFault,
    LatencyFault,
    MalformedFault,
    MalformedKind,
    RateLimitFault,
    ResetFault,
    SlowStartFault,
)

Action = Literal["reset", "hang", "rate_limit", "malformed"]
EVENTS_KEPT = 10_000
"""Fault log entries kept in memory for the control endpoint (a ``--log`` file keeps all)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """What the proxy knows of one client request."""

    method: str
    id: JSONValue
    tool: str | None = None
    arguments: JSONValue = None

    @classmethod
    def of(cls, message: Message) -> Request:
        """The request ``message`` (a JSON-RPC request object) as the injector sees it."""
        params = message.get("params")
        method = str(message.get("method", ""))
        tool = None
        arguments = None
        if method == "tools/call" and isinstance(params, dict):
            name = params.get("name")
            tool = name if isinstance(name, str) else None
            arguments = params.get("arguments")
        return cls(method=method, id=message.get("id"), tool=tool, arguments=arguments)

    @property
    def call_key(self) -> str:
        """The tool and its arguments, hashed: equal for two calls that would do the same thing."""
        text = orjson.dumps([self.tool, self.arguments], option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(text).hexdigest()[:16]


@dataclass(slots=True, kw_only=True)
class Decision:
    """What to do with one request: wait ``delay`` seconds, then ``action`` (``None``: pass it on)."""

    delay: float = 0.0
    action: Action | None = None
    fault: str = ""
    """The name of the fault whose ``action`` this is."""
    reset_after: bool = True
    """``reset``: after the server got the request (else before it)."""
    forward: bool = True
    """``hang``: pass the request on, drop its answer."""
    retry_after: float = 0.0
    """``rate_limit``: seconds until the bucket holds a token again."""
    malformed: MalformedKind | None = None
    size: int = 0
    crash: str = ""
    """The name of a ``crash`` fault this request sets off (the server dies with it in flight)."""

    @property
    def passes(self) -> bool:
        """Nothing to do: the request goes on as it came."""
        return self.delay == 0.0 and self.action is None and not self.crash


PASS = Decision()


@dataclass(slots=True)
class _Live:
    """A fault and what it has done so far."""

    fault: Fault
    rng: random.Random
    dice: Dice
    enabled: bool
    matched: int = 0
    injected: int = 0
    calls_since_start: int = 0
    tokens: float = 0.0
    refilled: float = 0.0


@dataclass(slots=True)
class _Tools:
    schemas: dict[str, JSONValue] = field(default_factory=dict)
    safe: set[str] = field(default_factory=set)
    """Tools annotated read-only or idempotent: calling them twice does no harm."""


class Injector:
    """The faults of one proxy, their state, and the fault log."""

    def __init__(
        self,
        faults: Sequence[Fault],
        *,
        seed: int | None = None,
        sink: Callable[[dict[str, object]], None] | None = None,
        track_calls: bool = False,
        clock: Callable[[], float] = time.monotonic,
        started_at: float | None = None,
    ) -> None:
        self._clock = clock
        self._sink = sink
        self._track_calls = track_calls
        # windows count from the scenario's start (a wall-clock time) when proxies are relaunched
        self.started = clock() - (time.time() - started_at if started_at is not None else 0.0)
        self._live = {f.name: _live(f, seed) for f in faults}
        self._tools = _Tools()
        self.events: collections.deque[dict[str, object]] = collections.deque(maxlen=EVENTS_KEPT)
        self.count = 0
        """Fault log entries written since the start (the ``since`` cursor of the control endpoint)."""

    # -- decisions -------------------------------------------------------------------------------

    def decide(self, request: Request) -> Decision:
        """The faults that strike ``request``, logged; :data:`PASS` when none does."""
        decision: Decision | None = None
        now = self._clock() - self.started
        for live in self._live.values():
            if not self._applies(live, request, now):
                continue
            decision = decision or Decision()
            self._strike(live, request, decision, now)
        return decision or PASS

    def _applies(self, live: _Live, request: Request, now: float) -> bool:
        fault = live.fault
        if not live.enabled or isinstance(fault.params, SlowStartFault):
            return False
        if fault.start is not None and now < fault.start.seconds:
            return False
        if fault.end is not None and now >= fault.end.seconds:
            return False
        tool = request.tool if request.method == "tools/call" else None
        if fault.tools and (tool is None or not _any_match(tool, fault.tools)):
            return False
        if fault.methods and not _any_match(request.method, fault.methods):
            return False
        if isinstance(fault.params, CrashFault) and fault.params.after_calls is None:
            return False  # a crash on a timer: see crash_deadline
        return fault.times is None or live.injected < fault.times

    def _strike(self, live: _Live, request: Request, decision: Decision, now: float) -> None:
        fault, params = live.fault, live.fault.params
        live.matched += 1
        if isinstance(params, RateLimitFault):
            wait = _take_token(live, params, now)
            if wait <= 0.0 or decision.action is not None:
                return
            decision.action, decision.fault, decision.retry_after = "rate_limit", fault.name, wait
            self._log(live, request, f"retry after {wait:.3f}s")
            return
        if isinstance(params, CrashFault):
            live.calls_since_start += 1
            if params.after_calls is not None and live.calls_since_start == params.after_calls:
                decision.crash = fault.name
                self._log(live, request, f"server killed at call {params.after_calls}")
            return
        if fault.probability < 1.0 and live.rng.random() >= fault.probability:
            return
        if isinstance(params, LatencyFault):
            wait = live.dice.seconds(params.latency)
            decision.delay += wait
            self._log(live, request, f"delayed {wait * 1000:.1f}ms")
        elif decision.action is None:
            self._act(live, request, decision)

    def _act(self, live: _Live, request: Request, decision: Decision) -> None:
        params, name = live.fault.params, live.fault.name
        if isinstance(params, ResetFault):
            decision.action, decision.reset_after = "reset", params.when == "after"
            self._log(live, request, f"connection dropped {params.when} the server got the request")
        elif isinstance(params, HangFault):
            decision.action, decision.forward = "hang", params.forward
            self._log(live, request, "answer withheld" if params.forward else "request swallowed")
        elif isinstance(params, MalformedFault):
            decision.action, decision.malformed, decision.size = "malformed", params.kind, params.size
            self._log(live, request, params.kind)
        decision.fault = name

    # -- server life -----------------------------------------------------------------------------

    def slow_start(self) -> float:
        """Seconds the server answers nothing after a (re)start: the longest enabled ``slow_start``."""
        delays = [
            live.fault.params.delay.seconds
            for live in self._live.values()
            if live.enabled and isinstance(live.fault.params, SlowStartFault)
        ]
        return max(delays, default=0.0)

    def slowed(self, delay: float) -> None:
        """Log that a (re)started server was held back ``delay`` seconds."""
        for live in self._live.values():
            if live.enabled and isinstance(live.fault.params, SlowStartFault):
                self._log(live, None, f"server held back {delay * 1000:.0f}ms after start")
                return

    def crash_timer(self) -> tuple[str, float] | None:
        """The first enabled timed crash: its name and seconds after a (re)start, or ``None``."""
        timed = [
            (live.fault.name, live.fault.params.after.seconds)
            for live in self._live.values()
            if live.enabled
            and isinstance(live.fault.params, CrashFault)
            and live.fault.params.after is not None
            and (live.fault.times is None or live.injected < live.fault.times)
        ]
        return min(timed, key=lambda pair: pair[1], default=None)

    def crash(self, name: str) -> CrashFault:
        """The crash fault ``name`` (from a decision or :meth:`crash_timer`)."""
        params = self._live[name].fault.params
        assert isinstance(params, CrashFault)
        return params

    def crashed_on_timer(self, name: str) -> None:
        """Log a timed crash (call-count crashes are logged when decided)."""
        live = self._live[name]
        after = self.crash(name).after
        self._log(live, None, f"server killed {after} after it started")

    def restarted(self) -> None:
        """A new server process: call counts of crash faults start again."""
        for live in self._live.values():
            live.calls_since_start = 0

    # -- what the proxy relays -------------------------------------------------------------------

    def learn_tools(self, tools: Iterable[JSONValue]) -> None:
        """Remember the output schemas and the side-effect-free tools of a ``tools/list`` answer."""
        for tool in tools:
            if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
                continue
            name = tool["name"]
            self._tools.schemas[name] = tool.get("outputSchema")
            hints = tool.get("annotations")
            if isinstance(hints, dict) and (
                hints.get("readOnlyHint") is True or hints.get("idempotentHint") is True
            ):
                self._tools.safe.add(name)

    def output_schema(self, tool: str | None) -> JSONValue:
        """The ``outputSchema`` the server listed for ``tool`` (``None`` if unknown or none)."""
        return self._tools.schemas.get(tool) if tool is not None else None

    def forwarded(self, request: Request) -> None:
        """A ``tools/call`` reached the server: logged when calls are tracked (``no_duplicate_side_effects``)."""
        if not self._track_calls or request.tool is None:
            return
        self._emit(
            {
                "event": "call",
                "tool": request.tool,
                "id": request.id,
                "call": request.call_key,
                "side_effects": request.tool not in self._tools.safe,
            }
        )

    def lost(self, request: Request, fault: str) -> None:
        """The answer of a forwarded request was lost to ``fault`` (a reset, a hang, a crash)."""
        if self._track_calls and request.tool is not None:
            self._emit({"event": "lost", "fault": fault, "id": request.id, "call": request.call_key})

    # -- control ---------------------------------------------------------------------------------

    def set_enabled(self, name: str, enabled: bool) -> bool:
        """Turn fault ``name`` on or off; ``False`` if there is no such fault."""
        live = self._live.get(name)
        if live is None:
            return False
        live.enabled = enabled
        self._emit({"event": "control", "fault": name, "enabled": enabled})
        return True

    def status(self) -> list[dict[str, object]]:
        """Every fault with its kind, state and counts (the control endpoint's ``GET /faults``)."""
        return [
            {
                "name": live.fault.name,
                "kind": live.fault.kind,
                "enabled": live.enabled,
                "matched": live.matched,
                "injected": live.injected,
            }
            for live in self._live.values()
        ]

    def _log(self, live: _Live, request: Request | None, detail: str) -> None:
        live.injected += 1
        entry: dict[str, object] = {"event": "fault", "fault": live.fault.name, "kind": live.fault.kind}
        if request is not None:
            entry.update(method=request.method, id=request.id)
            if request.tool is not None:
                entry["tool"] = request.tool
        entry["detail"] = detail
        self._emit(entry)

    def _emit(self, entry: dict[str, object]) -> None:
        entry = {"ts": round(time.time(), 6), "elapsed": round(self._clock() - self.started, 6), **entry}
        self.count += 1
        entry["seq"] = self.count
        self.events.append(entry)
        if self._sink is not None:
            self._sink(entry)


def _live(fault: Fault, seed: int | None) -> _Live:
    seeded = fault.seed if fault.seed is not None else f"{seed}/{fault.name}" if seed is not None else None
    rng = random.Random(seeded)
    live = _Live(fault=fault, rng=rng, dice=Dice(rng.getrandbits(64)), enabled=fault.enabled)
    if isinstance(fault.params, RateLimitFault):
        live.tokens = float(fault.params.burst)
    return live


def _take_token(live: _Live, params: RateLimitFault, now: float) -> float:
    """Take a token if there is one (0.0), else the seconds until there will be."""
    rate = params.rate.per_second
    live.tokens = min(float(params.burst), live.tokens + (now - live.refilled) * rate)
    live.refilled = now
    if live.tokens >= 1.0:
        live.tokens -= 1.0
        return 0.0
    return (1.0 - live.tokens) / rate


def _any_match(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
