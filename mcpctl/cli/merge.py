"""``mcpctl merge``: combine the JSON results of ``mcpctl load --shard I/N`` runs (or any runs of the same
LoadTest) into one result per LoadTest name, print its summary (or JSON) and write ``--report json:PATH``.
Exit 0 when every threshold held on the merged numbers, 1 when one failed or a shard aborted, 2 for bad
input (a file that is not a result names the file)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import orjson

from mcpctl.cli.handler import EXIT_OK
from mcpctl.cli.load import report_path, results_document, write_report
from mcpctl.cli.load_view import summaries
from mcpctl.engine.load.metrics import LoadResult
from mcpctl.engine.load.result_json import from_json
from mcpctl.engine.load.shard import merge_results
from mcpctl.errors import UsageError


def _redact(text: str) -> str:
    return text  # the results were redacted when mcpctl load wrote them


def read_results(path: str) -> list[LoadResult]:
    """The results of one ``mcpctl load`` JSON document; ``UsageError`` naming the file otherwise."""
    try:
        data = orjson.loads(Path(path).read_bytes())
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{path}: not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise UsageError(f'{path}: not a result of mcpctl load (expected {{"results": [...]}})')
    try:
        return [from_json(item) for item in data["results"]]
    except ValueError as exc:
        raise UsageError(f"{path}: not a result of mcpctl load: {exc}") from None


def run(files: Sequence[str], *, output: str, reports: Sequence[str]) -> int:
    """Merge the results in ``files`` by LoadTest name; print the summaries; return the exit code."""
    if output not in ("text", "json"):
        raise UsageError(f"--output {output!r}: expected text or json")
    if not files:
        raise UsageError("mcpctl merge: give the JSON results to merge")
    report_paths = [report_path(option) for option in reports]
    groups: dict[str, list[LoadResult]] = {}
    for path in files:
        for result in read_results(path):
            groups.setdefault(result.name, []).append(result)
    merged = []
    for name, group in groups.items():
        try:
            merged.append(merge_results(group))
        except ValueError as exc:  # a histogram that does not decode
            raise UsageError(f"LoadTest/{name}: cannot merge: {exc}") from None
    document = results_document(merged, redact=_redact)
    if output == "json":
        print(document)
    else:
        print(summaries([(result, None) for result in merged], redact=_redact))
    for report in report_paths:
        write_report(report, document)
    return max([EXIT_OK, *(result.exit_code for result in merged)])
