"""The dashboard's Runs pages and their JSON API, read from the state store (``mcpctl runs`` / ``show`` /
``report`` on the web).

    GET /runs                 recent runs, newest first; ``?kind=&status=&limit=`` filter them
    GET /runs/{id}            one run: summary, suites, failures (spec ``file:line``), load charts, trends
    GET /runs/{id}/report     the run's full HTML report (mcpctl/report/html.py) under its own CSP
    GET /api/v1/runs          the list as JSON (``mcpctl runs -o json``'s objects, plus kinds and links)
    GET /api/v1/runs/{id}     the run as the JSON report (mcpctl/report/json.py)

A run is named as on the command line: its id, a unique prefix of one, or ``last``. The store is opened
per request, read-only, in a worker thread where the page is also built (sqlite3 blocks, a big run
renders for a while, and a connection must stay in its thread); a state directory without a database
reads as an empty store and is not created. The store holds text already redacted (secrets are hidden
before a run is saved), so the pages show it as ``mcpctl report`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final, TypeVar

import trio

from mcpctl.engine.results import RunResult
from mcpctl.errors import UsageError
from mcpctl.report.html import page_assets, render_html
from mcpctl.report.json import render_json, summary_json
from mcpctl.store import RunSummary, Store, open_store
from mcpctl.web.routing import (
    HTML_TYPE,
    JSON_TYPE,
    HttpError,
    Render,
    Request,
    Response,
    Route,
    html_response,
    json_response,
)
from mcpctl.web.runs_view import KINDS, STATUSES, kinds_of, label, matches, run_page, run_row

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 500
SCAN: Final = 2000
"""Runs read (newest first) to fill a filtered list or to find a run's history: summaries, not cases."""
HISTORY: Final = 9
"""Earlier runs of the same suites a run's trends span (with the run itself, ten points)."""

T = TypeVar("T")


def run_routes(*, state_dir: Path, render: Render) -> list[Route]:
    """The Runs pages and API over the store in ``state_dir``, pages rendered by ``render``."""
    pages = _RunPages(state_dir=state_dir, render=render)
    return [
        Route(method="GET", pattern="/runs", handler=pages.list_page),
        Route(method="GET", pattern="/runs/{id}", handler=pages.run_page),
        Route(method="GET", pattern="/runs/{id}/report", handler=pages.report),
        Route(method="GET", pattern="/api/v1/runs", handler=pages.list_json),
        Route(method="GET", pattern="/api/v1/runs/{id}", handler=pages.run_json),
    ]


class _RunPages:
    def __init__(self, *, state_dir: Path, render: Render) -> None:
        self._state_dir = state_dir
        self._render = render

    async def _read(self, work: Callable[[Store], T]) -> T:
        """``work(store)`` in a worker thread: it reads SQLite and renders pages of any size (a run of
        100,000 cases), neither of which may stall the event loop the live pages share."""

        def job() -> T:
            with open_store(self._state_dir, create=False) as store:
                return work(store)

        try:
            return await trio.to_thread.run_sync(job)
        except UsageError as exc:
            found = _not_found(exc)
            if found is None:
                raise
            raise found from None

    async def list_page(self, request: Request) -> Response:
        kind, status, limit = list_filters(request.query)
        summaries = await self._read(lambda store: recent(store, kind=kind, status=status, limit=limit))
        page = self._render(
            "runs.html.j2",
            nav="runs",
            runs=[run_row(summary) for summary in summaries],
            kinds=KINDS,
            statuses=STATUSES,
            kind=kind or "",
            status=status or "",
            limit=limit,
            filtered=kind is not None or status is not None,
        )
        return html_response(page)

    async def run_page(self, request: Request) -> Response:
        ref = request.params["id"]

        def build(store: Store) -> str:
            page = run_page(*with_history(store, ref))
            return self._render("run.html.j2", nav="runs", page=page, run=page.report)

        return html_response(await self._read(build))

    async def report(self, request: Request) -> Response:
        ref = request.params["id"]
        # the store holds redacted text already (as `mcpctl report RUN --format html` renders it)
        html = await self._read(lambda store: render_html(store.get_run(ref), redact=str))
        _, _, policy = page_assets(printable=False)
        return Response(
            body=html.encode(), content_type=HTML_TYPE, headers=(("Content-Security-Policy", policy),)
        )

    async def list_json(self, request: Request) -> Response:
        kind, status, limit = list_filters(request.query)
        summaries = await self._read(lambda store: recent(store, kind=kind, status=status, limit=limit))
        return json_response({"runs": [api_summary(summary) for summary in summaries]})

    async def run_json(self, request: Request) -> Response:
        ref = request.params["id"]
        text = await self._read(lambda store: render_json(store.get_run(ref), redact=str))
        return Response(body=text.encode(), content_type=JSON_TYPE)


def list_filters(query: Mapping[str, str]) -> tuple[str | None, str | None, int]:
    """``kind``, ``status`` (``None``: any) and ``limit`` of a list request; :class:`HttpError` 400 when one
    is not a value the list knows."""
    kind = query.get("kind") or None
    status = query.get("status") or None
    if kind is not None and kind not in KINDS:
        raise HttpError(400, f"kind={kind!r}: expected one of {', '.join(KINDS)}")
    if status is not None and status not in STATUSES:
        raise HttpError(400, f"status={status!r}: expected one of {', '.join(STATUSES)}")
    text = query.get("limit") or str(DEFAULT_LIMIT)
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise HttpError(400, f"limit={text!r}: expected a whole number from 1 to {MAX_LIMIT}")
    return kind, status, limit


def recent(store: Store, *, kind: str | None, status: str | None, limit: int) -> list[RunSummary]:
    """The newest ``limit`` runs that pass the filters, newest first (among the newest :data:`SCAN`)."""
    if kind is None and status is None:
        return store.list_runs(limit=limit)
    found = [s for s in store.list_runs(limit=SCAN) if matches(s, kind=kind, status=status)]
    return found[:limit]


def with_history(store: Store, ref: str) -> tuple[RunResult, list[RunResult]]:
    """The run ``ref`` names and up to :data:`HISTORY` earlier runs sharing a suite with it, oldest first."""
    run = store.get_run(ref)
    names = {label(suite) for suite in run.suites}
    earlier = [
        summary.id
        for summary in store.list_runs(limit=SCAN)
        if summary.id != run.run_id and summary.started_at <= run.started_at and names & set(summary.suites)
    ]
    return run, [store.get_run(run_id) for run_id in reversed(earlier[:HISTORY])]


def api_summary(summary: RunSummary) -> dict[str, object]:
    """A run in ``/api/v1/runs``: ``mcpctl runs -o json``'s object, its kinds and the pages' paths."""
    row = run_row(summary)
    return {
        **summary_json(summary),
        "kinds": list(kinds_of(summary.suites)),
        "links": {"page": row.href, "report": row.report_href, "json": f"/api/v1{row.href}"},
    }


def _not_found(exc: UsageError) -> HttpError | None:
    """A run the store could not find (404) or tell apart (400); ``None`` for other store errors."""
    # the store names the run and the ambiguity; its hint names the CLI, which a page reader may not use
    message = str(exc).replace("(mcpctl runs lists them)", "(the runs page /runs lists them)")
    if message.startswith("no run"):
        return HttpError(404, message)
    return HttpError(400, message) if " is ambiguous: " in message else None
