"""The Deliverer against real peers: a webhook collector, aiosmtpd and a real Alertmanager."""

from __future__ import annotations

import email
import email.policy
import io
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import trio

from mcpctl.observe.alerts.alert import Alert, fingerprint
from mcpctl.observe.alerts.deliver import QUEUE_LIMIT, Deliverer, DeliveryResult
from mcpctl.observe.alerts.payloads import ZERO_TIME
from mcpctl.observe.alerts.route import Notification
from mcpctl.spec.model import Source
from mcpctl.spec.receiver_model import Delivery, EmailTarget, Receiver, ReceiverKind, WebhookTarget
from mcpctl.spec.units import Duration
from tests.integration.alert_peers import (
    RunningAlertmanager,
    WebhookCollector,
    alertmanager,
    free_port,
    self_signed_cert,
    smtp_server,
    wait_until,
    webhook_collector,
)

SECRET = "hunter2-s3cr3t"
HERE = Source(path="alerts.yaml", line=1, column=1)
LABELS = {"alertname": "HighP99", "server": "alpha", "severity": "page"}
V4_KEYS = {
    "version",
    "groupKey",
    "truncatedAlerts",
    "status",
    "receiver",
    "groupLabels",
    "commonLabels",
    "commonAnnotations",
    "externalURL",
    "alerts",
}
ALERT_KEYS = {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}


def receiver(
    name: str,
    kind: ReceiverKind,
    *,
    url: str | None = None,
    headers: dict[str, str] | None = None,
    mail: EmailTarget | None = None,
    attempts: int = 3,
    timeout: float = 2.0,
) -> Receiver:
    hook = None if url is None else WebhookTarget(url=url, headers=headers or {})
    delivery = Delivery(timeout=Duration(seconds=timeout), attempts=attempts, backoff=Duration(seconds=0.05))
    return Receiver(name=name, kind=kind, webhook=hook, email=mail, delivery=delivery, source=HERE)


def notification(*receivers: str, server: str = "alpha") -> Notification:
    labels = LABELS | {"server": server}
    alert = Alert(
        labels=labels,
        annotations={"summary": "p99 620ms > 500ms"},
        status="firing",
        starts_at=1_700_000_000.5,
        fingerprint=fingerprint(labels),
    )
    return Notification(
        group_key='{alertname="HighP99"}',
        group_labels={"alertname": "HighP99"},
        status="firing",
        alerts=(alert,),
        receivers=receivers,
        step=0,
        at=1_700_000_030.0,
        why="new",
    )


@asynccontextmanager
async def running(
    receivers: list[Receiver], **options: object
) -> AsyncIterator[tuple[Deliverer, list[DeliveryResult]]]:
    results: list[DeliveryResult] = []
    deliverer = Deliverer({r.name: r for r in receivers}, on_result=results.append, **options)  # type: ignore[arg-type]
    async with trio.open_nursery() as nursery:
        await nursery.start(deliverer.run)
        yield deliverer, results
        nursery.cancel_scope.cancel()


def finals(results: list[DeliveryResult], name: str) -> list[DeliveryResult]:
    return [r for r in results if r.receiver == name and r.final]


@pytest.fixture
def collector() -> Iterator[WebhookCollector]:
    with webhook_collector() as hook:
        yield hook


async def test_a_webhook_receives_an_alertmanager_v4_body(collector: WebhookCollector) -> None:
    hook = receiver("ops", "webhook", url=collector.url + "/hook", headers={"X-Token": "t0"})
    async with running([hook], external_url="http://mcpctl.example:8081") as (deliverer, results):
        deliverer.submit(notification("ops"))
        await wait_until(lambda: finals(results, "ops"), what="delivery")
    [request] = collector.at("/hook")
    body = request.body
    assert isinstance(body, dict)
    assert set(body) == V4_KEYS
    assert body["version"] == "4"
    assert body["receiver"] == "ops"
    assert body["externalURL"] == "http://mcpctl.example:8081"
    [alert] = body["alerts"]
    assert set(alert) == ALERT_KEYS
    assert alert["startsAt"] == "2023-11-14T22:13:20.5Z"
    assert alert["endsAt"] == ZERO_TIME
    assert alert["labels"] == LABELS
    assert request.headers["x-token"] == "t0"
    assert request.headers["content-type"] == "application/json"
    [result] = results
    assert (result.ok, result.final, result.attempt, result.kind, result.error) == (
        True,
        True,
        1,
        "webhook",
        "",
    )
    assert result.fingerprints == (fingerprint(LABELS),)


async def test_a_slack_endpoint_receives_blocks(collector: WebhookCollector) -> None:
    async with running([receiver("chat", "slack", url=collector.url + "/slack")]) as (deliverer, results):
        deliverer.submit(notification("chat", server="<!channel>"))
        await wait_until(lambda: finals(results, "chat"), what="delivery")
    [request] = collector.at("/slack")
    assert isinstance(request.body, dict)
    blocks = request.body["blocks"]
    assert [block["type"] for block in blocks] == ["header", "section", "context"]
    assert blocks[0]["text"]["text"] == '[FIRING:1] {alertname="HighP99"}'
    assert "server=`&lt;!channel&gt;`" in blocks[1]["text"]["text"]
    assert "<!channel>" not in str(request.body)


