"""One probe of one server: send the probe, time it, check its ``expect``, and name the outcome.

Outcomes: ``ok``; ``error`` (a JSON-RPC error, a broken session or an answer failing ``expect``, checked
by the TestSuite's own :func:`check_answer` / :func:`check_listing`); ``timeout`` (no answer within the
server's ``timeout``, connecting aside); ``connect_failed`` (the server could not be started or reached, or the handshake
failed): only those count toward ``offlineAfter``.

A ``keep`` session is opened at the first probe and reused until it breaks, held by a task of the
caller's nursery (the client's nursery outlives the probe), its opening bounded by the handshake timeout. A ``per-probe`` session also measures connect and initialize (``connect_ns``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import trio

from mcpctl.engine.expect import Answer, RpcFailure, check_answer
from mcpctl.engine.listing import check_listing
from mcpctl.errors import McpctlError, RpcError
from mcpctl.mcp.client import Client, ServerTarget, open_client
from mcpctl.mcp.jsonrpc import JSONValue, Message
from mcpctl.spec.monitor_model import Probe

Outcome = Literal["ok", "error", "timeout", "connect_failed"]
CONNECT_TIMEOUT = 30.0
"""Seconds a session may take to open: generous, since many stdio servers starting at once on a small
machine (a fleet monitor's first seconds) take a while, and giving up only starts them all again."""
OUTCOMES: tuple[Outcome, ...] = ("ok", "error", "timeout", "connect_failed")


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    """What one probe measured."""

    ts: float
    """Unix time the probe started."""
    outcome: Outcome
    latency_ns: int | None = None
    """The probe request's round trip, when it was answered (ok or error)."""
    connect_ns: int | None = None
    """Connect and initialize, when this probe opened the session."""
    message: str = ""
    """Why it was not ok."""


class Prober:
    """Probes one target with one probe; keeps the session between probes when ``keep``."""

    def __init__(
        self,
        target: ServerTarget,
        probe: Probe,
        *,
        timeout: float,
        keep_in: trio.Nursery | None = None,
    ) -> None:
        """``keep_in``: keep one session, held by a task of this nursery; ``None``: a session per probe."""
        self.target = target
        self.probe = probe
        self.timeout = timeout
        self.connect_timeout = max(timeout, CONNECT_TIMEOUT)
        """Starting a server and the handshake may take longer than a probe (a Python server: ~0.5 s)."""
        self._nursery = keep_in
        self._client: Client | None = None
        self._release = trio.Event()

    async def run(self, ts: float) -> Sample:
        """Probe once; never raises for what a server does (cancellation passes through)."""
        if self._nursery is not None:
            return await self._run_kept(ts, self._nursery)
        start = time.perf_counter_ns()
        try:
            async with open_client(self.target, connect_timeout=self.connect_timeout) as client:
                return await self._timed(client, ts, time.perf_counter_ns() - start)
        except (McpctlError, OSError) as exc:
            return Sample(ts=ts, outcome="connect_failed", message=_text(exc))

    async def _timed(self, client: Client, ts: float, connect_ns: int | None) -> Sample:
        with trio.move_on_after(self.timeout):
            return await self._send(client, ts, connect_ns)
        message = f"no answer within {self.timeout:g}s"
        return Sample(ts=ts, outcome="timeout", connect_ns=connect_ns, message=message)

    async def _run_kept(self, ts: float, nursery: trio.Nursery) -> Sample:
        connect_ns = None
        if self._client is None or self._client.session.closed is not None:
            self.release()
            start = time.perf_counter_ns()
            opened: Client | BaseException = await nursery.start(self._hold)
            if not isinstance(opened, Client):
                return Sample(ts=ts, outcome="connect_failed", message=_text(opened))
            self._client = opened
            connect_ns = time.perf_counter_ns() - start
        return await self._timed(self._client, ts, connect_ns)

    async def _hold(self, task_status: trio.TaskStatus[Client | BaseException]) -> None:
        """Open the kept session and hold it until released: a task of its own, as the client's nursery
        must be entered and left by the same task, in nesting order."""
        release, started = self._release, False
        try:
            async with open_client(self.target, connect_timeout=self.connect_timeout) as client:
                task_status.started(client)
                started = True
                await release.wait()
        except (McpctlError, OSError) as exc:
            if not started:
                task_status.started(exc)

    def release(self) -> None:
        """Let the kept session (if any) close; the next probe opens another."""
        self._client = None
        self._release.set()
        self._release = trio.Event()

    async def _send(self, client: Client, ts: float, connect_ns: int | None) -> Sample:
        try:
            elapsed_ns, failures = await self._exchange(client)
        except McpctlError as exc:
            return Sample(ts=ts, outcome="error", connect_ns=connect_ns, message=_text(exc))
        outcome: Outcome = "error" if failures else "ok"
        message = failures[0] if failures else ""
        return Sample(ts=ts, outcome=outcome, latency_ns=elapsed_ns, connect_ns=connect_ns, message=message)

    async def _exchange(self, client: Client) -> tuple[int, list[str]]:
        """The round trip in ns and the ``expect`` failures of the answer."""
        probe, start = self.probe, time.perf_counter_ns()
        if probe.kind == "ping":
            await client.ping()
            return time.perf_counter_ns() - start, []
        if probe.kind == "list":
            which = probe.listing or "tools"
            items = await client.list_all(f"{which}/list", which, timeout=self.timeout)
            elapsed = time.perf_counter_ns() - start
            wanted = {"tools": probe.expect.tools, "resources": probe.expect.resources}.get(
                which, probe.expect.prompts
            )
            return elapsed, [f.message for f in check_listing(which, wanted, items)] if wanted else []
        answer = await self._ask(client)
        elapsed = time.perf_counter_ns() - start
        schema: JSONValue = None
        if probe.expect.output_schema and probe.kind == "call" and answer.error is None:
            schema = _schema(await client.list_tools(), probe.tool or "")
        return elapsed, [f.message for f in check_answer(probe.expect, answer, output_schema=schema)]

    async def _ask(self, client: Client) -> Answer:
        probe = self.probe
        kind: Literal["tool", "resource"] = "tool" if probe.kind == "call" else "resource"
        try:
            if probe.kind == "call":
                arguments: dict[str, JSONValue] = dict(probe.arguments)
                result = (await client.call_tool(probe.tool or "", arguments, timeout=self.timeout)).raw
            else:
                result = await client.read_resource(probe.uri or "", timeout=self.timeout)
        except RpcError as exc:
            return Answer(kind=kind, error=RpcFailure(code=exc.code, message=exc.rpc_message, data=exc.data))
        return Answer(kind=kind, result=result)


def _schema(tools: list[Message], name: str) -> JSONValue:
    return next((tool.get("outputSchema") for tool in tools if tool.get("name") == name), None)


def _text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
