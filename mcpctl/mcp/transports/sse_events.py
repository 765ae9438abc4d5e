"""Server-Sent Events, sans-IO: feed bytes, get events.

Follows the WHATWG ``text/event-stream`` parsing rules: lines end with CRLF, LF or CR (a CR at
the end of one chunk and an LF at the start of the next are one line end); a leading UTF-8 BOM
is dropped; ``:`` starts a comment; ``data`` lines accumulate, joined by ``\\n``; an empty line
dispatches; ``id`` persists across events (the *last event id*); ``retry`` takes digits only.
``data`` stays bytes: it goes straight to the JSON decoder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from mcpctl.errors import FrameTooLarge

_LINE_END: Final = re.compile(rb"\r\n|\r|\n")
_BOM: Final = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True, kw_only=True)
class SseEvent:
    """One dispatched event; ``id`` is the last event id in force when it was dispatched."""

    data: bytes
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SseParser:
    """Incremental ``text/event-stream`` parser; one per stream.

    ``max_event`` bounds the bytes buffered for one event (data plus an unfinished line);
    :meth:`feed` raises :class:`~mcpctl.errors.FrameTooLarge` past it.
    """

    def __init__(self, *, max_event: int | None = None, last_event_id: str | None = None) -> None:
        self.last_event_id = last_event_id
        """The last ``id`` seen: what a reconnection sends as ``Last-Event-ID``."""
        self.retry: int | None = None
        """The last ``retry`` value in milliseconds, if the server sent one."""
        self._max_event = max_event
        self._partial = bytearray()
        self._skip_lf = False
        self._at_start = True
        self._data: list[bytes] = []
        self._data_size = 0
        self._event = ""
        self._retry_changed = False

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """Parse ``chunk``; return the events it completed (possibly none)."""
        if self._at_start:
            chunk = self._strip_bom(chunk)
            if not chunk:
                return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if self._partial:
            self._partial += chunk
            buffer = bytes(self._partial)
            self._partial.clear()
        else:
            buffer = chunk
        lines = _LINE_END.split(buffer)
        tail = lines.pop()
        if tail:
            self._partial += tail
            self._check_size(len(self._partial))
        elif buffer.endswith(b"\r"):
            self._skip_lf = True
        events: list[SseEvent] = []
        for line in lines:
            if not line:
                event = self._dispatch()
                if event is not None:
                    events.append(event)
            elif line[0] != 0x3A:  # ":" starts a comment
                self._field(line)
        return events

    def _strip_bom(self, chunk: bytes) -> bytes:
        buffered = bytes(self._partial) + chunk
        if len(buffered) < len(_BOM) and _BOM.startswith(buffered):
            self._partial[:] = buffered  # wait: this may yet be a BOM
            return b""
        self._at_start = False
        self._partial.clear()
        return buffered[len(_BOM) :] if buffered.startswith(_BOM) else buffered

    def _field(self, line: bytes) -> None:
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value)
            self._data_size += len(value) + 1
            self._check_size(self._data_size)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id":
            if b"\0" not in value:
                self.last_event_id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():
            self.retry = int(value)
            self._retry_changed = True

    def _dispatch(self) -> SseEvent | None:
        if not self._data:
            self._event = ""
            return None
        data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
        event = SseEvent(
            data=data,
            event=self._event or "message",
            id=self.last_event_id,
            retry=self.retry if self._retry_changed else None,
        )
        self._data = []
        self._data_size = 0
        self._event = ""
        self._retry_changed = False
        return event

    def _check_size(self, size: int) -> None:
        if self._max_event is not None and size > self._max_event:
            raise FrameTooLarge(size=size, limit=self._max_event)
