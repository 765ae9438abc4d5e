"""Client configs as deploy targets: locations, entries per client, secrets, planned changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpctl.engine.batch.client_configs import (
    ClientConfig,
    ConfigDecodeError,
    EntryError,
    custom,
    decode,
    entry_for,
    locate,
    plan_change,
    reference_environ,
    update_for,
)
from mcpctl.engine.batch.jsonc_edit import AddEntry, EntryConflict, RemoveEntry, UpdateEntry
from mcpctl.errors import UsageError
from mcpctl.spec.build import load_specs
from mcpctl.spec.env import Secrets
from mcpctl.spec.model import (
    BearerAuth,
    ClientCredentialsAuth,
    HttpServer,
    MockServerRef,
    Source,
    StdioServer,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "client_configs"
HERE = Source(path="servers.yaml", line=1, column=1)
STDIO = StdioServer(name="notes", command=("uvx", "notes-mcp", "--ro"), env={"LEVEL": "debug"}, source=HERE)
REMOTE = HttpServer(name="search", url="https://search.example/mcp", headers={"X-Team": "core"}, source=HERE)
MOCK = MockServerRef(name="weather", spec="/specs/weather.yaml", source=HERE)


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir()
    home.mkdir()
    return project, home


def place(path: Path, sample: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((DATA / sample).read_bytes())
    return str(path)


# -- where the files are ------------------------------------------------------------------------
def test_locate_finds_each_clients_file(dirs: tuple[Path, Path]) -> None:
    project, home = dirs
    desktop = place(
        home / "Library/Application Support/Claude/claude_desktop_config.json", "claude_desktop_config.json"
    )
    cursor = place(home / ".cursor/mcp.json", "cursor_mcp.json")
    vscode = place(project / ".vscode/mcp.json", "vscode_mcp.json")
    code = place(project / ".mcp.json", "claude_code_mcp.json")
    where = {"base_dir": str(project), "home": str(home), "environ": {}, "platform": "linux"}
    assert locate("claude-desktop", **where) == ClientConfig(
        client="claude-desktop",
        path=desktop,
        key_path=("mcpServers",),
        jsonc=False,
        entry_style="claude-desktop",
    )
    assert locate("cursor", **where).path == cursor
    assert locate("vscode", **where) == ClientConfig(
        client="vscode", path=vscode, key_path=("servers",), jsonc=True, entry_style="vscode"
    )
    assert locate("claude-code", **where).path == code
    project_cursor = place(project / ".cursor/mcp.json", "cursor_mcp.json")
    assert locate("cursor", **where).path == project_cursor  # the project's file wins


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("linux", "home/.config/Claude/claude_desktop_config.json"),
        ("darwin", "home/Library/Application Support/Claude/claude_desktop_config.json"),
        ("win32", "roaming/Claude/claude_desktop_config.json"),
    ],
)
def test_a_new_claude_desktop_file_goes_where_the_os_keeps_it(
    dirs: tuple[Path, Path], platform: str, expected: str
) -> None:
    project, home = dirs
    environ = {"APPDATA": str(home.parent / "roaming")}
    config = locate(
        "claude-desktop", base_dir=str(project), home=str(home), environ=environ, platform=platform
    )
    assert config.path == str(home.parent / expected)


def test_new_project_files(dirs: tuple[Path, Path]) -> None:
    project, home = dirs
    where = {"base_dir": str(project), "home": str(home), "environ": {}}
    assert locate("cursor", **where).path == str(project / ".cursor/mcp.json")
    assert locate("vscode", **where).path == str(project / ".vscode/mcp.json")
    assert locate("claude-code", **where).path == str(project / ".mcp.json")


def test_custom_files() -> None:
    assert custom("tools.json", "mcp.servers") == ClientConfig(
        client="custom", path="tools.json", key_path=("mcp", "servers"), jsonc=False, entry_style="plain"
    )
    assert custom("a.jsonc", 'x["a.b"]', entry_style="vscode").key_path == ("x", "a.b")
    assert custom("a.jsonc", ["servers"]).jsonc is True
    with pytest.raises(UsageError) as caught:
        custom("a.json", "mcp..servers")
    assert (
        str(caught.value)
        == "invalid key path 'mcp..servers': expected keys separated by dots, like mcp.servers"
    )


# -- entries ------------------------------------------------------------------------------------
def test_stdio_entries() -> None:
    plain = {"command": "uvx", "args": ["notes-mcp", "--ro"], "env": {"LEVEL": "debug"}}
    assert entry_for("claude-desktop", STDIO) == plain
    assert entry_for("cursor", STDIO) == plain
    assert entry_for("vscode", STDIO) == {"type": "stdio", **plain}
    assert entry_for("claude-code", STDIO) == {"type": "stdio", **plain}
    assert list(entry_for("vscode", STDIO)) == ["type", "command", "args", "env"]
    bare = StdioServer(name="bare", command=("srv",), source=HERE)
    assert entry_for("cursor", bare) == {"command": "srv", "args": []}


def test_a_mock_deploys_as_mcpctl_mock_serve() -> None:
    assert entry_for("claude-code", MOCK) == {
        "type": "stdio",
        "command": "mcpctl",
        "args": ["mock", "serve", "/specs/weather.yaml"],
    }
    assert entry_for("cursor", MOCK, mcpctl=("/venv/bin/python", "-m", "mcpctl"))["args"] == [
        "-m",
        "mcpctl",
        "mock",
        "serve",
        "/specs/weather.yaml",
    ]


def test_remote_entries() -> None:
    sse = HttpServer(name="old", url="https://old.example/sse", transport="sse", source=HERE)
    assert entry_for("cursor", REMOTE) == {"url": "https://search.example/mcp", "headers": {"X-Team": "core"}}
    assert entry_for("vscode", REMOTE) == {
        "type": "http",
        "url": "https://search.example/mcp",
        "headers": {"X-Team": "core"},
    }
    assert entry_for("claude-code", sse) == {"type": "sse", "url": "https://old.example/sse"}
    assert entry_for("plain", sse) == {"type": "sse", "url": "https://old.example/sse"}


def test_a_bearer_token_becomes_the_authorization_header() -> None:
    server = HttpServer(name="s", url="u", auth=BearerAuth(token="${env:TOKEN}"), source=HERE)
    assert entry_for("claude-code", server)["headers"] == {"Authorization": "Bearer ${TOKEN}"}


@pytest.mark.parametrize(
    ("style", "server", "message"),
    [
        (
            "claude-desktop",
            REMOTE,
            "search: cannot deploy to Claude Desktop: its config file holds stdio servers only; "
            "add a remote server as a custom connector in its settings",
        ),
        (
            "cursor",
            HttpServer(
                name="m", url="u", auth=ClientCredentialsAuth(client_id="i", client_secret="s"), source=HERE
            ),
            "m: cannot deploy to Cursor: OAuth client credentials cannot be written into a client config "
            "(the client signs in itself); deploy the server without auth",
        ),
        (
            "claude-code",
            StdioServer(name="w", command=("srv",), cwd="/work", source=HERE),
            "w: cannot deploy to Claude Code: it reads no working directory (cwd) for a server",
        ),
    ],
)
def test_entries_a_client_cannot_hold(style: str, server: HttpServer | StdioServer, message: str) -> None:
    with pytest.raises(EntryError) as caught:
        entry_for(style, server)  # type: ignore[arg-type]
    assert str(caught.value) == message
    assert caught.value.exit_code == 2


def test_vscode_keeps_the_working_directory() -> None:
    server = StdioServer(name="w", command=("srv",), cwd="/work", source=HERE)
    assert entry_for("vscode", server) == {"type": "stdio", "command": "srv", "args": [], "cwd": "/work"}


# -- secrets ------------------------------------------------------------------------------------
SECRET_SPEC = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: deploy}
servers:
  github:
    command: docker
    args: [run, -i, --rm, -e, GITHUB_TOKEN, "ghcr.io/github/github-mcp-server"]
    env: {GITHUB_TOKEN: "${env:GITHUB_TOKEN}", LOG: "debug"}
  search:
    url: https://search.example/mcp
    headers: {X-Key: "key-${env:SEARCH_KEY}"}
"""
ENVIRON = {"GITHUB_TOKEN": "ghp_s3cret", "SEARCH_KEY": "sk-123", "HOME": "/nonexistent"}


