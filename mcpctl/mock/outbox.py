"""Requests a mock sends its client during a call (``sampling/createMessage``, ``elicitation/create``,
``roots/list``, ``ping``), and the client's responses routed back to the call that waits for them.

A request goes out through the call's ``related`` channel (stdout on stdio; the POST's event stream
over Streamable HTTP); the response arrives as an ordinary incoming message, which the session hands
to :meth:`Outbox.deliver`. Ids count from 1 per session: they only need to be unique in this
direction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import trio

from mcpctl.mcp.jsonrpc import JSONValue, Message, RequestId, request
from mcpctl.mock.session import Notify, Undeliverable

CAPABILITY = {
    "sampling/createMessage": "sampling",
    "elicitation/create": "elicitation",
    "roots/list": "roots",
}
"""The client capability each request needs (``ping`` needs none)."""


class AskFailed(Exception):
    """The client could not or would not answer: the reason, as the call's error text says it."""


@dataclass(slots=True)
class _Waiting:
    done: trio.Event = field(default_factory=trio.Event)
    answer: Message | None = None


class Outbox:
    """One session's requests to its client that still wait for a response."""

    def __init__(self) -> None:
        self._last = 0
        self._waiting: dict[RequestId, _Waiting] = {}

    async def ask(
        self, method: str, params: Message, related: Notify, *, timeout: float, client_caps: JSONValue
    ) -> Message:
        """Send ``method`` to the client and return its result; :class:`AskFailed` says why not."""
        needed = CAPABILITY.get(method)
        if needed is not None and not (isinstance(client_caps, dict) and needed in client_caps):
            raise AskFailed(f"the client does not support {method} (no {needed} capability)")
        self._last += 1
        request_id = self._last
        waiting = self._waiting[request_id] = _Waiting()
        try:
            await related(request(request_id, method, params))
            with trio.move_on_after(timeout):
                await waiting.done.wait()
        except Undeliverable:
            raise AskFailed(f"{method} cannot reach the client on this transport") from None
        finally:
            del self._waiting[request_id]
        return _result(method, waiting.answer, timeout)

    def deliver(self, message: Message) -> bool:
        """Hand a client's response to the call waiting for it; ``False`` if none waits."""
        waiting = self._waiting.get(message.get("id"))  # type: ignore[arg-type]
        if waiting is None or waiting.done.is_set():
            return False
        waiting.answer = message
        waiting.done.set()
        return True


def _result(method: str, answer: Message | None, timeout: float) -> Message:
    if answer is None:
        raise AskFailed(f"the client did not answer {method} within {timeout:g}s")
    problem = answer.get("error")
    if problem is not None:
        text = problem.get("message") if isinstance(problem, dict) else problem
        code = problem.get("code") if isinstance(problem, dict) else None
        raise AskFailed(f"the client refused {method}: {text} ({code})")
    found = answer.get("result")
    return found if isinstance(found, dict) else {}
