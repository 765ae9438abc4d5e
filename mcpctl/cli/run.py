"""``mcpctl test`` and ``mcpctl apply``: load and validate every spec, run them, record the run,
write the reports, print the outcome. Exit code from the run (DESIGN.md §6)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from mcpctl.cli.handler import run_async
from mcpctl.cli.progress import for_stderr, use_color
from mcpctl.engine.results import RunResult
from mcpctl.errors import UsageError
from mcpctl.report import parse_report, write_reports
from mcpctl.report.json import render_json
from mcpctl.report.text import render_summary
from mcpctl.spec.build import SpecSet, load_specs
from mcpctl.store import new_run_id, open_store, state_dir


def run(options: dict[str, object], *, command: str) -> int:
    """Run the specs named in ``options`` (built by ``mcpctl.cli.app``); return the exit code."""
    output = str(options["output"])
    if output not in ("text", "json"):
        raise UsageError(f"--output {output!r}: expected text or json")
    targets = [parse_report(str(option)) for option in _strings(options["reports"])]
    specs = load_specs(_strings(options["paths"]), servers_files=_strings(options["servers_files"]))
    if not specs.suites:
        return _nothing_to_run(specs, command=command, paths=_strings(options["paths"]))
    directory = state_dir(options["state_dir"] if isinstance(options["state_dir"], str) else None)
    concurrency = options["concurrency"]
    holder: list[RunResult] = []

    async def main() -> int:
        from mcpctl.engine.runner import run_suites

        holder.append(
            await run_suites(
                specs.suites,
                servers=specs.servers,
                run_id=new_run_id(),
                command=command,
                select=_strings(options["select"]),
                concurrency=concurrency if isinstance(concurrency, int) else None,
                progress=for_stderr() if output == "text" else None,
            )
        )
        return 0

    code = run_async(main)
    if not holder:
        return code
    result = holder[0]
    if not result.suites:
        raise UsageError(f"--select {', '.join(_strings(options['select']))}: no test matches")
    with open_store(directory) as store:
        store.save_run(result, redact=specs.secrets.redact)
    write_reports(result, targets, redact=specs.secrets.redact)
    _print(result, output=output, specs=specs)
    return result.exit_code


def _strings(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list | tuple) else []


def _nothing_to_run(specs: SpecSet, *, command: str, paths: Sequence[str]) -> int:
    if command == "test" or not specs.documents:
        raise UsageError(f"no TestSuite documents in {', '.join(paths)}")
    mocks = f" and {len(specs.mocks)} mock servers" if specs.mocks else ""
    print(f"nothing to run: {len(specs.documents)} documents define {len(specs.servers)} servers{mocks}")
    return 0


def _print(result: RunResult, *, output: str, specs: SpecSet) -> None:
    if output == "json":
        print(render_json(result, redact=specs.secrets.redact))
        return
    print(render_summary(result, color=use_color(sys.stdout), redact=specs.secrets.redact))
