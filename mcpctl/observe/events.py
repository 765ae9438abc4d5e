"""The monitor's event log: every health change, sample, alert change and notification, numbered.

Each event is a JSON-ready dict with ``seq`` (1, 2, 3, … per log), ``ts`` (wall-clock seconds) and
``type`` (``health``, ``sample``, ``alert``, ``notification``, ``delivery``, ``reload``, ``error``) plus its
own fields. The log keeps the newest ``capacity`` events in memory, so a client that reconnects with the
last ``seq`` it saw gets every later event (:meth:`EventLog.since`) as long as it was away for fewer than
``capacity`` events; :meth:`EventLog.since` says when some were dropped, so a client can tell a gap from
silence. Readers wait for new events with :meth:`EventLog.wait_after`; writers never wait.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping

import trio

DEFAULT_CAPACITY = 10_000
Event = dict[str, object]
Listener = Callable[[Event], None]


class EventLog:
    """A numbered, bounded, in-memory log of events that many readers follow."""

    def __init__(self, *, capacity: int = DEFAULT_CAPACITY, wall: Callable[[], float] | None = None) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._events: deque[Event] = deque(maxlen=capacity)
        self._last = 0
        self._wall = wall or time.time
        self._changed = trio.Event()
        self._listeners: list[Listener] = []

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the newest event (0 before the first)."""
        return self._last

    def append(self, kind: str, fields: Mapping[str, object], *, ts: float | None = None) -> Event:
        """Number and keep one event of type ``kind``; wake every reader. Returns the event."""
        self._last += 1
        event: Event = {"seq": self._last, "ts": self._wall() if ts is None else ts, "type": kind}
        event.update(fields)
        self._events.append(event)
        for listener in self._listeners:
            listener(event)
        self._changed.set()
        self._changed = trio.Event()
        return event

    def listen(self, listener: Listener) -> None:
        """Call ``listener(event)`` for every event appended from now on (synchronously: keep it short)."""
        self._listeners.append(listener)

    def since(self, seq: int) -> tuple[list[Event], int]:
        """The kept events after ``seq``, and how many after it are no longer kept (0: nothing missed)."""
        if not self._events or seq >= self._last:
            return [], 0
        first = int(str(self._events[0]["seq"]))
        missed = max(0, first - seq - 1)
        start = max(0, seq + 1 - first)
        return [self._events[i] for i in range(start, len(self._events))], missed

    async def wait_after(self, seq: int) -> None:
        """Return once an event after ``seq`` exists (at once when one does)."""
        while self._last <= seq:
            await self._changed.wait()