async def test_an_email_arrives() -> None:
    with smtp_server() as smtp:
        target = EmailTarget(
            to=("oncall@example.com",), sender="mcpctl@example.com", smarthost=smtp.smarthost, starttls=False
        )
        async with running([receiver("mail", "email", mail=target)]) as (deliverer, results):
            deliverer.submit(notification("mail"))
            await wait_until(lambda: finals(results, "mail"), what="delivery")
        assert [r.ok for r in results] == [True]
        [mail] = smtp.messages
    assert (mail.mail_from, mail.rcpt_tos, mail.tls, mail.login) == (
        "mcpctl@example.com",
        ("oncall@example.com",),
        False,
        None,
    )
    message = email.message_from_bytes(mail.content, policy=email.policy.default)
    assert message["Subject"] == '[FIRING] {alertname="HighP99"}'
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]


async def test_an_email_goes_over_starttls_with_auth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert = self_signed_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))  # trust the test's own certificate
    with smtp_server(tls_cert=cert, auth=("alerts", SECRET)) as smtp:
        target = EmailTarget(
            to=("oncall@example.com",),
            sender="mcpctl@example.com",
            smarthost=smtp.smarthost,
            username="alerts",
            password=SECRET,
        )
        async with running([receiver("mail", "email", mail=target)]) as (deliverer, results):
            deliverer.submit(notification("mail"))
            await wait_until(lambda: finals(results, "mail"), what="delivery")
        assert [(r.ok, r.error) for r in results] == [(True, "")]
        [mail] = smtp.messages
    assert (mail.tls, mail.login) == (True, "alerts")


async def test_starttls_not_offered_is_a_final_failure() -> None:
    with smtp_server() as smtp:
        target = EmailTarget(to=("a@example.com",), sender="m@example.com", smarthost=smtp.smarthost)
        async with running([receiver("mail", "email", mail=target)]) as (deliverer, results):
            deliverer.submit(notification("mail"))
            await wait_until(lambda: finals(results, "mail"), what="failure")
        assert smtp.messages == []
    [result] = results
    assert (result.ok, result.final, result.attempt) == (False, True, 1)
    assert result.error == (
        f"the SMTP server {smtp.smarthost} does not offer STARTTLS (set starttls: false to send without encryption)"
    )


@pytest.fixture
def real_alertmanager(collector: WebhookCollector) -> Iterator[RunningAlertmanager]:
    with alertmanager(collector.url + "/from-alertmanager") as am:
        yield am


async def test_alertmanager_receives_the_alert_and_forwards_it(
    real_alertmanager: RunningAlertmanager, collector: WebhookCollector
) -> None:
    async with running([receiver("am", "alertmanager", url=real_alertmanager.url)]) as (deliverer, results):
        deliverer.submit(notification("am"))
        await wait_until(lambda: finals(results, "am"), what="delivery")
        assert [(r.ok, r.error) for r in results] == [(True, "")]
        listed = await trio.to_thread.run_sync(real_alertmanager.alerts)
        assert [alert["labels"] for alert in listed] == [LABELS]
        assert listed[0]["annotations"] == {"summary": "p99 620ms > 500ms"}
        await wait_until(lambda: collector.at("/from-alertmanager"), timeout=10, what="forwarding")
    forwarded = collector.at("/from-alertmanager")[0].body
    assert isinstance(forwarded, dict)
    assert (forwarded["version"], forwarded["status"]) == ("4", "firing")
    assert [alert["labels"] for alert in forwarded["alerts"]] == [LABELS]


async def test_two_503s_then_success_is_delivered_once_in_three_attempts(collector: WebhookCollector) -> None:
    collector.fail("/flaky", status=503, times=2)
    hook = receiver("flaky", "webhook", url=collector.url + "/flaky", attempts=5)
    async with running([hook]) as (deliverer, results):
        deliverer.submit(notification("flaky"))
        await wait_until(lambda: finals(results, "flaky"), what="delivery")
    where = collector.url.removeprefix("http://")
    failed = f'HTTP 503 Service Unavailable from {where}: {{"error": "told to fail at /flaky"}}'
    assert [(r.attempt, r.ok, r.final, r.error) for r in results] == [
        (1, False, False, failed),
        (2, False, False, failed),
        (3, True, True, ""),
    ]
    assert [r.status for r in collector.at("/flaky")] == [503, 503, 200]
    assert results[2].elapsed >= 0.15  # backoffs of 50ms then 100ms


async def test_a_400_is_final(collector: WebhookCollector) -> None:
    collector.fail("/bad", status=400, times=1)
    async with running([receiver("bad", "webhook", url=collector.url + "/bad", attempts=5)]) as (
        deliverer,
        results,
    ):
        deliverer.submit(notification("bad"))
        await wait_until(lambda: finals(results, "bad"), what="failure")
        await trio.sleep(0.2)  # a retry would have come by now
    assert [(r.attempt, r.ok, r.final) for r in results] == [(1, False, True)]
    assert len(collector.at("/bad")) == 1


