"""``mcpctl lint``: check tool definitions of servers, tools.json files and client configs."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Sequence
from typing import cast

import orjson

from mcpctl.cli.handler import EXIT_FAILED, EXIT_OK, fail, run_async
from mcpctl.engine.lint import output as render
from mcpctl.engine.lint.model import Finding, ListedServer, Severity
from mcpctl.engine.lint.run import failing, lint
from mcpctl.engine.lint.sarif import to_sarif
from mcpctl.engine.lint.sources import (
    Pending,
    UrlTarget,
    is_client_config,
    list_all,
    mock_listing,
    read_json,
    tools_file,
)
from mcpctl.errors import McpctlError, UsageError
from mcpctl.mcp.client import ServerTarget
from mcpctl.mock import builtin
from mcpctl.spec.build import load_specs
from mcpctl.spec.model import ServerDef

OUTPUTS = ("text", "json", "sarif", "github")
FAIL_ON = ("error", "warning")


def run_lint(
    targets: list[str],
    *,
    output: str,
    fail_on: str,
    list_rules: bool,
    budget: int,
    servers_files: list[str],
    timeout: float,
) -> int:
    """Lint every target together; exit 1 when a finding at or above ``fail_on`` exists."""
    try:
        if output not in OUTPUTS:
            raise UsageError(f"--output {output!r}: expected {', '.join(OUTPUTS)}")
        if fail_on not in FAIL_ON:
            raise UsageError(f"--fail-on {fail_on!r}: expected error or warning")
        if list_rules:
            print(render.rules_table())
            return EXIT_OK
        if not targets:
            raise UsageError("no target: give a server, a tools.json file or a client config")
        pending = pending_of(targets, servers_files=servers_files)
    except McpctlError as exc:
        return fail(exc)

    async def main() -> int:
        servers = await list_all(pending, timeout=timeout)
        findings = lint(servers, budget=budget)
        _emit(findings, servers, output)
        return EXIT_FAILED if failing(findings, cast(Severity, fail_on)) else EXIT_OK

    return run_async(main)


def _emit(findings: Sequence[Finding], servers: Sequence[ListedServer], output: str) -> None:
    tools = sum(len(server.tools) for server in servers)
    if output == "json":
        document = render.to_json(findings, servers=len(servers), tools=tools)
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif output == "sarif":
        sys.stdout.write(orjson.dumps(to_sarif(findings), option=orjson.OPT_INDENT_2).decode() + "\n")
    elif output == "github":
        for line in github_lines(findings, workspace=os.environ.get("GITHUB_WORKSPACE")):
            print(line)
    else:
        if findings:
            print(render.table(findings))
        print(render.summary(findings, servers=len(servers), tools=tools))


def github_lines(findings: Sequence[Finding], *, workspace: str | None) -> list[str]:
    """One workflow command per finding (``::error``, ``::warning``, ``::notice``), escaped as
    :mod:`mcpctl.report.github` escapes them; a finding from a file points at its line."""
    from mcpctl.report.github import escape_data, escape_property

    command = {"error": "error", "warning": "warning", "note": "notice"}
    lines = []
    for f in findings:
        properties = []
        if f.source is not None:
            properties.append(f"file={escape_property(_relative(f.source.path, workspace))}")
            properties.append(f"line={f.source.line}")
        where = f"{f.server}/{f.tool}" if f.tool is not None else f.server
        properties.append(f"title={escape_property(f'{f.rule} {where}')}")
        lines.append(f"::{command[f.severity]} {','.join(properties)}::{escape_data(f.message)}")
    return lines


def _relative(path: str, workspace: str | None) -> str:
    base = os.path.abspath(workspace or os.getcwd())
    absolute = os.path.abspath(path)
    return os.path.relpath(absolute, base) if absolute.startswith(base + os.sep) else path


# -- what the targets name --------------------------------------------------------------------------
def pending_of(targets: Sequence[str], *, servers_files: Sequence[str]) -> list[Pending]:
    """What each target names, in order: a URL, ``builtin:NAME``, a file (tools.json, client config,
    MockServer or Servers spec), a server of ``--servers``, or a client (``claude-desktop``...)."""
    pending: list[Pending] = []
    known: dict[str, ServerDef] | None = None
    for target in targets:
        if target.startswith(("http://", "https://")):
            pending.append(UrlTarget(name=target, target=_url_target(target)))
        elif target.startswith(builtin.PREFIX):
            pending.append(mock_listing(target.removeprefix(builtin.PREFIX), target, source=None))
        elif os.path.isfile(target):
            pending.extend(_file(target))
        else:
            if known is None:
                known = dict(load_specs([], servers_files=servers_files).servers) if servers_files else {}
            pending.extend(_named(target, known))
    return _unique(pending)


def _url_target(url: str) -> ServerTarget:
    from mcpctl.cli.target import resolve_target

    return resolve_target(server=url, command=(), headers=(), transport="auto", env=(), servers_file=None)


def _file(path: str) -> list[Pending]:
    if path.endswith((".yaml", ".yml")):
        specs = load_specs([path])
        found: list[Pending] = [
            mock_listing(mock.metadata.name, path, source=None) for mock in specs.mocks[:1]
        ]
        found.extend(specs.servers.values())
        if not found:
            raise UsageError(f"{path}: no MockServer or Servers document to lint")
        return found
    document = read_json(path)
    if not is_client_config(document):
        return [tools_file(path, document)]
    return list(_import(path).values())


def _import(ref: str) -> dict[str, ServerDef]:
    from mcpctl.spec.env import Secrets
    from mcpctl.spec.imports import ImportProblem, import_servers

    base = os.path.dirname(os.path.abspath(ref)) if os.path.isfile(ref) else os.getcwd()
    target = os.path.abspath(ref) if os.path.isfile(ref) else ref
    try:
        servers = import_servers(target, base_dir=base, environ=os.environ, secrets=Secrets())
    except ImportProblem as exc:
        raise UsageError(str(exc)) from None
    if not servers:
        raise UsageError(f"{ref}: the client config has no enabled server")
    return servers


def _named(target: str, known: dict[str, ServerDef]) -> list[Pending]:
    from mcpctl.spec.client_files import PRODUCTS

    if target in known:
        return [known[target]]
    if target in PRODUCTS:
        return list(_import(target).values())
    names = f" (--servers defines: {', '.join(sorted(known))})" if known else ""
    raise UsageError(
        f"{target!r} is not a URL, builtin:NAME, file or client ({', '.join(PRODUCTS)}), "
        f"nor a server of --servers{names}"
    )


def _unique(pending: list[Pending]) -> list[Pending]:
    """Servers with the same name (two tools.json files) keep their place but get distinct names."""
    seen: set[str] = set()
    out: list[Pending] = []
    for item in pending:
        name, count = item.name, 2
        while name in seen:
            name, count = f"{item.name}#{count}", count + 1
        seen.add(name)
        out.append(item if name == item.name else dataclasses.replace(item, name=name))
    return out