@pytest.fixture
def secret_spec(tmp_path: Path) -> str:
    path = tmp_path / "servers.yaml"
    path.write_text(SECRET_SPEC, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("style", "token", "key"),
    [
        ("vscode", "${env:GITHUB_TOKEN}", "key-${env:SEARCH_KEY}"),
        ("cursor", "${env:GITHUB_TOKEN}", "key-${env:SEARCH_KEY}"),
        ("claude-code", "${GITHUB_TOKEN}", "key-${SEARCH_KEY}"),
    ],
)
def test_secrets_are_written_as_the_clients_own_references(
    secret_spec: str, style: str, token: str, key: str
) -> None:
    real = load_specs([secret_spec], environ=ENVIRON)
    servers = load_specs([secret_spec], environ=reference_environ(ENVIRON)).servers
    github = entry_for(style, servers["github"], secrets=real.secrets)  # type: ignore[arg-type]
    assert github["env"] == {"GITHUB_TOKEN": token, "LOG": "debug"}
    search = entry_for(style, servers["search"], secrets=real.secrets)  # type: ignore[arg-type]
    assert search["headers"] == {"X-Key": key}
    assert "ghp_s3cret" not in repr(github)
    assert "sk-123" not in repr(search)


def test_an_unset_variable_is_still_an_error(secret_spec: str) -> None:
    with pytest.raises(UsageError) as caught:
        load_specs([secret_spec], environ=reference_environ({"GITHUB_TOKEN": "x"}))
    assert "environment variable SEARCH_KEY is not set" in str(caught.value)


