"""``mcpctl proxy``: relay an MCP server through the faults of a FaultScenario.

``mcpctl proxy --faults F -- COMMAND...`` is a stdio server any client can launch in place of the
real one; ``mcpctl proxy --faults F --listen HOST:PORT --upstream URL`` is a Streamable HTTP
reverse proxy. Every injected fault is logged with a timestamp on stderr (stdout is the MCP
channel of the stdio proxy) and, with ``--log FILE``, as JSON lines appended to FILE. With
``--control [HOST:]PORT`` a loopback HTTP endpoint lists the faults and turns them on and off.

A FaultScenario that runs a stdio server launches this command once per session it opens; the
launches share a ``--log`` file, and each one counts the launches before it there so that its
draws differ from theirs (a retry after a reset must not meet the same dice again).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING

from mcpctl.cli.handler import run_async, until_signalled
from mcpctl.cli.target import parse_address
from mcpctl.errors import UsageError
from mcpctl.spec.build import load_specs
from mcpctl.spec.fault_model import FaultScenarioSpec
from mcpctl.spec.model import Metadata, Source

if TYPE_CHECKING:
    import trio

    from mcpctl.engine.faults.injector import Injector

LAUNCH_EVENT = "launch"
_NO_FAULTS = FaultScenarioSpec(
    metadata=Metadata(name="none"),
    faults=(),
    spec_hash="",
    source=Source(path="<no --faults>", line=0, column=0),
)
"""Without ``--faults`` the proxy only relays (a baseline to measure a fault against)."""


def run_proxy(
    *,
    faults: Sequence[str],
    scenario: str | None,
    command: Sequence[str],
    listen: str | None,
    upstream: str | None,
    control: str | None,
    log: str | None,
    seed: int | None,
    quiet: bool,
    epoch: float | None = None,
) -> int:
    """Run the proxy until the client goes away (stdio) or until interrupted (HTTP)."""
    if scenario is not None and not faults:
        raise UsageError("--scenario picks a FaultScenario of --faults: give --faults too")
    if bool(listen) != bool(upstream):
        raise UsageError("--listen and --upstream go together (an HTTP proxy needs both)")
    if listen and command:
        raise UsageError("give either -- COMMAND (a stdio proxy) or --listen/--upstream (HTTP), not both")
    if not listen and not command:
        raise UsageError("nothing to proxy: give -- COMMAND ARGS (stdio) or --listen and --upstream (HTTP)")
    spec = pick_scenario(load_specs(list(faults)).scenarios, scenario) if faults else _NO_FAULTS
    address = parse_address(listen, option="--listen") if listen else None
    control_address = parse_address(control, option="--control") if control else None
    launch = _launches(log) + 1 if log else 1
    with open(log, "a", encoding="utf-8") if log is not None else contextlib.nullcontext() as stream:
        return run_async(
            lambda: until_signalled(
                lambda: _main(
                    spec,
                    command=command,
                    address=address,
                    upstream=upstream,
                    control=control_address,
                    stream=stream,
                    seed=_launch_seed(seed if seed is not None else spec.seed, launch),
                    quiet=quiet,
                    epoch=epoch,
                    launch=launch,
                ),
                quiet_term=True,  # a proxy is a server to its client, which stops it with SIGTERM
            )
        )


def pick_scenario(scenarios: Sequence[FaultScenarioSpec], name: str | None) -> FaultScenarioSpec:
    """The FaultScenario named ``name``, or the only one; a usage error otherwise."""
    names = ", ".join(s.metadata.name for s in scenarios)
    if name is not None:
        for spec in scenarios:
            if spec.metadata.name == name:
                return spec
        raise UsageError(f"--scenario {name!r}: no such FaultScenario (found: {names or 'none'})")
    if len(scenarios) != 1:
        found = f"several ({names}): pick one with --scenario" if scenarios else "none"
        raise UsageError(f"--faults must hold one FaultScenario document, found {found}")
    return scenarios[0]


async def _main(
    spec: FaultScenarioSpec,
    *,
    command: Sequence[str],
    address: tuple[str, int] | None,
    upstream: str | None,
    control: tuple[str, int] | None,
    stream: IO[str] | None,
    seed: int | None,
    quiet: bool,
    epoch: float | None,
    launch: int,
) -> int:
    import trio

    from mcpctl.engine.faults.control import serve_control
    from mcpctl.engine.faults.injector import Injector

    sink = _sink(stream, quiet=quiet)
    injector = Injector(spec.faults, seed=seed, sink=sink, track_calls=stream is not None, started_at=epoch)
    if stream is not None:
        _write(stream, {"event": LAUNCH_EVENT, "launch": launch, "pid": os.getpid(), "ts": _now()})
    async with trio.open_nursery() as nursery:
        if control is not None:
            port = await nursery.start(
                functools.partial(serve_control, injector, host=control[0], port=control[1])
            )
            _say(f"control endpoint http://{_host(control[0])}:{port}/faults")
        code = await _relay(injector, nursery, command=command, address=address, upstream=upstream, spec=spec)
        nursery.cancel_scope.cancel()
    return code


async def _relay(
    injector: Injector,
    nursery: trio.Nursery,
    *,
    command: Sequence[str],
    address: tuple[str, int] | None,
    upstream: str | None,
    spec: FaultScenarioSpec,
) -> int:
    import trio

    if address is None:
        from mcpctl.engine.faults.stdio_proxy import run_stdio_proxy

        return await run_stdio_proxy(command, injector)
    from mcpctl.engine.faults.http_proxy import serve_http_proxy

    assert upstream is not None
    host, port = address
    bound = await nursery.start(functools.partial(serve_http_proxy, upstream, injector, host=host, port=port))
    count = len(spec.faults)
    _say(f"FaultScenario/{spec.metadata.name}: http://{_host(host)}:{bound} -> {upstream} ({count} faults)")
    await trio.sleep_forever()
    return 0


def _sink(stream: IO[str] | None, *, quiet: bool) -> Callable[[dict[str, object]], None]:
    def sink(entry: dict[str, object]) -> None:
        if stream is not None:
            _write(stream, entry)
        if not quiet and entry.get("event") == "fault":
            _say(describe(entry))

    return sink


def describe(entry: dict[str, object]) -> str:
    """A fault log entry as one line: when, which fault, on what, what it did."""
    stamp = datetime.datetime.fromtimestamp(float(str(entry["ts"])), tz=datetime.UTC)
    on = " ".join(str(entry[key]) for key in ("method", "tool") if key in entry)
    target = f" {on} id={json.dumps(entry.get('id'))}" if on else ""
    return f"{stamp.isoformat(timespec='milliseconds')} fault {entry['fault']} ({entry['kind']}){target}: {entry['detail']}"


def _write(stream: IO[str], entry: dict[str, object]) -> None:
    stream.write(json.dumps(entry, separators=(",", ":"), default=str) + "\n")
    stream.flush()


def _launches(path: str) -> int:
    """How many proxies wrote to the ``--log`` file before this one."""
    try:
        with open(path, encoding="utf-8") as stream:
            return sum(1 for line in stream if f'"event":"{LAUNCH_EVENT}"' in line)
    except FileNotFoundError:
        return 0


def _launch_seed(seed: int | None, launch: int) -> int | None:
    return None if seed is None else seed * 1_000_003 + launch - 1


def _now() -> float:
    import time

    return round(time.time(), 6)


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _say(text: str) -> None:
    print(f"mcpctl proxy: {text}", file=sys.stderr, flush=True)
