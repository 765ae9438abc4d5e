"""``deploy`` and ``update`` on real-format config files of the four clients (tests/data/client_configs):
every byte outside the entries written stays as it was, and the run's snapshots bring each file back."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpctl.engine.batch.client_configs import decode, entry_for, plan_change
from mcpctl.engine.batch.jsonc_edit import RemoveEntry, read_entries
from mcpctl.engine.batch.ops.deploy import DeployOperation, UpdateOperation, resolve_target
from mcpctl.engine.batch.snapshots import Restored, Snapshots
from mcpctl.spec.model import HttpServer, ServerDef, StdioServer
from tests.unit.test_batch_deploy import HERE, SERVERS, World, deploy, target, update

DATA = Path(__file__).resolve().parents[1] / "data" / "client_configs"
SAMPLES = {
    "claude-desktop": ("claude_desktop_config.json", "home", ".config/Claude/claude_desktop_config.json"),
    "cursor": ("cursor_mcp.json", "home", ".cursor/mcp.json"),
    "vscode": ("vscode_mcp.json", "project", ".vscode/mcp.json"),
    "claude-code": ("claude_code_mcp.json", "project", ".mcp.json"),
}
CUSTOM = "custom_three_spaces.json"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """The four samples where their clients read them, and a custom file (BOM, 3-space indent)."""
    project, home = tmp_path / "project", tmp_path / "home"
    for sample, base, where in SAMPLES.values():
        path = (home if base == "home" else project) / where
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((DATA / sample).read_bytes())
    (project / "tools.json").write_bytes((DATA / CUSTOM).read_bytes())
    monkeypatch.setenv("HOME", str(home))
    return World(root=tmp_path, project=project, home=home, servers=SERVERS)


def read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def original(client: str) -> bytes:
    return (DATA / (SAMPLES[client][0] if client in SAMPLES else CUSTOM)).read_bytes()


async def test_deploy_to_every_client_keeps_every_unrelated_byte(world: World) -> None:
    custom = target(file=str(world.project / "tools.json"), key="mcp.servers", style="plain")
    targets = [*(target(client) for client in SAMPLES), custom]  # type: ignore[arg-type]
    op = DeployOperation(deploy("notes", "search", "weather", to=targets), index=0, ctx=world.ctx())
    found = await world.apply(op)
    refused = {r.name: r.message for r in found if r.status != "passed"}
    assert refused == {
        "1.deploy/search@claude-desktop": "search: cannot deploy to Claude Desktop: its config file holds "
        "stdio servers only; add a remote server as a custom connector in its settings",
        f"1.deploy/notes@{custom.label}": f"{custom.file}: mcp.servers.notes: already exists with a "
        "different value (force replaces it)",  # the sample has its own notes server
    }
    for deployed in targets:
        config = resolve_target(deployed, world.ctx())
        text = decode(read(config.path), path=config.path)
        entries = read_entries(text, config.key_path, jsonc=config.jsonc, path=config.path)
        names = [n for n in ("notes", "search", "weather") if f"1.deploy/{n}@{deployed.label}" not in refused]
        for name in names:
            assert entries[name] == entry_for(config, SERVERS[name])
        for name in reversed(names):  # taking out what was added gives back the file, byte for byte
            text = plan_change(config, text, RemoveEntry(name=name)).new_text
        assert text.encode("utf-8") == original(deployed.client or "custom")


async def test_rollback_restores_all_four_files_and_removes_a_file_the_run_created(world: World) -> None:
    new = world.project / "new" / "mcp.json"
    targets = [*(target(client) for client in SAMPLES), target(file=str(new))]  # type: ignore[arg-type]
    op = DeployOperation(deploy("notes", "weather", to=targets), index=0, ctx=world.ctx())
    assert all(r.status == "passed" for r in await world.apply(op))
    assert new.exists()
    paths = [Path(resolve_target(t, world.ctx()).path) for t in targets]
    snapshots = Snapshots(world.run_dir)
    # files of different clients are written concurrently: rollback goes newest snapshot first
    newest_first = [snapshot.path for snapshot in reversed(snapshots.all())]
    restored = snapshots.restore_all()
    assert [r.path for r in restored] == newest_first
    assert sorted(restored, key=str) == sorted(
        [Restored(path=new, action="removed"), *(Restored(path=p, action="restored") for p in paths[:-1])],
        key=str,
    )
    for client, path in zip(SAMPLES, paths, strict=False):
        assert path.read_bytes() == original(client)
    assert not new.exists()


@pytest.mark.parametrize(
    ("client", "server", "fields", "old", "new"),
    [
        (
            "claude-desktop",
            StdioServer(name="sqlite", command=("uvx", "mcp-server-sqlite", "--db-path", "/db"), source=HERE),
            ("args",),
            '"args": ["mcp-server-sqlite", "--db-path", "/Users/ada/test.db"]',
            '"args": [\n        "mcp-server-sqlite",\n        "--db-path",\n        "/db"\n      ]',
        ),
        (
            "cursor",
            HttpServer(name="linear", url="https://mcp.linear.app/mcp", source=HERE),
            ("url", "headers"),
            '"url": "https://mcp.linear.app/sse"',
            '"url": "https://mcp.linear.app/mcp"',
        ),
        (
            "vscode",
            StdioServer(
                name="fetch", command=("uvx", "mcp-server-fetch", "--ignore-robots-txt"), source=HERE
            ),
            ("command", "args"),
            '"args": ["mcp-server-fetch"]',
            '"args": [\n                "mcp-server-fetch",\n                "--ignore-robots-txt"\n            ]',
        ),
        (
            "claude-code",
            HttpServer(name="sentry", url="https://mcp.sentry.dev/sse", transport="sse", source=HERE),
            ("type", "url"),
            '"sentry":{"type":"http","url":"https://mcp.sentry.dev/mcp"}',
            '"sentry":{"type":"sse","url":"https://mcp.sentry.dev/sse"}',
        ),
    ],
)
async def test_update_changes_the_named_fields_of_a_real_entry_only(
    world: World, client: str, server: ServerDef, fields: tuple[str, ...], old: str, new: str
) -> None:
    world.servers = {server.name: server}
    op = UpdateOperation(update(server.name, in_=[target(client)], fields=fields), index=0, ctx=world.ctx())  # type: ignore[arg-type]
    plan = op.plan()
    assert [s.summary.split(" (")[0] for s in plan.steps] == [
        f"update {server.name} in {plan.steps[0].data['path']}"
    ]
    assert [r.status for r in await world.apply(op, plan)] == ["passed"]
    assert original(client).decode("utf-8").count(old) == 1
    assert read(str(plan.steps[0].data["path"])).decode("utf-8") == original(client).decode("utf-8").replace(
        old, new
    )
