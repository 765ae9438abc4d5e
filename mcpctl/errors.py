"""The one exception tree of mcpctl.

Every expected failure is an :class:`McpctlError`; the CLI maps each branch to an exit code
(DESIGN.md §6) and prints one line. Anything else reaching the top is a bug.

::

    McpctlError                      exit_code
    ├── UsageError                   2   bad input: nothing ran
    │   ├── SpecError                2   a spec file is invalid (file:line:col: Kind/name: path: message)
    │   └── InvalidSpecs             2   several SpecErrors, reported all at once
    ├── CheckFailed                  1   a check, threshold or expectation failed
    ├── ServerError                  3   could not reach, start or keep talking to a server
    │   ├── ServerStartError         3   a stdio server could not be spawned or died before answering
    │   ├── TransportError           3   the connection failed (connect refused, HTTP status, pipe closed)
    │   │   ├── HttpStatusError      3   an HTTP request got a non-2xx status (``status``, ``body``)
    │   │   ├── ServerExited         3   the stdio server exited while requests were pending
    │   │   └── FrameTooLarge        3   a frame exceeded the size limit
    │   ├── AuthError                3   OAuth failed: discovery, registration, authorization or token request
    │   │   └── ResourceMismatch     3   the server's metadata names another resource (refused, RFC 9728 §3.3)
    │   ├── ProtocolError            3   the peer broke JSON-RPC or MCP (invalid JSON, unknown id, bad shape)
    │   └── RequestTimeout           3   no answer within the timeout (the request was cancelled)
    └── RpcError                     1   the server answered a request with a JSON-RPC error object

An :class:`RpcError` is a *valid* answer (the server works and said no), so it counts as a failed
check rather than an infrastructure failure.
"""

from __future__ import annotations


class McpctlError(Exception):
    """Base of every expected failure; ``exit_code`` is what the CLI exits with."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(McpctlError):
    """Bad input from the user: options, arguments, files. Nothing was executed."""

    exit_code = 2


class SpecError(UsageError):
    """A spec document is invalid at ``path:line:column`` and ``json_path``."""

    def __init__(
        self,
        message: str,
        *,
        path: str,
        line: int = 0,
        column: int = 0,
        json_path: str = "",
        subject: str = "",
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.json_path = json_path
        self.subject = subject
        """``Kind/name`` of the document the error is in, when known."""
        where = f"{path}:{line}:{column}" if line else path
        about = f"{subject}: " if subject else ""
        field = f"{json_path}: " if json_path else ""
        self.problem = message
        super().__init__(f"{where}: {about}{field}{message}")


class InvalidSpecs(UsageError):
    """Every problem found in a set of spec files, one :class:`SpecError` per line, in file order."""

    def __init__(self, errors: list[SpecError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


class CheckFailed(McpctlError):
    """A check, threshold or expectation did not hold."""

    exit_code = 1


class ServerError(McpctlError):
    """The server could not be reached, started, or kept talking sensibly."""

    exit_code = 3


class ServerStartError(ServerError):
    """A stdio server could not be started, or exited before it answered."""

    def __init__(
        self, message: str, *, command: list[str], returncode: int | None = None, stderr_tail: str = ""
    ) -> None:
        self.command = command
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        detail = message
        if returncode is not None:
            detail += f" (exit code {returncode})"
        if stderr_tail:
            detail += f"; stderr: {stderr_tail.strip().splitlines()[-1][:300]}"
        super().__init__(detail)


class TransportError(ServerError):
    """The connection to the server failed or closed."""


class HttpStatusError(TransportError):
    """An HTTP exchange was answered with a non-2xx ``status``; ``body`` is an excerpt."""

    def __init__(self, message: str, *, status: int, body: str = "") -> None:
        self.status = status
        self.body = body
        excerpt = f": {body.strip()[:200]}" if body.strip() else ""
        super().__init__(f"{message}: HTTP {status}{excerpt}")


class ServerExited(TransportError):
    """The stdio server exited (or closed its stdout) while requests were pending."""

    def __init__(self, message: str, *, returncode: int | None = None, stderr_tail: str = "") -> None:
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        detail = message
        if returncode is not None:
            detail += f" (exit code {returncode})"
        if stderr_tail.strip():
            detail += f"; stderr: {stderr_tail.strip().splitlines()[-1][:300]}"
        super().__init__(detail)


class FrameTooLarge(TransportError):
    """A frame from the server exceeded ``limit`` bytes."""

    def __init__(self, *, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(f"frame of at least {size} bytes exceeds the limit of {limit} bytes (--max-frame)")


class AuthError(ServerError):
    """Authorizing with the server failed; ``hint`` says what to configure or check."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        self.hint = hint
        super().__init__(f"{message} ({hint})" if hint else message)


class ResourceMismatch(AuthError):
    """The protected-resource metadata names ``resource``, which does not cover ``server_url``.

    Authorizing anyway could hand a token for this server to another one, so mcpctl refuses.
    """

    def __init__(self, *, resource: str, server_url: str) -> None:
        self.resource = resource
        self.server_url = server_url
        super().__init__(
            f"{server_url}: protected-resource metadata is for {resource!r}, not this server; refusing to authorize",
            hint="check the server URL, or the server's /.well-known/oauth-protected-resource document",
        )


class ProtocolError(ServerError):
    """The peer broke JSON-RPC or MCP: invalid JSON, an unknown response id, a malformed message."""

    def __init__(self, message: str, *, frame: bytes | None = None) -> None:
        self.frame = frame
        super().__init__(message)


class RequestTimeout(ServerError):
    """No answer arrived within ``timeout`` seconds; ``notifications/cancelled`` was sent."""

    def __init__(self, *, method: str, timeout: float) -> None:
        self.method = method
        self.timeout = timeout
        super().__init__(f"{method}: no answer within {timeout:g}s (request cancelled)")


class RpcError(McpctlError):
    """The server answered with a JSON-RPC error object."""

    exit_code = 1

    def __init__(self, *, code: int, message: str, data: object = None, method: str = "") -> None:
        self.code = code
        self.rpc_message = message
        self.data = data
        self.method = method
        prefix = f"{method}: " if method else ""
        super().__init__(f"{prefix}server error {code}: {message}")
