"""Run one ``kind: LoadTest`` against its server and return a :class:`LoadResult`.

Each request picks a scenario entry by weight, renders its templates with ``data`` (the next record of the
data file), ``vu``, ``iteration`` and ``vars``, sends it with the spec's timeout and records its outcome
and latency (:mod:`.metrics`). Thresholds are checked every second and at the end (:mod:`.thresholds`);
one with ``abort: true`` that breaks cancels the load at once. Sessions: :mod:`.sessions`.

**Latency.** Closed model (``vus``): from the request's own start, after its session is open. Open model
(``arrival-rate``): from the *intended* start :func:`.schedule.run_open` passes, so time spent waiting for
the scheduler, for a session to open or behind a stalled server counts (coordinated omission corrected).

**Determinism.** The entry of each request is one draw ``randrange(total weight)`` of
``random.Random(seed)``, entries owning consecutive ranges in scenario order, so the picks of N requests
are the first N draws whatever the interleaving. Random data order, think time and the template generators
(``random_int``, ``random_choice``, ``random_string``, ``uuid``) draw from generators of their own
(``seed + 1``, ``+ 2`` and ``+ 3``). The seed defaults to one derived from the spec's name.

In the open model ``vu`` is 0 and ``iteration`` counts requests from 0 across the run; in the closed model
they are the virtual user's number and its own iteration count.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Mapping

import trio
import trio.lowlevel

from mcpctl.engine.load.metrics import LoadResult, Metrics
from mcpctl.engine.load.requests import FIXED, Entry, Request, Requests, outcome
from mcpctl.engine.load.schedule import run_closed, run_open, vu_steps
from mcpctl.engine.load.sessions import CONNECT_TIMEOUT, Held, Sessions
from mcpctl.engine.load.thresholds import Watch
from mcpctl.engine.targets import fast_target_for
from mcpctl.errors import McpctlError, TransportError, UsageError
from mcpctl.mcp.client import Client, ServerTarget, open_client
from mcpctl.observe.histogram import LatencyHistogram
from mcpctl.spec.load_model import DEFAULT_MAX_IN_FLIGHT, LoadTestSpec
from mcpctl.spec.model import ServerDef
from mcpctl.spec.templating import (
    TemplateError,
    seeded_random,
)

TRANSPORT_BACKOFF = 0.1
"""Seconds a virtual user waits after a request failed at the transport (the server is gone or refuses)."""
REOPEN_EVERY = 1.0
"""Seconds between two attempts to open the shared session again after its server went away."""
LiveHook = Callable[[Metrics, float], None]
"""Called once a second with the metrics so far and the seconds elapsed (the live view)."""


def seed_for(name: str) -> int:
    """The default seed of a load test: from its name, so that reruns pick the same entries."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")


