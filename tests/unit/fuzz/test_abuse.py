"""The protocol checks against fake servers: a correct one passes them all; one that dies, hangs,
answers garbage or answers an unknown method wrongly is caught by the check that provokes it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence

import pytest
import trio

from mcpctl.engine.fuzz.abuse import CHECKS, abuse, run_check
from mcpctl.errors import ProtocolError, ServerExited
from mcpctl.mcp.jsonrpc import Message
from mcpctl.mcp.transports.base import Failed, Incoming

Answer = Callable[[Message], list[Incoming] | None]


def correct(msg: Message) -> list[Incoming] | None:
    if "id" not in msg or "method" not in msg:
        return []
    if msg["method"] in ("initialize", "ping", "tools/list"):
        return [{"jsonrpc": "2.0", "id": msg["id"], "result": {"protocolVersion": "2025-11-25"}}]
    return [{"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32601, "message": "Method not found"}}]


class FakeServer:
    """A transport whose far end is ``answer``: a list of items to deliver, or None to die."""

    unbound_responses = True

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.send_channel, self.receive_channel = trio.open_memory_channel[list[Incoming] | None](10_000)

    async def send(self, messages: Sequence[Message]) -> None:
        for msg in messages:
            self.send_channel.send_nowait(self.answer(msg))

    async def send_batch(self, messages: Sequence[Message]) -> None:
        await self.send(messages)

    async def receive(self) -> list[Incoming]:
        items = await self.receive_channel.receive()
        if items is None:
            raise ServerExited("server closed its stdout", returncode=1)
        return items

    def negotiated(self, *, protocol_version: str, era: str) -> None:
        pass

    def diagnostics(self) -> str:
        return ""

    async def aclose(self) -> None:
        pass


def opener(answer: Answer) -> Callable[[], contextlib.AbstractAsyncContextManager[FakeServer]]:
    @contextlib.asynccontextmanager
    async def open_fake() -> AsyncIterator[FakeServer]:
        yield FakeServer(answer)

    return open_fake


async def test_a_correct_server_passes_every_check() -> None:
    findings, notes = await abuse(opener(correct), timeout=1)  # type: ignore[arg-type]
    assert (findings, notes) == ([], [])


def check(name: str):
    return next(c for c in CHECKS if c.name == name)


async def test_an_unknown_method_must_be_answered_with_32601() -> None:
    def lenient(msg: Message) -> list[Incoming] | None:
        if msg.get("method") == "mcpctl/fuzz/no-such-method":
            return [{"jsonrpc": "2.0", "id": msg["id"], "result": {}}]
        return correct(msg)

    finding = await run_check(check("unknown method"), opener(lenient), 1)  # type: ignore[arg-type]
    assert (finding.kind, finding.target, finding.detail) == (  # type: ignore[union-attr]
        "protocol-violation",
        "protocol: unknown method",
        "an unknown method was answered with a result, not error -32601",
    )
    assert finding.reproducer.splitlines()[-1] == (  # type: ignore[union-attr]
        '{"jsonrpc":"2.0","id":2,"method":"mcpctl/fuzz/no-such-method"}'
    )


async def test_a_server_that_dies_on_a_bad_id_is_a_crash() -> None:
    def fragile(msg: Message) -> list[Incoming] | None:
        return None if isinstance(msg.get("id"), dict) else correct(msg)

    finding = await run_check(check("bad request ids"), opener(fragile), 1)  # type: ignore[arg-type]
    assert (finding.kind, finding.detail) == (  # type: ignore[union-attr]
        "crash",
        "the server died after requests with ids null, an object, 1.5, true and a 100 kB string: "
        "server closed its stdout (exit code 1)",
    )


async def test_unanswered_concurrent_requests_are_a_hang(autojump_clock: trio.abc.Clock) -> None:
    def slow(msg: Message) -> list[Incoming] | None:
        return [] if str(msg.get("id", "")).startswith("c-9") else correct(msg)

    finding = await run_check(check("1000 concurrent requests"), opener(slow), 10)  # type: ignore[arg-type]
    assert (finding.kind, finding.detail) == ("hang", "111 of 1000 concurrent pings unanswered within 10s")  # type: ignore[union-attr]


@pytest.mark.parametrize("name", [c.name for c in CHECKS if c.handshake])
async def test_garbage_is_a_non_json_rpc_answer(name: str, autojump_clock: trio.abc.Clock) -> None:
    def garbled(msg: Message) -> list[Incoming] | None:
        if msg.get("method") == "initialize":
            return correct(msg)
        return [Failed(None, ProtocolError("server sent invalid JSON: nope"))]

    finding = await run_check(check(name), opener(garbled), 1)  # type: ignore[arg-type]
    assert finding.kind == "non-json-rpc"  # type: ignore[union-attr]
    assert finding.detail.startswith("server sent invalid JSON: nope (")  # type: ignore[union-attr]


async def test_a_server_that_refuses_the_handshake_skips_the_checks_that_need_it() -> None:
    def closed(msg: Message) -> list[Incoming] | None:
        if "id" not in msg:
            return []
        return [{"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32600, "message": "no"}}]

    findings, notes = await abuse(opener(closed), timeout=1)  # type: ignore[arg-type]
    assert findings == []
    assert notes[0] == "unknown method: skipped (the server did not complete a raw initialize handshake)"
    assert len(notes) == 5
