"""Run a TestSuite against one server keeping every answer, and set two runs side by side.

The suite runs through the suite runner (:func:`mcpctl.engine.tests.run_case`), its tests one after
another so that each answer belongs to one test, on a client that keeps what every ``tools/call``,
``resources/read`` and ``prompts/get`` returned (a JSON-RPC error as ``{"error": {...}}``). The
suite's own ``server`` is not used: the caller connects to the server being compared.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mcpctl import __version__
from mcpctl.engine.results import CaseResult, Status
from mcpctl.engine.snapshot import SNAPSHOT_WRITES
from mcpctl.engine.tests import SuiteSession, run_case
from mcpctl.errors import RpcError
from mcpctl.mcp.client import Client, ServerTarget, open_client
from mcpctl.mcp.jsonrpc import JSONValue, Message
from mcpctl.mcp.results import CallResult
from mcpctl.mcp.session import ClientOptions, ProgressCallback
from mcpctl.spec.model import TestSuiteSpec

MAX_DIFF_LINES = 40


class RecordingClient(Client):
    """A :class:`Client` on the same session that keeps every answer it returns (or error it raises)."""

    def __init__(self, client: Client) -> None:
        super().__init__(client.session, client.negotiated)
        self.answers: list[JSONValue] = []

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, JSONValue] | None = None,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> CallResult:
        try:
            result = await super().call_tool(name, arguments, timeout=timeout, on_progress=on_progress)
        except RpcError as exc:
            self.answers.append(_error(exc))
            raise
        self.answers.append(_comparable(result.raw))
        return result

    async def read_resource(self, uri: str, *, timeout: float | None = None) -> Message:
        try:
            result = await super().read_resource(uri, timeout=timeout)
        except RpcError as exc:
            self.answers.append(_error(exc))
            raise
        self.answers.append(_comparable(result))
        return result

    async def get_prompt(
        self, name: str, arguments: Mapping[str, str] | None = None, *, timeout: float | None = None
    ) -> Message:
        try:
            result = await super().get_prompt(name, arguments, timeout=timeout)
        except RpcError as exc:
            self.answers.append(_error(exc))
            raise
        self.answers.append(_comparable(result))
        return result


def _error(exc: RpcError) -> JSONValue:
    error: dict[str, JSONValue] = {"code": exc.code, "message": exc.rpc_message}
    if exc.data is not None:
        error["data"] = exc.data
    return {"error": error}


def _comparable(result: Message) -> JSONValue:
    # _meta carries per-answer metadata (timings, request ids) that says nothing about the answer
    return {key: value for key, value in result.items() if key != "_meta"}


@dataclass(frozen=True, slots=True, kw_only=True)
class TestAnswers:
    """One test's result on one server and the answers it got, in order."""

    __test__ = False

    case: CaseResult
    answers: tuple[JSONValue, ...]


async def run_suite_answers(
    target: ServerTarget, suite: TestSuiteSpec, *, timeout: float
) -> list[TestAnswers]:
    """Every test of ``suite`` against ``target``, one after another, with its answers. Snapshots are
    compared with what is stored, never written: side B must not be judged by what side A wrote."""
    options = ClientOptions(client_version=__version__, timeout=timeout)
    SNAPSHOT_WRITES.set(False)  # this task's context only: the caller's runs are not affected
    async with open_client(target, options=options, connect_timeout=timeout) as client:
        recorder = RecordingClient(client)
        session = SuiteSession(recorder, suite, target=target)
        found = []
        for test in suite.tests:
            recorder.answers.clear()
            case = await run_case(session, test)
            found.append(TestAnswers(case=case, answers=tuple(recorder.answers)))
        return found


@dataclass(frozen=True, slots=True, kw_only=True)
class SideBySide:
    """One test on A and on B: each side's status and whether their answers are the same."""

    test: str
    a: Status
    b: Status
    same: bool
    messages: tuple[str, str] = ("", "")
    """Why the test did not pass on A and on B ("" when it passed)."""
    diff: tuple[str, ...] = ()
    """A unified diff of the answers (``--- A`` / ``+++ B``), at most :data:`MAX_DIFF_LINES` lines."""

    @property
    def differs(self) -> bool:
        return not self.same or self.a != self.b


def side_by_side(a: Sequence[TestAnswers], b: Sequence[TestAnswers]) -> list[SideBySide]:
    """The tests of two runs of one suite, paired in order."""
    rows = []
    for left, right in zip(a, b, strict=True):
        before, after = _pretty(left.answers), _pretty(right.answers)
        diff: tuple[str, ...] = ()
        if before != after:
            lines = list(
                difflib.unified_diff(
                    before.splitlines(), after.splitlines(), fromfile="A", tofile="B", lineterm="", n=1
                )
            )
            cut = len(lines) - MAX_DIFF_LINES
            diff = tuple(lines[:MAX_DIFF_LINES]) + ((f"… {cut} more lines",) if cut > 0 else ())
        rows.append(
            SideBySide(
                test=left.case.name,
                a=left.case.status,
                b=right.case.status,
                same=before == after,
                messages=(left.case.message, right.case.message),
                diff=diff,
            )
        )
    return rows


def _pretty(answers: Sequence[JSONValue]) -> str:
    return json.dumps(list(answers), indent=2, sort_keys=True, ensure_ascii=False)
