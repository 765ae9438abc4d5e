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

AllowDestructiveOpt = Annotated[
    bool,
    typer.Option(
        "--allow-destructive",
        help="Also call tools not annotated readOnlyHint: true (never destructiveHint: true ones).",
    ),
]
AllowDestructiveAllOpt = Annotated[
    bool,
    typer.Option(
        "--allow-destructive-all",
        help="Call even tools annotated destructiveHint: true (also written --allow-destructive=all).",
    ),
]


def _allow(allow_destructive: bool, allow_destructive_all: bool) -> str:
    """The safety rule's level: read-only (the default), non-destructive or all."""
    return "all" if allow_destructive_all else "non-destructive" if allow_destructive else "read-only"


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


SpecServersOpt = Annotated[
    list[str] | None,
    typer.Option("--servers", help="Extra spec file(s) holding Servers documents (repeatable)."),
]
StateDirOpt = Annotated[
    str | None,
    typer.Option(
        "--state-dir", envvar="MCPCTL_STATE_DIR", help="Where runs are recorded (default .mcpctl/)."
    ),
]
ReportOpt = Annotated[
    list[str] | None,
    typer.Option("--report", help="FORMAT:PATH, e.g. junit:results.xml or json:run.json (repeatable)."),
]
PathsArg = Annotated[list[str], typer.Argument(help="Spec files or directories (*.yaml, *.yml).")]


@app.command()
def validate(
    paths: PathsArg,
    servers: SpecServersOpt = None,
    output: OutputOpt = "text",
) -> None:
    """Check specs against their schemas and for meaning (server names, saves, regexes, pinned
    tools) without running anything. Prints every problem as file:line:col; exit 2 if any."""
    from mcpctl.cli import validate as command

    _finish(command.run(paths, servers_files=servers or [], output=output))


@app.command()
def schema(
    kind: Annotated[str | None, typer.Argument(help="A spec kind, e.g. TestSuite; omit to list.")] = None,
) -> None:
    """Print the JSON Schema of a spec kind (or list the kinds)."""
    from mcpctl.cli import schema as command

    _finish(command.run(kind))


def _run_options(
    paths: list[str],
    servers: list[str] | None,
    output: str,
    report: list[str] | None,
    state_dir: str | None,
    select: list[str] | None,
    concurrency: int | None,
) -> dict[str, object]:
    return {
        "paths": paths,
        "servers_files": servers or [],
        "output": output,
        "reports": report or [],
        "state_dir": state_dir,
        "select": select or [],
        "concurrency": concurrency,
    }


SelectOpt = Annotated[
    list[str] | None,
    typer.Option("--select", "-k", help="Run only tests whose suite/test name contains this (repeatable)."),
]
ConcurrencyOpt = Annotated[
    int | None, typer.Option("--concurrency", "-j", min=1, help="Override each suite's concurrency.")
]
BaselineOpt = Annotated[
    str | None,
    typer.Option(
        "--baseline",
        help="Compare with a baseline run (a name from mcpctl baseline set, or last-pass); exit 1 on a regression.",
    ),
]


UpdateSnapshotsOpt = Annotated[
    bool,
    typer.Option(
        "--update-snapshots",
        help="Rewrite the snapshots whose answers changed (refused while other assertions fail).",
    ),
]


@app.command("test")
def run_tests(
    paths: PathsArg,
    servers: SpecServersOpt = None,
    output: OutputOpt = "text",
    report: ReportOpt = None,
    state_dir: StateDirOpt = None,
    select: SelectOpt = None,
    concurrency: ConcurrencyOpt = None,
    baseline: BaselineOpt = None,
    update_snapshots: UpdateSnapshotsOpt = False,
) -> None:
    """Run the TestSuite documents of the given specs. Exit 0 all passed, 1 a test failed (or, with
    --baseline, something regressed), 2 bad spec (nothing ran), 3 a server could not be reached."""
    from mcpctl.cli import run as command

    options = _run_options(paths, servers, output, report, state_dir, select, concurrency)
    _finish(
        command.run(options | {"baseline": baseline, "update_snapshots": update_snapshots}, command="test")
    )


@app.command()
def apply(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Spec files or directories (none with --resume).")
    ] = None,
    servers: SpecServersOpt = None,
    output: OutputOpt = "text",
    report: ReportOpt = None,
    state_dir: StateDirOpt = None,
    select: SelectOpt = None,
    concurrency: ConcurrencyOpt = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Apply BatchPlans without asking (asked only on a terminal).")
    ] = False,
    resume: Annotated[
        str | None,
        typer.Option(
            "--resume", help="Finish batch run RUN (an id, a prefix or 'last'): done steps are skipped."
        ),
    ] = None,
    baseline: BaselineOpt = None,
    update_snapshots: UpdateSnapshotsOpt = False,
) -> None:
    """Validate every spec, then run each document by its kind: TestSuites, then BatchPlans (each a
    journaled run; see mcpctl plan). Exit 0 all good, 1 a failure, 2 bad spec (nothing ran), 3 a server
    could not be reached, 130 interrupted."""
    from mcpctl.cli import run as command

    if not paths and resume is None:
        raise typer.BadParameter("give spec files or directories, or --resume RUN", param_hint="PATHS")
    options = _run_options(paths or [], servers, output, report, state_dir, select, concurrency)
    extra = {"yes": yes, "resume": resume, "baseline": baseline, "update_snapshots": update_snapshots}
    _finish(command.run(options | extra, command="apply"))


