"""A closed loop of requests kept ``depth`` in flight on one session: the load-generation path.

Each answer, routed by the session's reader task, immediately queues the next request from
inside that task; the reader sends everything queued once it has routed a batch. There is no
task per request and no wake-up per answer, so at depth 64 the cost per call is parsing one
answer and serialising one request — close to a hand-written client (bench/client_throughput.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import trio

from mcpctl.mcp.jsonrpc import Message
from mcpctl.mcp.session import ClientSession, Reply

MakeRequest = Callable[[int], tuple[str, Message | None]]
"""Given the sequence number of a call, the ``(method, params)`` to send."""


@dataclass(slots=True)
class LoopStats:
    """What a closed loop did; ``on_reply`` sees every reply as it arrives."""

    sent: int = 0
    ok: int = 0
    failed: int = 0
    started_ns: int = 0
    finished_ns: int = 0

    @property
    def seconds(self) -> float:
        return (self.finished_ns - self.started_ns) / 1e9


async def run_closed_loop(
    session: ClientSession,
    make_request: MakeRequest,
    *,
    depth: int,
    count: int | None = None,
    duration: float | None = None,
    on_reply: Callable[[Reply], None] | None = None,
) -> LoopStats:
    """Keep ``depth`` requests in flight until ``count`` were sent or ``duration`` seconds passed.

    Returns when every request sent has been answered (or failed).
    """
    if depth < 1:
        raise ValueError("depth must be at least 1")
    stats = LoopStats(started_ns=time.perf_counter_ns())
    deadline_ns = stats.started_ns + int(duration * 1e9) if duration is not None else None
    limit = count if count is not None else -1
    done = trio.Event()
    in_flight = 0

    request_nowait = session.request_nowait
    now = time.perf_counter_ns

    def more() -> bool:
        if stats.sent == limit or session.closed is not None:
            return False
        return deadline_ns is None or now() < deadline_ns

    def issue() -> None:
        nonlocal in_flight
        method, params = make_request(stats.sent)
        stats.sent += 1
        in_flight += 1
        request_nowait(method, params, done=answered)

    def answered(reply: Reply) -> None:
        nonlocal in_flight
        in_flight -= 1
        if reply.error is None:
            stats.ok += 1
        else:
            stats.failed += 1
        if on_reply is not None:
            on_reply(reply)
        if more():
            issue()
        elif in_flight == 0:
            stats.finished_ns = now()
            done.set()

    for _ in range(depth):
        if not more():
            break
        issue()
    if in_flight == 0:
        stats.finished_ns = now()
        return stats
    await session.flush()
    await done.wait()
    return stats
