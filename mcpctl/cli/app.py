"""The root typer app: global flags and the verbs. Command bodies import their modules lazily,
so ``mcpctl --version`` and ``--help`` load typer and nothing else.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mcpctl import __version__

app = typer.Typer(
    name="mcpctl",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

#: The server command given after ``--`` (split off before typer parses the rest).
_server_command: list[str] = []


def _version(value: bool) -> None:
    if value:
        print(f"mcpctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """mcpctl: make MCP servers testable and operable.

    SERVER is a URL (Streamable HTTP; a URL ending in /sse uses legacy HTTP+SSE), a name from a
    Servers spec, or a command after `--`:  mcpctl tools -- npx @modelcontextprotocol/server-everything
    """


OutputOpt = Annotated[str, typer.Option("--output", "-o", help="text or json.")]
HeaderOpt = Annotated[
    list[str] | None, typer.Option("--header", "-H", help="HTTP header 'Name: value' (repeatable).")
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Per-request timeout in seconds.")]
ProtocolOpt = Annotated[
    str,
    typer.Option("--protocol", help="auto (probe server/discover, fall back to initialize) or a revision."),
]
TransportOpt = Annotated[str, typer.Option("--transport", help="auto, streamable, sse (HTTP servers).")]
ServersOpt = Annotated[str | None, typer.Option("--servers", help="Servers spec file to look SERVER up in.")]
TraceOpt = Annotated[bool, typer.Option("--trace", help="Print every raw frame sent and received to stderr.")]
EnvOpt = Annotated[
    list[str] | None, typer.Option("--env", "-e", help="NAME=value for a stdio server (repeatable).")
]


def _connection(
    server: str | None,
    header: list[str] | None,
    timeout: float,
    protocol: str,
    transport: str,
    servers: str | None,
    trace: bool,
    env: list[str] | None,
) -> dict[str, object]:
    return {
        "server": server,
        "command": list(_server_command),
        "headers": header or [],
        "timeout": timeout,
        "protocol": protocol,
        "transport": transport,
        "servers_file": servers,
        "trace": trace,
        "env": env or [],
    }


def _finish(code: int) -> None:
    raise typer.Exit(code)


@app.command()
def tools(
    server: Annotated[str | None, typer.Argument(help="URL or Servers name (or use -- COMMAND...).")] = None,
    output: OutputOpt = "text",
    header: HeaderOpt = None,
    timeout: TimeoutOpt = 30.0,
    protocol: ProtocolOpt = "auto",
    transport: TransportOpt = "auto",
    servers: ServersOpt = None,
    trace: TraceOpt = False,
    env: EnvOpt = None,
) -> None:
    """List the tools a server offers (all pages)."""
    from mcpctl.cli import adhoc

    conn = _connection(server, header, timeout, protocol, transport, servers, trace, env)
    _finish(adhoc.run_list(conn, what="tools", output=output))


@app.command()
def resources(
    server: Annotated[str | None, typer.Argument(help="URL or Servers name (or use -- COMMAND...).")] = None,
    read: Annotated[
        str | None, typer.Option("--read", help="Read this resource URI instead of listing.")
    ] = None,
    output: OutputOpt = "text",
    header: HeaderOpt = None,
    timeout: TimeoutOpt = 30.0,
    protocol: ProtocolOpt = "auto",
    transport: TransportOpt = "auto",
    servers: ServersOpt = None,
    trace: TraceOpt = False,
    env: EnvOpt = None,
) -> None:
    """List resources and resource templates, or read one with --read URI."""
    from mcpctl.cli import adhoc

    conn = _connection(server, header, timeout, protocol, transport, servers, trace, env)
    if read is not None:
        _finish(adhoc.run_read(conn, uri=read, output=output))
    _finish(adhoc.run_list(conn, what="resources", output=output))


@app.command()
def prompts(
    server: Annotated[str | None, typer.Argument(help="URL or Servers name (or use -- COMMAND...).")] = None,
    get: Annotated[str | None, typer.Option("--get", help="Fetch this prompt instead of listing.")] = None,
    arg: Annotated[list[str] | None, typer.Option("--arg", "-a", help="key=value prompt argument.")] = None,
    output: OutputOpt = "text",
    header: HeaderOpt = None,
    timeout: TimeoutOpt = 30.0,
    protocol: ProtocolOpt = "auto",
    transport: TransportOpt = "auto",
    servers: ServersOpt = None,
    trace: TraceOpt = False,
    env: EnvOpt = None,
) -> None:
    """List prompts, or fetch one with --get NAME [--arg key=value ...]."""
    from mcpctl.cli import adhoc

    conn = _connection(server, header, timeout, protocol, transport, servers, trace, env)
    if get is not None:
        _finish(adhoc.run_get_prompt(conn, name=get, args=arg or [], output=output))
    _finish(adhoc.run_list(conn, what="prompts", output=output))


@app.command()
def call(
    args: Annotated[
        list[str] | None,
        typer.Argument(help="[SERVER] TOOL [key=value ...]; SERVER is omitted when a command follows --."),
    ] = None,
    json_args: Annotated[
        str | None, typer.Option("--json-args", help="Tool arguments as a JSON object.")
    ] = None,
    output: OutputOpt = "text",
    header: HeaderOpt = None,
    timeout: TimeoutOpt = 60.0,
    protocol: ProtocolOpt = "auto",
    transport: TransportOpt = "auto",
    servers: ServersOpt = None,
    trace: TraceOpt = False,
    env: EnvOpt = None,
    root: Annotated[
        list[str] | None, typer.Option("--root", help="A root URI answered to roots/list (repeatable).")
    ] = None,
    sampling_reply: Annotated[
        str | None,
        typer.Option(
            "--sampling-reply", help="JSON result answered to sampling/createMessage (else refused)."
        ),
    ] = None,
    elicitation: Annotated[
        str | None,
        typer.Option("--elicitation", help="'defaults' (accept with the schema defaults) or a JSON result."),
    ] = None,
) -> None:
    """Call a tool. key=value values follow the tool's input schema (else JSON, else string).

    Server-initiated requests during the call are answered: ping, roots/list (--root), and
    sampling or elicitation only when given a reply; otherwise they are refused with -32601.
    """
    from mcpctl.cli import adhoc

    rest = list(args or [])
    server = None if _server_command else (rest.pop(0) if rest else None)
    conn = _connection(server, header, timeout, protocol, transport, servers, trace, env)
    conn["client"] = adhoc.client_options(roots=root, sampling_reply=sampling_reply, elicitation=elicitation)
    _finish(adhoc.run_call(conn, words=rest, json_args=json_args, output=output))


@app.command()
def ping(
    server: Annotated[str | None, typer.Argument(help="URL or Servers name (or use -- COMMAND...).")] = None,
    count: Annotated[int, typer.Option("--count", "-c", min=1, help="Number of pings.")] = 1,
    output: OutputOpt = "text",
    header: HeaderOpt = None,
    timeout: TimeoutOpt = 10.0,
    protocol: ProtocolOpt = "auto",
    transport: TransportOpt = "auto",
    servers: ServersOpt = None,
    trace: TraceOpt = False,
    env: EnvOpt = None,
) -> None:
    """Connect and ping; prints the negotiated revision and round-trip times."""
    from mcpctl.cli import adhoc

    conn = _connection(server, header, timeout, protocol, transport, servers, trace, env)
    _finish(adhoc.run_ping(conn, count=count, output=output))


def main() -> None:
    """Entry point: split off ``-- COMMAND...`` (the server to spawn), then let typer parse."""
    argv = sys.argv[1:]
    if "--" in argv:
        cut = argv.index("--")
        _server_command[:] = argv[cut + 1 :]
        argv = argv[:cut]
    from mcpctl.cli.handler import fail
    from mcpctl.errors import McpctlError

    try:
        app(args=argv, prog_name="mcpctl")
    except McpctlError as exc:  # bad input found before anything ran (errors while running: run_async)
        sys.exit(fail(exc))
