"""``mcpctl init SERVER [--out DIR]``: write a Servers spec, a TestSuite and a pin lock for a server.

SERVER is reached as the other ad-hoc commands reach it (a URL, a Servers name with ``--servers``, a
command after ``--``) or, as ``compare`` and ``lint`` take it, a mock: ``builtin:NAME`` or a
MockServer spec file. The Servers spec says how it was reached, without secrets: credentials given
on the command line or in the environment are written as ``${env:NAME}`` references.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from mcpctl.cli.handler import EXIT_OK, run_async
from mcpctl.cli.target import target_of
from mcpctl.engine.init.author import InitRequest, InitResult, init_server
from mcpctl.engine.safety import level_of
from mcpctl.engine.targets import target_for
from mcpctl.mcp.client import HttpTarget, ServerTarget, StdioTarget
from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.mock import builtin
from mcpctl.spec.model import MockServerRef, Source

SECRET_WORDS: Final = ("authorization", "cookie", "token", "key", "secret", "password", "auth")
"""Header and environment names whose values are written as ``${env:NAME}``, never as given."""
MOCK_SUFFIXES: Final = (".yaml", ".yml")


def run_init(
    conn: dict[str, object], *, out: str, name: str | None, allow: str, force: bool, state_dir: str | None
) -> int:
    """Survey the server of ``conn`` and write its specs into ``out``; exit 0 written, 2 bad input
    (files there without ``force``: nothing is written), 3 the server could not be reached."""
    from mcpctl.store import state_dir as store_dir

    level = level_of(allow)
    directory = Path(out)
    target, entry, source = reached(conn, directory)
    needed = _references(entry, conn)
    # the written suite is run before init returns: the values it references must be there
    os.environ.update(needed)
    # the mocks init starts keep their call history where `mcpctl mock history` reads it
    os.environ["MCPCTL_STATE_DIR"] = str(store_dir(state_dir).absolute())
    timeout = conn.get("timeout")
    request = InitRequest(
        target=target,
        entry=entry,
        source=source,
        name=name,
        directory=directory,
        allow=level,
        timeout=float(timeout) if isinstance(timeout, int | float) else 30.0,
        protocol=str(conn.get("protocol") or "auto"),
        force=force,
    )

    async def main() -> int:
        print(render(await init_server(request)))
        if needed:
            print(
                f"(before running it, set {', '.join(sorted(needed))}: the specs read them from the environment)"
            )
        return EXIT_OK

    return run_async(main)


# -- how the server was reached ---------------------------------------------------------------------------
def reached(conn: Mapping[str, Any], directory: Path) -> tuple[ServerTarget, dict[str, JSONValue], str]:
    """The target to survey, the server's Servers entry (paths relative to ``directory``) and how the
    user named it."""
    server = conn.get("server")
    if isinstance(server, str) and not conn.get("command") and _is_mock(server):
        spec = server if server.startswith(builtin.PREFIX) else os.path.abspath(server)
        if server.startswith(builtin.PREFIX):
            builtin.path_of(server)  # an unknown bundled mock is a usage error naming the known ones
        mock = spec if server.startswith(builtin.PREFIX) else _relative(spec, directory)
        # served by mcpctl itself over stdio, exactly as the written `mock:` server is when the suite runs
        where = Source(path="<command line>", line=0, column=0)
        return target_for(MockServerRef(name=server, spec=spec, source=where)), {"mock": mock}, server
    target = target_of(conn)
    servers_file = conn.get("servers_file")
    if isinstance(server, str) and servers_file and not server.startswith(("http://", "https://")):
        written = _written_entry(str(servers_file), server, directory)
        if written is not None:
            return target, written, f"{server} in {servers_file}"
    return target, entry_of(target, directory), server if isinstance(server, str) else _words(conn)


def _is_mock(server: str) -> bool:
    if server.startswith(builtin.PREFIX):
        return True
    return server.endswith(MOCK_SUFFIXES) and os.path.isfile(server)


def entry_of(target: ServerTarget, directory: Path) -> dict[str, JSONValue]:
    """A Servers entry that reaches ``target`` again, with secrets as ``${env:NAME}`` references."""
    if isinstance(target, StdioTarget):
        entry: dict[str, JSONValue] = {"command": target.command[0], "args": list(target.command[1:])}
        if target.env:
            entry["env"] = {key: _kept(key, value, "") for key, value in target.env.items()}
        entry["cwd"] = _relative(target.cwd or os.getcwd(), directory)
        return entry
    assert isinstance(target, HttpTarget)
    entry = {"url": target.url}
    if target.transport == "sse":
        entry["transport"] = "sse"
    if target.headers:
        entry["headers"] = {k: _kept(k, v, "MCPCTL_HEADER_") for k, v in target.headers.items()}
    if target.bearer_token is not None:
        entry["auth"] = {"bearer": "${env:MCPCTL_BEARER_TOKEN}"}
    elif target.auth is not None:
        entry["auth"] = {"oauth": {}}  # the login `mcpctl auth login URL` stored
    return entry


def _kept(name: str, value: str, prefix: str) -> str:
    if any(word in name.lower() for word in SECRET_WORDS):
        return f"${{env:{_variable(name, prefix)}}}"
    return value


def _variable(name: str, prefix: str) -> str:
    return prefix + "".join(c if c.isalnum() else "_" for c in name.upper())


def _references(entry: Mapping[str, JSONValue], conn: Mapping[str, Any]) -> dict[str, str]:
    """The environment variables the entry references for secrets given on the command line, with
    their values (as given there), where the environment lacks them."""
    given: dict[str, str] = {}
    for raw in conn.get("headers") or []:
        name, _, value = str(raw).partition(":")
        given[_variable(name.strip(), "MCPCTL_HEADER_")] = value.strip()
    for raw in conn.get("env") or []:
        name, _, value = str(raw).partition("=")
        given[_variable(name, "")] = value
    text = str(entry)
    return {k: v for k, v in given.items() if f"${{env:{k}}}" in text and k not in os.environ}


def _written_entry(path: str, name: str, directory: Path) -> dict[str, JSONValue] | None:
    """The entry of server ``name`` as written in the Servers spec ``path`` (``${env:...}`` kept),
    relative paths rebased onto ``directory``; ``None`` when it came from an ``import:``."""
    import yaml

    base = Path(path).resolve().parent
    with open(path, encoding="utf-8") as handle:
        documents = list(yaml.safe_load_all(handle))
    for document in documents:
        servers = document.get("servers") if isinstance(document, dict) else None
        entry = servers.get(name) if isinstance(servers, dict) else None
        if isinstance(entry, dict):
            return _rebased({k: v for k, v in entry.items() if k != "pin"}, base, directory)
    return None


def _rebased(entry: dict[str, JSONValue], base: Path, directory: Path) -> dict[str, JSONValue]:
    for key in ("mock", "cwd"):
        value = entry.get(key)
        if isinstance(value, str) and not value.startswith(builtin.PREFIX) and not os.path.isabs(value):
            entry[key] = _relative(str(base / value), directory)
    if "command" in entry and "cwd" not in entry:
        entry["cwd"] = _relative(str(base), directory)
    return entry


def _relative(path: str, directory: Path) -> str:
    return os.path.relpath(os.path.abspath(path), directory.absolute())


def _words(conn: Mapping[str, Any]) -> str:
    command: Sequence[str] = conn.get("command") or []
    return " ".join(str(word) for word in command)


# -- what the user reads --------------------------------------------------------------------------------
def render(result: InitResult) -> str:
    """What was written, what was called, what was skipped and why, and the command to run next."""
    plan, files = result.plan, result.files
    live = [t for t in plan.tests if t.commented is None]
    skipped = [t for t in live if t.skip is not None]
    snapshots = [t for t in live if t.snapshot is not None]
    survey = plan.survey
    lines = [
        f"mcpctl init: wrote the specs of {plan.name} ({_server(result)})",
        f"  {files.servers}  Servers spec: how to reach it, pinned",
        f"  {files.suite}  TestSuite: {len(live)} tests ({len(skipped)} skipped), "
        f"{len(plan.tests) - len(live)} to fill in",
        f"  {files.lock}  pin lock of {len(survey.tools)} tools",
    ]
    if snapshots:
        lines.append(f"  {files.snapshots}{os.sep}  {len(snapshots)} snapshots")
    called = ", ".join(p.name for p in survey.called) or "none"
    lines += ["", f"called ({len(survey.called)} of {len(survey.tools)} tools): {called}"]
    if survey.resources or survey.prompts:
        lines.append(f"read {len(survey.resources)} resources, fetched {len(survey.prompts)} prompts")
    if survey.skipped:
        lines += ["", "not called (commented-out tests to fill in):"]
        lines += [f"  {s.tool}: {s.reason}" for s in survey.skipped]
    refused = [t for t in live if t.note is not None]
    if refused:
        lines += ["", "refused the generated arguments (tested as answered; put real arguments in):"]
        lines += [f"  {t.target}: {t.note}" for t in refused]
    if skipped:
        lines += ["", "written with skip: (fill in arguments that work):"]
        lines += [f"  {t.name}: {t.skip}" for t in skipped]
    if result.changes:
        lines += ["", "settled by running the suite:"] + [f"  {change}" for change in result.changes]
    lines += ["", f"next: mcpctl test {files.directory}"]
    return "\n".join(lines)


def _server(result: InitResult) -> str:
    info = result.plan.survey.server_info
    return " ".join(str(info.get(key, "")) for key in ("name", "version")).strip() or "no serverInfo"
