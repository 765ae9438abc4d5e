"""What a MockServer answer does with its client while a call runs, from YAML to records: log
messages, a request to the client (``ask``), and the event-stream options that let an answer
``disconnect`` (see :mod:`mcpctl.spec.build_mock`, which calls these)."""

from __future__ import annotations

from mcpctl.spec.build_suite import duration
from mcpctl.spec.mock_checks import Templates, check_templates
from mcpctl.spec.mock_model import (
    ASK_METHODS,
    ASK_TIMEOUT,
    LOG_LEVELS,
    SSE_RETRY,
    Ask,
    LogMessage,
    SseOptions,
)
from mcpctl.spec.validate import Cursor


def build_sse(cursor: Cursor | None) -> SseOptions:
    """``sse:`` (all defaults when absent)."""
    if cursor is None:
        return SseOptions()
    retry = duration(cursor.get("retry"))
    return SseOptions(resumable=cursor.flag("resumable") or False, retry=retry or SSE_RETRY)


def build_log(cursor: Cursor) -> LogMessage:
    """One ``log:`` entry; its ``data`` templates may not read ``answer`` (logs go out before it)."""
    data = cursor.get("data")
    check_templates(data, Templates(answer=False))
    level = cursor.text("level") or "info"
    return LogMessage(
        level=next((known for known in LOG_LEVELS if known == level), "info"),
        data=data.plain() if data is not None else None,
        logger=cursor.text("logger"),
        delay=duration(cursor.get("delay")),
    )


def build_ask(cursor: Cursor | None) -> Ask | None:
    """``ask:`` (schema-valid), its params' templates checked (they cannot read ``answer`` yet)."""
    if cursor is None:
        return None
    params = cursor.get("params")
    check_templates(params, Templates(answer=False))
    value = params.plain() if params is not None else {}
    method = cursor.text("method")
    return Ask(
        method=next((known for known in ASK_METHODS if known == method), "sampling/createMessage"),
        params=value if isinstance(value, dict) else {},
        timeout=duration(cursor.get("timeout")) or ASK_TIMEOUT,
    )
