"""``deploy`` and ``update`` of a BatchPlan: planned diffs, journaled writes, refusals, resume, validateFirst."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest
import trio

from mcpctl.engine.batch.client_configs import ClientConfig, entry_for, plan_change
from mcpctl.engine.batch.journal import Journal, open_journal_writer, read_entries
from mcpctl.engine.batch.jsonc_edit import AddEntry
from mcpctl.engine.batch.memory import MemoryGuard
from mcpctl.engine.batch.ops import PlanContext
from mcpctl.engine.batch.ops import deploy as deploy_module
from mcpctl.engine.batch.ops import validate as validate_module
from mcpctl.engine.batch.ops.deploy import DeployOperation, UpdateOperation, resolve_target
from mcpctl.engine.batch.run import RunContext
from mcpctl.engine.batch.snapshots import Snapshots
from mcpctl.engine.batch.steps import OpPlan
from mcpctl.engine.results import CaseResult
from mcpctl.engine.retry import RetryPolicy
from mcpctl.errors import ServerError, SpecError, UsageError
from mcpctl.spec.batch_model import BatchPlanSpec, ClientName, ConfigTarget, DeployOp, EntryStyle, UpdateOp
from mcpctl.spec.build import SpecSet
from mcpctl.spec.env import Secrets
from mcpctl.spec.model import HttpServer, Metadata, MockServerRef, ServerDef, Source, StdioServer

HERE = Source(path="/plans/plan.yaml", line=3, column=5)
A = StdioServer(name="a", command=("a",), source=HERE)
B = StdioServer(name="b", command=("b", "--x"), source=HERE)
NOTES = StdioServer(name="notes", command=("uvx", "notes-mcp", "--ro"), env={"LEVEL": "debug"}, source=HERE)
SEARCH = HttpServer(name="search", url="https://search.example/mcp", headers={"X-Team": "core"}, source=HERE)
WEATHER = MockServerRef(name="weather", spec="/specs/weather.yaml", source=HERE)
SERVERS: dict[str, ServerDef] = {s.name: s for s in (A, B, NOTES, SEARCH, WEATHER)}
NEW_AB = '{\n  "mcpServers": {\n    "a": {\n      "command": "a",\n      "args": []\n    },\n    "b": {\n      "command": "b",\n      "args": [\n        "--x"\n      ]\n    }\n  }\n}\n'


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def target(client: ClientName | None = None, file: str | None = None, **more: str) -> ConfigTarget:
    return ConfigTarget(client=client, file=file, source=HERE, **more)  # type: ignore[arg-type]


def deploy(
    *servers: str, to: Sequence[ConfigTarget], force: bool = False, validate: bool = False
) -> DeployOp:
    return DeployOp(servers=servers, to=tuple(to), force=force, validate_first=validate, source=HERE)


def update(*servers: str, in_: Sequence[ConfigTarget], fields: Sequence[str] | None = None) -> UpdateOp:
    more = {"fields": tuple(fields)} if fields is not None else {}
    return UpdateOp(servers=servers, in_=tuple(in_), source=HERE, **more)  # type: ignore[arg-type]


@dataclass
class World:
    """A project and a home in tmp_path, and a run directory for the plan's journal and snapshots."""

    root: Path
    project: Path
    home: Path
    servers: Mapping[str, ServerDef]

    @property
    def run_dir(self) -> Path:
        return self.root / "runs" / "run-1"

    def ctx(self, on_failure: Literal["continue", "halt", "rollback"] = "continue") -> PlanContext:
        plan = BatchPlanSpec(
            metadata=Metadata(name="plan"),
            operations=(),
            on_failure=on_failure,
            source=HERE,
            spec_hash="0" * 64,
        )
        specs = SpecSet(documents=(), servers=self.servers, suites=(), mocks=(), secrets=Secrets())
        return PlanContext(
            plan=plan,
            specs=specs,
            deploy_servers=lambda: self.servers,
            environ={},
            home=str(self.home),
            project_dir=str(self.project),
            mcpctl=("mcpctl",),
        )

    @contextlib.asynccontextmanager
    async def open_run(self, ctx: PlanContext, *, concurrency: int = 4) -> AsyncIterator[RunContext]:
        """A RunContext as run.py defines it: a real journal (reopened: resumes see its states),
        snapshots, one try per item, a limiter, no memory limit, a nursery for services."""
        with Journal.open(self.run_dir) as journal:
            states = journal.steps()
            async with open_journal_writer(journal) as writer, trio.open_nursery() as services:
                yield RunContext(
                    plan=ctx.plan,
                    specs=ctx.specs,
                    run_id="run-1",
                    run_dir=self.run_dir,
                    journal=writer,
                    snapshots=Snapshots(self.run_dir),
                    states=states,
                    policy=RetryPolicy(attempts=1),
                    limiter=trio.CapacityLimiter(concurrency),
                    services=services,
                    memory=MemoryGuard(None),
                )
                services.cancel_scope.cancel()

    async def apply(
        self, op: DeployOperation | UpdateOperation, plan: OpPlan | None = None, *, concurrency: int = 4
    ) -> list[CaseResult]:
        async with self.open_run(op.ctx, concurrency=concurrency) as run:
            await op.apply(run, plan or op.plan())
        return run.results[op.index]

    def journal(self) -> list[tuple[str, str, object]]:
        """(step, phase, data) of every journal line."""
        return [(e.step, e.phase, e.data) for e in read_entries(self.run_dir / "journal.jsonl")]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir()
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return World(root=tmp_path, project=project, home=home, servers=SERVERS)


