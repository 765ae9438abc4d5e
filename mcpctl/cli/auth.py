"""``mcpctl auth login | status | logout | token``: OAuth logins kept between runs.

``login`` runs the authorization code flow with PKCE once (a browser and a loopback redirect, or
``--headless`` for identity providers that approve at once) and stores the token and the client;
specs whose server says ``auth: {oauth: {}}`` then use that login, refreshing it as needed.
Nothing here prints a token except ``token``, which exists to hand one to scripts.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import orjson

from mcpctl.cli.handler import EXIT_OK, run_async
from mcpctl.errors import UsageError
from mcpctl.spec.model import HttpServer, OAuthAuth, ServerDef

if TYPE_CHECKING:
    from mcpctl.mcp.auth.authorizer import Authorizer
    from mcpctl.mcp.auth.registration import ClientCredentials
    from mcpctl.mcp.auth.store import Login, LoginStore


@dataclass(frozen=True, slots=True, kw_only=True)
class _Server:
    url: str
    command: str
    """The login command to suggest."""
    oauth: OAuthAuth | None = None


def _resolve(server: str, servers_file: str | None) -> _Server:
    from mcpctl.mcp.auth.login import login_command

    if server.startswith(("http://", "https://")):
        return _Server(url=server, command=login_command(server))
    if servers_file is None:
        raise UsageError(
            f"SERVER {server!r} is not a URL: give an http(s):// URL, or a Servers spec with --servers FILE"
        )
    found = _find(servers_file, server)
    if not isinstance(found, HttpServer):
        raise UsageError(f"{servers_file}: server {server!r} is not an HTTP server: only those use OAuth")
    auth = found.auth
    if isinstance(auth, OAuthAuth) and auth.grant == "client_credentials":
        raise UsageError(
            f"{servers_file}: server {server!r} uses the client_credentials grant: no login needed"
        )
    return _Server(
        url=found.url,
        command=login_command(server, servers_file=servers_file),
        oauth=auth if isinstance(auth, OAuthAuth) else None,
    )


def _find(path: str, name: str) -> ServerDef:
    """Server ``name`` of the Servers documents in ``path``, or written inline in its suites and loads."""
    from mcpctl.spec.build import load_specs

    specs = load_specs([path], check_locks=False)
    if name in specs.servers:
        return specs.servers[name]
    inline = [doc.server for doc in specs.suites] + [doc.server for doc in specs.loads]
    for written in inline:
        if not isinstance(written, str) and written.name == name:
            return written
    known = f" (known: {', '.join(sorted(specs.servers))})" if specs.servers else " (it defines no servers)"
    raise UsageError(f"{path}: no server named {name!r}{known}")


def _store() -> LoginStore:
    from mcpctl.mcp.auth.store import open_login_store

    return open_login_store()


# -- login ------------------------------------------------------------------------------------------
def run_login(
    server: str,
    *,
    scopes: Sequence[str],
    client_id: str | None,
    client_secret_env: str | None,
    no_browser: bool,
    headless: bool,
    servers_file: str | None,
) -> int:
    """Log in to ``server`` and store the token; print what was granted (never the token)."""
    from mcpctl.mcp.auth.login import log_in

    if no_browser and headless:
        raise UsageError("give --no-browser or --headless, not both")
    target = _resolve(server, servers_file)
    client = _client(target, client_id, client_secret_env)
    wanted = tuple(scopes) or (target.oauth.scopes if target.oauth else ())
    store = _store()

    def authorizer_for(redirect_uri: str) -> Authorizer:
        from mcpctl.mcp.auth.authorizer import HeadlessAuthorizer, LoopbackAuthorizer

        if headless:
            return HeadlessAuthorizer(redirect_uri=redirect_uri)
        port = urlsplit(redirect_uri).port or 80
        return LoopbackAuthorizer(port=port, open_browser=not no_browser)

    async def main() -> int:
        login = await log_in(
            target.url, store=store, authorizer_for=authorizer_for, scopes=wanted, client=client
        )
        print(_granted(login, where=store.backend.where))
        return EXIT_OK

    return run_async(main)


def _client(target: _Server, client_id: str | None, secret_env: str | None) -> ClientCredentials | None:
    from mcpctl.mcp.auth.registration import ClientCredentials as Credentials

    secret = None
    if secret_env is not None:
        if client_id is None and (target.oauth is None or target.oauth.client_id is None):
            raise UsageError("--client-secret-env needs --client-id (or a client_id in the spec)")
        secret = os.environ.get(secret_env)
        if not secret:
            raise UsageError(f"--client-secret-env {secret_env}: the environment variable is not set")
    if client_id is not None:
        return Credentials(client_id=client_id, client_secret=secret)
    oauth = target.oauth
    if oauth is not None and oauth.client_id is not None:
        return Credentials(client_id=oauth.client_id, client_secret=secret or oauth.client_secret)
    return None


def _granted(login: Login, *, where: str) -> str:
    token = login.token
    kind = "registered by mcpctl" if login.registered else "configured"
    lines = [
        f"Logged in to {login.server_url}",
        f"  resource:  {login.resource}",
        f"  scopes:    {_scopes(login)}",
        f"  expires:   {_expiry(login)}",
        f"  refresh:   {'yes' if token is not None and token.refresh_token else 'no'}",
        f"  client:    {login.client.client_id} ({kind})",
        f"  stored in: {where}",
    ]
    return "\n".join(lines)


def _scopes(login: Login) -> str:
    token = login.token
    return " ".join(token.scope) if token is not None and token.scope else "(none listed)"


def _expires_in(login: Login, now: float) -> float | None:
    token = login.token
    return None if token is None or token.expires_at is None else token.expires_at - now


def _expiry(login: Login) -> str:
    if login.token is None:
        return "no token (the refresh failed): log in again"
    left = _expires_in(login, time.time())
    if left is None:
        return "not said by the server"
    stamp = datetime.datetime.fromtimestamp(time.time() + left, datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return f"in {_span(left)} ({stamp})" if left > 0 else f"expired ({stamp})"


def _span(seconds: float) -> str:
    if seconds <= 0:
        return "expired"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{value}{unit}" for value, unit in parts if value][:2]
    return " ".join(shown) or "0s"


# -- status / logout / token ------------------------------------------------------------------------
def run_status(server: str | None, *, servers_file: str | None, output: str) -> int:
    """Show the stored logins (all, or ``server``'s): scopes, expiry, refresh token, client, store."""
    if output not in ("text", "json"):
        raise UsageError(f"--output {output!r}: expected text or json")
    url = _resolve(server, servers_file).url if server is not None else None
    store = _store()
    logins = [login for login in store.logins() if url is None or login.server_url == url]
    now = time.time()
    if output == "json":
        rows = [_status_json(login, store, now) for login in logins]
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return EXIT_OK
    if not logins:
        print(f"not logged in to {url}" if url is not None else f"no logins ({store.backend.where})")
        return EXIT_OK
    from tabulate import tabulate

    headers = ["SERVER", "RESOURCE", "SCOPES", "EXPIRES IN", "REFRESH", "CLIENT", "STORE"]
    table = [_status_row(login, store, now) for login in logins]
    print(tabulate(table, headers=headers, tablefmt="plain", disable_numparse=True))
    return EXIT_OK


def _status_row(login: Login, store: LoginStore, now: float) -> list[str]:
    left = _expires_in(login, now)
    token = login.token
    return [
        login.server_url,
        login.resource,
        _scopes(login) if token is not None else "-",
        "no token" if token is None else "-" if left is None else _span(left),
        "yes" if token is not None and token.refresh_token else "no",
        login.client.client_id,
        store.kind,
    ]


def _status_json(login: Login, store: LoginStore, now: float) -> dict[str, object]:
    token = login.token
    left = _expires_in(login, now)
    return {
        "server": login.server_url,
        "resource": login.resource,
        "logged_in": token is not None,
        "scopes": list(token.scope) if token is not None else [],
        "expires_at": token.expires_at if token is not None else None,
        "expires_in": None if left is None else max(0, int(left)),
        "refresh_token": token is not None and token.refresh_token is not None,
        "client_id": login.client.client_id,
        "client_registered": login.registered,
        "store": store.kind,
    }


def run_logout(server: str, *, servers_file: str | None) -> int:
    """Forget the stored token and registered client of ``server``."""
    url = _resolve(server, servers_file).url
    store = _store()
    if store.forget(url):
        print(f"Logged out of {url}: forgot its tokens and client ({store.backend.where})")
    else:
        print(f"not logged in to {url}: nothing to forget")
    return EXIT_OK


def run_token(server: str, *, servers_file: str | None) -> int:
    """Print a valid access token of ``server`` (refreshed first if it expired): for scripts."""
    from mcpctl.mcp.auth.login import StoredLoginProvider

    target = _resolve(server, servers_file)
    provider = StoredLoginProvider(target.url, store=_store(), command=target.command)

    async def main() -> int:
        header = await provider.authorization()  # raises when there is no usable login
        assert header is not None
        print(header.removeprefix("Bearer "))
        return EXIT_OK

    return run_async(main)
