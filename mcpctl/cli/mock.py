"""``mcpctl mock``: serve a MockServer spec over stdio or HTTP, list the bundled mocks."""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mcpctl.cli.handler import run_async, until_signalled
from mcpctl.cli.target import parse_address
from mcpctl.errors import CheckFailed, McpctlError, UsageError
from mcpctl.mock import builtin
from mcpctl.spec.build import load_specs
from mcpctl.spec.mock_model import MockServerSpec
from mcpctl.store import new_run_id
from mcpctl.store import state_dir as store_dir

if TYPE_CHECKING:
    import trio

    from mcpctl.mock.app import ServedMock
    from mcpctl.mock.record import Recording


def load_mock(ref: str, *, name: str | None = None) -> MockServerSpec:
    """The MockServer document of ``ref`` (a file, or ``builtin:NAME``), chosen by ``name`` if several."""
    path = builtin.path_of(ref) if ref.startswith(builtin.PREFIX) else ref
    mocks = load_specs([path]).mocks
    if name is not None:
        mocks = tuple(mock for mock in mocks if mock.metadata.name == name)
    if len(mocks) == 1:
        return mocks[0]
    if not mocks:
        raise UsageError(f"{ref}: no MockServer document" + (f" named {name!r}" if name else ""))
    names = ", ".join(mock.metadata.name for mock in mocks)
    raise UsageError(f"{ref}: several MockServer documents ({names}): choose one with --name")


def serve(
    ref: str,
    *,
    name: str | None,
    http: str | None,
    json_response: bool,
    legacy_sse: bool,
    seed: int | None,
    scenario: str | None,
    state_dir: str | None = None,
    watch: bool = False,
) -> int:
    """Serve the mock until stdin closes (stdio) or until interrupted (HTTP); its calls go to the
    state store as they happen (``mcpctl mock history``)."""

    def loaded() -> MockServerSpec:
        spec = load_mock(ref, name=name)
        if seed is not None:
            spec = dataclasses.replace(spec, seed=seed)
        return spec if scenario is None else dataclasses.replace(spec, scenario=scenario)

    spec = loaded()
    watched = os.path.abspath(builtin.path_of(ref) if ref.startswith(builtin.PREFIX) else ref)
    address = parse_address(http, option="--http") if http is not None else None
    directory = store_dir(state_dir)

    async def main() -> int:
        import trio

        from mcpctl.mock.app import ServedMock
        from mcpctl.mock.history_store import HistoryFlusher
        from mcpctl.store.mock_calls import MockServe

        app = ServedMock(spec)
        started = time.time()
        serve_id = new_run_id(started)
        record = MockServe(id=serve_id, mock=spec.metadata.name, spec_path=ref, started_at=started)
        flusher = HistoryFlusher(app, directory=directory, serve=record)
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(flusher.run)
                if watch:
                    nursery.start_soon(_watch, watched, loaded, app)
                await _serve(app, nursery, address, json_response=json_response, legacy_sse=legacy_sse)
                nursery.cancel_scope.cancel()
        finally:
            flusher.flush()
        return 0

    # a mock is a server: its client stops it with SIGTERM, quietly
    return run_async(lambda: until_signalled(main, quiet_term=True))


async def _serve(
    app: ServedMock,
    nursery: trio.Nursery,
    address: tuple[str, int] | None,
    *,
    json_response: bool,
    legacy_sse: bool,
) -> None:
    if address is None:
        from mcpctl.mock.stdio import serve_stdio

        if app.spec.auth is not None:
            print("mcpctl: auth applies to HTTP only: serving stdio without it", file=sys.stderr, flush=True)
        await serve_stdio(app)
        return
    import trio

    from mcpctl.mock.http import serve_http

    auth = None
    if app.spec.auth is not None:
        from mcpctl.mock.oauth import AuthorizationServer

        auth = AuthorizationServer(app.spec.auth.oauth)
    host, port = address
    url = await nursery.start(
        functools.partial(
            serve_http,
            app,
            host=host,
            port=port,
            json_response=json_response,
            legacy_sse=legacy_sse,
            auth=auth,
        )
    )
    print(f"mcpctl: serving MockServer/{app.spec.metadata.name} on {url}", file=sys.stderr, flush=True)
    if auth is not None:
        print(
            f"mcpctl: OAuth authorization server (issuer) at {auth.site.issuer}, "
            f"protected resource metadata at {auth.site.resource_metadata}",
            file=sys.stderr,
            flush=True,
        )
    await trio.sleep_forever()


async def _watch(path: str, loaded: Callable[[], MockServerSpec], app: ServedMock) -> None:
    """Hot reload: serve the spec anew whenever the file at absolute ``path`` changes; a broken edit
    is refused (its errors printed) and the last good spec keeps serving."""
    from watchfiles import awatch

    # the directory, not the file: editors save by writing a new file and renaming it over the old
    async for _ in awatch(os.path.dirname(path), watch_filter=lambda _change, changed: changed == path):
        try:
            spec = loaded()
        except McpctlError as exc:
            for line in str(exc).splitlines():
                print(f"mcpctl: reload refused: {line}", file=sys.stderr, flush=True)
            continue
        await app.reload(spec)
        print(
            f"mcpctl: reloaded MockServer/{spec.metadata.name} ({len(spec.tools)} tools)",
            file=sys.stderr,
            flush=True,
        )


def run_list() -> int:
    """Print the bundled mocks with their descriptions."""
    rows = [(name, load_mock(f"builtin:{name}").metadata.description) for name in builtin.names()]
    width = max((len(name) for name, _ in rows), default=0)
    for name, description in rows:
        print(f"builtin:{name:<{width}}  {description}")
    return 0


