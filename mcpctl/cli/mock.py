"""``mcpctl mock``: serve a MockServer spec over stdio or HTTP, list the bundled mocks."""

from __future__ import annotations

import dataclasses
import functools
import sys

from mcpctl.cli.handler import run_async
from mcpctl.errors import UsageError
from mcpctl.mock import builtin
from mcpctl.spec.build import load_specs
from mcpctl.spec.mock_model import MockServerSpec


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


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not port.isdigit() or int(port) > 65535:
        raise UsageError(f"--http {text!r}: expected [HOST:]PORT, e.g. 127.0.0.1:8080")
    return (host.strip("[]") if sep and host else "127.0.0.1"), int(port)


def serve(
    ref: str,
    *,
    name: str | None,
    http: str | None,
    json_response: bool,
    legacy_sse: bool,
    seed: int | None,
    scenario: str | None,
) -> int:
    """Serve the mock until stdin closes (stdio) or until interrupted (HTTP)."""
    spec = load_mock(ref, name=name)
    if seed is not None:
        spec = dataclasses.replace(spec, seed=seed)
    if scenario is not None:
        spec = dataclasses.replace(spec, scenario=scenario)
    address = _address(http) if http is not None else None

    async def main() -> int:
        from mcpctl.mock.app import ServedMock

        app = ServedMock(spec)
        if address is None:
            from mcpctl.mock.stdio import serve_stdio

            await serve_stdio(app)
            return 0
        import trio

        from mcpctl.mock.http import serve_http

        host, port = address
        async with trio.open_nursery() as nursery:
            url = await nursery.start(
                functools.partial(
                    serve_http, app, host=host, port=port, json_response=json_response, legacy_sse=legacy_sse
                )
            )
            print(f"mcpctl: serving MockServer/{spec.metadata.name} on {url}", file=sys.stderr, flush=True)
        return 0

    return run_async(main)


def run_list() -> int:
    """Print the bundled mocks with their descriptions."""
    rows = [(name, load_mock(f"builtin:{name}").metadata.description) for name in builtin.names()]
    width = max((len(name) for name, _ in rows), default=0)
    for name, description in rows:
        print(f"builtin:{name:<{width}}  {description}")
    return 0
