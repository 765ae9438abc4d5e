"""The fault proxy's control endpoint: a small JSON API on loopback to watch and switch faults.

    GET  /faults               {"faults": [{name, kind, enabled, matched, injected}, ...]}
    POST /faults/NAME/enable   {"fault": {...}}  (404 {"error": "no fault named 'NAME'"})
    POST /faults/NAME/disable  {"fault": {...}}
    GET  /log?since=N          {"events": [fault log entries with seq > N], "next": <last seq>}

It binds loopback addresses only and refuses requests whose ``Host`` is not a loopback name or
whose ``Origin`` is not a loopback origin (421 / 403): a web page that rebinds its own name to
127.0.0.1 must not be able to switch faults. Anything else is a 404 (unknown path) or a 405
(known path, other method), with a JSON ``error``.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qs, unquote, urlsplit

import orjson
import trio

from mcpctl.engine.faults.injector import Injector
from mcpctl.errors import UsageError
from mcpctl.mock.http_guard import Guard, is_loopback
from mcpctl.mock.http_wire import JSON_HEAD, Answer, HttpRequest, serve_api

_GUARD: Final = Guard(check_host=True, allowed_origins=())


async def serve_control(
    injector: Injector,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve the control API of ``injector`` on ``host:port`` (loopback only) until cancelled;
    ``task_status.started`` gets the bound port."""
    if not is_loopback(host):
        raise UsageError(
            f"the control endpoint listens on loopback only, not {host!r}: "
            "use 127.0.0.1, ::1 or localhost (anyone who reaches it can switch faults)"
        )
    await serve_api(
        host, port, lambda req: _json_answer(*route(injector, req)), what="control", task_status=task_status
    )


def route(injector: Injector, req: HttpRequest) -> tuple[int, dict[str, object]]:
    """The status and JSON body answering ``req``."""
    refused = _GUARD.check(req.headers.get(b"host"), req.headers.get(b"origin"))
    if refused is not None:
        return refused[0], {"error": refused[1]}
    target = urlsplit(req.target.decode("latin-1"))
    parts = [unquote(part) for part in target.path.strip("/").split("/")]
    method = req.method.decode("latin-1")
    if parts == ["faults"]:
        if method != "GET":
            return 405, {"error": f"{method} /faults: use GET"}
        return 200, {"faults": injector.status()}
    if len(parts) == 3 and parts[0] == "faults" and parts[2] in ("enable", "disable"):
        if method != "POST":
            return 405, {"error": f"{method} {target.path}: use POST"}
        return _switch(injector, parts[1], enabled=parts[2] == "enable")
    if parts == ["log"]:
        if method != "GET":
            return 405, {"error": f"{method} /log: use GET"}
        return _log_since(injector, parse_qs(target.query).get("since", ["0"])[-1])
    return 404, {"error": f"no such endpoint: {target.path} (try GET /faults or GET /log?since=0)"}


def _switch(injector: Injector, name: str, *, enabled: bool) -> tuple[int, dict[str, object]]:
    if not injector.set_enabled(name, enabled):
        return 404, {"error": f"no fault named {name!r}"}
    fault = next(entry for entry in injector.status() if entry["name"] == name)
    return 200, {"fault": fault}


def _log_since(injector: Injector, since: str) -> tuple[int, dict[str, object]]:
    try:
        cursor = int(since)
    except ValueError:
        return 400, {"error": f"since={since!r}: expected a whole number (the 'next' of the last answer)"}
    events = [event for event in injector.events if isinstance(event["seq"], int) and event["seq"] > cursor]
    return 200, {"events": events, "next": injector.count}


def _json_answer(status: int, body: dict[str, object]) -> Answer:
    return status, JSON_HEAD, orjson.dumps(body)