@app.command("plan")
def plan_command(
    paths: PathsArg,
    servers: SpecServersOpt = None,
    output: OutputOpt = "text",
) -> None:
    """Print what `mcpctl apply` would do for each BatchPlan: the steps of every operation, counts,
    and a diff per client config file. Changes nothing. Exit 0, or 2 for an invalid plan."""
    from mcpctl.cli import batch as command

    _finish(command.plan(paths, servers_files=servers or [], output=output))


@app.command("load")
def load_command(
    paths: PathsArg,
    servers: SpecServersOpt = None,
    select: Annotated[
        str | None, typer.Option("--select", help="Run only the LoadTest of this metadata.name.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed the request picks (default: from the test's name).")
    ] = None,
    output: OutputOpt = "text",
    report: Annotated[
        list[str] | None, typer.Option("--report", help="json:PATH: write the results there (repeatable).")
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option("--shard", help="I/N: run shard I of N (1/N of the load); combine with mcpctl merge."),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", help="Run the load on N processes (N cores), merged as shards are.")
    ] = 1,
    worker: Annotated[str | None, typer.Option("--worker", hidden=True)] = None,
    state_dir: StateDirOpt = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="Compare with a baseline run (a name from mcpctl baseline set, or last-pass); exit 1 on a regression.",
        ),
    ] = None,
) -> None:
    """Run the LoadTest documents of the given specs one after another: live view on stderr, k6-like
    summary on stdout. Exit 0 every threshold held, 1 a threshold failed or a test aborted, 2 bad
    input, 3 a server could not be reached, 130 interrupted."""
    from mcpctl.cli import load as command

    _finish(
        command.run(
            paths,
            servers_files=servers or [],
            select=select,
            seed=seed,
            output=output,
            reports=report or [],
            shard=shard,
            workers=workers,
            worker=worker,
            state_dir=state_dir,
            baseline=baseline,
        )
    )


@app.command("merge")
def merge_command(
    files: Annotated[
        list[str], typer.Argument(help="JSON results of mcpctl load (-o json or --report json:PATH).")
    ],
    output: OutputOpt = "text",
    report: Annotated[
        list[str] | None,
        typer.Option("--report", help="json:PATH: write the merged results there (repeatable)."),
    ] = None,
) -> None:
    """Merge the results of load test shards (by LoadTest name; histograms merged, not averaged) and
    print the summary. Exit 0 every threshold held, 1 a threshold failed or a shard aborted, 2 bad input."""
    from mcpctl.cli import merge as command

    _finish(command.run(files, output=output, reports=report or []))


@app.command()
def fuzz(
    server: Annotated[str | None, typer.Argument(help="URL or Servers name (or use -- COMMAND...).")] = None,
    budget: Annotated[
        int | None, typer.Option("--budget", min=1, help="Tool calls in all (default 500 unless --duration).")
    ] = None,
    duration: Annotated[
        str | None, typer.Option("--duration", help="Call tools for this long instead (30s, 2m).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same inputs, same findings.")] = 0,
    tool: Annotated[
        list[str] | None,
        typer.Option("--tool", help="Fuzz only this tool, whatever its annotations (repeatable)."),
    ] = None,
    allow_destructive: AllowDestructiveOpt = False,
    allow_destructive_all: AllowDestructiveAllOpt = False,
    no_protocol: Annotated[
        bool, typer.Option("--no-protocol", help="Skip the protocol abuse checks.")
    ] = False,
    auth: Annotated[
        bool,
        typer.Option(
            "--auth",
            help="Probe the server's authorization instead: tokens it must refuse, metadata, challenges.",
        ),
    ] = False,
    client_id: Annotated[
        str | None, typer.Option("--client-id", help="--auth: a client allowed the client credentials grant.")
    ] = None,
    client_secret_env: Annotated[
        str | None,
        typer.Option("--client-secret-env", help="--auth: the environment variable holding its secret."),
    ] = None,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="--auth: a scope to ask for (repeatable).")
    ] = None,
    output: OutputOpt = "text",
    header: HeaderOpt = None,
    timeout: TimeoutOpt = 10.0,
    protocol: ProtocolOpt = "auto",
    transport: TransportOpt = "auto",
    servers: ServersOpt = None,
    trace: TraceOpt = False,
    env: EnvOpt = None,
) -> None:
    """Fuzz a server: edge-case, invalid and random inputs for every tool, then protocol abuse
    (or, with --auth, probe its authorization).

    Findings (crashes, hangs, non-JSON-RPC answers, leaked stack traces, invalid inputs accepted) come
    with a reproducer. Only tools annotated readOnlyHint: true are called unless --allow-destructive.
    """
    conn = _connection(server, header, timeout, protocol, transport, servers, trace, env)
    if auth:
        from mcpctl.cli import fuzz_auth

        _finish(
            fuzz_auth.run_fuzz_auth(
                conn,
                client_id=client_id,
                client_secret_env=client_secret_env,
                scopes=scope or [],
                output=output,
            )
        )
    from mcpctl.cli import fuzz as fuzzing

    _finish(
        fuzzing.run_fuzz(
            conn,
            budget=budget,
            duration=duration,
            seed=seed,
            tools=tool or [],
            allow=_allow(allow_destructive, allow_destructive_all),
            protocol=not no_protocol,
            output=output,
        )
    )


