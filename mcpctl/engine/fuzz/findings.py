"""What fuzzing found: the finding record, how one call's outcome is judged, stack-trace detection
and de-duplication."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from mcpctl.errors import (
    McpctlError,
    ProtocolError,
    RequestTimeout,
    RpcError,
    ServerError,
)
from mcpctl.mcp.jsonrpc import INTERNAL_ERROR, JSONValue, Message

FindingKind = Literal[
    "crash", "hang", "non-json-rpc", "stack-trace", "accepted-invalid", "internal-error", "protocol-violation"
]
FINDING_KINDS: tuple[FindingKind, ...] = (
    "crash",
    "hang",
    "non-json-rpc",
    "stack-trace",
    "accepted-invalid",
    "internal-error",
    "protocol-violation",
)

STACK_TRACES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("python", re.compile(r"Traceback \(most recent call last\)")),
    ("python", re.compile(r'File "[^"\n]+", line \d+')),
    ("node", re.compile(r"^\s*at (?:async )?[\w$.<>\[\] ]*\(?[^()\s]+:\d+:\d+\)?\s*$", re.MULTILINE)),
    (
        "java",
        re.compile(
            r"^\s*at (?:[a-zA-Z_$][\w$]*\.)+[\w$<>]+\((?:[\w$.-]+:\d+|Native Method|Unknown Source)\)",
            re.MULTILINE,
        ),
    ),
    ("go", re.compile(r"goroutine \d+ \[[a-z ]+\]:")),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem: ``kind``, the ``target`` (a tool, or a protocol check), the input that caused it,
    what happened, and how to reproduce it (a command line, or the raw JSON-RPC frame)."""

    kind: FindingKind
    target: str
    case: str
    """How the input was made (``query: empty``, ``wrong type``, ``random #3``, a protocol check)."""
    arguments: JSONValue = None
    detail: str
    reproducer: str
    signature: str
    """What makes two findings the same problem, with ``kind`` and ``target``."""
    count: int = 1
    """How many calls showed it (after de-duplication)."""

    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.target, self.signature)


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """How one tool call went: a finding's kind and detail, or ``kind is None`` (nothing wrong)."""

    kind: FindingKind | None
    detail: str = ""
    signature: str = ""
    reconnect: bool = False
    """The connection is gone or unusable: open a new one before the next call."""


def leaked_trace(text: str) -> str | None:
    """The first line of a stack trace found in ``text`` (Python, Node, Java, Go), or None."""
    for language, pattern in STACK_TRACES:
        found = pattern.search(text)
        if found is not None:
            return f"{language}: {found.group(0).strip()[:120]}"
    return None


def texts(result: Message) -> str:
    """The text blocks of a tool result, joined."""
    blocks = result.get("content")
    parts = [b.get("text") for b in blocks if isinstance(b, dict)] if isinstance(blocks, list) else []
    return "\n".join(p for p in parts if isinstance(p, str))


def judge_result(result: Message, *, valid: bool, case: str) -> Verdict:
    """A tool result: a trace leaked in its text, or success for an input the schema rejects."""
    trace = leaked_trace(texts(result))
    if trace is not None:
        return Verdict(
            kind="stack-trace", detail=f"the result's text holds a stack trace ({trace})", signature=trace
        )
    if not valid and result.get("isError") is not True:
        return Verdict(
            kind="accepted-invalid",
            detail="an input the inputSchema rejects was answered with a success result",
            signature=case.split(":", 1)[-1].strip().split(" (")[0],
        )
    return Verdict(kind=None)


def judge_error(error: McpctlError, *, valid: bool) -> Verdict:
    """A failed call: crash, hang, garbage, a leaked trace, or an internal error on a valid input."""
    if isinstance(error, RpcError):
        text = f"{error.rpc_message}\n{error.data if isinstance(error.data, str) else ''}"
        trace = leaked_trace(text)
        if trace is not None:
            return Verdict(
                kind="stack-trace",
                detail=f"error {error.code} holds a stack trace ({trace})",
                signature=trace,
            )
        if error.code == INTERNAL_ERROR and valid:
            return Verdict(
                kind="internal-error",
                detail=f"a valid input got error {error.code}: {error.rpc_message[:200]}",
                signature=error.rpc_message[:80],
            )
        return Verdict(kind=None)
    if isinstance(error, RequestTimeout):
        return Verdict(kind="hang", detail=str(error), signature="timeout", reconnect=True)
    if isinstance(error, ProtocolError):
        return Verdict(
            kind="non-json-rpc", detail=str(error)[:300], signature=_shape(str(error)), reconnect=True
        )
    if isinstance(error, ServerError):
        return Verdict(kind="crash", detail=str(error)[:500], signature=type(error).__name__, reconnect=True)
    return Verdict(kind=None)


def _shape(message: str) -> str:
    """A message with its numbers and quoted parts blanked, so one bug is one finding."""
    return re.sub(r"\d+|'[^']*'|\"[^\"]*\"", "#", message)[:80]


def deduplicated(findings: list[Finding]) -> list[Finding]:
    """One finding per ``(kind, target, signature)``, the first seen, with ``count`` of all."""
    merged: dict[tuple[str, str, str], Finding] = {}
    for finding in findings:
        first = merged.get(finding.key())
        merged[finding.key()] = (
            finding if first is None else replace(first, count=first.count + finding.count)
        )
    return list(merged.values())