def results(found: list[CaseResult]) -> list[tuple[str, str, str]]:
    return [(r.name, r.status, r.message) for r in found]


# -- planning -----------------------------------------------------------------------------------
def test_plan_chains_the_diffs_of_one_file_and_notes_a_new_file(world: World) -> None:
    op = DeployOperation(deploy("a", "b", to=[target("cursor")]), index=2, ctx=world.ctx())
    plan = op.plan()
    path = str(world.project / ".cursor" / "mcp.json")
    assert (plan.index, plan.op, plan.title) == (2, "deploy", "deploy a, b to cursor")
    assert [(s.id, s.item, s.summary, s.noop) for s in plan.steps] == [
        ("3.deploy/a@cursor", "a@cursor", f"add a to {path}", False),
        ("3.deploy/b@cursor", "b@cursor", f"add b to {path}", False),
    ]
    assert plan.counts == {"add": 2}
    assert plan.notes == (f"creates {path}",)
    assert plan.steps[0].diff == (
        f"--- /dev/null\n+++ {path}\n@@ -0,0 +1,8 @@\n"
        '+{\n+  "mcpServers": {\n+    "a": {\n+      "command": "a",\n+      "args": []\n+    }\n+  }\n+}\n'
    )
    assert plan.steps[1].diff == (  # starts from the text the first step leaves
        f"--- {path}\n+++ {path}\n@@ -3,6 +3,12 @@\n"
        '     "a": {\n       "command": "a",\n       "args": []\n'
        '+    },\n+    "b": {\n+      "command": "b",\n+      "args": [\n+        "--x"\n+      ]\n'
        "     }\n   }\n }\n"
    )
    assert plan.steps[0].data == {"path": path, "server": "a"}
    assert not (world.project / ".cursor").exists()  # planning writes nothing


def test_plan_shows_every_verb(world: World) -> None:
    cursor = world.project / ".cursor" / "mcp.json"
    cursor.parent.mkdir()
    cursor.write_text('{"mcpServers": {"a": {"command": "a", "args": []}, "b": {"command": "old"}}}\n')
    desktop = world.home / ".config" / "Claude" / "claude_desktop_config.json"
    op = DeployOperation(
        deploy("a", "b", "search", to=[target("cursor"), target("claude-desktop")], force=True),
        index=0,
        ctx=world.ctx(),
    )
    plan = op.plan()
    assert [s.summary for s in plan.steps] == [
        f"unchanged: a in {cursor}",
        f"replace b in {cursor}",
        f"add search to {cursor}",
        f"add a to {desktop}",
        f"add b to {desktop}",
        "refuse: search: cannot deploy to Claude Desktop: its config file holds stdio servers only; "
        "add a remote server as a custom connector in its settings",
    ]
    assert [s.noop for s in plan.steps] == [True, False, False, False, False, False]
    assert plan.counts == {"add": 3, "replace": 1, "unchanged": 1, "refused": 1}
    assert plan.title == "deploy a, b, search to cursor, claude-desktop"
    assert plan.notes == (f"creates {desktop}",)
    assert plan.steps[1].diff.splitlines()[3:] == [
        '-{"mcpServers": {"a": {"command": "a", "args": []}, "b": {"command": "old"}}}',
        '+{"mcpServers": {"a": {"command": "a", "args": []}, "b": {"command": "b", "args": ["--x"]}}}',
    ]