@app.command()
def proxy(
    faults: Annotated[
        list[str] | None,
        typer.Option(
            "--faults",
            help="Spec file(s) or directories holding the FaultScenario (repeatable; none: only relay).",
        ),
    ] = None,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="Which FaultScenario, when the files hold several.")
    ] = None,
    listen: Annotated[
        str | None, typer.Option("--listen", help="HTTP: serve on [HOST:]PORT (with --upstream).")
    ] = None,
    upstream: Annotated[
        str | None, typer.Option("--upstream", help="HTTP: the Streamable HTTP server's URL.")
    ] = None,
    control: Annotated[
        str | None,
        typer.Option("--control", help="Serve the control endpoint on [HOST:]PORT (loopback; 0: any port)."),
    ] = None,
    log: Annotated[
        str | None, typer.Option("--log", help="Append every injected fault to FILE as JSON lines.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed the fault draws (default: the spec's).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not print faults on stderr.")] = False,
    epoch: Annotated[float | None, typer.Option("--epoch", hidden=True)] = None,
) -> None:
    """Relay an MCP server through the faults of a FaultScenario: -- COMMAND ARGS (a stdio server any
    client can launch in place of the real one) or --listen/--upstream (a Streamable HTTP reverse proxy)."""
    from mcpctl.cli import proxy as command

    _finish(
        command.run_proxy(
            faults=faults or [],
            scenario=scenario,
            command=list(_server_command),
            listen=listen,
            upstream=upstream,
            control=control,
            log=log,
            seed=seed,
            quiet=quiet,
            epoch=epoch,
        )
    )


@app.command("monitor")
def monitor_command(
    paths: PathsArg,
    name: Annotated[
        str | None, typer.Option("--name", help="Which Monitor, when the files hold several.")
    ] = None,
    listen: Annotated[
        str, typer.Option("--listen", help="Serve /metrics and /api/v1/status on [HOST:]PORT.")
    ] = "127.0.0.1:8081",
    servers: SpecServersOpt = None,
    state_dir: StateDirOpt = None,
) -> None:
    """Probe a Monitor's servers until Ctrl-C: health changes on stdout, /metrics (Prometheus text and
    OpenMetrics), /api/v1/status and the /api/v1/events WebSocket on --listen. AlertRules documents among
    the files are evaluated and notify their receivers; the files are reloaded when they change."""
    from mcpctl.cli import monitor as command
    from mcpctl.store import state_dir as find_state_dir

    _finish(
        command.run_monitor(
            paths,
            servers_files=servers or [],
            name=name,
            listen=listen,
            state_dir=find_state_dir(state_dir),
        )
    )


@app.command("init")
def init_command(
    server: Annotated[str | None, typer.Argument(help="URL or Servers name (or use -- COMMAND...).")] = None,
    out: Annotated[str, typer.Option("--out", help="Write the specs into this directory.")] = ".",
    name: Annotated[
        str | None, typer.Option("--name", help="The server's name in the specs (default: from serverInfo).")
    ] = None,
    allow_destructive: AllowDestructiveOpt = False,
    allow_destructive_all: AllowDestructiveAllOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist.")] = False,
    header: HeaderOpt = None,
    timeout: TimeoutOpt = 30.0,
    protocol: ProtocolOpt = "auto",
    transport: TransportOpt = "auto",
    servers: ServersOpt = None,
    env: EnvOpt = None,
    state_dir: StateDirOpt = None,
) -> None:
    """Write a Servers spec, a TestSuite and a pin lock for a server: its read-only tools called with
    arguments generated from their schemas and asserted on their answers, the others as commented-out
    tests to fill in; resources read, prompts fetched. The suite is run once to record its snapshots."""
    from mcpctl.cli import init as command

    conn = _connection(server, header, timeout, protocol, transport, servers, False, env)
    _finish(
        command.run_init(
            conn,
            out=out,
            name=name,
            allow=_allow(allow_destructive, allow_destructive_all),
            force=force,
            state_dir=state_dir,
        )
    )


@app.command("coverage")
def coverage_command(
    paths: PathsArg,
    servers: SpecServersOpt = None,
    output: Annotated[str, typer.Option("--output", "-o", help="text, json or markdown.")] = "text",
    fail_under: Annotated[
        float | None,
        typer.Option("--fail-under", min=0, max=100, help="Exit 1 when total coverage is below PERCENT."),
    ] = None,
    timeout: TimeoutOpt = 30.0,
) -> None:
    """Which tools, resources and prompts of each server the specs exercise, and per tool which enum
    values, optional fields and error paths: the servers are listed (nothing is called). Total = items
    hit over items in all: each tool, resource, resource template and prompt, and per tool each enum
    value, optional field and its error path."""
    from mcpctl.cli import coverage as command

    _finish(
        command.run_coverage(
            paths, servers_files=servers or [], output=output, fail_under=fail_under, timeout=timeout
        )
    )


