"""``mcpctl watch``: a monitor's servers, alerts and events as they happen. With FILE it runs the monitor
itself (serving its endpoints only with ``--listen``); with ``--connect URL`` it follows a running
``mcpctl monitor`` over ``/api/v1/events``, reconnecting where it left off. On a terminal it draws a live
table (:mod:`mcpctl.cli.watch_view`); otherwise, or with ``--output jsonl``, it prints each message of the
stream as one JSON line, the ``hello`` first."""

from __future__ import annotations

import functools
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import orjson
import trio

from mcpctl.cli.handler import EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, run_async
from mcpctl.cli.target import parse_address
from mcpctl.cli.watch_view import WatchView
from mcpctl.engine.monitor.service import ServiceConfig
from mcpctl.errors import TransportError, UsageError
from mcpctl.observe.ws_client import open_event_stream
from mcpctl.spec.build import SpecSet
from mcpctl.spec.monitor_model import MonitorSpec

REFRESH: Final = 0.25
"""Seconds between redraws of the table."""
BACKOFF: Final = (0.5, 1.0, 2.0, 5.0)
"""Seconds before each reconnection attempt in a row (the last repeats)."""

Message = dict[str, object]
Emit = Callable[[Message], None]
Note = Callable[[str], None]


def run_watch(
    paths: Sequence[str],
    *,
    servers_files: Sequence[str],
    name: str | None,
    connect: str | None,
    output: str | None,
    listen: str | None,
    state_dir: Path | None = None,
) -> int:
    """Follow a monitor until interrupted: exit 130 on Ctrl-C, 143 on SIGTERM. With FILE, ``state_dir``
    keeps its alert history (and its acks and silences come from there)."""
    if output not in (None, "table", "jsonl"):
        raise UsageError(f"--output {output!r}: expected table or jsonl")
    if bool(paths) == (connect is not None):
        raise UsageError(
            "give either FILE (run its Monitor here) or --connect URL (a running mcpctl monitor)"
        )
    if connect is not None and listen is not None:
        raise UsageError("--listen serves the endpoints of a Monitor run here: it needs FILE, not --connect")
    table = output != "jsonl" and sys.stdout.isatty()
    if connect is not None:
        url = events_url(connect)
        return _run(lambda emit, note: follow_socket(url, emit, note, since=0 if table else None), table)
    from mcpctl.engine.monitor.service import load

    config = ServiceConfig(
        paths=tuple(paths),
        servers_files=tuple(servers_files),
        name=name,
        listen=None if listen is None else parse_address(listen, option="--listen"),
        state_dir=state_dir,
    )
    loaded = load(config)
    return _run(lambda emit, note: follow_service(config, loaded, emit, note), table)


def events_url(connect: str) -> str:
    """The ``ws://`` URL of the event stream of the monitor at ``connect`` (``http(s)://`` or ``ws(s)://``)."""
    parts = urlsplit(connect if "://" in connect else f"http://{connect}")
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise UsageError(f"--connect {connect!r}: expected the URL of a monitor, e.g. http://127.0.0.1:8081")
    path = parts.path if parts.path not in ("", "/") else "/api/v1/events"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def _run(follow: Callable[[Emit, Note], Awaitable[None]], table: bool) -> int:
    async def main() -> int:
        # handlers of its own, as `mcpctl monitor` has: SIGTERM stops the monitor's servers too
        code = EXIT_OK
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with trio.open_nursery() as nursery:
                draw = _draw_table if table else _print_lines
                nursery.start_soon(draw, follow, nursery.cancel_scope)
                async for signum in signals:
                    code = EXIT_INTERRUPTED if signum == signal.SIGINT else EXIT_TERMINATED
                    nursery.cancel_scope.cancel()
                    break
        if code != EXIT_OK:  # after the table's last frame, not inside it
            print("mcpctl: interrupted", file=sys.stderr, flush=True)
        return code

    return run_async(main)


