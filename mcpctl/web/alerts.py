"""The dashboard's Alerts pages and API: the alerts pending and firing, ack and silence from the page, the
silences in force and the alert history.

Everything goes through the state store (:mod:`mcpctl.store.alerts`), with the same writes as ``mcpctl alerts
ack|silence|unsilence``: a running monitor, in this process or another, reads the acks and silences at its
next evaluation (and only then writes the ``acked`` history row), so the page works with or without one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from mcpctl.errors import UsageError
from mcpctl.spec.alert_matchers import silence_length
from mcpctl.store import Store, open_store
from mcpctl.store import alerts as stored
from mcpctl.web import alerts_view as view
from mcpctl.web.routing import HttpError, Render, Request, Response, Route, html_response, json_response

Publish = Callable[[str, Mapping[str, object]], None]
HISTORY_LIMIT: Final = 50
"""History rows on a page unless ``?limit=`` says otherwise."""
MAX_LIMIT: Final = 1000
ALERT_HISTORY_LIMIT: Final = 200
EMPTY_COMMENT: Final = "comment: say why (it is kept in the alert history)"


def alert_routes(*, state_dir: Path, render: Render, publish: Publish) -> list[Route]:
    """The Alerts pages, their JSON API, and the ack and silence actions (which need the token)."""
    desk = AlertDesk(state_dir=state_dir, render=render, publish=publish)
    return [
        Route(method="GET", pattern="/alerts", handler=desk.page),
        Route(method="GET", pattern="/alerts/{fingerprint}", handler=desk.alert_page),
        Route(method="GET", pattern="/api/v1/alerts", handler=desk.api_alerts),
        Route(method="GET", pattern="/api/v1/alerts/history", handler=desk.api_history),
        Route(method="GET", pattern="/api/v1/silences", handler=desk.api_silences),
        Route(method="POST", pattern="/api/v1/alerts/{fingerprint}/ack", handler=desk.ack, changes=True),
        Route(method="POST", pattern="/api/v1/silences", handler=desk.silence, changes=True),
        Route(method="POST", pattern="/api/v1/silences/{id}/expire", handler=desk.expire, changes=True),
    ]


class AlertDesk:
    """The handlers of :func:`alert_routes`, over one state store."""

    def __init__(self, *, state_dir: Path, render: Render, publish: Publish) -> None:
        self.state_dir = state_dir
        self.render = render
        self.publish = publish

    async def page(self, request: Request) -> Response:
        """``GET /alerts``: active alerts with their forms, the silences, a page of history."""
        limit, before = _paging(request.query)
        with open_store(self.state_dir, create=False) as store:
            alerts = [view.alert_view(a, stored.acks(store, a.fingerprint)) for a in stored.active(store)]
            silences = [view.silence_view(s) for s in stored.silences(store, now=time.time())]
            rows = stored.history(store, limit=limit, before=before)
        history = [view.history_view(r) for r in reversed(rows)]  # newest first on the page
        older = rows[0].id if len(rows) == limit else None
        text = self.render(
            "alerts.html.j2",
            nav="alerts",
            alerts=alerts,
            silences=silences,
            history=history,
            limit=limit,
            older=older,
            paged=before is not None,
        )
        return html_response(text)

    async def alert_page(self, request: Request) -> Response:
        """``GET /alerts/{fingerprint}``: one alert (a fingerprint or its prefix), 404 when none is known."""
        with open_store(self.state_dir, create=False) as store:
            fingerprint = _resolve(store, request.params["fingerprint"])
            found = [a for a in stored.active(store) if a.fingerprint == fingerprint]
            acks = stored.acks(store, fingerprint)
            rows = stored.history(store, fingerprint=fingerprint, limit=ALERT_HISTORY_LIMIT)
        alert = found[0] if found else None
        last = rows[-1] if rows else None
        text = self.render(
            "alert.html.j2",
            nav="alerts",
            fingerprint=fingerprint,
            alertname=alert.alertname if alert else last.alertname if last else "",
            server=alert.server if alert else last.server if last else "",
            alert=view.alert_view(alert, acks) if alert else None,
            labels=sorted(view.labels_of(alert).items()) if alert else [],
            annotations=sorted(view.annotations_of(alert).items()) if alert else [],
            acks=[view.ack_json(a) for a in acks],
            history=[view.history_view(r) for r in reversed(rows)],
        )
        return html_response(text)

    async def api_alerts(self, request: Request) -> Response:
        """``GET /api/v1/alerts``: the alerts pending or firing (``mcpctl alerts list -o json`` and more)."""
        with open_store(self.state_dir, create=False) as store:
            found = [view.alert_json(a, stored.acks(store, a.fingerprint)) for a in stored.active(store)]
        return json_response(found)

    async def api_history(self, request: Request) -> Response:
        """``GET /api/v1/alerts/history[?limit=&before=&alert=]``: history rows, oldest first."""
        limit, before = _paging(request.query)
        with open_store(self.state_dir, create=False) as store:
            ref = request.query.get("alert")
            fingerprint = _resolve(store, ref) if ref else None
            rows = stored.history(store, fingerprint=fingerprint, limit=limit, before=before)
        return json_response([view.history_json(r) for r in rows])

    async def api_silences(self, request: Request) -> Response:
        """``GET /api/v1/silences``: the silences in force or still to come."""
        with open_store(self.state_dir, create=False) as store:
            found = stored.silences(store, now=time.time())
        return json_response([view.silence_json(s) for s in found])

    async def ack(self, request: Request) -> Response:
        """``POST /api/v1/alerts/{fingerprint}/ack`` ``{"comment", "author"?}``: the ack, as created."""
        body = request.json()
        comment = _comment(body)
        author = stored.author_or_user(_optional_text(body, "author"))
        now = time.time()
        with open_store(self.state_dir) as store:
            _resolve(store, request.params["fingerprint"])  # 404 before 400 "not firing"
            try:
                alert, ack_id = stored.ack_firing(
                    store, request.params["fingerprint"], at=now, author=author, comment=comment
                )
            except UsageError as error:
                raise HttpError(409, str(error)) from None
        record = stored.Ack(id=ack_id, fingerprint=alert.fingerprint, at=now, author=author, comment=comment)
        created = {**view.ack_json(record), "alertname": alert.alertname, "server": alert.server}
        self.publish("alert_ack", created)
        return json_response(created, status=201)

    async def silence(self, request: Request) -> Response:
        """``POST /api/v1/silences`` ``{"matchers": [...], "duration", "comment", "author"?}``: the silence."""
        body = request.json()
        matchers = body.get("matchers")
        if not isinstance(matchers, list) or not all(isinstance(m, str) for m in matchers):
            raise HttpError(400, 'matchers: give a list of label matchers (["server=alpha"])')
        duration = body.get("duration", "1h")
        if not isinstance(duration, str):
            raise HttpError(400, 'duration: give a duration such as "2h"')
        texts = [m.strip() for m in matchers if m.strip()]
        try:
            length = silence_length(texts, duration.strip())
        except UsageError as error:
            raise HttpError(400, str(error)) from None
        comment = _comment(body)
        author = stored.author_or_user(_optional_text(body, "author"))
        now = time.time()
        with open_store(self.state_dir) as store:
            silence_id = stored.add_silence(
                store, texts, starts_at=now, ends_at=now + length, author=author, comment=comment, now=now
            )
            (created,) = [s for s in stored.silences(store, now=now) if s.id == silence_id]
        answer = view.silence_json(created)
        self.publish("silence", {"action": "created", **answer})
        return json_response(answer, status=201)

    async def expire(self, request: Request) -> Response:
        """``POST /api/v1/silences/{id}/expire``: end a silence now (``mcpctl alerts unsilence``)."""
        now = time.time()
        with open_store(self.state_dir, create=False) as store:
            try:
                silence_id = stored.expire_silence(store, request.params["id"], now=now)
            except UsageError as error:
                raise HttpError(404, str(error)) from None
            (ended,) = [s for s in stored.silences(store, now=now, include_ended=True) if s.id == silence_id]
        answer = view.silence_json(ended)
        self.publish("silence", {"action": "expired", **answer})
        return json_response(answer)


def _resolve(store: Store, ref: str) -> str:
    """The fingerprint ``ref`` names: 404 when none, 400 when it is ambiguous (the CLI's messages)."""
    try:
        return stored.resolve_fingerprint(store, ref)
    except UsageError as error:
        raise HttpError(400 if "ambiguous" in str(error) else 404, str(error)) from None


def _comment(body: Mapping[str, object]) -> str:
    comment = body.get("comment")
    if not isinstance(comment, str) or not comment.strip():
        raise HttpError(400, EMPTY_COMMENT)
    return comment.strip()


def _optional_text(body: Mapping[str, object], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise HttpError(400, f"{key}: give a string")
    return value.strip() if value else None


def _paging(query: Mapping[str, str]) -> tuple[int, int | None]:
    """``?limit=`` (1 to 1000, default 50) and ``?before=`` (a history row id) of a history page."""
    found = _whole(query, "limit")
    limit = HISTORY_LIMIT if found is None else found
    if not 1 <= limit <= MAX_LIMIT:
        raise HttpError(400, f"limit {limit}: give a whole number from 1 to {MAX_LIMIT}")
    return limit, _whole(query, "before")


def _whole(query: Mapping[str, str], key: str) -> int | None:
    text = query.get(key)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise HttpError(400, f"{key} {text!r}: give a whole number") from None
