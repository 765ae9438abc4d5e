"""The MCP sessions of a load test, each owned by a task of its own.

A client opened by :func:`open_client` lives in a nursery, which must be closed by the task that opened it;
a virtual user's session outlives each of its iterations, and an open-model session passes from request to
request. So every kept session is opened by a *holder* task in the run's sessions nursery, which hands the
:class:`Client` back (``nursery.start``) and keeps it open until the run ends or the session is discarded.

- ``shared``: one session, opened before the load starts (failing to open it fails the run).
- ``per-vu``, closed model: one session per virtual user, kept; as many as the profile ever has users are
  opened before the load starts (as k6 initializes its VUs), so opening is not part of the ramp.
- ``per-vu``, open model: a pool with one session per request running at once. A request takes a free
  session or, when none is free, opens one (its latency, measured from the intended start, includes that);
  one session is opened before the load starts so that a server that keeps up needs no other. The pool
  grows to the peak number of requests in flight (at most ``maxInFlight``) and never shrinks.
- ``per-iteration``: a new session per request, opened in the request's own task (:func:`open_client`
  directly), not kept.

Every session opened records the time to open it (spawn or connect, then initialize) in ``initialize``. A
session whose request ended in a transport error is discarded (closed); the next request opens another.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import trio

from mcpctl.errors import McpctlError
from mcpctl.mcp.client import Client, ServerTarget, open_client
from mcpctl.observe.histogram import LatencyHistogram

CONNECT_TIMEOUT = 30.0
"""How long opening one session (spawn or connect, and initialize) may take."""


class Held:
    """A session kept open by its holder task; :meth:`close` ends it."""

    def __init__(self, client: Client, scope: trio.CancelScope) -> None:
        self.client = client
        self._scope = scope

    def close(self) -> None:
        """Close the session (its holder task exits)."""
        self._scope.cancel()


class Sessions:
    """Opens sessions to ``target``, recording each opening's duration into ``initialize``."""

    def __init__(
        self,
        target: ServerTarget,
        nursery: trio.Nursery,
        initialize: LatencyHistogram,
        clock_ns: Callable[[], int] = time.perf_counter_ns,
    ) -> None:
        self.target = target
        self.initialize = initialize
        self.clock_ns = clock_ns
        self._nursery = nursery
        self._free: list[Held] = []
        self._by_vu: dict[int, Held] = {}

    async def open(self) -> Held:
        """A new kept session; its opening's error (an ``McpctlError``) is raised here."""
        held: Held = await self._nursery.start(self._hold)
        return held

    async def _hold(self, *, task_status: trio.TaskStatus[Held]) -> None:
        with trio.CancelScope() as scope:
            start = self.clock_ns()
            async with open_client(self.target, connect_timeout=CONNECT_TIMEOUT) as client:
                self.initialize.record(self.clock_ns() - start)
                task_status.started(Held(client, scope))
                await trio.sleep_forever()

    async def for_vu(self, vu: int) -> Held:
        """The session of virtual user ``vu`` (opened at its first use)."""
        held = self._by_vu.get(vu)
        if held is None:
            held = self._by_vu[vu] = await self.open()
        return held

    async def open_vus(self, count: int, *, at_once: int = 32) -> None:
        """Open the sessions of users 0 .. count-1 before the load starts (``at_once`` opening together).

        Raises the first opening's error, if any.
        """
        errors: list[McpctlError] = []
        limiter = trio.CapacityLimiter(at_once)

        async def one(vu: int) -> None:
            async with limiter:
                try:
                    self._by_vu[vu] = await self.open()
                except McpctlError as error:
                    errors.append(error)

        async with trio.open_nursery() as nursery:
            for vu in range(count):
                nursery.start_soon(one, vu)
        if errors:
            raise errors[0]

    def drop_vu(self, vu: int) -> None:
        """Close ``vu``'s session (it broke); its next iteration opens another."""
        held = self._by_vu.pop(vu, None)
        if held is not None:
            held.close()

    async def take(self) -> Held:
        """A free session of the open model's pool, or a new one."""
        return self._free.pop() if self._free else await self.open()

    def give_back(self, held: Held) -> None:
        """Return a session to the pool after its request."""
        self._free.append(held)
