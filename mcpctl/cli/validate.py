"""``mcpctl validate``: check specs against their schemas and for meaning; nothing runs."""

from __future__ import annotations

import json

from mcpctl.engine.results import counted
from mcpctl.errors import InvalidSpecs, UsageError
from mcpctl.spec.alert_model import AlertRulesSpec, AlertTestSpec
from mcpctl.spec.batch_model import BatchPlanSpec
from mcpctl.spec.build import Built, SpecSet, load_specs
from mcpctl.spec.fault_model import FaultScenarioSpec
from mcpctl.spec.load_model import LoadTestSpec
from mcpctl.spec.mock_model import MockServerSpec
from mcpctl.spec.model import ServersSpec, TestSuiteSpec
from mcpctl.spec.monitor_model import MonitorSpec
from mcpctl.spec.schedule_model import ScheduleSpec


def run(paths: list[str], *, servers_files: list[str], output: str) -> int:
    """Validate ``paths``; print a summary (or JSON); raise :class:`InvalidSpecs` on problems (text)."""
    if output not in ("text", "json"):
        raise UsageError(f"--output {output!r}: expected text or json")
    try:
        specs = load_specs(paths, servers_files=servers_files)
    except InvalidSpecs as exc:
        if output == "text":
            raise
        print(json.dumps(_report(None, exc), indent=2))
        return exc.exit_code
    if output == "json":
        print(json.dumps(_report(specs, None), indent=2))
        return 0
    names = ", ".join(f"{_kind(spec)}/{spec.metadata.name}" for spec in specs.documents)
    files = len({spec.source.path for spec in specs.documents})
    print(f"ok: {counted(len(specs.documents), 'document')} in {counted(files, 'file')} ({names})")
    return 0


_KINDS: dict[type, str] = {
    ServersSpec: "Servers",
    TestSuiteSpec: "TestSuite",
    MockServerSpec: "MockServer",
    BatchPlanSpec: "BatchPlan",
    LoadTestSpec: "LoadTest",
    FaultScenarioSpec: "FaultScenario",
    MonitorSpec: "Monitor",
    AlertRulesSpec: "AlertRules",
    AlertTestSpec: "AlertTest",
    ScheduleSpec: "Schedule",
}
"""The ``kind:`` each built record stands for."""


def _kind(spec: Built) -> str:
    return _KINDS[type(spec)]


def _report(specs: SpecSet | None, invalid: InvalidSpecs | None) -> dict[str, object]:
    documents = [
        {"kind": _kind(spec), "name": spec.metadata.name, "path": spec.source.path}
        for spec in (specs.documents if specs is not None else ())
    ]
    errors = [
        {
            "path": error.path,
            "line": error.line,
            "column": error.column,
            "subject": error.subject,
            "field": error.json_path,
            "message": error.problem,
        }
        for error in (invalid.errors if invalid is not None else [])
    ]
    return {"valid": invalid is None, "documents": documents, "errors": errors}