async def test_a_hanging_receiver_delays_neither_another_nor_the_submitter(
    collector: WebhookCollector,
) -> None:
    collector.hang("/slow")
    slow = receiver("slow", "webhook", url=collector.url + "/slow", attempts=1, timeout=0.5)
    fast = receiver("fast", "webhook", url=collector.url + "/fast")
    async with running([slow, fast]) as (deliverer, results):
        started = time.monotonic()
        for server in ("alpha", "beta"):
            deliverer.submit(notification("slow", "fast", server=server))
        assert time.monotonic() - started < 0.05
        await wait_until(lambda: len(collector.at("/fast")) == 2, timeout=1.0, what="fast deliveries")
        assert all(r.at - started < 1.0 for r in collector.at("/fast"))
        # the collector has both requests; the second answer may still be on its way back
        await wait_until(lambda: len(finals(results, "fast")) == 2, timeout=1.0, what="fast results")
        assert [r.ok for r in finals(results, "fast")] == [True, True]
        await wait_until(lambda: len(finals(results, "slow")) == 2, timeout=3.0, what="slow timeouts")
    assert [(r.ok, r.error) for r in finals(results, "slow")] == [(False, "no answer within 0.5s")] * 2


async def test_unknown_receivers_and_overflow_are_reported_failures(collector: WebhookCollector) -> None:
    collector.hang("/slow")
    slow = receiver("slow", "webhook", url=collector.url + "/slow", attempts=1, timeout=5)
    async with running([slow]) as (deliverer, results):
        deliverer.submit(notification("nope"))
        for _ in range(QUEUE_LIMIT + 1):  # no checkpoint between: the worker takes none meanwhile
            deliverer.submit(notification("slow"))
        deliverer_results = list(results)
    assert [(r.receiver, r.kind, r.attempt, r.ok, r.final, r.error) for r in deliverer_results] == [
        ("nope", "unknown", 0, False, True, "no receiver named 'nope' is configured"),
        (
            "slow",
            "webhook",
            0,
            False,
            True,
            "dropped: more than 1000 notifications waiting for this receiver",
        ),
    ]


async def test_replace_applies_to_later_notifications_only(collector: WebhookCollector) -> None:
    async with running([receiver("ops", "webhook", url=collector.url + "/old")]) as (deliverer, results):
        deliverer.submit(notification("ops", server="a"))
        deliverer.replace(
            {
                "ops": receiver("ops", "webhook", url=collector.url + "/new"),
                "added": receiver("added", "slack", url=collector.url + "/added"),
            }
        )
        deliverer.submit(notification("ops", "added", server="b"))
        await wait_until(lambda: len([r for r in results if r.final]) == 3, what="deliveries")
    assert [r.body["alerts"][0]["labels"]["server"] for r in collector.at("/old")] == ["a"]  # type: ignore[index]
    assert [r.body["alerts"][0]["labels"]["server"] for r in collector.at("/new")] == ["b"]  # type: ignore[index]
    assert len(collector.at("/added")) == 1


async def test_the_console_gets_one_redacted_line_per_notification() -> None:
    console = io.StringIO()
    options = {"console": console, "redact": lambda s: s.replace(SECRET, "***")}
    async with running([receiver("log", "console")], **options) as (deliverer, results):
        deliverer.submit(notification("log", server=SECRET))
        await wait_until(lambda: finals(results, "log"), what="delivery")
    assert console.getvalue() == (
        '2023-11-14T22:13:50Z alert FIRING {alertname="HighP99"} (1 firing, 0 resolved: HighP99) -> log\n'
    )


async def test_secrets_never_appear_in_errors(collector: WebhookCollector) -> None:
    collector.fail(f"/hooks/{SECRET}", status=400, times=1)
    closed = f"http://127.0.0.1:{free_port()}/hooks/{SECRET}"
    receivers = [
        receiver(
            "refused", "webhook", url=f"{collector.url}/hooks/{SECRET}", headers={"Authorization": SECRET}
        ),
        receiver("closed", "webhook", url=closed, headers={"Authorization": SECRET}, attempts=1),
        receiver("am", "alertmanager", url=closed, attempts=1),
    ]
    async with running(receivers, redact=lambda s: s.replace(SECRET, "***")) as (deliverer, results):
        deliverer.submit(notification("refused", "closed", "am"))
        await wait_until(lambda: len([r for r in results if r.final]) == 3, what="failures")
    assert all(not r.ok and r.error for r in results)
    assert not [r.error for r in results if SECRET in r.error]
    where = collector.url.removeprefix("http://")
    [refused] = [r.error for r in results if r.receiver == "refused"]
    assert refused == f'HTTP 400 Bad Request from {where}: {{"error": "told to fail at /hooks/***"}}'
