"""``deploy`` and ``update``: server entries written into MCP client config files, every other byte kept.

One step per server and config file (``3.deploy/weather@cursor``). :meth:`plan` reads each file once
and chains the changes made to it in plan order: a step's diff starts from the text the step before
it leaves. :meth:`apply` runs the steps of one file one after another, in plan order, and different
files concurrently. Each step reads its file again (an earlier step, or someone else, may have changed
it) and, when there is something to change, journals in this order: snapshot, intent (with the sha256
of the file before and after), atomic write, done. That is the evidence resume settles an in-doubt step
with (:mod:`mcpctl.engine.batch`, :meth:`settle`).

A config file that does not parse or is not UTF-8 stops the plan (exit 2). A server the client cannot
hold, an entry that differs (``deploy`` without ``force``) or is missing (``update``) fails its own step
only, and shows in the plan as ``refuse: ...``, so that one bad target does not hide the others.

A new config file gets the mode any program creating it gets (``0o666`` minus the umask: ``0o644``
usually), as the clients create their own: entries hold environment references, never secret values
(:mod:`~mcpctl.engine.batch.client_configs`). An existing file keeps its mode.
"""

from __future__ import annotations

import abc
import dataclasses
import hashlib
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import ClassVar

import trio

from mcpctl.engine.batch.client_configs import (
    ENTRY_FIELDS,
    Change,
    ClientConfig,
    EntryError,
    custom,
    decode,
    entry_for,
    locate,
    plan_change,
    update_for,
)
from mcpctl.engine.batch.journal import StepState
from mcpctl.engine.batch.jsonc_edit import AddEntry, ConfigEditError, UpdateEntry, read_entries, same
from mcpctl.engine.batch.jsonc_tree import JSON
from mcpctl.engine.batch.ops import PlanContext
from mcpctl.engine.batch.run import Intent, RunContext
from mcpctl.engine.batch.steps import OpPlan, Outcome, PlannedStep, Settle, StepFailed, step_id
from mcpctl.engine.results import CaseResult
from mcpctl.engine.retry import Attempt, with_retries
from mcpctl.errors import McpctlError, SpecError, UsageError
from mcpctl.spec.batch_model import ConfigTarget, DeployOp, UpdateOp
from mcpctl.spec.model import ServerDef, Source
from mcpctl.store.files import make_directories, write_atomic

_VERBS = ("add", "replace", "update", "unchanged", "refused")
_PAST = {"add": "added", "replace": "replaced", "update": "updated"}


def resolve_target(target: ConfigTarget, ctx: PlanContext) -> ClientConfig:
    """The config file ``target`` names: a client's own, a client's format at another path, or a custom file."""
    if target.client is None:
        if target.file is None:
            raise UsageError(f"{_where(target.source)}: a config target needs a client or a file")
        return custom(target.file, target.key, entry_style=target.style)
    found = locate(target.client, base_dir=ctx.project_dir, home=ctx.home, environ=ctx.environ)
    return found if target.file is None else dataclasses.replace(found, path=target.file)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Item:
    """One server written into one config file."""

    id: str
    label: str
    server: ServerDef
    config: ClientConfig
    file: str
    """The real path: two targets naming one file share it (and its lock)."""