@app.command("compare")
def compare_command(
    a: Annotated[str, typer.Argument(help="The first server: URL, Servers name, mock file or builtin:NAME.")],
    b: Annotated[str, typer.Argument(help="The second server, the same ways.")],
    suite: Annotated[
        list[str] | None,
        typer.Option(
            "--suite", help="Also run these TestSuite specs against both and set answers side by side."
        ),
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="text, json or markdown.")] = "text",
    servers: SpecServersOpt = None,
    timeout: TimeoutOpt = 30.0,
) -> None:
    """The contract diff of two servers (protocol revision, capabilities, every tool, resource and
    prompt definition) and, with --suite, their answers: exit 0 the same, 1 they differ."""
    from mcpctl.cli import compare as command

    _finish(
        command.run_compare(
            a, b, suites=suite or [], servers_files=servers or [], output=output, timeout=timeout
        )
    )


@app.command("lint")
def lint_command(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Servers (URL, Servers name, mock file, builtin:NAME), tools.json files or client configs."
        ),
    ] = None,
    output: Annotated[
        str, typer.Option("--output", "-o", help="text, json, sarif or github (workflow annotations).")
    ] = "text",
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="error or warning: the lowest severity that exits 1.")
    ] = "error",
    rules: Annotated[
        bool, typer.Option("--rules", help="List the rules with their ID, severity and doc page.")
    ] = False,
    budget: Annotated[
        int, typer.Option("--budget", min=1, help="Token budget of one tool's description and schema.")
    ] = 1000,
    servers: SpecServersOpt = None,
    timeout: TimeoutOpt = 30.0,
) -> None:
    """Check tool definitions before an agent sees them: hidden instructions, invisible Unicode,
    exfiltration hints, name collisions across a client config, weak schemas, token size, keywords
    clients reject, unannotated destructive tools, HTTP without TLS or auth. Exit 1 at --fail-on."""
    from mcpctl.cli import lint as command

    _finish(
        command.run_lint(
            targets or [],
            output=output,
            fail_on=fail_on,
            list_rules=rules,
            budget=budget,
            servers_files=servers or [],
            timeout=timeout,
        )
    )


@app.command("dashboard")
def dashboard_command(
    monitor: Annotated[
        list[str] | None,
        typer.Option("--monitor", help="Monitor (and AlertRules) spec file(s) to run in-process."),
    ] = None,
    specs: Annotated[
        list[str] | None,
        typer.Option("--specs", help="Spec files or directories whose BatchPlans the Batch page offers."),
    ] = None,
    connect: Annotated[
        str | None,
        typer.Option("--connect", help="Follow a running mcpctl monitor at URL instead of --monitor."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Which Monitor, when the files hold several.")
    ] = None,
    listen: Annotated[
        str, typer.Option("--listen", help="Serve the dashboard on [HOST:]PORT (loopback unless told).")
    ] = "127.0.0.1:8081",
    token_file: Annotated[
        str | None,
        typer.Option("--token-file", help="Read the access token from this file instead of making one."),
    ] = None,
    servers: SpecServersOpt = None,
    state_dir: StateDirOpt = None,
) -> None:
    """A live web dashboard until Ctrl-C: server health and the dependency map, alerts (ack, silence),
    recent runs with their reports, BatchPlans to plan, apply, cancel, roll back and resume. Changes need
    the token printed at start (or --token-file); the page, JSON API and /api/v1/events share --listen."""
    from mcpctl.cli import dashboard as command
    from mcpctl.store import state_dir as find_state_dir

    _finish(
        command.run_dashboard(
            monitor_paths=monitor or [],
            specs=specs or [],
            connect=connect,
            name=name,
            listen=listen,
            token_file=token_file,
            servers_files=servers or [],
            state_dir=find_state_dir(state_dir),
        )
    )


@app.command("status")
def status_command(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Monitor spec file(s) whose servers to probe now.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Which Monitor, when the files hold several.")
    ] = None,
    connect: Annotated[
        str | None,
        typer.Option("--connect", help="Read the status of a running mcpctl monitor at URL instead."),
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="text, json or markdown.")] = "text",
    servers: SpecServersOpt = None,
) -> None:
    """One health table of a Monitor's servers (exit 1 when one is not healthy)."""
    from mcpctl.cli import monitor as command

    _finish(
        command.run_status(
            paths or [], servers_files=servers or [], name=name, connect=connect, output=output
        )
    )


@app.command("watch")
def watch_command(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Monitor spec file(s) to run here while watching.")
    ] = None,
    connect: Annotated[
        str | None,
        typer.Option("--connect", help="Follow a running mcpctl monitor at URL (http:// or ws://) instead."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Which Monitor, when the files hold several.")
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", help="table (on a terminal, the default) or jsonl (one event a line)."
        ),
    ] = None,
    listen: Annotated[
        str | None,
        typer.Option("--listen", help="With FILE: also serve /metrics, /api/v1/status and /api/v1/events."),
    ] = None,
    servers: SpecServersOpt = None,
    state_dir: StateDirOpt = None,
) -> None:
    """Watch a Monitor live until Ctrl-C: its servers' health and latency, firing alerts and latest events
    (a table on a terminal, JSON lines otherwise). With FILE the monitor runs here, with its alert rules
    and hot reload, as mcpctl monitor does."""
    from mcpctl.cli import watch as command
    from mcpctl.store import state_dir as find_state_dir

    _finish(
        command.run_watch(
            paths or [],
            servers_files=servers or [],
            name=name,
            connect=connect,
            output=output,
            listen=listen,
            state_dir=find_state_dir(state_dir),
        )
    )


