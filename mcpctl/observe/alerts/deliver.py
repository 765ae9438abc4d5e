"""Delivery of notifications to receivers: at least once, bounded, and never in the caller's way.

:meth:`Deliverer.submit` is synchronous and only enqueues: one bounded queue per receiver, each drained by
its own task, so a slow or dead receiver delays nobody else and never the monitor loop. A receiver gets
its notifications in order; each attempt is bounded by the receiver's ``delivery.timeout``, and failed
ones are retried with exponential backoff (``delivery.backoff``, doubled each time, at most
:data:`MAX_BACKOFF` seconds) up to ``delivery.attempts``. HTTP 429 and 5xx, transport errors, timeouts
and SMTP 4xx replies are retried; other 4xx answers, SMTP 5xx replies and bad configuration are final.

Every attempt's outcome goes to ``on_result`` as a :class:`DeliveryResult`; its error text, like every
console line, has been through ``redact`` (webhook URLs and SMTP passwords are secrets), and names the
host it talked to, never the full URL.
"""

from __future__ import annotations

import smtplib
import ssl
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from functools import partial
from typing import TextIO

import httpx
import trio

from mcpctl.observe.alerts.alert import AlertStatus
from mcpctl.observe.alerts.payloads import (
    alertmanager_alerts,
    email_message,
    generator_url,
    rfc3339,
    slack_body,
    webhook_body,
)
from mcpctl.observe.alerts.route import Notification
from mcpctl.spec.receiver_model import EmailTarget, Receiver
from mcpctl.spec.templating import TemplateError

QUEUE_LIMIT = 1000
"""Notifications waiting per receiver; beyond it the oldest is dropped (and reported failed)."""
MAX_BACKOFF = 60.0
"""Longest wait between two attempts, in seconds."""
ALERTMANAGER_PATH = "/api/v2/alerts"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryResult:
    """The outcome of one delivery attempt of one notification to one receiver."""

    receiver: str
    kind: str
    """The receiver's kind, or ``unknown`` for a receiver name no configuration defines."""
    group_key: str
    fingerprints: tuple[str, ...]
    status: AlertStatus
    attempt: int
    """1 for the first attempt; 0 when none was made (unknown receiver, dropped from a full queue)."""
    ok: bool
    final: bool
    """No further attempt follows: a success, a failure that retrying cannot fix, or the last attempt."""
    error: str = ""
    """Why the attempt failed (redacted); empty on success."""
    at: float
    """Wall-clock time of the outcome."""
    elapsed: float
    """Seconds from :meth:`Deliverer.submit` to this outcome."""


class _Failure(Exception):
    """An attempt failed with a message fit for users; ``retry`` says whether another may succeed."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True, slots=True)
class _Job:
    notification: Notification
    name: str
    receiver: Receiver | None
    """The receiver's configuration when submitted (a reload does not change queued jobs); None: unknown."""
    submitted: float


class _Lane:
    """One receiver's queue and the event that wakes its worker."""

    __slots__ = ("jobs", "wakeup")

    def __init__(self) -> None:
        self.jobs: deque[_Job] = deque()
        self.wakeup = trio.Event()


Send = Callable[[], Awaitable[None]]