class _ConfigEdits(abc.ABC):
    """What deploy and update share; each says which edit a server makes (:meth:`_edit`)."""

    kind: ClassVar[str]

    def __init__(
        self,
        *,
        servers: Sequence[str],
        targets: Sequence[ConfigTarget],
        index: int,
        ctx: PlanContext,
        source: Source,
    ) -> None:
        self.index = index
        self.ctx = ctx
        self._servers = tuple(servers)
        self._targets = tuple(targets)
        self._source = source
        self._cache: list[_Item] | None = None

    # -- what a subclass says -----------------------------------------------------------------
    @abc.abstractmethod
    def _edit(self, item: _Item) -> AddEntry | UpdateEntry: ...

    @abc.abstractmethod
    def _title(self) -> str: ...

    @abc.abstractmethod
    def _describe(self, item: _Item, before: Mapping[str, JSON], after: str) -> tuple[str, str]:
        """The verb of a change that is not a no-op, and what it changes (``weather to /p/mcp.json``)."""

    # -- planning -----------------------------------------------------------------------------
    def plan(self) -> OpPlan:
        """One step per server and config file, each with the diff it makes after the ones before it."""
        texts: dict[str, str | None] = {}
        steps: list[PlannedStep] = []
        verbs: Counter[str] = Counter()
        creates: list[str] = []
        for item in self._items():
            if item.file not in texts:
                texts[item.file] = _read(item.config.path)[1]
            step, verb, text = self._plan_step(item, texts[item.file])
            if texts[item.file] is None and text is not None and item.config.path not in creates:
                creates.append(item.config.path)
            texts[item.file] = text
            steps.append(step)
            verbs[verb] += 1
        return OpPlan(
            index=self.index,
            op=self.kind,
            title=self._title(),
            steps=tuple(steps),
            counts={verb: verbs[verb] for verb in _VERBS if verbs[verb]},
            notes=tuple(f"creates {path}" for path in creates),
        )

    def _plan_step(self, item: _Item, text: str | None) -> tuple[PlannedStep, str, str | None]:
        """The step of ``item``, its verb, and the file's text after it."""
        data = {"path": item.config.path, "server": item.server.name}
        step = PlannedStep(id=item.id, op=self.kind, item=item.label, data=data)
        try:
            verb, what, change = self._change(item, text)
        except (EntryError, ConfigEditError) as exc:
            return dataclasses.replace(step, summary=f"refuse: {exc}"), "refused", text
        if change.noop:
            return dataclasses.replace(step, summary=f"unchanged: {what}", noop=True), verb, text
        return dataclasses.replace(step, summary=f"{verb} {what}", diff=change.diff), verb, change.new_text

    def _change(self, item: _Item, text: str | None) -> tuple[str, str, Change]:
        """The verb of ``item``'s change to ``text``, what it changes, and the change; raises refusals."""
        config = item.config
        before = read_entries(text, config.key_path, jsonc=config.jsonc, path=config.path)
        change = plan_change(config, text, self._edit(item))
        if change.noop:
            return "unchanged", f"{item.server.name} in {config.path}", change
        return (*self._describe(item, before, change.new_text), change)

    def _items(self) -> list[_Item]:
        if self._cache is None:
            servers = self.ctx.deploy_servers()
            unknown = [name for name in self._servers if name not in servers]
            if unknown:
                raise SpecError(
                    f"{self.kind}: no server named {unknown[0]!r} (servers: {', '.join(sorted(servers)) or 'none'})",
                    path=self._source.path,
                    line=self._source.line,
                    column=self._source.column,
                    subject=f"BatchPlan/{self.ctx.plan.metadata.name}",
                )
            items = [
                _Item(
                    id=step_id(self.index, self.kind, f"{name}@{target.ident}"),
                    label=f"{name}@{target.ident}",
                    server=servers[name],
                    config=config,
                    file=os.path.realpath(config.path),
                )
                for target, config in ((t, resolve_target(t, self.ctx)) for t in self._targets)
                for name in self._servers
            ]
            twice = [item.label for n, item in enumerate(items) if item.id in {i.id for i in items[:n]}]
            if twice:
                raise UsageError(f"{_where(self._source)}: {self.kind}: {twice[0]} is listed twice")
            self._cache = items
        return self._cache

    # -- applying -----------------------------------------------------------------------------
    async def apply(self, run: RunContext, plan: OpPlan) -> None:
        """Write every planned entry: one file's steps in plan order, different files concurrently."""
        items = self._by_id()
        await self._apply_writes(run, plan, [s for s in plan.steps if s.id in items])

    async def _apply_writes(self, run: RunContext, plan: OpPlan, steps: Sequence[PlannedStep]) -> None:
        items = self._by_id()
        # A file's lock keeps its steps from interleaving (each is snapshot, intent, write, done). It
        # also keeps plan order: trio.Lock serves waiters first come, first served, and a step reaches
        # the lock in its task's first slice, which trio runs before run.each (which checkpoints
        # between two starts) starts the next step.
        locks = {items[s.id].file: trio.Lock() for s in steps}
        snapshot_lock = trio.Lock()  # Snapshots numbers its copies: one save at a time

        async def write(step: PlannedStep, intent: Intent) -> Outcome:
            item = items[step.id]
            async with locks[item.file]:
                return await self._write(run, item, intent, snapshot_lock)

        await run.each(plan, steps, write, settle=self.settle)

    def _by_id(self) -> dict[str, _Item]:
        return {item.id: item for item in self._items()}

    async def _write(self, run: RunContext, item: _Item, intent: Intent, snapshot_lock: trio.Lock) -> Outcome:
        path = item.config.path
        data, text = _read(path)
        try:
            verb, what, change = self._change(item, text)
        except (EntryError, ConfigEditError) as exc:
            raise StepFailed(str(exc)) from None
        if change.noop:
            return Outcome(message=f"unchanged: {what}")
        new = change.new_bytes
        after = _sha256(new)
        try:
            async with snapshot_lock:
                await trio.to_thread.run_sync(run.snapshots.save, path)
        except OSError as exc:
            raise McpctlError(f"{path}: cannot save a snapshot of it: {exc.strerror or exc}") from None
        await intent(path=path, sha256_before=None if data is None else _sha256(data), sha256_after=after)
        try:
            await trio.to_thread.run_sync(_write_file, path, new)
        except OSError as exc:
            raise McpctlError(f"{path}: cannot write the config file: {exc.strerror or exc}") from None
        return Outcome(message=f"{_PAST[verb]} {what}", data={"sha256": after})

    def settle(self, step: PlannedStep, state: StepState) -> tuple[Settle, str]:
        """Decide an in-doubt step by the file's sha256 now against the intent's before and after."""
        data = state.last.data if state.last is not None and state.last.data else {}
        path, before, after = data.get("path"), data.get("sha256_before"), data.get("sha256_after")
        if not isinstance(path, str) or not isinstance(after, str):
            return "run", "no file change was intended"
        try:
            with open(path, "rb") as file:
                current: str | None = _sha256(file.read())
        except FileNotFoundError:
            current = None
        except OSError as exc:
            return "failed", f"{path}: cannot read the config file: {exc.strerror or exc}"
        if current == after:
            return "done", "the file has the change"
        if current == before:
            return "run", "the file does not have the change yet"
        now = f"sha256 {current}" if current is not None else "now absent"
        return (
            "failed",
            f"{path} changed since the intent ({now}): not overwriting; run mcpctl rollback or re-plan",
        )