@app.command()
def rollback(
    run_id: Annotated[str, typer.Argument(help="A batch run id (or a unique prefix, or 'last').")] = "last",
    output: OutputOpt = "text",
    state_dir: StateDirOpt = None,
) -> None:
    """Restore every file a batch run changed, newest first, byte-identical to before the run.
    Safe to repeat. Exit 1 if a file could not be restored."""
    from mcpctl.cli import batch as command
    from mcpctl.store import state_dir as find_state_dir

    _finish(command.rollback(run_id, state_dir=find_state_dir(state_dir), output=output))


@app.command()
def pin(
    server: Annotated[str | None, typer.Argument(help="URL or Servers name (or use -- COMMAND...).")] = None,
    check: Annotated[
        str | None,
        typer.Option("--check", help="Compare the server's tools with this lock file; exit 1 on drift."),
    ] = None,
    header: HeaderOpt = None,
    timeout: TimeoutOpt = 30.0,
    protocol: ProtocolOpt = "auto",
    transport: TransportOpt = "auto",
    servers: ServersOpt = None,
    env: EnvOpt = None,
) -> None:
    """Print a lock of the server's tools (canonical hash of each name, description and schemas):
    mcpctl pin SERVER > tools.lock.json. With --check, print what changed since the lock."""
    from mcpctl.cli import pin as command

    conn = _connection(server, header, timeout, protocol, transport, servers, False, env)
    _finish(command.run(conn, check=check))


@app.command()
def runs(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs, newest first.")] = 20,
    output: OutputOpt = "text",
    state_dir: StateDirOpt = None,
) -> None:
    """List recorded runs, newest first."""
    from mcpctl.cli import runs as command

    _finish(command.run_list(state_dir=state_dir, limit=limit, output=output))


@app.command()
def show(
    run_id: Annotated[str, typer.Argument(help="A run id (or a unique prefix, or 'last').")] = "last",
    output: OutputOpt = "text",
    state_dir: StateDirOpt = None,
) -> None:
    """Print one recorded run: its suites, every case, failures in full."""
    from mcpctl.cli import runs as command

    _finish(command.run_show(run_id, state_dir=state_dir, output=output))


mock_app = typer.Typer(
    name="mock",
    no_args_is_help=True,
    help="Serve fake MCP servers from MockServer specs (stdio or HTTP), record real servers as mocks, "
    "show the calls mocks answered; list the bundled ones.",
)
app.add_typer(mock_app)


@mock_app.command("serve")
def mock_serve(
    spec: Annotated[
        str, typer.Argument(help="A MockServer spec file, or builtin:NAME (see mcpctl mock list).")
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="Which MockServer document, when the file has several.")
    ] = None,
    http: Annotated[
        str | None,
        typer.Option("--http", help="Serve Streamable HTTP on [HOST:]PORT (/mcp) instead of stdio."),
    ] = None,
    json_response: Annotated[
        bool, typer.Option("--json-response", help="HTTP: answer POSTs with JSON instead of SSE streams.")
    ] = False,
    legacy_sse: Annotated[
        bool, typer.Option("--legacy-sse", help="HTTP: also serve the 2024-11-05 HTTP+SSE transport (/sse).")
    ] = False,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed latency and error draws.")] = None,
    scenario: Annotated[str | None, typer.Option("--scenario", help="Start in this scenario.")] = None,
    state_dir: StateDirOpt = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Reload the spec when its file changes (sessions stay open).")
    ] = False,
) -> None:
    """Run a MockServer spec as a real MCP server: over stdio (the default) or Streamable HTTP.
    Every call it answers is kept in the state store (see mcpctl mock history)."""
    from mcpctl.cli import mock as command

    _finish(
        command.serve(
            spec,
            name=name,
            http=http,
            json_response=json_response,
            legacy_sse=legacy_sse,
            seed=seed,
            scenario=scenario,
            state_dir=state_dir,
            watch=watch,
        )
    )


@mock_app.command("history")
def mock_history(
    mock: Annotated[
        str | None, typer.Option("--mock", help="Only calls to this MockServer (metadata.name).")
    ] = None,
    serve: Annotated[
        str | None,
        typer.Option("--serve", help="Only calls of this serve (an id, a unique prefix, or 'last')."),
    ] = None,
    tool: Annotated[str | None, typer.Option("--tool", help="Only calls of this tool.")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="Only the newest N calls.")
    ] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="text, json or csv.")] = "text",
    state_dir: StateDirOpt = None,
) -> None:
    """Print the calls served mocks answered (arguments, rule, latency, result), oldest first."""
    from mcpctl.cli import mock as command

    _finish(
        command.run_history(
            state_dir=state_dir, mock=mock, serve=serve, tool=tool, limit=limit, output=output
        )
    )