class Deliverer:
    """Delivers notifications to named receivers, one worker task per receiver, while :meth:`run` runs."""

    def __init__(
        self,
        receivers: Mapping[str, Receiver],
        *,
        on_result: Callable[[DeliveryResult], None],
        redact: Callable[[str], str] = lambda s: s,
        external_url: str = "http://127.0.0.1:8081",
        wall: Callable[[], float] = time.time,
        console: TextIO | None = None,
    ) -> None:
        self._receivers: dict[str, Receiver] = {}
        self._on_result = on_result
        self._redact = redact
        self._external_url = external_url
        self._wall = wall
        self._console = console
        self._lanes: dict[str, _Lane] = {}
        self._nursery: trio.Nursery | None = None
        self._client: httpx.AsyncClient | None = None
        self.replace(receivers)

    def replace(self, receivers: Mapping[str, Receiver]) -> None:
        """Use a new configuration for notifications submitted from now on; queued ones keep theirs."""
        self._receivers = dict(receivers)
        for name in self._receivers:
            self._lane(name)

    def _lane(self, name: str) -> _Lane:
        lane = self._lanes.get(name)
        if lane is None:
            lane = self._lanes[name] = _Lane()
            if self._nursery is not None:
                self._nursery.start_soon(self._work, lane)
        return lane

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Deliver until cancelled; ready (``nursery.start``) once every receiver's worker runs."""
        try:
            async with (
                httpx.AsyncClient(timeout=None, follow_redirects=False, trust_env=False) as client,
                trio.open_nursery() as nursery,
            ):
                self._client, self._nursery = client, nursery
                for lane in self._lanes.values():
                    nursery.start_soon(self._work, lane)
                task_status.started()
                await trio.sleep_forever()
        finally:
            self._client, self._nursery = None, None

    def submit(self, n: Notification) -> None:
        """Queue ``n`` for each of its receivers and return at once (call it from the trio thread)."""
        now = trio.current_time()
        for name in n.receivers:
            receiver = self._receivers.get(name)
            if receiver is None:
                error = f"no receiver named {name!r} is configured"
                self._report(_Job(n, name, None, now), attempt=0, error=error, final=True)
                continue
            lane = self._lane(name)
            if len(lane.jobs) >= QUEUE_LIMIT:
                error = f"dropped: more than {QUEUE_LIMIT} notifications waiting for this receiver"
                self._report(lane.jobs.popleft(), attempt=0, error=error, final=True)
            lane.jobs.append(_Job(n, name, receiver, now))
            lane.wakeup.set()

    async def _work(self, lane: _Lane) -> None:
        while True:
            if not lane.jobs:
                lane.wakeup = trio.Event()
                await lane.wakeup.wait()
                continue
            await self._deliver(lane.jobs.popleft())

    async def _deliver(self, job: _Job) -> None:
        if job.receiver is None:  # only known receivers are queued
            return
        delivery = job.receiver.delivery
        attempts = max(1, delivery.attempts)
        try:
            send = self._sender(job.notification, job.receiver)
        except (_Failure, TemplateError) as exc:
            self._report(job, attempt=1, error=str(exc), final=True)
            return
        for attempt in range(1, attempts + 1):
            error, retry = await _attempt(send, delivery.timeout.seconds)
            final = error is None or not retry or attempt == attempts
            self._report(job, attempt=attempt, error=error, final=final)
            if final:
                return
            await trio.sleep(min(delivery.backoff.seconds * 2 ** (attempt - 1), MAX_BACKOFF))

    def _report(self, job: _Job, *, attempt: int, error: str | None, final: bool) -> None:
        n = job.notification
        self._on_result(
            DeliveryResult(
                receiver=job.name,
                kind="unknown" if job.receiver is None else job.receiver.kind,
                group_key=n.group_key,
                fingerprints=tuple(alert.fingerprint for alert in n.alerts),
                status=n.status,
                attempt=attempt,
                ok=error is None,
                final=final,
                error="" if error is None else self._redact(error),
                at=self._wall(),
                elapsed=trio.current_time() - job.submitted,
            )
        )

    def _sender(self, n: Notification, receiver: Receiver) -> Send:
        """The attempt for ``n``, its payload built once so every retry sends the same bytes."""
        if receiver.kind == "console":
            return partial(self._print, n, receiver.name)
        if receiver.kind == "email":
            if receiver.email is None:
                raise _Failure(f"email receiver {receiver.name!r} has no email settings", retry=False)
            message = email_message(n, receiver.email, receiver=receiver.name)
            return partial(_send_email, receiver.email, message, receiver.delivery.timeout.seconds)
        if receiver.webhook is None:
            raise _Failure(f"{receiver.kind} receiver {receiver.name!r} has no url", retry=False)
        url, body = receiver.webhook.url, self._body(n, receiver)
        if receiver.kind == "alertmanager" and not url.rstrip("/").endswith(ALERTMANAGER_PATH):
            url = url.rstrip("/") + ALERTMANAGER_PATH
        return partial(self._post, url, dict(receiver.webhook.headers), body)

    def _body(self, n: Notification, receiver: Receiver) -> object:
        if receiver.kind == "slack":
            return slack_body(n, receiver=receiver.name)
        if receiver.kind == "alertmanager":
            link = generator_url(self._external_url, n.alerts[0]) if n.alerts else self._external_url
            return alertmanager_alerts(n, generator_url=link)
        return webhook_body(n, receiver=receiver.name, external_url=self._external_url)

    async def _post(self, url: str, headers: dict[str, str], body: object) -> None:
        if self._client is None:
            raise RuntimeError("Deliverer.run() is not running")
        response = await self._client.post(url, json=body, headers=headers)
        if response.is_success:
            return
        code = response.status_code
        answer = " ".join(response.text[:200].split())
        where = httpx.URL(url).netloc.decode("ascii", "replace")
        message = f"HTTP {code} {response.reason_phrase} from {where}" + (f": {answer}" if answer else "")
        raise _Failure(message, retry=code == 429 or code >= 500)

    async def _print(self, n: Notification, receiver: str) -> None:
        firing = sum(1 for alert in n.alerts if alert.status == "firing")
        names = ", ".join(sorted({alert.name for alert in n.alerts}))
        line = (
            f"{rfc3339(n.at)} alert {n.status.upper()} {n.group_key} "
            f"({firing} firing, {len(n.alerts) - firing} resolved: {names}) -> {receiver}"
        )
        console = self._console if self._console is not None else sys.stderr
        console.write(self._redact(line) + "\n")
        console.flush()


