"""What the Alerts pages show of the stored alerts: plain records of display strings for the templates, and
the JSON the page's script refreshes them from (``mcpctl alerts list|history --output json`` plus what a page
needs beside: the ack marks, the row id to page the history by).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mcpctl.store import alerts as stored

SUMMARY_KEYS = ("summary", "description", "message")
"""The annotations shown as an alert's one-line summary, the first one present."""
COLOURS = {"firing": "unhealthy", "pending": "degraded"}
"""The health colour (the dashboard's ``h-*`` classes) shown beside an alert's state word."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertView:
    """One pending or firing alert as a row of the page."""

    fingerprint: str
    alertname: str
    server: str
    state: str
    colour: str
    severity: str
    since: str
    monitor: str
    summary: str
    marks: str
    """``acked``, ``silenced``, ``inhibited``, or ``ack sent`` (stored, not yet applied by the monitor)."""
    matchers: str
    """The alert's labels as matchers, one a line: the "Silence like this" form's default."""
    firing: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryView:
    """One history row of the page."""

    id: int
    at: str
    event: str
    alertname: str
    server: str
    fingerprint: str
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SilenceView:
    """One silence in force (or to come) as a row of the page."""

    id: str
    matchers: str
    starts: str
    ends: str
    author: str
    comment: str


def stamp(ts: float) -> str:
    """A UTC time to the second, as the page's script writes it too (``2026-11-26T05:40:00Z``)."""
    return datetime.datetime.fromtimestamp(ts, tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def labels_of(alert: stored.ActiveAlert) -> dict[str, str]:
    """The alert's labels (the rule's name and the server when the monitor stored none)."""
    found = alert.record.get("labels")
    labels = {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}
    labels.setdefault("alertname", alert.alertname)
    labels.setdefault("server", alert.server)
    return labels


def annotations_of(alert: stored.ActiveAlert) -> dict[str, str]:
    """The alert's annotations, as its rule's templates rendered them."""
    found = alert.record.get("annotations")
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def matcher_lines(labels: Mapping[str, str]) -> str:
    """``name="value"`` matchers (quotes and backslashes escaped, as ``parse_matcher`` reads them back)."""
    return "\n".join(
        f'{name}="{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for name, value in labels.items()
    )


def marks(alert: stored.ActiveAlert, acks: Sequence[stored.Ack]) -> str:
    """Why the alert does not notify (as the monitor stored it), or ``ack sent`` for an ack not applied yet."""
    muted = alert.record.get("muted")
    if isinstance(muted, str) and muted:
        return muted
    return "ack sent" if any(ack.at >= alert.since for ack in acks) else ""


def alert_view(alert: stored.ActiveAlert, acks: Sequence[stored.Ack]) -> AlertView:
    """The page's row of an active alert."""
    annotations = annotations_of(alert)
    summary = next((annotations[k] for k in SUMMARY_KEYS if annotations.get(k)), "")
    return AlertView(
        fingerprint=alert.fingerprint,
        alertname=alert.alertname,
        server=alert.server,
        state=alert.state,
        colour=COLOURS.get(alert.state, "unknown"),
        severity=str(alert.record.get("severity") or ""),
        since=stamp(alert.since),
        monitor=alert.monitor,
        summary=summary,
        marks=marks(alert, acks),
        matchers=matcher_lines(labels_of(alert)),
        firing=alert.state == "firing",
    )


def alert_json(alert: stored.ActiveAlert, acks: Sequence[stored.Ack]) -> dict[str, object]:
    """An active alert as ``mcpctl alerts list --output json`` shows it, with the row the page draws."""
    view = alert_view(alert, acks)
    return {
        **stored.alert_json(alert),
        "labels": labels_of(alert),
        "annotations": annotations_of(alert),
        "since_text": view.since,
        "colour": view.colour,
        "summary": view.summary,
        "marks": view.marks,
        "matchers": view.matchers,
        "acks": [ack_json(ack) for ack in acks],
    }


def history_view(row: stored.HistoryRow) -> HistoryView:
    """The page's row of a history event."""
    return HistoryView(
        id=row.id,
        at=stamp(row.at),
        event=row.event,
        alertname=row.alertname,
        server=row.server,
        fingerprint=row.fingerprint,
        detail=stored.history_detail(row.detail),
    )


def history_json(row: stored.HistoryRow) -> dict[str, object]:
    """A history row as ``mcpctl alerts history --output json`` shows it, with its id and display texts."""
    return {
        **stored.history_json(row),
        "row": row.id,
        "at_text": stamp(row.at),
        "text": history_view(row).detail,
    }


def silence_view(silence: stored.StoredSilence) -> SilenceView:
    """The page's row of a silence."""
    return SilenceView(
        id=silence.id,
        matchers=" ".join(silence.matchers),
        starts=stamp(silence.starts_at),
        ends=stamp(silence.ends_at),
        author=silence.author,
        comment=silence.comment,
    )


def silence_json(silence: stored.StoredSilence) -> dict[str, object]:
    """A silence as ``mcpctl alerts list --silences --output json`` shows it, with its display times."""
    return {
        **stored.silence_json(silence),
        "expired_at": silence.expired_at,
        "starts_text": stamp(silence.starts_at),
        "ends_text": stamp(silence.ends_at),
    }


def ack_json(ack: stored.Ack) -> dict[str, object]:
    """An ack as the API answers it."""
    return {
        "id": ack.id,
        "fingerprint": ack.fingerprint,
        "at": ack.at,
        "at_text": stamp(ack.at),
        "author": ack.author,
        "comment": ack.comment,
    }