@mock_app.command("record")
def mock_record(
    server: Annotated[str | None, typer.Argument(help="URL or Servers name (or use -- COMMAND...).")] = None,
    out: Annotated[
        str | None, typer.Option("--out", help="Write the MockServer spec here (default: stdout).")
    ] = None,
    calls: Annotated[
        str | None,
        typer.Option(
            "--calls", help="YAML list of calls to record: {tool, arguments}, {read}, {prompt, arguments}."
        ),
    ] = None,
    suite: Annotated[
        list[str] | None,
        typer.Option(
            "--suite", help="Record the answers to the calls of these TestSuite specs (repeatable)."
        ),
    ] = None,
    allow_destructive: AllowDestructiveOpt = False,
    allow_destructive_all: AllowDestructiveAllOpt = False,
    name: Annotated[
        str | None, typer.Option("--name", help="metadata.name of the mock (default: from serverInfo.name).")
    ] = None,
    header: HeaderOpt = None,
    timeout: TimeoutOpt = 30.0,
    protocol: ProtocolOpt = "auto",
    transport: TransportOpt = "auto",
    servers: ServersOpt = None,
    env: EnvOpt = None,
) -> None:
    """Record a real server's tools, resources and prompts (and real answers to --calls and to the
    calls of --suite) as a MockServer spec; replay it with mcpctl mock serve."""
    from mcpctl.cli import mock as command

    conn = _connection(server, header, timeout, protocol, transport, servers, False, env)
    _finish(
        command.run_record(
            conn,
            out=out,
            calls=calls,
            suites=suite or [],
            allow=_allow(allow_destructive, allow_destructive_all),
            name=name,
        )
    )


MockFileArg = Annotated[str, typer.Argument(help="A MockServer spec file (YAML or JSON).")]
MockOutOpt = Annotated[str | None, typer.Option("--out", help="Write here (default: stdout).")]
MockNameOpt = Annotated[
    str | None, typer.Option("--name", help="Which MockServer document, when the file has several.")
]


@mock_app.command("export")
def mock_export(
    spec: MockFileArg,
    fmt: Annotated[str, typer.Option("--format", "-f", help="json or yaml.")] = "json",
    out: MockOutOpt = None,
    name: MockNameOpt = None,
) -> None:
    """Convert a MockServer spec to JSON (or YAML): the same document, validated first."""
    from mcpctl.cli import mock as command

    _finish(command.run_convert(spec, fmt=fmt, out=out, name=name, verb="export"))


@mock_app.command("import")
def mock_import(
    spec: MockFileArg,
    out: MockOutOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="yaml or json.")] = "yaml",
    name: MockNameOpt = None,
) -> None:
    """Convert a MockServer spec in JSON to YAML, validating it on the way in."""
    from mcpctl.cli import mock as command

    _finish(command.run_convert(spec, fmt=fmt, out=out, name=name, verb="import"))


@mock_app.command("list")
def mock_list() -> None:
    """List the bundled mocks (serve one with mcpctl mock serve builtin:NAME)."""
    from mcpctl.cli import mock as command

    _finish(command.run_list())


auth_app = typer.Typer(
    name="auth",
    no_args_is_help=True,
    help="Log in to OAuth-protected servers once (authorization code + PKCE) and keep the tokens "
    "(OS keyring, else ~/.config/mcpctl/tokens.json) for specs that say auth: {oauth: {}}.",
)
app.add_typer(auth_app)
AuthServerArg = Annotated[str, typer.Argument(help="URL or Servers name (with --servers FILE).")]


@auth_app.command("login")
def auth_login(
    server: AuthServerArg,
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="A scope to ask for (repeatable; default: the server's)."),
    ] = None,
    client_id: Annotated[
        str | None, typer.Option("--client-id", help="A pre-registered client (default: register one).")
    ] = None,
    client_secret_env: Annotated[
        str | None, typer.Option("--client-secret-env", help="The environment variable holding its secret.")
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the URL to open instead of opening a browser.")
    ] = False,
    headless: Annotated[
        bool,
        typer.Option(
            "--headless", help="Follow the redirects without a browser (test IdPs that approve at once)."
        ),
    ] = False,
    servers: ServersOpt = None,
) -> None:
    """Authorize mcpctl with a server (browser, redirect to 127.0.0.1) and store the token.
    Prints the scopes and expiry granted, never the token."""
    from mcpctl.cli import auth as command

    _finish(
        command.run_login(
            server,
            scopes=scope or [],
            client_id=client_id,
            client_secret_env=client_secret_env,
            no_browser=no_browser,
            headless=headless,
            servers_file=servers,
        )
    )


@auth_app.command("status")
def auth_status(
    server: Annotated[str | None, typer.Argument(help="Only this server (URL or Servers name).")] = None,
    output: OutputOpt = "text",
    servers: ServersOpt = None,
) -> None:
    """List the stored logins: server, resource, scopes, expiry, refresh token, client, store."""
    from mcpctl.cli import auth as command

    _finish(command.run_status(server, servers_file=servers, output=output))


@auth_app.command("logout")
def auth_logout(server: AuthServerArg, servers: ServersOpt = None) -> None:
    """Forget a server's stored tokens and registered client."""
    from mcpctl.cli import auth as command

    _finish(command.run_logout(server, servers_file=servers))


@auth_app.command("token")
def auth_token(server: AuthServerArg, servers: ServersOpt = None) -> None:
    """Print a valid access token for scripts (refreshed first if it expired). Keep it secret."""
    from mcpctl.cli import auth as command

    _finish(command.run_token(server, servers_file=servers))


@app.command("trends")
def trends_command(
    spec: Annotated[
        str | None, typer.Argument(help="Only this suite: its spec file, Kind/name or name.")
    ] = None,
    last: Annotated[int, typer.Option("--last", "-n", help="The last N recorded runs.")] = 20,
    state_dir: StateDirOpt = None,
    output: Annotated[
        str, typer.Option("--output", "-o", help="text, json, or html (a page with a chart per case).")
    ] = "text",
) -> None:
    """Each case across recent runs: success rate, p50/p99, a sparkline, and the changes the newest run
    made that its history says are significant (beyond 3 scaled MADs, or a pass turned into a failure)."""
    from mcpctl.cli import trends as command

    _finish(command.run_trends(spec, last=last, state_dir=state_dir, output=output))


