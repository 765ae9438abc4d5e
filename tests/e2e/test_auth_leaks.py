"""No token, secret or authorization code of the test identity provider in anything a run writes.

Against the OAuth mock (examples/auth/oauth-mock.yaml): a login (authorization code + PKCE, dynamic
registration), then a test suite with reports in every format, a load test with its JSON report and
a batch plan (its journal and output) through the stored login, and a client-credentials suite
whose secret comes from the environment. Then every file under the state directory and the
reports, every stdout and stderr, and the mock's own log are searched for: the client secret, the
access and refresh tokens the store holds, any JWT, and any authorization code (``code=``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpctl.mcp.auth.store import FileBackend, LoginStore
from tests.e2e.auth_setup import isolated_env, serve_mock

SECRET = "ci-secret"
"""The example mock's pre-registered client secret (read here from the environment, as a spec should)."""
JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
CODE = re.compile(rb"[?&]code=[A-Za-z0-9_-]{8,}")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return isolated_env(tmp_path, CI_SECRET=SECRET)


@pytest.fixture
def served(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The mock's URL and the file its stderr goes to (its history kept beside the run's, in the state
    dir the leak check reads: nothing the run sends it may hold a credential either)."""
    log = tmp_path / "mock.log"
    with serve_mock(env, tmp_path / "state", log=log) as url:
        yield url, log


def mcpctl(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "mcpctl", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, cwd=cwd, env=env, check=False)


def specs(url: str) -> str:
    return f"""\
apiVersion: mcpctl/v1
kind: Servers
metadata: {{name: s}}
servers:
  issues: {{url: "{url}", auth: {{oauth: {{scopes: [mcp:read, mcp:write]}}}}}}
  machine:
    url: "{url}"
    auth: {{oauth: {{client_id: ci, client_secret: "${{env:CI_SECRET}}", grant: client_credentials}}}}
---
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {{name: through-login}}
server: issues
tests:
  - {{name: lists, call: list_issues}}
  - {{name: creates, call: create_issue, with: {{title: leak check}}, expect: {{text: {{contains: leak check}}}}}}
  - {{name: fails on purpose, call: create_issue, with: {{title: x}}, expect: {{text: nothing of the kind}}}}
---
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {{name: through-client-credentials}}
server: machine
tests:
  - {{name: lists, call: list_issues}}
  - {{name: fails on purpose, call: list_issues, expect: {{text: nothing of the kind}}}}
---
apiVersion: mcpctl/v1
kind: LoadTest
metadata: {{name: brief}}
server: issues
scenario: [{{call: list_issues}}]
profile: {{model: vus, stages: [{{duration: 2s, target: 2}}]}}
---
apiVersion: mcpctl/v1
kind: BatchPlan
metadata: {{name: filing}}
operations:
  - test: {{suites: [through-login]}}
  - execute: {{server: issues, tool: create_issue, input: titles.jsonl, key: id, with: {{title: "{{{{ record.title }}}}"}}, output: filed.jsonl}}
"""


def test_no_credential_reaches_any_artifact(
    served: tuple[str, Path], env: dict[str, str], tmp_path: Path
) -> None:
    url, mock_log = served
    work = tmp_path / "project"
    work.mkdir()
    (work / "specs.yaml").write_text(specs(url), encoding="utf-8")
    (work / "titles.jsonl").write_text(
        '{"id": 1, "title": "one"}\n{"id": 2, "title": "two"}\n', encoding="utf-8"
    )
    runs = [mcpctl(env, work, "auth", "login", "issues", "--servers", "specs.yaml", "--headless")]
    assert runs[0].returncode == 0, runs[0].stderr
    reports = [f"--report={fmt}:reports/suite.{ext}" for fmt, ext in (("json", "json"), ("junit", "xml"))]
    runs.append(mcpctl(env, work, "test", "specs.yaml", *reports))
    assert runs[-1].returncode == 1, runs[-1].stdout + runs[-1].stderr  # the tests that fail on purpose
    runs.append(mcpctl(env, work, "load", "specs.yaml", "--report", "json:reports/load.json"))
    assert runs[-1].returncode == 0, runs[-1].stdout + runs[-1].stderr
    runs.append(mcpctl(env, work, "apply", "specs.yaml", "--yes", "--report", "json:reports/apply.json"))
    assert runs[-1].returncode == 1, runs[-1].stdout + runs[-1].stderr

    login = LoginStore(FileBackend(tmp_path / "config" / "mcpctl" / "tokens.json")).get(url)
    assert login is not None
    assert login.token is not None
    assert login.token.refresh_token is not None
    credentials = {
        b"client secret": SECRET.encode(),
        b"access token": login.token.access_token.encode(),
        b"refresh token": login.token.refresh_token.encode(),
    }
    artifacts = {
        str(path.relative_to(tmp_path)): path.read_bytes()
        for root in (tmp_path / "state", work / "reports", work)
        for path in root.rglob("*")
        if path.is_file() and path.name != "specs.yaml"
    }
    for index, run in enumerate(runs):
        artifacts[f"run {index} stdout"] = run.stdout.encode()
        artifacts[f"run {index} stderr"] = run.stderr.encode()
    artifacts["the mock's log"] = mock_log.read_bytes()
    assert {name for name in artifacts if name.startswith(("state/", "project/reports/"))} >= {
        "project/reports/suite.json",
        "project/reports/suite.xml",
        "project/reports/load.json",
        "project/reports/apply.json",
    }
    assert any("journal" in name for name in artifacts), sorted(artifacts)
    leaks = [
        f"{what.decode()} in {name}"
        for name, data in artifacts.items()
        for what, value in credentials.items()
        if value in data
    ]
    leaks += [f"a JWT in {name}" for name, data in artifacts.items() if JWT.search(data)]
    leaks += [f"an authorization code in {name}" for name, data in artifacts.items() if CODE.search(data)]
    assert not leaks
