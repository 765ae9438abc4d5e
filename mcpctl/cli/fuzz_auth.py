"""``mcpctl fuzz --auth SERVER``: probe an HTTP server's authorization (mcpctl.mcp.auth.probe) and report
every credential it accepts that it must refuse, and every refusal that is not spec-shaped.

The client for the valid token: ``--client-id`` with the secret read from ``--client-secret-env``
(never a secret on the command line), else the client credentials of the server's Servers entry.
Exit 0 when every check passed or was skipped, 1 on findings, 2 for bad input, 3 when the server
cannot be reached.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence

from mcpctl.cli.adhoc import _emit_json, _table
from mcpctl.cli.handler import EXIT_FAILED, EXIT_OK, run_async
from mcpctl.cli.target import target_of
from mcpctl.errors import UsageError
from mcpctl.mcp.auth.probe import AuthCheck, configured_client, probe_auth
from mcpctl.mcp.auth.registration import ClientCredentials
from mcpctl.mcp.client import HttpTarget


def run_fuzz_auth(
    conn: Mapping[str, object],
    *,
    client_id: str | None,
    client_secret_env: str | None,
    scopes: Sequence[str],
    output: str,
) -> int:
    """Probe the server ``conn`` names; print the checks (or JSON); the exit code."""
    if output not in ("text", "json"):
        raise UsageError(f"--output {output!r}: expected text or json")
    target = target_of(conn)
    if not isinstance(target, HttpTarget):
        raise UsageError("--auth probes an HTTP server's authorization: give its URL or an HTTP Servers name")
    client, configured = _client(target, client_id, client_secret_env)

    async def main() -> int:
        checks = await probe_auth(target.url, client=client, scope=scopes or configured)
        failed = [check for check in checks if check.outcome == "failed"]
        if output == "json":
            _emit_json(
                {"server": target.url, "checks": [_as_json(c) for c in checks], "findings": len(failed)}
            )
        else:
            print(
                render(target.url, checks, reproducer=_reproducer(conn, client_id, client_secret_env, scopes))
            )
        return EXIT_FAILED if failed else EXIT_OK

    return run_async(main)


def _client(
    target: HttpTarget, client_id: str | None, secret_env: str | None
) -> tuple[ClientCredentials | None, tuple[str, ...]]:
    if client_id is not None:
        secret = None
        if secret_env is not None:
            secret = os.environ.get(secret_env)
            if secret is None:
                raise UsageError(f"--client-secret-env {secret_env}: the variable is not set")
        return ClientCredentials(client_id=client_id, client_secret=secret), ()
    if secret_env is not None:
        raise UsageError("--client-secret-env goes with --client-id")
    return configured_client(target.auth)


def render(url: str, checks: Sequence[AuthCheck], *, reproducer: str) -> str:
    """The checks as a table, then the findings' count and how to run them again."""
    rows = [[c.name, "FAILED" if c.outcome == "failed" else c.outcome, c.detail] for c in checks]
    failed = sum(1 for check in checks if check.outcome == "failed")
    lines = [f"auth checks of {url}", "", _table(rows, ["CHECK", "RESULT", "DETAIL"]), ""]
    if failed:
        lines += [f"{failed} finding{'s' if failed != 1 else ''}; reproduce with:", f"  {reproducer}"]
    else:
        lines.append("no findings")
    return "\n".join(lines)


def _reproducer(
    conn: Mapping[str, object], client_id: str | None, secret_env: str | None, scopes: Sequence[str]
) -> str:
    words = ["mcpctl", "fuzz", "--auth", str(conn.get("server") or "")]
    if client_id is not None:
        words += ["--client-id", client_id]
    if secret_env is not None:
        words += ["--client-secret-env", secret_env]
    for scope in scopes:
        words += ["--scope", scope]
    if conn.get("servers_file"):
        words += ["--servers", str(conn["servers_file"])]
    return shlex.join(words)


def _as_json(check: AuthCheck) -> dict[str, str]:
    return {"check": check.name, "outcome": check.outcome, "detail": check.detail}
