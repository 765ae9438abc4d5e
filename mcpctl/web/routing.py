"""The dashboard's request and answer records, and its route table.

Each part of the dashboard (overview, alerts, runs, batch) contributes :class:`Route` values; the server
matches a request's method and path against them in order, checks the token for routes that change
something, and turns a raised :class:`HttpError` or :class:`~mcpctl.errors.UsageError` into a JSON error.
Patterns are paths with ``{name}`` segments, each matching one non-empty segment (percent-decoded into
:attr:`Request.params`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote

import orjson

from mcpctl.errors import UsageError

JSON_TYPE: Final = "application/json"
HTML_TYPE: Final = "text/html; charset=utf-8"


class HttpError(Exception):
    """Answer ``status`` with ``{"error": message}`` (404 for an unknown run, 409 for a busy state, ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """One request as a handler sees it; header names are lower-case bytes."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[bytes, bytes] = field(default_factory=dict)
    body: bytes = b""
    params: Mapping[str, str] = field(default_factory=dict)
    """The ``{name}`` segments of the matched route's pattern."""

    def json(self) -> dict[str, object]:
        """The body as a JSON object (an empty body is ``{}``); raises :class:`HttpError` 400 otherwise."""
        if not self.body.strip():
            return {}
        try:
            value = orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise HttpError(400, f"the request body is not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise HttpError(400, "the request body must be a JSON object")
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """What a handler answers."""

    status: int = 200
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()


def json_response(data: object, status: int = 200) -> Response:
    """``data`` as JSON."""
    return Response(status=status, body=orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS))


def html_response(text: str, status: int = 200) -> Response:
    """A rendered page."""
    return Response(status=status, body=text.encode(), content_type=HTML_TYPE)


Handler = Callable[[Request], Awaitable[Response]]
Render = Callable[..., str]
"""``render(template_name, **context)``: a page of ``mcpctl/web/templates`` rendered in the dashboard's
sandboxed, autoescaping jinja2 environment (templates extend ``base.html.j2``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """``method pattern`` answered by ``handler``; ``changes``: the request must carry the token."""

    method: str
    pattern: str
    handler: Handler
    changes: bool = False
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = re.split(r"\{(\w+)\}", self.pattern)
        source = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)" for index, part in enumerate(parts)
        )
        object.__setattr__(self, "regex", re.compile(source))

    def match(self, path: str) -> dict[str, str] | None:
        """The params of ``path`` if this route's pattern matches it, else ``None``."""
        found = self.regex.fullmatch(path)
        return None if found is None else {k: unquote(v) for k, v in found.groupdict().items()}


def find(routes: Sequence[Route], method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route for ``method path`` and its params; :class:`HttpError` 404 or 405 when there is none."""
    allowed: list[str] = []
    for route in routes:
        params = route.match(path)
        if params is None:
            continue
        if route.method == method or (method == "HEAD" and route.method == "GET"):
            return route, params
        allowed.append(route.method)
    if allowed:
        raise HttpError(405, f"{method} {path}: use {' or '.join(sorted(set(allowed)))}")
    raise HttpError(404, f"no such page or endpoint: {path}")


def usage_error(exc: UsageError) -> HttpError:
    """Bad input named by the engine (a plan that does not exist, a spec error): a 400."""
    return HttpError(400, str(exc))