baseline_app = typer.Typer(
    name="baseline",
    no_args_is_help=True,
    help="Named baseline runs that --baseline compares later runs with (per suite and metric, with tolerances).",
)
app.add_typer(baseline_app)


@baseline_app.command("set")
def baseline_set(
    run: Annotated[str, typer.Argument(help="A run id (or a unique prefix, or 'last').")] = "last",
    name: Annotated[str, typer.Option("--name", help="The baseline's name.")] = "default",
    state_dir: StateDirOpt = None,
) -> None:
    """Make RUN the baseline called --name (replacing what that name pointed at)."""
    from mcpctl.cli import baseline as command

    _finish(command.run_set(run, name=name, state_dir=state_dir))


@baseline_app.command("list")
def baseline_list(state_dir: StateDirOpt = None, output: OutputOpt = "text") -> None:
    """The named baselines and their runs."""
    from mcpctl.cli import baseline as command

    _finish(command.run_list(state_dir=state_dir, output=output))


@baseline_app.command("rm")
def baseline_rm(
    name: Annotated[str, typer.Argument(help="The baseline's name.")], state_dir: StateDirOpt = None
) -> None:
    """Forget a baseline (its run stays)."""
    from mcpctl.cli import baseline as command

    _finish(command.run_remove(name, state_dir=state_dir))


