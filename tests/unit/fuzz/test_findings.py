"""Judging one call's outcome: stack traces in four languages, crashes, hangs, garbage, accepted
invalid inputs, internal errors on valid ones; and one finding per problem."""

from __future__ import annotations

import pytest

from mcpctl.engine.fuzz.findings import Finding, deduplicated, judge_error, judge_result, leaked_trace
from mcpctl.errors import ProtocolError, RequestTimeout, RpcError, ServerExited

PYTHON = 'Traceback (most recent call last):\n  File "/srv/app.py", line 3, in run\nKeyError: 1'
NODE = (
    "TypeError: x is undefined\n    at lookup (/srv/index.js:10:5)\n    at async main (file:///srv/a.mjs:2:1)"
)
JAVA = "java.lang.NullPointerException\n\tat com.example.Tools.call(Tools.java:42)"
GO = "panic: boom\n\ngoroutine 1 [running]:\nmain.main()"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (PYTHON, "python: Traceback (most recent call last)"),
        ('error in File "x.py", line 7', 'python: File "x.py", line 7'),
        (NODE, "node: at lookup (/srv/index.js:10:5)"),
        (JAVA, "java: at com.example.Tools.call(Tools.java:42)"),
        (GO, "go: goroutine 1 [running]:"),
    ],
)
def test_stack_traces_are_recognised(text: str, found: str) -> None:
    assert leaked_trace(text) == found


@pytest.mark.parametrize(
    "text",
    ["Invalid arguments: limit must be <= 50", "meet at 10:30 tomorrow", "file not found: /tmp/x.py", ""],
)
def test_ordinary_messages_are_not_stack_traces(text: str) -> None:
    assert leaked_trace(text) is None


def test_a_trace_in_an_error_result_is_a_finding() -> None:
    verdict = judge_result(
        {"content": [{"type": "text", "text": PYTHON}], "isError": True}, valid=True, case="x"
    )
    assert (verdict.kind, verdict.detail) == (
        "stack-trace",
        "the result's text holds a stack trace (python: Traceback (most recent call last))",
    )


def test_success_for_an_invalid_input_is_accepted_invalid() -> None:
    ok = {"content": [{"type": "text", "text": "ok"}]}
    verdict = judge_result(ok, valid=False, case="limit: wrong type (integer expected)")
    assert (verdict.kind, verdict.signature) == ("accepted-invalid", "wrong type")
    assert judge_result(ok, valid=True, case="x").kind is None
    assert judge_result({**ok, "isError": True}, valid=False, case="x").kind is None


def test_json_rpc_errors() -> None:
    assert judge_error(RpcError(code=-32602, message="bad limit"), valid=False).kind is None
    assert judge_error(RpcError(code=-32603, message="oops"), valid=False).kind is None
    internal = judge_error(RpcError(code=-32603, message="oops"), valid=True)
    assert (internal.kind, internal.detail) == ("internal-error", "a valid input got error -32603: oops")
    leaked = judge_error(RpcError(code=-32602, message="bad", data=NODE), valid=False)
    assert leaked.kind == "stack-trace"


def test_transport_failures_need_a_new_connection() -> None:
    crash = judge_error(ServerExited("server closed its stdout", returncode=1), valid=True)
    assert (crash.kind, crash.detail, crash.reconnect) == (
        "crash",
        "server closed its stdout (exit code 1)",
        True,
    )
    hang = judge_error(RequestTimeout(method="tools/call", timeout=2), valid=True)
    assert (hang.kind, hang.detail, hang.reconnect) == (
        "hang",
        "tools/call: no answer within 2s (request cancelled)",
        True,
    )
    assert judge_error(ProtocolError("server sent invalid JSON"), valid=True).kind == "non-json-rpc"


def _finding(case: str, signature: str) -> Finding:
    return Finding(kind="crash", target="t", case=case, detail="d", reproducer="r", signature=signature)


def test_findings_are_deduplicated_by_kind_target_and_signature() -> None:
    merged = deduplicated([_finding("a", "x"), _finding("b", "x"), _finding("c", "y")])
    assert [(f.case, f.count) for f in merged] == [("a", 2), ("c", 1)]
