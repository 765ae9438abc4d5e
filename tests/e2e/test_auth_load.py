"""A 60 s load test against a server whose access tokens live 4 s: the stored login is refreshed inside
the transport as often as it expires, no call fails, and the refreshes are not counted as calls."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testing.paths import ROOT
from tests.e2e.auth_setup import MOCK, isolated_env, serve_mock

LIFETIME = 4
DURATION = 60


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return isolated_env(tmp_path)


@pytest.fixture
def mock_url(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    spec = tmp_path / "short-tokens.yaml"
    spec.write_text(
        MOCK.read_text(encoding="utf-8").replace("tokenLifetime: 1h", f"tokenLifetime: {LIFETIME}s")
    )
    with serve_mock(env, tmp_path / "mock-state", spec=spec) as url:
        yield url


def mcpctl(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "mcpctl", *args]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env, check=False
    )


@pytest.mark.timeout(DURATION + 60)
def test_a_long_load_refreshes_its_token_without_a_failed_call(
    mock_url: str, env: dict[str, str], tmp_path: Path
) -> None:
    specs = tmp_path / "load.yaml"
    specs.write_text(
        f"""\
apiVersion: mcpctl/v1
kind: Servers
metadata: {{name: s}}
servers:
  issues: {{url: "{mock_url}", auth: {{oauth: {{scopes: [mcp:read]}}}}}}
---
apiVersion: mcpctl/v1
kind: LoadTest
metadata: {{name: refreshing}}
server: issues
sessions: shared
timeout: 10s
scenario: [{{call: list_issues}}]
profile: {{model: vus, stages: [{{duration: {DURATION}s, target: 2}}]}}
thresholds: ["error_rate <= 0%"]
""",
        encoding="utf-8",
    )
    login = mcpctl(env, "auth", "login", "issues", "--servers", str(specs), "--headless")
    assert login.returncode == 0, login.stderr
    done = mcpctl(env, "load", str(specs), "-o", "json", timeout=DURATION + 45)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (result,) = json.loads(done.stdout)["results"]
    overall = result["overall"]
    assert overall["outcomes"] == {"ok": overall["count"]}
    assert overall["count"] > 500
    assert [call["name"] for call in result["calls"]] == ["list_issues"]
    stats = httpx.get(mock_url.removesuffix("/mcp") + "/mcpctl/oauth/stats", trust_env=False).json()
    # a 4 s token refreshed in the last half of its life: at least one refresh every 4 s of the 60
    assert stats["refreshes"] >= DURATION // LIFETIME - 1
    assert stats["refreshes"] <= DURATION // (LIFETIME // 2) + 2
