"""The operations of a BatchPlan, one module each: ``validate``, ``test``, ``deploy``, ``update``,
``execute``. Each is a class built from its spec record and a :class:`PlanContext` with two methods:

- ``plan() -> OpPlan``: what the operation would do, read-only (files are read, no server is
  contacted); raises :class:`~mcpctl.errors.UsageError` for input it cannot work with (exit 2);
- ``async apply(run, plan)``: carry it out through :meth:`RunContext.each
  <mcpctl.engine.batch.run.RunContext.each>`, which journals, bounds concurrency and applies the
  failure policy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from mcpctl.engine.batch.steps import OpPlan
from mcpctl.spec.batch_model import BatchPlanSpec, Operation
from mcpctl.spec.build import SpecSet
from mcpctl.spec.model import ServerDef

if TYPE_CHECKING:
    from mcpctl.engine.batch.run import RunContext


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanContext:
    """What operations need to plan: the plan, the specs loaded with it, and the machine."""

    plan: BatchPlanSpec
    specs: SpecSet
    """Loaded with the real environment: servers to connect to."""
    deploy_servers: Callable[[], Mapping[str, ServerDef]]
    """The same servers loaded so that values from ``${env:...}`` stay references (what deploy writes)."""
    environ: Mapping[str, str]
    home: str
    project_dir: str
    """Where project-level client configs are looked for (``.cursor/mcp.json``, ``.vscode/mcp.json``)."""
    mcpctl: tuple[str, ...]
    """The command that runs mcpctl (a deployed mock's entry runs ``<mcpctl> mock serve FILE``)."""


class BatchOperation(Protocol):
    """One operation of a plan (see the module docstring)."""

    def plan(self) -> OpPlan: ...
    async def apply(self, run: RunContext, plan: OpPlan) -> None: ...


def operation_for(op: Operation, *, index: int, ctx: PlanContext) -> BatchOperation:
    """The operation that carries out ``op``, the ``index``-th (0-based) of the plan."""
    from mcpctl.engine.batch.ops.deploy import DeployOperation, UpdateOperation
    from mcpctl.engine.batch.ops.execute import ExecuteOperation
    from mcpctl.engine.batch.ops.test import TestOperation
    from mcpctl.engine.batch.ops.validate import ValidateOperation
    from mcpctl.spec.batch_model import DeployOp, ExecuteOp, TestOp, UpdateOp, ValidateOp

    if isinstance(op, ValidateOp):
        return ValidateOperation(op, index=index, ctx=ctx)
    if isinstance(op, TestOp):
        return TestOperation(op, index=index, ctx=ctx)
    if isinstance(op, DeployOp):
        return DeployOperation(op, index=index, ctx=ctx)
    if isinstance(op, UpdateOp):
        return UpdateOperation(op, index=index, ctx=ctx)
    if isinstance(op, ExecuteOp):
        return ExecuteOperation(op, index=index, ctx=ctx)
    raise TypeError(f"unknown operation {type(op).__name__}")
