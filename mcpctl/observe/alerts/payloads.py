"""What a notification looks like on the wire, per receiver kind: pure functions, no IO.

- :func:`webhook_body`: the Alertmanager webhook payload, version 4, field for field, so consumers written
  for Alertmanager (PagerDuty bridges, chat relays) read mcpctl's notifications unchanged.
- :func:`slack_body`: a Slack incoming-webhook Block Kit message.
- :func:`email_message`: a plain text + HTML email.
- :func:`alertmanager_alerts`: the body of ``POST /api/v2/alerts`` to a real Alertmanager.

Times are unix seconds in; RFC 3339 UTC text out, as Go prints a ``time.Time`` (fraction trimmed of
trailing zeros). Label and annotation values are untrusted (a server's name, a tool's error text): they
are escaped for each medium, never interpreted.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from mcpctl.observe.alerts.alert import Alert
from mcpctl.observe.alerts.route import Notification
from mcpctl.spec.receiver_model import EmailTarget
from mcpctl.spec.templating import compile_template

ZERO_TIME = "0001-01-01T00:00:00Z"
"""Go's zero ``time.Time``: Alertmanager's ``endsAt`` of a firing alert in webhook payloads."""
SLACK_MAX_ALERTS = 10
"""Alerts shown one section each in a Slack message; the rest are counted in one line."""
_SLACK_HEADER_CHARS = 150  # Slack refuses longer header blocks
_SLACK_SECTION_CHARS = 3000  # and longer section texts


def rfc3339(seconds: float) -> str:
    """``2024-05-01T12:00:00.25Z``: unix seconds as RFC 3339 UTC, the fraction trimmed as Go trims it."""
    moment = datetime.fromtimestamp(seconds, UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def generator_url(external_url: str, alert: Alert) -> str:
    """Where mcpctl shows an alert: its page under the monitor's web address."""
    return f"{external_url.rstrip('/')}/alerts/{alert.fingerprint}"


def _webhook_alert(alert: Alert, external_url: str) -> dict[str, object]:
    return {
        "status": alert.status,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "startsAt": rfc3339(alert.starts_at),
        "endsAt": ZERO_TIME if alert.ends_at is None or alert.status == "firing" else rfc3339(alert.ends_at),
        "generatorURL": generator_url(external_url, alert),
        "fingerprint": alert.fingerprint,
    }


def webhook_body(n: Notification, *, receiver: str, external_url: str) -> dict[str, object]:
    """The Alertmanager webhook payload (version 4) for ``n``, sent to ``receiver``."""
    return {
        "version": "4",
        "groupKey": n.group_key,
        "truncatedAlerts": 0,
        "status": n.status,
        "receiver": receiver,
        "groupLabels": dict(n.group_labels),
        "commonLabels": n.common_labels,
        "commonAnnotations": n.common_annotations,
        "externalURL": external_url,
        "alerts": [_webhook_alert(alert, external_url) for alert in n.alerts],
    }


def alertmanager_alerts(
    n: Notification, *, generator_url: str, firing_ttl: float | None = None
) -> list[dict[str, object]]:
    """The body of ``POST /api/v2/alerts``: one entry per alert of ``n``.

    A resolved alert carries its ``endsAt``. A firing one carries none by default, so Alertmanager keeps
    it firing for its ``resolve_timeout`` (5m by default) after each post; pass ``firing_ttl`` (seconds
    from ``n.at``) to set ``endsAt`` instead, as Prometheus does with four times its resend interval.
    """
    alerts: list[dict[str, object]] = []
    for alert in n.alerts:
        entry: dict[str, object] = {
            "labels": dict(alert.labels),
            "annotations": dict(alert.annotations),
            "startsAt": rfc3339(alert.starts_at),
            "generatorURL": generator_url,
        }
        if alert.status == "resolved":
            entry["endsAt"] = rfc3339(alert.ends_at if alert.ends_at is not None else n.at)
        elif firing_ttl is not None:
            entry["endsAt"] = rfc3339(n.at + firing_ttl)
        alerts.append(entry)
    return alerts


