"""Measure coverage: list every server the specs name (at once), then set the specs against them."""

from __future__ import annotations

import trio

from mcpctl.engine.compare.contract import Contract, fetch_contract
from mcpctl.engine.coverage.measure import CoverageReport, measure
from mcpctl.engine.coverage.usage import collect_usage
from mcpctl.engine.targets import target_for
from mcpctl.errors import McpctlError, ServerError
from mcpctl.spec.build import SpecSet


async def measure_coverage(specs: SpecSet, *, timeout: float) -> CoverageReport:
    """The coverage of ``specs``: each server they name is listed (every page), no tool is called.

    A server that cannot be reached or listed is a :class:`ServerError` naming it (exit 3)."""
    usages = collect_usage(specs)
    contracts: dict[str, Contract] = {}

    async def list_one(label: str) -> None:
        try:
            contracts[label] = await fetch_contract(target_for(usages[label].server), timeout=timeout)
        except ServerError as exc:
            raise ServerError(f"server {label!r}: {exc}") from None
        except McpctlError as exc:  # a JSON-RPC error answering a list request
            raise ServerError(f"server {label!r}: could not list it: {exc}") from None

    async with trio.open_nursery() as nursery:
        for label in usages:
            nursery.start_soon(list_one, label)
    return CoverageReport(servers=tuple(measure(usage, contracts[label]) for label, usage in usages.items()))
