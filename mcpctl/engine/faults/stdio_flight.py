"""Requests in flight through the stdio fault proxy, and what their answers become on the way back.

Only requests whose answer matters are kept: those a fault acts on (``hang``, ``malformed``,
``reset`` after), ``tools/list`` (the injector learns the tools), the proxy's own replayed
``initialize``, and every request while a ``crash`` fault exists (a crash answers them all). With
nothing kept, the proxy relays the server's frames without parsing them.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import trio

from mcpctl.engine.faults.injector import Decision, Injector, Request
from mcpctl.engine.faults.spoil import spoil
from mcpctl.mcp.jsonrpc import INTERNAL_ERROR, JSONValue, Message, encode, error

RATE_LIMITED = -32000
NL = b"\n"


@dataclass(slots=True)
class Call:
    """A forwarded request whose answer the proxy must see."""

    request: Request
    decision: Decision | None = None
    """The fault decision to act out on the answer; ``None``: relay it (tracked for crashes or tools)."""
    own: trio.Event | None = None
    """Set when the answer comes: a request of the proxy's own, whose answer the client never sees."""


class InFlight:
    """The kept requests by id, and the injector that hears what became of them."""

    def __init__(self, injector: Injector, *, track_all: bool) -> None:
        self.injector = injector
        self.track_all = track_all
        self.calls: dict[JSONValue, Call] = {}

    def forwarding(self, request: Request, decision: Decision | None) -> None:
        """``request`` goes to the server now; keep it if its answer or its loss matters."""
        watched = decision is not None or self.track_all or request.method == "tools/list"
        if watched and type(request.id) in (int, str):
            self.calls[request.id] = Call(request=request, decision=decision)
        if request.method == "tools/call":
            self.injector.forwarded(request)

    def own(self, request_id: str) -> trio.Event:
        """Keep a request of the proxy's own; the event is set when its answer comes (and dropped)."""
        answered = trio.Event()
        self.calls[request_id] = Call(request=Request(method="initialize", id=request_id), own=answered)
        return answered

    def cancelled(self, params: JSONValue) -> None:
        """The client gave up on a request (``notifications/cancelled``): a plain one may never be
        answered, so it is forgotten (a fault's stays: its answer is still acted on if it comes)."""
        request_id = params.get("requestId") if isinstance(params, dict) else None
        call = self.calls.get(request_id) if type(request_id) in (int, str) else None
        if call is not None and call.decision is None and call.own is None:
            del self.calls[request_id]

    def crashed(self, name: str) -> list[bytes]:
        """Forget every request: the server died with them (crash ``name``). Returns the -32603 errors
        that answer them if it is restarted (a hung request stays unanswered)."""
        calls = [call for call in self.calls.values() if call.own is None]
        self.calls.clear()
        answers = []
        for call in calls:
            decision = call.decision
            if decision is not None and decision.action == "hang":
                self.injector.lost(call.request, decision.fault)
                continue
            self.injector.lost(call.request, name)
            message = f"Server crashed (fault {name}); mcpctl proxy is restarting it"
            answers.append(encode(error(call.request.id, INTERNAL_ERROR, message)) + NL)
        return answers

    def relay(self, line: bytes, out: list[bytes]) -> bool:
        """Add what the client gets for the server's frame ``line`` to ``out``; ``False``: a ``reset``
        after the server answered: the connection drops now."""
        try:
            msg = orjson.loads(line)
        except orjson.JSONDecodeError:
            msg = None
        request_id = msg.get("id") if type(msg) is dict and "method" not in msg else None
        call = self.calls.pop(request_id, None) if type(request_id) in (int, str) else None
        if call is None:
            out.append(line + NL)
            return True
        assert type(msg) is dict
        return self._answered(call, msg, line, out)

    def _answered(self, call: Call, answer: Message, line: bytes, out: list[bytes]) -> bool:
        request, decision = call.request, call.decision
        result = answer.get("result")
        if (
            request.method == "tools/list"
            and isinstance(result, dict)
            and isinstance(result.get("tools"), list)
        ):
            self.injector.learn_tools(result["tools"])
        if call.own is not None:
            call.own.set()
        elif decision is None or decision.action not in ("hang", "malformed", "reset"):
            out.append(line + NL)
        elif decision.action == "malformed":
            assert decision.malformed is not None
            schema = self.injector.output_schema(request.tool)
            spoiled = spoil(answer, decision.malformed, size=decision.size, output_schema=schema)
            out.extend(frame + NL for frame in spoiled.frames)
        else:
            self.injector.lost(request, decision.fault)
            return decision.action == "hang"
        return True


def rate_limited(request: Request, decision: Decision) -> bytes:
    """The error line that refuses ``request`` for a ``rate_limit`` decision."""
    wait = round(decision.retry_after, 3)
    message = f"Rate limited by mcpctl proxy (fault {decision.fault}): retry after {wait:.3f}s"
    return encode(error(request.id, RATE_LIMITED, message, {"retryAfter": wait})) + NL
