"""What a batch operation plans and what each of its steps reports: the contract between the engine
(:mod:`mcpctl.engine.batch.run`) and the operations (:mod:`mcpctl.engine.batch.ops`).

An operation turns its part of a ``BatchPlan`` into an :class:`OpPlan`: one :class:`PlannedStep` per
unit of work (a server to validate, a suite to run, an entry to write into one config file, an input
record to execute), with what ``mcpctl plan`` shows (a summary, a diff). Steps are journaled by their
``id``, unique in the run: ``<operation number>.<operation>/<item>``, such as ``3.deploy/weather@cursor``
or ``4.execute/42``; operation numbers count from 1 in the order the plan lists them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from mcpctl.engine.batch.group_commit import Sink
from mcpctl.errors import McpctlError
from mcpctl.mcp.jsonrpc import JSONValue

Settle = Literal["done", "run", "failed"]
"""How an in-doubt step is settled on resume: its effect is there (``done``), it is not (``run``
again), or it cannot be known safely (``failed``, with a reason)."""


def step_id(index: int, op: str, item: str) -> str:
    """The journal id of a step: ``3.deploy/weather@cursor`` (``index`` is 0-based)."""
    return f"{index + 1}.{op}/{item}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedStep:
    """One unit of work of an operation."""

    id: str
    op: str
    item: str
    """What the step works on, as a reader names it: a server, ``server@target``, an input key."""
    summary: str = ""
    """One line for ``mcpctl plan`` (``add weather to ~/.cursor/mcp.json``); empty for bulk items."""
    diff: str = ""
    """The unified diff of the file change the step makes, as planned ("" when none)."""
    noop: bool = False
    """Nothing to do (the entry is already there, the item already answered): recorded as skipped."""
    data: Mapping[str, JSONValue] = field(default_factory=dict)
    """What the operation needs to carry out the step (a rendered argument set, a path)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OpPlan:
    """One operation of a plan, planned: its steps and the lines ``mcpctl plan`` prints about it."""

    index: int
    """0-based position in the plan's ``operations``."""
    op: str
    """``validate``, ``test``, ``deploy``, ``update`` or ``execute``."""
    title: str
    """``deploy weather, github to cursor, vscode``."""
    steps: tuple[PlannedStep, ...]
    counts: Mapping[str, int] = field(default_factory=dict)
    """What the steps will do, by verb (``{"add": 2, "unchanged": 1}``, ``{"call": 9000, "answered": 1000}``)."""
    notes: tuple[str, ...] = ()
    """Further lines for the reader (files that will be created, servers validated first)."""


@dataclass(slots=True, kw_only=True)  # not frozen: made once per execute item, on the hot path,
class Outcome:  # where a frozen record's setattr detour per field costs 0.6 us of ~35
    """What a step that succeeded reports (handed to the engine, never kept or changed)."""

    message: str = ""
    """One line for the report (``added weather to /home/me/.cursor/mcp.json``)."""
    details: tuple[str, ...] = ()
    output: str = ""
    """Context for the reader (JUnit ``system-out``)."""
    attempts: int = 1
    data: Mapping[str, JSONValue] = field(default_factory=dict)
    """Journaled with ``done`` (for example the sha256 of a file written)."""
    evidence: tuple[Sink, bytes] | None = None
    """Bytes to make durable in another file before ``done`` (an ``execute`` answer line)."""


class StepFailed(McpctlError):
    """A step did what it could and the outcome is a failure (an expectation, a refused change):
    reported ``failed``; or, with ``status="error"``, it could not be carried out after
    ``attempts`` tries. Any other :class:`~mcpctl.errors.McpctlError` out of a step is reported
    ``error`` after one attempt."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        details: tuple[str, ...] = (),
        attempts: int = 1,
        status: Literal["failed", "error"] = "failed",
    ) -> None:
        super().__init__(message)
        self.details = details
        self.attempts = attempts
        self.status = status