async def _attempt(send: Send, timeout: float) -> tuple[str | None, bool]:
    """Run one attempt within ``timeout``: (None, _) on success, else (error text, whether to retry)."""
    try:
        with trio.fail_after(timeout):
            await send()
    except _Failure as exc:
        return str(exc), exc.retry
    except trio.TooSlowError:
        return f"no answer within {timeout:g}s", True
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}", True
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        return f"SMTP {exc.smtp_code}: {text}", exc.smtp_code < 500
    except smtplib.SMTPRecipientsRefused as exc:
        return f"SMTP server refused the recipients {', '.join(sorted(exc.recipients))}", False
    except (smtplib.SMTPException, OSError) as exc:
        return f"{type(exc).__name__}: {exc}", True
    return None, False


async def _send_email(target: EmailTarget, message: EmailMessage, timeout: float) -> None:
    # smtplib blocks: a thread, abandoned on timeout (its socket timeout ends it soon after)
    await trio.to_thread.run_sync(_smtp_send, target, message, timeout, abandon_on_cancel=True)


def _smtp_send(target: EmailTarget, message: EmailMessage, timeout: float) -> None:
    host, _, port = target.smarthost.rpartition(":")
    if not host or not port.isdigit():
        raise _Failure(f"smarthost {target.smarthost!r} is not HOST:PORT", retry=False)
    with smtplib.SMTP(host, int(port), timeout=timeout) as smtp:
        smtp.ehlo()
        if target.starttls:
            if not smtp.has_extn("starttls"):
                raise _Failure(
                    f"the SMTP server {target.smarthost} does not offer STARTTLS "
                    "(set starttls: false to send without encryption)",
                    retry=False,
                )
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if target.username is not None:
            smtp.login(target.username, target.password or "")
        smtp.send_message(message, from_addr=target.sender, to_addrs=list(target.to))
