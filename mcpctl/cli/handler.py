"""The one place exceptions become exit codes and one-line messages (DESIGN.md §6)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable

from mcpctl.errors import McpctlError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_SERVER = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def _first_expected(group: BaseExceptionGroup[BaseException]) -> McpctlError | None:
    for exc in group.exceptions:
        if isinstance(exc, McpctlError):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            found = _first_expected(exc)
            if found is not None:
                return found
    return None


def _report_bug(exc: BaseException) -> int:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = os.path.join(tempfile.gettempdir(), f"mcpctl-crash-{stamp}-{os.getpid()}.log")
    with open(path, "w", encoding="utf-8") as log:
        traceback.print_exception(exc, file=log)
    print(f"mcpctl: internal error: {type(exc).__name__}: {exc} (details in {path})", file=sys.stderr)
    return EXIT_FAILED


async def until_signalled(body: Callable[[], Awaitable[int]], *, quiet_term: bool = False) -> int:
    """Run ``body`` until it returns (its exit code) or SIGINT or SIGTERM arrives: then cancel it (its
    servers stopped, its finally blocks run) and return 130 or 143. Handlers of our own rather than
    KeyboardInterrupt: a command started in the background (the shell ignores SIGINT for it) still stops on
    Ctrl-C sent to it, and SIGTERM (systemd, Kubernetes, CI timeouts) shuts it down cleanly too.

    ``quiet_term``: a SIGTERM is the normal end (a server its client stops), so nothing is printed for it;
    the client would otherwise find "interrupted" in the server's stderr it reports."""
    import signal

    import trio

    finished: list[int] = []
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:

            async def run_body() -> None:
                finished.append(await body())
                nursery.cancel_scope.cancel()

            nursery.start_soon(run_body)
            async for signum in signals:
                if signum == signal.SIGINT or not quiet_term:
                    print("mcpctl: interrupted", file=sys.stderr, flush=True)
                nursery.cancel_scope.cancel()
                return EXIT_INTERRUPTED if signum == signal.SIGINT else EXIT_TERMINATED
    return finished[0] if finished else EXIT_OK


def run_async(main: Callable[[], Awaitable[int]]) -> int:
    """Run ``main`` under trio (the one ``trio.run`` of a command) and map what escapes to an exit code."""
    import trio

    try:
        return trio.run(main)
    except McpctlError as exc:
        return fail(exc)
    except KeyboardInterrupt:
        print("mcpctl: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BaseExceptionGroup as group:
        if group.subgroup(KeyboardInterrupt) is not None:
            print("mcpctl: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        expected = _first_expected(group)
        if (
            expected is not None
            and group.subgroup(lambda e: not isinstance(e, McpctlError | BaseExceptionGroup)) is None
        ):
            return fail(expected)
        return _report_bug(group)
    except Exception as exc:
        return _report_bug(exc)


def fail(exc: McpctlError) -> int:
    """Print an expected failure as one line (one per spec error); return its exit code."""
    for line in str(exc).splitlines() or [""]:
        print(f"mcpctl: error: {line}", file=sys.stderr)
    return exc.exit_code