async def _print_lines(follow: Callable[[Emit, Note], Awaitable[None]], done: trio.CancelScope) -> None:
    def emit(message: Message) -> None:
        try:
            sys.stdout.write(orjson.dumps(message).decode() + "\n")
            sys.stdout.flush()
        except BrokenPipeError:  # `| head`: the reader has all it wanted
            done.cancel()

    def note(text: str) -> None:
        print(f"mcpctl: {text}", file=sys.stderr, flush=True)

    await follow(emit, note)
    done.cancel()


async def _draw_table(follow: Callable[[Emit, Note], Awaitable[None]], done: trio.CancelScope) -> None:
    from rich.console import Console
    from rich.live import Live

    view = WatchView()
    # refreshed from this task, not rich's thread: the view is only ever touched by trio tasks
    with Live(view.render(), console=Console(), auto_refresh=False) as live:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(follow, view.apply, view.note)
            while True:
                live.update(view.render(), refresh=True)
                await trio.sleep(REFRESH)
    done.cancel()


async def follow_service(
    config: ServiceConfig, loaded: tuple[SpecSet, MonitorSpec], emit: Emit, note: Note
) -> None:
    """Run the monitor here and hand every message to ``emit``: the hello, then every event from the first."""
    from mcpctl.engine.monitor.metrics import status
    from mcpctl.engine.monitor.service import run_service

    async with trio.open_nursery() as nursery:
        monitoring = await nursery.start(functools.partial(run_service, config, loaded=loaded))
        if monitoring.port is not None:
            note(f"serving /metrics, /api/v1/status and /api/v1/events on port {monitoring.port}")
        log = monitoring.events
        emit({"type": "hello", "seq": log.last_seq, "status": status(monitoring.state)})
        cursor = 0
        while True:
            batch, missed = log.since(cursor)
            if missed:
                emit({"type": "gap", "missed": missed})
            for event in batch:
                emit(event)
            cursor = max(cursor, log.last_seq if not batch else int(str(batch[-1]["seq"])))
            await log.wait_after(cursor)


async def follow_socket(url: str, emit: Emit, note: Note, *, since: int | None) -> None:
    """Follow the event stream at ``url`` (from after ``since``; ``None``: new events only), reconnecting
    after the last event seen whenever it drops; the first connection failing is an error."""
    from trio_websocket import ConnectionClosed, HandshakeError

    last, attempts, connected = since, 0, False

    def receive(message: Message) -> None:
        nonlocal last, attempts, connected
        connected, attempts = True, 0
        seq, hello = message.get("seq"), message.get("type") == "hello"
        if hello and isinstance(seq, int) and last is not None and seq < last:
            note(f"the monitor restarted (newest event {seq}, {last} seen before): following its new events")
        if isinstance(seq, int) and (not hello or last is None or seq < last):
            last = seq
        emit(message)

    while True:
        why = "closed by the monitor"
        try:
            await _follow_once(url if last is None else f"{url}?since={last}", receive)
        except (ConnectionClosed, HandshakeError, OSError, trio.TooSlowError) as exc:
            if not connected:
                raise TransportError(f"{url}: cannot follow a monitor there: {_why(exc)}") from None
            why = _why(exc)
        delay = BACKOFF[min(attempts, len(BACKOFF) - 1)]
        attempts += 1
        note(f"connection lost ({why}); reconnecting in {delay:g}s after event {last}")
        await trio.sleep(delay)


async def _follow_once(url: str, receive: Emit) -> None:
    async with open_event_stream(url) as ws:
        while True:
            message = orjson.loads(await ws.get_message())
            if isinstance(message, dict):
                receive(message)


def _why(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    if reason is not None and getattr(reason, "code", None) is not None:
        return f"code {reason.code}" + (f": {reason.reason}" if reason.reason else "")
    status = getattr(exc, "status_code", None)
    if status is not None:
        body = (getattr(exc, "body", None) or b"").decode(errors="replace").strip().splitlines()
        return f"HTTP {status}" + (f" {body[0][:200]}" if body else "")
    cause = exc.__cause__ or exc.__context__
    if not str(exc) and cause is not None:
        return _why(cause)
    return str(exc) or type(exc).__name__
