"""``expect: {auth: ...}``: a TestSuite's authorization checks, run by :mod:`mcpctl.mcp.auth.probe`.

Each check named must pass; a failed one is a failure saying what the server accepted (or how its
refusal is not spec-shaped), and a skipped one is a failure too: the expectation could not be
verified (say, no client credentials in the server's ``auth`` to get the valid token the token
checks start from).
"""

from __future__ import annotations

from collections.abc import Sequence

from mcpctl.engine.expect import Failure
from mcpctl.mcp.auth.probe import configured_client, probe_auth
from mcpctl.mcp.client import HttpTarget, ServerTarget


async def check_auth(target: ServerTarget | None, checks: Sequence[str]) -> list[Failure]:
    """The failures of the authorization ``checks`` against the server ``target`` (HTTP only)."""
    if not isinstance(target, HttpTarget):
        return [Failure(message="auth checks need an HTTP server (this suite's server is not one)")]
    client, scopes = configured_client(target.auth)
    results = {check.name: check for check in await probe_auth(target.url, client=client, scope=scopes)}
    failures = []
    for name in checks:
        check = results.get(name)
        if check is None:
            no_token = results.get("no_token")
            why = no_token.detail if no_token is not None else "not run"
            failures.append(Failure(message=f"auth {name}: not checked: {why}"))
        elif check.outcome == "failed":
            failures.append(Failure(message=f"auth {name}: {check.detail}"))
        elif check.outcome == "skipped":
            failures.append(Failure(message=f"auth {name}: could not be checked: {check.detail}"))
    return failures