class DeployOperation(_ConfigEdits):
    """``deploy``: add each server's entry to each config file (see the module docstring)."""

    kind = "deploy"

    def __init__(self, op: DeployOp, *, index: int, ctx: PlanContext) -> None:
        super().__init__(servers=op.servers, targets=op.to, index=index, ctx=ctx, source=op.source)
        self.op = op

    def _edit(self, item: _Item) -> AddEntry:
        value = entry_for(item.config, item.server, secrets=self.ctx.specs.secrets, mcpctl=self.ctx.mcpctl)
        return AddEntry(name=item.server.name, value=value, force=self.op.force)

    def _title(self) -> str:
        return f"deploy {', '.join(self.op.servers)} to {', '.join(t.label for t in self.op.to)}"

    def _describe(self, item: _Item, before: Mapping[str, JSON], after: str) -> tuple[str, str]:
        if item.server.name in before:
            return "replace", f"{item.server.name} in {item.config.path}"
        return "add", f"{item.server.name} to {item.config.path}"

    # -- validate first -----------------------------------------------------------------------
    def plan(self) -> OpPlan:
        """The writes, after a validation step per server when ``validateFirst`` is set."""
        plan = super().plan()
        if not self.op.validate_first:
            return plan
        checks = tuple(
            PlannedStep(
                id=step_id(self.index, "deploy", f"validate:{name}"),
                op="deploy",
                item=f"validate:{name}",
                summary=f"validate {name}",
                data={"server": name},
            )
            for name in self.op.servers
        )
        first = f"validates {', '.join(self.op.servers)} first: only servers that pass are deployed"
        return dataclasses.replace(
            plan,
            steps=(*checks, *plan.steps),
            counts={"validate": len(checks), **plan.counts},
            notes=(first, *plan.notes),
        )

    async def apply(self, run: RunContext, plan: OpPlan) -> None:
        """Validate first when asked (servers that fail are not deployed), then write the entries."""
        items = self._by_id()
        writes = [s for s in plan.steps if s.id in items]
        if self.op.validate_first:
            checks = [s for s in plan.steps if s.id not in items]
            results = await run.each(plan, checks, lambda step, intent: self._validate(run, step))
            failed = _failed_servers(checks, results)
            writes = [
                dataclasses.replace(s, noop=True, summary=f"validation failed: {failed[name]}")
                if (name := items[s.id].server.name) in failed
                else s
                for s in writes
            ]
        await self._apply_writes(run, plan, writes)

    async def _validate(self, run: RunContext, step: PlannedStep) -> Outcome:
        # imported here: the validate operation's module imports the ops package this one is part of
        from mcpctl.engine.batch.ops.validate import check_server

        server = str(step.data["server"])
        timeout = run.timeout_of(self.op.timeout.seconds if self.op.timeout is not None else None)
        tries: list[Attempt] = []
        problems = await with_retries(
            lambda: check_server(run, server, timeout=timeout),
            run.policy,
            rng=run.rng(step.id),
            on_attempt=tries.append,
        )
        if problems:
            lines = [line for problem in problems for line in problem.splitlines()]
            more = len(problems) - 1
            first = lines[0] + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
            raise StepFailed(first, details=tuple(lines[1:]), attempts=len(tries))
        return Outcome(message=f"{server} passed validation", attempts=len(tries))