def test_a_client_without_references_refuses_secrets(secret_spec: str) -> None:
    servers = load_specs([secret_spec], environ=reference_environ(ENVIRON)).servers
    with pytest.raises(EntryError) as caught:
        entry_for("claude-desktop", servers["github"])
    assert str(caught.value) == (
        "github: cannot deploy to Claude Desktop: env.GITHUB_TOKEN comes from ${env:GITHUB_TOKEN} and the file "
        "has no way to refer to an environment variable (writing the value would store the secret in it); "
        "deploy to cursor, vscode or claude-code"
    )


def test_a_secret_value_is_never_written(secret_spec: str) -> None:
    real = load_specs([secret_spec], environ=ENVIRON)  # built with the values, not the references
    with pytest.raises(EntryError) as caught:
        entry_for("vscode", real.servers["github"], secrets=real.secrets)
    assert str(caught.value) == (
        "github: cannot deploy to VS Code: env.GITHUB_TOKEN contains the value of a variable the specs read "
        "with ${env:...}; mcpctl writes no secret values into client configs"
    )
    leaky = StdioServer(name="x", command=("srv", "--token", "ghp_s3cret"), source=HERE)
    with pytest.raises(EntryError, match=r"args\[1\] contains the value"):
        entry_for("claude-code", leaky, secrets=real.secrets)
    secrets = Secrets()
    assert entry_for("cursor", leaky, secrets=secrets)["args"] == ["--token", "ghp_s3cret"]


# -- planned changes ----------------------------------------------------------------------------
def desktop(path: str) -> ClientConfig:
    return ClientConfig(
        client="claude-desktop",
        path=path,
        key_path=("mcpServers",),
        jsonc=False,
        entry_style="claude-desktop",
    )


def test_plan_a_deploy_shows_a_unified_diff() -> None:
    config = desktop("/home/ada/.config/Claude/claude_desktop_config.json")
    old = decode((DATA / "claude_desktop_config.json").read_bytes(), path=config.path)
    change = plan_change(config, old, AddEntry(name="weather", value=entry_for(config, MOCK)))
    assert not change.noop
    assert change.diff == (
        "--- /home/ada/.config/Claude/claude_desktop_config.json\n"
        "+++ /home/ada/.config/Claude/claude_desktop_config.json\n"
        "@@ -13,6 +13,14 @@\n"
        '     "sqlite": {\n'
        '       "command": "uvx",\n'
        '       "args": ["mcp-server-sqlite", "--db-path", "/Users/ada/test.db"]\n'
        "+    },\n"
        '+    "weather": {\n'
        '+      "command": "mcpctl",\n'
        '+      "args": [\n'
        '+        "mock",\n'
        '+        "serve",\n'
        '+        "/specs/weather.yaml"\n'
        "+      ]\n"
        "     }\n"
        "   },\n"
        '   "preferences": {\n'
    )
    again = plan_change(config, change.new_text, AddEntry(name="weather", value=entry_for(config, MOCK)))
    assert again.noop
    assert again.diff == ""
    assert again.new_text == change.new_text


