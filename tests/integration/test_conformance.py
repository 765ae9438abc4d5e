"""mcpctl's client against the official MCP conformance suite's client scenarios (tests/conformance/run)."""

from __future__ import annotations

import subprocess

import pytest

from testing.paths import CONFORMANCE_JS, NODE22, ROOT

# Every client scenario of @modelcontextprotocol/conformance 0.1.16 passes; keep this list in step
# with `scripts/conformance.sh --list` when the package is upgraded.
SCENARIOS = [
    "initialize",
    "tools_call",
    "elicitation-sep1034-client-defaults",
    "sse-retry",
    "auth/metadata-default",
    "auth/metadata-var1",
    "auth/metadata-var2",
    "auth/metadata-var3",
    "auth/basic-cimd",
    "auth/scope-from-www-authenticate",
    "auth/scope-from-scopes-supported",
    "auth/scope-omitted-when-undefined",
    "auth/scope-step-up",
    "auth/scope-retry-limit",
    "auth/token-endpoint-auth-basic",
    "auth/token-endpoint-auth-post",
    "auth/token-endpoint-auth-none",
    "auth/pre-registration",
    "auth/2025-03-26-oauth-metadata-backcompat",
    "auth/2025-03-26-oauth-endpoint-fallback",
    "auth/resource-mismatch",
    "auth/offline-access-scope",
    "auth/offline-access-not-supported",
    "auth/client-credentials-jwt",
    "auth/client-credentials-basic",
    "auth/cross-app-access-complete-flow",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(240),
    pytest.mark.skipif(
        not NODE22.exists() or not CONFORMANCE_JS.exists(),
        reason="node 22 or @modelcontextprotocol/conformance missing in .cache/node (run scripts/setup.sh)",
    ),
]


def test_conformance_client_scenarios(tmp_path):
    # tests/conformance/run is what anyone reruns to check the README's table: the runner launches
    # tests/conformance/client, and every scenario's row says its spec revisions and its result
    proc = subprocess.run(
        [str(ROOT / "tests" / "conformance" / "run"), "--out", str(tmp_path), *SCENARIOS],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=230,
        check=False,
    )
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| `")]
    failures = [row for row in rows if not row.endswith("| PASS |")]
    assert proc.returncode == 0, "\n".join([*failures, proc.stdout[-3000:], proc.stderr[-2000:]])
    assert [row.split("`")[1] for row in rows] == SCENARIOS
    assert not failures
    assert "| `auth/2025-03-26-oauth-endpoint-fallback` | 2025-03-26 | PASS |" in rows
    assert f"conformance client scenarios: {len(SCENARIOS)} passed, 0 failed" in proc.stdout
