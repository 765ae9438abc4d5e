"""``mcpctl auth`` as a user runs it, against a served mock that requires OAuth (examples/auth/oauth-mock.yaml).

HOME and XDG_CONFIG_HOME point into tmp_path and MCPCTL_TOKEN_STORE=file: nothing touches the
user's keyring or config. The mock approves authorization requests at once (``approve: auto``), so
``--headless`` logs in without a browser; ``--no-browser`` is driven by the test acting as the browser.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from mcpctl.engine.targets import target_for
from mcpctl.mcp.auth.store import FileBackend, LoginStore
from mcpctl.mcp.auth.tokens import Token
from mcpctl.mcp.client import open_client
from mcpctl.spec.build import load_specs
from testing.paths import ROOT
from tests.e2e.auth_setup import MOCK, isolated_env, serve_mock

pytestmark = pytest.mark.skipif(
    not MOCK.exists(), reason="examples/auth/oauth-mock.yaml (the OAuth mock) is not in this checkout yet"
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return isolated_env(tmp_path)


@pytest.fixture
def mock_url(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    # the mock keeps its call history (the arguments it was sent) in a state store of its own: the
    # server's records are not the run's
    with serve_mock(env, tmp_path / "mock-state") as url:
        yield url


def mcpctl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "mcpctl", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=ROOT, env=env, check=False)


def store(env: dict[str, str]) -> LoginStore:
    return LoginStore(FileBackend(Path(env["XDG_CONFIG_HOME"]) / "mcpctl" / "tokens.json"))


def stats(url: str) -> dict[str, int]:
    reply = httpx.get(url.removesuffix("/mcp") + "/mcpctl/oauth/stats", trust_env=False)
    return dict(reply.json())


def servers_spec(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "servers.yaml"
    path.write_text(
        "apiVersion: mcpctl/v1\nkind: Servers\nmetadata: {name: s}\nservers:\n"
        f"  issues:\n    url: {url}\n    auth: {{oauth: {{scopes: [mcp:read, mcp:write]}}}}\n",
        encoding="utf-8",
    )
    return path


def test_login_status_token_use_and_logout(mock_url: str, env: dict[str, str], tmp_path: Path) -> None:
    login = mcpctl(env, "auth", "login", mock_url, "--headless")
    assert login.returncode == 0, login.stderr
    lines = login.stdout.splitlines()
    assert lines[0] == f"Logged in to {mock_url}"
    assert lines[2] == "  scopes:    mcp:read"
    assert lines[3].startswith("  expires:   in 59m ")
    assert lines[4] == "  refresh:   yes"
    assert re.fullmatch(r"  client:    \S+ \(registered by mcpctl\)", lines[5])
    path = Path(env["XDG_CONFIG_HOME"]) / "mcpctl" / "tokens.json"
    assert lines[6] == f"  stored in: {path}"
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    token = mcpctl(env, "auth", "token", mock_url)
    assert token.returncode == 0, token.stderr
    access = token.stdout.strip()
    stored = store(env).get(mock_url)
    assert stored is not None
    assert stored.token is not None
    assert access == stored.token.access_token
    assert access not in login.stdout + login.stderr

    status = json.loads(mcpctl(env, "auth", "status", "-o", "json").stdout)
    assert status == [
        {
            "server": mock_url,
            "resource": mock_url,
            "logged_in": True,
            "scopes": ["mcp:read"],
            "expires_at": stored.token.expires_at,
            "expires_in": status[0]["expires_in"],
            "refresh_token": True,
            "client_id": stored.client.client_id,
            "client_registered": True,
            "store": "file",
        }
    ]
    table = mcpctl(env, "auth", "status", mock_url).stdout.splitlines()
    assert table[0].split() == ["SERVER", "RESOURCE", "SCOPES", "EXPIRES", "IN", "REFRESH", "CLIENT", "STORE"]
    assert table[1].split()[:3] == [mock_url, mock_url, "mcp:read"]

    spec = servers_spec(tmp_path, mock_url)
    tools = mcpctl(env, "tools", "issues", "--servers", str(spec))
    assert tools.returncode == 0, tools.stderr
    assert "list_issues" in tools.stdout

    # create_issue needs mcp:write, which this login lacks: a run says how to get it, opens no browser
    call = mcpctl(env, "call", "issues", "create_issue", "title=x", "--servers", str(spec))
    assert call.returncode == 3
    assert call.stderr == (
        f"mcpctl: error: the login to {mock_url} lacks the scopes this request needs (mcp:read mcp:write): "
        f"run mcpctl auth login issues --servers {spec} --scope mcp:read --scope mcp:write\n"
    )

    logout = mcpctl(env, "auth", "logout", mock_url)
    assert logout.stdout == f"Logged out of {mock_url}: forgot its tokens and client ({path})\n"
    assert mcpctl(env, "auth", "status", mock_url).stdout == f"not logged in to {mock_url}\n"
    after = mcpctl(env, "auth", "token", "issues", "--servers", str(spec))
    assert after.returncode == 3
    assert after.stderr == (
        f"mcpctl: error: not logged in to {mock_url}: run mcpctl auth login issues --servers {spec}\n"
    )


def test_an_expired_token_is_refreshed_and_the_client_reused(
    mock_url: str, env: dict[str, str], tmp_path: Path
) -> None:
    spec = servers_spec(tmp_path, mock_url)
    assert mcpctl(env, "auth", "login", "issues", "--servers", str(spec), "--headless").returncode == 0
    logins = store(env)
    first = logins.get(mock_url)
    assert first is not None
    assert first.token is not None
    assert first.token.scope == ("mcp:read", "mcp:write")
    old = Token(
        access_token=first.token.access_token,
        expires_at=time.time() - 5,
        refresh_token=first.token.refresh_token,
        scope=first.token.scope,
    )
    logins.put(replace(first, token=old))
    assert mcpctl(env, "auth", "status", mock_url).stdout.splitlines()[1].split()[4] == "expired"

    call = mcpctl(env, "call", "issues", "create_issue", "title=x", "--servers", str(spec))
    assert call.returncode == 0, call.stderr
    assert "created: x" in call.stdout
    renewed = logins.get(mock_url)
    assert renewed is not None
    assert renewed.token is not None
    assert renewed.token.access_token != old.access_token
    assert not renewed.token.expired()
    assert stats(mock_url)["refreshes"] == 1

    again = mcpctl(env, "auth", "login", mock_url, "--headless", "--scope", "mcp:read")
    assert again.returncode == 0, again.stderr
    assert f"  client:    {first.client.client_id} (registered by mcpctl)" in again.stdout
    assert stats(mock_url)["registrations"] == 1


def test_a_client_the_server_forgot_is_registered_again(mock_url: str, env: dict[str, str]) -> None:
    assert mcpctl(env, "auth", "login", mock_url, "--headless").returncode == 0
    logins = store(env)
    first = logins.get(mock_url)
    assert first is not None
    forgotten = replace(first, client=replace(first.client, client_id="forgotten-client"))
    logins.put(forgotten)
    again = mcpctl(env, "auth", "login", mock_url, "--headless")
    assert again.returncode == 0, again.stderr
    renewed = logins.get(mock_url)
    assert renewed is not None
    assert renewed.client.client_id not in ("forgotten-client", first.client.client_id)
    assert stats(mock_url)["registrations"] == 2


async def test_a_run_registers_the_tokens_it_uses_for_redaction(
    mock_url: str, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = servers_spec(tmp_path, mock_url)
    assert mcpctl(env, "auth", "login", "issues", "--servers", str(spec), "--headless").returncode == 0
    for key in ("XDG_CONFIG_HOME", "MCPCTL_TOKEN_STORE"):
        monkeypatch.setenv(key, env[key])
    specs = load_specs([], servers_files=[str(spec)], environ=env)
    async with open_client(target_for(specs.servers["issues"])) as client:
        assert [tool["name"] for tool in await client.list_tools()] == ["list_issues", "create_issue"]
    login = store(env).get(mock_url)
    assert login is not None
    assert login.token is not None
    secrets = (login.token.access_token, login.token.refresh_token or "")
    assert specs.secrets.redact(" ".join(secrets)) == "*** ***"


def leaking_suite(tmp_path: Path, access: str) -> Path:
    suite = tmp_path / "suite.yaml"
    # the server echoes the title: a token sent as data comes back in the failure message
    suite.write_text(
        "apiVersion: mcpctl/v1\nkind: TestSuite\nmetadata: {name: leak}\nserver: issues\ntests:\n"
        f"  - name: echo\n    call: create_issue\n    with: {{title: {access}}}\n"
        "    expect: {text: nothing}\n",
        encoding="utf-8",
    )
    return suite


def outputs(env: dict[str, str], run: subprocess.CompletedProcess[str], report: Path) -> list[bytes]:
    state = [path.read_bytes() for path in Path(env["MCPCTL_STATE_DIR"]).rglob("*") if path.is_file()]
    return [run.stdout.encode(), run.stderr.encode(), report.read_bytes(), *state]


@pytest.mark.parametrize(
    "part",
    [
        pytest.param(slice(None), id="whole-token"),
        # an answer cut for display ends in the middle of the token: its head is hidden too
        pytest.param(slice(0, 40), id="token-head"),
    ],
)
def test_tokens_never_reach_reports_or_run_state(
    mock_url: str, env: dict[str, str], tmp_path: Path, part: slice
) -> None:
    spec = servers_spec(tmp_path, mock_url)
    assert mcpctl(env, "auth", "login", "issues", "--servers", str(spec), "--headless").returncode == 0
    access = mcpctl(env, "auth", "token", mock_url).stdout.strip()
    report = tmp_path / "report.json"
    suite = leaking_suite(tmp_path, access)
    run = mcpctl(env, "test", str(suite), "--servers", str(spec), "--report", f"json:{report}")
    assert run.returncode == 1, run.stderr
    leaked = access[part].encode()
    assert not [index for index, text in enumerate(outputs(env, run, report)) if leaked in text]


def test_no_browser_waits_for_the_loopback_redirect(mock_url: str, env: dict[str, str]) -> None:
    cmd = [sys.executable, "-m", "mcpctl", "auth", "login", mock_url, "--no-browser"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline() == "Open this URL to authorize mcpctl:\n"
        url = proc.stderr.readline().strip()
        assert url.startswith(mock_url.removesuffix("/mcp") + "/authorize?")
        assert "code_challenge_method=S256" in url
        # the test is the browser: the mock approves at once and redirects to the loopback listener
        redirect = httpx.get(url, trust_env=False).headers["location"]
        assert redirect.startswith("http://127.0.0.1:")
        page = httpx.get(redirect, trust_env=False)
        assert "Authorization received" in page.text
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.startswith(f"Logged in to {mock_url}\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["login", "issues"],
            "SERVER 'issues' is not a URL: give an http(s):// URL, or a Servers spec with --servers FILE",
        ),
        (
            ["login", "http://127.0.0.1:9/mcp", "--headless", "--no-browser"],
            "give --no-browser or --headless, not both",
        ),
        (
            ["login", "http://127.0.0.1:9/mcp", "--client-secret-env", "NOPE"],
            "--client-secret-env needs --client-id (or a client_id in the spec)",
        ),
        (["status", "-o", "yaml"], "--output 'yaml': expected text or json"),
    ],
)
def test_bad_input_exits_2(env: dict[str, str], args: list[str], message: str) -> None:
    proc = mcpctl(env, "auth", *args)
    assert proc.returncode == 2
    assert proc.stderr == f"mcpctl: error: {message}\n"


def test_unreachable_server_exits_3(env: dict[str, str]) -> None:
    proc = mcpctl(env, "auth", "login", "http://127.0.0.1:9/mcp", "--headless")
    assert proc.returncode == 3
    assert proc.stderr.startswith("mcpctl: error: GET http://127.0.0.1:9/mcp: ConnectError")


def test_a_token_file_others_can_read_is_refused(env: dict[str, str]) -> None:
    path = Path(env["XDG_CONFIG_HOME"]) / "mcpctl" / "tokens.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "servers": {}}')
    path.chmod(0o644)
    proc = mcpctl(env, "auth", "status")
    assert proc.returncode == 2
    assert proc.stderr == (
        f"mcpctl: error: {path}: refusing to read OAuth tokens from a file other users can access "
        f"(mode 0644); run: chmod 600 {path}\n"
    )


def test_an_ad_hoc_command_on_a_url_uses_the_stored_login(mock_url: str, env: dict[str, str]) -> None:
    before = mcpctl(env, "tools", mock_url)
    assert before.returncode == 3
    assert mcpctl(env, "auth", "login", mock_url, "--headless").returncode == 0
    after = mcpctl(env, "tools", mock_url, "-o", "json")
    assert after.returncode == 0, after.stderr
    assert [tool["name"] for tool in json.loads(after.stdout)["tools"]] == ["list_issues", "create_issue"]
