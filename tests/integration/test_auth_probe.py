"""Auth testing of servers: ``mcpctl fuzz --auth`` and ``expect: {auth: ...}`` against the mock served behind
its embedded OAuth authorization server, correct and with each deliberate flaw."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mcpctl.mcp.auth.probe import CHECKS
from testing.cli import mcpctl
from testing.paths import PYTHON
from tests.integration.conftest import free_port, start_server

SECRET = "probe-secret-4711"
MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {{name: guarded}}
tools:
  - name: echo
    inputSchema: {{type: object, properties: {{text: {{type: string}}}}}}
    default: {{text: "{{{{ args.text }}}}"}}
auth:
  oauth:
    scopes: [mcp:read, mcp:write]
    requiredScopes: [mcp:read]
    tokenLifetime: 3s
    clients:
      - {{clientId: ci, clientSecret: "${{env:CI_SECRET}}", grants: [client_credentials], authMethod: client_secret_basic}}
    misbehave: [{misbehave}]
"""


@contextmanager
def guarded(tmp_path: Path, misbehave: str = "") -> Iterator[str]:
    spec = tmp_path / f"guarded-{misbehave or 'correct'}.yaml"
    spec.write_text(MOCK.format(misbehave=misbehave), encoding="utf-8")
    port = free_port()
    argv = [PYTHON, "-m", "mcpctl", "mock", "serve", str(spec), "--http", f"127.0.0.1:{port}"]
    argv += ["--state-dir", str(tmp_path / "state")]
    with start_server(argv, port=port, path="/mcp", env={"CI_SECRET": SECRET}) as server:
        yield server.url


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_SECRET", SECRET)


def _fuzz_auth(tmp_path: Path, url: str, *extra: str) -> tuple[int, dict[str, str], str]:
    args = ("fuzz", "--auth", url, "--client-id", "ci", "--client-secret-env", "CI_SECRET", *extra)
    done = mcpctl(*args, "-o", "json", cwd=tmp_path)
    report = json.loads(done.stdout) if done.stdout.strip() else {"checks": []}
    outcomes = {check["check"]: check["outcome"] for check in report["checks"]}
    return done.returncode, outcomes, done.stdout + done.stderr


def test_a_correct_server_passes_every_check(tmp_path: Path) -> None:
    with guarded(tmp_path) as url:
        code, outcomes, printed = _fuzz_auth(tmp_path, url)
    assert code == 0, printed
    assert outcomes == dict.fromkeys(CHECKS, "passed")
    assert SECRET not in printed


@pytest.mark.parametrize(
    ("misbehave", "checks"),
    [
        ("accept_wrong_audience", ["wrong_audience"]),
        ("accept_expired", ["expired"]),
        # the mock's accept_any_issuer skips the signature check too: a tampered token gets in as well
        ("accept_any_issuer", ["other_issuer", "tampered"]),
        ("accept_insufficient_scope", ["insufficient_scope"]),
        ("token_in_query", ["token_in_query"]),
    ],
)
def test_each_flaw_is_found(tmp_path: Path, misbehave: str, checks: list[str]) -> None:
    with guarded(tmp_path, misbehave) as url:
        code, outcomes, printed = _fuzz_auth(tmp_path, url)
    assert code == 1, printed
    assert [name for name, outcome in outcomes.items() if outcome == "failed"] == checks


def test_the_text_report_names_the_finding_and_how_to_reproduce_it(tmp_path: Path) -> None:
    with guarded(tmp_path, "accept_wrong_audience") as url:
        done = mcpctl(
            "fuzz", "--auth", url, "--client-id", "ci", "--client-secret-env", "CI_SECRET", cwd=tmp_path
        )
    assert done.returncode == 1
    origin = url.removesuffix("/mcp")
    assert (
        f"wrong_audience      FAILED    a token for {origin}/mcpctl-other-resource: accepted (HTTP 200)"
        in done.stdout
    )
    assert done.stdout.endswith(
        f"1 finding; reproduce with:\n  mcpctl fuzz --auth {url} --client-id ci --client-secret-env CI_SECRET\n"
    )


def test_a_suite_expects_the_checks(tmp_path: Path) -> None:
    suite = """\
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {{name: auth}}
server: {{url: "{url}", auth: {{type: client_credentials, client_id: ci, client_secret: "${{env:CI_SECRET}}"}}}}
tests:
  - name: refuses what it must
    expect: {{auth: all}}
"""
    for misbehave, expected in (("", 0), ("accept_any_issuer", 1)):
        with guarded(tmp_path, misbehave) as url:
            (tmp_path / "suite.yaml").write_text(suite.format(url=url), encoding="utf-8")
            done = mcpctl("test", "suite.yaml", cwd=tmp_path)
        assert done.returncode == expected, done.stdout + done.stderr
    assert "auth other_issuer: accepted (HTTP 200): the server served MCP with it" in done.stdout