def test_a_differing_entry_is_refused_without_force(world: World) -> None:
    cursor = world.project / ".cursor" / "mcp.json"
    cursor.parent.mkdir()
    cursor.write_text('{"mcpServers": {"b": {"command": "old"}}}')
    plan = DeployOperation(deploy("b", to=[target("cursor")]), index=0, ctx=world.ctx()).plan()
    assert [s.summary for s in plan.steps] == [
        f"refuse: {cursor}: mcpServers.b: already exists with a different value (force replaces it)"
    ]
    assert plan.counts == {"refused": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'{"mcpServers": {,}}', ":1:17: invalid JSON: expected a quoted key or '}'"),
        (b'{"mcpServers": {"\xff": 1}}', ":1:18: not UTF-8 text"),
    ],
)
def test_a_file_that_cannot_be_read_stops_the_plan(world: World, text: bytes, message: str) -> None:
    cursor = world.project / ".cursor" / "mcp.json"
    cursor.parent.mkdir()
    cursor.write_bytes(text)
    op = DeployOperation(deploy("a", to=[target("cursor")]), index=0, ctx=world.ctx())
    with pytest.raises(UsageError) as caught:
        op.plan()
    assert str(caught.value) == f"{cursor}{message}"
    assert caught.value.exit_code == 2


def test_a_config_path_that_is_not_a_file_stops_the_plan(world: World) -> None:
    (world.project / ".mcp.json").mkdir()
    op = DeployOperation(deploy("a", to=[target("claude-code")]), index=0, ctx=world.ctx())
    with pytest.raises(UsageError) as caught:
        op.plan()
    assert str(caught.value) == f"{world.project / '.mcp.json'}: cannot read the config file: Is a directory"


def test_unknown_servers_and_targets_listed_twice(world: World) -> None:
    op = DeployOperation(deploy("a", "nope", to=[target("cursor")]), index=0, ctx=world.ctx())
    with pytest.raises(SpecError) as caught:
        op.plan()
    assert str(caught.value) == (
        "/plans/plan.yaml:3:5: BatchPlan/plan: deploy: no server named 'nope' "
        "(servers: a, b, notes, search, weather)"
    )
    twice = DeployOperation(deploy("a", to=[target("vscode"), target("vscode")]), index=0, ctx=world.ctx())
    with pytest.raises(UsageError) as listed:
        twice.plan()
    assert str(listed.value) == "/plans/plan.yaml:3:5: deploy: a@vscode is listed twice"


def test_targets_resolve_to_a_clients_file_its_format_elsewhere_or_a_custom_file(world: World) -> None:
    ctx = world.ctx()
    assert resolve_target(target("vscode"), ctx) == ClientConfig(
        client="vscode",
        path=str(world.project / ".vscode" / "mcp.json"),
        key_path=("servers",),
        jsonc=True,
        entry_style="vscode",
    )
    assert resolve_target(target("vscode", "/x/mcp.json"), ctx) == ClientConfig(
        client="vscode", path="/x/mcp.json", key_path=("servers",), jsonc=True, entry_style="vscode"
    )
    style: EntryStyle = "claude-code"
    assert resolve_target(target(file="/x/tools.json", key="mcp.servers", style=style), ctx) == ClientConfig(
        client="custom", path="/x/tools.json", key_path=("mcp", "servers"), jsonc=False, entry_style=style
    )


