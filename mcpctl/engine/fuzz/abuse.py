"""Protocol abuse: raw JSON-RPC frames a well-behaved client never sends, each check on a connection
of its own (a fresh process for stdio). A server may refuse them; it must not die, hang, or answer
with something that is not JSON-RPC.

The checks speak through the transport directly (not the client session, which would take an
answer to a bad id for a broken stream): :class:`RawPeer` reads every incoming item and lets a
check wait for the answer to one id.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import orjson
import trio

from mcpctl.engine.fuzz.findings import Finding, FindingKind
from mcpctl.errors import ProtocolError, ServerError
from mcpctl.mcp.jsonrpc import METHOD_NOT_FOUND, Message, RequestId, error, result
from mcpctl.mcp.protocol import LATEST_HANDSHAKE_VERSION
from mcpctl.mcp.transports.base import Failed, Transport

OpenTransport = Callable[[], AbstractAsyncContextManager[Transport]]
UNKNOWN_METHOD = "mcpctl/fuzz/no-such-method"
OVERSIZE = 8 * 1024 * 1024
STORM = 100
CONCURRENT = 1000


class RawPeer:
    """One raw connection: frames out, every answer kept by id, garbage and death noted."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.answers: dict[RequestId, Message] = {}
        self.garbage: list[str] = []
        self.dead: ServerError | None = None
        self._changed = trio.Event()

    async def run(self) -> None:
        """Read until the connection ends."""
        try:
            while True:
                for item in await self.transport.receive():
                    await self._take(item)
                self._changed.set()
                self._changed = trio.Event()
        except ServerError as exc:
            self.dead = exc
            self._changed.set()

    async def _take(self, item: Message | Failed) -> None:
        if isinstance(item, Failed):
            if isinstance(item.error, ProtocolError):
                self.garbage.append(str(item.error)[:200])
            return
        if "method" in item and "id" in item:  # a request of the server's: answer, so it never waits
            answer = (
                result(item["id"], {})
                if item["method"] == "ping"
                else error(item["id"], METHOD_NOT_FOUND, "no")
            )
            with contextlib.suppress(ServerError):
                await self.transport.send([answer])
        elif "method" not in item and ("result" in item or "error" in item):
            request_id = item.get("id")
            if isinstance(request_id, str | int):
                self.answers[request_id] = item
        elif "method" not in item:
            self.garbage.append(f"not a JSON-RPC message: {orjson.dumps(item).decode()[:200]}")

    async def send(self, messages: Sequence[Message]) -> None:
        await self.transport.send(messages)

    async def wait(self, ids: Sequence[RequestId], timeout: float) -> list[RequestId]:
        """Wait until every id in ``ids`` is answered, the connection dies or ``timeout`` passes;
        return the ids still unanswered."""
        with trio.move_on_after(timeout):
            while self.dead is None and any(i not in self.answers for i in ids):
                await self._changed.wait()
        return [i for i in ids if i not in self.answers]

    async def initialize(self, timeout: float) -> bool:
        """The handshake, raw; False when the server would not complete it."""
        params = {"protocolVersion": LATEST_HANDSHAKE_VERSION, "capabilities": {}, "clientInfo": _CLIENT}
        await self.send([_request("init", "initialize", params)])
        if await self.wait(["init"], timeout) or "result" not in self.answers["init"]:
            return False
        self.transport.negotiated(protocol_version=LATEST_HANDSHAKE_VERSION, era="handshake")
        await self.send([{"jsonrpc": "2.0", "method": "notifications/initialized"}])
        return True


_CLIENT = {"name": "mcpctl-fuzz", "version": "1"}


def _request(request_id: object, method: str, params: Message | None = None) -> Message:
    msg: Message = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        msg["params"] = params
    return msg