@app.command("report")
def report_command(
    runs: Annotated[
        list[str] | None,
        typer.Argument(help="Run ids (or unique prefixes, or 'last'); several make one report."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="json, html, csv, junit, pdf or markdown.")
    ] = "markdown",
    out: Annotated[
        str | None, typer.Option("--out", help="Write here (default: stdout; pdf needs a file).")
    ] = None,
    columns: Annotated[
        str | None, typer.Option("--columns", help="csv: the columns to write, e.g. case,status,p99_ms.")
    ] = None,
    monitor: Annotated[
        str | None,
        typer.Option(
            "--monitor", help="Report this monitor's window (health, hourly latency, alerts), not runs."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="--monitor: from this ISO 8601 date or time (UTC unless zoned)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="--monitor: up to this ISO 8601 date or time.")
    ] = None,
    state_dir: StateDirOpt = None,
) -> None:
    """Render recorded runs (default: the last) as a report: json, html, csv, junit, pdf or markdown."""
    from mcpctl.cli import report as command

    _finish(
        command.run_report(
            runs or [],
            state_dir=state_dir,
            fmt=fmt,
            out=out,
            columns=columns,
            monitor=monitor,
            since=since,
            until=until,
        )
    )


@app.command("export")
def export_command(
    since: Annotated[str, typer.Option("--since", help="ISO 8601 date or time (UTC unless zoned).")],
    until: Annotated[str | None, typer.Option("--until", help="Up to this date or time (excluded).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or jsonl.")] = "csv",
    out: Annotated[str | None, typer.Option("--out", help="Write here (default: stdout).")] = None,
    state_dir: StateDirOpt = None,
) -> None:
    """Export every case of every run recorded since a date: one CSV row or JSON line each."""
    from mcpctl.cli import export as command

    _finish(command.run_export(since=since, until=until, fmt=fmt, out=out, state_dir=state_dir))


alerts_app = typer.Typer(
    name="alerts",
    no_args_is_help=True,
    help="Alerts of running monitors (list, history, ack, silence, unsilence) and unit tests of alert rules.",
)
app.add_typer(alerts_app)


@alerts_app.command("test")
def alerts_test(
    paths: Annotated[list[str], typer.Argument(help="AlertTest spec file(s).")],
) -> None:
    """Unit-test alert rules, as promtool test rules: replay each AlertTest's series and compare the alerts
    firing (and pending) at each time with the expected ones. Exit 1 when a test fails."""
    from mcpctl.cli import alerts as command

    _finish(command.run_test(paths))


AlertsOutputOpt = Annotated[str, typer.Option("--output", "-o", help="text or json.")]


@alerts_app.command("list")
def alerts_list(
    silences: Annotated[bool, typer.Option("--silences", help="List the silences instead.")] = False,
    monitor: Annotated[str | None, typer.Option("--monitor", help="Only this Monitor's alerts.")] = None,
    state_dir: StateDirOpt = None,
    output: AlertsOutputOpt = "text",
) -> None:
    """The alerts pending or firing now (as the running monitors last stored them), or the silences."""
    from mcpctl.cli import alerts_store as command

    _finish(command.run_list(state_dir=state_dir, monitor=monitor, silences=silences, output=output))


@alerts_app.command("history")
def alerts_history(
    alert: Annotated[str | None, typer.Argument(help="An alert's fingerprint (or its prefix).")] = None,
    monitor: Annotated[str | None, typer.Option("--monitor", help="Only this Monitor's alerts.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="The newest N events.")] = 100,
    state_dir: StateDirOpt = None,
    output: AlertsOutputOpt = "text",
) -> None:
    """Every alert event (pending, fired, notified, acked, silenced, inhibited, resolved, delivery
    failed), oldest first."""
    from mcpctl.cli import alerts_store as command

    _finish(command.run_history(alert, state_dir=state_dir, monitor=monitor, limit=limit, output=output))


@alerts_app.command("ack")
def alerts_ack(
    alert: Annotated[str, typer.Argument(help="The fingerprint (or its prefix) from mcpctl alerts list.")],
    comment: Annotated[str, typer.Option("--comment", "-c", help="Why, for the history.")] = "",
    author: Annotated[str | None, typer.Option("--author", help="Who (default: $USER).")] = None,
    state_dir: StateDirOpt = None,
) -> None:
    """Acknowledge a firing alert: no more notifications for it (and no escalation) until it resolves."""
    from mcpctl.cli import alerts_store as command

    _finish(command.run_ack(alert, comment=comment, author=author, state_dir=state_dir))


@alerts_app.command("silence")
def alerts_silence(
    matchers: Annotated[list[str], typer.Argument(help="Label matchers: name=value, !=, =~, !~.")],
    duration: Annotated[str, typer.Option("--duration", "-d", help="How long (e.g. 2h).")] = "1h",
    start: Annotated[
        str | None, typer.Option("--start", help="When it starts (ISO 8601; default now).")
    ] = None,
    comment: Annotated[str, typer.Option("--comment", "-c", help="Why.")] = "",
    author: Annotated[str | None, typer.Option("--author", help="Who (default: $USER).")] = None,
    state_dir: StateDirOpt = None,
) -> None:
    """Silence the alerts all MATCHERS match, from --start for --duration (running monitors pick it up)."""
    from mcpctl.cli import alerts_store as command

    _finish(
        command.run_silence(
            matchers, duration=duration, start=start, comment=comment, author=author, state_dir=state_dir
        )
    )


@alerts_app.command("unsilence")
def alerts_unsilence(
    silence: Annotated[str, typer.Argument(help="The silence id (or its prefix).")],
    state_dir: StateDirOpt = None,
) -> None:
    """End a silence now."""
    from mcpctl.cli import alerts_store as command

    _finish(command.run_unsilence(silence, state_dir=state_dir))


schedule_app = typer.Typer(
    name="schedule",
    no_args_is_help=True,
    help="Run a Schedule's entries on their cron times, or print them for system cron and Kubernetes.",
)
app.add_typer(schedule_app)
ScheduleNameOpt = Annotated[
    str | None, typer.Option("--name", help="Which Schedule, when the files hold several.")
]


@schedule_app.command("run")
def schedule_run(
    paths: PathsArg,
    name: ScheduleNameOpt = None,
    state_dir: StateDirOpt = None,
    seed: Annotated[
        str | None, typer.Option("--seed", help="Seed of the jitter delays (default: host and schedule).")
    ] = None,
) -> None:
    """Run each entry on its cron times until Ctrl-C (exit 130; SIGTERM 143), as mcpctl apply runs its
    specs: a start and an end line per run, pings and notifications as the entries say."""
    from mcpctl.cli import schedule as command
    from mcpctl.store import state_dir as find_state_dir

    _finish(command.run_schedule(paths, name=name, state_dir=find_state_dir(state_dir), seed=seed))


@schedule_app.command("crontab")
def schedule_crontab(
    paths: PathsArg,
    name: ScheduleNameOpt = None,
    output_format: Annotated[
        str, typer.Option("--format", help="all, crontab (lines for crontab -) or cronjob (Kubernetes YAML).")
    ] = "all",
    state_dir: Annotated[
        str | None, typer.Option("--state-dir", help="The --state-dir the printed commands pass.")
    ] = None,
    image: Annotated[str, typer.Option("--image", help="CronJobs: the container image with mcpctl.")] = (
        "mcpctl:latest"
    ),
    workdir: Annotated[
        str, typer.Option("--workdir", help="CronJobs: where the schedule's directory is mounted.")
    ] = "/specs",
) -> None:
    """Print the equivalent crontab lines (a CRON_TZ block per time zone) and Kubernetes CronJobs."""
    from mcpctl.cli import schedule as command

    _finish(
        command.run_crontab(
            paths, name=name, output_format=output_format, state_dir=state_dir, image=image, workdir=workdir
        )
    )


@schedule_app.command("next")
def schedule_next(
    paths: PathsArg,
    name: ScheduleNameOpt = None,
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="Fire times per entry.")] = 5,
    after: Annotated[
        str | None, typer.Option("--after", help="Start from this ISO time with offset (default now).")
    ] = None,
) -> None:
    """Print each entry's next fire times, in its time zone."""
    from mcpctl.cli import schedule as command

    _finish(command.run_next(paths, name=name, count=count, after=after))


_ALLOW_SPELLINGS = {
    "--allow-destructive=all": "--allow-destructive-all",
    "--allow-destructive=yes": "--allow-destructive",
}
"""The safety rule's level written as one option with a value, as DESIGN.md §4 spells it."""


def main() -> None:
    """Entry point: split off ``-- COMMAND...`` (the server to spawn), then let typer parse."""
    argv = sys.argv[1:]
    if "--" in argv:
        cut = argv.index("--")
        _server_command[:] = argv[cut + 1 :]
        argv = argv[:cut]
    argv = [_ALLOW_SPELLINGS.get(arg, arg) for arg in argv]
    from mcpctl.cli.handler import fail
    from mcpctl.errors import McpctlError

    try:
        app(args=argv, prog_name="mcpctl")
    except McpctlError as exc:  # bad input found before anything ran (errors while running: run_async)
        sys.exit(fail(exc))