class UpdateOperation(_ConfigEdits):
    """``update``: make each server's existing entry match the spec in ``fields`` (see the module docstring)."""

    kind = "update"

    def __init__(self, op: UpdateOp, *, index: int, ctx: PlanContext) -> None:
        super().__init__(servers=op.servers, targets=op.in_, index=index, ctx=ctx, source=op.source)
        self.op = op

    def _edit(self, item: _Item) -> UpdateEntry:
        secrets, mcpctl = self.ctx.specs.secrets, self.ctx.mcpctl
        return update_for(item.config, item.server, fields=self.op.fields, secrets=secrets, mcpctl=mcpctl)

    def _title(self) -> str:
        title = f"update {', '.join(self.op.servers)} in {', '.join(t.label for t in self.op.in_)}"
        return title if set(self.op.fields) == set(ENTRY_FIELDS) else f"{title} ({', '.join(self.op.fields)})"

    def _describe(self, item: _Item, before: Mapping[str, JSON], after: str) -> tuple[str, str]:
        config, name = item.config, item.server.name
        new = read_entries(after, config.key_path, jsonc=config.jsonc, path=config.path).get(name)
        old = before.get(name)
        changed = [f for f in self.op.fields if not _same_field(old, new, f)]
        return "update", f"{name} in {config.path} ({', '.join(changed)})"


def _same_field(old: JSON, new: JSON, field: str) -> bool:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return False
    if field not in old or field not in new:
        return (field in old) == (field in new)
    return same(old[field], new[field])


def _failed_servers(checks: Sequence[PlannedStep], results: Sequence[CaseResult]) -> dict[str, str]:
    """The servers whose validation failed, with why. A validation not started (the run stopped) is
    not among them: its server's steps are then not started either."""
    by_id = {result.name: result for result in results}
    return {
        str(step.data["server"]): by_id[step.id].message
        for step in checks
        if step.id in by_id and by_id[step.id].status in ("failed", "error")
    }


def _read(path: str) -> tuple[bytes | None, str | None]:
    """A config file's bytes and text; ``(None, None)`` when it does not exist."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the config file: {exc.strerror or exc}") from None
    return data, decode(data, path=path)


def _write_file(path: str, data: bytes) -> None:
    make_directories(os.path.dirname(os.path.realpath(path)))
    write_atomic(path, data)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _where(source: Source) -> str:
    return f"{source.path}:{source.line}:{source.column}"
