"""The JSON report of every run kind validates against ``schemas/report.schema.json`` (draft 2020-12),
and the schema refuses a report with one field broken."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator

from mcpctl.engine.results import CaseResult, LatencySummary, RunResult, SuiteResult
from mcpctl.report.json import SCHEMA_VERSION, render_json
from testing.paths import ROOT
from tests.unit.report.sample import STARTED, sample_run

SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
LATENCY = LatencySummary(count=10, min=1.0, p50=2.0, p90=3.0, p95=3.5, p99=4.0, max=5.0, mean=2.2)


def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(SCHEMA)
    return Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _suite(kind: str, cases: tuple[CaseResult, ...], attachment: str = "") -> SuiteResult:
    return SuiteResult(
        kind=kind,
        name=kind.lower(),
        server="echo",
        started_at=STARTED,
        duration_ms=10.0,
        cases=cases,
        spec_path=f"specs/{kind.lower()}.yaml",
        attachment=attachment,
    )


def _runs() -> dict[str, RunResult]:
    load = _suite(
        "LoadTest",
        (
            CaseResult(
                name="arrival-rate load", status="passed", duration_ms=5000.0, latency=LATENCY, details=("x",)
            ),
            CaseResult(
                name="threshold p99 < 250ms", status="failed", duration_ms=0.0, message="observed 312.4ms"
            ),
        ),
        attachment=orjson.dumps({"name": "load", "series": {"buckets": []}, "exit_code": 1}).decode(),
    )
    fault = _suite(
        "FaultScenario",
        (
            CaseResult(
                name="latency 200ms on tools/call", status="passed", duration_ms=1.0, output="injected 12"
            ),
        ),
    )
    batch = _suite(
        "BatchPlan",
        (
            CaseResult(
                name="deploy claude-desktop", status="passed", duration_ms=3.0, attempts=3, flaky=True
            ),
            CaseResult(name="rollback cursor", status="skipped", duration_ms=0.0, message="halted"),
        ),
    )
    kinds = {"LoadTest": load, "FaultScenario": fault, "BatchPlan": batch}
    runs = {
        kind: RunResult(
            run_id=f"r-{kind}", command="apply", started_at=STARTED, duration_ms=9.0, suites=(suite,)
        )
        for kind, suite in kinds.items()
    }
    runs["TestSuite"] = sample_run()
    runs["empty"] = RunResult(run_id="r0", command="test", started_at=STARTED, duration_ms=0.0, suites=())
    return runs


@pytest.mark.parametrize("kind", ["TestSuite", "LoadTest", "FaultScenario", "BatchPlan", "empty"])
def test_the_report_of_every_kind_validates(kind: str) -> None:
    document = json.loads(render_json(_runs()[kind], redact=str))
    assert document["schemaVersion"] == SCHEMA_VERSION == 1
    _validator().validate(document)


def _break(document: dict[str, Any], where: str) -> None:
    breakages = {
        "version": lambda d: d.update(schemaVersion=2),
        "run.id": lambda d: d["run"].pop("id"),
        "run.status": lambda d: d["run"].update(status="green"),
        "suite.cases": lambda d: d["suites"][0].update(cases={}),
        "case.line": lambda d: d["suites"][0]["cases"][0].update(line="7"),
        "case.latency": lambda d: d["suites"][0]["cases"][0].update(latency={"count": 1}),
        "summary.total": lambda d: d["run"]["summary"].update(total=-1),
    }
    breakages[where](document)


@pytest.mark.parametrize(
    "where", ["version", "run.id", "run.status", "suite.cases", "case.line", "case.latency", "summary.total"]
)
def test_one_broken_field_is_refused(where: str) -> None:
    document = json.loads(render_json(sample_run(), redact=str))
    _break(document, where)
    assert not _validator().is_valid(document)


def test_unknown_keys_are_allowed_so_that_keys_can_be_added() -> None:
    document = json.loads(render_json(sample_run(), redact=str))
    document["run"]["addedLater"] = True
    document["suites"][0]["cases"][0]["addedLater"] = True
    _validator().validate(document)