@contextlib.asynccontextmanager
async def open_peer(open_transport: OpenTransport) -> AsyncIterator[RawPeer]:
    """A :class:`RawPeer` on a new connection, reading in the background."""
    async with open_transport() as transport, trio.open_nursery() as nursery:
        peer = RawPeer(transport)
        nursery.start_soon(peer.run)
        try:
            yield peer
        finally:
            nursery.cancel_scope.cancel()


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One protocol check: its name, the frames it sends (for the reproducer) and how it judges."""

    name: str
    frames: str
    handshake: bool
    body: Callable[[RawPeer, float], Awaitable[tuple[FindingKind, str] | None]]


def _finding(check: Check, kind: FindingKind, detail: str) -> Finding:
    return Finding(
        kind=kind,
        target=f"protocol: {check.name}",
        case=check.name,
        detail=detail,
        reproducer=check.frames,
        signature=check.name,
    )


async def run_check(check: Check, open_transport: OpenTransport, timeout: float) -> Finding | str | None:
    """Run ``check`` on a new connection: a finding, a note (the check could not run), or None."""
    try:
        async with open_peer(open_transport) as peer:
            if check.handshake and not await peer.initialize(timeout):
                return f"{check.name}: skipped (the server did not complete a raw initialize handshake)"
            outcome = await check.body(peer, timeout)
            if peer.garbage and (outcome is None or outcome[0] == "hang"):  # garbage explains a hang
                outcome = ("non-json-rpc", f"{peer.garbage[0]} ({len(peer.garbage)} bad frames)")
    except ServerError as exc:
        return _finding(check, "crash", f"the connection failed: {exc}")
    return None if outcome is None else _finding(check, *outcome)


async def _alive(peer: RawPeer, timeout: float, after: str) -> tuple[FindingKind, str] | None:
    """The server still answers ``ping`` on this connection."""
    if peer.dead is None:
        with contextlib.suppress(ServerError):
            await peer.send([_request("alive", "ping")])
        if not await peer.wait(["alive"], timeout):
            return None
    if peer.dead is not None:
        return ("crash", f"the server died after {after}: {peer.dead}")
    return ("hang", f"no answer to ping within {timeout:g}s after {after}")


async def _before_initialize(peer: RawPeer, timeout: float) -> tuple[FindingKind, str] | None:
    await peer.send([_request(1, "tools/list")])
    if not await peer.wait([1], timeout):
        return None
    if peer.dead is not None:
        return ("crash", f"the server died on a request before initialize: {peer.dead}")
    return ("hang", f"no answer within {timeout:g}s to a request sent before initialize")


async def _unknown_method(peer: RawPeer, timeout: float) -> tuple[FindingKind, str] | None:
    await peer.send([_request(2, UNKNOWN_METHOD)])
    if await peer.wait([2], timeout):
        if peer.dead is not None:
            return ("crash", f"the server died on an unknown method: {peer.dead}")
        return ("hang", f"no answer within {timeout:g}s to an unknown method")
    answer = peer.answers[2]
    code = answer["error"].get("code") if isinstance(answer.get("error"), dict) else None
    if code != METHOD_NOT_FOUND:
        got = f"error {code}" if "error" in answer else "a result"
        return ("protocol-violation", f"an unknown method was answered with {got}, not error -32601")
    return None


BAD_IDS: tuple[object, ...] = (None, {"nested": 1}, 1.5, True, "i" * 100_000)


async def _bad_ids(peer: RawPeer, timeout: float) -> tuple[FindingKind, str] | None:
    # Streamable HTTP matches answers to requests by id inside the transport: an object id cannot go
    bad_ids = BAD_IDS if peer.transport.unbound_responses else [b for b in BAD_IDS if not isinstance(b, dict)]
    await peer.send([_request(bad, "ping") for bad in bad_ids])
    return await _alive(peer, timeout, "requests with ids null, an object, 1.5, true and a 100 kB string")


async def _cancel_storm(peer: RawPeer, timeout: float) -> tuple[FindingKind, str] | None:
    frames: list[Message] = []
    for n in range(STORM):
        frames.append(_request(f"storm-{n}", "tools/list"))
        frames.append(
            {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": f"storm-{n}"}}
        )
    await peer.send(frames)
    return await _alive(peer, timeout, f"{STORM} requests each cancelled at once")


async def _oversize(peer: RawPeer, timeout: float) -> tuple[FindingKind, str] | None:
    with contextlib.suppress(ServerError):  # refusing the frame (closing, HTTP 413) is allowed
        await peer.send([_request("big", "ping", {"_meta": {"mcpctl/padding": "x" * OVERSIZE}})])
    return await _alive(peer, timeout, "an 8 MB frame")


async def _concurrent(peer: RawPeer, timeout: float) -> tuple[FindingKind, str] | None:
    ids: list[RequestId] = [f"c-{n}" for n in range(CONCURRENT)]
    await peer.send([_request(i, "ping") for i in ids])
    missing = await peer.wait(ids, timeout)
    if peer.dead is not None:
        return ("crash", f"the server died under {CONCURRENT} concurrent requests: {peer.dead}")
    if missing:
        return ("hang", f"{len(missing)} of {CONCURRENT} concurrent pings unanswered within {timeout:g}s")
    return None


def _frames(*messages: Message) -> str:
    return "\n".join(orjson.dumps(m).decode() for m in messages)


_INIT = _request(
    "init",
    "initialize",
    {"protocolVersion": LATEST_HANDSHAKE_VERSION, "capabilities": {}, "clientInfo": _CLIENT},
)
_INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
_PING = _request("alive", "ping")
CHECKS: tuple[Check, ...] = (
    Check(
        name="request before initialize",
        frames=_frames(_request(1, "tools/list")),
        handshake=False,
        body=_before_initialize,
    ),
    Check(
        name="unknown method",
        frames=_frames(_INIT, _INITIALIZED, _request(2, UNKNOWN_METHOD)),
        handshake=True,
        body=_unknown_method,
    ),
    Check(
        name="bad request ids",
        frames=_frames(_INIT, _INITIALIZED, *[_request(b, "ping") for b in BAD_IDS[:4]])
        + '\n{"jsonrpc":"2.0","id":"<100000 times i>","method":"ping"}\n'
        + _frames(_PING),
        handshake=True,
        body=_bad_ids,
    ),
    Check(
        name="cancellation storm",
        frames=_frames(_INIT, _INITIALIZED)
        + f'\n{STORM} times: {{"jsonrpc":"2.0","id":"storm-N","method":"tools/list"}} + '
        + '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"storm-N"}}\n'
        + _frames(_PING),
        handshake=True,
        body=_cancel_storm,
    ),
    Check(
        name="oversize frame",
        frames=_frames(_INIT, _INITIALIZED)
        + '\n{"jsonrpc":"2.0","id":"big","method":"ping","params":{"_meta":{"mcpctl/padding":"<8 MB of x>"}}}\n'
        + _frames(_PING),
        handshake=True,
        body=_oversize,
    ),
    Check(
        name=f"{CONCURRENT} concurrent requests",
        frames=_frames(_INIT, _INITIALIZED)
        + f'\n{CONCURRENT} times: {{"jsonrpc":"2.0","id":"c-N","method":"ping"}}',
        handshake=True,
        body=_concurrent,
    ),
)


async def abuse(open_transport: OpenTransport, *, timeout: float) -> tuple[list[Finding], list[str]]:
    """Every check, one after another: the findings, and notes on checks that could not run."""
    findings: list[Finding] = []
    notes: list[str] = []
    for check in CHECKS:
        outcome = await run_check(check, open_transport, timeout)
        if isinstance(outcome, Finding):
            findings.append(outcome)
        elif isinstance(outcome, str):
            notes.append(outcome)
    return findings, notes