class _Load:
    """One run: sends the requests the scheduler asks for and records them."""

    def __init__(
        self, spec: LoadTestSpec, requests: Requests, sessions: Sessions, metrics: Metrics, seed: int
    ) -> None:
        self.spec = spec
        self.requests = requests
        self.sessions = sessions
        self.metrics = metrics
        self.clock_ns = sessions.clock_ns
        self.timeout = spec.timeout.seconds
        self.think = random.Random(seed + 2)
        self.shared: Held | None = None
        self.sent = 0
        self._reopening = trio.Lock()
        self._reopen_at = 0.0
        """When the shared session may be opened again (trio time): at most once per REOPEN_EVERY."""

    async def _shared(self) -> Held:
        """The shared session, opened again when its server went away (one opener at a time, at most once
        per ``REOPEN_EVERY``); raises the opening's error, or ``TransportError`` until it may be retried."""
        held = self.shared
        assert held is not None
        if held.client.session.closed is None:
            return held
        async with self._reopening:
            if self.shared is held:  # nobody reopened it while this task waited
                if trio.current_time() < self._reopen_at:
                    raise TransportError("the shared session is closed (its server went away)")
                self._reopen_at = trio.current_time() + REOPEN_EVERY
                held.close()
                self.shared = await self.sessions.open()
        assert self.shared is not None
        return self.shared

    async def _exchange(self, client: Client, entry: Entry, request: Request) -> tuple[str, int, int]:
        """The outcome, time to first byte and end (ns) of one request; the end is when its answer came
        (an inline request then still reads the rest of the body), else now."""
        self.metrics.in_flight += 1
        try:
            result, first_byte, answered = await entry.send(client, request, self.timeout)
        except McpctlError as error:
            result, first_byte, answered = outcome(error), 0, 0
        finally:
            self.metrics.in_flight -= 1
        return result, first_byte, answered or self.clock_ns()

    async def _per_iteration(self, entry: Entry, request: Request, start_ns: int | None) -> str:
        """Open a session for this request alone; ``start_ns`` is the intended start (open model)."""
        opening = self.clock_ns()
        try:
            async with open_client(self.sessions.target, connect_timeout=CONNECT_TIMEOUT) as client:
                self.sessions.initialize.record(self.clock_ns() - opening)
                begin = self.clock_ns() if start_ns is None else start_ns
                outcome, first_byte, end = await self._exchange(client, entry, request)
        except McpctlError:
            outcome, begin, end = "transport", opening if start_ns is None else start_ns, self.clock_ns()
            first_byte = 0
        self.metrics.record(entry.name, outcome, end - begin, end, first_byte)
        return outcome

    def _next(self, vu: int, iteration: int) -> tuple[Entry, Request | None]:
        """The next entry and its rendered request (``None``: its templates failed, counted, not sent)."""
        entry, context = self.requests.next(vu, iteration)
        if entry.fixed:
            return entry, FIXED
        try:
            return entry, entry.render(context)
        except TemplateError:
            self.metrics.record(entry.name, "template_error", None, self.clock_ns())
            return entry, None

    async def iteration(self, vu: int, n: int) -> None:
        """One iteration of virtual user ``vu`` (closed model), think time included."""
        entry, request = self._next(vu, n)
        if request is not None:
            if await self._closed_request(vu, entry, request) == "transport":
                # a dead server fails requests without waiting: back off rather than spin
                await trio.sleep(TRANSPORT_BACKOFF)
        else:
            await trio.lowlevel.checkpoint()  # a user whose requests never render must not starve the rest
        think = self.spec.think_time
        if think is not None:
            await trio.sleep(self.think.uniform(think.min.seconds, think.max.seconds))

    async def _closed_request(self, vu: int, entry: Entry, request: Request) -> str:
        """Send one request of user ``vu``; its outcome."""
        if self.spec.sessions == "per-iteration":
            return await self._per_iteration(entry, request, None)
        try:
            held = await self._shared() if self.shared is not None else await self.sessions.for_vu(vu)
        except McpctlError:
            self.metrics.record(entry.name, "transport", None, self.clock_ns())
            return "transport"
        start = self.clock_ns()
        outcome, first_byte, end = await self._exchange(held.client, entry, request)
        self.metrics.record(entry.name, outcome, end - start, end, first_byte)
        if outcome == "transport" and self.shared is None:
            self.sessions.drop_vu(vu)
        return outcome

    async def fire(self, intended_ns: int) -> None:
        """One request of the open model, measured from ``intended_ns``."""
        entry, request = self._next(0, self.sent)
        self.sent += 1
        if request is None:
            return
        if self.spec.sessions == "per-iteration":
            await self._per_iteration(entry, request, intended_ns)
            return
        try:
            held = await self._shared() if self.shared is not None else await self.sessions.take()
        except McpctlError:
            end = self.clock_ns()
            self.metrics.record(entry.name, "transport", end - intended_ns, end)
            return
        outcome, first_byte, end = await self._exchange(held.client, entry, request)
        self.metrics.record(entry.name, outcome, end - intended_ns, end, first_byte)
        if self.shared is None:
            if outcome == "transport":
                held.close()
            else:
                self.sessions.give_back(held)


def _server(spec: LoadTestSpec, servers: Mapping[str, ServerDef]) -> ServerDef:
    if not isinstance(spec.server, str):
        return spec.server
    if spec.server not in servers:
        raise UsageError(f"LoadTest/{spec.metadata.name}: no server named {spec.server!r} in the Servers")
    return servers[spec.server]


