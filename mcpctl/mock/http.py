"""Serve a mock over Streamable HTTP (MCP 2025-11-25), and legacy HTTP+SSE behind a flag.

One trio task per connection, in a nursery owned by :func:`serve_http`; a connection answers its
requests one at a time and in order (pipelining is safe) and calls the app from that task, with
no task per request: requests of one session run concurrently across connections, which is how
clients send them (one request per pooled connection), and a batch's requests run concurrently.

POST ``path``: notifications and responses get ``202``; requests get their answer as JSON
(``json_response``) or as an SSE stream whose events are the request's ``related`` notifications
then its answer. An answer ready before anything was streamed goes out as one whole SSE body
with a length, in one write, which is what keeps the common case fast. ``initialize`` opens a
session (``Mcp-Session-Id``); GET opens its stream of unsolicited notifications; DELETE ends it.
A request of a sessionless revision (``MCP-Protocol-Version: 2026-07-28``, e.g. the client's
``server/discover`` probe) is served by a session opened for that request alone.

A session whose app offers a stream policy (``stream_policy()``, see :mod:`mcpctl.mock.session`)
gets resumable POST streams (:mod:`mcpctl.mock.http_resume`): the request then runs in a task of
the server's nursery, so that it outlives a stream that breaks, and a GET with ``Last-Event-ID``
picks its stream up again.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

import orjson
import trio

from mcpctl.mcp.jsonrpc import INTERNAL_ERROR, PARSE_ERROR, Message, classify, error
from mcpctl.mock.http_guard import KNOWN_VERSIONS, MODERN_VERSIONS, AcceptCache, Guard, is_loopback
from mcpctl.mock.http_resume import StreamLog, StreamLogs
from mcpctl.mock.http_wire import (
    JSON_HEAD,
    SSE_HEAD,
    HttpConnection,
    HttpFailure,
    HttpRequest,
    SseWriter,
    answer,
    drop,
    listen,
    reject,
    sse_body,
    stream_messages,
    watch_eof,
)
from mcpctl.mock.legacy_sse import LegacySse
from mcpctl.mock.session import STREAM_BREAK, MockApp, MockSession, Notify, StreamPolicy

if TYPE_CHECKING:  # the OAuth stack (PyJWT, cryptography) loads only for mocks that require auth
    from mcpctl.mock.oauth import AuthorizationServer

_STANDALONE_BUFFER: Final = 256
_ALLOW: Final = b"allow: GET, POST, DELETE\r\n"
_log = logging.getLogger(__name__)


class _Session:
    """A Streamable HTTP session: the app's session and its standalone GET stream, if open."""

    __slots__ = ("head", "logs", "mcp", "opening", "policy", "sid", "standalone")

    def __init__(self, sid: bytes) -> None:
        self.sid = sid
        self.opening = False  # created by the initialize being answered
        self.head = b"mcp-session-id: " + sid + b"\r\n" if sid else b""
        self.standalone: trio.MemorySendChannel[Message] | None = None
        self.mcp: MockSession
        self.policy: Callable[[], StreamPolicy | None] | None = None
        self.logs = StreamLogs()

    async def unsolicited(self, message: Message) -> None:
        channel = self.standalone
        if channel is None:
            return  # no GET stream open: the SDK drops these too
        with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
            await channel.send(message)