def test_plan_a_new_file() -> None:
    config = ClientConfig(
        client="claude-code",
        path=".mcp.json",
        key_path=("mcpServers",),
        jsonc=False,
        entry_style="claude-code",
    )
    change = plan_change(config, None, AddEntry(name="notes", value={"type": "stdio", "command": "n"}))
    assert (
        change.new_text
        == '{\n  "mcpServers": {\n    "notes": {\n      "type": "stdio",\n      "command": "n"\n    }\n  }\n}\n'
    )
    assert change.diff.splitlines()[:3] == ["--- /dev/null", "+++ .mcp.json", "@@ -0,0 +1,8 @@"]
    gone = plan_change(config, None, RemoveEntry(name="notes", missing_ok=True))
    assert gone.noop


def test_crlf_and_a_missing_final_newline_survive() -> None:
    config = custom("m.json", "mcpServers")
    old = decode(b'{\r\n  "mcpServers": {}\r\n}', path="m.json")
    change = plan_change(config, old, AddEntry(name="a", value={"command": "a"}))
    assert (
        change.new_bytes
        == b'{\r\n  "mcpServers": {\r\n    "a": {\r\n      "command": "a"\r\n    }\r\n  }\r\n}'
    )
    assert change.diff.endswith("\n }\n\\ No newline at end of file\n")


def test_a_conflicting_deploy_is_refused() -> None:
    config = desktop("c.json")
    old = decode((DATA / "claude_desktop_config.json").read_bytes(), path="c.json")
    with pytest.raises(EntryConflict) as caught:
        plan_change(config, old, AddEntry(name="sqlite", value=entry_for(config, STDIO)))
    assert (
        str(caught.value)
        == "c.json: mcpServers.sqlite: already exists with a different value (force replaces it)"
    )


def test_update_changes_only_the_named_fields() -> None:
    config = custom("m.json", "mcpServers", entry_style="claude-code")
    old = decode((DATA / "claude_code_mcp.json").read_bytes(), path="m.json")
    server = StdioServer(name="airtable", command=("npx", "-y", "airtable-mcp-server@2.0.1"), source=HERE)
    op = update_for(config, server, fields=("command", "args", "env"))
    assert op == UpdateEntry(
        name="airtable", set={"command": "npx", "args": ["-y", "airtable-mcp-server@2.0.1"]}, unset=("env",)
    )
    change = plan_change(config, old, op)
    assert change.new_text == old.replace(
        '"args":["-y","airtable-mcp-server"],"env":{"AIRTABLE_API_KEY":"${AIRTABLE_API_KEY}"}',
        '"args":["-y","airtable-mcp-server@2.0.1"]',
    )


def test_decode_refuses_bytes_that_are_not_utf8() -> None:
    with pytest.raises(ConfigDecodeError) as caught:
        decode(b'{\n  "a": "\xff"\n}', path="c.json")
    assert str(caught.value) == "c.json:2:9: not UTF-8 text"
    assert decode(b"\xef\xbb\xbf{}", path="c.json") == "\ufeff{}"


@pytest.mark.parametrize(
    ("client", "sample", "where"),
    [
        ("claude-desktop", "claude_desktop_config.json", ".config/Claude/claude_desktop_config.json"),
        ("cursor", "cursor_mcp.json", ".cursor/mcp.json"),
        ("vscode", "vscode_mcp.json", ".vscode/mcp.json"),
        ("claude-code", "claude_code_mcp.json", ".mcp.json"),
    ],
)
def test_deploy_and_undeploy_on_each_client(
    dirs: tuple[Path, Path], client: str, sample: str, where: str
) -> None:
    project, home = dirs
    base = home if client in ("claude-desktop", "cursor") else project
    path = place(base / where, sample)
    config = locate(client, base_dir=str(project), home=str(home), environ={}, platform="linux")  # type: ignore[arg-type]
    assert config.path == path
    original = decode(Path(path).read_bytes(), path=path)
    deployed = plan_change(config, original, AddEntry(name="weather", value=entry_for(config, MOCK)))
    assert deployed.new_text.count("weather") == 2  # the name and the spec path, nothing else changed
    undeployed = plan_change(config, deployed.new_text, RemoveEntry(name="weather"))
    assert undeployed.new_bytes == Path(path).read_bytes()
