"""The dashboard's Batch page and API (issue 13): the BatchPlans of ``--specs``, plan (the diff), apply
with live progress (``batch`` events), cancel, rollback and resume; the work is done by
:class:`~mcpctl.web.batch_desk.BatchDesk` through the CLI's own engine, journal and state lock.

Errors answer JSON ``{"error": ...}``: 400 for invalid specs (file:line) or a resume of a changed plan,
404 for an unknown plan or run, 409 when the state lock is held or a run is not running.
"""

from __future__ import annotations

from mcpctl.errors import UsageError
from mcpctl.web.batch_desk import BatchDesk
from mcpctl.web.routing import (
    Handler,
    Render,
    Request,
    Response,
    Route,
    html_response,
    json_response,
    usage_error,
)


def batch_routes(desk: BatchDesk, render: Render) -> list[Route]:
    """The routes of the Batch page and its API (those that change something need the token)."""

    async def page(request: Request) -> Response:
        plans: list[dict[str, object]] = []
        error = ""
        try:
            plans = desk.plans()
        except UsageError as exc:  # the page still renders, naming the file and line
            error = str(exc)
        return html_response(
            render("batch.html.j2", nav="batch", plans=plans, spec_error=error, runs=desk.recent())
        )

    async def plans(request: Request) -> Response:
        return json_response({"plans": desk.plans()})

    async def plan(request: Request) -> Response:
        return json_response(desk.plan(request.params["name"]))

    async def apply(request: Request) -> Response:
        return json_response({"run": desk.apply(request.params["name"])}, status=202)

    async def status(request: Request) -> Response:
        return json_response(desk.status(request.params["run"]))

    async def cancel(request: Request) -> Response:
        return json_response(desk.cancel(request.params["run"]))

    async def rollback(request: Request) -> Response:
        return json_response(desk.rollback(request.params["run"]))

    async def resume(request: Request) -> Response:
        return json_response({"run": desk.resume(request.params["run"])}, status=202)

    def route(method: str, pattern: str, handler: Handler, *, changes: bool = False) -> Route:
        return Route(method=method, pattern=pattern, handler=_answering(handler), changes=changes)

    return [
        route("GET", "/batch", page),
        route("GET", "/api/v1/plans", plans),
        route("GET", "/api/v1/plans/{name}", plan),
        route("POST", "/api/v1/plans/{name}/apply", apply, changes=True),
        route("GET", "/api/v1/batch/{run}", status),
        route("POST", "/api/v1/batch/{run}/cancel", cancel, changes=True),
        route("POST", "/api/v1/batch/{run}/rollback", rollback, changes=True),
        route("POST", "/api/v1/batch/{run}/resume", resume, changes=True),
    ]


def _answering(handler: Handler) -> Handler:
    """``handler`` with the engine's input errors (invalid specs, a changed plan) as 400 answers."""

    async def answer(request: Request) -> Response:
        try:
            return await handler(request)
        except UsageError as exc:
            raise usage_error(exc) from None

    return answer


__all__ = ["BatchDesk", "batch_routes"]
