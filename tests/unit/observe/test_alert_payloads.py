"""Payload shapes per receiver kind: Alertmanager webhook v4, Slack blocks, email, Alertmanager API."""

from __future__ import annotations

import pytest

from mcpctl.observe.alerts.alert import Alert, fingerprint
from mcpctl.observe.alerts.payloads import (
    SLACK_MAX_ALERTS,
    alertmanager_alerts,
    email_message,
    rfc3339,
    slack_body,
    webhook_body,
)
from mcpctl.observe.alerts.route import Notification
from mcpctl.spec.receiver_model import EmailTarget
from mcpctl.spec.templating import TemplateError

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def alert(server: str, *, resolved: bool = False, summary: str = "p99 620ms > 500ms") -> Alert:
    labels = {"alertname": "HighP99", "server": server, "severity": "page"}
    return Alert(
        labels=labels,
        annotations={"summary": summary},
        status="resolved" if resolved else "firing",
        starts_at=T0 + 0.25,
        ends_at=T0 + 60 if resolved else None,
        fingerprint=fingerprint(labels),
    )


def notification(*alerts: Alert) -> Notification:
    firing = any(a.status == "firing" for a in alerts)
    return Notification(
        group_key='{alertname="HighP99"}',
        group_labels={"alertname": "HighP99"},
        status="firing" if firing else "resolved",
        alerts=alerts,
        receivers=("ops",),
        step=0,
        at=T0 + 90,
        why="new",
    )


def test_rfc3339_trims_the_fraction_as_go_does() -> None:
    assert rfc3339(T0) == "2023-11-14T22:13:20Z"
    assert rfc3339(T0 + 0.25) == "2023-11-14T22:13:20.25Z"
    assert rfc3339(T0 + 0.000001) == "2023-11-14T22:13:20.000001Z"


def test_webhook_body_is_alertmanager_v4() -> None:
    firing, resolved = alert("a"), alert("b", resolved=True)
    body = webhook_body(notification(firing, resolved), receiver="ops", external_url="http://mon:8081/")
    assert body == {
        "version": "4",
        "groupKey": '{alertname="HighP99"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "ops",
        "groupLabels": {"alertname": "HighP99"},
        "commonLabels": {"alertname": "HighP99", "severity": "page"},
        "commonAnnotations": {"summary": "p99 620ms > 500ms"},
        "externalURL": "http://mon:8081/",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "HighP99", "server": "a", "severity": "page"},
                "annotations": {"summary": "p99 620ms > 500ms"},
                "startsAt": "2023-11-14T22:13:20.25Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": f"http://mon:8081/alerts/{firing.fingerprint}",
                "fingerprint": firing.fingerprint,
            },
            {
                "status": "resolved",
                "labels": {"alertname": "HighP99", "server": "b", "severity": "page"},
                "annotations": {"summary": "p99 620ms > 500ms"},
                "startsAt": "2023-11-14T22:13:20.25Z",
                "endsAt": "2023-11-14T22:14:20Z",
                "generatorURL": f"http://mon:8081/alerts/{resolved.fingerprint}",
                "fingerprint": resolved.fingerprint,
            },
        ],
    }


def test_alertmanager_alerts_set_ends_at_only_when_resolved_or_asked() -> None:
    n = notification(alert("a"), alert("b", resolved=True))
    assert alertmanager_alerts(n, generator_url="http://mon/x") == [
        {
            "labels": {"alertname": "HighP99", "server": "a", "severity": "page"},
            "annotations": {"summary": "p99 620ms > 500ms"},
            "startsAt": "2023-11-14T22:13:20.25Z",
            "generatorURL": "http://mon/x",
        },
        {
            "labels": {"alertname": "HighP99", "server": "b", "severity": "page"},
            "annotations": {"summary": "p99 620ms > 500ms"},
            "startsAt": "2023-11-14T22:13:20.25Z",
            "endsAt": "2023-11-14T22:14:20Z",
            "generatorURL": "http://mon/x",
        },
    ]
    ttl = alertmanager_alerts(n, generator_url="http://mon/x", firing_ttl=240)
    assert [a.get("endsAt") for a in ttl] == ["2023-11-14T22:18:50Z", "2023-11-14T22:14:20Z"]


