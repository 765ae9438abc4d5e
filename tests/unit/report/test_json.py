from __future__ import annotations

import json

from mcpctl.report.json import render_json
from tests.unit.report.sample import SPEC_HASH, sample_run


def test_the_documented_shape() -> None:
    document = json.loads(render_json(sample_run(), redact=str))
    assert document["run"] == {
        "id": "20261125T161203-3fa2c1",
        "command": "test",
        "startedAt": "2026-11-25T16:12:03.250Z",
        "durationMs": 1234.5,
        "status": "error",
        "exitCode": 3,
        "summary": {"passed": 2, "failed": 1, "error": 1, "skipped": 1, "total": 5},
    }
    basic, broken = document["suites"]
    assert {key: value for key, value in basic.items() if key != "cases"} == {
        "kind": "TestSuite",
        "name": "basic",
        "server": "echo",
        "serverInfo": {"name": "scenario-echo", "version": "1.0"},
        "protocol": "2025-11-25",
        "spec": {"path": "specs/basic.yaml", "sha256": SPEC_HASH},
        "startedAt": "2026-11-25T16:12:03.260Z",
        "durationMs": 1200.0,
        "status": "failed",
        "error": "",
        "attachment": {"kept": ["beside", "the cases"]},
    }
    assert basic["cases"][0] == {
        "name": "lists tools",
        "status": "passed",
        "durationMs": 12.3,
        "attempts": 1,
        "flaky": False,
        "message": "",
        "details": [],
        "latency": {
            "count": 100,
            "min": 0.5,
            "p50": 1.25,
            "p90": 2.0,
            "p95": 2.5,
            "p99": 3.75,
            "max": 4.0,
            "mean": 1.5,
        },
        "output": "",
        "file": "specs/basic.yaml",
        "line": 7,
    }
    assert basic["cases"][1]["details"] == ["- 42", "+ 41"]
    assert basic["cases"][1]["latency"] is None
    assert [case["flaky"] for case in basic["cases"]] == [False, False, False, True]
    assert broken["status"] == "error"
    assert broken["error"] == "server did not start (exit code 1); stderr: no such file"
    assert broken["cases"] == []
    assert broken["serverInfo"] == {}
    assert broken["attachment"] is None


def test_keys_and_values_are_redacted() -> None:
    text = render_json(sample_run(), redact=lambda s: s.replace("scenario-echo", "***").replace("name", "N"))
    assert "scenario-echo" not in text
    document = json.loads(text)
    assert document["suites"][0]["serverInfo"] == {"N": "***", "version": "1.0"}
