"""``expect: mockCalls``: how many calls a mock server answered, read from the mock itself."""

from __future__ import annotations

from collections.abc import Sequence

from mcpctl.engine.expect import Failure, shown
from mcpctl.errors import RpcError
from mcpctl.mcp.client import Client
from mcpctl.mcp.jsonrpc import json_equal
from mcpctl.mcp.protocol import HISTORY_METHOD
from mcpctl.spec.model import MockCallExpect

_SHOWN_CALLS = 10


def _wanted(expect: MockCallExpect) -> str:
    if expect.max == expect.min:
        return f"exactly {expect.min}"
    if expect.max is None:
        return f"at least {expect.min}"
    return f"at most {expect.max}" if expect.min == 0 else f"{expect.min} to {expect.max}"


def _matches(call: object, expect: MockCallExpect) -> bool:
    if not isinstance(call, dict) or call.get("tool") != expect.tool:
        return False
    arguments = call.get("arguments")
    if not isinstance(arguments, dict):
        return not expect.args
    return all(key in arguments and json_equal(arguments[key], value) for key, value in expect.args.items())


async def check_mock_calls(client: Client, expects: Sequence[MockCallExpect]) -> list[Failure]:
    """Every ``mockCalls`` entry against the mock's call history as it is now."""
    failures = []
    for expect in expects:
        try:
            answer = await client.session.request(HISTORY_METHOD, {"tool": expect.tool})
        except RpcError as exc:
            return [
                Failure(
                    message=f"mockCalls: the server keeps no call history ({HISTORY_METHOD}: {exc.rpc_message}); "
                    "mockCalls checks a mock (mcpctl mock serve)"
                )
            ]
        calls = answer.get("calls")
        calls = calls if isinstance(calls, list) else []
        count = sum(1 for call in calls if _matches(call, expect))
        if count < expect.min or (expect.max is not None and count > expect.max):
            with_args = f" with {shown(dict(expect.args))}" if expect.args else ""
            seen = [shown(call.get("arguments")) for call in calls[-_SHOWN_CALLS:] if isinstance(call, dict)]
            details = (f"calls of {expect.tool!r} ({len(calls)}): " + ", ".join(seen),) if seen else ()
            failures.append(
                Failure(
                    message=f"mockCalls: expected {_wanted(expect)} call(s) of {expect.tool!r}{with_args}, got {count}",
                    details=details,
                )
            )
    return failures