def test_slack_body_has_a_header_a_section_per_alert_and_context() -> None:
    n = notification(alert("a"), alert("b", resolved=True))
    assert slack_body(n, receiver="chat") == {
        "text": '[FIRING:1] {alertname="HighP99"}',
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": '[FIRING:1] {alertname="HighP99"}'}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*HighP99* (firing) server=`a`, severity=`page`\n_summary_: p99 620ms &gt; 500ms",
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*HighP99* (resolved) server=`b`, severity=`page`\n_summary_: p99 620ms &gt; 500ms",
                },
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "receiver chat · since 2023-11-14T22:13:20.25Z · sent 2023-11-14T22:14:50Z",
                    }
                ],
            },
        ],
    }


def test_slack_escapes_untrusted_text_and_counts_the_rest() -> None:
    alerts = [alert(f"<!channel>&{i:02d}") for i in range(SLACK_MAX_ALERTS + 3)]
    body = slack_body(notification(*alerts), receiver="<@U1>")
    blocks = body["blocks"]
    assert isinstance(blocks, list)
    assert len(blocks) == 1 + SLACK_MAX_ALERTS + 1 + 1
    assert "server=`&lt;!channel&gt;&amp;00`" in blocks[1]["text"]["text"]
    assert blocks[-2] == {"type": "section", "text": {"type": "mrkdwn", "text": "_and 3 more_"}}
    assert blocks[-1]["elements"][0]["text"].startswith("receiver &lt;@U1&gt; · ")
    assert "<!channel>" not in str(body)


TARGET = EmailTarget(
    to=("a@example.com", "b@example.com"), sender="mcpctl <alerts@example.com>", smarthost="mx:25"
)


def test_email_has_headers_text_and_escaped_html() -> None:
    message = email_message(notification(alert("<script>x</script>")), TARGET, receiver="mail")
    assert message["Subject"] == '[FIRING] {alertname="HighP99"}'
    assert message["From"] == "mcpctl <alerts@example.com>"
    assert message["To"] == "a@example.com, b@example.com"
    assert message["Date"] == "Tue, 14 Nov 2023 22:14:50 +0000"
    assert message["Message-ID"].endswith("@example.com>")
    text, page = message.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert text.get_content() == (
        '[FIRING:1] {alertname="HighP99"}\n'
        "receiver mail, sent 2023-11-14T22:14:50Z\n"
        "\n"
        "- HighP99 [firing] since 2023-11-14T22:13:20.25Z\n"
        "    server=<script>x</script>\n"
        "    severity=page\n"
        "    summary: p99 620ms > 500ms\n"
    )
    assert page.get_content_type() == "text/html"
    html = page.get_content()
    assert "<td>&lt;script&gt;x&lt;/script&gt;</td>" in html
    assert "<script>" not in html
    assert "<td>p99 620ms &gt; 500ms</td>" in html


def test_email_subject_is_a_sandboxed_template_on_one_line() -> None:
    target = EmailTarget(
        to=("a@example.com",),
        sender="alerts@example.com",
        smarthost="mx:25",
        subject="{{ receiver }}: {{ alerts }} alert(s)\n{{ status | title }}",
    )
    message = email_message(notification(alert("a"), alert("b")), target, receiver="mail")
    assert message["Subject"] == "mail: 2 alert(s) Firing"


def test_email_subject_template_refuses_python_internals() -> None:
    target = EmailTarget(to=("a@x",), sender="b@x", smarthost="mx:25", subject="{{ status.__class__ }}")
    with pytest.raises(TemplateError, match="private"):
        email_message(notification(alert("a")), target, receiver="mail")
