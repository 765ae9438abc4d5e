"""The stdio fault proxy: an MCP stdio server that runs the real one behind it and injects faults.

A client launches ``mcpctl proxy --faults F -- COMMAND`` in place of ``COMMAND``; the proxy starts
``COMMAND`` (see :mod:`.stdio_upstream`) and relays newline-delimited JSON-RPC both ways. Each
client request goes through :meth:`Injector.decide`; one that passes goes on as the exact bytes it
came in, as does everything not tied to a fault (notifications, answers to server requests,
batches, server frames, frames that are not JSON: the proxy is not a validator).

Faults acted out on stdio: ``latency`` (the request waits in its own task), ``reset`` (the
connection drops: the proxy stops the server, closes its stdout and returns 0), ``hang`` (no
answer, ever), ``rate_limit`` (a -32000 error with ``retryAfter``), ``malformed`` (the answer is
spoiled), ``crash`` (the server is SIGKILLed with the request in flight; then the proxy exits 1,
or answers what was in flight with -32603, restarts the server, replays the client's
``initialize`` and goes on) and ``slow_start`` (client frames are held after each start).

Exit codes: the server's own when it exits by itself (128 + N if a signal N killed it), 0 when
the client closes stdin or a ``reset`` drops the connection, 1 after a ``crash`` without restart,
128 + N on SIGTERM or SIGHUP (handled only when serving the process's own stdin and stdout).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence

import orjson
import trio

from mcpctl.engine.faults.injector import Decision, Injector, Request
from mcpctl.engine.faults.stdio_flight import NL, InFlight, rate_limited
from mcpctl.engine.faults.stdio_upstream import LineReader, Outlet, Upstream
from mcpctl.errors import ServerStartError
from mcpctl.mcp.jsonrpc import Message, classify, encode

DRAIN = 1.0
"""Seconds the server has, after the client closed stdin, to answer what it still owes and exit."""
REPLAY_TIMEOUT = 10.0
"""Seconds a restarted server has to answer the replayed ``initialize``."""
_loads = orjson.loads
_JSONError = orjson.JSONDecodeError


async def run_stdio_proxy(
    command: Sequence[str],
    injector: Injector,
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    stdin: trio.abc.ReceiveStream | None = None,
    stdout: trio.abc.SendStream | None = None,
) -> int:
    """Serve MCP over ``stdin``/``stdout`` (default: this process's fds 0 and 1) by relaying to
    ``command``, injecting ``injector``'s faults; return the exit code (see the module docstring).

    The server is stopped on every way out, cancellation included. Raises ``ServerStartError`` if
    ``command`` cannot be started. With ``stdout`` defaulted, fd 1 is pointed at ``/dev/null`` when
    the connection ends, so that the client sees the end at once, not when this process exits.
    """
    own_stdio = stdin is None and stdout is None
    client_in = stdin if stdin is not None else trio.lowlevel.FdStream(os.dup(0))
    client_out = stdout if stdout is not None else trio.lowlevel.FdStream(os.dup(1))
    proxy = _Proxy(command, injector, env=env, cwd=cwd, stdin=client_in, stdout=client_out)
    proxy.own_stdout = stdout is None  # fd 1 is the client's pipe: the connection's end must close it
    try:
        return await proxy.run(signals=own_stdio and threading.current_thread() is threading.main_thread())
    finally:
        with trio.CancelScope(shield=True):
            if stdin is None:
                await client_in.aclose()
            if stdout is None:
                await client_out.aclose()


class _Proxy:
    """One proxy run: the client's pipes, the current server life, and the requests in flight."""

    def __init__(
        self,
        command: Sequence[str],
        injector: Injector,
        *,
        env: Mapping[str, str] | None,
        cwd: str | None,
        stdin: trio.abc.ReceiveStream,
        stdout: trio.abc.SendStream,
    ) -> None:
        self.command, self.env, self.cwd = list(command), env, cwd
        self.injector = injector
        self.client_in = LineReader(stdin)
        self.client_out = Outlet(stdout)
        self.lives: list[Upstream] = []
        self.upstream: Upstream | None = None
        self.ready = trio.Event()
        """Set while client frames may go to the server (not while it is down or slow-starting)."""
        # crash faults answer every request in flight: only then is every request kept
        self.inflight = InFlight(injector, track_all=any(f["kind"] == "crash" for f in injector.status()))
        self.init_request: Message | None = None
        self.initialized: bytes | None = None
        self.client_closed = False
        self.code: int | None = None
        self.nursery: trio.Nursery | None = None
        self.own_stdout = False

    # -- life cycle -------------------------------------------------------------------------------

    async def run(self, *, signals: bool) -> int:
        first = await Upstream.spawn(self.command, env=self.env, cwd=self.cwd, life=1)
        self.lives.append(first)
        try:
            async with trio.open_nursery() as nursery:
                self.nursery = nursery
                self._begin(first, restarted=False)
                nursery.start_soon(self._read_client)
                if signals:
                    nursery.start_soon(self._watch_signals)
        finally:
            with trio.CancelScope(shield=True):
                await self._close_client()
                for life in self.lives:
                    await life.stop()
        return self.code if self.code is not None else 0

    async def _close_client(self) -> None:
        await self.client_out.aclose()
        if self.own_stdout:
            # fd 1 is the client's pipe too: point it at /dev/null so that the client sees the end now
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.close(devnull)

    def finish(self, code: int) -> None:
        """End the run with ``code`` (the first call wins): the nursery is cancelled, cleanup follows."""
        if self.code is None:
            self.code = code
        self.ready.set()  # frames waiting for the server must not wait for ever
        if self.nursery is not None:
            self.nursery.cancel_scope.cancel()

    def _begin(self, upstream: Upstream, *, restarted: bool) -> None:
        assert self.nursery is not None
        self.upstream = upstream
        self.nursery.start_soon(self._serve_life, upstream)
        self.nursery.start_soon(self._warm_up, upstream, restarted)

    async def _warm_up(self, upstream: Upstream, restarted: bool) -> None:
        """Hold client frames for ``slow_start``; after a restart, initialize the new server as the
        client did; then let client frames through."""
        delay = self.injector.slow_start()
        if delay > 0:
            self.injector.slowed(delay)
            await trio.sleep(delay)
        if restarted:
            await self._replay(upstream)
            self.injector.restarted()
        if self.upstream is upstream and not upstream.killed:
            self.ready.set()

    async def _replay(self, upstream: Upstream) -> None:
        if self.init_request is None:
            return  # the client never initialized (a stateless era): nothing to repeat
        own_id = f"mcpctl-proxy-initialize-{upstream.life}"
        answered = self.inflight.own(own_id)
        await upstream.stdin.write(encode({**self.init_request, "id": own_id}) + NL)
        with trio.move_on_after(REPLAY_TIMEOUT):
            await answered.wait()
        if self.initialized is not None:
            await upstream.stdin.write(self.initialized + NL)

    async def _serve_life(self, upstream: Upstream) -> None:
        """Relay the server's frames until its stdout ends; then it exited by itself (or the client's
        end of input made it exit)."""
        with upstream.scope:
            async with trio.open_nursery() as nursery:
                timer = self.injector.crash_timer()
                if timer is not None:
                    nursery.start_soon(self._crash_timer, upstream, *timer)
                await self._read_server(upstream)
                nursery.cancel_scope.cancel()
            with trio.move_on_after(DRAIN):
                await upstream.process.wait()
            self.finish(0 if self.client_closed else upstream.exit_code)

    async def _crash_timer(self, upstream: Upstream, name: str, seconds: float) -> None:
        await trio.sleep(seconds)
        self.injector.crashed_on_timer(name)
        self._crash(name)

    async def _watch_signals(self) -> None:
        with trio.open_signal_receiver(signal.SIGTERM, signal.SIGHUP) as received:
            async for signum in received:
                self.finish(128 + signum)

    # -- crashes ------------------------------------------------------------------------------------

    def _crash(self, name: str) -> None:
        """Kill the server now, requests in flight; restart it or end the run, as fault ``name`` says."""
        upstream = self.upstream
        if upstream is None or upstream.killed or self.code is not None:
            return
        upstream.kill()
        if self.ready.is_set():
            self.ready = trio.Event()
        answers = self.inflight.crashed(name)
        if not self.injector.crash(name).restart:
            self.finish(1)
            return
        assert self.nursery is not None
        self.nursery.start_soon(self._restart, name, upstream, answers)

    async def _restart(self, name: str, dead: Upstream, answers: list[bytes]) -> None:
        await self.client_out.write(b"".join(answers))
        await dead.stop()  # SIGKILLed already: this reaps it and closes its pipes
        await trio.sleep(self.injector.crash(name).restart_delay.seconds)
        try:
            upstream = await Upstream.spawn(self.command, env=self.env, cwd=self.cwd, life=dead.life + 1)
        except ServerStartError as exc:  # the client sees the server gone; stderr says why
            print(f"mcpctl proxy: cannot restart the server: {exc}", file=sys.stderr, flush=True)
            self.finish(1)
            return
        self.lives.append(upstream)
        self._begin(upstream, restarted=True)

    # -- client to server ---------------------------------------------------------------------------

    async def _read_client(self) -> None:
        while (lines := await self.client_in.lines()) is not None:
            await self._from_client(lines)
        await self._client_closed()

    async def _client_closed(self) -> None:
        self.client_closed = True
        upstream = self.upstream
        if upstream is None or upstream.killed or not self.ready.is_set():
            self.finish(0)
            return
        await upstream.stdin.write(self.client_in.rest)  # a last line without a newline
        await upstream.close_stdin()
        await trio.sleep(DRAIN)  # the server's own exit ends the run sooner (see _serve_life)
        self.finish(0)

    async def _from_client(self, lines: list[bytes]) -> None:
        passing: list[bytes] = []
        for line in lines:
            if not self.ready.is_set():
                await self._send_up(passing)
                while not self.ready.is_set():
                    await self.ready.wait()
                if self.code is not None:
                    return
            struck = self._route(line)
            if struck is None:
                passing.append(line)
                continue
            await self._send_up(passing)
            request, decision = struck
            if decision.delay > 0:
                assert self.nursery is not None
                self.nursery.start_soon(self._act, line, request, decision)
            else:
                await self._act(line, request, decision)
        await self._send_up(passing)

    async def _send_up(self, lines: list[bytes]) -> None:
        if lines and self.upstream is not None:
            lines.append(b"")
            await self.upstream.stdin.write(NL.join(lines))
            lines.clear()

    def _route(self, line: bytes) -> tuple[Request, Decision] | None:
        """``None`` when ``line`` goes on unchanged (noted if its answer matters), else the decision."""
        try:
            msg = _loads(line)
        except _JSONError:
            return None
        if type(msg) is not dict or "method" not in msg:
            return None  # a batch, an answer to a server request, or not JSON-RPC: relayed as it is
        if "id" not in msg:
            self._client_notification(msg, line)
            return None
        if classify(msg) != "request":
            return None
        request = Request.of(msg)
        if request.method == "initialize":
            self.init_request = msg
        decision = self.injector.decide(request)
        if decision.passes:
            self.inflight.forwarding(request, None)
            return None
        return request, decision

    def _client_notification(self, msg: Message, line: bytes) -> None:
        method = msg["method"]
        if method == "notifications/initialized":
            self.initialized = line
        elif method == "notifications/cancelled" and self.inflight.calls:
            self.inflight.cancelled(msg.get("params"))

    async def _act(self, line: bytes, request: Request, decision: Decision) -> None:
        """Act a decision out: wait, then end the call or forward it; then crash the server if asked."""
        if decision.delay > 0:
            await trio.sleep(decision.delay)
            while not self.ready.is_set():
                await self.ready.wait()
            if self.code is not None:
                return
        action = decision.action
        if action == "rate_limit":
            await self.client_out.write(rate_limited(request, decision))
        elif action == "reset" and not decision.reset_after:
            self.finish(0)
            return
        elif not (action == "hang" and not decision.forward) and self.upstream is not None:
            self.inflight.forwarding(request, decision if action is not None else None)
            await self.upstream.stdin.write(line + NL)
        if decision.crash:
            self._crash(decision.crash)

    # -- server to client ---------------------------------------------------------------------------

    async def _read_server(self, upstream: Upstream) -> None:
        out = self.client_out
        while (lines := await upstream.stdout.lines()) is not None:
            if not self.inflight.calls:  # the pass path: nothing to look at
                lines.append(b"")
                await out.write(NL.join(lines))
                continue
            relayed: list[bytes] = []
            for line in lines:
                if not self.inflight.relay(line, relayed):
                    await out.write(b"".join(relayed))
                    self.finish(0)  # a reset after the server answered: the connection drops
                    return
            await out.write(b"".join(relayed))
        await out.write(upstream.stdout.rest)  # a last frame cut short stays cut short