# -- applying -----------------------------------------------------------------------------------
async def test_apply_writes_the_planned_text_journaling_snapshot_intent_write_done(world: World) -> None:
    op = DeployOperation(deploy("a", "b", to=[target("cursor")]), index=0, ctx=world.ctx())
    plan = op.plan()
    path = world.project / ".cursor" / "mcp.json"
    found = await world.apply(op, plan)
    assert results(found) == [
        ("1.deploy/a@cursor", "passed", f"added a to {path}"),
        ("1.deploy/b@cursor", "passed", f"added b to {path}"),
    ]
    assert path.read_text() == NEW_AB
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # as the client would create it
    first = '{\n  "mcpServers": {\n    "a": {\n      "command": "a",\n      "args": []\n    }\n  }\n}\n'
    assert world.journal() == [
        (
            "1.deploy/a@cursor",
            "intent",
            {"path": str(path), "sha256_before": None, "sha256_after": sha(first.encode())},
        ),
        ("1.deploy/a@cursor", "done", {"sha256": sha(first.encode())}),
        (
            "1.deploy/b@cursor",
            "intent",
            {"path": str(path), "sha256_before": sha(first.encode()), "sha256_after": sha(NEW_AB.encode())},
        ),
        ("1.deploy/b@cursor", "done", {"sha256": sha(NEW_AB.encode())}),
    ]
    journal = read_entries(world.run_dir / "journal.jsonl")
    [snapshot] = Snapshots(world.run_dir).all()
    assert (snapshot.path, snapshot.existed) == (path, False)
    assert snapshot.at <= journal[0].at  # the snapshot is durable before the intent


