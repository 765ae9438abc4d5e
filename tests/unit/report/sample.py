"""One RunResult that has every shape a report must render: pass, fail, skip, flaky, latency, setup error."""

from __future__ import annotations

from mcpctl.engine.results import CaseResult, LatencySummary, RunResult, SuiteResult

STARTED = 1795623123.25  # 2026-11-25T16:12:03.250Z
SPEC_HASH = "ab" * 32


def sample_run(run_id: str = "20261125T161203-3fa2c1", *, started_at: float = STARTED) -> RunResult:
    basic = SuiteResult(
        kind="TestSuite",
        name="basic",
        server="echo",
        server_info={"name": "scenario-echo", "version": "1.0"},
        protocol="2025-11-25",
        spec_path="specs/basic.yaml",
        spec_hash=SPEC_HASH,
        started_at=started_at + 0.01,
        duration_ms=1200.0,
        cases=(
            CaseResult(
                name="lists tools",
                status="passed",
                duration_ms=12.3,
                latency=LatencySummary(
                    count=100, min=0.5, p50=1.25, p90=2.0, p95=2.5, p99=3.75, max=4.0, mean=1.5
                ),
                file="specs/basic.yaml",
                line=7,
            ),
            CaseResult(
                name="adds numbers",
                status="failed",
                duration_ms=3.0,
                message="structuredContent/sum: expected 42, got 41",
                details=("- 42", "+ 41"),
                output=">> tools/call add {a: 1, b: 40}\n<< {sum: 41}",
                file="specs/basic.yaml",
                line=14,
            ),
            CaseResult(name="later", status="skipped", duration_ms=0.0, message="not yet"),
            CaseResult(name="retried", status="passed", duration_ms=1500.0, attempts=2, flaky=True),
        ),
        attachment='{"kept": ["beside", "the cases"]}',
    )
    broken = SuiteResult(
        kind="TestSuite",
        name="broken",
        server="gone",
        spec_path="specs/broken.yaml",
        spec_hash="cd" * 32,
        started_at=started_at + 1.3,
        duration_ms=20.0,
        error="server did not start (exit code 1); stderr: no such file",
    )
    return RunResult(
        run_id=run_id, command="test", started_at=started_at, duration_ms=1234.5, suites=(basic, broken)
    )