async def serve_http(
    app: MockApp,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    path: str = "/mcp",
    json_response: bool = False,
    legacy_sse: bool = False,
    allowed_origins: Sequence[str] = (),
    auth: AuthorizationServer | None = None,
    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``app`` on ``host:port`` until cancelled; ``task_status.started`` gets the endpoint URL.

    ``port=0`` picks a free port (read it from the URL). A loopback ``host`` also refuses
    requests whose ``Host`` is not a loopback name (DNS-rebinding protection); ``Origin`` is
    always checked, against ``allowed_origins`` (entries may end in ``:*`` for any port) or by
    default against http(s) origins on localhost, 127.0.0.1 and [::1].

    ``auth``: an authorization server (:mod:`mcpctl.mock.oauth`) served on the same host and
    port, whose guard every request to ``path`` (and to the legacy SSE endpoints) must pass.
    """
    listeners, bound = await listen(host, port)
    shown = f"[{host}]" if ":" in host else host
    if auth is not None:
        auth.bind(f"http://{shown}:{bound}", path)
    server = _Server(
        app,
        path=path,
        json_response=json_response,
        legacy_sse=legacy_sse,
        guard=Guard(check_host=is_loopback(host), allowed_origins=allowed_origins),
        auth=auth,
    )
    try:
        async with trio.open_nursery() as nursery:
            server.nursery = nursery
            await nursery.start(trio.serve_listeners, server.serve_connection, listeners)
            task_status.started(f"http://{shown}:{bound}{path}")
    finally:
        server.close_all()


class _Server:
    def __init__(
        self,
        app: MockApp,
        *,
        path: str,
        json_response: bool,
        legacy_sse: bool,
        guard: Guard,
        auth: AuthorizationServer | None = None,
    ) -> None:
        self._app = app
        self._auth = auth
        self._path = path.encode()
        self._json = json_response
        self._guard = guard
        self._accepts = AcceptCache()
        self._sessions: dict[bytes, _Session] = {}
        self._legacy = LegacySse(app) if legacy_sse else None
        self.nursery: trio.Nursery | None = None
        """Where requests on resumable streams run (they may outlive their connection)."""

    def close_all(self) -> None:
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            session.mcp.close()

    async def serve_connection(self, stream: trio.SocketStream) -> None:
        conn = HttpConnection(stream)
        try:
            while True:
                req = await conn.next_request()
                if req is None:
                    return
                if isinstance(req, HttpFailure):
                    if req.status:
                        await reject(conn, req.status, req.message, keep_alive=False)
                    return
                if not await self._route(conn, req):
                    return
        except Exception:  # a bug here costs this connection, never the server
            _log.exception("HTTP connection failed")
        finally:
            await conn.aclose()

    async def _route(self, conn: HttpConnection, req: HttpRequest) -> bool:
        headers = req.headers
        refused = self._guard.check(headers.get(b"host"), headers.get(b"origin"))
        if refused is not None:
            return await reject(conn, refused[0], refused[1], keep_alive=req.keep_alive)
        path, _, query = req.target.partition(b"?")
        if path == self._path:
            if self._auth is not None and (barred := await self._auth.guard(conn, req, query)) is not None:
                return barred
            if req.method == b"POST":
                return await self._post(conn, req)
            if req.method == b"GET":
                return await self._get(conn, req)
            if req.method == b"DELETE":
                return await self._delete(conn, req)
            return await reject(conn, 405, "Method Not Allowed", keep_alive=req.keep_alive, head=_ALLOW)
        if self._legacy is not None and path in (b"/sse", b"/messages"):
            if self._auth is not None and (barred := await self._auth.guard(conn, req, query)) is not None:
                return barred
            return await self._legacy.route(conn, req, path, query)
        if self._auth is not None and (served := await self._auth.route(conn, req, path, query)) is not None:
            return served
        return await reject(conn, 404, "Not Found", keep_alive=req.keep_alive)

    def _bad_version(self, req: HttpRequest) -> str | None:
        version = req.headers.get(b"mcp-protocol-version")
        if version is None or version.decode("latin-1") in KNOWN_VERSIONS:
            return None
        return f"Bad Request: Unsupported protocol version: {version.decode('latin-1')}"

    def _session(self, req: HttpRequest) -> _Session | tuple[int, str]:
        sid = req.headers.get(b"mcp-session-id")
        if sid is None:
            return 400, "Bad Request: Missing session ID"
        session = self._sessions.get(sid)
        if session is None:
            return 404, "Not Found: Session not found"
        return session

    def _open(self, sid: bytes) -> _Session:
        session = _Session(sid)
        session.mcp = self._app.open_session(session.unsolicited)
        session.policy = getattr(session.mcp, "stream_policy", None)  # optional: see session.py
        if sid:
            self._sessions[sid] = session
        return session

    def _end(self, session: _Session) -> None:
        if self._sessions.pop(session.sid, None) is None:
            return
        if session.standalone is not None:
            session.standalone.close()
        session.logs.close()
        session.mcp.close()

    # -- POST -------------------------------------------------------------------------------------
    def _check_post(self, req: HttpRequest) -> tuple[int, str] | None:
        takes_json, takes_sse = self._accepts(req.headers.get(b"accept"))
        if self._json and not takes_json:
            return 406, "Not Acceptable: Client must accept application/json"
        if not self._json and not (takes_json and takes_sse):
            return 406, "Not Acceptable: Client must accept both application/json and text/event-stream"
        media = req.headers.get(b"content-type", b"").partition(b";")[0].strip().lower()
        if media != b"application/json":
            return 415, "Unsupported Media Type: Content-Type must be application/json"
        bad_version = self._bad_version(req)
        return None if bad_version is None else (400, bad_version)

    async def _post(self, conn: HttpConnection, req: HttpRequest) -> bool:
        refused = self._check_post(req)
        if refused is not None:
            return await reject(conn, refused[0], refused[1], keep_alive=req.keep_alive)
        try:
            value = orjson.loads(req.body)
        except orjson.JSONDecodeError as exc:
            return await reject(conn, 400, f"Parse error: {exc}", keep_alive=req.keep_alive, code=PARSE_ERROR)
        batch = isinstance(value, list)
        messages = value if batch else [value]
        if not messages or not all(isinstance(m, dict) and classify(m) != "invalid" for m in messages):
            return await reject(
                conn, 400, "Invalid Request: not a JSON-RPC message", keep_alive=req.keep_alive
            )
        session = self._post_session(req, messages)
        if isinstance(session, tuple):
            return await reject(conn, session[0], session[1], keep_alive=req.keep_alive)
        try:
            return await self._serve_post(conn, req, session, messages, batch)
        finally:
            if not session.sid:
                session.mcp.close()

    def _post_session(self, req: HttpRequest, messages: list[Message]) -> _Session | tuple[int, str]:
        if b"mcp-session-id" in req.headers:
            return self._session(req)
        if any(m.get("method") == "initialize" and "id" in m for m in messages):
            session = self._open(secrets.token_urlsafe(24).encode())
            session.opening = True
            return session
        version = req.headers.get(b"mcp-protocol-version", b"").decode("latin-1")
        if version in MODERN_VERSIONS:
            return self._open(b"")
        return 400, "Bad Request: Missing session ID"

    async def _serve_post(
        self, conn: HttpConnection, req: HttpRequest, session: _Session, messages: list[Message], batch: bool
    ) -> bool:
        requests = []
        for message in messages:
            if "method" in message and "id" in message:
                requests.append(message)
            else:  # before the 202, so a later request never overtakes notifications/initialized
                await answer(session.mcp, message, drop)
        if not requests:
            return await conn.respond(202, head=session.head, keep_alive=req.keep_alive) and req.keep_alive
        if self._json:
            answers = await self._answers(session, requests, drop)
            self._settle_open(session, answers)
            body = orjson.dumps(answers if batch else answers[0])
            sent = await conn.respond(200, body, head=JSON_HEAD + session.head, keep_alive=req.keep_alive)
            return sent and req.keep_alive
        policy = session.policy() if session.policy is not None and not batch else None
        if policy is not None and self.nursery is not None and requests[0]["method"] != "initialize":
            return await self._stream_resumable(conn, req, session, requests[0], policy)
        return await self._stream_answers(conn, req, session, requests, batch)

    async def _stream_resumable(
        self,
        conn: HttpConnection,
        req: HttpRequest,
        session: _Session,
        message: Message,
        policy: StreamPolicy,
    ) -> bool:
        """Answer on a resumable stream: the request runs on its own, this connection carries its
        events until the answer or until the stream breaks (then the client may resume it)."""
        assert self.nursery is not None
        log = session.logs.new()
        writer = SseWriter(conn, head=session.head, http11=req.http11)
        await log.open(writer, policy.retry_ms)
        self.nursery.start_soon(_run_logged, session, message, log)
        await log.released.wait()
        return await writer.finish() and req.keep_alive

    async def _stream_answers(
        self, conn: HttpConnection, req: HttpRequest, session: _Session, requests: list[Message], batch: bool
    ) -> bool:
        writer = SseWriter(conn, head=session.head, http11=req.http11)
        done = False

        async def related(message: Message) -> None:
            if not done and message is not STREAM_BREAK:  # after the answer there is no stream left
                await writer.event(orjson.dumps(message))

        answers = await self._answers(session, requests, related, writer if batch else None)
        done = True
        self._settle_open(session, answers)
        if writer.started:
            if not batch:
                await writer.event(orjson.dumps(answers[0]))
            return await writer.finish() and req.keep_alive
        body = sse_body(orjson.dumps(answers[0]))
        sent = await conn.respond(200, body, head=SSE_HEAD + session.head, keep_alive=req.keep_alive)
        return sent and req.keep_alive

    async def _answers(
        self,
        session: _Session,
        requests: list[Message],
        related: Notify,
        writer: SseWriter | None = None,
    ) -> list[Message]:
        """Each request's answer, in order; a batch's requests run concurrently (streamed if ``writer``)."""
        if len(requests) == 1 and writer is None:
            return [await answer(session.mcp, requests[0], related) or _no_answer(requests[0])]
        answers: list[Message] = [{} for _ in requests]

        async def one(index: int, message: Message) -> None:
            reply = await answer(session.mcp, message, related) or _no_answer(message)
            answers[index] = reply
            if writer is not None:
                await writer.event(orjson.dumps(reply))

        async with trio.open_nursery() as nursery:
            for index, message in enumerate(requests):
                nursery.start_soon(one, index, message)
        return answers

    def _settle_open(self, session: _Session, answers: list[Message]) -> None:
        """An ``initialize`` that failed leaves no session behind, and names none."""
        if session.opening:
            session.opening = False
            if len(answers) == 1 and "error" in answers[0]:
                self._end(session)
                session.head = b""

    # -- GET and DELETE ---------------------------------------------------------------------------
    async def _get(self, conn: HttpConnection, req: HttpRequest) -> bool:
        if not self._accepts(req.headers.get(b"accept"))[1]:
            return await reject(
                conn,
                405,
                "Method Not Allowed: GET opens an event stream; accept text/event-stream",
                keep_alive=req.keep_alive,
                head=_ALLOW,
            )
        bad_version = self._bad_version(req)
        session = (400, bad_version) if bad_version else self._session(req)
        if isinstance(session, tuple):
            return await reject(conn, session[0], session[1], keep_alive=req.keep_alive)
        last = req.headers.get(b"last-event-id")
        found = session.logs.find(last) if last is not None else None
        if found is not None:
            return await self._resume(conn, req, session, *found)
        if session.standalone is not None:
            return await reject(
                conn, 409, "Conflict: Only one SSE stream is allowed per session", keep_alive=req.keep_alive
            )
        send, receive = trio.open_memory_channel[Message](_STANDALONE_BUFFER)
        session.standalone = send
        writer = SseWriter(conn, head=session.head, http11=req.http11)
        try:
            await stream_messages(conn, writer, receive)
        finally:
            if session.standalone is send:
                session.standalone = None
            send.close()
        await writer.finish()
        return False  # the client closed it or the session ended: this connection is done too

    async def _resume(
        self, conn: HttpConnection, req: HttpRequest, session: _Session, log: StreamLog, after: int
    ) -> bool:
        """A GET with ``Last-Event-ID``: the rest of that stream, until its answer or the client goes."""
        writer = SseWriter(conn, head=session.head, http11=req.http11)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(watch_eof, conn, nursery.cancel_scope)
            await log.resume(writer, after)
            nursery.cancel_scope.cancel()
        if log.done and writer.alive:
            session.logs.forget(log)
        await writer.finish()
        return False  # like any GET stream: the connection ends with it

    async def _delete(self, conn: HttpConnection, req: HttpRequest) -> bool:
        bad_version = self._bad_version(req)
        session = (400, bad_version) if bad_version else self._session(req)
        if isinstance(session, tuple):
            return await reject(conn, session[0], session[1], keep_alive=req.keep_alive)
        self._end(session)
        return await conn.respond(200, keep_alive=req.keep_alive) and req.keep_alive


async def _run_logged(session: _Session, message: Message, log: StreamLog) -> None:
    reply = await answer(session.mcp, message, log.send) or _no_answer(message)
    if await log.finish(reply):
        session.logs.forget(log)


def _no_answer(message: Message) -> Message:
    return error(message.get("id"), INTERNAL_ERROR, "the mock gave no answer to this request")
