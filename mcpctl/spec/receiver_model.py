"""Typed, frozen records of alert receivers (``receivers:`` of an AlertRules document): where notifications
go, and how hard delivery tries.

Kinds, one per receiver: ``console`` (a line on stderr), ``webhook`` (an Alertmanager webhook v4 JSON body
POSTed to a URL, so existing webhook consumers work), ``slack`` (a Slack incoming webhook, Block Kit),
``email`` (SMTP, STARTTLS unless told otherwise, credentials from ``${env:...}``) and ``alertmanager``
(POST to a real Alertmanager's ``/api/v2/alerts``). Secrets substituted into any field are redacted
from every output by the spec set's :class:`~mcpctl.spec.env.Secrets`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from mcpctl.spec.model import Source
from mcpctl.spec.units import Duration

ReceiverKind = Literal["console", "webhook", "slack", "email", "alertmanager"]
DEFAULT_DELIVERY_TIMEOUT = Duration(seconds=10.0)
DEFAULT_ATTEMPTS = 5
DEFAULT_BACKOFF = Duration(seconds=1.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """How one receiver's notifications are delivered: at least once, within these bounds."""

    timeout: Duration = DEFAULT_DELIVERY_TIMEOUT
    """Per attempt (connect, send and answer)."""
    attempts: int = DEFAULT_ATTEMPTS
    """Attempts per notification before it is recorded as failed (1: no retry)."""
    backoff: Duration = DEFAULT_BACKOFF
    """Wait before the second attempt; doubled for each later one (capped at 60s)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookTarget:
    """``webhook``/``slack``/``alertmanager``: where to POST, with extra headers."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailTarget:
    """``email``: an SMTP server and the message's envelope."""

    to: tuple[str, ...]
    sender: str
    """``from``."""
    smarthost: str
    """``HOST:PORT`` of the SMTP server."""
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    """Upgrade with STARTTLS before authenticating (refused when the server does not offer it)."""
    subject: str = "[{{ status | upper }}] {{ group }}"
    """A template over ``status``, ``group``, ``alerts`` (count) and ``receiver``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Receiver:
    """One named receiver."""

    name: str
    kind: ReceiverKind
    webhook: WebhookTarget | None = None
    """For ``webhook``, ``slack`` and ``alertmanager``."""
    email: EmailTarget | None = None
    """For ``email``."""
    delivery: Delivery = field(default_factory=Delivery)
    source: Source