async def run_load(
    spec: LoadTestSpec,
    *,
    servers: Mapping[str, ServerDef] | None = None,
    seed: int | None = None,
    on_second: LiveHook | None = None,
    target: ServerTarget | None = None,
    stop: trio.Event | None = None,
) -> LoadResult:
    """Run ``spec`` against its server (a name is looked up in ``servers``; ``target`` overrides both).

    Setting ``stop`` ends the load at once, as an abort would (requests in flight are cancelled), and the
    result covers what ran: how a worker stops when another one aborted.

    Raises :class:`UsageError` for a missing server or an unreadable data file, and the server's error when
    the ``shared`` session (or the first of a ``per-vu`` open-model pool) cannot be opened.
    """
    seed = seed_for(spec.metadata.name) if seed is None else seed
    target = target or fast_target_for(_server(spec, servers or {}))
    requests = Requests(spec, seed)
    initialize = LatencyHistogram()
    failure: McpctlError | None = None
    result: LoadResult | None = None
    # trio tasks inherit the context they are started in: every render of this run draws from this source
    with seeded_random(random.Random(seed + 3)):
        async with trio.open_nursery() as nursery:
            sessions = Sessions(target, nursery, initialize)
            try:
                result = await _run(spec, requests, sessions, seed, on_second, stop)
            except McpctlError as error:
                failure = error  # raised below, not wrapped in the nursery's exception group
            nursery.cancel_scope.cancel()  # closes every kept session
    if failure is not None:
        raise failure
    assert result is not None
    return result


async def _run(
    spec: LoadTestSpec,
    requests: Requests,
    sessions: Sessions,
    seed: int,
    on_second: LiveHook | None,
    stop: trio.Event | None,
) -> LoadResult:
    profile = spec.profile
    shared = None
    if spec.sessions == "shared":
        shared = await sessions.open()
    elif spec.sessions == "per-vu" and profile.model == "arrival-rate":
        sessions.give_back(await sessions.open())
    elif spec.sessions == "per-vu":
        await sessions.open_vus(max(count for _, count in vu_steps(profile)))
    started_at, start_ns = time.time(), sessions.clock_ns()
    names = tuple(entry.name for entry in requests.entries)
    metrics = Metrics(names, started_at=started_at, start_ns=start_ns, initialize=sessions.initialize)
    load = _Load(spec, requests, sessions, metrics, seed)
    load.shared = shared
    watch = Watch(spec.thresholds)
    with trio.CancelScope() as load_scope:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_watch, watch, metrics, load_scope, on_second)
            if stop is not None:
                nursery.start_soon(_stop_when, stop, load_scope)
            if profile.model == "arrival-rate":
                await run_open(
                    profile,
                    load.fire,
                    max_in_flight=profile.max_in_flight or DEFAULT_MAX_IN_FLIGHT,
                    clock_ns=sessions.clock_ns,
                    on_lag=metrics.lag.record,
                    on_dropped=metrics.record_dropped,
                )
            else:
                await run_closed(profile, load.iteration)
            nursery.cancel_scope.cancel()
    elapsed = (sessions.clock_ns() - start_ns) / 1e9
    return _result(spec, seed, metrics, watch, elapsed)


async def _stop_when(stop: trio.Event, load_scope: trio.CancelScope) -> None:
    await stop.wait()
    load_scope.cancel()


async def _watch(
    watch: Watch, metrics: Metrics, load_scope: trio.CancelScope, on_second: LiveHook | None
) -> None:
    """Check the thresholds at each whole second since the start; cancel the load on an abort."""
    start = trio.current_time()
    second = 1
    while True:
        await trio.sleep_until(start + second)
        elapsed = (time.perf_counter_ns() - metrics.start_ns) / 1e9
        if on_second is not None:
            on_second(metrics, elapsed)
        if watch.check(metrics, elapsed, second=second):
            load_scope.cancel()
            return
        second += 1


def _result(spec: LoadTestSpec, seed: int, metrics: Metrics, watch: Watch, elapsed: float) -> LoadResult:
    initialize = metrics.initialize
    return LoadResult(
        name=spec.metadata.name,
        spec_hash=spec.spec_hash,
        model=spec.profile.model,
        sessions=spec.sessions,
        seed=seed,
        started_at=metrics.started_at,
        duration=elapsed,
        calls=metrics.calls(),
        overall=metrics.overall.stats("*"),
        lag=metrics.lag.summary(),
        lag_histogram=metrics.lag.encode(),
        dropped=metrics.dropped,
        initialize=initialize.summary() if initialize.count else None,
        initialize_histogram=initialize.encode() if initialize.count else None,
        thresholds=watch.results(metrics, elapsed),
        aborted=watch.aborted_by is not None,
        abort_reason=watch.abort_reason,
        series=metrics.series.to_record(),
    )