def slack_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control (``<!channel>``, links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _title(n: Notification) -> str:
    firing = sum(1 for alert in n.alerts if alert.status == "firing")
    count = firing if n.status == "firing" else len(n.alerts)
    return f"[{n.status.upper()}:{count}] {n.group_key}"


def _slack_alert(alert: Alert) -> dict[str, object]:
    labels = ", ".join(
        f"{slack_escape(k)}=`{slack_escape(v)}`" for k, v in sorted(alert.labels.items()) if k != "alertname"
    )
    lines = [f"*{slack_escape(alert.name)}* ({alert.status}) {labels}"]
    lines += [f"_{slack_escape(k)}_: {slack_escape(v)}" for k, v in sorted(alert.annotations.items())]
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": _clip("\n".join(lines), _SLACK_SECTION_CHARS)},
    }


def slack_body(n: Notification, *, receiver: str) -> dict[str, object]:
    """A Slack incoming-webhook message: a header, one section per alert (at most
    :data:`SLACK_MAX_ALERTS`, then how many more), and the times as context."""
    title = _title(n)
    blocks: list[dict[str, object]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(title, _SLACK_HEADER_CHARS)}}
    ]
    blocks += [_slack_alert(alert) for alert in n.alerts[:SLACK_MAX_ALERTS]]
    if len(n.alerts) > SLACK_MAX_ALERTS:
        more = f"_and {len(n.alerts) - SLACK_MAX_ALERTS} more_"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": more}})
    since = rfc3339(min((alert.starts_at for alert in n.alerts), default=n.at))
    context = f"receiver {slack_escape(receiver)} · since {since} · sent {rfc3339(n.at)}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": _clip(slack_escape(title), _SLACK_SECTION_CHARS), "blocks": blocks}


def _text_lines(alert: Alert) -> list[str]:
    when = f"since {rfc3339(alert.starts_at)}"
    if alert.ends_at is not None:
        when += f", resolved {rfc3339(alert.ends_at)}"
    lines = [f"- {alert.name} [{alert.status}] {when}"]
    lines += [f"    {k}={v}" for k, v in sorted(alert.labels.items()) if k != "alertname"]
    lines += [f"    {k}: {v}" for k, v in sorted(alert.annotations.items())]
    return lines


def _html_alert(alert: Alert) -> str:
    rows = [(k, v) for k, v in sorted(alert.labels.items()) if k != "alertname"]
    rows += sorted(alert.annotations.items())
    cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    head = f"{html.escape(alert.name)} [{alert.status}] since {rfc3339(alert.starts_at)}"
    return f"<h3>{head}</h3><table>{cells}</table>"


def email_subject(n: Notification, template: str, *, receiver: str) -> str:
    """``template`` rendered in the sandbox over ``status``, ``group``, ``alerts`` (count) and
    ``receiver``, on one line (a header cannot hold a line break). Raises ``TemplateError``."""
    context: Mapping[str, object] = {
        "status": n.status,
        "group": n.group_key,
        "alerts": len(n.alerts),
        "receiver": receiver,
    }
    return " ".join(compile_template(template).render(context).split())


def email_message(n: Notification, target: EmailTarget, *, receiver: str) -> EmailMessage:
    """The email for ``n``: plain text with an HTML alternative, ready for SMTP."""
    message = EmailMessage()
    message["Subject"] = email_subject(n, target.subject, receiver=receiver)
    message["From"] = target.sender
    message["To"] = ", ".join(target.to)
    message["Date"] = formatdate(n.at, usegmt=True)
    domain = target.sender.rpartition("@")[2].strip("> ") or "mcpctl.invalid"
    message["Message-ID"] = make_msgid("mcpctl", domain=domain)
    title = _title(n)
    text = [title, f"receiver {receiver}, sent {rfc3339(n.at)}", ""]
    for alert in n.alerts:
        text += _text_lines(alert)
    message.set_content("\n".join(text) + "\n")
    body = "".join(_html_alert(alert) for alert in n.alerts)
    page = f"<html><body><h2>{html.escape(title)}</h2>{body}</body></html>\n"
    message.add_alternative(page, subtype="html")
    return message