HISTORY_COLUMNS = ("serve", "at", "mock", "tool", "rule", "latency_ms", "result", "arguments")


def run_history(
    *,
    state_dir: str | None,
    mock: str | None,
    serve: str | None,
    tool: str | None,
    limit: int | None,
    output: str,
) -> int:
    """Print the calls mocks answered (oldest first), from the state store."""
    if output not in ("text", "json", "csv"):
        raise UsageError(f"--output {output!r}: expected text, json or csv")
    from mcpctl.store import open_store
    from mcpctl.store.mock_calls import list_calls, resolve_serve

    with open_store(store_dir(state_dir), create=False) as store:
        serve_id = resolve_serve(store, serve, mock=mock) if serve is not None else None
        calls = list_calls(store, mock=mock, serve=serve_id, tool=tool, limit=limit)
    rows = [{"serve": call.serve_id, "mock": call.mock, **call.record} for call in calls]
    if output == "json":
        import orjson

        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif output == "csv":
        _write_csv([_flat(row) for row in rows])
    elif not rows:
        print("no mock calls recorded" + (" that match" if mock or serve or tool else ""))
    else:
        from tabulate import tabulate

        table = [[_flat(row)[column] for column in HISTORY_COLUMNS] for row in rows]
        print(tabulate(table, headers=list(HISTORY_COLUMNS), disable_numparse=True))
    return 0


def _flat(row: dict[str, object]) -> dict[str, str]:
    """One call as the text columns of the table and of CSV."""
    import orjson

    at = row.get("at")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) if isinstance(at, int | float) else ""
    if row.get("errorCode") is not None:
        result = f"error {row['errorCode']}"
    else:
        result = "isError" if row.get("isError") else "ok"
    return {
        "serve": str(row.get("serve")),
        "at": stamp,
        "mock": str(row.get("mock")),
        "tool": str(row.get("tool")),
        "rule": str(row.get("rule")),
        "latency_ms": f"{row.get('latencyMs', 0):.3f}",
        "result": result,
        "arguments": orjson.dumps(row.get("arguments"), option=orjson.OPT_SORT_KEYS).decode(),
    }


def _write_csv(rows: list[dict[str, str]]) -> None:
    import csv

    writer = csv.DictWriter(sys.stdout, fieldnames=list(HISTORY_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def run_record(
    conn: dict[str, Any],
    *,
    out: str | None,
    calls: str | None,
    suites: list[str],
    allow: str,
    name: str | None,
) -> int:
    """Record the server of ``conn`` as a MockServer spec, written to ``out`` (or printed); ``allow``
    is the safety level for its probes' tool calls (:mod:`mcpctl.engine.safety`)."""
    from mcpctl.cli.target import target_of
    from mcpctl.engine.safety import level_of
    from mcpctl.mock.probes import read_calls, suite_probes

    level = level_of(allow)
    target = target_of(conn)
    probes = read_calls(calls) if calls is not None else []
    skipped: list[str] = []
    if suites:
        suite_specs = load_specs(suites, servers_files=[conn["servers_file"]] if conn["servers_file"] else [])
        more, skipped = suite_probes(suite_specs.suites)
        probes += more
    source = conn["server"] if conn["server"] is not None else " ".join(conn["command"])

    async def main() -> int:
        from mcpctl import __version__
        from mcpctl.mcp.client import open_client
        from mcpctl.mcp.session import ClientOptions
        from mcpctl.mock.record import record_server
        from mcpctl.mock.tape import ServerFacts

        options = ClientOptions(client_version=__version__, timeout=conn["timeout"])
        async with open_client(target, options=options, protocol=conn["protocol"]) as client:
            negotiated = client.negotiated
            facts = ServerFacts(
                info=negotiated.server_info,
                capabilities=negotiated.capabilities,
                instructions=negotiated.instructions,
                protocol=negotiated.protocol_version,
                source=source,
            )
            recording = await record_server(client, facts=facts, probes=probes, allow=level, name=name)
        _write_recording(recording, out=out, skipped=skipped)
        return 0

    return run_async(main)


def _write_recording(recording: Recording, *, out: str | None, skipped: list[str]) -> None:
    from mcpctl.mock.export import check_text, dump_yaml, write_atomic

    notes = [*skipped, *recording.notes]
    recording = dataclasses.replace(recording, notes=tuple(notes))
    text = dump_yaml(recording.document, header=recording.header())
    where = out or "<stdout>"
    try:
        check_text(text, path=where)
    except UsageError as exc:
        raise CheckFailed(f"the recording does not validate (please report it):\n{exc}") from None
    if out is None:
        sys.stdout.write(text)
    else:
        write_atomic(out, text)
    for note in notes:
        print(f"mcpctl: note: {note}", file=sys.stderr)
    print(f"mcpctl: recorded {recording.summary} to {where}", file=sys.stderr)


def run_convert(path: str, *, fmt: str, out: str | None, name: str | None, verb: str) -> int:
    """``mcpctl mock export`` / ``import``: the MockServer of ``path`` as ``fmt``, to ``out`` or stdout."""
    from mcpctl.mock.export import convert, write_atomic

    if fmt not in ("yaml", "json"):
        raise UsageError(f"--format {fmt!r}: expected yaml or json")
    text = convert(path, "json" if fmt == "json" else "yaml", name=name, verb=verb)
    if out is None:
        sys.stdout.write(text)
    else:
        write_atomic(out, text)
        print(f"mcpctl: wrote {out}", file=sys.stderr)
    return 0