async def test_an_existing_file_keeps_its_mode_and_the_run_restores_it(world: World) -> None:
    path = world.project / ".mcp.json"
    original = b'{"mcpServers": {}, "other": 1}'
    path.write_bytes(original)
    path.chmod(0o600)
    op = DeployOperation(deploy("weather", to=[target("claude-code")]), index=0, ctx=world.ctx())
    await world.apply(op)
    assert path.read_bytes() == (
        b'{"mcpServers": {"weather": {"type": "stdio", "command": "mcpctl", '
        b'"args": ["mock", "serve", "/specs/weather.yaml"]}}, "other": 1}'
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    Snapshots(world.run_dir).restore_all()
    assert path.read_bytes() == original


async def test_identical_entries_are_skipped_and_refusals_fail_their_step_only(world: World) -> None:
    cursor = world.project / ".cursor" / "mcp.json"
    cursor.parent.mkdir()
    cursor.write_text('{"mcpServers": {"a": {"command": "a", "args": []}, "b": {"command": "old"}}}')
    desktop = world.home / ".config" / "Claude" / "claude_desktop_config.json"
    op = DeployOperation(
        deploy("a", "b", "search", to=[target("cursor"), target("claude-desktop")]), index=0, ctx=world.ctx()
    )
    found = await world.apply(op)
    assert results(found) == [
        ("1.deploy/a@cursor", "skipped", f"unchanged: a in {cursor}"),
        (
            "1.deploy/b@cursor",
            "failed",
            f"{cursor}: mcpServers.b: already exists with a different value (force replaces it)",
        ),
        ("1.deploy/search@cursor", "passed", f"added search to {cursor}"),
        ("1.deploy/a@claude-desktop", "passed", f"added a to {desktop}"),
        ("1.deploy/b@claude-desktop", "passed", f"added b to {desktop}"),
        (
            "1.deploy/search@claude-desktop",
            "failed",
            "search: cannot deploy to Claude Desktop: its config file holds stdio servers only; "
            "add a remote server as a custom connector in its settings",
        ),
    ]
    assert '"b": {"command": "old"}' in cursor.read_text()
    assert [(step, phase) for step, phase, _ in world.journal() if step.startswith("1.deploy/a@c")] == [
        ("1.deploy/a@cursor", "skipped"),
        ("1.deploy/a@claude-desktop", "intent"),
        ("1.deploy/a@claude-desktop", "done"),
    ]


async def test_force_replaces_a_differing_entry(world: World) -> None:
    cursor = world.project / ".cursor" / "mcp.json"
    cursor.parent.mkdir()
    cursor.write_text('{"mcpServers": {"b": {"command": "old"}}}')
    op = DeployOperation(deploy("b", to=[target("cursor")], force=True), index=0, ctx=world.ctx())
    assert results(await world.apply(op)) == [("1.deploy/b@cursor", "passed", f"replaced b in {cursor}")]
    assert cursor.read_text() == '{"mcpServers": {"b": {"command": "b", "args": ["--x"]}}}'


async def test_each_step_reads_its_file_again_at_apply_time(world: World) -> None:
    cursor = world.project / ".cursor" / "mcp.json"
    op = DeployOperation(deploy("a", to=[target("cursor")]), index=0, ctx=world.ctx())
    plan = op.plan()  # planned on a missing file
    cursor.parent.mkdir()
    cursor.write_text('{"x": 1, "mcpServers": {"z": {}}}')  # someone wrote it meanwhile
    assert results(await world.apply(op, plan)) == [("1.deploy/a@cursor", "passed", f"added a to {cursor}")]
    assert cursor.read_text() == '{"x": 1, "mcpServers": {"z": {}, "a": {"command": "a", "args": []}}}'
    already = DeployOperation(deploy("a", to=[target("cursor")]), index=1, ctx=world.ctx())
    plan = already.plan()
    assert results(await world.apply(already, plan)) == [
        ("2.deploy/a@cursor", "skipped", f"unchanged: a in {cursor}")
    ]


async def test_an_entry_written_meanwhile_by_someone_else_is_left_alone(world: World) -> None:
    cursor = world.project / ".cursor" / "mcp.json"
    op = DeployOperation(deploy("a", to=[target("cursor")]), index=0, ctx=world.ctx())
    plan = op.plan()
    cursor.parent.mkdir()
    cursor.write_text('{"mcpServers": {"a": {"command": "a", "args": []}}}')
    assert results(await world.apply(op, plan)) == [
        ("1.deploy/a@cursor", "passed", f"unchanged: a in {cursor}")
    ]
    assert [phase for _, phase, _ in world.journal()] == ["intent", "done"]
    assert Snapshots(world.run_dir).all() == []  # nothing written, nothing to restore


async def test_a_write_that_fails_is_an_error_of_its_step(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(path: str, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(deploy_module, "write_atomic", full)
    op = DeployOperation(deploy("a", "b", to=[target("claude-code")]), index=0, ctx=world.ctx())
    path = world.project / ".mcp.json"
    assert results(await world.apply(op)) == [
        ("1.deploy/a@claude-code", "error", f"{path}: cannot write the config file: No space left on device"),
        ("1.deploy/b@claude-code", "error", f"{path}: cannot write the config file: No space left on device"),
    ]
    assert [phase for _, phase, _ in world.journal()] == ["intent", "failed", "intent", "failed"]
    assert not path.exists()


async def test_one_files_steps_run_in_plan_order_and_files_run_concurrently(world: World) -> None:
    servers = {f"s{n}": StdioServer(name=f"s{n}", command=(f"s{n}",), source=HERE) for n in range(8)}
    world.servers = servers
    op = DeployOperation(
        deploy(*servers, to=[target("cursor"), target("vscode"), target("claude-code")]),
        index=0,
        ctx=world.ctx(),
    )
    plan = op.plan()
    await world.apply(op, plan, concurrency=24)
    for config in ("cursor", "vscode", "claude-code"):
        resolved = resolve_target(target(config), world.ctx())  # type: ignore[arg-type]
        assert contents(resolved.path) == chained(resolved, None, list(servers.values()))
        phases = [(step, phase) for step, phase, _ in world.journal() if step.endswith(f"@{config}")]
        assert phases == [(f"1.deploy/s{n}@{config}", p) for n in range(8) for p in ("intent", "done")]


def contents(path: str) -> str:
    with open(path, encoding="utf-8", newline="") as file:
        return file.read()


def chained(config: ClientConfig, text: str | None, servers: Sequence[ServerDef]) -> str:
    """``text`` with the entry of each server added in order, as client_configs writes them."""
    for server in servers:
        text = plan_change(config, text, AddEntry(name=server.name, value=entry_for(config, server))).new_text
    assert text is not None
    return text


# -- update -------------------------------------------------------------------------------------
async def test_update_changes_only_the_named_fields(world: World) -> None:
    path = world.project / ".vscode" / "mcp.json"
    path.parent.mkdir()
    path.write_text(
        '{\n  "servers": {\n    // keep me\n    "notes": {"type": "stdio", "command": "uvx", "args": ["notes-mcp"],'
        ' "env": {"LEVEL": "info"}, "cwd": "/w"},\n    "b": {"command": "b", "args": ["--x"]},\n  },\n}\n'
    )
    op = UpdateOperation(
        update("notes", "b", "a", in_=[target("vscode")], fields=("args", "env")), index=4, ctx=world.ctx()
    )
    plan = op.plan()
    assert plan.title == "update notes, b, a in vscode (args, env)"
    assert [s.summary for s in plan.steps] == [
        f"update notes in {path} (args, env)",
        f"unchanged: b in {path}",
        f"refuse: {path}: servers.a: no such entry",
    ]
    assert plan.counts == {"update": 1, "unchanged": 1, "refused": 1}
    assert results(await world.apply(op, plan)) == [
        ("5.update/notes@vscode", "passed", f"updated notes in {path} (args, env)"),
        ("5.update/b@vscode", "skipped", f"unchanged: b in {path}"),
        ("5.update/a@vscode", "failed", f"{path}: servers.a: no such entry"),
    ]
    assert path.read_text() == (
        '{\n  "servers": {\n    // keep me\n    "notes": {"type": "stdio", "command": "uvx", "args": ["notes-mcp", "--ro"],'
        ' "env": {"LEVEL": "debug"}, "cwd": "/w"},\n    "b": {"command": "b", "args": ["--x"]},\n  },\n}\n'
    )


def test_update_of_every_field_names_those_that_change(world: World) -> None:
    path = world.project / ".mcp.json"
    path.write_text(
        '{"mcpServers": {"notes": {"command": "uvx", "args": ["notes-mcp", "--ro"], "extra": 1}}}'
    )
    plan = UpdateOperation(update("notes", in_=[target("claude-code")]), index=0, ctx=world.ctx()).plan()
    assert plan.title == "update notes in claude-code"
    assert [s.summary for s in plan.steps] == [f"update notes in {path} (type, env)"]


# -- resume -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("file_now", "status", "message"),
    [
        ("after", "passed", "recovered on resume: the file has the change"),
        ("before", "passed", "added a to {path}"),
        (
            "other",
            "failed",
            "{path} changed since the intent (sha256 {other}): not overwriting; "
            "run mcpctl rollback or re-plan",
        ),
        (
            "absent",
            "failed",
            "{path} changed since the intent (now absent): not overwriting; run mcpctl rollback or re-plan",
        ),
    ],
)
async def test_resume_settles_an_in_doubt_write_by_the_files_sha256(
    world: World, file_now: str, status: str, message: str
) -> None:
    path = world.project / ".mcp.json"
    before = b'{"mcpServers": {}}'
    path.write_bytes(before)
    op = DeployOperation(deploy("a", to=[target("claude-code")]), index=0, ctx=world.ctx())
    plan = op.plan()
    after = chained(resolve_target(target("claude-code"), world.ctx()), before.decode(), [A]).encode()
    Snapshots(world.run_dir).save(path)
    with Journal.open(world.run_dir) as journal:  # killed after the intent
        journal.intent(
            plan.steps[0].id,
            op="deploy",
            item="a@claude-code",
            path=str(path),
            sha256_before=sha(before),
            sha256_after=sha(after),
        )
    other = b'{"mcpServers": {"a": {"command": "elsewhere"}}}'
    if file_now == "absent":
        path.unlink()
    else:
        path.write_bytes({"after": after, "before": before, "other": other}[file_now])
    found = await world.apply(op, plan)
    assert results(found) == [("1.deploy/a@claude-code", status, message.format(path=path, other=sha(other)))]
    if file_now in ("after", "before"):
        assert path.read_bytes() == after
    assert Snapshots(world.run_dir).restore_all()[0].path == path
    assert path.read_bytes() == before  # the first snapshot is the one rollback restores


def test_settle_runs_a_step_whose_intent_held_no_file_change(world: World) -> None:
    op = DeployOperation(deploy("a", to=[target("claude-code")]), index=0, ctx=world.ctx())
    with Journal.open(world.run_dir) as journal:
        journal.intent("1.deploy/a@claude-code", op="deploy")
        state = journal.state("1.deploy/a@claude-code")
    assert op.settle(op.plan().steps[0], state) == ("run", "no file change was intended")


# -- validate first -----------------------------------------------------------------------------
@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``check_server`` faked: ``b`` has problems, ``search`` cannot be reached, the rest pass."""
    from mcpctl.engine.batch.ops import validate

    called: list[str] = []

    async def check_server(run: RunContext, name: str, *, timeout: float) -> list[str]:
        called.append(f"{name} {timeout}")
        if name == "search":
            raise ServerError("search: connection refused")
        return (
            ["tool t: inputSchema is not a valid JSON Schema\n  at $.type", "tool u: listed twice"]
            if name == "b"
            else []
        )

    monkeypatch.setattr(validate, "check_server", check_server)
    return called


async def test_validate_first_deploys_only_the_servers_that_pass(world: World, checks: list[str]) -> None:
    op = DeployOperation(
        deploy("a", "b", "search", to=[target("claude-code")], validate=True), index=0, ctx=world.ctx()
    )
    plan = op.plan()
    path = world.project / ".mcp.json"
    assert [(s.id, s.summary) for s in plan.steps[:3]] == [
        ("1.deploy/validate:a", "validate a"),
        ("1.deploy/validate:b", "validate b"),
        ("1.deploy/validate:search", "validate search"),
    ]
    assert plan.counts == {"validate": 3, "add": 3}
    assert plan.notes == (
        "validates a, b, search first: only servers that pass are deployed",
        f"creates {path}",
    )
    found = await world.apply(op, plan)
    assert results(found) == [
        ("1.deploy/validate:a", "passed", "a passed validation"),
        (
            "1.deploy/validate:b",
            "failed",
            "tool t: inputSchema is not a valid JSON Schema (and 1 more problem)",
        ),
        ("1.deploy/validate:search", "error", "search: connection refused"),
        ("1.deploy/a@claude-code", "passed", f"added a to {path}"),
        (
            "1.deploy/b@claude-code",
            "skipped",
            "validation failed: tool t: inputSchema is not a valid JSON Schema (and 1 more problem)",
        ),
        ("1.deploy/search@claude-code", "skipped", "validation failed: search: connection refused"),
    ]
    assert found[1].details == ("  at $.type", "tool u: listed twice")
    assert checks == ["a 60.0", "b 60.0", "search 60.0"]
    assert '"b"' not in path.read_text()


async def test_halt_stops_at_a_failed_validation(world: World, checks: list[str]) -> None:
    op = DeployOperation(
        deploy("b", "a", to=[target("claude-code")], validate=True), index=0, ctx=world.ctx("halt")
    )
    found = await world.apply(op, concurrency=1)
    assert [(r.name, r.status) for r in found] == [
        ("1.deploy/validate:b", "failed"),
        ("1.deploy/validate:a", "skipped"),
        ("1.deploy/b@claude-code", "skipped"),
        ("1.deploy/a@claude-code", "skipped"),
    ]
    assert (
        found[3].message
        == "not started: 1.deploy/validate:b failed; onFailure halt stops at the first failure"
    )
    assert not (world.project / ".mcp.json").exists()


async def test_a_resume_validates_again_what_failed_and_deploys_it_once_it_passes(
    world: World, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    op = DeployOperation(
        deploy("a", "b", to=[target("claude-code")], validate=True), index=0, ctx=world.ctx()
    )
    path = world.project / ".mcp.json"
    first = await world.apply(op)
    assert [(r.name, r.status) for r in first][2:] == [
        ("1.deploy/a@claude-code", "passed"),
        ("1.deploy/b@claude-code", "skipped"),
    ]

    async def fixed(run: RunContext, name: str, *, timeout: float) -> list[str]:
        checks.append(f"{name} again")
        return []

    monkeypatch.setattr(validate_module, "check_server", fixed)
    resumed = await world.apply(op)  # same run directory: the journal of the first apply is read
    assert [(r.name, r.status, r.message) for r in resumed] == [
        ("1.deploy/validate:a", "passed", "done before this resume"),
        ("1.deploy/validate:b", "passed", "b passed validation"),
        ("1.deploy/a@claude-code", "passed", "done before this resume"),
        ("1.deploy/b@claude-code", "passed", f"added b to {path}"),
    ]
    assert checks[-1:] == ["b again"]  # a, done before, is not validated again
    assert '"a"' in path.read_text()
    assert '"b"' in path.read_text()
